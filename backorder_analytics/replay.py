"""The backorder queue of the past, replayed from the data: :func:`replay`.

Stock is rebuilt SKU by SKU from an opening stock count, the purchase orders received
and the customer order lines, and every line is served by a stated allocation rule
(DESIGN.md §4). What comes out is what *would* have happened under that rule: which
lines were served from stock, which waited and how long, what is still open at
``as_of``. With the rule the business actually used, the replay reproduces the
recorded shipments, which makes it a data check as well as a what-if tool
(``ReplayResult.compare_shipments``, ``ReplayResult.compare_inventory``).

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

import heapq
import html
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .exceptions import BackorderAnalyticsError
from .simulate.base import ALLOCATIONS, SHIPPING

if TYPE_CHECKING:
    from .dataset import Dataset

__all__ = [
    "replay",
    "ReplayResult",
    "ShipmentComparison",
    "ConservationError",
    "check_conservation",
    "AGE_BUCKETS",
    "TOTAL",
]

DAY_NS = 86_400 * 10**9
"""Nanoseconds per day: the unit of every duration reported [days]."""
TOTAL = "(all)"
"""Label of the all-SKU row in ``summary``, ``ageing`` and the total timeline."""
AGE_BUCKETS = (("0-3", 0, 3), ("4-7", 4, 7), ("8-14", 8, 14), ("15-21", 15, 21),
               ("22-30", 22, 30), ("31+", 31, None))
"""Ageing buckets of open backorders: label, first and last whole day of age (the age
``as_of − order_date`` in days, rounded down)."""
WAIT_QUANTILES = (0.5, 0.9, 0.95)
_BIG = 1 << 62
_NONE = -_BIG
STATUSES = ("shipped", "open", "cancelled")


class ConservationError(BackorderAnalyticsError, RuntimeError):
    """The replay lost or created units (ordered != shipped + open + cancelled, or more
    shipped than there was stock). Always a bug: please report it with the data."""


# --------------------------------------------------------------------------- kernel


def _replay_sku(
    t: list[int],
    qty: list[int],
    keys: list[int],
    cancel_t: list[int],
    cancel_line: list[int],
    recv_t: list[int],
    recv_q: list[int],
    opening: int,
    complete: bool,
) -> tuple[list[int], list[int], list[int], list[int], list[int], list[int], list[int]]:
    """Event replay of one SKU; times in ns, lines sorted by arrival.

    ``keys[i] % n == i`` orders the queue (arrival, or priority then arrival);
    ``cancel_t``/``cancel_line`` are the cancellation instants sorted by (time, line);
    receipts are sorted by time. Returns ``remaining`` (open units), ``at_once``,
    ``cancelled`` units, ``cancel_at`` (``_NONE`` if not cancelled) per line and the
    shipments as three lists (line, units, time).
    """
    n = len(t)
    remaining = list(qty)
    at_once = [0] * n
    cancelled = [0] * n
    cancel_at = [_NONE] * n
    s_line: list[int] = []
    s_qty: list[int] = []
    s_t: list[int] = []
    heap: list[int] = []
    push, pop = heapq.heappush, heapq.heappop
    on_hand = opening
    i = j = k = 0
    nr, nc = len(recv_t), len(cancel_t)
    tr = recv_t[0] if nr else _BIG
    td = t[0] if n else _BIG
    tc = cancel_t[0] if nc else _BIG
    while True:
        if tr <= td and tr <= tc:  # receipt (first at an instant)
            if tr == _BIG:
                break
            now = tr
            on_hand += recv_q[j]
            j += 1
            tr = recv_t[j] if j < nr else _BIG
        elif td <= tc:  # demand
            now = td
            push(heap, keys[i])
            i += 1
            td = t[i] if i < n else _BIG
        else:  # cancellation of what is still open
            now = tc
            line = cancel_line[k]
            k += 1
            tc = cancel_t[k] if k < nc else _BIG
            need = remaining[line]
            if need:
                cancelled[line] = need
                cancel_at[line] = now
                remaining[line] = 0
        while heap and on_hand > 0:  # serve the queue in allocation order
            line = heap[0] % n
            need = remaining[line]
            if need == 0:
                pop(heap)
                continue
            if need > on_hand:
                if complete:
                    break
                ship = on_hand
            else:
                ship = need
                pop(heap)
            remaining[line] = need - ship
            on_hand -= ship
            s_line.append(line)
            s_qty.append(ship)
            s_t.append(now)
            if now == t[line]:
                at_once[line] += ship
    return remaining, at_once, cancelled, cancel_at, s_line, s_qty, s_t


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
        [days]; recorded ``cancel_date``s are honoured either way.
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
    in :mod:`backorder_analytics.replay`. Each SKU's events are processed in order with
    a heap as the queue: O(n log n) in the lines of a SKU.

    Examples
    --------
    >>> from backorder_analytics import example_dataset
    >>> rep = replay(example_dataset(seed=0), allocation="priority")
    >>> int(rep.summary.loc[TOTAL, "open_lines"]), int(rep.summary.loc[TOTAL, "cancelled_lines"])
    (76, 318)
    >>> rep.compare_shipments().share_identical
    1.0
    """
    if allocation not in ALLOCATIONS:
        raise ValueError(f"The 'allocation' parameter must be one of {ALLOCATIONS}. "
                         f"Got {allocation!r} instead.")
    if shipping not in SHIPPING:
        raise ValueError(f"The 'shipping' parameter must be one of {SHIPPING}. "
                         f"Got {shipping!r} instead.")
    if max_wait_days is not None and not (float(max_wait_days) >= 0):
        raise ValueError("The 'max_wait_days' parameter must be a number of days >= 0 or "
                         f"None. Got {max_wait_days!r} instead.")
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
    code = pd.Index(skus).get_indexer(o["sku"])
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
    order = np.lexsort((np.arange(n), t_all, code))
    bounds = np.searchsorted(code[order], np.arange(n_sku + 1))

    r_code = pd.Index(skus).get_indexer(rc["sku"])
    r_t = _ns(rc["received_date"], origin)
    r_q = rc["units"].to_numpy(np.int64)
    r_order = np.lexsort((np.arange(len(rc)), r_t, r_code))
    r_bounds = np.searchsorted(r_code[r_order], np.arange(n_sku + 1))
    opening = inputs["opening"]

    remaining = np.empty(n, np.int64)
    at_once = np.empty(n, np.int64)
    cancelled = np.empty(n, np.int64)
    cancel_at = np.empty(n, np.int64)
    ship_parts: list[tuple[np.ndarray, list[int], list[int]]] = []
    complete = shipping == "complete"
    for s in range(n_sku):
        idx = order[bounds[s]:bounds[s + 1]]
        m = len(idx)
        local = np.arange(m, dtype=np.int64)
        keys = local + prio_all[idx] * m if allocation == "priority" else local
        c_t = cancel[idx]
        c_local = np.flatnonzero(c_t < _BIG)
        c_local = c_local[np.lexsort((c_local, c_t[c_local]))]
        ridx = r_order[r_bounds[s]:r_bounds[s + 1]]
        rem, now, can, cat, sl, sq, st = _replay_sku(
            t_all[idx].tolist(), qty_all[idx].tolist(), keys.tolist(),
            c_t[c_local].tolist(), c_local.tolist(),
            r_t[ridx].tolist(), r_q[ridx].tolist(), int(opening[s]), complete,
        )
        remaining[idx], at_once[idx], cancelled[idx], cancel_at[idx] = rem, now, can, cat
        ship_parts.append((idx[np.asarray(sl, dtype=np.int64)], sq, st))

    ship_line = np.concatenate([p[0] for p in ship_parts]) if ship_parts else np.zeros(0, int)
    ship_qty = np.concatenate([np.asarray(p[1], np.int64) for p in ship_parts]) \
        if ship_parts else np.zeros(0, np.int64)
    ship_t = np.concatenate([np.asarray(p[2], np.int64) for p in ship_parts]) \
        if ship_parts else np.zeros(0, np.int64)

    shipped = np.bincount(ship_line, ship_qty, n).astype(np.int64)
    first = np.full(n, _BIG, np.int64)
    last = np.full(n, _NONE, np.int64)
    np.minimum.at(first, ship_line, ship_t)
    np.maximum.at(last, ship_line, ship_t)

    lines = _lines_frame(o, origin, t_all, qty_all, prio_all, at_once, shipped, remaining,
                         cancelled, cancel_at, first, last)
    shipments = _shipments_frame(o, origin, ship_line, ship_qty, ship_t)
    received = np.bincount(r_code, r_q, n_sku).astype(np.int64)
    stock = pd.DataFrame({"opening_stock": opening, "received_units": received},
                         index=pd.Index(skus, name="sku"))
    check_conservation(lines, shipments, stock)
    return ReplayResult(
        lines=lines,
        shipments=shipments,
        stock=stock,
        notes=inputs["notes"],
        origin=origin,
        as_of=as_of,
        params={"allocation": allocation, "shipping": shipping,
                "max_wait_days": max_wait_days, "start": start_ts},
        _events={"code": code, "t": t_all, "qty": qty_all, "ship_line": ship_line,
                 "ship_qty": ship_qty, "ship_t": ship_t, "r_code": r_code, "r_t": r_t,
                 "r_q": r_q, "cancelled": cancelled, "cancel_at": cancel_at,
                 "end": np.where(remaining > 0, _BIG, np.where(cancelled > 0, cancel_at, last)),
                 "backordered": qty_all - at_once},
        _recorded=ds.shipments,
        _inventory=ds.inventory,
    )


