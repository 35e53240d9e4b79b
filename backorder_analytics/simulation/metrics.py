"""Service metrics per replication from an engine's result (DESIGN.md §4–§5).

Pure functions of a :class:`~.base.DemandStream`, an :class:`~.base.EngineResult` and
the opening stock, so both engines are measured the same way. Everything is over the
lines ordered at or after ``warmup`` and, for time averages, over ``[warmup, horizon]``.

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

import numpy as np
import pandas as pd
from scipy import stats

from .base import DemandStream, EngineResult

__all__ = ["per_replication", "time_averages", "summarise", "WAIT_QUANTILES"]

WAIT_QUANTILES = (0.5, 0.9, 0.95, 0.99)


def _keys(rep: np.ndarray, t: np.ndarray, span: float) -> np.ndarray:
    """Sortable float keys ``rep·span + t`` (ties are kept; only near-ties of about
    1e-11 day may merge, which does not matter for the metrics here)."""
    return rep * span + t


def _net_path(demand: DemandStream, result: EngineResult, initial_on_hand):
    """Events of every replication sorted by ``(rep, time)`` — receipts first at an
    instant — with the net inventory just before and just after each event.

    ``net(t) = opening + received(t) − demanded(t) + cancelled(t)`` [units]; receipts
    after the horizon are left out.
    """
    n, h = demand.n_reps, float(demand.horizon)
    i0 = np.broadcast_to(np.asarray(initial_on_hand, dtype=np.float64), (n,))
    got = result.order_received <= h
    canc = (result.cancelled > 0) & (result.cancel_time <= h)
    rep = np.concatenate([result.order_rep[got], demand.rep, demand.rep[canc]])
    t = np.concatenate([result.order_received[got], demand.time, result.cancel_time[canc]])
    d = np.concatenate([result.order_qty[got], -demand.qty, result.cancelled[canc]])
    is_receipt = np.zeros(len(rep), bool)
    is_receipt[:int(got.sum())] = True
    order = np.argsort(_keys(rep, t, h + 1.0), kind="stable")
    rep, t, d, is_receipt = rep[order], t[order], d[order].astype(np.float64), is_receipt[order]
    counts = np.bincount(rep, minlength=n)
    starts = np.concatenate(([0], np.cumsum(counts)))
    cum = np.concatenate(([0.0], np.cumsum(d)))
    after = i0[rep] + cum[1:] - cum[starts[:-1]][rep]
    before = after - d
    return {"rep": rep, "time": t, "after": after, "before": before,
            "is_receipt": is_receipt, "counts": counts, "starts": starts, "i0": i0}


def time_averages(demand: DemandStream, result: EngineResult, initial_on_hand,
                  start: float = 0.0, path: dict | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Average on hand and average backorders [units] of each replication over
    ``[start, horizon]``, from the step function
    ``net(t) = opening + received(t) − demanded(t) + cancelled(t)``.

    Returns
    -------
    on_hand, backorders : numpy.ndarray, shape (n_reps,)
    """
    n, h = demand.n_reps, float(demand.horizon)
    p = _net_path(demand, result, initial_on_hand) if path is None else path
    rep, counts, starts, i0 = p["rep"], p["counts"], p["starts"], p["i0"]
    t = np.clip(p["time"], start, h)
    last = np.zeros(len(rep), bool)
    last[starts[1:][counts > 0] - 1] = True
    nxt = np.where(last, h, np.concatenate([t[1:], [h]]))
    dt = nxt - t
    first = np.full(n, h)
    first[counts > 0] = t[starts[:-1][counts > 0]]
    span = h - start
    net = p["after"]
    on = (i0 * (first - start) + np.bincount(rep, np.maximum(net, 0) * dt, n)) / span
    bo = np.bincount(rep, np.maximum(-net, 0) * dt, n) / span
    return on, bo


def _cycles(path: dict, n: int, warmup: float) -> tuple[np.ndarray, np.ndarray]:
    """Replenishment cycles (receipt instants in ``[warmup, horizon]``) per replication,
    and how many of them ended with customers waiting (a stock-out in the cycle)."""
    rep, t, rec = path["rep"], path["time"], path["is_receipt"]
    first = rec.copy()  # the first receipt of its instant: receipts come first
    first[1:] &= (rep[1:] != rep[:-1]) | (t[1:] != t[:-1])
    first &= t >= warmup
    cycles = np.bincount(rep[first], minlength=n)
    short = np.bincount(rep[first & (path["before"] < 0)], minlength=n)
    return cycles, short


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
    keep = demand.time >= warmup
    rep, qty = demand.rep[keep], demand.qty[keep]
    served = result.served_at_once[keep]
    wait = result.ship_time[keep] - demand.time[keep]
    done = np.isfinite(wait)
    cancelled = result.cancelled[keep]

    def total(w, mask=None):
        m = np.ones(len(rep), bool) if mask is None else mask
        return np.bincount(rep[m], weights=None if w is None else w[m], minlength=n)

    with np.errstate(invalid="ignore", divide="ignore"):
        lines = total(None)
        units = total(qty.astype(float))
        out = {"lines": lines, "units": units,
               "fill_rate": total(served.astype(float)) / units,
               "line_fill_rate": total(None, served == qty) / lines}
        path = _net_path(demand, result, initial_on_hand)
        cycles, stocked_out = _cycles(path, n, warmup)
        out["cycle_service_level"] = 1.0 - stocked_out / cycles
        out["cycles"] = cycles
        on, bo = time_averages(demand, result, initial_on_hand, start=warmup, path=path)
        out["expected_backorders"], out["average_on_hand"] = bo, on
        n_done = total(None, done)
        out["expected_wait"] = total(np.where(done, wait, 0.0), done) / n_done
        bo_done = done & (served < qty)
        out["expected_wait_backordered"] = total(np.where(done, wait, 0.0), bo_done) \
            / total(None, bo_done)
        frame = pd.DataFrame({"rep": rep[done], "wait": wait[done]})
        by_rep = frame.groupby("rep")["wait"].quantile(np.array(WAIT_QUANTILES))
        qs = (by_rep.unstack() if len(by_rep) else pd.DataFrame()).reindex(
            index=range(n), columns=list(WAIT_QUANTILES))
        for q in WAIT_QUANTILES:
            out[f"wait_p{round(q * 100):d}"] = qs[q].to_numpy(float)
        for d in promise_days:
            out[f"p_wait_gt_{d:g}"] = total(None, done & (wait > d)) / n_done
        out["cancelled_lines"] = total(None, cancelled > 0)
        out["cancelled_units"] = total(cancelled.astype(float))
        out["open_lines_end"] = total(None, ~done & (result.shipped[keep] + cancelled < qty))
        out["orders"] = np.bincount(result.order_rep[result.order_placed >= warmup],
                                    minlength=n)
    per_rep = pd.DataFrame(out, index=pd.RangeIndex(n, name="rep"))
    per_line = {"rep": rep, "time": demand.time[keep], "qty": qty, "served_at_once": served,
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
