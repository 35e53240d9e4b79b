"""Results of disjoint sets of SKUs put together: what the ``concat`` of each result
type (ETAs, risk, alerts) shares, so that the results of the partitions of a
distributed call read as one call's (:mod:`backorder_analytics.distributed`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd

__all__ = ["concat_rows", "concat_notes"]

_COUNTED = re.compile(r"(\d+) (SKU\(s\) .*)", re.DOTALL)


def concat_rows(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The frames' rows as one, the empty ones left out (a part without rows can hold
    its columns in other types than the filled parts: object for float, say).

    >>> a = pd.DataFrame({"x": [1.5]})
    >>> concat_rows([pd.DataFrame({"x": pd.Series([], dtype=object)}), a]).dtypes["x"]
    dtype('float64')
    """
    return pd.concat([f for f in frames if len(f)] or list(frames[:1]))


def concat_notes(notes: Iterable[Sequence[str]]) -> list[str]:
    """The parts' notes, each once, in order; a note that counts SKUs ("3 SKU(s)
    without …") counts those of every part, as one call for all their SKUs does.

    >>> concat_notes([["2 SKU(s) without PO history", "shared"], ["1 SKU(s) without PO "
    ...               "history", "shared"]])
    ['3 SKU(s) without PO history', 'shared']
    """
    counts: dict[str, int | None] = {}
    for note in (n for part in notes for n in part):
        counted = _COUNTED.fullmatch(note)
        if counted is None:
            counts.setdefault(note, None)
        else:
            counts[counted[2]] = (counts.get(counted[2]) or 0) + int(counted[1])
    return [text if k is None else f"{k} {text}" for text, k in counts.items()]
