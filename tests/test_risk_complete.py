"""Tests of backorder_risk under complete shipping: the queue kernel against a plain
heap simulation, line by line (the generator's rule); the whole call against order
lines simulated one by one from the same laws; FIFO's affected lines equal to partial
shipping's; partial shipping's figures unchanged."""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd
import pytest

from backorder_analytics import PoissonDemand, example_dataset
from backorder_analytics.data.dataset import Dataset
from backorder_analytics.data.schemas import INVENTORY, ORDERS, PURCHASE_ORDERS, conform
from backorder_analytics.planning.complete_shipping import complete_shipping_backorders
from backorder_analytics.planning.line_bank import LineBank
from backorder_analytics.planning.risk import backorder_risk

AS_OF = pd.Timestamp("2025-06-30 23:59:59")
START = pd.Timestamp("2025-07-01")  # day 1 of the horizon
DAY = pd.Timedelta(days=1)


def queue_by_hand(on_hand, receipts, waiting, lines):
    """Per SKU and replication, a heap of ``(level, arrival, size)``: a receipt ships
    the head while the stock covers it; a new line ships at once when it would head
    the heap and the stock covers it, else it joins the heap with all its units
    backordered (``example_dataset``'s ``_simulate_sku`` rule)."""
    k, n, h = receipts.shape
    short = np.zeros((k, n, h), np.int64)
    hit = np.zeros((k, n), np.int64)
    w_row, w_level, w_size = waiting
    cell, day, level, size = lines
    for r in range(k):
        for j in range(n):
            stock, heap, arrival = int(on_hand[r]), [], 0
            for i in np.flatnonzero(w_row == r):
                heapq.heappush(heap, (int(w_level[i]), arrival, int(w_size[i])))
                arrival += 1
            mine = np.flatnonzero(cell == r * n + j)
            for t in range(h):
                stock += int(receipts[r, j, t])
                while heap and heap[0][2] <= stock:
                    stock -= heapq.heappop(heap)[2]
                for i in mine[day[mine] == t]:
                    line = (int(level[i]), arrival, int(size[i]))
                    arrival += 1
                    if (not heap or line < heap[0]) and line[2] <= stock:
                        stock -= line[2]
                    else:
                        heapq.heappush(heap, line)
                        short[r, j, t] += line[2]
                        hit[r, j] += 1
    return short, hit


