"""Safety stock recommended per SKU, analytic and simulated: :func:`recommend_safety_stock`.

For each SKU the analytic answer (normal approximation, the formulas of
:mod:`backorder_analytics.planning.formulas`) and a simulated one (a common-random-numbers search
over reorder levels, :mod:`backorder_analytics.simulation.crn`), side by side in a
:class:`SafetyStockRecommendation`. The method is in the docstring of
:func:`recommend_safety_stock`. :mod:`backorder_analytics.planning.formulas` re-exports both names.

Units: demand [units/day], lead times [days], inventory quantities [units].
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..forecasting.demand import classify_demand, demand_series
from ..leadtime.per_sku import SkuLeadTime, sku_lead_times
from ..parameters import SAFETY_STOCK_REPS, SEED, check_n_jobs
from ..simulation.crn import (
    CRNRun,
    cumulative_demand_lines,
    daily_lines,
    orders_from_cumulative,
)
from ..streams import sku_rng
from .formulas import fill_rate_safety_factor, sd_lead_time_demand
from .targets import CycleServiceLevel, FillRate, WaitTime, check_target

__all__ = ["recommend_safety_stock", "SafetyStockRecommendation", "ORDER_COVER_DAYS",
           "ROP_TOL_REL", "ROP_TOL_UNITS", "R_MIN", "TRADEOFF_POINTS"]

ORDER_COVER_DAYS = 30.0
"""Default order quantity of the simulated ``(r, Q)`` policy: ``Q = max(1, round(d·30))``
units (a month of mean demand), raised to the item's ``moq`` when the dataset has one."""

ROP_TOL_REL = 0.10
ROP_TOL_UNITS = 1.0
SERVICE_TOL = 0.01
"""A SKU is flagged (``disagree``) when the analytic reorder point would lead to another
decision: it misses the target by more than :data:`SERVICE_TOL` (one point of service,
simulated at that level), or it holds more than needed by more than
``max(ROP_TOL_REL · max(r_simulated, 1), ROP_TOL_UNITS, one day of mean demand)`` —
more than 10 %, more than the one unit that discreteness alone explains, and more than
a day's demand. Typical for intermittent or lumpy demand (the normal approximation
misstates lead-time demand) and for skewed, variable lead times."""

R_MIN = 0
"""Smallest reorder level searched [units]: negative reorder points are not proposed."""

TRADEOFF_POINTS = 60
"""At most this many reorder levels per SKU in ``.tradeoff`` (evenly spread)."""

_LT_CACHE_KEY = "_lt"

SCHEDULE_COLUMNS = ["lead_time_demand", "reorder_point"]
"""Columns of ``SafetyStockRecommendation.schedule``."""

FORECAST_DRIVEN_CLASSES = ("smooth", "erratic")
"""Demand classes whose simulated demand follows the forecast. An intermittent or lumpy
SKU's forecast level rests on a handful of recent demands: on ``example_dataset``
(seed 0, as of day 730) its mean |log| error over the next 28 days was 0.68 for lumpy
SKUs against 0.09 for the history's long-run rate, which those SKUs keep."""

LEVEL_PATHS = 200
"""Sample paths per forecast-driven SKU from which :func:`level_sd` measures how
uncertain the forecast's level is (its standard error: about 5 % of the value)."""

TAIL_DAYS = 7
"""Past its horizon a forecast is continued at the mean of its last ``TAIL_DAYS`` days
(a week, so a weekly pattern does not bias it); the warm-up runs at the mean of its
first week."""


