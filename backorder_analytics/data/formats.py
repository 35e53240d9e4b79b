"""Reading a source as it is: CSV (plain, gzipped, tab- or semicolon-separated),
Parquet, Excel, SQL or a DataFrame, into a DataFrame of raw values plus a
:class:`~backorder_analytics.data.problems.Source` that says how its rows are numbered.

Text files are read as text (every cell a str), so ``"00123"`` stays ``"00123"`` and
parsing is left to :mod:`backorder_analytics.data.validation`. Problems with the file
itself (not text in its encoding, empty, lines with too many or too few fields, a
carriage return inside a line, an unclosed quote, a formula without its value, an
unsupported type) raise :class:`DataError` naming the file and the line.
"""

from __future__ import annotations

import codecs
import csv
import ctypes
import gzip
import io
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..exceptions import DataError
from .problems import Source
from .schemas import TEXT

__all__ = ["read_raw", "SUPPORTED", "release_unused_memory"]

TEXT_SUFFIXES = (".csv", ".txt", ".csv.gz", ".txt.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SUPPORTED = TEXT_SUFFIXES + PARQUET_SUFFIXES + EXCEL_SUFFIXES
SEPARATORS = (",", "\t", ";")


def release_unused_memory() -> None:
    """Give back to the system the memory the allocators keep for reuse.

    Arrow's allocator (mimalloc or jemalloc) holds on to freed blocks, which nothing
    else in the process can use: after reading a large dataset that is hundreds of MB
    (360 MB of 1.1 GB at 1.6M order lines). glibc's ``malloc`` keeps freed arrays
    below its mmap threshold (which grows to 32 MB as large arrays are freed) in its
    heap: after a replay of 1.6M order lines, 120 MB. Takes about 10 ms."""
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl,
    Windows)."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


_MALLOC_TRIM = _malloc_trim()


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return next((s for s in sorted(SUPPORTED, key=len, reverse=True) if name.endswith(s)),
                path.suffix.lower())


BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _line_of(data: bytes, position: int) -> int:
    """The 1-based line holding byte ``position``; ``\\n``, ``\\r\\n`` and ``\\r`` end lines."""
    head = data[:position]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def _decode(data: bytes, path: Path, encoding: str | None) -> str:
    if encoding is None:
        # UTF-8 unless a byte-order mark says UTF-16 or UTF-32 (Excel "Unicode text")
        encoding = next((enc for bom, enc in BOMS if data.startswith(bom)), None)
    try:
        return data.decode(encoding or "utf-8-sig")
    except LookupError:
        raise DataError(f"{path}: encoding={encoding!r} is not a text encoding Python "
                        "knows. Fix: pass a codec name such as 'utf-8', 'cp1252', "
                        "'latin-1' or 'utf-16'.") from None
    except UnicodeDecodeError as err:
        line = _line_of(data, err.start)
        raise DataError(
            f"{path}: byte {data[err.start:err.start + 1]!r} on line {line} is not valid "
            f"{encoding or 'UTF-8'} text. Expected a {encoding or 'UTF-8'} file. Fix: save "
            "the file as UTF-8, or pass the file's encoding, e.g. encoding='cp1252' "
            "(Windows Excel exports) or encoding='latin-1'.",
            pd.DataFrame({"table": [None], "source": [str(path)], "row": [line],
                          "column": [None], "value": [repr(data[err.start:err.start + 1])],
                          "problem": ["not valid text in the encoding"],
                          "fix": ["pass encoding=..."]}),
        ) from None


def _file_error(path: Path, line: int | None, problem: str, fix: str, value=None,
                expected: str = "a well-formed CSV file, with as many fields on every line "
                                "as the header has") -> DataError:
    """DataError for a problem with a text file itself, naming the line."""
    where = f"line {line}" if line is not None else "the file"
    return DataError(
        f"{path}: {where} {problem}. Expected {expected}. Fix: {fix}.",
        pd.DataFrame({"table": [None], "source": [str(path)], "row": [line],
                      "column": [None], "value": [value], "problem": [problem],
                      "fix": [fix]}),
    )


