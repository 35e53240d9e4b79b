"""Loaders: every source format with a column map, options, read_dataset, write_dataset."""

from __future__ import annotations

import gzip
import json
import os
import uuid

import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics import DataError
from backorder_analytics.data.schemas import TEXT

sa = pytest.importorskip("sqlalchemy")

# The user's orders, as their system exports them.
RAW = pd.DataFrame({
    "Order": ["SO-1", "SO-2", "SO-3"],
    "Item": ["00123", "A-7", "00123"],
    "Qty": ["2", "15", "1"],
    "Date": ["2024-03-01", "2024-03-02", "2024-03-04"],
    "Note": ["rush", "", "x"],
})
MAP = {"Order": "order_id", "Item": "sku", "Qty": "quantity", "Date": "order_date"}
EXPECTED = pd.DataFrame({
    "order_id": ["SO-1", "SO-2", "SO-3"],
    "sku": ["00123", "A-7", "00123"],
    "quantity": pd.Series([2, 15, 1], dtype="int64"),
    "order_date": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-04"]).as_unit("ns"),
}).astype({"order_id": TEXT, "sku": TEXT})
CANONICAL = ["order_id", "sku", "quantity", "order_date"]


def _canonical(table: pd.DataFrame) -> pd.DataFrame:
    return table[CANONICAL]


def _check(table: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(_canonical(table), EXPECTED)
    # columns that are not canonical are kept, after the canonical ones
    assert list(table.columns)[:4] == CANONICAL
    assert "Note" in table.columns


# ------------------------------------------------------------------------ file formats


def test_csv(tmp_path):
    path = tmp_path / "orders.csv"
    RAW.to_csv(path, index=False)
    _check(ba.read_orders(path, column_map=MAP))
    _check(ba.read_orders(str(path), column_map=MAP))


def test_gzipped_csv(tmp_path):
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(gzip.compress(RAW.to_csv(index=False).encode()))
    _check(ba.read_orders(path, column_map=MAP))


def test_tab_separated_txt(tmp_path):
    path = tmp_path / "orders.txt"
    RAW.to_csv(path, sep="\t", index=False)
    _check(ba.read_orders(path, column_map=MAP))


def test_parquet(tmp_path):
    path = tmp_path / "orders.parquet"
    RAW.to_parquet(path, index=False)
    _check(ba.read_orders(path, column_map=MAP))


def test_parquet_with_typed_columns(tmp_path):
    path = tmp_path / "orders.parquet"
    typed = RAW.assign(Qty=[2, 15, 1], Date=pd.to_datetime(RAW["Date"]))
    typed.to_parquet(path, index=False)
    _check(ba.read_orders(path, column_map=MAP))


def test_excel(tmp_path):
    pytest.importorskip("openpyxl")
    path = tmp_path / "orders.xlsx"
    RAW.to_excel(path, index=False, engine="openpyxl")
    _check(ba.read_orders(path, column_map=MAP))


def test_excel_typed_cells_and_sheet_name(tmp_path):
    pytest.importorskip("openpyxl")
    path = tmp_path / "orders.xlsx"
    typed = RAW.assign(Qty=[2, 15, 1], Date=pd.to_datetime(RAW["Date"]))
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"other": [1]}).to_excel(writer, sheet_name="notes", index=False)
        typed.to_excel(writer, sheet_name="orders", index=False)
    _check(ba.read_orders(path, column_map=MAP, sheet_name="orders"))


def test_dataframe():
    _check(ba.read_orders(RAW, column_map=MAP))
    assert list(RAW.columns) == ["Order", "Item", "Qty", "Date", "Note"]  # not modified


def test_numeric_ids_in_a_dataframe_become_text():
    raw = RAW.assign(Item=[123, 7, 123], Order=[1.0, 2.0, 3.0])
    table = ba.read_orders(raw, column_map=MAP)
    assert table["sku"].tolist() == ["123", "7", "123"]
    assert table["order_id"].tolist() == ["1", "2", "3"]


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    engine = sa.create_engine(url)
    RAW.to_sql("sales_lines", engine, index=False)
    engine.dispose()
    return url


def test_sqlite_url_table_name(sqlite_url):
    _check(ba.read_orders(sqlite_url, column_map=MAP, query="sales_lines"))


