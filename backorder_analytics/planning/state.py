"""Each SKU's stock position at a moment, and the reorder rule its history shows.

Both come from one replay of the history (:func:`~backorder_analytics.replay`): on
hand, units backordered, open purchase orders and inventory position
(:func:`inventory_state`), and the ``(r, Q)`` rule the SKU's purchase orders follow
(:func:`historical_reorder_points`). Every function takes the replay it should use
(``replay=``), so the ETAs, the risk, the alerts and the planning run share one; a
replay that runs past the moment wanted is cut back to it
(:meth:`~backorder_analytics.ReplayResult.at`), which is what replaying the data as
known then gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..exceptions import DataError
from ..parameters import ALLOCATIONS, SHIPPING, check_choice
from ..simulation.replay import replay as replay_history
from ..simulation.replay_result import ReplayResult
from .safety_stock import SafetyStockRecommendation

__all__ = ["inventory_state", "state_from_replay", "replay_for",
           "historical_reorder_points", "reorder_points_from_replay", "reorder_rule",
           "reorder_points_of",
           "POLICY_WINDOW_DAYS", "MIN_STUMP_POS"]

DAY = pd.Timedelta(days=1)
POLICY_WINDOW_DAYS = 365
"""History [days] from which a SKU's reorder point and quantity are estimated."""
MIN_STUMP_POS = 3
"""Days with a PO in the window a SKU needs for its reorder point to be the threshold
separating them from the days without one (:func:`reorder_rule`); with fewer, the
median position before its POs."""


def replay_for(ds: Dataset, moment: pd.Timestamp, *, replay: ReplayResult | None = None,
               allocation: str | None = None, shipping: str | None = None,
               skus=None) -> ReplayResult | None:
    """The replay of ``ds``'s history up to ``moment``: ``replay`` cut back to it when
    given, else a new one; None when nothing had happened by then (no order line and
    no receipt).

    ``allocation`` and ``shipping`` default to the given replay's rules (else "fifo"
    and "partial"); a given replay made under other rules, or ending before
    ``moment``, is refused with a ``ValueError``. ``skus``: a given replay is cut to
    these SKUs' lines too (:meth:`~backorder_analytics.ReplayResult.at`).
    """
    if replay is not None:
        if not isinstance(replay, ReplayResult):
            raise TypeError("The 'replay' parameter must be a ReplayResult (see "
                            f"ba.replay). Got {type(replay).__name__} instead.")
        for name, value in (("allocation", allocation), ("shipping", shipping)):
            if value is not None and replay.params[name] != value:
                raise ValueError(f"The 'replay' parameter was made with {name}="
                                 f"{replay.params[name]!r}, not {value!r}: pass a replay "
                                 f"under the same rules, or leave {name!r} out.")
        if replay.as_of < moment:
            raise ValueError(f"The 'replay' parameter ends at {replay.as_of}, before "
                             f"{moment}: replay the history up to {moment} instead.")
        if moment < replay.origin:
            return None
        return replay.at(moment, skus)
    allocation = check_choice(allocation or "fifo", "allocation", ALLOCATIONS)
    shipping = check_choice(shipping or "partial", "shipping", SHIPPING)
    past = ds.as_at(moment) if moment < ds.as_of else ds
    po = past.purchase_orders
    received = "received_date" in po and po["received_date"].notna().any()
    if not len(past.orders) and not received:
        return None
    return replay_history(past, allocation=allocation, shipping=shipping)


