"""What needs a planner's attention today: :func:`alerts`.

Six rules, each a small pure function on frames (vectorised, testable alone), read the
state of the business at ``as_of`` and return one row per alert with a severity, the SKU
/ order line / customer / PO concerned, a plain-English message with the numbers and
dates behind it, and a suggested action:

=========================  ===========================================================
kind                       fires when
=========================  ===========================================================
``backorder_past_limit``   an open backorder line has waited ``max_wait_days`` or more
``backorder_will_miss_``   its 80 % ETA (``eta_p80``) falls after its limit date
``limit``
``backorder_near_limit``   its age is within ``warn_days`` of the limit
``late_po``                an open PO's ``expected_date`` is before today
``low_stock``              projected cover is shorter than the SKU's lead time
``below_reorder_point``    inventory position is at or below the reorder point
``eta_slipped``            a line's ``eta_p80`` moved later by more than ``slip_days``
``status_update_due``      a customer is due a status update on a backordered line
=========================  ===========================================================

State at ``as_of`` (see :func:`alerts` for each rule's exact definition): open
backorder lines and stock on hand come from :func:`~backorder_analytics.simulation.replay.replay`
without a time limit (lines past the limit stay open: that is what the alert is about),
open POs from ``purchase_orders``, lead times from
:func:`~backorder_analytics.fit_lead_times` by supplier, ETAs from
:func:`backorder_analytics.planning.eta.backorder_eta`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..exceptions import BackorderAnalyticsError
from ..forecasting.demand import demand_series
from ..leadtime.lateness import supplier_lateness
from ..leadtime.model import LeadTimeModel, dataset_lead_times
from ..leadtime.per_sku import sku_lead_times
from ..parameters import (
    MAX_WAIT_DAYS,
    MONTE_CARLO_REPS,
    SEED,
    check_days,
    check_max_wait_days,
    check_probability,
)
from ..simulation.replay import replay as replay_history
from ..simulation.replay_result import ReplayResult
from .alert_rules import (
    COLUMNS,
    DAY,
    KINDS,
    ORDER_COVER_DAYS,
    SEVERITIES,
    UPDATE_EVERY_DAYS,
    WARN_DAYS,
    ageing_backorders,
    below_reorder_point,
    eta_slipped,
    late_purchase_orders,
    line_key,
    low_stock,
    status_updates_due,
)
from .eta import BackorderETA, backorder_eta
from .formulas import reorder_point_fill_rate
from .parts import concat_notes, concat_rows
from .safety_stock import SafetyStockRecommendation
from .state import replay_for, state_from_replay

__all__ = ["Alerts", "alerts", "KINDS", "SEVERITIES", "COLUMNS", "low_stock",
           "below_reorder_point", "ageing_backorders", "late_purchase_orders",
           "status_updates_due", "eta_slipped"]

_COLORS = {"high": "#f8d7da", "medium": "#fff3cd", "low": "#e9ecef"}


# --------------------------------------------------------------------------- result


def _alert_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Most severe first, then by kind, SKU, order line and PO."""
    return frame.sort_values(["severity", "kind", "sku", "order_id", "line_id", "po_id"],
                             ascending=[False, True, True, True, True, True],
                             kind="stable", na_position="last", ignore_index=True)


