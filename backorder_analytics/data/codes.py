"""Integer codes of key columns: equal values get equal codes, in order of first
appearance, without a Python object per cell.

Order ids have about as many distinct values as rows. Arrow's dictionary encoding and
pandas' ``factorize`` both build a memo table whose transient memory is many times the
column's: 200 MB for 1.6M order ids at 1.1M distinct values, the largest transient of a
report on 600 SKUs. Here one open-addressing table of int32 slots (at least two per
distinct value, doubled as it fills) and the distinct values themselves are all that is
kept: about 30 bytes per distinct value, and the codes.

:func:`text_codes` reads the strings of Arrow arrays in place (their offsets and data
buffers); :func:`integer_codes` takes int64 values. Both are exact: a slot holds a
distinct value, and values that hash alike are compared in full.
"""

from __future__ import annotations

import numba
import numpy as np
import pyarrow as pa

__all__ = ["text_codes", "integer_codes"]

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_S33 = np.uint64(33)


@numba.njit(cache=True, inline="always")
def _finish(h):
    """MurmurHash3's finaliser: every input bit reaches the low bits the table uses."""
    h ^= h >> _S33
    h *= _MIX
    h ^= h >> _S33
    return h


START_SLOTS = 1 << 12
"""Slots of a new table; it doubles whenever half of them are taken, so probes stay
short and a column of few distinct values needs little memory."""


@numba.njit(cache=True)
def _grown(table, hashes, n_unique):
    """A table of twice the slots holding the first ``n_unique`` values again."""
    bigger = np.full(2 * len(table), -1, np.int32)
    mask = np.uint64(len(bigger) - 1)
    for u in range(n_unique):
        slot = hashes[u] & mask
        while bigger[slot] >= 0:
            slot = (slot + np.uint64(1)) & mask
        bigger[slot] = u
    return bigger


@numba.njit(cache=True)
def _encode_text(offsets, data, valid, start, table, u_hash, u_start, u_len, u_data,
                 state, out):
    """Codes of the strings ``data[offsets[i]:offsets[i + 1]]`` into ``out``, -1 where
    not ``valid`` (an empty ``valid``: none missing), from row ``start`` on. ``state`` =
    (distinct values so far, bytes of ``u_data`` used); new distinct values are appended
    to ``u_*``. Returns the row it stopped at: the end, or where ``table`` is half full
    (the caller grows it and goes on from there)."""
    mask = np.uint64(len(table) - 1)
    n_unique, used = state[0], state[1]
    check = len(valid) > 0
    for i in range(start, len(offsets) - 1):
        if 2 * n_unique >= len(table):
            state[0], state[1] = n_unique, used
            return i
        if check and not valid[i]:
            out[i] = -1
            continue
        a, b = offsets[i], offsets[i + 1]
        h = _FNV_OFFSET
        for k in range(a, b):
            h = (h ^ np.uint64(data[k])) * _FNV_PRIME
        h = _finish(h)
        slot = h & mask
        n = b - a
        while True:
            u = table[slot]
            if u < 0:  # a new value
                table[slot] = n_unique
                u_hash[n_unique] = h
                u_start[n_unique] = used
                u_len[n_unique] = n
                u_data[used:used + n] = data[a:b]
                used += n
                out[i] = n_unique
                n_unique += 1
                break
            if u_hash[u] == h and u_len[u] == n:
                s = u_start[u]
                same = True
                for k in range(n):
                    if u_data[s + k] != data[a + k]:
                        same = False
                        break
                if same:
                    out[i] = u
                    break
            slot = (slot + np.uint64(1)) & mask
    state[0], state[1] = n_unique, used
    return len(offsets) - 1


