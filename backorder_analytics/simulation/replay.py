"""The backorder queue of the past, replayed from the data: :func:`replay`.

Stock is rebuilt SKU by SKU from an opening stock count, the purchase orders received
and the customer order lines, and every line is served by a stated allocation rule
(DESIGN.md §4). What comes out is what *would* have happened under that rule: which
lines were served from stock, which waited and how long, what is still open at
``as_of``. With the rule the business actually used, the replay reproduces the
recorded shipments, which makes it a data check as well as a what-if tool
(``ReplayResult.compare_shipments``, ``ReplayResult.compare_inventory``).

This module holds the replay itself (inputs, the per-SKU event kernel, the per-line and
per-shipment tables, the conservation check); the result object and what is derived
from it live in :mod:`backorder_analytics.simulation.replay_result` and are re-exported here.

Conventions
-----------
Time
    Continuous. Internally whole nanoseconds from the origin (midnight of the first day
    replayed), so the order of events and equal instants are exact; durations are
    reported in days (float, 1 day = 86,400 s). The origin is ``start`` (its midnight)
    when given, else the midnight of the earliest order, receipt or opening stock count.
Inputs
    *Order lines* ordered at or after ``start`` (all lines when ``start`` is None) and
    at or before ``as_of``: ``order_date``, ``quantity``, ``priority`` (0 when the
    column is absent) and ``cancel_date`` (when present). *Receipts*: purchase-order
    lines with ``received_date`` at or before ``as_of`` (and at or after ``start``),
    of ``received_quantity`` units, or ``quantity`` where that is blank or absent.
    Open purchase orders bring nothing.
Opening stock
    Per SKU, the latest stock count (``inventory``) dated at or before the SKU's first
    replayed event (order line or receipt), and at or after ``start`` when given. With
    consistent data every count before the first event is the same (nothing recorded
    happens between them), so this is the earliest count too; the latest is used
    because it is the closest. A count is taken as the stock at 00:00 of its date,
    before that day's events. A SKU with no such count starts at 0, with a note
    (``ReplayResult.notes``). Backorders already open at ``start`` are not carried
    over: pick ``start`` where the queue was empty, or replay from the beginning.
Order of events at one instant
    Receipts first, then demand (by timestamp, then row order in ``ds.orders``), then
    cancellations (by time, then arrival). After every event the queue is served.
Allocation and shipping
    ``"fifo"`` serves waiting lines by arrival (timestamp, then row order);
    ``"priority"`` by ``priority`` (lower first), then arrival. ``"partial"`` ships
    what is there; ``"complete"`` ships a line only whole, and lines behind it in the
    allocation order wait too (no overtaking; a new line of a better priority goes
    ahead of the head of the queue and may ship at once).
Cancellations
    A recorded ``cancel_date`` is honoured: the units of the line still open at that
    instant are cancelled. ``max_wait_days`` additionally cancels a line still waiting
    ``max_wait_days`` after it was ordered; a line has the earlier of the two. A cancel
    date before the order date acts at the order instant (after the demand, so what
    was served at once stays shipped). Cancellations after ``as_of`` do not happen.
Per line
    ``served_at_once``: units shipped at the order instant; ``backordered`` =
    ``quantity − served_at_once``; ``wait_days`` = last unit's ship time − order time
    (0 if served at once; NaN while open and for a line cancelled before it was fully
    shipped); ``status``: ``"shipped"`` (all units shipped), ``"cancelled"`` (some
    units cancelled; the rest shipped) or ``"open"`` (units still waiting at
    ``as_of``).
Conservation
    Checked on every replay: per line and per SKU, ordered = shipped + open +
    cancelled; shipped units of a SKU <= opening stock + received units. A violation
    is a bug and raises :class:`ConservationError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import BackorderAnalyticsError
from ..parameters import check_max_wait_days, check_options
from .replay_kernel import first_and_last, replay_events
from .replay_result import (  # re-exported: the result types live in replay_result
    _BIG,
    AGE_BUCKETS,
    DAY_NS,
    TOTAL,
    ReplayResult,
    ShipmentComparison,
)
from .replay_result import WAIT_QUANTILES as WAIT_QUANTILES  # re-exported

if TYPE_CHECKING:
    from ..data.dataset import Dataset

__all__ = [
    "replay",
    "ReplayResult",
    "ShipmentComparison",
    "ConservationError",
    "check_conservation",
    "AGE_BUCKETS",
    "TOTAL",
]

_NONE = -_BIG
STATUSES = ("shipped", "open", "cancelled")


class ConservationError(BackorderAnalyticsError, RuntimeError):
    """The replay lost or created units (ordered != shipped + open + cancelled, or more
    shipped than there was stock). Always a bug: please report it with the data."""


# --------------------------------------------------------------------------- public


def replay(
    ds: Dataset,
    allocation: str = "fifo",
    shipping: str = "partial",
    max_wait_days: float | None = None,
    start: str | pd.Timestamp | None = None,
) -> ReplayResult:
    """Replay the backorder queue of the past from orders, receipts and stock counts.

    Parameters
    ----------
    ds : Dataset
        ``orders`` (``order_date``, ``quantity``; optional ``priority``,
        ``cancel_date``, ``line_id``), ``purchase_orders`` (``received_date``,
        ``received_quantity`` or ``quantity``), ``inventory`` (opening stock) and
        ``as_of``; ``shipments`` when present are kept for
        :meth:`ReplayResult.compare_shipments`.
    allocation : {"fifo", "priority"}, default "fifo"
        Order in which waiting lines are served on a receipt.
    shipping : {"partial", "complete"}, default "partial"
        Ship what is there, or a line only whole.
    max_wait_days : float, optional
        Cancel a line still (partly) waiting this many days after it was ordered
        [days]; recorded ``cancel_date`` values are honoured either way.
    start : str or pandas.Timestamp, optional
        Replay only order lines and receipts at or after ``start``, from stock counts
        at or after it (see the module docstring); default the whole history.

    Returns
    -------
    ReplayResult
        ``lines``, ``shipments``, ``timeline``, ``summary``, ``ageing``, ``notes``.

    Raises
    ------
    ValueError
        For an unknown ``allocation`` or ``shipping``, a negative ``max_wait_days`` or
        a ``start`` after ``as_of``.
    ConservationError
        If units are lost or created (a bug).

    Notes
    -----
    The conventions (event order at one instant, opening stock, cancellations, wait) are
    in :mod:`backorder_analytics.simulation.replay`. Each SKU's events are processed in
    order with a heap as the queue, in one compiled loop over all SKUs
    (:mod:`~backorder_analytics.simulation.replay_kernel`): O(n log n) in the lines of a
    SKU.

    Examples
    --------
    >>> from backorder_analytics import example_dataset
    >>> rep = replay(example_dataset(seed=0), allocation="priority")
    >>> int(rep.summary.loc[TOTAL, "open_lines"]), int(rep.summary.loc[TOTAL, "cancelled_lines"])
    (76, 318)
    >>> rep.compare_shipments().share_identical
    1.0
    """
    check_options(allocation, shipping)
    max_wait_days = check_max_wait_days(max_wait_days)
    as_of = pd.Timestamp(ds.as_of)
    start_ts = None if start is None else pd.Timestamp(start)
    if start_ts is not None and start_ts > as_of:
        raise ValueError(f"The 'start' parameter must be at or before as_of ({as_of}). "
                         f"Got {start!r} instead.")

    inputs = _gather(ds, as_of, start_ts)
    origin = inputs["origin"]
    o, rc = inputs["orders"], inputs["receipts"]
    skus = inputs["skus"]
    n_sku = len(skus)

    # order lines: arrays in (sku, time, row) order for the kernel
    n = len(o)
    t_all = _ns(o["order_date"], origin)
    qty_all = o["quantity"].to_numpy(np.int64)
    prio_all = (o["priority"].to_numpy(np.int64) if "priority" in o
                else np.zeros(n, np.int64))
    code = inputs["line_code"].astype(np.int64)
    cancel = np.full(n, _BIG, np.int64)
    if "cancel_date" in o:
        cd = o["cancel_date"]
        has = cd.notna().to_numpy()
        cancel[has] = np.maximum(_ns(cd[has], origin), t_all[has])
    if max_wait_days is not None:
        limit = t_all + int(round(float(max_wait_days) * DAY_NS))
        cancel = np.minimum(cancel, limit)
    as_of_ns = int((as_of - origin) / pd.Timedelta(1, "ns"))
    cancel[cancel > as_of_ns] = _BIG
    order = np.lexsort((t_all, code))  # stable: ties keep row order
    bounds = np.searchsorted(code[order], np.arange(n_sku + 1))

    r_code = pd.Index(skus).get_indexer(rc["sku"]).astype(np.int64)
    r_t = _ns(rc["received_date"], origin)
    r_q = rc["units"].to_numpy(np.int64)
    r_order = np.lexsort((r_t, r_code))
    r_bounds = np.searchsorted(r_code[r_order], np.arange(n_sku + 1))
    opening = inputs["opening"]

    remaining, at_once, cancelled, cancel_at, ship_line, ship_qty, ship_t = replay_events(
        order, bounds, t_all, qty_all, prio_all, cancel, r_order, r_bounds, r_t, r_q,
        opening.astype(np.int64), allocation == "priority", shipping == "complete")

    shipped = np.bincount(ship_line, ship_qty, n).astype(np.int64)
    first, last = first_and_last(n, ship_line, ship_t, _BIG, _NONE)

    lines = _lines_frame(o, origin, t_all, qty_all, prio_all, at_once, shipped, remaining,
                         cancelled, cancel_at, first, last)
    received = np.bincount(r_code, r_q, n_sku).astype(np.int64)
    stock = pd.DataFrame({"opening_stock": opening, "received_units": received},
                         index=pd.Index(skus, name="sku"))
    check_conservation(lines, ship_line, ship_qty, stock)
    return ReplayResult(
        lines=lines,
        stock=stock,
        notes=inputs["notes"],
        origin=origin,
        as_of=as_of,
        params={"allocation": allocation, "shipping": shipping,
                "max_wait_days": max_wait_days, "start": start_ts},
        _events={"code": code, "t": t_all, "ship_line": ship_line, "ship_qty": ship_qty,
                 "ship_t": ship_t, "r_code": r_code, "r_t": r_t, "r_q": r_q},
        _recorded=ds.shipments,
        _inventory=ds.inventory,
    )


def check_conservation(lines: pd.DataFrame, ship_line: np.ndarray, ship_qty: np.ndarray,
                       stock: pd.DataFrame) -> None:
    """Raise :class:`ConservationError` unless no unit was lost or created.

    Checks, per line: ``quantity == shipped + open + cancelled``, every count >= 0,
    ``served_at_once <= shipped`` and ``shipped`` equal to the line's units shipped
    (``ship_qty`` of the shipments to line ``ship_line``); per SKU: ordered = shipped +
    open + cancelled and shipped <= ``opening_stock + received_units`` (``stock``,
    indexed by SKU).

    Parameters
    ----------
    lines : pandas.DataFrame
        ``ReplayResult.lines``.
    ship_line, ship_qty : numpy.ndarray
        Each shipment's line (position in ``lines``) and units.
    stock : pandas.DataFrame
        Per SKU (index): ``opening_stock``, ``received_units``.
    """
    q, sh, op, ca = (lines[c].to_numpy(np.int64)
                     for c in ("quantity", "shipped", "open", "cancelled"))
    at_once = lines["served_at_once"].to_numpy(np.int64)
    bad = (q != sh + op + ca) | (sh < 0) | (op < 0) | (ca < 0) | (at_once > sh) | (at_once < 0)
    bad |= np.bincount(ship_line, ship_qty, len(lines)).astype(np.int64) != sh
    if bad.any():
        rows = lines.loc[bad, ["sku", "quantity", "served_at_once", "shipped", "open",
                               "cancelled"]].head(5)
        raise ConservationError(
            f"Replay conservation broken on {int(bad.sum()):,} order line(s): quantity "
            "must equal shipped + open + cancelled (and shipped must equal the line's "
            f"shipments). First lines:\n{rows.to_string()}\nThis is a bug in the replay; "
            "please report it with the data.")
    per_sku = lines.groupby("sku", sort=False)[["quantity", "shipped", "open",
                                                 "cancelled"]].sum()
    bad_sku = per_sku["quantity"] != per_sku[["shipped", "open", "cancelled"]].sum(axis=1)
    supply = stock.reindex(per_sku.index).fillna(0)
    over = per_sku["shipped"] > supply["opening_stock"] + supply["received_units"]
    if bad_sku.any() or over.any():
        show = per_sku.join(supply)[bad_sku | over].head(5)
        raise ConservationError(
            f"Replay conservation broken for SKU(s) {list(show.index)}: ordered must equal "
            "shipped + open + cancelled and shipped must not exceed opening stock + "
            f"received.\n{show.to_string()}\nThis is a bug in the replay; please report "
            "it with the data.")


# --------------------------------------------------------------------------- inputs


def _ns(dates: pd.Series, origin: pd.Timestamp) -> np.ndarray:
    """Nanoseconds from ``origin`` as int64."""
    values = dates.to_numpy("datetime64[ns]").astype(np.int64)
    return values - origin.value


def _gather(ds: Dataset, as_of: pd.Timestamp, start: pd.Timestamp | None) -> dict[str, Any]:
    """The lines, receipts and opening stock replayed, the origin and per-SKU notes."""
    o = ds.orders
    keep = (o["order_date"] <= as_of).to_numpy()
    if start is not None:
        keep = keep & (o["order_date"] >= start).to_numpy()
    if not keep.all():  # (no copy of the whole table when every line is replayed)
        o = o[keep]
    po = ds.purchase_orders
    if "received_date" in po:
        got = po["received_date"].notna() & (po["received_date"] <= as_of)
        if start is not None:
            got &= po["received_date"] >= start
        rc = po[got.to_numpy()]
    else:
        rc = po.iloc[:0].assign(received_date=pd.Series(dtype="datetime64[ns]"))
    units = rc["quantity"].astype("float64")
    if "received_quantity" in rc:
        units = rc["received_quantity"].astype("float64").fillna(units)
    rc = rc.assign(units=units.to_numpy().astype(np.int64))
    line_sku, line_skus = pd.factorize(o["sku"])  # one hash pass over the lines
    skus = sorted(set(line_skus).union(rc["sku"].unique()))
    first_order = pd.Series(o["order_date"].to_numpy()).groupby(line_sku).min()
    first_order.index = line_skus[first_order.index]
    first = pd.concat([first_order, rc.groupby("sku")["received_date"].min()],
                      axis=1).min(axis=1)
    first = first.reindex(skus)
    inv = ds.inventory[["sku", "date", "on_hand"]]
    if start is not None:
        inv = inv[inv["date"] >= start]
    inv = inv[inv["sku"].isin(skus)]
    inv = inv[(inv["date"] <= inv["sku"].map(first)).to_numpy()]
    snap = inv.sort_values(["sku", "date"], kind="stable").groupby("sku").tail(1)
    snap = snap.set_index("sku").reindex(skus)
    opening = snap["on_hand"].fillna(0).to_numpy(np.int64)
    notes = []
    for sku in snap.index[snap["on_hand"].isna()]:
        later = ds.inventory.loc[ds.inventory["sku"] == sku, "date"]
        where = (f"its first count is {later.min()}" if len(later)
                 else "it has no stock count")
        notes.append({"sku": sku, "note": f"no stock count at or before its first event "
                      f"({first[sku]}); {where}; opening stock taken as 0"})
    candidates = [o["order_date"].min(), rc["received_date"].min(), snap["date"].min()]
    if start is not None:
        candidates = [start]
    found = [c for c in candidates if pd.notna(c)]
    origin = (min(found) if found else as_of).normalize()
    line_code = pd.Index(skus).get_indexer(line_skus)[line_sku]
    return {"orders": o, "line_code": line_code, "receipts": rc, "skus": skus,
            "opening": opening,
            "origin": origin, "notes": pd.DataFrame(notes, columns=["sku", "note"])}


# --------------------------------------------------------------------------- outputs


def _to_dates(ns: np.ndarray, origin: pd.Timestamp, valid: np.ndarray) -> np.ndarray:
    """Instants [ns from ``origin``] as dates, NaT where not ``valid``."""
    nat = np.datetime64("NaT").astype("datetime64[ns]").astype(np.int64)
    return np.where(valid, ns + origin.value, nat).view("datetime64[ns]")


def _column(o: pd.DataFrame, name: str, rows: np.ndarray | None = None):
    """Column ``name`` of ``o`` as an array for a new frame, at ``rows`` (default all):
    Arrow strings stay Arrow strings (no Python objects)."""
    values = o[name].array
    return values if rows is None else values.take(rows)


def _lines_frame(o, origin, t, qty, prio, at_once, shipped, remaining, cancelled,
                 cancel_at, first, last) -> pd.DataFrame:
    has_ship = shipped > 0
    done = remaining + cancelled == 0  # every unit shipped
    wait = np.where(done, (last - t) / DAY_NS, np.nan)
    status = np.where(remaining > 0, 1, np.where(cancelled > 0, 2, 0))
    cols: dict[str, Any] = {"order_id": _column(o, "order_id")}
    if "line_id" in o:
        cols["line_id"] = _column(o, "line_id")
    cols.update(
        sku=_column(o, "sku"),
        order_date=_column(o, "order_date"),
        priority=prio,
        quantity=qty,
        served_at_once=at_once,
        backordered=qty - at_once,
        shipped=shipped,
        cancelled=cancelled,
        open=remaining,
        first_ship_date=_to_dates(first, origin, has_ship),
        last_ship_date=_to_dates(last, origin, has_ship),
        cancel_date=_to_dates(cancel_at, origin, cancelled > 0),
        wait_days=wait,
        # pandas-stubs: from_codes takes array-like codes and list-like categories
        status=pd.Categorical.from_codes(status, list(STATUSES)),  # type: ignore[arg-type]
    )
    return pd.DataFrame(cols, index=o.index, copy=False)  # no copy of the arrays