def test_sqlite_url_select(sqlite_url):
    table = ba.read_orders(sqlite_url, column_map=MAP,
                           query='SELECT * FROM sales_lines WHERE "Item" = \'00123\'')
    pd.testing.assert_frame_equal(_canonical(table),
                                  EXPECTED.iloc[[0, 2]].reset_index(drop=True))


def test_sqlite_engine_and_connection(sqlite_url):
    engine = sa.create_engine(sqlite_url)
    try:
        _check(ba.read_orders(engine, column_map=MAP, query="sales_lines"))
        with engine.connect() as connection:
            _check(ba.read_orders(connection, column_map=MAP, query="sales_lines"))
            _check(ba.read_orders(connection, column_map=MAP,
                                  query="SELECT * FROM sales_lines"))
    finally:
        engine.dispose()


def test_sql_needs_a_query(sqlite_url):
    with pytest.raises(ValueError, match="needs query="):
        ba.read_orders(sqlite_url, column_map=MAP)


def test_sql_unknown_table(sqlite_url):
    with pytest.raises(DataError, match="could not read 'no_such_table'"):
        ba.read_orders(sqlite_url, column_map=MAP, query="no_such_table")


@pytest.fixture(scope="module")
def pg_engine():
    url = os.environ.get("BACKORDER_PG_URL")
    if not url:
        pytest.skip("BACKORDER_PG_URL is not set; set it to a PostgreSQL SQLAlchemy URL, "
                    "e.g. postgresql+psycopg://ba:ba@127.0.0.1:5432/ba, to run this test.")
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
        with engine.connect():
            pass
    except Exception as err:  # any failure to connect means: skip
        pytest.skip(f"PostgreSQL at BACKORDER_PG_URL is unreachable: "
                    f"{err.__class__.__name__}: {str(err).splitlines()[0]}")
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_table_and_query(pg_engine):
    name = f"ba_test_orders_{uuid.uuid4().hex[:12]}"
    RAW.to_sql(name, pg_engine, index=False)
    try:
        url = pg_engine.url.render_as_string(hide_password=False)
        _check(ba.read_orders(url, column_map=MAP, query=name))
        _check(ba.read_orders(pg_engine, column_map=MAP, query=f"public.{name}"))
        table = ba.read_orders(url, column_map=MAP,
                               query=f'SELECT * FROM {name} WHERE "Qty" <> \'15\' '
                                     'ORDER BY "Order"')
        pd.testing.assert_frame_equal(_canonical(table),
                                      EXPECTED.iloc[[0, 2]].reset_index(drop=True))
    finally:
        with pg_engine.begin() as connection:
            connection.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))


# ------------------------------------------------------------------------ column maps


def test_leading_zeros_survive_every_text_format(tmp_path):
    raw = pd.DataFrame({"order_id": ["0001", "0002"], "sku": ["00123", "000"],
                        "quantity": ["1", "2"], "order_date": ["2024-01-01", "2024-01-02"]})
    raw.to_csv(tmp_path / "o.csv", index=False)
    raw.to_excel(tmp_path / "o.xlsx", index=False)
    raw.to_parquet(tmp_path / "o.parquet", index=False)
    for source in (tmp_path / "o.csv", tmp_path / "o.xlsx", tmp_path / "o.parquet", raw):
        table = ba.read_orders(source)
        assert table["sku"].tolist() == ["00123", "000"], source
        assert table["order_id"].tolist() == ["0001", "0002"], source


def test_column_map_unknown_key_names_it():
    with pytest.raises(DataError, match=r"column_map names 'Artikel', which the orders "
                                        r"table does not have\. Found: 'Order'"):
        ba.read_orders(RAW, column_map={**MAP, "Artikel": "sku"})


def test_column_map_onto_a_non_canonical_name():
    with pytest.raises(DataError, match=r"maps onto 'item_code'.*Expected one of: order_id"):
        ba.read_orders(RAW, column_map={**MAP, "Note": "item_code"})


def _dataset_frames():
    orders = RAW.rename(columns={"Note": "channel"})
    purchase_orders = pd.DataFrame({
        "PO": ["P1", "P2"], "Item": ["00123", "A-7"], "Qty": [40, 10],
        "Sent": ["2024-02-20", "2024-03-01"], "Received": ["2024-03-03", None]})
    inventory = pd.DataFrame({"Item": ["00123", "A-7"], "Day": ["2024-03-01"] * 2,
                              "Stock": [3, 0]})
    return orders, purchase_orders, inventory


