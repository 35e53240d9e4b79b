"""Tests of the general event engine ``simulate/events.py``.

Expected values come from hand-worked cases (written out below), from a slow,
unit-by-unit reference simulation written independently here (a list queue re-sorted at
every step, no heaps, no lazy deletion), and from the fast FIFO engine ``simulate/fifo.py``
where both apply (FIFO, partial shipping, no cancellation).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backorder_analytics.simulation.base import (
    BaseStock,
    DemandStream,
    MinMax,
    OrderUpTo,
    ReorderPoint,
)
from backorder_analytics.simulation.events import run_events

INF = math.inf


def _stream(times, qtys, horizon, prios=None, pats=None, reps=None, n_reps=1):
    reps = [0] * len(times) if reps is None else reps
    return DemandStream(rep=reps, time=times, qty=qtys, n_reps=n_reps, horizon=horizon,
                        priority=prios, patience=pats)


# --------------------------------------------------------------------------------------
# slow reference: one replication, unit by unit, straight from DESIGN.md §4 / base.py
# --------------------------------------------------------------------------------------
def _reference(times, qtys, prios, pats, lt, oh, policy, horizon, allocation, shipping,
               max_wait, sequential):
    n = len(times)
    rem = [0] * n
    sao = [0] * n
    shipped = [0] * n
    canc = [0] * n
    ship_t = [INF] * n
    canc_t = [math.nan] * n
    deadline = [min(max_wait, pats[j]) + times[j] for j in range(n)]
    waiting: list[int] = []
    pending: list[list] = []             # [arrival, qty]
    orders: list[tuple] = []             # (placed, qty, received)
    state = {"oh": oh, "ip": oh, "last": -INF, "oh_area": 0.0, "bo_area": 0.0}

    def place(t, q):
        k = len(orders)
        a = t + lt[k]
        if sequential:
            a = max(a, state["last"])
        state["last"] = a
        orders.append((t, q, a))
        pending.append([a, q])
        state["ip"] += q

    def alloc_order():
        if allocation == "priority":
            return sorted(waiting, key=lambda j: (prios[j], j))
        return sorted(waiting)

    def serve(t):
        for j in alloc_order():
            if shipping == "complete" and state["oh"] < rem[j]:
                break
            while state["oh"] > 0 and rem[j] > 0:
                state["oh"] -= 1
                rem[j] -= 1
                shipped[j] += 1
            if rem[j] == 0:
                ship_t[j] = t
                waiting.remove(j)
            else:
                break

    def continuous_orders(t, new_lines):
        # a look after each line, with this instant's cancellations credited first
        p = state["ip"] + sum(qtys[j] for j in new_lines)
        for j in new_lines:
            p -= qtys[j]
            if isinstance(policy, BaseStock) and p < policy.S:
                place(t, policy.S - p)
                p = policy.S
            elif isinstance(policy, ReorderPoint):
                while p <= policy.r:
                    place(t, policy.Q)
                    p += policy.Q
            elif isinstance(policy, MinMax) and p <= policy.s:
                place(t, policy.S - p)
                p = policy.S

    periodic = isinstance(policy, OrderUpTo)
    next_line = 0
    k_review = 1
    t_prev = 0.0
    while True:
        cands = [times[next_line]] if next_line < n else []
        cands += [p[0] for p in pending]
        cands += [deadline[j] for j in waiting]
        if periodic:
            cands.append(k_review * policy.R)
        if not cands or min(cands) > horizon:
            break
        t = min(cands)
        state["oh_area"] += state["oh"] * (t - t_prev)
        state["bo_area"] += sum(rem[j] for j in waiting) * (t - t_prev)
        t_prev = t
        due = [p for p in pending if p[0] <= t]
        for p in due:
            state["oh"] += p[1]
            pending.remove(p)
        serve(t)
        new_lines = []
        while next_line < n and times[next_line] <= t:
            j = next_line
            next_line += 1
            new_lines.append(j)
            state["ip"] -= qtys[j]
            rem[j] = qtys[j]
            waiting.append(j)
            serve(t)
            sao[j] = shipped[j]
        for j in [j for j in waiting if deadline[j] <= t]:
            canc[j] = rem[j]
            canc_t[j] = t
            state["ip"] += rem[j]
            rem[j] = 0
            waiting.remove(j)
        serve(t)
        if new_lines and not periodic:
            continuous_orders(t, new_lines)
        if periodic and k_review * policy.R <= t:
            if state["ip"] < policy.S:
                place(t, policy.S - state["ip"])
            k_review += 1
    state["oh_area"] += state["oh"] * (horizon - t_prev)
    state["bo_area"] += sum(rem[j] for j in waiting) * (horizon - t_prev)
    return {
        "served_at_once": sao, "shipped": shipped, "cancelled": canc,
        "ship_time": ship_t, "cancel_time": canc_t, "orders": orders,
        "on_hand_area": state["oh_area"], "backorder_area": state["bo_area"],
        "on_hand_end": state["oh"], "backorders_end": sum(rem[j] for j in waiting),
    }


# --------------------------------------------------------------------------------------
# random cases
# --------------------------------------------------------------------------------------
def _random_case(seed, policy_kind, allocation, shipping, cancel, sequential, integer_times):
    rng = np.random.default_rng(seed)
    n_reps = int(rng.integers(1, 4))
    horizon = float(rng.integers(10, 40))
    reps, times = [], []
    for r in range(n_reps):
        m = int(rng.integers(0, 30))
        tt = rng.integers(0, int(horizon) + 1, m) if integer_times else rng.uniform(0, horizon, m)
        times += sorted(tt.astype(float).tolist())
        reps += [r] * m
    m = len(times)
    qty = rng.integers(1, 6, m) if rng.random() < 0.7 else rng.integers(1, 2, m)
    prios = rng.integers(0, 3, m)
    pats = np.where(rng.random(m) < 0.5, INF, rng.integers(0, 8, m)) if cancel else None
    demand = _stream(times, qty, horizon, prios, pats, reps, n_reps)
    if policy_kind == "base":
        policy = BaseStock(int(rng.integers(0, 8)))
    elif policy_kind == "rop":
        policy = ReorderPoint(int(rng.integers(-3, 5)), int(rng.integers(1, 8)))
    elif policy_kind == "minmax":
        s = int(rng.integers(-3, 5))
        policy = MinMax(s, s + int(rng.integers(1, 10)))
    else:
        policy = OrderUpTo(float(rng.choice([1.0, 2.5, 3.0, 7.0])), int(rng.integers(0, 12)))
    n_orders = int(qty.sum()) + int(horizon) + 20
    if integer_times:
        lt = rng.integers(1, 9, (n_reps, n_orders)).astype(float)
    else:
        lt = rng.uniform(0.5, 8.0, (n_reps, n_orders))
    init = None if rng.random() < 0.6 else int(rng.integers(0, 10))
    if init is None and policy.initial_position() < 0:
        init = 0
    opts = {"allocation": allocation, "shipping": shipping,
            "max_wait_days": float(rng.integers(0, 10)) if cancel else None,
            "sequential_supply": sequential}
    return demand, policy, lt, init, opts


case_args = {
    "seed": st.integers(0, 2**31 - 1),
    "policy_kind": st.sampled_from(["base", "rop", "minmax", "out"]),
    "allocation": st.sampled_from(["fifo", "priority"]),
    "shipping": st.sampled_from(["partial", "complete"]),
    "cancel": st.booleans(),
    "sequential": st.booleans(),
    "integer_times": st.booleans(),
}


def _check_conservation(demand, res):
    qty = demand.qty
    open_ = qty - res.shipped - res.cancelled
    assert np.all(open_ >= 0)
    assert np.all(res.served_at_once <= res.shipped)
    # qty = shipped + open + cancelled per line and in total, open = the backorders at the end
    bo_end = np.bincount(demand.rep, weights=open_, minlength=demand.n_reps)
    np.testing.assert_array_equal(bo_end, res.backorders_end)
    assert qty.sum() == res.shipped.sum() + open_.sum() + res.cancelled.sum()
    # closed lines have a ship time, cancelled ones a cancel time; open ones neither
    done = open_ == 0
    assert np.all(np.isfinite(res.ship_time[done & (res.cancelled == 0)]))
    assert np.all(np.isinf(res.ship_time[~done | (res.cancelled > 0)]))
    assert np.all(np.isnan(res.cancel_time) == (res.cancelled == 0))
    assert np.all(res.ship_time[np.isfinite(res.ship_time)] >= demand.time[np.isfinite(
        res.ship_time)])
    # stock: on hand at the end = initial + received by the horizon − shipped >= 0
    received = np.bincount(res.order_rep[res.order_received <= demand.horizon],
                           weights=res.order_qty[res.order_received <= demand.horizon],
                           minlength=demand.n_reps)
    shipped = np.bincount(demand.rep, weights=res.shipped, minlength=demand.n_reps)
    init = res.extra["initial_on_hand"]
    assert np.all(shipped <= received + init)
    np.testing.assert_array_equal(res.on_hand_end, init + received - shipped)
    assert np.all(res.on_hand_end >= 0)
    assert np.all(res.on_hand_area >= 0)
    assert np.all(res.backorder_area >= 0)
    assert np.all(res.order_qty > 0)
    assert np.all(res.order_received >= res.order_placed)


def _check_against_reference(demand, policy, lt, init, opts, res):
    b = demand.bounds()
    mw = INF if opts["max_wait_days"] is None else opts["max_wait_days"]
    for r in range(demand.n_reps):
        sl = slice(b[r], b[r + 1])
        oh0 = max(policy.initial_position(), 0) if init is None else init
        ref = _reference(demand.time[sl].tolist(), demand.qty[sl].tolist(),
                         demand.priority[sl].tolist(), demand.patience[sl].tolist(),
                         lt[r].tolist(), oh0, policy, demand.horizon, opts["allocation"],
                         opts["shipping"], mw, opts["sequential_supply"])
        for name in ("served_at_once", "shipped", "cancelled", "ship_time"):
            np.testing.assert_array_equal(getattr(res, name)[sl], ref[name], err_msg=name)
        np.testing.assert_array_equal(res.cancel_time[sl], ref["cancel_time"])
        mine = res.order_rep == r
        orders = list(zip(res.order_placed[mine].tolist(), res.order_qty[mine].tolist(),
                          res.order_received[mine].tolist(), strict=True))
        assert orders == ref["orders"]
        assert res.on_hand_area[r] == pytest.approx(ref["on_hand_area"], rel=1e-12, abs=1e-9)
        assert res.backorder_area[r] == pytest.approx(ref["backorder_area"], rel=1e-12,
                                                      abs=1e-9)
        assert res.on_hand_end[r] == ref["on_hand_end"]
        assert res.backorders_end[r] == ref["backorders_end"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**case_args)
def test_random_cases_match_reference_and_conserve(seed, policy_kind, allocation, shipping,
                                                    cancel, sequential, integer_times):
    demand, policy, lt, init, opts = _random_case(seed, policy_kind, allocation, shipping,
                                                  cancel, sequential, integer_times)
    res = run_events(demand, policy, lt, initial_on_hand=init, **opts)
    _check_conservation(demand, res)
    _check_against_reference(demand, policy, lt, init, opts, res)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**31 - 1),
       policy_kind=st.sampled_from(["base", "rop", "out"]),
       sequential=st.booleans(), integer_times=st.booleans())
def test_fifo_partial_matches_fast_engine(seed, policy_kind, sequential, integer_times):
    """Where both apply (FIFO, partial, no cancellation) the two engines agree exactly."""
    from backorder_analytics.simulation.fifo import run_fifo

    demand, policy, lt, init, opts = _random_case(seed, policy_kind, "fifo", "partial", False,
                                                  sequential, integer_times)
    a = run_events(demand, policy, lt, initial_on_hand=init, **opts)
    b = run_fifo(demand, policy, lt, initial_on_hand=init, **opts)
    for name in ("ship_time", "served_at_once", "shipped", "order_rep", "order_placed",
                 "order_qty", "order_received"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


# --------------------------------------------------------------------------------------
# hand-worked cases
# --------------------------------------------------------------------------------------
def test_priority_serves_a_later_high_priority_line_first():
    # S = 0: each line is reordered one-for-one. A (t=0, 2 units, priority 1) -> order 0,
    # 2 units, arrives 0 + 5 = 5; B (t=1, 2 units, priority 0) -> order 1, arrives 1 + 10.
    d = _stream([0.0, 1.0], [2, 2], 20.0, prios=[1, 0])
    lt = np.array([[5.0, 10.0]])
    pri = run_events(d, BaseStock(0), lt, allocation="priority")
    assert pri.ship_time.tolist() == [11.0, 5.0]        # B gets the receipt at 5
    fifo = run_events(d, BaseStock(0), lt, allocation="fifo")
    assert fifo.ship_time.tolist() == [5.0, 11.0]
    # backordered units: 2 on [0,1), 4 on [1,5), 2 on [5,11) -> 2 + 16 + 12
    assert pri.backorder_area.tolist() == [30.0]
    assert pri.served_at_once.tolist() == [0, 0]


@pytest.mark.parametrize(
    ("shipping", "ship_time", "sao", "oh_area", "bo_area"),
    [
        # complete: 2 units held for A (3) from 0 to 2; B (1) waits behind A until 4.
        # on hand 2 on [0,2), 0 on [2,4), 2 on [4,10] = 4 + 12; backorders 3, 4, 1 units on
        # [0,1), [1,2), [2,4) = 3 + 4 + 2.
        ("complete", [2.0, 4.0], [0, 0], 16.0, 9.0),
        # partial: A takes the 2 at once, its last unit at 2; on hand 0 until 4, then 2.
        # backorders 1, 2, 1 on [0,1), [1,2), [2,4) = 1 + 2 + 2.
        ("partial", [2.0, 4.0], [2, 0], 12.0, 5.0),
    ],
)
def test_complete_shipping_holds_stock_for_the_head(shipping, ship_time, sao, oh_area,
                                                    bo_area):
    # BaseStock(2), 2 on hand. A: t=0, 3 units -> order 0 of 3 units, lead time 4 (arrives
    # 4). B: t=1, 1 unit -> order 1 of 1 unit, lead time 1 (arrives 2, crossing order 0).
    d = _stream([0.0, 1.0], [3, 1], 10.0)
    res = run_events(d, BaseStock(2), np.array([[4.0, 1.0]]), shipping=shipping)
    assert res.ship_time.tolist() == ship_time
    assert res.served_at_once.tolist() == sao
    assert res.order_received.tolist() == [4.0, 2.0]
    assert res.on_hand_area.tolist() == [oh_area]
    assert res.backorder_area.tolist() == [bo_area]
    assert res.on_hand_end.tolist() == [2]


def test_cancellation_at_max_wait_frees_held_stock_for_the_next_line():
    # BaseStock(1), 1 on hand, complete shipping, max_wait_days = 5.
    # A: t=0, 3 units (the 1 on hand is held for it) -> order 0: 3 units, arrives 10.
    # B: t=1, 1 unit, waits behind A -> order 1: 1 unit, arrives 11.
    # t=5: A is cancelled (3 units); the held unit goes to B at 5 (B's limit is 6).
    d = _stream([0.0, 1.0], [3, 1], 12.0)
    res = run_events(d, BaseStock(1), np.array([[10.0, 10.0]]), shipping="complete",
                     max_wait_days=5.0)
    assert res.cancelled.tolist() == [3, 0]
    assert res.shipped.tolist() == [0, 1]
    assert res.ship_time.tolist() == [INF, 5.0]
    assert res.cancel_time[0] == 5.0
    assert np.isnan(res.cancel_time[1])
    assert res.order_qty.tolist() == [3, 1]
    # on hand 1 on [0,5), 0 on [5,10), 3 on [10,11), 4 on [11,12] = 5 + 3 + 4
    assert res.on_hand_area.tolist() == [12.0]
    # backorders 3 on [0,1), 4 on [1,5) = 3 + 16
    assert res.backorder_area.tolist() == [19.0]
    assert res.on_hand_end.tolist() == [4]
    # the cancelled units raised the position to 4 > S: the next line reorders nothing
    d2 = _stream([0.0, 1.0, 12.0], [3, 1, 2], 20.0)
    res2 = run_events(d2, BaseStock(1), np.full((1, 5), 10.0), shipping="complete",
                      max_wait_days=5.0)
    assert res2.order_qty.tolist() == [3, 1]


def test_cancellation_partial_counts_only_the_open_units():
    # BaseStock(1), 1 on hand. A: t=0, 3 units -> 1 at once, 2 open, patience 2.5.
    # B: t=0, 4 units, patience 1 -> its 4 open units are cancelled at 1. Orders of 3 and
    # 4 units at 0 arrive at 2.5, exactly A's limit: the receipt comes first, A gets its
    # 2 open units there, and nothing of A is cancelled.
    d = _stream([0.0, 0.0], [3, 4], 10.0, pats=[2.5, 1.0])
    res = run_events(d, BaseStock(1), np.full((1, 4), 2.5))
    assert res.served_at_once.tolist() == [1, 0]
    assert res.shipped.tolist() == [3, 0]
    assert res.cancelled.tolist() == [0, 4]
    assert res.ship_time.tolist() == [2.5, INF]
    assert res.cancel_time[1] == 1.0
    # a limit of 2 (before the receipt): 1 shipped + 2 cancelled = 3
    res = run_events(d, BaseStock(1), np.full((1, 4), 2.5), max_wait_days=2.0)
    assert res.shipped.tolist() == [1, 0]
    assert res.cancelled.tolist() == [2, 4]
    assert (res.shipped + res.cancelled).tolist() == [3, 4]


def test_periodic_review_orders_at_multiples_of_R():
    # OrderUpTo(R=7, S=10), 10 on hand, lead time 3. Reviews at 7, 14, 21 (= horizon).
    # t=7: demand 2 comes before the review: position 10-3-2 = 5 -> order 5 (arrives 10).
    # t=10: receipt before demand: 10 on hand, -4 -> 6. t=14: order 4 (arrives 17).
    # t=20: demand 1. t=21: order 1 (arrives 24, after the horizon).
    d = _stream([2.0, 7.0, 10.0, 20.0], [3, 2, 4, 1], 21.0)
    res = run_events(d, OrderUpTo(R=7.0, S=10), np.full((1, 5), 3.0))
    assert res.order_placed.tolist() == [7.0, 14.0, 21.0]
    assert res.order_qty.tolist() == [5, 4, 1]
    assert res.order_received.tolist() == [10.0, 17.0, 24.0]
    assert res.served_at_once.tolist() == [3, 2, 4, 1]
    # on hand 10, 7, 5, 6, 10, 9 on [0,2), [2,7), [7,10), [10,17), [17,20), [20,21]
    assert res.on_hand_area.tolist() == [20.0 + 35.0 + 15.0 + 42.0 + 30.0 + 9.0]
    assert res.on_hand_end.tolist() == [9]


def test_minmax_undershoot_orders_up_to_S_exactly():
    # MinMax(s=5, S=20), 8 on hand. One batch line of 10 at t=1: 8 ship, 2 backordered,
    # position 8 - 10 = -2 <= 5 -> order 20 - (-2) = 22 units (arrives 1 + 2 = 3), after
    # which the position is exactly 20. At 3 the 2 backordered units ship; 20 on hand.
    d = _stream([1.0, 4.0], [10, 3], 10.0)
    res = run_events(d, MinMax(5, 20), np.full((1, 3), 2.0), initial_on_hand=8)
    assert res.order_qty.tolist() == [22]                # t=4: position 17 > 5, no order
    assert res.order_placed.tolist() == [1.0]
    assert res.served_at_once.tolist() == [8, 3]
    assert res.ship_time.tolist() == [3.0, 4.0]
    assert res.on_hand_end.tolist() == [17]


def test_minmax_looks_after_each_line_of_an_instant():
    # MinMax(s=2, S=5) from 3; two unit lines at t=1: after the first the position is
    # 2 <= s -> order 3 (back to 5); after the second it is 4 > s: no second order.
    d = _stream([1.0, 1.0], [1, 1], 10.0)
    res = run_events(d, MinMax(2, 5), np.full((1, 3), 2.0), initial_on_hand=3)
    assert res.order_qty.tolist() == [3]
    assert res.order_placed.tolist() == [1.0]


def test_units_cancelled_at_an_instant_are_credited_before_its_review():
    # BaseStock(0). A: t=0, 2 units -> order of 2 arriving at 10; limit 5 days.
    # B: t=5, 1 unit, backordered. At 5 A's 2 units are cancelled (position -1 + 2 = 1)
    # before B's look: B needs no order. The receipt at 10 serves B.
    d = _stream([0.0, 5.0], [2, 1], 20.0)
    res = run_events(d, BaseStock(0), np.full((1, 3), 10.0), max_wait_days=5.0)
    assert res.order_qty.tolist() == [2]
    assert res.cancelled.tolist() == [2, 0]
    assert res.ship_time.tolist() == [INF, 10.0]
    assert res.on_hand_end.tolist() == [1]


def test_reorder_point_places_several_orders_of_Q_for_a_batch():
    # (r=2, Q=3) from 5: a line of 9 at t=0 takes the position to -4; orders of 3 until
    # the position is above 2: -4 -> -1 -> 2 -> 5, three orders.
    d = _stream([0.0], [9], 10.0)
    res = run_events(d, ReorderPoint(2, 3), np.array([[1.0, 3.0, 2.0]]))
    assert res.order_qty.tolist() == [3, 3, 3]
    assert res.order_received.tolist() == [1.0, 3.0, 2.0]
    assert res.served_at_once.tolist() == [5]
    assert res.ship_time.tolist() == [2.0]           # 5 + 3 at 1, + 3 at 2 = 9 shipped
    # sequential supply: the third order cannot overtake the second
    res = run_events(d, ReorderPoint(2, 3), np.array([[1.0, 3.0, 2.0]]),
                     sequential_supply=True)
    assert res.order_received.tolist() == [1.0, 3.0, 3.0]
    assert res.ship_time.tolist() == [3.0]


def test_receipts_come_before_demand_at_the_same_instant():
    # S = 0, nothing on hand: the line at 0 is backordered and reordered (arrives 2). The
    # receipt at 2 and a new line at 2 coincide: the receipt serves the waiting line
    # first; the new line then waits for its own order (arrives 2 + 3).
    d = _stream([0.0, 2.0], [1, 1], 10.0)
    res = run_events(d, BaseStock(0), np.array([[2.0, 3.0]]))
    assert res.ship_time.tolist() == [2.0, 5.0]
    assert res.served_at_once.tolist() == [0, 0]


def test_replications_are_independent():
    d = _stream([0.0, 1.0, 0.0, 1.0], [2, 2, 2, 2], 20.0, prios=[1, 0, 1, 0],
                reps=[0, 0, 1, 1], n_reps=2)
    res = run_events(d, BaseStock(0), np.array([[5.0, 10.0], [10.0, 5.0]]),
                     allocation="priority")
    assert res.ship_time.tolist() == [11.0, 5.0, 10.0, 6.0]
    assert res.order_rep.tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"allocation": "lifo"}, r"'allocation' parameter must be one of \('fifo'"),
        ({"shipping": "whole"}, r"'shipping' parameter must be one of"),
        ({"max_wait_days": -1.0}, r"'max_wait_days' parameter must be a number >= 0 or None"),
        ({"initial_on_hand": -2}, r"'initial_on_hand' parameter must hold whole units"),
    ],
)
def test_bad_options_are_named(kwargs, match):
    d = _stream([0.0], [1], 5.0)
    with pytest.raises(ValueError, match=match):
        run_events(d, BaseStock(1), np.ones((1, 3)), **kwargs)


def test_too_few_lead_times_is_an_error():
    d = _stream([0.0, 1.0, 2.0], [1, 1, 1], 5.0)
    with pytest.raises(ValueError, match=r"has 2 columns but replenishment order 2"):
        run_events(d, BaseStock(1), np.ones((1, 2)))


def test_lines_after_the_horizon_are_rejected():
    d = _stream([0.0, 6.0], [1, 1], 5.0)
    with pytest.raises(ValueError, match=r"must lie in \[0, horizon=5.0\]"):
        run_events(d, BaseStock(1), np.ones((1, 3)))
