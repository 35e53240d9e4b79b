"""The hand-over point forecast -> sample paths, for every model the package registers.

Property: the mean of a SKU's paths is its point forecast (within Monte Carlo error)
in every period, for every model of :data:`MODELS` and for combinations, with and
without top-down reconciliation, on a panel that mixes smooth, trending, erratic,
lumpy and near-zero series of the example dataset. The reference is the point
forecast itself (what the paths are documented to average), never the sampler.

The tolerance is 4 standard errors of the path mean, ``sd / sqrt(n_paths)``, plus
``1e-6 + 1e-5 · |point|`` for float32 rounding: a bootstrap row matches its point
forecast exactly (its paths are moment-matched), a count or quantile row within its
Monte Carlo error.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import backorder_analytics as ba
from backorder_analytics.forecasting import MODELS, ModelSpec, forecast
from backorder_analytics.forecasting.backtest import combination_name
from backorder_analytics.forecasting.baseline import naive
from backorder_analytics.forecasting.global_model import global_gbm
from backorder_analytics.forecasting.probabilistic import (
    bootstrap_sampler,
    censored_mean_match,
)

H = 14
N_PATHS = 2000
SKUS = ["SKU-0038", "SKU-0001", "SKU-0031", "SKU-0020", "SKU-0010", "SKU-0053",
        "SKU-0013"]
"""Erratic (the issue's SKU), smooth, rising and falling with a weekly season (day
means from 15 to 35 and from 11 to 22), lumpy ×2 and near zero (an intermittent SKU
whose smoothing forecasts are about 0.1 a day, where clipping at 0 matters most)."""

COMBINATIONS = [combination_name(("ses", "moving_average")),
                combination_name(("sba_opt", "adida", "imapa")),
                combination_name(("naive", "holt_winters")),
                combination_name(("historic_average", "croston", "holt_winters"))]
"""The two class combinations of ``model="auto"``, one of a random walk and a seasonal
model (ψ of both), and one that mixes a count model with continuous ones (the count
distribution on the combined mean)."""


@pytest.fixture(scope="module")
def example_daily() -> pd.DataFrame:
    """Daily demand of the example dataset to 2025-11-30 (the issue's data)."""
    ds = ba.example_dataset(seed=0)
    y = ba.demand_series(ds, freq="D")
    return y[y["date"] <= "2025-11-30"].reset_index(drop=True)


@pytest.fixture(scope="module")
def panel(example_daily) -> pd.DataFrame:
    """The last 150 days of seven SKUs (:data:`SKUS`)."""
    y = example_daily
    return y[(y["date"] > "2025-07-03") & y["sku"].isin(SKUS)].reset_index(drop=True)


def check_paths_average_the_point(fc) -> None:
    paths = fc.paths().astype(float)
    point = np.maximum(fc.mean, 0.0)  # demand paths are >= 0 (see probabilistic.py)
    n = paths.shape[1]
    mean = paths.mean(axis=1)
    se = paths.std(axis=1) / np.sqrt(n)
    tol = 4 * se + 1e-6 + 1e-5 * point
    bad = np.abs(mean - point) > tol
    if bad.any():
        i, j = np.argwhere(bad)[0]
        ratio = mean[bad].sum() / max(point[bad].sum(), 1e-12)
        raise AssertionError(
            f"{bad.sum()} of {bad.size} (SKU, period) cells: path mean off the point "
            f"forecast (first: {fc.skus[i]} ({fc.model_.iloc[i]}), period {j + 1}: path "
            f"mean {mean[i, j]:.4f}, point {point[i, j]:.4f}, tolerance {tol[i, j]:.4f}; "
            f"ratio over the bad cells {ratio:.3f})")
    # the reported quantiles are those of the same distribution: non-decreasing
    q = fc.quantile_values
    assert (np.diff(q, axis=1) >= -1e-6 * (1 + np.abs(q[:, 1:]))).all()


SMALL_GBM = {"max_iter": 15, "max_rows": 3_000}
"""A small, fast booster for ``global_gbm``: the property does not depend on its
accuracy."""


@pytest.fixture
def small_gbm(monkeypatch):
    """``MODELS["global_gbm"]`` with :data:`SMALL_GBM` settings (``functools.wraps``
    keeps the signature the facade inspects)."""

    @functools.wraps(global_gbm)
    def kernel(y, h, **kw):
        return global_gbm(y, h, **SMALL_GBM, **kw)

    spec = MODELS["global_gbm"]
    monkeypatch.setitem(MODELS, "global_gbm", ModelSpec(spec.name, kernel, spec.family,
                                                        spec.description))


@pytest.mark.parametrize("reconcile", [False, True], ids=["raw", "reconciled"])
@pytest.mark.parametrize("model", [*MODELS, *COMBINATIONS])
def test_path_mean_is_the_point_forecast(panel, small_gbm, model, reconcile):
    fc = forecast(panel, H, model=model, reconcile=reconcile, n_paths=N_PATHS,
                  quantiles=(0.1, 0.5, 0.8, 0.9, 0.95))
    if reconcile:  # the factor is away from 1 on this panel (1 for the zero forecast)
        assert fc.reconciliation_.applied
        assert model == "zero" or abs(fc.reconciliation_.factor - 1) > 0.01
    check_paths_average_the_point(fc)


# ---------------------------------------------------------------------------
# the case: SKU-0038 with model="auto", reconciled and not
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def auto_forecasts(example_daily):
    """``model="auto"`` on the 60 SKUs, not reconciled and reconciled."""
    return (forecast(example_daily, 28, model="auto", reconcile=False),
            forecast(example_daily, 28, model="auto", reconcile=True))


def test_reconciled_paths_of_sku_0038_scale_with_the_forecast(auto_forecasts):
    """Reconciliation multiplies the forecast by c (about 0.97 here): the paths must
    follow, not explode. Before the fix the ψ weights summed to 42.5 (the scaling of
    the mean leaked into the impulse response), the path sd grew from 46 on day 1 to
    281 on day 28 and the paths averaged 154 a day against a point forecast of 45.5."""
    raw, rec = auto_forecasts
    assert rec.reconciliation_.applied
    c = rec.reconciliation_.factor
    i = raw.skus.get_loc("SKU-0038")
    np.testing.assert_allclose(rec.mean[i], c * raw.mean[i], rtol=1e-12)
    np.testing.assert_allclose(rec.sampler.psi[i], raw.sampler.psi[i], atol=1e-9)
    p_raw = raw.paths(skus=["SKU-0038"])[0].astype(float)
    p_rec = rec.paths(skus=["SKU-0038"])[0].astype(float)
    # the model's paths times c (the same random stream), so c times the spread
    np.testing.assert_allclose(p_rec, c * p_raw, rtol=1e-5, atol=1e-4)
    sd_raw, sd_rec = p_raw.std(axis=0), p_rec.std(axis=0)
    assert sd_rec[27] == pytest.approx(c * sd_raw[27], rel=1e-4)  # was 281 against 47
    for fc, paths in ((raw, p_raw), (rec, p_rec)):
        se = paths.std(axis=0) / np.sqrt(len(paths))
        np.testing.assert_array_less(np.abs(paths.mean(axis=0) - fc.mean[i]), 4 * se)
        q = fc.quantile_values[i]
        assert (q[0] <= fc.mean[i]).all()  # the fan straddles the mean
        assert (fc.mean[i] <= q[-1]).all()


def test_no_sku_has_paths_far_above_its_forecast(auto_forecasts):
    """The issue's count: 15 of 60 SKUs had path means above 1.3 times the forecast
    (up to 3.4 times). Now every SKU's paths, summed over the horizon, average its
    forecast within 4 standard errors."""
    fc = auto_forecasts[1]
    total = fc.paths(2000).astype(float).sum(axis=2)  # (sku, path)
    expected = fc.mean.sum(axis=1)
    assert (total.mean(axis=1) < 1.3 * expected).all()
    se = total.std(axis=1) / np.sqrt(total.shape[1])
    np.testing.assert_array_less(np.abs(total.mean(axis=1) - expected), 4 * se + 1e-6)


# ---------------------------------------------------------------------------
# the moment matching after clipping at 0
# ---------------------------------------------------------------------------


def brent_shift(values: np.ndarray, target: float) -> float:
    """The δ with ``mean(max(values + δ, 0)) = target`` by Brent's method (an
    independent reference for the sampler's Newton solver)."""
    def gap(d):
        return np.maximum(values + d, 0).mean() - target

    start = target - values.mean()
    if gap(start) <= 0:  # no path reaches 0: the plain shift
        return start
    return optimize.brentq(gap, -values.max(), start, xtol=1e-13)


@pytest.mark.parametrize("n", [1, 2, 7, 500])
def test_censored_mean_match_against_brent(n):
    rng = np.random.default_rng(n)
    x = np.concatenate([rng.normal(0.0, 3.0, (4, n, 3)),              # symmetric
                        rng.exponential(5.0, (4, n, 3)) - 1.0,          # skewed, near 0
                        rng.normal(50.0, 1.0, (1, n, 3))]).astype(np.float32)
    target = np.concatenate([rng.uniform(0.01, 4.0, (8, 3)), np.full((1, 3), 50.0)])
    target[0, 0], target[1, 1], target[2, 2] = 0.0, -1.0, np.nan  # paths of 0
    got = censored_mean_match(x, target)
    assert got.dtype == np.float32
    assert got.min() >= 0
    for i, j in np.ndindex(target.shape):
        if not target[i, j] > 0:
            assert (got[i, :, j] == 0).all()
            continue
        values = x[i, :, j].astype(float)
        expected = np.maximum(values + brent_shift(values, target[i, j]), 0)
        np.testing.assert_allclose(got[i, :, j], expected, rtol=1e-5, atol=1e-5)
        assert got[i, :, j].astype(float).mean() == pytest.approx(target[i, j], rel=1e-5)


def test_a_forecast_below_zero_gets_paths_of_zero():
    """A trend extrapolated below 0 (here by hand): demand paths of 0, the nearest
    distribution of demand to that forecast."""
    y = np.array([[5.0, 4.0, 6.0, 3.0, 5.0, 4.0]])
    fit = naive(y, 3)
    fit.mean = np.array([[2.0, -1.0, -3.0]])
    paths = bootstrap_sampler(y, fit, naive, 3).sample(1000, seed=0)[0].astype(float)
    assert paths.mean(axis=0)[0] == pytest.approx(2.0, rel=1e-6)
    assert (paths[:, 1:] == 0).all()


@pytest.mark.parametrize("model", ["ses", "historic_average", "holt", "sba"])
def test_intermittent_counts_have_demand_on_as_many_days_as_the_process(model):
    """Lumpy compound-Poisson days (λ = 0.15 lines a day, sizes 1 + NegBin(0.5) of
    mean m = 15): whatever the model, the paths have the process's days with demand
    per unit, (1 − e^(−λ)) / (λ m), so each such day its mean λ m / (1 − e^(−λ))
    units; the level (how many units) is the model's. (A residual bootstrap gave SES
    and the historic average about twice the days, each half as big.)"""
    rate, mean_size, k, days = 0.15, 15.0, 0.5, 3000
    rng = np.random.default_rng(5)
    n = rng.poisson(rate, days)
    sizes = 1 + rng.negative_binomial(k, k / (k + mean_size - 1), n.sum())
    y = np.bincount(np.repeat(np.arange(days), n), sizes, days)
    frame = pd.DataFrame({"sku": "L", "date": pd.date_range("2020-01-01", periods=days),
                          "demand": y})
    paths = forecast(frame, 28, model=model, quantiles=(), seed=0).paths(4000)[0]
    units_per_day = rate * mean_size / (1 - np.exp(-rate))
    assert paths.sum() / (paths > 0).sum() == pytest.approx(units_per_day, rel=0.1)
    np.testing.assert_array_equal(paths, np.round(paths))
