"""Tests of backorder_analytics.forecast: backtest, forecast (single model, list, auto)
and the carparts acceptance test.

Expected values are hand-computed or come from closed forms; the carparts figures are
checked against every single registered method scored in the same run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics.exceptions import DataError
from backorder_analytics.forecasting import (
    MODELS,
    BacktestResult,
    Forecast,
    backtest,
    forecast,
    lead_time_demand,
    metrics,
)
from backorder_analytics.forecasting.backtest import (
    backtest_panel,
    combination_components,
    fit_model,
    season_length,
)
from backorder_analytics.forecasting.base import ModelSpec
from backorder_analytics.forecasting.core import candidate_models, select_models
from backorder_analytics.forecasting.panel import to_panel
from backorder_analytics.forecasting.probabilistic import PathSampler

QUANTILES = (0.5, 0.8, 0.9, 0.95)


def long_frame(values: np.ndarray, skus=None, start="2024-01-01", freq="D") -> pd.DataFrame:
    values = np.atleast_2d(np.asarray(values, dtype=float))
    n, t = values.shape
    skus = [f"S{i:03d}" for i in range(n)] if skus is None else list(skus)
    dates = pd.date_range(start, periods=t, freq=freq)
    frame = pd.DataFrame({"sku": np.repeat(skus, t), "date": np.tile(dates, n),
                          "demand": values.reshape(-1)})
    return frame.dropna().reset_index(drop=True)


@pytest.fixture(scope="module")
def mixed() -> pd.DataFrame:
    """Smooth Poisson(20) SKUs and intermittent Bernoulli(0.2)×Poisson SKUs."""
    rng = np.random.default_rng(7)
    smooth = rng.poisson(20, size=(6, 120))
    sparse = (rng.random((6, 120)) < 0.2) * (1 + rng.poisson(2, size=(6, 120)))
    return long_frame(np.vstack([smooth, sparse]))


# ---------------------------------------------------------------------------
# backtest
# ---------------------------------------------------------------------------


def test_backtest_hand_computed():
    """Two windows of 3 on one series; RMSSE by hand for naive and zero."""
    y = long_frame([[3, 0, 2, 5, 0, 1, 4, 0, 2, 3, 0, 1]], freq="MS")
    bt = backtest(y, models=["naive", "zero"], horizon=3, windows=2, quantiles=None)
    f = bt.frame.set_index(["model", "window"])
    # window 0: train [3,0,2,5,0,1], test [4,0,2]; scale (9+4+9+25+1)/5 = 9.6
    assert f.loc[("naive", 0), "rmsse"] == pytest.approx(np.sqrt((9 + 1 + 1) / 3 / 9.6))
    assert f.loc[("zero", 0), "rmsse"] == pytest.approx(np.sqrt((16 + 0 + 4) / 3 / 9.6))
    # window 1: train adds [4,0,2], test [3,0,1]; scale 77/8
    assert f.loc[("naive", 1), "rmsse"] == pytest.approx(np.sqrt((1 + 4 + 1) / 3 / (77 / 8)))
    assert f.loc[("naive", 1), "mae"] == pytest.approx(4 / 3)
    assert f.loc[("zero", 1), "bias"] == pytest.approx(-(4 / 3) / (17 / 9))
    assert list(f.loc["naive"]["origin"]) == list(pd.to_datetime(["2024-07-01", "2024-10-01"]))
    assert bt.best("rmsse").loc["S000"] == "naive"
    assert bt.summary.index[0] == "naive"


def test_backtest_quantile_scores_and_result_api(mixed):
    bt = backtest(mixed, models=["moving_average", "zero", "croston"], horizon=7, windows=2,
                  step=5, quantiles=(0.5, 0.9), n_paths=100)
    assert isinstance(bt, BacktestResult)
    assert len(bt.frame) == 12 * 3 * 2
    assert {"spl", "pinball", "below_q0.5", "below_q0.9"} <= set(bt.frame.columns)
    assert bt.frame["origin"].nunique() == 2
    first, second = sorted(bt.frame["origin"].unique())
    assert second - first == pd.Timedelta(days=5)
    assert second == pd.Timestamp("2024-01-01") + pd.Timedelta(days=120 - 7)
    assert set(bt.scores("rmsse").columns) == {"moving_average", "zero", "croston"}
    assert bt.best("rmsse").isin(["moving_average", "zero", "croston"]).all()
    # the zero forecast is a point mass at 0, consistent with its mean: every
    # Poisson(20) outcome lies above its 0.9-quantile
    below = bt.frame.query("model == 'zero' and sku < 'S006'")["below_q0.9"]
    assert below.mean() == 0.0
    mean_only = bt.frame.query("model == 'zero' and sku < 'S006'")["bias"]
    np.testing.assert_allclose(mean_only, -1.0, atol=0.4)
    assert "BacktestResult(12 SKUs" in repr(bt)
    assert "<table" in bt._repr_html_()


def test_backtest_plot(mixed):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    bt = backtest(mixed, models=["naive", "zero"], horizon=7, windows=1, quantiles=None)
    ax = bt.plot()
    assert len(ax.patches) == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"models": ["nope"]}, "Unknown model 'nope'"),
        ({"models": ["zero"], "windows": 50}, "too few for 50 windows"),
        ({"models": ["zero"], "horizon": 0}, "'horizon' parameter must be a whole number"),
        ({"models": ["zero"], "quantiles": (0.5, 1.0)}, "strictly between 0 and 1"),
    ],
)
def test_backtest_errors(mixed, kwargs, match):
    kwargs = {"horizon": 7, **kwargs}
    with pytest.raises(ValueError, match=match):
        backtest(mixed, **kwargs)


def test_backtest_bad_frame():
    with pytest.raises(DataError, match="no column 'demand'"):
        backtest(pd.DataFrame({"sku": ["a"], "date": [pd.Timestamp("2024-01-01")]}))
    with pytest.raises(TypeError, match="'y' parameter must be a pandas DataFrame"):
        backtest(np.zeros((2, 3)))


# ---------------------------------------------------------------------------
# forecast
# ---------------------------------------------------------------------------


def test_forecast_single_model_frame_and_paths(mixed):
    fc = forecast(mixed, horizon=5, model="moving_average", quantiles=QUANTILES, n_paths=400)
    assert isinstance(fc, Forecast)
    frame = fc.to_frame()
    assert list(frame.columns) == ["sku", "date", "model", "mean", "q0.5", "q0.8", "q0.9",
                                   "q0.95"]
    assert len(frame) == 12 * 5
    assert (frame["model"] == "moving_average").all()
    assert frame["date"].min() == pd.Timestamp("2024-01-01") + pd.Timedelta(days=120)
    values = mixed.pivot(index="sku", columns="date", values="demand").to_numpy()
    np.testing.assert_allclose(fc.mean[:, 0], values[:, -7:].mean(axis=1))
    qs = frame[["q0.5", "q0.8", "q0.9", "q0.95"]].to_numpy()
    assert (np.diff(qs, axis=1) >= -1e-9).all()
    paths = fc.paths()
    assert paths.shape == (12, 400, 5)
    assert (paths >= 0).all()
    # smooth SKUs (residual bootstrap): the quantiles are those of the default paths;
    # the intermittent ones are counts (the count distribution whatever the model)
    counted = fc.sampler.count
    np.testing.assert_array_equal(counted, np.arange(12) >= 6)
    np.testing.assert_allclose(np.quantile(paths[:6], 0.9, axis=1),
                               fc.quantile_values[:6, 2, :], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(paths[6:], np.round(paths[6:]))
    np.testing.assert_array_equal(fc.paths(50, seed=3), fc.paths(50, seed=3))
    assert not np.array_equal(fc.paths(50, seed=3), fc.paths(50, seed=4))
    sub = fc.paths(50, seed=3, skus=["S007", "S001"])
    np.testing.assert_array_equal(sub, fc.paths(50, seed=3)[[7, 1]])
    long = fc.paths(3, as_frame=True)
    assert list(long.columns) == ["sku", "path", "date", "demand"]
    assert len(long) == 12 * 3 * 5


@pytest.mark.parametrize("model", ["sba", "ses", "zero", "combo(sba+ses)", "auto"])
def test_a_point_forecast_builds_its_distribution_on_first_use(mixed, model):
    """Without quantiles the paths' distribution is built when first needed, and is
    the one a forecast with quantiles builds at once: the same paths, the same
    quantiles from them, for the whole and for a part (``take``)."""
    point = forecast(mixed, horizon=4, model=model, quantiles=(), n_paths=300)
    full = forecast(mixed, horizon=4, model=model, n_paths=300)
    assert not isinstance(point.sampler, PathSampler)  # not built yet
    np.testing.assert_array_equal(point.mean, full.mean)
    part = point.take(["S003", "S010"])
    np.testing.assert_array_equal(part.paths(40, seed=2), full.paths(40, seed=2)[[3, 10]])
    np.testing.assert_array_equal(point.paths(), full.paths())
    assert isinstance(point.sampler, PathSampler)
    assert point.to_frame().columns.tolist() == ["sku", "date", "model", "mean"]
    pd.testing.assert_frame_equal(point.to_frame(), full.to_frame()[["sku", "date", "model",
                                                                       "mean"]])


def test_forecast_same_seed_same_numbers(mixed):
    a = forecast(mixed, horizon=4, model="auto", seed=11, n_paths=200)
    b = forecast(mixed, horizon=4, model="auto", seed=11, n_paths=200)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    c = forecast(mixed, horizon=4, model="auto", seed=12, n_paths=200)
    assert not np.array_equal(a.quantile_values, c.quantile_values)


def test_forecast_auto_uses_class_candidates(mixed):
    fc = forecast(mixed, horizon=7, model="auto", n_paths=200)
    assert fc.backtest_ is not None
    classes = fc.classes_["category"].astype(str)
    for sku, model in fc.model_.items():
        assert model in candidate_models(classes[sku])
    tried = fc.backtest_.frame.groupby("sku")["model"].unique()
    for sku in classes.index:
        assert set(tried[sku]) == set(candidate_models(classes[sku]))
    sparse = fc.model_[classes.isin(["intermittent", "lumpy"])]
    assert len(sparse) == 6
    # intermittent SKUs choosing an intermittent model (or a combination of them) get
    # whole-number paths
    paths = fc.paths(100)
    rows = [fc.skus.get_loc(s) for s, m in sparse.items()
            if all(MODELS[c].family == "intermittent" for c in combination_components(m) or (m,))]
    assert np.array_equal(paths[rows], np.round(paths[rows]))
    assert "Forecast(12 SKUs × 7 periods" in repr(fc)
    assert "<table" in fc._repr_html_()


def test_forecast_list_of_models_picks_best_by_backtest():
    """A trend the naive forecast follows and the historic mean cannot."""
    y = long_frame(np.arange(1, 61, dtype=float)[None, :] * [[1.0], [2.0]])
    fc = forecast(y, horizon=3, model=["naive", "historic_average"], windows=2,
                  reconcile=False)
    assert (fc.model_ == "naive").all()
    np.testing.assert_allclose(fc.mean, [[60] * 3, [120] * 3])
    # By default the backtest also tries scaling both to the total's forecast (a
    # trend model sees the rise): better here, so taken, and closer to 61, 62, 63.
    rec = forecast(y, horizon=3, model=["naive", "historic_average"], windows=2)
    assert rec.reconciliation_.applied
    truth = np.array([[61, 62, 63], [122, 124, 126]])
    assert np.abs(rec.mean - truth).sum() < np.abs(fc.mean - truth).sum()


# ---------------------------------------------------------------------------
# forecast combinations
# ---------------------------------------------------------------------------


def rmsse_by_hand(test: np.ndarray, fc: np.ndarray, train: np.ndarray) -> np.ndarray:
    """M5 RMSSE: squared one-step naive differences from each series' first non-zero."""
    out = []
    for y, f, x in zip(test, fc, train, strict=True):
        x = x[np.argmax(x > 0):]
        out.append(np.sqrt(np.mean((y - f) ** 2) / np.mean(np.diff(x) ** 2)))
    return np.array(out)


