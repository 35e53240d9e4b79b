"""The report's tables as CSV files and one Excel workbook, safe to open in a spreadsheet.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by spreadsheet programs as a formula (CSV / formula injection, OWASP): a SKU named
``=HYPERLINK("http://evil", "click")`` would become a live link. Such cells get a
leading single quote (``'=HYPERLINK(...)``); numbers, negative ones included, are left
alone. Dates are written as real dates (ISO text in CSV, date cells in Excel).
"""

from __future__ import annotations

import math
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
    column_formats = []
    for j, name in enumerate(flat.columns):
        cells, date_format = columns[j]
        shown = date_format or _column_format(name, flat[name])
        column_formats.append(formats[shown] if shown and not date_format else None)
        ws.set_column(j, j, _width(name, cells, shown), column_formats[-1])
    header = list(flat.columns)
    values = [cells for cells, _ in columns]
    cell_formats = [formats[fmt] if fmt is not None else None for _, fmt in columns]
    streamed = (0 if links is not None else
                _stream_rows(ws, header, formats["header"], values, cell_formats, column_formats))
    _write_rows(ws, None if streamed else header, formats["header"], values, cell_formats,
                list(flat.columns).index(links) if links is not None else None,
                start=streamed)
    ws.freeze_panes(1, 0)
    if len(flat.columns):
        ws.autofilter(0, 0, len(flat), len(flat.columns) - 1)
    if cut:
        ws.write_string(len(flat) + 1, 0, f"cut at Excel's {EXCEL_MAX_ROWS:,} rows: the CSV "
                                          f"has all {n_rows:,}")


def _write_rows(ws, header: list[str] | None, header_format, values: list[list],
                cell_formats: list, link: int | None = None, start: int = 0) -> None:
    """The header (unless None) and the rows from ``start`` on through xlsxwriter's
    cell writers, a cell at a time; ``link``: the column whose cells link to the sheet
    they name (the contents)."""
    if header is not None:
        ws.write_row(0, 0, header, header_format)
    dated = [(j, fmt) for j, fmt in enumerate(cell_formats) if fmt is not None]
    rows = zip(*(cells[start:] for cells in values), strict=True)
    for i, row in enumerate(rows, start=start + 1):
        ws.write_row(i, 0, row)
        for j, fmt in dated:
            if row[j] is not None:
                ws.write_number(i, j, row[j], fmt)
        if link is not None and row[link] is not None:
            target = str(row[link]).replace("'", "''")
            ws.write_url(i, link, f"internal:'{target}'!A1", string=str(row[link]))


