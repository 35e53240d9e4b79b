"""Rolling-origin backtest of forecasting models on a panel of series.

:func:`backtest` refits every model at each of the last ``windows`` forecast origins
(spaced ``step`` periods apart) on the data before the origin and scores the next
``horizon`` periods with :mod:`~backorder_analytics.forecasting.metrics`. Each window is
one call of each kernel on the truncated panel, so the work is vectorised across SKUs
(Tashman, 2000, on rolling-origin evaluation).

Forecast combinations
---------------------
A model name ``"combo(a+b+…)"`` is the equal-weight mean of the registered models
``a, b, …`` (Clemen, 1989; the simple average is hard to beat, Claeskens, Magnus,
Vasnev & Wang, 2016). Per series and horizon step the combined forecast is the mean
of the components that forecast that series (NaN only when none does); its in-sample
one-step fitted values are the mean of the components' fitted values (NaN where one
of them has none). In a backtest a combination costs no kernel call: at each origin
its forecasts are averaged from the component fits the backtest makes anyway (a
component that is not itself scored on a series is fitted there for the
combination only). Its distribution (:func:`make_sampler`): the count distribution
on the combined mean when a component is of the intermittent family (the series are
counts), otherwise a residual bootstrap on the combined fitted values with ψ of the
combined forecast, which for these linear models is the mean of the components' ψ.

References
----------
Claeskens, G., Magnus, J. R., Vasnev, A. L. & Wang, W. (2016). The forecast
combination puzzle: a simple theoretical explanation. *International Journal of
Forecasting*, 32(3), 754–762.

Clemen, R. T. (1989). Combining forecasts: a review and annotated bibliography.
*International Journal of Forecasting*, 5(4), 559–583.

Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an analysis and
review. *International Journal of Forecasting*, 16(4), 437–450.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import metrics
from .base import MODELS, KernelFit, ModelSpec, first_valid_index, observed_at_least
from .panel import Panel, to_panel
from .probabilistic import (
    QUANTILE_GRID,
    PathSampler,
    bootstrap_sampler,
    count_sampler,
    intermittent_counts,
    quantile_sampler,
    stream_keys,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["backtest", "BacktestResult", "POINT_METRICS", "combination_name",
           "combination_components", "model_spec"]

POINT_METRICS = ("rmsse", "mase", "mae", "bias")
"""Point-forecast scores in every backtest: RMSSE (M5), MASE (Hyndman & Koehler, 2006),
MAE [units per period] and scaled bias (forecast − actual over the in-sample mean)."""

MIN_OBS = 2
"""A series needs this many training periods at an origin to be forecast there."""


# ---------------------------------------------------------------------------
# helpers shared with core
# ---------------------------------------------------------------------------


def as_panel(y: pd.DataFrame | Panel) -> Panel:
    """A long ``sku, date, demand`` frame (pandas, or anything with ``to_pandas()``: an
    Arrow table, a polars frame) or a Panel, as a Panel, checked."""
    if not isinstance(y, Panel | pd.DataFrame) and hasattr(y, "to_pandas"):
        y = y.to_pandas()
    if isinstance(y, Panel):
        panel = y
    elif isinstance(y, pd.DataFrame):
        panel = to_panel(y)
    else:
        raise TypeError("The 'y' parameter must be a pandas DataFrame with columns sku, date, "
                        f"demand (see demand_series). Got {type(y).__name__} instead.")
    if panel.values.size and np.nanmin(panel.values, initial=0.0) < 0:
        raise ValueError("Demand must be >= 0 in every period; the frame has negative values.")
    return panel


def check_horizon(horizon, name: str = "horizon") -> int:
    if isinstance(horizon, bool) or int(horizon) != horizon or horizon < 1:
        raise ValueError(f"The {name!r} parameter must be a whole number >= 1. "
                         f"Got {horizon!r} instead.")
    return int(horizon)


def check_models(models) -> list[str]:
    """Model names, each in :data:`MODELS` or a combination ``"combo(a+b+…)"`` of them."""
    if isinstance(models, str):
        models = [models]
    names = list(models)
    unknown = [m for m in names if not _known(m)]
    if unknown or not names:
        raise ValueError(f"Unknown model {unknown[0] if unknown else None!r}. The 'model' "
                         f"parameter must be one of {sorted(MODELS)}, a combination such "
                         "as 'combo(ses+imapa)' of at least two of them, or 'auto'.")
    return list(dict.fromkeys(names))


def _known(name) -> bool:
    if not isinstance(name, str):
        return False
    parts = combination_components(name)
    if parts is None:
        return name in MODELS
    return len(parts) >= 2 and len(set(parts)) == len(parts) and all(p in MODELS
                                                                      for p in parts)


# ---------------------------------------------------------------------------
# forecast combinations (see the module docstring)
# ---------------------------------------------------------------------------

COMBINATION_FAMILY = "combination"
"""``ModelSpec.family`` of a combination (:func:`model_spec`)."""


def combination_name(components: Sequence[str]) -> str:
    """The model name of the equal-weight combination of ``components``.

    Examples
    --------
    >>> combination_name(["imapa", "ses"])
    'combo(imapa+ses)'
    """
    return "combo(" + "+".join(components) + ")"


def combination_components(name: str) -> tuple[str, ...] | None:
    """The components of a combination name; None for any other name.

    Examples
    --------
    >>> combination_components("combo(imapa+ses)"), combination_components("ses")
    (('imapa', 'ses'), None)
    """
    if not (name.startswith("combo(") and name.endswith(")")):
        return None
    return tuple(name[len("combo("):-1].split("+"))


def combine_fits(fits: dict[str, KernelFit]) -> KernelFit:
    """Equal-weight mean of component fits on the same rows (see the module docstring).

    The mean of each row averages the components whose forecast of that row is finite
    at every step; ``fitted`` averages the same components (NaN where one of them has
    no fitted value); ``params`` are the components' prefixed ``"<name>.<param>"``, so
    that the combination kernel can be re-run with them held (for ψ).
    """
    names = list(fits)
    means = np.stack([np.asarray(fits[m].mean, dtype=float) for m in names])  # (k, n, h)
    ok = np.isfinite(means).all(axis=2)                                          # (k, n)
    count = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok[:, :, None], means, 0.0).sum(axis=0) / count[:, None]
        fitted = sum(np.where(ok[i][:, None], fits[m].fitted, 0.0)
                     for i, m in enumerate(names)) / count[:, None]
    mean[count == 0] = np.nan
    fitted[count == 0] = np.nan
    params = {f"{m}.{k}": v for m in names for k, v in fits[m].params.items()}
    return KernelFit(mean=mean, fitted=fitted, params=params)


def combination_kernel(y: np.ndarray, h: int, *, components: Sequence[str],
                       season_length: int | None = None, **params) -> KernelFit:
    """Kernel of a combination: every component's kernel on ``y``, then
    :func:`combine_fits`. ``params`` ``"<name>.<param>"`` are passed back to the
    component ``name`` (held parameters, as :func:`.impulse_response` needs)."""
    fits = {}
    for name in components:
        spec = MODELS[name]
        extra = ({"season_length": season_length}
                 if season_length and _accepts(spec.kernel, "season_length") else {})
        own = {k[len(name) + 1:]: v for k, v in params.items() if k.startswith(name + ".")}
        try:
            fits[name] = spec.kernel(y, h, **extra, **own)
        except TypeError:
            if not own:
                raise
            fits[name] = spec.kernel(y, h, **extra)
    return combine_fits(fits)


def _components(name: str) -> tuple[str, ...]:
    """The components of ``name``, a combination name."""
    parts = combination_components(name)
    if parts is None:
        raise ValueError(f"{name!r} is not a combination of models.")
    return parts


@functools.lru_cache(maxsize=64)
def _combination_spec(name: str) -> ModelSpec:
    parts = _components(name)
    kernel = functools.partial(combination_kernel, components=parts)
    return ModelSpec(name, kernel, COMBINATION_FAMILY,
                     "Equal-weight mean of " + ", ".join(parts) + " (Clemen, 1989)")


def model_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` of a registered model or of a combination name.

    Examples
    --------
    >>> model_spec("combo(imapa+ses)").family
    'combination'
    """
    if name in MODELS:
        return MODELS[name]
    return _combination_spec(check_models(name)[0])


