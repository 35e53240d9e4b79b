"""Service metrics per replication from an engine's result (DESIGN.md §4–§5).

Pure functions of a :class:`~.base.DemandStream`, an :class:`~.base.EngineResult` and
the opening stock, so both engines are measured the same way. Everything is over the
lines ordered at or after ``warmup`` and, for time averages, over ``[warmup, horizon]``.
They read the engine's flat arrays in compiled passes (numba): one over the lines
(counts, sums of waits), one walk per replication over its receipts, lines and
cancellations in time order (time averages, cycles), and a sort per replication of the
known waits (quantiles).

Definitions (per replication; ``summarise`` then averages over replications):

* ``fill_rate`` — units served at once / units ordered (type 2, β service);
* ``line_fill_rate`` — share of lines served in full at once;
* ``cycle_service_level`` — share of replenishment cycles without a stock-out (type 1,
  α service). A cycle ends at a receipt: it runs from one receipt instant to the next,
  and no stock arrives inside it, so a line that was short in the cycle is still
  waiting at its end; the cycle had a stock-out exactly when customers are waiting
  (net inventory < 0) just before the receipt. Receipts at one instant end one cycle;
  cycles ending in ``[warmup, horizon]`` count. This is Axsäter's S1 "probability of
  no stock-out per order cycle": ``P(D_L <= S − 1)`` for base stock, ``P(D_L <= r)``
  for ``(r, Q)`` with unit demand and ``P(D_{R+L} <= S)`` for ``(R, S)`` under a
  constant lead time. (Cycles between successive order *placements* would count a
  stock-out that spans a placement twice, and do not give these values.)
* ``expected_backorders``, ``average_on_hand`` — time averages [units];
* ``expected_wait`` — mean wait [days] of the lines, 0 for those served at once;
  ``expected_wait_backordered`` — of the lines not served in full at once;
  ``wait_p50 … wait_p99`` — quantiles [days]; ``p_wait_gt_<d>`` — P(wait > d days);
* ``cancelled_lines``, ``cancelled_units``; ``open_lines_end`` — lines still waiting at
  the horizon.

Waits are known only for lines that shipped in full by the horizon; lines still open at
the horizon (right-censored) and cancelled lines are left out of the wait figures (with
a warm-up and a long run they are a handful at the end).

References
----------
.. [1] Axsäter, S. (2015). *Inventory Control*, 3rd ed., Springer, §5.2 and §5.11
   (service levels S1, S2, S3; waiting times).
.. [2] Zipkin, P. H. (2000). *Foundations of Inventory Management*, McGraw-Hill, §6.2.
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
from scipy import stats

from .base import DemandStream, EngineResult, order_by_rep_time, rep_bounds, rep_slices

__all__ = ["per_replication", "time_averages", "summarise", "WAIT_QUANTILES"]

WAIT_QUANTILES = (0.5, 0.9, 0.95, 0.99)


# ------------------------------------------------------------------- net inventory


def _events(rep, time, qty, n_reps: int, keep=None):
    """Events (all, or the ``keep``-ed ones) sorted by ``(rep, time)`` (stable; no copy
    when sorted already): bounds per replication (:func:`~.base.rep_bounds`), times
    [days] and quantities [units]."""
    if keep is not None:
        rep, time, qty = rep[keep], time[keep], qty[keep]
    perm = order_by_rep_time(rep, time, n_reps)
    if perm is not None:
        rep, time, qty = rep[perm], time[perm], qty[perm]
    return rep_bounds(rep, n_reps), time, qty.astype(np.int64)


@numba.njit(cache=True)
def area_step(on, bo, net, dt):
    """Add ``dt`` days at net inventory ``net`` [units] to the on-hand and backorder
    integrals ``on`` and ``bo`` [unit·days]."""
    return on + max(net, 0) * dt, bo + max(-net, 0) * dt


@numba.njit(cache=True)
def _next_event(ts, bounds, pos, r, horizon):
    """Time [days] of the next unread event of one kind in replication ``r``; ``inf`` when
    all are read or the rest come after the horizon."""
    return ts[pos] if pos < bounds[r + 1] and ts[pos] <= horizon else np.inf


@numba.njit(cache=True)
def _walk_net(i0, receipts, demand, cancels, start, horizon):
    """Walk each replication's events in time order — receipts first, then demand
    lines, then cancellations at one instant — following the net inventory
    ``net = opening + received − demanded + cancelled`` [units].

    ``receipts``, ``demand`` and ``cancels`` are ``(bounds, time, qty)`` as from
    :func:`_events`; events after the horizon are left out. Returns per replication:

    * ``on_area``, ``bo_area`` — integrals of ``max(net, 0)`` and ``max(−net, 0)``
      over ``[start, horizon]`` [unit·days] (event times clipped to that window);
    * ``cycles`` — receipt instants in ``[start, horizon]``; ``short`` — those with
      ``net < 0`` just before them (the cycle ending there had a stock-out).
    """
    n = len(i0)
    on_area, bo_area = np.zeros(n), np.zeros(n)
    cycles, short = np.zeros(n, np.int64), np.zeros(n, np.int64)
    rec_b, rec_t, rec_q = receipts
    dem_b, dem_t, dem_q = demand
    can_b, can_t, can_q = cancels
    for r in range(n):
        i, j, k = rec_b[r], dem_b[r], can_b[r]
        t_rec, t_dem, t_can = (_next_event(rec_t, rec_b, i, r, horizon),
                               _next_event(dem_t, dem_b, j, r, horizon),
                               _next_event(can_t, can_b, k, r, horizon))
        first = min(max(min(t_rec, t_dem, t_can), start), horizon)  # clipped, first event
        net, on, bo = i0[r], 0.0, 0.0
        t_prev, c_prev = np.nan, first   # raw and clipped time of the previous event
        while min(t_rec, t_dem, t_can) < np.inf:
            receipt = t_rec <= t_dem and t_rec <= t_can
            if receipt:
                t, d = t_rec, rec_q[i]
                i += 1
                t_rec = _next_event(rec_t, rec_b, i, r, horizon)
            elif t_dem <= t_can:
                t, d = t_dem, -dem_q[j]
                j += 1
                t_dem = _next_event(dem_t, dem_b, j, r, horizon)
            else:
                t, d = t_can, can_q[k]
                k += 1
                t_can = _next_event(can_t, can_b, k, r, horizon)
            c = min(max(t, start), horizon)
            on, bo = area_step(on, bo, net, c - c_prev)
            if receipt and t != t_prev and t >= start:   # first receipt of its instant
                cycles[r] += 1
                short[r] += net < 0
            net += d
            t_prev, c_prev = t, c
        on, bo = area_step(on, bo, net, horizon - c_prev)
        on_area[r] = i0[r] * (first - start) + on
        bo_area[r] = bo
    return on_area, bo_area, cycles, short


def _net_walk(demand: DemandStream, result: EngineResult, initial_on_hand, start: float):
    """:func:`_walk_net` on an engine's result. Returns ``on_area, bo_area, cycles,
    short``."""
    n, h = demand.n_reps, float(demand.horizon)
    i0 = np.broadcast_to(np.asarray(initial_on_hand), (n,)).astype(np.int64)
    receipts = _events(result.order_rep, result.order_received, result.order_qty, n)
    lines = (demand.bounds(), demand.time, demand.qty)
    cancels = _events(demand.rep, result.cancel_time, result.cancelled, n,
                      keep=result.cancelled > 0)
    return _walk_net(i0, receipts, lines, cancels, float(start), h)


def time_averages(demand: DemandStream, result: EngineResult, initial_on_hand,
                  start: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Average on hand and average backorders [units] of each replication over
    ``[start, horizon]``, from the step function
    ``net(t) = opening + received(t) − demanded(t) + cancelled(t)``.

    Returns
    -------
    on_hand, backorders : numpy.ndarray, shape (n_reps,)
    """
    on, bo, _, _ = _net_walk(demand, result, initial_on_hand, start)
    span = float(demand.horizon) - start
    return on / span, bo / span


