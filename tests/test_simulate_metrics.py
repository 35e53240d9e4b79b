"""The vectorised metrics (numba over the engine's flat arrays) against a plain
per-replication reference written here: one replication at a time, events sorted by
Python, the step function integrated interval by interval."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from backorder_analytics.simulation import BaseStock, PoissonDemand, ReorderPoint, simulate
from backorder_analytics.simulation.base import DemandStream, order_by_rep_time
from backorder_analytics.simulation.metrics import WAIT_QUANTILES, per_replication
from backorder_analytics.simulation.sources import _sorted_stream

PROMISE = (0.5, 2, 7)


def _net_reference(demand, raw, i0, r, warmup):
    """Average on hand and backorders over [warmup, horizon], cycles and stocked-out
    cycles of replication ``r``, by sorting its events and integrating the step
    function piece by piece."""
    h = demand.horizon
    events = []                          # (time, rank at an instant, change of net)
    for k in np.flatnonzero((raw.order_rep == r) & (raw.order_received <= h)):
        events.append((raw.order_received[k], 0, int(raw.order_qty[k])))
    mine = np.flatnonzero(demand.rep == r)
    for k in mine:
        events.append((demand.time[k], 1, -int(demand.qty[k])))
        if raw.cancelled[k] > 0 and raw.cancel_time[k] <= h:
            events.append((raw.cancel_time[k], 2, int(raw.cancelled[k])))
    events.sort(key=lambda e: (e[0], e[1]))
    net, t_prev, on, bo = int(i0[r]), 0.0, 0.0, 0.0
    receipt_instants, net_before = [], {}
    for t, rank, d in events:
        lo, hi = max(t_prev, warmup), min(t, h)
        if hi > lo:
            on += max(net, 0) * (hi - lo)
            bo += max(-net, 0) * (hi - lo)
        if rank == 0 and t not in net_before:
            receipt_instants.append(t)
            net_before[t] = net
        net += d
        t_prev = t
    lo = max(t_prev, warmup)
    on += max(net, 0) * (h - lo)
    bo += max(-net, 0) * (h - lo)
    cycles = [t for t in receipt_instants if t >= warmup]
    short = sum(net_before[t] < 0 for t in cycles)
    return on / (h - warmup), bo / (h - warmup), len(cycles), short


def _reference(demand, raw, i0, warmup):
    """Every metric of every replication, one replication at a time."""
    rows = []
    for r in range(demand.n_reps):
        k = (demand.rep == r) & (demand.time >= warmup)
        qty, served = demand.qty[k], raw.served_at_once[k]
        wait = raw.ship_time[k] - demand.time[k]
        done = np.isfinite(wait)
        w = wait[done]
        on, bo, cycles, short = _net_reference(demand, raw, i0, r, warmup)
        row = {"lines": k.sum(), "units": qty.sum(),
               "fill_rate": served.sum() / qty.sum() if k.any() else np.nan,
               "line_fill_rate": np.mean(served == qty) if k.any() else np.nan,
               "cycle_service_level": 1 - short / cycles if cycles else np.nan,
               "cycles": cycles, "expected_backorders": bo, "average_on_hand": on,
               "expected_wait": w.mean() if len(w) else np.nan,
               "expected_wait_backordered": (wait[done & (served < qty)].mean()
                                             if np.any(done & (served < qty)) else np.nan)}
        for q in WAIT_QUANTILES:
            row[f"wait_p{round(q * 100):d}"] = np.quantile(w, q) if len(w) else np.nan
        for d in PROMISE:
            row[f"p_wait_gt_{d:g}"] = np.mean(w > d) if len(w) else np.nan
        row["cancelled_lines"] = np.sum(raw.cancelled[k] > 0)
        row["cancelled_units"] = raw.cancelled[k].sum()
        row["open_lines_end"] = np.sum(~done & (raw.shipped[k] + raw.cancelled[k] < qty))
        row["orders"] = np.sum((raw.order_rep == r) & (raw.order_placed >= warmup))
        rows.append(row)
    return rows


CASES = {
    "base stock, gamma lead times, warm-up":
        dict(policy=BaseStock(12), demand=PoissonDemand(3.0), lead_time=stats.gamma(3),
             days=300, n_reps=4, warmup=20),
    "(r, Q), batches, crossing orders":
        dict(policy=ReorderPoint(6, 9), demand=PoissonDemand(2.0, size=[1, 2, 4]),
             lead_time=stats.expon(scale=4), days=250, n_reps=3),
    "event engine, cancellations, whole-day lead times":
        dict(policy=BaseStock(4), demand=PoissonDemand(2.0, size=[1, 3]),
             lead_time=[1.0, 2.0, 6.0], days=200, n_reps=3, max_wait_days=2.0, warmup=5),
    "a replication without lines":
        dict(policy=BaseStock(2), demand=PoissonDemand(0.004), lead_time=3.0, days=300,
             n_reps=4),
}


@pytest.mark.parametrize("case", list(CASES))
def test_per_replication_matches_plain_reference(case):
    kw = CASES[case]
    sim = simulate(**kw, promise_days=PROMISE, seed=11)
    i0 = np.full(sim.demand.n_reps, kw["policy"].initial_position())
    warmup = kw.get("warmup", 0.0)
    per_rep, _ = per_replication(sim.demand, sim.raw, i0, warmup=warmup, promise_days=PROMISE)
    ref = _reference(sim.demand, sim.raw, i0, warmup)
    assert list(per_rep.columns) == list(ref[0])
    for r, row in enumerate(ref):
        for name, want in row.items():
            np.testing.assert_allclose(per_rep.loc[r, name], want, rtol=1e-12, atol=1e-12,
                                       err_msg=f"{case}: {name} of replication {r}")


def test_order_by_rep_time_is_a_stable_sort():
    rng = np.random.default_rng(3)
    rep = np.sort(rng.integers(0, 5, 400))
    time = rng.integers(0, 30, 400).astype(float)      # many ties
    np.testing.assert_array_equal(order_by_rep_time(rep, time, 5), np.lexsort((time, rep)))
    shuffled = rng.permutation(400)                    # reps out of order: one lexsort
    np.testing.assert_array_equal(order_by_rep_time(rep[shuffled], time[shuffled], 5),
                                  np.lexsort((time[shuffled], rep[shuffled])))
    done = np.lexsort((time, rep))
    assert order_by_rep_time(rep[done], time[done], 5) is None


@pytest.mark.parametrize("constant", [True, False])
def test_sorted_stream_is_a_stable_sort_within_reps(constant):
    rng = np.random.default_rng(4)
    rep = np.sort(rng.integers(0, 4, 300))
    time = rng.integers(0, 20, 300).astype(float)
    qty = np.full(300, 2) if constant else rng.integers(1, 5, 300)
    got = _sorted_stream(rep, time, qty, 4, 20.0)
    perm = np.lexsort((time, rep))
    want = DemandStream(rep=rep[perm], time=time[perm], qty=qty[perm], n_reps=4, horizon=20.0)
    for name in ("rep", "time", "qty"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
