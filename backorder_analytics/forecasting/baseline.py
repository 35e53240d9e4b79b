"""Baseline forecasting kernels: naive, seasonal naive, moving average, historic average
and zero.

Each kernel follows the contract of :mod:`backorder_analytics.forecasting.base`
(``kernel(y, h, **params) -> KernelFit``, ``y`` of shape ``(n_series, n_time)``,
NaN-padded on the left) and is vectorised across series: the in-sample one-step
forecasts come from cumulative sums and shifted views, with no loop over series and
none over time.

They are the yardsticks every other method has to beat (Hyndman & Athanasopoulos,
*Forecasting: Principles and Practice*, 3rd ed., 2021, section 5.2). On intermittent
data the zero forecast is a strong reference under squared-error measures such as
RMSSE (see ``data/README.md``: it beats every classical method on the carparts
subset), so it is registered too.

Parameters returned in ``KernelFit.params`` can be passed back to the kernel
(``kernel(y, h, **fit.params)``) and give the same forecasts.
"""

from __future__ import annotations

import numpy as np

from .base import KernelFit, as_panel, check_horizon, first_valid_index, register

__all__ = ["naive", "seasonal_naive", "moving_average", "historic_average", "zero"]

DEFAULT_SEASON_LENGTH = 7
"""Default season of :func:`seasonal_naive` [periods]: one week of daily data."""

DEFAULT_WINDOW = 7
"""Default window of :func:`moving_average` [periods]: one week of daily data."""




def _per_series(value, n: int, name: str) -> np.ndarray:
    """A positive whole-number parameter as an int array of shape (n,)."""
    arr = np.broadcast_to(np.asarray(value), (n,)) if np.ndim(value) == 0 else np.asarray(value)
    if arr.shape != (n,):
        raise ValueError(
            f"The {name!r} parameter must be a number or an array of shape ({n},). "
            f"Got shape {arr.shape}."
        )
    arr = arr.astype(float)
    if (~np.isfinite(arr)).any() or (arr < 1).any() or (np.floor(arr) != arr).any():
        raise ValueError(f"The {name!r} parameter must be whole numbers >= 1. Got {value!r}.")
    return arr.astype(np.int64)


def _started(y: np.ndarray) -> np.ndarray:
    """True from each series' first value on (shape of ``y``)."""
    first = first_valid_index(y)
    return np.arange(y.shape[1])[None, :] >= first[:, None]


