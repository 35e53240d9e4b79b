"""Tests of backorder_analytics.alerts: each rule on hand-made frames at its exact
boundaries, the whole call on a hand-built dataset whose state is worked out by hand,
and the example dataset against an independent replay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backorder_analytics import example_dataset
from backorder_analytics.data.dataset import Dataset
from backorder_analytics.data.schemas import INVENTORY, ITEMS, ORDERS, PURCHASE_ORDERS, conform
from backorder_analytics.planning.alerts import (
    COLUMNS,
    KINDS,
    Alerts,
    ageing_backorders,
    alerts,
    below_reorder_point,
    eta_slipped,
    late_purchase_orders,
    low_stock,
    status_updates_due,
)
from backorder_analytics.simulation.replay import replay

AS_OF = pd.Timestamp("2025-12-30 23:59:59")
D = pd.Timedelta(days=1)


def ago(days: float) -> pd.Timestamp:
    return AS_OF - pd.Timedelta(days=days)


def by(frame: pd.DataFrame, col: str) -> dict:
    return {k: row for k, row in frame.set_index(col).iterrows()}


# --------------------------------------------------------------------------- low stock


def sku_frame(**cols) -> pd.DataFrame:
    n = len(cols["sku"])
    base = {"supplier_id": ["S1"] * n, "arriving_units": [0] * n,
            "backordered_units": [0] * n, "lead_time_days": [5.0] * n}
    base.update(cols)
    return pd.DataFrame(base)


def test_low_stock_boundaries_and_severity():
    skus = sku_frame(sku=["equal", "below", "none_on_hand", "negative", "idle", "idle_bo"],
                     on_hand=[10, 9, 0, 2, 0, 0], arriving_units=[0, 0, 20, 0, 0, 0],
                     backordered_units=[0, 0, 0, 5, 0, 2],
                     mean_daily_demand=[2.0, 2.0, 5.0, 1.0, 0.0, 0.0])
    out = by(low_stock(skus, AS_OF), "sku")
    # cover = (on hand + arriving − backordered) / demand, against the 5-day lead time
    assert set(out) == {"below", "none_on_hand", "negative", "idle_bo"}  # 10/2 = 5: not < 5
    assert out["below"]["severity"] == "medium"
    assert out["below"]["days"] == pytest.approx(4.5)  # 9 / 2
    assert out["below"]["due_date"] == AS_OF + pd.Timedelta(days=4.5)
    assert out["none_on_hand"]["severity"] == "high"  # 20 / 5 = 4 days, nothing on hand
    assert out["none_on_hand"]["days"] == pytest.approx(4.0)
    assert out["negative"]["severity"] == "high"
    assert out["negative"]["units"] == -3  # 2 − 5
    assert pd.isna(out["negative"]["due_date"])
    assert out["idle_bo"]["days"] == -np.inf
    assert "9 on hand + 0 arriving within the 5.0-day lead time − 0 backordered = 9 units, " \
           "4.5 days of demand at 2.00 units/day; stock-out expected 2026-01-04" \
        in out["below"]["message"]


def test_low_stock_action_names_po_and_backup_supplier():
    skus = sku_frame(sku=["A", "B", "C"], on_hand=[1, 1, 1], mean_daily_demand=[1.0] * 3,
                     supplier_id=["S1", "S2", "S3"], supplier_late_days=[3.0, 2.0, np.nan],
                     next_po_id=["PO-7", None, None], next_po_units=[40.0, np.nan, np.nan],
                     next_po_date=pd.to_datetime(["2026-01-02", None, None]))
    out = by(low_stock(skus, AS_OF, late_supplier_days=2.0), "sku")
    assert out["A"]["action"] == ("Order now from S1; expedite PO-7 (40 units, expected "
                                  "2026-01-02); S1 delivers 3.0 days late on average: ask a "
                                  "backup supplier")
    assert out["B"]["action"] == "Order now from S2; no PO is open"  # 2.0 is not > 2.0
    assert out["C"]["action"] == "Order now from S3; no PO is open"


# --------------------------------------------------------------------------- reorder point


def test_below_reorder_point_boundaries_and_quantity():
    skus = pd.DataFrame({
        "sku": ["at", "above", "negative", "no_rop", "gap"],
        "supplier_id": ["S1"] * 5,
        "on_hand": [5, 6, 0, 0, 0], "on_order": [10, 10, 0, 0, 0],
        "backordered_units": [3, 3, 2, 0, 0],
        "reorder_point": [12.0, 12.0, 12.4, np.nan, 25.0],
        "order_quantity": [10.0, 10.0, np.nan, 10.0, 10.0]})
    out = by(below_reorder_point(skus), "sku")
    assert set(out) == {"at", "negative", "gap"}
    assert out["at"]["units"] == 12
    assert out["at"]["severity"] == "medium"
    assert out["at"]["action"].startswith("Place a PO for 10 units (1 × the order quantity 10)")
    assert out["negative"]["severity"] == "high"
    assert out["negative"]["units"] == -2
    assert out["negative"]["action"].startswith("Place a PO for 15 units with S1")  # ⌊14.4⌋+1
    assert out["gap"]["action"].startswith("Place a PO for 30 units")  # 3 × 10 lifts 0 > 25
    assert out["gap"]["limit_units"] == 25.0


# --------------------------------------------------------------------------- ageing


def line_frame(ages, **cols) -> pd.DataFrame:
    n = len(ages)
    base = {"order_id": [f"SO-{i}" for i in range(n)], "line_id": ["1"] * n,
            "sku": ["A"] * n, "customer_id": ["C-1"] * n,
            "order_date": [ago(a) for a in ages], "quantity": [5] * n, "open_units": [3] * n}
    base.update(cols)
    return pd.DataFrame(base)


def test_ageing_boundaries():
    minute = 1 / 1440
    ages = [23.0, 23.0 - minute, 30.0, 30.0 - minute, 10.0, 10.0, 25.0]
    orders = [ago(a) for a in ages]
    limit = [o + 30 * D for o in orders]
    eta = [pd.NaT, pd.NaT, pd.NaT, pd.NaT, limit[4] + pd.Timedelta(minutes=1), limit[5],
           limit[6] + D]
    lines = line_frame(ages, eta_p80=eta,
                       expected_po=[None, None, None, None, "PO-9", None, None])
    out = ageing_backorders(lines, AS_OF, max_wait_days=30, warn_days=7)
    got = dict(zip(out["order_id"], zip(out["kind"], out["severity"], strict=True),
                   strict=True))
    assert got == {
        "SO-0": ("backorder_near_limit", "medium"),   # exactly 30 − 7 days old
        "SO-2": ("backorder_past_limit", "high"),     # exactly 30 days old
        "SO-3": ("backorder_near_limit", "medium"),
        "SO-4": ("backorder_will_miss_limit", "high"),  # ETA one minute after the limit
        "SO-6": ("backorder_will_miss_limit", "high"),  # near, but missing takes precedence
    }
    row = by(out, "order_id")
    assert row["SO-0"]["due_date"] == orders[0] + 30 * D
    assert row["SO-0"]["days"] == pytest.approx(23.0)
    assert "7.0 days" in row["SO-0"]["message"]  # limit in 7 days
    assert row["SO-4"]["action"].startswith("Expedite PO-9 (expected to fill it); otherwise "
                                            "offer customer C-1 an alternative or a refund")
    assert row["SO-2"]["action"] == ("Offer customer C-1 an alternative or a refund now")


def test_ageing_suggests_backup_supplier_when_late_on_average():
    lines = line_frame([31.0, 31.0], supplier_id=["S1", "S2"], supplier_late_days=[4.5, 1.0])
    out = by(ageing_backorders(lines, AS_OF), "order_id")
    assert out["SO-0"]["action"].endswith("S1 delivers 4.5 days late on average: ask a backup "
                                          "supplier")
    assert "backup" not in out["SO-1"]["action"]


# --------------------------------------------------------------------------- late POs


def test_late_pos_calendar_days_and_severity():
    exp = pd.to_datetime(["2025-12-30 00:00", "2025-12-29 00:00", "2025-12-29 23:00",
                          "2025-12-27 00:00",
                          "2025-12-23 00:00", "2025-12-29 00:00", None])
    pos = pd.DataFrame({"po_id": [f"P{i}" for i in range(7)], "sku": list("AAAABCD"),
                        "supplier_id": ["S1"] * 7, "quantity": [10] * 7,
                        "expected_date": exp,
                        "backordered_units": [0, 0, 0, 0, 0, 4, 0],
                        "backordered_lines": [0, 0, 0, 0, 0, 2, 0]})
    out = by(late_purchase_orders(pos, AS_OF), "po_id")
    assert set(out) == {"P1", "P2", "P3", "P4", "P5"}  # due today (P0) is not late
    assert [out[p]["days"] for p in ("P1", "P2", "P3", "P4")] == [1, 1, 3, 7]
    assert [out[p]["severity"] for p in ("P1", "P3", "P4", "P5")] == \
        ["low", "medium", "high", "high"]
    assert out["P5"]["action"] == "Chase S1 for a firm delivery date; expedite P5"
    assert out["P5"]["message"] == ("P5 (S1, 10 units of C) was due 2025-12-29, 1 day(s) "
                                    "ago; 2 backordered line(s) (4 units) wait for it")


# --------------------------------------------------------------------------- status


def test_status_updates_default_cadence():
    ages = [0.5, 1.0, 7.0, 8.0, 7.5, 14.2, 3.0]
    lines = line_frame(ages, eta_p80=[pd.Timestamp("2026-01-05")] + [pd.NaT] * 6)
    out = by(status_updates_due(lines, AS_OF, update_every_days=7), "order_id")
    # new since the last run (one day ago) at once; then when order + 7k falls in
    # (last run, as_of]
    assert set(out) == {"SO-0", "SO-2", "SO-4", "SO-5"}
    assert out["SO-0"]["severity"] == "medium"
    assert out["SO-0"]["action"] == "Send the backorder notice now"
    assert "expected by 2026-01-05 (80% ETA)" in out["SO-0"]["message"]
    assert out["SO-2"]["severity"] == "low"
    assert out["SO-5"]["due_date"] == ago(14.2) + 7 * D  # told one cadence after ordering
    assert out["SO-5"]["action"] == ("Send the regular status update (last "
                                     f"{(ago(14.2) + 7 * D).date()})")


def test_status_updates_with_contact_log():
    lines = line_frame([0.5, 0.5, 20.0, 20.0, 20.0])
    log = pd.DataFrame({"order_id": ["SO-1", "SO-2", "SO-3"], "line_id": ["1"] * 3,
                        "contacted_at": [ago(0.2), ago(7.0), ago(6.9)]})
    out = by(status_updates_due(lines, AS_OF, last_contacted=log), "order_id")
    # SO-0 new, not told; SO-1 new, told; SO-2 told exactly 7 days ago; SO-3 6.9 days
    # ago; SO-4 never told
    assert {k: v["severity"] for k, v in out.items()} == {"SO-0": "medium", "SO-2": "low",
                                                          "SO-4": "medium"}
    assert out["SO-4"]["action"] == "Send a status update: not told yet"


# --------------------------------------------------------------------------- slip


def test_eta_slip_boundary_and_limit():
    base = pd.Timestamp("2026-01-10")
    lines = line_frame([5, 5, 5, 5], eta_p80=[base + 2 * D, base + 2.5 * D, base + 3 * D,
                                              base + 9 * D],
                       limit_date=[base + 20 * D, base + 20 * D, base + D, base + 20 * D])
    prev = pd.DataFrame({"order_id": ["SO-0", "SO-1", "SO-2"], "line_id": ["1"] * 3,
                         "eta_p80": [base] * 3})
    out = by(eta_slipped(lines, prev, slip_days=2), "order_id")
    assert set(out) == {"SO-1", "SO-2"}  # exactly 2 days is not > 2; SO-3 not told before
    assert out["SO-1"]["severity"] == "medium"
    assert out["SO-1"]["days"] == pytest.approx(2.5)
    assert out["SO-2"]["severity"] == "high"  # the new ETA is after the limit
    assert out["SO-2"]["message"].endswith("now 2026-01-13, was 2026-01-10, after the limit "
                                           "date 2026-01-11")


# --------------------------------------------------------------------------- whole call


def hand_dataset() -> Dataset:
    """Two SKUs, supplier S1 (SKU A) and S2 (SKU B), as_of 2025-12-30 23:59:59.

    A: 2 on hand at 2025-09-01, PO-A1 (8 units) received 2025-11-07, 2 days late (S1
    lateness 2.0 — not > 2); orders of 4 (day −40) and 6 units (day −10) ship from
    stock, 5 units (day −2, customer <b>) wait: on hand 0, backordered 5. PO-A2 (20
    units) is open, due 2025-12-28 (2 days late).
    B: 50 on hand, an order of 9 units 100 days ago; no open PO.
    """
    orders = pd.DataFrame({
        "order_id": ["O1", "O2", "O3", "O4"], "line_id": ["1", "1", "1", "1"],
        "sku": ["A", "A", "A", "B"], "quantity": [4, 6, 5, 9],
        "order_date": [ago(40), ago(10), ago(2), ago(100)],
        "customer_id": ["C1", "C2", "<b>", "C3"], "priority": [0, 0, 0, 0]})
    po = pd.DataFrame({
        "po_id": ["PO-A1", "PO-A2"], "sku": ["A", "A"], "supplier_id": ["S1", "S1"],
        "quantity": [8, 20], "order_date": [ago(60), ago(9)],
        "expected_date": pd.to_datetime(["2025-11-05", "2025-12-28"]),
        "received_date": pd.to_datetime(["2025-11-07", None])})
    inv = pd.DataFrame({"sku": ["A", "B"], "date": pd.to_datetime(["2025-09-01"] * 2),
                        "on_hand": [2, 50]})
    items = pd.DataFrame({"sku": ["A", "B"], "supplier_id": ["S1", "S2"]})
    return Dataset(orders=conform(orders, ORDERS), purchase_orders=conform(po, PURCHASE_ORDERS),
                   inventory=conform(inv, INVENTORY), items=conform(items, ITEMS), as_of=AS_OF)


def test_alerts_on_hand_built_dataset():
    ds = hand_dataset()
    eta = pd.DataFrame({"order_id": ["O3"], "line_id": ["1"], "eta_p80": ["2026-01-04"],
                        "expected_po": ["PO-A2"]})
    prev = pd.DataFrame({"order_id": ["O3"], "line_id": ["1"], "eta_p80": ["2026-01-01"]})
    al = alerts(ds, eta=eta, previous_eta=prev, lead_times=5.0,
                reorder_points={"A": 12.0, "B": 8.0})
    s = al.skus.set_index("sku")
    # A: 2 + 8 received − 4 − 6 shipped = 0 on hand; 5 backordered; 20 on order, due in
    # the lead time; demand 15 units over the last 40 days; B: 50 − 9
    assert s.loc["A", ["on_hand", "backordered_units", "on_order", "arriving_units"]].tolist() \
        == [0, 5, 20, 20]
    assert s.loc["B", "on_hand"] == 41
    assert s.loc["A", "mean_daily_demand"] == pytest.approx(15 / 40)
    assert s.loc["B", "mean_daily_demand"] == pytest.approx(0.0)  # nothing in 90 days
    assert s.loc["A", "supplier_late_days"] == pytest.approx(2.0)
    f = al.to_frame()
    assert list(f.columns) == COLUMNS
    got = sorted(zip(f["kind"].astype(str), f["severity"].astype(str),
                     f["order_id"].fillna(f["po_id"]).fillna(f["sku"]), strict=True))
    # A: cover (0 + 20 − 5) / 0.375 = 40 d >= 5 d: no low stock; position 0 + 20 − 5 = 15
    # > 12; PO-A2 2 days late with backorders waiting: high; O3 became backordered 2
    # days ago (no notice due today, not 7 days old); ETA slipped 3 days > 2
    assert got == [("eta_slipped", "medium", "O3"), ("late_po", "high", "PO-A2")]
    assert f["severity"].cat.ordered
    assert list(f["severity"].cat.categories) == \
        ["low", "medium", "high"]
    assert f.loc[0, "kind"] == "late_po"  # high first
    assert f.loc[1, "po_id"] == "PO-A2"  # the PO expected to fill O3, named in the action
    html = al._repr_html_()
    assert "customer &lt;b&gt;" in html
    assert "customer <b>" not in html
    assert isinstance(al, Alerts)
    assert "2 (1 high, 1 medium, 0 low)" in repr(al)


def test_alerts_without_expected_dates():
    """``expected_date`` is optional: without it no PO can be late, the other rules run."""
    ds = hand_dataset()
    ds.purchase_orders = ds.purchase_orders.drop(columns="expected_date")
    eta = pd.DataFrame({"order_id": ["O3"], "line_id": ["1"], "eta_p80": ["2026-01-04"],
                        "expected_po": ["PO-A2"]})
    prev = pd.DataFrame({"order_id": ["O3"], "line_id": ["1"], "eta_p80": ["2026-01-01"]})
    f = alerts(ds, eta=eta, previous_eta=prev, lead_times=5.0,
               reorder_points={"A": 12.0, "B": 8.0}).to_frame()
    assert f["kind"].astype(str).tolist() == ["eta_slipped"]


def test_alerts_reorder_point_and_low_stock_fire_on_hand_built_dataset():
    ds = hand_dataset()
    empty = pd.DataFrame(columns=["order_id", "line_id", "eta_p80"])
    al = alerts(ds, eta=empty, previous_eta=empty, lead_times=45.0,
                reorder_points=pd.Series({"A": 15.0}))
    f = al.to_frame()
    kinds = dict(zip(f["kind"].astype(str) + ":" + f["sku"], f["severity"].astype(str),
                     strict=True))
    # lead time 45 d: cover 40 d < 45 d (high: nothing on hand); position 15 <= 15
    assert kinds["low_stock:A"] == "high"
    assert kinds["below_reorder_point:A"] == "medium"
    assert "below_reorder_point:B" not in kinds  # no reorder point given for B
    assert any("no reorder point" in n for n in al.notes)
    assert al.summary.loc["low_stock", "high"] == 1
    assert list(al.summary.index) == list(KINDS)


def test_default_reorder_point_is_the_analytic_fill_rate_point():
    from backorder_analytics import FillRate, recommend_safety_stock

    ds = example_dataset(seed=0)
    empty = pd.DataFrame(columns=["order_id", "line_id", "eta_p80"])
    al = alerts(ds, eta=empty, previous_eta=empty, allocation="priority")
    rec = recommend_safety_stock(ds, target=FillRate(0.95), n_reps=1, days=1, progress=False)
    mine = al.skus.set_index("sku")["reorder_point"]
    ref = rec.summary["reorder_point_analytic"]
    np.testing.assert_allclose(mine.reindex(ref.index), ref, rtol=1e-9)


def test_example_dataset_against_replay():
    ds = example_dataset(seed=0)
    empty = pd.DataFrame(columns=["order_id", "line_id", "eta_p80"])
    al = alerts(ds, eta=empty, previous_eta=empty, allocation="priority",
                max_wait_days=5, warn_days=2)
    f = al.to_frame()
    lines = replay(ds, allocation="priority").lines
    is_open = lines[lines["open"] > 0]
    age = (ds.as_of - is_open["order_date"]) / D
    past = set(zip(is_open["order_id"][age >= 5], is_open["line_id"][age >= 5], strict=True))
    assert len(past) > 0
    got = f[f["kind"] == "backorder_past_limit"]
    assert set(zip(got["order_id"], got["line_id"], strict=True)) == past
    po = ds.purchase_orders
    late = po[po["received_date"].isna()
              & (po["expected_date"].dt.normalize() < ds.as_of.normalize())]
    assert len(late) > 0
    assert set(f.loc[f["kind"] == "late_po", "po_id"]) == set(late["po_id"])
    # open units per SKU agree with the replay's
    s = al.skus.set_index("sku")["backordered_units"]
    ref = is_open.groupby("sku")["open"].sum()
    assert (s.reindex(ref.index) == ref).all()


def test_example_dataset_earlier_as_of():
    ds = example_dataset(seed=0)
    cut = pd.Timestamp("2025-06-30 23:59:59")
    empty = pd.DataFrame(columns=["order_id", "line_id", "eta_p80"])
    al = alerts(ds, as_of=cut, eta=empty, previous_eta=empty, allocation="priority")
    po = ds.purchase_orders
    was_open = (po["order_date"] <= cut) & ~(po["received_date"] <= cut)
    late = po[was_open & (po["expected_date"].dt.normalize() < cut.normalize())]
    f = al.to_frame()
    assert al.as_of == cut
    assert set(f.loc[f["kind"] == "late_po", "po_id"]) == set(late["po_id"])


def test_example_dataset_with_the_eta_module():
    from backorder_analytics.planning.eta import backorder_eta

    ds = example_dataset(seed=0)
    al = alerts(ds, allocation="priority", max_wait_days=10, warn_days=3, slip_days=1)
    assert al.notes == []
    f = al.to_frame()
    kw = {"allocation": "priority", "max_wait_days": 10}
    cur = backorder_eta(ds, **kw).to_frame()
    prev = backorder_eta(ds.as_at(ds.as_of - 7 * D), **kw).to_frame()
    key = ["order_id", "line_id"]
    # will miss: not yet past the limit, and the 80% ETA after it or beyond the horizon
    age = (ds.as_of - cur["order_date"]) / D
    miss = cur[(age < 10) & ((cur["eta_p80"] > cur["limit_date"]) | cur["eta_p80"].isna())]
    assert len(miss) > 0
    got = f[f["kind"] == "backorder_will_miss_limit"]
    assert set(map(tuple, got[key].to_numpy())) == set(map(tuple, miss[key].to_numpy()))
    # slipped: current 80% ETA more than a day later than the one of a week ago
    both = cur.merge(prev[key + ["eta_p80"]], on=key, suffixes=("", "_was"))
    slip = (both["eta_p80"] - both["eta_p80_was"]) / D
    expected = both[slip > 1]
    assert len(expected) > 0
    got = f[f["kind"] == "eta_slipped"]
    assert set(map(tuple, got[key].to_numpy())) == set(map(tuple, expected[key].to_numpy()))
    np.testing.assert_allclose(np.sort(got["days"]), np.sort(slip[slip > 1]))
    # a BackorderETA object is accepted as it is
    again = alerts(ds, allocation="priority", max_wait_days=10, warn_days=3, slip_days=1,
                   eta=backorder_eta(ds, **kw), previous_eta=prev)
    pd.testing.assert_frame_equal(again.to_frame(), f)


# --------------------------------------------------------------------------- errors, plot


@pytest.mark.parametrize(("kw", "match"), [
    ({"max_wait_days": -1}, "'max_wait_days' parameter must be a number >= 0 or None"),
    ({"max_wait_days": None}, "'max_wait_days' parameter must be a number of days >= 0"),
    ({"warn_days": -1}, "'warn_days' parameter must be a number >= 0"),
    ({"lead_time_quantile": 1.0}, "'lead_time_quantile' parameter must be a number > 0 and < 1"),
    ({"eta": pd.DataFrame({"order_id": []})}, "Missing: eta_p80, line_id"),
    ({"eta": 3}, "'eta' parameter must be a BackorderETA or a DataFrame"),
    ({"as_of": "2026-02-01"}, "'as_of' parameter must be at or before"),
])
def test_bad_input(kw, match):
    kw = {"lead_times": 5.0, **kw}
    with pytest.raises((ValueError, TypeError), match=match):
        alerts(hand_dataset(), **kw)


def test_nothing_to_report():
    """Before PO-A1 was due and any order of A: B has 41 units for 9 units in 58 days."""
    empty = pd.DataFrame(columns=["order_id", "line_id", "eta_p80"])
    al = alerts(hand_dataset(), as_of=ago(58), eta=empty, previous_eta=empty,
                lead_times=5.0)
    assert len(al) == 0
    assert list(al.to_frame().columns) == COLUMNS
    assert repr(al) == f"Alerts as of {ago(58)}: 0 (0 high, 0 medium, 0 low)"
    assert al.summary["total"].sum() == 0
    s = al.skus.set_index("sku")
    assert s.loc["A", "on_hand"] == 2  # the stock count: no replayed event of A yet
    assert s.loc["A", "arriving_units"] == 8


def test_plot():
    import matplotlib.pyplot as plt

    empty = pd.DataFrame(columns=["order_id", "line_id", "eta_p80"])
    al = alerts(hand_dataset(), eta=empty, previous_eta=empty, lead_times=45.0)
    ax = al.plot()
    assert ax.get_xlabel() == "alerts"
    plt.close(ax.figure)