@pytest.fixture
def counted(monkeypatch):
    """Wrap the registered kernels so that every call on n series is recorded."""
    calls = []

    def wrap(name, kernel):
        def counting(y, h, **kwargs):
            calls.append((name, y.shape[0]))
            return kernel(y, h, **kwargs)
        return counting

    for name, spec in list(MODELS.items()):
        monkeypatch.setitem(MODELS, name, ModelSpec(name, wrap(name, spec.kernel), spec.family,
                                                    spec.description))
    return calls


@pytest.mark.parametrize("parts", [("sba_opt", "adida", "imapa"), ("ses", "moving_average")])
def test_combination_backtest_is_mean_of_components(mixed, counted, parts):
    """The combination's backtest RMSSE is that of the mean of its components'
    forecasts, here computed with the kernels themselves and RMSSE by hand; the
    backtest makes no kernel call for the combination."""
    combo = "combo(" + "+".join(parts) + ")"
    kernels = {m: MODELS[m].kernel for m in parts}  # counting wrappers
    panel = to_panel(mixed)
    h, windows = 7, 2
    bt = backtest_panel(panel, [*parts, combo], h, windows=windows)
    assert len(counted) == len(parts) * windows  # one call per component and window
    frame = bt.frame.query("model == @combo").set_index(["window", "sku"])["rmsse"]
    t_len = panel.values.shape[1]
    for w, origin in enumerate([t_len - 2 * h, t_len - h]):
        train = panel.values[:, :origin]
        test = panel.values[:, origin:origin + h]
        mean = np.mean([kernels[m](train, h).mean for m in parts], axis=0)
        expected = rmsse_by_hand(test, mean, train)
        np.testing.assert_allclose(frame.loc[w].reindex(panel.skus), expected, rtol=1e-10)
    # a combination alone still fits its components, on its rows only
    del counted[:]
    rows = {combo: np.array([1, 3])}
    only = backtest_panel(panel, [combo], h, windows=1, rows=rows)
    assert sorted(counted) == sorted((m, 2) for m in parts)
    assert list(only.frame["sku"]) == list(panel.skus[[1, 3]])