def _check_line_ends(text: str, path: Path) -> None:
    """Refuse a carriage return that does not end a line in a file whose lines end with
    ``\n``: parsers take it for a line end and split the row in two."""
    if "\n" not in text or "\r" not in text:
        return
    stray = re.search(r"\r(?!\n)", text)
    if stray:
        line = _line_of_text(text, stray.start())
        raise _file_error(
            path, line, "holds a carriage return (\\r) in the middle of the line, while "
            "the file's lines end with \\n; it would split the row in two",
            "remove the carriage return from the field in the source (an Excel cell with "
            "a line break, or a file joined from Mac and Windows exports)",
            repr(text[max(stray.start() - 20, 0):stray.start() + 20]),
            expected="every line to end the same way")


def _line_of_text(text: str, position: int) -> int:
    head = text[:position]
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1


def _record_layout(text: str, sep: str) -> tuple[np.ndarray, np.ndarray]:
    """For each record after the header: the line it starts on and its number of fields
    (0 for a blank line). A quoted field may span lines and hold the separator: a line
    end or a separator counts only after an even number of quotes (CSV doubles a quote
    inside a field, so the parity holds). Vectorised over the bytes."""
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    lf = data == ord("\n")
    line_end = lf | (data == ord("\r")) & ~np.append(lf[1:], False)
    if len(data) and not line_end[-1]:  # a last line without a line end
        data, line_end = np.append(data, np.uint8(ord("\n"))), np.append(line_end, True)
    physical = np.flatnonzero(line_end)
    is_end, is_sep = line_end.copy(), data == ord(sep)
    quote = data == ord('"')
    if quote.any():  # inside a quoted field: neither ends a record nor splits a field
        outside = ~np.bitwise_xor.accumulate(quote)  # even number of quotes so far
        is_end &= outside
        is_sep &= outside
    events = np.flatnonzero(is_end | is_sep)
    ends = np.flatnonzero(is_end[events])  # index of each record end among the events
    fields = np.diff(ends, prepend=-1)  # separators + 1
    starts = np.concatenate(([0], events[ends[:-1]] + 1))
    fields[events[ends] == starts] = 0  # a blank line
    lines = np.searchsorted(physical, starts) + 1  # physical line ends before, + 1
    return lines[1:], fields[1:]


def _check_fields(path: Path, lines: np.ndarray, fields: np.ndarray, header: int) -> None:
    """Refuse a record with fewer fields than the header (pandas would pad it silently)."""
    short = np.flatnonzero((fields > 0) & (fields < header))
    if short.size:
        line, found = int(lines[short[0]]), int(fields[short[0]])
        more = f" (and {short.size - 1:,} more lines)" if short.size > 1 else ""
        raise _file_error(
            path, line, f"has {found} field{'s' if found != 1 else ''}, but the header "
            f"(line 1) has {header}{more}",
            "add the missing fields (empty ones as an extra separator), or check that the "
            "line was not cut in two")