# ------------------------------------------------------------------- lines

LINE_SUMS = ("lines", "units", "served", "full", "done", "wait", "backordered",
             "wait_backordered", "cancelled_lines", "cancelled_units", "open")
"""Columns of :func:`_line_sums`, then one ``waited_more_than_d`` per promise day."""
(_LINES, _UNITS, _SERVED, _FULL, _DONE, _WAIT, _BACKORDERED, _WAIT_BACKORDERED,
 _CANCELLED_LINES, _CANCELLED_UNITS, _OPEN) = range(len(LINE_SUMS))


@numba.njit(cache=True)
def _line_sums(bounds, time, warmup, qty, served, ship_time, shipped, cancelled,
               promise_days):
    """Per replication ``r``, over its lines (``bounds[r]:bounds[r+1]``) ordered at or
    after ``warmup`` [days], in :data:`LINE_SUMS` order: lines; units ordered; units
    served at once; lines served in full at once; lines with a known wait
    (``ship_time − time`` finite) and the sum of those waits [days]; those of them not
    served in full at once and the sum of their waits [days]; cancelled lines and units;
    lines still open (neither shipped nor cancelled in full); then per promise day
    ``d`` the lines with a known wait ``> d``. Sums run in line order."""
    n, m = len(bounds) - 1, len(promise_days)
    out = np.zeros((n, len(LINE_SUMS) + m))
    for r in range(n):
        s = out[r]
        for i in range(bounds[r], bounds[r + 1]):
            if time[i] < warmup:
                continue
            wait = ship_time[i] - time[i]
            s[_LINES] += 1
            s[_UNITS] += qty[i]
            s[_SERVED] += served[i]
            s[_FULL] += served[i] == qty[i]
            s[_CANCELLED_LINES] += cancelled[i] > 0
            s[_CANCELLED_UNITS] += cancelled[i]
            if np.isfinite(wait):
                s[_DONE] += 1
                s[_WAIT] += wait
                if served[i] < qty[i]:
                    s[_BACKORDERED] += 1
                    s[_WAIT_BACKORDERED] += wait
                for p in range(m):
                    s[len(LINE_SUMS) + p] += wait > promise_days[p]
            elif shipped[i] + cancelled[i] < qty[i]:
                s[_OPEN] += 1
    return out


