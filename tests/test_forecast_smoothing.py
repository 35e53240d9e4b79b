"""Tests of the exponential smoothing kernels (backorder_analytics.forecasting.smoothing).

Every expected value comes from outside the code under test: statsmodels'
``ExponentialSmoothing`` (the reference implementation, same parameters and initial
states), statsforecast's ``SimpleExponentialSmoothing``, or a recursion written out by
hand.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from statsmodels.tsa.holtwinters import ExponentialSmoothing, SimpleExpSmoothing

from backorder_analytics.exceptions import DataError
from backorder_analytics.forecasting.base import MODELS
from backorder_analytics.forecasting.smoothing import BOUNDS, holt, holt_winters, ses

M = 7
H = 10
T = 84
TOL = 1e-8


def _series(kind: str, seed: int, n_time: int = T) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n_time)
    week = 4.0 * np.sin(2 * np.pi * t / M) + 2.0 * (t % M == 5)
    return {
        "level": 20 + rng.normal(0, 3, n_time),
        "trend": 10 + 0.5 * t + rng.normal(0, 2, n_time),
        "walk": 50 + np.cumsum(rng.normal(0, 1, n_time)),
        "season": 30 + 0.2 * t + week + rng.normal(0, 1.5, n_time),
        "poisson": rng.poisson(4 + 0.02 * t).astype(float),
        "seasonal_poisson": rng.poisson(5 + week / 2).astype(float),
    }[kind]


KINDS = ["level", "trend", "walk", "season", "poisson", "seasonal_poisson"]


def _panel(rows: list[np.ndarray]) -> np.ndarray:
    """Right-aligned panel with NaN left-padding."""
    width = max(len(r) for r in rows)
    out = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        out[i, width - len(r):] = r
    return out


def _sm(y, trend=None, damped=False, seasonal=None, **known):
    """statsmodels model with known initial states (quiet)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ExponentialSmoothing(
            y, trend=trend, damped_trend=damped, seasonal=seasonal,
            seasonal_periods=M if seasonal else None, initialization_method="known", **known)