def _evaluate_sku(inp: dict, target, review: str, review_period: float, n_reps: int,
                  days: float, seed: int, warmup_days: float | None) -> tuple[dict, dict]:
    """Simulate one SKU and pick its level; returns (summary row, tradeoff columns)."""
    rng = sku_rng(seed, inp["sku"], "safety_stock")
    lt: SkuLeadTime = inp[_LT_CACHE_KEY]
    periodic = review == "periodic"
    warm = (float(np.ceil(lt.p99 + (review_period if periodic else 0.0)))
            if warmup_days is None else float(np.ceil(warmup_days)))
    t_end = warm + float(days)
    schedule = None
    if "profile" in inp:
        day_rate, schedule = _simulated_days(inp, int(warm), int(days))
        line_start, t, D = cumulative_demand_lines(
            rng, day_rate, inp["sizes"], n_reps, t_end, n_observed=len(inp["sizes"]),
            level_sd=inp["level_sd"])
    elif inp["kind"] == "poisson":
        line_start, t, D = cumulative_demand_lines(
            rng, inp["rate"], inp["sizes"], n_reps, t_end, n_observed=len(inp["sizes"]))
    else:
        rep, t, q = daily_lines(rng, inp["pool"], n_reps, t_end)
        line_start, D = np.searchsorted(rep, np.arange(n_reps + 1)), np.cumsum(q)
    # D: cumulative demand [units] of the lines (see CRNRun)
    base = 0 if schedule is None else int(schedule[0])  # the schedule's part of r(0)
    offset: int | np.ndarray
    if periodic:
        o_rep, o_time, o_qty = orders_from_cumulative(t, D, line_start, None, review_period,
                                                      t_end, schedule=schedule)
        offset = base
    else:
        Q = int(inp["Q"])
        u = rng.integers(0, Q, n_reps)
        o_rep, o_time, o_qty = orders_from_cumulative(t, D, line_start, Q, None, t_end, u,
                                                      schedule=schedule)
        offset = Q - u + base
    lead = lt.sample(rng, len(o_rep))
    run = CRNRun(line_start, t, D, t_end, warm, o_rep, o_time, o_qty, lead, offset)
    levels = run.level_range(R_MIN - base)  # the level searched: r(0) − base >= R_MIN
    fill = run.fill(levels)
    csl = run.csl(levels)
    if isinstance(target, FillRate):
        i = int(np.argmax(fill >= target.beta))
    elif isinstance(target, CycleServiceLevel):
        met = csl >= target.level
        i = int(np.argmax(met)) if met.any() else len(levels) - 1
    else:
        lo, hi = 0, len(levels) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if np.mean(run.waits(int(levels[mid])) <= target.days) >= target.quantile:
                hi = mid
            else:
                lo = mid + 1
        i = lo
    r_sim = base + int(levels[i])
    on_hand, back = run.areas(levels)
    mean_wait, p90_wait, share_waiting = run.wait_summary(int(levels[i]))
    r_an = inp["rop_analytic"] - base
    j = int(np.clip(np.ceil(r_an - 1e-9), levels[0], levels[-1]) - levels[0]) \
        if np.isfinite(r_an) else i
    if isinstance(target, FillRate):
        at_an = fill[j]
    elif isinstance(target, CycleServiceLevel):
        at_an = csl[j]
    else:
        at_an = float(np.mean(run.waits(int(levels[j])) <= target.days))
    row = {
        "safety_stock": r_sim - inp["lead_time_demand"],
        "reorder_point": r_sim,
        "fill_rate": fill[i], "cycle_service_level": csl[i],
        "mean_wait": mean_wait, "p90_wait": p90_wait, "share_waiting": share_waiting,
        "avg_on_hand": on_hand[i], "avg_backorders": back[i],
        "service_at_analytic": at_an,
        "n_lines": run.n_lines,
    }
    pick = levels
    if len(levels) > TRADEOFF_POINTS:
        pick = np.unique(np.r_[np.round(np.linspace(levels[0], levels[-1],
                                                     TRADEOFF_POINTS)), levels[i]]).astype(int)
    k = pick - levels[0]
    units = max(run.units, 1)
    pick = pick + base
    trade = {"reorder_point": pick, "safety_stock": pick - inp["lead_time_demand"],
             "fill_rate": fill[k], "cycle_service_level": csl[k],
             "mean_wait_per_unit": back[k] * n_reps * days / units,
             "avg_on_hand": on_hand[k], "avg_backorders": back[k]}
    return row, trade


# ----------------------------------------------------------------- inputs per SKU


def _inputs_from_dataset(ds, skus, review, review_period, cover_days, y=None):
    y = demand_series(ds, freq="D") if y is None else y
    all_skus = pd.Index(sorted(y["sku"].unique()), name="sku")
    skus = all_skus if skus is None else pd.Index(list(skus), name="sku")
    unknown = [s for s in skus if s not in all_skus]
    if unknown:
        raise KeyError(f"SKU(s) {unknown[:5]!r} have no order lines in the dataset. "
                       f"Known SKUs include {list(all_skus[:3])!r}.")
    y = y[y["sku"].isin(skus)]
    cls = classify_demand(y)
    g = y.groupby("sku")["demand"]
    mean, sd, periods = g.mean(), g.std(ddof=1).fillna(0.0), g.size()
    sizes = ds.line_sizes(skus)
    moq = {}
    if ds.items is not None and "moq" in ds.items:
        moq = ds.items.set_index("sku")["moq"].dropna().to_dict()
    out = []
    for s in skus:
        d = float(mean[s])
        row = {"sku": s, "category": str(cls.loc[s, "category"]), "mean_demand": d,
               "sd_demand": float(sd[s]), "kind": "poisson", "sizes": sizes[s],
               "rate": len(sizes[s]) / float(periods[s]), "demand_source": "history",
               "Q_min": int(moq.get(s, 1))}
        q = max(1, int(round(d * cover_days)))
        row["Q"] = max(q, row["Q_min"])
        out.append(row)
    return out


