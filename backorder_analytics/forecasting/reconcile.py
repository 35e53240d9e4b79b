"""Top-down reconciliation: SKU forecasts scaled to a forecast of their total.

A sparse SKU series cannot show a trend its market shares: a part with a sale every
few months looks flat while the demand of its whole range falls by a third a year (as
it does in the carparts data, from about 1,400 units a month to 420 over four years).
The total of the SKUs is smooth, so a trend model sees that decline. Top-down
reconciliation (Gross & Sohl, 1990; Athanasopoulos, Ahmed & Hyndman, 2009, "forecast
proportions") keeps each SKU's share and shape of the forecast and scales all of them
by one factor so that they add up to the forecast of the total:

``f'_i,t = c · f_i,t``,  ``c = Σ_t F_t / Σ_i Σ_t f_i,t``,

with ``F`` the forecast of the total over the horizon (clipped at zero). One factor
for the whole horizon keeps each SKU's forecast shape (a seasonal SKU keeps its
season). The total is forecast by the smoothing family (:data:`TOTAL_MODELS`), the
one chosen by rolling-origin backtest on the total. The forecast distribution is
scaled with the mean: a SKU's sample paths are ``c`` times those of its model
(whole-number count paths have their demand occurrence scaled instead), so they
still average the forecast.

With ``reconcile="auto"`` the automatic forecast reconciles only when its own
backtest says so: at each backtest origin the chosen models' forecasts, raw and
reconciled to the total as forecast from that origin, are scored by RMSSE on the
SKUs, and the factor is applied when the reconciled mean is lower. The raw forecasts
were chosen on those same windows, so the comparison favours not reconciling.

References
----------
Athanasopoulos, G., Ahmed, R. A. & Hyndman, R. J. (2009). Hierarchical forecasts for
Australian domestic tourism. *International Journal of Forecasting*, 25(1), 146–166.

Gross, C. W. & Sohl, J. E. (1990). Disaggregation methods to expedite product line
forecasting. *Journal of Forecasting*, 9(3), 233–254.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from . import metrics
from .backtest import (
    backtest_panel,
    check_horizon,
    combination_name,
    fit_model,
    model_spec,
    season_length,
)
from .base import KernelFit
from .panel import Panel

_A = TypeVar("_A")

__all__ = ["Reconciliation", "ReconciliationInputs", "TOTAL_MODELS", "check_reconcile",
           "forecast_total", "reconciliation_factor", "reconciliation_of",
           "rmsse_raw_and_scaled", "scale_fit"]

TOTAL_MODELS: tuple[str, ...] = ("ses", "holt", "holt_winters",
                                 combination_name(("ses", "holt", "holt_winters")))
"""Candidates for the forecast of the total: the smoothing family (level, damped trend,
trend and season) and their equal-weight combination."""

TOTAL_FALLBACK = "ses"
"""Model of the total when its history is too short for a selection backtest."""


def check_reconcile(value) -> str | bool:
    """``reconcile`` as "auto", True or False; ``ValueError`` otherwise."""
    if value is True or value is False or value == "auto":
        return value
    raise ValueError("The 'reconcile' parameter must be 'auto', True or False. "
                     f"Got {value!r} instead.")


def total_panel(panel: Panel, upto: int | None = None) -> Panel:
    """The sum over SKUs of ``panel`` (first ``upto`` periods) as a one-series panel;
    NaN where no SKU has a value yet."""
    values = panel.values if upto is None else panel.values[:, :upto]
    observed = ~np.isnan(values)
    total = np.where(observed.any(axis=0), np.nansum(values, axis=0), np.nan)
    return Panel(skus=pd.Index(["total"]), dates=panel.dates[:values.shape[1]],
                 values=total[None, :], freq=panel.freq)


def forecast_total(panel: Panel, h: int, windows: int = 3, step: int | None = None,
                   upto: int | None = None) -> tuple[np.ndarray, str]:
    """Forecast of the sum of ``panel``'s SKUs (their first ``upto`` periods, default
    all): the :data:`TOTAL_MODELS` candidate with the lowest mean RMSSE over a
    rolling-origin backtest on the total (or :data:`TOTAL_FALLBACK` when the total is
    too short for one), clipped at zero.

    Returns
    -------
    (numpy.ndarray of shape (h,), str)
        The forecast [units per period] and the model that made it.
    """
    windows = check_horizon(windows, "windows")
    step = h if step is None else check_horizon(step, "step")
    total = total_panel(panel, upto)
    name = TOTAL_FALLBACK
    try:
        bt = backtest_panel(total, TOTAL_MODELS, h, windows, step)
    except ValueError:  # too short for the backtest (the only error left after the checks)
        bt = None
    if bt is not None:
        score = bt.frame.groupby("model", sort=False)["rmsse"].mean()
        if score.notna().any():
            name = str(score.idxmin())
    fit = fit_model(model_spec(name), total.values, h, season_length(panel.freq))
    return np.maximum(np.nan_to_num(fit.mean[0]), 0.0), name


def reconciliation_factor(total: np.ndarray, sku_mean: np.ndarray) -> float:
    """``Σ total / Σ sku_mean`` (NaN SKU forecasts ignored); 1 when the SKUs forecast
    no demand at all (nothing to scale).

    Examples
    --------
    >>> reconciliation_factor(np.array([6.0, 6.0]), np.array([[4.0, 4.0], [4.0, 4.0]]))
    0.75
    """
    below = float(np.nansum(sku_mean))
    if not below > 0:
        return 1.0
    return float(np.sum(total)) / below


def scale_fit(fit: KernelFit, factor: float) -> KernelFit:
    """``fit`` with its forecasts (mean, and the model's own quantiles if any) times
    ``factor``; fitted values and parameters unchanged.

    For the point forecasts only: the distribution of a reconciled forecast is built
    from the kernel's own fit, scaled as a whole
    (:func:`~backorder_analytics.forecasting.backtest.make_sampler` with ``factor``),
    so that its paths are ``factor`` times the model's and average the scaled mean."""
    changes: dict[str, Any] = {"mean": fit.mean * factor}
    own = getattr(fit, "quantiles", None)
    if isinstance(own, dict):
        changes["quantiles"] = {q: v * factor for q, v in own.items()}
    return dataclasses.replace(fit, **changes)


@dataclass
class Reconciliation:
    """What top-down reconciliation did to a forecast.

    Attributes
    ----------
    applied : bool
        Whether the SKU forecasts were scaled.
    factor : float
        ``Σ total forecast / Σ SKU forecasts`` at the forecast origin [dimensionless];
        the SKU forecasts were multiplied by it when ``applied``.
    total_model : str
        Model of the total (:data:`TOTAL_MODELS`).
    total_forecast : numpy.ndarray, shape (horizon,)
        Forecast of the total [units per period].
    reason : str
        Why it was or was not applied, in words.
    backtest : pandas.DataFrame or None
        With ``reconcile="auto"``: per backtest origin, the factor and the mean RMSSE
        over SKUs of the raw and the reconciled forecasts.
    """

    applied: bool
    factor: float
    total_model: str
    total_forecast: np.ndarray
    reason: str
    backtest: pd.DataFrame | None = None

    def __repr__(self) -> str:
        state = "applied" if self.applied else "not applied"
        return (f"Reconciliation({state}; factor {self.factor:.3f}; total by "
                f"{self.total_model}; {self.reason})")

    def _repr_html_(self) -> str:
        head = f"<p><b>Top-down reconciliation</b>: {self.__repr__()}</p>"
        if self.backtest is None:
            return head
        return head + self.backtest.to_html(index=False, float_format=lambda v: f"{v:.4f}")


@dataclass
class ReconciliationInputs:
    """What the reconciliation needs from one group of SKUs (all of a forecast's SKUs,
    or one partition of them): sums over the SKUs and their forecasts.

    Attributes
    ----------
    total : numpy.ndarray, shape (T,)
        Demand summed over the SKUs per period (NaN counted as 0) [units].
    observed : numpy.ndarray of bool, shape (T,)
        Whether any SKU has a value in the period.
    mean : numpy.ndarray, shape (n_sku, h)
        The SKUs' point forecasts (chosen models, not reconciled).
    window_means : numpy.ndarray or None, shape (windows, n_sku, h)
        Their backtest forecasts at each origin (NaN where not scored).
    starts : numpy.ndarray or None
        The backtest origins [periods of training data].
    dates : pandas.DatetimeIndex
    freq : str
    """

    total: np.ndarray
    observed: np.ndarray
    mean: np.ndarray
    window_means: np.ndarray | None
    starts: np.ndarray | None
    dates: pd.DatetimeIndex
    freq: str


def _backtested(value: _A | None) -> _A:
    """``value``, a backtest input that ``reconcile="auto"`` needs."""
    if value is None:
        raise ValueError("reconcile='auto' needs the backtest forecasts of every part "
                         "(window_means and starts).")
    return value


def _in_order(arrays: Sequence[np.ndarray], rows: list[np.ndarray], axis: int) -> np.ndarray:
    """The parts' arrays put back in the SKU order of the whole along ``axis``."""
    out = np.concatenate(arrays, axis=axis)
    order = np.argsort(np.concatenate(rows), kind="stable")
    return np.take(out, order, axis=axis)


def reconciliation_of(parts: list[ReconciliationInputs], rows: list[np.ndarray],
                      reconcile: str | bool, windows: int, step: int | None,
                      scores_at) -> Reconciliation:
    """The reconciliation decision and factor from the inputs of every group of SKUs.

    ``rows[k]``: the positions of group ``k``'s SKUs in the forecast's SKU order; the
    sums over SKUs are taken in that order, so one group or many give the same
    numbers (the total demand per period adds the groups' partial sums: exact for
    whole units, within rounding for fractional demand). ``scores_at(factors)``
    returns, per group, the RMSSE of each SKU's backtest forecast raw and times the
    window's factor, shape (windows, 2, n_sku) (:func:`rmsse_raw_and_scaled`); it is
    asked only for ``reconcile="auto"``.
    """
    first = parts[0]
    h = first.mean.shape[1]
    observed = np.logical_or.reduce([p.observed for p in parts])
    summed = np.sum([p.total for p in parts], axis=0) if len(parts) > 1 else first.total
    total_history = Panel(skus=pd.Index(["total"]), dates=first.dates, freq=first.freq,
                          values=np.where(observed, summed, np.nan)[None, :])
    mean = _in_order([p.mean for p in parts], rows, axis=0)
    total, total_model = forecast_total(total_history, h, windows, step)
    factor = reconciliation_factor(total, mean)
    if reconcile is True:
        return Reconciliation(True, factor, total_model, total, "reconcile=True")
    window_means = _in_order([_backtested(p.window_means) for p in parts], rows, axis=1)
    records = []
    for origin, means in zip(_backtested(first.starts), window_means, strict=True):
        origin_total, name = forecast_total(total_history, h, windows, step,
                                            upto=int(origin))
        records.append({"origin": first.dates[int(origin)], "total_model": name,
                        "factor": reconciliation_factor(origin_total, means)})
    table = pd.DataFrame(records)
    scores = _in_order(scores_at(table["factor"].tolist()), rows, axis=2)
    raw_means, rec_means, counts = [], [], []
    for raw, rec in scores:
        scored = np.isfinite(raw) & np.isfinite(rec)  # no scale (flat history): unscored
        raw_means.append(float(raw[scored].mean()) if scored.any() else np.nan)
        rec_means.append(float(rec[scored].mean()) if scored.any() else np.nan)
        counts.append(int(scored.sum()))
    table["rmsse_raw"], table["rmsse_reconciled"], table["n"] = raw_means, rec_means, counts
    scored = table[table["n"] > 0]
    if scored.empty:
        return Reconciliation(False, factor, total_model, total,
                              "no backtest window scored a SKU", table)
    raw = float(np.average(scored["rmsse_raw"], weights=scored["n"]))
    reconciled = float(np.average(scored["rmsse_reconciled"], weights=scored["n"]))
    applied = reconciled < raw
    verdict = "better" if applied else "not better"
    reason = f"backtest RMSSE {reconciled:.4f} reconciled against {raw:.4f} raw: {verdict}"
    return Reconciliation(applied, factor, total_model, total, reason, table)


def rmsse_raw_and_scaled(panel: Panel, origin: int, mean: np.ndarray, factor: float,
                         h: int) -> np.ndarray:
    """Per SKU, the RMSSE of ``mean`` (forecasts made at ``origin``) and of ``mean``
    times ``factor``, against the next ``h`` periods; shape (2, n_sku)."""
    train = panel.values[:, :origin]
    test = panel.values[:, origin:origin + h]
    scale = metrics.naive_scale(train, power=2, from_first_nonzero=True)
    return np.stack([metrics.rmsse(test, mean, train, scale=scale),
                     metrics.rmsse(test, mean * factor, train, scale=scale)])
