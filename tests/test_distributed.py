"""The forecast on a 2-worker Dask LocalCluster gives the numbers of one process, bit
for bit (issue 12): the same models, means, quantiles, paths, class scores and
reconciliation, whatever the partitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics.distributed import DaskEngine, PartitionError, sku_partitions
from backorder_analytics.distributed.engine import partition_labels
from backorder_analytics.distributed.partition import dataset_part
from backorder_analytics.leadtime.lateness import SupplierLateness
from backorder_analytics.planning.run import PlanningRun

distributed = pytest.importorskip("distributed")

H = 28


@pytest.fixture(scope="module")
def demand():
    ds = ba.example_dataset(seed=1, n_skus=90, days=540)
    return ba.demand_series(ds)


def assert_same(local, dist):
    assert np.array_equal(local.mean, dist.mean)
    assert np.array_equal(local.quantile_values, dist.quantile_values)
    assert local.model_.equals(dist.model_)
    assert np.array_equal(local.paths(40), dist.paths(40))
    g, h = local.global_inputs_, dist.global_inputs_
    if g.class_scores is None:
        assert h.class_scores is None
    else:
        pd.testing.assert_frame_equal(g.class_scores, h.class_scores)
    assert repr(local.reconciliation_) == repr(dist.reconciliation_)
    if local.reconciliation_ is not None and local.reconciliation_.backtest is not None:
        pd.testing.assert_frame_equal(local.reconciliation_.backtest,
                                      dist.reconciliation_.backtest)


@pytest.mark.parametrize("options", [
    {"model": "auto"},
    {"model": "auto", "reconcile": True},
    {"model": ["ses", "croston", "historic_average"]},
    {"model": "sba", "quantiles": (0.5, 0.95)},
], ids=["auto", "reconciled", "list", "named"])
def test_forecast_on_dask_equals_local(client, demand, options):
    local = ba.forecast(demand, H, **options)
    dist = ba.forecast(demand, H, client=client, n_partitions=7, **options)
    assert_same(local, dist)


def test_a_reconciled_auto_forecast_is_the_same_for_any_partitions(client, demand):
    """The case where the reconciliation applies (weekly demand of the example),
    where the sums over SKUs decide: one and many partitions agree."""
    weekly = ba.demand_series(ba.example_dataset(seed=0), freq="W", complete_periods=True)
    local = ba.forecast(weekly, 8, windows=3)
    assert local.reconciliation_.applied
    for n in (1, 3, 11):
        assert_same(local, ba.forecast(weekly, 8, windows=3, client=client, n_partitions=n))


def test_partitions_cover_every_sku_once_and_are_stable():
    skus = [f"SKU-{i:05d}" for i in range(1000)]
    parts = sku_partitions(skus, 8)
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(1000))
    again = sku_partitions(list(reversed(skus)), 8)  # by id, not by position
    assert {frozenset(skus[i] for i in p) for p in parts} == \
        {frozenset(skus[999 - i] for i in p) for p in again}
    with pytest.raises(ValueError, match="'n_partitions' parameter must be a whole number"):
        sku_partitions(skus, 0)


def _fails_on_b(skus):
    if "B" in skus:
        raise ZeroDivisionError("no demand")
    return len(skus)


@pytest.mark.parametrize("where", ["cluster", "synchronous"])
def test_a_failing_partition_names_the_step_and_its_skus(where, request):
    client = request.getfixturevalue("client") if where == "cluster" else "synchronous"
    engine = DaskEngine(client, n_partitions=2, progress=False)
    skus = pd.Index(["A", "B", "C", "D"])
    rows = sku_partitions(skus, 2)
    parts = [list(skus[r]) for r in rows]
    labels = partition_labels(skus, rows)
    with pytest.raises(PartitionError, match=r"Step 'risk' failed on partition 1 \(3 SKUs: "
                                             r"A, B, C\): ZeroDivisionError: no demand"):
        engine.map(_fails_on_b, parts, step="risk", labels=labels)
    assert engine.map(len, parts, step="count", labels=labels) == [len(p) for p in parts]


def test_a_synchronous_engine_needs_no_cluster():
    engine = DaskEngine("synchronous", progress=False)
    assert engine.client is None
    assert repr(engine) == "DaskEngine(synchronous, 4 partitions)"


def test_client_must_be_a_client_an_address_or_local():
    with pytest.raises(TypeError, match="'client' parameter must be a distributed.Client"):
        DaskEngine(3)
    y = pd.DataFrame({"sku": ["A"] * 8, "date": pd.date_range("2024-01-01", periods=8),
                      "demand": [1.0] * 8})
    g = ba.forecast(y, 2, model="naive").global_inputs_
    with pytest.raises(ValueError, match="'global_inputs' parameter cannot be combined"):
        ba.forecast(y, 2, model="naive", client="local", global_inputs=g)


# --------------------------------------------------------------------------- the plan

SETTINGS = {"n_reps": 60, "policy": {"allocation": "priority"}}


def assert_frames(a, b):
    if a is None or b is None:
        assert a is b
    else:
        pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.fixture(scope="module")
def plans(client):
    ds = ba.example_dataset(seed=2, n_skus=40, days=400)
    return ba.plan(ds, SETTINGS, compute=True), ba.plan(ds, SETTINGS, client=client,
                                                         n_partitions=6)


def test_partitions_use_the_suppliers_lateness_learnt_once(monkeypatch):
    """A partition of ``plan(client=...)`` gets each supplier's lateness over every PO
    at the moments its ETAs and alerts ask, and learns none itself (that would be
    work in proportion to the whole business, per partition)."""
    ds = ba.example_dataset(seed=2, n_skus=12, days=400)
    whole = PlanningRun(ds, SETTINGS)
    part = dataset_part(ds, ds.skus[:5], ds.supplier_history_frame(),
                        whole.supplier_lateness())

    def not_again(*args, **kwargs):
        raise AssertionError("the partition learnt a supplier's lateness again")

    monkeypatch.setattr(SupplierLateness, "of", not_again)
    run = PlanningRun(part, SETTINGS, lead_times=whole.lead_times)
    assert run.previous_eta is not None
    assert len(run.alerts.skus) == 5
    monkeypatch.undo()
    alone = PlanningRun(dataset_part(ds, ds.skus[:5]), SETTINGS, lead_times=whole.lead_times)
    assert_frames(run.alerts.skus, alone.alerts.skus)
    assert_frames(run.eta.lines, alone.eta.lines)


def test_plan_on_dask_equals_local_step_by_step(plans):
    assert_same_plan(*plans)


def test_synchronous_plan_equals_local_without_dask(plans):
    """``client="synchronous"``: the partitions one after another in this process."""
    local, _ = plans
    assert_same_plan(local, ba.plan(local.ds, SETTINGS, client="synchronous",
                                    n_partitions=6))


def assert_same_plan(local, dist):
    assert dist.summary["status"].eq("given").all()
    for attr in ("lines", "stock", "notes", "summary", "timeline", "shipments"):
        assert_frames(getattr(local.replay, attr), getattr(dist.replay, attr))
    assert_frames(local.state, dist.state)
    assert_frames(local.reorder_rule, dist.reorder_rule)
    for attr in ("summary", "tradeoff", "schedule"):
        assert_frames(getattr(local.safety_stock, attr), getattr(dist.safety_stock, attr))
    for step in ("eta", "previous_eta"):
        assert_frames(local.get(step).lines, dist.get(step).lines)
        assert local.get(step).notes == dist.get(step).notes
    assert_frames(local.risk.table, dist.risk.table)
    assert_frames(local.risk.receipts, dist.risk.receipts)
    for attr in ("alerts", "skus", "lines"):
        assert_frames(getattr(local.alerts, attr), getattr(dist.alerts, attr))
    assert local.alerts.notes == dist.alerts.notes
    assert np.array_equal(local.forecast.quantile_values, dist.forecast.quantile_values)


def test_a_partition_learns_supplier_lateness_from_every_po():
    """A supplier's lateness is a global input: a partition sees all its POs."""
    ds = ba.example_dataset(seed=0)
    part = dataset_part(ds, ds.skus[:3])
    assert len(part.purchase_orders) < len(ds.purchase_orders)
    assert_frames(part.supplier_history_at(ds.as_of), ds.supplier_history_at(ds.as_of))
    earlier = part.as_at("2025-06-30")
    assert_frames(earlier.supplier_history_at(earlier.as_of),
                  ds.supplier_history_at(earlier.as_of))
    assert_frames(earlier.supplier_history_at("2025-05-31"),
                  ds.supplier_history_at("2025-05-31"))
    assert_frames(earlier.supplier_history_frame(),  # what a part of it would be sent
                  ds.as_at("2025-06-30").supplier_history_frame())