def check_conservation(lines: pd.DataFrame, shipments: pd.DataFrame,
                       stock: pd.DataFrame) -> None:
    """Raise :class:`ConservationError` unless no unit was lost or created.

    Checks, per line: ``quantity == shipped + open + cancelled``, every count >= 0,
    ``served_at_once <= shipped`` and ``shipped`` equal to the line's units in
    ``shipments``; per SKU: ordered = shipped + open + cancelled and shipped <=
    ``opening_stock + received_units`` (``stock``, indexed by SKU).

    Parameters
    ----------
    lines, shipments : pandas.DataFrame
        ``ReplayResult.lines`` and ``ReplayResult.shipments``.
    stock : pandas.DataFrame
        Per SKU (index): ``opening_stock``, ``received_units``.
    """
    q, sh, op, ca = (lines[c].to_numpy(np.int64)
                     for c in ("quantity", "shipped", "open", "cancelled"))
    at_once = lines["served_at_once"].to_numpy(np.int64)
    bad = (q != sh + op + ca) | (sh < 0) | (op < 0) | (ca < 0) | (at_once > sh) | (at_once < 0)
    if "line" in shipments:
        by_line = np.bincount(shipments["line"].to_numpy(np.int64),
                              shipments["quantity"].to_numpy(np.int64), len(lines))
        bad |= by_line != sh
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
        keep &= (o["order_date"] >= start).to_numpy()
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
    skus = sorted(set(o["sku"]).union(rc["sku"]))

    first = pd.concat([o.groupby("sku")["order_date"].min(),
                       rc.groupby("sku")["received_date"].min()], axis=1).min(axis=1)
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
    return {"orders": o, "receipts": rc, "skus": skus, "opening": opening,
            "origin": origin, "notes": pd.DataFrame(notes, columns=["sku", "note"])}