def inventory_state(ds: Dataset, as_of: Any = None, allocation: str | None = None, *,
                    replay: ReplayResult | None = None) -> pd.DataFrame:
    """Stock, backorders and open POs of every SKU at ``as_of``.

    Parameters
    ----------
    ds : Dataset
    as_of : date-like, optional
        Default ``ds.as_of``; a date without a time of day means the end of that day.
    allocation : {"fifo", "priority"}, optional
        Rule of the :func:`~backorder_analytics.replay` that rebuilds the stock
        (default: the given replay's, else "fifo").
    replay : ReplayResult, optional
        The history replayed already (up to ``as_of`` or later); default: replayed here.

    Returns
    -------
    pandas.DataFrame
        Index ``sku`` (every SKU of the dataset); ``supplier_id`` (from ``items``, else
        the supplier of most of its POs), ``on_hand``, ``on_order``,
        ``backordered_now`` [units], ``backordered_lines_now``, ``inventory_position``
        (on hand + on order − backordered) [units], ``mean_line_size`` [units per order
        line in the history; 1 without history].

    Examples
    --------
    >>> from backorder_analytics import example_dataset
    >>> state = inventory_state(example_dataset(seed=0), allocation="priority")
    >>> int(state["on_order"].sum()) > 0, list(state.columns[:3])
    (True, ['supplier_id', 'on_hand', 'on_order'])
    """
    moment = ds.moment(as_of)
    rep = replay_for(ds, moment, replay=replay, allocation=allocation)
    return state_from_replay(ds, rep, moment)


def state_from_replay(ds: Dataset, rep: ReplayResult | None,
                      moment: pd.Timestamp | None = None) -> pd.DataFrame:
    """:func:`inventory_state` of ``ds`` at ``moment`` (default the replay's end, else
    ``ds.as_of``) from its replay ``rep`` (None: nothing happened yet)."""
    moment = (rep.as_of if rep is not None else ds.as_of) if moment is None else moment
    skus = pd.Index(ds.skus, name="sku")
    out = pd.DataFrame(index=skus)
    if rep is not None:
        lines = rep.lines
        shipped = lines.groupby("sku", observed=True)["shipped"].sum()
        end = (rep.stock["opening_stock"] + rep.stock["received_units"]
               - shipped.reindex(rep.stock.index, fill_value=0))
        on_hand = end.reindex(skus)
        waiting = lines[lines["open"] > 0].groupby("sku", observed=True)["open"].agg(
            ["sum", "size"])
    else:
        on_hand = pd.Series(np.nan, index=skus)
        waiting = pd.DataFrame(columns=["sum", "size"])
    inv = ds.inventory[(ds.inventory["date"] <= moment).to_numpy()]
    last_count = inv.sort_values("date", kind="stable").groupby("sku")["on_hand"].last()
    out["on_hand"] = on_hand.fillna(last_count.reindex(skus)).fillna(0).astype(np.int64)
    po = ds.purchase_orders_open_at(moment)
    out["on_order"] = po.groupby("sku")["quantity"].sum().reindex(skus, fill_value=0)
    out["backordered_now"] = waiting["sum"].reindex(skus, fill_value=0).astype(np.int64)
    out["backordered_lines_now"] = waiting["size"].reindex(skus, fill_value=0).astype(np.int64)
    out["inventory_position"] = out["on_hand"] + out["on_order"] - out["backordered_now"]
    o = ds.orders  # (no copy of the order history: only what is known by the moment)
    size = o["quantity"].where(o["order_date"] <= moment).groupby(o["sku"]).mean()
    out["mean_line_size"] = size.reindex(skus).fillna(1.0).astype(float)
    out.insert(0, "supplier_id", ds.suppliers.reindex(skus))
    return out