def test_report_on_dask_writes_the_same_tables(client, tmp_path):
    ds = ba.example_dataset(seed=0)
    config = {"report": {"n_reps": 40, "outputs": ["csv"]}}
    ba.build_report(ds, tmp_path / "local", config, progress=False)
    on_dask = {"report": {**config["report"], "scheduler": client.scheduler.address,
                          "partitions": 5}}
    ba.build_report(ds, tmp_path / "dask", on_dask, progress=False)
    names = sorted(p.name for p in (tmp_path / "local" / "tables").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "dask" / "tables").iterdir())
    for name in names:
        assert (tmp_path / "local" / "tables" / name).read_bytes() == \
            (tmp_path / "dask" / "tables" / name).read_bytes(), name


def test_steps_cannot_be_given_to_a_distributed_plan(plans):
    local, _ = plans
    with pytest.raises(ValueError, match="Steps cannot be given to a distributed plan"):
        ba.plan(local.ds, client="local", replay=local.replay)


def test_the_scheduler_setting_is_checked(tmp_path):
    from backorder_analytics.report import ConfigError, load_config

    assert load_config({"report": {"scheduler": "local"}}).report.scheduler == "local"
    assert load_config({"report": {"scheduler": "synchronous"}}).report.scheduler == \
        "synchronous"
    with pytest.raises(ConfigError, match=r'\[report\] scheduler must be "local", '
                                          r'"synchronous" or a Dask scheduler address'):
        load_config({"report": {"scheduler": "somewhere"}})
    with pytest.raises(ConfigError, match="--scheduler must be"):
        load_config({}).with_overrides(scheduler="8786")