def test_read_dataset_per_table_column_map():
    orders, purchase_orders, inventory = _dataset_frames()
    ds = ba.read_dataset(
        orders=orders, purchase_orders=purchase_orders, inventory=inventory,
        column_map={"orders": MAP,
                    "purchase_orders": {"PO": "po_id", "Item": "sku", "Qty": "quantity",
                                        "Sent": "order_date", "Received": "received_date"},
                    "inventory": {"Item": "sku", "Day": "date", "Stock": "on_hand"}})
    pd.testing.assert_frame_equal(_canonical(ds.orders), EXPECTED)
    assert ds.purchase_orders["received_date"].tolist()[0] == pd.Timestamp("2024-03-03")
    assert pd.isna(ds.purchase_orders["received_date"].iloc[1])
    assert ds.inventory["on_hand"].tolist() == [3, 0]
    assert ds.inventory["on_hand"].dtype == "int64"
    assert ds.as_of == pd.Timestamp("2024-03-04 23:59:59.999999999")  # end of the latest date
    assert ds.rejected.empty


def test_read_dataset_shared_column_map():
    orders, purchase_orders, inventory = _dataset_frames()
    shared = {**MAP, "PO": "po_id", "Sent": "order_date", "Received": "received_date",
              "Day": "date", "Stock": "on_hand"}
    ds = ba.read_dataset(orders=orders, purchase_orders=purchase_orders, inventory=inventory,
                         column_map=shared)
    pd.testing.assert_frame_equal(_canonical(ds.orders), EXPECTED)
    assert list(ds.purchase_orders.columns) == ["po_id", "sku", "quantity", "order_date",
                                                "received_date"]
    assert list(ds.inventory.columns) == ["sku", "date", "on_hand"]


def test_read_dataset_shared_column_map_key_no_table_has():
    orders, purchase_orders, inventory = _dataset_frames()
    shared = {**MAP, "PO": "po_id", "Sent": "order_date", "Day": "date", "Stock": "on_hand",
              "Recieved": "received_date"}
    with pytest.raises(DataError, match=r"column_map names 'Recieved', which none of the "
                                        r"tables has"):
        ba.read_dataset(orders=orders, purchase_orders=purchase_orders, inventory=inventory,
                        column_map=shared)


def test_read_dataset_per_table_column_map_unknown_key():
    orders, purchase_orders, inventory = _dataset_frames()
    with pytest.raises(DataError, match="column_map names 'Itm'"):
        ba.read_dataset(orders=orders, purchase_orders=purchase_orders, inventory=inventory,
                        column_map={"orders": MAP,
                                    "purchase_orders": {"PO": "po_id", "Item": "sku",
                                                        "Qty": "quantity",
                                                        "Sent": "order_date"},
                                    "inventory": {"Itm": "sku", "Day": "date",
                                                  "Stock": "on_hand"}})


# ------------------------------------------------------------------------ datasets


def _write_folder(folder, as_of="2024-03-10"):
    folder.mkdir()
    RAW.rename(columns=MAP).drop(columns="Note").to_csv(folder / "orders.csv", index=False)
    pd.DataFrame({"po_id": ["P1"], "sku": ["00123"], "quantity": [40],
                  "order_date": ["2024-02-20"], "received_date": [""]}).to_csv(
        folder / "purchase_orders.csv", index=False)
    pd.DataFrame({"sku": ["00123", "A-7"], "date": ["2024-03-01"] * 2,
                  "on_hand": [3, 0]}).to_parquet(folder / "inventory.parquet", index=False)
    if as_of is not None:
        (folder / "dataset.json").write_text(json.dumps({"as_of": as_of}))
    return folder


def test_read_dataset_folder_with_as_of(tmp_path):
    ds = ba.read_dataset(_write_folder(tmp_path / "shop"))
    assert ds.as_of == pd.Timestamp("2024-03-10 23:59:59.999999999")  # the end of that day
    pd.testing.assert_frame_equal(ds.orders, EXPECTED)
    assert ds.inventory["sku"].tolist() == ["00123", "A-7"]
    assert len(ds.open_purchase_orders) == 1
    assert ds.items is None
    assert ds.shipments is None


