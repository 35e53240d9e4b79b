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
        out.index = out.index.set_levels([lvl.map(_neutralise) for lvl in out.index.levels])
    elif out.index.dtype == object:
        out.index = out.index.map(_neutralise)
    return out


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Index as columns when it carries data; cells that CSV and Excel can hold."""
    if not (isinstance(frame.index, pd.RangeIndex) and frame.index.name is None):
        frame = frame.reset_index()
    frame = frame.copy()
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            frame[col] = s.astype(object).where(s.notna(), None)
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


def write_xlsx(tables: dict[str, pd.DataFrame], path: str | Path,
               contents: pd.DataFrame | None = None) -> Path:
    """Write one sheet per table to ``path`` (openpyxl), after a ``contents`` sheet.

    Dates become Excel dates (``yyyy-mm-dd``, with the time when there is one); the
    header row is frozen and filtered. A table longer than Excel's limit is cut to it
    and its sheet says so.
    """
    from openpyxl.utils import get_column_letter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = sheet_names(["contents", *tables])
    with pd.ExcelWriter(path, engine="openpyxl", datetime_format="yyyy-mm-dd hh:mm:ss",
                        date_format="yyyy-mm-dd") as writer:
        if contents is not None:
            sheets = names[1:]
            c = contents.assign(sheet=sheets) if len(contents) == len(sheets) else contents
            _flat(c).to_excel(writer, sheet_name=names[0], index=False)
        for sheet, frame in zip(names[1:], tables.values(), strict=True):
            flat = _flat(frame)
            cut = len(flat) > EXCEL_MAX_ROWS - 2
            if cut:
                flat = flat.head(EXCEL_MAX_ROWS - 2)
            flat.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            for j, col in enumerate(flat.columns, start=1):
                letter = get_column_letter(j)
                ws.column_dimensions[letter].width = min(max(len(col) + 2, 10), 40)
                s = flat[col]
                if pd.api.types.is_datetime64_any_dtype(s) and len(s):
                    whole_days = bool((s.dropna() == s.dropna().dt.normalize()).all())
                    fmt = "yyyy-mm-dd" if whole_days else "yyyy-mm-dd hh:mm"
                    for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                        cell.number_format = fmt
            ws.freeze_panes = "A2"
            if len(flat.columns):
                ws.auto_filter.ref = ws.dimensions
            if cut:
                ws.cell(row=len(flat) + 2, column=1,
                        value=f"cut at Excel's {EXCEL_MAX_ROWS:,} rows: the CSV has all "
                              f"{len(frame):,}")
    return path
