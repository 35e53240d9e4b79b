"""Sales-only data (orders alone, issue 14): a valid dataset, a planning run that gives
forecasts and reorder points from the lead times given, a full report whose sections
that need stock say what to add, and exit 0."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics.planning.run import SALES_ONLY

ORDER_COLUMNS = ["order_id", "line_id", "sku", "quantity", "order_date"]
SETTINGS = {"n_reps": 40, "supply": {"lead_time_days": 7}}


@pytest.fixture(scope="module")
def sales():
    full = ba.example_dataset(seed=0, n_skus=8, days=300)
    return full.orders[ORDER_COLUMNS].copy()


def test_orders_alone_are_a_dataset(sales):
    ds = ba.Dataset(orders=sales)
    assert ds.sales_only
    assert ds.purchase_orders.empty
    assert ds.inventory.empty
    assert ds.as_of == sales["order_date"].max().normalize() + pd.Timedelta(days=1) \
        - pd.Timedelta(1, "ns")
    assert not ba.example_dataset(seed=0, n_skus=5, days=60).sales_only


def test_a_folder_with_orders_alone_reads(sales, tmp_path):
    sales.to_csv(tmp_path / "orders.csv", index=False)
    ds = ba.read_dataset(tmp_path)
    assert ds.sales_only
    assert len(ds.orders) == len(sales)


def test_the_run_stocks_for_the_lead_time_given(sales):
    ds = ba.Dataset(orders=sales)
    run = ba.plan(ds, SETTINGS)
    assert run.lead_times == 7.0
    direct = ba.recommend_safety_stock(ds, lead_times=7.0, n_reps=40, seed=0,
                                       demand=run.demand, forecast=run.forecast,
                                       progress=False)
    pd.testing.assert_frame_equal(run.safety_stock.summary, direct.summary)
    given = ba.plan(ds, SETTINGS, lead_times=7)  # a whole number of days is days too
    pd.testing.assert_frame_equal(given.safety_stock.summary, direct.summary)
    with pytest.raises(TypeError, match="'lead_times' parameter must be"):
        ba.plan(ds, SETTINGS, lead_times=True)
    for step in ("replay", "state", "eta", "risk", "alerts"):
        with pytest.raises(ba.MissingData, match="Sales-only data"):
            run.get(step)


def test_items_lead_times_win_over_the_config(sales):
    skus = sorted(sales["sku"].unique())
    items = pd.DataFrame({"sku": skus[:2], "lead_time_days": [3.0, 12.0]})
    run = ba.plan(ba.Dataset(orders=sales, items=items), SETTINGS)
    assert run.lead_times == {skus[0]: 3.0, skus[1]: 12.0,
                              **{s: 7.0 for s in skus[2:]}}
    rec = run.safety_stock.summary
    assert rec.loc[skus[1], "lead_time_mean"] == 12.0


def test_without_lead_times_the_run_says_what_to_add(sales):
    with pytest.raises(ba.MissingData, match=r"set \[supply\] lead_time_days"):
        ba.plan(ba.Dataset(orders=sales)).get("lead_times")


def test_the_cli_report_on_orders_alone_exits_0(sales, tmp_path):
    sales.to_csv(tmp_path / "orders.csv", index=False)
    (tmp_path / "planning.toml").write_text(
        '[data]\nfolder = "."\n[supply]\nlead_time_days = 7\n[report]\nn_reps = 40\n')
    done = subprocess.run([sys.executable, "-m", "backorder_analytics", "report",
                           "--config", str(tmp_path / "planning.toml"),
                           "--out", str(tmp_path / "report"), "--no-progress"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    today = page[page.index('<section id="today"'):]
    assert today.index("Sales only") < today.index("</section>")
    assert page.count("Not available for this data") == 5  # alerts, ETAs, risk, history, lead times
    assert SALES_ONLY.split(":")[0] in page
    stocked = pd.read_csv(tmp_path / "report" / "tables" / "safety_stock.csv")
    assert len(stocked) == sales["sku"].nunique()
    assert stocked["reorder_point"].notna().all()
    # the first screen is what to do: the reorder points to set, busiest SKUs first
    todo = pd.read_csv(tmp_path / "report" / "tables" / "today.csv")
    assert set(todo["sku"]) == set(stocked["sku"])
    assert todo["mean_demand"].is_monotonic_decreasing
    assert today.index("Set these reorder points and order quantities") < \
        today.index("</section>")
