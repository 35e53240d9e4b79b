"""The :class:`Dataset`: the canonical tables of one business plus ``as_of``."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .schemas import SCHEMAS

__all__ = ["Dataset", "REJECTED_COLUMNS"]

REJECTED_COLUMNS = ["table", "source", "row", "reason"]
TABLES = ("orders", "purchase_orders", "inventory", "items", "shipments")


def _empty_rejected() -> pd.DataFrame:
    return pd.DataFrame(columns=REJECTED_COLUMNS)


@dataclass(repr=False)
class Dataset:
    """Order, purchase-order and inventory history, validated, with the date "today" is.

    Parameters
    ----------
    orders, purchase_orders, inventory : pandas.DataFrame
        Canonical tables (see :mod:`backorder_analytics.schemas`).
    as_of : pandas.Timestamp
        The date the data describes: POs without ``received_date`` are open at
        ``as_of``; order lines not yet shipped are open backorders.
    items, shipments : pandas.DataFrame, optional
        Item master and recorded shipments.
    rejected : pandas.DataFrame
        Rows set aside on load with ``errors="report"``: ``table``, ``source``,
        ``row``, ``reason`` and the row's original values. Empty when nothing was.
    truth : dict, optional
        Generating parameters, for synthetic data only (see
        :func:`backorder_analytics.example_dataset`).
    """

    orders: pd.DataFrame
    purchase_orders: pd.DataFrame
    inventory: pd.DataFrame
    as_of: pd.Timestamp
    items: pd.DataFrame | None = None
    shipments: pd.DataFrame | None = None
    rejected: pd.DataFrame = field(default_factory=_empty_rejected)
    truth: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.as_of = pd.Timestamp(self.as_of)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by canonical name."""
        return {name: getattr(self, name) for name in TABLES if getattr(self, name) is not None}

    @property
    def skus(self) -> pd.Index:
        """Every SKU that appears in any table, sorted."""
        found = pd.concat([t["sku"] for t in self.tables().values()], ignore_index=True)
        return pd.Index(sorted(found.unique()), name="sku")

    @property
    def open_purchase_orders(self) -> pd.DataFrame:
        """PO lines not received by ``as_of``."""
        po = self.purchase_orders
        if "received_date" not in po:
            return po
        return po[po["received_date"].isna() | (po["received_date"] > self.as_of)]

    @property
    def summary(self) -> pd.DataFrame:
        """One row per table: rows, SKUs, date range, rows rejected on load."""
        rows = []
        for name, table in self.tables().items():
            date_col = next((c.name for c in SCHEMAS[name].columns if c.kind == "date"), None)
            dates = table[date_col] if date_col else pd.Series([], dtype="datetime64[ns]")
            rejected = int((self.rejected["table"] == name).sum()) if len(self.rejected) else 0
            rows.append(
                {
                    "table": name,
                    "rows": len(table),
                    "skus": table["sku"].nunique(),
                    "first_date": dates.min(),
                    "last_date": dates.max(),
                    "rejected_rows": rejected,
                }
            )
        return pd.DataFrame(rows).set_index("table")

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}={len(t):,} rows" for n, t in self.tables().items())
        note = f", {len(self.rejected):,} rejected" if len(self.rejected) else ""
        return (
            f"Dataset(as_of={self.as_of.date()}, {len(self.skus):,} SKUs, {parts}{note})"
        )

    def _repr_html_(self) -> str:
        head = html.escape(repr(self))
        return f"<p><strong>{head}</strong></p>" + self.summary.to_html()
