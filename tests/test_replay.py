"""Tests of backorder_analytics.replay: hand-built histories whose outcome is written out,
a slow unit-by-unit reference replay, and the example dataset against its own records."""

from __future__ import annotations

import dataclasses
import heapq
import pickle

import numpy as np
import pandas as pd
import pytest

from backorder_analytics import example_dataset
from backorder_analytics.data.dataset import Dataset
from backorder_analytics.data.schemas import (
    INVENTORY,
    ORDERS,
    PURCHASE_ORDERS,
    SHIPMENTS,
    conform,
)
from backorder_analytics.simulation.replay import (
    TOTAL,
    ConservationError,
    ReplayResult,
    check_conservation,
    replay,
)
from backorder_analytics.simulation.replay_kernel import replay_events
from backorder_analytics.simulation.replay_result import _differing_keys

DAY0 = pd.Timestamp("2024-01-01")
H = 1 / 24  # one hour [days]


def at(day: float, hour: float = 0.0) -> pd.Timestamp:
    """``DAY0`` + ``day`` days + ``hour`` hours (to the second)."""
    return DAY0 + pd.Timedelta(days=day) + pd.Timedelta(hours=hour)


def make_ds(lines, receipts=(), counts=(("A", 0, 0),), as_of=None) -> Dataset:
    """A one-business dataset.

    ``lines``: dicts with ``id``, ``qty``, ``when`` and optionally ``sku`` ("A"),
    ``prio`` (0), ``cancel``; ``receipts``: (when, units[, sku]); ``counts``: (sku,
    day, on_hand) stock counts at 00:00.
    """
    orders = pd.DataFrame({
        "order_id": [ln["id"] for ln in lines],
        "sku": [ln.get("sku", "A") for ln in lines],
        "quantity": [ln["qty"] for ln in lines],
        "order_date": pd.to_datetime([ln["when"] for ln in lines]),
        "priority": [ln.get("prio", 0) for ln in lines],
        "cancel_date": pd.to_datetime([ln.get("cancel") for ln in lines]),
    })
    rec = [(r[0], r[1], r[2] if len(r) > 2 else "A") for r in receipts]
    po = pd.DataFrame({
        "po_id": [f"PO-{i}" for i in range(len(rec))],
        "sku": [r[2] for r in rec],
        "quantity": [r[1] for r in rec],
        "order_date": pd.to_datetime([r[0] - pd.Timedelta(days=5) for r in rec]),
        "received_date": pd.to_datetime([r[0] for r in rec]),
    })
    inv = pd.DataFrame({"sku": [c[0] for c in counts],
                        "date": pd.to_datetime([at(c[1]) for c in counts]),
                        "on_hand": [c[2] for c in counts]})
    return Dataset(orders=conform(orders, ORDERS), purchase_orders=conform(po, PURCHASE_ORDERS),
                   inventory=conform(inv, INVENTORY), as_of=as_of or at(9, 23.99))


def col(rep: ReplayResult, name: str) -> list:
    return rep.lines[name].tolist()


# --------------------------------------------------------------------------- allocation

# Opening stock 2. O1 (3 units, priority 1) on day 0 at 10:00, O2 (2, priority 0) on
# day 1 at 10:00, O3 (1, priority 1) on day 1 at 12:00; receipts of 2 units on day 3 at
# 09:00 and 1 unit on day 5 at 09:00.
ALLOC_LINES = [
    {"id": "O1", "qty": 3, "prio": 1, "when": at(0, 10)},
    {"id": "O2", "qty": 2, "prio": 0, "when": at(1, 10)},
    {"id": "O3", "qty": 1, "prio": 1, "when": at(1, 12)},
]
ALLOC_RECEIPTS = [(at(3, 9), 2), (at(5, 9), 1)]


def test_fifo_partial_by_hand():
    # O1 takes 2 at once and the first unit of day 3; O2 the second unit of day 3 and
    # the unit of day 5; O3 is still open at as_of.
    rep = replay(make_ds(ALLOC_LINES, ALLOC_RECEIPTS, [("A", 0, 2)]), allocation="fifo")
    assert col(rep, "served_at_once") == [2, 0, 0]
    assert col(rep, "backordered") == [1, 2, 1]
    assert col(rep, "shipped") == [3, 2, 0]
    assert col(rep, "open") == [0, 0, 1]
    assert col(rep, "status") == ["shipped", "shipped", "open"]
    np.testing.assert_allclose(rep.lines["wait_days"], [2 + 23 * H, 3 + 23 * H, np.nan])
    assert col(rep, "first_ship_date")[:2] == [at(0, 10), at(3, 9)]
    assert col(rep, "last_ship_date")[:2] == [at(3, 9), at(5, 9)]
    assert pd.isna(rep.lines["last_ship_date"].iloc[2])
    ship = rep.shipments
    assert list(zip(ship["order_id"], ship["quantity"], ship["ship_date"], strict=True)) == [
        ("O1", 2, at(0, 10)), ("O1", 1, at(3, 9)), ("O2", 1, at(3, 9)), ("O2", 1, at(5, 9))]