STREAM_CHUNK = 4_096
"""Rows rendered at once by :func:`_stream_rows`."""
MAX_INLINE = 16_383
"""Longest text :func:`_stream_rows` writes itself [characters]; xlsxwriter cuts text
past 32,767 UTF-16 units, and checks those longer than this."""
_ODD_TEXT = re.compile(r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_XML_SPECIAL = re.compile(r"[&<>]")
_EDGE_SPACE = re.compile(r"^\s|\s$")
_ERRORS = {"nan": ("#NUM!", "#NUM!"), "inf": ("1/0", "#DIV/0!"), "-inf": ("-1/0", "#DIV/0!")}


def _stream_rows(ws, header: list[str], header_format, values: list[list],
                 cell_formats: list, column_formats: list) -> int:
    """Write the header and all rows but the last of a fresh constant-memory
    worksheet as the XML xlsxwriter's cell writers (:func:`_write_rows`) give for
    them, rendered a column at a time and written straight to the sheet's row file;
    returns the number of rows written, 0 (and nothing written) when the sheet or a
    cell is not one this covers.

    xlsxwriter spends about 6 µs on a cell, this well under 1 µs. The elements are the
    ones xlsxwriter writes in constant-memory mode: ``<row r="i">`` per row with a
    cell, numbers as ``<v>{:.16G}</v>``, text as in-line strings (``&<>`` escaped,
    ``xml:space="preserve"`` when it starts or ends with white space), booleans
    ``t="b"``, NaN and ±inf as the error formulas (``nan_inf_to_errors``); blanks
    (None, "") left out, but for a header's, written with its format; each cell styled
    with its own format (the header's, a date format) or else its column's; formats
    numbered in the order cells first use them. The last row is left to
    :func:`_write_rows`: xlsxwriter holds a sheet's last row until the workbook
    closes, and numbers the formats it first uses only then. This reads and sets
    xlsxwriter's own state (the row file ``fh``, ``previous_row``,
    ``_check_dimensions``, ``Format._get_xf_index``); the tests pin the workbook to
    be, byte for byte, the one :func:`_write_rows` alone writes. Text xlsxwriter would
    escape or cut (control characters, ``_xHHHH_``, rich strings, more than
    :data:`MAX_INLINE` characters), or a value of another type, leaves the sheet to
    :func:`_write_rows`.
    """
    from xlsxwriter.utility import xl_col_to_name

    n_cols = len(header)
    n = len(values[0]) - 1 if n_cols else 0  # rows streamed: all but the last
    if n < 1 or not _fresh_streamable(ws, [header_format, *cell_formats, *column_formats]) \
            or n_cols > ws.xls_colmax:
        return 0
    if any(not isinstance(name, str) or _first_cell([name]) is False for name in header):
        return 0
    firsts = [_first_cell(cells[:n]) for cells in values]
    if any(first is False for first in firsts):
        return 0
    styles = [fmt or col for fmt, col in zip(cell_formats, column_formats, strict=True)]
    header_style = f' s="{header_format._get_xf_index()}"'  # the first cell's format
    for _, j in sorted((first, j) for j, first in enumerate(firsts) if first is not None):
        if styles[j] is not None:
            styles[j]._get_xf_index()
    attrs = [f' s="{fmt._get_xf_index()}"' if fmt is not None else "" for fmt in styles]
    letters = [xl_col_to_name(j) for j in range(n_cols)]
    fh = ws.fh
    fh.write('<row r="1">' + "".join(
        _text_cell(f"{letter}1", header_style, name) if name else
        f'<c r="{letter}1"{header_style}/>'  # a blank with a format is written
        for letter, name in zip(letters, header, strict=True)) + "</row>")
    ws._check_dimensions(0, 0)
    ws._check_dimensions(0, n_cols - 1)
    last = 0
    for lo in range(0, n, STREAM_CHUNK):
        hi = min(lo + STREAM_CHUNK, n)
        cols = [_render(cells[lo:hi], letter, lo + 2, attr) for cells, letter, attr
                in zip(values, letters, attrs, strict=True)]
        bodies = ["".join(cells) for cells in zip(*cols, strict=True)]
        fh.write("".join([f'<row r="{r}">{body}</row>'
                          for r, body in enumerate(bodies, start=lo + 2) if body]))
        last = next((lo + k + 1 for k in range(len(bodies) - 1, -1, -1) if bodies[k]), last)
    ws._check_dimensions(last, 0)
    ws.previous_row = n
    return n


_INTERNALS = ("fh", "previous_row", "_check_dimensions", "dim_rowmin", "table",
              "xls_colmax")
"""What :func:`_stream_rows` uses of an xlsxwriter worksheet beyond its public API."""


def _fresh_streamable(ws, formats: list) -> bool:
    """Whether ``ws`` is a constant-memory worksheet with nothing written yet, and this
    xlsxwriter has the internals :func:`_stream_rows` uses (another version may not:
    then the public cell writers do the work, only slower)."""
    if not all(hasattr(ws, name) for name in _INTERNALS) or not all(
            hasattr(f, "_get_xf_index") for f in formats if f is not None):
        return False
    return bool(getattr(ws, "constant_memory", False) and ws.dim_rowmin is None
                and ws.previous_row == 0 and not ws.table)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _first_cell(cells: list) -> int | None | bool:
    """Position of the first cell xlsxwriter writes (not None or ""), None when there
    is none, False when a cell is not one :func:`_stream_rows` covers. Checked a type
    and a column at a time, not cell by cell."""
    kinds = set(map(type, cells))
    if any(not issubclass(k, int | float) or issubclass(k, bool | np.bool_)
           for k in kinds - _PLAIN):  # np.float64 is a float; np.bool_, np.int64 are not
        return False
    if str in kinds:
        texts = [v for v in cells if v.__class__ is str]
        joined = "\n".join(texts)  # "\n" is neither odd nor part of an escape
        if (_ODD_TEXT.search(joined) is not None or max(map(len, texts)) > MAX_INLINE
                or ("<r>" in joined and any(t.startswith("<r>") and t.endswith("</r>")
                                            for t in texts))):
            return False
    return next((i for i, v in enumerate(cells) if v is not None and v != ""), None)


def _text_cell(ref: str, style: str, text: str) -> str:
    if _XML_SPECIAL.search(text) is not None:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if _EDGE_SPACE.search(text) is not None else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _number_cell(ref: str, style: str, v) -> str:
    if math.isfinite(v):
        return f'<c r="{ref}"{style}><v>{v:.16G}</v></c>'
    formula, result = _ERRORS[str(float(v))]
    return f'<c r="{ref}"{style} t="e"><f>{formula}</f><v>{result}</v></c>'


def _render(cells: list, letter: str, first_row: int, style: str) -> list[str]:
    """The ``<c>`` elements of a column's cells from Excel row ``first_row`` on ("" for
    a blank); the cells have passed :func:`_first_cell`."""
    rows = range(first_row, first_row + len(cells))
    kinds = set(map(type, cells))
    if kinds <= {float, int, type(None)}:  # numbers: the common case, inline
        finite = math.isfinite
        return ["" if v is None else f'<c r="{letter}{r}"{style}><v>{v:.16G}</v></c>'
                if finite(v) else _number_cell(f"{letter}{r}", style, v)
                for r, v in zip(rows, cells, strict=True)]
    if kinds <= {str, type(None)}:
        return [_text_cell(f"{letter}{r}", style, v) if v else ""
                for r, v in zip(rows, cells, strict=True)]
    out = []
    for r, v in zip(rows, cells, strict=True):
        cls = v.__class__
        if v is None or (cls is str and not v):
            out.append("")
        elif cls is str:
            out.append(_text_cell(f"{letter}{r}", style, v))
        elif cls is bool:
            out.append(f'<c r="{letter}{r}"{style} t="b"><v>{int(v)}</v></c>')
        else:
            out.append(_number_cell(f"{letter}{r}", style, v))
    return out