def _cumulative(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative sums and counts of the non-NaN values, with a leading 0 column."""
    n = y.shape[0]
    total = np.concatenate([np.zeros((n, 1)), np.cumsum(np.nan_to_num(y), axis=1)], axis=1)
    count = np.concatenate(
        [np.zeros((n, 1)), np.cumsum(~np.isnan(y), axis=1, dtype=float)], axis=1
    )
    return total, count


def _window_means(y: np.ndarray, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means of the last ``window`` values before each t (fitted) and at the end (mean)."""
    n, t_len = y.shape
    total, count = _cumulative(y)
    ends = np.arange(t_len + 1)[None, :]  # value at column t covers y[:, :t]
    starts = np.maximum(ends - window[:, None], 0)
    s = total - np.take_along_axis(total, starts, axis=1)
    c = count - np.take_along_axis(count, starts, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(c > 0, s / np.maximum(c, 1), np.nan)
    return means[:, :t_len], means[:, t_len]


@register("naive", "baseline", "Last value (random-walk forecast); Hyndman & Athanasopoulos "
          "(2021), 5.2")
def naive(y, h: int) -> KernelFit:
    """Naive forecast: every future period gets the last observed value.

    Parameters
    ----------
    y : array_like, shape (n_series, n_time)
        Demand [units per period], NaN-padded on the left.
    h : int
        Horizon [periods].

    Returns
    -------
    KernelFit
        ``mean[:, j] = y[:, -1]``; ``fitted[:, t] = y[:, t − 1]`` (NaN at a series'
        first period).

    References
    ----------
    Hyndman, R. J. & Athanasopoulos, G. (2021). *Forecasting: Principles and
    Practice*, 3rd ed., OTexts, section 5.2.

    Examples
    --------
    >>> fit = naive([[1.0, 0.0, 3.0]], h=2)
    >>> fit.mean, fit.fitted
    (array([[3., 3.]]), array([[nan,  1.,  0.]]))
    """
    y = as_panel(y)
    h = check_horizon(h)
    n, t_len = y.shape
    mean = np.repeat(y[:, -1:], h, axis=1) if t_len else np.full((n, h), np.nan)
    fitted = np.full_like(y, np.nan)
    fitted[:, 1:] = y[:, :-1]
    return KernelFit(mean=mean, fitted=fitted, params={})


@register("seasonal_naive", "baseline", "Value one season ago (season_length=7 by default); "
          "Hyndman & Athanasopoulos (2021), 5.2")
def seasonal_naive(y, h: int, season_length=DEFAULT_SEASON_LENGTH) -> KernelFit:
    """Seasonal naive forecast: the value observed one season earlier.

    Parameters
    ----------
    y : array_like, shape (n_series, n_time)
        Demand [units per period], NaN-padded on the left.
    h : int
        Horizon [periods].
    season_length : int or array of int, shape (n_series,), default 7
        Season ``m`` [periods]: 7 for daily data with a weekly cycle, 12 for monthly
        data with a yearly one.

    Returns
    -------
    KernelFit
        ``mean[:, j] = y[:, T − m + (j mod m)]`` (0-based ``j``); a series with less
        than one season of history gets its last value instead (naive).
        ``fitted[:, t] = y[:, t − m]``, NaN during each series' first season.
        ``params["season_length"]``.

    References
    ----------
    Hyndman, R. J. & Athanasopoulos, G. (2021). *Forecasting: Principles and
    Practice*, 3rd ed., OTexts, section 5.2.

    Examples
    --------
    >>> fit = seasonal_naive([[1.0, 2.0, 3.0, 4.0, 5.0]], h=3, season_length=2)
    >>> fit.mean
    array([[4., 5., 4.]])
    >>> fit.fitted
    array([[nan, nan,  1.,  2.,  3.]])
    """
    y = as_panel(y)
    h = check_horizon(h)
    n, t_len = y.shape
    m = _per_series(season_length, n, "season_length")
    idx = t_len - m[:, None] + (np.arange(h)[None, :] % m[:, None])
    ok = idx >= 0
    mean = np.take_along_axis(y, np.clip(idx, 0, max(t_len - 1, 0)), axis=1) if t_len else (
        np.full((n, h), np.nan))
    mean = np.where(ok, mean, np.nan)
    last = y[:, -1:] if t_len else np.full((n, 1), np.nan)
    mean = np.where(np.isnan(mean), last, mean)
    lag = np.arange(t_len)[None, :] - m[:, None]
    fitted = np.take_along_axis(y, np.clip(lag, 0, None), axis=1)
    fitted = np.where(lag >= 0, fitted, np.nan)
    return KernelFit(mean=mean, fitted=fitted, params={"season_length": m.astype(float)})


@register("moving_average", "baseline", "Mean of the last `window` periods (window=7 by "
          "default); Hyndman & Athanasopoulos (2021), 5.2")
def moving_average(y, h: int, window=DEFAULT_WINDOW) -> KernelFit:
    """Moving-average forecast: the mean of the last ``window`` observed periods.

    Parameters
    ----------
    y : array_like, shape (n_series, n_time)
        Demand [units per period], NaN-padded on the left.
    h : int
        Horizon [periods].
    window : int or array of int, shape (n_series,), default 7
        Number of most recent periods averaged [periods]; a series with fewer
        periods averages all it has. The default is one week of daily data; for
        monthly data 3–12 are usual.

    Returns
    -------
    KernelFit
        A flat forecast; ``fitted[:, t]`` is the mean of ``y[:, t−window:t]``
        (NaN at a series' first period). ``params["window"]``.

    Examples
    --------
    >>> fit = moving_average([[1.0, 2.0, 3.0, 6.0]], h=2, window=2)
    >>> fit.mean
    array([[4.5, 4.5]])
    >>> fit.fitted
    array([[nan, 1. , 1.5, 2.5]])
    """
    y = as_panel(y)
    h = check_horizon(h)
    w = _per_series(window, y.shape[0], "window")
    fitted, last = _window_means(y, w)
    return KernelFit(mean=np.repeat(last[:, None], h, axis=1), fitted=fitted,
                     params={"window": w.astype(float)})


@register("historic_average", "baseline", "Mean of the series' whole history; Hyndman & "
          "Athanasopoulos (2021), 5.2")
def historic_average(y, h: int) -> KernelFit:
    """Historic-average forecast: the mean of everything observed so far.

    Parameters
    ----------
    y : array_like, shape (n_series, n_time)
        Demand [units per period], NaN-padded on the left (the padding is not
        averaged).
    h : int
        Horizon [periods].

    Returns
    -------
    KernelFit
        A flat forecast; ``fitted[:, t]`` is the mean of the series up to ``t − 1``
        (the expanding mean; NaN at a series' first period).

    Examples
    --------
    >>> fit = historic_average([[np.nan, 2.0, 0.0, 4.0]], h=2)
    >>> fit.mean
    array([[2., 2.]])
    >>> fit.fitted
    array([[nan, nan,  2.,  1.]])
    """
    y = as_panel(y)
    h = check_horizon(h)
    total, count = _cumulative(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return KernelFit(mean=np.repeat(means[:, -1:], h, axis=1), fitted=means[:, :-1], params={})


@register("zero", "baseline", "Always 0: the reference for intermittent demand under "
          "squared-error measures")
def zero(y, h: int) -> KernelFit:
    """Zero forecast: no demand in any future period.

    A reference for intermittent demand: under squared-error measures (RMSSE) it is
    hard to beat when most periods are zero, which is why such series must also be
    judged by bias, pinball loss and the service a forecast delivers.

    Parameters
    ----------
    y : array_like, shape (n_series, n_time)
        Demand [units per period], NaN-padded on the left.
    h : int
        Horizon [periods].

    Returns
    -------
    KernelFit
        ``mean`` all 0; ``fitted`` 0 after each series' first period, NaN before
        and at it (no history yet).

    Examples
    --------
    >>> zero([[np.nan, 1.0, 2.0]], h=2).fitted
    array([[nan, nan,  0.]])
    """
    y = as_panel(y)
    h = check_horizon(h)
    n, t_len = y.shape
    started = _started(y)
    fitted = np.full_like(y, np.nan)
    fitted[:, 1:] = np.where(started[:, :-1], 0.0, np.nan)
    return KernelFit(mean=np.zeros((n, h)), fitted=fitted, params={})
