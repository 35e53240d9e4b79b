"""Forecast accuracy metrics: pure numpy functions on panels of series.

Every function takes the outcomes ``y`` and the forecasts as arrays of shape
``(n_series, h)`` (one row per SKU, one column per forecast step) and returns one
score per series, shape ``(n_series,)``. The scaled metrics also take the training
series ``insample`` of shape ``(n_series, n_time)``, NaN-padded on the left as in
:mod:`backorder_analytics.forecasting.base`. NaN in ``y`` (a step without an outcome) is
left out of the means; a series without any outcome scores NaN.

Conventions (the literature differs; these are the ones used here):

- **Errors are forecast − actual** for the bias: a positive scaled bias means the
  forecast was too high (over-forecast, too much stock).
- **MASE** scales by the in-sample mean absolute one-step naive difference over the
  whole training series (Hyndman & Koehler, 2006).
- **RMSSE** and the **scaled pinball loss** scale by the mean squared (RMSSE) or mean
  absolute (pinball) one-step naive difference of the training series counted from
  its first non-zero value, as in the M5 competition guidelines (leading zeros are
  periods before the product was sold).
- A zero scale (a constant series) gives ``inf`` for a non-zero error and NaN for a
  zero error (0/0), without a warning.

References
----------
Hyndman, R. J. & Koehler, A. B. (2006). Another look at measures of forecast
accuracy. *International Journal of Forecasting*, 22(4), 679–688.

Makridakis, S., Spiliotis, E. & Assimakopoulos, V. (2020). The M5 accuracy
competition: results, findings and conclusions; and M5 Competitor's Guide
(University of Nicosia, 2020), sections "Point forecasts" (RMSSE) and "Probabilistic
forecasts" (scaled pinball loss, SPL).

Kourentzes, N. (2014). On intermittent demand model optimisation and selection.
*International Journal of Production Economics*, 156, 180–190 (scaled mean error).

Petropoulos, F. & Kourentzes, N. (2015). Forecast combinations for intermittent
demand. *Journal of the Operational Research Society*, 66(6), 914–924 (sME).

Koenker, R. & Bassett, G. (1978). Regression quantiles. *Econometrica*, 46(1), 33–50
(pinball / check loss).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "mae",
    "mase",
    "rmsse",
    "scaled_bias",
    "pinball_loss",
    "scaled_pinball_loss",
    "coverage",
    "share_below",
    "naive_scale",
]


def _pair(y, f) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    f = np.asarray(f, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    if f.ndim == 1:
        f = f[None, :]
    if y.shape != f.shape:
        raise ValueError(
            f"The outcomes and forecasts must have the same shape (n_series, h). "
            f"Got {y.shape} and {f.shape}."
        )
    return y, f


def _insample(insample, n: int) -> np.ndarray:
    x = np.asarray(insample, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.shape[0] != n:
        raise ValueError(
            f"The 'insample' parameter must have one row per series ({n}); "
            f"got shape {x.shape}."
        )
    return x


def _nanmean(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Mean over ``axis`` ignoring NaN; NaN (no warning) where all are NaN."""
    valid = ~np.isnan(a)
    count = valid.sum(axis=axis)
    total = np.where(valid, a, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def naive_scale(insample, power: int = 1, from_first_nonzero: bool = False) -> np.ndarray:
    """Mean of ``|y_t − y_{t−1}|**power`` over each training series.

    Parameters
    ----------
    insample : array_like, shape (n_series, n_time)
        Training series [units per period], NaN-padded on the left.
    power : {1, 2}, default 1
        1: mean absolute difference (MASE, SPL); 2: mean squared difference (RMSSE).
    from_first_nonzero : bool, default False
        Start each series at its first non-zero value (M5 convention).

    Returns
    -------
    numpy.ndarray, shape (n_series,)
        [units per period]**power; NaN for a series with fewer than two values.

    Examples
    --------
    >>> naive_scale([[0, 0, 2, 0, 3]], power=2, from_first_nonzero=True)  # (4 + 9) / 2
    array([6.5])
    >>> naive_scale([[0, 0, 2, 0, 3]])
    array([1.75])
    """
    x = np.asarray(insample, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if from_first_nonzero:
        started = np.cumsum(np.nan_to_num(x) > 0, axis=1) > 0
        x = np.where(started, x, np.nan)
    d = np.abs(np.diff(x, axis=1)) ** power
    return _nanmean(d, axis=1)


def mae(y, f) -> np.ndarray:
    """Mean absolute error per series.

    Parameters
    ----------
    y, f : array_like, shape (n_series, h)
        Outcomes and point forecasts [units per period].

    Returns
    -------
    numpy.ndarray, shape (n_series,)
        [units per period].

    Examples
    --------
    >>> mae([[1, 0, 3]], [[1, 1, 1]])
    array([1.])
    """
    y, f = _pair(y, f)
    return _nanmean(np.abs(y - f))


def mase(y, f, insample, season_length: int = 1, scale=None) -> np.ndarray:
    """Mean absolute scaled error (Hyndman & Koehler, 2006).

    ``MASE = mean_t |y_t − f_t| / mean_s |x_s − x_{s−m}|`` with ``x`` the training
    series (all of it, leading zeros included) and ``m = season_length``.

    Parameters
    ----------
    y, f : array_like, shape (n_series, h)
        Outcomes and point forecasts [units per period].
    insample : array_like, shape (n_series, n_time)
        Training series [units per period], NaN-padded on the left.
    season_length : int, default 1
        Lag of the naive forecast in the scale [periods].
    scale : array_like, shape (n_series,), optional
        The scale, when already computed (``insample`` is then not read).

    Returns
    -------
    numpy.ndarray, shape (n_series,)
        Dimensionless; 1 means as good as the in-sample naive forecast.

    References
    ----------
    Hyndman, R. J. & Koehler, A. B. (2006). Another look at measures of forecast
    accuracy. *International Journal of Forecasting*, 22(4), 679–688, eq. (9).

    Examples
    --------
    >>> mase([[2, 2]], [[1, 1]], [[0, 2, 0, 2]])
    array([0.5])
    """
    y, f = _pair(y, f)
    if scale is None:
        x = _insample(insample, y.shape[0])
        m = int(season_length)
        scale = _nanmean(np.abs(x[:, m:] - x[:, :-m]), axis=1)
    return _divide(_nanmean(np.abs(y - f)), scale)


def rmsse(y, f, insample, scale=None) -> np.ndarray:
    """Root mean squared scaled error, as in the M5 competition.

    ``RMSSE = sqrt( mean_t (y_t − f_t)² / mean_s (x_s − x_{s−1})² )`` where the scale
    runs over the training series ``x`` from its first non-zero value on.

    Parameters
    ----------
    y, f : array_like, shape (n_series, h)
        Outcomes and point forecasts [units per period].
    insample : array_like, shape (n_series, n_time)
        Training series [units per period], NaN-padded on the left.
    scale : array_like, shape (n_series,), optional
        ``naive_scale(insample, 2, True)`` when already computed.

    Returns
    -------
    numpy.ndarray, shape (n_series,)
        Dimensionless.

    References
    ----------
    M5 Competitor's Guide (University of Nicosia, 2020), "Point forecasts", eq. (1).

    Examples
    --------
    >>> rmsse([[0, 2]], [[1, 1]], [[0, 0, 1, 3]])   # sqrt(1 / 2²): scale from the 1 on
    array([0.5])
    """
    y, f = _pair(y, f)
    if scale is None:
        scale = naive_scale(_insample(insample, y.shape[0]), power=2, from_first_nonzero=True)
    return np.sqrt(_divide(_nanmean((y - f) ** 2), scale))


def scaled_bias(y, f, insample, scale=None) -> np.ndarray:
    """Scaled mean error: mean of (forecast − actual) over the in-sample mean demand.

    ``sME = mean_t (f_t − y_t) / mean_s x_s``, the training mean taken over the whole
    training series (zeros included). Positive means over-forecasting. This is the
    scaled mean error of Kourentzes (2014) and Petropoulos & Kourentzes (2015), with
    the sign turned so that the forecast minus the outcome is counted.

    Parameters
    ----------
    y, f : array_like, shape (n_series, h)
        Outcomes and point forecasts [units per period].
    insample : array_like, shape (n_series, n_time)
        Training series [units per period], NaN-padded on the left.

    Returns
    -------
    numpy.ndarray, shape (n_series,)
        Dimensionless.

    References
    ----------
    Kourentzes, N. (2014). On intermittent demand model optimisation and selection.
    *International Journal of Production Economics*, 156, 180–190.

    Notes
    -----
    ``scale`` (shape ``(n_series,)``, optional) is the in-sample mean when already
    computed.

    Examples
    --------
    >>> scaled_bias([[0, 2]], [[2, 2]], [[1, 3]])   # mean error 1, mean demand 2
    array([0.5])
    """
    y, f = _pair(y, f)
    if scale is None:
        scale = _nanmean(_insample(insample, y.shape[0]), axis=1)
    return _divide(_nanmean(f - y), scale)


def _quantile_forecasts(y: np.ndarray, qf, quantiles) -> tuple[np.ndarray, np.ndarray]:
    q = np.atleast_1d(np.asarray(quantiles, dtype=float))
    qf = np.asarray(qf, dtype=float)
    if qf.ndim == 2:
        qf = qf[:, None, :]
    if qf.shape != (y.shape[0], len(q), y.shape[1]):
        raise ValueError(
            "The quantile forecasts must have shape (n_series, n_quantiles, h) = "
            f"{(y.shape[0], len(q), y.shape[1])}. Got {qf.shape}."
        )
    if ((q <= 0) | (q >= 1)).any():
        raise ValueError(f"The 'quantiles' must lie strictly between 0 and 1. Got {q}.")
    return qf, q


def pinball_loss(y, qf, quantiles: Sequence[float]) -> np.ndarray:
    """Mean pinball (quantile, check) loss per series and quantile.

    ``L_τ(y, q) = τ·(y − q) if y ≥ q else (1 − τ)·(q − y)``, averaged over the ``h``
    steps (Koenker & Bassett, 1978).

    Parameters
    ----------
    y : array_like, shape (n_series, h)
        Outcomes [units per period].
    qf : array_like, shape (n_series, n_quantiles, h)
        Quantile forecasts, one slice per level in ``quantiles`` [units per period].
    quantiles : sequence of float
        Levels τ in (0, 1).

    Returns
    -------
    numpy.ndarray, shape (n_series, n_quantiles)
        [units per period].

    Examples
    --------
    >>> pinball_loss([[3, 0]], [[[1, 1]]], [0.9])   # (0.9·2 + 0.1·1) / 2
    array([[0.95]])
    """
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    qf, q = _quantile_forecasts(y, qf, quantiles)
    diff = y[:, None, :] - qf
    loss = np.maximum(q[None, :, None] * diff, (q[None, :, None] - 1.0) * diff)
    return _nanmean(loss, axis=2)


def scaled_pinball_loss(y, qf, quantiles: Sequence[float], insample,
                        scale=None) -> np.ndarray:
    """Pinball loss scaled by the in-sample mean absolute naive difference (M5 SPL).

    ``SPL_τ = mean_t L_τ(y_t, q_t) / mean_s |x_s − x_{s−1}|``, the scale over the
    training series from its first non-zero value on.

    Parameters
    ----------
    y : array_like, shape (n_series, h)
        Outcomes [units per period].
    qf : array_like, shape (n_series, n_quantiles, h)
        Quantile forecasts [units per period].
    quantiles : sequence of float
        Levels τ in (0, 1).
    insample : array_like, shape (n_series, n_time)
        Training series [units per period], NaN-padded on the left.
    scale : array_like, shape (n_series,), optional
        ``naive_scale(insample, 1, True)`` when already computed.

    Returns
    -------
    numpy.ndarray, shape (n_series, n_quantiles)
        Dimensionless.

    References
    ----------
    M5 Competitor's Guide (University of Nicosia, 2020), "Probabilistic forecasts",
    eq. (3), the scaled pinball loss.

    Examples
    --------
    >>> scaled_pinball_loss([[3, 0]], [[[1, 1]]], [0.9], [[0, 1, 3]])   # 0.95 / 2
    array([[0.475]])
    """
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    if scale is None:
        scale = naive_scale(_insample(insample, y.shape[0]), power=1, from_first_nonzero=True)
    return _divide(pinball_loss(y, qf, quantiles), np.asarray(scale)[:, None])


def coverage(y, lower, upper) -> np.ndarray:
    """Share of outcomes inside the interval ``[lower, upper]`` per series.

    Parameters
    ----------
    y, lower, upper : array_like, shape (n_series, h)
        Outcomes and interval bounds [units per period].

    Returns
    -------
    numpy.ndarray, shape (n_series,)
        In [0, 1]; compare with the nominal level of the interval.

    Examples
    --------
    >>> coverage([[0, 2, 5]], [[0, 0, 0]], [[3, 3, 3]])
    array([0.66666667])
    """
    y, lo = _pair(y, lower)
    _, hi = _pair(y, upper)
    inside = ((y >= lo) & (y <= hi)).astype(float)
    return _nanmean(np.where(np.isnan(y), np.nan, inside))


def share_below(y, qf) -> np.ndarray:
    """Share of outcomes at or below a quantile forecast per series (one-sided coverage).

    For a calibrated τ-quantile this is about τ (for discrete outcomes at least τ).

    Parameters
    ----------
    y, qf : array_like, shape (n_series, h)
        Outcomes and one quantile forecast [units per period].

    Returns
    -------
    numpy.ndarray, shape (n_series,)

    Examples
    --------
    >>> share_below([[0, 2, 5, 1]], [[1, 1, 1, 1]])
    array([0.5])
    """
    y, q = _pair(y, qf)
    return _nanmean(np.where(np.isnan(y), np.nan, (y <= q).astype(float)))
