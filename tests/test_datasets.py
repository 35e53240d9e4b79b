"""Tests of backorder_analytics.datasets: the synthetic retailer and its ground truth.

Expected values come from the tables themselves (recomputed independently of the
generator's own bookkeeping), from ``ds.truth`` parameters, or from an independent
event-by-event replay of the recorded history.
"""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd
import pytest

from backorder_analytics.data.dataset import Dataset
from backorder_analytics.data.example import PATTERNS, SUPPLIERS, example_dataset
from backorder_analytics.data.schemas import SCHEMAS, TEXT

LINE = ["order_id", "line_id"]


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return example_dataset(seed=0)


@pytest.fixture(scope="module")
def lines(ds: Dataset) -> pd.DataFrame:
    """Orders with units shipped, first/last ship time, open and cancelled units."""
    sh = ds.shipments.groupby(LINE).agg(
        shipped=("quantity", "sum"), first_ship=("ship_date", "min"), last_ship=("ship_date", "max")
    )
    out = ds.orders.merge(sh, on=LINE, how="left", validate="one_to_one")
    out["shipped"] = out["shipped"].fillna(0).astype(np.int64)
    short = out["quantity"] - out["shipped"]
    cancelled = out["cancel_date"].notna()
    out["cancelled"] = np.where(cancelled, short, 0)
    out["open"] = np.where(cancelled, 0, short)
    return out


# ----------------------------------------------------------------------------- basics


def test_same_seed_gives_identical_tables(ds):
    again = example_dataset(seed=0)
    assert again.as_of == ds.as_of
    for name, table in ds.tables().items():
        pd.testing.assert_frame_equal(again.tables()[name], table, obj=name)
    pd.testing.assert_frame_equal(again.truth["demand"], ds.truth["demand"])
    pd.testing.assert_frame_equal(again.truth["policy"], ds.truth["policy"])


def test_different_seed_gives_different_tables(ds):
    other = example_dataset(seed=1)
    assert not other.orders.equals(ds.orders)
    assert not other.purchase_orders.equals(ds.purchase_orders)


def test_shape_two_years_of_at_least_50_skus(ds):
    start = pd.Timestamp("2024-01-01")
    assert ds.orders["sku"].nunique() >= 50
    assert len(ds.items) == ds.orders["sku"].nunique()
    assert ds.as_of == start + pd.Timedelta(days=730) - pd.Timedelta(seconds=1)
    assert ds.as_of.normalize() == pd.Timestamp("2025-12-30")
    days = ds.orders["order_date"].dt.normalize()
    assert days.min() == start
    assert days.max() == ds.as_of.normalize()
    assert days.nunique() == 730
    assert ds.orders["customer_id"].nunique() > 250


def test_sku_and_id_formats(ds):
    assert ds.orders["sku"].str.fullmatch(r"SKU-\d{4}").all()
    assert ds.orders["order_id"].str.fullmatch(r"SO-\d{6}").all()
    assert ds.orders["customer_id"].str.fullmatch(r"C-\d{4}").all()
    assert ds.purchase_orders["po_id"].str.fullmatch(r"PO-\d{6}").all()
    assert set(ds.purchase_orders["supplier_id"]) == set(SUPPLIERS)
    assert ds.orders["priority"].isin([0, 1, 2]).all()
    assert set(ds.orders["channel"]) == {"b2b", "web"}


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("orders", {"order_id": "str", "line_id": "str", "sku": "str",
                    "quantity": "int64", "order_date": "datetime64[ns]",
                    "customer_id": "str", "priority": "int64", "unit_price": "float64",
                    "cancel_date": "datetime64[ns]", "channel": "str"}),
        ("shipments", {"order_id": "str", "line_id": "str", "sku": "str",
                       "quantity": "int64", "ship_date": "datetime64[ns]"}),
        ("purchase_orders", {"po_id": "str", "sku": "str", "supplier_id": "str",
                             "quantity": "int64", "order_date": "datetime64[ns]",
                             "expected_date": "datetime64[ns]",
                             "received_date": "datetime64[ns]",
                             "received_quantity": "Int64"}),
        ("inventory", {"sku": "str", "date": "datetime64[ns]", "on_hand": "int64"}),
        ("items", {"sku": "str", "description": "str", "unit_cost": "float64",
                   "supplier_id": "str", "moq": "Int64", "pack_size": "Int64"}),
    ],
)
def test_columns_and_dtypes(ds, table, columns):
    frame = getattr(ds, table)
    text = str(TEXT)  # "str" (pandas 2.3+), "string" (pandas 2.2's pyarrow_numpy)
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        c: text if t == "str" else t for c, t in columns.items()}
    # canonical order, as the loaders give it
    assert list(frame.columns) == [c for c in SCHEMAS[table].names if c in frame]
    for c, t in columns.items():
        if t == "str":
            assert frame[c].map(type).eq(str).all(), c


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("orders", LINE),
        ("orders", ["order_id", "sku"]),
        ("purchase_orders", ["po_id"]),
        ("inventory", ["sku", "date"]),
        ("items", ["sku"]),
    ],
)
def test_keys_unique(ds, table, key):
    assert not getattr(ds, table).duplicated(key).any()