# --------------------------------------------------------------------------- outputs


def _to_dates(ns: np.ndarray, origin: pd.Timestamp, valid: np.ndarray) -> np.ndarray:
    out = (ns + origin.value).astype("datetime64[ns]")
    out[~valid] = np.datetime64("NaT")
    return out


def _lines_frame(o, origin, t, qty, prio, at_once, shipped, remaining, cancelled,
                 cancel_at, first, last) -> pd.DataFrame:
    has_ship = shipped > 0
    done = remaining + cancelled == 0  # every unit shipped
    wait = np.where(done, (last - t) / DAY_NS, np.nan)
    status = np.where(remaining > 0, "open", np.where(cancelled > 0, "cancelled", "shipped"))
    cols: dict[str, Any] = {"order_id": o["order_id"].to_numpy()}
    if "line_id" in o:
        cols["line_id"] = o["line_id"].to_numpy()
    cols.update(
        sku=o["sku"].to_numpy(),
        order_date=o["order_date"].to_numpy(),
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
        status=pd.Categorical(status, categories=list(STATUSES)),
    )
    return pd.DataFrame(cols, index=o.index)


def _shipments_frame(o, origin, ship_line, ship_qty, ship_t) -> pd.DataFrame:
    cols: dict[str, Any] = {"order_id": o["order_id"].to_numpy()[ship_line]}
    if "line_id" in o:
        cols["line_id"] = o["line_id"].to_numpy()[ship_line]
    cols.update(sku=o["sku"].to_numpy()[ship_line], quantity=ship_qty,
                ship_date=(ship_t + origin.value).astype("datetime64[ns]"), line=ship_line)
    out = pd.DataFrame(cols)
    return out.sort_values(["ship_date", "line"], kind="stable", ignore_index=True)