def _read_text(path: Path, encoding: str | None) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The table as text, and the line each row starts on when rows and lines differ."""
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        data = gzip.decompress(data)
    text = _decode(data, path, encoding)
    if not text.strip():
        raise DataError(f"{path}: the file is empty. Expected a header line naming the "
                        "columns, then one line per row. Fix: check that the right file "
                        "was exported.")
    nul = text.find("\x00")
    if nul >= 0:
        line = _line_of_text(text, nul)
        problem = "holds a NUL byte (\\x00), which would cut the field short"
        fix = ("remove the NUL bytes from the file (a binary file, or a text file "
               "in another encoding: pass encoding='utf-16' if it is one)")
        raise DataError(
            f"{path}: line {line} {problem}. Expected text. Fix: {fix}.",
            pd.DataFrame({"table": [None], "source": [str(path)], "row": [line],
                          "column": [None], "value": [repr(text[max(nul - 10, 0):nul + 10])],
                          "problem": [problem], "fix": [fix]}))
    header = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    sep = max(SEPARATORS, key=header.count)  # ties go to the comma
    names = [n.strip() for n in next(csv.reader([header], delimiter=sep))]
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        problem = f"names the column {twice[0]!r} twice"
        fix = "rename or remove one of them (only one can be used)"
        raise DataError(
            f"{path}: the header (line 1) {problem}. Expected each column once. Fix: {fix}.",
            pd.DataFrame({"table": [None], "source": [str(path)], "row": [1],
                          "column": [twice[0]], "value": [header[:200]], "problem": [problem],
                          "fix": [fix]}))
    _check_line_ends(text, path)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            na_values=[""], skip_blank_lines=False)
    except pd.errors.ParserError as err:
        raise _malformed(path, str(err)) from None
    if '"' not in text and text.count(sep) == (len(names) - 1) * (len(frame) + 1):
        return frame, None  # every line has all its fields, and lines are rows
    lines, fields = _record_layout(text, sep)
    _check_fields(path, lines, fields, len(names))
    if len(lines) != len(frame):  # a layout pandas read otherwise: keep plain numbering
        return frame, None
    return frame, (lines if np.any(lines != np.arange(2, len(lines) + 2)) else None)


def _malformed(path: Path, message: str) -> DataError:
    """DataError for a text file pandas cannot split into fields, naming the line."""
    ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    quote = re.search(r"EOF inside string starting at row (\d+)", message)
    if ragged:
        expected, line, found = (int(g) for g in ragged.groups())
        problem = f"has {found} fields, but the header (line 1) has {expected}"
        fix = ("quote fields that contain the separator, or remove the extra fields "
               "(or name the extra columns in the header)")
    elif quote:
        line = int(quote.group(1)) + 1  # pandas counts rows from 0, the header included
        problem = "opens a quote (\") that is never closed"
        fix = "close the quote, or remove the stray quote character"
    else:
        line, problem, fix = None, f"is not well-formed: {message.strip()}", \
            "check the file's format"
    return _file_error(path, line, problem, fix)


def _hide_password(con: Any) -> str:
    """A connection for messages, without its password."""
    text = con if isinstance(con, str) else repr(con)
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", text)


def _read_sql(con: Any, query: str | None) -> tuple[pd.DataFrame, str]:
    import sqlalchemy as sa

    if not query:
        raise DataError(f"{_hide_password(con)}: reading from a database needs query=: a "
                        "table name or a SELECT statement. Fix: pass it, e.g. "
                        "read_orders(url, query='orders').")
    engine = sa.create_engine(con) if isinstance(con, str) else con
    url = getattr(engine, "url", None) or getattr(getattr(engine, "engine", None), "url", "")
    render = getattr(url, "render_as_string", None)
    where = render(hide_password=True) if render is not None else str(url)
    is_table = query.replace("_", "").replace(".", "").isalnum()
    if is_table:
        schema_name, _, table_name = query.rpartition(".")
        statement: sa.Select[Any] | sa.TextClause = sa.select(sa.text("*")).select_from(
            sa.table(table_name, schema=schema_name or None))
    else:
        statement = sa.text(query)
    try:
        if isinstance(engine, sa.engine.Engine):
            with engine.connect() as connection:
                frame = pd.read_sql(statement, connection)
        else:
            frame = pd.read_sql(statement, engine)
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as err:  # (pandas 3 wraps)
        raise DataError(f"{where}: could not read {query!r}: {err.__class__.__name__}: "
                        f"{str(err).splitlines()[0]}. Fix: check the table name or query "
                        "and the connection.") from None
    label = f"table {query}" if is_table else "query"
    return frame, f"{where} ({label})"


def _read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file with its text columns as Arrow strings (:data:`TEXT`), never as
    Python objects: a tenth of the memory, and no conversion on the way in."""
    table = pq.read_table(path)
    text = {pa.string(): TEXT, pa.large_string(): TEXT}
    try:
        return table.to_pandas(types_mapper=text.get)
    except (pd.errors.OutOfBoundsDatetime, pa.ArrowInvalid):
        # a timestamp beyond pandas' range: as Python datetimes, which the checks report
        return table.to_pandas(types_mapper=text.get, timestamp_as_object=True)


PARTITION_COLUMN = "sku_hash"
"""Column of a Parquet dataset partitioned by SKU (``write_dataset(...,
partition_by="sku_hash")``): CRC-32 of the SKU modulo the number of partitions."""


def _read_parquet_dataset(path: Path, partitions) -> pd.DataFrame:
    """A folder of Parquet files partitioned by :data:`PARTITION_COLUMN`
    (``sku_hash=<k>/...``), only the ``partitions`` asked for (folders not read)."""
    import pyarrow.dataset as pads

    data = pads.dataset(path, format="parquet", partitioning="hive")
    keep = None
    if partitions is not None and PARTITION_COLUMN in data.schema.names:
        keep = pads.field(PARTITION_COLUMN).isin([int(k) for k in partitions])
    table = data.to_table(filter=keep)
    if PARTITION_COLUMN in table.column_names:
        table = table.drop_columns([PARTITION_COLUMN])
    text = {pa.string(): TEXT, pa.large_string(): TEXT}
    return table.to_pandas(types_mapper=text.get)


