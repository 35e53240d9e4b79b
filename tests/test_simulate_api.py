"""simulate(): the public face, results, demand and lead-time sources."""

from __future__ import annotations

import importlib.util

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import backorder_analytics as ba
from backorder_analytics.simulation import (
    BaseStock,
    BootstrapDemand,
    ForecastDemand,
    MinMax,
    OrderUpTo,
    PoissonDemand,
    ReorderPoint,
    SimulationResult,
    draw_lead_times,
    run_fifo,
    simulate,
)
from backorder_analytics.simulation.base import DemandStream
from backorder_analytics.simulation.metrics import time_averages

matplotlib.use("Agg")

HAS_EVENTS = importlib.util.find_spec("backorder_analytics.simulation.events") is not None


@pytest.fixture(scope="module")
def sim() -> SimulationResult:
    return simulate(BaseStock(25), PoissonDemand(rate=5.0), lead_time=4.0, days=400,
                    n_reps=5, seed=0, warmup=10.0)


@pytest.fixture(scope="module")
def dataset():
    return ba.example_dataset(seed=0)


# ----------------------------------------------------------------- result object


def test_summary_shape_and_confidence_intervals(sim):
    s = sim.summary
    assert list(s.columns) == ["metric", "mean", "std", "ci_low", "ci_high", "n_reps"]
    assert list(s["metric"]) == list(sim.per_rep.columns)
    for name in ("fill_rate", "line_fill_rate", "cycle_service_level", "expected_backorders",
                 "average_on_hand", "expected_wait", "expected_wait_backordered",
                 "wait_p50", "wait_p90", "wait_p95", "wait_p99", "p_wait_gt_1",
                 "p_wait_gt_30", "cancelled_lines", "cancelled_units"):
        assert name in set(s["metric"])
    row = s.set_index("metric").loc["fill_rate"]
    per = sim.per_rep["fill_rate"]
    half = stats.t.ppf(0.975, len(per) - 1) * per.std(ddof=1) / np.sqrt(len(per))
    assert row["mean"] == pytest.approx(per.mean())
    assert row["std"] == pytest.approx(per.std(ddof=1))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((per.mean() - half,
                                                             per.mean() + half))
    assert sim.to_frame() is sim.summary
    assert len(sim.per_rep) == 5
    assert sim.per_rep.index.name == "rep"


def test_waits_frame_and_warmup(sim):
    w = sim.waits
    assert list(w.columns) == ["rep", "time", "qty", "served_at_once", "wait"]
    assert w["time"].min() >= 10.0
    assert len(w) == sim.per_rep["lines"].sum()
    served = w["served_at_once"] == w["qty"]
    assert (w.loc[served, "wait"] == 0).all()
    assert (w.loc[~served & w["wait"].notna(), "wait"] > 0).all()


def test_repr_html_and_plot(sim):
    text = repr(sim)
    assert text.startswith("SimulationResult(BaseStock(S=25), 5 reps × 400 days")
    assert "fill 0." in text
    assert "E[W]" in text
    assert "engine fifo" in text
    assert "<table" in sim._repr_html_()
    ax = sim.plot()
    assert ax.get_xlabel() == "wait [days]"
    import matplotlib.pyplot as plt

    _, ax2 = plt.subplots()
    assert sim.plot(ax=ax2) is ax2
    plt.close("all")
    t, surv = sim.wait_survival()
    assert t[0] == 0
    assert np.all(np.diff(surv) <= 0)
    assert surv[-1] == 0


def test_design_example():
    res = simulate(policy=BaseStock(25), demand=PoissonDemand(rate=5.0), lead_time=4.0,
                   days=3650, n_reps=20, seed=0)
    assert res.engine == "fifo"
    assert 0.82 < res.metric("fill_rate") < 0.87


def test_metric_lookup_error(sim):
    with pytest.raises(KeyError, match="No metric 'fill'"):
        sim.metric("fill")


def test_time_averages_agree_with_engine_areas():
    d = PoissonDemand(2.0, size=3).generate(3, 200.0, np.random.default_rng(0))
    res = run_fifo(d, ReorderPoint(4, 6), np.random.default_rng(1).exponential(3, (3, 400)))
    on, bo = time_averages(d, res, 10)
    np.testing.assert_allclose(on, res.on_hand_area / 200.0)
    np.testing.assert_allclose(bo, res.backorder_area / 200.0)