def _fit(model, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(optimized=False, **params)


def _seasonal_forecast(ref, h, phi=None):
    """statsmodels' forecasts, except at horizons that are multiples of the season:
    statsmodels <= 0.15 uses the stale index s_{T-m} there instead of s_T (statsmodels
    issue #9538, fixed by PR #10230); those are recomputed from statsmodels' own final
    states with FPP3's formula l_T + (phi + ... + phi^h) b_T + s_{T+h-m(k+1)}."""
    out = np.asarray(ref.forecast(h), dtype=float).copy()
    steps = np.arange(1, h + 1)
    trend = 0.0 if ref.trend is None else np.asarray(ref.trend)[-1]
    damp = np.cumsum((1.0 if phi is None else phi) ** steps)
    stale = steps % M == 0
    out[stale] = (np.asarray(ref.level)[-1] + damp[stale] * trend
                  + np.asarray(ref.season)[-1])
    return out


def _sse(y, fitted):
    return np.nansum((y - fitted) ** 2, axis=-1)


# --------------------------------------------------------------------- hand-computed
def test_ses_by_hand():
    # l_{-1} = 2; l_t = 0.5 y_t + 0.5 l_{t-1}: 2.5, 3.75, 3.875, 5.9375, 5.96875
    fit = ses(np.array([[3.0, 5.0, 4.0, 8.0, 6.0]]), h=3, alpha=0.5, initial_level=2.0)
    np.testing.assert_allclose(fit.fitted, [[2.0, 2.5, 3.75, 3.875, 5.9375]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(fit.mean, [[5.96875] * 3], rtol=0, atol=1e-15)


def test_ses_by_hand_default_initial_level():
    # level starts at the first value (3), which is not forecast: 3, 4, 4, 6 | 6
    fit = ses(np.array([[3.0, 5.0, 4.0, 8.0, 6.0]]), h=1, alpha=0.5)
    np.testing.assert_array_equal(fit.fitted, [[np.nan, 3.0, 4.0, 4.0, 6.0]])
    np.testing.assert_array_equal(fit.mean, [[6.0]])
    np.testing.assert_array_equal(fit.params["alpha"], [0.5])


# ---------------------------------------------------------- statsmodels, fixed params
def test_ses_matches_statsmodels_panel_with_padding():
    rows = [_series("level", 1), _series("walk", 2)[:60], _series("poisson", 3)[:25]]
    y = _panel(rows)
    alpha, level0 = np.array([0.2, 0.65, 0.05]), np.array([19.0, 51.5, 3.0])
    fit = ses(y, H, alpha=alpha, initial_level=level0)
    for i, row in enumerate(rows):
        ref = _fit(SimpleExpSmoothing(row, initialization_method="known",
                                      initial_level=level0[i]), smoothing_level=alpha[i])
        start = T - len(row)
        assert np.isnan(fit.fitted[i, :start]).all()
        np.testing.assert_allclose(fit.fitted[i, start:], ref.fittedvalues, rtol=TOL, atol=TOL)
        np.testing.assert_allclose(fit.mean[i], ref.forecast(H), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("kind", KINDS)
def test_ses_default_initial_level_is_first_value(kind):
    row = _series(kind, 4)
    fit = ses(row[None, 5:], H, alpha=0.3)
    ref = _fit(SimpleExpSmoothing(row[5:], initialization_method="known",
                                  initial_level=row[5]), smoothing_level=0.3)
    assert np.isnan(fit.fitted[0, 0])
    np.testing.assert_allclose(fit.fitted[0, 1:], ref.fittedvalues[1:], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(fit.mean[0], ref.forecast(H), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("damped", [True, False])
def test_holt_matches_statsmodels_panel_with_padding(damped):
    rows = [_series("trend", 5), _series("walk", 6)[:50], _series("season", 7)[:12]]
    y = _panel(rows)
    alpha, beta = np.array([0.3, 0.8, 0.1]), np.array([0.1, 0.05, 0.5])
    phi = np.array([0.9, 0.98, 0.8]) if damped else None
    level0, trend0 = np.array([10.0, 49.0, 30.5]), np.array([0.4, -0.2, 1.0])
    fit = holt(y, H, alpha=alpha, beta=beta, phi=phi, damped=damped,
               initial_level=level0, initial_trend=trend0)
    for i, row in enumerate(rows):
        model = _sm(row, trend="add", damped=damped, initial_level=level0[i],
                    initial_trend=trend0[i])
        extra = {"damping_trend": phi[i]} if damped else {}
        ref = _fit(model, smoothing_level=alpha[i], smoothing_trend=beta[i], **extra)
        start = T - len(row)
        np.testing.assert_allclose(fit.fitted[i, start:], ref.fittedvalues, rtol=TOL, atol=TOL)
        np.testing.assert_allclose(fit.mean[i], ref.forecast(H), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("kind", KINDS)
def test_holt_default_initial_states(kind):
    # level = 2nd value, trend = 2nd - 1st, placed after the 2nd value
    row = _series(kind, 8)
    fit = holt(row[None], H, alpha=0.4, beta=0.2, phi=0.9)
    ref = _fit(_sm(row[2:], trend="add", damped=True, initial_level=row[1],
                   initial_trend=row[1] - row[0]),
               smoothing_level=0.4, smoothing_trend=0.2, damping_trend=0.9)
    assert np.isnan(fit.fitted[0, :2]).all()
    np.testing.assert_allclose(fit.fitted[0, 2:], ref.fittedvalues, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(fit.mean[0], ref.forecast(H), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("trend", ["damped", "add", None])
def test_holt_winters_matches_statsmodels_panel_with_padding(trend):
    rows = [_series("season", 9), _series("seasonal_poisson", 10)[:45],
            _series("trend", 11)[:9]]
    y = _panel(rows)
    alpha, beta = np.array([0.3, 0.1, 0.6]), np.array([0.1, 0.2, 0.05])
    gamma, phi = np.array([0.2, 0.05, 0.3]), np.array([0.92, 0.85, 0.98])
    level0, trend0 = np.array([30.0, 5.0, 12.0]), np.array([0.2, 0.0, 0.5])
    season0 = np.arange(3 * M, dtype=float).reshape(3, M) % 5 - 2.0
    kw = {"beta": beta, "initial_trend": trend0} if trend else {}
    if trend == "damped":
        kw["phi"] = phi
    fit = holt_winters(y, H, alpha=alpha, gamma=gamma, trend=trend, initial_level=level0,
                       initial_seasonal=season0, **kw)
    for i, row in enumerate(rows):
        known = {"initial_level": level0[i], "initial_seasonal": season0[i]}
        params = {"smoothing_level": alpha[i], "smoothing_seasonal": gamma[i]}
        if trend:
            known["initial_trend"] = trend0[i]
            params["smoothing_trend"] = beta[i]
        if trend == "damped":
            params["damping_trend"] = phi[i]
        model = _sm(row, trend="add" if trend else None, damped=trend == "damped",
                    seasonal="add", **known)
        ref = _fit(model, **params)
        start = T - len(row)
        assert np.isnan(fit.fitted[i, :start]).all()
        np.testing.assert_allclose(fit.fitted[i, start:], ref.fittedvalues, rtol=TOL, atol=TOL)
        expected = _seasonal_forecast(ref, H, params.get("damping_trend"))
        np.testing.assert_allclose(fit.mean[i], expected, rtol=TOL, atol=TOL)


def _two_season_states(row, trend=True):
    """The documented default: means of the first two seasons, detrended indices."""
    c1, c2 = row[:M].mean(), row[M:2 * M].mean()
    slope = (c2 - c1) / M if trend else 0.0
    line = (c1 + c2) / 2 + slope * (np.arange(2 * M) - (2 * M - 1) / 2)
    season = ((row[:M] - line[:M]) + (row[M:2 * M] - line[M:])) / 2
    return line[-1], slope, season


@pytest.mark.parametrize("kind", ["season", "seasonal_poisson", "level"])
def test_holt_winters_default_initial_states(kind):
    row = _series(kind, 12)[3:]
    level0, slope0, season0 = _two_season_states(row)
    assert abs(season0.sum()) < 1e-9
    fit = holt_winters(row[None], H, alpha=0.25, beta=0.1, gamma=0.15, phi=0.9)
    ref = _fit(_sm(row[2 * M:], trend="add", damped=True, seasonal="add",
                   initial_level=level0, initial_trend=slope0, initial_seasonal=season0),
               smoothing_level=0.25, smoothing_trend=0.1, smoothing_seasonal=0.15,
               damping_trend=0.9)
    assert np.isnan(fit.fitted[0, :2 * M]).all()
    np.testing.assert_allclose(fit.fitted[0, 2 * M:], ref.fittedvalues, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(fit.mean[0], _seasonal_forecast(ref, H, 0.9), rtol=TOL, atol=TOL)


def test_holt_winters_forecast_uses_latest_seasonal_index():
    # a perfectly periodic series: every seasonal index is exact, forecasts repeat the week
    week = np.array([5.0, 6.0, 7.0, 8.0, 9.0, 2.0, 1.0])
    fit = holt_winters(np.tile(week, 5)[None, 3:], 2 * M, alpha=0.3, gamma=0.2, trend=None)
    np.testing.assert_allclose(fit.mean[0], np.tile(week, 2), atol=1e-12)  # 35 = 5 weeks


# ----------------------------------------------------------------------- statsforecast
def test_ses_matches_statsforecast():
    from statsforecast.models import SimpleExponentialSmoothing

    rows = [_series("poisson", 13), _series("walk", 14)[:40], _series("level", 15)[:7]]
    y = _panel(rows)
    alpha = np.array([0.1, 0.5, 0.9])
    ours = ses(y, H, alpha=alpha)
    known = ses(y, H, alpha=alpha, initial_level=[row[0] for row in rows])
    for i, row in enumerate(rows):
        ref = SimpleExponentialSmoothing(alpha=alpha[i]).forecast(row, h=H, fitted=True)
        start = T - len(row)
        # statsforecast: level starts at the first value, no forecast for it
        np.testing.assert_allclose(ours.fitted[i, start:], ref["fitted"], rtol=TOL, atol=TOL)
        np.testing.assert_allclose(ours.mean[i], ref["mean"], rtol=TOL, atol=TOL)
        # the same with initial_level = first value given explicitly
        np.testing.assert_allclose(known.mean[i], ref["mean"], rtol=TOL, atol=TOL)
        np.testing.assert_allclose(known.fitted[i, start + 1:], ref["fitted"][1:], rtol=TOL)


# ---------------------------------------------------------------- fitted parameters
def _bounds(*names):
    # statsmodels needs gamma_low <= 1 - alpha_high: alpha capped a hair lower there
    sm_names = {"alpha": "smoothing_level", "beta": "smoothing_trend",
                "gamma": "smoothing_seasonal", "phi": "damping_trend"}
    out = {sm_names[k]: BOUNDS[k] for k in names}
    if "gamma" in names:
        out["smoothing_level"] = (BOUNDS["alpha"][0], 0.9998)
    return out


def _sm_optimised(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit()


@pytest.mark.parametrize("kind", KINDS)
def test_ses_fitted_alpha_is_optimal(kind):
    row = _series(kind, 16)
    fit = ses(row[None], 1)
    ref = _sm_optimised(ExponentialSmoothing(row, initialization_method="known",
                                             initial_level=row[0], bounds=_bounds("alpha")))
    assert _sse(row, fit.fitted[0]) <= ref.sse * (1 + 1e-6)
    assert abs(fit.params["alpha"][0] - ref.params["smoothing_level"]) < 2e-3


@pytest.mark.parametrize("kind", KINDS)
def test_holt_fitted_parameters_are_optimal(kind):
    # same objective as statsmodels on y[2:] with our initial states; statsmodels also
    # imposes beta <= alpha, so its optimum is feasible for us and ours can only be lower
    row = _series(kind, 17)
    fit = holt(row[None], 1)
    ref = _sm_optimised(ExponentialSmoothing(
        row[2:], trend="add", damped_trend=True, initialization_method="known",
        initial_level=row[1], initial_trend=row[1] - row[0],
        bounds=_bounds("alpha", "beta", "phi")))
    assert _sse(row, fit.fitted[0]) <= ref.sse * (1 + 1e-3)
    for name in ("alpha", "beta", "phi"):
        assert BOUNDS[name][0] <= fit.params[name][0] <= BOUNDS[name][1]


@pytest.mark.parametrize("kind", KINDS)
def test_holt_winters_fitted_parameters_are_optimal(kind):
    row = _series(kind, 18)
    level0, slope0, season0 = _two_season_states(row)
    fit = holt_winters(row[None], 1)
    ref = _sm_optimised(ExponentialSmoothing(
        row[2 * M:], trend="add", damped_trend=True, seasonal="add", seasonal_periods=M,
        initialization_method="known", initial_level=level0, initial_trend=slope0,
        initial_seasonal=season0, bounds=_bounds("alpha", "beta", "gamma", "phi")))
    assert _sse(row, fit.fitted[0]) <= ref.sse * (1 + 1e-3)
    a, g = fit.params["alpha"][0], fit.params["gamma"][0]
    assert g <= 1 - a + 1e-12


def test_holt_with_beta_fixed_matches_statsmodels_parameters():
    # with beta fixed, statsmodels' extra beta <= alpha constraint is slack: same optimum
    row = _series("trend", 19)
    fit = holt(row[None], 1, beta=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ExponentialSmoothing(
            row[2:], trend="add", damped_trend=True, initialization_method="known",
            initial_level=row[1], initial_trend=row[1] - row[0],
            bounds=_bounds("alpha", "phi")).fit(smoothing_trend=0.05)
    assert _sse(row, fit.fitted[0]) <= ref.sse * (1 + 1e-6)
    assert abs(fit.params["alpha"][0] - ref.params["smoothing_level"]) < 5e-3
    assert abs(fit.params["phi"][0] - ref.params["damping_trend"]) < 5e-3


def test_panel_fit_equals_series_by_series():
    rows = [_series(k, 20 + i)[: T - 6 * i] for i, k in enumerate(KINDS)]
    y = _panel(rows)
    for kernel in (ses, holt, holt_winters):
        panel = kernel(y, H)
        for i, row in enumerate(rows):
            alone = kernel(row[None], H)
            np.testing.assert_allclose(panel.mean[i], alone.mean[0], rtol=1e-6)
            for name, value in panel.params.items():
                np.testing.assert_allclose(value[i], alone.params[name][0], rtol=1e-6)


@pytest.mark.parametrize("kernel", [ses, holt, holt_winters])
def test_params_round_trip(kernel):
    y = _panel([_series("season", 30), _series("poisson", 31)[:40], np.array([4.0, 6.0])])
    fit = kernel(y, H)
    again = kernel(y, H, **fit.params)
    np.testing.assert_allclose(again.mean, fit.mean, rtol=1e-12)
    np.testing.assert_allclose(again.fitted, fit.fitted, rtol=1e-12)


# -------------------------------------------------------------------------- edge cases
@pytest.mark.parametrize("kernel", [ses, holt, holt_winters])
@pytest.mark.parametrize("value", [0.0, 7.5])
def test_constant_and_zero_series(kernel, value):
    y = np.full((2, 40), value)
    y[1, :10] = np.nan
    fit = kernel(y, H)
    np.testing.assert_allclose(fit.mean, value, atol=1e-12)
    finite = ~np.isnan(fit.fitted)
    np.testing.assert_allclose(fit.fitted[finite], value, atol=1e-12)
    assert finite[0].sum() > 0


@pytest.mark.parametrize("kernel", [ses, holt, holt_winters])
def test_series_of_length_one_and_two(kernel):
    y = _panel([np.arange(30.0), np.array([3.0, 5.0]), np.array([4.0])])
    fit = kernel(y, 2)
    assert np.isfinite(fit.mean).all()
    np.testing.assert_array_equal(fit.mean[2], [4.0, 4.0])  # one value: forecast it
    assert np.isnan(fit.params["alpha"][2])  # not identifiable from one value
    assert 3.0 <= fit.mean[1, 0] <= 5.0  # two values: SES between them
    assert np.isnan(fit.fitted[1:, :-1]).all()


def test_short_series_drop_components():
    y = _panel([_series("season", 40), _series("season", 41)[:2 * M], np.array([1.0, 2.0])])
    fit = holt_winters(y, H)
    assert np.isfinite(fit.params["gamma"][0])
    assert np.isnan(fit.params["gamma"][1:]).all()
    assert np.isfinite(fit.params["beta"][1])
    assert np.isnan(fit.params["beta"][2])
    same = holt(y[1:2], H)  # two seasons exactly: Holt
    np.testing.assert_allclose(fit.mean[1], same.mean[0], rtol=1e-12)


@pytest.mark.parametrize("kernel", [ses, holt, holt_winters])
def test_all_nan_row_gives_nan(kernel):
    y = np.vstack([np.full(30, np.nan), _series("level", 50)[:30]])
    fit = kernel(y, 1)
    assert fit.mean.shape == (2, 1)
    assert fit.fitted.shape == (2, 30)
    assert np.isnan(fit.mean[0]).all()
    assert np.isnan(fit.fitted[0]).all()
    assert all(np.isnan(v[0]) for v in fit.params.values())
    assert np.isfinite(fit.mean[1]).all()


@pytest.mark.parametrize("kernel", [ses, holt, holt_winters])
def test_horizon_one_and_shapes(kernel):
    y = _panel([_series("season", 60), _series("walk", 61)[:50]])
    fit = kernel(y, 1)
    assert fit.mean.shape == (2, 1)
    assert fit.fitted.shape == y.shape
    assert all(v.shape == (2,) for v in fit.params.values())
    np.testing.assert_allclose(fit.mean[:, 0], kernel(y, 5).mean[:, 0], rtol=1e-12)


def test_registered():
    for name in ("ses", "holt", "holt_winters"):
        assert MODELS[name].family == "smoothing"
    assert MODELS["holt"].kernel is holt


# ------------------------------------------------------------------------------ errors
def test_errors():
    y = np.arange(30.0)[None]
    with pytest.raises(ValueError, match="'trend' parameter must be one of"):
        holt_winters(y, 1, trend="mul")
    with pytest.raises(ValueError, match="'phi' parameter is used only with damped=True"):
        holt(y, 1, phi=0.9, damped=False)
    with pytest.raises(ValueError, match="both 'initial_level' and 'initial_trend'"):
        holt(y, 1, initial_level=1.0)
    with pytest.raises(ValueError, match="Give all initial states"):
        holt_winters(y, 1, initial_level=1.0)
    with pytest.raises(ValueError, match=r"'alpha' parameter must lie in \[0, 1\]"):
        ses(y, 1, alpha=1.5)
    with pytest.raises(ValueError, match=r"array of shape \(1,\)"):
        ses(y, 1, alpha=[0.1, 0.2])
    with pytest.raises(ValueError, match="horizon 'h' must be a whole number"):
        ses(y, 0)
    with pytest.raises(ValueError, match="'season_length' parameter must be"):
        holt_winters(y, 1, season_length=1)
    with pytest.raises(ValueError, match="'beta' parameter is not used with trend=None"):
        holt_winters(y, 1, trend=None, beta=0.1)
    gap = y.copy()
    gap[0, 5] = np.nan
    with pytest.raises(DataError, match=r"NaN after a series' first value \(rows 0\)"):
        ses(gap, 1)


def test_ses_given_alpha_fast_path_equals_the_general_recursion():
    """With every alpha given and the default initial level, ses() takes a lean path;
    it must give exactly what the general state-space recursion gives (which the
    statsmodels tests above pin down), padding, one-value and empty rows included."""
    from backorder_analytics.forecasting.smoothing import _as_panel, _ets, _param

    rng = np.random.default_rng(7)
    y = rng.poisson(4.0, size=(40, 60)).astype(float)
    y[:10, :25] = np.nan
    y[20, :] = np.nan
    y[21, :59] = np.nan
    alpha = np.linspace(0.05, 0.95, 40)
    fast = ses(y, 5, alpha=alpha)
    panel, first = _as_panel(y)
    general = _ets(panel, first, 5, None, None, {"alpha": _param(alpha, 40, "alpha")}, None)
    np.testing.assert_allclose(fast.mean, general.mean, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(fast.fitted, general.fitted, rtol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(fast.params["alpha"], alpha)
