"""The HTML report: self-contained, escaped, with the sections and charts it promises."""

from __future__ import annotations

import base64
import re

import pandas as pd
import pytest

import backorder_analytics as ba


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("report")
    path = ba.build_report(ba.read_dataset("data"), out, progress=False)
    return path.read_text(encoding="utf-8")


def test_sections_present(page):
    for title in ("Overview", "Data health", "Tables loaded", "Demand and its classes"):
        assert f"<h2>{title}</h2>" in page


def test_self_contained_and_images_are_png(page):
    assert not re.search(r'(src|href)="(https?:)?//', page)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) >= 3
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_category_listed_with_its_count(page):
    y = ba.demand_series(ba.read_dataset("data"), freq="W", complete_periods=True)
    counts = ba.classify_demand(y)["category"].value_counts()
    for category, n in counts.items():
        if n:
            assert re.search(rf"<th>{category}</th>\s*<td>{n}</td>", page), category


def test_user_strings_are_escaped(tmp_path):
    evil = "<script>alert(1)</script>"
    orders = pd.DataFrame({"order_id": ["SO1", "SO2"], "sku": [evil, "B"], "quantity": [1, 2],
                           "order_date": pd.to_datetime(["2024-01-01", "2024-01-09"])})
    po = pd.DataFrame({"po_id": ["PO1"], "sku": ["B"], "quantity": [5],
                       "order_date": pd.to_datetime(["2024-01-01"])})
    inventory = pd.DataFrame({"sku": [evil, "B"], "date": pd.to_datetime(["2024-01-01"] * 2),
                              "on_hand": [1.0, 0.0]})
    ds = ba.read_dataset(orders=orders, purchase_orders=po, inventory=inventory)
    html = ba.build_report(ds, tmp_path, progress=False).read_text(encoding="utf-8")
    assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_rejected_rows_shown_in_data_health(tmp_path):
    orders = pd.DataFrame({"order_id": ["SO1", "SO2", "SO3"], "sku": ["A", "A", "A"],
                           "quantity": ["1", "-4", "2"],
                           "order_date": ["2024-01-01", "2024-01-02", "2024-01-03"]})
    po = pd.DataFrame({"po_id": ["PO1"], "sku": ["A"], "quantity": [5],
                       "order_date": ["2024-01-01"]})
    inventory = pd.DataFrame({"sku": ["A"], "date": ["2024-01-01"], "on_hand": [1]})
    ds = ba.read_dataset(orders=orders, purchase_orders=po, inventory=inventory,
                         errors="report")
    html = ba.build_report(ds, tmp_path, progress=False).read_text(encoding="utf-8")
    assert "1 row was set aside on load" in html
    assert "quantity: not &gt; 0" in html