def test_forecast_combination_mean_paths_and_name(mixed):
    """A named combination: the mean of its components' forecasts; whole-number paths
    for an intermittent combination, a bootstrap for a continuous one."""
    values = to_panel(mixed).values
    season = season_length("D")
    fc = forecast(mixed, horizon=5, model="combo(sba_opt+imapa)", n_paths=300)
    assert (fc.model_ == "combo(sba_opt+imapa)").all()
    expected = np.mean([fit_model(MODELS[m], values, 5, season).mean
                        for m in ("sba_opt", "imapa")], axis=0)
    np.testing.assert_allclose(fc.mean, expected, rtol=1e-12)
    paths = fc.paths()
    assert np.array_equal(paths, np.round(paths))
    np.testing.assert_allclose(paths.mean(axis=1)[6:], fc.mean[6:], rtol=0.25, atol=0.1)
    smooth = forecast(mixed, horizon=5, model="combo(ses+naive)", n_paths=300)
    expected = np.mean([fit_model(MODELS[m], values, 5, season).mean
                        for m in ("ses", "naive")], axis=0)
    np.testing.assert_allclose(smooth.mean, expected, rtol=1e-12)
    assert np.isfinite(smooth.quantile_values).all()
    assert not np.array_equal(smooth.paths()[:6], np.round(smooth.paths()[:6]))