def test_some_orders_have_several_lines(ds):
    per_order = ds.orders.groupby("order_id").size()
    assert (per_order > 1).mean() > 0.1
    assert ds.orders.groupby("order_id")["order_date"].nunique().eq(1).all()
    assert ds.orders.groupby("order_id")["customer_id"].nunique().eq(1).all()


def test_quantities_are_positive_whole_numbers(ds):
    for frame in (ds.orders, ds.shipments, ds.purchase_orders):
        assert frame["quantity"].dtype == np.int64
        assert (frame["quantity"] > 0).all()
    assert (ds.inventory["on_hand"] >= 0).all()
    assert (ds.items[["moq", "pack_size"]] > 0).all().all()
    assert (ds.orders["unit_price"] > 0).all()


def test_no_event_after_as_of(ds):
    for frame, col in [(ds.orders, "order_date"), (ds.orders, "cancel_date"),
                       (ds.shipments, "ship_date"), (ds.purchase_orders, "order_date"),
                       (ds.purchase_orders, "received_date"), (ds.inventory, "date")]:
        assert (frame[col].dropna() <= ds.as_of).all(), col


def test_every_pattern_present(ds):
    assert set(ds.truth["demand"]["pattern"]) == set(PATTERNS)
    assert ds.truth["demand"]["sku"].tolist() == sorted(ds.orders["sku"].unique())


# ------------------------------------------------------------------- purchase orders


def test_purchase_orders_received_after_ordered(ds):
    po = ds.purchase_orders
    done = po["received_date"].notna()
    assert (po.loc[done, "received_date"] >= po.loc[done, "order_date"]).all()
    assert (po.loc[done, "received_quantity"] == po.loc[done, "quantity"]).all()
    assert po.loc[~done, "received_quantity"].isna().all()


def test_open_purchase_orders_at_as_of(ds):
    assert len(ds.open_purchase_orders) >= 5
    assert ds.open_purchase_orders["sku"].nunique() >= 5


def test_expected_date_is_quoted_lead_time(ds):
    quoted = ds.truth["lead_times"].set_index("supplier_id")["quoted_days"]
    po = ds.purchase_orders
    promised = (po["expected_date"] - po["order_date"]) / pd.Timedelta(days=1)
    np.testing.assert_array_equal(promised, quoted.loc[po["supplier_id"]].to_numpy())


def test_purchase_orders_follow_the_policy(ds):
    pol = ds.truth["policy"].set_index("sku")
    po = ds.purchase_orders
    items = ds.items.set_index("sku")
    assert (po["quantity"] % pol.loc[po["sku"], "Q"].to_numpy() == 0).all()
    assert (po["quantity"] >= items.loc[po["sku"], "moq"].to_numpy()).all()
    assert (po["quantity"] % items.loc[po["sku"], "pack_size"].to_numpy() == 0).all()
    assert (po["supplier_id"].to_numpy() == items.loc[po["sku"], "supplier_id"].to_numpy()).all()
    assert (po["order_date"].dt.hour == 22).all()