def read_raw(source: Any, *, encoding: str | None, sheet_name: str | int,
              query: str | None, partitions=None) -> tuple[pd.DataFrame, Source]:
    """Read a source as it is: no renaming, no parsing beyond the file format.
    ``partitions``: for a folder partitioned by SKU hash, the partitions to read."""
    if isinstance(source, pd.DataFrame):
        return source.copy(), Source("<DataFrame>", 0, "position")
    if not isinstance(source, str | os.PathLike) and hasattr(source, "to_pandas"):
        # a pyarrow Table or a polars DataFrame
        return source.to_pandas(), Source(f"<{type(source).__name__}>", 0, "position")
    if not isinstance(source, str | os.PathLike) and not hasattr(source, "connect") \
            and not hasattr(source, "execute"):
        raise DataError(f"cannot read a {type(source).__name__} ({source!r:.60}). Expected a "
                        "file path, a pandas DataFrame, an Arrow table, or a database URL, "
                        "engine or connection. Fix: pass one of those.")
    if isinstance(source, str) and "://" in source or not isinstance(source, str | os.PathLike):
        frame, where = _read_sql(source, query)
        return frame, Source(where, 0, "position")
    path = Path(source)
    if path.is_dir():  # a Parquet dataset written by partition
        return _read_parquet_dataset(path, partitions), Source(str(path), 0, "position")
    suffix = _suffix(path)
    if suffix not in SUPPORTED:
        raise DataError(f"{path}: cannot read files of type {suffix or '(no suffix)'!r}. "
                        f"Expected one of {', '.join(SUPPORTED)}. Fix: export the data as "
                        "CSV, Parquet or Excel, or read it yourself and pass a DataFrame.")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file (looked in {path.resolve().parent}).")
    if suffix in TEXT_SUFFIXES:
        frame, lines = _read_text(path, encoding)
        return frame, Source(str(path), 2, "line", lines)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path), Source(str(path), 0, "position")
    with pd.ExcelFile(path) as book:
        sheets = book.sheet_names
        try:
            frame = pd.read_excel(book, sheet_name=sheet_name, dtype=object)
        except (ValueError, IndexError) as err:
            if "not found" not in str(err) and "out of range" not in str(err):
                raise
            raise DataError(f"{path}: no sheet {sheet_name!r}. Expected one of "
                            f"{', '.join(map(repr, sheets))}. Fix: pass sheet_name= one "
                            "of them (a name, or its position from 0).") from None
    name = sheets[sheet_name] if isinstance(sheet_name, int) else sheet_name
    others = [s for s in sheets if s != name]
    also = f"; the workbook also has {', '.join(map(repr, others))}" if others else ""
    where = f"{path} (sheet {name!r}{also})"
    if frame.isna().to_numpy().any():
        _check_formulas(path, str(name), where, frame)
    return frame, Source(where, 2, "row")


def _check_formulas(path: Path, sheet: str, where: str, frame: pd.DataFrame) -> None:
    """Refuse formula cells saved without their computed value (files written by programs
    that do not calculate, e.g. openpyxl): read as blank, they would pass for missing."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        rows = book[sheet].iter_rows(min_row=2, max_row=len(frame) + 1, values_only=True)
        missing = frame.isna().to_numpy()
        for position, values in enumerate(rows):
            for column, value in enumerate(values[:frame.shape[1]]):
                if missing[position, column] and isinstance(value, str) \
                        and value.startswith("="):
                    problem = (f"holds the formula {value!r} in column {frame.columns[column]!r}"
                               " without its computed value (the file was written by a "
                               "program that does not calculate formulas)")
                    fix = ("open the file in Excel or LibreOffice and save it, or replace "
                           "the formulas by their values")
                    raise DataError(
                        f"{where}: row {position + 2} {problem}. Expected values. "
                        f"Fix: {fix}.",
                        pd.DataFrame({"table": [None], "source": [where],
                                      "row": [position + 2],
                                      "column": [str(frame.columns[column])],
                                      "value": [value], "problem": [problem],
                                      "fix": [fix]}))
    finally:
        book.close()


