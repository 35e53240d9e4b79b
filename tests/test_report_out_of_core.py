"""The report out of core (issue 12): from a folder partitioned by SKU, on a 2-worker
Dask LocalCluster, without the order lines on the driver, the same tables and page as
the report of the whole dataset in one process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics.leadtime.lateness import SupplierLateness
from backorder_analytics.report import out_of_core
from backorder_analytics.simulation.replay_digest import ReplayDigest, ReplayPiece, WaitSample
from backorder_analytics.simulation.replay_result import TOTAL

pytest.importorskip("distributed")

CONFIG = {"report": {"n_reps": 30, "outputs": ["html", "csv"], "charts": 2},
          "policy": {"allocation": "priority", "max_wait_days": 30}}


@pytest.fixture(scope="module")
def shop():
    return ba.example_dataset(seed=0, n_skus=40)


@pytest.fixture(scope="module")
def folder(shop, tmp_path_factory):
    path = tmp_path_factory.mktemp("partitioned") / "data"
    ba.write_dataset(shop, path, partition_by="sku_hash", n_partitions=6)
    return path


def test_out_of_core_report_is_the_report_of_one_process(client, folder, tmp_path,
                                                         monkeypatch):
    ba.build_report(ba.read_dataset(folder), tmp_path / "one", CONFIG, progress=False)

    def not_on_the_driver(*args, **kwargs):
        raise AssertionError("the driver read the dataset")

    monkeypatch.setattr(out_of_core, "read_dataset", not_on_the_driver)  # workers: their own
    ba.build_report(folder, tmp_path / "ooc", CONFIG, client=client, progress=False)
    assert_same_report(tmp_path / "one", tmp_path / "ooc")


def test_synchronous_report_is_the_report_of_one_process(folder, tmp_path, monkeypatch):
    """``client="synchronous"``: the partitions one after another in this process, each
    read on its own (never the whole folder), and the same report, to the byte."""
    ba.build_report(ba.read_dataset(folder), tmp_path / "one", CONFIG, progress=False)
    reads = []
    read = out_of_core.read_dataset

    def one_partition_at_a_time(path, **options):
        reads.append(options.get("partitions"))
        return read(path, **options)

    monkeypatch.setattr(out_of_core, "read_dataset", one_partition_at_a_time)
    ba.build_report(folder, tmp_path / "ooc", CONFIG, client="synchronous", progress=False)
    assert reads
    assert all(p is not None and len(p) == 1 for p in reads)
    assert len({p[0] for p in reads}) == 6  # every partition of the folder
    assert_same_report(tmp_path / "one", tmp_path / "ooc")


def assert_same_report(one, other):
    """Every table and the page (charts included) byte for byte."""
    names = sorted(p.name for p in (one / "tables").iterdir())
    assert names == sorted(p.name for p in (other / "tables").iterdir())
    for name in names:
        assert (one / "tables" / name).read_bytes() == \
            (other / "tables" / name).read_bytes(), name
    assert (one / "index.html").read_bytes() == (other / "index.html").read_bytes()


def test_an_earlier_as_of_is_applied_to_every_partition(client, folder, tmp_path):
    config = {**CONFIG, "as_of": "2025-11-30", "report": {**CONFIG["report"],
                                                           "outputs": ["csv"]}}
    ba.build_report(ba.read_dataset(folder), tmp_path / "one", config, progress=False)
    ba.build_report(folder, tmp_path / "ooc", config, client=client, progress=False)
    for name in ("overview.csv", "backorder_history.csv", "alerts.csv", "forecast.csv"):
        assert (tmp_path / "one" / "tables" / name).read_bytes() == \
            (tmp_path / "ooc" / "tables" / name).read_bytes(), name


def test_a_folder_not_partitioned_by_sku_is_refused(shop, tmp_path):
    ba.write_dataset(shop, tmp_path / "flat", format="parquet")
    with pytest.raises(ValueError, match="not partitioned by SKU.*partition_by='sku_hash'"):
        ba.build_report(tmp_path / "flat", tmp_path / "out", CONFIG, client="local",
                        progress=False)


@pytest.mark.parametrize("n_parts", [1, 3, 7])
def test_replay_digest_of_parts_is_the_whole_replay(shop, n_parts):
    """The pieces of the replays of a partition of the SKUs add up to the summary,
    ageing and timeline of the replay of all of them (computed by ReplayResult, the
    independent implementation), to the bit."""
    rep = ba.replay(shop, allocation="priority")
    skus = rep.stock.index
    groups = [skus[i::n_parts] for i in range(n_parts)]
    pieces = [ReplayPiece.of(rep.take(g), recorded=True) for g in groups]
    digest = ReplayDigest.combine(pieces[::-1])  # in any order
    pd.testing.assert_frame_equal(digest.summary, rep.summary, check_exact=True)
    pd.testing.assert_frame_equal(digest.ageing, rep.ageing, check_exact=True)
    pd.testing.assert_frame_equal(digest.timeline_total, rep.timeline_total,
                                  check_exact=True, check_freq=False)
    whole = rep.compare_shipments()
    assert digest.compare_shipments().n_identical == whole.n_identical
    assert digest.compare_shipments().share_identical == whole.share_identical
    L = rep.lines
    waits = L.loc[L["backordered"] > 0, "wait_days"].dropna().to_numpy()
    assert np.array_equal(np.sort(digest.waits), np.sort(waits))
    assert digest.summary.loc[TOTAL, "wait_bo_n"] == len(waits)


def test_wait_samples_merge_in_the_order_of_the_skus():
    a = WaitSample.of(np.array([0.0, 2.0, np.nan, 1.0, 0.0]), np.array([1, 1, 0, 0, 0]),
                      pd.Index(["B", "D"]))
    b = WaitSample.of(np.array([3.0, 0.0]), np.array([0, 0]), pd.Index(["C"]))
    # B: 0, 1 (NaN: no wait); C: 0, 3; D: 0, 2
    assert WaitSample.merged([a, b]).tolist() == [0.0, 1.0, 0.0, 3.0, 0.0, 2.0]


def test_the_command_runs_out_of_core_on_a_partitioned_folder(client, folder, tmp_path,
                                                              monkeypatch):
    """``backorder-analytics report`` with a scheduler and a ``[data] folder`` written
    partitioned by SKU: out of core, the tables of the run in one process."""
    from backorder_analytics import cli

    config = tmp_path / "planning.toml"
    config.write_text(f'[data]\nfolder = "{folder}"\n[policy]\nallocation = "priority"\n'
                      '[report]\nn_reps = 30\ncharts = 2\noutputs = ["csv"]\n')
    assert cli.main(["report", "--config", str(config), "--out", str(tmp_path / "one"),
                     "--no-progress"]) == 0
    read = []
    monkeypatch.setattr("backorder_analytics.report.read_configured_dataset",
                        lambda config: read.append(config))
    assert cli.main(["report", "--config", str(config), "--out", str(tmp_path / "ooc"),
                     "--scheduler", client.scheduler.address, "--no-progress"]) == 0
    assert not read  # the driver read nothing
    for path in sorted((tmp_path / "one" / "tables").iterdir()):
        assert path.read_bytes() == (tmp_path / "ooc" / "tables" / path.name).read_bytes(), \
            path.name


def test_sales_only_out_of_core_report_is_that_of_one_process(client, tmp_path):
    """Orders alone: the sections that need stock say so, out of core as in one
    process (the lead times given, the same forecast and reorder points)."""
    full = ba.example_dataset(seed=0, n_skus=8, days=300)
    sales = ba.Dataset(orders=full.orders[["order_id", "line_id", "sku", "quantity",
                                           "order_date"]].copy())
    folder = ba.write_dataset(sales, tmp_path / "data", partition_by="sku_hash",
                              n_partitions=3)
    config = {"report": {"n_reps": 20, "outputs": ["html", "csv"], "charts": 2},
              "supply": {"lead_time_days": 7}}
    ba.build_report(ba.read_dataset(folder), tmp_path / "one", config, progress=False)
    ba.build_report(folder, tmp_path / "ooc", config, client=client, progress=False)
    for path in sorted((tmp_path / "one" / "tables").iterdir()):
        # the same tables; on pandas 3 one backtest score (forecast_models.csv) differs
        # in its last bit between the two runs of this data, so numbers to 1e-12
        pd.testing.assert_frame_equal(pd.read_csv(path),
                                      pd.read_csv(tmp_path / "ooc" / "tables" / path.name),
                                      check_exact=False, rtol=1e-12, atol=0.0,
                                      obj=path.name)
    assert (tmp_path / "one" / "index.html").read_bytes() == \
        (tmp_path / "ooc" / "index.html").read_bytes()


def test_rows_rejected_out_of_core_fail_the_command_as_in_one_process(client, shop,
                                                                      tmp_path, capsys):
    """A row set aside on load is a data problem (exit status 1) whichever way the
    report runs; out of core the report warns, as the folder is never read whole."""
    from backorder_analytics import cli

    orders = shop.orders.copy()
    orders.loc[orders.index[3], "quantity"] = -2
    bad = ba.Dataset(orders=orders, purchase_orders=shop.purchase_orders,
                     inventory=shop.inventory, items=shop.items, as_of=shop.as_of)
    folder = ba.write_dataset(bad, tmp_path / "data", partition_by="sku_hash",
                              n_partitions=4)
    config = tmp_path / "planning.toml"
    config.write_text(f'[data]\nfolder = "{folder}"\n'
                      '[report]\nn_reps = 20\ncharts = 1\noutputs = ["csv"]\n')
    assert cli.main(["report", "--config", str(config), "--out", str(tmp_path / "one"),
                     "--no-progress"]) == 1
    assert "1 row was rejected on load" in capsys.readouterr().err
    assert cli.main(["report", "--config", str(config), "--out", str(tmp_path / "ooc"),
                     "--scheduler", client.scheduler.address, "--no-progress"]) == 1
    assert "1 row was rejected on load" in capsys.readouterr().err


def test_the_suppliers_lateness_is_learnt_once_on_the_driver(folder, tmp_path, monkeypatch):
    """Each supplier's lateness over every PO of the business is computed once per
    moment the run asks (now, and the previous ETAs' moment), on the driver, and sent
    to the partitions: a partition computing it again would do work in proportion
    to the whole business, so the run would grow with the square of the SKUs. A
    cluster of threads, so that the count sees the workers' calls too."""
    distributed = pytest.importorskip("distributed")
    moments = []
    learn = SupplierLateness.of.__func__

    def counted(cls, history, moment):
        moments.append(moment)
        return learn(cls, history, moment)

    monkeypatch.setattr(SupplierLateness, "of", classmethod(counted))
    config = {**CONFIG, "report": {**CONFIG["report"], "outputs": ["csv"]}}
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1,
                            dashboard_address=":0") as threads:
        ba.build_report(folder, tmp_path / "ooc", config, client=threads, progress=False)
    assert len(moments) == len(set(moments)) == 2
