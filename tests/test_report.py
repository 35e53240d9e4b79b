"""The batch report end to end on the example data: every section, every table exported
to CSV and Excel with the same rows, a self-contained page, hostile names escaped in the
HTML and neutralised in the spreadsheets.

The example data gets hostile names first: a SKU called ``<script>alert(1)</script>``,
one called ``=HYPERLINK(...)``, every customer an ``@SUM(...)<img onerror>`` and a
supplier ``-SUP <b>&``. One report is built for the whole module (small ``n_reps``).
"""

from __future__ import annotations

import base64
import csv
import re
import warnings
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import backorder_analytics as ba
from backorder_analytics.report import ReportWarning
from backorder_analytics.report.export import FORMULA_STARTS
from backorder_analytics.report.sections import SECTIONS

EVIL_SKU = "<script>alert(1)</script>"
FORMULA_SKU = '=HYPERLINK("http://evil.example","click")'
EVIL_CUSTOMER = "@SUM(1+1)<img src=x onerror=alert(2)>"
EVIL_SUPPLIER = "-SUP <b>&"
RENAMED = {"SKU-0027": EVIL_SKU, "SKU-0042": FORMULA_SKU}
CONFIG = {"title": "Nightly <b>report</b>",
          "policy": {"allocation": "priority", "shipping": "partial", "max_wait_days": 30},
          "service": {"target": "fill_rate", "level": 0.95},
          "forecast": {"model": "ses"},            # quick; "auto" runs in make demo
          "report": {"n_reps": 20, "charts": 2, "seed": 0}}
PAGE_ORDER = ["Today", "Overview", "Data health", "Alerts", "Open backorders: when they ship",
              "SKUs at risk", "Safety stock", "Backorder history (replayed)",
              "Demand forecast", "Demand and its classes", "Lead times", "Tables loaded"]


def hostile(table: pd.DataFrame | None) -> pd.DataFrame | None:
    if table is None:
        return None
    table = table.copy()
    table["sku"] = table["sku"].replace(RENAMED)
    if "supplier_id" in table:
        table["supplier_id"] = table["supplier_id"].replace({"SUP-E": EVIL_SUPPLIER})
    if "customer_id" in table:
        table["customer_id"] = EVIL_CUSTOMER + table["customer_id"].astype(str)
    return table


@pytest.fixture(scope="module")
def ds() -> ba.Dataset:
    base = ba.example_dataset(seed=0)
    return replace(base, **{name: hostile(getattr(base, name)) for name in
                            ("orders", "purchase_orders", "inventory", "items", "shipments")},
                   truth=None)


@pytest.fixture(scope="module")
def built(ds, tmp_path_factory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("report")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReportWarning)
        path = ba.build_report(ds, out, CONFIG, progress=False)
    assert path == out / "index.html"
    return out, [str(w.message) for w in caught if issubclass(w.category, ReportWarning)]


@pytest.fixture(scope="module")
def page(built) -> str:
    return (built[0] / "index.html").read_text(encoding="utf-8")


