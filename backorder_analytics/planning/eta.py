"""When will each open backorder ship? :func:`backorder_eta` and :func:`eta_backtest`.

Every order line still waiting at ``as_of`` (from :func:`~backorder_analytics.replay`
under the stated allocation and shipping rules) gets a distribution of ship dates from
a Monte Carlo over everything still uncertain, drawn jointly per replication.

Model
-----
Queue
    Per SKU, the open lines in allocation order (``fifo``: order time, then row order;
    ``priority``: priority, then order time). A line ships its last unit at the first
    supply arrival at which what reached the SKU, less what the lines ahead took,
    covers its open quantity; under ``complete`` shipping at the same instant (it
    ships whole and nothing overtakes it).
Supply
    Stock on hand at ``as_of`` (as the replay has it), then the open purchase orders.
    An open PO with an ``expected_date`` arrives at that date plus a lateness drawn
    from the Kaplan–Meier curve of its supplier's lateness (``received_date −
    expected_date``, open POs censored) *given that it arrives after* ``as_of``: a PO
    already ten days late is only ever later. Where fewer than
    :data:`MIN_LATENESS_POS` received POs of the supplier were later than this one
    already is (a thin tail), or without an ``expected_date``, its lead time is drawn
    from ``lead_times`` given it exceeds the PO's age. Draws are independent across
    POs, so POs may cross.
New orders
    Each SKU reorders by the rule its history shows: when its inventory position (on
    hand + on order − backordered) is at or below ``r`` it orders the smallest
    multiple of ``Q`` that lifts it above ``r``; ``Q`` is the median quantity of its
    POs of the last :data:`POLICY_WINDOW_DAYS` days and ``r`` the inventory position
    that best separates the days they were placed from the days none was
    (:func:`~backorder_analytics.planning.state.reorder_rule`), at least −1, so that
    units which on hand and open POs do not cover are always ordered (without PO
    history: ``r = −1``, ``Q = 1``). The rule is applied at ``as_of`` and, with
    ``future_demand``, at the end of each later day. A new order arrives one lead-time
    draw (the SKU's group in ``lead_times``) after it is placed.
Future demand
    Under ``priority`` allocation, lines ordered later by better-priority customers
    go ahead of waiting lines. With ``future_demand`` (default: on for ``priority``)
    each SKU's lines of each priority keep coming as a compound Poisson process at the
    rate of the last :data:`DEMAND_WINDOW_DAYS` days, sizes resampled from those
    lines, on a daily grid (linear within a day) over a horizon that grows until the
    lines are served (at most :data:`HORIZON_DAYS` days). They never cancel, and all
    of them lower the inventory position that places new orders. Under ``fifo``
    later demand queues behind every open line.
Cancellation
    A line still waiting ``max_wait_days`` after it was ordered is cancelled in that
    replication: what it has not received goes to the lines behind (under
    ``complete`` shipping it received nothing and blocked them until then). A line
    already past its limit at ``as_of`` has shown it does not cancel then and keeps
    its place. A line's own ETA is its ship time *if it waits*;
    ``p_ship_within_limit`` is the share of replications in which that is no later
    than its limit.

Calibration
    Backtested on ``example_dataset(seed=0)`` (its own rules: priority allocation,
    partial shipping, ``max_wait_days=30``) at 50 weekly cutoffs through 2025, the
    p50 / p80 / p95 dates covered 57% / 80% / 93% of the 5,124 open lines that then
    shipped, and 55% / 78% / 92% with the 266 lines cancelled later kept as censored
    (``tests/test_eta.py``). Lines waiting on one PO share its fate, so these shares
    rest on a few hundred independent arrivals and move by a few points with the
    seed (seed 3: p80 86%, censored 84%). Simulating future demand mattered little
    there: the reorder points leave slack in the open POs. Across the generator's
    regimes (FIFO, complete shipping, wider lead times, reorder points too low, strong
    seasons; 150 SKUs, seeds 0–11, ``benchmarks/calibration_eta.py``) the censored p50
    covered 48–53% and p80 76–84% on average; one dataset alone moves by ±10 points.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..data.dataset import Dataset
from ..leadtime.model import LeadTimeModel, dataset_lead_times
from ..leadtime.survival import kaplan_meier
from ..parameters import (
    MAX_WAIT_DAYS,
    MONTE_CARLO_REPS,
    SEED,
    check_max_wait_days,
    check_n_reps,
    check_seed,
)
from ..simulation.replay import replay as replay_history
from ..simulation.replay_result import ReplayResult
from .eta_simulation import (  # noqa: F401  (constants re-exported for the documentation)
    BEYOND,
    DAY,
    DEMAND_WINDOW_DAYS,
    HORIZON_DAYS,
    MIN_LATENESS_POS,
    NEW_ORDER,
    ON_HAND,
    _frame,
    _inputs,
    _names,
    _queue,
    _run,
    _ship_times,
)
from .parts import concat_notes, concat_rows
from .state import POLICY_WINDOW_DAYS, replay_for  # noqa: F401  (named in the docs)

__all__ = ["backorder_eta", "BackorderETA", "eta_backtest", "ETABacktest", "ETA_QUANTILES"]

ETA_QUANTILES = (0.5, 0.8, 0.95)
"""Ship-date quantiles reported by default: ``eta_p50``, ``eta_p80``, ``eta_p95``."""

# --------------------------------------------------------------------------- public


def backorder_eta(
    ds: Dataset,
    lead_times: LeadTimeModel | None = None,
    *,
    as_of: Any = None,
    quantiles: Sequence[float] = ETA_QUANTILES,
    allocation: str | None = None,
    shipping: str | None = None,
    max_wait_days: float | None = MAX_WAIT_DAYS,
    n_reps: int = MONTE_CARLO_REPS,
    seed: int = SEED,
    future_demand: bool | None = None,
    replay: ReplayResult | None = None,
    skus: Sequence | None = None,
    client: Any = None,
    n_partitions: int | None = None,
) -> BackorderETA:
    """Ship-date distribution of every open backorder line, by Monte Carlo.

    The model (queue, open POs and their supplier's lateness, new orders, future
    demand of better priority, cancellations) is in :mod:`backorder_analytics.planning.eta`.

    Parameters
    ----------
    ds : Dataset
        Orders, purchase orders, stock counts and ``as_of``.
    lead_times : LeadTimeModel, optional
        Lead-time distributions [days], grouped by ``()``, ``("supplier_id",)``,
        ``("sku",)`` or ``("supplier_id", "sku")``; default
        :func:`~backorder_analytics.leadtime.model.dataset_lead_times` (by supplier).
    as_of : date-like, optional
        Compute as the data stood then (what ``ds.as_at(as_of)`` holds); default
        ``ds.as_of``.
    quantiles : sequence of float, default (0.5, 0.8, 0.95)
        Increasing ship-date quantiles in (0, 1); columns ``eta_p50``, … named by
        ``round(100 q)``.
    allocation : {"fifo", "priority"}, optional
        Default: the ``replay``'s rule when one is given, else "fifo".
    shipping : {"partial", "complete"}, optional
        Default: the ``replay``'s rule when one is given, else "partial".
    max_wait_days : float or None, default 30
        A line still waiting this long after it was ordered [days] is cancelled;
        None: never.
    n_reps : int, default 1000
        Replications.
    seed : int, default 0
        Seed of the random draws; the same seed gives the same result.
    future_demand : bool, optional
        Simulate demand and reordering after ``as_of``; default True for
        ``priority`` allocation, False for ``fifo``.
    replay : ReplayResult, optional
        The history replayed already, up to ``as_of`` or later (it is cut back to
        ``as_of``, :meth:`ReplayResult.at`); default: replayed here. Its rules must be
        ``allocation`` and ``shipping``.
    skus : sequence, optional
        Only the open lines of these SKUs (a SKU's ETAs do not depend on the others);
        default every SKU.
    client : distributed.Client, str, "local" or "synchronous", optional
        Simulate on a Dask cluster, by partitions of the SKUs, with the numbers of one
        process (:mod:`backorder_analytics.distributed.functions`): a client, a
        scheduler address, or "local" for a cluster on this machine for the call. The
        default lead times are fitted once, from every PO, on the driver; a given
        ``replay`` is cut into the partitions' SKUs. Needs the ``dask`` extra.
        Default: in this process.
    n_partitions : int, optional
        With ``client``: partitions of the SKUs (default 4 per worker thread).

    Returns
    -------
    BackorderETA

    Raises
    ------
    ValueError
        For a bad option or an ``as_of`` after ``ds.as_of``.
    TypeError
        For a ``ds`` or ``lead_times`` of the wrong type.

    Examples
    --------
    >>> from backorder_analytics import example_dataset
    >>> eta = backorder_eta(example_dataset(seed=0), allocation="priority", n_reps=200)
    >>> frame = eta.to_frame()
    >>> len(frame), list(frame.columns[-7:])
    (76, ['eta_p50', 'eta_p80', 'eta_p95', 'p_ship_within_limit', 'limit_date', \
'expected_po', 'p_expected_po'])
    >>> bool((frame["eta_p50"] <= frame["eta_p95"]).all())
    True
    """
    qs = np.asarray(_check_quantiles(quantiles))
    max_wait_days = check_max_wait_days(max_wait_days)
    n_reps, seed = check_n_reps(n_reps), check_seed(seed)
    if not isinstance(ds, Dataset):
        raise TypeError(f"The 'ds' parameter must be a Dataset. Got {type(ds).__name__} "
                        "instead.")
    moment = ds.moment(as_of)
    if lead_times is not None and not (isinstance(lead_times, LeadTimeModel)
                                       and hasattr(lead_times, "_fits")):
        raise TypeError("The 'lead_times' parameter must be a fitted LeadTimeModel (see "
                        f"fit_lead_times). Got {type(lead_times).__name__} instead.")
    if client is not None:
        # imported here: dask is an optional dependency
        from ..distributed.engine import DaskEngine
        from ..distributed.functions import backorder_eta_partitioned

        with DaskEngine(client, n_partitions) as engine:
            return backorder_eta_partitioned(
                engine, ds, lead_times, as_of=moment, quantiles=tuple(qs),
                allocation=allocation, shipping=shipping, max_wait_days=max_wait_days,
                n_reps=n_reps, seed=seed, future_demand=future_demand, replay=replay,
                skus=skus)
    if lead_times is None:
        lead_times = dataset_lead_times(ds, moment)
    rep = replay_for(ds, moment, replay=replay, allocation=allocation, shipping=shipping,
                     skus=skus)
    if rep is None:  # nothing had happened yet: an empty queue
        rep = replay_history(ds.as_at(moment), allocation=allocation or "fifo",
                             shipping=shipping or "partial")
    allocation, shipping = rep.params["allocation"], rep.params["shipping"]
    fut = allocation == "priority" if future_demand is None else bool(future_demand)
    params = {"allocation": allocation, "shipping": shipping, "max_wait_days": max_wait_days,
              "n_reps": n_reps, "seed": seed, "future_demand": fut, "quantiles": tuple(qs)}
    lines = _queue(rep, allocation == "priority", moment, max_wait_days)
    if skus is not None:
        lines = lines[lines["sku"].isin(skus).to_numpy()]
    inp = _inputs(ds, rep, lines, lead_times, fut, seed, n_reps)
    out = _run(lines, inp, qs, n_reps, shipping == "complete", seed)
    return BackorderETA(_frame(lines, ds.orders, out, qs, moment), moment, params,
                        inp["notes"])


def eta_backtest(ds: Dataset, cutoffs: Sequence[Any], *, progress: bool = False,
                 **kwargs: Any) -> ETABacktest:
    """Calibration of :func:`backorder_eta` on history: predict at each cutoff from
    ``ds.as_at(cutoff)``, then compare with what happened.

    The outcome of each line open at a cutoff comes from the replay of the full data
    under the same ``allocation`` and ``shipping``: ``"shipped"`` (the ship time of its
    last unit is the actual), ``"cancelled"`` or ``"open"`` (still waiting at
    ``ds.as_of``). ``coverage`` is over shipped lines; leaving cancelled and open
    lines out favours lines that shipped fast, which raises it.
    ``coverage_censored`` keeps them, censored at their cancel date or the data end
    (:attr:`ETABacktest.coverage`).

    Parameters
    ----------
    ds : Dataset
    cutoffs : sequence of date-like
        Moments at or before ``ds.as_of``.
    progress : bool, default False
        Show a progress bar over the cutoffs (tqdm).
    **kwargs
        Passed to :func:`backorder_eta`. Leave ``lead_times`` out: it is then fitted at
        each cutoff; a model fitted on the full data would leak later receipts.

    Returns
    -------
    ETABacktest

    Examples
    --------
    >>> from backorder_analytics import example_dataset
    >>> bt = eta_backtest(example_dataset(seed=0), ["2025-06-30 23:59:59"],
    ...                   allocation="priority", n_reps=200)
    >>> list(bt.coverage.columns)
    ['nominal', 'coverage', 'coverage_censored', 'n_lines', 'n_cancelled', 'n_open']
    """
    if isinstance(cutoffs, (str, pd.Timestamp)) or not len(cutoffs):
        raise ValueError("The 'cutoffs' parameter must be a non-empty sequence of dates. "
                         f"Got {cutoffs!r} instead.")
    if "as_of" in kwargs:
        raise TypeError("eta_backtest sets 'as_of' from 'cutoffs'; do not pass it.")
    history = kwargs.pop("replay", None) or replay_history(
        ds, allocation=kwargs.get("allocation") or "fifo",
        shipping=kwargs.get("shipping") or "partial")
    full = history.lines
    parts = []
    for cut in tqdm(cutoffs, desc="ETA backtest", unit="cutoff", disable=not progress):
        res = backorder_eta(ds, as_of=cut, replay=history, **kwargs)
        pred, seen = res.to_frame(), full.loc[res.lines.index]
        pred.insert(0, "cutoff", res.as_of)
        pred["outcome"] = seen["status"].astype(str).to_numpy()
        pred["actual_ship_date"] = seen["last_ship_date"].where(
            seen["status"] == "shipped").to_numpy()
        pred["actual_cancel_date"] = seen["cancel_date"].to_numpy()
        parts.append(pred)
    table = pd.concat(parts)
    qs = res.params["quantiles"]
    for name in _names(qs):
        hit = (table["actual_ship_date"] <= table[name]) | table[name].isna()
        table[f"covered_{name[4:]}"] = hit.astype(float).where(table["outcome"] == "shipped")
    return ETABacktest(table, qs, history.as_of)


# --------------------------------------------------------------------------- results


@dataclass(repr=False)
class BackorderETA:
    """Ship-date forecast of the open backorders (from :func:`backorder_eta`).

    Attributes
    ----------
    lines : pandas.DataFrame
        One row per open line in queue order, with the index of ``ds.orders`` (columns
        in :meth:`to_frame`).
    as_of : pandas.Timestamp
    params : dict
        The options used.
    notes : list of str
        Assumptions that applied to this data (e.g. SKUs without PO history).
    """

    lines: pd.DataFrame
    as_of: pd.Timestamp
    params: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @classmethod
    def concat(cls, parts: list[BackorderETA]) -> BackorderETA:
        """One result from those of disjoint sets of SKUs (same options and moment);
        a note that counts SKUs counts those of every part."""
        lines = concat_rows([p.lines for p in parts]).sort_values("sku", kind="stable")
        return cls(lines, parts[0].as_of, dict(parts[0].params),
                   concat_notes(p.notes for p in parts))

    def to_frame(self) -> pd.DataFrame:
        """Per open line: ``order_id``, ``line_id``, ``sku``, ``customer_id`` (when
        present), ``priority``, ``order_date``, ``quantity``, ``open_quantity``
        [units], ``age_days`` [days], ``units_ahead`` (open units queued before it),
        ``eta_p50`` … (ship date of its last unit at each quantile; NaT beyond the
        horizon), ``p_ship_within_limit`` (NaN when past its limit already or without
        one), ``limit_date``, ``expected_po`` (the PO that most often completes it, or
        "on hand" / "new order" / "beyond horizon") and ``p_expected_po`` (how often)."""
        return self.lines.copy()

    def _mid(self) -> str:
        names = _names(self.params["quantiles"])
        return names[len(names) // 2]

    @property
    def summary(self) -> pd.DataFrame:
        """Per SKU: ``open_lines``, ``open_units``, ``median_days_p50`` … (median over
        its lines of the days from ``as_of`` to each ETA quantile),
        ``lines_past_limit`` and ``lines_likely_late`` (``p_ship_within_limit < 0.5``)."""
        f = self.lines
        g = f.groupby("sku", sort=True)
        out = pd.DataFrame({"open_lines": g.size(), "open_units": g["open_quantity"].sum()})
        for c in _names(self.params["quantiles"]):
            out[f"median_days_{c[4:]}"] = ((f[c] - self.as_of) / DAY).groupby(f["sku"]).median()
        out["lines_past_limit"] = (f["limit_date"] <= self.as_of).groupby(f["sku"]).sum()
        out["lines_likely_late"] = (f["p_ship_within_limit"] < 0.5).groupby(f["sku"]).sum()
        return out

    @property
    def by_po(self) -> pd.DataFrame:
        """What each supply source will release: the expedite view.

        One row per ``expected_po`` (a PO id, "on hand", "new order" or "beyond
        horizon"): ``sku``, ``lines`` and ``units`` (open lines it is expected to
        complete and their open units), ``customers`` (distinct, when ``customer_id`` is
        known), ``lines_likely_late`` (``p_ship_within_limit < 0.5``),
        ``earliest_limit`` (the first limit date among its lines) and the median of the
        lines' middle ETA quantile; most lines first. Expediting the PO at the top
        brings the most waiting lines forward.
        """
        f, mid = self.lines, self._mid()
        g = f.groupby("expected_po", sort=False)
        out = pd.DataFrame({
            "sku": g["sku"].agg(lambda s: ", ".join(sorted(s.astype(str).unique()))),
            "lines": g.size(), "units": g["open_quantity"].sum()})
        if "customer_id" in f:
            out["customers"] = g["customer_id"].nunique()
        out["lines_likely_late"] = (f["p_ship_within_limit"] < 0.5).groupby(
            f["expected_po"], sort=False).sum()
        out["earliest_limit"] = g["limit_date"].min()
        out[f"median_{mid}"] = g[mid].median()
        return out.sort_values(["lines", "units"], ascending=False).rename_axis("expected_po")

    def plot(self, ax=None, max_lines: int = 40):
        """One bar per SKU and the supply it waits for (its expected PO): from the
        earliest first quantile to the latest last quantile of its lines, the median
        of their middle ETAs marked, against the earliest limit date; the ``max_lines``
        groups with the latest middle ETA. Lines waiting on one PO share one bar
        instead of repeating it. See :func:`backorder_analytics.plotting.plot_eta`.
        Returns the Axes."""
        from ..plotting import plot_eta

        names = _names(self.params["quantiles"])
        low, mid, high = names[0], self._mid(), names[-1]
        f = self.lines.assign(expected_po=self.lines["expected_po"].astype(object)
                              .fillna("—") if "expected_po" in self.lines else "—")
        g = f.groupby(["sku", "expected_po"], sort=False, observed=True)
        groups = pd.DataFrame({
            low: g[low].min(), mid: g[mid].median(), high: g[high].max(),
            "limit_date": g["limit_date"].min(), "lines": g.size()}).reset_index()
        groups["label"] = (groups["sku"].astype(str) + " · " + groups["expected_po"].astype(str)
                           + " · " + groups["lines"].map(
                               lambda n: f"{n:,} line{'s' if n != 1 else ''}"))
        shown = groups.sort_values(mid, na_position="first", kind="stable").tail(max_lines)
        title = f"Open backorders: ETA of {len(f):,} lines by SKU and expected PO"
        if len(shown) < len(groups):
            title += f" (the {len(shown):,} latest of {len(groups):,} groups)"
        return plot_eta(shown, ax=ax, as_of=self.as_of, low=low, mid=mid, high=high,
                        title=title)

    def __repr__(self) -> str:
        f, p, mid = self.lines, self.params, self._mid()
        days = ((f[mid] - self.as_of) / DAY).median() if len(f) else np.nan
        return (f"BackorderETA as of {self.as_of}: {len(f):,} open lines "
                f"({int(f['open_quantity'].sum()):,} units) over {f['sku'].nunique():,} SKUs "
                f"({p['allocation']}/{p['shipping']}, {p['n_reps']:,} replications); median "
                f"{mid} in {days:.1f} d; {int((f['p_ship_within_limit'] < 0.5).sum()):,} "
                "lines likely to miss their limit")

    def _repr_html_(self) -> str:
        return (f"<p><strong>{html.escape(repr(self))}</strong></p>"
                + self.summary.to_html(float_format=lambda x: f"{x:,.1f}"))


@dataclass(repr=False)
class ETABacktest:
    """Predicted ETAs against what happened (from :func:`eta_backtest`).

    Attributes
    ----------
    lines : pandas.DataFrame
        One row per (cutoff, line open then): ``cutoff``, the columns of
        :meth:`BackorderETA.to_frame`, ``outcome`` (``shipped`` / ``cancelled`` /
        ``open``), ``actual_ship_date``, ``actual_cancel_date`` and ``covered_p50`` …
        (1.0 when the actual is at or before that quantile, 0.0 if not, NaN unless
        shipped).
    quantiles : tuple of float
    data_end : pandas.Timestamp, optional
        The end of the data the outcomes come from: a line still open then is
        right-censored there in ``coverage_censored`` (None: open lines left out).
    """

    lines: pd.DataFrame
    quantiles: tuple
    data_end: pd.Timestamp | None = None

    @property
    def coverage(self) -> pd.DataFrame:
        """Per quantile: ``nominal``; ``coverage``, the share of the shipped lines whose
        actual ship date is at or before it; ``coverage_censored``, the same with the
        cancelled lines kept as right-censored at their cancel date and the lines
        still open at :attr:`data_end` censored there (a Kaplan–Meier estimate of
        P(ship date − ETA quantile <= 0) [1]_: a line cancelled, or still open, after
        its ETA had certainly not shipped by it; one censored before its ETA counts
        only through the lines still waiting then); ``n_lines`` (shipped lines),
        ``n_cancelled`` and ``n_open``.

        Dropping cancelled and still-open lines favours the fast ones (customers who
        cancel are those who waited longest), so ``coverage`` runs high;
        ``coverage_censored`` corrects for that, assuming a cancellation says nothing
        more about when the line would have shipped.

        References
        ----------
        .. [1] Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from
           incomplete observations. *JASA* 53(282), 457–481."""
        kinds = ["shipped", "cancelled"] + (["open"] if self.data_end is not None else [])
        f = self.lines[self.lines["outcome"].isin(kinds)]
        shipped = (f["outcome"] == "shipped").to_numpy()
        cancelled = (f["outcome"] == "cancelled").to_numpy()
        end = np.datetime64(pd.Timestamp(self.data_end or 0).value, "ns")
        until = np.where(shipped, f["actual_ship_date"].to_numpy("datetime64[ns]"),
                         np.where(cancelled, f["actual_cancel_date"].to_numpy(
                             "datetime64[ns]"), end))
        names = _names(self.quantiles)
        cov, censored = [], []
        for c in names:
            cov.append(f.loc[shipped, f"covered_{c[4:]}"].astype(bool).mean())
            eta = f[c].to_numpy("datetime64[ns]")
            beyond = np.isnat(eta)  # no ETA within the horizon: covers everything
            gap = np.where(beyond, -np.inf, (until - eta) / np.timedelta64(1, "D"))
            times, surv, _, _ = kaplan_meier(np.nan_to_num(gap, neginf=-1e9), shipped)
            i = np.searchsorted(times, 0.0, side="right") - 1
            censored.append(1.0 - (surv[i] if i >= 0 else 1.0))
        return pd.DataFrame({
            "nominal": list(self.quantiles), "coverage": cov,
            "coverage_censored": censored, "n_lines": int(shipped.sum()),
            "n_cancelled": int(cancelled.sum()), "n_open": int(len(f) - shipped.sum()
                                                               - cancelled.sum())},
            index=pd.Index(names, name="quantile"))

    @property
    def summary(self) -> pd.DataFrame:
        """Lines and cutoffs by outcome."""
        g = self.lines.groupby("outcome")
        return pd.DataFrame({"lines": g.size(), "cutoffs": g["cutoff"].nunique()})

    def to_frame(self) -> pd.DataFrame:
        """The per-line table, :attr:`lines`."""
        return self.lines.copy()

    def plot(self, ax=None):
        """Coverage against nominal level (see
        :func:`backorder_analytics.plotting.plot_eta_coverage`). Returns the Axes."""
        from ..plotting import plot_eta_coverage

        cov = self.coverage
        return plot_eta_coverage(cov["nominal"].to_numpy(), cov["coverage"].to_numpy(),
                                 ax=ax, n_lines=int(cov["n_lines"].iloc[0]))

    def __repr__(self) -> str:
        cov = self.coverage
        figs = ", ".join(f"{i} {r.coverage:.1%}" for i, r in cov.iterrows())
        return (f"ETABacktest: {self.lines['cutoff'].nunique():,} cutoffs, "
                f"{int(cov['n_lines'].iloc[0]):,} shipped lines; coverage {figs}")

    def _repr_html_(self) -> str:
        return (f"<p><strong>{html.escape(repr(self))}</strong></p>"
                + self.coverage.to_html() + self.summary.to_html())


# --------------------------------------------------------------------------- inputs


def _check_quantiles(quantiles) -> np.ndarray:
    qs = np.asarray(quantiles, dtype=float).ravel()
    if (qs.size == 0 or np.any((qs <= 0) | (qs >= 1)) or np.any(np.diff(qs) <= 0)
            or len(set(_names(qs))) < qs.size):
        raise ValueError("The 'quantiles' parameter must be increasing probabilities in "
                         "(0, 1) at least 0.01 apart, e.g. (0.5, 0.8, 0.95). Got "
                         f"{quantiles!r} instead.")
    return qs