def reorder_rule(rep: ReplayResult, po: pd.DataFrame, skus) -> tuple[np.ndarray, np.ndarray]:
    """The reorder rule a SKU's history shows at the replay's end: per SKU of ``skus``,
    ``r`` and ``Q`` [units]. ``po``: the purchase orders (those ordered after the
    replay's end are left out).

    ``r`` is the threshold on the inventory position (on hand + on order − backordered,
    from the replay ``rep``) that best separates, over the last
    :data:`POLICY_WINDOW_DAYS` days, the days a PO was placed from the days none was
    (a decision stump): it minimises ``#{PO days whose position just before the day's
    first PO is > r} + #{days without a PO whose position at the SKU's review time is
    <= r}``. The review time is the median time of day of the SKU's POs; a day without
    a PO is judged at that time (events at that instant included, as they are before a
    PO). Positions are whole units, so the minimisers are whole numbers from the lowest
    ``L`` to the highest ``H``; ``r = (L + H) / 2``, the middle of the thresholds the
    history cannot tell apart (with a clean ``(r, Q)`` history, ``L`` is the highest
    position at a PO and ``H`` one less than the lowest position on a day without one).
    A few orders off the rule (placed above ``r``) cost one error each and do not move
    it. A SKU with fewer than :data:`MIN_STUMP_POS` such POs falls back to the median
    position just before its POs of the window (all its POs when none are that recent;
    NaN without any). ``Q`` is the median quantity of its POs of the window (all its
    POs when none are that recent; 1 without any)."""
    now = rep.as_of
    skus = pd.Index(skus)
    p = po[(po["sku"].isin(skus) & (po["order_date"] <= now)).to_numpy()]
    if "received_date" in p:  # received before the replay began: in its opening stock
        p = p[(p["received_date"].isna() | (p["received_date"] >= rep.origin)).to_numpy()]
    L = rep.lines
    line_sku = skus.get_indexer(rep.stock.index)[rep._events["code"]]
    can = (L["cancelled"].to_numpy() > 0) & (line_sku >= 0)
    mine = line_sku >= 0

    def ns(values) -> np.ndarray:
        return np.asarray(values, dtype="datetime64[ns]").astype(np.int64)

    origin, day_ns = rep.origin.value, DAY.value
    since = (now - POLICY_WINDOW_DAYS * DAY).value  # the window: (since, now]
    po_sku = skus.get_indexer(p["sku"])
    po_t = ns(p["order_date"].to_numpy())
    recent = po_t > since
    # the stump's POs: placed in the window and in the replay, the day's first one
    seen = recent & (po_t >= origin)
    po_day = (po_t - origin) // day_ns
    tod = pd.Series((po_t - origin) % day_ns)[seen].groupby(po_sku[seen]).median()
    n_days = pd.Series(po_day[seen]).groupby(po_sku[seen]).nunique()
    tod = tod[(n_days >= MIN_STUMP_POS).to_numpy()]
    stump = np.zeros(len(skus), bool)
    stump[tod.index.to_numpy()] = True
    # days without a PO: each day of the window, at the SKU's review time of day
    first_day, last_day = (max(since, origin) - origin) // day_ns, (now.value - origin) // day_ns
    days = np.arange(first_day, last_day + 1, dtype=np.int64)
    q_sku = np.repeat(tod.index.to_numpy(np.int64), len(days))
    q_day = np.tile(days, len(tod))
    q_t = origin + q_day * day_ns + np.repeat(np.round(tod.to_numpy()).astype(np.int64),
                                              len(days))
    keep = (q_t > since) & (q_t <= now.value)
    q_sku, q_day, q_t = q_sku[keep], q_day[keep], q_t[keep]
    span = last_day + 2  # a key per SKU and day
    after = po_t >= origin
    none = ~np.isin(q_sku * span + q_day, po_sku[after] * span + po_day[after])
    q_sku, q_t = q_sku[none], q_t[none]

    # events of every SKU: demand, then cancellations, then POs, then the day's review
    # (a day without a PO) at one instant
    n_l, n_c, n_p = int(mine.sum()), int(can.sum()), len(p)
    code = np.r_[line_sku[mine], line_sku[can], po_sku, q_sku]
    t = np.r_[ns(L["order_date"].to_numpy()[mine]), ns(L["cancel_date"].to_numpy()[can]),
              np.maximum(po_t, origin), q_t]
    kind = np.r_[np.zeros(n_l, np.int8), np.ones(n_c, np.int8), np.full(n_p, 2, np.int8),
                 np.full(len(q_t), 3, np.int8)]
    flow = np.r_[-L["quantity"].to_numpy(np.int64)[mine],
                 L["cancelled"].to_numpy(np.int64)[can], p["quantity"].to_numpy(np.int64),
                 np.zeros(len(q_t), np.int64)]
    obs = np.r_[np.zeros(n_l + n_c, bool), seen & stump[po_sku], np.zeros(len(q_t), bool)]
    is_recent = np.r_[np.zeros(n_l + n_c, bool), recent, np.zeros(len(q_t), bool)]
    order = np.lexsort((kind, t, code))  # stable: POs at one instant in table order
    code, kind, flow, t = code[order], kind[order], flow[order], t[order]
    obs, is_recent = obs[order], is_recent[order]
    before = np.cumsum(flow) - flow  # the flows before each event, over all SKUs
    start = np.searchsorted(code, np.arange(len(skus)))  # each SKU's first event
    opening = rep.stock["opening_stock"].reindex(skus).fillna(0).to_numpy(float)
    ip = opening[code] + before - before[np.minimum(start[code], len(before) - 1)]

    # the median rule: the POs of the last year where the SKU has any, else all of them
    placed = kind == 2
    at_po = pd.DataFrame({"code": code[placed], "ip": ip[placed],
                          "recent": is_recent[placed]})
    has_recent = at_po.groupby("code")["recent"].transform("any")
    at_po = at_po[at_po["recent"] | ~has_recent]
    r = at_po.groupby("code")["ip"].median().reindex(np.arange(len(skus))).to_numpy(float)

    # the stump: per SKU, its PO days (label 1) and days without a PO (label 0)
    d = (t - origin) // day_ns
    po_rows = np.flatnonzero(obs)  # the day's first PO only: sorted by SKU and time
    po_rows = po_rows[np.r_[True, (code[po_rows][1:] != code[po_rows][:-1])
                            | (d[po_rows][1:] != d[po_rows][:-1])]] if len(po_rows) else po_rows
    day_rows = np.flatnonzero(kind == 3)
    rows = np.r_[po_rows, day_rows]
    if len(rows):
        r_stump = _stump(code[rows], ip[rows], np.r_[np.ones(len(po_rows), bool),
                                                     np.zeros(len(day_rows), bool)], len(skus))
        r = np.where(stump & np.isfinite(r_stump), r_stump, r)
    q = p[recent].groupby("sku")["quantity"].median().reindex(skus).fillna(
        p.groupby("sku")["quantity"].median().reindex(skus))
    return r, q.fillna(1.0).clip(lower=1).to_numpy(float)