def _counts(spec: ModelSpec) -> bool:
    """True when the model's distribution is the count distribution."""
    if spec.family == COMBINATION_FAMILY:
        return any(MODELS[m].family == "intermittent"
                   for m in _components(spec.name))
    return spec.family == "intermittent"


def check_quantiles(quantiles) -> tuple[float, ...]:
    q = tuple(float(v) for v in np.atleast_1d(quantiles)) if quantiles is not None else ()
    if any(not 0 < v < 1 for v in q):
        raise ValueError(f"The 'quantiles' must lie strictly between 0 and 1. Got {quantiles}.")
    return q


def season_length(freq: str) -> int:
    """Season of a panel frequency [periods]: week for days, year for weeks and months.

    Examples
    --------
    >>> season_length("D"), season_length("W-MON"), season_length("MS")
    (7, 52, 12)
    """
    base = str(freq).upper().split("-")[0]
    return {"D": 7, "B": 5, "W": 52, "M": 12, "MS": 12, "ME": 12, "Q": 4, "QS": 4}.get(base, 1)


def _accepts(kernel, name: str) -> bool:
    try:
        return name in inspect.signature(kernel).parameters
    except (TypeError, ValueError):
        return False


def fit_levels(quantiles: Sequence[float] | None) -> tuple[float, ...] | None:
    """Levels a model with its own quantiles is fitted at: ``quantiles`` together with
    :data:`~backorder_analytics.forecasting.probabilistic.QUANTILE_GRID` (None: no
    distribution needed, the kernel's defaults).

    Examples
    --------
    >>> fit_levels((0.5, 0.95))
    (0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
    """
    if quantiles is None:
        return None
    return tuple(sorted({float(q) for q in (*QUANTILE_GRID, *quantiles)}))


