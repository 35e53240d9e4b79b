"""Tests of the global gradient-boosted model (backorder_analytics.forecasting.global_model).

Expected values come from the simulation that made the data (a known weekly profile, a
known Poisson rate and its ``scipy.stats`` quantiles, held-out outcomes of a known
distribution) or from brute-force enumeration, never from the code under test.
"""

from __future__ import annotations

import functools
import itertools
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from backorder_analytics.forecasting import backtest, forecast
from backorder_analytics.forecasting.backtest import fit_levels
from backorder_analytics.forecasting.base import MODELS, KernelFit, ModelSpec
from backorder_analytics.forecasting.core import candidate_models
from backorder_analytics.forecasting.global_model import (
    GlobalFit,
    _training_rows,
    global_gbm,
    global_gbm_quantiles,
)

PROFILE = np.array([1.3, 1.0, 0.8, 0.9, 1.1, 1.6, 0.3])
"""Known weekly demand profile (mean 1) of the seasonal panel."""

FAST = {"max_rows": 15_000}
"""Smaller than the defaults to keep the suite fast; enough rows for these panels."""


@pytest.fixture(scope="module")
def seasonal():
    """200 series, level 5..50 times the weekly profile, 2 % multiplicative noise."""
    rng = np.random.default_rng(11)
    n, t_len = 200, 140
    level = rng.uniform(5, 50, size=n)
    season = PROFILE[np.arange(t_len) % 7]
    y = level[:, None] * season[None, :] * (1 + 0.02 * rng.standard_normal((n, t_len)))
    return y, level


@pytest.fixture(scope="module")
def seasonal_fit(seasonal):
    return global_gbm(seasonal[0], h=14, **FAST)


@pytest.fixture(scope="module")
def poisson():
    """300 Poisson series, a third each with rate 1, 4 and 10."""
    rng = np.random.default_rng(5)
    lam = np.repeat([1.0, 4.0, 10.0], 100)
    y = rng.poisson(lam[:, None], size=(len(lam), 120)).astype(float)
    return y, lam


@pytest.fixture(scope="module")
def poisson_fit(poisson):
    return global_gbm(poisson[0], h=7, quantiles=(0.5, 0.8, 0.9, 0.95), max_rows=30_000)


def test_registered_as_global():
    spec = MODELS["global_gbm"]
    assert spec.family == "global"
    assert spec.kernel is global_gbm


def test_shapes_and_types(seasonal, seasonal_fit):
    y, _ = seasonal
    fit = seasonal_fit
    assert isinstance(fit, GlobalFit)
    assert isinstance(fit, KernelFit)
    assert fit.mean.shape == (y.shape[0], 14)
    assert fit.fitted.shape == y.shape
    assert list(fit.quantiles) == [0.5, 0.8, 0.9, 0.95]
    assert all(q.shape == (y.shape[0], 14) for q in fit.quantiles.values())
    assert all(v.shape == (y.shape[0],) for v in fit.params.values())
    assert np.isfinite(fit.mean).all()


def test_recovers_weekly_profile(seasonal, seasonal_fit):
    y, level = seasonal
    t_len, h = y.shape[1], 14
    expected = level[:, None] * PROFILE[(t_len + np.arange(h)) % 7][None, :]
    rel = np.abs(seasonal_fit.mean / expected - 1)
    assert np.median(rel) < 0.03
    assert np.quantile(rel, 0.95) < 0.10


def test_fitted_only_last_4h_periods_and_close_to_truth(seasonal, seasonal_fit):
    y, level = seasonal
    t_len, h = y.shape[1], 14
    fitted = seasonal_fit.fitted
    assert np.isnan(fitted[:, : t_len - 4 * h]).all()
    tail = fitted[:, t_len - 4 * h :]
    assert np.isfinite(tail).all()
    truth = level[:, None] * PROFILE[np.arange(t_len - 4 * h, t_len) % 7][None, :]
    assert np.median(np.abs(tail / truth - 1)) < 0.03


