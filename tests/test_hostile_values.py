"""Values that used to load silently wrong (issue 13): each is read right or set aside
with the column, the row and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics import DataError


def orders(**columns):
    frame = {"order_id": ["SO1", "SO2"], "sku": ["A", "B"], "quantity": [1, 2],
             "order_date": ["2024-01-05", "2024-01-06"]}
    frame.update(columns)
    return pd.DataFrame(frame)


def reasons(loaded):
    return loaded.rejected["reason"].tolist()


@pytest.mark.parametrize("dtype", ["int64", "float64", "object"])
def test_yyyymmdd_numbers_are_those_dates(dtype):
    raw = orders(order_date=pd.Series([20240105, 20240106]).astype(dtype))
    table = ba.read_orders(raw)
    assert table["order_date"].tolist() == [pd.Timestamp("2024-01-05"),
                                            pd.Timestamp("2024-01-06")]


def test_other_numbers_are_not_read_as_1970():
    loaded = ba.read_orders(orders(order_date=[45296, 1704412800]), errors="report")
    assert loaded.table.empty
    assert reasons(loaded) == ["order_date: a number, not a date"] * 2
    with pytest.raises(DataError, match=r"origin='1899-12-30'"):
        ba.read_orders(orders(order_date=[45296, 20240106]))


def test_a_time_without_a_date_is_not_today():
    loaded = ba.read_orders(orders(order_date=["9:05 pm", "2024-01-06"]), errors="report")
    assert loaded.table["sku"].tolist() == ["B"]
    assert reasons(loaded) == ["order_date: a time of day without a date"]


def test_ids_with_control_characters_do_not_merge():
    loaded = ba.read_orders(orders(sku=["SKU-1\x00RED", "SKU-1\x00BLUE"]), errors="report")
    assert loaded.table.empty
    assert all("control character" in r for r in reasons(loaded))


def test_float_ids_beyond_exact_range_are_set_aside():
    loaded = ba.read_orders(orders(sku=[1e19, 1e19 + 4096]), errors="report")
    assert loaded.table.empty
    assert all("too large to be exact" in r for r in reasons(loaded))
    # whole numbers that fit are the ids they look like; integers are exact at any size
    assert ba.read_orders(orders(sku=[123.0, 2.0**52]))["sku"].tolist() == \
        ["123", "4503599627370496"]
    big = np.array([2**62 + 1, 2**62 + 3], dtype=np.int64)
    assert ba.read_orders(orders(sku=big))["sku"].tolist() == [str(v) for v in big]


def test_a_list_is_not_an_id():
    loaded = ba.read_orders(orders(sku=[["A", "B"], "C"]), errors="report")
    assert loaded.table["sku"].tolist() == ["C"]
    assert reasons(loaded) == ["sku: a list of values, not one id"]


def test_quantities_are_capped_so_sums_stay_exact():
    loaded = ba.read_orders(orders(quantity=[2**53 - 1, 5]), errors="report")
    assert loaded.table["quantity"].tolist() == [5]
    assert "too large" in reasons(loaded)[0]


def test_forecast_refuses_infinite_demand():
    y = pd.DataFrame({"sku": ["A"] * 5, "date": pd.date_range("2024-01-01", periods=5),
                      "demand": [1, 2, np.inf, 1, 0]})
    with pytest.raises(DataError, match=r"the first inf for SKU 'A' on 2024-01-03"):
        ba.forecast(y, 3)


# ------------------------------------------------------- messages, not tracebacks


@pytest.fixture(scope="module")
def small():
    return ba.example_dataset(seed=0, n_skus=5, days=120)


def test_as_of_with_a_time_zone_is_read_in_utc(small, tmp_path):
    assert small.moment("2024-03-01T12:30:00+02:00") == pd.Timestamp("2024-03-01 10:30")
    assert small.moment("2024-03-01T00:00:00Z") == small.moment("2024-03-01")
    ba.write_dataset(small, tmp_path)
    ds = ba.read_dataset(tmp_path, as_of=small.as_of.tz_localize("Europe/Paris"),
                         errors="report")
    assert ds.as_of == small.as_of.tz_localize("Europe/Paris").tz_convert("UTC").tz_localize(
        None)


def test_unknown_encoding_and_bad_date_format_name_the_fix(small, tmp_path):
    ba.write_dataset(small, tmp_path)
    with pytest.raises(DataError, match="encoding='klingon' is not a text encoding"):
        ba.read_orders(tmp_path / "orders.csv", encoding="klingon")
    with pytest.raises(DataError, match=r"date_format '%Q' for column 'order_date' is not"):
        ba.read_orders(tmp_path / "orders.csv", date_format="%Q")


def test_absurd_replications_are_refused_before_allocating(small):
    with pytest.raises(ValueError, match=r"'n_reps' parameter must be a whole number >= 1 "
                                         r"and <= 1e\+07"):
        ba.backorder_eta(small, n_reps=10**23)


@pytest.mark.parametrize("argv", [["validate", "/nonexistent"], ["demo", "/nonexistent"]])
def test_cli_missing_folder_is_a_usage_error(argv, capsys):
    from backorder_analytics.cli import main

    assert main(argv) == 2
    assert "no such folder" in capsys.readouterr().err


def test_cli_missing_table_file_is_a_usage_error(small, tmp_path, capsys):
    from backorder_analytics.cli import main

    ba.write_dataset(small, tmp_path)
    assert main(["validate", str(tmp_path), "--orders", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_shipments_of_a_rejected_order_line_are_rejected_with_it():
    from pathlib import Path

    folder = Path(__file__).resolve().parent / "malformed" / "shipment_of_rejected_order"
    ds = ba.read_dataset(folder, errors="report")
    assert ds.orders["order_id"].tolist() == ["SO1"]
    assert ds.shipments["order_id"].tolist() == ["SO1"]
    rejected = ds.rejected.set_index("table")["reason"]
    assert "unknown SKU" in rejected["orders"]
    assert "not in the orders table (or was rejected)" in rejected["shipments"]


def test_receipts_that_cannot_be_right_are_set_aside():
    po = pd.DataFrame({"po_id": ["P1", "P2", "P3"], "sku": ["A", "A", "A"],
                       "quantity": [10, 10, 10],
                       "order_date": ["2024-01-01"] * 3,
                       "received_date": ["2024-01-05", None, "2024-01-06"],
                       "received_quantity": [1000, 10, 12]})
    loaded = ba.read_purchase_orders(po, errors="report")
    assert loaded.table["po_id"].tolist() == ["P3"]
    assert reasons(loaded) == [
        "received_quantity: received more than 2 times the quantity ordered",
        "received_quantity: a received quantity without a received_date"]


def test_parquet_dates_beyond_pandas_range_are_set_aside(tmp_path):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({
        "order_id": ["SO1", "SO2"], "sku": ["A", "B"], "quantity": [1, 2],
        "order_date": pa.array([dt.datetime(2024, 1, 5), dt.datetime(3000, 1, 1)],
                               pa.timestamp("us"))}), tmp_path / "orders.parquet")
    loaded = ba.read_orders(tmp_path / "orders.parquet", errors="report")
    assert loaded.table["order_id"].tolist() == ["SO1"]
    assert reasons(loaded) == ["order_date: a date outside the range pandas can hold "
                               "(1677-09-21 to 2262-04-11)"]


def test_a_missing_sheet_lists_the_sheets(tmp_path):
    orders().to_excel(tmp_path / "o.xlsx", sheet_name="data", index=False)
    with pytest.raises(DataError, match=r"no sheet 'nope'. Expected one of 'data'"):
        ba.read_orders(tmp_path / "o.xlsx", sheet_name="nope")


@pytest.mark.parametrize("when", ["3000-01-01", "1500-06-30 10:00"])
def test_text_dates_beyond_pandas_range_say_so(when):
    loaded = ba.read_orders(orders(order_date=[when, "2024-01-06"]), errors="report")
    assert loaded.table["sku"].tolist() == ["B"]
    assert reasons(loaded) == ["order_date: a date outside the range pandas can hold "
                               "(1677-09-21 to 2262-04-11)"]


def test_utf16_without_a_byte_order_mark_gets_the_encoding_hint(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes("order_id,sku,quantity,order_date\nSO1,A,1,2024-01-05\n"
                     .encode("utf-16-le"))
    with pytest.raises(DataError, match="line 1 holds a NUL byte.*encoding='utf-16'"):
        ba.read_orders(path)
    assert len(ba.read_orders(path, encoding="utf-16-le")) == 1


def test_text_dates_with_a_time_zone_are_read_in_utc():
    table = ba.read_orders(orders(order_date=["2024-01-05T10:00:00+02:00",
                                              "2024-01-06T08:00:00Z"]))
    assert table["order_date"].dtype == "datetime64[ns]"
    assert table["order_date"].tolist() == [pd.Timestamp("2024-01-05 08:00"),
                                            pd.Timestamp("2024-01-06 08:00")]


def test_a_first_sheet_of_notes_names_the_other_sheets(tmp_path):
    with pd.ExcelWriter(tmp_path / "o.xlsx") as book:
        notes = pd.DataFrame({"read me": ["exported 2024-01-07"]})
        notes.to_excel(book, sheet_name="notes", index=False)
        orders().to_excel(book, sheet_name="data", index=False)
    with pytest.raises(DataError, match=r"sheet 'notes'; the workbook also has 'data'"):
        ba.read_orders(tmp_path / "o.xlsx")
    assert len(ba.read_orders(tmp_path / "o.xlsx", sheet_name="data")) == 2


def test_an_uncomputed_formula_is_not_a_blank_cell(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["order_id", "sku", "quantity", "order_date"])
    sheet.append(["SO1", "A", 5, "2024-01-05"])
    sheet.append(["SO2", "A", "=C2*3", "2024-01-06"])  # openpyxl stores no computed value
    book.save(tmp_path / "o.xlsx")
    with pytest.raises(DataError, match=r"row 3 holds the formula '=C2\*3' in column "
                                        r"'quantity' without its computed value") as err:
        ba.read_orders(tmp_path / "o.xlsx")
    assert err.value.problems[["row", "column"]].values.tolist() == [[3, "quantity"]]


def test_two_columns_mapped_to_one_name_is_an_error():
    raw = orders().rename(columns={"sku": "item"}).assign(article=["X", "Y"])
    with pytest.raises(DataError, match=r"column_map sends 'item', 'article' all to 'sku'"):
        ba.read_orders(raw, column_map={"item": "sku", "article": "sku"})


def test_what_cannot_be_read_says_what_can():
    with pytest.raises(DataError, match=r"u:\*\*\*@h/db: reading from a database needs "
                                        r"query="):
        ba.read_orders("postgresql://u:secret@h/db")
    with pytest.raises(DataError, match=r"cannot read a int \(42\)\. Expected a file path"):
        ba.read_orders(42)


def test_an_arrow_table_reads_like_a_dataframe():
    import pyarrow as pa

    raw = orders()
    assert ba.read_orders(pa.Table.from_pandas(raw)).equals(ba.read_orders(raw))


def test_read_dataset_reads_its_own_output_with_an_empty_table(small, tmp_path):
    no_pos = ba.Dataset(orders=small.orders, purchase_orders=small.purchase_orders.iloc[:0],
                        inventory=small.inventory, as_of=small.as_of)
    ba.write_dataset(no_pos, tmp_path)
    back = ba.read_dataset(tmp_path)
    assert back.purchase_orders.empty
    assert len(back.orders) == len(small.orders)
    (tmp_path / "orders.csv").write_text("order_id,sku,quantity,order_date\n")
    with pytest.raises(DataError, match="the orders table has a header but no rows"):
        ba.read_dataset(tmp_path)


def test_an_infinite_time_limit_is_none_and_nan_is_refused(small):
    assert ba.replay(small, max_wait_days=float("inf")).summary.equals(
        ba.replay(small).summary)
    for call in (ba.replay, ba.backorder_eta, ba.alerts):
        with pytest.raises(ValueError, match=r"'max_wait_days' parameter must be a number "
                                             r">= 0 or None\. Got nan"):
            call(small, max_wait_days=float("nan"))


def test_purchase_order_lines_of_one_sku_need_a_line_id():
    po = pd.DataFrame({"po_id": ["P1", "P1"], "sku": ["A", "A"], "quantity": [5, 6],
                       "order_date": ["2024-01-01"] * 2})
    with pytest.raises(DataError, match="add a line_id column to tell the lines of one PO "
                                        "apart"):
        ba.read_purchase_orders(po)
    both = ba.read_purchase_orders(po.assign(line_id=["1", "2"]))
    assert both["quantity"].tolist() == [5, 6]


def test_examples_show_each_shape_of_bad_value():
    dates = ["2024-01-01"] + ["Date Not Captured"] * 7 + ["Pre-PQ Process", "12/31/24x"]
    raw = pd.DataFrame({"order_id": [f"S{i}" for i in range(10)], "sku": "A", "quantity": 1,
                        "order_date": dates})
    with pytest.raises(DataError) as err:
        ba.read_orders(raw)
    message = str(err.value)
    assert "found 'Pre-PQ Process'" in message       # not hidden behind 7 alike rows
    assert "found '12/31/24x'" in message
    assert "date_format={'order_date': '...'} for this column alone" in message