def fit_model(spec: ModelSpec, values: np.ndarray, h: int, season: int | None = None,
              quantiles: Sequence[float] | None = None) -> KernelFit:
    """Run a kernel on rows with enough history; rows without get NaN forecasts.

    ``season`` [periods] is passed as ``season_length`` to kernels that take one.
    ``quantiles`` [probability], when given, are passed with :func:`fit_levels` to
    kernels that take a ``quantiles`` argument (models that forecast their own
    quantiles). The kernel's result keeps its type and extra attributes (e.g.
    :class:`~backorder_analytics.forecasting.global_model.GlobalFit` and its
    ``quantiles``), with every per-series array expanded to all rows of ``values``."""
    n, t_len = values.shape
    enough = observed_at_least(values, MIN_OBS)
    if not enough.any():
        return KernelFit(mean=np.full((n, h), np.nan), fitted=np.full((n, t_len), np.nan),
                         params={})
    rows = np.flatnonzero(enough)
    whole = len(rows) == n
    sub = values if whole else values[rows]
    start = int(first_valid_index(sub).min())
    extra: dict[str, Any] = ({"season_length": season}
                             if season and _accepts(spec.kernel, "season_length") else {})
    if quantiles is not None and _accepts(spec.kernel, "quantiles"):
        extra["quantiles"] = fit_levels(quantiles)
    fit = spec.kernel(sub[:, start:], h, **extra)

    def expand(arr, shape) -> np.ndarray:
        full = np.full((n, *shape), np.nan)
        full[rows] = arr
        return full

    if whole and start == 0:  # every row, as the kernel returned them
        mean, fitted = fit.mean, fit.fitted
    else:
        mean, fitted = expand(fit.mean, (h,)), np.full((n, t_len), np.nan)
        fitted[rows, start:] = fit.fitted
    params = {}
    for key, val in fit.params.items():
        arr = np.asarray(val, dtype=float)
        if arr.shape == (len(rows),):
            params[key] = expand(arr, ())
    changes: dict[str, Any] = {"mean": mean, "fitted": fitted, "params": params}
    own = getattr(fit, "quantiles", None)
    if isinstance(own, dict):
        changes["quantiles"] = {q: expand(v, (h,)) for q, v in own.items()}
    return dataclasses.replace(fit, **changes)


def residual_window(season: int | None, h: int) -> int:
    """Residuals bootstrapped for continuous models: the last ``max(2·season, 4·h)``
    periods [periods].

    Recent residuals follow a level that drifts (demand of spare parts fades out);
    on rolling origins inside the carparts training data (months 33 and 39), the last
    24 months gave a lower scaled pinball loss than all residuals (0.2605 / 0.2519
    against 0.2610 / 0.2536) or the last 12, and shares above the quantiles closer to
    nominal. Two seasons and four horizons generalise the 24 months.

    Examples
    --------
    >>> residual_window(12, 6), residual_window(7, 28)
    (24, 112)
    """
    return max(2 * int(season or 1), 4 * int(h))


