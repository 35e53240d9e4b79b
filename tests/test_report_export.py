"""Report exports: formula injection neutralised in text cells only; CSV and Excel
round trips keep numbers as numbers and dates as dates."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from backorder_analytics.report import export
from backorder_analytics.report.export import (
    FORMULA_STARTS,
    neutralise_formulas,
    sheet_names,
    write_csv,
    write_xlsx,
)

DANGEROUS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1",
             '=HYPERLINK("http://evil.example","click")']
SAFE = ["A-1", "SKU 0001", "", " =1", "1=1", "x@y"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_gets_a_quote(text):
    out = neutralise_formulas(pd.DataFrame({"sku": [text]}))
    assert out.loc[0, "sku"] == "'" + text


@pytest.mark.parametrize("text", SAFE)
def test_safe_text_is_unchanged(text):
    assert neutralise_formulas(pd.DataFrame({"sku": [text]})).loc[0, "sku"] == text


def test_numbers_dates_and_missing_values_are_untouched():
    frame = pd.DataFrame({
        "int": [-3, 4], "float": [-0.5, np.nan], "bool": [True, False],
        "date": pd.to_datetime(["2024-01-01", None]),
        "mixed": pd.Series([-2, "-2"], dtype=object),
        "text": pd.Series([None, "=x"], dtype=object),
        "string": pd.Series(["-y", pd.NA], dtype="string"),
        "cat": pd.Categorical(["=a", "b"]),
    })
    out = neutralise_formulas(frame)
    pd.testing.assert_frame_equal(out[["int", "float", "bool", "date"]],
                                  frame[["int", "float", "bool", "date"]])
    assert out["mixed"].tolist() == [-2, "'-2"]               # a number stays a number
    assert pd.isna(out.loc[0, "text"])
    assert out.loc[1, "text"] == "'=x"
    assert out.loc[0, "string"] == "'-y"
    assert out.loc[1, "string"] is pd.NA
    assert list(out["cat"].cat.categories) == ["'=a", "b"]
    assert frame.loc[1, "text"] == "=x"                       # the input is not changed


def test_labels_are_neutralised():
    frame = pd.DataFrame({"=col": [1]}, index=pd.Index(["@row"], name="sku"))
    out = neutralise_formulas(frame)
    assert list(out.columns) == ["'=col"]
    assert list(out.index) == ["'@row"]


def test_formula_starts_are_the_owasp_list():
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


def test_sheet_names_are_valid_and_unique():
    names = ["safety_stock_tradeoff_per_sku_and_level", "safety_stock_tradeoff_per_sku_and_x",
             "a/b", "[x]", "SHEET", "sheet", "'quoted'"]
    out = sheet_names(names)
    assert all(len(n) <= 31 for n in out)
    assert len({n.lower() for n in out}) == len(out)
    assert not any(set(n) & set("[]:*?/\\") for n in out)
    assert out[2] == "a_b"
    assert out[6] == "quoted"


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    evil = '=HYPERLINK("http://evil.example","click")'
    return {
        "lines": pd.DataFrame({
            "sku": [evil, "-SKU", "B"],
            "customer_id": ["@me", "c2", "+c3"],
            "quantity": [3, -2, 0],
            "wait_days": [1.5, -0.25, np.nan],
            "order_date": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"]),
            "ship_date": pd.to_datetime(["2024-01-02 10:30", None, "2024-01-05 08:00"]),
            "late": [True, False, True],
        }),
        "by_sku": pd.DataFrame({"units": [1, 2]}, index=pd.Index(["=A", "B"], name="sku")),
        "empty": pd.DataFrame(columns=["sku", "units"]),
    }


def test_csv_round_trip(tables, tmp_path):
    paths = write_csv(tables, tmp_path)
    assert [p.name for p in paths] == ["lines.csv", "by_sku.csv", "empty.csv"]
    with open(tmp_path / "lines.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["sku", "customer_id", "quantity", "wait_days", "order_date",
                       "ship_date", "late"]
    assert rows[1][:2] == ["'" + tables["lines"].loc[0, "sku"], "'@me"]
    assert rows[2][:4] == ["'-SKU", "c2", "-2", "-0.25"]      # negative numbers stay numbers
    assert rows[3][1] == "'+c3"
    assert rows[1][4:6] == ["2024-01-02 00:00:00", "2024-01-02 10:30:00"]
    back = pd.read_csv(tmp_path / "lines.csv", parse_dates=["order_date", "ship_date"])
    pd.testing.assert_series_equal(back["quantity"], tables["lines"]["quantity"])
    pd.testing.assert_series_equal(back["ship_date"], tables["lines"]["ship_date"])
    by_sku = pd.read_csv(tmp_path / "by_sku.csv")
    assert by_sku.to_dict("list") == {"sku": ["'=A", "B"], "units": [1, 2]}
    assert pd.read_csv(tmp_path / "empty.csv").columns.tolist() == ["sku", "units"]


def test_xlsx_round_trip(tables, tmp_path):
    contents = pd.DataFrame({"table": list(tables), "rows": [len(t) for t in tables.values()]})
    path = write_xlsx(tables, tmp_path / "report.xlsx", contents=contents)
    wb = load_workbook(path)                       # formulas as written, not evaluated
    assert wb.sheetnames == ["contents", "lines", "by_sku", "empty"]
    ws = wb["lines"]
    header = [c.value for c in ws[1]]
    assert header == ["sku", "customer_id", "quantity", "wait_days", "order_date",
                      "ship_date", "late"]
    first, second, third = ([c for c in ws[r]] for r in (2, 3, 4))
    # text cells: strings with a leading quote, never formulas
    assert first[0].data_type == "s"
    assert first[0].value == "'" + tables["lines"].loc[0, "sku"]
    assert first[1].value == "'@me"
    assert third[1].value == "'+c3"
    assert second[0].value == "'-SKU"
    # numbers are numbers, negative ones too
    assert second[2].data_type == "n"
    assert second[2].value == -2
    assert second[3].value == -0.25
    assert third[3].value is None
    # dates are Excel dates, with a date format (and a time where there is one)
    assert first[4].is_date
    assert first[4].value == dt.datetime(2024, 1, 2)
    assert first[4].number_format == "yyyy-mm-dd"
    assert first[5].value == dt.datetime(2024, 1, 2, 10, 30)
    assert first[5].number_format == "yyyy-mm-dd hh:mm"
    assert second[5].value is None
    assert first[6].value is True
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    assert [[c.value for c in r] for r in wb["by_sku"].iter_rows()] == [
        ["sku", "units"], ["'=A", 1], ["B", 2]]
    assert [c.value for c in wb["empty"][1]] == ["sku", "units"]
    assert [c.value for c in wb["contents"][1]] == ["table", "rows", "sheet"]
    assert [c.value for c in wb["contents"]["C"]][1:] == ["lines", "by_sku", "empty"]


def test_workbook_is_formatted_for_reading(tmp_path):
    long = "Chase SUP-E for a firm delivery date; SUP-E delivers 3.8 days late on average"
    tables = {
        "risk": pd.DataFrame({"sku": ["A", "B"], "p_backorder": [0.925, 0.5],
                              "expected_fill_rate": [0.9, np.nan],
                              "expected_backordered_units": [1234.5, 2.0],
                              "lead_time_p90": [12.5, 3.0], "rank": [1, 2]},
                             index=pd.Index([7, 9])),   # an unnamed index: row numbers
        "alerts": pd.DataFrame({"kind": ["late_po"], "action": [long]}),
    }
    contents = pd.DataFrame({"table": list(tables), "rows": [2, 1]})
    wb = load_workbook(write_xlsx(tables, tmp_path / "r.xlsx", contents=contents))
    risk = wb["risk"]
    assert [c.value for c in risk[1]] == ["sku", "p_backorder", "expected_fill_rate",
                                          "expected_backordered_units", "lead_time_p90",
                                          "rank"]                     # no index column
    assert risk["B2"].number_format == "0.0%"
    assert risk["C2"].number_format == "0.0%"
    assert risk["D2"].number_format == "#,##0.00"
    assert risk["E2"].number_format == "#,##0.00"                   # days, not a share
    assert risk["F2"].number_format == "General"
    assert risk["A1"].font.bold
    assert wb["alerts"].column_dimensions["B"].width >= len(long)
    assert wb["risk"].column_dimensions["D"].width >= len("expected_backordered_units")
    links = [wb["contents"].cell(row=r, column=3).hyperlink for r in (2, 3)]
    assert [h.location for h in links] == ["'risk'!A1", "'alerts'!A1"]


# ------------------------------------------------------------- streamed worksheet rows


@pytest.fixture
def awkward() -> dict[str, pd.DataFrame]:
    """Every kind of cell the workbook holds, and the odd ones."""
    nan, inf = np.nan, np.inf
    stamps = ["2024-01-02 10:30", None, "2024-03-04 00:00", "2024-03-05 00:00", None]
    return {
        "numbers": pd.DataFrame({
            "units": [3, -2, 0, 2**62, 7],
            "wait_days": [1.5, -0.25, nan, 1e-300, -0.0],
            "fill_rate": [0.95, 1.0, nan, 0.0, 0.123456789012345678],
            "extreme": [inf, -inf, 1.2345678901234567e20, nan, 1 / 3],
            "late": [True, False, True, False, True],
            "maybe": pd.array([True, None, False, None, True], dtype="boolean"),
            "count": pd.array([1, None, 3, None, 5], dtype="Int64"),
        }),
        "text": pd.DataFrame({
            "sku": ["A&B <c>", ' quoted "x" ', "tab\tend\t", "", "naïve 😀\nnew line"],
            "": ["=1+1", "-x", None, "+", "@"],            # a blank header
            "mixed": ["text", 5, 2.5, True, None],
            "numpy": [np.float64(0.1), np.float64(inf), np.float64(2), None, "x"],
            "kind": pd.Categorical(["a", None, "b", "a", None]),
        }),
        "dates": pd.DataFrame({
            "order_date": pd.to_datetime(["2024-01-02", "2024-01-03", None, "2024-01-05",
                                          "2024-01-06"]),
            "ship_date": pd.to_datetime(stamps),
            "zoned": pd.to_datetime(stamps).tz_localize("Europe/Paris"),
            "gap": [None, None, None, None, None],       # a column and a row of blanks
        }),
        "late_format": pd.DataFrame({                    # a format first used on the last row
            "sku": ["A", "B", "C"],
            "when": pd.to_datetime([None, None, "2024-02-02 08:15"]),
        }),
        "odd": pd.DataFrame({"sku": ["ok", "ctrl\x01char", "_x0041_", "<r>rich</r>",
                                     "x" * 20_000]}),
        "one_row": pd.DataFrame({"sku": ["A"], "units": [1]}),
        "empty": pd.DataFrame(columns=["sku", "units"]),
        "by_sku": pd.DataFrame({"units": [1, 2]}, index=pd.Index(["=A", "B"], name="sku")),
    }


def xlsx_members(path) -> dict[str, bytes]:
    """The files inside a workbook but the one with its creation time."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_streamed_rows_are_the_cells_xlsxwriter_writes(awkward, tmp_path, monkeypatch):
    contents = pd.DataFrame({"table": list(awkward), "rows": [len(t) for t in awkward.values()]})
    streamed = {}
    stream = export._stream_rows

    def spy(ws, *args):
        streamed[ws.name] = stream(ws, *args)
        return streamed[ws.name]

    monkeypatch.setattr(export, "_stream_rows", spy)
    fast = xlsx_members(write_xlsx(awkward, tmp_path / "fast.xlsx", contents))
    # all rows but the last of the sheets with two rows or more; the odd text falls back
    assert streamed == {"numbers": 4, "text": 4, "dates": 4, "late_format": 2, "odd": 0,
                        "one_row": 0, "empty": 0, "by_sku": 1}
    monkeypatch.setattr(export, "_stream_rows", lambda *args: 0)
    slow = xlsx_members(write_xlsx(awkward, tmp_path / "slow.xlsx", contents))
    assert fast.keys() == slow.keys()
    for name in fast:
        assert fast[name] == slow[name], name