@pytest.mark.parametrize("seed", range(6))
def test_kernel_against_a_heap_line_by_line(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        k, n, h, levels = (int(v) for v in rng.integers(1, [4, 4, 9, 4]))
        receipts = rng.integers(0, 12, (k, n, h)) * (rng.random((k, n, h)) < 0.3)
        m = int(rng.integers(0, 5))
        waiting = (np.sort(rng.integers(0, k, m)), rng.integers(0, levels, m),
                   rng.integers(1, 9, m))
        m = int(rng.integers(0, 60))
        cell, day = rng.integers(0, k * n, m), rng.integers(0, h, m)
        order = np.lexsort((day, cell))
        lines = (cell[order], day[order], rng.integers(0, levels, m), rng.integers(1, 8, m))
        on_hand = rng.integers(0, 9, k)
        short, hit = complete_shipping_backorders(on_hand, receipts, waiting, lines, levels)
        want_short, want_hit = queue_by_hand(on_hand, receipts, waiting, lines)
        np.testing.assert_array_equal(short, want_short)
        np.testing.assert_array_equal(hit, want_hit)


def priority_ds() -> Dataset:
    """SKU "A": lines of 3 units at priorities 0 and 1, then one of 8 at priority 2 that
    the 5 units left cannot fill whole: under complete shipping it waits at AS_OF with
    5 on hand. An open PO of 10 units is due on day 10 of the horizon."""
    orders = pd.DataFrame({"order_id": ["O1", "O2", "O3"], "sku": "A",
                           "quantity": [3, 3, 8], "priority": [0, 1, 2],
                           "order_date": AS_OF - pd.to_timedelta([90, 60, 30], unit="D")})
    po = pd.DataFrame({"po_id": ["P1"], "sku": "A", "supplier_id": "S", "quantity": [10],
                       "order_date": [AS_OF - 3 * DAY], "expected_date": [START + 9 * DAY],
                       "received_date": pd.NaT})
    inv = pd.DataFrame({"sku": ["A"], "date": [AS_OF.normalize() - 200 * DAY],
                        "on_hand": [11]})
    return Dataset(orders=conform(orders, ORDERS), purchase_orders=conform(po, PURCHASE_ORDERS),
                   inventory=conform(inv, INVENTORY), as_of=AS_OF)


def lines_one_by_one(rate, sizes, h, n, fifo):
    """Order lines simulated one by one from the laws of ``priority_ds`` under complete
    shipping: Poisson(rate) lines a day, sizes uniform on ``sizes``, priority 0, 1 or 2
    with probability 1/3 each (its history's mix; all alike under FIFO); the 8 units at
    priority 2 waiting, 5 on hand, 10 received on day 10. Per replication: any line
    backordered, backordered units, lines."""
    rng = np.random.default_rng(7)
    any_, units, lines = np.zeros(n, bool), np.zeros(n), np.zeros(n)
    for j in range(n):
        stock, heap, arrival = 5, [(0 if fifo else 2, 0, 8)], 1
        for t in range(h):
            stock += 10 if t == 9 else 0
            while heap and heap[0][2] <= stock:
                stock -= heapq.heappop(heap)[2]
            for _ in range(rng.poisson(rate)):
                line = (0 if fifo else int(rng.integers(0, 3)), arrival,
                        int(rng.choice(sizes)))
                arrival += 1
                if (not heap or line < heap[0]) and line[2] <= stock:
                    stock -= line[2]
                else:
                    heapq.heappush(heap, line)
                    units[j] += line[2]
                    lines[j] += 1
        any_[j] = lines[j] > 0
    return any_.mean(), units.mean(), lines.mean(), units.std() / np.sqrt(n), \
        lines.std() / np.sqrt(n)


@pytest.mark.parametrize("allocation", ["priority", "fifo"])
def test_whole_call_against_lines_one_by_one(allocation):
    # The initial queue, the priority mix drawn from the history, the PO's receipt and
    # the queue together, against lines simulated one by one from the same laws.
    sizes = np.array([1, 2, 4])
    row = backorder_risk(priority_ds(), 20, forecast=PoissonDemand(0.6, size=sizes),
                         lead_times="expected", reorder_points=None, allocation=allocation,
                         shipping="complete", n_reps=20_000, seed=2).to_frame().iloc[0]
    assert (row["on_hand"], row["backordered_now"]) == (5, 8)
    p, units, lines, se_units, se_lines = lines_one_by_one(0.6, sizes, 20, 20_000,
                                                           allocation == "fifo")
    assert row["p_backorder"] == pytest.approx(p, abs=0.015)
    assert abs(row["expected_backordered_units"] - units) < 4 * np.hypot(se_units, se_units)
    assert abs(row["expected_customers_affected"] - lines) < 4 * np.hypot(se_lines, se_lines)


def lumpy_stock_ds(stock: int) -> Dataset:
    """SKU "L": 40 lines of varied sizes over a year, all shipped, ``stock`` left, an
    open PO of 30 due on day 6."""
    rng = np.random.default_rng(5)
    q = 1 + rng.negative_binomial(0.8, 0.1, 40)
    orders = pd.DataFrame({"order_id": [f"O{i}" for i in range(40)], "sku": "L",
                           "quantity": q,
                           "order_date": AS_OF - pd.to_timedelta(np.arange(40) * 9 + 1,
                                                                 unit="D")})
    po = pd.DataFrame({"po_id": ["P1"], "sku": "L", "supplier_id": "S", "quantity": [30],
                       "order_date": [AS_OF - 3 * DAY], "expected_date": [START + 5 * DAY],
                       "received_date": pd.NaT})
    inv = pd.DataFrame({"sku": ["L"], "date": [AS_OF.normalize() - 400 * DAY],
                        "on_hand": [stock + int(q.sum())]})
    return Dataset(orders=conform(orders, ORDERS), purchase_orders=conform(po, PURCHASE_ORDERS),
                   inventory=conform(inv, INVENTORY), as_of=AS_OF)


@pytest.mark.parametrize("forecast", ["historic_average", PoissonDemand(1.5, size=[1, 3, 9])])
def test_fifo_complete_hits_the_lines_partial_shipping_hits(forecast):
    # Under FIFO a line waits exactly when the stock net of the lines before it does not
    # cover it, whole or in part: the same lines as partial shipping, all their units.
    kw = {"forecast": forecast, "lead_times": "expected", "reorder_points": {"L": (10, 25)},
          "allocation": "fifo", "n_reps": 500, "seed": 4}
    ds = lumpy_stock_ds(12)
    part = backorder_risk(ds, 28, shipping="partial", **kw).to_frame().iloc[0]
    whole = backorder_risk(ds, 28, shipping="complete", **kw).to_frame().iloc[0]
    assert whole["p_backorder"] == part["p_backorder"]
    assert whole["expected_customers_affected"] == pytest.approx(
        part["expected_customers_affected"])
    assert whole["expected_backordered_units"] > part["expected_backordered_units"]


@pytest.mark.parametrize(("sizes", "rate"), [([1, 1, 2, 3, 5, 8, 13, 30], 2.0),
                                             ([2, 2, 2], 1.0), ([1, 4, 9], 30.0)])
def test_bank_split_into_the_lines_lines_hit_counts(sizes, rate):
    # Days the bank drew, totals it did not (a lumpy bank), the even split (one size;
    # many lines a day): the split's lines add up to the day, and those ending beyond
    # the units available are the lines lines_hit counts.
    rng = np.random.default_rng(0)
    bank = LineBank(np.array(sizes), rate, rng)
    d = rng.integers(1, 120, 500)
    a = (rng.random(500) * d).astype(np.int64)
    u = rng.random(500)
    day, size = bank.split(d, u)
    assert (size >= 0).all()
    np.testing.assert_array_equal(np.bincount(day, size, len(d)), d)
    end = np.cumsum(size) - np.concatenate([[0], np.cumsum(np.bincount(day, size, len(d)))])[day]
    np.testing.assert_array_equal(np.bincount(day, end > a[day], len(d)),
                                  bank.lines_hit(d, a, u))


def test_partial_shipping_unchanged():
    # Figures of the partial-shipping path before complete shipping was modelled
    # (commit 67360c8), and the default equal to shipping="partial".
    ds = example_dataset(seed=0)
    for forecast, expected in (("historic_average", (16.285, 1543.485, 462.82)),
                               (PoissonDemand(2.0, size=3), (17.54, 1469.335, 503.46))):
        kw = {"forecast": forecast, "n_reps": 200, "seed": 3, "allocation": "priority"}
        t = backorder_risk(ds, 28, **kw).to_frame()
        got = t[["p_backorder", "expected_backordered_units",
                 "expected_customers_affected"]].sum().to_numpy()
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
        pd.testing.assert_frame_equal(t, backorder_risk(ds, 28, shipping="partial",
                                                        **kw).to_frame())


def test_a_skus_complete_shipping_risk_does_not_depend_on_the_other_skus():
    """The per-SKU contract under complete shipping and priority allocation: a SKU's
    figures are those it gets with other SKUs, a SKU with no line yet included (its new
    lines then all of one priority, whatever the priorities of the other SKUs' lines:
    here they are made all urgent, and a PO arrives in the horizon so that the order
    of the queue matters)."""
    ds = example_dataset(seed=4, n_skus=10, days=240, shipping="complete")
    new, some = "SKU-NEW", [ds.skus[1], ds.skus[6]]
    orders = ds.orders.copy()
    orders.loc[~orders["sku"].isin(some), "priority"] = 0
    po = ds.purchase_orders.iloc[-1:].assign(
        po_id="PO-NEW", sku=new, quantity=12, order_date=ds.as_of - 2 * DAY,
        expected_date=ds.as_of + 3 * DAY)
    shop = Dataset(orders=orders,
                   purchase_orders=pd.concat([ds.purchase_orders, po], ignore_index=True),
                   inventory=pd.concat([ds.inventory, ds.inventory.iloc[-1:].assign(
                       sku=new, on_hand=4)], ignore_index=True),
                   items=pd.concat([ds.items, ds.items.iloc[:1].assign(sku=new)],
                                   ignore_index=True),
                   as_of=ds.as_of)
    sources = {sku: PoissonDemand(0.8, size=[1, 2, 5]) for sku in [*shop.skus, new]}
    options = {"lead_times": 5.0, "n_reps": 300, "seed": 3, "reorder_points": None,
               "allocation": "priority", "shipping": "complete"}
    whole = backorder_risk(shop, 21, forecast=sources, **options).to_frame()
    part = backorder_risk(shop, 21, forecast={s: sources[s] for s in [*some, new]},
                          **options).to_frame()
    whole = whole[whole["sku"].isin([*some, new])].drop(columns="rank")
    pd.testing.assert_frame_equal(part.drop(columns="rank"), whole.reset_index(drop=True))
    assert 0 < whole.set_index("sku").loc[new, "p_backorder"] < 1