def test_priority_partial_by_hand():
    # The day-3 receipt goes to O2 (priority 0) first; O1 gets the unit of day 5.
    rep = replay(make_ds(ALLOC_LINES, ALLOC_RECEIPTS, [("A", 0, 2)]), allocation="priority")
    assert col(rep, "served_at_once") == [2, 0, 0]
    assert col(rep, "shipped") == [3, 2, 0]
    np.testing.assert_allclose(rep.lines["wait_days"], [4 + 23 * H, 1 + 23 * H, np.nan])
    assert col(rep, "last_ship_date")[:2] == [at(5, 9), at(3, 9)]


def test_timeline_and_summary_by_hand():
    rep = replay(make_ds(ALLOC_LINES, ALLOC_RECEIPTS, [("A", 0, 2)]), allocation="fifo")
    tl = rep.timeline
    assert list(tl["date"]) == list(pd.date_range(DAY0, periods=10))
    assert list(tl["demand"]) == [3, 3, 0, 0, 0, 0, 0, 0, 0, 0]
    assert list(tl["receipts"]) == [0, 0, 0, 2, 0, 1, 0, 0, 0, 0]
    assert list(tl["on_hand"]) == [0] * 10
    assert list(tl["backordered_units"]) == [1, 4, 4, 2, 2, 1, 1, 1, 1, 1]
    assert list(tl["queue_length"]) == [1, 3, 3, 2, 2, 1, 1, 1, 1, 1]
    pd.testing.assert_frame_equal(rep.timeline_total.reset_index(drop=True),
                                  tl.drop(columns=["sku", "date"]).reset_index(drop=True))
    s = rep.summary.loc[TOTAL]
    assert s["unit_fill_rate"] == pytest.approx(2 / 6)
    assert s["line_fill_rate"] == 0.0
    assert s["share_lines_backordered"] == 1.0
    assert s["wait_bo_n"] == 2
    # waits of O1 and O2: 2 d 23 h and 3 d 23 h
    assert s["wait_bo_mean"] == pytest.approx(2.5 + 23 * H)
    assert s["wait_bo_p50"] == pytest.approx(2.5 + 23 * H)  # linear interpolation
    assert s["wait_bo_p90"] == pytest.approx(2.9 + 23 * H)
    assert s["wait_bo_max"] == pytest.approx(3 + 23 * H)
    assert (s["open_lines"], s["open_units"]) == (1, 1)
    # O3 is 8.5 days old at as_of
    assert s["open_lines_8-14"] == 1
    assert s["open_lines_0-3"] == 0
    assert list(rep.summary.index) == [TOTAL, "A"]


# --------------------------------------------------------------------------- shipping

# Opening stock 0. O1 (3 units) day 0 10:00, O2 (1) day 0 11:00, O3 (1) day 1 12:00;
# receipts of 2 units on day 1 at 09:00 and 3 units on day 2 at 09:00.
SHIP_RECEIPTS = [(at(1, 9), 2), (at(2, 9), 3)]


def ship_lines(o3_prio: int):
    return [{"id": "O1", "qty": 3, "prio": 1, "when": at(0, 10)},
            {"id": "O2", "qty": 1, "prio": 1, "when": at(0, 11)},
            {"id": "O3", "qty": 1, "prio": o3_prio, "when": at(1, 12)}]


@pytest.mark.parametrize(
    ("allocation", "shipping", "o3_prio", "at_once", "last", "ship_rows"),
    [
        # O1 takes 2 on day 1; day 2's 3 units finish O1, O2, O3 in turn
        ("fifo", "partial", 1, [0, 0, 0], [at(2, 9)] * 3, 4),
        # O1 cannot ship whole on day 1 and nobody overtakes it (O3 waits with 2 in
        # stock); day 2: 5 units ship all three whole
        ("fifo", "complete", 1, [0, 0, 0], [at(2, 9)] * 3, 3),
        # O3 (priority 0) arrives with 2 in stock, goes ahead of O1 and ships at once
        ("priority", "complete", 0, [0, 0, 1], [at(2, 9), at(2, 9), at(1, 12)], 3),
        # partial: stock is gone on day 1 (O1 took it); day 2 serves O3 first
        ("priority", "partial", 0, [0, 0, 0], [at(2, 9)] * 3, 4),
    ],
)
def test_shipping_rules_by_hand(allocation, shipping, o3_prio, at_once, last, ship_rows):
    rep = replay(make_ds(ship_lines(o3_prio), SHIP_RECEIPTS), allocation=allocation,
                 shipping=shipping)
    assert col(rep, "served_at_once") == at_once
    assert col(rep, "last_ship_date") == last
    assert col(rep, "shipped") == [3, 1, 1]
    assert len(rep.shipments) == ship_rows
    if shipping == "complete":  # every shipment is a whole line
        merged = rep.shipments.merge(rep.lines[["order_id", "quantity"]], on="order_id")
        assert (merged["quantity_x"] == merged["quantity_y"]).all()
    assert rep.timeline["on_hand"].iloc[-1] == 0


