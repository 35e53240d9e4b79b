"""The forecasting facade: :func:`forecast` and its :class:`Forecast` result.

``forecast(y, horizon, model=...)`` takes the long ``sku, date, demand`` frame, turns it
into a panel once, runs the chosen kernels vectorised across SKUs, and returns point
forecasts, quantiles and (on demand) sample paths per SKU.

Automatic selection (``model="auto"``)
-------------------------------------
1. **Candidates by demand class** (Syntetos, Boylan & Croston, 2005, via
   :func:`~backorder_analytics.classify_demand` on the training data): smooth and
   erratic SKUs choose among the baseline and smoothing families; intermittent and lumpy
   SKUs among the intermittent family, SES and the historic average; SKUs without demand
   get the zero forecast. The zero forecast is never a candidate for a SKU with demand:
   in quiet backtest windows it can score well even on RMSSE, but a planner who stocks
   to it never has the item (``models=[..., "zero"]`` allows it). With
   ``combine=True`` (default) each class with demand also has a **forecast
   combination** among its candidates, the equal-weight mean of a few of its models
   (:data:`CLASS_COMBINATIONS`: SBA, ADIDA and IMAPA for intermittent and lumpy SKUs,
   SES and the moving average for smooth and erratic ones), reported in ``model_`` as
   e.g. ``"combo(sba_opt+adida+imapa)"``; see
   :mod:`~backorder_analytics.forecasting.backtest` for how it is backtested (from the
   component fits, no kernel call of its own) and its distribution. ``models=[...]``
   replaces the candidate lists (then every SKU chooses among them). The global family
   (``global_gbm``) is never a default candidate: one fit costs about 13 s on 5,000
   daily series of two years, and the backtest refits every candidate at each of the
   ``windows`` origins, which alone would exceed the 30 s budget of an automatic
   forecast; name it in ``models=[...]`` (or ``model=[...]``) to let it compete.
2. **Rolling-origin backtest** on the training data only: ``windows`` origins spaced
   ``step`` periods apart (default: the horizon), each candidate refitted on the
   truncated panel (one vectorised kernel call per model and window).
3. **Score**: per SKU, the mean RMSSE (M5) over the windows plus ``bias_weight``
   times the absolute mean scaled bias. RMSSE is squared-error based, so it rewards
   the mean, not the median: MAE-type scores, which favour the zero forecast on
   intermittent data, never drive the choice. The bias term (off by default) can
   favour the less biased of two close methods.
4. **Shrinkage towards the class winner**: a per-SKU score from a handful of windows
   is noisy and choosing the minimum of many noisy scores over-fits (the winner's
   curse). Each SKU's score for a model is therefore blended with the mean score of
   that model over all SKUs of the same class,
   ``s = (1 − shrink)·s_sku + shrink·s_class``, before taking the minimum. With
   ``shrink = 1`` every SKU of a class gets the class winner (the "aggregate
   selection" of Fildes & Petropoulos, 2015); with 0 the pure per-SKU minimum.

The chosen model is then refitted on all the data of the SKUs that chose it (for a
combination: each of its components, on those SKUs only).

5. **Top-down reconciliation** (``reconcile="auto"``): the SKUs' forecasts are scaled
   by one factor to add up to a forecast of their total, when the same backtest
   scores the reconciled forecasts better (see
   :mod:`~backorder_analytics.forecasting.reconcile`). On the carparts data (1,046 series,
   train 45 months, test 6) per-SKU selection alone gets mean RMSSE 0.4856 against
   0.4844 for IMAPA, the best single method, a tie within noise (paired standard
   error 0.0011); the parts' demand falls by about a third a year, which the total
   shows and no sparse series does, and reconciled auto gets 0.4555. At the validation
   origins 33 and 39 (training data only) reconciliation was chosen by the inner
   backtest and lowered RMSSE from 0.5797 / 0.5637 to 0.5732 / 0.5549; at 21 and 27
   the inner backtest (windows of 9–21 months of history) declined it.

Per-SKU and global steps
------------------------
Everything but two steps is a pure function of one SKU's history: the demand class,
every kernel fit (parameters are fitted per series), the backtest scores, the refit of
the chosen model, and the sample paths and quantiles (each SKU draws from its own
random stream keyed on its id and the seed, see
:mod:`~backorder_analytics.forecasting.probabilistic`). With one named model (and no
reconciliation) a SKU's forecast is therefore the same whichever other SKUs are in the
call, bit for bit. The global steps, which use all SKUs of the call, are

- the **class means** of the selection scores (step 4), and
- the **reconciliation** decision and factor (step 5: the forecast of the total, its
  backtest, and ``Σ total / Σ SKU forecasts``).

They are kept in :class:`ForecastGlobals` (``Forecast.global_inputs_``). Passing them
back, ``forecast(y_part, ..., global_inputs=full.global_inputs_)``, skips their
computation on ``y_part`` and gives every SKU of ``y_part`` the model, mean,
quantiles and paths it has in ``full``: the way to forecast by SKU partition (e.g. one
Dask partition per call) after one pass over all SKUs for the global inputs.
(``global_gbm`` is the exception: a global model fitted on all the SKUs of the call.)

References
----------
Fildes, R. & Petropoulos, F. (2015). Simple versus complex selection rules for
forecasting many time series. *Journal of Business Research*, 68(8), 1692–1701.

Syntetos, A. A., Boylan, J. E. & Croston, J. D. (2005). On the categorization of
demand patterns. *Journal of the Operational Research Society*, 56(5), 495–503.

Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an analysis and
review. *International Journal of Forecasting*, 16(4), 437–450.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import pandas as pd

from .backtest import (
    MIN_OBS,
    BacktestResult,
    as_panel,
    backtest_panel,
    check_horizon,
    check_models,
    check_quantiles,
    combination_name,
    fit_model,
    make_sampler,
    model_spec,
    sampler_fit,
    season_length,
)
from .base import MODELS, KernelFit
from .demand import classify_demand
from .metrics import _nanmean
from .panel import Panel, future_dates
from .probabilistic import PathSampler, stream_keys
from .reconcile import (
    Reconciliation,
    ReconciliationInputs,
    check_reconcile,
    reconciliation_of,
    rmsse_raw_and_scaled,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_T = TypeVar("_T")

__all__ = ["forecast", "Forecast", "ForecastGlobals", "candidate_models", "class_scores",
           "select_models", "CLASS_FAMILIES", "CLASS_COMBINATIONS"]

CLASS_FAMILIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "smooth": (("baseline", "smoothing"), ()),
    "erratic": (("baseline", "smoothing"), ()),
    "intermittent": (("intermittent",), ("ses", "historic_average")),
    "lumpy": (("intermittent",), ("ses", "historic_average")),
    "no demand": ((), ("zero",)),
}
"""Candidates per demand class for ``model="auto"``: (families, extra model names)."""

BIAS_WEIGHT = 0.0
"""Default weight of ``|scaled bias|`` next to RMSSE in the selection score. 0: on
rolling origins inside the carparts training data (origins at months 33 and 39) a
weight of 0.1 changed mean RMSSE by less than ±0.003 and made the scaled pinball loss
of the chosen models worse (0.2627 / 0.2548 against 0.2610 / 0.2522), so RMSSE alone
decides."""

CLASS_COMBINATIONS: dict[str, tuple[str, ...]] = {
    "smooth": ("ses", "moving_average"),
    "erratic": ("ses", "moving_average"),
    "intermittent": ("sba_opt", "adida", "imapa"),
    "lumpy": ("sba_opt", "adida", "imapa"),
}
"""Components of the combination candidate of each demand class (``model="auto"``,
``combine=True``): its equal-weight mean competes in the backtest like any other
candidate (see the module docstring, step 1).

