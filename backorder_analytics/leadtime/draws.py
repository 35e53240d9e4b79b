"""Lead times drawn fast, and given how long a PO has been open already.

A fitted distribution (:class:`~backorder_analytics.LeadTimeModel`) is tabulated once
at :data:`PROBABILITIES` (dense in the upper tail), and draws are its inverse CDF at
uniforms, linear between the tabulated quantiles (:func:`draw`): thousands of times
faster than a scipy ``ppf`` per draw, and exact at the tabulated points. An open PO of
age ``a`` takes a lead time given it exceeds ``a`` (:func:`draw_given`):
``F⁻¹(F(a) + (1 − F(a)) v)``. The uniforms come from the caller, from the SKU's own
random stream (:mod:`backorder_analytics.streams`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .model import LeadTimeModel

__all__ = ["PROBABILITIES", "quantile_table", "draw", "draw_given"]

PROBABILITIES = np.concatenate([np.linspace(0.0, 0.99, 1981),
                                1.0 - np.logspace(-2, -9, 141)[1:]])
"""Probabilities at which lead-time quantiles are tabulated (dense in the tail)."""
P99 = 1980
"""Index of the 0.99 quantile in :data:`PROBABILITIES`."""


def quantile_table(model: LeadTimeModel, groups: Sequence) -> np.ndarray:
    """Quantiles (n_groups, len(PROBABILITIES)) [days] of each group's lead time
    (:meth:`LeadTimeModel.distribution`; one ``ppf`` per distinct distribution),
    non-decreasing, with a finite top."""
    done: dict[int, np.ndarray] = {}
    rows = []
    for g in groups:
        dist = model.distribution(g)
        if id(dist) not in done:
            q = np.asarray(dist.ppf(PROBABILITIES), dtype=float)
            q = np.nan_to_num(q, nan=0.0, posinf=q[np.isfinite(q)].max())
            done[id(dist)] = np.maximum.accumulate(q)
        rows.append(done[id(dist)])
    return np.array(rows).reshape(len(groups), len(PROBABILITIES))


def draw(table: np.ndarray, g: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Lead times [days] of table rows ``g`` at probabilities ``u`` (inverse CDF, linear
    between the tabulated quantiles).

    >>> table = np.array([np.linspace(0.0, 10.0, len(PROBABILITIES))])
    >>> float(draw(table, np.array([0]), np.array([0.0]))[0])
    0.0
    """
    u = np.clip(u, 0.0, PROBABILITIES[-1])
    i = _cell(u)
    w = (u - PROBABILITIES[i]) / (PROBABILITIES[i + 1] - PROBABILITIES[i])
    return table[g, i] * (1 - w) + table[g, i + 1] * w


def _cell(u: np.ndarray) -> np.ndarray:
    """For ``u`` in [0, 1): the ``i`` with ``PROBABILITIES[i] <= u < PROBABILITIES[i + 1]``
    (at most ``len - 2``), as ``searchsorted(side="right") - 1`` finds it, without the
    search below 0.99, where the grid is even: the cell ``u`` falls in on a step of
    0.0005, corrected by one where rounding put ``u`` across an edge."""
    even = u < PROBABILITIES[P99]
    i = np.minimum((u * (P99 / PROBABILITIES[P99])).astype(np.int64), P99 - 1)
    i -= PROBABILITIES[i] > u
    i += PROBABILITIES[i + 1] <= u
    if not even.all():
        tail = ~even
        i[tail] = np.minimum(P99 + np.searchsorted(PROBABILITIES[P99:], u[tail],
                                                   side="right") - 1,
                             len(PROBABILITIES) - 2)
    return i


def draw_given(table: np.ndarray, g: np.ndarray, floor: np.ndarray,
               v: np.ndarray) -> np.ndarray:
    """Lead times [days] given they exceed ``floor`` (a PO's age), at uniforms ``v``:
    ``F⁻¹(F(floor) + (1 − F(floor)) v)``; past the table's last quantile, ``floor``
    plus ``F⁻¹(v)``."""
    lo = np.empty(len(g))
    for k in np.unique(g):
        lo[g == k] = np.interp(floor[g == k], table[k], PROBABILITIES, left=0.0, right=1.0)
    t = np.maximum(draw(table, g, lo + (1 - lo) * v), floor)
    beyond = lo >= PROBABILITIES[-1]
    if beyond.any():
        t[beyond] = floor[beyond] + draw(table, g[beyond], v[beyond])
    return t