def test_streamed_sheets_read_back(awkward, tmp_path):
    path = write_xlsx(awkward, tmp_path / "r.xlsx")
    back = pd.read_excel(path, sheet_name=None)
    numbers = back["numbers"]
    assert numbers["units"].tolist() == [3, -2, 0, 2**62, 7]
    assert numbers["late"].tolist() == [True, False, True, False, True]
    text = load_workbook(path)["text"]
    assert [c.value for c in text["A"]] == ["sku", "A&B <c>", ' quoted "x" ', "tab\tend\t",
                                            None, "naïve 😀\nnew line"]
    assert [c.value for c in text["B"]][1:] == ["'=1+1", "'-x", None, "'+", "'@"]
    assert load_workbook(path)["dates"]["B2"].value == dt.datetime(2024, 1, 2, 10, 30)


def test_an_xlsxwriter_without_the_internals_gets_the_public_writers(awkward, tmp_path,
                                                                     monkeypatch):
    """Another xlsxwriter version may rename what the streamed rows use: the sheets are
    then written cell by cell, the same workbook."""
    expected = xlsx_members(write_xlsx(awkward, tmp_path / "now.xlsx"))
    monkeypatch.setattr(export, "_INTERNALS", (*export._INTERNALS, "renamed_since"))
    streamed = []
    stream = export._stream_rows
    monkeypatch.setattr(export, "_stream_rows", lambda *a: streamed.append(stream(*a)) or 0)
    assert xlsx_members(write_xlsx(awkward, tmp_path / "other.xlsx")) == expected
    assert streamed
    assert not any(streamed)