def test_scale_param_is_the_window_level(seasonal, seasonal_fit):
    y, _ = seasonal
    np.testing.assert_allclose(seasonal_fit.params["scale"], y[:, -28:].mean(axis=1))


def test_poisson_q90_matches_scipy(poisson, poisson_fit):
    _, lam = poisson
    expected = stats.poisson(lam).ppf(0.9)[:, None]
    error = np.abs(poisson_fit.quantiles[0.9] - expected)
    assert (error <= 1.0).mean() > 0.9
    for rate in np.unique(lam):
        rows = lam == rate
        median_pred = np.median(poisson_fit.quantiles[0.9][rows])
        assert abs(median_pred - stats.poisson(rate).ppf(0.9)) <= 1.0


def test_poisson_mean_matches_rate(poisson, poisson_fit):
    _, lam = poisson
    for rate in np.unique(lam):
        rows = lam == rate
        assert np.mean(poisson_fit.mean[rows]) == pytest.approx(rate, rel=0.1)


@pytest.mark.parametrize("fixture", ["poisson_fit", "seasonal_fit"])
def test_quantiles_monotone_in_level(fixture, request):
    qs = request.getfixturevalue(fixture).quantiles
    stacked = np.stack([qs[q] for q in sorted(qs)])
    assert (np.diff(stacked, axis=0) >= 0).all()


def test_held_out_coverage_near_nominal():
    """Share of held-out outcomes at or below each predicted quantile is within
    +-0.05 of the level, on gamma demand (shape 4) around a weekly profile."""
    rng = np.random.default_rng(21)
    n, t_len, h = 300, 150, 14
    level = rng.uniform(2, 40, size=n)
    mean = level[:, None] * PROFILE[np.arange(t_len) % 7][None, :]
    y = rng.gamma(4.0, mean / 4.0)
    train, test = y[:, :-h], y[:, -h:]
    qs = global_gbm_quantiles(train, h, quantiles=(0.5, 0.8, 0.9, 0.95), **FAST)
    for q, pred in qs.items():
        assert abs((test <= pred).mean() - q) < 0.05, q


def test_quantiles_function_matches_kernel(poisson):
    y = poisson[0][::5]
    kw = {"max_rows": 2_000, "max_iter": 20}
    qs = global_gbm_quantiles(y, 3, quantiles=(0.9, 0.5), **kw)
    fit = global_gbm(y, 3, quantiles=(0.5, 0.9), **kw)
    assert list(qs) == [0.5, 0.9]
    for q in qs:
        np.testing.assert_array_equal(qs[q], fit.quantiles[q])


def test_deterministic_with_seed(poisson):
    y = poisson[0][:60]
    kw = {"h": 3, "quantiles": (0.5, 0.9), "max_rows": 2_000, "max_iter": 20}
    a, b = global_gbm(y, seed=3, **kw), global_gbm(y, seed=3, **kw)
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.fitted, b.fitted)
    np.testing.assert_array_equal(a.quantiles[0.9], b.quantiles[0.9])
    # h = 3: fitted values cover two seasons (14 periods), more than 4h = 12
    assert np.isfinite(a.fitted[:, -14:]).all()
    assert np.isnan(a.fitted[:, :-14]).all()
    c = global_gbm(y, seed=4, **kw)  # another row sample
    assert not np.array_equal(a.mean, c.mean)


