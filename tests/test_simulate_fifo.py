"""The fast FIFO engine against an independent event-by-event simulation.

The reference below is written from the contract in ``simulate/base.py`` and the review
conventions of ``simulate/fifo.py``, in plain Python: a heap of receipts, a FIFO queue
of backordered lines, the policy looked at after each line (continuous review) or at
``R, 2R, …`` (periodic review).
"""

from __future__ import annotations

import heapq
from collections import deque

import numpy as np
import pytest

from backorder_analytics.simulation import (
    BaseStock,
    MinMax,
    OrderUpTo,
    PoissonDemand,
    ReorderPoint,
    run_fifo,
    simulate,
)
from backorder_analytics.simulation.base import DemandStream
from backorder_analytics.simulation.fifo import max_orders


def reference_run(times, qtys, policy, lead, i0, horizon, sequential=False):
    """One replication, event by event. Returns per-line and per-order lists and the
    on-hand / backorder areas over [0, horizon]."""
    n = len(times)
    served, shipped = [0] * n, [0] * n
    ship = [np.inf] * n
    queue: deque = deque()  # [line, units still owed]
    heap: list = []
    state = {"on_hand": i0, "position": i0, "k": 0, "last": -np.inf, "t": 0.0,
             "net": i0, "on_area": 0.0, "bo_area": 0.0}
    orders = []

    def advance(t):
        dt = t - state["t"]
        state["on_area"] += max(state["net"], 0) * dt
        state["bo_area"] += max(-state["net"], 0) * dt
        state["t"] = t

    def place(t, q):
        a = t + lead[state["k"]]
        if sequential:
            a = max(a, state["last"])
            state["last"] = a
        heapq.heappush(heap, (a, state["k"], t, q))
        orders.append([t, q, a])
        state["k"] += 1
        state["position"] += q

    def receive(a, q):
        advance(a)
        state["net"] += q
        state["on_hand"] += q
        while queue and state["on_hand"] > 0:
            line = queue[0]
            take = min(line[1], state["on_hand"])
            line[1] -= take
            state["on_hand"] -= take
            shipped[line[0]] += take
            if line[1] == 0:
                ship[line[0]] = a
                queue.popleft()

    def receipts_before(t):
        # receipts first at an instant, except those ordered at that very instant
        while heap and (heap[0][0] < t or (heap[0][0] == t and heap[0][2] < t)):
            a, _, _, q = heapq.heappop(heap)
            receive(a, q)

    def review(t):
        pos = state["position"]
        if isinstance(policy, BaseStock | OrderUpTo) and pos < policy.S:
            place(t, policy.S - pos)
        elif isinstance(policy, ReorderPoint):
            while state["position"] <= policy.r:
                place(t, policy.Q)
        elif isinstance(policy, MinMax) and pos <= policy.s:
            place(t, policy.S - pos)

    events = [(t, 0, i) for i, t in enumerate(times)]
    if isinstance(policy, OrderUpTo):
        k = 1
        while k * policy.R <= horizon:
            events.append((k * policy.R, 1, -1))
            k += 1
    events.sort()
    for t, kind, i in events:
        receipts_before(t)
        advance(t)
        if kind == 1:
            review(t)
            continue
        q = int(qtys[i])
        take = min(q, state["on_hand"]) if not queue else 0
        state["on_hand"] -= take
        state["net"] -= q
        state["position"] -= q
        served[i] = shipped[i] = take
        if take == q:
            ship[i] = t
        else:
            queue.append([i, q - take])
        if not isinstance(policy, OrderUpTo):
            review(t)
    while heap and heap[0][0] <= horizon:
        a, _, _, q = heapq.heappop(heap)
        receive(a, q)
    advance(horizon)
    return {"served": served, "shipped": shipped, "ship": ship, "orders": orders,
            "on_area": state["on_area"], "bo_area": state["bo_area"], "net": state["net"]}


def random_case(seed, unit=False, grid=0.5, n_reps=3, horizon=40.0, rate=1.5):
    """Lines on a 0.5-day grid (so receipts and demand often coincide), batches of 1–4
    units unless ``unit``, lead times on the same grid (orders cross)."""
    rng = np.random.default_rng(seed)
    reps, times, qtys = [], [], []
    for r in range(n_reps):
        m = rng.poisson(rate * horizon)
        t = np.sort(rng.integers(0, int(horizon / grid) + 1, m) * grid)
        reps.append(np.full(m, r))
        times.append(t)
        qtys.append(np.ones(m, int) if unit else rng.integers(1, 5, m))
    demand = DemandStream(rep=np.concatenate(reps), time=np.concatenate(times),
                          qty=np.concatenate(qtys), n_reps=n_reps, horizon=horizon)
    lead = rng.integers(1, 13, (n_reps, 400)) * grid
    return demand, lead


