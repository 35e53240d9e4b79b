"""Random streams keyed on the SKU: the same SKU gets the same numbers in any call.

Every Monte Carlo step draws a SKU's random numbers from its own generator,
``numpy.random.default_rng([seed, crc32(sku), stream])``, never from a generator shared
by the SKUs of a call. So a SKU's results do not depend on which other SKUs are in the
call, on their order, or on how the SKUs are split into partitions (DESIGN.md §8): the
contract that lets a run on one core and a run on a cluster give the same numbers.
``stream`` separates the purposes within one step (demand paths, PO arrivals, lead
times of new orders...), so that drawing more of one never shifts another.

Creating a generator costs about 20 µs, and a SKU's draws are thousands of numbers at
once, so the per-SKU loop here costs a few per cent of the draws themselves.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["sku_key", "sku_rng", "sku_rngs", "row_uniforms"]

STREAMS = {
    "safety_stock": 1, "eta_po": 2, "eta_lead": 3, "eta_demand": 4, "risk_po": 5,
    "risk_lead": 6, "risk_demand": 7, "risk_round": 8, "risk_lines": 9, "risk_priority": 10,
}
"""Stream numbers by purpose. ``None`` is the SKU's base stream
``default_rng([seed, crc32(sku)])``: the forecast's sample paths
(:mod:`backorder_analytics.forecasting.probabilistic`)."""


def sku_key(sku: Any) -> int:
    """A SKU's 32-bit key: CRC-32 of its text (stable across runs and machines).

    >>> sku_key("SKU-0001")
    3343733702
    """
    return zlib.crc32(str(sku).encode())


def sku_rng(seed: int, sku: Any, stream: str | None = None) -> np.random.Generator:
    """The generator of one SKU for one purpose.

    >>> a = sku_rng(0, "A", "eta_po").random()
    >>> a == sku_rng(0, "A", "eta_po").random(), a == sku_rng(0, "B", "eta_po").random()
    (True, False)
    """
    entropy = [int(seed), sku_key(sku)]
    if stream is not None:
        entropy.append(STREAMS[stream])
    return np.random.default_rng(entropy)


def sku_rngs(seed: int, skus: Iterable[Any], stream: str | None = None
             ) -> list[np.random.Generator]:
    """One generator per SKU of ``skus`` (see :func:`sku_rng`)."""
    return [sku_rng(seed, s, stream) for s in skus]


def row_uniforms(seed: int, row_skus, stream: str, shape: tuple[int, ...]) -> np.ndarray:
    """Uniforms of shape ``shape`` for every row of a table (an open PO, say), from the
    stream of the row's SKU: the rows of one SKU take consecutive draws, in table
    order. Returns (n_rows, *shape).

    >>> u = row_uniforms(0, ["A", "B", "A"], "eta_po", (2,))
    >>> bool((u[[0, 2]] == sku_rng(0, "A", "eta_po").random((2, 2))).all())
    True
    """
    codes, skus = pd.factorize(pd.Series(row_skus), sort=True)
    out = np.empty((len(codes), *shape))
    for k, sku in enumerate(skus):
        rows = np.flatnonzero(codes == k)
        out[rows] = sku_rng(seed, sku, stream).random((len(rows), *shape))
    return out