def _quantiles(values: pd.Series, by: pd.Series) -> pd.DataFrame:
    """count, mean, p50/p90/p95 (linear interpolation) and max of ``values`` per group."""
    g = values.groupby(by, observed=True, sort=False)
    out = pd.DataFrame({"n": g.count(), "mean": g.mean()})
    for q in WAIT_QUANTILES:
        out[f"p{round(q * 100)}"] = g.quantile(q)
    out["max"] = g.max()
    return out


# --------------------------------------------------------------------------- results


@dataclass(repr=False)
class ShipmentComparison:
    """Replayed against recorded shipments, line by line (see
    :meth:`ReplayResult.compare_shipments`).

    Attributes
    ----------
    lines : pandas.DataFrame
        Per order line: recorded and replayed units shipped and last ship date,
        ``diff_days`` (replayed − recorded last ship date [days]; NaN unless both
        shipped), ``identical`` (same shipments: same units at the same instants).
    n_lines, n_identical : int
    share_identical : float
    mean_abs_diff_days, max_abs_diff_days : float
        Over lines whose last ship date is known on both sides [days].
    """

    lines: pd.DataFrame
    n_lines: int
    n_identical: int
    share_identical: float
    mean_abs_diff_days: float
    max_abs_diff_days: float

    @property
    def differing(self) -> pd.DataFrame:
        """The lines whose replayed shipments differ from the recorded ones."""
        return self.lines[~self.lines["identical"]]

    def __repr__(self) -> str:
        return (f"ShipmentComparison: {self.n_identical:,} of {self.n_lines:,} lines "
                f"identical ({self.share_identical:.2%}); last ship date |diff| mean "
                f"{self.mean_abs_diff_days:.3f} d, max {self.max_abs_diff_days:.3f} d")

    def _repr_html_(self) -> str:
        return (f"<p><strong>{html.escape(repr(self))}</strong></p>"
                + self.differing.head(20).to_html())