def test_lead_times_recover_truth(ds):
    """POs placed >= 150 days before as_of are (nearly all) received: no censoring bias."""
    po = ds.purchase_orders
    early = po[po["order_date"] <= ds.as_of - pd.Timedelta(days=150)]
    assert early["received_date"].notna().mean() > 0.995
    early = early[early["received_date"].notna()]
    lt = (early["received_date"] - early["order_date"]) / pd.Timedelta(days=1)
    truth = ds.truth["lead_times"].set_index("supplier_id")
    checked = 0
    for supplier, x in lt.groupby(early["supplier_id"]):
        if len(x) < 50:
            continue
        checked += 1
        dist = ds.truth["lead_time_dist"][supplier]
        assert x.median() == pytest.approx(truth.loc[supplier, "p50"], rel=0.15), supplier
        assert x.median() == pytest.approx(dist.median(), rel=0.15), supplier
        if dist.std() / dist.mean() < 0.5:  # the heavy-tailed supplier's mean is too noisy
            assert x.mean() == pytest.approx(truth.loc[supplier, "mean"], rel=0.12), supplier
    assert checked >= 4


def test_heavy_tailed_supplier_is_late_more_often(ds):
    po = ds.purchase_orders.dropna(subset=["received_date"])
    late = (po["received_date"] - po["expected_date"]) > pd.Timedelta(days=7)
    rate = late.groupby(po["supplier_id"]).mean()
    assert rate.idxmax() == "SUP-E"


# --------------------------------------------------------------------------- demand


def test_mean_daily_demand_matches_truth(ds):
    units = ds.orders.groupby("sku")["quantity"].sum() / 730
    demand = ds.truth["demand"].set_index("sku").loc[units.index]
    truth = demand["mean_daily_units"]
    assert np.abs(units - truth).sum() / truth.sum() < 0.06
    assert units.sum() == pytest.approx(truth.sum(), rel=0.02)
    # compound Poisson: Var(total units) = sum over days of rate * E[size^2]
    lines = ds.truth["demand_rate"].groupby("sku")["expected_lines"].sum().loc[units.index]
    sd = np.sqrt(lines * (demand["var_size"] + demand["mean_size"] ** 2)) / 730
    assert (np.abs(units - truth) / sd).max() < 4


def test_line_rate_and_size_match_truth(ds):
    """Line counts are Poisson, mean sizes within 5 standard errors of the truth."""
    demand = ds.truth["demand"].set_index("sku")
    count = ds.orders.groupby("sku").size()
    size = ds.orders.groupby("sku")["quantity"].mean()
    expected = ds.truth["demand_rate"].groupby("sku")["expected_lines"].sum().loc[count.index]
    assert (np.abs(count - expected) / np.sqrt(expected)).max() < 5
    se = np.sqrt(demand.loc[size.index, "var_size"] / count)
    assert (np.abs(size - demand.loc[size.index, "mean_size"]) / se).max() < 5


def test_seasonal_skus_follow_their_weekly_profile(ds):
    demand = ds.truth["demand"].set_index("sku")
    seasonal = demand.index[demand["seasonal"]]
    assert len(seasonal) >= 5
    o = ds.orders[ds.orders["sku"].isin(seasonal)]
    by_dow = o.groupby(["sku", o["order_date"].dt.day_of_week]).size().unstack()
    assert (by_dow.idxmax(axis=1) == demand.loc[by_dow.index, "weekly_peak_dow"]).mean() >= 0.8


def test_order_sizes_are_more_variable_for_erratic_and_lumpy(ds):
    demand = ds.truth["demand"].set_index("sku")
    cv2 = ds.orders.groupby("sku")["quantity"].agg(lambda q: q.var() / q.mean() ** 2)
    by_pattern = cv2.groupby(demand.loc[cv2.index, "pattern"]).median()
    assert min(by_pattern["erratic"], by_pattern["lumpy"]) > 2 * max(
        by_pattern["smooth"], by_pattern["intermittent"]
    )


# ------------------------------------------------------------------------ backorders


