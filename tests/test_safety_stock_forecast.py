"""Forecast-driven safety stock: the pieces against independent references, and the
hand-over forecast → safety stock (issue 11, item 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics.planning import safety_stock as sst
from backorder_analytics.simulation.crn import demand_lines, replenishment_orders

# ------------------------------------------------------------- reference policies


def reference_rq_orders(t, q, line_start, q_order, u, sched):
    """(r(t), Q) orders written the plain way: track the inventory position relative
    to the level searched (start ``sched[0] + Q − u``), check it at the start of every
    day and after every line, and when it is at or below ``r(t) = sched[day]`` order
    the fewest Q that lift it above."""
    out = []
    n_days = len(sched)
    for r in range(len(line_start) - 1):
        lines = list(zip(t[line_start[r]:line_start[r + 1]],
                         q[line_start[r]:line_start[r + 1]], strict=True))
        events = [(float(d), 0, 0) for d in range(1, n_days)] + [(tt, 1, qq) for tt, qq in lines]
        events.sort(key=lambda e: (e[0], e[1]))  # a day starts before a line at its instant
        x = sched[0] + q_order - u[r]
        for time, _, qty in events:
            x -= qty
            day = min(int(time), n_days - 1)
            if x <= sched[day]:
                k = (sched[day] - x) // q_order + 1
                out.append((r, time, k * q_order))
                x += k * q_order
    return out


def reference_rs_orders(t, q, line_start, review, n_rev, sched):
    out = []
    for r in range(len(line_start) - 1):
        lt, lq = t[line_start[r]:line_start[r + 1]], q[line_start[r]:line_start[r + 1]]
        x = sched[0]
        for j in range(1, n_rev + 1):
            now = j * review
            x -= int(lq[(lt > (j - 1) * review) & (lt <= now)].sum())
            level = sched[min(int(now), len(sched) - 1)]
            out.append((r, now, max(level - x, 0)))
            x = max(level, x)
    return out


def random_lines(seed, n_reps=5, t_end=40.0):
    rng = np.random.default_rng(seed)
    rep, t, q = demand_lines(rng, np.r_[np.full(15, 0.8), np.full(30, 2.5)],
                             np.array([1, 1, 2, 3, 7, 12]), n_reps, t_end)
    return rep, t, q, np.searchsorted(rep, np.arange(n_reps + 1))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rq_orders_with_a_schedule_match_the_plain_policy(seed):
    rep, t, q, start = random_lines(seed)
    rng = np.random.default_rng(100 + seed)
    sched = np.cumsum(rng.integers(-3, 5, 41))  # moves both ways
    Q = 6
    u = rng.integers(0, Q, 5)
    o_rep, o_time, o_qty = replenishment_orders(t, q, start, Q, None, 40.0, u, schedule=sched)
    got = list(zip(o_rep.tolist(), o_time.tolist(), o_qty.tolist(), strict=True))
    assert got == reference_rq_orders(t, q, start, Q, u, sched)
    assert len(got) > 10


@pytest.mark.parametrize("seed", [0, 1])
def test_rs_orders_with_a_schedule_match_the_plain_policy(seed):
    rep, t, q, start = random_lines(seed)
    sched = np.r_[np.full(20, 10), np.full(21, 25)]
    o_rep, o_time, o_qty = replenishment_orders(t, q, start, None, 7.0, 40.0, schedule=sched)
    got = list(zip(o_rep.tolist(), o_time.tolist(), o_qty.tolist(), strict=True))
    assert got == reference_rs_orders(t, q, start, 7.0, 5, sched)


def test_constant_schedule_gives_the_stationary_orders():
    rep, t, q, start = random_lines(3)
    u = np.array([0, 1, 2, 3, 4])
    plain = replenishment_orders(t, q, start, 5, None, 40.0, u)
    shifted = replenishment_orders(t, q, start, 5, None, 40.0, u, schedule=np.full(41, 17))
    for a, b in zip(plain, shifted, strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------- demand lines


def test_time_varying_rate_gives_poisson_counts_per_day():
    rate = np.r_[np.full(10, 1.0), np.full(10, 4.0)]
    rep, t, q = demand_lines(np.random.default_rng(0), rate, np.array([1]), 4000, 20.0)
    per_day = np.bincount(np.floor(t).astype(int), minlength=20) / 4000
    np.testing.assert_allclose(per_day, rate, rtol=0.03)
    lines = np.bincount(rep, minlength=4000)
    assert lines.var() == pytest.approx(lines.mean(), rel=0.06)  # Poisson: var = mean
    assert (q == 1).all()


def test_predictive_rate_and_level_factor_keep_the_mean_and_add_their_variance():
    lam, T, n_obs, tau = 3.0, 50.0, 60, 0.25
    rng = np.random.default_rng(1)
    rep, _, _ = demand_lines(rng, lam, np.array([1]), 20000, T, n_observed=n_obs,
                             level_sd=tau)
    n = np.bincount(rep, minlength=20000)
    m = lam * T
    # N | G ~ Poisson(m·G), G = Gamma(n, 1/n)·LogNormal(τ) with E G = 1
    var_g = (1 + 1 / n_obs) * np.exp(tau**2) - 1
    assert n.mean() == pytest.approx(m, rel=0.01)
    assert n.var() == pytest.approx(m + m**2 * var_g, rel=0.05)


def test_predictive_sizes_are_a_bootstrap_of_the_history():
    sizes = np.array([1, 2, 2, 5, 40])
    rep, _, q = demand_lines(np.random.default_rng(2), 5.0, sizes, 3000, 30.0, n_observed=5)
    assert set(np.unique(q)) <= set(sizes)
    assert q.mean() == pytest.approx(sizes.mean(), rel=0.03)
    # each replication draws from its own resample: the mean size varies between them
    per_rep = pd.Series(q).groupby(rep).mean()
    within = sizes.std() / np.sqrt(150)
    assert per_rep.std() > 1.5 * within


def test_resample_pick_is_a_bootstrap_per_replication():
    from backorder_analytics.simulation.crn import resample_pick

    n, reps = 7, 20000
    rep = np.repeat(np.arange(reps), 2)
    k = np.tile([3, 3], reps)  # the same element twice: the same item
    idx = resample_pick(12345, rep, k, n)
    assert (idx[::2] == idx[1::2]).all()
    # element k of a replication is uniform over the n items, independent across k
    many = resample_pick(99, np.repeat(np.arange(reps), n), np.tile(np.arange(n), reps), n)
    counts = np.bincount(many, minlength=n) / len(many)
    np.testing.assert_allclose(counts, 1 / n, rtol=0.03)
    # a replication's resample mean varies as a bootstrap's: Var = σ²/n
    sizes = np.array([1, 2, 2, 5, 40, 3, 9])
    means = sizes[many].reshape(reps, n).mean(axis=1)
    assert means.var() == pytest.approx(sizes.var() / n, rel=0.05)


# --------------------------------------------------------- schedule and level sd


def test_lead_time_demand_schedule_by_hand():
    mean = np.r_[np.full(10, 1.0), np.full(10, 3.0)]
    ltd = sst.lead_time_demand_schedule(mean, 2.5)
    assert ltd[0] == pytest.approx(2.5)
    assert ltd[8] == pytest.approx(1 + 1 + 0.5 * 3)
    assert ltd[12] == pytest.approx(7.5)
    # past the horizon: the last week's mean carries on
    assert ltd[-1] == pytest.approx(7.5)
    assert len(ltd) >= len(mean) + 3


def test_level_sd_recovers_the_level_uncertainty_of_paths():
    rng = np.random.default_rng(3)
    sizes = np.array([1, 1, 2, 4])
    h, level, n = 28, 6.0, 4000
    lam = level / sizes.mean()

    def paths(tau):
        g = np.exp(tau * rng.standard_normal(n) - tau**2 / 2)
        counts = rng.poisson(lam * g[:, None], (n, h))
        return np.array([[sizes[rng.integers(0, 4, c)].sum() for c in row] for row in counts],
                        float)

    assert sst.level_sd(paths(0.0), np.full(h, level), sizes) < 0.03
    assert sst.level_sd(paths(0.3), np.full(h, level), sizes) == pytest.approx(0.3, abs=0.03)


# ------------------------------------------------------ forecast → safety stock


@pytest.fixture(scope="module")
def seasonal():
    """The example's SKUs with a strong season, and a daily forecast of them."""
    ds = ba.example_dataset(seed=0, seasonality=1.5)
    fc = ba.forecast(ba.demand_series(ds, freq="D"), 120, model="ses", quantiles=())
    return ds, fc


