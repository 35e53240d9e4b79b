"""Loaders: ``read_orders``, ``read_purchase_orders``, ``read_inventory``, ``read_items``,
``read_shipments`` and ``read_dataset``; ``write_dataset`` for the way back.

Each loader takes

- a path: CSV (``.csv``, ``.txt``, gzipped ``.csv.gz``; UTF-8 with or without a
  byte-order mark unless ``encoding`` says otherwise), Parquet (``.parquet``, ``.pq``)
  or Excel (``.xlsx``, ``.xlsm``);
- a pandas DataFrame;
- SQL: a SQLAlchemy URL (``"postgresql+psycopg://user@host/db"``, ``"sqlite:///f.db"``),
  engine or connection, with ``query=`` holding a table name or a SELECT statement.

``column_map`` renames the user's columns to the canonical names of
:mod:`backorder_analytics.schemas`; values are then validated once (see
:mod:`backorder_analytics.validation`). Text files are read as text, so ``"00123"``
stays ``"00123"``. With ``errors="raise"`` (the default) a :class:`DataError` names the
file, the column, the first offending rows, what was expected and the fix; with
``errors="report"`` the loader returns ``(valid_rows, rejected_rows)``.
"""

from __future__ import annotations

import codecs
import gzip
import io as _io
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from .dataset import REJECTED_COLUMNS, Dataset
from .exceptions import DataError
from .schemas import INVENTORY, ITEMS, ORDERS, PURCHASE_ORDERS, SCHEMAS, SHIPMENTS, TableSchema
from .validation import Source, format_problems, raise_or_split, validate_table

__all__ = [
    "Loaded",
    "read_orders",
    "read_purchase_orders",
    "read_inventory",
    "read_items",
    "read_shipments",
    "read_dataset",
    "write_dataset",
]

