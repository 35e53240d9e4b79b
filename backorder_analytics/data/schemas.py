"""The canonical tables: column names, kinds, required or optional, keys.

Every loader maps the user's columns onto these names and validates once, on entry
(see :mod:`backorder_analytics.data.validation`). Kinds:

``id``
    text identifier kept exactly as written (``"00123"`` is not ``"123"``); blank and
    whitespace-padded values are problems. Held as Arrow strings (:data:`TEXT`).
``count``
    whole number > 0 (quantities); ``int64`` when required, nullable ``Int64`` when
    optional (blank = unknown).
``stock``
    whole number >= 0 (units on hand), ``int64``.
``integer``
    whole number of any sign (priority; blank = 0), ``int64``.
``amount``
    real number >= 0 (prices, costs, stock on hand).
``date``
    calendar date or timestamp (``datetime64[ns]``).
``text``
    free text, kept as written (:data:`TEXT`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "TEXT",
    "Column",
    "TableSchema",
    "ORDERS",
    "SHIPMENTS",
    "PURCHASE_ORDERS",
    "INVENTORY",
    "ITEMS",
    "SCHEMAS",
    "conform",
]

EXPECTED = {
    "id": "a non-blank identifier without surrounding spaces",
    "count": "a whole number > 0",
    "stock": "a whole number >= 0",
    "amount": "a number >= 0",
    "integer": "a whole number",
    "date": "a date such as 2024-01-31",
    "text": "text",
}
KINDS = tuple(EXPECTED)

try:
    TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
except TypeError:  # pandas 2.2 names the same dtype "pyarrow_numpy"
    TEXT = pd.StringDtype("pyarrow_numpy")  # type: ignore[call-overload]
"""The dtype of ids and text: strings held by Arrow (about 4 bytes plus the text per
value, against some 60 for a Python string), missing values NaN, comparisons giving
plain booleans; pandas 3's default ``str`` dtype."""


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Parameters
    ----------
    name : str
        Canonical column name.
    kind : str
        One of ``"id"``, ``"count"``, ``"stock"``, ``"amount"``, ``"integer"``,
        ``"date"``, ``"text"``.
    required : bool
        Whether every table must have this column.
    description : str
        What the column means, with units.
    """

    name: str
    kind: str
    required: bool = False
    description: str = ""

    @property
    def expected(self) -> str:
        """What a valid value looks like, for messages."""
        return EXPECTED[self.kind]

    @property
    def dtype(self):
        """The pandas dtype of this column in a canonical table."""
        if self.kind == "count":
            return "int64" if self.required else "Int64"
        return {"id": TEXT, "text": TEXT, "stock": "int64", "integer": "int64",
                "amount": "float64", "date": "datetime64[ns]"}[self.kind]


@dataclass(frozen=True)
class TableSchema:
    """A canonical table: its columns and the columns that identify a row.

    ``key`` lists the columns whose combination must be unique; ``alt_key`` is used
    instead when all of its columns are present (e.g. ``order_id, line_id``).
    ``past_dates`` are dates that must not lie after ``as_of``.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    alt_key: tuple[str, ...] = ()
    past_dates: tuple[str, ...] = field(default=())

    @property
    def required(self) -> list[str]:
        """Names of the required columns."""
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        """Names of all canonical columns, required first."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column | None:
        """The column called ``name``, or None when the schema has no such column."""
        return next((c for c in self.columns if c.name == name), None)

    def key_for(self, present: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        """The unique key to check, given the columns present in a table."""
        if self.alt_key and all(c in present for c in self.alt_key):
            return self.alt_key
        return tuple(c for c in self.key if c in present)


ORDERS = TableSchema(
    name="orders",
    columns=(
        Column("order_id", "id", True, "customer order number"),
        Column("sku", "id", True, "stock-keeping unit ordered"),
        Column("quantity", "count", True, "units ordered on this line, whole number > 0"),
        Column("order_date", "date", True, "when the customer placed the order"),
        Column("line_id", "id", False, "line number within the order"),
        Column("customer_id", "id", False, "customer placing the order"),
        Column("priority", "integer", False,
               "allocation priority; lower is served first (default 0)"),
        Column("unit_price", "amount", False, "price per unit, currency"),
        Column("requested_date", "date", False, "date the customer asked for"),
        Column("cancel_date", "date", False, "when the customer cancelled (blank if never)"),
        Column("channel", "text", False, "sales channel"),
    ),
    key=("order_id", "sku"),
    alt_key=("order_id", "line_id"),
    past_dates=("order_date", "cancel_date"),
)

SHIPMENTS = TableSchema(
    name="shipments",
    columns=(
        Column("order_id", "id", True, "customer order number"),
        Column("sku", "id", True, "stock-keeping unit shipped"),
        Column("quantity", "count", True, "units shipped, whole number > 0"),
        Column("ship_date", "date", True, "when the units left the warehouse"),
        Column("line_id", "id", False, "line number within the order"),
    ),
    key=(),
    past_dates=("ship_date",),
)

PURCHASE_ORDERS = TableSchema(
    name="purchase_orders",
    columns=(
        Column("po_id", "id", True, "purchase-order number"),
        Column("sku", "id", True, "stock-keeping unit ordered from the supplier"),
        Column("quantity", "count", True, "units ordered, whole number > 0"),
        Column("order_date", "date", True, "when the PO was sent to the supplier"),
        Column("supplier_id", "id", False, "supplier"),
        Column("expected_date", "date", False, "delivery date promised by the supplier"),
        Column("received_date", "date", False, "when the goods arrived (blank while open)"),
        Column("received_quantity", "count", False, "units received"),
        Column("line_id", "id", False,
               "line or shipment within the PO (several lines of one SKU)"),
    ),
    key=("po_id", "sku"),
    alt_key=("po_id", "line_id"),
    past_dates=("order_date", "received_date"),
)

INVENTORY = TableSchema(
    name="inventory",
    columns=(
        Column("sku", "id", True, "stock-keeping unit"),
        Column("date", "date", True, "date of the stock count (start of day)"),
        Column("on_hand", "stock", True, "units physically in stock, whole number >= 0"),
    ),
    key=("sku", "date"),
    past_dates=("date",),
)

ITEMS = TableSchema(
    name="items",
    columns=(
        Column("sku", "id", True, "stock-keeping unit"),
        Column("description", "text", False, "item description"),
        Column("unit_cost", "amount", False, "cost per unit, currency"),
        Column("supplier_id", "id", False, "usual supplier"),
        Column("moq", "count", False, "minimum order quantity, units"),
        Column("pack_size", "count", False, "units per pack"),
        Column("lead_time_days", "amount", False,
               "lead time, days (used when no purchase order was received)"),
    ),
    key=("sku",),
)

def empty_table(schema: TableSchema) -> pd.DataFrame:
    """A table of ``schema`` with its required columns and no rows (a table the data
    does not have, e.g. the purchase orders of sales-only data)."""
    return conform(pd.DataFrame(columns=schema.required), schema)


def conform(frame: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """``frame`` with the canonical columns first, in schema order, cast to their dtypes;
    other columns follow unchanged. For tables built in code (validated ones already
    conform, and are returned as they are)."""
    canonical = [c for c in schema.columns if c.name in frame]
    order = [c.name for c in canonical] + [c for c in frame.columns if schema.column(c) is None]
    if order == list(frame.columns) and all(frame[c.name].dtype == c.dtype for c in canonical):
        return frame
    out = frame[order].copy()
    for c in canonical:
        out[c.name] = out[c.name].astype(c.dtype)
    return out


SCHEMAS: dict[str, TableSchema] = {
    s.name: s for s in (ORDERS, SHIPMENTS, PURCHASE_ORDERS, INVENTORY, ITEMS)
}