def _stump(code: np.ndarray, ip: np.ndarray, is_po: np.ndarray, n: int) -> np.ndarray:
    """Per group ``0 … n-1`` of ``code``, the middle ``(L + H) / 2`` of the whole-number
    thresholds ``r`` (from the group's lowest position up) minimising ``#{is_po and
    ip > r} + #{not is_po and ip <= r}``; NaN for a group without rows. Vectorised: one
    sort, cumulative counts, and a cut after each run of equal positions."""
    out = np.full(n, np.nan)
    order = np.lexsort((ip, code))
    code, ip, is_po = code[order], ip[order], is_po[order]
    m = len(code)
    start = np.searchsorted(code, code)  # each row's group start
    end = np.searchsorted(code, code, side="right")  # and end (exclusive)
    cum_po = np.cumsum(is_po)
    cum_no = np.cumsum(~is_po)
    base_po = np.r_[0, cum_po][start]
    base_no = np.r_[0, cum_no][start]
    total_po = np.r_[0, cum_po][end] - base_po
    # cutting after row j: r in [ip_j, ip_{j+1} - 1] (to ip_j at the group's last row)
    err = total_po - (cum_po - base_po) + (cum_no - base_no)
    last = np.r_[(code[1:] != code[:-1]) | (ip[1:] != ip[:-1]), True]  # of a run
    err = np.where(last, err, np.iinfo(np.int64).max)
    best = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(best, code, err)
    hit = last & (err == best[code])
    nxt = np.where(np.arange(m) + 1 < end, ip[np.minimum(np.arange(m) + 1, m - 1)] - 1, ip)
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    np.minimum.at(lo, code[hit], ip[hit])
    np.maximum.at(hi, code[hit], nxt[hit])
    has = np.isfinite(lo)
    out[has] = (lo[has] + hi[has]) / 2
    return out


