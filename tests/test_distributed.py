"""The forecast on a 2-worker Dask LocalCluster gives the numbers of one process, bit
for bit (issue 12): the same models, means, quantiles, paths, class scores and
reconciliation, whatever the partitions."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics.distributed import DaskEngine, PartitionError, sku_partitions
from backorder_analytics.distributed.engine import partition_labels

distributed = pytest.importorskip("distributed")

H = 28


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cluster's own start-up notices
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                           processes=True, dashboard_address=":0")
        with distributed.Client(cluster) as c:
            yield c
        cluster.close()


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


def test_a_failing_partition_names_the_step_and_its_skus(client):
    engine = DaskEngine(client, n_partitions=2, progress=False)
    skus = pd.Index(["A", "B", "C", "D"])
    rows = sku_partitions(skus, 2)
    parts = [list(skus[r]) for r in rows]
    with pytest.raises(PartitionError, match=r"Step 'risk' failed on partition 1 \(3 SKUs: "
                                             r"A, B, C\): ZeroDivisionError: no demand"):
        engine.map(_fails_on_b, parts, step="risk", labels=partition_labels(skus, rows))


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


def test_plan_on_dask_equals_local_step_by_step(plans):
    local, dist = plans
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
    from backorder_analytics.distributed.partition import dataset_part

    ds = ba.example_dataset(seed=0)
    part = dataset_part(ds, ds.skus[:3])
    assert len(part.purchase_orders) < len(ds.purchase_orders)
    assert_frames(part.supplier_history_at(ds.as_of), ds.supplier_history_at(ds.as_of))
    earlier = part.as_at("2025-06-30")
    assert_frames(earlier.supplier_history_at(earlier.as_of),
                  ds.supplier_history_at(earlier.as_of))


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
    with pytest.raises(ConfigError, match=r'\[report\] scheduler must be "local" or a Dask '
                                          r"scheduler address"):
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
