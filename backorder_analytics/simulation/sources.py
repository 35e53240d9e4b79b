"""Demand and lead-time sources for Monte Carlo (DESIGN.md §5).

A demand source has ``generate(n_reps, days, rng) -> DemandStream``; all randomness
comes from the :class:`numpy.random.Generator` passed in, so a seed fixes the stream.

* :class:`PoissonDemand` — order lines as a Poisson process in continuous time, with
  an optional order-size distribution (a compound Poisson process);
* :class:`ForecastDemand` — sample paths of per-period demand (a
  :class:`~backorder_analytics.forecasting.core.Forecast` or an array);
* :class:`BootstrapDemand` — days resampled from a history of daily demand.

Lead times for replenishment orders come from :func:`draw_lead_times`: a constant, a
frozen scipy distribution (or anything with ``rvs``), an array of observed lead times to
resample, or a fitted :class:`~backorder_analytics.leadtime.model.LeadTimeModel` and a group.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Protocol

import numpy as np

from .base import DemandStream, order_by_rep_time, rep_bounds, rep_slices

__all__ = ["DemandSource", "PoissonDemand", "ForecastDemand", "BootstrapDemand",
           "as_demand_source", "draw_lead_times", "round_units", "LEAD_TIME_BLOCK"]

LINES = ("unit", "period")

LEAD_TIME_BLOCK = 256
"""Orders per block of lead-time draws: block ``b`` (orders ``256·b …``) of all
replications comes from its own generator, so the lead time of order ``k`` in
replication ``r`` does not depend on how many orders are drawn (common random numbers
across policies that place different numbers of orders)."""


class DemandSource(Protocol):
    """Anything with ``generate(n_reps, days, rng) -> DemandStream``."""

    def generate(self, n_reps: int, days: float, rng: np.random.Generator) -> DemandStream:
        ...  # pragma: no cover


def _sorted_stream(rep, time, qty, n_reps: int, days: float) -> DemandStream:
    """A DemandStream from lines with ``rep`` non-decreasing, sorting times [days] within
    reps (stable: lines at one instant keep their order).

    When every line has the same quantity, each replication's times are sorted in place
    instead (the same stream, without a permutation)."""
    rep = np.asarray(rep, dtype=np.int64)
    time = np.array(time, dtype=np.float64)
    qty = np.asarray(qty, dtype=np.int64)
    if len(qty) == 0 or np.all(qty == qty[0]):
        for run in rep_slices(rep_bounds(rep, n_reps)):
            time[run].sort()
    else:
        perm = order_by_rep_time(rep, time, n_reps)
        if perm is not None:
            time, qty = time[perm], qty[perm]
    return DemandStream(rep=rep, time=time, qty=qty, n_reps=n_reps, horizon=float(days))


def round_units(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Demand [units] to whole units: negatives to 0, fractions rounded up with
    probability equal to the fraction (unbiased stochastic rounding)."""
    x = np.clip(np.nan_to_num(np.asarray(x, dtype=np.float64), nan=0.0), 0.0, None)
    low = np.floor(x)
    frac = x - low
    if np.any(frac > 0):
        low = low + (rng.random(x.shape) < frac)
    return low.astype(np.int64)


def _lines_from_periods(demand: np.ndarray, period_days: float, days: float, lines: str,
                        rng: np.random.Generator) -> DemandStream:
    """Per-period demand ``(n_reps, n_periods)`` [units] → order lines at uniform random
    times within their period: one line per unit, or one line per period with demand."""
    n_reps, n_per = demand.shape
    rep = np.repeat(np.arange(n_reps), n_per)
    per = np.tile(np.arange(n_per), n_reps)
    units = demand.ravel()
    if lines == "unit":
        rep, per = np.repeat(rep, units), np.repeat(per, units)
        qty = np.ones(len(rep), dtype=np.int64)
    else:
        keep = units > 0
        rep, per, qty = rep[keep], per[keep], units[keep]
    time = (per + rng.random(len(rep))) * period_days
    inside = time <= days
    return _sorted_stream(rep[inside], time[inside], qty[inside], n_reps, days)


def _check_lines(lines: str) -> str:
    if lines not in LINES:
        raise ValueError(f"The 'lines' parameter must be one of {LINES}. Got {lines!r} "
                         "instead.")
    return lines