def test_forecast_refits_combination_components_only_where_chosen(mixed, counted):
    """After the backtest (one call per component and window, on all 12 SKUs), each
    combination chosen fits its components once on the SKUs that chose it (a
    continuous one once more for ψ); a combination nobody chose is not refitted."""
    names = ["combo(ses+moving_average)", "combo(sba_opt+imapa)"]
    fc = forecast(mixed, horizon=7, model=names, windows=3, quantiles=(0.5,), n_paths=50,
                  reconcile=False)  # the total's own fits are not counted here
    chosen = fc.model_.value_counts()
    assert set(chosen.index) <= set(names)
    for m in names:
        count = int(chosen.get(m, 0))
        for part in combination_components(m):
            sizes = [n for name, n in counted if name == part]
            calls = 2 if MODELS[part].family != "intermittent" else 1
            refit = [count] * calls if count else []
            assert sorted(sizes) == sorted([12] * 3 + refit), (part, sizes)


@pytest.mark.parametrize("name", ["combo(ses)", "combo(ses+nope)", "combo(ses+ses)"])
def test_combination_name_errors(mixed, name):
    with pytest.raises(ValueError, match="a combination such as 'combo"):
        forecast(mixed, horizon=3, model=name)


def test_select_models_shrinkage():
    """shrink=0: per-SKU minimum; shrink=1: the class winner for every SKU."""
    frame = pd.DataFrame({
        "sku": ["a", "a", "b", "b", "c", "c"],
        "model": ["m1", "m2"] * 3,
        "window": 0,
        "rmsse": [1.0, 0.9, 1.0, 2.0, 1.0, 2.0],
        "bias": [0.0, 0.5, 0.0, 0.0, 0.0, 0.0],
    })
    bt = BacktestResult(frame, horizon=1, windows=1, step=1)
    cls = pd.Series("smooth", index=["a", "b", "c"])
    assert select_models(bt, cls, shrink=0).tolist() == ["m2", "m1", "m1"]
    assert select_models(bt, cls, shrink=1).tolist() == ["m1", "m1", "m1"]
    assert select_models(bt, cls, shrink=0, bias_weight=1.0).tolist() == ["m1", "m1", "m1"]


