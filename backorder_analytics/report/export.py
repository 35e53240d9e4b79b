"""The report's tables as CSV files and one Excel workbook, safe to open in a spreadsheet.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by spreadsheet programs as a formula (CSV / formula injection, OWASP): a SKU named
``=HYPERLINK("http://evil", "click")`` would become a live link. Such cells get a
leading single quote (``'=HYPERLINK(...)``); numbers, negative ones included, are left
alone. Dates are written as real dates (ISO text in CSV, date cells in Excel).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["neutralise_formulas", "write_csv", "write_xlsx", "sheet_names", "FORMULA_STARTS",
           "EXCEL_MAX_ROWS"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula."""

EXCEL_MAX_ROWS = 1_048_576
PERCENT_COLUMNS = re.compile(r"(^p_|rate|share|^fill|service_level|probability)")
"""Names of columns shown as percentages in the workbook (when every value is in [0, 1]):
probabilities, fill rates, shares."""
WIDTH_SAMPLE = 1_000
"""Rows read to fit a column's width."""
MAX_WIDTH = 80
"""Widest column [characters]: a message or an action fits whole."""
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    Every string (in cells, column labels and index labels) that begins with one of
    :data:`FORMULA_STARTS` gets a leading ``'``. Numeric, boolean and date columns are
    untouched, as are non-string values in object columns.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sku": ["=1+1", "-x", "A-1"], "qty": [-3, 2, 1]})
    >>> neutralise_formulas(df)
         sku  qty
    0  '=1+1   -3
    1    '-x    2
    2    A-1    1
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.cat.rename_categories([_neutralise(c) for c in s.cat.categories])
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.map(_neutralise, na_action="ignore")
    out.columns = out.columns.map(lambda c: _neutralise(c) if isinstance(c, str) else c)
    if isinstance(out.index, pd.MultiIndex):
        # pandas-stubs: set_levels takes a list of Index
        out.index = out.index.set_levels(
            [lvl.map(_neutralise) for lvl in out.index.levels])  # type: ignore[misc]
    elif out.index.dtype == object or pd.api.types.is_string_dtype(out.index.dtype):
        out.index = out.index.map(_neutralise)
    return out


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """A named index as columns (an unnamed one is row numbers, left out); cells that
    CSV and Excel can hold."""
    named = any(n is not None for n in frame.index.names)
    frame = frame.reset_index(drop=not named)
    frame = frame.copy()
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            frame[col] = s.astype(object).where(  # pandas-stubs: where() with other=None
                s.notna(), None)  # type: ignore[call-overload]
        elif isinstance(s.dtype, pd.DatetimeTZDtype):
            frame[col] = s.dt.tz_localize(None)
        elif s.dtype == object:
            frame[col] = s.map(lambda v: v if v is None or isinstance(
                v, str | int | float | bool | np.generic | pd.Timestamp) else str(v))
    frame.columns = [str(c) for c in frame.columns]
    return neutralise_formulas(frame)


def sheet_names(names: Sequence[str]) -> list[str]:
    """Excel sheet names for the given table names: at most 31 characters, none of
    ``[]:*?/\\``, unique (case-insensitively, as Excel compares them).

    Examples
    --------
    >>> sheet_names(["a" * 40, "a" * 35, "x/y"])
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa~2', 'x_y']
    """
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = _BAD_SHEET_CHARS.sub("_", str(name)).strip("'") or "sheet"
        candidate, k = base[:31], 1
        while candidate.lower() in seen:
            k += 1
            suffix = f"~{k}"
            candidate = base[: 31 - len(suffix)] + suffix
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def write_csv(tables: dict[str, pd.DataFrame], folder: str | Path) -> list[Path]:
    """Write each table to ``folder/<name>.csv`` (UTF-8, ISO dates); returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        path = folder / f"{name}.csv"
        _flat(frame).to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
        paths.append(path)
    return paths


EXCEL_EPOCH = np.datetime64("1899-12-30")
"""Day 0 of Excel's date serial numbers (the 1900 date system)."""