@dataclass(frozen=True)
class PoissonDemand:
    """Order lines arriving as a Poisson process (continuous time).

    Parameters
    ----------
    rate : float
        Lines per day (> 0).
    size : int, frozen scipy.stats discrete distribution or array_like, optional
        Units per line: a constant (default 1), a distribution (each draw must be
        >= 1, e.g. ``scipy.stats.geom(0.5)`` or ``poisson(2, loc=1)``), or observed
        sizes to resample with replacement.

    Notes
    -----
    Each replication draws ``N ~ Poisson(rate·days)`` lines at independent uniform
    times on ``[0, days]`` (the order statistics of a Poisson process), then a size per
    line. Demand per day has mean ``rate·E[size]`` (compound Poisson).

    Examples
    --------
    >>> import numpy as np
    >>> d = PoissonDemand(rate=2.0, size=3).generate(2, 10.0, np.random.default_rng(0))
    >>> d.n_reps, set(d.qty.tolist())
    (2, {3})
    """

    rate: float
    size: Any = None

    def generate(self, n_reps: int, days: float, rng: np.random.Generator) -> DemandStream:
        """``n_reps`` replications of ``days`` days of demand."""
        if not (isinstance(self.rate, Real) and np.isfinite(self.rate) and self.rate > 0):
            raise ValueError(f"PoissonDemand: 'rate' must be a number > 0 [lines per day]. "
                             f"Got {self.rate!r} instead.")
        counts = rng.poisson(self.rate * days, n_reps)
        total = int(counts.sum())
        rep = np.repeat(np.arange(n_reps), counts)
        time = rng.uniform(0.0, days, total)
        qty = self._sizes(total, rng)
        return _sorted_stream(rep, time, qty, n_reps, days)

    def _sizes(self, n: int, rng: np.random.Generator) -> np.ndarray:
        size = self.size
        if size is None:
            return np.ones(n, dtype=np.int64)
        if isinstance(size, Integral):
            out = np.full(n, int(size), dtype=np.int64)
        elif hasattr(size, "rvs"):
            out = np.asarray(size.rvs(size=n, random_state=rng))
            if np.any(out != np.round(out)):
                raise ValueError("PoissonDemand: the size distribution must be discrete "
                                 "(whole units).")
            out = out.astype(np.int64)
        else:
            pool = np.asarray(size)
            if pool.ndim != 1 or len(pool) == 0 or np.any(pool != np.round(pool)):
                raise ValueError(f"PoissonDemand: 'size' must be an int, a frozen discrete "
                                 f"scipy.stats distribution or a 1-D array of whole sizes. "
                                 f"Got {size!r} instead.")
            out = pool.astype(np.int64)[rng.integers(0, len(pool), n)]
        if np.any(out < 1):
            raise ValueError(f"PoissonDemand: order sizes must be >= 1 [units]; got sizes as "
                             f"low as {out.min()}. For a distribution that starts at 0, shift "
                             "it with loc=1.")
        return out


def _period_days_of(fc) -> float:
    import pandas as pd

    dates = pd.DatetimeIndex(fc.dates)
    if len(dates) >= 2:
        return float((dates[1] - dates[0]) / pd.Timedelta(days=1))
    if dates.freq is not None:
        tick = pd.tseries.frequencies.to_offset(dates.freq)  # a Tick, which pandas-stubs'
        return float(pd.Timedelta(tick)  # type: ignore[arg-type]  # Timedelta does not take
                     / pd.Timedelta(days=1))
    return 1.0