def test_forecast_plot(mixed):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    fc = forecast(mixed, horizon=5, model="naive", quantiles=(0.5, 0.9), n_paths=100)
    ax = fc.plot("S003")
    assert ax.get_title().startswith("S003")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"model": "prophet"}, ValueError, "must be one of"),
        ({"model": "auto", "shrink": 2}, ValueError, "'shrink' parameter must lie in"),
        ({"model": "zero", "horizon": -1}, ValueError, "'horizon' parameter"),
        ({"model": "zero", "quantiles": (0,)}, ValueError, "strictly between"),
    ],
)
def test_forecast_errors(mixed, kwargs, error, match):
    kwargs = {"horizon": 3, **kwargs}
    with pytest.raises(error, match=match):
        forecast(mixed, **kwargs)


def test_forecast_short_and_late_series():
    """A SKU that starts in the last period still gets a (fallback) forecast."""
    y = long_frame([[np.nan] * 29 + [4.0], list(range(30))], freq="D")
    fc = forecast(y, horizon=2, model="ses" if "ses" in MODELS else "naive", n_paths=50)
    assert np.isfinite(fc.mean).all()
    assert np.isfinite(fc.quantile_values).all()


def test_lead_time_demand_from_forecast(mixed):
    fc = forecast(mixed, horizon=10, model="historic_average", n_paths=500)
    ltd = lead_time_demand(fc, lead_time=3.0, n=500, seed=0)
    out = ltd.to_frame()
    assert list(out["sku"]) == list(fc.skus)
    np.testing.assert_allclose(ltd.draws, fc.paths(500, seed=0)[:, :, :3].sum(axis=2),
                               rtol=1e-5)


def test_season_length_by_frequency():
    assert season_length("D") == 7
    assert season_length("W-MON") == 52
    assert season_length("MS") == 12


# ---------------------------------------------------------------------------
# carparts acceptance test
# ---------------------------------------------------------------------------

TRAIN, HORIZON = 45, 6


@pytest.fixture(scope="module")
def carparts(data_dir):
    """The 1,046-series subset: complete, >= 10 non-zero months, demand in both the
    first and the last 15 months; train the first 45 months, test the next 6."""
    raw = pd.read_csv(data_dir / "carparts.csv", parse_dates=["month"]).set_index("month")
    x = raw.to_numpy().T
    nonzero = np.nan_to_num(x) > 0
    keep = (~np.isnan(x).any(axis=1) & (nonzero.sum(axis=1) >= 10)
            & nonzero[:, :15].any(axis=1) & nonzero[:, -15:].any(axis=1))
    assert keep.sum() == 1046
    skus = raw.columns[keep].astype(str)
    x = x[keep]
    train = long_frame(x[:, :TRAIN], skus=skus, start=raw.index[0], freq="MS")
    test = pd.DataFrame(x[:, TRAIN:TRAIN + HORIZON], index=skus)
    return train, test


def randomised_pit(paths: np.ndarray, y: np.ndarray, rng) -> np.ndarray:
    """u = P(Y < y) + V·P(Y = y), V ~ U(0, 1): uniform for a calibrated forecast of a
    discrete outcome (Czado, Gneiting & Held, 2009); for integer counts P(Y < y) is
    F(y − 1)."""
    below = (paths < y[:, None, :]).mean(axis=1)
    at_or_below = (paths <= y[:, None, :]).mean(axis=1)
    return below + rng.random(y.shape) * (at_or_below - below)