POLICIES = [BaseStock(6), BaseStock(0), ReorderPoint(3, 5), ReorderPoint(-2, 4),
            OrderUpTo(2.0, 9), OrderUpTo(0.75, 4), MinMax(2, 7)]


def assert_matches_reference(demand, policy, lead, i0=None, sequential=False):
    res = run_fifo(demand, policy, lead, initial_on_hand=i0, sequential_supply=sequential)
    b = demand.bounds()
    start = policy.initial_position() if i0 is None else i0
    for r in range(demand.n_reps):
        sl = slice(b[r], b[r + 1])
        ref = reference_run(demand.time[sl], demand.qty[sl], policy, lead[r], start,
                            demand.horizon, sequential)
        np.testing.assert_array_equal(res.served_at_once[sl], ref["served"])
        np.testing.assert_array_equal(res.shipped[sl], ref["shipped"])
        np.testing.assert_array_equal(res.ship_time[sl], ref["ship"])
        mine = res.order_rep == r
        ref_orders = np.array(ref["orders"]).reshape(-1, 3)
        np.testing.assert_array_equal(res.order_placed[mine], ref_orders[:, 0])
        np.testing.assert_array_equal(res.order_qty[mine], ref_orders[:, 1])
        np.testing.assert_array_equal(res.order_received[mine], ref_orders[:, 2])
        assert res.on_hand_area[r] == pytest.approx(ref["on_area"], abs=1e-9)
        assert res.backorder_area[r] == pytest.approx(ref["bo_area"], abs=1e-9)
        assert res.on_hand_end[r] - res.backorders_end[r] == ref["net"]
    return res


@pytest.mark.parametrize("policy", POLICIES, ids=str)
@pytest.mark.parametrize("seed", range(12))
def test_matches_event_by_event_reference(policy, seed):
    demand, lead = random_case(seed, unit=isinstance(policy, MinMax))
    assert_matches_reference(demand, policy, lead)


@pytest.mark.parametrize("policy", [BaseStock(5), ReorderPoint(2, 4), OrderUpTo(1.5, 8)],
                         ids=str)
@pytest.mark.parametrize("seed", range(6))
def test_sequential_supply_matches_reference(policy, seed):
    demand, lead = random_case(100 + seed)
    res = assert_matches_reference(demand, policy, lead, sequential=True)
    for r in range(demand.n_reps):
        assert np.all(np.diff(res.order_received[res.order_rep == r]) >= 0)


@pytest.mark.parametrize("i0", [0, 3, 15])
@pytest.mark.parametrize("policy", [BaseStock(6), ReorderPoint(3, 5), OrderUpTo(2.0, 9)],
                         ids=str)
def test_other_opening_stock_matches_reference(policy, i0):
    demand, lead = random_case(7)
    assert_matches_reference(demand, policy, lead, i0=i0)


@pytest.mark.parametrize("policy", [BaseStock(3), ReorderPoint(1, 3), OrderUpTo(1.0, 5)],
                         ids=str)
def test_zero_lead_times_match_reference(policy):
    demand, lead = random_case(3)
    lead = np.where(np.random.default_rng(0).random(lead.shape) < 0.5, 0.0, lead)
    assert_matches_reference(demand, policy, lead)


def test_continuous_times_with_exponential_lead_times():
    rng = np.random.default_rng(11)
    demand = PoissonDemand(2.0, size=np.array([1, 1, 2, 5])).generate(3, 60.0, rng)
    lead = rng.exponential(3.0, (3, 500))
    for policy in (BaseStock(8), ReorderPoint(4, 6), OrderUpTo(1.3, 12)):
        assert_matches_reference(demand, policy, lead)


def test_hand_worked_base_stock():
    # S = 1, L = 2.5: each line takes the unit the one before it ordered
    d = DemandStream(rep=[0, 0, 0], time=[1.0, 2.0, 3.0], qty=[1, 1, 1], n_reps=1,
                     horizon=10.0)
    res = run_fifo(d, BaseStock(1), np.full((1, 3), 2.5))
    np.testing.assert_array_equal(res.ship_time, [1.0, 3.5, 4.5])
    np.testing.assert_array_equal(res.served_at_once, [1, 0, 0])
    np.testing.assert_array_equal(res.order_received, [3.5, 4.5, 5.5])
    # on hand 1 on [0, 1) and [5.5, 10]; one line backordered on [2, 3.5) and [3, 4.5)
    assert res.on_hand_area[0] == pytest.approx(1.0 + 4.5)
    assert res.backorder_area[0] == pytest.approx(1.5 + 1.5)