def test_sales_only_plan_on_dask_equals_local(client):
    full = ba.example_dataset(seed=3, n_skus=12, days=300)
    sales = ba.Dataset(orders=full.orders[["order_id", "line_id", "sku", "quantity",
                                           "order_date"]])
    settings = {"n_reps": 40, "supply": {"lead_time_days": 5}}
    local = ba.plan(sales, settings)
    dist = ba.plan(sales, settings, client=client, n_partitions=3)
    assert_frames(local.safety_stock.summary, dist.safety_stock.summary)
    for run in (local, dist):
        with pytest.raises(ba.MissingData, match="Sales-only data"):
            run.get("alerts")


def _fails_in_a_step(part, settings, lead_times):
    from backorder_analytics.distributed.plan import PartitionError

    raise PartitionError("Step 'risk' failed: ZeroDivisionError: no demand")


def test_a_failing_step_names_step_and_partition(client):
    engine = DaskEngine(client, n_partitions=2, progress=False)
    skus = pd.Index(["A", "B"])
    rows = sku_partitions(skus, 2)
    with pytest.raises(PartitionError, match=r"Step 'risk' failed: ZeroDivisionError: no "
                                             r"demand On partition 0 \(\d SKUs: "):
        engine.map(_fails_in_a_step, [None] * len(rows), None, None, step="planning",
                   labels=partition_labels(skus, rows))


def test_safety_stock_on_dask_equals_local(client):
    ds = ba.example_dataset(seed=4, n_skus=15, days=300)
    fc = ba.forecast(ba.demand_series(ds), 28)
    options = {"n_reps": 30, "target": ba.FillRate(0.9), "progress": False}
    local = ba.recommend_safety_stock(ds, forecast=fc, **options)
    dist = ba.recommend_safety_stock(ds, forecast=fc, client=client, n_partitions=4,
                                     **options)
    for attr in ("summary", "tradeoff", "schedule"):
        assert_frames(getattr(local, attr), getattr(dist, attr))
    some = list(ds.skus[:5])
    assert_frames(ba.recommend_safety_stock(ds, skus=some, **options).summary,
                  ba.recommend_safety_stock(ds, skus=some, client=client, **options).summary)


# ------------------------------------------- the other public functions (client=)

def assert_notes(local, dist):
    assert local.notes == dist.notes


@pytest.fixture(scope="module")
def shop():
    """24 SKUs; three of them, in three different partitions of 7, without purchase
    orders, so that a note counting them must count those of every partition."""
    ds = ba.example_dataset(seed=5, n_skus=24, days=300)
    rows = sku_partitions(ds.skus, 7)
    no_po = [ds.skus[r[0]] for r in rows[:3]]
    po = ds.purchase_orders[~ds.purchase_orders["sku"].isin(no_po)]
    return ba.Dataset(orders=ds.orders, purchase_orders=po, inventory=ds.inventory,
                      as_of=ds.as_of, items=ds.items)


