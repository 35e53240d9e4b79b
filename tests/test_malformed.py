"""A corpus of malformed inputs (``tests/malformed/``): each must fail with a
:class:`DataError` whose message and ``problems`` table name the column and the row a
person sees (in a text file the header is line 1, so the first data row is line 2)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics import DataError

MALFORMED = Path(__file__).resolve().parent / "malformed"

# file, loader, kwargs, expected column, expected row, phrase in the message
CASES = [
    ("missing_column.csv", "read_orders", {}, "sku", None, "has no column 'sku'"),
    ("text_quantity.csv", "read_orders", {}, "quantity", 3, "not a number"),
    ("zero_quantity.csv", "read_orders", {}, "quantity", 4, "not > 0"),
    ("negative_quantity.csv", "read_orders", {}, "quantity", 2, "not > 0"),
    ("fractional_quantity.csv", "read_orders", {}, "quantity", 3, "not a whole number"),
    ("overflow_quantity.csv", "read_orders", {}, "quantity", 3, "too large"),
    ("thousands_separator.csv", "read_orders", {}, "quantity", 3, "pass thousands=','"),
    ("unparseable_date.csv", "read_orders", {}, "order_date", 4, "not a date"),
    ("impossible_date.csv", "read_orders", {}, "order_date", 3, "not a date"),
    ("mixed_date_formats.csv", "read_orders", {}, "order_date", 5,
     "a date in another format than the %Y-%m-%d"),
    ("missing_order_date.csv", "read_orders", {}, "order_date", 3, "missing order_date"),
    ("duplicate_orders.csv", "read_orders", {}, "sku", 4,
     "duplicate order_id / sku of line 2"),
    ("duplicate_purchase_orders.csv", "read_purchase_orders", {}, "sku", 3,
     "duplicate po_id / sku of line 2"),
    ("duplicate_inventory.csv", "read_inventory", {}, "date", 4,
     "duplicate sku / date of line 2"),
    ("received_before_ordered.csv", "read_purchase_orders", {}, "received_date", 3,
     "received before it was ordered"),
    ("cancel_before_order.csv", "read_orders", {}, "cancel_date", 3,
     "cancelled before it was ordered"),
    ("date_after_as_of.csv", "read_orders", {"as_of": "2024-06-30"}, "order_date", 3,
     r"after as_of \(2024-06-30\)"),
    ("blank_sku.csv", "read_orders", {}, "sku", 3, "missing sku"),
    ("padded_sku.csv", "read_orders", {}, "sku", 3, "spaces before or after"),
    ("unnamed_column_with_data.csv", "read_orders", {}, "Unnamed: 4", 3,
     "column 5 has no header"),
    ("negative_on_hand.csv", "read_inventory", {}, "on_hand", 3, "negative"),
    ("blank_lines_then_error.csv", "read_orders", {}, "quantity", 5, "not a number"),
    ("crlf_text_quantity.csv", "read_orders", {}, "quantity", 3, "not a number"),
    ("cr_only_text_quantity.csv", "read_orders", {}, "quantity", 3, "not a number"),
    ("tab_separated_bad_quantity.txt", "read_orders", {}, "quantity", 3, "not > 0"),
    ("ragged_row.csv", "read_orders", {}, None, 3, "line 3 has 6 fields"),
    ("unclosed_quote.csv", "read_orders", {}, None, 3, "line 3 opens a quote"),
    ("non_utf8.csv", "read_orders", {}, None, 3, "on line 3 is not valid UTF-8"),
    ("non_utf8_cr_only.csv", "read_orders", {}, None, 3, "on line 3 is not valid UTF-8"),
    ("header_only.csv", "read_orders", {}, None, 2, "has a header but no rows"),
    ("empty.csv", "read_orders", {}, None, None, "the file is empty"),
    ("orders.json", "read_orders", {}, None, None, "cannot read files of type '.json'"),
    ("text_quantity.csv", "read_orders", {"column_map": {"Item": "sku"}}, None, None,
     "column_map names 'Item'"),
    ("unknown_sku_inventory", "read_dataset", {}, "sku", 4,
     r"unknown SKU \(not in the inventory table\)"),
    ("unknown_sku_items", "read_dataset", {}, "sku", 3,
     r"unknown SKU \(not in the items table\)"),
    ("shipments_unknown_line", "read_dataset", {}, "quantity", 3,
     "not in the orders table"),
    ("shipments_over_quantity", "read_dataset", {}, "quantity", 3,
     "shipped more than the order line's quantity"),
    ("after_as_of", "read_dataset", {}, "received_date", 2, r"after as_of \(2024-01-03\)"),
    ("nul_in_id.csv", "read_orders", {}, None, 3, r"line 3 holds a NUL byte"),
    ("time_only_date.csv", "read_orders", {}, "order_date", 3,
     "a time of day without a date"),
    ("duplicate_header.csv", "read_orders", {}, "quantity", 1,
     "names the column 'quantity' twice"),
    ("shipment_before_order", "read_dataset", {}, "ship_date", 3,
     "shipped before its order line was ordered"),
    ("quantity_beyond_cap.csv", "read_orders", {}, "quantity", 3,
     r"too large \(more than 1,000,000,000,000"),
    ("short_row.csv", "read_orders", {}, None, 3,
     r"line 3 has 5 fields, but the header \(line 1\) has 7"),
    ("carriage_return_in_field.csv", "read_orders", {}, None, 3,
     r"line 3 holds a carriage return"),
    ("multiline_field_then_error.csv", "read_orders", {}, "quantity", 4, "not a number"),
    ("quoted_fields_text_quantity.csv", "read_orders", {}, "quantity", 3, "not a number"),
]


def _where(row: int | None) -> str:
    return f"line {row}\\b" if row is not None else ""


@pytest.mark.parametrize(("name", "loader", "kwargs", "column", "row", "phrase"), CASES,
                         ids=[f"{c[0]}-{c[5][:20]}" for c in CASES])
def test_malformed_input_raises_data_error(name, loader, kwargs, column, row, phrase):
    path = MALFORMED / name
    assert path.exists(), f"corpus file {path} is missing"
    with pytest.raises(DataError, match=phrase) as err:
        getattr(ba, loader)(path, **kwargs)
    message = str(err.value)
    if row is not None:
        assert re.search(_where(row), message), message
    if column is not None:
        assert repr(column) in message or f"column {column}" in message, message
    problems = err.value.problems
    if column is not None or row is not None:
        assert len(problems) >= 1
        hit = problems
        if column is not None:
            hit = hit[hit["column"] == column]
        if row is not None:
            hit = hit[hit["row"] == row]
        assert len(hit) == 1, problems.to_string()


def test_missing_column_lists_found_columns_and_suggests_column_map():
    with pytest.raises(DataError) as err:
        ba.read_orders(MALFORMED / "missing_column.csv")
    message = str(err.value)
    assert "Found: 'order_id', 'item', 'quantity', 'order_date'" in message
    assert "Pass column_map={'<your column>': '<canonical name>'}" in message
    assert err.value.problems["row"].isna().all()


def test_missing_column_in_other_case_suggests_the_exact_column_map():
    raw = pd.DataFrame({"Order_ID": ["SO1"], "SKU": ["A"], "quantity": [1],
                        "order_date": ["2024-01-01"]})
    with pytest.raises(DataError, match=r"Pass column_map=\{'Order_ID': 'order_id', "
                                        r"'SKU': 'sku'\}"):
        ba.read_orders(raw)


def test_thousands_separator_loads_with_thousands():
    table = ba.read_orders(MALFORMED / "thousands_separator.csv", thousands=",")
    assert table["quantity"].tolist() == [2, 1200]


def test_non_utf8_message_hints_at_encoding():
    with pytest.raises(DataError, match="encoding='cp1252'") as err:
        ba.read_orders(MALFORMED / "non_utf8.csv")
    assert err.value.problems["row"].tolist() == [3]
    table = ba.read_orders(MALFORMED / "non_utf8.csv", encoding="cp1252")
    assert table["sku"].tolist() == ["A", "Café"]


@pytest.mark.parametrize("name", ["bom_utf8.csv", "bom_utf8_twice.csv", "bom_utf16_le.csv",
                                  "bom_utf16_be.csv"])
def test_byte_order_marks_load(name):
    table = ba.read_orders(MALFORMED / name)
    assert list(table.columns) == ["order_id", "sku", "quantity", "order_date"]
    assert table["sku"].tolist() == ["00123", "B"]
    assert table["order_date"].tolist() == [pd.Timestamp("2024-01-01"),
                                            pd.Timestamp("2024-01-02")]


def test_semicolon_separated_file_loads():
    orders = ba.read_orders(MALFORMED / "semicolon.csv")
    assert orders[["order_id", "sku", "quantity"]].to_numpy().tolist() == [["SO1", "A", 2]]


def test_trailing_commas_with_empty_unnamed_columns_load():
    table = ba.read_orders(MALFORMED / "trailing_commas.csv")
    assert list(table.columns) == ["order_id", "sku", "quantity", "order_date"]
    assert len(table) == 2


def test_missing_file_raises_file_not_found():
    with pytest.raises(FileNotFoundError, match="does_not_exist.csv: no such file"):
        ba.read_orders(MALFORMED / "does_not_exist.csv")


def test_missing_folder_raises_file_not_found():
    with pytest.raises(FileNotFoundError, match="no such folder"):
        ba.read_dataset(MALFORMED / "no_such_folder")


@pytest.mark.parametrize(("sku", "problem"), [(np.nan, "missing sku"), (None, "missing sku"),
                                              ("  ", "missing sku"),
                                              ("A\t", "has spaces before or after it")])
def test_nan_or_blank_sku_in_a_dataframe(sku, problem):
    raw = pd.DataFrame({"order_id": ["SO1", "SO2"], "sku": ["A", sku], "quantity": [1, 2],
                        "order_date": ["2024-01-01", "2024-01-02"]})
    with pytest.raises(DataError, match=problem) as err:
        ba.read_orders(raw)
    problems = err.value.problems
    assert problems[["row", "column", "problem"]].values.tolist() == [[1, "sku", problem]]


def test_excel_row_numbers_match_the_sheet(tmp_path):
    path = tmp_path / "orders.xlsx"
    pd.DataFrame({"order_id": ["SO1", "SO2", "SO3"], "sku": ["A", "B", "C"],
                  "quantity": [2, "lots", 1],
                  "order_date": ["2024-01-01", "2024-01-02", "2024-01-03"]}).to_excel(
        path, index=False)
    with pytest.raises(DataError, match=r"row 3: found 'lots'") as err:
        ba.read_orders(path)
    assert err.value.problems[["row", "column"]].values.tolist() == [[3, "quantity"]]
    assert "(sheet 'Sheet1')" in str(err.value)  # the sheet's name, not its position


# ----------------------------------------------------------------- errors="report"

REPORTED = [
    # file, loader, kwargs, data rows, {line: column named in the reason}
    ("report_mixed.csv", "read_orders", {},
     8, {3: "quantity", 4: "quantity", 6: "sku", 7: "order_date", 8: "sku"}),
    ("text_quantity.csv", "read_orders", {}, 3, {3: "quantity"}),
    ("duplicate_inventory.csv", "read_inventory", {}, 3, {4: "date"}),
    ("received_before_ordered.csv", "read_purchase_orders", {}, 2, {3: "received_date"}),
    ("mixed_date_formats.csv", "read_orders", {}, 4, {5: "order_date"}),
    ("tab_separated_bad_quantity.txt", "read_orders", {}, 2, {3: "quantity"}),
]


@pytest.mark.parametrize(("name", "loader", "kwargs", "n_rows", "bad"), REPORTED,
                         ids=[r[0] for r in REPORTED])
def test_errors_report_sets_bad_rows_aside(name, loader, kwargs, n_rows, bad):
    loaded = getattr(ba, loader)(MALFORMED / name, errors="report", **kwargs)
    assert isinstance(loaded, ba.Loaded)
    valid, rejected = loaded
    assert len(valid) + len(rejected) == n_rows  # nothing lost silently
    assert rejected["row"].tolist() == sorted(bad)
    assert rejected["row"].is_unique
    for line, column in bad.items():
        reason = rejected.loc[rejected["row"] == line, "reason"].item()
        assert reason.startswith(f"{column}: "), reason
    # the rejected rows keep the values as read, for the user to fix
    raw = pd.read_csv(MALFORMED / name, dtype=str, keep_default_na=False,
                      sep="\t" if name.endswith(".txt") else ",")
    as_read = rejected[raw.columns].fillna("").astype(str)
    expected = raw.iloc[[line - 2 for line in sorted(bad)]].reset_index(drop=True)
    pd.testing.assert_frame_equal(as_read, expected)


def test_errors_report_reasons_of_a_row_with_two_problems():
    raw = pd.DataFrame({"order_id": ["SO1", "SO2"], "sku": ["A", " B"],
                        "quantity": [1, 0], "order_date": ["2024-01-01", "2024-01-02"]})
    valid, rejected = ba.read_orders(raw, errors="report")
    assert valid["order_id"].tolist() == ["SO1"]
    assert rejected["row"].tolist() == [1]
    assert set(rejected["reason"].item().split("; ")) == {
        "sku: has spaces before or after it", "quantity: not > 0"}


@pytest.mark.parametrize(("name", "table", "rows"), [
    ("unknown_sku_inventory", "purchase_orders", [4]),
    ("unknown_sku_items", "purchase_orders", [3]),
    ("shipments_unknown_line", "shipments", [3]),
    ("shipments_over_quantity", "shipments", [3, 4]),  # together they ship 4 of 3 units
    ("after_as_of", "purchase_orders", [2]),
])
def test_read_dataset_report_puts_cross_table_problems_in_rejected(name, table, rows):
    ds = ba.read_dataset(MALFORMED / name, errors="report")
    assert ds.rejected["table"].eq(table).all()
    assert ds.rejected["row"].tolist() == rows
    assert ds.rejected["reason"].str.len().gt(0).all()
    n_rows = len(pd.read_csv(MALFORMED / name / f"{table}.csv", dtype=str))
    assert len(getattr(ds, table)) + len(rows) == n_rows


def _csv_module_layout(text: str) -> tuple[list[int], list[int]]:
    """Independent reference: the line each record starts on and its field count, from
    Python's csv module."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""))
    lines, fields, last = [], [], 0
    for record in reader:
        lines.append(last + 1)
        fields.append(len(record))
        last = reader.line_num
    return lines[1:], fields[1:]