def make_sampler(spec: ModelSpec, values: np.ndarray, fit: KernelFit, h: int,
                 season: int | None = None, factor: float = 1.0) -> PathSampler:
    """The forecast distribution of a fit (see :mod:`.probabilistic`), its paths
    averaging ``factor · fit.mean``.

    Count distribution for the intermittent family (and for a combination with an
    intermittent component, on the combined mean), and for every other model on the
    series that are intermittent counts (:func:`~.probabilistic.intermittent_counts`:
    whole numbers, ADI above 1.32), on the model's mean; for the global family the
    model's own quantiles (``fit.quantiles``, inverse-CDF paths), or, for a fit without
    them, a residual bootstrap with ψ = 0 (a direct model: no forecast is fed back, and
    the kernel is not run again); residual bootstrap with the measured ψ weights
    otherwise (for a combination of continuous models: residuals of the combined
    fitted values, ψ of the combined forecast, i.e. the mean of the components' ψ).
    Bootstraps use the last :func:`residual_window` periods. The zero forecast is a
    point mass at 0: its paths are 0, consistent with its mean.

    ``fit`` is the kernel's fit as it is (not rescaled); ``factor`` [dimensionless]
    scales the whole distribution with the point forecast (top-down reconciliation,
    :mod:`~backorder_analytics.forecasting.reconcile`): the bootstrap's forecasts and
    residuals and the model's own quantiles are multiplied by it, so the paths are
    ``factor`` times the fit's; the count distribution is that of the scaled mean
    (its occurrence probability scaled, the sizes kept: whole numbers)."""
    if spec.name == "zero":
        return _point_mass(values, fit, h)
    if _counts(spec):
        return count_sampler(values, factor * np.asarray(fit.mean, dtype=float))
    own = getattr(fit, "quantiles", None)
    if spec.family == "global" and own:
        return quantile_sampler(factor * np.asarray(fit.mean, dtype=float),
                                {q: factor * np.asarray(v, dtype=float)
                                 for q, v in own.items()})
    enough = ~np.isnan(fit.mean).any(axis=1)
    counted = enough & intermittent_counts(values)
    if not counted.any():
        return _continuous_sampler(spec, values, fit, h, season, factor)
    parts = [(np.flatnonzero(counted),
              count_sampler(values[counted], factor * np.asarray(fit.mean[counted], float)))]
    rest = np.flatnonzero(~counted)
    if len(rest):
        sub_fit = KernelFit(mean=fit.mean[rest], fitted=fit.fitted[rest],
                            params={k: v[rest] for k, v in fit.params.items()})
        parts.append((rest, _continuous_sampler(spec, values[rest], sub_fit, h, season,
                                                factor)))
    return PathSampler.combine(parts, values.shape[0])


def _continuous_sampler(spec: ModelSpec, values: np.ndarray, fit: KernelFit, h: int,
                        season: int | None, factor: float) -> PathSampler:
    """The residual bootstrap of :func:`make_sampler` (a point mass for rows without a
    forecast)."""
    kernel = None if spec.family == "global" else spec.kernel
    if (kernel is not None and season and _accepts(kernel, "season_length")
            and "season_length" not in fit.params):
        kernel = functools.partial(kernel, season_length=season)
    window = residual_window(season, h)
    enough = ~np.isnan(fit.mean).any(axis=1)
    if enough.all():
        return bootstrap_sampler(values, fit, kernel, h, window, factor)
    rows = np.flatnonzero(enough)
    parts = []
    if len(rows):
        sub = values[rows]
        start = int(first_valid_index(sub).min())
        sub_fit = KernelFit(mean=fit.mean[rows], fitted=fit.fitted[rows, start:],
                            params={k: v[rows] for k, v in fit.params.items()})
        parts.append((rows, bootstrap_sampler(sub[:, start:], sub_fit, kernel, h, window,
                                              factor)))
    none = np.flatnonzero(~enough)
    parts.append((none, _point_mass(values[none], factor * fit.mean[none], h)))
    return PathSampler.combine(parts, values.shape[0])


def sampler_fit(spec: ModelSpec, fit: KernelFit) -> KernelFit:
    """What :func:`make_sampler` reads of a fit of ``spec``: the fit, or only its mean
    for the count distribution and the zero forecast (what a forecast keeps to build
    its distribution on first use, without the in-sample fitted values)."""
    if spec.name == "zero" or _counts(spec):
        return KernelFit(mean=fit.mean, fitted=np.empty((len(fit.mean), 0)))
    return fit