@numba.njit(cache=True)
def _encode_integers(values, start, table, hashes, uniques, state, out):
    """Codes of ``values`` into ``out`` from row ``start`` on; ``state[0]``: distinct
    values so far. Returns the row it stopped at (as :func:`_encode_text`)."""
    mask = np.uint64(len(table) - 1)
    n_unique = state[0]
    for i in range(start, len(values)):
        if 2 * n_unique >= len(table):
            state[0] = n_unique
            return i
        v = values[i]
        h = _finish(np.uint64(v))
        slot = h & mask
        while True:
            u = table[slot]
            if u < 0:
                table[slot] = n_unique
                hashes[n_unique] = h
                uniques[n_unique] = v
                out[i] = n_unique
                n_unique += 1
                break
            if uniques[u] == v:
                out[i] = u
                break
            slot = (slot + np.uint64(1)) & mask
    state[0] = n_unique
    return len(values)


def _string_chunks(arrays: list[pa.Array | pa.ChunkedArray]) -> list[pa.Array]:
    """The chunks of ``arrays`` as Arrow string or large_string arrays."""
    chunks = [c for a in arrays for c in (a.chunks if isinstance(a, pa.ChunkedArray)
                                          else [a])]
    return [c if c.type in (pa.string(), pa.large_string()) else c.cast(pa.large_string())
            for c in chunks]


def _buffers(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offsets (int32 or int64, one more than rows), data bytes and validity (empty when
    nothing is missing) of one string chunk, as views where Arrow allows."""
    _, off_buf, data_buf = chunk.buffers()
    dtype = np.int64 if chunk.type == pa.large_string() else np.int32
    if off_buf is None:  # an empty chunk
        offsets = np.zeros(1, dtype)
    else:
        offsets = np.frombuffer(off_buf, dtype)[chunk.offset: chunk.offset + len(chunk) + 1]
    data = (np.frombuffer(data_buf, np.uint8) if data_buf is not None and data_buf.size
            else np.zeros(0, np.uint8))
    valid = (chunk.is_valid().to_numpy(zero_copy_only=False) if chunk.null_count
             else np.zeros(0, np.bool_))
    return offsets, data, valid


def text_codes(arrays: list[pa.Array | pa.ChunkedArray]) -> tuple[np.ndarray, int]:
    """Codes of the strings of ``arrays`` taken together (first appearance 0, the next
    new value 1, …), -1 where missing; and the number of distinct strings.

    Parameters
    ----------
    arrays : list of pyarrow arrays or chunked arrays of text
        Values of one key column, e.g. one per table compared.
    """
    chunks = _string_chunks(arrays)
    n_rows = sum(len(c) for c in chunks)
    n_bytes = sum(int(c.buffers()[2].size) if c.buffers()[2] is not None else 0
                  for c in chunks)
    table = np.full(START_SLOTS, -1, np.int32)
    # one distinct value per row at most; untouched pages of np.empty cost no memory
    u_hash = np.empty(n_rows, np.uint64)
    u_start = np.empty(n_rows, np.int64)
    u_len = np.empty(n_rows, np.int64)
    u_data = np.empty(n_bytes, np.uint8)
    state = np.zeros(2, np.int64)
    out = np.empty(n_rows, np.int64)
    at = 0
    for chunk in chunks:
        offsets, data, valid = _buffers(chunk)
        row = 0
        while row < len(chunk):
            row = _encode_text(offsets, data, valid, row, table, u_hash, u_start, u_len,
                               u_data, state, out[at: at + len(chunk)])
            if row < len(chunk):
                table = _grown(table, u_hash, state[0])
        at += len(chunk)
    return out, int(state[0])


def integer_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of int64 ``values`` (first appearance 0, …) and the number of distinct
    values: ``pandas.factorize`` of int64 with a third of its transient memory."""
    values = np.ascontiguousarray(values, np.int64)
    out = np.empty(len(values), np.int64)
    hashes = np.empty(len(values), np.uint64)
    uniques = np.empty(len(values), np.int64)
    table = np.full(START_SLOTS, -1, np.int32)
    state = np.zeros(1, np.int64)
    row = 0
    while row < len(values):
        row = _encode_integers(values, row, table, hashes, uniques, state, out)
        if row < len(values):
            table = _grown(table, hashes, state[0])
    return out, int(state[0])
