"""Tests of the baseline kernels against loop-based references written from their
definitions (one series at a time, pure Python)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backorder_analytics.forecasting import MODELS
from backorder_analytics.forecasting.baseline import (
    historic_average,
    moving_average,
    naive,
    seasonal_naive,
    zero,
)

NAN = float("nan")


def ref_one_step(series, rule):
    """fitted[t] = rule(history before t), NaN while the history is empty."""
    out = []
    for t in range(len(series)):
        hist = [v for v in series[:t] if not math.isnan(v)]
        out.append(rule(hist) if hist else NAN)
    return out


@pytest.fixture
def panel():
    rng = np.random.default_rng(5)
    y = rng.poisson(3, (8, 20)).astype(float)
    y[2, :6] = np.nan
    y[5, :19] = np.nan  # a single observation
    return y


def test_registered():
    for name in ("naive", "seasonal_naive", "moving_average", "historic_average", "zero"):
        assert MODELS[name].family == "baseline"


def test_naive_reference(panel):
    fit = naive(panel, 4)
    for i, s in enumerate(panel):
        exp = ref_one_step(list(s), lambda h: h[-1])
        np.testing.assert_allclose(fit.fitted[i], exp)
        assert (fit.mean[i] == s[-1]).all()


@pytest.mark.parametrize("window", [1, 3, 7, 50])
def test_moving_average_reference(panel, window):
    fit = moving_average(panel, 3, window=window)
    for i, s in enumerate(panel):
        exp = ref_one_step(list(s), lambda h, w=window: sum(h[-w:]) / len(h[-w:]))
        np.testing.assert_allclose(fit.fitted[i], exp)
        hist = [v for v in s if not math.isnan(v)][-window:]
        np.testing.assert_allclose(fit.mean[i], sum(hist) / len(hist))
    np.testing.assert_array_equal(fit.params["window"], window)


def test_moving_average_per_series_window(panel):
    w = np.arange(1, 9)
    fit = moving_average(panel, 2, window=w)
    for i in range(8):
        one = moving_average(panel[i:i + 1], 2, window=w[i])
        np.testing.assert_allclose(fit.mean[i], one.mean[0])


def test_historic_average_reference(panel):
    fit = historic_average(panel, 2)
    for i, s in enumerate(panel):
        np.testing.assert_allclose(fit.fitted[i], ref_one_step(list(s), lambda h: sum(h) / len(h)))
        np.testing.assert_allclose(fit.mean[i], np.nanmean(s))


@pytest.mark.parametrize("m", [1, 4, 7])
def test_seasonal_naive_reference(panel, m):
    fit = seasonal_naive(panel, 9, season_length=m)
    for i, s in enumerate(panel):
        exp_fitted = [s[t - m] if t >= m else NAN for t in range(len(s))]
        np.testing.assert_allclose(fit.fitted[i], exp_fitted)
        last = len(s)
        exp_mean = [s[last - m + (j % m)] for j in range(9)]
        exp_mean = [s[-1] if math.isnan(v) else v for v in exp_mean]
        np.testing.assert_allclose(fit.mean[i], exp_mean)


def test_zero(panel):
    fit = zero(panel, 5)
    assert (fit.mean == 0).all()
    assert np.isnan(fit.fitted[2, :7]).all()
    assert (fit.fitted[2, 7:] == 0).all()
    assert np.isnan(fit.fitted[5]).all()


@pytest.mark.parametrize("name", ["naive", "seasonal_naive", "moving_average",
                                  "historic_average", "zero"])
def test_params_round_trip_and_shapes(panel, name):
    kernel = MODELS[name].kernel
    fit = kernel(panel, 6)
    assert fit.mean.shape == (8, 6)
    assert fit.fitted.shape == panel.shape
    again = kernel(panel, 6, **fit.params)
    np.testing.assert_array_equal(again.mean, fit.mean)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: naive(np.zeros((2, 3)), 0), "horizon 'h' must be a whole number"),
        (lambda: moving_average(np.zeros((2, 3)), 2, window=0), "'window' parameter"),
        (lambda: moving_average(np.zeros((2, 3)), 2, window=[1, 2, 3]), "shape \\(2,\\)"),
        (lambda: seasonal_naive(np.zeros((2, 3)), 2, season_length=1.5), "'season_length'"),
        (lambda: naive(np.zeros((2, 3, 4)), 2), "shape \\(n_series, n_time\\)"),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()