# --------------------------------------------------------------------------- cancellations


def test_recorded_cancel_date_is_honoured():
    # O1 (5) day 0; 3 arrive on day 1; the customer cancels on day 2 → 2 units cancelled;
    # the 4 units of day 3 go to stock; O2 (2) on day 3 is served at once.
    lines = [{"id": "O1", "qty": 5, "when": at(0, 10), "cancel": at(2, 10)},
             {"id": "O2", "qty": 2, "when": at(3, 12)}]
    rep = replay(make_ds(lines, [(at(1, 10), 3), (at(3, 10), 4)]))
    assert col(rep, "shipped") == [3, 2]
    assert col(rep, "cancelled") == [2, 0]
    assert col(rep, "open") == [0, 0]
    assert col(rep, "status") == ["cancelled", "shipped"]
    assert np.isnan(rep.lines["wait_days"].iloc[0])
    assert rep.lines["wait_days"].iloc[1] == 0
    assert rep.lines["cancel_date"].iloc[0] == at(2, 10)
    assert list(rep.timeline["on_hand"]) == [0, 0, 0, 2, 2, 2, 2, 2, 2, 2]
    assert list(rep.timeline["cancelled"])[:4] == [0, 0, 2, 0]
    s = rep.summary.loc[TOTAL]
    assert (s["cancelled_lines"], s["cancelled_units"], s["open_lines"]) == (1, 2, 0)


def test_receipt_at_the_cancel_instant_comes_first():
    lines = [{"id": "O1", "qty": 2, "when": at(0, 10), "cancel": at(2, 10)}]
    rep = replay(make_ds(lines, [(at(2, 10), 2)]))
    assert col(rep, "cancelled") == [0]
    assert col(rep, "status") == ["shipped"]
    assert rep.lines["wait_days"].iloc[0] == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("max_wait", "cancel", "cancelled", "wait", "end_stock"),
    [
        (None, None, 0, 4.0, 0),
        (3, None, 2, np.nan, 2),  # cancelled at day 3 10:00, before the receipt
        (4, None, 0, 4.0, 0),  # the receipt at the limit comes first
        (3.5, at(2, 10), 2, np.nan, 2),  # the earlier of cancel_date and the limit
    ],
)
def test_max_wait_days(max_wait, cancel, cancelled, wait, end_stock):
    # O1 (2) day 0 10:00; 3 units arrive day 4 10:00; O2 (1) day 5 is served at once.
    lines = [{"id": "O1", "qty": 2, "when": at(0, 10), "cancel": cancel},
             {"id": "O2", "qty": 1, "when": at(5, 10)}]
    rep = replay(make_ds(lines, [(at(4, 10), 3)]), max_wait_days=max_wait)
    assert col(rep, "cancelled") == [cancelled, 0]
    np.testing.assert_allclose(rep.lines["wait_days"], [wait, 0.0])
    assert col(rep, "served_at_once") == [0, 1]
    assert rep.timeline["on_hand"].iloc[-1] == end_stock
    if cancelled:
        expected = cancel if cancel is not None else at(max_wait, 10)
        assert rep.lines["cancel_date"].iloc[0] == expected


def test_receipt_and_demand_at_one_instant():
    # O0 (1) waits from day 0; 2 units arrive on day 1 at 10:00, the instant O1 (2)
    # is ordered: the receipt first serves O0, then O1 gets the other unit at once.
    lines = [{"id": "O0", "qty": 1, "when": at(0, 10)},
             {"id": "O1", "qty": 2, "when": at(1, 10)}]
    rep = replay(make_ds(lines, [(at(1, 10), 2)]))
    assert col(rep, "served_at_once") == [0, 1]
    assert col(rep, "backordered") == [1, 1]
    assert col(rep, "open") == [0, 1]
    assert rep.lines["wait_days"].iloc[0] == pytest.approx(1.0)


def test_timestamp_then_row_order():
    # rows are not in date order; equal timestamps keep row order. One unit in stock.
    lines = [{"id": "late", "qty": 1, "when": at(1, 10)},
             {"id": "tie1", "qty": 1, "when": at(0, 10)},
             {"id": "tie2", "qty": 1, "when": at(0, 10)}]
    rep = replay(make_ds(lines, counts=[("A", 0, 1)]))
    assert list(rep.lines.index) == [0, 1, 2]  # aligned with ds.orders
    assert col(rep, "served_at_once") == [0, 1, 0]


def test_open_purchase_orders_bring_nothing():
    ds = make_ds([{"id": "O1", "qty": 2, "when": at(0, 10)}], [(at(1, 10), 2)])
    ds.purchase_orders.loc[0, "received_date"] = pd.NaT
    rep = replay(ds)
    assert col(rep, "open") == [2]
    assert rep.stock.loc["A", "received_units"] == 0