def _point_mass(values: np.ndarray, mean, h: int) -> PathSampler:
    """Paths equal to the point forecast (NaN read as 0): no residuals to resample."""
    mean = mean.mean if isinstance(mean, KernelFit) else mean
    return bootstrap_sampler(values, KernelFit(np.nan_to_num(mean),
                                               np.full(values.shape, np.nan)), None, h)


def design(t_len: int, horizon, windows, step, quantiles
           ) -> tuple[int, int, int, tuple[float, ...], np.ndarray]:
    """The checked ``horizon``, ``windows``, ``step`` [periods] and ``quantiles`` of a
    backtest of ``t_len`` periods, and its origins (:func:`origins`)."""
    horizon = check_horizon(horizon)
    windows = check_horizon(windows, "windows")
    step = horizon if step is None else check_horizon(step, "step")
    q = check_quantiles(quantiles)
    return horizon, windows, step, q, origins(t_len, horizon, windows, step)


def uses_all_series(name: str) -> bool:
    """Whether a model fits one model on all the series of a call (the ``global``
    family, or a combination with such a component): its forecast of a series then
    depends on the others.

    Examples
    --------
    >>> uses_all_series("global_gbm"), uses_all_series("combo(ses+global_gbm)")
    (True, True)
    >>> uses_all_series("ses")
    False
    """
    return any(MODELS[m].family == "global" for m in combination_components(name) or (name,))


def origins(t_len: int, horizon: int, windows: int, step: int) -> np.ndarray:
    """Forecast origins (number of training periods), oldest first."""
    o = t_len - horizon - step * np.arange(windows)[::-1]
    if o[0] < MIN_OBS:
        raise ValueError(
            f"The panel has {t_len} periods: too few for {windows} windows of horizon "
            f"{horizon} spaced {step} apart (the first origin would leave {o[0]} training "
            "periods). Use fewer windows, a smaller step or a shorter horizon.")
    return o


def window_scales(train: np.ndarray) -> dict[str, np.ndarray]:
    """The metrics' in-sample scales of a training panel, computed once per origin."""
    return {
        "rmsse": metrics.naive_scale(train, power=2, from_first_nonzero=True),
        "spl": metrics.naive_scale(train, power=1, from_first_nonzero=True),
        "mase": metrics.naive_scale(train, power=1),
        "bias": metrics._nanmean(train, axis=1),
    }