@pytest.fixture(scope="module")
def shop_replay(shop):
    return ba.replay(shop, allocation="priority")


BACKTEST_MODELS = ["naive", "seasonal_naive", "moving_average", "historic_average", "zero",
                   "croston", "sba", "tsb", "croston_opt", "adida", "imapa", "ses", "holt",
                   "holt_winters", "combo(imapa+ses)"]


@pytest.mark.parametrize("quantiles", [(0.5, 0.9), None], ids=["quantiles", "points"])
def test_backtest_on_dask_equals_local(client, shop, quantiles):
    y = ba.demand_series(shop)
    local = ba.backtest(y, BACKTEST_MODELS, horizon=14, windows=2, quantiles=quantiles)
    dist = ba.backtest(y, BACKTEST_MODELS, horizon=14, windows=2, quantiles=quantiles,
                       client=client, n_partitions=7)
    assert_frames(local.frame, dist.frame)
    assert_frames(local.summary, dist.summary)


def _pooled_mean(y, h, **_):
    """A model fitted on all the series at once: every series gets the mean of the
    last week of all of them."""
    from backorder_analytics.forecasting import KernelFit

    level = np.nanmean(y[:, -7:])
    return KernelFit(mean=np.full((len(y), h), level), fitted=np.full(y.shape, np.nan),
                     params={})


def test_a_model_of_all_the_series_is_backtested_on_all_of_them(client, shop, monkeypatch):
    from backorder_analytics.forecasting import MODELS, ModelSpec

    monkeypatch.setitem(MODELS, "pooled_mean",
                        ModelSpec("pooled_mean", _pooled_mean, "global", "test"))
    y = ba.demand_series(shop)
    models = ["pooled_mean", "ses", "combo(naive+pooled_mean)"]
    local = ba.backtest(y, models, horizon=14, windows=2, quantiles=None)
    dist = ba.backtest(y, models, horizon=14, windows=2, quantiles=None, client=client,
                       n_partitions=7)
    assert_frames(local.frame, dist.frame)
    one = ba.backtest(y[y["sku"] == shop.skus[0]], models, horizon=14, windows=2,
                      quantiles=None)  # (by one partition, it would have other numbers)
    assert not np.array_equal(one.frame["mae"], local.frame["mae"][local.frame["sku"]
                                                                   == shop.skus[0]])


@pytest.mark.parametrize("by", [("supplier_id",), ("sku",), ("supplier_id", "sku")],
                         ids=["supplier", "sku", "pair"])
def test_lead_times_on_dask_equal_local(client, shop, by):
    po, as_of = shop.purchase_orders, shop.as_of - pd.Timedelta(days=60)
    local = ba.fit_lead_times(po, by=by, as_of=as_of)
    dist = ba.fit_lead_times(po, by=by, as_of=as_of, client=client, n_partitions=3)
    assert_frames(local.summary, dist.summary)
    assert (local.summary["weight"] < 1).any()  # pooled across the groups of partitions
    assert repr(local) == repr(dist)
    group = local.groups_[-1]
    assert np.array_equal(local.quantile([0.5, 0.9], group), dist.quantile([0.5, 0.9], group))


@pytest.mark.parametrize("options", [
    {"allocation": "priority"},
    {"replay": True, "max_wait_days": 20},
    {"days_back": 45, "skus": ["SKU-0002", "SKU-0005", "SKU-0010", "SKU-0017"]},
], ids=["priority", "replay", "earlier"])
def test_eta_on_dask_equals_local(client, shop, shop_replay, options):
    options = _given(options, shop, shop_replay, n_reps=100)
    local = ba.backorder_eta(shop, **options)
    dist = ba.backorder_eta(shop, client=client, n_partitions=7, **options)
    assert_frames(local.lines, dist.lines)
    assert_notes(local, dist)
    assert local.params == dist.params


def _given(options, shop, replay, **defaults):
    """The options of a test case: ``replay`` the shop's replay, ``days_back`` an
    ``as_of`` that many days before the data's."""
    options = {**defaults, **options}
    if options.pop("replay", False):
        options["replay"] = replay
    if "days_back" in options:
        options["as_of"] = shop.as_of - pd.Timedelta(days=options.pop("days_back"))
    return options