def test_nan_padded_and_short_series():
    rng = np.random.default_rng(2)
    n, t_len, h = 60, 100, 5
    y = rng.poisson(6.0, size=(n, t_len)).astype(float)
    y[0, :50] = np.nan  # padded, still has a full 28-period window
    y[1, :90] = np.nan  # 10 observations: too short for a window
    y[2, :] = np.nan  # nothing observed
    fit = global_gbm(y, h, quantiles=(0.5, 0.9), max_iter=30)
    assert np.isfinite(fit.mean[[0, *range(3, n)]]).all()
    # too short: the series mean and its empirical quantiles
    np.testing.assert_allclose(fit.mean[1], np.nanmean(y[1]))
    np.testing.assert_allclose(fit.quantiles[0.9][1], np.nanquantile(y[1], 0.9))
    assert np.isnan(fit.params["scale"][1])
    assert np.isnan(fit.mean[2]).all()
    assert np.isnan(fit.quantiles[0.5][2]).all()
    assert np.isnan(fit.fitted[1:3]).all()
    # row 0: fitted only once its window is complete (and only in the last 4h periods)
    assert np.isfinite(fit.fitted[0, t_len - 4 * h :]).all()
    assert np.isnan(fit.fitted[0, : t_len - 4 * h]).all()


def test_constant_and_zero_series():
    t_len, h = 90, 7
    constant = np.repeat([[2.0], [7.0], [25.0]], t_len, axis=1)
    zeros = np.zeros((3, t_len))
    # alone, every scaled target is 1 (constants) or 0 (zeros): forecasts are exact
    for panel in (constant, zeros):
        fit = global_gbm(panel, h, quantiles=(0.5, 0.9), max_iter=20)
        np.testing.assert_allclose(fit.mean, panel[:, :h], atol=1e-9)
        np.testing.assert_allclose(fit.quantiles[0.9], panel[:, :h], atol=1e-9)
        np.testing.assert_allclose(fit.fitted[:, -4 * h :], panel[:, -4 * h :], atol=1e-9)
    # mixed with Poisson(3) series they share leaves with noisy windows: within 10 %
    poisson = np.random.default_rng(8).poisson(3.0, size=(40, t_len)).astype(float)
    y = np.vstack([poisson, constant, zeros])
    fit = global_gbm(y, h, quantiles=(0.5, 0.9), max_rows=8_000)
    np.testing.assert_allclose(fit.mean[40:43], constant[:, :h], rtol=0.1)
    np.testing.assert_allclose(fit.quantiles[0.5][40:43], constant[:, :h], rtol=0.1)
    np.testing.assert_allclose(fit.mean[43:], 0.0, atol=0.05)
    np.testing.assert_allclose(fit.quantiles[0.9][43:], 0.0, atol=0.05)
    assert (fit.mean >= 0).all()
    assert (fit.fitted[~np.isnan(fit.fitted)] >= 0).all()


def test_all_short_panel_falls_back_to_means():
    y = np.array([[1.0, 3.0, 2.0], [np.nan, 4.0, 4.0]])
    fit = global_gbm(y, 2, quantiles=(0.5,))
    np.testing.assert_allclose(fit.mean, [[2.0, 2.0], [4.0, 4.0]])
    np.testing.assert_allclose(fit.quantiles[0.5], [[2.0, 2.0], [4.0, 4.0]])
    assert np.isnan(fit.fitted).all()


def test_training_rows_match_brute_force():
    first = np.array([0, 3, 9, 12])  # series 3 is too short for any window
    t_len, h, w = 14, 3, 4
    i, o, k = _training_rows(first, t_len, h, w, max_rows=10_000,
                             rng=np.random.default_rng(0))
    expected = {
        (s, orig, kk)
        for s, kk in itertools.product(range(len(first)), range(1, h + 1))
        for orig in range(t_len + 1)
        if orig - w >= first[s] and orig + kk - 1 <= t_len - 1
    }
    got = set(zip(i.tolist(), o.tolist(), k.tolist(), strict=True))
    assert got == expected
    assert len(i) == len(expected)
    # a sample: distinct, valid, the requested size
    i, o, k = _training_rows(first, t_len, h, w, max_rows=10, rng=np.random.default_rng(0))
    sample = set(zip(i.tolist(), o.tolist(), k.tolist(), strict=True))
    assert len(sample) == 10
    assert sample <= expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"h": 0}, "'h' parameter must be a whole number >= 1"),
        ({"h": 2, "quantiles": (0.5, 1.0)}, "'quantiles' parameter must be"),
        ({"h": 2, "quantiles": ()}, "'quantiles' parameter must be"),
        ({"h": 2, "season_length": 0}, "'season_length' parameter"),
        ({"h": 2, "max_rows": 2.5}, "'max_rows' parameter"),
        ({"h": 2, "learning_rate": 0.0}, "'learning_rate' parameter must be a number > 0"),
    ],
)
def test_bad_parameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        global_gbm(np.ones((2, 40)), **kwargs)