def _quantiles(bounds: np.ndarray, values: np.ndarray, qs) -> np.ndarray:
    """Quantiles of each replication's values (``values[bounds[r]:bounds[r+1]]``, sorted
    here in place), linear interpolation between order statistics as pandas computes
    it: ``v[i] + (v[i+1] − v[i])·f`` with ``i + f = q·(m − 1)``; NaN with no values.

    Returns shape ``(n_reps, len(qs))``."""
    m = np.diff(bounds)[:, None]
    pos = np.asarray(qs, dtype=np.float64)[None, :] * (m - 1)
    if len(values) == 0:
        return np.full(pos.shape, np.nan)
    for run in rep_slices(bounds):
        values[run].sort()
    i = pos.astype(np.int64)
    frac = pos % 1
    at = np.minimum(bounds[:-1, None] + i, len(values) - 1)   # empty reps: any index
    lo, hi = values[at], values[np.minimum(at + 1, len(values) - 1)]
    out = np.where(frac == 0, lo, lo + (hi - lo) * frac)
    return np.where(m > 0, out, np.nan)


def per_replication(demand: DemandStream, result: EngineResult, initial_on_hand, *,
                    warmup: float = 0.0,
                    promise_days=(1, 3, 7, 14, 30)) -> tuple[pd.DataFrame, dict]:
    """Service metrics of each replication (see the module docstring).

    Parameters
    ----------
    demand : DemandStream
    result : EngineResult
    initial_on_hand : int or array_like
        Opening stock [units] the run started from.
    warmup : float, default 0
        Days left out at the start [days].
    promise_days : sequence of float
        ``d`` for the ``p_wait_gt_<d>`` columns [days].

    Returns
    -------
    per_rep : pandas.DataFrame
        One row per replication (index ``rep``).
    lines : dict of numpy.ndarray
        Per line ordered after ``warmup``: ``rep``, ``time``, ``qty``,
        ``served_at_once``, ``wait`` [days] (``nan`` if open or cancelled).
    """
    n = demand.n_reps
    sums = _line_sums(demand.bounds(), demand.time, float(warmup), demand.qty,
                      result.served_at_once, result.ship_time, result.shipped,
                      result.cancelled, np.asarray(promise_days, dtype=np.float64))
    tot = {name: sums[:, k] for k, name in enumerate(LINE_SUMS)}
    keep = demand.time >= warmup
    rep, time, qty = demand.rep[keep], demand.time[keep], demand.qty[keep]
    served = result.served_at_once[keep]
    wait = result.ship_time[keep] - time
    done = np.isfinite(wait)
    quantiles = _quantiles(rep_bounds(rep[done], n), wait[done], WAIT_QUANTILES)
    on_area, bo_area, cycles, stocked_out = _net_walk(demand, result, initial_on_hand, warmup)
    span = float(demand.horizon) - warmup
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {"lines": tot["lines"].astype(np.int64), "units": tot["units"],
               "fill_rate": tot["served"] / tot["units"],
               "line_fill_rate": tot["full"] / tot["lines"],
               "cycle_service_level": 1.0 - stocked_out / cycles,
               "cycles": cycles,
               "expected_backorders": bo_area / span,
               "average_on_hand": on_area / span,
               "expected_wait": tot["wait"] / tot["done"],
               "expected_wait_backordered": tot["wait_backordered"] / tot["backordered"]}
        for k, q in enumerate(WAIT_QUANTILES):
            out[f"wait_p{round(q * 100):d}"] = quantiles[:, k]
        for k, d in enumerate(promise_days):
            out[f"p_wait_gt_{d:g}"] = sums[:, len(LINE_SUMS) + k] / tot["done"]
    out["cancelled_lines"] = tot["cancelled_lines"].astype(np.int64)
    out["cancelled_units"] = tot["cancelled_units"]
    out["open_lines_end"] = tot["open"].astype(np.int64)
    out["orders"] = np.bincount(result.order_rep[result.order_placed >= warmup], minlength=n)
    per_rep = pd.DataFrame(out, index=pd.RangeIndex(n, name="rep"))
    per_line = {"rep": rep, "time": time, "qty": qty, "served_at_once": served,
                "wait": np.where(done, wait, np.nan)}
    return per_rep, per_line


def summarise(per_rep: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean, standard deviation and a t confidence interval across replications.

    Parameters
    ----------
    per_rep : pandas.DataFrame
        One row per replication, one column per metric.
    level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, mean, std, ci_low, ci_high, n_reps``; the interval is
        ``mean ± t_{(1+level)/2, n−1}·std/√n`` (NaN with one replication).
    """
    vals = per_rep.to_numpy(dtype=float)
    ok = np.isfinite(vals)
    cnt = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, vals, 0).sum(axis=0) / cnt
        var = np.where(ok, (vals - mean) ** 2, 0).sum(axis=0) / (cnt - 1)
        std = np.sqrt(var)
        half = stats.t.ppf(0.5 + level / 2, np.maximum(cnt - 1, 1)) * std / np.sqrt(cnt)
    half = np.where(cnt > 1, half, np.nan)
    return pd.DataFrame({"metric": per_rep.columns, "mean": mean,
                         "std": np.where(cnt > 1, std, np.nan),
                         "ci_low": mean - half, "ci_high": mean + half,
                         "n_reps": cnt})