def test_received_quantity_is_used_when_present():
    ds = make_ds([{"id": "O1", "qty": 3, "when": at(2, 10)}], [(at(1, 10), 5)])
    ds.purchase_orders["received_quantity"] = pd.array([2], dtype="Int64")
    rep = replay(ds)
    assert col(rep, "served_at_once") == [2]


# --------------------------------------------------------------------------- ageing, stock


def test_ageing_buckets_by_hand():
    # open lines aged (days) → buckets 0-3, 4-7, 8-14, 15-21, 22-30, 31+: two each
    ages = [0.5, 3.99, 4.0, 7.5, 8.0, 14.2, 15.0, 21.9, 22.0, 30.5, 31.0, 100.0]
    as_of = at(120, 12)
    lines = [{"id": f"O{i}", "qty": i + 1, "when": as_of - pd.Timedelta(days=a)}
             for i, a in enumerate(ages)]
    rep = replay(make_ds(lines, counts=[("A", 0, 0)], as_of=as_of))
    a = rep.ageing[rep.ageing["sku"] == TOTAL]
    assert list(a["age"].astype(str)) == ["0-3", "4-7", "8-14", "15-21", "22-30", "31+"]
    assert list(a["lines"]) == [2] * 6
    assert list(a["units"]) == [1 + 2, 3 + 4, 5 + 6, 7 + 8, 9 + 10, 11 + 12]
    assert rep.summary.loc[TOTAL, "open_lines_31+"] == 2


def test_opening_stock_rules():
    lines = [{"id": "a", "sku": "A", "qty": 5, "when": at(2, 10)},
             {"id": "b", "sku": "B", "qty": 1, "when": at(2, 10)},
             {"id": "c", "sku": "C", "qty": 1, "when": at(2, 10)}]
    # A: counts on days 0 and 1 (the later one is used); B: none; C: only after its first
    counts = [("A", 0, 9), ("A", 1, 4), ("C", 5, 3)]
    rep = replay(make_ds(lines, counts=counts))
    assert rep.stock["opening_stock"].to_dict() == {"A": 4, "B": 0, "C": 0}
    assert col(rep, "served_at_once") == [4, 0, 0]
    assert sorted(rep.notes["sku"]) == ["B", "C"]
    assert "no stock count" in rep.notes["note"].iloc[0]


def test_start_replays_a_window():
    lines = [{"id": "old", "qty": 4, "when": at(0, 10)},
             {"id": "new", "qty": 3, "when": at(5, 10)}]
    rep = replay(make_ds(lines, [(at(1, 10), 10)], counts=[("A", 0, 0), ("A", 4, 6)]),
                 start=at(4))
    assert col(rep, "order_id") == ["new"]
    assert rep.origin == at(4)
    assert rep.stock.loc["A", "opening_stock"] == 6
    assert col(rep, "served_at_once") == [3]


# --------------------------------------------------------------------------- reference


def reference_replay(ds: Dataset, allocation: str, shipping: str, max_wait: float | None):
    """Slow, independent replay: every unit is its own object; at each instant the
    events are handled receipts → demand → cancellations, and after each one the
    waiting lines are ranked afresh and served unit by unit."""
    o = ds.orders.reset_index(drop=True)
    po = ds.purchase_orders
    events = []  # (time, kind, seq, payload)
    for i, r in po.iterrows():
        events.append((r["received_date"], 0, i, int(r["quantity"])))
    for i, r in o.iterrows():
        events.append((r["order_date"], 1, i, i))
        limits = [r["cancel_date"]] if pd.notna(r["cancel_date"]) else []
        if max_wait is not None:
            limits.append(r["order_date"] + pd.Timedelta(days=max_wait))
        if limits and min(limits) <= ds.as_of:
            events.append((min(limits), 2, i, i))
    events.sort(key=lambda e: (e[0], e[1], e[3] if e[1] else e[2]))
    stock = int(ds.inventory["on_hand"].iloc[0])
    waiting = {i: [] for i in range(len(o))}  # line -> its waiting units
    shipped = {i: [] for i in range(len(o))}  # line -> ship times, one per unit
    cancelled = [0] * len(o)
    for when, kind, _, x in events:
        if kind == 0:
            stock += x
        elif kind == 1:
            waiting[x] = [1] * int(o.loc[x, "quantity"])
        elif waiting[x]:
            cancelled[x] = len(waiting[x])
            waiting[x] = []
        rank = sorted((o.loc[i, "priority"] if allocation == "priority" else 0,
                       o.loc[i, "order_date"], i) for i in waiting if waiting[i])
        for _, _, i in rank:
            if shipping == "complete" and len(waiting[i]) > stock:
                break
            while waiting[i] and stock:
                waiting[i].pop()
                stock -= 1
                shipped[i].append(when)
    last = [max(s) if s else pd.NaT for s in shipped.values()]
    return ([len(s) for s in shipped.values()], cancelled,
            [len(w) for w in waiting.values()], last)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("allocation", ["fifo", "priority"])
