"""Monte Carlo of a replenishment policy: :func:`simulate` and :class:`SimulationResult`.

Each run draws demand for ``n_reps`` replications and a lead time per replenishment
order, runs an engine (the FIFO engine when it applies, the event engine otherwise) and
measures each replication (:mod:`.metrics`). The demand and the lead times come from
two independent streams of one seed, and lead time ``k`` of replication ``r`` does not
depend on how many orders a policy places, so two policies run with the same seed see
the same demand and the same lead times (common random numbers): differences between
them are not sampling noise.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from ..parameters import check_seed
from .base import DemandStream, EngineResult, Policy
from .fifo import EVENT_ENGINE, _initial_on_hand, fifo_applies, max_orders, run_fifo
from .metrics import per_replication, summarise
from .sources import as_demand_source, draw_lead_times

__all__ = ["simulate", "SimulationResult", "ENGINES"]

ENGINES = ("auto", "fifo", "events")

HEADLINE = (("fill_rate", "fill", "{:.4f}"), ("cycle_service_level", "CSL", "{:.4f}"),
            ("expected_backorders", "E[B]", "{:.4f}"), ("average_on_hand", "E[OH]", "{:.3f}"),
            ("expected_wait", "E[W]", "{:.4f} d"), ("wait_p95", "W p95", "{:.3f} d"))


@dataclass
class SimulationResult:
    """What :func:`simulate` found.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per metric: ``metric, mean, std, ci_low, ci_high, n_reps`` (95% t
        interval across replications); metrics as in :mod:`.metrics`.
    per_rep : pandas.DataFrame
        The metrics of each replication (index ``rep``).
    waits : pandas.DataFrame
        One row per line ordered after the warm-up: ``rep, time, qty,
        served_at_once, wait`` [days] (``wait`` NaN while open at the horizon or
        cancelled).
    policy : Policy
    engine : str
        ``"fifo"`` or ``"events"``.
    params : dict
        The run's settings (days, n_reps, seed, warmup, …).
    demand : DemandStream
    raw : EngineResult
        The engine's per-line and per-order output.
    """

    summary: pd.DataFrame
    per_rep: pd.DataFrame
    lines: dict = field(repr=False)
    policy: Policy
    engine: str
    params: dict
    demand: DemandStream = field(repr=False)
    raw: EngineResult = field(repr=False)

    @property
    def waits(self) -> pd.DataFrame:
        return pd.DataFrame(self.lines)

    def to_frame(self) -> pd.DataFrame:
        """The :attr:`summary` table."""
        return self.summary

    def metric(self, name: str) -> float:
        """Mean of one metric across replications."""
        row = self.summary.loc[self.summary["metric"] == name, "mean"]
        if row.empty:
            raise KeyError(f"No metric {name!r}; metrics: {list(self.summary['metric'])}.")
        return float(row.iloc[0])

    def wait_survival(self) -> tuple[np.ndarray, np.ndarray]:
        """P(wait > t) over all lines with a known wait: the jump points ``t`` [days]
        (starting at 0) and the survival just after each."""
        w = np.sort(self.lines["wait"][np.isfinite(self.lines["wait"])])
        if len(w) == 0:
            return np.array([0.0]), np.array([0.0])
        t, idx = np.unique(w, return_index=True)
        surv = 1.0 - np.append(idx[1:], len(w)) / len(w)
        if t[0] > 0:
            t, surv = np.concatenate([[0.0], t]), np.concatenate([[1.0], surv])
        return t, surv

    def plot(self, ax=None):
        """Wait-time survival curve P(wait > t) with the promise days marked; see
        :func:`backorder_analytics.plotting.plot_wait_survival`."""
        from ..plotting import plot_wait_survival

        t, surv = self.wait_survival()
        return plot_wait_survival(t, surv, promise_days=self.params.get("promise_days"),
                                  title=f"{self.policy}: wait of customer lines", ax=ax)

    def _headline(self) -> str:
        s = self.summary.set_index("metric")
        parts = []
        for name, label, fmt in HEADLINE:
            if name in s.index:
                row = cast("pd.Series", s.loc[name])  # one row: the metrics are unique
                m, lo, hi = row[["mean", "ci_low", "ci_high"]]
                half = (hi - lo) / 2 if np.isfinite(hi) else np.nan
                txt = fmt.format(m)
                parts.append(f"{label} {txt}" + (f" ± {half:.2g}" if np.isfinite(half) else ""))
        return "; ".join(parts)

    def __repr__(self) -> str:
        p = self.params
        return (f"SimulationResult({self.policy}, {p['n_reps']} reps × {p['days']:g} days, "
                f"warm-up {p['warmup']:g} d, engine {self.engine}, "
                f"{int(self.per_rep['lines'].sum()):,} lines): {self._headline()}")

    def _repr_html_(self) -> str:
        head = f"<p><strong>{html.escape(repr(self))}</strong></p>"
        return head + self.summary.to_html(index=False, float_format=lambda v: f"{v:.4g}")


def _check(days, n_reps, warmup, promise_days, engine) -> None:
    if not (np.isfinite(days) and days > 0):
        raise ValueError(f"The 'days' parameter must be > 0 [days]. Got {days!r} instead.")
    if int(n_reps) != n_reps or n_reps < 1:
        raise ValueError(f"The 'n_reps' parameter must be an integer >= 1. Got {n_reps!r}.")
    if not (0 <= warmup < days):
        raise ValueError(f"The 'warmup' parameter must lie in [0, days={days:g}) [days]. "
                         f"Got {warmup!r} instead.")
    if any(not np.isfinite(d) or d < 0 for d in promise_days):
        raise ValueError(f"The 'promise_days' parameter must be days >= 0. "
                         f"Got {promise_days!r}.")
    if engine not in ENGINES:
        raise ValueError(f"The 'engine' parameter must be one of {ENGINES}. "
                         f"Got {engine!r} instead.")


def _event_engine():
    try:
        from .events import run_events
    except ImportError as err:  # being written separately; say what is missing
        raise ImportError(f"This simulation needs {EVENT_ENGINE}, which could not be "
                          f"imported ({err}). Use FIFO allocation, partial shipping and no "
                          "cancellation to run on the FIFO engine.") from err
    return run_events


def simulate(policy: Policy, demand: Any, lead_time: Any, days: float, n_reps: int = 20,
             seed: int = 0, allocation: str = "fifo", shipping: str = "partial",
             max_wait_days: float | None = None, warmup: float = 0.0,
             sequential_supply: bool = False,
             promise_days=(1, 3, 7, 14, 30), engine: str = "auto", *,
             lead_time_group=None, initial_on_hand=None) -> SimulationResult:
    """Simulate a replenishment policy with a backorder queue, ``n_reps`` times.

    Parameters
    ----------
    policy : BaseStock, ReorderPoint, MinMax or OrderUpTo
        Levels in units, review period in days.
    demand : PoissonDemand, ForecastDemand, BootstrapDemand, DemandStream, Forecast,
        array_like or float
        Where order lines come from (see
        :func:`~backorder_analytics.simulation.sources.as_demand_source`); a float is a
        Poisson rate of one-unit lines per day.
    lead_time : float, frozen scipy.stats distribution, array_like or LeadTimeModel
        Replenishment lead time [days] (see :func:`draw_lead_times`).
    days : float
        Length of each replication [days].
    n_reps : int, default 20
        Independent replications; the confidence intervals are across them.
    seed : int or numpy.random.Generator, default 0
        The one source of randomness.
    allocation : {"fifo", "priority"}, default "fifo"
    shipping : {"partial", "complete"}, default "partial"
    max_wait_days : float, optional
        Cancel what a line still waits for after this many days.
    warmup : float, default 0
        Days at the start left out of every metric [days] (start-up transient; use at
        least the longest lead time).
    sequential_supply : bool, default False
        Receipts in order sequence (no crossing).
    promise_days : sequence of float, default (1, 3, 7, 14, 30)
        ``d`` for the ``p_wait_gt_<d>`` metrics [days].
    engine : {"auto", "fifo", "events"}, default "auto"
        ``"auto"``: the FIFO engine when it applies (FIFO, partial shipping, no
        cancellation, not a general MinMax), else the event engine.
    lead_time_group : hashable, optional
        The group when ``lead_time`` is a LeadTimeModel.
    initial_on_hand : int or array_like, optional
        Opening stock [units]; default the policy's starting position.

    Returns
    -------
    SimulationResult

    Notes
    -----
    Demand comes from the first and lead times from the second child of
    ``numpy.random.SeedSequence(seed)``; lead times are drawn for
    :func:`~backorder_analytics.simulation.fifo.max_orders` orders per replication.

    References
    ----------
    Axsäter, S. (2015). *Inventory Control*, 3rd ed., Springer, ch. 5; Zipkin, P. H.
    (2000). *Foundations of Inventory Management*, McGraw-Hill, ch. 6–7.

    Examples
    --------
    >>> from backorder_analytics.simulation import BaseStock, PoissonDemand, simulate
    >>> sim = simulate(BaseStock(25), PoissonDemand(rate=5.0), lead_time=4.0, days=365,
    ...                n_reps=4, seed=0, warmup=10)
    >>> sim.summary.columns.tolist()
    ['metric', 'mean', 'std', 'ci_low', 'ci_high', 'n_reps']
    >>> 0.7 < sim.metric("fill_rate") < 0.95
    True
    """
    _check(days, n_reps, warmup, promise_days, engine)
    n_reps, seed = int(n_reps), check_seed(seed)
    demand_ss, lead_ss = np.random.SeedSequence(seed).spawn(2)
    source = as_demand_source(demand)
    if isinstance(source, DemandStream):
        stream = source
        if stream.n_reps != n_reps or float(stream.horizon) != float(days):
            raise ValueError(f"The DemandStream has n_reps={stream.n_reps}, horizon="
                             f"{stream.horizon:g}; simulate was asked for n_reps={n_reps}, "
                             f"days={days:g}.")
    else:
        stream = source.generate(n_reps, float(days), np.random.default_rng(demand_ss))
    kwargs: dict[str, Any] = dict(allocation=allocation, shipping=shipping,
                                  max_wait_days=max_wait_days)
    why = fifo_applies(stream, policy, initial_on_hand=initial_on_hand, **kwargs)
    if engine == "fifo" and why is not None:
        raise ValueError(f"engine='fifo' cannot run {why}. Use engine='auto' or 'events'.")
    use = "fifo" if engine == "fifo" or (engine == "auto" and why is None) else "events"
    run = run_fifo if use == "fifo" else _event_engine()
    k = max_orders(stream, policy, initial_on_hand)
    lead = draw_lead_times(lead_time, n_reps, k, np.random.default_rng(lead_ss),
                           group=lead_time_group)
    i0 = _initial_on_hand(initial_on_hand, policy, n_reps)
    raw = run(stream, policy, lead, initial_on_hand=i0, sequential_supply=sequential_supply,
              **kwargs)
    per_rep, lines = per_replication(stream, raw, i0, warmup=float(warmup),
                                     promise_days=tuple(promise_days))
    params = dict(days=float(days), n_reps=n_reps, seed=seed, warmup=float(warmup),
                  allocation=allocation, shipping=shipping, max_wait_days=max_wait_days,
                  sequential_supply=sequential_supply, promise_days=tuple(promise_days),
                  lead_time=lead_time, demand=demand)
    return SimulationResult(summary=summarise(per_rep), per_rep=per_rep, lines=lines,
                            policy=policy, engine=use, params=params, demand=stream, raw=raw)
