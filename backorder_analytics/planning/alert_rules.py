"""The alert rules behind :func:`backorder_analytics.planning.alerts.alerts`.

Each rule is a small pure function on frames (vectorised, testable alone): it takes the
per-SKU state, the open backorder lines or the open POs at ``as_of`` and returns one row
per alert in :data:`COLUMNS`, with a severity, a plain-English message with the numbers
and dates behind it, and a suggested action. :func:`~backorder_analytics.planning.alerts.alerts`
builds the state and gathers the rules' rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data.schemas import TEXT

__all__ = ["KINDS", "SEVERITIES", "COLUMNS", "low_stock", "below_reorder_point",
           "ageing_backorders", "late_purchase_orders", "status_updates_due", "eta_slipped"]

SEVERITIES = ("low", "medium", "high")
"""Severity levels, an ordered categorical (``severity >= "medium"`` works)."""
KINDS = ("backorder_past_limit", "backorder_will_miss_limit", "late_po", "low_stock",
         "below_reorder_point", "backorder_near_limit", "eta_slipped", "status_update_due")
"""Alert kinds, in the order alerts of one severity are listed."""
COLUMNS = ["kind", "severity", "sku", "supplier_id", "order_id", "line_id", "customer_id",
           "po_id", "message", "action", "days", "limit_days", "units", "limit_units",
           "due_date", "eta_p80"]
"""Columns of :meth:`Alerts.to_frame`; see :func:`alerts` for the numeric ones."""
WARN_DAYS = 7.0
"""Days before its time limit that an open backorder is flagged [days]."""
UPDATE_EVERY_DAYS = 7.0
"""Days between status updates to a customer waiting on a backorder [days]."""
LATE_PO_HIGH_DAYS = 7
"""A PO this many days late or more is a ``high`` alert even with no backorder waiting."""
LATE_PO_LOW_DAYS = 2
"""A PO at most this many days late with no backorder waiting is a ``low`` alert."""
ORDER_COVER_DAYS = 30.0
"""Order quantity of the default reorder point: a month of mean demand (as
:func:`~backorder_analytics.recommend_safety_stock`)."""

DAY = pd.Timedelta(days=1)
_NUM = ["days", "limit_days", "units", "limit_units"]


# --------------------------------------------------------------------------- helpers


def _fmt(values, spec: str = "{:,.1f}") -> pd.Series:
    out = pd.Series(values).map(lambda v: "n/a" if pd.isna(v) else spec.format(v))
    return out.astype(object)


def _date(values) -> pd.Series:
    s = pd.to_datetime(pd.Series(values))
    return s.dt.strftime("%Y-%m-%d").fillna("none").astype(object)


def _s(values) -> pd.Series:
    """Identifiers as strings ('' for missing)."""
    return pd.Series(values).astype(object).where(pd.Series(values).notna(), "").astype(str)


def _col(f: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    """Column ``name`` of ``f``, or ``default`` on every row when absent."""
    return f[name] if name in f else pd.Series(default, index=f.index)


def _where(cond, yes, no) -> pd.Series:
    """Row-wise text choice, keeping the index of the Series among the arguments."""
    index = next(x.index for x in (cond, yes, no) if isinstance(x, pd.Series))
    return pd.Series(np.where(np.asarray(cond, bool), yes, no), index=index)


def _supplier(f: pd.DataFrame) -> pd.Series:
    return _s(_col(f, "supplier_id")).replace("", "the supplier")


def _line_label(f: pd.DataFrame) -> pd.Series:
    label = "order " + _s(f["order_id"])
    if "line_id" in f:
        label += np.where(f["line_id"].notna(), " line " + _s(f["line_id"]), "")
    return label


def _customer(f: pd.DataFrame) -> pd.Series:
    if "customer_id" not in f:
        return pd.Series("the customer", index=f.index)
    return pd.Series(np.where(f["customer_id"].notna(), "customer " + _s(f["customer_id"]),
                              "the customer"), index=f.index)


def _backup(f: pd.DataFrame, late_days: float) -> pd.Series:
    """'; SUP delivers x days late on average: ask a backup supplier' where it does."""
    late = _col(f, "supplier_late_days").astype(float)
    text = ("; " + _supplier(f) + " delivers " + _fmt(late) + " days late on average: "
            "ask a backup supplier")
    return _where(late > late_days, text, "")


def _eta_text(f: pd.DataFrame, dated: str, beyond: str, none: str) -> pd.Series:
    """``dated`` + the 80 % ETA, ``beyond`` past the ETA horizon, else ``none``."""
    eta = pd.to_datetime(_col(f, "eta_p80", pd.NaT))
    return _where(eta.notna(), dated + _date(eta),
                  _where(_col(f, "eta_beyond", False).astype(bool), beyond, none))


def _alerts(kind, f: pd.DataFrame, severity, message, action, **cols) -> pd.DataFrame:
    """One alert per row of ``f`` in the :data:`COLUMNS` layout."""
    out = pd.DataFrame(index=f.index)
    out["kind"] = kind
    out["severity"] = severity
    for c in ("sku", "supplier_id", "order_id", "line_id", "customer_id", "po_id"):
        out[c] = pd.Series(cols.pop(c) if c in cols else f.get(c, None), index=f.index,
                           dtype=TEXT)
    out["message"] = message
    out["action"] = action
    for c in _NUM:
        out[c] = np.asarray(cols.pop(c), float) if c in cols else np.nan
    out["due_date"] = pd.to_datetime(cols.pop("due_date", pd.NaT))
    out["eta_p80"] = pd.to_datetime(f["eta_p80"]) if "eta_p80" in f else pd.NaT
    return out.reset_index(drop=True)


def line_key(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    both = "line_id" in a and "line_id" in b
    return ["order_id", "line_id"] if both else ["order_id", "sku"]


# --------------------------------------------------------------------------- rules


def low_stock(skus: pd.DataFrame, as_of, *, late_supplier_days: float = 2.0) -> pd.DataFrame:
    """SKUs whose projected cover is shorter than their lead time.

    projected = ``on_hand + arriving_units − backordered_units`` [units] (``arriving``:
    open-PO units expected within the lead time); cover = projected /
    ``mean_daily_demand`` [days] (+inf with no demand and projected >= 0, −inf with no
    demand and projected < 0). Fires when cover < ``lead_time_days``; ``high`` when
    projected <= 0 or nothing is on hand, else ``medium``.

    ``skus`` columns: ``sku, supplier_id, on_hand, arriving_units, backordered_units,
    mean_daily_demand, lead_time_days`` and optionally ``next_po_id, next_po_date,
    next_po_units`` (the open PO to expedite), ``supplier_late_days``.
    Output ``days`` = cover, ``limit_days`` = lead time, ``units`` = projected stock,
    ``due_date`` = expected stock-out (``as_of`` + cover; NaT when cover < 0).
    """
    as_of = pd.Timestamp(as_of)
    proj = (skus["on_hand"] + skus["arriving_units"] - skus["backordered_units"]).astype(float)
    d = skus["mean_daily_demand"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = pd.Series(np.where(d > 0, proj / d, np.where(proj < 0, -np.inf, np.inf)),
                          index=skus.index)
    f = skus[(cover < skus["lead_time_days"].astype(float)).to_numpy()]
    f = f.assign(cover=cover[f.index], proj=proj[f.index])
    high = (f["proj"] <= 0) | (f["on_hand"] <= 0)
    stockout = pd.Series(as_of + pd.to_timedelta(f["cover"].where(f["cover"] >= 0), "D"),
                         index=f.index)
    msg = (_s(f["sku"]) + ": " + _fmt(f["on_hand"], "{:,.0f}") + " on hand + "
           + _fmt(f["arriving_units"], "{:,.0f}") + " arriving within the "
           + _fmt(f["lead_time_days"]) + "-day lead time − "
           + _fmt(f["backordered_units"], "{:,.0f}") + " backordered = "
           + _fmt(f["proj"], "{:,.0f}") + " units, " + _fmt(f["cover"])
           + " days of demand at " + _fmt(f["mean_daily_demand"], "{:,.2f}")
           + " units/day; stock-out expected " + _date(stockout).replace("none", "now"))
    po = _col(f, "next_po_id")
    expedite = ("; expedite " + _s(po) + " (" + _fmt(_col(f, "next_po_units"), "{:,.0f}")
                + " units, expected " + _date(_col(f, "next_po_date", pd.NaT)) + ")")
    action = ("Order now from " + _supplier(f) + _where(po.notna(), expedite, "; no PO is open")
              + _backup(f, late_supplier_days))
    return _alerts("low_stock", f, np.where(high, "high", "medium"), msg, action,
                   days=f["cover"], limit_days=f["lead_time_days"], units=f["proj"],
                   due_date=stockout, po_id=po)


def below_reorder_point(skus: pd.DataFrame, *, late_supplier_days: float = 2.0) -> pd.DataFrame:
    """SKUs whose inventory position is at or below their reorder point.

    position = ``on_hand + on_order − backordered_units`` [units]; fires when position
    <= ``reorder_point`` (the trigger of the ``(r, Q)`` policy,
    :class:`~backorder_analytics.ReorderPoint`); ``high`` when position < 0 (the open
    POs do not even clear the backorders), else ``medium``. The action orders the
    smallest multiple of ``order_quantity`` Q that lifts the position above r,
    ``(floor((r − position) / Q) + 1)·Q`` units, or ``floor(r − position) + 1`` units
    when Q is unknown (NaN). SKUs without a reorder point (NaN) are not checked.

    ``skus`` columns: ``sku, supplier_id, on_hand, on_order, backordered_units,
    reorder_point`` and optionally ``order_quantity``, ``supplier_late_days``.
    Output ``units`` = position, ``limit_units`` = reorder point.
    """
    pos = (skus["on_hand"] + skus["on_order"] - skus["backordered_units"]).astype(float)
    r = skus["reorder_point"].astype(float)
    f = skus[(pos <= r).to_numpy()]
    f = f.assign(pos=pos[f.index], r=r[f.index])
    q = _col(f, "order_quantity").astype(float)
    gap = f["r"] - f["pos"]
    units = pd.Series(np.where(q > 0, (np.floor(gap / q) + 1) * q, np.floor(gap) + 1),
                      index=f.index)
    msg = (_s(f["sku"]) + ": inventory position " + _fmt(f["pos"], "{:,.0f}") + " units ("
           + _fmt(f["on_hand"], "{:,.0f}") + " on hand + " + _fmt(f["on_order"], "{:,.0f}")
           + " on order − " + _fmt(f["backordered_units"], "{:,.0f}")
           + " backordered) is at or below its reorder point " + _fmt(f["r"]))
    action = ("Place a PO for " + _fmt(units, "{:,.0f}") + " units"
              + _where(q > 0, " (" + _fmt(units / q, "{:,.0f}") + " × the order quantity "
                       + _fmt(q, "{:,.0f}") + ")", "") + " with "
              + _supplier(f) + _backup(f, late_supplier_days))
    return _alerts("below_reorder_point", f, np.where(f["pos"] < 0, "high", "medium"), msg,
                   action, units=f["pos"], limit_units=f["r"])


def ageing_backorders(lines: pd.DataFrame, as_of, *, max_wait_days: float = 30,
                      warn_days: float = 7, late_supplier_days: float = 2.0) -> pd.DataFrame:
    """Open backorder lines past, about to pass, or expected to miss their time limit.

    age = ``as_of − order_date`` [days]; limit date = ``order_date + max_wait_days``.
    At most one alert per line, the first that applies: ``backorder_past_limit`` (age >=
    ``max_wait_days``; high), ``backorder_will_miss_limit`` (``eta_p80`` after the limit
    date; high), ``backorder_near_limit`` (age >= ``max_wait_days − warn_days``;
    medium). The action names the PO expected to fill the line (``expected_po``) when
    known, and a backup supplier when the SKU's supplier is late on average.

    ``lines`` columns: ``order_id, sku, order_date, quantity, open_units`` and
    optionally ``line_id, customer_id, supplier_id, eta_p80, expected_po,
    p_ship_within_limit, supplier_late_days``.
    Output ``days`` = age, ``limit_days`` = ``max_wait_days``, ``units`` = open units,
    ``due_date`` = the limit date.
    """
    as_of = pd.Timestamp(as_of)
    wait = float(max_wait_days)
    age = ((as_of - lines["order_date"]) / DAY).to_numpy(float)
    limit = lines["order_date"] + pd.Timedelta(days=wait)
    eta = pd.to_datetime(_col(lines, "eta_p80", pd.NaT))
    beyond = _col(lines, "eta_beyond", False).to_numpy(bool)
    past = age >= wait
    miss = ~past & ((eta > limit).to_numpy() | beyond)
    near = ~past & ~miss & (age >= wait - float(warn_days))
    kind = np.select([past, miss, near], list(KINDS[:2]) + ["backorder_near_limit"], "")
    fire = kind != ""
    f = lines[fire].assign(age=age[fire], limit=limit[fire], kind=kind[fire])
    is_past, is_miss = f["kind"] == KINDS[0], f["kind"] == KINDS[1]
    who = _customer(f)
    p = _col(f, "p_ship_within_limit").astype(float)
    eta_txt = _eta_text(f, "; 80% ETA ", "; no 80% ETA within the ETA horizon", "")
    p_txt = _where(p.notna(), "; P(shipped by the limit) = " + _fmt(p * 100, "{:.0f}") + "%",
                   "")
    lim = f"the {wait:g}-day limit (" + _date(f["limit"]) + ")"
    head = (_line_label(f) + " (" + who + "): " + _fmt(f["open_units"], "{:,.0f}") + " of "
            + _fmt(f["quantity"], "{:,.0f}") + " units of " + _s(f["sku"])
            + " have waited " + _fmt(f["age"]) + " days")
    left = _fmt((f["limit"] - as_of) / DAY)
    msg = _where(is_past, head + ", past " + lim + eta_txt,
                 _where(is_miss, head + eta_txt + " is after " + lim + p_txt,
                        head + "; " + lim + " is in " + left + " days" + eta_txt + p_txt))
    po = _col(f, "expected_po")
    has_po = po.notna()
    exp = "expedite " + _s(po) + " (expected to fill it)"
    offer = "offer " + who + " an alternative or a refund"
    action = _where(
        is_past, "O" + offer.str[1:] + " now" + _where(has_po, "; or " + exp, ""),
        _where(is_miss,
               _where(has_po, "E" + exp.str[1:] + "; otherwise " + offer,
                      "No PO is expected to fill it: " + offer) + " before "
               + _date(f["limit"]),
               _where(has_po, "E" + exp.str[1:] + "; prepare to " + offer,
                      "Check supply; prepare to " + offer))) + _backup(f, late_supplier_days)
    return _alerts(f["kind"].to_numpy(), f, np.where(is_past | is_miss, "high", "medium"),
                   msg, action, days=f["age"], limit_days=np.full(len(f), wait),
                   units=f["open_units"], due_date=f["limit"], po_id=po)


def late_purchase_orders(pos: pd.DataFrame, as_of, *, high_days: int = LATE_PO_HIGH_DAYS,
                         low_days: int = LATE_PO_LOW_DAYS,
                         late_supplier_days: float = 2.0) -> pd.DataFrame:
    """Open POs past their promised date.

    days late = calendar days from ``expected_date`` to ``as_of`` (dates only, time of
    day ignored): a PO due today is not late, one due yesterday is 1 day late. Fires at
    >= 1 day. ``high`` when backorders wait on the SKU (``backordered_units > 0``) or
    the PO is >= ``high_days`` late, ``low`` when it is <= ``low_days`` late and nothing
    waits, else ``medium``. POs without ``expected_date`` are not checked.

    ``pos`` columns: ``po_id, sku, supplier_id, quantity, expected_date,
    backordered_units, backordered_lines`` and optionally ``supplier_late_days``.
    Output ``days`` = days late, ``units`` = PO units, ``limit_units`` = units
    backordered on the SKU, ``due_date`` = ``expected_date``.
    """
    as_of = pd.Timestamp(as_of)
    if "expected_date" not in pos:
        pos = pos.assign(expected_date=pd.NaT)  # type: ignore[arg-type]  # pandas-stubs: NaT
    due = pd.to_datetime(pos["expected_date"])
    late = ((as_of.normalize() - due.dt.normalize()) / DAY).to_numpy(float)
    f = pos[late >= 1].assign(late=late[late >= 1])
    waiting = f["backordered_units"] > 0
    sev = np.where(waiting | (f["late"] >= high_days), "high",
                   np.where(f["late"] <= low_days, "low", "medium"))
    msg = (_s(f["po_id"]) + " (" + _supplier(f) + ", " + _fmt(f["quantity"], "{:,.0f}")
           + " units of " + _s(f["sku"]) + ") was due " + _date(f["expected_date"]) + ", "
           + _fmt(f["late"], "{:,.0f}") + " day(s) ago; "
           + _where(waiting, _fmt(f["backordered_lines"], "{:,.0f}") + " backordered line(s) ("
                    + _fmt(f["backordered_units"], "{:,.0f}") + " units) wait for it",
                    "no backorder waits for " + _s(f["sku"])))
    action = ("Chase " + _supplier(f) + " for a firm delivery date"
              + _where(waiting, "; expedite " + _s(f["po_id"]), "")
              + _backup(f, late_supplier_days))
    return _alerts("late_po", f, sev, msg, action, days=f["late"], units=f["quantity"],
                   limit_units=f["backordered_units"], due_date=f["expected_date"])


def status_updates_due(lines: pd.DataFrame, as_of, *, update_every_days: float = 7,
                       last_run=None, last_contacted: pd.DataFrame | None = None
                       ) -> pd.DataFrame:
    """Customers due a status update on a backordered line.

    Alerts are taken to run regularly; ``last_run`` (default ``as_of`` − 1 day) is the
    previous run. A line ordered after ``last_run`` became backordered since then: its
    customer must be told now (``medium``). Without ``last_contacted`` each customer is
    assumed told when the line became backordered (its ``order_date``) and every
    ``update_every_days`` after: an update is due when ``order_date +
    k·update_every_days`` (k >= 1) falls in ``(last_run, as_of]`` (``low``). With
    ``last_contacted`` (``order_id``, ``line_id`` or ``sku``, ``contacted_at``): new
    lines not contacted since their order and other lines never contacted are
    ``medium``, lines last contacted ``update_every_days`` or more before ``as_of``
    ``low``. The message gives the 80 % ETA (``eta_p80``) to tell the customer.
    Output ``days`` = age, ``limit_days`` = cadence, ``units`` = open units,
    ``due_date`` = the last contact (NaT if none).
    """
    as_of = pd.Timestamp(as_of)
    last_run = as_of - DAY if last_run is None else pd.Timestamp(last_run)
    every = float(update_every_days)
    age = ((as_of - lines["order_date"]) / DAY).to_numpy(float)
    new = (lines["order_date"] > last_run).to_numpy()
    if last_contacted is None:
        k = np.floor(age / every)
        due_at = lines["order_date"] + pd.to_timedelta(k * every, "D")
        routine = ~new & (k >= 1) & (due_at > last_run).to_numpy()
        told = (lines["order_date"] + pd.to_timedelta(np.maximum(k - 1, 0) * every, "D")
                ).where(~new)
        never = np.zeros(len(lines), bool)
    else:
        key = line_key(lines, last_contacted)
        last = last_contacted.groupby(key, as_index=False)["contacted_at"].max()
        told = pd.Series(pd.to_datetime(lines[key].merge(last, on=key, how="left")
                                        ["contacted_at"]).to_numpy(), index=lines.index)
        new = new & (told.isna() | (told < lines["order_date"])).to_numpy()
        never = ~new & told.isna().to_numpy()
        routine = ~new & ~never & ((as_of - told) >= pd.Timedelta(days=every)).to_numpy()
    fire = new | never | routine
    f = lines[fire].assign(age=age[fire], told=told[fire])
    sev = np.where(new[fire] | never[fire], "medium", "low")
    msg = ("Tell " + _customer(f) + ": " + _line_label(f) + ", "
           + _fmt(f["open_units"], "{:,.0f}") + " of " + _fmt(f["quantity"], "{:,.0f}")
           + " units of " + _s(f["sku"]) + ", backordered since "
           + _date(f["order_date"]) + " (" + _fmt(f["age"]) + " days); "
           + _eta_text(f, "expected by ", "no date can be promised yet (80% ETA beyond "
                       "the ETA horizon)", "no ETA available")
           + _where(_col(f, "eta_p80", pd.NaT).notna(), " (80% ETA)", ""))
    action = _where(new[fire], pd.Series("Send the backorder notice now", index=f.index),
                    _where(never[fire], "Send a status update: not told yet",
                           "Send the regular status update (last " + _date(f["told"]) + ")"))
    return _alerts("status_update_due", f, sev, msg, action, days=f["age"],
                   limit_days=np.full(len(f), every), units=f["open_units"],
                   due_date=f["told"])


def eta_slipped(lines: pd.DataFrame, previous: pd.DataFrame, *,
                slip_days: float = 2) -> pd.DataFrame:
    """Lines whose 80 % ETA moved later than the one communicated before.

    slip = current ``eta_p80`` − previous ``eta_p80`` [days], lines matched on
    ``order_id, line_id`` (``order_id, sku`` when either frame lacks ``line_id``);
    fires when slip > ``slip_days``. ``high`` when the new ETA is after the line's
    ``limit_date``, else ``medium``. Lines missing from ``previous`` are not checked.
    Output ``days`` = slip, ``limit_days`` = ``slip_days``, ``units`` = open units,
    ``due_date`` = the previous ETA.
    """
    key = line_key(lines, previous)
    prev = previous.groupby(key, as_index=False)["eta_p80"].last()
    was: pd.Series[pd.Timestamp] = pd.Series(
        pd.to_datetime(lines[key].merge(prev, on=key, how="left")["eta_p80"]).to_numpy(),
        index=lines.index)
    now = pd.to_datetime(_col(lines, "eta_p80", pd.NaT))
    beyond = _col(lines, "eta_beyond", False).to_numpy(bool)
    slip = np.where(beyond & was.notna().to_numpy(), np.inf, ((now - was) / DAY).to_numpy(float))
    fire = slip > float(slip_days)
    f = lines[fire].assign(slip=slip[fire], was=was[fire], now=now[fire])
    after = ((f["now"] > pd.to_datetime(_col(f, "limit_date", pd.NaT))).to_numpy()
             | _col(f, "eta_beyond", False).to_numpy(bool))
    msg = ("80% ETA of " + _line_label(f) + " (" + _customer(f) + ", " + _s(f["sku"])
           + ") slipped " + _fmt(f["slip"]) + " days: now "
           + _eta_text(f, "", "beyond the ETA horizon", "none") + ", was "
           + _date(f["was"]) + _where(after, ", after the limit date "
                                      + _date(_col(f, "limit_date", pd.NaT)), ""))
    po = _col(f, "expected_po")
    action = ("Tell " + _customer(f) + " the new date"
              + _where(po.notna(), "; expedite " + _s(po), ""))
    return _alerts("eta_slipped", f, np.where(after, "high", "medium"), msg, action,
                   days=f["slip"], limit_days=np.full(len(f), float(slip_days)),
                   units=f["open_units"], due_date=f["was"], po_id=po)
