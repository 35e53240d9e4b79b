"""Long frames (``sku, date, demand``) to wide panels (``(n_sku, n_time)`` arrays) and
back. Kernels see panels; users see long frames.

A panel is right-aligned: every row ends at the same last period; a series that starts
later is NaN on the left (see :mod:`backorder_analytics.forecasting.base`).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd

from ..exceptions import DataError

__all__ = ["Panel", "to_panel", "future_dates"]

REQUIRED = ("sku", "date", "demand")


@dataclass
class Panel:
    """Series as one array.

    Attributes
    ----------
    skus : pandas.Index
        Row labels.
    dates : pandas.DatetimeIndex
        Column labels (regular, one per period).
    values : numpy.ndarray, shape (n_sku, n_time), float64
        Demand; NaN before a series starts.
    freq : str
        Pandas frequency of ``dates`` ("D", "W-MON", "MS", …).
    """

    skus: pd.Index
    dates: pd.DatetimeIndex
    values: np.ndarray
    freq: str

    def to_frame(self, values: np.ndarray | None = None, name: str = "demand") -> pd.DataFrame:
        """Long frame ``sku, date, <name>`` of ``values`` (default the panel's own),
        leaving out the NaN before each series starts."""
        values = self.values if values is None else values
        frame = pd.DataFrame({
            "sku": np.repeat(self.skus.to_numpy(), len(self.dates)),
            "date": np.tile(self.dates.to_numpy(), len(self.skus)),
            name: values.reshape(-1),
        })
        started = ~np.isnan(self.values).reshape(-1)
        return frame[started].reset_index(drop=True)


def _pandas_freq(dates: pd.DatetimeIndex) -> str | None:
    """``pd.infer_freq`` as a string, the same in pandas 2 and 3 (pandas 3.1 warns that
    it will return an offset; its option to do so already is unknown to pandas 2)."""
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            offset: Any = pd.infer_freq(dates)
    except pd.errors.OptionError:  # pandas before 3.1: a string already
        return pd.infer_freq(dates)
    return None if offset is None else str(offset.freqstr)


def _infer_freq(dates: pd.DatetimeIndex) -> str:
    if len(dates) < 2:
        return "D"
    freq = _pandas_freq(dates[: min(len(dates), 60)]) if len(dates) >= 3 else None
    if freq is None:  # irregular, or two dates (pandas needs three)
        step = (dates[1:] - dates[:-1]).min()
        freq = "D" if step == pd.Timedelta(days=1) else "W-MON" if step == pd.Timedelta(
            days=7) else "MS"
    return freq


def to_panel(y: pd.DataFrame) -> Panel:
    """A long demand frame (from :func:`demand_series`) as a :class:`Panel`.

    Parameters
    ----------
    y : pandas.DataFrame
        Columns ``sku``, ``date``, ``demand``; each SKU's dates regular and contiguous
        (as :func:`demand_series` makes them); all SKUs share one calendar.

    Returns
    -------
    Panel

    Raises
    ------
    DataError
        Missing columns, a demand that is not a finite number, or a SKU with gaps in
        its dates.
    """
    missing = [c for c in REQUIRED if c not in y]
    if missing:
        raise DataError(f"The demand frame has no column {', '.join(map(repr, missing))}. "
                        f"Expected columns sku, date, demand (as demand_series returns). "
                        f"Found: {', '.join(map(str, y.columns))}.")
    blocked = _blocked_panel(y)
    if blocked is not None:
        return blocked
    dates = pd.DatetimeIndex(np.sort(y["date"].unique()))
    freq = _infer_freq(dates)
    calendar = pd.date_range(dates[0], dates[-1], freq=freq) if len(dates) else dates
    sku_codes, skus = sku_codes_of(y["sku"])
    demand = pd.to_numeric(y["demand"], errors="coerce").to_numpy(dtype=float)
    odd = np.isinf(demand) | (np.isnan(demand) & y["demand"].notna().to_numpy())
    if odd.any():
        i = int(np.flatnonzero(odd)[0])
        raise DataError(f"The demand frame has {int(odd.sum())} demand value(s) that are not "
                        f"finite numbers, the first {y['demand'].iloc[i]} for SKU "
                        f"{y['sku'].iloc[i]!r} on {pd.Timestamp(y['date'].iloc[i]).date()}. "
                        "Expected a number of units per period. Fix: correct or remove "
                        "those rows (demand_series(...) builds the frame from order lines).")
    if (sku_codes < 0).any():
        raise DataError(f"The demand frame has {int((sku_codes < 0).sum())} row(s) without a "
                        "SKU. Expected an id in every row. Fix: remove those rows or fill "
                        "in their SKU.")
    values = np.full((len(skus), len(calendar)), np.nan)
    stamps, origin, step = _calendar_steps(y["date"], calendar)
    problem, row, filled, first = _fill_panel(sku_codes, stamps, origin, step, demand, values)
    if problem == OFF_CALENDAR:
        raise DataError(f"The demand frame's dates are not on one regular calendar "
                        f"(frequency {freq}): {pd.Timestamp(y['date'].iloc[row]).date()} "
                        f"(SKU {y['sku'].iloc[row]!r}) is not one of its periods. Fix: "
                        "build it with demand_series(...).")
    if problem == DUPLICATE:
        raise DataError(f"The demand frame has two rows for SKU {y['sku'].iloc[row]!r} on "
                        f"{pd.Timestamp(y['date'].iloc[row]).date()}. Expected one row per "
                        "SKU and period. Fix: sum them (demand_series(...) does).")
    # every SKU must be contiguous from its first date to the end
    gaps = filled != len(calendar) - first
    if gaps.any():
        bad = skus[np.flatnonzero(gaps)[:5]]
        raise DataError(f"SKUs {', '.join(map(str, bad))} have missing periods in the demand "
                        "frame. Expected every period from each SKU's start to the end "
                        "(zero when nothing was ordered). Fix: build it with "
                        "demand_series(...), which zero-fills.")
    return Panel(pd.Index(skus, name="sku"), calendar, values, freq)


def _blocked_panel(y: pd.DataFrame) -> Panel | None:
    """The panel of a frame in the usual layout, without hashing a row: each SKU one
    block of rows, every block the same regular dates in increasing order, every demand
    a finite number (as :func:`demand_series` and most exports write them). None when
    any of this does not hold; :func:`to_panel` then reads the frame row by row (and
    refuses a bad one).

    Every row is checked, nothing is sampled: the dates of every block against those of
    the first (integers), the SKU of every row against the first of its block
    (:func:`_rows_repeat_heads`); the SKUs of the blocks, one per block, then go through
    :func:`sku_codes_of`, as the whole column would. The panel is the one the general
    path builds, to the bit."""
    date = y["date"]
    if not len(y) or not (isinstance(date.dtype, np.dtype) and date.dtype.kind == "M"):
        return None
    raw = date.to_numpy()
    stamps = raw.view(np.int64)
    if stamps[0] == np.iinfo(np.int64).min:  # NaT
        return None
    t_len = _increasing_run(stamps)
    n = len(stamps) // t_len
    if n * t_len != len(stamps):
        return None
    grid = stamps.reshape(n, t_len)
    if not _rows_equal_first(grid):
        return None
    dates = pd.DatetimeIndex(raw[:t_len])
    freq = _infer_freq(dates)
    calendar = pd.date_range(dates[0], dates[-1], freq=freq)
    if (calendar.unit != dates.unit or len(calendar) != t_len
            or not (_i8(calendar) == grid[0]).all()):
        return None  # periods missing from every SKU
    sku = y["sku"]
    if not _rows_repeat_heads(sku, t_len):
        return None
    codes, skus = sku_codes_of(sku.iloc[::t_len].reset_index(drop=True))
    if len(skus) != n or (codes < 0).any():  # a SKU in two blocks, or none
        return None
    demand = pd.to_numeric(y["demand"], errors="coerce").to_numpy(dtype=float)
    values = np.empty((n, t_len))
    if not _copy_finite(demand.reshape(n, t_len), np.argsort(codes), values):
        return None
    return Panel(pd.Index(skus, name="sku"), calendar, values, freq)


@numba.njit(cache=True)
def _rows_equal_first(grid):  # pragma: no cover (compiled)
    """Whether every row of ``grid`` equals its first."""
    for i in range(1, grid.shape[0]):
        diff = 0
        for t in range(grid.shape[1]):
            diff |= grid[i, t] ^ grid[0, t]
        if diff:
            return False
    return True


@numba.njit(cache=True)
def _copy_finite(blocks, order, out):  # pragma: no cover (compiled)
    """``out[i] = blocks[order[i]]``; False (and ``out`` partly written) as soon as a
    row holds a value that is not a finite number."""
    for i in range(out.shape[0]):
        src = blocks[order[i]]
        bad = False
        for t in range(out.shape[1]):
            v = src[t]
            out[i, t] = v
            bad |= not np.isfinite(v)
        if bad:
            return False
    return True


@numba.njit(cache=True)
def _increasing_run(stamps):  # pragma: no cover (compiled)
    """Length of the strictly increasing run that starts ``stamps``."""
    for i in range(1, stamps.shape[0]):
        if stamps[i] <= stamps[i - 1]:
            return i
    return stamps.shape[0]


def _rows_repeat_heads(sku: pd.Series, t_len: int) -> bool:
    """Whether every row of ``sku`` equals the first of its block of ``t_len`` rows
    (False also when the dtype is not one read here: the caller then hashes).

    Categorical: the codes. Arrow strings (pandas 3's default ``str``): the bytes of
    the Arrow buffers. Object: the same object as the block's first (the usual case
    for ids read from a file or made by a groupby, which share one object per value),
    else equal to it (one comparison per row). Other numpy dtypes: the values."""
    n = len(sku) // t_len
    if isinstance(sku.dtype, pd.CategoricalDtype):
        codes = sku.cat.codes.to_numpy().reshape(n, t_len)
        return bool((codes == codes[:, :1]).all())
    if hasattr(sku.array, "__arrow_array__"):
        return _arrow_rows_repeat_heads(sku.array.__arrow_array__(), t_len)
    if not isinstance(sku.dtype, np.dtype):
        return False
    values = np.ascontiguousarray(sku.to_numpy())
    if values.dtype != object:
        grid = values.reshape(n, t_len)
        return bool((grid == grid[:, :1]).all())
    # the object pointers as integers; ``values`` is alive while they are read
    raw = (ctypes.c_ssize_t * values.size).from_address(values.ctypes.data)
    pointers = np.frombuffer(memoryview(raw), dtype=np.intp).reshape(n, t_len)
    same = (pointers == pointers[:, :1]).reshape(-1)
    if same.all():
        return True
    rows = np.flatnonzero(~same)
    try:
        if len(rows) > len(values) // 16:  # distinct objects: each with the one before
            changes = np.append(values[1:] != values[:-1], True).reshape(n, t_len)
            return not changes[:, :-1].any()
        return bool((values[rows] == values[rows - rows % t_len]).all())
    except (TypeError, ValueError):  # ids whose comparison is not a bool (pd.NA)
        return False


def _arrow_rows_repeat_heads(array, t_len: int) -> bool:
    """:func:`_rows_repeat_heads` for an Arrow string or binary array (or chunked
    array of one chunk), from its offsets and bytes."""
    import pyarrow as pa  # (there: the column is one)

    if isinstance(array, pa.ChunkedArray):
        if array.num_chunks != 1:
            return False
        array = array.chunk(0)
    widths = {pa.string(): np.int32, pa.binary(): np.int32,
              pa.large_string(): np.int64, pa.large_binary(): np.int64}
    if array.null_count or array.type not in widths:
        return False
    width = np.dtype(widths[array.type])
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, dtype=width, count=len(array) + 1,
                            offset=array.offset * width.itemsize)
    data = np.zeros(0, np.uint8) if data is None else np.frombuffer(data, dtype=np.uint8)
    return _bytes_repeat_heads(offsets, data, t_len)


@numba.njit(cache=True)
def _bytes_repeat_heads(offsets, data, t_len):  # pragma: no cover (compiled)
    """Whether every row of an Arrow string array (row ``r`` is
    ``data[offsets[r]:offsets[r + 1]]``) has the bytes of the first row of its block
    of ``t_len`` rows: every length that of the first, then every byte that of the
    row before (no early exit inside a block, so that the loops vectorise)."""
    for head in range(0, offsets.shape[0] - 1, t_len):
        base = offsets[head]
        size = offsets[head + 1] - base
        block = offsets[head:head + t_len + 1]
        bad = 0
        for j in range(block.shape[0]):
            bad |= (block[j] - base) ^ (j * size)
        if bad:
            return False
        rows, before = data[base + size:base + t_len * size], data[base:base + (t_len - 1) * size]
        diff = 0
        for k in range(rows.shape[0]):
            diff |= rows[k] ^ before[k]
        if diff:
            return False
    return True


def sku_codes_of(sku: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``(codes, skus)``: the sorted distinct SKU ids and each row's position among them
    (``pd.factorize(sku, sort=True)``, faster for the usual layouts).

    A categorical column gives its codes; an object column whose SKUs come in runs
    (each SKU's rows together, as :func:`demand_series` and most exports write them)
    is read run by run: one comparison of neighbours instead of a hash per row."""
    if isinstance(sku.dtype, pd.CategoricalDtype):
        codes, cats = sku.cat.codes.to_numpy(), sku.cat.categories
        if (codes >= 0).all() and cats.is_monotonic_increasing \
                and (np.bincount(codes, minlength=len(cats)) > 0).all():
            return codes.astype(np.int64), pd.Index(cats)  # sorted and all used: as they are
        if (codes >= 0).all():
            order = np.argsort(cats.to_numpy(), kind="stable")
            rank = np.empty(len(cats), np.int64)
            rank[order] = np.arange(len(cats))
            used = np.zeros(len(cats), bool)
            used[codes] = True
            new = np.cumsum(used[order]) - 1  # sorted position among the used ids
            return new[rank[codes]], pd.Index(cats[order][used[order]])
    if sku.dtype == object and len(sku) > 1:  # (string dtypes factorize fast as they are)
        values = sku.to_numpy()
        starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
        runs = pd.Index(values[starts])
        if runs.is_unique and not runs.hasnans and runs.inferred_type == "string":
            order = runs.argsort()
            rank = np.empty(len(runs), np.int64)
            rank[order] = np.arange(len(runs))
            return np.repeat(rank, np.diff(np.append(starts, len(values)))), runs[order]
    codes, uniques = pd.factorize(sku, sort=True)
    return codes, pd.Index(uniques)


OFF_CALENDAR, DUPLICATE = 1, 2


def _i8(index: pd.DatetimeIndex) -> np.ndarray:
    """The index's int64 values (``asi8``, which pandas-stubs does not declare)."""
    return index.asi8  # type: ignore[attr-defined]


def _calendar_steps(date: pd.Series, calendar: pd.DatetimeIndex
                    ) -> tuple[np.ndarray, int, int]:
    """``(stamps, origin, step)`` for :func:`_fill_panel`: the dates as integers, the
    calendar's first and its step when it has a fixed one (days, weeks); otherwise
    (months) each date's period number already looked up (-1 off the calendar),
    origin 0 and step 0."""
    stamps = pd.DatetimeIndex(date)
    steps = np.diff(_i8(calendar))
    if (len(steps) == 0 or (steps != steps[0]).any() or stamps.tz != calendar.tz
            or stamps.unit != calendar.unit):
        return calendar.get_indexer(stamps).astype(np.int64), 0, 0
    return _i8(stamps), int(_i8(calendar)[0]), int(steps[0])


@numba.njit(cache=True)
def _fill_panel(codes, stamps, origin, step, demand, values):  # pragma: no cover (compiled)
    """Write each row's demand into ``values[sku, period]`` (a NaN demand leaves the
    period missing); the period is ``(stamp − origin) / step``, or ``stamps`` itself
    when ``step`` is 0. Returns ``(problem, row, filled, first)``: ``problem``
    :data:`OFF_CALENDAR` or :data:`DUPLICATE` at ``row`` (0 when none), and per SKU the
    periods filled and the first of them (``n_time`` if none)."""
    n, n_time = values.shape
    filled = np.zeros(n, np.int64)
    first = np.full(n, n_time, np.int64)
    for r in range(codes.shape[0]):
        if step > 0:
            offset = stamps[r] - origin
            t = offset // step
            if t * step != offset:
                return OFF_CALENDAR, r, filled, first
        else:
            t = stamps[r]
        if t < 0 or t >= n_time:
            return OFF_CALENDAR, r, filled, first
        v = demand[r]
        if v != v:  # NaN: a missing period
            continue
        c = codes[r]
        if values[c, t] == values[c, t]:
            return DUPLICATE, r, filled, first
        values[c, t] = v
        filled[c] += 1
        first[c] = min(first[c], t)
    return 0, 0, filled, first


def future_dates(panel: Panel, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` periods after the panel's last date."""
    return pd.date_range(panel.dates[-1], periods=horizon + 1, freq=panel.freq)[1:]