def test_forecast_drives_smooth_skus_and_the_hand_over_is_exact(seasonal):
    ds, fc = seasonal
    skus = list(fc.skus[:12])
    rec = ba.recommend_safety_stock(ds, skus=skus, n_reps=40, days=120, progress=False,
                                    forecast=fc)
    s = rec.summary
    driven = s.index[s["demand_source"] == "forecast"]
    assert len(driven)
    assert set(s.loc[driven, "category"]) <= set(sst.FORECAST_DRIVEN_CLASSES)
    assert (s.loc[s.index.difference(driven), "demand_source"] == "history").all()
    for sku in driven:
        mean = np.maximum(fc.mean[list(fc.skus).index(sku)], 0)
        # the safety stock plans for the forecast's level, not the history's
        assert s.loc[sku, "mean_demand"] == pytest.approx(mean.mean())
        sched = rec.schedule.loc[sku]
        lead = s.loc[sku, "lead_time_mean"]
        whole = int(lead)
        by_hand = mean[:whole].sum() + (lead - whole) * mean[whole]
        assert sched["lead_time_demand"].iloc[0] == pytest.approx(by_hand)
        assert list(sched.index) == list(fc.dates)
        # the level found is day 1's; the schedule moves it with the lead-time demand
        assert sched["reorder_point"].iloc[0] == s.loc[sku, "reorder_point"]
        step = sched["reorder_point"].diff().dropna()
        np.testing.assert_allclose(step, np.diff(np.rint(sched["lead_time_demand"])))
    assert rec.schedule.columns.tolist() == sst.SCHEDULE_COLUMNS