def test_one_replication_has_no_interval():
    res = simulate(BaseStock(5), PoissonDemand(1.0), 2.0, days=100, n_reps=1)
    row = res.summary.set_index("metric").loc["fill_rate"]
    assert np.isnan(row["ci_low"])
    assert np.isnan(row["std"])


# ----------------------------------------------------------------- common random numbers


def test_common_random_numbers_across_policies():
    a = simulate(BaseStock(5), PoissonDemand(3.0), stats.expon(scale=2), days=300,
                 n_reps=3, seed=7)
    b = simulate(BaseStock(8), PoissonDemand(3.0), stats.expon(scale=2), days=300,
                 n_reps=3, seed=7)
    np.testing.assert_array_equal(a.demand.time, b.demand.time)
    np.testing.assert_array_equal(a.raw.order_received - a.raw.order_placed,
                                  b.raw.order_received - b.raw.order_placed)
    assert b.metric("fill_rate") > a.metric("fill_rate")
    # a higher base stock can never serve fewer lines at once, line by line
    assert np.all(b.raw.served_at_once >= a.raw.served_at_once)


def test_draw_lead_times_prefix_property_and_sources(dataset):
    rng = np.random.default_rng
    for source in (3.0, stats.gamma(2.0, scale=1.5), np.array([1.0, 2.0, 7.5])):
        short = draw_lead_times(source, 4, 10, rng(3))
        long = draw_lead_times(source, 4, 1000, rng(3))
        assert short.shape == (4, 10)
        assert long.shape == (4, 1000)
        np.testing.assert_array_equal(short, long[:, :10])
    pool = draw_lead_times(np.array([1.0, 2.0, 7.5]), 4, 1000, rng(3))
    assert set(np.unique(pool)) == {1.0, 2.0, 7.5}
    lt = ba.fit_lead_times(dataset.purchase_orders)
    a = draw_lead_times(lt, 5, 4000, rng(0), group="SUP-A")
    b = draw_lead_times(lt, 5, 4000, rng(0), group="SUP-E")
    assert a.mean() == pytest.approx(lt.distribution("SUP-A").mean(), rel=0.05)
    assert b.mean() == pytest.approx(lt.distribution("SUP-E").mean(), rel=0.05)
    with pytest.raises(ValueError, match="'group' parameter is needed"):
        draw_lead_times(lt, 2, 3, rng(0))
    with pytest.raises(ValueError, match="group.*LeadTimeModel"):
        draw_lead_times(2.0, 2, 3, rng(0), group="SUP-A")
    with pytest.raises(ValueError, match=">= 0"):
        draw_lead_times(stats.norm(0, 1), 2, 50, rng(0))
    with pytest.raises(TypeError, match="lead_time"):
        draw_lead_times(np.ones((2, 2)), 2, 3, rng(0))


def test_simulate_with_fitted_lead_times(dataset):
    lt = ba.fit_lead_times(dataset.purchase_orders)
    mean = lt.distribution("SUP-B").mean()
    res = simulate(ReorderPoint(10, 20), PoissonDemand(2.0), lt, days=720, n_reps=4,
                   seed=1, warmup=60, lead_time_group="SUP-B")
    got = res.raw.order_received - res.raw.order_placed
    assert got.mean() == pytest.approx(mean, rel=0.15)
    assert 0 < res.metric("fill_rate") <= 1


def test_simulate_with_scipy_lead_time_distribution():
    res = simulate(BaseStock(25), PoissonDemand(5.0), stats.uniform(2, 4), days=500,
                   n_reps=4, seed=2, warmup=10)
    lt = res.raw.order_received - res.raw.order_placed
    assert lt.min() >= 2
    assert lt.max() <= 6
    assert 0.75 < res.metric("fill_rate") < 0.92


# ----------------------------------------------------------------- demand sources