def _cells(s: pd.Series) -> tuple[list, str | None]:
    """A column as the values xlsxwriter writes (None for a blank cell) and the number
    format of its dates (None when it holds no dates)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        present = s.notna().to_numpy()
        days = (s.to_numpy("datetime64[ns]") - EXCEL_EPOCH) / np.timedelta64(1, "D")
        values = np.where(present, days, np.nan)
        whole = bool((values[present] == np.floor(values[present])).all())
        cells = [None if np.isnan(v) else v for v in values.tolist()]
        return cells, "yyyy-mm-dd" if whole else "yyyy-mm-dd hh:mm"
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        # pandas-stubs: to_numpy() with na_value=None
        values = s.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
        return [None if (isinstance(v, float) and v != v) else v for v in values.tolist()], None
    return [v if isinstance(v, str | bool | int | float) and v == v else
            None if v is None or (isinstance(v, float) and v != v) else str(v)
            for v in s.tolist()], None


def write_xlsx(tables: dict[str, pd.DataFrame], path: str | Path,
               contents: pd.DataFrame | None = None) -> Path:
    """Write one sheet per table to ``path`` (xlsxwriter, streamed), after a
    ``contents`` sheet.

    Numbers are numbers, text is text (never a formula, a link or a number), dates are
    Excel dates (``yyyy-mm-dd``, with the time when there is one); the header row is
    frozen and filtered. A table longer than Excel's limit is cut to it and its sheet
    says so.
    """
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = sheet_names(["contents", *tables])
    frames: list[tuple[str, pd.DataFrame]] = []
    if contents is not None:
        sheets = names[1:]
        frames.append((names[0], contents.assign(sheet=sheets)
                       if len(contents) == len(sheets) else contents))
    frames += list(zip(names[1:], tables.values(), strict=True))
    options = {"constant_memory": True, "strings_to_formulas": False,
               "strings_to_urls": False, "strings_to_numbers": False,
               "nan_inf_to_errors": True}
    with xlsxwriter.Workbook(str(path), options) as book:
        formats = {f: book.add_format({"num_format": f}) for f in (
            "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "0.0%", "#,##0.00")}
        formats["header"] = book.add_format({"bold": True, "bottom": 1})
        for k, (sheet, frame) in enumerate(frames):
            links = "sheet" if contents is not None and k == 0 and "sheet" in frame else None
            _write_sheet(book.add_worksheet(sheet), _flat(frame), formats, len(frame), links)
    return path


def _column_format(name: str, s: pd.Series) -> str | None:
    """The number format a column is shown with: percentages for probabilities and
    rates in [0, 1], two decimals and thousands separators for other fractions."""
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_float_dtype(s):
        return None
    values = s.to_numpy(dtype=float, na_value=np.nan)
    finite = values[np.isfinite(values)]
    if PERCENT_COLUMNS.search(name) and ((finite >= 0) & (finite <= 1)).all():
        return "0.0%"
    return "#,##0.00"


def _width(name: str, cells: list, number_format: str | None) -> float:
    """Characters wide enough for the header (and its filter button) and the values."""
    sample = [c for c in cells[:WIDTH_SAMPLE] if c is not None]
    if number_format in ("yyyy-mm-dd", "yyyy-mm-dd hh:mm"):
        longest = len(number_format)
    elif number_format == "0.0%":
        longest = 6
    elif number_format == "#,##0.00":
        longest = max((len(f"{v:,.2f}") for v in sample
                       if isinstance(v, float) and np.isfinite(v)), default=4)
    else:
        longest = max((len(str(v)) for v in sample), default=0)
    return float(min(max(len(name) + 3, longest + 1, 6), MAX_WIDTH))


def _write_sheet(ws, flat: pd.DataFrame, formats: dict, n_rows: int,
                 links: str | None = None) -> None:
    cut = len(flat) > EXCEL_MAX_ROWS - 2
    if cut:
        flat = flat.head(EXCEL_MAX_ROWS - 2)
    columns = [_cells(flat[c]) for c in flat.columns]
    for j, name in enumerate(flat.columns):
        cells, date_format = columns[j]
        shown = date_format or _column_format(name, flat[name])
        ws.set_column(j, j, _width(name, cells, shown),
                      formats[shown] if shown and not date_format else None)
    ws.write_row(0, 0, list(flat.columns), formats["header"])
    dated = [(j, formats[fmt]) for j, (_, fmt) in enumerate(columns) if fmt is not None]
    link = list(flat.columns).index(links) if links is not None else None
    for i, row in enumerate(zip(*(cells for cells, _ in columns), strict=True), start=1):
        ws.write_row(i, 0, row)
        for j, fmt in dated:
            if row[j] is not None:
                ws.write_number(i, j, row[j], fmt)
        if link is not None and row[link] is not None:  # contents: a link to each sheet
            target = str(row[link]).replace("'", "''")
            ws.write_url(i, link, f"internal:'{target}'!A1", string=str(row[link]))
    ws.freeze_panes(1, 0)
    if len(flat.columns):
        ws.autofilter(0, 0, len(flat), len(flat.columns) - 1)
    if cut:
        ws.write_string(len(flat) + 1, 0, f"cut at Excel's {EXCEL_MAX_ROWS:,} rows: the CSV "
                                          f"has all {n_rows:,}")