def _add_forecast(inputs, fc, lts, review, review_period, cover_days):
    """Let ``fc``'s daily mean drive the SKUs it forecasts (see
    :func:`recommend_safety_stock`, "Forecast-driven"): the line-rate profile, the
    lead-time demand schedule, Q and the uncertainty of the level; the SD of daily
    demand keeps its history's coefficient of variation at the forecast's level."""
    if fc.history.freq != "D":
        raise ValueError(f"The 'forecast' parameter must be a daily Forecast (freq 'D'). "
                         f"Got freq {fc.history.freq!r} instead.")
    row_of = {sku: i for i, sku in enumerate(fc.skus)}
    extra = review_period if review == "periodic" else 0.0
    driven = []
    for inp, lt in zip(inputs, lts, strict=True):
        i = row_of.get(inp["sku"])
        if inp["category"] not in FORECAST_DRIVEN_CLASSES or i is None or \
                not len(inp["sizes"]) or not np.isfinite(fc.mean[i]).all():
            continue
        mean = np.maximum(np.asarray(fc.mean[i], float), 0.0)
        d = float(mean.mean())
        if d <= 0:
            continue
        hist = inp["mean_demand"]
        inp.update(profile=mean, ltd=lead_time_demand_schedule(mean, lt.mean + extra),
                   dates=fc.dates, demand_source="forecast",
                   sd_demand=inp["sd_demand"] * (d / hist) if hist > 0 else 0.0,
                   mean_demand=d, Q=max(int(round(d * cover_days)), inp["Q_min"], 1))
        driven.append(inp)
    if driven:
        paths = fc.paths(LEVEL_PATHS, skus=[inp["sku"] for inp in driven])
        for inp, sku_paths in zip(driven, paths, strict=True):
            inp["level_sd"] = level_sd(sku_paths, inp["profile"], inp["sizes"])


def level_sd(paths: np.ndarray, mean: np.ndarray, sizes: np.ndarray) -> float:
    """How uncertain a forecast's level is, as the SD of a log-normal factor on it.

    The horizon means of the forecast's sample paths vary for two reasons: demand's
    own noise, which the simulation draws anyway (order lines at the forecast's rate,
    sizes from the history), and the uncertainty of the level the model carries
    forward (e.g. the ``ψ`` weights of an exponential-smoothing model). Only the
    second is added: ``τ² = max(Var(path mean) / level² − (1 + CV_S²) / (λ h), 0)``,
    the last term the squared coefficient of variation of a compound-Poisson horizon
    mean with line rate ``λ = level / mean size`` and size CV ``CV_S`` (its variance
    is ``λ·h·E[S²]``). Returns ``τ`` [dimensionless]."""
    level = float(np.mean(mean))
    horizon_means = np.asarray(paths, float).mean(axis=1)
    if level <= 0 or len(horizon_means) < 2:
        return 0.0
    size = np.asarray(sizes, float)
    m = float(size.mean())
    noise = float((size**2).mean()) / m**2 / (level / m * len(mean))
    tau2 = float(horizon_means.var(ddof=1)) / level**2 - noise
    return float(np.sqrt(max(tau2, 0.0)))


def lead_time_demand_schedule(mean: np.ndarray, lead: float) -> np.ndarray:
    """Mean demand over ``[j, j + lead)`` for every forecast day ``j`` [units]:
    ``F(j + lead) − F(j)`` with ``F`` the cumulative forecast (demand spread evenly
    within a day), continued past the horizon at the mean of its last week
    (:data:`TAIL_DAYS`). Length ``len(mean) + ceil(lead) + 1`` days, so a simulation
    may run into the extension."""
    h = len(mean)
    tail = float(mean[-min(TAIL_DAYS, h):].mean())
    n = h + int(np.ceil(lead)) + 2
    daily = np.concatenate([mean, np.full(n + int(np.ceil(lead)) + 1, tail)])
    cum = np.concatenate([[0.0], np.cumsum(daily)])
    grid = np.arange(len(cum), dtype=float)
    j = np.arange(n - 1, dtype=float)
    return np.interp(j + lead, grid, cum) - cum[:n - 1]


def _simulated_days(inp, warm: int, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Line rate [lines/day] and reorder-point schedule [whole units] of each simulated
    day: ``warm`` days at the first forecast week's rate (schedule held at its first
    day), then the forecast, then its last week's mean."""
    mean, ltd = inp["profile"], inp["ltd"]
    size = float(np.mean(inp["sizes"]))
    h = len(mean)
    tail = float(mean[-min(TAIL_DAYS, h):].mean())
    ahead = np.concatenate([mean, np.full(max(days - h, 0), tail)])[:days]
    day_rate = np.concatenate([np.full(warm, float(mean[:TAIL_DAYS].mean())), ahead]) / size
    sched = np.rint(ltd).astype(np.int64)
    ahead_s = np.concatenate([sched, np.full(max(days + 1 - len(sched), 0), sched[-1])])
    schedule = np.concatenate([np.full(warm, sched[0]), ahead_s[:days + 1]])
    return day_rate, schedule


def _inputs_from_forecast(fc, skus, n_paths):
    skus = fc.skus if skus is None else pd.Index(list(skus), name="sku")
    paths = np.asarray(fc.paths(n=n_paths, skus=list(skus)), dtype=float)
    cls = fc.classes_
    out = []
    for i, s in enumerate(skus):
        pool = np.maximum(np.rint(paths[i].ravel()), 0).astype(np.int64)
        cat = str(cls.loc[s, "category"]) if cls is not None and s in cls.index else ""
        out.append({"sku": s, "category": cat, "mean_demand": float(pool.mean()),
                    "sd_demand": float(pool.std(ddof=1)) if len(pool) > 1 else 0.0,
                    "kind": "daily", "pool": pool})
    return out


