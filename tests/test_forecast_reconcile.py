"""Tests of top-down reconciliation (backorder_analytics.forecasting.reconcile) and of
``forecast(reconcile=...)``.

Expected values are hand-computed, or the known mean of the simulated demand (a common
linear decline); the carparts effect is in test_forecast_core.py::test_carparts_auto.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backorder_analytics.forecasting import BacktestResult, forecast
from backorder_analytics.forecasting.backtest import fit_model, model_spec, season_length
from backorder_analytics.forecasting.base import KernelFit
from backorder_analytics.forecasting.core import ForecastPass
from backorder_analytics.forecasting.global_model import GlobalFit
from backorder_analytics.forecasting.panel import Panel, to_panel
from backorder_analytics.forecasting.reconcile import (
    TOTAL_MODELS,
    Reconciliation,
    forecast_total,
    reconciliation_factor,
    scale_fit,
    total_panel,
)

H = 6


def long_frame(values: np.ndarray, start: str, freq: str) -> pd.DataFrame:
    n, t = values.shape
    dates = pd.date_range(start, periods=t, freq=freq)
    return pd.DataFrame({"sku": np.repeat([f"S{i:03d}" for i in range(n)], t),
                         "date": np.tile(dates, n), "demand": values.reshape(-1)})


def declining(n_sku: int = 200, t_len: int = 60, seed: int = 3):
    """Intermittent SKUs whose common rate falls linearly: λ_t = 1.2·(1 − t/100) per
    SKU-period; returns the long frame and the true mean per period of the next H."""
    rng = np.random.default_rng(seed)
    t = np.arange(t_len + H)
    rate = 1.2 * (1 - t / 100)
    y = rng.poisson(np.broadcast_to(rate, (n_sku, t_len + H)))
    frame = long_frame(y[:, :t_len], start="2020-01-01", freq="MS")
    return frame, rate[t_len:]


def panel_of(values, freq="MS") -> Panel:
    values = np.atleast_2d(np.asarray(values, dtype=float))
    n, t = values.shape
    return Panel(skus=pd.Index([f"S{i}" for i in range(n)]),
                 dates=pd.date_range("2020-01-01", periods=t, freq=freq),
                 values=values, freq=freq)


# ---------------------------------------------------------------------------
# the pieces, by hand
# ---------------------------------------------------------------------------


def test_factor_by_hand():
    # two SKUs forecast 2 and 6 a period; the total is forecast at 6: factor 6·2 / 16
    sku = np.array([[2.0, 2.0], [6.0, 6.0]])
    assert reconciliation_factor(np.array([6.0, 6.0]), sku) == pytest.approx(0.75)
    # a SKU without a forecast (NaN) is left out of the sum
    with_nan = np.array([[2.0, 2.0], [np.nan, np.nan]])
    assert reconciliation_factor(np.array([2.0, 2.0]), with_nan) == pytest.approx(1.0)
    # SKUs forecasting no demand: nothing to scale
    assert reconciliation_factor(np.array([5.0]), np.zeros((3, 1))) == 1.0


def test_total_panel_sums_skus_and_keeps_missing_start():
    p = panel_of([[np.nan, np.nan, 1, 2], [np.nan, 3, 0, 4]])
    total = total_panel(p)
    np.testing.assert_array_equal(total.values, [[np.nan, 3, 1, 6]])
    np.testing.assert_array_equal(total_panel(p, upto=3).values, [[np.nan, 3, 1]])
    assert list(total.skus) == ["total"]


def test_scale_fit_scales_mean_and_own_quantiles_only():
    fit = KernelFit(mean=np.array([[4.0, 2.0]]), fitted=np.array([[1.0, 2.0, 3.0]]),
                    params={"alpha": np.array([0.3])})
    out = scale_fit(fit, 0.5)
    np.testing.assert_array_equal(out.mean, [[2.0, 1.0]])
    np.testing.assert_array_equal(out.fitted, fit.fitted)
    assert out.params["alpha"][0] == 0.3
    own = GlobalFit(mean=fit.mean, fitted=fit.fitted, params={},
                    quantiles={0.9: np.array([[10.0, 8.0]])})
    out = scale_fit(own, 0.5)
    assert isinstance(out, GlobalFit)
    np.testing.assert_array_equal(out.quantiles[0.9], [[5.0, 4.0]])


def test_forecast_total_is_the_chosen_model_on_the_total():
    frame, _ = declining(n_sku=50)
    p = to_panel(frame)
    total, name = forecast_total(p, H)
    assert name in TOTAL_MODELS
    ref = fit_model(model_spec(name), total_panel(p).values, H, season_length(p.freq))
    np.testing.assert_allclose(total, np.maximum(ref.mean[0], 0))


def test_forecast_total_of_the_first_periods_only():
    frame, _ = declining(n_sku=50)
    p = to_panel(frame)
    head = Panel(skus=p.skus, dates=p.dates[:40], values=p.values[:, :40], freq=p.freq)
    np.testing.assert_array_equal(forecast_total(p, H, upto=40)[0], forecast_total(head, H)[0])


def test_forecast_total_rejects_bad_windows():
    with pytest.raises(ValueError, match="windows"):
        forecast_total(panel_of([[1, 2, 3, 4] * 10]), H, windows=0)


def test_forecast_total_falls_back_on_short_history():
    total, name = forecast_total(panel_of([[1, 2, 3, 4], [0, 1, 0, 1]]), H)
    assert name == "ses"
    assert total.shape == (H,)
    assert (total >= 0).all()


# ---------------------------------------------------------------------------
# forecast(reconcile=...)
# ---------------------------------------------------------------------------


def test_reconcile_true_scales_every_sku_by_one_factor():
    frame, _ = declining(n_sku=40)
    raw = forecast(frame, horizon=H, model="ses", quantiles=(), reconcile=False)
    rec = forecast(frame, horizon=H, model="ses", quantiles=(), reconcile=True)
    assert raw.reconciliation_ is None
    r = rec.reconciliation_
    assert isinstance(r, Reconciliation)
    assert r.applied
    np.testing.assert_allclose(rec.mean, raw.mean * r.factor)
    # the SKUs now add up to the forecast of the total, over the horizon
    assert rec.mean.sum() == pytest.approx(r.total_forecast.sum())
    assert "reconciled to the total" in repr(rec)


def test_single_named_model_is_not_reconciled_by_default():
    frame, _ = declining(n_sku=20)
    fc = forecast(frame, horizon=H, model="ses", quantiles=())
    assert fc.reconciliation_ is None


def test_one_sku_is_never_reconciled():
    frame, _ = declining(n_sku=1)
    assert forecast(frame, horizon=H, model="ses", reconcile=True).reconciliation_ is None


def test_bad_reconcile_value():
    frame, _ = declining(n_sku=5)
    with pytest.raises(ValueError, match="'reconcile' parameter"):
        forecast(frame, horizon=H, model="ses", reconcile="yes")


def test_auto_reconciles_a_common_decline_and_gets_closer_to_the_true_mean():
    frame, true_rate = declining()
    raw = forecast(frame, horizon=H, model="auto", quantiles=(), reconcile=False)
    rec = forecast(frame, horizon=H, model="auto", quantiles=())
    r = rec.reconciliation_
    assert r.applied, r
    assert r.factor < 1  # the SKU models, flat, over-forecast a falling demand
    table = r.backtest
    assert len(table) == 3
    assert (table["rmsse_reconciled"] < table["rmsse_raw"]).all()
    true_total = true_rate.sum() * len(rec.skus)
    assert abs(rec.mean.sum() - true_total) < abs(raw.mean.sum() - true_total) / 2
    np.testing.assert_array_equal(rec.model_, raw.model_)  # same choice, scaled


def test_auto_guard_keeps_raw_forecasts_that_the_backtest_says_are_better():
    # Raw backtest forecasts equal to the outcomes score RMSSE 0: any factor other
    # than 1 is worse, so the guard must refuse it.
    frame, _ = declining(n_sku=30)
    p = to_panel(frame)
    starts = np.array([42, 48, 54])
    perfect = np.stack([p.values[:, s:s + H] for s in starts])
    bt = BacktestResult(frame=pd.DataFrame(), horizon=H, windows=3, step=H,
                        means={"m": (np.arange(len(p.skus)), perfect)}, starts=starts)
    chosen = pd.Series("m", index=p.skus)
    mean = np.full((len(p.skus), H), 2.0)  # far above the falling total: factor < 1
    run = ForecastPass.start(p, H, model=["ses", "naive"], windows=3)
    run.bt, run.chosen, run.mean, run.reconcile = bt, chosen, mean, "auto"
    r = run.reconciliation()
    assert not r.applied
    assert r.factor < 1
    assert (r.backtest["rmsse_raw"] == 0).all()
    assert "not better" in r.reason


def test_reconciled_count_distribution_follows_the_scaled_mean():
    frame, _ = declining(n_sku=30)
    fc = forecast(frame, horizon=H, model="sba", quantiles=(0.5, 0.9), reconcile=True,
                  n_paths=4000)
    paths = fc.paths()
    assert np.array_equal(paths, np.round(paths))  # still counts
    se = paths.std(axis=1) / np.sqrt(paths.shape[1])
    assert (np.abs(paths.mean(axis=1) - fc.mean) <= 4 * se + 1e-9).all()


def test_report_says_what_reconciliation_did():

    from backorder_analytics.report.sections.demand import reconciliation_note

    assert reconciliation_note(None) == ""
    done = Reconciliation(True, 0.75, "holt", np.ones(3), "backtest RMSSE 0.5 against 0.6")
    assert "scaled by 0.750" in reconciliation_note(done)
    done.applied = False
    assert "not applied" in reconciliation_note(done)
