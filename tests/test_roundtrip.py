"""Property: ``write_dataset`` then ``read_dataset`` gives back the same tables, exactly.

Random small canonical datasets: identifiers with leading zeros, inner spaces, commas,
quotes, unicode and text that looks like a number, a date or a missing value; whole
quantities; timestamps at whole seconds; NaT in optional dates; optional columns and
tables present or not. Each is written as CSV and as Parquet and read back.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics.data.schemas import SCHEMAS

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

AS_OF = pd.Timestamp("2031-01-01")
TRICKY_IDS = ["007", "00123", "0", "1.0", "1e3", "-5", "+1", "NA", "NaN", "nan", "None",
              "null", "TRUE", "2024-01-31", "1,200", '"q"', "a b", "Ünïcødé", "日本", "#1"]

chars = st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"))
ids = st.one_of(
    st.sampled_from(TRICKY_IDS),
    st.text(chars, min_size=1, max_size=8).map(str.strip).filter(bool),
)
texts = st.text(chars, min_size=1, max_size=12)  # free text: surrounding spaces allowed
timestamps = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2029, 12, 31)) \
    .map(lambda d: d.replace(microsecond=0))
later = st.integers(min_value=0, max_value=90 * 86_400).map(lambda s: timedelta(seconds=s))
counts = st.integers(min_value=1, max_value=10**9)
amounts = st.one_of(
    st.integers(0, 10**6).map(float),
    # values pandas' fast text-to-float parser rounds wrongly in the last digit
    st.sampled_from([0.1 + 0.2, 123456789.12345679, 5e-324]),
    st.floats(min_value=0, max_value=1e9, allow_nan=False),
)


def _maybe(strategy, draw):
    """A value or None (a blank cell)."""
    return draw(st.one_of(st.none(), strategy))


def _frame(schema_name: str, columns: dict) -> pd.DataFrame:
    """A canonical table: schema column order, canonical dtypes (Arrow strings for ids
    and text, required counts ``int64``, optional counts nullable ``Int64``)."""
    schema = SCHEMAS[schema_name]
    frame = pd.DataFrame({c: columns[c] for c in schema.names if c in columns})
    for col in schema.columns:
        if col.name in frame:
            frame[col.name] = frame[col.name].astype(col.dtype)
    return frame


@st.composite
def datasets(draw) -> ba.Dataset:
    skus = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    optional = draw(st.sets(st.sampled_from(
        ["line_id", "customer_id", "priority", "unit_price", "requested_date",
         "cancel_date", "channel", "supplier_id", "expected_date", "received_date",
         "received_quantity", "items", "shipments"])))

    n = draw(st.integers(1, 6))
    order_dates = draw(st.lists(timestamps, min_size=n, max_size=n))
    orders = {
        "order_id": draw(st.lists(ids, min_size=n, max_size=n, unique=True)),
        "sku": draw(st.lists(st.sampled_from(skus), min_size=n, max_size=n)),
        "quantity": draw(st.lists(counts, min_size=n, max_size=n)),
        "order_date": order_dates,
    }
    if "line_id" in optional:
        orders["line_id"] = [str(i + 1) for i in range(n)]
    if "customer_id" in optional:
        orders["customer_id"] = [_maybe(ids, draw) for _ in range(n)]
    if "priority" in optional:
        orders["priority"] = draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
    if "unit_price" in optional:
        orders["unit_price"] = [_maybe(amounts, draw) for _ in range(n)]
    if "requested_date" in optional:
        orders["requested_date"] = [_maybe(timestamps, draw) for _ in range(n)]
    if "cancel_date" in optional:
        orders["cancel_date"] = [None if draw(st.booleans()) else d + draw(later)
                                 for d in order_dates]
    if "channel" in optional:
        orders["channel"] = [_maybe(texts, draw) for _ in range(n)]

    m = draw(st.integers(1, 4))
    po_dates = draw(st.lists(timestamps, min_size=m, max_size=m))
    purchase_orders = {
        "po_id": draw(st.lists(ids, min_size=m, max_size=m, unique=True)),
        "sku": draw(st.lists(st.sampled_from(skus), min_size=m, max_size=m)),
        "quantity": draw(st.lists(counts, min_size=m, max_size=m)),
        "order_date": po_dates,
    }
    if "supplier_id" in optional:
        purchase_orders["supplier_id"] = [_maybe(ids, draw) for _ in range(m)]
    for name in ("expected_date", "received_date"):
        if name in optional:
            purchase_orders[name] = [None if draw(st.booleans()) else d + draw(later)
                                     for d in po_dates]
    if "received_quantity" in optional and "received_date" in optional:
        # a receipt has a date and at most OVER_RECEIPT times the quantity ordered
        purchase_orders["received_quantity"] = [
            None if got is None else _maybe(st.integers(1, 2 * q), draw)
            for q, got in zip(purchase_orders["quantity"], purchase_orders["received_date"],
                              strict=True)]

    inventory = {"sku": [], "date": [], "on_hand": []}
    for sku in skus:  # every SKU is known; (sku, date) is unique
        dates = draw(st.lists(timestamps, min_size=1, max_size=2, unique=True))
        inventory["sku"] += [sku] * len(dates)
        inventory["date"] += dates
        inventory["on_hand"] += draw(st.lists(st.integers(0, 10**9), min_size=len(dates),
                                              max_size=len(dates)))

    items = None
    if "items" in optional:
        items = _frame("items", {
            "sku": skus,
            "description": [_maybe(texts, draw) for _ in skus],
            "unit_cost": [_maybe(amounts, draw) for _ in skus],
            "moq": [_maybe(counts, draw) for _ in skus],
            "pack_size": draw(st.lists(counts, min_size=len(skus), max_size=len(skus))),
        })
    shipments = None
    if "shipments" in optional:
        lines = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
        shipments = _frame("shipments", {
            "order_id": [orders["order_id"][i] for i in lines],
            "sku": [orders["sku"][i] for i in lines],
            "quantity": [draw(st.integers(1, orders["quantity"][i])) for i in lines],
            "ship_date": [order_dates[i] + draw(later) for i in lines],
        })
    return ba.Dataset(orders=_frame("orders", orders),
                      purchase_orders=_frame("purchase_orders", purchase_orders),
                      inventory=_frame("inventory", inventory), items=items,
                      shipments=shipments, as_of=AS_OF)


@settings(max_examples=30, deadline=None)
@given(ds=datasets())
def test_write_read_round_trip(ds):
    for fmt in ("csv", "parquet"):
        with tempfile.TemporaryDirectory() as folder:
            ba.write_dataset(ds, Path(folder), format=fmt)
            back = ba.read_dataset(folder)
        assert back.as_of == ds.as_of
        assert set(back.tables()) == set(ds.tables())
        assert back.rejected.empty
        for name, table in ds.tables().items():
            pd.testing.assert_frame_equal(getattr(back, name), table, obj=f"{fmt} {name}")


def test_canonical_frames_load_unchanged():
    """The tables the strategy builds are canonical: loading one changes nothing."""
    orders = _frame("orders", {"order_id": ["007"], "sku": ["A"], "quantity": [2],
                               "order_date": [datetime(2024, 1, 1, 9, 30)],
                               "unit_price": [np.nan], "channel": [None]})
    loaded = ba.read_orders(orders)
    pd.testing.assert_frame_equal(loaded, orders)


@pytest.mark.parametrize("how", [{"format": "csv"}, {"format": "parquet"},
                                 {"partition_by": "sku_hash", "n_partitions": 3}])
def test_sales_only_data_round_trip(how, tmp_path):
    """Orders alone, written and read back: the same orders, still sales-only. The empty
    stock-count table written with them is no item master (it rejected every order)."""
    full = ba.example_dataset(seed=0, n_skus=6)
    sales = ba.Dataset(orders=full.orders, as_of=full.as_of)
    ba.write_dataset(sales, tmp_path, **how)
    back = ba.read_dataset(tmp_path)
    assert back.rejected.empty
    assert back.sales_only
    pd.testing.assert_frame_equal(
        back.orders.sort_values(["order_id", "line_id"], ignore_index=True),
        sales.orders.sort_values(["order_id", "line_id"], ignore_index=True),
        check_dtype=False)
