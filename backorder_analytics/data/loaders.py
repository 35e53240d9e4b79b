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
:mod:`backorder_analytics.data.schemas`; values are then validated once (see
:mod:`backorder_analytics.data.validation`). Text files are read as text, so ``"00123"``
stays ``"00123"``. With ``errors="raise"`` (the default) a :class:`DataError` names the
file, the column, the first offending rows, what was expected and the fix; with
``errors="report"`` the loader returns ``(valid_rows, rejected_rows)``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..exceptions import DataError
from ..streams import sku_key
from .dataset import (
    REJECTED_COLUMNS,
    Dataset,
    end_of_day_if_date,
    latest_date,
    to_timestamp,
)
from .formats import PARTITION_COLUMN, SUPPORTED, read_raw, release_unused_memory
from .problems import Source, format_problems, raise_or_split
from .schemas import INVENTORY, ITEMS, ORDERS, PURCHASE_ORDERS, SCHEMAS, SHIPMENTS, TableSchema
from .validation import dataset_problems, validate_table

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

METADATA_FILE = "dataset.json"


class Loaded(NamedTuple):
    """What a loader returns with ``errors="report"``: the valid rows and the rejected."""

    table: pd.DataFrame
    rejected: pd.DataFrame


def _rename(raw: pd.DataFrame, column_map: Mapping[str, str] | None, source: Source,
            schema: TableSchema, strict: bool = True) -> pd.DataFrame:
    """Apply ``column_map``. With ``strict=False`` (one map shared by several tables)
    entries for columns this table lacks, or for another table's columns, are skipped."""
    raw = _renamed(raw, lambda c: str(c).replace("\ufeff", "").strip())
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
    targets = list(column_map.values())
    twice = sorted({v for v in targets if targets.count(v) > 1})
    if twice:
        sources = [k for k, v in column_map.items() if v == twice[0]]
        raise DataError(f"{source.name}: column_map sends {', '.join(map(repr, sources))} "
                        f"all to {twice[0]!r}. Expected one column of yours per canonical "
                        f"column. Fix: keep one of them in column_map (the {schema.name} "
                        "table can hold only one).")
    clash = [v for v in column_map.values() if v in raw.columns and v not in column_map]
    if clash:
        # the canonical name is already taken by another column: keep the user's choice
        raw = _renamed(raw, {c: f"{c}_original" for c in clash}.get)
    return _renamed(raw, dict(column_map).get)


def _renamed(frame: pd.DataFrame, new_name: Callable[[Any], Any]) -> pd.DataFrame:
    """``frame`` with each column called ``new_name(column)`` (kept when that is None),
    sharing its data (``rename`` copies every column under pandas 2)."""
    out = frame.copy(deep=False)
    out.columns = [c if (new := new_name(c)) is None else new for c in frame.columns]
    return out


def _load(schema: TableSchema, source: Any, *, column_map=None, as_of=None, date_format=None,
          dayfirst=False, thousands=None, encoding=None, sheet_name=0, query=None,
          strict_map=True):
    """Read, rename and validate; return the clean table, problems, raw values, Source."""
    raw, where = read_raw(source, encoding=encoding, sheet_name=sheet_name, query=query)
    return _check(schema, raw, where, column_map=column_map, as_of=as_of,
                  date_format=date_format, dayfirst=dayfirst, thousands=thousands,
                  strict_map=strict_map)