TEXT_SUFFIXES = (".csv", ".txt", ".csv.gz", ".txt.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SUPPORTED = TEXT_SUFFIXES + PARQUET_SUFFIXES + EXCEL_SUFFIXES
METADATA_FILE = "dataset.json"


class Loaded(NamedTuple):
    """What a loader returns with ``errors="report"``: the valid rows and the rejected."""

    table: pd.DataFrame
    rejected: pd.DataFrame


# ------------------------------------------------------------------------ raw reading


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


def _read_text(path: Path, encoding: str | None) -> pd.DataFrame:
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        data = gzip.decompress(data)
    text = _decode(data, path, encoding)
    if not text.strip():
        raise DataError(f"{path}: the file is empty. Expected a header line naming the "
                        "columns, then one line per row. Fix: check that the right file "
                        "was exported.")
    header = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    sep = "\t" if header.count("\t") > header.count(",") else ","
    try:
        return pd.read_csv(_io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                           na_values=[""], skip_blank_lines=False)
    except pd.errors.ParserError as err:
        raise _malformed(path, str(err)) from None


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
    where = f"line {line}" if line is not None else "the file"
    return DataError(
        f"{path}: {where} {problem}. Expected a well-formed CSV file, with as many fields "
        f"on every line as the header has. Fix: {fix}.",
        pd.DataFrame({"table": [None], "source": [str(path)], "row": [line],
                      "column": [None], "value": [None], "problem": [problem],
                      "fix": [fix]}),
    )


def _read_sql(con: Any, query: str | None) -> tuple[pd.DataFrame, str]:
    import sqlalchemy as sa

    if not query:
        raise ValueError("Reading from a database needs query=: a table name or a SELECT "
                         "statement, e.g. read_orders(url, query='orders').")
    engine = sa.create_engine(con) if isinstance(con, str) else con
    url = getattr(engine, "url", None) or getattr(getattr(engine, "engine", None), "url", "")
    where = url.render_as_string(hide_password=True) if hasattr(url, "render_as_string") \
        else str(url)
    is_table = query.replace("_", "").replace(".", "").isalnum()
    if is_table:
        schema_name, _, table_name = query.rpartition(".")
        statement = sa.select(sa.text("*")).select_from(
            sa.table(table_name, schema=schema_name or None))
    else:
        statement = sa.text(query)
    try:
        if isinstance(engine, sa.engine.Engine):
            with engine.connect() as connection:
                frame = pd.read_sql(statement, connection)
        else:
            frame = pd.read_sql(statement, engine)
    except sa.exc.SQLAlchemyError as err:
        raise DataError(f"{where}: could not read {query!r}: {err.__class__.__name__}: "
                        f"{str(err).splitlines()[0]}. Fix: check the table name or query "
                        "and the connection.") from None
    label = f"table {query}" if is_table else "query"
    return frame, f"{where} ({label})"


def _read_raw(source: Any, *, encoding: str | None, sheet_name: str | int,
              query: str | None) -> tuple[pd.DataFrame, Source]:
    """Read a source as it is: no renaming, no parsing beyond the file format."""
    if isinstance(source, pd.DataFrame):
        return source.copy(), Source("<DataFrame>", 0, "position")
    if isinstance(source, str) and "://" in source or not isinstance(source, str | os.PathLike):
        frame, where = _read_sql(source, query)
        return frame, Source(where, 0, "position")
    path = Path(source)
    suffix = _suffix(path)
    if suffix not in SUPPORTED:
        raise DataError(f"{path}: cannot read files of type {suffix or '(no suffix)'!r}. "
                        f"Expected one of {', '.join(SUPPORTED)}. Fix: export the data as "
                        "CSV, Parquet or Excel, or read it yourself and pass a DataFrame.")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file (looked in {path.resolve().parent}).")
    if suffix in TEXT_SUFFIXES:
        return _read_text(path, encoding), Source(str(path), 2, "line")
    if suffix in PARQUET_SUFFIXES:
        return pd.read_parquet(path), Source(str(path), 0, "position")
    frame = pd.read_excel(path, sheet_name=sheet_name, dtype=object)
    return frame, Source(f"{path} (sheet {sheet_name!r})", 2, "row")


def _rename(raw: pd.DataFrame, column_map: Mapping[str, str] | None, source: Source,
            schema: TableSchema, strict: bool = True) -> pd.DataFrame:
    """Apply ``column_map``. With ``strict=False`` (one map shared by several tables)
    entries for columns this table lacks, or for another table's columns, are skipped."""
    raw = raw.rename(columns=lambda c: str(c).replace("\ufeff", "").strip())
    if not column_map:
        return raw
    if not strict:
        column_map = {k: v for k, v in column_map.items()
                      if k in raw.columns and schema.column(v) is not None}
    unknown = [k for k in column_map if k not in raw.columns]
    if unknown:
        raise DataError(f"{source.name}: column_map names {', '.join(map(repr, unknown))}, "
                        f"which the {schema.name} table does not have. Found: "
                        f"{', '.join(map(repr, raw.columns))}. Fix: correct the column_map "
                        "keys (your column names) and values (canonical names).")
    not_canonical = [v for v in column_map.values() if schema.column(v) is None]
    if not_canonical:
        raise DataError(f"column_map maps onto {', '.join(map(repr, not_canonical))}, which "
                        f"is not a column of the {schema.name} table. Expected one of: "
                        f"{', '.join(schema.names)}.")
    clash = [v for v in column_map.values() if v in raw.columns and v not in column_map]
    if clash:
        # the canonical name is already taken by another column: keep the user's choice
        raw = raw.rename(columns={c: f"{c}_original" for c in clash})
    return raw.rename(columns=dict(column_map))


def _load(schema: TableSchema, source: Any, *, column_map=None, as_of=None, date_format=None,
          dayfirst=False, thousands=None, encoding=None, sheet_name=0, query=None,
          strict_map=True):
    """Read, rename and validate; return the clean table, problems, raw values, Source."""
    raw, where = _read_raw(source, encoding=encoding, sheet_name=sheet_name, query=query)
    return _check(schema, raw, where, column_map=column_map, as_of=as_of,
                  date_format=date_format, dayfirst=dayfirst, thousands=thousands,
                  strict_map=strict_map)


def _check(schema: TableSchema, raw: pd.DataFrame, where: Source, *, column_map=None,
           as_of=None, date_format=None, dayfirst=False, thousands=None, strict_map=True):
    """Rename and validate a table as read; return clean table, problems, raw, Source."""
    raw = _rename(raw, column_map, where, schema, strict=strict_map)
    if raw.empty:
        first = "line 2" if where.row_word == "line" else f"{where.row_word} {where.row(0)}"
        raise DataError(
            f"{where.name}: the {schema.name} table has a header but no rows (nothing on "
            f"{first}). Expected at least one row with columns {', '.join(schema.required)}. "
            "Fix: check that the right file or query was used.",
            pd.DataFrame({"table": [schema.name], "source": [where.name],
                          "row": [where.row(0)], "column": [None], "value": [None],
                          "problem": ["no rows"], "fix": ["check the file"]}),
        )
    clean, problems = validate_table(raw, schema, where, as_of=as_of, date_format=date_format,
                                     dayfirst=dayfirst, thousands=thousands)
    return clean, problems, raw, where


def _read(schema: TableSchema, source: Any, *, column_map=None, errors="raise", as_of=None,
          date_format=None, dayfirst=False, thousands=None, encoding=None, sheet_name=0,
          query=None):
    clean, problems, raw, where = _load(
        schema, source, column_map=column_map, as_of=as_of, date_format=date_format,
        dayfirst=dayfirst, thousands=thousands, encoding=encoding, sheet_name=sheet_name,
        query=query)
    valid, rejected = raise_or_split(clean, problems, raw, where, errors)
    valid = valid.reset_index(drop=True)
    return valid if errors == "raise" else Loaded(valid, rejected)


_READER_DOC = """Read {what} into the canonical ``{table}`` table.

    Required columns: {required}. Optional: {optional}.

    Parameters
    ----------
    source : str, path, pandas.DataFrame, SQLAlchemy URL / engine / connection
        A CSV (optionally gzipped), Parquet or Excel file, a DataFrame, or a database.
    column_map : dict, optional
        ``{{"your column": "canonical name"}}``, e.g. ``{{"Item": "sku"}}``.
    errors : {{"raise", "report"}}
        ``"raise"`` (default): raise :class:`DataError` on any problem.
        ``"report"``: return ``Loaded(table, rejected)`` where ``rejected`` holds every
        offending row with its ``row`` number and ``reason``.
    as_of : date-like, optional
        "Today": {past} after it are problems.
    date_format : str or dict, optional
        ``strftime`` format of the dates, e.g. ``"%d/%m/%Y"``, or one per column,
        ``{{"order_date": "%m/%d/%y", "received_date": "%d-%b-%y"}}``. When omitted, each
        date column's format is inferred from its first values and rows in another format
        are reported (mixed formats are never guessed row by row).
    dayfirst : bool, default False
        Read ambiguous dates such as ``03/04/2024`` as day/month/year.
    thousands : str, optional
        Thousands separator in numbers, e.g. ``","`` for ``1,200``.
    encoding : str, optional
        Text encoding of a CSV file; default UTF-8 (a byte-order mark is skipped).
    sheet_name : str or int, default 0
        Excel sheet.
    query : str, optional
        For databases: a table name or a SELECT statement.

    Returns
    -------
    pandas.DataFrame, or Loaded(table, rejected) with ``errors="report"``.

    Raises
    ------
    DataError
        Naming the source, column and rows, what was expected, what was found and the fix;
        ``.problems`` lists every problem.

    Examples
    --------
    >>> import pandas as pd, backorder_analytics as ba
    >>> raw = pd.DataFrame({{{example}}})
    >>> ba.{name}(raw, column_map={column_map}).dtypes.to_dict()  # doctest: +ELLIPSIS
    {{...}}
    """


def _make_reader(schema: TableSchema, name: str, what: str, example: str, column_map: str):
    def reader(source: Any, *, column_map: Mapping[str, str] | None = None,
               errors: str = "raise", as_of: Any = None,
               date_format: str | Mapping[str, str] | None = None,
               dayfirst: bool = False, thousands: str | None = None,
               encoding: str | None = None, sheet_name: str | int = 0,
               query: str | None = None) -> pd.DataFrame | Loaded:
        return _read(schema, source, column_map=column_map, errors=errors, as_of=as_of,
                     date_format=date_format, dayfirst=dayfirst, thousands=thousands,
                     encoding=encoding, sheet_name=sheet_name, query=query)

    reader.__name__ = reader.__qualname__ = name
    reader.__doc__ = _READER_DOC.format(
        what=what, table=schema.name, required=", ".join(schema.required),
        optional=", ".join(c for c in schema.names if c not in schema.required),
        past=", ".join(schema.past_dates) or "no dates", name=name, example=example,
        column_map=column_map)
    return reader


read_orders = _make_reader(
    ORDERS, "read_orders", "customer order lines",
    "'Order': ['SO1'], 'Item': ['00123'], 'Qty': ['2'], 'Date': ['2024-03-01']",
    "{'Order': 'order_id', 'Item': 'sku', 'Qty': 'quantity', 'Date': 'order_date'}")
read_purchase_orders = _make_reader(
    PURCHASE_ORDERS, "read_purchase_orders", "purchase-order lines (replenishment)",
    "'po_id': ['PO1'], 'sku': ['A'], 'quantity': [50], 'Sent': ['2024-03-01'], "
    "'received_date': ['2024-03-09']", "{'Sent': 'order_date'}")
read_inventory = _make_reader(
    INVENTORY, "read_inventory", "stock-on-hand snapshots",
    "'sku': ['A'], 'date': ['2024-03-01'], 'Stock': [12]", "{'Stock': 'on_hand'}")
read_items = _make_reader(
    ITEMS, "read_items", "the item master",
    "'Item': ['A'], 'unit_cost': [2.5]", "{'Item': 'sku'}")
read_shipments = _make_reader(
    SHIPMENTS, "read_shipments", "recorded shipments of order lines",
    "'order_id': ['SO1'], 'sku': ['A'], 'quantity': [2], 'Shipped': ['2024-03-02']",
    "{'Shipped': 'ship_date'}")

_READERS = {"orders": read_orders, "purchase_orders": read_purchase_orders,
            "inventory": read_inventory, "items": read_items, "shipments": read_shipments}


# ----------------------------------------------------------------------------- datasets


def _find_table_file(directory: Path, table: str) -> Path | None:
    for suffix in SUPPORTED:
        candidate = directory / f"{table}{suffix}"
        if candidate.exists():
            return candidate
    return None


def _latest_date(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    latest = []
    for name, table in tables.items():
        for col in SCHEMAS[name].columns:
            if col.kind == "date" and col.name in table and col.name != "expected_date":
                latest.append(table[col.name].max())
    latest = [d for d in latest if pd.notna(d)]
    return max(latest).normalize() if latest else pd.Timestamp.today().normalize()


def _cross_table_problems(tables: dict[str, pd.DataFrame], sources: dict[str, Source],
                          as_of: pd.Timestamp | None) -> pd.DataFrame:
    """Problems that need more than one table: unknown SKUs, over-shipped order lines,
    dates after ``as_of``."""
    from .validation import _check_rows, _finish_problems

    found = []
    if "items" in tables:
        known, known_from = set(tables["items"]["sku"]), "items"
    elif "inventory" in tables:
        known, known_from = set(tables["inventory"]["sku"]), "inventory"
    else:
        known, known_from = None, None
    for name, table in tables.items():
        pieces: list[pd.DataFrame] = []
        if as_of is not None:
            _check_rows(table, SCHEMAS[name], pieces, as_of)
            pieces = [p for p in pieces if p["problem"].str.startswith("after as_of").any()]
            pieces = [p[p["problem"].str.startswith("after as_of")] for p in pieces]
        if known is not None and name != known_from:
            unknown = ~table["sku"].isin(known)
            if unknown.any():
                from .validation import _problems
                pieces.append(_problems(
                    table.index[unknown.to_numpy()], "sku", table.loc[unknown, "sku"],
                    f"unknown SKU (not in the {known_from} table)",
                    f"add the SKU to the {known_from} table, or correct it here"))
        if name == "shipments" and "orders" in tables:
            line = ["order_id", "line_id"] if "line_id" in table and "line_id" in \
                tables["orders"] else ["order_id", "sku"]
            ordered = tables["orders"].groupby(line)["quantity"].sum()
            shipped = table.groupby(line)["quantity"].transform("sum")
            key = pd.MultiIndex.from_frame(table[line])
            limit = ordered.reindex(key).to_numpy()
            over = (pd.isna(limit) | (shipped.to_numpy() > limit))
            if over.any():
                from .validation import _problems
                pieces.append(_problems(
                    table.index[over], "quantity", table.loc[over, "quantity"],
                    "shipped more than the order line's quantity, or an order line "
                    "that is not in the orders table",
                    "check the shipments against the orders"))
        if pieces:
            found.append(_finish_problems(pd.concat(pieces, ignore_index=True), name,
                                          sources[name]))
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame()


def read_dataset(
    path: str | os.PathLike | None = None,
    *,
    orders: Any = None,
    purchase_orders: Any = None,
    inventory: Any = None,
    items: Any = None,
    shipments: Any = None,
    as_of: Any = None,
    column_map: Mapping[str, Any] | None = None,
    errors: str = "raise",
    **options: Any,
) -> Dataset:
    """Read and validate a whole dataset: orders, purchase orders, inventory (+ items,
    shipments).

    Parameters
    ----------
    path : str or path, optional
        A folder holding ``orders.csv``, ``purchase_orders.csv``, ``inventory.csv`` and
        optionally ``items.csv`` and ``shipments.csv`` (any supported format), and
        optionally ``dataset.json`` with ``{"as_of": "YYYY-MM-DD"}``.
    orders, purchase_orders, inventory, items, shipments : source, optional
        Each table's source (path, DataFrame or database); overrides the folder's file.
    as_of : date-like, optional
        "Today". Default: ``dataset.json``'s ``as_of``, else the latest date in the data.
    column_map : dict, optional
        One map for every table (``{"Item": "sku"}``) or one per table
        (``{"orders": {...}, "inventory": {...}}``).
    errors : {"raise", "report"}
        ``"raise"``: one :class:`DataError` listing the problems of every table.
        ``"report"``: load the valid rows; the others are in ``Dataset.rejected``.
    **options
        Passed to every ``read_*`` loader: ``date_format``, ``dayfirst``, ``thousands``,
        ``encoding``, ``sheet_name``, ``query`` (a per-table dict is accepted for
        ``query``).

    Returns
    -------
    Dataset

    Examples
    --------
    >>> import backorder_analytics as ba
    >>> ds = ba.read_dataset("data/")                      # doctest: +SKIP
    >>> ds.summary                                         # doctest: +SKIP
    """
    given = {"orders": orders, "purchase_orders": purchase_orders, "inventory": inventory,
             "items": items, "shipments": shipments}
    directory = Path(path) if path is not None else None
    if directory is not None:
        if not directory.is_dir():
            raise FileNotFoundError(f"{directory}: no such folder. Expected a folder with "
                                    "orders.csv, purchase_orders.csv and inventory.csv.")
        for name in given:
            if given[name] is None:
                given[name] = _find_table_file(directory, name)
        meta = directory / METADATA_FILE
        if as_of is None and meta.exists():
            as_of = json.loads(meta.read_text()).get("as_of")
    missing = [n for n in ("orders", "purchase_orders", "inventory") if given[n] is None]
    if missing:
        where = f" in {directory}" if directory is not None else ""
        raise DataError(f"read_dataset needs orders, purchase_orders and inventory; found no "
                        f"{', '.join(missing)}{where}. Fix: pass {missing[0]}=<file, "
                        "DataFrame or database> or put the file in the folder.")
    if errors not in ("raise", "report"):
        raise ValueError(f"The 'errors' parameter must be one of {{'raise', 'report'}}. "
                         f"Got {errors!r} instead.")
    per_table = bool(column_map) and all(k in SCHEMAS for k in column_map)
    queries = options.pop("query", None)
    encoding, sheet_name = options.pop("encoding", None), options.pop("sheet_name", 0)
    read = {}
    for name, source in given.items():
        if source is not None:
            query = queries.get(name) if isinstance(queries, Mapping) else queries
            read[name] = _read_raw(source, encoding=encoding, sheet_name=sheet_name,
                                   query=query)
    if column_map and not per_table:
        _check_shared_map(column_map, read)
    tables, problems, raws, sources = {}, [], {}, {}
    for name, (raw, where) in read.items():
        cmap = (column_map or {}).get(name) if per_table else column_map
        tables[name], found, raws[name], sources[name] = _check(
            SCHEMAS[name], raw, where, column_map=cmap, strict_map=per_table, **options)
        problems.append(found)
    as_of = pd.Timestamp(as_of) if as_of is not None else None
    problems.append(_cross_table_problems(
        {n: t.drop(index=p["_pos"], errors="ignore") for (n, t), p in
         zip(tables.items(), problems, strict=False)}, sources, as_of))
    problems = [p for p in problems if len(p)]
    all_problems = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame()
    if len(all_problems) and errors == "raise":
        raise DataError(_format_by_source(all_problems, sources),
                        all_problems.drop(columns="_pos"))
    rejected = []
    for name in tables:
        mine = all_problems[all_problems["table"] == name] if len(all_problems) else \
            all_problems
        tables[name], rej = raise_or_split(tables[name], mine, raws[name], sources[name],
                                           "report")
        tables[name] = tables[name].reset_index(drop=True)
        if len(rej):
            rejected.append(rej)
    rejected = pd.concat(rejected, ignore_index=True) if rejected else \
        pd.DataFrame(columns=REJECTED_COLUMNS)
    if as_of is None:
        as_of = _latest_date(tables)
    return Dataset(orders=tables["orders"], purchase_orders=tables["purchase_orders"],
                   inventory=tables["inventory"], items=tables.get("items"),
                   shipments=tables.get("shipments"), as_of=as_of, rejected=rejected)


def _check_shared_map(column_map: Mapping[str, str],
                      read: dict[str, tuple[pd.DataFrame, Source]]) -> None:
    """Raise DataError for keys of a map shared by all tables that no table has."""
    found = {name: [str(c).replace("\ufeff", "").strip() for c in raw.columns]
             for name, (raw, _) in read.items()}
    unused = [k for k in column_map if not any(k in cols for cols in found.values())]
    if unused:
        tables = "; ".join(f"{read[n][1].name} ({n}): {', '.join(map(repr, cols))}"
                           for n, cols in found.items())
        raise DataError(
            f"column_map names {', '.join(map(repr, unused))}, which none of the tables "
            f"has. Found: {tables}. Fix: correct the column_map keys (your column names), "
            "or give one map per table: column_map={'orders': {...}, 'inventory': {...}}.")


def _format_by_source(problems: pd.DataFrame, sources: dict[str, Source]) -> str:
    parts = [format_problems(group, sources[table].row_word).rsplit("\n", 1)[0]
             for table, group in problems.groupby("table", sort=False)]
    return "\n".join(parts) + ('\nTo load the valid rows and get the others back as a '
                               'table, pass errors="report"; DataError.problems lists every '
                               'problem.')


def _date_text(when: pd.Timestamp) -> str:
    """``YYYY-MM-DD``, with the time of day only when there is one."""
    return when.strftime("%Y-%m-%d") if when == when.normalize() else when.isoformat()


def write_dataset(ds: Dataset, directory: str | os.PathLike, format: str = "csv") -> Path:
    """Write a dataset's tables to a folder that :func:`read_dataset` reads back.

    Parameters
    ----------
    ds : Dataset
    directory : str or path
        Created if missing. Holds ``<table>.csv`` (or ``.parquet``) per table and
        ``dataset.json`` with ``as_of``.
    format : {"csv", "parquet"}

    Returns
    -------
    pathlib.Path
        The folder.
    """
    if format not in ("csv", "parquet"):
        raise ValueError(f"The 'format' parameter must be one of {{'csv', 'parquet'}}. "
                         f"Got {format!r} instead.")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in ds.tables().items():
        if format == "csv":
            table.to_csv(directory / f"{name}.csv", index=False)
        else:
            table.to_parquet(directory / f"{name}.parquet", index=False)
    (directory / METADATA_FILE).write_text(
        json.dumps({"as_of": _date_text(ds.as_of)}, indent=2) + "\n")
    return directory