@dataclass(frozen=True)
class ForecastDemand:
    """Demand from forecast sample paths.

    Parameters
    ----------
    paths : Forecast or array_like, shape (n_paths, horizon)
        A :class:`~backorder_analytics.forecasting.core.Forecast` (its ``paths(n_reps,
        seed=…)`` are drawn with a seed from the run's generator), or per-period demand
        paths [units per period]; replication ``r`` uses path ``r`` (so ``n_paths >=
        n_reps``).
    sku : hashable, optional
        Which SKU of a multi-SKU forecast.
    lines : {"unit", "period"}, default "unit"
        ``"unit"``: one line of one unit per unit of demand, each at a uniform random
        time within its period (a Poisson-like stream of unit orders); ``"period"``: one
        line per period with positive demand, of the period's demand, at a uniform
        random time within the period.
    period_days : float, optional
        Length of a period [days]; default the forecast's date spacing, or 1.

    Notes
    -----
    Paths that are not whole numbers (continuous models) are rounded stochastically:
    ``⌊x⌋ + Bernoulli(x − ⌊x⌋)``, which keeps the mean; negative values become 0. The
    run may not be longer than the paths: ``days <= horizon·period_days``.

    Examples
    --------
    >>> import numpy as np
    >>> src = ForecastDemand(np.array([[2, 0, 1], [0, 0, 3]]), lines="period")
    >>> d = src.generate(2, 3.0, np.random.default_rng(0))
    >>> d.rep.tolist(), d.qty.tolist()
    ([0, 0, 1], [2, 1, 3])
    """

    paths: Any
    sku: Any = None
    lines: str = "unit"
    period_days: float | None = None

    def _matrix(self, n_reps: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        p = self.paths
        if hasattr(p, "paths") and hasattr(p, "dates"):
            period = self.period_days or _period_days_of(p)
            skus = None if self.sku is None else [self.sku]
            arr = np.asarray(p.paths(n_reps, seed=int(rng.integers(2**31 - 1)), skus=skus))
            if arr.shape[0] != 1:
                raise ValueError(f"ForecastDemand: the forecast has {arr.shape[0]} SKUs; pass "
                                 f"sku= (one of {list(p.skus[:5])}...).")
            return arr[0], float(period)
        arr = np.asarray(p, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2:
            raise ValueError(f"ForecastDemand: 'paths' must be a Forecast or an array of shape "
                             f"(n_paths, horizon). Got shape {arr.shape}.")
        if arr.shape[0] < n_reps:
            raise ValueError(f"ForecastDemand: {arr.shape[0]} path(s) for n_reps={n_reps}; "
                             "replication r uses path r. Pass more paths or fewer reps.")
        return arr[:n_reps], float(self.period_days or 1.0)

    def generate(self, n_reps: int, days: float, rng: np.random.Generator) -> DemandStream:
        """``n_reps`` replications of ``days`` days of demand."""
        lines = _check_lines(self.lines)
        arr, period = self._matrix(n_reps, rng)
        if not period > 0:
            raise ValueError(f"ForecastDemand: 'period_days' must be > 0. Got {period!r}.")
        need = int(np.ceil(days / period - 1e-9))
        if arr.shape[1] < need:
            raise ValueError(f"ForecastDemand: days={days:g} needs {need} periods of "
                             f"{period:g} day(s), but the paths cover {arr.shape[1]}. "
                             "Forecast a longer horizon or simulate fewer days.")
        demand = round_units(arr[:, :need], rng)
        return _lines_from_periods(demand, period, days, lines, rng)


@dataclass(frozen=True)
class BootstrapDemand:
    """Demand resampled from history: each simulated day is a day drawn with replacement
    from ``history`` (iid days; weekly patterns and autocorrelation are not kept).

    Parameters
    ----------
    history : array_like, shape (n_days,)
        Daily demand [units per day], >= 0.
    lines : {"unit", "period"}, default "unit"
        As in :class:`ForecastDemand` (a "period" is a day).

    Examples
    --------
    >>> import numpy as np
    >>> d = BootstrapDemand([0, 2, 5], lines="period").generate(1, 30.0,
    ...                                                         np.random.default_rng(1))
    >>> set(d.qty.tolist()) <= {2, 5}
    True
    """

    history: Any
    lines: str = "unit"

    def generate(self, n_reps: int, days: float, rng: np.random.Generator) -> DemandStream:
        """``n_reps`` replications of ``days`` days of demand."""
        lines = _check_lines(self.lines)
        hist = np.asarray(self.history, dtype=np.float64)
        if hist.ndim != 1 or len(hist) == 0 or not np.all(np.isfinite(hist)) \
                or np.any(hist < 0):
            raise ValueError("BootstrapDemand: 'history' must be a non-empty 1-D array of "
                             "daily demand >= 0 [units per day].")
        n_days = int(np.ceil(days - 1e-9))
        drawn = hist[rng.integers(0, len(hist), (n_reps, n_days))]
        return _lines_from_periods(round_units(drawn, rng), 1.0, days, lines, rng)


def as_demand_source(demand) -> Any:
    """A demand source from what :func:`~backorder_analytics.simulation.simulate` accepts:
    a source (``generate``), a :class:`DemandStream` (used as is), a ``Forecast`` or a
    2-D array of paths (:class:`ForecastDemand`), a 1-D array of daily history
    (:class:`BootstrapDemand`), or a number (Poisson rate of unit lines per day)."""
    if isinstance(demand, DemandStream) or hasattr(demand, "generate"):
        return demand
    if hasattr(demand, "paths") and hasattr(demand, "dates"):
        return ForecastDemand(demand)
    if isinstance(demand, Real):
        return PoissonDemand(float(demand))
    arr = np.asarray(demand)
    if arr.ndim == 2:
        return ForecastDemand(arr)
    if arr.ndim == 1:
        return BootstrapDemand(arr)
    raise TypeError(f"The 'demand' parameter must be a demand source (PoissonDemand, "
                    f"ForecastDemand, BootstrapDemand), a DemandStream, a Forecast, an array "
                    f"or a rate. Got {type(demand).__name__} instead.")


def draw_lead_times(source, n_reps: int, n_orders: int, rng: np.random.Generator,
                    group=None) -> np.ndarray:
    """Lead times [days] for ``n_orders`` replenishment orders of each replication.

    Parameters
    ----------
    source : float, frozen scipy.stats distribution, array_like or LeadTimeModel
        A constant; anything with ``rvs(size=, random_state=)`` (scipy, or the mixtures
        of :meth:`LeadTimeModel.distribution`); observed lead times to resample; or a
        fitted :class:`~backorder_analytics.leadtime.model.LeadTimeModel` with ``group``.
    n_reps, n_orders : int
    rng : numpy.random.Generator
    group : hashable, optional
        The LeadTimeModel group (e.g. a supplier).

    Returns
    -------
    numpy.ndarray, shape (n_reps, n_orders)
        ``out[r, k]``: lead time of order ``k`` of replication ``r``. Draws come in
        blocks of :data:`LEAD_TIME_BLOCK` orders, one generator per block seeded from
        one draw of ``rng``, so ``out[r, k]`` is the same for any ``n_orders > k``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> a = draw_lead_times(stats.expon(scale=4), 3, 5, np.random.default_rng(0))
    >>> b = draw_lead_times(stats.expon(scale=4), 3, 900, np.random.default_rng(0))
    >>> a.shape, bool(np.all(a == b[:, :5]))
    ((3, 5), True)
    """
    n_reps, n_orders = int(n_reps), int(n_orders)
    if group is not None and not (hasattr(source, "distribution") and hasattr(source,
                                                                              "sample")):
        raise ValueError("The 'group' parameter applies to a LeadTimeModel lead-time source "
                         f"only; got a {type(source).__name__}.")
    if hasattr(source, "distribution") and hasattr(source, "sample"):
        source = source.distribution(group)
    if isinstance(source, Real):
        if not (np.isfinite(float(source)) and float(source) >= 0):  # as float: typed
            raise ValueError(f"A constant lead time must be >= 0 [days]. Got {source!r}.")
        return np.full((n_reps, n_orders), float(source))
    if hasattr(source, "rvs"):
        def sample(m, gen):
            return np.asarray(source.rvs(size=m, random_state=gen), dtype=np.float64)
    else:
        pool = np.asarray(source, dtype=np.float64)
        if pool.ndim != 1 or len(pool) == 0:
            raise TypeError(f"The 'lead_time' parameter must be a number [days], a frozen "
                            f"scipy.stats distribution, a 1-D array of observed lead times or "
                            f"a LeadTimeModel. Got {type(source).__name__} instead.")

        def sample(m, gen):
            return pool[gen.integers(0, len(pool), m)]
    base = int(rng.integers(2**63 - 1))
    blocks = -(-n_orders // LEAD_TIME_BLOCK)
    out = np.empty((n_reps, blocks * LEAD_TIME_BLOCK))
    for b in range(blocks):
        gen = np.random.default_rng([base, b])
        block = sample(LEAD_TIME_BLOCK * n_reps, gen).reshape(LEAD_TIME_BLOCK, n_reps).T
        out[:, b * LEAD_TIME_BLOCK:(b + 1) * LEAD_TIME_BLOCK] = block
    out = out[:, :n_orders]
    if not np.all(np.isfinite(out)) or np.any(out < 0):
        raise ValueError("Lead times must be finite and >= 0 [days]; the lead-time source "
                         "gave other values.")
    return out