def read_csv_cells(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_every_section_computed_and_in_page_order(built, page):
    assert built[1] == []                                   # no section failed
    assert "could not be computed" not in page
    titles = re.findall(r"<h2>(.*?)</h2>", page)
    assert titles == [t.replace("&", "&amp;") for t in PAGE_ORDER]
    assert {s.title for s in SECTIONS} == set(PAGE_ORDER)
    for anchor in re.findall(r'<section id="([^"]+)"', page):
        assert f'href="#{anchor}"' in page                  # every section in the nav


def test_page_is_self_contained(page):
    assert not re.search(r'(src|href)="(?!data:|#)', page)  # no file or web reference
    assert "<link" not in page
    assert "@import" not in page
    assert "url(" not in page
    assert "<script" not in page
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == page.count("<img")
    assert len(images) >= 10
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_hostile_names_are_escaped_in_html(page):
    assert EVIL_SKU not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "@SUM(1+1)&lt;img src=x onerror=alert(2)&gt;C-" in page    # ETA / alerts tables
    assert "-SUP &lt;b&gt;&amp;" in page
    assert "<b>" not in page
    assert "<title>Nightly &lt;b&gt;report&lt;/b&gt;</title>" in page


def test_every_table_exported_to_csv_and_xlsx_with_the_same_rows(built):
    out = built[0]
    wb = load_workbook(out / "report.xlsx", read_only=True)
    contents = pd.read_excel(out / "report.xlsx", sheet_name="contents")
    csvs = sorted(p.stem for p in (out / "tables").glob("*.csv"))
    assert sorted(contents["table"]) == csvs
    assert wb.sheetnames == ["contents", *contents["sheet"]]
    expected = {"overview", "rejected_rows", "alerts", "backorder_eta", "backorder_risk",
                "safety_stock", "safety_stock_tradeoff", "backorder_history",
                "backorder_ageing", "backorder_timeline", "forecast", "demand_classes",
                "lead_times", "tables_loaded"}
    assert expected <= set(csvs)
    for row in contents.itertuples():
        n_csv = len(read_csv_cells(out / "tables" / f"{row.table}.csv")) - 1
        n_xlsx = wb[row.sheet].max_row - 1
        assert n_csv == n_xlsx == row.rows, row.table
        assert row.description


def test_no_live_formula_in_any_export(built):
    out = built[0]
    for path in (out / "tables").glob("*.csv"):
        for row in read_csv_cells(path):
            for cell in row:
                if cell.startswith(FORMULA_STARTS):
                    float(cell)                              # only a negative number may
    forecast = pd.read_csv(out / "tables" / "forecast.csv")
    assert ("'" + FORMULA_SKU) in set(forecast["sku"])
    wb = load_workbook(out / "report.xlsx")
    found = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS)
                    found += cell.value == "'" + FORMULA_SKU
    assert found > 5


def test_numbers_and_dates_stay_typed_in_xlsx(built, ds):
    wb = load_workbook(built[0] / "report.xlsx", read_only=True)
    rows = list(wb["backorder_timeline"].iter_rows(values_only=True))
    assert rows[0][:3] == ("date", "on_hand", "backordered_units")
    assert isinstance(rows[1][0], pd.Timestamp | type(pd.Timestamp(0).to_pydatetime()))
    assert all(isinstance(r[1], int) for r in rows[1:])
    lt = pd.read_excel(built[0] / "report.xlsx", sheet_name="lead_times")
    assert pd.api.types.is_float_dtype(lt["p90"])


def test_overview_and_history_agree_with_the_data(built, ds):
    out = built[0]
    facts = pd.read_csv(out / "tables" / "overview.csv").set_index("fact")["value"]
    assert int(facts["units ordered"]) == int(ds.orders["quantity"].sum())
    assert int(facts["order lines"]) == len(ds.orders)
    assert int(facts["SKUs"]) == ds.orders["sku"].nunique()
    history = pd.read_csv(out / "tables" / "backorder_history.csv")
    # conservation (DESIGN §4): ordered = shipped + still backordered + cancelled
    assert (history["ordered_units"] == history["shipped_units"] + history["open_units"]
            + history["cancelled_units"]).all()
    total = history.iloc[0]
    assert total["ordered_units"] == ds.orders["quantity"].sum()
    assert total["lines"] == len(ds.orders)
    eta = pd.read_csv(out / "tables" / "backorder_eta.csv")
    assert int(facts["open backorder lines at as of"]) == len(eta)
    by_po = pd.read_csv(out / "tables" / "backorder_eta_by_po.csv").set_index("expected_po")
    per_po = eta.groupby("expected_po")["open_quantity"].agg(["size", "sum"])
    assert by_po["lines"].sort_index().tolist() == per_po["size"].sort_index().tolist()
    assert by_po["units"].sort_index().tolist() == per_po["sum"].sort_index().tolist()
    assert int(facts["lines cancelled (replayed)"]) == total["cancelled_lines"]