def test_read_dataset_as_of_argument_wins(tmp_path):
    ds = ba.read_dataset(_write_folder(tmp_path / "shop"), as_of="2024-04-01")
    assert ds.as_of == pd.Timestamp("2024-04-01 23:59:59.999999999")  # the end of that day


def test_read_dataset_argument_overrides_folder_file(tmp_path):
    folder = _write_folder(tmp_path / "shop")
    ds = ba.read_dataset(folder, orders=EXPECTED.iloc[:1])
    assert len(ds.orders) == 1


def test_read_dataset_missing_table(tmp_path):
    folder = _write_folder(tmp_path / "shop")
    (folder / "orders.csv").unlink()
    with pytest.raises(DataError, match="found no orders file in"):
        ba.read_dataset(folder)


def test_errors_report_returns_loaded():
    raw = RAW.assign(Qty=["2", "0", "1"], Date=["2024-03-01", "2024-03-02", "March"])
    loaded = ba.read_orders(raw, column_map=MAP, errors="report")
    assert isinstance(loaded, ba.Loaded)
    pd.testing.assert_frame_equal(_canonical(loaded.table), EXPECTED.iloc[[0]])
    rejected = loaded.rejected
    assert list(rejected.columns[:4]) == ["table", "source", "row", "reason"]
    assert rejected["row"].tolist() == [1, 2]
    assert rejected["reason"].tolist() == ["quantity: not > 0", "order_date: not a date"]
    assert rejected["quantity"].tolist() == ["0", "1"]  # as read, under canonical names


def test_errors_must_be_raise_or_report():
    with pytest.raises(ValueError, match=r"'errors' parameter must be one of"):
        ba.read_orders(RAW, column_map=MAP, errors="ignore")


def test_read_dataset_report_puts_rejected_rows_in_dataset(tmp_path):
    folder = _write_folder(tmp_path / "shop")
    orders = pd.read_csv(folder / "orders.csv", dtype=str)
    orders.loc[1, "quantity"] = "-1"
    orders.to_csv(folder / "orders.csv", index=False)
    ds = ba.read_dataset(folder, errors="report")
    assert ds.orders["order_id"].tolist() == ["SO-1", "SO-3"]
    assert ds.rejected[["table", "row", "reason"]].values.tolist() == [
        ["orders", 3, "quantity: not > 0"]]
    assert ds.summary.loc["orders", "rejected_rows"] == 1
    with pytest.raises(DataError, match=r"line 3: found '-1'"):
        ba.read_dataset(folder)


# ------------------------------------------------------------------- cross-table checks


def _tables():
    orders = EXPECTED.copy()
    purchase_orders = pd.DataFrame({
        "po_id": ["P1", "P2"], "sku": ["00123", "A-7"], "quantity": [40, 10],
        "order_date": pd.to_datetime(["2024-02-20", "2024-03-01"]),
        "received_date": pd.to_datetime(["2024-03-03", None])})
    inventory = pd.DataFrame({"sku": ["00123", "A-7"], "date": pd.to_datetime(["2024-03-01"] * 2),
                              "on_hand": [3, 0]})
    return orders, purchase_orders, inventory


def test_unknown_sku_against_inventory():
    orders, purchase_orders, inventory = _tables()
    purchase_orders.loc[1, "sku"] = "123"
    with pytest.raises(DataError, match=r"position 1: found '123'") as err:
        ba.read_dataset(orders=orders, purchase_orders=purchase_orders, inventory=inventory)
    problems = err.value.problems
    assert problems[["table", "row", "column", "problem"]].values.tolist() == [
        ["purchase_orders", 1, "sku", "unknown SKU (not in the inventory table)"]]


def test_unknown_sku_against_items():
    orders, purchase_orders, inventory = _tables()
    items = pd.DataFrame({"sku": ["00123"], "unit_cost": [2.5]})
    ds = ba.read_dataset(orders=orders, purchase_orders=purchase_orders, inventory=inventory,
                         items=items, errors="report")
    assert ds.purchase_orders["po_id"].tolist() == ["P1"]
    assert ds.orders["order_id"].tolist() == ["SO-1", "SO-3"]
    assert ds.inventory["sku"].tolist() == ["00123"]
    assert sorted(ds.rejected["table"]) == ["inventory", "orders", "purchase_orders"]
    assert ds.rejected["reason"].str.contains("not in the items table").all()