def _risk_forecast(kind, shop):
    if kind is None:
        return None
    fc = ba.forecast(ba.demand_series(shop), 28, model="sba", quantiles=())
    if kind == "Forecast":
        return fc.take(shop.skus[:17])
    if kind == "paths":
        return fc.paths(50, as_frame=True)
    return {s: ba.PoissonDemand(1.5) for s in shop.skus[4:20]}


@pytest.mark.parametrize(("kind", "reorder_points"), [
    (None, "history"),
    ("Forecast", None),
    ("paths", "history"),
    ("mapping", {"SKU-0003": (4, 6), "SKU-0009": (2, 3)}),
], ids=["auto", "forecast", "paths", "poisson"])
def test_risk_on_dask_equals_local(client, shop, shop_replay, kind, reorder_points):
    options = {"forecast": _risk_forecast(kind, shop), "n_reps": 40,
               "reorder_points": reorder_points, "replay": shop_replay}
    local = ba.backorder_risk(shop, **options)
    dist = ba.backorder_risk(shop, client=client, n_partitions=7, **options)
    assert_frames(local.table, dist.table)
    assert_frames(local.receipts, dist.receipts)
    assert local.params == dist.params


def test_risk_under_complete_shipping_on_dask_equals_local(client, shop):
    # each partition replays its SKUs' history and takes their mix of priorities
    options = {"forecast": _risk_forecast("paths", shop), "n_reps": 40,
               "allocation": "priority", "shipping": "complete"}
    local = ba.backorder_risk(shop, **options)
    dist = ba.backorder_risk(shop, client=client, n_partitions=7, **options)
    assert_frames(local.table, dist.table)
    assert local.params == dist.params


@pytest.mark.parametrize("options", [
    {},
    {"lead_times": 12.0, "reorder_points": {"SKU-0004": 5.0, "SKU-0011": 2.0}},
    {"replay": True, "days_back": 20},
], ids=["default", "lead-time-number", "replay-earlier"])
def test_alerts_on_dask_equal_local(client, shop, shop_replay, options):
    options = _given(options, shop, shop_replay, n_reps=60, allocation="priority")
    local = ba.alerts(shop, **options)
    dist = ba.alerts(shop, client=client, n_partitions=7, **options)
    for attr in ("alerts", "skus", "lines"):
        assert_frames(getattr(local, attr), getattr(dist, attr))
    assert_notes(local, dist)
    assert local.params == dist.params


def test_a_replay_cut_by_sku_is_the_replay_of_those_skus(shop, shop_replay):
    rows = sku_partitions(shop.skus, 3)
    parts = [shop_replay.take(shop.skus[r]) for r in rows]
    for r, part in zip(rows, parts, strict=True):
        assert set(part.lines["sku"]) <= set(shop.skus[r])
        assert_frames(part.stock, shop_replay.stock.loc[shop.skus[r]])
    whole = type(shop_replay).concat(parts)
    for attr in ("lines", "stock", "shipments", "timeline"):
        assert_frames(getattr(shop_replay, attr), getattr(whole, attr))


def test_arguments_are_checked_before_a_cluster_starts(shop):
    """A bad argument raises the error of one process, not a cluster's (nor a
    ``TypeError`` about the client, which is looked at later)."""
    y = ba.demand_series(shop)
    with pytest.raises(ValueError, match="'n_partitions' parameter must be a whole number"):
        ba.backorder_eta(shop, client=object(), n_partitions=0)
    with pytest.raises(ValueError, match="too few for 40 windows"):
        ba.backtest(y, ["naive"], horizon=14, windows=40, client=object())
    with pytest.raises(ValueError, match="'min_pos' parameter must be an integer >= 2"):
        ba.fit_lead_times(shop.purchase_orders, min_pos=1, client=object())
    with pytest.raises(TypeError, match="'lead_times' parameter must be a fitted"):
        ba.backorder_eta(shop, lead_times=7.0, client=object())
    with pytest.raises(ValueError, match="'reorder_points' parameter must be 'history'"):
        ba.backorder_risk(shop, reorder_points="later", client=object())
    with pytest.raises(ValueError, match="'slip_days' parameter must be a number >= 0"):
        ba.alerts(shop, slip_days=-1, client=object())