@dataclass(repr=False)
class ReplayResult:
    """What the replay did to every order line; built by :func:`replay`.

    Attributes
    ----------
    lines : pandas.DataFrame
        One row per order line replayed, with the index of ``ds.orders``:
        ``order_id``, ``line_id`` (if present), ``sku``, ``order_date``, ``priority``,
        ``quantity``, ``served_at_once``, ``backordered``, ``shipped``, ``cancelled``,
        ``open`` [units], ``first_ship_date``, ``last_ship_date``, ``cancel_date``,
        ``wait_days`` [days], ``status``.
    shipments : pandas.DataFrame
        Replayed shipments: ``order_id``, ``line_id``, ``sku``, ``quantity``,
        ``ship_date`` and ``line`` (position in ``lines``), by ship date.
    stock : pandas.DataFrame
        Per SKU: ``opening_stock`` and ``received_units``.
    notes : pandas.DataFrame
        ``sku, note``: SKUs whose opening stock was taken as 0.
    origin, as_of : pandas.Timestamp
        Midnight of the first day replayed; the end of the replay.
    params : dict
        ``allocation``, ``shipping``, ``max_wait_days``, ``start``.
    """

    lines: pd.DataFrame
    shipments: pd.DataFrame
    stock: pd.DataFrame
    notes: pd.DataFrame
    origin: pd.Timestamp
    as_of: pd.Timestamp
    params: dict[str, Any]
    _events: dict[str, np.ndarray] = field(default_factory=dict)
    _recorded: pd.DataFrame | None = None
    _inventory: pd.DataFrame | None = None

    # ------------------------------------------------------------------ timeline

    @property
    def days(self) -> pd.DatetimeIndex:
        """The calendar days replayed, origin to ``as_of``."""
        return pd.date_range(self.origin, self.as_of.normalize(), freq="D", name="date")

    @cached_property
    def _daily(self) -> dict[str, np.ndarray]:
        """Per SKU and day, shape (n_sku, n_days): flows and end-of-day states."""
        ev = self._events
        n_sku, n_days = len(self.stock), len(self.days)
        code = ev["code"]

        def per_day(c, t, w):
            day = np.clip(t // DAY_NS, 0, n_days - 1)
            return np.bincount(c * n_days + day, w, n_sku * n_days).reshape(n_sku, n_days)

        sl = ev["ship_line"]
        can = ev["cancelled"] > 0
        waits = ev["backordered"] > 0
        left = waits & (ev["end"] < _BIG)
        out = {
            "demand": per_day(code, ev["t"], ev["qty"]),
            "receipts": per_day(ev["r_code"], ev["r_t"], ev["r_q"]),
            "shipped": per_day(code[sl], ev["ship_t"], ev["ship_qty"]),
            "cancelled": per_day(code[can], ev["cancel_at"][can], ev["cancelled"][can]),
        }
        joined = per_day(code[waits], ev["t"][waits], None)
        gone = per_day(code[left], ev["end"][left], None)
        out["on_hand"] = (self.stock["opening_stock"].to_numpy()[:, None]
                          + np.cumsum(out["receipts"] - out["shipped"], axis=1))
        out["backordered_units"] = np.cumsum(out["demand"] - out["shipped"]
                                             - out["cancelled"], axis=1)
        out["queue_length"] = np.cumsum(joined - gone, axis=1)
        return {k: np.rint(v).astype(np.int64) for k, v in out.items()}

    @cached_property
    def timeline(self) -> pd.DataFrame:
        """Daily per SKU: ``on_hand`` (end of day), ``backordered_units`` and
        ``queue_length`` (lines waiting, end of day), and the day's ``receipts``,
        ``demand``, ``shipped`` and ``cancelled`` [units]."""
        d = self._daily
        skus, days = self.stock.index, self.days
        cols = ["on_hand", "backordered_units", "queue_length", "receipts", "demand",
                "shipped", "cancelled"]
        frame = pd.DataFrame({"sku": np.repeat(skus.to_numpy(), len(days)),
                              "date": np.tile(days.to_numpy(), len(skus))})
        for c in cols:
            frame[c] = d[c].ravel()
        return frame

    @cached_property
    def timeline_total(self) -> pd.DataFrame:
        """The :attr:`timeline` summed over SKUs, one row per day."""
        d = self._daily
        cols = ["on_hand", "backordered_units", "queue_length", "receipts", "demand",
                "shipped", "cancelled"]
        return pd.DataFrame({c: d[c].sum(axis=0) for c in cols}, index=self.days)

    # ------------------------------------------------------------------ summaries

    @cached_property
    def ageing(self) -> pd.DataFrame:
        """Open backorders at ``as_of`` by age bucket, per SKU and in total
        (``sku``, ``age``, ``lines``, ``units``); age = ``as_of − order_date`` in whole
        days (rounded down); buckets :data:`AGE_BUCKETS`."""
        lines = self.lines
        is_open = lines["open"].to_numpy() > 0
        age = np.floor((self.as_of - lines["order_date"][is_open]) / pd.Timedelta(days=1))
        labels = [b[0] for b in AGE_BUCKETS]
        edges = [b[1] for b in AGE_BUCKETS[1:]]
        bucket = pd.Categorical.from_codes(np.searchsorted(edges, age.to_numpy(), "right"),
                                           categories=labels, ordered=True)
        units = lines["open"][is_open].to_numpy()
        rows = []
        for sku, mask in [(TOTAL, np.ones(len(units), bool))] + [
                (s, (lines["sku"][is_open] == s).to_numpy()) for s in self.stock.index]:
            lines_n = np.bincount(bucket.codes[mask], minlength=len(labels))
            units_n = np.bincount(bucket.codes[mask], units[mask], len(labels))
            rows.append(pd.DataFrame({"sku": sku, "age": labels, "lines": lines_n,
                                      "units": units_n.astype(np.int64)}))
        out = pd.concat(rows, ignore_index=True)
        out["age"] = pd.Categorical(out["age"], categories=labels, ordered=True)
        return out

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row for all SKUs (:data:`TOTAL`) then one per SKU.

        Columns: ``lines``, ``ordered_units``, ``served_at_once_units``,
        ``shipped_units``; ``unit_fill_rate`` (units served at once / ordered),
        ``line_fill_rate`` (lines served whole at once / lines),
        ``share_lines_backordered`` (1 − line fill rate), ``backordered_lines``;
        ``wait_bo_*`` — the wait [days] of the backordered lines that were fully
        shipped (``n``, ``mean``, ``p50``, ``p90``, ``p95``, ``max``); ``wait_all_*`` —
        the same over all fully shipped lines (0 for those served at once); open and
        cancelled lines have no wait and are left out of both; ``open_lines``,
        ``open_units``, ``cancelled_lines``, ``cancelled_units``; ``open_lines_<age>``
        per ageing bucket; ``opening_stock``, ``received_units``.
        """
        L = self.lines
        key = pd.concat([pd.Series(TOTAL, index=L.index), L["sku"]], ignore_index=True)
        rep = pd.concat([L, L], ignore_index=True)
        g = rep.groupby(key, sort=False)
        bo = rep["backordered"] > 0
        out = pd.DataFrame({
            "lines": g.size(),
            "ordered_units": g["quantity"].sum(),
            "served_at_once_units": g["served_at_once"].sum(),
            "shipped_units": g["shipped"].sum(),
            "backordered_lines": bo.groupby(key, sort=False).sum(),
            "open_lines": (rep["open"] > 0).groupby(key, sort=False).sum(),
            "open_units": g["open"].sum(),
            "cancelled_lines": (rep["cancelled"] > 0).groupby(key, sort=False).sum(),
            "cancelled_units": g["cancelled"].sum(),
        })
        out["unit_fill_rate"] = out["served_at_once_units"] / out["ordered_units"]
        out["line_fill_rate"] = 1 - out["backordered_lines"] / out["lines"]
        out["share_lines_backordered"] = out["backordered_lines"] / out["lines"]
        w_bo = _quantiles(rep["wait_days"][bo], key[bo]).add_prefix("wait_bo_")
        w_all = _quantiles(rep["wait_days"], key).add_prefix("wait_all_")
        out = out.join(w_bo).join(w_all)
        age = self.ageing.pivot(index="sku", columns="age", values="lines")
        age.columns = [f"open_lines_{c}" for c in age.columns]
        out = out.join(age)
        stock = self.stock.copy()
        stock.loc[TOTAL] = stock.sum()
        out = out.join(stock)
        out.index.name = "sku"
        order = [TOTAL] + [s for s in self.stock.index if s in out.index]
        return out.loc[order]

    def to_frame(self) -> pd.DataFrame:
        """The per-line table, :attr:`lines`."""
        return self.lines

    # ------------------------------------------------------------------ data checks

    def compare_shipments(self) -> ShipmentComparison:
        """Replayed against recorded shipments (``ds.shipments``), line by line.

        Lines are matched on ``order_id, line_id`` when both tables have ``line_id``,
        else on ``order_id, sku``. A line is identical when the same units ship at the
        same instants. The ship-date difference is between last ship dates.

        Raises
        ------
        ValueError
            If the dataset has no shipments table.
        """
        rec = self._recorded
        if rec is None:
            raise ValueError("The dataset has no shipments table, so there is nothing to "
                             "compare the replay with; load one with read_shipments().")
        key = (["order_id", "line_id"] if "line_id" in rec and "line_id" in self.lines
               else ["order_id", "sku"])
        mine = self.shipments.groupby(key + ["ship_date"], sort=False)["quantity"].sum()
        theirs = rec.groupby(key + ["ship_date"], sort=False)["quantity"].sum()
        rows = pd.concat([mine.rename("replayed"), theirs.rename("recorded")],
                         axis=1).fillna(0)
        row_same = (rows["replayed"] == rows["recorded"]).groupby(level=key).all()
        ids = self.lines.set_index(key).index
        rep_last = self.lines.set_index(key)["last_ship_date"]
        rec_g = rec.groupby(key)
        out = pd.DataFrame({
            "sku": self.lines["sku"].to_numpy(),
            "status": self.lines["status"].to_numpy(),
            "recorded_shipped": rec_g["quantity"].sum().reindex(ids).fillna(0).to_numpy(
                np.int64),
            "replayed_shipped": self.lines["shipped"].to_numpy(),
            "recorded_last_ship": rec_g["ship_date"].max().reindex(ids).to_numpy(),
            "replayed_last_ship": rep_last.to_numpy(),
        }, index=ids)
        out["diff_days"] = ((out["replayed_last_ship"] - out["recorded_last_ship"])
                            / pd.Timedelta(days=1))
        out["identical"] = row_same.reindex(ids, fill_value=True).to_numpy(bool)
        diff = out["diff_days"].abs().dropna()
        n_same = int(out["identical"].sum())
        return ShipmentComparison(
            lines=out, n_lines=len(out), n_identical=n_same,
            share_identical=n_same / len(out) if len(out) else float("nan"),
            mean_abs_diff_days=float(diff.mean()) if len(diff) else float("nan"),
            max_abs_diff_days=float(diff.max()) if len(diff) else float("nan"),
        )

    def compare_inventory(self) -> pd.DataFrame:
        """Replayed against counted stock: one row per stock count inside the replay
        (``sku``, ``date``, ``counted``, ``replayed``, ``diff``), the replayed figure
        being the stock at 00:00 of the count's date (end of the day before)."""
        inv = self._inventory
        cols = ["sku", "date", "counted", "replayed", "diff"]
        if inv is None or not len(inv):
            return pd.DataFrame(columns=cols)
        d = self._daily["on_hand"]
        codes = self.stock.index.get_indexer(inv["sku"])
        day = ((inv["date"].dt.normalize() - self.origin) / pd.Timedelta(days=1)).to_numpy()
        ok = (codes >= 0) & (day >= 1) & (day < d.shape[1])
        day = day[ok].astype(np.int64)
        out = pd.DataFrame({"sku": inv["sku"].to_numpy()[ok], "date": inv["date"].to_numpy()[ok],
                            "counted": inv["on_hand"].to_numpy()[ok],
                            "replayed": d[codes[ok], day - 1]})
        out["diff"] = out["replayed"] - out["counted"]
        return out[cols].reset_index(drop=True)

    # ------------------------------------------------------------------ display

    def plot(self, ax=None, kind: str = "wait", sku: str | None = None):
        """Draw the replay: ``kind="wait"`` (histogram of the waits of backordered,
        shipped lines), ``"ageing"`` (open backorders by age) or ``"timeline"`` (on
        hand and backordered units per day), for all SKUs or one ``sku``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from . import plotting

        kinds = ("wait", "ageing", "timeline")
        if kind not in kinds:
            raise ValueError(f"The 'kind' parameter must be one of {kinds}. "
                             f"Got {kind!r} instead.")
        if sku is not None and sku not in self.stock.index:
            raise ValueError(f"The 'sku' parameter must be a SKU of the replay, e.g. "
                             f"{self.stock.index[0]!r}. Got {sku!r} instead.")
        label = TOTAL if sku is None else sku
        title = f"{'all SKUs' if sku is None else sku} ({self.params['allocation']}, " \
                f"{self.params['shipping']})"
        if kind == "wait":
            L = self.lines if sku is None else self.lines[self.lines["sku"] == sku]
            waits = L.loc[L["backordered"] > 0, "wait_days"].dropna().to_numpy()
            return plotting.plot_replay_waits(waits, ax=ax, title=title)
        if kind == "ageing":
            a = self.ageing[self.ageing["sku"] == label]
            return plotting.plot_replay_ageing(a["age"].astype(str).to_numpy(),
                                               a["lines"].to_numpy(), a["units"].to_numpy(),
                                               ax=ax, title=title)
        tl = (self.timeline_total if sku is None
              else self.timeline[self.timeline["sku"] == sku].set_index("date"))
        return plotting.plot_replay_timeline(tl.index, tl["on_hand"].to_numpy(),
                                             tl["backordered_units"].to_numpy(),
                                             ax=ax, title=title)

    def __repr__(self) -> str:
        s = self.summary.loc[TOTAL]
        p = self.params
        rule = f"{p['allocation']}/{p['shipping']}"
        if p["max_wait_days"] is not None:
            rule += f", max wait {p['max_wait_days']:g} d"
        return (f"Replay of {len(self.lines):,} lines, {len(self.stock):,} SKUs, "
                f"{self.origin.date()} → {self.as_of.date()} ({rule}): unit fill "
                f"{s['unit_fill_rate']:.1%}, line fill {s['line_fill_rate']:.1%}, "
                f"backordered lines wait {s['wait_bo_mean']:.1f} d on average "
                f"(p90 {s['wait_bo_p90']:.1f} d), {int(s['open_lines']):,} open backorders "
                f"({int(s['open_units']):,} units), {int(s['cancelled_lines']):,} lines "
                f"cancelled ({int(s['cancelled_units']):,} units)")

    def _repr_html_(self) -> str:
        head = f"<p><strong>{html.escape(repr(self))}</strong></p>"
        cols = ["lines", "unit_fill_rate", "line_fill_rate", "wait_bo_mean", "wait_bo_p90",
                "wait_bo_max", "open_lines", "open_units", "cancelled_lines"]
        table = self.summary[cols].head(21).to_html(float_format=lambda x: f"{x:,.3f}")
        notes = (f"<p>{len(self.notes)} SKU(s) started from 0 stock (see .notes)</p>"
                 if len(self.notes) else "")
        return head + notes + table