def _analytic(inputs, lts, target, review, review_period):
    """Normal-approximation level (ROP, or S under periodic review) for the target, for
    every SKU at once: arrays of μ, σ of lead-time demand and the level [units]."""
    d = np.array([inp["mean_demand"] for inp in inputs], float)
    s = np.array([inp["sd_demand"] for inp in inputs], float)
    lt_mean = np.array([lt.mean for lt in lts], float)
    lt_sd = np.array([lt.sd for lt in lts], float)
    L = lt_mean + (review_period if review == "periodic" else 0.0)
    mu = np.array([inp["ltd"][0] if "ltd" in inp else np.nan for inp in inputs], float)
    mu = np.where(np.isfinite(mu), mu, d * L)
    d = np.where(L > 0, mu / np.where(L > 0, L, 1.0), d)  # the rate over the lead time
    sigma = sd_lead_time_demand(d, s, L, lt_sd)
    if isinstance(target, FillRate):
        q = (d * review_period if review == "periodic" else
             np.array([inp["Q"] for inp in inputs], float))
        k = fill_rate_safety_factor(target.beta, np.where(q > 0, q, 1.0), sigma)
        level = mu + np.where(q > 0, k, 0.0) * sigma
    elif isinstance(target, CycleServiceLevel):
        level = mu + special.ndtri(target.level) * sigma
    else:  # cycle-service approximation over the lead time shortened by the allowed wait
        le = np.maximum(L - target.days, 0.0)
        sig_w = sd_lead_time_demand(d, s, le, np.where(le > 0, lt_sd, 0.0))
        level = d * le + special.ndtri(target.quantile) * sig_w
    return mu, sigma, np.asarray(level, float)


# ----------------------------------------------------------------- result


