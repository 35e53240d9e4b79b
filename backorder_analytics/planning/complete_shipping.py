"""New backorders under complete shipping, for :func:`~backorder_analytics.backorder_risk`.

Under ``shipping="complete"`` (DESIGN.md §4, as :func:`~backorder_analytics.replay` and
:func:`~backorder_analytics.example_dataset` ship) a line ships only whole, and the
queue is served in allocation order, ``(priority, arrival)`` or arrival alone, without
overtaking: after a receipt the lines at its head ship while the stock covers the head
line; the first that it does not cover blocks every line behind it, and the stock stays
on hand. A new line ships at once when it would head the queue — no waiting line comes
before it: under ``"priority"`` every waiting line has a worse (higher) priority, under
``"fifo"`` none waits — and the stock covers it. Otherwise all its units are
backordered and it joins the queue.

Within one priority the queue is first come, first served, so it is kept as one
sequence of lines per SKU × replication × priority level with two pointers: the lines
arrived and the lines shipped. A receipt ships, level by level, the longest run of
waiting lines whose cumulative size fits the stock (a ``searchsorted`` on the running
total of sizes); a new line ships when no level up to its own has a waiting line. The
days are looped over and, within a day, the lines by their rank in the day, each step
vectorised across SKUs and replications.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..simulation.replay_result import ReplayResult
from ..streams import sku_rng

__all__ = ["priority_levels", "draw_levels", "complete_shipping_backorders"]


def priority_levels(rep: ReplayResult | None, skus: pd.Index, allocation: str | None
                    ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """The queue at the replay's end and each SKU's mix of priority levels.

    Levels number the distinct priorities of the replayed lines from 0 (the one
    served first); under ``"fifo"`` every line is of level 0.

    Returns
    -------
    waiting : (row, level, size)
        The lines still open at the replay's end [units open], by SKU (``row`` its
        position in ``skus``) and arrival.
    shares : numpy.ndarray, shape (len(skus), n_levels)
        Share of each level among the SKU's lines; a SKU without any has its new lines
        all of one level (first come, first served among them), so that no SKU's
        figures depend on the other SKUs in the call.
    """
    lines = rep.lines if rep is not None else pd.DataFrame(
        {"sku": [], "priority": [], "open": [], "order_date": pd.to_datetime([])})
    lines = lines[lines["sku"].isin(skus).to_numpy()]
    if allocation == "priority":
        values, level = np.unique(lines["priority"].to_numpy(np.int64), return_inverse=True)
    else:
        values, level = np.zeros(1), np.zeros(len(lines), np.int64)
    row = skus.get_indexer(pd.Index(lines["sku"]))
    counts = np.zeros((len(skus), max(len(values), 1)))
    np.add.at(counts, (row, level), 1.0)
    counts[counts.sum(1) == 0, 0] = 1.0
    shares = counts / counts.sum(1, keepdims=True)
    is_open = lines["open"].to_numpy(np.int64) > 0
    order = np.lexsort((lines["order_date"].to_numpy()[is_open], row[is_open]))  # stable
    waiting = (row[is_open][order], level[is_open][order],
               lines["open"].to_numpy(np.int64)[is_open][order])
    return waiting, shares


def draw_levels(shares: np.ndarray, row: np.ndarray, skus, seed: int) -> np.ndarray:
    """A priority level for each new line, of SKU ``row`` (rows sorted), from the SKU's
    ``shares`` and its own stream: the lines of one SKU take consecutive uniforms."""
    level = np.zeros(len(row), np.int64)
    if shares.shape[1] == 1:
        return level
    bounds = np.searchsorted(row, np.arange(len(shares) + 1))
    for j in np.flatnonzero(np.diff(bounds)):
        u = sku_rng(seed, skus[j], "risk_priority").random(bounds[j + 1] - bounds[j])
        level[bounds[j]:bounds[j + 1]] = np.searchsorted(np.cumsum(shares[j])[:-1], u,
                                                         side="right")
    return level


def complete_shipping_backorders(on_hand: np.ndarray, receipts: np.ndarray,
                                 waiting: tuple[np.ndarray, np.ndarray, np.ndarray],
                                 lines: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                                 n_levels: int) -> tuple[np.ndarray, np.ndarray]:
    """Units and lines of new demand not shipped at once, under complete shipping.

    Parameters
    ----------
    on_hand : numpy.ndarray of int, shape (k,)
        Stock on hand at the start [units], per SKU.
    receipts : numpy.ndarray of int, shape (k, n, h)
        Units received at the start of each day, per SKU and replication.
    waiting : (row, level, size)
        Lines waiting at the start, SKU ``row`` in ``range(k)``, by SKU then arrival;
        the same in every replication.
    lines : (cell, day, level, size)
        New lines, ``cell = row · n + replication``, sorted by cell, day and arrival.
    n_levels : int
        Priority levels; lower is served first.

    Returns
    -------
    short : numpy.ndarray of int, shape (k, n, h)
        Units of the day's new lines not shipped at once [units].
    hit : numpy.ndarray of int, shape (k, n)
        New lines not shipped at once.

    Examples
    --------
    5 on hand, a line of 8 at level 1 waiting. Day 1: a line of 3 at level 0 ships past
    it (2 left), one of 1 at level 1 waits behind it. Day 2: 10 arrive, the 8 and the 1
    ship (3 left); a new line of 4 does not fit.

    >>> short, hit = complete_shipping_backorders(
    ...     np.array([5]), np.array([[[0, 10]]]), (np.array([0]), np.array([1]), np.array([8])),
    ...     (np.zeros(3, int), np.array([0, 0, 1]), np.array([0, 1, 1]), np.array([3, 1, 4])),
    ...     n_levels=2)
    >>> short.tolist(), hit.tolist()
    ([[[1, 4]]], [[2]])
    """
    k, n, h = receipts.shape
    cells = k * n
    w_row, w_level, w_size = waiting
    rep = np.arange(n)
    w_cell = (w_row[:, None] * n + rep).ravel()
    cell = np.concatenate([w_cell, lines[0]])
    level = np.concatenate([np.repeat(w_level, n), lines[2]])
    size = np.concatenate([np.repeat(w_size, n), lines[3]])
    day = np.concatenate([np.full(len(w_cell), -1), lines[1]])
    # each level's lines of a cell in a row, in arrival order (the waiting ones first)
    by_level = np.lexsort((day, cell, level))
    total = np.concatenate([[0], np.cumsum(size[by_level])])  # sizes before a position
    first = np.searchsorted(level[by_level] * cells + cell[by_level],
                            np.arange(n_levels * cells)).reshape(n_levels, cells)
    shipped = first.copy()  # next line to ship, per level and cell
    arrived = first.copy()  # next line to arrive
    np.add.at(arrived, (level[:len(w_cell)], w_cell), 1)
    stock = np.repeat(np.asarray(on_hand, np.int64), n)

    # the new lines step by step: by day, then by rank within the cell's day
    cell_day = lines[0] * h + lines[1]
    rank = np.arange(len(cell_day)) - np.searchsorted(cell_day, cell_day, side="left")
    step = np.lexsort((rank, lines[1]))
    step_key = lines[1][step] * (len(step) + 1) + rank[step]
    edges = np.flatnonzero(np.diff(step_key, prepend=-1, append=-2))
    starts, ends = edges[:-1], edges[1:]
    day_steps = np.searchsorted(starts, np.searchsorted(lines[1][step], np.arange(h + 1)))
    at_once = np.zeros(len(step), bool)
    for t in range(h):
        stock += receipts[:, :, t].ravel()
        blocked = np.zeros(cells, bool)
        for head in range(n_levels):  # ship the head of the queue while it fits
            s, a = shipped[head], arrived[head]
            fit = np.searchsorted(total, total[s] + stock, side="right") - 1
            end = np.where(blocked, s, np.minimum(fit, a))
            stock -= total[end] - total[s]
            shipped[head] = end
            blocked |= end < a
        for g in range(day_steps[t], day_steps[t + 1]):  # one line per cell at a step
            i = step[starts[g]:ends[g]]
            c, lv, q = lines[0][i], lines[2][i], lines[3][i]
            ahead = np.cumsum(arrived[:, c] > shipped[:, c], axis=0)[lv, np.arange(len(i))]
            ok = (ahead == 0) & (q <= stock[c])
            arrived[lv, c] += 1
            shipped[lv, c] += ok
            stock[c] -= np.where(ok, q, 0)
            at_once[i] = ok
    late = ~at_once
    short = np.bincount(cell_day, np.where(late, lines[3], 0), cells * h)
    hit = np.bincount(lines[0], late, cells)
    return short.astype(np.int64).reshape(k, n, h), hit.astype(np.int64).reshape(k, n)