def test_conservation_per_line(ds, lines):
    assert (lines["shipped"] <= lines["quantity"]).all()
    cancelled = lines["cancel_date"].notna()
    assert (lines.loc[cancelled, "cancelled"] > 0).all()  # only waiting lines are cancelled
    total = lines["shipped"] + lines["open"] + lines["cancelled"]
    assert (total == lines["quantity"]).all()
    service = ds.truth["service"].set_index("sku")
    per_sku = lines.groupby("sku")[["quantity", "cancelled", "open"]].sum()
    np.testing.assert_array_equal(per_sku["quantity"], service.loc[per_sku.index, "ordered_units"])
    np.testing.assert_array_equal(
        per_sku["cancelled"], service.loc[per_sku.index, "cancelled_units"]
    )
    np.testing.assert_array_equal(per_sku["open"], service.loc[per_sku.index, "open_units"])


def test_shipments_match_orders(ds, lines):
    sh = ds.shipments.merge(ds.orders[[*LINE, "sku", "order_date", "cancel_date"]], on=LINE,
                            suffixes=("", "_order"), validate="many_to_one")
    assert (sh["sku"] == sh["sku_order"]).all()
    assert (sh["ship_date"] >= sh["order_date"]).all()
    cancelled = sh["cancel_date"].notna()
    assert (sh.loc[cancelled, "ship_date"] <= sh.loc[cancelled, "cancel_date"]).all()


def test_open_backorders_and_cancellations_exist(lines):
    assert (lines["open"] > 0).sum() >= 5
    assert (lines["cancelled"] > 0).sum() >= 50
    assert (lines.loc[lines["cancel_date"].notna(), "priority"] > 0).all()


def test_stockouts_happen(ds, lines):
    late = lines["last_ship"] > lines["order_date"]
    assert late.sum() > 100
    fill = ds.truth["service"]
    overall = fill["filled_units"].sum() / fill["ordered_units"].sum()
    assert 0.90 <= overall <= 0.97
    assert (fill["fill_rate"] < 0.8).sum() >= 3
    # the same fill rate recomputed from the tables: units shipped at order time
    first = ds.shipments.merge(ds.orders[[*LINE, "order_date"]], on=LINE)
    now = first.loc[first["ship_date"] == first["order_date"], "quantity"].sum()
    assert now / ds.orders["quantity"].sum() == pytest.approx(overall)


def test_inventory_snapshots_agree_with_flows(ds):
    """on hand = opening + received before the date − shipped before the date."""
    inv = ds.inventory.sort_values(["sku", "date"])
    opening = inv.groupby("sku")["on_hand"].first()
    np.testing.assert_array_equal(opening, ds.truth["policy"].set_index("sku")["opening_stock"])
    po = ds.purchase_orders.dropna(subset=["received_date"])
    for sku, snaps in inv.groupby("sku"):
        recv = po[po["sku"] == sku]
        ship = ds.shipments[ds.shipments["sku"] == sku]
        for date, on_hand in zip(snaps["date"], snaps["on_hand"], strict=True):
            flow = (recv.loc[recv["received_date"] < date, "quantity"].sum()
                    - ship.loc[ship["ship_date"] < date, "quantity"].sum())
            assert on_hand == opening[sku] + flow, (sku, date)


def _replay_sku(
    orders: pd.DataFrame, receipts: pd.DataFrame, opening: int, allocation: str = "priority"
) -> dict:
    """Independent event-by-event replay: by priority then arrival (or FIFO), partial.

    Events at one instant: receipts, then demand, then cancellations.
    """
    events = [(t, 0, k, q) for k, (t, q) in enumerate(
        zip(receipts["received_date"], receipts["quantity"], strict=True))]
    for k, (t, c) in enumerate(zip(orders["order_date"], orders["cancel_date"], strict=True)):
        events.append((t, 1, k, 0))
        if not pd.isna(c):
            events.append((c, 2, k, 0))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    qty = orders["quantity"].tolist()
    prio = orders["priority"].tolist() if allocation == "priority" else [0] * len(qty)
    left = list(qty)
    shipped: dict[tuple[int, pd.Timestamp], int] = {}
    queue: list[tuple[int, int]] = []
    stock = opening
    for t, kind, k, q in events:
        if kind == 0:
            stock += q
        elif kind == 1:
            heapq.heappush(queue, (prio[k], k))
        else:
            left[k] = 0
        while queue and stock > 0:
            _, j = queue[0]
            take = min(left[j], stock)
            if take:
                shipped[(j, t)] = shipped.get((j, t), 0) + take
            left[j] -= take
            stock -= take
            if left[j] == 0:
                heapq.heappop(queue)
    return shipped