Chosen, with :data:`SHRINK`, on rolling origins inside the carparts training data
only (validation origins at months 33 and 39, never the test months); mean RMSSE
over the 1,046 series at 33 / 39:

=======================================================  ===============  ===============
candidates                                               shrink 0.8       shrink 0.9
=======================================================  ===============  ===============
no combination                                           0.5818 / 0.5670  0.5830 / 0.5668
combo(sba_opt+tsb_opt+adida+imapa+ses)                   0.5820 / 0.5672  0.5819 / 0.5666
combo(sba_opt+adida+imapa+ses)                           0.5815 / 0.5669  0.5818 / 0.5663
combo(croston_opt+sba_opt+tsb_opt+adida+imapa+ses)       0.5817 / 0.5673  0.5828 / 0.5670
intermittent family + ses (9 models)                     0.5818 / 0.5670  0.5830 / 0.5668
combo(imapa+ses)                                         0.5817 / 0.5671  0.5831 / 0.5668
**combo(sba_opt+adida+imapa)**                           0.5820 / 0.5653  0.5797 / 0.5637
=======================================================  ===============  ===============

(smooth and erratic SKUs with ``combo(ses+moving_average)``; ses+holt+moving_average
and no smooth combination gave the same to 0.0001: only 64 / 34 SKUs are smooth or
erratic there.) The three best intermittent methods average well; adding SES, TSB or
the Croston variants makes a combination that is rarely better than its best
component in the backtest and is seldom chosen. Combination on by default."""

DEFAULT_QUANTILES: tuple[float, ...] = (0.5, 0.8, 0.9, 0.95)
"""Quantile levels a forecast reports by default [probability]."""

COMBINE = True
"""Whether ``model="auto"`` adds the class combination to the candidates by default
(see :data:`CLASS_COMBINATIONS` for the validation)."""

SHRINK = 0.9
"""Default weight of the class-mean score in the selection score (see module docs).
Chosen on rolling origins inside the carparts training data only (validation origins
at months 33 and 39, never the test months). Without combinations 0.8 was best:
mean RMSSE 0.583 / 0.569 against 0.590 / 0.577 for the per-SKU minimum (0),
0.586 / 0.569 for 0.5 and 0.585 / 0.566 for one model per class (1). With the class
combinations (:data:`CLASS_COMBINATIONS`) among the candidates: 0.8 gave
0.5820 / 0.5653, 0.85 0.5812 / 0.5644, 0.9 0.5797 / 0.5637, 0.95 0.5804 / 0.5625 and
1 0.5800 / 0.5620; 0.9 is the lowest at origin 33 and within 0.002 of 1 at 39 while
still letting a SKU with a clear winner of its own keep it."""


def candidate_models(category: str, combine: bool = COMBINE) -> list[str]:
    """Models that ``model="auto"`` tries for a demand category.

    Parameters
    ----------
    category : str
        A demand class of :func:`~backorder_analytics.classify_demand`.
    combine : bool, default True
        Add the class's combination (:data:`CLASS_COMBINATIONS`) as a candidate.

    Examples
    --------
    >>> candidate_models("no demand")
    ['zero']
    >>> candidate_models("lumpy")[-1]
    'combo(sba_opt+adida+imapa)'
    """
    families, extra = CLASS_FAMILIES.get(category, (("baseline",), ()))
    names = [n for n, spec in MODELS.items() if spec.family in families]
    names += [n for n in extra if n in MODELS and n not in names]
    parts = [m for m in CLASS_COMBINATIONS.get(category, ()) if m in MODELS]
    if combine and len(parts) >= 2:
        names.append(combination_name(parts))
    return names or ["zero"]


# ---------------------------------------------------------------------------
# global inputs
# ---------------------------------------------------------------------------

SETTINGS = ("horizon", "end", "model", "models", "combine", "bias_weight", "windows",
            "step", "reconcile")
"""Settings a :class:`ForecastGlobals` records, in the order they are checked."""


@dataclass(frozen=True, eq=False)
class ForecastGlobals:
    """The inputs of a forecast that depend on all of its SKUs.

    Every step of :func:`forecast` is per SKU except two (see the module docstring,
    *Per-SKU and global steps*): the class means of the selection scores and the
    top-down reconciliation. ``forecast(y_part, ..., global_inputs=g)`` with ``g`` the
    ``global_inputs_`` of a forecast of all SKUs uses these instead of computing them
    from ``y_part``, and so gives every SKU of ``y_part`` the same model, mean,
    quantiles and paths as that forecast.

    Attributes
    ----------
    class_scores : pandas.DataFrame or None
        Mean selection score (mean RMSSE over the backtest windows plus
        ``bias_weight`` times the absolute mean scaled bias) of each candidate model
        over the SKUs of each demand class where it was scored: index the demand
        ``category``, columns the models, in the order that breaks ties (NaN: scored
        on no SKU of that class). None when no model was chosen by backtest.
    reconciliation : Reconciliation or None
        The top-down reconciliation: whether it is applied and its factor. None when
        it was not considered (``reconcile=False``, one named model with
        ``reconcile="auto"``, or a single SKU).
    settings : dict
        What the inputs were computed for: ``horizon``, ``end`` (the last period of
        the history) and, where they matter, ``model``, ``models``, ``combine``,
        ``bias_weight``, ``windows``, ``step`` and ``reconcile``. A forecast that uses
        the inputs must have the same settings.

    Examples
    --------
    >>> import pandas as pd
    >>> y = pd.DataFrame({"sku": ["A"] * 8 + ["B"] * 8,
    ...                   "date": list(pd.date_range("2024-01-01", periods=8)) * 2,
    ...                   "demand": [2, 0, 3, 1, 0, 2, 4, 1, 0, 1, 0, 0, 2, 0, 1, 0]})
    >>> full = forecast(y, horizon=2, model=["naive", "historic_average"], windows=2)
    >>> part = forecast(y[y["sku"] == "B"], horizon=2,
    ...                 model=["naive", "historic_average"], windows=2,
    ...                 global_inputs=full.global_inputs_)
    >>> bool((part.mean == full.mean[1:]).all() and part.model_["B"] == full.model_["B"])
    True
    """

    class_scores: pd.DataFrame | None
    reconciliation: Reconciliation | None
    settings: dict[str, Any]

    def __repr__(self) -> str:
        s = self.settings
        scores = ("no class scores" if self.class_scores is None else
                  f"class scores of {self.class_scores.shape[1]} models in "
                  f"{self.class_scores.shape[0]} classes")
        rec = self.reconciliation
        rec_text = ("no reconciliation" if rec is None else
                    f"reconciliation {'applied' if rec.applied else 'not applied'} "
                    f"(factor {rec.factor:.3f})")
        end = s.get("end")
        end_text = end.date() if isinstance(end, pd.Timestamp) else end
        return (f"ForecastGlobals({scores}; {rec_text}; model={s.get('model')!r}, "
                f"horizon {s.get('horizon')} after {end_text})")


def _settings(panel: Panel, h: int, model, models, combine: bool, bias_weight: float,
              windows: int, step: int, reconcile: str | bool) -> dict[str, Any]:
    """The settings the global inputs depend on (those that do not matter left out)."""
    select = not (isinstance(model, str) and model != "auto")
    considered = reconcile is True or (reconcile == "auto" and select)
    out: dict[str, Any] = {
        "horizon": h, "end": panel.dates[-1] if len(panel.dates) else None,
        "model": model if isinstance(model, str) else tuple(check_models(model))}
    if model == "auto":
        out["models"] = None if models is None else tuple(check_models(models))
        if models is None:
            out["combine"] = bool(combine)
    if select:
        out["bias_weight"] = float(bias_weight)
    if select or considered:
        out["windows"], out["step"] = windows, step
    out["reconcile"] = reconcile if considered else False
    return out


def check_global_inputs(global_inputs, settings: dict[str, Any]) -> ForecastGlobals:
    """``global_inputs`` checked against the call's ``settings``: a
    :class:`ForecastGlobals` computed with the same settings; TypeError or ValueError
    naming the parameter otherwise."""
    if not isinstance(global_inputs, ForecastGlobals):
        raise TypeError("The 'global_inputs' parameter must be a ForecastGlobals (the "
                        "global_inputs_ of a forecast of all the SKUs) or None. Got "
                        f"{type(global_inputs).__name__} instead.")
    theirs = global_inputs.settings if isinstance(global_inputs.settings, dict) else {}
    missing = object()
    for key in SETTINGS:
        mine, given = settings.get(key, missing), theirs.get(key, missing)
        if mine is missing and given is missing:
            continue
        if mine is missing or given is missing or not _same(mine, given):
            def show(value):
                return "(not used)" if value is missing else repr(value)
            raise ValueError(
                f"The 'global_inputs' parameter was computed with {key}={show(given)}, but "
                f"this call has {key}={show(mine)}. Pass the global_inputs_ of a forecast "
                "of all the SKUs made with the same settings, or global_inputs=None to "
                "compute them from 'y'.")
    scores = global_inputs.class_scores
    backtested = "bias_weight" in settings and settings.get("windows", 0) > 0
    if backtested and not isinstance(scores, pd.DataFrame):  # (no window: no scores)
        raise ValueError("The 'global_inputs' parameter must have class_scores, a DataFrame "
                         "of the mean selection score per demand class and model, to choose "
                         f"models by backtest. Got {type(scores).__name__} instead.")
    rec = global_inputs.reconciliation
    if rec is not None and not isinstance(rec, Reconciliation):
        raise TypeError("The 'global_inputs' parameter's reconciliation must be a "
                        f"Reconciliation or None. Got {type(rec).__name__} instead.")
    return global_inputs


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _check_class_scores(scores: pd.DataFrame, category: pd.Series,
                        rows: dict[str, np.ndarray]) -> None:
    """Every demand class of the call, and every candidate model, in ``scores``."""
    cats = category.to_numpy()
    classes = pd.unique(cats)
    unknown = [c for c in classes if c not in scores.index]
    if unknown:
        skus = category.index[np.isin(cats, unknown)][:3].tolist()
        raise ValueError(
            f"The 'global_inputs' parameter has no class scores for demand class "
            f"{unknown[0]!r} (SKUs {skus}); it has {list(map(str, scores.index))}. "
            "Compute the global inputs from a set of SKUs that includes these (the "
            "forecast of all the SKUs), or pass global_inputs=None.")
    models = [m for m in rows if m not in scores.columns]
    if models:
        raise ValueError(
            f"The 'global_inputs' parameter has no class scores for model {models[0]!r}; "
            f"it has {list(map(str, scores.columns))}. Compute it with the same candidate "
            "models (model, models, combine), or pass global_inputs=None.")


# ---------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------


@dataclass
class Forecast:
    """Point forecasts, quantiles and sample paths per SKU.

    Attributes
    ----------
    skus : pandas.Index
        One per row.
    dates : pandas.DatetimeIndex
        The ``horizon`` future periods.
    mean : numpy.ndarray, shape (n_sku, horizon)
        Point forecasts [units per period]; the paths average them (``max(mean, 0)``:
        demand paths are never below 0; see
        :mod:`~backorder_analytics.forecasting.probabilistic`, *The mean of the paths*).
    quantiles : tuple of float
        Levels of ``quantile_values``.
    quantile_values : numpy.ndarray, shape (n_sku, n_quantiles, horizon)
        Quantile forecasts [units per period]: from ``n_paths`` paths for the
        residual bootstrap (smooth models); the exact quantiles of the hurdle
        distribution for the intermittent models (whole numbers); for a model
        that forecasts its own quantiles (global family) the model's forecasts,
        interpolated between its levels (the quantile function its paths follow;
        scaled down where the model's mean is below what they imply).
    model_ : pandas.Series
        Model used per SKU (index ``sku``).
    seed, n_paths : int
        The paths behind the quantiles are ``paths(n_paths, seed=seed)``.
    history : Panel
        The data the forecast was made from (for plots).
    backtest_ : BacktestResult or None
        The selection backtest when models were chosen automatically.
    classes_ : pandas.DataFrame or None
        Demand classes used to pick candidates (``model="auto"``).
    reconciliation_ : Reconciliation or None
        Top-down reconciliation to the forecast of the total SKUs' demand, when it
        was considered (:mod:`~backorder_analytics.forecasting.reconcile`).
    global_inputs_ : ForecastGlobals or None
        The inputs computed from all the SKUs (class scores, reconciliation), to pass
        as ``forecast(..., global_inputs=...)`` when forecasting a part of them.
    """

    skus: pd.Index
    dates: pd.DatetimeIndex
    mean: np.ndarray
    quantiles: tuple[float, ...]
    quantile_values: np.ndarray
    model_: pd.Series
    seed: int
    n_paths: int
    history: Panel
    sampler: PathSampler | Callable[[], PathSampler] = field(repr=False)
    backtest_: BacktestResult | None = None
    classes_: pd.DataFrame | None = None
    reconciliation_: Reconciliation | None = None
    global_inputs_: ForecastGlobals | None = field(default=None, repr=False)

    @property
    def horizon(self) -> int:
        return len(self.dates)

    def path_sampler(self) -> PathSampler:
        """The forecast distribution behind :meth:`paths` and the quantiles; a forecast
        made without quantiles builds it here, on first use (a point forecast does
        not pay for it)."""
        if not isinstance(self.sampler, PathSampler):
            self.sampler = self.sampler()
        return self.sampler

    def take(self, skus) -> Forecast:
        """The forecast of ``skus`` alone: the same means, quantiles and paths (without
        the backtest, which belongs to the whole)."""
        rows = self.skus.get_indexer(pd.Index(list(skus)))
        if (rows < 0).any():
            raise KeyError(f"Unknown SKUs: {list(pd.Index(skus)[rows < 0][:5])}")
        h = self.history
        return dataclasses.replace(
            self, skus=self.skus[rows], mean=self.mean[rows],
            quantile_values=self.quantile_values[rows], model_=self.model_.iloc[rows],
            history=Panel(skus=h.skus[rows], dates=h.dates, values=h.values[rows],
                          freq=h.freq),
            sampler=self.path_sampler().take(rows), backtest_=None,
            classes_=None if self.classes_ is None else self.classes_.reindex(self.skus[rows]))

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame ``sku, date, model, mean, q<level>…`` (one row per SKU and period)."""
        n, h = self.mean.shape
        frame = pd.DataFrame({  # new arrays, each a column as it is (not copied into blocks)
            "sku": np.repeat(self.skus.to_numpy(), h),
            "date": np.tile(self.dates.to_numpy(), n),
            "model": np.repeat(self.model_.to_numpy(), h),
            "mean": self.mean.reshape(-1).copy(),
        }, copy=False)
        for i, q in enumerate(self.quantiles):
            frame[f"q{q:g}"] = self.quantile_values[:, i, :].reshape(-1)
        return frame

    @property
    def summary(self) -> pd.DataFrame:
        """Per SKU: model, total mean demand over the horizon and the mean per period."""
        return pd.DataFrame({"model": self.model_.to_numpy(),
                             "total": self.mean.sum(axis=1),
                             "per_period": self.mean.mean(axis=1)},
                            index=self.skus)

    def paths(self, n: int | None = None, seed: int | None = None, skus=None,
              as_frame: bool = False) -> np.ndarray | pd.DataFrame:
        """Sample paths of future demand.

        Parameters
        ----------
        n : int, optional
            Paths per SKU; default ``n_paths`` (with the default seed these are the
            paths the quantiles were computed from).
        seed : int, optional
            Default the forecast's seed.
        skus : sequence, optional
            Subset of SKUs, in the order wanted (default all).
        as_frame : bool, default False
            Return a long frame ``sku, path, date, demand`` instead.

        Returns
        -------
        numpy.ndarray, shape (n_sku, n, horizon), float32, or pandas.DataFrame
            Demand [units per period], averaging ``mean`` in every period (within
            Monte Carlo error; reconciled forecasts scale their paths with their
            mean); whole numbers for intermittent models; for the global family,
            inverse-CDF draws from the model's quantiles (see
            :mod:`~backorder_analytics.forecasting.probabilistic`).
        """
        n = self.n_paths if n is None else int(n)
        seed = self.seed if seed is None else int(seed)
        rows = None if skus is None else self.skus.get_indexer(pd.Index(list(skus)))
        if rows is not None and (rows < 0).any():
            raise KeyError(f"Unknown SKUs: {[s for s, r in zip(skus, rows, strict=True) if r < 0]}")
        arr = self.path_sampler().sample(n, seed, rows)
        if not as_frame:
            return arr
        labels = self.skus if rows is None else self.skus[rows]
        k, p, h = arr.shape
        return pd.DataFrame({
            "sku": np.repeat(labels.to_numpy(), p * h),
            "path": np.tile(np.repeat(np.arange(p), h), k),
            "date": np.tile(self.dates.to_numpy(), k * p),
            "demand": arr.reshape(-1),
        })

    def plot(self, sku=None, ax: Axes | None = None, history: int | None = 60) -> Axes:
        """Fan chart of one SKU: history, mean and the quantile bands.

        Parameters
        ----------
        sku : optional
            Default the first SKU.
        ax : matplotlib Axes, optional
        history : int or None, default 60
            Periods of history shown (None: all).
        """
        from ..plotting import plot_forecast

        sku = self.skus[0] if sku is None else sku
        i = cast(int, self.skus.get_loc(sku))  # the SKUs are unique: one position
        hist = self.history.values[i]
        dates = self.history.dates
        if history is not None:
            hist, dates = hist[-history:], dates[-history:]
        return plot_forecast(dates, hist, self.dates, self.mean[i], self.quantiles,
                             self.quantile_values[i], title=f"{sku} — {self.model_.iloc[i]}",
                             ax=ax)

    def __repr__(self) -> str:
        counts = self.model_.value_counts()
        used = ", ".join(f"{m} ×{c}" for m, c in counts.head(6).items())
        more = f", … ({len(counts)} models)" if len(counts) > 6 else ""
        rec = self.reconciliation_
        scaled = (f"; reconciled to the total ×{rec.factor:.3f}" if rec is not None
                  and rec.applied else "")
        return (f"Forecast({len(self.skus)} SKUs × {self.horizon} periods from "
                f"{self.dates[0].date() if len(self.dates) else '-'}; quantiles "
                f"{list(self.quantiles)}; models: {used}{more}{scaled})")

    def _repr_html_(self) -> str:
        head = f"<p><b>{self.__repr__()}</b></p>"
        return head + self.to_frame().head(20).to_html(
            index=False, float_format=lambda v: f"{v:.3f}")


# ---------------------------------------------------------------------------
# selection
# ---------------------------------------------------------------------------


def _score_table(bt: BacktestResult, classes: pd.Series,
                 bias_weight: float) -> tuple[pd.DataFrame, pd.Series]:
    """Per-SKU selection scores (sku × model; NaN where not scored or not finite) and
    the SKUs' classes as strings."""
    f = bt.frame
    per = f.groupby(["sku", "model"], sort=False).agg(rmsse=("rmsse", "mean"),
                                                        bias=("bias", "mean"))
    score = per["rmsse"] + bias_weight * per["bias"].abs()
    table = score.unstack("model")
    table = table.reindex(classes.index)
    cls = classes.reindex(table.index).astype(str)
    return table.where(np.isfinite(table)), cls


def class_scores(bt: BacktestResult, classes: pd.Series,
                 bias_weight: float = BIAS_WEIGHT) -> pd.DataFrame:
    """Mean selection score of each model per demand class (a global input, see
    :class:`ForecastGlobals`).

    Parameters
    ----------
    bt : BacktestResult
        Backtest of the candidates.
    classes : pandas.Series
        Demand category per SKU (index ``sku``).
    bias_weight : float
        Weight of ``|mean scaled bias|`` next to mean RMSSE.

    Returns
    -------
    pandas.DataFrame
        Index ``category``, columns ``model``: the mean over the class's SKUs where the
        model was scored (finite scores only) of the SKU's score, mean RMSSE plus
        ``bias_weight`` times the absolute mean scaled bias.
    """
    return class_scores_of(_score_table(bt, classes, bias_weight))


def class_scores_of(table: tuple[pd.DataFrame, pd.Series]) -> pd.DataFrame:
    """:func:`class_scores` from the per-SKU selection scores and classes
    (:meth:`ForecastPass.score_table`, or the partitions' tables put together)."""
    finite, cls = table
    out = finite.groupby(cls.rename("category")).mean()
    out.columns.name = "model"
    return out


def select_models(bt: BacktestResult, classes: pd.Series, bias_weight: float = BIAS_WEIGHT,
                  shrink: float = SHRINK, scores: pd.DataFrame | None = None) -> pd.Series:
    """Per-SKU choice from backtest scores (see the module docstring, steps 3–4).

    Parameters
    ----------
    bt : BacktestResult
        Backtest of the candidates (a model not tried on a SKU is not a candidate).
    classes : pandas.Series
        Demand category per SKU (index ``sku``), the pooling groups of the shrinkage.
    bias_weight : float
        Weight of ``|mean scaled bias|`` next to mean RMSSE.
    shrink : float in [0, 1]
        Weight of the class-mean score.
    scores : pandas.DataFrame, optional
        The class means (:func:`class_scores`, class × model) to shrink towards;
        default those of ``bt`` and ``classes``. Its column order breaks ties.

    Returns
    -------
    pandas.Series
        Model name per SKU (index ``sku``); "zero" where no candidate could be scored.
    """
    finite, cls = _score_table(bt, classes, bias_weight)
    if scores is None:
        scores = class_scores(bt, classes, bias_weight)
    # the class scores' model order, so that a tie is broken the same way in every call
    order = [m for m in scores.columns if m in finite.columns]
    finite = finite[order + [m for m in finite.columns if m not in order]]
    class_mean = scores.reindex(index=cls.to_numpy(), columns=finite.columns)
    class_mean.index = finite.index
    blended = (1 - shrink) * finite + shrink * class_mean
    blended = blended.where(finite.notna())
    out: pd.Series = pd.Series("zero", index=finite.index, name="model", dtype=object)
    scored = blended.notna().any(axis=1)  # idxmin of an all-NaN row is an error
    if scored.any():
        out[scored] = blended[scored].idxmin(axis=1, skipna=True)
    return out


# ---------------------------------------------------------------------------
# forecast
# ---------------------------------------------------------------------------


def forecast(
    y: pd.DataFrame,
    horizon: int,
    model: str | Sequence[str] = "auto",
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    seed: int = 0,
    n_paths: int = 1000,
    models: Sequence[str] | None = None,
    windows: int = 3,
    step: int | None = None,
    bias_weight: float = BIAS_WEIGHT,
    shrink: float = SHRINK,
    combine: bool = COMBINE,
    reconcile: str | bool = "auto",
    global_inputs: ForecastGlobals | None = None,
    client: Any = None,
    n_partitions: int | None = None,
) -> Forecast:
    """Forecast every SKU's demand: point forecasts, quantiles and sample paths.

    Parameters
    ----------
    y : pandas.DataFrame
        Long demand frame ``sku, date, demand`` [units per period], zero-filled and on
        one calendar (as :func:`~backorder_analytics.demand_series` returns).
    horizon : int
        Periods to forecast.
    model : str or sequence of str, default "auto"
        A name from :data:`MODELS` (every SKU gets it), a list of names (each SKU
        gets the best of them by backtest), or "auto" (candidates by demand class;
        see the module docstring). "auto" does not try the global model
        ``global_gbm`` (too slow to backtest within the time an automatic forecast
        should take, about 13 s per fit on 5,000 × 730); include it with
        ``model="auto", models=[..., "global_gbm"]``.
    quantiles : sequence of float, default (0.5, 0.8, 0.9, 0.95)
        Quantile levels reported [probability]. A model that forecasts its own
        quantiles (``global_gbm``) is fitted at these levels (and at
        :data:`~backorder_analytics.forecasting.probabilistic.QUANTILE_GRID`), and
        reports its own forecasts for them, not quantiles of sampled paths (its
        paths' upper tail carries the rest of its mean forecast; see
        :mod:`~backorder_analytics.forecasting.probabilistic`).
    seed : int, default 0
        Seed of the sample paths (and so of the quantiles).
    n_paths : int, default 1000
        Paths per SKU behind the quantiles of the bootstrapped (smooth) models; the
        intermittent models' quantiles are exact and need none.
    models : sequence of str, optional
        With ``model="auto"``: the candidates for every SKU instead of the class lists
        (the way to let ``global_gbm`` compete).
    windows : int, default 3
        Backtest origins for the selection.
    step : int, optional
        Periods between backtest origins (default ``horizon``).
    bias_weight : float, default 0.0
        Weight of the absolute scaled bias in the selection score.
    shrink : float, default 0.9
        Weight of the class-mean score in the selection score (0: per-SKU minimum;
        1: one model per demand class).
    combine : bool, default True
        With ``model="auto"`` and the class candidates: add each class's forecast
        combination (:data:`CLASS_COMBINATIONS`) to its candidates. A SKU that
        chooses it gets the mean of the components' forecasts and ``model_``
        ``"combo(a+b+…)"``; any combination can also be named directly, e.g.
        ``model="combo(imapa+ses)"`` or in ``models=[...]``.
    reconcile : {"auto", True, False}, default "auto"
        Top-down reconciliation: scale every SKU's forecast by one factor so that they
        add up to a forecast of the SKUs' total demand, which shows the trend a
        sparse series cannot (:mod:`~backorder_analytics.forecasting.reconcile`).
        "auto": when models are chosen by backtest (``model="auto"`` or a list),
        reconcile if that backtest scores the reconciled forecasts better; with one
        named model, do not. True: always reconcile. False: never. What was done is
        in ``.reconciliation_``.
    global_inputs : ForecastGlobals, optional
        The inputs that depend on all SKUs (the class means of the selection scores,
        the reconciliation decision and factor), from ``.global_inputs_`` of a forecast
        of all the SKUs made with the same settings. Given, they are used as they are
        (nothing global is computed from ``y``), so the SKUs of ``y`` get the same
        models, means, quantiles and paths as in that forecast: the way to forecast
        a part of the SKUs (see the module docstring). Default: computed from ``y``.
    client : distributed.Client, str, "local" or "synchronous", optional
        Forecast on a Dask cluster, by partitions of the SKUs, with the same numbers
        (:mod:`backorder_analytics.distributed.forecast`): a client, a scheduler
        address, or "local" for a cluster on this machine for the call. Needs the
        ``dask`` extra. Default: in this process.
    n_partitions : int, optional
        With ``client``: partitions of the SKUs (default 4 per worker thread).

    Returns
    -------
    Forecast
        ``.to_frame()`` ``sku, date, model, mean, q…``; ``.paths(n)``; ``.model_``;
        ``.plot(sku)``; ``.backtest_`` when the model was chosen by backtest;
        ``.global_inputs_``.

    Raises
    ------
    ValueError
        An unknown model name, a bad horizon or quantile level, too little history
        for the selection backtest (use fewer ``windows``), or ``global_inputs``
        computed with other settings or without the demand classes of ``y``.
    TypeError
        ``global_inputs`` is not a :class:`ForecastGlobals`.

    Examples
    --------
    >>> import pandas as pd
    >>> y = pd.DataFrame({"sku": ["A"] * 8,
    ...                   "date": pd.date_range("2024-01-01", periods=8),
    ...                   "demand": [2, 0, 3, 1, 0, 2, 4, 1]})
    >>> fc = forecast(y, horizon=2, model="historic_average", quantiles=(0.5, 0.9))
    >>> fc.to_frame()[["sku", "date", "model", "mean"]]
      sku       date             model   mean
    0   A 2024-01-09  historic_average  1.625
    1   A 2024-01-10  historic_average  1.625
    >>> fc.paths(100).shape
    (1, 100, 2)
    """
    options: dict[str, Any] = dict(
        model=model, quantiles=quantiles, seed=seed, n_paths=n_paths, models=models,
        windows=windows, step=step, bias_weight=bias_weight, shrink=shrink, combine=combine,
        reconcile=reconcile)
    if client is not None:
        if global_inputs is not None:
            raise ValueError("The 'global_inputs' parameter cannot be combined with "
                             "'client': a distributed forecast computes them itself.")
        # imported here: dask is an optional dependency, and the module imports this one
        from ..distributed.engine import DaskEngine
        from ..distributed.forecast import forecast_partitioned

        with DaskEngine(client, n_partitions) as engine:
            return forecast_partitioned(engine, y, horizon, **options)
    run = ForecastPass.start(y, horizon, **options)
    if global_inputs is not None:
        global_inputs = check_global_inputs(global_inputs, run.settings)
    run.backtest(keep_means=global_inputs is None)
    if global_inputs is not None:
        scores = global_inputs.class_scores
        if run.category is not None and scores is not None:  # checked: scores when selecting
            _check_class_scores(scores, run.category, _staged(run.rows, "backtest"))
    else:
        scores = None if run.bt is None else class_scores_of(run.score_table())
    run.select_and_fit(scores)
    if global_inputs is None:
        global_inputs = ForecastGlobals(class_scores=scores, reconciliation=run.reconciliation(),
                                        settings=run.settings)
    return run.finish(global_inputs)


def _staged(value: _T | None, stage: str) -> _T:
    """``value``, an attribute of a :class:`ForecastPass` set by the method ``stage``."""
    if value is None:
        raise RuntimeError(f"ForecastPass.{stage}() has not run.")
    return value


@dataclass(eq=False)
class ForecastPass:
    """One :func:`forecast` call, stage by stage: the per-SKU stages run here, the two
    global ones (class scores, reconciliation) between them from what the stages
    return. A distributed forecast runs the same stages on each partition of the
    SKUs and the global ones on what the partitions send back
    (:mod:`backorder_analytics.distributed.forecast`).

    Stages: :meth:`start` (checks, settings), :meth:`backtest` (demand classes and
    the selection backtest), :meth:`score_table` (per-SKU selection scores, for
    :func:`class_scores_of`), :meth:`select_and_fit` (each SKU's model and its
    point forecast), :meth:`reconciliation_inputs` / :meth:`reconciliation_scores`
    (for :func:`reconciliation_of`), :meth:`finish` (distributions, quantiles).
    """

    panel: Panel
    h: int
    q: tuple[float, ...]
    n_paths: int
    seed: int
    model: Any
    models: Sequence[str] | None
    windows: int
    step: int
    bias_weight: float
    shrink: float
    combine: bool
    reconcile: str | bool
    settings: dict[str, Any]
    classes: pd.DataFrame | None = None
    category: pd.Series | None = None
    rows: dict[str, np.ndarray] | None = None
    bt: BacktestResult | None = None
    chosen: pd.Series | None = None
    mean: np.ndarray | None = None
    fits: dict[str, tuple] | None = None

    @classmethod
    def start(cls, y, horizon, *, model="auto", quantiles=DEFAULT_QUANTILES, seed=0,
              n_paths=1000, models=None, windows=3, step=None, bias_weight=BIAS_WEIGHT,
              shrink=SHRINK, combine=COMBINE, reconcile="auto",
              warn: bool = True) -> ForecastPass:
        """The checked arguments of a forecast of ``y`` (see :func:`forecast`)."""
        panel = as_panel(y)
        h = check_horizon(horizon)
        q = check_quantiles(quantiles)
        n_paths = check_horizon(n_paths, "n_paths")
        if not 0 <= shrink <= 1:
            raise ValueError(f"The 'shrink' parameter must lie in [0, 1]. Got {shrink!r}.")
        reconcile = check_reconcile(reconcile)
        windows = check_horizon(windows, "windows")
        step = h if step is None else check_horizon(step, "step")
        selecting = not (isinstance(model, str) and model != "auto")
        if selecting:
            windows = _windows_that_fit(len(panel.dates), h, windows, step, warn)
        settings = _settings(panel, h, model, models, combine, bias_weight, windows, step,
                             reconcile)
        return cls(panel=panel, h=h, q=q, n_paths=n_paths, seed=int(seed), model=model,
                   models=models, windows=windows, step=step, bias_weight=bias_weight,
                   shrink=shrink, combine=combine, reconcile=reconcile, settings=settings)

    def part(self, rows: np.ndarray) -> ForecastPass:
        """The same call on the SKUs at ``rows`` of the panel (before any stage)."""
        p = self.panel
        sub = Panel(skus=p.skus[rows], dates=p.dates, values=p.values[rows], freq=p.freq)
        return dataclasses.replace(self, panel=sub)

    @property
    def selecting(self) -> bool:
        return not (isinstance(self.model, str) and self.model != "auto")

    def backtest(self, keep_means: bool = True) -> None:
        """Demand classes, candidate models per SKU and their backtest (per SKU)."""
        if not self.selecting:
            return
        self.classes = classify_demand(self.panel.to_frame())
        self.category = self.classes["category"].reindex(self.panel.skus).astype(str)
        self.rows = self.candidates(self.category)
        if self.windows:
            self.bt = backtest_panel(self.panel, list(self.rows), self.h, self.windows,
                                     self.step, None, rows=self.rows,
                                     keep_means=keep_means and self.reconcile == "auto")

    def candidates(self, category: pd.Series) -> dict[str, np.ndarray]:
        """The candidate models and the rows of ``category`` (one per SKU) each is
        tried on, in the order the scores list them (classes in order of appearance)."""
        if isinstance(self.model, str) and self.models is None:  # auto: the class lists
            rows: dict[str, Any] = {}
            for cat in pd.unique(category):
                idx = np.flatnonzero(category.to_numpy() == cat)
                for m in candidate_models(cat, self.combine):
                    rows.setdefault(m, []).append(idx)
            return {m: np.sort(np.concatenate(v)) for m, v in rows.items()}
        names = check_models(self.models if isinstance(self.model, str) else self.model)
        return {m: np.arange(len(category)) for m in names}

    def score_table(self) -> tuple[pd.DataFrame, pd.Series]:
        """Per-SKU selection scores and classes (see :func:`class_scores_of`)."""
        return _score_table(_staged(self.bt, "backtest"), _staged(self.category, "backtest"),
                            self.bias_weight)

    def select_and_fit(self, scores: pd.DataFrame | None) -> None:
        """Each SKU's model (from ``scores``, the class means) and its point forecast."""
        n = len(self.panel.skus)
        if not self.selecting:
            chosen = pd.Series(check_models(self.model)[0], index=self.panel.skus,
                               name="model")
        elif self.bt is not None:
            chosen = select_models(self.bt, _staged(self.category, "backtest"),
                                   self.bias_weight, self.shrink, scores)
        elif isinstance(self.model, str) and self.models is None:  # no backtest fits
            chosen = pd.Series([candidate_models(c, self.combine)[0]
                                for c in _staged(self.category, "backtest")],
                               index=self.panel.skus, dtype=object)
        else:
            chosen = pd.Series(list(_staged(self.rows, "backtest"))[0], index=self.panel.skus,
                               dtype=object)
        if self.selecting:
            chosen = chosen.reindex(self.panel.skus).fillna("zero")
        season = season_length(self.panel.freq)
        mean = np.full((n, self.h), np.nan)
        fits = {}
        for name in pd.unique(chosen.to_numpy()):
            idx = np.flatnonzero(chosen.to_numpy() == name)
            spec = model_spec(name)  # a combination fits only its components, here
            sub = _rows(self.panel.values, idx)
            fit = fit_model(spec, sub, self.h, season, quantiles=self.q)
            if np.isnan(fit.mean).any():  # too short to fit: the mean of what there is, or 0
                fallback = np.nan_to_num(_nanmean(sub, axis=1))[:, None]
                fit.mean = np.where(np.isnan(fit.mean), fallback, fit.mean)
            mean[idx] = fit.mean
            fits[name] = (idx, spec, fit)
        self.chosen, self.mean, self.fits = chosen, mean, fits

    def considers_reconciliation(self, n_skus: int) -> bool:
        """Whether the reconciliation is weighed for a forecast of ``n_skus`` SKUs."""
        return self.settings["reconcile"] is not False and n_skus >= 2 and bool(self.windows)

    def reconciliation_inputs(self) -> ReconciliationInputs:
        """What the reconciliation needs from these SKUs (see :func:`reconciliation_of`)."""
        p = self.panel
        observed = ~np.isnan(p.values)
        means = (_chosen_means(self.bt, _staged(self.chosen, "select_and_fit"), self.h)
                 if self.reconcile == "auto" and self.bt is not None
                 and self.bt.means is not None else None)
        return ReconciliationInputs(
            total=np.nansum(p.values, axis=0), observed=observed.any(axis=0),
            mean=_staged(self.mean, "select_and_fit"),
            window_means=means, starts=None if self.bt is None else self.bt.starts,
            dates=p.dates, freq=p.freq)

    def reconciliation_scores(self, factors: Sequence[float]) -> np.ndarray:
        """Per backtest window and SKU, the RMSSE of the chosen model's backtest
        forecast raw and times the window's ``factors`` (shape (windows, 2, n_sku))."""
        bt = _staged(self.bt, "backtest")
        means = _chosen_means(bt, _staged(self.chosen, "select_and_fit"), self.h)
        return np.stack([rmsse_raw_and_scaled(self.panel, int(origin), mean, factor, self.h)
                         for origin, mean, factor in zip(_staged(bt.starts, "backtest"), means,
                                                         factors,
                                                         strict=True)])

    def reconciliation(self) -> Reconciliation | None:
        """The reconciliation of this forecast on its own SKUs (a global step)."""
        if not self.considers_reconciliation(len(self.panel.skus)):
            return None
        n = len(_staged(self.mean, "select_and_fit"))
        return reconciliation_of([self.reconciliation_inputs()], [np.arange(n)],
                                 self.reconcile, self.windows, self.step,
                                 lambda factors: [self.reconciliation_scores(factors)])

    def finish(self, global_inputs: ForecastGlobals) -> Forecast:
        """Distributions, quantiles and the :class:`Forecast`, with the reconciliation
        of ``global_inputs`` (per SKU)."""
        rec = (global_inputs.reconciliation if self.settings["reconcile"] is not False
               else None)
        factor = rec.factor if rec is not None and rec.applied else 1.0
        n, season = len(self.panel.skus), season_length(self.panel.freq)
        fits = [(idx, spec, sampler_fit(spec, fit))
                for idx, spec, fit in _staged(self.fits, "select_and_fit").values()]
        build = functools.partial(_path_sampler, self.panel, fits, self.h, season, factor)
        q = self.q
        sampler: PathSampler | Callable[[], PathSampler] = build() if q else build
        qv = (sampler.quantiles(q, self.n_paths, self.seed) if isinstance(sampler, PathSampler)
              else np.empty((n, 0, self.h)))
        return Forecast(
            skus=self.panel.skus, dates=future_dates(self.panel, self.h),
            mean=_staged(self.mean, "select_and_fit") * factor, quantiles=q,
            quantile_values=qv, model_=_staged(self.chosen, "select_and_fit").rename("model"),
            seed=self.seed, n_paths=self.n_paths,
            history=self.panel, sampler=sampler, backtest_=self.bt, classes_=self.classes,
            reconciliation_=rec, global_inputs_=global_inputs,
        )


def _rows(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``values[idx]`` for sorted distinct row numbers ``idx``: ``values`` itself
    (no copy) when they are all the rows."""
    return values if len(idx) == len(values) else values[idx]


def _path_sampler(panel: Panel, fits: list[tuple[np.ndarray, Any, KernelFit]], h: int,
                  season: int | None, factor: float) -> PathSampler:
    """The forecast distribution: each fit's (:func:`make_sampler`, scaled as a whole
    with its mean by ``factor``) on its rows ``idx`` of ``panel``, every SKU drawing
    from its own random stream (:func:`stream_keys`)."""
    parts = [(idx, make_sampler(spec, _rows(panel.values, idx), fit, h, season,
                                factor=factor))
             for idx, spec, fit in fits]
    return PathSampler.combine(parts, len(panel.skus), keys=stream_keys(panel.skus))


def _windows_that_fit(t_len: int, h: int, windows: int, step: int, warn: bool = True) -> int:
    """The most backtest windows, up to ``windows``, that leave every origin at least
    ``MIN_OBS`` training periods; fewer than asked (or none) with a warning."""
    fit = max(0, min(windows, (t_len - h - MIN_OBS) // step + 1))
    if fit < windows and warn:
        warnings.warn(f"The history has {t_len} periods: too few for {windows} backtest "
                      f"windows of horizon {h}; "
                      + (f"models chosen on {fit}." if fit else
                         "no backtest fits, so each SKU gets the first candidate model of "
                         "its demand class (or the first model listed)."),
                      UserWarning, stacklevel=4)
    return fit


def _chosen_means(bt: BacktestResult, chosen: pd.Series, h: int) -> np.ndarray:
    """The backtest forecasts of each SKU's chosen model, shape (windows, n_sku, h)
    (NaN for a SKU whose model was not scored there)."""
    n = len(chosen)
    out = np.full((bt.windows, n, h), np.nan)
    names = chosen.to_numpy()
    for name, (rows, arr) in _staged(bt.means, "backtest(keep_means=True)").items():
        idx = np.flatnonzero(names == name)
        pos = np.searchsorted(rows, idx)
        ok = (pos < len(rows)) & (rows[np.minimum(pos, len(rows) - 1)] == idx)
        out[:, idx[ok]] = arr[:, pos[ok]]
    return out
