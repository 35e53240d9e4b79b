"""Each SKU's stock position at a moment: :func:`inventory_state`.

On hand, units backordered, open purchase orders and inventory position, from a replay
of the history up to ``as_of``; shared by :mod:`~backorder_analytics.planning.risk` and
:mod:`~backorder_analytics.planning.risk_classifier`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..simulation.replay import replay
from ..simulation.replay_result import ReplayResult

__all__ = ["inventory_state", "state_from_replay", "replay_at", "open_pos_at",
           "historical_reorder_points", "reorder_points_from_replay", "reorder_rule",
           "POLICY_WINDOW_DAYS"]

DAY = pd.Timedelta(days=1)
POLICY_WINDOW_DAYS = 365
"""History [days] from which a SKU's reorder point and quantity are estimated."""


def inventory_state(ds: Dataset, as_of: Any = None, allocation: str = "fifo") -> pd.DataFrame:
    """Stock, backorders and open POs of every SKU at ``as_of``.

    Parameters
    ----------
    ds : Dataset
    as_of : date-like, optional
        Default ``ds.as_of``; a date without a time of day means the end of that day.
    allocation : {"fifo", "priority"}, default "fifo"
        Rule of the :func:`~backorder_analytics.replay` that rebuilds the stock.

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
    as_of = ds.moment(as_of)
    past, rep = replay_at(ds, as_of, allocation)
    return state_from_replay(past, rep)


def replay_at(ds: Dataset, as_of: pd.Timestamp, allocation: str = "fifo"
              ) -> tuple[Dataset, ReplayResult | None]:
    """The data as known at ``as_of`` (:meth:`Dataset.as_at`) and its replay, or None
    when nothing had happened yet (no order line and no receipt)."""
    past = ds.as_at(as_of) if as_of < ds.as_of else ds
    received = ("received_date" in past.purchase_orders
                and past.purchase_orders["received_date"].notna().any())
    if not len(past.orders) and not received:
        return past, None
    return past, replay(past, allocation=allocation)


def state_from_replay(ds: Dataset, rep: ReplayResult | None) -> pd.DataFrame:
    """:func:`inventory_state` of ``ds`` at its ``as_of`` from its replay ``rep``."""
    skus = pd.Index(ds.skus, name="sku")
    out = pd.DataFrame(index=skus)
    if rep is not None:
        lines = rep.lines
        shipped = lines.groupby("sku")["shipped"].sum()
        end = (rep.stock["opening_stock"] + rep.stock["received_units"]
               - shipped.reindex(rep.stock.index, fill_value=0))
        on_hand = end.reindex(skus)
        waiting = lines[lines["open"] > 0].groupby("sku")["open"].agg(["sum", "size"])
    else:
        on_hand = pd.Series(np.nan, index=skus)
        waiting = pd.DataFrame(columns=["sum", "size"])
    inv = ds.inventory.sort_values("date", kind="stable")
    last_count = inv.groupby("sku")["on_hand"].last().reindex(skus)
    out["on_hand"] = on_hand.fillna(last_count).fillna(0).astype(np.int64)
    po = open_pos_at(ds, ds.as_of)
    out["on_order"] = po.groupby("sku")["quantity"].sum().reindex(skus, fill_value=0)
    out["backordered_now"] = waiting["sum"].reindex(skus, fill_value=0).astype(np.int64)
    out["backordered_lines_now"] = waiting["size"].reindex(skus, fill_value=0).astype(np.int64)
    out["inventory_position"] = out["on_hand"] + out["on_order"] - out["backordered_now"]
    size = ds.orders.groupby("sku")["quantity"].mean()
    out["mean_line_size"] = size.reindex(skus).fillna(1.0).astype(float)
    out.insert(0, "supplier_id", ds.suppliers.reindex(skus))
    return out


def open_pos_at(ds: Dataset, as_of: pd.Timestamp) -> pd.DataFrame:
    po = ds.purchase_orders
    open_ = po["order_date"] <= as_of
    if "received_date" in po:
        open_ &= po["received_date"].isna() | (po["received_date"] > as_of)
    return po[open_.to_numpy()]


def reorder_rule(rep, po, skus, now) -> tuple[np.ndarray, np.ndarray]:
    """The reorder rule a SKU's history shows: per SKU of ``skus``, ``r``, the median
    inventory position (on hand + on order − backordered, from the replay ``rep``)
    just before its POs of the last :data:`POLICY_WINDOW_DAYS` days were placed (all
    its POs when none are that recent; NaN without any), and ``Q``, their median
    quantity (1 without any)."""
    L = rep.lines[rep.lines["sku"].isin(skus).to_numpy()]
    p = po[po["sku"].isin(skus).to_numpy()]
    if "received_date" in p:  # received before the replay began: in its opening stock
        p = p[(p["received_date"].isna() | (p["received_date"] >= rep.origin)).to_numpy()]
    can = L[L["cancelled"] > 0]
    ns = lambda d: d.to_numpy("datetime64[ns]").astype(np.int64)  # noqa: E731
    recent = (p["order_date"] > now - POLICY_WINDOW_DAYS * DAY).to_numpy()
    ev = pd.DataFrame({  # at one instant: demand, then cancellations, then the PO
        "sku": np.r_[L["sku"], can["sku"], p["sku"]],
        "t": np.r_[ns(L["order_date"]), ns(can["cancel_date"]),
                   np.maximum(ns(p["order_date"]), rep.origin.value)],
        "kind": np.r_[np.zeros(len(L)), np.ones(len(can)), np.full(len(p), 2)],
        "flow": np.r_[-L["quantity"], can["cancelled"], p["quantity"]].astype(float),
        "recent": np.r_[np.zeros(len(L) + len(can), bool), recent]})
    ev = ev.sort_values(["sku", "t", "kind"], kind="stable")
    x0 = ev["sku"].map(rep.stock["opening_stock"]).fillna(0)
    ev["ip"] = x0 + ev.groupby("sku")["flow"].cumsum() - ev["flow"]
    pos = ev[ev["kind"] == 2]
    pos = pos[pos["recent"]] if pos["recent"].any() else pos
    r = pos.groupby("sku")["ip"].median().reindex(skus)
    q = p[recent].groupby("sku")["quantity"].median().reindex(skus).fillna(
        p.groupby("sku")["quantity"].median().reindex(skus))
    return r.to_numpy(float), q.fillna(1.0).clip(lower=1).to_numpy(float)


def historical_reorder_points(ds: Dataset, as_of: Any = None,
                              allocation: str = "fifo") -> pd.DataFrame:
    """Reorder point and quantity per SKU as its purchase history shows them.

    The rule of :func:`reorder_rule` on a replay of the history up to ``as_of``: ``r``
    the median inventory position just before a PO was placed, ``Q`` the median PO
    quantity (both over the last :data:`POLICY_WINDOW_DAYS` days). SKUs never
    reordered are left out. The default replenishment of
    :func:`~backorder_analytics.backorder_risk`; :func:`~backorder_analytics.backorder_eta`
    uses the same rule.

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
    as_of = ds.moment(as_of)
    return reorder_points_from_replay(*replay_at(ds, as_of, allocation))


def reorder_points_from_replay(ds: Dataset, rep: ReplayResult | None) -> pd.DataFrame:
    """:func:`historical_reorder_points` of ``ds`` at its ``as_of`` from its replay."""
    if rep is None:
        return pd.DataFrame({"sku": pd.Series(dtype=object), "r": pd.Series(dtype=float),
                             "Q": pd.Series(dtype=float)})
    skus = pd.Index(ds.skus)
    r, q = reorder_rule(rep, ds.purchase_orders, skus, ds.as_of)
    known = ~np.isnan(r)
    return pd.DataFrame({"sku": skus[known], "r": r[known], "Q": q[known]})