@dataclass(repr=False)
class Alerts:
    """Alerts at ``as_of``, one row each; built by :func:`alerts`.

    Attributes
    ----------
    alerts : pandas.DataFrame
        The :data:`COLUMNS` (see :func:`alerts`), by severity (high first), then kind
        (:data:`KINDS` order), SKU, order and PO.
    as_of : pandas.Timestamp
    skus : pandas.DataFrame
        The per-SKU state the SKU rules read (on hand, on order, cover, reorder point…).
    lines : pandas.DataFrame
        The open backorder lines the line rules read, with their ETA where known.
    notes : list of str
        What was assumed or skipped (e.g. the ETA-slip check without a previous ETA).
    params : dict
        The settings of the call.
    """

    alerts: pd.DataFrame
    as_of: pd.Timestamp
    skus: pd.DataFrame = field(default_factory=pd.DataFrame)
    lines: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def concat(cls, parts: list[Alerts]) -> Alerts:
        """One result from those of disjoint sets of SKUs (same options and moment);
        the notes that count SKUs count those of every part."""
        skus = concat_rows([p.skus for p in parts]).sort_values("sku", kind="stable",
                                                               ignore_index=True)
        notes = concat_notes(p.notes for p in parts)
        at = [i for i, n in enumerate(notes) if _NO_REORDER_POINT in n]
        if at:  # its count and its first SKU, of all the parts
            notes = [n for n in notes if _NO_REORDER_POINT not in n]
            notes.insert(at[0], _no_reorder_point_note(
                skus.loc[skus["reorder_point"].isna(), "sku"].to_numpy()))
        return cls(_alert_order(concat_rows([p.alerts for p in parts])), parts[0].as_of,
                   skus, concat_rows([p.lines for p in parts]).sort_index(kind="stable"),
                   notes, dict(parts[0].params))

    def to_frame(self) -> pd.DataFrame:
        """The alerts table (a copy)."""
        return self.alerts.copy()

    def __len__(self) -> int:
        return len(self.alerts)

    @property
    def summary(self) -> pd.DataFrame:
        """Alert counts: one row per kind (:data:`KINDS`), columns ``high``, ``medium``,
        ``low`` and ``total``."""
        a = self.alerts
        keys = [pd.Series(pd.Categorical(a[c], categories=list(cats)), index=a.index)
                for c, cats in (("kind", KINDS), ("severity", SEVERITIES[::-1]))]
        t = pd.Series(1, index=a.index).groupby(keys, observed=False).sum().unstack()
        t.index.name, t.columns.name = "kind", None
        t["total"] = t.sum(axis=1)
        return t.astype(np.int64)

    def __repr__(self) -> str:
        n = self.alerts["severity"].value_counts()
        total = self.summary["total"]
        kinds = ", ".join(f"{k} {v}" for k, v in total[total > 0].items())
        return (f"Alerts as of {self.as_of}: {len(self):,} ({n.get('high', 0)} high, "
                f"{n.get('medium', 0)} medium, {n.get('low', 0)} low)"
                + (f": {kinds}" if kinds else ""))

    def _repr_html_(self, max_rows: int = 100) -> str:
        cols = ["severity", "kind", "sku", "order_id", "customer_id", "po_id", "message",
                "action"]
        head = "".join(f"<th>{c}</th>" for c in cols)
        rows = []
        for rec in self.alerts[cols].head(max_rows).itertuples(index=False):
            cells = "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>"
                            for v in rec)
            rows.append(f'<tr style="background-color:{_COLORS.get(rec[0], "")}">'
                        f"{cells}</tr>")
        more = (f"<p>… {len(self) - max_rows:,} more (see .to_frame())</p>"
                if len(self) > max_rows else "")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (f"<p><strong>{html.escape(repr(self))}</strong></p>"
                + (f"<ul>{notes}</ul>" if notes else "")
                + f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
                  f"</table>{more}")

    def plot(self, ax=None):
        """Alert counts by kind and severity (stacked bars); see
        :func:`~backorder_analytics.plotting.plot_alert_counts`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from ..plotting import plot_alert_counts

        return plot_alert_counts(self.summary, ax=ax, title=f"Alerts as of {self.as_of.date()}")


# --------------------------------------------------------------------------- state


def _state(ds, as_of, rep, lt_model, q, reorder_points, window, notes) -> tuple:
    """The open lines, open POs and per-SKU state at ``as_of``."""
    supplier_of = ds.suppliers
    po = ds.purchase_orders[ds.purchase_orders["order_date"] <= as_of]
    po_sup = (po["supplier_id"] if "supplier_id" in po else pd.Series(np.nan, index=po.index)
              ).fillna(po["sku"].map(supplier_of))
    late = pd.Series(dtype=float)
    if "expected_date" in po and "received_date" in po:  # of every PO of the supplier
        late = supplier_lateness(ds, as_of).mean_late
    received = po["received_date"].notna() & (po["received_date"] <= as_of) \
        if "received_date" in po else pd.Series(False, index=po.index)
    opos = po[~received.to_numpy()].assign(supplier_id=po_sup[~received.to_numpy()])

    L = rep.lines
    op = L[L["open"] > 0]
    lines = op[[c for c in ("order_id", "line_id", "sku") if c in op]].copy()
    if "customer_id" in ds.orders:
        lines["customer_id"] = ds.orders.loc[op.index, "customer_id"]
    lines = lines.assign(priority=op["priority"], order_date=op["order_date"],
                         quantity=op["quantity"], open_units=op["open"])

    skus = pd.Index(sorted(set(rep.stock.index) | set(opos["sku"])), name="sku")
    lts, _ = sku_lead_times(list(skus), lt_model, ds)
    s = pd.DataFrame(index=skus)
    s["sku"] = skus
    state = state_from_replay(ds, rep).reindex(skus)
    s["supplier_id"] = state["supplier_id"]
    s["supplier_late_days"] = s["supplier_id"].map(late).astype(float)  # (also none known)
    s["on_hand"] = state["on_hand"]
    at_q = {id(lt): lt.quantile(q) for lt in lts}  # one ppf per group
    s["lead_time_days"] = [at_q[id(lt)] for lt in lts]
    s["lead_time_mean"] = [lt.mean for lt in lts]
    s["lead_time_sd"] = [lt.sd for lt in lts]
    arrival = opos["expected_date"] if "expected_date" in opos else pd.Series(
        pd.NaT, index=opos.index, dtype="datetime64[ns]")
    arrival = arrival.fillna(opos["order_date"] + pd.to_timedelta(
        opos["sku"].map(s["lead_time_days"]), "D"))
    opos = opos.assign(arrival=arrival).sort_values(["sku", "arrival", "po_id"])
    units = opos["quantity"].astype(float)
    soon = opos["arrival"] <= as_of + pd.to_timedelta(opos["sku"].map(s["lead_time_days"]), "D")
    s["on_order"] = units.groupby(opos["sku"]).sum().reindex(skus).fillna(0)
    s["arriving_units"] = units[soon].groupby(opos["sku"][soon]).sum().reindex(skus).fillna(0)
    s["backordered_units"] = lines.groupby("sku")["open_units"].sum().reindex(skus).fillna(0)
    s["backordered_lines"] = lines.groupby("sku").size().reindex(skus).fillna(0)
    first = opos.groupby("sku").first()
    s["next_po_id"] = first["po_id"].reindex(skus)
    s["next_po_date"] = first["arrival"].reindex(skus)
    s["next_po_units"] = first["quantity"].astype(float).reindex(skus)
    o = ds.orders[["sku", "quantity", "order_date"]]
    known = (o["order_date"] <= as_of).to_numpy()
    o = o if known.all() else o[known]
    recent = o["quantity"].where(o["order_date"] > as_of - pd.Timedelta(days=window), 0)
    span = ((as_of - o.groupby("sku")["order_date"].min()) / DAY).clip(1.0, window)
    s["mean_daily_demand"] = (recent.groupby(o["sku"]).sum().reindex(skus)
                              .fillna(0) / span.reindex(skus)).fillna(0.0)
    s[["reorder_point", "order_quantity"]] = _reorder_points(ds, o, as_of, s, reorder_points)
    missing = s.index[s["reorder_point"].isna()]
    if reorder_points is not None and len(missing):
        notes.append(_no_reorder_point_note(missing))

    lines["supplier_id"] = lines["sku"].map(s["supplier_id"])
    lines["supplier_late_days"] = lines["sku"].map(s["supplier_late_days"]).astype(float)
    opos = opos.assign(backordered_units=opos["sku"].map(s["backordered_units"]),
                       backordered_lines=opos["sku"].map(s["backordered_lines"]),
                       supplier_late_days=opos["supplier_id"].map(late).astype(float))
    return lines, opos, s.reset_index(drop=True)


_NO_REORDER_POINT = " SKU(s) have no reorder point (e.g. "


def _no_reorder_point_note(missing) -> str:
    """The note on the SKUs ``missing`` a given reorder point (in the SKUs' order)."""
    return (f"{len(missing)}{_NO_REORDER_POINT}{missing[0]!r}) and were not checked "
            "against one.")


def _reorder_points(ds, orders, as_of, s, given) -> pd.DataFrame:
    """``reorder_point``, ``order_quantity`` per SKU (index of ``s``)."""
    out = pd.DataFrame({"reorder_point": np.nan, "order_quantity": np.nan}, index=s.index)
    if isinstance(given, SafetyStockRecommendation):
        rp = given.reorder_points.set_index("sku")
        out["reorder_point"] = rp["r"].reindex(s.index)
        out["order_quantity"] = rp["Q"].reindex(s.index)
        return out
    if given is not None:
        out["reorder_point"] = pd.Series(dict(given) if isinstance(given, Mapping) else given,
                                         dtype=float).reindex(s.index)
        return out
    y = demand_series(orders, freq="D", as_of=as_of)
    g = y.groupby("sku")["demand"]
    d = g.mean().reindex(s.index)
    sd = g.std(ddof=1).fillna(0.0).reindex(s.index)
    q = np.maximum(1, np.round(d * ORDER_COVER_DAYS))
    if ds.items is not None and "moq" in ds.items:
        moq = ds.items.set_index("sku")["moq"].astype(float).reindex(s.index)
        q = np.maximum(q, moq.fillna(1))
    ok = d.notna()
    out.loc[ok, "order_quantity"] = q[ok]
    out.loc[ok, "reorder_point"] = reorder_point_fill_rate(
        d[ok], sd[ok], s.loc[ok, "lead_time_mean"], q[ok], 0.95, s.loc[ok, "lead_time_sd"])
    return out


# --------------------------------------------------------------------------- public


def alerts(
    ds,
    as_of=None,
    *,
    eta=None,
    previous_eta=None,
    lead_times=None,
    lead_time_quantile: float = 0.5,
    reorder_points=None,
    max_wait_days: float = MAX_WAIT_DAYS,
    warn_days: float = WARN_DAYS,
    update_every_days: float = UPDATE_EVERY_DAYS,
    last_run=None,
    last_contacted: pd.DataFrame | None = None,
    slip_days: float = 2,
    late_supplier_days: float = 2.0,
    demand_window_days: float = 90,
    allocation: str | None = None,
    shipping: str | None = None,
    replay: ReplayResult | None = None,
    n_reps: int = MONTE_CARLO_REPS,
    seed: int = SEED,
    client: Any = None,
    n_partitions: int | None = None,
) -> Alerts:
    """What needs attention at ``as_of``: stock, purchase orders, backorders, customers.

    The state at ``as_of``: open backorder lines and stock on hand as
    :func:`~backorder_analytics.replay` rebuilds them under ``allocation`` /
    ``shipping`` with no time limit (opening count + receipts − shipments); open POs
    (ordered by ``as_of``, not received by it); per SKU its supplier (``items``, else
    the most frequent on its POs) and lead time [days], the ``lead_time_quantile`` of
    its supplier's distribution; the supplier's mean lateness [days],
    ``received_date − expected_date`` over its received POs; the mean daily demand of
    the last ``demand_window_days`` days (of the SKU's history when shorter, at least 1
    day); a PO's expected arrival, its ``expected_date`` or else ``order_date`` + lead
    time. The rules are :func:`low_stock`, :func:`below_reorder_point`,
    :func:`ageing_backorders`, :func:`late_purchase_orders`,
    :func:`status_updates_due` and :func:`eta_slipped` (the exact definitions are in
    their docstrings; the kinds in the module docstring). A line whose 80 % ETA lies
    beyond the ETA's simulated horizon (``eta_p80`` NaT in ``eta``) counts as missing
    its limit and as slipping; ``expected_po`` is kept only when it names an open PO.

    Parameters
    ----------
    ds : Dataset
    as_of : date-like, optional
        "Today"; default ``ds.as_of``. An earlier date uses ``ds.as_at(as_of)``.
    eta : BackorderETA or pandas.DataFrame, optional
        ETAs of the open lines (``order_id``, ``line_id`` or ``sku``, ``eta_p80``;
        optionally ``expected_po``, ``p_ship_within_limit``). Default: computed with
        :func:`backorder_analytics.planning.eta.backorder_eta` (same lead times, allocation,
        shipping, limit and seed).
    previous_eta : BackorderETA, pandas.DataFrame or False, optional
        ETAs communicated before (``order_id``, ``line_id`` or ``sku``, ``eta_p80``),
        e.g. the last run's exported ETA CSV. Default: the ETAs as known
        ``update_every_days`` earlier, from the same replay cut back to then
        (:meth:`~backorder_analytics.ReplayResult.at`) with the same lead times,
        limit, replications and seed as ``eta``, so that the check compares like with
        like; the check is skipped, with a note, when those cannot be computed, or
        when ``previous_eta=False``.
    replay : ReplayResult, optional
        The history replayed already (up to ``as_of`` or later); default: replayed
        here. Its rules are the alerts' ``allocation`` and ``shipping``.
    lead_times : LeadTimeModel, float or mapping, optional
        As in :func:`~backorder_analytics.recommend_safety_stock`; default
        :func:`~backorder_analytics.leadtime.model.dataset_lead_times` (by supplier).
    lead_time_quantile : float, default 0.5
        Quantile of the lead-time distribution compared with the cover (0.9 for a
        cautious planner).
    reorder_points : SafetyStockRecommendation, mapping or Series, optional
        Reorder point per SKU [units] (a recommendation's simulated ``reorder_point``,
        its analytic one where that is missing, and its ``order_quantity``). Default:
        the analytic normal ``(r, Q)`` point for a 95 % fill rate,
        :func:`~backorder_analytics.planning.formulas.reorder_point_fill_rate` with the mean and
        sd of daily demand over the SKU's history, the lead-time mean and sd and
        ``Q = max(1, round(30·d), moq)`` — the ``reorder_point_analytic`` of
        ``recommend_safety_stock(ds, target=FillRate(0.95))``.
    max_wait_days, warn_days : float, default 30 and 7
        A backorder's time limit, and how long before it to warn [days].
    update_every_days : float, default 7
        Cadence of customer status updates [days].
    last_run : date-like, optional
        When alerts were last run; default ``as_of`` − 1 day.
    last_contacted : pandas.DataFrame, optional
        ``order_id``, ``line_id`` (or ``sku``), ``contacted_at``; default: customers
        told when the line was backordered and every ``update_every_days`` after.
    slip_days : float, default 2
        ETA slip that is worth an alert [days].
    late_supplier_days : float, default 2
        A supplier whose POs arrive more than this late on average [days] gets "ask a
        backup supplier" in the actions.
    demand_window_days : float, default 90
        Days of recent demand behind the cover [days].
    allocation, shipping : str, optional
        The backorder rules of :func:`~backorder_analytics.replay`; default the
        ``replay``'s, else "fifo" and "partial".
    n_reps : int, default 1000
        Replications of the ETA simulation (when ``eta`` is not given).
    seed : int, default 0
        Seed of the ETA simulation.
    client : distributed.Client, str, "local" or "synchronous", optional
        Compute on a Dask cluster, by partitions of the SKUs, with the alerts of one
        process (:mod:`backorder_analytics.distributed.functions`): a client, a
        scheduler address, or "local" for a cluster on this machine for the call.
        The lead-time models (the default ``lead_times``, and those of the ETAs) are
        fitted once, from every PO, on the driver; a given ``replay`` is cut into the
        partitions' SKUs; ``eta``, ``previous_eta``, ``last_contacted`` and
        ``reorder_points`` go to every partition. Needs the ``dask`` extra. Default:
        in this process.
    n_partitions : int, optional
        With ``client``: partitions of the SKUs (default 4 per worker thread).

    Returns
    -------
    Alerts
        ``to_frame()``: ``kind``, ``severity`` (ordered categorical low < medium <
        high), ``sku``, ``supplier_id``, ``order_id``, ``line_id``, ``customer_id``,
        ``po_id`` (for stock and line alerts: the PO the action names), ``message``,
        ``action``; ``days``, ``limit_days``, ``units``,
        ``limit_units`` (what each kind measures and its threshold: see the rule
        functions), ``due_date`` and ``eta_p80``; high severity first.

    Examples
    --------
    >>> import backorder_analytics as ba
    >>> from backorder_analytics.planning.alerts import alerts
    >>> ds = ba.example_dataset(seed=0)
    >>> al = alerts(ds, allocation="priority")
    >>> al.summary.loc["late_po"].tolist()  # high, medium, low, total
    [5, 1, 0, 6]
    >>> al.to_frame().loc[0, "message"]
    'PO-001843 (SUP-E, 146 units of SKU-0004) was due 2025-12-14, 16 day(s) ago; no \
backorder waits for SKU-0004'
    """
    if not isinstance(ds, Dataset):
        raise TypeError(f"The 'ds' parameter must be a Dataset. Got {type(ds).__name__} "
                        "instead.")
    moment = ds.moment(as_of)
    _check(lead_time_quantile=lead_time_quantile, warn_days=warn_days,
           update_every_days=update_every_days, slip_days=slip_days,
           late_supplier_days=late_supplier_days, demand_window_days=demand_window_days)
    checked = check_max_wait_days(max_wait_days)
    if checked is None:
        raise ValueError("The 'max_wait_days' parameter must be a number of days >= 0: the "
                         "ageing alerts measure backorders against it. Got None instead.")
    options = {"eta": eta, "previous_eta": previous_eta, "lead_times": lead_times,
               "lead_time_quantile": lead_time_quantile, "reorder_points": reorder_points,
               "max_wait_days": checked, "warn_days": warn_days,
               "update_every_days": update_every_days, "last_run": last_run,
               "last_contacted": last_contacted, "slip_days": slip_days,
               "late_supplier_days": late_supplier_days,
               "demand_window_days": demand_window_days, "allocation": allocation,
               "shipping": shipping, "replay": replay, "n_reps": n_reps, "seed": seed}
    if client is not None:
        # imported here: dask is an optional dependency
        from ..distributed.engine import DaskEngine
        from ..distributed.functions import alerts_partitioned

        with DaskEngine(client, n_partitions) as engine:
            return alerts_partitioned(engine, ds, moment, **options)
    return alerts_at(ds, moment, **options)


def alerts_at(ds: Dataset, as_of: pd.Timestamp, *, eta, previous_eta, lead_times,
              lead_time_quantile: float, reorder_points, max_wait_days: float,
              warn_days: float, update_every_days: float, last_run, last_contacted,
              slip_days: float, late_supplier_days: float, demand_window_days: float,
              allocation: str | None, shipping: str | None, replay: ReplayResult | None,
              n_reps: int, seed: int, eta_lead_times: tuple[Any, Any] | None = None
              ) -> Alerts:
    """:func:`alerts` with its arguments checked, at the moment ``as_of``.

    ``eta_lead_times``: for ``lead_times`` that are not a :class:`LeadTimeModel`, the
    models the ETAs draw from (``dataset_lead_times`` at ``as_of`` and
    ``update_every_days`` before, or the error that fit raised), when fitted already:
    a distributed call fits them on the driver, from every PO."""
    ds = ds.as_at(as_of) if as_of < ds.as_of else ds
    notes: list[str] = []
    if lead_times is None:
        lead_times = dataset_lead_times(ds, as_of)
    elif isinstance(lead_times, pd.Series):
        lead_times = lead_times.to_dict()
    rep = replay_for(ds, as_of, replay=replay, allocation=allocation, shipping=shipping)
    if rep is None:
        rep = replay_history(ds, allocation=allocation or "fifo", shipping=shipping or "partial")
    lines, pos, skus = _state(ds, as_of, rep, lead_times, float(lead_time_quantile),
                              reorder_points, float(demand_window_days), notes)
    lines["limit_date"] = lines["order_date"] + pd.Timedelta(days=float(max_wait_days))
    model = lead_times if isinstance(lead_times, LeadTimeModel) else None
    now_model, earlier_model = (model, model) if model is not None or eta_lead_times is None \
        else eta_lead_times
    eta_kw: dict[str, Any] = {"max_wait_days": max_wait_days, "n_reps": n_reps, "seed": seed}
    if eta is None:
        eta = backorder_eta(ds, now_model, replay=rep, **eta_kw)
    elif isinstance(eta, BackorderETA):  # the slip check compares like with like
        eta_kw = {k: eta.params[k] for k in ("max_wait_days", "n_reps", "seed", "quantiles")}
    if eta is not None:
        table = _eta_table(eta, "eta")
        key = line_key(lines, table)
        extra = [c for c in ("eta_p80", "expected_po", "p_ship_within_limit")
                 if c in table]
        lines = lines.merge(table.drop_duplicates(key)[key + extra].assign(_in=True), on=key,
                            how="left", validate="m:1").set_index(lines.index)
        lines["eta_beyond"] = lines.pop("_in").notna().to_numpy() & lines["eta_p80"].isna()
        if "expected_po" in lines:
            lines["expected_po"] = lines["expected_po"].where(
                lines["expected_po"].isin(pos["po_id"]))
    parts = [low_stock(skus, as_of, late_supplier_days=late_supplier_days),
             below_reorder_point(skus, late_supplier_days=late_supplier_days),
             ageing_backorders(lines, as_of, max_wait_days=max_wait_days,
                               warn_days=warn_days, late_supplier_days=late_supplier_days),
             late_purchase_orders(pos, as_of, late_supplier_days=late_supplier_days),
             status_updates_due(lines, as_of, update_every_days=update_every_days,
                                last_run=last_run, last_contacted=None if last_contacted
                                is None else _eta_table(last_contacted, "last_contacted",
                                                        "contacted_at"))]
    if previous_eta is False:
        previous_eta = None
        notes.append("No earlier ETAs were given: the ETA-slip check was not made.")
    elif previous_eta is None and eta is not None:
        earlier = as_of - pd.Timedelta(days=float(update_every_days))
        try:  # of the SKUs with lines waiting now: the only ones that can slip
            if isinstance(earlier_model, Exception):
                raise earlier_model
            previous_eta = backorder_eta(ds, earlier_model, as_of=earlier, replay=rep,
                                         skus=lines["sku"].unique(), **eta_kw)
        except (BackorderAnalyticsError, ValueError) as err:
            notes.append(f"The ETA-slip check was skipped: no ETA as of {earlier} ({err}).")
    if previous_eta is not None and "eta_p80" in lines:
        parts.append(eta_slipped(lines, _eta_table(previous_eta, "previous_eta"),
                                 slip_days=slip_days))
    elif eta is None:
        notes.append("No ETAs: the will-miss-limit and ETA-slip alerts were not checked.")
    frame = pd.concat([p for p in parts if len(p)] or [parts[0]], ignore_index=True)
    frame["severity"] = pd.Categorical(frame["severity"], categories=list(SEVERITIES),
                                       ordered=True)
    frame["kind"] = pd.Categorical(frame["kind"], categories=list(KINDS), ordered=True)
    frame = _alert_order(frame)
    params = {"as_of": as_of, "max_wait_days": max_wait_days, "warn_days": warn_days,
              "update_every_days": update_every_days, "slip_days": slip_days,
              "lead_time_quantile": lead_time_quantile,
              "allocation": rep.params["allocation"], "shipping": rep.params["shipping"],
              "demand_window_days": demand_window_days, "n_reps": n_reps, "seed": seed}
    return Alerts(frame[COLUMNS], as_of, skus, lines, notes, params)


def _check(**values) -> None:
    check_probability(values.pop("lead_time_quantile"), "lead_time_quantile")
    for name, v in values.items():
        check_days(v, name, positive=name in ("update_every_days", "demand_window_days"))


def _eta_table(value, name: str, date_col: str = "eta_p80") -> pd.DataFrame:
    """A frame argument (or a result with ``to_frame``) keyed by order line, with
    ``date_col`` as datetimes and the keys as text."""
    frame = value if isinstance(value, pd.DataFrame) else getattr(value, "to_frame", None)
    if frame is None:
        raise TypeError(f"The {name!r} parameter must be a BackorderETA or a DataFrame. Got "
                        f"{type(value).__name__} instead.")
    frame = frame if isinstance(frame, pd.DataFrame) else frame()
    missing = [c for c in ("order_id", date_col) if c not in frame] + (
        [] if "line_id" in frame or "sku" in frame else ["line_id (or sku)"])
    if missing:
        raise ValueError(f"The {name!r} frame must have columns order_id, line_id (or sku) "
                         f"and {date_col}. Missing: {', '.join(missing)}. Found: "
                         f"{', '.join(map(str, frame.columns))}.")
    frame = frame.assign(**{date_col: pd.to_datetime(frame[date_col])})
    for c in ("order_id", "line_id", "sku"):
        if c in frame:
            frame[c] = frame[c].astype(str)
    return frame