def _replayed(ds: Dataset, sku: str, allocation: str) -> pd.DataFrame:
    orders = ds.orders[ds.orders["sku"] == sku].reset_index(drop=True)
    po = ds.purchase_orders
    receipts = po[(po["sku"] == sku) & po["received_date"].notna()]
    opening = ds.inventory[ds.inventory["sku"] == sku].sort_values("date")["on_hand"].iloc[0]
    shipped = _replay_sku(orders, receipts, int(opening), allocation)
    return pd.DataFrame(
        [(orders.loc[j, "order_id"], orders.loc[j, "line_id"], q, t)
         for (j, t), q in shipped.items()],
        columns=[*LINE, "quantity", "ship_date"],
    ).sort_values([*LINE, "ship_date"]).reset_index(drop=True)


def test_independent_replay_reproduces_shipments(ds):
    """Replay the SKUs with the most backorders from the tables and compare shipments."""
    worst = ds.truth["service"].nsmallest(6, "fill_rate")["sku"]
    differs_from_fifo = 0
    for sku in worst:
        expected = _replayed(ds, sku, "priority")
        actual = (ds.shipments[ds.shipments["sku"] == sku]
                  .groupby([*LINE, "ship_date"], as_index=False)["quantity"].sum()
                  [[*LINE, "quantity", "ship_date"]]
                  .sort_values([*LINE, "ship_date"]).reset_index(drop=True))
        pd.testing.assert_frame_equal(actual, expected, check_dtype=False, obj=sku)
        differs_from_fifo += not actual.equals(_replayed(ds, sku, "fifo"))
    assert differs_from_fifo >= 1  # the priority rule is visible in the data


# ----------------------------------------------------------------------------- truth


def test_truth_structure(ds):
    truth = ds.truth
    assert set(truth) >= {"demand", "demand_rate", "lead_times", "lead_time_dist", "policy",
                          "customers", "service", "rules"}
    lt = truth["lead_times"].set_index("supplier_id")
    for supplier, dist in truth["lead_time_dist"].items():
        assert dist.mean() == pytest.approx(lt.loc[supplier, "mean"])
        assert dist.ppf(0.9) == pytest.approx(lt.loc[supplier, "p90"])
    assert len(truth["demand_rate"]) == 730 * len(truth["demand"])
    assert truth["customers"]["priority"].nunique() == 3
    assert len(truth["customers"]) == 300
    assert (truth["policy"]["Q"] > 0).all()


def test_small_dataset_and_bad_arguments():
    small = example_dataset(seed=3, n_skus=5, days=60, start="2023-03-15")
    assert small.orders["sku"].nunique() == 5
    assert small.as_of.normalize() == pd.Timestamp("2023-05-13")
    with pytest.raises(ValueError, match="'n_skus' parameter must be an integer >= 5"):
        example_dataset(n_skus=3)
    with pytest.raises(ValueError, match="'days' parameter must be an integer >= 28"):
        example_dataset(days=7)


def test_bundled_data_folder_is_example_dataset_seed_0():
    """data/ holds exactly example_dataset(seed=0), read back through the loaders."""
    from pathlib import Path

    import backorder_analytics as ba

    folder = Path(__file__).resolve().parent.parent / "data"
    on_disk = ba.read_dataset(folder)
    made = example_dataset(seed=0)
    assert on_disk.as_of == made.as_of
    for name, table in made.tables().items():
        pd.testing.assert_frame_equal(getattr(on_disk, name), table, obj=name)