def historical_reorder_points(ds: Dataset, as_of: Any = None, allocation: str | None = None,
                              *, replay: ReplayResult | None = None) -> pd.DataFrame:
    """Reorder point and quantity per SKU as its purchase history shows them.

    The rule of :func:`reorder_rule` on a replay of the history up to ``as_of``: ``r``
    the inventory position that best separates the days a PO was placed from the days
    none was, ``Q`` the median PO quantity (both over the last
    :data:`POLICY_WINDOW_DAYS` days). SKUs never
    reordered are left out. The default replenishment of
    :func:`~backorder_analytics.backorder_risk`; :func:`~backorder_analytics.backorder_eta`
    uses the same rule. ``allocation`` and ``replay`` as in :func:`inventory_state`.

    Returns
    -------
    pandas.DataFrame
        ``sku``, ``r``, ``Q`` [units].

    Examples
    --------
    >>> from backorder_analytics import example_dataset
    >>> rp = historical_reorder_points(example_dataset(seed=0), allocation="priority")
    >>> list(rp.columns), len(rp)
    (['sku', 'r', 'Q'], 60)
    """
    moment = ds.moment(as_of)
    rep = replay_for(ds, moment, replay=replay, allocation=allocation)
    return reorder_points_from_replay(ds, rep)


def reorder_points_from_replay(ds: Dataset, rep: ReplayResult | None) -> pd.DataFrame:
    """:func:`historical_reorder_points` of ``ds`` at the end of its replay ``rep``."""
    if rep is None:
        return pd.DataFrame({"sku": pd.Series(dtype=object), "r": pd.Series(dtype=float),
                             "Q": pd.Series(dtype=float)})
    skus = pd.Index(ds.skus)
    r, q = reorder_rule(rep, ds.purchase_orders, skus)
    known = ~np.isnan(r)
    return pd.DataFrame({"sku": skus[known], "r": r[known], "Q": q[known]})


def reorder_points_of(spec, skus: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """``(r, Q)`` of each SKU of ``skus`` from a frame ``sku, r, Q``, a mapping
    ``{sku: (r, Q)}`` or a safety-stock recommendation (its ``reorder_points``)
    [units]; ``r = -inf`` (never reorder), ``Q = 1`` for a SKU not listed or for None."""
    r = np.full(len(skus), -np.inf)
    q = np.ones(len(skus))
    if spec is None:
        return r, q
    if isinstance(spec, SafetyStockRecommendation):
        spec = spec.reorder_points
    if isinstance(spec, pd.DataFrame):
        missing = [c for c in ("sku", "r", "Q") if c not in spec.columns]
        if missing:
            raise DataError(f"reorder_points has no column {missing[0]!r}; it needs sku, r "
                            f"and Q [units]. Found: {list(spec.columns)}.")
        spec = {s: (a, b) for s, a, b in zip(spec["sku"], spec["r"], spec["Q"], strict=True)}
    elif not isinstance(spec, Mapping):
        raise TypeError("The 'reorder_points' parameter must be 'history', a DataFrame (sku, "
                        "r, Q), a mapping {sku: (r, Q)}, a SafetyStockRecommendation or None. "
                        f"Got {type(spec).__name__} instead.")
    for sku, (a, b) in spec.items():
        if not b >= 1:
            raise ValueError(f"reorder_points: the order quantity Q of {sku!r} must be >= 1 "
                             f"[units]. Got {b!r} instead.")
        i = skus.get_indexer(pd.Index([sku]))[0]
        if i >= 0:
            r[i], q[i] = float(a), float(b)
    return r, q