def test_receipt_at_the_instant_of_demand_comes_first():
    d = DemandStream(rep=[0, 0], time=[1.0, 3.0], qty=[1, 1], n_reps=1, horizon=5.0)
    res = run_fifo(d, BaseStock(1), np.full((1, 2), 2.0))  # order 0 arrives at 3.0
    np.testing.assert_array_equal(res.served_at_once, [1, 1])
    np.testing.assert_array_equal(res.ship_time, [1.0, 3.0])


def test_partial_shipping_of_a_batch():
    d = DemandStream(rep=[0], time=[1.0], qty=[5], n_reps=1, horizon=20.0)
    res = run_fifo(d, BaseStock(3), np.full((1, 1), 4.0))
    assert res.served_at_once[0] == 3
    assert res.shipped[0] == 5
    assert res.ship_time[0] == 5.0


def test_conservation_and_open_lines_at_horizon():
    demand, lead = random_case(5, horizon=30.0)
    lead = lead * 3  # long lead times: lines still open at the end
    res = run_fifo(demand, ReorderPoint(1, 4), lead)
    b = demand.bounds()
    for r in range(demand.n_reps):
        sl = slice(b[r], b[r + 1])
        ordered = demand.qty[sl].sum()
        assert ordered == res.shipped[sl].sum() + res.backorders_end[r]
        got = res.order_qty[(res.order_rep == r) & (res.order_received <= 30.0)].sum()
        assert res.on_hand_end[r] == 5 + got - res.shipped[sl].sum()
    open_ = res.shipped < demand.qty
    assert open_.any()
    assert np.all(np.isinf(res.ship_time[open_]))
    assert np.all(res.cancelled == 0)
    assert np.all(np.isnan(res.cancel_time))


def test_max_orders_bounds_the_orders_placed():
    for seed in range(5):
        demand, lead = random_case(seed)
        for policy in POLICIES[:-1]:
            res = run_fifo(demand, policy, lead)
            per_rep = np.bincount(res.order_rep, minlength=demand.n_reps)
            assert per_rep.max(initial=0) <= max_orders(demand, policy)


def test_one_million_orders_one_per_line():
    """Base stock places one order per unit line (speed: benchmarks/sim_bench.py)."""
    demand = PoissonDemand(5.0).generate(20, 10_000.0, np.random.default_rng(0))
    lead = np.full((20, max_orders(demand, BaseStock(25))), 4.0)
    res = run_fifo(demand, BaseStock(25), lead)
    assert len(res.order_qty) == demand.n_lines > 990_000


def test_deterministic_with_seed():
    a = simulate(ReorderPoint(3, 5), PoissonDemand(1.5), 2.0, days=500, n_reps=3, seed=4)
    b = simulate(ReorderPoint(3, 5), PoissonDemand(1.5), 2.0, days=500, n_reps=3, seed=4)
    c = simulate(ReorderPoint(3, 5), PoissonDemand(1.5), 2.0, days=500, n_reps=3, seed=5)
    assert a.per_rep.equals(b.per_rep)
    assert not a.per_rep.equals(c.per_rep)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"allocation": "priority"}, "allocation='priority'.*event engine"),
    ({"shipping": "complete"}, "shipping='complete'.*event engine"),
    ({"max_wait_days": 30}, "max_wait_days.*event engine"),
])
def test_event_engine_features_are_refused(kwargs, match):
    demand, lead = random_case(0)
    with pytest.raises(ValueError, match=match):
        run_fifo(demand, BaseStock(4), lead, **kwargs)


def test_finite_patience_is_refused():
    demand, lead = random_case(0)
    demand.patience = np.full(demand.n_lines, 5.0)
    with pytest.raises(ValueError, match="patience.*event engine"):
        run_fifo(demand, BaseStock(4), lead)


def test_minmax_with_batches_needs_the_event_engine():
    demand, lead = random_case(0)
    with pytest.raises(NotImplementedError, match="MinMax.*event engine"):
        run_fifo(demand, MinMax(2, 7), lead)


@pytest.mark.parametrize(("lead", "match"), [
    (np.full((3, 2), 1.0), "shape"),
    (np.full((3, 400), -1.0), ">= 0"),
    (np.full((3, 400), np.nan), ">= 0"),
])
def test_bad_lead_times(lead, match):
    demand, _ = random_case(0)
    with pytest.raises(ValueError, match=match):
        run_fifo(demand, BaseStock(4), lead)


def test_unsorted_stream_is_refused():
    d = DemandStream(rep=[0, 0], time=[2.0, 1.0], qty=[1, 1], n_reps=1, horizon=5.0)
    with pytest.raises(ValueError, match="sorted"):
        run_fifo(d, BaseStock(1), 1.0)
