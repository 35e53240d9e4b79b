"""The report on tiny datasets: escaping, rejected rows, outputs chosen, as_of, and a
section the data cannot support (or that fails) costing that section only."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics.report import ReportWarning, build_report
from backorder_analytics.report import sections as report_sections
from backorder_analytics.report.sections import SECTIONS, SectionSpec

EVIL = "<script>alert(1)</script>"


@pytest.fixture
def tiny() -> ba.Dataset:
    """Two SKUs, two order lines, one PO never received: most models cannot run."""
    orders = pd.DataFrame({"order_id": ["SO1", "SO2"], "sku": [EVIL, "B"], "quantity": [1, 2],
                           "order_date": pd.to_datetime(["2024-01-01", "2024-01-09"]),
                           "customer_id": ["=cmd|' /C calc'!A0", "c2"]})
    po = pd.DataFrame({"po_id": ["PO1"], "sku": ["B"], "quantity": [5],
                       "order_date": pd.to_datetime(["2024-01-01"])})
    inventory = pd.DataFrame({"sku": [EVIL, "B"], "date": pd.to_datetime(["2024-01-01"] * 2),
                              "on_hand": [1.0, 0.0]})
    return ba.read_dataset(orders=orders, purchase_orders=po, inventory=inventory,
                           as_of="2024-01-10")


def build(ds, out, config=None, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReportWarning)
        path = build_report(ds, out, config, progress=False, **kwargs)
    return path, [str(w.message) for w in caught if issubclass(w.category, ReportWarning)]


def test_escaped_and_unsupported_sections_say_why(tiny, tmp_path):
    path, problems = build(tiny, tmp_path)
    html = path.read_text(encoding="utf-8")
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for spec in SECTIONS:                                  # every section is on the page
        assert f'<section id="{spec.anchor}">' in html
    # no received PO and no lead time given: the sections that need one say what to add
    # (missing data, not a failure: no warning)
    assert "<h2>Lead times</h2>\n<p class=\"note\">Not available for this data: No purchase " \
           "order was received, so there is no lead time to learn from. Fix: set [supply] " \
           "lead_time_days" in html
    assert html.count("Not available for this data: No purchase order was received") >= 4
    assert not any("Lead times" in p for p in problems)
    rejected = pd.read_csv(tmp_path / "tables" / "overview.csv")
    assert rejected.set_index("fact").loc["order lines", "value"] == "2"


def test_rejected_rows_shown_in_data_health(tmp_path):
    orders = pd.DataFrame({"order_id": ["SO1", "SO2", "SO3"], "sku": ["A", "A", "A"],
                           "quantity": ["1", "-4", "2"],
                           "order_date": ["2024-01-01", "2024-01-02", "2024-01-03"]})
    po = pd.DataFrame({"po_id": ["PO1"], "sku": ["A"], "quantity": [5],
                       "order_date": ["2024-01-01"]})
    inventory = pd.DataFrame({"sku": ["A"], "date": ["2024-01-01"], "on_hand": [1]})
    ds = ba.read_dataset(orders=orders, purchase_orders=po, inventory=inventory,
                         errors="report")
    path, _ = build(ds, tmp_path)
    html = path.read_text(encoding="utf-8")
    assert "1 row was set aside on load" in html
    assert "quantity: not &gt; 0" in html
    rejected = pd.read_csv(tmp_path / "tables" / "rejected_rows.csv")
    assert rejected["row"].tolist() == [1]                 # position in the DataFrame
    assert rejected["quantity"].tolist() == ["'-4"]       # text as read, neutralised
    reasons = pd.read_csv(tmp_path / "tables" / "rejected_reasons.csv")
    assert reasons.to_dict("list") == {"table": ["orders"], "reason": ["quantity: not > 0"],
                                       "rows": [1]}


def test_formula_in_customer_neutralised(tiny, tmp_path):
    build(tiny, tmp_path, {"report": {"outputs": ["csv"]}})
    for path in (tmp_path / "tables").glob("*.csv"):
        assert "\n=" not in path.read_text(encoding="utf-8")
        assert ",=" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("outputs", "files"), [
    (["csv"], {"tables"}),
    (["html"], {"index.html"}),
    (["xlsx", "html"], {"index.html", "report.xlsx"}),
])
def test_only_the_outputs_asked_for(tiny, tmp_path, outputs, files):
    path, _ = build(tiny, tmp_path, {"report": {"outputs": outputs}})
    assert {p.name for p in tmp_path.iterdir()} == files
    assert path == (tmp_path / "index.html" if "html" in outputs else tmp_path)


def test_title_argument_overrides_config(tiny, tmp_path):
    path, _ = build(tiny, tmp_path, {"title": "From config"}, title="Mine & yours")
    assert "<title>Mine &amp; yours</title>" in path.read_text(encoding="utf-8")
    path, _ = build(tiny, tmp_path, {"title": "From config"})
    assert "<title>From config</title>" in path.read_text(encoding="utf-8")


def test_config_file_accepted(tiny, tmp_path):
    toml = tmp_path / "planning.toml"
    toml.write_text('title = "From TOML"\n[report]\noutputs = ["html"]\n', encoding="utf-8")
    path, _ = build(tiny, tmp_path / "out", toml)
    assert "<title>From TOML</title>" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("as_of", "lines"), [("2024-01-05", 1), ("2024-02-01", 2)])
def test_as_of_from_config(tiny, tmp_path, as_of, lines):
    build(tiny, tmp_path, {"as_of": as_of, "report": {"outputs": ["csv"]}})
    facts = pd.read_csv(tmp_path / "tables" / "overview.csv").set_index("fact")["value"]
    # a date means the end of that day
    assert pd.Timestamp(facts["as of"]) == pd.Timestamp(as_of) + pd.Timedelta("23:59:59")
    assert int(facts["order lines"]) == lines


def test_a_failing_section_costs_that_section_only(tiny, tmp_path, monkeypatch):
    def boom(ctx):
        raise RuntimeError("boom")

    patched = [s._replace(build=boom) if s.anchor == "demand" else s for s in SECTIONS]
    monkeypatch.setattr(report_sections, "SECTIONS", patched)
    monkeypatch.setattr("backorder_analytics.report.build.SECTIONS", patched)
    path, problems = build(tiny, tmp_path)
    html = path.read_text(encoding="utf-8")
    assert "could not be computed from this data: unexpected RuntimeError: boom" in html
    assert "report section 'Demand and its classes' could not be computed: unexpected " \
           "RuntimeError: boom" in problems
    assert "<h2>Overview</h2>" in html
    assert "<h2>Tables loaded</h2>" in html


def test_section_specs_are_unique():
    assert len({s.anchor for s in SECTIONS}) == len(SECTIONS)
    assert sorted(s.position for s in SECTIONS) == list(range(len(SECTIONS)))
    assert all(isinstance(s, SectionSpec) for s in SECTIONS)


def test_names_are_not_parsed_as_tex(tiny, tmp_path):
    names = {EVIL: r"A$\frac$B"}                           # invalid mathtext
    ds = ba.read_dataset(orders=tiny.orders.replace(names),
                         purchase_orders=tiny.purchase_orders,
                         inventory=tiny.inventory.replace(names), as_of=tiny.as_of)
    _, problems = build(ds, tmp_path, {"report": {"outputs": ["html"]}})
    assert not [p for p in problems if "Demand and its classes" in p]
