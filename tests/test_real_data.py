"""Loading a real, messy export: the USAID SCMS delivery history as purchase orders.

Needs ``BACKORDER_DATA_DIR`` (see ``conftest.data_dir``); skips without it. The file has
10,324 PO lines, a byte-order mark, old-Mac (CR) line endings, and text where dates
should be ("Date Not Captured", "N/A - From RDC", "Pre-PQ Process").
"""

from __future__ import annotations

import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics import DataError

FILE = "scms_delivery_history.csv"
N_LINES = 10_324
COLUMN_MAP = {
    "ID": "po_id",
    "Item Description": "sku",
    "Line Item Quantity": "quantity",
    "PO Sent to Vendor Date": "order_date",
    "Scheduled Delivery Date": "expected_date",
    "Delivered to Client Date": "received_date",
    "Vendor": "supplier_id",
}
TEXT_DATES = ("Date Not Captured", "N/A - From RDC", "Pre-PQ Process")
DATE_COLUMNS = {"PO Sent to Vendor Date": "order_date",
                "Scheduled Delivery Date": "expected_date",
                "Delivered to Client Date": "received_date"}


@pytest.fixture(scope="module")
def scms_path(data_dir):
    path = data_dir / FILE
    if not path.exists():
        pytest.fail(f"{path} is missing from BACKORDER_DATA_DIR")
    return path


@pytest.fixture(scope="module")
def raw(scms_path) -> pd.DataFrame:
    """The file as plain pandas reads it: every cell as text."""
    return pd.read_csv(scms_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def loaded(scms_path) -> ba.Loaded:
    return ba.read_purchase_orders(scms_path, column_map=COLUMN_MAP, errors="report")


def test_raw_file_is_as_described(raw):
    assert raw.shape == (N_LINES, 33)
    assert raw.columns[0] == "ID"  # the byte-order mark is not part of the name


def test_text_dates_raise_naming_value_and_column(scms_path):
    with pytest.raises(DataError, match=r"column 'order_date'") as err:
        ba.read_purchase_orders(scms_path, column_map=COLUMN_MAP)
    message = str(err.value)
    assert "line 2: found 'Date Not Captured'" in message
    assert "not a date" in message
    problems = err.value.problems
    text = problems[problems["problem"] == "not a date"]
    assert set(text["value"]) <= set(TEXT_DATES)
    assert (text["column"] == "order_date").all()


def test_report_accounts_for_every_line(loaded):
    valid, rejected = loaded
    assert len(valid) + len(rejected) == N_LINES
    assert rejected["row"].is_unique
    assert rejected["row"].between(2, N_LINES + 1).all()
    assert rejected["reason"].str.len().gt(0).all()


def test_rows_with_text_dates_are_rejected_with_reasons(raw, loaded):
    """Wherever a mapped date column holds text, that line is rejected with a reason.
    (In this file only 'PO Sent to Vendor Date' does; 'Pre-PQ Process' is in
    'PQ First Sent to Client Date', which is not mapped and is kept as text.)"""
    _, rejected = loaded
    reasons = rejected.set_index("row")["reason"]
    for column, canonical in DATE_COLUMNS.items():
        has_text = raw[column].isin(TEXT_DATES).to_numpy()
        lines = raw.index[has_text] + 2  # header is line 1
        assert set(lines) <= set(reasons.index), column
        assert reasons.loc[lines].str.contains(f"{canonical}: not a date").all(), column
    # the text is there in the rejected rows, as read
    text_rows = rejected[rejected["reason"].str.contains("order_date: not a date")]
    assert set(text_rows["order_date"]) == {"Date Not Captured", "N/A - From RDC"}


def test_valid_rows_are_consistent(loaded):
    valid, _ = loaded
    assert valid["received_date"].notna().all()
    assert (valid["received_date"] >= valid["order_date"]).all()
    assert (valid["expected_date"] >= valid["order_date"]).all()
    assert valid["po_id"].is_unique
    assert (valid["quantity"] > 0).all()
    assert valid["order_date"].dt.year.between(2006, 2015).all()


def test_valid_count_agrees_with_plain_pandas(raw, loaded):
    """Count independently: rows whose dates parse in the file's formats and whose
    receipt / promise do not come before the order."""
    order = pd.to_datetime(raw["PO Sent to Vendor Date"], format="%m/%d/%y", errors="coerce")
    expected = pd.to_datetime(raw["Scheduled Delivery Date"], format="%d-%b-%y",
                              errors="coerce")
    received = pd.to_datetime(raw["Delivered to Client Date"], format="%d-%b-%y",
                              errors="coerce")
    parseable = order.notna()
    assert parseable.sum() == N_LINES - raw["PO Sent to Vendor Date"].isin(TEXT_DATES).sum()
    assert expected.notna().all()
    assert received.notna().all()
    in_order = parseable & (received >= order) & (expected >= order)
    valid, rejected = loaded
    assert len(valid) == in_order.sum()
    rejected_parseable = rejected[~rejected["reason"].str.contains("order_date: not a date")]
    assert len(rejected_parseable) == (parseable & ~in_order).sum()
    # and the dates the loader read are those plain pandas reads with the explicit format
    lines = valid["po_id"].map(pd.Series(raw.index, index=raw["ID"]))
    assert (valid["order_date"].to_numpy() == order.iloc[lines].to_numpy()).all()
    assert (valid["received_date"].to_numpy() == received.iloc[lines].to_numpy()).all()