@dataclass
class SafetyStockRecommendation:
    """Recommended safety stock per SKU, analytic and simulated.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per SKU (index ``sku``); see :func:`recommend_safety_stock`.
    tradeoff : pandas.DataFrame
        Long frame ``sku, reorder_point, safety_stock, fill_rate, cycle_service_level,
        mean_wait_per_unit, avg_on_hand, avg_backorders``: service and wait against
        safety stock on the searched grid of levels. ``mean_wait_per_unit`` [days] is the
        mean wait of an ordered unit (Little: backorders / demand rate), unlike the
        summary's ``mean_wait``, which is over order lines.
    target : FillRate, CycleServiceLevel or WaitTime
    settings : dict
        ``review``, ``review_period``, ``n_reps``, ``days``, ``seed``, ``cover_days``.
    schedule : pandas.DataFrame or None
        Forecast-driven SKUs only: index ``(sku, date)`` over the forecast's days,
        ``lead_time_demand`` [units, mean demand over the mean lead time (plus R)
        from that day] and ``reorder_point`` [units] (``S`` under periodic review):
        the policy to apply day by day. Empty without a forecast.
    """

    summary: pd.DataFrame
    tradeoff: pd.DataFrame
    target: Any
    settings: dict = field(default_factory=dict)
    schedule: pd.DataFrame | None = None

    @classmethod
    def concat(cls, parts: list[SafetyStockRecommendation]) -> SafetyStockRecommendation:
        """One recommendation from those of disjoint sets of SKUs (same target and
        settings), SKUs in order."""
        summary = pd.concat([p.summary for p in parts]).sort_index(kind="stable")
        tradeoff = pd.concat([p.tradeoff for p in parts], ignore_index=True)
        tradeoff = tradeoff.sort_values("sku", kind="stable", ignore_index=True)
        schedules = [p.schedule for p in parts if p.schedule is not None]
        schedule = (pd.concat(schedules).sort_index(level="sku", kind="stable",
                                                    sort_remaining=False)
                    if schedules else None)
        return cls(summary, tradeoff, parts[0].target, dict(parts[0].settings), schedule)

    def to_frame(self) -> pd.DataFrame:
        """The :attr:`summary` table with ``sku`` as a column."""
        return self.summary.reset_index()

    @property
    def reorder_points(self) -> pd.DataFrame:
        """The recommended ``(r, Q)`` per SKU: ``sku``, ``r`` (the simulated reorder
        point, the analytic one where nothing was simulated) and ``Q`` [units]. Empty
        under periodic review, which has no order quantity."""
        s = self.summary
        r = s["reorder_point"].astype(float).fillna(s["reorder_point_analytic"])
        out = pd.DataFrame({"sku": s.index, "r": r.to_numpy(),
                            "Q": s["order_quantity"].to_numpy(float)})
        return out.dropna().reset_index(drop=True)

    def plot(self, sku=None, ax=None):
        """Service (left axis) and mean wait (right axis) against safety stock for one
        SKU (default the first), with the target, the simulated choice and the analytic
        answer; see :func:`~backorder_analytics.plotting.plot_safety_stock_tradeoff`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from ..plotting import plot_safety_stock_tradeoff

        sku = self.summary.index[0] if sku is None else sku
        tr = self.tradeoff[self.tradeoff["sku"] == sku]
        row = self.summary.loc[sku]
        col = ("cycle_service_level" if isinstance(self.target, CycleServiceLevel)
               else "fill_rate")
        return plot_safety_stock_tradeoff(
            tr["safety_stock"], tr[col], tr["mean_wait_per_unit"],
            chosen=row["safety_stock"], analytic=row["safety_stock_analytic"],
            target_level=None if isinstance(self.target, WaitTime) else self.target.level,
            service_label=col.replace("_", " "), title=f"{sku} — {row['category']}", ax=ax)

    def __repr__(self) -> str:
        s = self.settings
        flagged = int(self.summary["disagree"].sum()) if len(self.summary) else 0
        return (f"SafetyStockRecommendation({self.target!r}, {len(self.summary):,} SKUs, "
                f"{s.get('review', '')} review, {s.get('n_reps')} reps × {s.get('days')} days, "
                f"seed {s.get('seed')}; {flagged} flagged analytic ≠ simulated)")

    def _repr_html_(self) -> str:
        head = f"<p><strong>{html.escape(repr(self))}</strong></p>"
        return head + self.summary.to_html(float_format=lambda v: f"{v:,.3f}")


def _notes(summary: pd.DataFrame, target) -> pd.Series:
    """Per SKU, in words: a negative safety stock, and what the analytic reorder point
    would do where it disagrees."""
    notes = []
    row: Any  # a row's fields, by column name
    for row in summary.itertuples():
        parts = []
        if row.safety_stock < 0 and np.isfinite(row.order_quantity):
            days = row.order_quantity / row.mean_demand if row.mean_demand > 0 else np.nan
            parts.append(f"safety stock below 0: an order of {row.order_quantity:,.0f} units "
                         f"({days:,.0f} days of demand) meets the target on its own, so the "
                         f"reorder point can sit {-row.safety_stock:,.0f} units below the "
                         f"{row.lead_time_demand:,.0f} expected over the lead time")
        if row.disagree and row.service_at_analytic < target.level - SERVICE_TOL:
            parts.append(f"the normal approximation's reorder point "
                         f"({row.reorder_point_analytic:,.0f}) reaches only "
                         f"{row.service_at_analytic:.1%}: {row.category} demand is not "
                         "normal over the lead time")
        elif row.disagree:
            parts.append(f"the normal approximation would hold "
                         f"{row.reorder_point_analytic - row.reorder_point:,.0f} units more "
                         "than the target needs")
        notes.append("; ".join(parts))
    return pd.Series(notes, index=summary.index, dtype=object)


def recommend_safety_stock(
    ds_or_forecast,
    lead_times=None,
    target: FillRate | CycleServiceLevel | WaitTime | None = None,
    review: str = "continuous",
    n_reps: int = SAFETY_STOCK_REPS,
    days: int = 365,
    seed: int = SEED,
    skus: Sequence | None = None,
    progress: bool = True,
    *,
    review_period: float = 7.0,
    cover_days: float = ORDER_COVER_DAYS,
    warmup_days: float | None = None,
    n_jobs: int = 1,
    demand: pd.DataFrame | None = None,
    forecast=None,
    client: Any = None,
    n_partitions: int | None = None,
) -> SafetyStockRecommendation:
    """Safety stock and reorder point per SKU for a service target: analytic and simulated.

    Per SKU:

    1. **Demand**: demand class (:func:`~backorder_analytics.classify_demand`, daily),
       mean ``d`` and sd ``σ_d`` of daily demand [units/day] (zero-filled from the SKU's
       first order).
    2. **Lead time** [days]: mean, sd, p50, p90 from the SKU's distribution — by default
       :func:`~backorder_analytics.leadtime.model.dataset_lead_times` (by supplier,
       the SKU's supplier from ``ds.items``, else the most frequent on its POs).
    3. **Analytic** level (normal approximation, :mod:`~backorder_analytics.planning.formulas`):
       ``μ = d·L``, ``σ = √(L·σ_d² + d²·σ_L²)``; for :class:`FillRate` ``r = μ + kσ``
       with ``σ·G(k) = (1−β)·Q`` (:func:`~.formulas.reorder_point_fill_rate`), for
       :class:`CycleServiceLevel` ``r = μ + zσ`` (:func:`~.formulas.reorder_point_csl`),
       for :class:`WaitTime` (w days, quantile q) the cycle-service formula over the
       lead time shortened by the allowed wait, ``L' = max(L − w, 0)``:
       ``r = d·L' + z_q·√(L'·σ_d² + d²·σ_L²)`` — exact for Poisson base stock with a
       constant lead time (:func:`~.formulas.poisson_base_stock_wait_quantile`),
       conservative for ``Q > 1``. Under ``review="periodic"`` L is replaced by
       ``R + L`` and Q by ``d·R`` (:func:`~.formulas.order_up_to_level_fill_rate`).
    4. **Simulated** level: ``n_reps`` replications of ``days`` days (after a warm-up,
       below) of a continuous-review ``(r, Q)`` policy with ``Q = max(1, round(d ·
       cover_days))`` (raised to the item's ``moq``), or ``(R, S)`` under periodic
       review, FIFO backorders, partial shipping, no cancellation, orders crossing.
       Demand: order lines arrive as a Poisson process at the SKU's historical line
       rate, sizes bootstrapped from its order lines (a Forecast: one line per day,
       bootstrapped from the forecast's sample paths, rounded to whole units). The
       demand is the *predictive* one
       (:func:`~backorder_analytics.simulation.crn.demand_lines`): each replication's
       line rate carries its estimation error (a Gamma factor from the number of lines
       seen) and each replication draws its sizes from its own bootstrap resample of
       them. Lead times: i.i.d. draws from the SKU's distribution. All reorder levels
       are evaluated on the *same* demand and lead-time draws (common random numbers),
       which makes service exactly monotone in the level; the smallest level (>= 0)
       that meets the target is chosen. Each replication starts with nothing on order
       and, under
       ``(r, Q)``, an inventory position drawn uniformly from ``r+1 … r+Q`` (its
       stationary law for unit demand; one draw per replication, shared by all levels),
       under ``(R, S)`` at ``S``; its first ``warmup_days`` (default: the p99 lead
       time, plus R under periodic review, rounded up) are simulated but not counted.
    5. **Flag** ``disagree`` when the two levels lead to different decisions
       (:data:`SERVICE_TOL`): the analytic one misses the target by more than a point,
       or holds more than 10 %, a unit and a day of demand above the simulated one.
    6. **Explain** in ``note``: a negative safety stock (the order quantity alone
       meets the target) and a disagreement, in words.

    Forecast-driven: with ``forecast`` (a daily :class:`Forecast` of the dataset's
    SKUs), the SKUs of :data:`FORECAST_DRIVEN_CLASSES` are stocked for the forecast
    instead of the history's average: the simulated line rate follows the forecast
    day by day (continued past its horizon at its last week's mean), ``Q`` is
    ``cover_days`` of the forecast's mean, the reorder point moves with the forecast's
    lead-time demand, ``r(t) = round(LTD(t)) + s`` (:func:`lead_time_demand_schedule`,
    the level ``s`` searched as above) and each replication's level is scaled by a
    log-normal factor whose spread is the forecast's own level uncertainty
    (:func:`level_sd`). ``summary.reorder_point`` is day 1's; :attr:`schedule` holds
    every day's. Intermittent and lumpy SKUs keep the history's rate
    (``summary.demand_source`` says which).

    Parameters
    ----------
    ds_or_forecast : Dataset or Forecast
        History (orders, purchase orders, items) or a daily :class:`Forecast`.
    lead_times : LeadTimeModel, float, scipy.stats distribution or mapping, optional
        Lead time [days]: a fitted model (by supplier, SKU, or both), a constant, one
        distribution for every SKU, or ``{sku: days or distribution}``. Default: fitted
        from ``ds.purchase_orders`` by supplier (required with a Forecast).
    target : FillRate, CycleServiceLevel or WaitTime, default FillRate(0.95)
    review : {"continuous", "periodic"}, default "continuous"
    n_reps : int, default 200
        Replications per SKU.
    days : int, default 365
        Counted length of each replication [days].
    seed : int, default 0
        Each SKU draws from its own stream, keyed on the seed and the SKU
        (:mod:`~backorder_analytics.streams`): results for a SKU do not depend on which
        other SKUs are in the call.
    skus : sequence, optional
        SKUs to do (default: every SKU with order lines / in the forecast).
    progress : bool, default True
        Show a tqdm progress bar.
    review_period : float, default 7
        R [days] under periodic review.
    cover_days : float, default :data:`ORDER_COVER_DAYS`
        Q in days of mean demand under continuous review.
    warmup_days : float, optional
        Uncounted start of each replication [days].
    n_jobs : int, default 1
        Threads across SKUs; -1: one per core this process may use. The compiled
        kernels release the GIL: on 2 cores, 600 SKUs × 200 × 365 days took 4.7 s with
        1 thread and 2.7 s with 2. The numbers do not depend on ``n_jobs`` (each SKU
        has its own random stream).
    demand : pandas.DataFrame, optional
        The daily demand of ``ds`` (``demand_series(ds, freq="D")``) when computed
        already; default: computed here.
    forecast : Forecast, optional
        A daily forecast of ``ds``'s demand from the day after ``as_of`` (e.g.
        ``run.forecast`` of :func:`~backorder_analytics.plan`, which passes it): drives
        the smooth and erratic SKUs (see "Forecast-driven" above). Only with a Dataset.
    client : distributed.Client, str, "local" or "synchronous", optional
        Search on a Dask cluster, by partitions of the SKUs, with the numbers of one
        process (:mod:`backorder_analytics.distributed.functions`); needs the ``dask``
        extra. Only with a Dataset.
    n_partitions : int, optional
        With ``client``: partitions of the SKUs (default 4 per worker thread).

    Returns
    -------
    SafetyStockRecommendation
        ``summary`` indexed by ``sku``: ``category``, ``supplier``, ``mean_demand``,
        ``sd_demand`` [units/day], ``lead_time_mean``, ``lead_time_sd``,
        ``lead_time_p50``, ``lead_time_p90`` [days], ``order_quantity`` [units] (NaN
        under periodic review), ``lead_time_demand`` μ and ``sd_lead_time_demand`` σ
        [units], ``safety_stock_analytic``, ``reorder_point_analytic`` [units],
        ``safety_stock`` and ``reorder_point`` (simulated; ``S`` under periodic
        review; safety stock = level − μ), ``fill_rate``, ``cycle_service_level``,
        ``mean_wait`` and ``p90_wait`` [days, over order lines], ``share_waiting``,
        ``avg_on_hand`` (units held), ``avg_backorders`` [units], all achieved in the
        simulation at the chosen level; ``service_at_analytic`` (the target measure
        simulated at the analytic level rounded up), ``disagree``, ``n_lines``,
        ``demand_source`` (``"forecast"`` or ``"history"``), ``cycle_stock`` (``Q / 2``,
        the average stock the order quantity adds [units]) and ``note`` (why a safety
        stock is negative, or what the analytic answer would do, in words). ``schedule``: the
        reorder point of every forecast day (forecast-driven SKUs).

    Examples
    --------
    >>> import backorder_analytics as ba
    >>> ds = ba.example_dataset(seed=0)
    >>> rec = recommend_safety_stock(ds, target=FillRate(0.95), skus=["SKU-0001"],
    ...                              n_reps=20, progress=False)
    >>> bool(rec.summary.loc["SKU-0001", "fill_rate"] >= 0.95)
    True
    """
    from ..data.dataset import Dataset
    from ..forecasting.core import Forecast

    target = check_target(target)
    if review not in ("continuous", "periodic"):
        raise ValueError(f"The 'review' parameter must be one of ('continuous', 'periodic'). "
                         f"Got {review!r} instead.")
    if int(n_reps) < 1 or int(days) < 1:
        raise ValueError(f"'n_reps' and 'days' must be integers >= 1. Got n_reps={n_reps!r}, "
                         f"days={days!r} instead.")
    if not (np.isfinite(review_period) and review_period > 0):
        raise ValueError(f"The 'review_period' parameter must be > 0 [days]. "
                         f"Got {review_period!r} instead.")
    if not (np.isfinite(cover_days) and cover_days > 0):
        raise ValueError(f"The 'cover_days' parameter must be > 0 [days]. "
                         f"Got {cover_days!r} instead.")
    if client is not None:
        if not isinstance(ds_or_forecast, Dataset):
            raise TypeError("On a cluster (client=...), recommend_safety_stock takes a "
                            "Dataset.")
        # imported here: dask is an optional dependency
        from ..distributed.engine import DaskEngine
        from ..distributed.functions import recommend_safety_stock_partitioned

        with DaskEngine(client, n_partitions, progress=progress) as engine:
            return recommend_safety_stock_partitioned(
                engine, ds_or_forecast, lead_times, demand=demand, forecast=forecast,
                skus=skus, target=target, review=review, n_reps=n_reps, days=days,
                seed=seed, review_period=review_period, cover_days=cover_days,
                warmup_days=warmup_days)
    if isinstance(ds_or_forecast, Dataset):
        ds = ds_or_forecast
        inputs = _inputs_from_dataset(ds, skus, review, review_period, cover_days, demand)
    elif isinstance(ds_or_forecast, Forecast):
        ds = None
        inputs = _inputs_from_forecast(ds_or_forecast, skus, max(ds_or_forecast.n_paths, 100))
        for inp in inputs:
            inp["Q"] = max(1, int(round(inp["mean_demand"] * cover_days)))
    else:
        raise TypeError(f"The 'ds_or_forecast' parameter must be a Dataset or a Forecast. "
                        f"Got {type(ds_or_forecast).__name__} instead.")
    lts, groups = sku_lead_times([i["sku"] for i in inputs], lead_times, ds)
    if forecast is not None:
        if ds is None:
            raise TypeError("The 'forecast' parameter goes with a Dataset: "
                            "recommend_safety_stock(ds, forecast=fc).")
        _add_forecast(inputs, forecast, lts, review, review_period, cover_days)
    mus, sigmas, levels = _analytic(inputs, lts, target, review, review_period)
    for inp, lt, mu, sigma, level in zip(inputs, lts, mus, sigmas, levels, strict=True):
        inp[_LT_CACHE_KEY] = lt
        inp.update(lead_time_demand=float(mu), sd_lead_time_demand=float(sigma),
                   rop_analytic=float(level))

    def work(inp):
        if inp["mean_demand"] <= 0:
            return None, None
        return _evaluate_sku(inp, target, review, review_period, int(n_reps), float(days),
                             int(seed), warmup_days)

    n_jobs = check_n_jobs(n_jobs)
    if n_jobs > 1 and len(inputs) > 1:
        with ThreadPoolExecutor(n_jobs) as pool:
            it = pool.map(work, inputs)
            results = list(_progress(it, len(inputs), progress))
    else:
        results = [work(inp) for inp in _progress(inputs, len(inputs), progress)]

    rows, trades, schedules = [], [], []
    for inp, lt, grp, (row, trade) in zip(inputs, lts, groups, results, strict=True):
        base = {
            "sku": inp["sku"], "category": inp["category"], "supplier": grp,
            "demand_source": inp.get("demand_source", "forecast"),
            "mean_demand": inp["mean_demand"], "sd_demand": inp["sd_demand"],
            "lead_time_mean": lt.mean, "lead_time_sd": lt.sd, "lead_time_p50": lt.p50,
            "lead_time_p90": lt.p90,
            "order_quantity": np.nan if review == "periodic" else inp["Q"],
            "lead_time_demand": inp["lead_time_demand"],
            "sd_lead_time_demand": inp["sd_lead_time_demand"],
            "safety_stock_analytic": inp["rop_analytic"] - inp["lead_time_demand"],
            "reorder_point_analytic": inp["rop_analytic"],
        }
        if row is None:
            row = {"reorder_point": np.nan, "safety_stock": np.nan}
        base.update(row)
        rows.append(base)
        if "ltd" in inp and np.isfinite(base["reorder_point"]):
            schedules.append(_schedule(inp, base["reorder_point"]))
        if trade is not None:
            trades.append((inp["sku"], trade))
    summary = pd.DataFrame(rows).set_index("sku")
    r_s, r_a = summary["reorder_point"].astype(float), summary["reorder_point_analytic"]
    tol = np.maximum(np.maximum(ROP_TOL_REL * np.maximum(r_s, 1.0), ROP_TOL_UNITS),
                     summary["mean_demand"].fillna(0.0))
    misses = summary["service_at_analytic"] < target.level - SERVICE_TOL
    summary["disagree"] = (misses | (r_a - r_s > tol)).fillna(False).astype(bool)
    summary["cycle_stock"] = summary["order_quantity"] / 2
    summary["note"] = _notes(summary, target)
    tradeoff = (_stack(trades) if trades else
                pd.DataFrame(columns=["sku", "reorder_point", "safety_stock", "fill_rate",
                                      "cycle_service_level", "mean_wait_per_unit",
                                      "avg_on_hand",
                                      "avg_backorders"]))
    settings = {"review": review, "review_period": review_period if review == "periodic"
                else None, "n_reps": int(n_reps), "days": int(days), "seed": int(seed),
                "cover_days": cover_days}
    schedule = (_stack(schedules, index=["sku", "date"]) if schedules else
                pd.DataFrame(columns=SCHEDULE_COLUMNS,
                             index=pd.MultiIndex.from_arrays([[], []], names=["sku", "date"])))
    return SafetyStockRecommendation(summary, tradeoff, target, settings, schedule)


def _schedule(inp, reorder_point: float) -> tuple[Any, dict]:
    """The reorder point (or order-up-to level) of each forecast day: the rounded
    lead-time demand of that day plus the level found (``reorder_point`` is day 1's).
    Returns the SKU and the columns of its rows of ``schedule`` (:func:`_stack`)."""
    dates = inp["dates"]
    ltd = inp["ltd"][:len(dates)]
    level = np.rint(ltd) + (reorder_point - np.rint(inp["ltd"][0]))
    return inp["sku"], {"date": pd.Index(dates), "lead_time_demand": ltd,
                        "reorder_point": level.astype(np.int64)}


def _stack(parts: list[tuple[Any, dict]], index: list[str] | None = None) -> pd.DataFrame:
    """One frame from the rows of each SKU, ``[(sku, {column: values}), …]``: a
    ``sku`` column first (object dtype) and the columns in order, or with ``index``
    those columns as the index. What ``pd.concat`` of one frame per SKU gives, built
    once."""
    first = parts[0][1]
    n = [len(next(iter(cols.values()))) for _, cols in parts]
    data: dict[str, Any] = {"sku": np.repeat(np.array([sku for sku, _ in parts], dtype=object),
                                             n)}
    for c, v in first.items():
        data[c] = (v.append([cols[c] for _, cols in parts[1:]]) if isinstance(v, pd.Index)
                   else np.concatenate([cols[c] for _, cols in parts]))
    if index is None:
        return pd.DataFrame(data)
    keys = pd.MultiIndex.from_arrays([data.pop(c) for c in index], names=index)
    return pd.DataFrame(data, index=keys)


def _progress(it, total, show):
    if not show:
        return it
    from tqdm.auto import tqdm

    return tqdm(it, total=total, desc="safety stock", unit="SKU")