def test_flat_forecast_at_the_history_level_gives_the_history_answer(monkeypatch):
    """A forecast equal to the history's mean, with no level uncertainty, is the
    stationary policy: the same reorder point up to the rounding of μ."""
    ds = ba.example_dataset(seed=0)
    y = ba.demand_series(ds, freq="D")
    fc = ba.forecast(y, 60, model="ses", quantiles=())
    cls = ba.classify_demand(y)["category"]
    sku = cls.index[cls == "smooth"][0]
    plain = ba.recommend_safety_stock(ds, skus=[sku], n_reps=200, progress=False)
    fc.mean[list(fc.skus).index(sku)] = y.loc[y["sku"] == sku, "demand"].mean()
    monkeypatch.setattr(sst, "level_sd", lambda *args: 0.0)
    driven = ba.recommend_safety_stock(ds, skus=[sku], n_reps=200, progress=False,
                                       forecast=fc)
    assert driven.summary.loc[sku, "demand_source"] == "forecast"
    r0, r1 = plain.summary.loc[sku, "reorder_point"], driven.summary.loc[sku, "reorder_point"]
    assert abs(r1 - r0) <= 1
    assert (driven.schedule.loc[sku, "reorder_point"] == r1).all()


def test_forecast_must_be_daily_and_go_with_a_dataset(seasonal):
    ds, fc = seasonal
    weekly = ba.forecast(ba.demand_series(ds, freq="W"), 8, model="ses", quantiles=())
    with pytest.raises(ValueError, match="daily Forecast"):
        ba.recommend_safety_stock(ds, skus=list(fc.skus[:1]), forecast=weekly, n_reps=5,
                                  progress=False)
    with pytest.raises(TypeError, match="goes with a Dataset"):
        ba.recommend_safety_stock(fc, lead_times=5.0, forecast=fc, progress=False)