def score_window(values: np.ndarray, origin: int, horizon: int, spec: ModelSpec,
                 quantiles: tuple[float, ...], n_paths: int, seed: int,
                 rows: np.ndarray | None = None, season: int | None = None,
                 scales: dict[str, np.ndarray] | None = None,
                 fit: KernelFit | None = None,
                 keys: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Scores of one model at one origin, each an array over ``rows``.

    ``scales``: :func:`window_scales` of ``values[:, :origin]`` (all rows). ``fit``:
    the model's fit on ``values[rows, :origin]`` when already made (e.g. a
    combination averaged from its components' fits); default: fitted here. ``keys``:
    the random-stream keys of all rows (:func:`.probabilistic.stream_keys` of the
    SKUs), so that a SKU's quantile scores do not depend on the other rows."""
    sub = values if rows is None else values[rows]
    train, test = sub[:, :origin], sub[:, origin:origin + horizon]
    if scales is None:
        scales = window_scales(train)
    elif rows is not None:
        scales = {k: v[rows] for k, v in scales.items()}
    if fit is None:
        fit = fit_model(spec, train, horizon, season, quantiles if quantiles else None)
    out = {
        "rmsse": metrics.rmsse(test, fit.mean, train, scale=scales["rmsse"]),
        "mase": metrics.mase(test, fit.mean, train, scale=scales["mase"]),
        "mae": metrics.mae(test, fit.mean),
        "bias": metrics.scaled_bias(test, fit.mean, train, scale=scales["bias"]),
    }
    if quantiles:
        sampler = make_sampler(spec, train, fit, horizon, season)
        if keys is not None:
            sampler.keys = np.asarray(keys if rows is None else keys[rows], dtype=np.int64)
        qf = sampler.quantiles(quantiles, n_paths, seed)
        spl = metrics.scaled_pinball_loss(test, qf, quantiles, train, scale=scales["spl"])
        out["spl"] = np.nanmean(spl, axis=1) if spl.size else np.zeros(len(sub))
        out["pinball"] = metrics.pinball_loss(test, qf, quantiles).mean(axis=1)
        for i, q in enumerate(quantiles):
            out[f"below_q{q:g}"] = metrics.share_below(test, qf[:, i, :])
    started = ~np.isnan(fit.mean).any(axis=1)
    return {k: np.where(started, v, np.nan) for k, v in out.items()}


# ---------------------------------------------------------------------------
# the result
# ---------------------------------------------------------------------------


@dataclass
class BacktestResult:
    """Scores of a rolling-origin backtest.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per ``sku × model × window``: ``origin`` (first forecast date),
        ``rmsse``, ``mase``, ``mae``, ``bias`` and, when quantiles were scored,
        ``spl`` (mean scaled pinball loss over the quantiles), ``pinball`` [units per
        period] and ``below_q<level>`` (share of outcomes at or below the quantile).
        NaN where a series had fewer than two training periods at the origin.
    horizon, windows, step : int
        Design of the backtest [periods].
    quantiles : tuple of float
    means : dict or None
        With ``keep_means=True``: per model, ``(rows, forecasts)``, the panel rows it
        was scored on and its point forecasts at every origin, shape
        ``(windows, len(rows), horizon)`` [units per period].
    starts : numpy.ndarray or None
        The origins as numbers of training periods (with ``means``).
    """

    frame: pd.DataFrame
    horizon: int
    windows: int
    step: int
    quantiles: tuple[float, ...] = ()
    means: dict[str, tuple[np.ndarray, np.ndarray]] | None = field(default=None, repr=False)
    starts: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def concat(cls, parts: Sequence[BacktestResult], skus: Sequence | pd.Index | None = None,
               models: Sequence[str] | None = None) -> BacktestResult:
        """One result from backtests of the same design on disjoint sets of SKUs, or
        of other models on the same SKUs: the rows by model (in ``models``' order),
        window and SKU (in ``skus``' order), as one :func:`backtest` of them all
        lists them; by default in the order they first appear in ``parts``.
        ``means`` and ``starts`` are not kept (they index each part's own rows)."""
        first = parts[0]
        frame = pd.concat([p.frame for p in parts], ignore_index=True)
        sku_order = pd.Index(frame["sku"].unique() if skus is None else list(skus))
        model_order = pd.Index(frame["model"].unique() if models is None else list(models))
        sku_rank = sku_order.get_indexer(pd.Index(frame["sku"]))
        model_rank = model_order.get_indexer(pd.Index(frame["model"]))
        order = np.lexsort((sku_rank, frame["window"].to_numpy(), model_rank))
        return cls(frame=frame.take(order).reset_index(drop=True), horizon=first.horizon,
                   windows=first.windows, step=first.step, quantiles=first.quantiles)

    def to_frame(self) -> pd.DataFrame:
        """The tidy frame (a copy)."""
        return self.frame.copy()

    @property
    def metrics(self) -> list[str]:
        return [c for c in self.frame.columns if c not in ("sku", "model", "window", "origin")]

    @property
    def summary(self) -> pd.DataFrame:
        """Mean of every metric per model (over SKUs and windows), best RMSSE first;
        ``bias`` is the mean signed scaled bias, ``abs_bias`` its mean magnitude."""
        f = self.frame.assign(abs_bias=self.frame["bias"].abs())
        out = f.groupby("model", sort=False)[[*self.metrics, "abs_bias"]].mean()
        out.insert(0, "n", f.groupby("model", sort=False)["rmsse"].count())
        return out.sort_values("rmsse")

    def scores(self, metric: str = "rmsse") -> pd.DataFrame:
        """Wide ``sku × model`` table of a metric averaged over the windows."""
        if metric not in self.metrics:
            raise ValueError(f"The 'metric' parameter must be one of {self.metrics}. "
                             f"Got {metric!r} instead.")
        return self.frame.pivot_table(index="sku", columns="model", values=metric,
                                      aggfunc="mean", sort=False)

    def best(self, metric: str = "rmsse") -> pd.Series:
        """The model with the lowest mean ``metric`` per SKU (``|bias|`` for "bias";
        ``|below_q − q|`` for the coverage columns)."""
        table = self.scores(metric)
        if metric == "bias":
            table = table.abs()
        elif metric.startswith("below_q"):
            table = (table - float(metric[len("below_q"):])).abs()
        return table.idxmin(axis=1).rename("model")

    def plot(self, metric: str = "rmsse", ax: Axes | None = None) -> Axes:
        """Bar chart of the mean ``metric`` per model (see
        :func:`~backorder_analytics.plotting.plot_backtest`)."""
        from ..plotting import plot_backtest

        return plot_backtest(self.summary, metric=metric, ax=ax)

    def __repr__(self) -> str:
        s = self.summary
        lines = [f"BacktestResult({self.frame['sku'].nunique()} SKUs × {len(s)} models × "
                 f"{self.windows} windows; horizon {self.horizon}, step {self.step})"]
        for model, row in s.head(10).iterrows():
            lines.append(f"  {model:<18} RMSSE {row['rmsse']:.4f}  MASE {row['mase']:.4f}  "
                         f"bias {row['bias']:+.4f}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = (f"<p><b>Backtest</b>: {self.frame['sku'].nunique()} SKUs, "
                f"{self.windows} windows of {self.horizon} periods, step {self.step}</p>")
        return head + self.summary.to_html(float_format=lambda v: f"{v:.4f}")


# ---------------------------------------------------------------------------
# the function
# ---------------------------------------------------------------------------


def backtest_panel(panel: Panel, models: Sequence[str], horizon: int, windows: int = 3,
                   step: int | None = None, quantiles: Sequence[float] | None = None,
                   n_paths: int = 200, seed: int = 0,
                   rows: dict[str, np.ndarray] | None = None,
                   keep_means: bool = False) -> BacktestResult:
    """:func:`backtest` on a Panel; ``rows`` limits each model to some series;
    ``keep_means`` keeps every model's forecasts (``BacktestResult.means``).

    Each registered model is fitted once per window, on the series it is scored on
    together with those of the combinations it is a component of; a combination is
    scored on the average of those fits (no kernel call of its own)."""
    values = panel.values
    horizon, windows, step, q, starts = design(values.shape[1], horizon, windows, step,
                                               quantiles)
    season = season_length(panel.freq)
    names = check_models(models)
    everything = np.arange(len(panel.skus))
    keys = stream_keys(panel.skus) if q else None
    scored = {m: everything if rows is None else np.asarray(rows.get(m, []), dtype=np.int64)
              for m in names}
    scored = {m: idx for m, idx in scored.items() if len(idx)}
    combos = {m: parts for m in scored if (parts := combination_components(m))}
    fit_rows: dict[str, np.ndarray] = {}  # registered model -> the rows it is fitted on
    for m, idx in scored.items():
        for part in combos.get(m, (m,)):
            fit_rows[part] = np.union1d(fit_rows.get(part, idx), idx)
    pieces: dict[str, list[pd.DataFrame]] = {m: [] for m in scored}
    means: dict[str, list[np.ndarray]] = {m: [] for m in scored}

    def add(name: str, w: int, origin: int, sc: dict[str, np.ndarray],
            fit: KernelFit) -> None:
        pieces[name].append(pd.DataFrame({
            "sku": panel.skus[scored[name]], "model": name, "window": w,
            "origin": panel.dates[origin], **sc}))
        if keep_means:
            means[name].append(fit.mean)

    for w, origin in enumerate(int(o) for o in starts):
        scales = window_scales(values[:, :origin])
        kept: dict[str, tuple[np.ndarray, KernelFit]] = {}
        for name, idx in fit_rows.items():
            spec = MODELS[name]
            fit = fit_model(spec, values[idx, :origin], horizon, season, q if q else None)
            if name in scored:
                own = _take(fit, np.searchsorted(idx, scored[name]))
                add(name, w, origin, score_window(values, origin, horizon, spec, q, n_paths,
                                                  seed + w, scored[name], season, scales,
                                                  fit=own, keys=keys), own)
            if any(name in parts for parts in combos.values()):
                # without quantiles a combination is scored on its mean alone
                kept[name] = (idx, fit if q else KernelFit(fit.mean, fit.fitted[:, :0]))
        for name, parts in combos.items():
            idx = scored[name]
            fit = combine_fits({p: _take(kept[p][1], np.searchsorted(kept[p][0], idx))
                                for p in parts})
            add(name, w, origin, score_window(values, origin, horizon, model_spec(name), q,
                                              n_paths, seed + w, idx, season, scales,
                                              fit=fit, keys=keys), fit)
    frame = pd.concat([p for m in scored for p in pieces[m]], ignore_index=True)
    kept_means = ({m: (scored[m], np.stack(means[m])) for m in scored} if keep_means
                  else None)
    return BacktestResult(frame=frame, horizon=horizon, windows=windows, step=step,
                          quantiles=q, means=kept_means,
                          starts=starts if keep_means else None)


def _take(fit: KernelFit, pos: np.ndarray) -> KernelFit:
    """The rows ``pos`` of a fit (every per-series array, the fit's type kept)."""
    if len(pos) == len(fit.mean) and np.array_equal(pos, np.arange(len(pos))):
        return fit
    changes = {"mean": fit.mean[pos], "fitted": fit.fitted[pos],
               "params": {k: v[pos] for k, v in fit.params.items()}}
    own = getattr(fit, "quantiles", None)
    if isinstance(own, dict):
        changes["quantiles"] = {level: v[pos] for level, v in own.items()}
    return dataclasses.replace(fit, **changes)


def backtest(
    y: pd.DataFrame,
    models: Sequence[str] | str = ("naive", "moving_average", "historic_average", "zero"),
    horizon: int = 28,
    windows: int = 3,
    step: int | None = None,
    quantiles: Sequence[float] | None = (0.5, 0.8, 0.9, 0.95),
    n_paths: int = 200,
    seed: int = 0,
    *,
    client: Any = None,
    n_partitions: int | None = None,
) -> BacktestResult:
    """Rolling-origin backtest: refit each model at past origins and score the next
    ``horizon`` periods.

    The origins are the last ``windows`` ones spaced ``step`` apart: the newest
    forecasts the last ``horizon`` periods of the data, the one before starts ``step``
    periods earlier, and so on. At each origin every model is fitted on the periods
    before it (a series with fewer than two of them is left out there).

    Parameters
    ----------
    y : pandas.DataFrame
        Long demand frame ``sku, date, demand`` [units per period] (see
        :func:`~backorder_analytics.demand_series`).
    models : sequence of str or str
        Names from :data:`~backorder_analytics.forecasting.MODELS`.
    horizon : int, default 28
        Forecast horizon [periods].
    windows : int, default 3
        Number of origins.
    step : int, optional
        Periods between origins; default ``horizon`` (windows that do not overlap).
    quantiles : sequence of float or None, default (0.5, 0.8, 0.9, 0.95)
        Quantile forecasts to score (scaled pinball loss, share below); None skips
        them (faster: no paths are drawn).
    n_paths : int, default 200
        Paths per series for the quantiles.
    seed : int, default 0
        Seed of the paths (window ``w`` uses ``seed + w``; each SKU draws from its own
        stream, see :mod:`~backorder_analytics.forecasting.probabilistic`).
    client : distributed.Client, str, "local" or "synchronous", optional
        Backtest on a Dask cluster, by partitions of the SKUs, with the numbers of one
        process (:mod:`backorder_analytics.distributed.forecast`): a client, a
        scheduler address, or "local" for a cluster on this machine for the call.
        Needs the ``dask`` extra. A model fitted on all the series at once
        (``global_gbm``, or a combination with it) is backtested on the driver, as
        one process does, while the workers backtest the others. Default: in this
        process.
    n_partitions : int, optional
        With ``client``: partitions of the SKUs (default 4 per worker thread).

    Returns
    -------
    BacktestResult
        ``.frame`` (sku × model × window), ``.summary`` (mean per model),
        ``.best(metric)`` (per SKU), ``.plot()``.

    References
    ----------
    Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an analysis
    and review. *International Journal of Forecasting*, 16(4), 437–450.

    Examples
    --------
    >>> import pandas as pd
    >>> y = pd.DataFrame({"sku": ["A"] * 12,
    ...                   "date": pd.date_range("2024-01-01", periods=12, freq="MS"),
    ...                   "demand": [3, 0, 2, 5, 0, 1, 4, 0, 2, 3, 0, 1]})
    >>> bt = backtest(y, models=["naive", "zero"], horizon=3, windows=2, quantiles=None)
    >>> bt.summary[["n", "rmsse"]].round(4)  # doctest: +NORMALIZE_WHITESPACE
           n   rmsse
    model
    naive  2  0.5369
    zero   2  0.7109
    """
    panel = as_panel(y)
    names = check_models(models)
    if client is not None:
        design(panel.values.shape[1], horizon, windows, step, quantiles)  # checked here
        # imported here: dask is an optional dependency; by name, as a static import
        # would put this module in an import cycle where mypy takes the function
        # `backtest` for this module of the same name
        distributed = importlib.import_module("..distributed.forecast", __package__)
        with distributed.DaskEngine(client, n_partitions) as engine:
            return distributed.backtest_partitioned(engine, panel, names, horizon, windows,
                                                    step, quantiles, n_paths, seed)
    return backtest_panel(panel, names, horizon, windows, step, quantiles, n_paths, seed)