def test_bad_panel_shape_raises():
    with pytest.raises(ValueError, match=r"shape \(n_series, n_time\)"):
        global_gbm(np.ones((2, 3, 4)), 2)


# ---------------------------------------------------------------------------
# in the forecast API: forecast(), backtest(), model="auto"
# ---------------------------------------------------------------------------

SMALL = {"max_iter": 15, "max_rows": 3_000}
"""Kernel settings of the API tests: a small, fast fit (the wiring is tested, not
the accuracy)."""


@pytest.fixture
def counted(monkeypatch):
    """``MODELS["global_gbm"]`` with :data:`SMALL` settings, recording every call's
    keyword arguments (``functools.wraps`` keeps the signature the facade inspects)."""
    calls = []

    @functools.wraps(global_gbm)
    def kernel(y, h, **kw):
        calls.append(kw)
        return global_gbm(y, h, **SMALL, **kw)

    spec = MODELS["global_gbm"]
    monkeypatch.setitem(MODELS, "global_gbm", ModelSpec(spec.name, kernel, spec.family,
                                                        spec.description))
    return calls


@pytest.fixture(scope="module")
def gamma_panel():
    """30 daily series of 100 days, gamma(4) demand around levels 1..10 (continuous, so
    the quantile forecasts are strictly increasing in the level)."""
    rng = np.random.default_rng(3)
    level = rng.uniform(1, 10, size=(30, 1))
    values = rng.gamma(4.0, level / 4.0 * np.ones((30, 100)))
    dates = pd.date_range("2024-01-01", periods=100, freq="D")
    frame = pd.DataFrame({"sku": np.repeat([f"S{i:02d}" for i in range(30)], 100),
                          "date": np.tile(dates, 30), "demand": values.reshape(-1)})
    return frame, values