def test_forecast_table_shape_and_quantile_order(built, ds):
    fc = pd.read_csv(built[0] / "tables" / "forecast.csv", parse_dates=["date"])
    weekly = ba.demand_series(ds, freq="W", complete_periods=True)
    assert fc["sku"].nunique() == weekly["sku"].nunique()
    assert len(fc) == fc["sku"].nunique() * 4                # 28 days in whole weeks
    assert (fc["q0.5"] <= fc["q0.8"]).all()
    assert (fc["q0.8"] <= fc["q0.95"]).all()
    assert (fc["date"] > weekly["date"].max()).all()


def test_every_category_listed_with_its_count(page, ds):
    counts = ba.classify_demand(ba.demand_series(ds, freq="W", complete_periods=True))[
        "category"].value_counts()
    for category, n in counts.items():
        if n:
            assert re.search(rf'<td>{category}</td>\s*<td class="num">{n}</td>', page), category


def test_eta_rows_are_the_lines_still_open_in_the_data(built, ds):
    """Open at as_of, from the recorded shipments and cancellations alone (no replay)."""
    o = ds.orders
    shipped = ds.shipments.groupby(["order_id", "line_id"])["quantity"].sum().reindex(
        pd.MultiIndex.from_frame(o[["order_id", "line_id"]])).fillna(0).to_numpy()
    still = (o["quantity"].to_numpy() > shipped) & (
        o["cancel_date"].isna() | (o["cancel_date"] > ds.as_of)).to_numpy()
    expected = o.loc[still, ["order_id", "line_id"]].assign(
        open_quantity=o["quantity"].to_numpy()[still] - shipped[still])
    eta = pd.read_csv(built[0] / "tables" / "backorder_eta.csv", dtype={"line_id": str})
    got = eta[["order_id", "line_id", "open_quantity"]]
    pd.testing.assert_frame_equal(
        got.sort_values(["order_id", "line_id"]).reset_index(drop=True),
        expected.sort_values(["order_id", "line_id"]).reset_index(drop=True),
        check_dtype=False)


def test_today_lists_every_alert_under_its_action_and_counts_agree(built, page):
    from backorder_analytics.report.sections.today import ACTIONS

    out = built[0]
    alerts = pd.read_csv(out / "tables" / "alerts.csv")
    today = pd.read_csv(out / "tables" / "today.csv")
    grouped = {kind: heading for heading, kinds, _ in ACTIONS for kind in kinds}
    assert len(today) == len(alerts)
    assert (today["action_group"] == today["kind"].map(grouped)).all()
    first = page.index('<section id="today"')
    assert first < page.index('<section id="overview"')
    section = page[first:page.index("</section>", first)]
    for heading, kinds, _ in ACTIONS:
        n = int(alerts["kind"].isin(kinds).sum())
        if n:
            assert re.search(rf"<h3>{re.escape(heading)}: {n:,}( \(\d+ high\))?</h3>", section)
    assert f"{len(alerts):,} things to do" in section


def test_text_left_numbers_right_in_html_tables(page):
    assert re.search(r'<td class="num">\d', page)
    assert not re.search(r'<td class="num">[A-Za-z]', page)


def test_every_column_of_every_table_is_defined(built):
    out = built[0]
    definitions = pd.read_csv(out / "tables" / "definitions.csv")
    defined = set(definitions["column"])
    for path in (out / "tables").glob("*.csv"):
        if path.stem in ("definitions", "rejected_rows"):  # the rows' own columns
            continue
        missing = set(pd.read_csv(path, nrows=0).columns) - defined
        assert not missing, (path.stem, sorted(missing))
    assert definitions.set_index("column").loc["eta_p80", "definition"].startswith(
        "ship date of the line's last unit at the 80 % quantile")
    assert "definitions" in pd.read_excel(out / "report.xlsx", sheet_name="contents")[
        "table"].tolist()