def test_poisson_demand_with_size_distribution():
    size = stats.geom(0.4)  # 1, 2, 3, … with mean 2.5
    d = PoissonDemand(4.0, size=size).generate(5, 1000.0, np.random.default_rng(0))
    assert isinstance(d, DemandStream)
    assert d.n_reps == 5
    assert d.horizon == 1000.0
    assert d.n_lines / 5000 == pytest.approx(4.0, rel=0.03)
    assert d.qty.mean() == pytest.approx(2.5, rel=0.03)
    assert d.qty.min() >= 1
    b = d.bounds()
    for r in range(5):
        assert np.all(np.diff(d.time[b[r]:b[r + 1]]) >= 0)
    boot = PoissonDemand(1.0, size=[2, 4]).generate(2, 100.0, np.random.default_rng(0))
    assert set(np.unique(boot.qty)) == {2, 4}


@pytest.mark.parametrize(("size", "match"), [
    (stats.poisson(2), "sizes must be >= 1"),
    (stats.norm(3, 1), "discrete"),
    (np.array([[1, 2]]), "'size' must be"),
])
def test_poisson_demand_bad_sizes(size, match):
    with pytest.raises(ValueError, match=match):
        PoissonDemand(1.0, size=size).generate(1, 50.0, np.random.default_rng(0))


def test_poisson_demand_bad_rate():
    with pytest.raises(ValueError, match="'rate' must be a number > 0"):
        PoissonDemand(0.0).generate(1, 10.0, np.random.default_rng(0))


def test_forecast_paths_from_array():
    paths = np.array([[3, 0, 2.5, 1], [0, 4, 0, 0]])
    unit = ForecastDemand(paths).generate(2, 4.0, np.random.default_rng(0))
    assert set(unit.qty.tolist()) == {1}
    per_day = np.bincount((unit.time + unit.rep * 4).astype(int), minlength=8)
    assert per_day.tolist()[:2] == [3, 0]
    assert per_day[3] == 1
    assert per_day.tolist()[4:] == [0, 4, 0, 0]
    assert per_day[2] in (2, 3)  # 2.5 rounds stochastically
    period = ForecastDemand(paths, lines="period").generate(2, 4.0, np.random.default_rng(0))
    assert period.qty.tolist()[:1] == [3]
    assert period.n_lines == 4
    with pytest.raises(ValueError, match="path r"):
        ForecastDemand(paths).generate(3, 4.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="cover 4"):
        ForecastDemand(paths).generate(2, 9.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="'lines' parameter"):
        ForecastDemand(paths, lines="weekly").generate(2, 4.0, np.random.default_rng(0))


def test_forecast_object_as_demand(dataset):
    y = ba.demand_series(dataset.orders, freq="D")
    skus = list(y["sku"].unique()[:2])
    fc = ba.forecast(y[y["sku"].isin(skus)], horizon=90, model="ses", seed=0)
    with pytest.raises(ValueError, match="pass sku="):
        ForecastDemand(fc).generate(3, 90.0, np.random.default_rng(0))
    src = ForecastDemand(fc, sku=skus[0])
    d = src.generate(4, 90.0, np.random.default_rng(0))
    mean_per_day = fc.mean[0].mean()
    assert d.qty.sum() / (4 * 90) == pytest.approx(mean_per_day, rel=0.25)
    res = simulate(BaseStock(int(8 * mean_per_day)), src, 4.0, days=90, n_reps=4, seed=0)
    assert res.engine == "fifo"
    assert 0 < res.metric("fill_rate") <= 1


def test_bootstrap_history():
    hist = np.array([0, 0, 1, 3, 6])
    d = BootstrapDemand(hist, lines="period").generate(3, 400.0, np.random.default_rng(0))
    assert set(np.unique(d.qty)) <= {1, 3, 6}
    assert d.qty.sum() / (3 * 400) == pytest.approx(hist.mean(), rel=0.1)
    res = simulate(OrderUpTo(7.0, 30), hist, 3.0, days=400, n_reps=3, seed=0, warmup=14)
    assert res.engine == "fifo"
    with pytest.raises(ValueError, match="history"):
        BootstrapDemand([-1, 2]).generate(1, 10.0, np.random.default_rng(0))


def test_rate_and_stream_as_demand():
    by_rate = simulate(BaseStock(3), 1.0, 1.0, days=50, n_reps=2, seed=3)
    by_source = simulate(BaseStock(3), PoissonDemand(1.0), 1.0, days=50, n_reps=2, seed=3)
    assert by_rate.per_rep.equals(by_source.per_rep)
    stream = by_rate.demand
    again = simulate(BaseStock(3), stream, 1.0, days=50, n_reps=2, seed=3)
    assert again.per_rep.equals(by_rate.per_rep)
    with pytest.raises(ValueError, match="n_reps=2"):
        simulate(BaseStock(3), stream, 1.0, days=50, n_reps=3)