def test_record_layout_matches_the_csv_module_on_odd_quoting():
    import csv
    import io

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from backorder_analytics.data.formats import _record_layout

    # no lone carriage return in a cell: the loader refuses those before (and the csv
    # module reads a quoted lone CR as an empty record)
    cell = st.text(alphabet='ab,"\n 1', max_size=6)
    rows = st.lists(st.lists(cell, min_size=1, max_size=4), min_size=1, max_size=6)

    @settings(max_examples=200, deadline=None)
    @given(rows, st.sampled_from(["\n", "\r\n"]))
    def check(table, terminator):
        out = io.StringIO()
        csv.writer(out, lineterminator=terminator).writerows([["h1", "h2"], *table])
        text = out.getvalue()
        lines, fields = _record_layout(text, ",")
        assert (list(lines), list(fields)) == _csv_module_layout(text)

    check()


def _codes_by_tuples(frames, columns):
    """Reference key codes: Python tuples numbered in order of first appearance; a key
    with a missing part -1."""
    seen: dict = {}
    out = []
    for frame in frames:
        for row in frame[columns].itertuples(index=False):
            if any(pd.isna(v) for v in row):
                out.append(-1)
            else:
                out.append(seen.setdefault(tuple(row), len(seen)))
    return np.array(out), len(seen)


