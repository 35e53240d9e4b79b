"""The :class:`Dataset`: the canonical tables of one business plus ``as_of``."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .schemas import SCHEMAS, conform, empty_table

__all__ = ["Dataset", "REJECTED_COLUMNS", "end_of_day_if_date"]

REJECTED_COLUMNS = ["table", "source", "row", "reason"]
TABLES = ("orders", "purchase_orders", "inventory", "items", "shipments")


def to_timestamp(value: Any) -> pd.Timestamp:
    """``pd.Timestamp(value)`` without a time zone: one given is converted to UTC and
    dropped, as the loaders read dates that carry one (the data's dates carry none).

    >>> to_timestamp("2024-03-01T02:00:00+02:00")
    Timestamp('2024-03-01 00:00:00')
    """
    when = pd.Timestamp(value)
    if pd.notna(when) and when.tzinfo is not None:
        when = when.tz_convert("UTC").tz_localize(None)
    return when


def end_of_day_if_date(value: Any) -> pd.Timestamp:
    """A timestamp; a date without a time of day (midnight) means the end of that day.

    "As of 2025-12-30" means with everything that happened on 2025-12-30 known, as the
    loaders' checks read it (no date may lie after ``as_of``'s day).

    >>> end_of_day_if_date("2025-12-30"), end_of_day_if_date("2025-12-30 09:30")
    (Timestamp('2025-12-30 23:59:59.999999999'), Timestamp('2025-12-30 09:30:00'))
    """
    when = to_timestamp(value)
    if when == when.normalize():
        when = when + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return when


def latest_date(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """The latest date in the tables (expected dates excluded: they are plans), as a
    day; today when there is none."""
    latest = []
    for name, table in tables.items():
        for col in SCHEMAS[name].columns:
            if col.kind == "date" and col.name in table and col.name != "expected_date":
                latest.append(table[col.name].max())
    latest = [d for d in latest if pd.notna(d)]
    return max(latest).normalize() if latest else pd.Timestamp.today().normalize()


def _known_at(po: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    """PO lines ordered by ``when``, a receipt after it not yet made (a copy)."""
    po = po[(po["order_date"] <= when).to_numpy()].copy()
    if "received_date" in po:
        later = (po["received_date"] > when).to_numpy()
        if later.any():
            po.loc[later, "received_date"] = pd.NaT
            if "received_quantity" in po:
                if not pd.api.types.is_extension_array_dtype(po["received_quantity"]):
                    po["received_quantity"] = po["received_quantity"].astype("float64")
                po.loc[later, "received_quantity"] = pd.NA
    return po


def _empty_rejected() -> pd.DataFrame:
    return pd.DataFrame(columns=REJECTED_COLUMNS)


@dataclass(repr=False)
class Dataset:
    """Order, purchase-order and inventory history, validated, with the date "today" is.

    Parameters
    ----------
    orders : pandas.DataFrame
        Canonical order lines (see :mod:`backorder_analytics.data.schemas`): all a
        sales-only dataset has.
    purchase_orders, inventory : pandas.DataFrame, optional
        Canonical tables; default none (empty): sales-only data, for which the steps
        that need stock or supply say so (:class:`~backorder_analytics.MissingData`).
    as_of : pandas.Timestamp, optional
        The date the data describes: POs without ``received_date`` are open at
        ``as_of``; order lines not yet shipped are open backorders. Default: the
        latest date in the data.
    items, shipments : pandas.DataFrame, optional
        Item master and recorded shipments.
    rejected : pandas.DataFrame
        Rows set aside on load with ``errors="report"``: ``table``, ``source``,
        ``row``, ``reason`` and the row's original values. Empty when nothing was.
    truth : dict, optional
        Generating parameters, for synthetic data only (see
        :func:`backorder_analytics.example_dataset`).
    supplier_history : pandas.DataFrame, optional
        When the dataset holds a part of the business's SKUs (a partition of a
        distributed run): :meth:`supplier_history_frame` of the whole, so that what is
        learnt per supplier (its lateness) is learnt from all its POs; it may run
        past ``as_of`` (what is later is cut when read). Default: this dataset's own
        purchase orders.
    supplier_lateness : dict, optional
        Each supplier's lateness over every PO
        (:class:`~backorder_analytics.leadtime.lateness.SupplierLateness`) by the
        moment it is known at, computed already: a distributed run computes it once
        for the moments its steps ask and sends it with each partition. Default:
        computed from :meth:`supplier_history_at` when asked.
    """

    orders: pd.DataFrame
    # None, the default, is replaced in __post_init__ (an empty table, the latest date):
    # the attributes are never None, the constructor below accepts it
    purchase_orders: pd.DataFrame = None  # type: ignore[assignment]
    inventory: pd.DataFrame = None  # type: ignore[assignment]
    as_of: pd.Timestamp = None  # type: ignore[assignment]
    items: pd.DataFrame | None = None
    shipments: pd.DataFrame | None = None
    rejected: pd.DataFrame = field(default_factory=_empty_rejected)
    truth: dict[str, Any] | None = None
    supplier_history: pd.DataFrame | None = None
    supplier_lateness: dict[pd.Timestamp, Any] | None = None

    if TYPE_CHECKING:  # the signature of the generated __init__, as the parameters read
        def __init__(self, orders: pd.DataFrame, purchase_orders: pd.DataFrame | None = None,
                     inventory: pd.DataFrame | None = None, as_of: Any = None,
                     items: pd.DataFrame | None = None, shipments: pd.DataFrame | None = None,
                     rejected: pd.DataFrame = ..., truth: dict[str, Any] | None = None,
                     supplier_history: pd.DataFrame | None = None,
                     supplier_lateness: dict[pd.Timestamp, Any] | None = None
                     ) -> None: ...

    def __post_init__(self) -> None:
        for name in ("purchase_orders", "inventory"):
            if getattr(self, name) is None:
                setattr(self, name, empty_table(SCHEMAS[name]))
        if self.as_of is None:
            self.as_of = latest_date(self.tables())
        self.as_of = end_of_day_if_date(self.as_of)
        for name in TABLES:  # tables built in code get the canonical column order and dtypes
            table = getattr(self, name)
            if table is not None:
                setattr(self, name, conform(table, SCHEMAS[name]))

    def moment(self, value: Any = None, name: str = "as_of") -> pd.Timestamp:
        """The moment a date-like ``value`` names, for "as of" arguments.

        ``None`` is the data's own ``as_of``. A date without a time of day (midnight)
        means the end of that day, as the loaders read ``as_of``: what happened that
        day is known (capped at ``as_of``). A timestamp is taken as it is.

        Raises
        ------
        ValueError
            If ``value`` is not a date, or lies after ``as_of`` (the data says nothing
            about later moments); the message names the parameter ``name``.

        Examples
        --------
        >>> from backorder_analytics import example_dataset
        >>> ds = example_dataset(seed=0)
        >>> ds.moment("2025-06-30"), ds.moment("2025-12-30")
        (Timestamp('2025-06-30 23:59:59.999999999'), Timestamp('2025-12-30 23:59:59'))
        """
        if value is None:
            return self.as_of
        when: pd.Timestamp | None
        try:
            when = to_timestamp(value)
        except (TypeError, ValueError):
            when = None
        if when is None or pd.isna(when):
            raise ValueError(f"The '{name}' parameter must be a date or timestamp, e.g. "
                             f"'2025-06-30'. Got {value!r} instead.")
        if when > self.as_of:
            raise ValueError(f"The '{name}' parameter must be at or before as_of "
                             f"({self.as_of}): the data says nothing about later moments. "
                             f"Got {value!r} instead.")
        return min(end_of_day_if_date(when), self.as_of)

    def as_at(self, date: Any) -> Dataset:
        """The data as it was known at an earlier moment ``date``.

        What had happened by ``date`` is kept and what came later is removed or set
        back to "not yet": order lines ordered at or before ``date`` (a
        ``cancel_date`` after ``date`` becomes NaT); shipments with ``ship_date`` at or
        before ``date``; POs ordered at or before ``date`` (a ``received_date`` after
        ``date`` becomes NaT and its ``received_quantity`` missing, so the PO is open);
        stock counts dated at or before ``date``. ``items``, ``rejected`` and ``truth``
        are kept as they are; ``as_of`` becomes ``date``. Used to backtest anything
        computed "as of today" (e.g. :func:`backorder_analytics.planning.eta.eta_backtest`).

        Parameters
        ----------
        date : date-like
            The moment [timestamp]; at or before ``as_of``. A date without a time
            of day means the end of that day (see :meth:`moment`).

        Returns
        -------
        Dataset
            A new dataset; the tables are copies, ``self`` is unchanged.

        Raises
        ------
        ValueError
            If ``date`` is not a date or lies after ``as_of``.

        Examples
        --------
        >>> from backorder_analytics import example_dataset
        >>> ds = example_dataset(seed=0)
        >>> past = ds.as_at("2025-06-30")
        >>> past.as_of, bool((past.orders["order_date"] <= past.as_of).all())
        (Timestamp('2025-06-30 23:59:59.999999999'), True)
        >>> len(past.open_purchase_orders), len(ds.open_purchase_orders)
        (36, 30)
        """
        if date is None:
            raise ValueError("The 'date' parameter must be a date or timestamp, e.g. "
                             "'2025-06-30'. Got None instead.")
        when = self.moment(date, "date")

        def upto(table: pd.DataFrame, col: str) -> pd.DataFrame:
            return table[(table[col] <= when).to_numpy()].copy()

        orders = upto(self.orders, "order_date")
        if "cancel_date" in orders:
            orders.loc[orders["cancel_date"] > when, "cancel_date"] = pd.NaT
        po = self.purchase_orders_at(when)
        return Dataset(
            orders=orders,
            purchase_orders=po,
            inventory=upto(self.inventory, "date"),
            as_of=when,
            items=self.items,
            shipments=None if self.shipments is None else upto(self.shipments, "ship_date"),
            rejected=self.rejected,
            truth=self.truth,
            supplier_history=self.supplier_history,  # cut when read (as known at as_of)
            supplier_lateness=None if self.supplier_lateness is None  # the same, earlier
            else {m: v for m, v in self.supplier_lateness.items() if m <= when},
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by canonical name."""
        return {name: getattr(self, name) for name in TABLES if getattr(self, name) is not None}

    @property
    def sales_only(self) -> bool:
        """Whether the data is orders alone: no stock count and no purchase order, so
        no backorder history, stock position, ETA, risk or alert."""
        return self.inventory.empty and self.purchase_orders.empty

    @property
    def skus(self) -> pd.Index:
        """Every SKU that appears in any table, sorted."""
        found = set().union(*(t["sku"].dropna().unique() for t in self.tables().values()))
        return pd.Index(sorted(found), name="sku")

    @property
    def suppliers(self) -> pd.Series:
        """The supplier of each SKU (index ``sku``, every SKU of :attr:`skus`): its
        ``supplier_id`` in ``items``, else the one on most of its purchase orders;
        missing when neither says.

        >>> from backorder_analytics import example_dataset
        >>> example_dataset(seed=0).suppliers.head(2).to_dict()
        {'SKU-0001': 'SUP-A', 'SKU-0002': 'SUP-E'}
        """
        skus = self.skus
        out = pd.Series(None, index=skus, dtype=object, name="supplier_id")
        if self.items is not None and "supplier_id" in self.items:
            listed = self.items.dropna(subset=["supplier_id"]).drop_duplicates("sku")
            out = listed.set_index("sku")["supplier_id"].reindex(skus).astype(object)
        po = self.purchase_orders
        if "supplier_id" in po and out.isna().any():
            usual = po.dropna(subset=["supplier_id"]).groupby("sku")["supplier_id"].agg(
                lambda s: s.mode().iloc[0])
            out = out.where(out.notna(), usual.reindex(skus))
        return out.rename("supplier_id")

    @property
    def open_purchase_orders(self) -> pd.DataFrame:
        """PO lines not received by ``as_of`` (:meth:`purchase_orders_open_at`)."""
        return self.purchase_orders_open_at(self.as_of)

    def purchase_orders_at(self, moment: Any) -> pd.DataFrame:
        """The PO lines as known at ``moment``: those ordered by then, a receipt after it
        not yet made (``received_date`` NaT, ``received_quantity`` missing). A copy."""
        return _known_at(self.purchase_orders, self.moment(moment, "moment"))

    def line_sizes(self, skus: Any = None, upto: Any = None) -> dict[Any, np.ndarray]:
        """Each SKU's order-line sizes [units], in row order: of ``skus`` (default
        all), ordered at or before ``upto`` (default every line); a SKU without such a
        line is absent. No copy of the orders table: its SKUs are coded once.

        >>> from backorder_analytics import example_dataset
        >>> example_dataset(seed=0).line_sizes(["SKU-0001"])["SKU-0001"][:5].tolist()
        [1, 2, 3, 4, 3]
        """
        o = self.orders
        code, names = pd.factorize(o["sku"])
        keep = code >= 0
        if skus is not None:
            keep &= names.isin(list(skus))[np.where(keep, code, 0)]
        if upto is not None:
            keep &= (o["order_date"] <= pd.Timestamp(upto)).to_numpy()
        code = code[keep]
        quantity = o["quantity"].to_numpy(np.int64)[keep]
        order = np.argsort(code, kind="stable")
        bounds = np.searchsorted(code[order], np.arange(len(names) + 1))
        return {names[i]: quantity[order[bounds[i]: bounds[i + 1]]]
                for i in range(len(names)) if bounds[i + 1] > bounds[i]}

    def supplier_history_frame(self) -> pd.DataFrame:
        """Every PO line of the business for what is learnt per supplier: ``sku``,
        ``supplier_id`` (as recorded), ``supplier`` (that, else the SKU's supplier,
        :attr:`suppliers`), ``order_date``, ``expected_date``, ``received_date``;
        with the purchase orders' index."""
        if self.supplier_history is not None:
            history = self.supplier_history
            later = bool((history["order_date"] > self.as_of).any())
            if "received_date" in history:
                later = later or bool((history["received_date"] > self.as_of).any())
            return _known_at(history, self.as_of) if later else history
        po = self.purchase_orders
        cols = [c for c in ("sku", "supplier_id", "order_date", "expected_date",
                            "received_date") if c in po]
        out = po[cols].copy()
        of_sku = out["sku"].map(self.suppliers)
        out["supplier"] = (out["supplier_id"].astype(object).fillna(of_sku)
                           if "supplier_id" in out else of_sku)
        return out

    def supplier_history_at(self, moment: Any) -> pd.DataFrame:
        """:meth:`supplier_history_frame` as known at ``moment`` (as
        :meth:`purchase_orders_at`)."""
        when = self.moment(moment, "moment")  # at or before as_of: one cut
        whole = self.supplier_history
        return _known_at(self.supplier_history_frame() if whole is None else whole, when)

    def purchase_orders_open_at(self, moment: Any) -> pd.DataFrame:
        """PO lines open at ``moment``: ordered at or before it and not received by it
        (no ``received_date``, or a later one).

        >>> from backorder_analytics import example_dataset
        >>> ds = example_dataset(seed=0)
        >>> len(ds.purchase_orders_open_at("2025-06-30")), len(ds.open_purchase_orders)
        (36, 30)
        """
        when = self.moment(moment, "moment")
        po = self.purchase_orders
        open_ = (po["order_date"] <= when).to_numpy()
        if "received_date" in po:
            received = po["received_date"]
            open_ = open_ & (received.isna() | (received > when)).to_numpy()
        return po[open_]

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