# ----------------------------------------------------------------- engines and errors


def test_minmax_unit_demand_runs_on_fifo_engine():
    res = simulate(MinMax(3, 8), PoissonDemand(1.5), 2.0, days=300, n_reps=2, seed=0)
    same = simulate(ReorderPoint(3, 5), PoissonDemand(1.5), 2.0, days=300, n_reps=2, seed=0)
    assert res.engine == "fifo"
    assert res.per_rep.equals(same.per_rep)


@pytest.mark.parametrize("kwargs", [{"allocation": "priority"}, {"shipping": "complete"},
                                    {"max_wait_days": 10.0}])
def test_auto_uses_event_engine(kwargs):
    if HAS_EVENTS:
        res = simulate(BaseStock(5), PoissonDemand(1.0), 2.0, days=100, n_reps=2, **kwargs)
        assert res.engine == "events"
    else:
        with pytest.raises(ImportError, match="event engine"):
            simulate(BaseStock(5), PoissonDemand(1.0), 2.0, days=100, n_reps=2, **kwargs)
    with pytest.raises(ValueError, match="engine='fifo' cannot run"):
        simulate(BaseStock(5), PoissonDemand(1.0), 2.0, days=100, n_reps=2, engine="fifo",
                 **kwargs)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"days": 0}, "'days' parameter"),
    ({"n_reps": 0}, "'n_reps' parameter"),
    ({"warmup": 100}, "'warmup' parameter"),
    ({"engine": "fast"}, "'engine' parameter must be one of"),
    ({"allocation": "lifo"}, "'allocation' parameter must be one of"),
    ({"shipping": "whole"}, "'shipping' parameter must be one of"),
    ({"promise_days": (-1,)}, "'promise_days'"),
])
def test_bad_arguments(kwargs, match):
    args = {"policy": BaseStock(5), "demand": PoissonDemand(1.0), "lead_time": 2.0,
            "days": 100, "n_reps": 2} | kwargs
    with pytest.raises(ValueError, match=match):
        simulate(**args)


def test_bad_demand_and_policy_types():
    with pytest.raises(TypeError, match="'demand' parameter"):
        simulate(BaseStock(5), "poisson", 2.0, days=10)
    with pytest.raises(TypeError, match="'policy' parameter"):
        simulate(object(), PoissonDemand(1.0), 2.0, days=10)


def test_per_rep_is_a_dataframe_with_counts(sim):
    assert isinstance(sim.per_rep, pd.DataFrame)
    assert (sim.per_rep["orders"] > 0).all()
    assert (sim.per_rep["cancelled_units"] == 0).all()


def test_no_demand_at_all():
    res = simulate(BaseStock(2), PoissonDemand(1e-4), 2.0, days=20, n_reps=2, seed=0)
    assert (res.per_rep["lines"] == 0).all()
    assert (res.per_rep["average_on_hand"] == 2.0).all()
    assert res.per_rep["fill_rate"].isna().all()
    empty = DemandStream(rep=[], time=[], qty=[], n_reps=2, horizon=10.0)
    for policy in (BaseStock(3), ReorderPoint(5, 2), OrderUpTo(2.0, 3), MinMax(1, 3)):
        out = run_fifo(empty, policy, np.ones((2, 4)))
        assert len(out.order_qty) == 0
        np.testing.assert_array_equal(out.on_hand_area, 10.0 * policy.initial_position())


def test_seed_may_be_a_generator():
    kw = dict(lead_time=2, days=60, n_reps=3)
    a = ba.simulate(ba.BaseStock(5), ba.PoissonDemand(1.0), seed=np.random.default_rng(7), **kw)
    b = ba.simulate(ba.BaseStock(5), ba.PoissonDemand(1.0), seed=np.random.default_rng(7), **kw)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    with pytest.raises(ValueError, match="'seed' parameter must be a whole number >= 0"):
        ba.simulate(ba.BaseStock(5), ba.PoissonDemand(1.0), seed=-1, **kw)