@pytest.mark.parametrize("n_columns", [2, 5])
def test_key_codes_match_tuples_of_the_values(n_columns):
    """Keys of text (Arrow-encoded, with missing cells) and dates, over two tables; with
    five columns of ~25,000 values each the product of their counts passes int64 and the codes
    are renumbered on the way."""
    from backorder_analytics.data.schemas import TEXT
    from backorder_analytics.data.validation import _maybe_repeated, key_codes

    rng = np.random.default_rng(0)
    n = 30_000

    def table(size):
        cols = {f"k{j}": pd.array([f"v{x}" if x % 97 else None
                                   for x in rng.integers(0, 30_000, size)], dtype=TEXT)
                for j in range(n_columns - 1)}
        cols["day"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(
            rng.integers(0, 30_000, size), unit="D")
        return pd.DataFrame(cols)

    left, right = table(n), table(n // 3)
    columns = list(left.columns)
    got_left, got_right, n_keys = key_codes(left, right, columns)
    expected, n_expected = _codes_by_tuples([left, right], columns)
    got = np.concatenate([got_left, got_right])
    assert n_keys >= n_expected
    assert ((got < 0) == (expected < 0)).all()
    valid = expected >= 0  # the same partition of the rows into keys
    assert len(np.unique(got[valid])) == n_expected
    pairs = np.unique(np.c_[got[valid], expected[valid]], axis=0)
    assert len(pairs) == n_expected
    assert _maybe_repeated(left, columns) == (len(left) != len(left.drop_duplicates()))
    assert _maybe_repeated(pd.concat([left, left.iloc[:1]]), columns)


@pytest.mark.parametrize("cells", [
    ["SO-1", "SO-2", None, "", "x"],                       # plain ASCII: the byte pass
    ["SO-1", " SO-2", "SO-3\t", "   ", None, "S\x00O"],       # padding, blank, control
    ["Café", "\u00a0SO-1", "SO-2\u2003", "日本"],             # non-ASCII: cell by cell
])
def test_blank_and_padded_cells_are_found_with_or_without_the_byte_pass(cells):
    import pyarrow as pa

    from backorder_analytics.data.validation import _blank_padded

    blank, padded = _blank_padded(pa.array(cells, type=pa.string()))
    stripped = [None if c is None else c.strip() for c in cells]
    assert blank.tolist() == [s is None or s == "" for s in stripped]
    assert padded.tolist() == [s not in (None, "") and s != c
                               for s, c in zip(stripped, cells, strict=True)]