def _check(schema: TableSchema, raw: pd.DataFrame, where: Source, *, column_map=None,
           as_of=None, date_format=None, dayfirst=False, thousands=None, strict_map=True,
           allow_empty=False):
    """Rename and validate a table as read; return clean table, problems, raw, Source.
    A table with a header and no rows is refused unless ``allow_empty``."""
    raw = _rename(raw, column_map, where, schema, strict=strict_map)
    if raw.empty and not allow_empty:
        first = "line 2" if where.row_word == "line" else f"{where.row_word} {where.row(0)}"
        raise DataError(
            f"{where.name}: the {schema.name} table has a header but no rows (nothing on "
            f"{first}). Expected at least one row with columns {', '.join(schema.required)}. "
            "Fix: check that the right file, sheet or query was used.",
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

# ----------------------------------------------------------------------------- datasets


def _find_table_file(directory: Path, table: str) -> Path | None:
    if (directory / table).is_dir():  # partitioned by SKU hash
        return directory / table
    for suffix in SUPPORTED:
        candidate = directory / f"{table}{suffix}"
        if candidate.exists():
            return candidate
    return None


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
    partitions: Sequence[int] | None = None,
    **options: Any,
) -> Dataset:
    """Read and validate a whole dataset: orders, purchase orders, inventory (+ items,
    shipments).

    Parameters
    ----------
    path : str or path, optional
        A folder holding ``orders.csv`` and, when there are, ``purchase_orders.csv``,
        ``inventory.csv``, ``items.csv`` and ``shipments.csv`` (any supported
        format), and optionally ``dataset.json`` with ``{"as_of": "YYYY-MM-DD"}``.
        Orders alone are sales-only data: forecasts and safety stock, no backorder
        history (:attr:`Dataset.sales_only`).
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
    partitions : sequence of int, optional
        For a folder written with ``write_dataset(..., partition_by="sku_hash")``:
        read only these partitions of the SKUs (the other files are not opened), e.g.
        one partition per worker of a distributed run. Default: all.
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
                                    "orders.csv (and purchase_orders.csv, inventory.csv "
                                    "when there are).")
        for name in given:
            if given[name] is None:
                given[name] = _find_table_file(directory, name)
        meta = directory / METADATA_FILE
        if as_of is None and meta.exists():
            as_of = json.loads(meta.read_text()).get("as_of")
    if given["orders"] is None:
        place = f" in {directory}" if directory is not None else ""
        raise DataError(f"read_dataset needs orders; found no orders file{place}. Fix: pass "
                        "orders=<file, DataFrame or database> or put orders.csv in the "
                        "folder.")
    if errors not in ("raise", "report"):
        raise ValueError(f"The 'errors' parameter must be one of {{'raise', 'report'}}. "
                         f"Got {errors!r} instead.")
    per_table = bool(column_map and all(k in SCHEMAS for k in column_map))
    queries = options.pop("query", None)
    encoding, sheet_name = options.pop("encoding", None), options.pop("sheet_name", 0)
    read = {}
    for name, source in given.items():
        if source is not None:
            query = queries.get(name) if isinstance(queries, Mapping) else queries
            read[name] = read_raw(source, encoding=encoding, sheet_name=sheet_name,
                                   query=query, partitions=partitions)
    if column_map and not per_table:
        _check_shared_map(column_map, read)
    tables, problems, raws, sources = {}, [], {}, {}
    for name, (raw, where) in read.items():
        cmap = (column_map or {}).get(name) if per_table else column_map
        tables[name], found, raws[name], sources[name] = _check(
            SCHEMAS[name], raw, where, column_map=cmap, strict_map=per_table,
            allow_empty=name != "orders" or partitions is not None, **options)
        problems.append(found)
    as_of = to_timestamp(as_of) if as_of is not None else None
    problems.append(dataset_problems(
        {n: t.drop(index=p["_pos"], errors="ignore") if len(p) else t  # no needless copy
         for (n, t), p in zip(tables.items(), problems, strict=True)}, sources, as_of))
    problems = [p for p in problems if len(p)]
    all_problems = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame()
    if len(all_problems) and errors == "raise":
        raise DataError(
            format_problems(all_problems, {s.name: s.row_word for s in sources.values()}),
            all_problems.drop(columns="_pos"))
    rejected_parts = []
    for name in tables:
        mine = all_problems[all_problems["table"] == name] if len(all_problems) else \
            all_problems
        tables[name], rej = raise_or_split(tables[name], mine, raws[name], sources[name],
                                           "report")
        tables[name] = tables[name].copy(deep=False)  # (reset_index copies the data)
        tables[name].index = pd.RangeIndex(len(tables[name]))
        if len(rej):
            rejected_parts.append(rej)
    rejected = pd.concat(rejected_parts, ignore_index=True) if rejected_parts else \
        pd.DataFrame(columns=REJECTED_COLUMNS)
    if as_of is None:
        as_of = latest_date(tables)
    ds = Dataset(orders=tables["orders"], purchase_orders=tables.get("purchase_orders"),
                 inventory=tables.get("inventory"), items=tables.get("items"),
                 shipments=tables.get("shipments"), as_of=as_of, rejected=rejected)
    release_unused_memory()
    return ds


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


def _date_text(when: pd.Timestamp) -> str:
    """``YYYY-MM-DD`` for the end of a day (how a date ``as_of`` is read back), else the
    timestamp in ISO format."""
    if when == end_of_day_if_date(when.normalize()):
        return when.strftime("%Y-%m-%d")
    return when.isoformat()


def write_dataset(ds: Dataset, directory: str | os.PathLike, format: str = "csv",
                  partition_by: str | None = None, n_partitions: int = 16) -> Path:
    """Write a dataset's tables to a folder that :func:`read_dataset` reads back.

    Parameters
    ----------
    ds : Dataset
    directory : str or path
        Created if missing. Holds ``<table>.csv`` (or ``.parquet``) per table and
        ``dataset.json`` with ``as_of``.
    format : {"csv", "parquet"}
    partition_by : {"sku_hash"}, optional
        Write each table as a Parquet dataset, ``<table>/sku_hash=<k>/*.parquet``, one
        folder per partition of the SKUs (CRC-32 of the SKU modulo ``n_partitions``,
        the partitions of a distributed run): ``read_dataset(folder, partitions=[k])``
        reads one of them without opening the others. Implies ``format="parquet"``.
    n_partitions : int, default 16

    Returns
    -------
    pathlib.Path
        The folder.
    """
    if format not in ("csv", "parquet"):
        raise ValueError(f"The 'format' parameter must be one of {{'csv', 'parquet'}}. "
                         f"Got {format!r} instead.")
    if partition_by not in (None, PARTITION_COLUMN):
        raise ValueError(f"The 'partition_by' parameter must be {PARTITION_COLUMN!r} or "
                         f"None. Got {partition_by!r} instead.")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {"as_of": _date_text(ds.as_of)}
    for name, table in ds.tables().items():
        if partition_by is not None:
            _write_partitioned(table, directory / name, n_partitions)
        elif format == "csv":
            table.to_csv(directory / f"{name}.csv", index=False)
        else:
            table.to_parquet(directory / f"{name}.parquet", index=False)
    if partition_by is not None:
        meta.update(partition_by=partition_by, n_partitions=int(n_partitions))
    (directory / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    return directory


def _write_partitioned(table: pd.DataFrame, folder: Path, n_partitions: int) -> None:
    """``table`` as a Parquet dataset partitioned by SKU hash (replacing ``folder``)."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    if folder.exists():
        shutil.rmtree(folder)
    skus = table["sku"].astype(object)
    codes, uniques = pd.factorize(skus)
    hashes = np.array([sku_key(s) % int(n_partitions) for s in uniques], dtype=np.int64)
    part = hashes[codes] if len(uniques) else np.zeros(len(table), np.int64)
    # each partition's rows together, in their order: Arrow writes a row group per
    # partition and batch, so unsorted rows give row groups of batch / n_partitions
    # rows, and a read slowed by their number (quadratic in the SKUs)
    order = np.argsort(part, kind="stable")
    frame = table.iloc[order].assign(**{PARTITION_COLUMN: part[order]})
    pq.write_to_dataset(pa.Table.from_pandas(frame, preserve_index=False), folder,
                        partition_cols=[PARTITION_COLUMN])
    if not len(table):  # an empty table still has its folder and columns
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(table, preserve_index=False),
                       folder / "empty.parquet")