def test_shipments_exceeding_the_ordered_quantity():
    orders, purchase_orders, inventory = _tables()
    shipments = pd.DataFrame({"order_id": ["SO-1", "SO-2", "SO-2"],
                              "sku": ["00123", "A-7", "A-7"], "quantity": [2, 10, 6],
                              "ship_date": pd.to_datetime(["2024-03-02", "2024-03-03",
                                                           "2024-03-04"])})
    with pytest.raises(DataError, match="shipped more than the order line's quantity") as err:
        ba.read_dataset(orders=orders, purchase_orders=purchase_orders, inventory=inventory,
                        shipments=shipments)
    assert err.value.problems[["table", "row"]].values.tolist() == [["shipments", 1],
                                                                    ["shipments", 2]]
    shipments.loc[2, "quantity"] = 5  # now exactly the 15 ordered
    ds = ba.read_dataset(orders=orders, purchase_orders=purchase_orders, inventory=inventory,
                         shipments=shipments)
    assert ds.shipments["quantity"].sum() == 17


def test_dates_after_as_of():
    orders, purchase_orders, inventory = _tables()
    with pytest.raises(DataError, match=r"after as_of \(2024-03-02\)") as err:
        ba.read_dataset(orders=orders, purchase_orders=purchase_orders, inventory=inventory,
                        as_of="2024-03-02")
    assert err.value.problems[["table", "row", "column"]].values.tolist() == [
        ["orders", 2, "order_date"], ["purchase_orders", 0, "received_date"]]
    # a timestamp later on the as_of day itself is not "after as_of"
    orders.loc[2, "order_date"] = pd.Timestamp("2024-03-02 17:30")
    purchase_orders.loc[0, "received_date"] = pd.NaT
    ds = ba.read_dataset(orders=orders, purchase_orders=purchase_orders, inventory=inventory,
                         as_of="2024-03-02")
    assert len(ds.orders) == 3


# ------------------------------------------------------------------------ options


def _orders_with_dates(dates, **more):
    return pd.DataFrame({"order_id": [f"SO{i}" for i in range(len(dates))],
                         "sku": "A", "quantity": 1, "order_date": dates, **more})


def test_date_format_string():
    table = ba.read_orders(_orders_with_dates(["03/04/2024", "05/04/2024"]),
                           date_format="%d/%m/%Y")
    assert table["order_date"].tolist() == [pd.Timestamp("2024-04-03"),
                                            pd.Timestamp("2024-04-05")]


def test_date_format_per_column():
    raw = _orders_with_dates(["03/04/2024", "05/04/2024"],
                             requested_date=["2024.04.10", "2024.04.11"])
    table = ba.read_orders(raw, date_format={"order_date": "%d/%m/%Y",
                                             "requested_date": "%Y.%m.%d"})
    assert table["order_date"].tolist() == [pd.Timestamp("2024-04-03"),
                                            pd.Timestamp("2024-04-05")]
    assert table["requested_date"].tolist() == [pd.Timestamp("2024-04-10"),
                                                pd.Timestamp("2024-04-11")]
    with pytest.raises(DataError, match="requested_date"):
        ba.read_orders(raw, date_format="%d/%m/%Y")  # one format for all does not fit


def test_dayfirst():
    raw = _orders_with_dates(["03/04/2024", "05/04/2024"],
                             requested_date=["2024-04-10", "2024-04-11"])
    table = ba.read_orders(raw, dayfirst=True)
    assert table["order_date"].tolist() == [pd.Timestamp("2024-04-03"),
                                            pd.Timestamp("2024-04-05")]
    # dayfirst is about day/month/year only: year-first dates stay year-month-day
    assert table["requested_date"].tolist() == [pd.Timestamp("2024-04-10"),
                                                pd.Timestamp("2024-04-11")]
    table = ba.read_orders(raw)
    assert table["order_date"].tolist() == [pd.Timestamp("2024-03-04"),
                                            pd.Timestamp("2024-05-04")]