def test_bundled_data_matches_its_readme():
    """The figures data/README.md states, counted independently from the tables."""
    from pathlib import Path

    import backorder_analytics as ba

    ds = ba.read_dataset(Path(__file__).resolve().parent.parent / "data")
    orders, shipments = ds.orders, ds.shipments
    assert len(orders) == 165_178
    assert orders["order_id"].nunique() == 118_248
    assert len(ds.purchase_orders) == 1_908
    assert ds.purchase_orders["received_date"].isna().sum() == 30
    shipped = shipments.groupby(["order_id", "line_id"])["quantity"].sum()
    lines = orders.set_index(["order_id", "line_id"])
    left = lines["quantity"] - shipped.reindex(lines.index, fill_value=0)
    cancelled = lines["cancel_date"].notna()
    assert int(cancelled.sum()) == 318
    assert int(((left > 0) & ~cancelled).sum()) == 76
    fill = shipments.loc[shipments["ship_date"] == shipments.merge(
        orders, on=["order_id", "line_id"])["order_date"].to_numpy(), "quantity"].sum()
    assert fill / orders["quantity"].sum() == pytest.approx(0.923, abs=0.0005)


# ----------------------------------------------------------------------------- knobs


@pytest.fixture(scope="module")
def small_seed():
    return {"seed": 2, "n_skus": 15, "days": 240}


@pytest.mark.parametrize(("allocation", "shipping"), [("fifo", "partial"), ("priority", "complete"),
                                                 ("fifo", "complete")])
def test_rules_knobs_replayed_by_the_package(small_seed, allocation, shipping):
    """The generator and ``ba.replay`` are independent implementations of the same rules:
    replaying with the rules the data was made with reproduces every shipment."""
    import backorder_analytics as ba

    ds = example_dataset(**small_seed, allocation=allocation, shipping=shipping)
    assert ds.truth["rules"]["allocation"] == allocation
    assert ds.truth["rules"]["shipping"] == shipping
    rp = ba.replay(ds, allocation=allocation, shipping=shipping)
    assert rp.compare_shipments().share_identical == 1.0
    other = "fifo" if allocation == "priority" else "priority"
    assert ba.replay(ds, allocation=other, shipping=shipping) \
        .compare_shipments().share_identical < 1.0


def test_complete_shipping_ships_lines_whole(small_seed):
    ds = example_dataset(**small_seed, shipping="complete")
    shipped = ds.shipments.groupby(LINE)["quantity"].agg(["sum", "size"])
    assert (shipped["size"] == 1).all()  # one shipment per line: all of it at once
    partial = example_dataset(**small_seed)
    assert (partial.shipments.groupby(LINE).size() > 1).any()


def test_knobs_change_only_what_they_name(small_seed):
    base = example_dataset(**small_seed)
    fifo = example_dataset(**small_seed, allocation="fifo")
    pd.testing.assert_frame_equal(base.orders.drop(columns="cancel_date"),
                                  fifo.orders.drop(columns="cancel_date"))
    flat = example_dataset(**small_seed, seasonality=0.0)
    assert (flat.truth["demand"][["weekly_amplitude", "yearly_amplitude"]] == 0).all().all()
    strong = example_dataset(**small_seed, seasonality=2.0)
    amp = strong.truth["demand"].loc[lambda d: d["seasonal"], "yearly_amplitude"]
    assert amp.between(0.6, 0.95).all()
    assert strong.truth["policy"]["z"].equals(base.truth["policy"]["z"])
    low = example_dataset(**small_seed, share_too_low=1.0)
    assert (low.truth["policy"]["z"] <= 0).all()
    none_low = example_dataset(**small_seed, share_too_low=0.0)
    assert (none_low.truth["policy"]["z"] >= 1.2).all()


@pytest.mark.parametrize("supplier", list(SUPPLIERS))
def test_lead_time_spread_scales_the_cv_at_the_same_mean(supplier):
    base = example_dataset(seed=0, n_skus=5, days=60).truth["lead_time_dist"][supplier]
    wide = example_dataset(seed=0, n_skus=5, days=60,
                           lead_time_spread=2.0).truth["lead_time_dist"][supplier]
    assert wide.mean() == pytest.approx(base.mean())
    assert wide.std() / wide.mean() == pytest.approx(2 * base.std() / base.mean())


def test_bad_knobs():
    with pytest.raises(ValueError, match="'allocation' parameter"):
        example_dataset(allocation="lifo")
    with pytest.raises(ValueError, match="'lead_time_spread' parameter"):
        example_dataset(lead_time_spread=0)
    with pytest.raises(ValueError, match="'share_too_low' parameter"):
        example_dataset(share_too_low=1.5)