def test_registered_by_importing_the_package():
    """In a fresh interpreter (here global_model is imported already)."""
    code = ("from backorder_analytics.forecasting import MODELS; "
            "print(MODELS['global_gbm'].family)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "global"


def distribution_quantiles(levels, quantiles: dict, mean: np.ndarray) -> dict:
    """The quantiles of the distribution a forecast reports for the kernel's
    ``quantiles`` and ``mean``: the kernel's own where ``mean`` is at least the mean of
    the quantile function with a flat top (the upper tail then carries the rest), else
    the kernel's times ``mean`` / that mean. The flat-top mean by the midpoint rule on
    100,000 cells, an independent reference for the sampler's closed form."""
    levels = np.asarray(levels, dtype=float)
    grid = np.stack([quantiles[q] for q in levels], axis=-1)  # (n, h, k)
    u = (np.arange(100_000) + 0.5) / 100_000
    flat = np.empty(grid.shape[:2])
    for i, j in itertools.product(range(grid.shape[0]), range(grid.shape[1])):
        q = grid[i, j]
        flat[i, j] = np.interp(u, [0.0, *levels, 1.0], [0.0, *q, q[-1]]).mean()
    ratio = np.where(mean >= flat, 1.0, mean / flat)
    return {q: quantiles[q] * ratio for q in levels}


def test_forecast_reports_the_kernels_own_quantiles_without_refit(gamma_panel, counted):
    """One kernel call, at the requested levels plus QUANTILE_GRID; the mean is the
    kernel's, the reported quantiles the kernel's (scaled down only where the kernel's
    mean is below what its quantiles imply); the paths average the mean and the share
    at or below each quantile is its level within 5 standard errors sqrt(p(1-p)/n)."""
    frame, values = gamma_panel
    fc = forecast(frame, horizon=7, model="global_gbm", quantiles=(0.5, 0.95), n_paths=20_000)
    assert len(counted) == 1  # no second run for the distribution
    levels = fit_levels((0.5, 0.95))
    assert counted[0] == {"season_length": 7, "quantiles": levels}
    ref = global_gbm(values, 7, quantiles=levels, season_length=7, **SMALL)
    np.testing.assert_array_equal(fc.mean, ref.mean)
    dist = distribution_quantiles(levels, ref.quantiles, ref.mean)
    assert np.mean(dist[0.5] == ref.quantiles[0.5]) > 0.5  # mostly the kernel's own
    np.testing.assert_allclose(fc.quantile_values[:, 0, :], dist[0.5], rtol=1e-4)
    np.testing.assert_allclose(fc.quantile_values[:, 1, :], dist[0.95], rtol=1e-4)
    assert list(fc.to_frame().columns[-2:]) == ["q0.5", "q0.95"]
    paths = fc.paths()
    n = paths.shape[1]
    for q in levels:
        grid = dist[q] * (1 + 1e-6)
        share = (paths <= grid[:, None, :].astype(np.float32)).mean(axis=1)
        error = share - q
        if q == levels[-1]:  # a flat top (where scaled down) is an atom: share 1
            error = np.minimum(error, 0.0)
        assert np.abs(error).max() <= 5 * np.sqrt(q * (1 - q) / n), q
    assert (paths >= 0).all()
    se = paths.std(axis=1) / np.sqrt(n)
    np.testing.assert_array_less(np.abs(paths.astype(float).mean(axis=1) - ref.mean), 4 * se)
    assert len(counted) == 1  # drawing paths does not fit either


def test_backtest_scores_global_and_ses_with_one_fit_per_window(gamma_panel, counted):
    frame, values = gamma_panel
    bt = backtest(frame, models=["ses", "global_gbm"], horizon=7, windows=2,
                  quantiles=(0.5, 0.9), n_paths=100)
    assert len(counted) == 2  # one fit per window, none for the distribution
    f = bt.frame
    assert set(f["model"]) == {"ses", "global_gbm"}
    assert len(f) == 2 * 2 * 30
    assert f[["rmsse", "mase", "spl", "pinball", "below_q0.9"]].notna().all().all()
    assert list(bt.summary.index.sort_values()) == ["global_gbm", "ses"]
    # the last window scores the distribution's 0.9 quantile: share of outcomes below it
    train, test = values[:, :-7], values[:, -7:]
    levels = fit_levels((0.5, 0.9))
    ref = global_gbm(train, 7, quantiles=levels, season_length=7, **SMALL)
    q90 = distribution_quantiles(levels, ref.quantiles, ref.mean)[0.9]
    last = f[(f["model"] == "global_gbm") & (f["window"] == 1)]
    np.testing.assert_allclose(last["below_q0.9"], (test <= q90).mean(axis=1))


def test_auto_leaves_global_out_unless_named(gamma_panel, counted):
    frame, _ = gamma_panel
    for category in ("smooth", "erratic", "intermittent", "lumpy", "no demand"):
        assert "global_gbm" not in candidate_models(category)
    fc = forecast(frame, horizon=7, model="auto", models=["ses", "global_gbm"], windows=2,
                  n_paths=200)
    assert set(fc.backtest_.frame["model"]) == {"ses", "global_gbm"}
    # two backtest windows without quantiles (kernel defaults), then the final fit
    chosen = (fc.model_ == "global_gbm").any()
    assert len(counted) == 2 + chosen
    assert all("quantiles" not in kw for kw in counted[:2])