@pytest.mark.parametrize("shipping", ["partial", "complete"])
def test_matches_unit_by_unit_reference(seed, allocation, shipping):
    rng = np.random.default_rng(seed)
    n = 25
    when = np.sort(rng.integers(0, 30 * 24, n)) / 24  # hours → days, with ties
    lines = [{"id": f"O{i}", "qty": int(rng.integers(1, 5)), "when": at(w),
              "prio": int(rng.integers(0, 3)),
              "cancel": at(w + rng.integers(1, 10)) if rng.random() < 0.3 else None}
             for i, w in enumerate(when)]
    receipts = [(at(rng.integers(0, 30 * 24) / 24), int(rng.integers(1, 12)))
                for _ in range(6)]
    max_wait = [None, 7.5][seed % 2]
    ds = make_ds(lines, receipts, counts=[("A", 0, int(rng.integers(0, 6)))], as_of=at(31))
    rep = replay(ds, allocation=allocation, shipping=shipping, max_wait_days=max_wait)
    shipped, cancelled, open_, last = reference_replay(ds, allocation, shipping, max_wait)
    assert col(rep, "shipped") == shipped
    assert col(rep, "cancelled") == cancelled
    assert col(rep, "open") == open_
    assert [x if pd.notna(x) else None for x in col(rep, "last_ship_date")] == [
        x if pd.notna(x) else None for x in last]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"allocation": "lifo"}, "'allocation' parameter must be one of"),
        ({"shipping": "some"}, "'shipping' parameter must be one of"),
        ({"max_wait_days": -1}, "'max_wait_days' parameter must be"),
        ({"start": "2030-01-01"}, "'start' parameter must be at or before as_of"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        replay(make_ds(ALLOC_LINES), **kwargs)


def test_conservation_violations_raise():
    rep = replay(make_ds(ALLOC_LINES, ALLOC_RECEIPTS, [("A", 0, 2)]))
    ships = (rep.shipments["line"].to_numpy(), rep.shipments["quantity"].to_numpy())
    check_conservation(rep.lines, *ships, rep.stock)  # intact: no error
    lost = rep.lines.copy()
    lost.loc[0, "shipped"] -= 1
    with pytest.raises(ConservationError, match="conservation broken on 1 order line"):
        check_conservation(lost, *ships, rep.stock)
    created = rep.stock.copy()
    created["received_units"] = 0  # 5 units shipped from an opening stock of 2
    with pytest.raises(ConservationError, match=r"SKU\(s\) \['A'\].*opening stock"):
        check_conservation(rep.lines, *ships, created)


def test_compare_shipments_needs_shipments():
    with pytest.raises(ValueError, match="no shipments table"):
        replay(make_ds(ALLOC_LINES)).compare_shipments()


def with_shipments(ds: Dataset, shipments: list[tuple[str, int, pd.Timestamp]]) -> Dataset:
    """``ds`` with recorded shipments ``(order_id, units, ship_date)`` of SKU "A"."""
    ship = pd.DataFrame({"order_id": [s[0] for s in shipments], "sku": "A",
                         "quantity": [s[1] for s in shipments],
                         "ship_date": pd.to_datetime([s[2] for s in shipments])})
    return dataclasses.replace(ds, shipments=conform(ship, SHIPMENTS))


def test_compare_shipments_by_hand():
    # The fifo replay ships O1 2 units on day 0 at 10:00 and 1 on day 3 at 09:00, O2 1
    # on day 3 and 1 on day 5 at 09:00, and nothing to O3 (see test_fifo_partial_by_hand).
    # Recorded: O1 the same units per instant (day 0 in two rows), O2 its second unit a
    # day later, O3 one unit on day 8.
    ds = with_shipments(make_ds(ALLOC_LINES, ALLOC_RECEIPTS, [("A", 0, 2)]), [
        ("O1", 1, at(0, 10)), ("O1", 1, at(0, 10)), ("O1", 1, at(3, 9)),
        ("O2", 1, at(3, 9)), ("O2", 1, at(6, 9)), ("O3", 1, at(8, 9))])
    cmp = replay(ds, allocation="fifo").compare_shipments()
    assert (cmp.n_lines, cmp.n_identical) == (3, 1)
    assert cmp.share_identical == pytest.approx(1 / 3)
    assert (cmp.mean_abs_diff_days, cmp.max_abs_diff_days) == (0.5, 1.0)
    lines = cmp.lines
    assert list(lines.index) == [("O1", "A"), ("O2", "A"), ("O3", "A")]
    assert col_of(lines, "identical") == [True, False, False]
    assert col_of(lines, "recorded_shipped") == [3, 2, 1]
    assert col_of(lines, "replayed_shipped") == [3, 2, 0]
    assert col_of(lines, "recorded_last_ship") == [at(3, 9), at(6, 9), at(8, 9)]
    np.testing.assert_array_equal(lines["diff_days"], [0.0, -1.0, np.nan])
    assert list(cmp.differing.index) == [("O2", "A"), ("O3", "A")]
    assert repr(cmp).startswith("ShipmentComparison: 1 of 3 lines identical (33.33%)")
    again = pickle.loads(pickle.dumps(replay(ds, allocation="fifo").compare_shipments()))
    pd.testing.assert_frame_equal(again.lines, lines)


def col_of(frame: pd.DataFrame, name: str) -> list:
    return frame[name].tolist()


def reference_differing_keys(code_a, t_a, q_a, code_b, t_b, q_b, n_keys) -> np.ndarray:
    """Per key, whether the units shipped per instant differ: dictionaries, row by row."""
    units: list[list[dict]] = [[{}, {}] for _ in range(n_keys)]
    for side, (code, t, q) in enumerate(((code_a, t_a, q_a), (code_b, t_b, q_b))):
        for k, when, n in zip(code, t, q, strict=True):
            if k >= 0:
                units[k][side][when] = units[k][side].get(when, 0) + n
    return np.array([a != b for a, b in units], dtype=bool)


@pytest.mark.parametrize("seed", range(5))
def test_differing_keys_against_a_reference(seed):
    rng = np.random.default_rng(seed)
    n_keys, n = 40, 300
    code_a = rng.integers(-1, n_keys, n)
    t_a = rng.integers(0, 6, n)  # few instants: shipments often share one
    q_a = rng.integers(0, 3, n)  # 0 units too: an instant with 0 units is an instant
    # side b: side a's rows shuffled and some of them perturbed
    perm = rng.permutation(n)
    code_b, t_b, q_b = code_a[perm].copy(), t_a[perm].copy(), q_a[perm].copy()
    touch = rng.random(n) < 0.05
    t_b[touch] += rng.integers(-1, 2, touch.sum())
    q_b[rng.random(n) < 0.05] += 1
    keep = rng.random(n) > 0.02
    code_b, t_b, q_b = code_b[keep], t_b[keep], q_b[keep]
    got = _differing_keys(code_a, t_a, q_a, code_b, t_b, q_b, n_keys)
    want = reference_differing_keys(code_a, t_a, q_a, code_b, t_b, q_b, n_keys)
    np.testing.assert_array_equal(got, want)
    assert 0 < want.sum() < n_keys  # both outcomes are exercised


def test_differing_keys_without_rows():
    empty = np.zeros(0, np.int64)
    got = _differing_keys(empty, empty, empty, np.array([1]), np.array([5]), np.array([2]), 3)
    np.testing.assert_array_equal(got, [False, True, False])


# --------------------------------------------------------------------------- example data


@pytest.fixture(scope="module")
def example():
    return example_dataset(seed=0)


@pytest.fixture(scope="module")
def replays(example):
    return {allocation: replay(example, allocation=allocation)
            for allocation in ("priority", "fifo")}


def test_example_priority_reproduces_recorded_shipments(example, replays):
    rep = replays["priority"]
    cols = ["order_id", "line_id", "sku", "quantity", "ship_date"]
    keys = ["ship_date", "order_id", "line_id"]
    mine = rep.shipments[cols].sort_values(keys, ignore_index=True)
    theirs = example.shipments[cols].sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
    cmp = rep.compare_shipments()
    assert cmp.share_identical == 1.0
    assert cmp.max_abs_diff_days == 0.0
    assert len(cmp.differing) == 0
    # the replay cancels exactly the recorded lines, at the recorded instants
    recorded = example.orders["cancel_date"]
    pd.testing.assert_series_equal(rep.lines["cancel_date"], recorded, check_names=False)
    # and its stock matches every monthly count
    inv = rep.compare_inventory()
    assert len(inv) == 60 * 23
    assert (inv["diff"] == 0).all()


def test_example_documented_figures(replays):
    s = replays["priority"].summary.loc[TOTAL]
    assert s["open_lines"] == 76
    assert s["cancelled_lines"] == 318
    assert s["unit_fill_rate"] == pytest.approx(0.923, abs=5e-4)


def test_example_matches_generator_service_per_sku(example, replays):
    s = replays["priority"].summary.drop(index=TOTAL)
    truth = example.truth["service"].set_index("sku")
    for mine, theirs in [("ordered_units", "ordered_units"),
                         ("served_at_once_units", "filled_units"),
                         ("cancelled_units", "cancelled_units"),
                         ("open_units", "open_units")]:
        np.testing.assert_array_equal(s.loc[truth.index, mine], truth[theirs], err_msg=mine)


@pytest.mark.parametrize("allocation", ["priority", "fifo"])
def test_example_conservation(replays, allocation):
    rep = replays[allocation]
    L = rep.lines
    assert (L["quantity"] == L["shipped"] + L["open"] + L["cancelled"]).all()
    per_sku = L.groupby("sku")[["quantity", "shipped", "open", "cancelled"]].sum()
    assert (per_sku["quantity"] == per_sku[["shipped", "open", "cancelled"]].sum(axis=1)).all()
    shipped = rep.shipments.groupby("sku")["quantity"].sum()
    supply = rep.stock["opening_stock"] + rep.stock["received_units"]
    assert (shipped <= supply.loc[shipped.index]).all()
    assert shipped.sum() == L["shipped"].sum() <= supply.sum()
    # the timeline ends where the lines do, and stock never goes negative
    last = rep.timeline_total.iloc[-1]
    assert last["backordered_units"] == L["open"].sum()
    assert last["queue_length"] == (L["open"] > 0).sum()
    assert (rep.timeline["on_hand"] >= 0).all()
    s = rep.summary.loc[TOTAL]
    assert s["ordered_units"] == s["shipped_units"] + s["open_units"] + s["cancelled_units"]


def test_example_key_accounts_wait_less_under_priority(replays):
    waits = {}
    for allocation, rep in replays.items():
        L = rep.lines
        waits[allocation] = L.loc[(L["priority"] == 0) & (L["backordered"] > 0),
                                  "wait_days"].mean()
    # seed 0: about 6.13 days under "priority" against 6.57 under "fifo"
    assert waits["priority"] < waits["fifo"]


def test_example_fifo_differs_from_the_recorded_rule(replays):
    cmp = replays["fifo"].compare_shipments()
    assert 0.95 < cmp.share_identical < 1.0
    assert cmp.n_lines - cmp.n_identical == len(cmp.differing)


def test_example_repr_and_html(replays):
    rep = replays["priority"]
    text = repr(rep)
    assert text.startswith("Replay of 165,178 lines, 60 SKUs, 2024-01-01 → 2025-12-30")
    assert "unit fill 92.3%" in text
    assert "76 open backorders" in text
    assert "<table" in rep._repr_html_()
    assert rep.to_frame() is rep.lines


@pytest.mark.parametrize("kind", ["wait", "ageing", "timeline"])
@pytest.mark.parametrize("sku", [None, "SKU-0002"])
def test_plot(replays, kind, sku):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = replays["priority"].plot(kind=kind, sku=sku)
    assert ax.get_title()
    plt.close(ax.figure)


def test_plot_bad_kind(replays):
    with pytest.raises(ValueError, match="'kind' parameter must be one of"):
        replays["priority"].plot(kind="pie")


def test_negative_priority_is_served_first():
    lines = [{"id": "p2", "qty": 1, "prio": 2, "when": at(0, 10)},
             {"id": "m1", "qty": 1, "prio": -1, "when": at(0, 11)},
             {"id": "p0", "qty": 1, "prio": 0, "when": at(0, 12)}]
    rep = replay(make_ds(lines, [(at(1, 10), 1), (at(2, 10), 1)]), allocation="priority")
    assert col(rep, "last_ship_date")[1:] == [at(1, 10), at(2, 10)]
    assert col(rep, "status") == ["open", "shipped", "shipped"]


# ------------------------------------------------------------------ the compiled kernel

BIG = 1 << 62
NONE = -BIG


def reference_replay_sku(
    t: list[int],
    qty: list[int],
    keys: list[int],
    cancel_t: list[int],
    cancel_line: list[int],
    recv_t: list[int],
    recv_q: list[int],
    opening: int,
    complete: bool,
) -> tuple[list[int], list[int], list[int], list[int], list[int], list[int], list[int]]:
    """Event replay of one SKU; times in ns, lines sorted by arrival.

    ``keys[i] % n == i`` orders the queue (arrival, or priority then arrival);
    ``cancel_t``/``cancel_line`` are the cancellation instants sorted by (time, line);
    receipts are sorted by time. Returns ``remaining`` (open units), ``at_once``,
    ``cancelled`` units, ``cancel_at`` (``NONE`` if not cancelled) per line and the
    shipments as three lists (line, units, time).
    """
    n = len(t)
    remaining = list(qty)
    at_once = [0] * n
    cancelled = [0] * n
    cancel_at = [NONE] * n
    s_line: list[int] = []
    s_qty: list[int] = []
    s_t: list[int] = []
    heap: list[int] = []
    push, pop = heapq.heappush, heapq.heappop
    on_hand = opening
    i = j = k = 0
    nr, nc = len(recv_t), len(cancel_t)
    tr = recv_t[0] if nr else BIG
    td = t[0] if n else BIG
    tc = cancel_t[0] if nc else BIG
    while True:
        if tr <= td and tr <= tc:  # receipt (first at an instant)
            if tr == BIG:
                break
            now = tr
            on_hand += recv_q[j]
            j += 1
            tr = recv_t[j] if j < nr else BIG
        elif td <= tc:  # demand
            now = td
            push(heap, keys[i])
            i += 1
            td = t[i] if i < n else BIG
        else:  # cancellation of what is still open
            now = tc
            line = cancel_line[k]
            k += 1
            tc = cancel_t[k] if k < nc else BIG
            need = remaining[line]
            if need:
                cancelled[line] = need
                cancel_at[line] = now
                remaining[line] = 0
        while heap and on_hand > 0:  # serve the queue in allocation order
            line = heap[0] % n
            need = remaining[line]
            if need == 0:
                pop(heap)
                continue
            if need > on_hand:
                if complete:
                    break
                ship = on_hand
            else:
                ship = need
                pop(heap)
            remaining[line] = need - ship
            on_hand -= ship
            s_line.append(line)
            s_qty.append(ship)
            s_t.append(now)
            if now == t[line]:
                at_once[line] += ship
    return remaining, at_once, cancelled, cancel_at, s_line, s_qty, s_t



@pytest.mark.parametrize("seed", range(12))
def test_compiled_kernel_matches_the_python_reference(seed):
    """The compiled event loop (one call for all SKUs) against the plain-Python heap
    loop it replaced, SKU by SKU: random lines, receipts, cancellations (some at the
    same instants), priorities of either sign, partial and complete shipping."""
    rng = np.random.default_rng(seed)
    n_sku = 4
    sizes = rng.integers(0, 40, n_sku)
    code = np.repeat(np.arange(n_sku), sizes)
    n = len(code)
    t = rng.integers(0, 60, n) * 10
    qty = rng.integers(1, 6, n)
    prio = rng.integers(-2, 3, n)
    cancel = np.where(rng.random(n) < 0.3, t + rng.integers(0, 200, n), BIG)
    r_code = np.repeat(np.arange(n_sku), rng.integers(0, 8, n_sku))
    r_t = rng.integers(0, 60, len(r_code)) * 10
    r_q = rng.integers(1, 30, len(r_code))
    opening = rng.integers(0, 10, n_sku)
    order = np.lexsort((np.arange(n), t, code))
    bounds = np.searchsorted(code[order], np.arange(n_sku + 1))
    r_order = np.lexsort((np.arange(len(r_code)), r_t, r_code))
    r_bounds = np.searchsorted(r_code[r_order], np.arange(n_sku + 1))
    for priority in (False, True):
        for complete in (False, True):
            got = replay_events(order, bounds, t, qty, prio, cancel, r_order, r_bounds,
                                r_t, r_q, opening, priority, complete)
            for s in range(n_sku):
                idx = order[bounds[s]:bounds[s + 1]]
                m = len(idx)
                local = np.arange(m)
                keys = local + prio[idx] * m if priority else local
                c_t = cancel[idx]
                c_local = np.flatnonzero(c_t < BIG)
                c_local = c_local[np.lexsort((c_local, c_t[c_local]))]
                ridx = r_order[r_bounds[s]:r_bounds[s + 1]]
                want = reference_replay_sku(
                    t[idx].tolist(), qty[idx].tolist(), keys.tolist(), c_t[c_local].tolist(),
                    c_local.tolist(), r_t[ridx].tolist(), r_q[ridx].tolist(),
                    int(opening[s]), complete)
                for mine, theirs in zip(got[:4], want[:4], strict=True):
                    np.testing.assert_array_equal(mine[idx], theirs)
                sel = np.isin(got[4], idx)
                np.testing.assert_array_equal(got[4][sel], idx[np.asarray(want[4], int)])
                np.testing.assert_array_equal(got[5][sel], want[5])
                np.testing.assert_array_equal(got[6][sel], want[6])


def test_first_and_last_shipment_of_each_line_as_numpy_reduces_them():
    from backorder_analytics.simulation.replay_kernel import first_and_last

    rng = np.random.default_rng(5)
    n = 500
    ship_line = rng.integers(0, n, 3000)
    ship_t = rng.integers(0, 10**15, 3000)
    first = np.full(n, 1 << 62, np.int64)
    last = np.full(n, -(1 << 62), np.int64)
    np.minimum.at(first, ship_line, ship_t)
    np.maximum.at(last, ship_line, ship_t)
    got_first, got_last = first_and_last(n, ship_line, ship_t, 1 << 62, -(1 << 62))
    np.testing.assert_array_equal(got_first, first)
    np.testing.assert_array_equal(got_last, last)
    assert (got_first == 1 << 62).any()  # lines never shipped keep "never"


@pytest.mark.parametrize("rules", [{}, {"allocation": "fifo", "shipping": "complete",
                                        "max_wait_days": 20}])
def test_daily_timeline_is_the_replay_as_it_stood_each_evening(rules):
    """End-of-day queue length and backordered units of the timeline against the
    lines still waiting in ``at(day)``, the replay cut at the end of that day."""
    ds = example_dataset(seed=4, n_skus=12)
    rep = replay(ds, **rules)
    total = rep.timeline_total
    for day in total.index[::13]:
        then = rep.at(day).lines
        waiting = then["open"] > 0
        assert total.loc[day, "queue_length"] == waiting.sum(), day
        assert total.loc[day, "backordered_units"] == then["open"].sum(), day
        assert total.loc[day, "demand"] == then.loc[
            then["order_date"].dt.normalize() == day, "quantity"].sum(), day