@pytest.mark.parametrize(("dates", "expected"), [
    # two-digit years and no leading zeros: pandas cannot guess these formats
    (["1/5/07", "12/13/07", "2/1/08"], ["2007-01-05", "2007-12-13", "2008-02-01"]),
    (["3/4/24", "13/4/24"], ["2024-04-03", "2024-04-13"]),  # 13 shows day first
    (["2-Jun-06", "14-Nov-06"], ["2006-06-02", "2006-11-14"]),
])
def test_date_format_inferred_once_per_column(dates, expected):
    table = ba.read_orders(_orders_with_dates(dates))
    assert table["order_date"].tolist() == [pd.Timestamp(d) for d in expected]


def test_thousands_separator():
    raw = _orders_with_dates(["2024-01-01", "2024-01-02"]).assign(
        quantity=["1,200", "3"], unit_price=["1,234.5", "0.5"])
    table = ba.read_orders(raw, thousands=",")
    assert table["quantity"].tolist() == [1200, 3]
    assert table["unit_price"].tolist() == [1234.5, 0.5]
    with pytest.raises(DataError, match="pass thousands=','"):
        ba.read_orders(raw)


def test_encoding_cp1252(tmp_path):
    path = tmp_path / "orders.csv"
    text = "order_id,sku,quantity,order_date,channel\nSO1,CAFÉ-01,2,2024-01-01,Händler – €\n"
    path.write_bytes(text.encode("cp1252"))
    table = ba.read_orders(path, encoding="cp1252")
    assert table["sku"].tolist() == ["CAFÉ-01"]
    assert table["channel"].tolist() == ["Händler – €"]
    with pytest.raises(DataError, match=r"line 2 is not valid UTF-8.*encoding='cp1252'"):
        ba.read_orders(path)


@pytest.mark.parametrize("suffix", ["csv", "csv.gz", "txt"])
def test_byte_order_mark_is_not_part_of_the_first_column(tmp_path, suffix):
    path = tmp_path / f"orders.{suffix}"
    data = "\ufeffOrder,Item,Qty,Date\nSO-1,00123,2,2024-03-01\n".encode()
    path.write_bytes(gzip.compress(data) if suffix.endswith("gz") else data)
    table = ba.read_orders(path, column_map=MAP)
    assert list(table.columns) == CANONICAL
    pd.testing.assert_frame_equal(table, EXPECTED.iloc[[0]])


def test_byte_order_mark_in_a_dataframe_column_name():
    raw = RAW.rename(columns={"Order": "\ufeffOrder"})
    _check(ba.read_orders(raw, column_map=MAP))


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "orders.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DataError, match=r"cannot read files of type '\.xls'"):
        ba.read_orders(path)


# ------------------------------------------------------------------------ write_dataset


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_then_read_dataset(tmp_path, fmt):
    orders, purchase_orders, inventory = _tables()
    orders["channel"] = ["web", None, "shop, north"]
    items = pd.DataFrame({"sku": ["00123", "A-7"], "unit_cost": [2.5, 0.1]})
    ds = ba.Dataset(orders=orders, purchase_orders=purchase_orders, inventory=inventory,
                    items=items, as_of="2024-03-31")
    folder = ba.write_dataset(ds, tmp_path / "out", format=fmt)
    assert (folder / f"orders.{fmt}").exists()
    assert json.loads((folder / "dataset.json").read_text()) == {"as_of": "2024-03-31"}
    back = ba.read_dataset(folder)
    assert back.as_of == ds.as_of
    assert set(back.tables()) == {"orders", "purchase_orders", "inventory", "items"}
    for name, table in ds.tables().items():
        pd.testing.assert_frame_equal(getattr(back, name), table, obj=name)


def test_write_dataset_format_must_be_known(tmp_path):
    orders, purchase_orders, inventory = _tables()
    ds = ba.Dataset(orders=orders, purchase_orders=purchase_orders, inventory=inventory,
                    as_of="2024-03-31")
    with pytest.raises(ValueError, match=r"'format' parameter must be one of"):
        ba.write_dataset(ds, tmp_path, format="xlsx")


def test_numbers_in_text_are_read_exactly():
    raw = _orders_with_dates(["2024-01-01", "2024-01-02"]).assign(
        unit_price=["0.30000000000000004", "123456789.12345679"])
    table = ba.read_orders(raw)
    assert table["unit_price"].tolist() == [0.1 + 0.2, 123456789.12345679]