@pytest.mark.slow
def test_carparts_auto(carparts, capsys):
    train_frame, test_frame = carparts
    fc = forecast(train_frame, horizon=HORIZON, model="auto", quantiles=QUANTILES, seed=0,
                  n_paths=1000)
    test = test_frame.loc[fc.skus.astype(str)].to_numpy()
    train = fc.history.values

    auto = np.nanmean(metrics.rmsse(test, fc.mean, train))
    single = {}
    season = season_length(fc.history.freq)
    for name, spec in MODELS.items():
        fit = fit_model(spec, train, HORIZON, season)
        single[name] = float(np.nanmean(metrics.rmsse(test, fit.mean, train)))
    picks = fc.model_.value_counts()

    rng = np.random.default_rng(1)
    pit = randomised_pit(fc.paths(), test, rng)
    above = {q: float((pit > q).mean()) for q in QUANTILES}

    spl = np.nanmean(metrics.scaled_pinball_loss(test, fc.quantile_values, QUANTILES, train))
    empirical = np.quantile(train[:, -12:], QUANTILES, axis=1).T[:, :, None]
    empirical = np.repeat(empirical, HORIZON, axis=2)
    spl_empirical = np.nanmean(metrics.scaled_pinball_loss(test, empirical, QUANTILES, train))

    with capsys.disabled():
        print(f"\ncarparts: auto RMSSE {auto:.4f}")
        for name, value in sorted(single.items(), key=lambda kv: kv[1]):
            print(f"  {name:<18} {value:.4f}")
        print("  picks:", picks.to_dict())
        print("  share above q:", {q: round(v, 4) for q, v in above.items()})
        print(f"  scaled pinball: auto {spl:.4f}, empirical last-12 {spl_empirical:.4f}")

    assert auto <= 0.49
    # The acceptance criterion: auto at least as good as the best single method (the
    # zero forecast is not a method a planner can stock to). Auto gets there by
    # top-down reconciliation to the forecast of the total, which its own backtest
    # chose: the parts' demand falls by about a third a year and no per-SKU method sees
    # it. Per-SKU selection alone (reconcile=False) is within noise of IMAPA: printed.
    non_zero_methods = {k: v for k, v in single.items() if k != "zero"}
    best = min(non_zero_methods.values())
    rec = fc.reconciliation_
    raw = forecast(train_frame, horizon=HORIZON, model="auto", quantiles=(), reconcile=False)
    raw_rmsse = np.nanmean(metrics.rmsse(test, raw.mean, train))
    with capsys.disabled():
        print(f"  auto − best single (not zero): {auto - best:+.4f}")
        print(f"  {rec}")
        print(f"  auto without reconciliation: {raw_rmsse:.4f}")
    assert rec is not None
    assert rec.applied
    assert auto <= best
    # shared/data/README.md's reference figures (IMAPA 0.491, SES 0.494, …) scale by
    # the whole training window rather than from the first sale (M5): 0.49 on both.
    whole_window = metrics.naive_scale(train, power=2, from_first_nonzero=False)
    auto_readme = np.nanmean(metrics.rmsse(test, fc.mean, train, scale=whole_window))
    with capsys.disabled():
        print(f"  auto RMSSE on the README's whole-window scale: {auto_readme:.4f}")
    assert auto_readme <= 0.49
    assert picks.index.str.startswith("combo(").any()
    # Calibration band: |share above q − (1 − q)| <= 0.05. Sampling error alone is
    # about ±0.012 (2 s.e. for 6,276 outcomes, q = 0.5) but the outcomes are
    # correlated across SKUs (one market, one decline) and the test half-year is a
    # single period: a shift of a few points is a property of the data, more than 5
    # points would be a miscalibrated method.
    for q in QUANTILES:
        assert abs(above[q] - (1 - q)) <= 0.05, (q, above[q])
    assert spl < spl_empirical


def test_auto_on_a_history_shorter_than_its_backtest_uses_what_fits():
    from backorder_analytics.forecasting.core import candidate_models

    dates = pd.date_range("2024-01-01", periods=40)
    y = pd.DataFrame({"sku": np.repeat(["A", "B"], 40), "date": np.tile(dates, 2),
                      "demand": np.r_[np.tile([1.0, 3.0], 20), np.tile([0.0, 0, 0, 5], 10)]})
    with pytest.warns(UserWarning, match="too few for 3 backtest windows of horizon 28; "
                                         "models chosen on 1"):
        fc = ba.forecast(y, 28, quantiles=())
    assert fc.backtest_ is not None
    y3 = y[y["date"] < dates[3]]
    with pytest.warns(UserWarning, match="no backtest fits"):
        fc = ba.forecast(y3, 28, quantiles=())
    category = fc.classes_["category"]
    assert fc.model_.to_dict() == {s: candidate_models(category[s])[0] for s in ["A", "B"]}
    assert np.isfinite(fc.mean).all()


def test_an_arrow_table_forecasts_like_its_dataframe():
    import pyarrow as pa

    y = pd.DataFrame({"sku": ["A"] * 8, "date": pd.date_range("2024-01-01", periods=8),
                      "demand": [2.0, 0, 3, 1, 0, 2, 4, 1]})
    a = forecast(pa.Table.from_pandas(y), horizon=2, model="ses", quantiles=())
    b = forecast(y, horizon=2, model="ses", quantiles=())
    np.testing.assert_array_equal(a.mean, b.mean)
