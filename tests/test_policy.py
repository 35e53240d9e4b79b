"""Analytic formulas of backorder_analytics.policy against published values and stockpyl.

Expected values come from /work/shared/REFERENCES.md (Silver–Pyke–Peterson, Snyder &
Shen FoSCT, Axsäter) and from stockpyl, an independent implementation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import backorder_analytics as ba
from backorder_analytics.planning import formulas as pol

stockpyl_lf = pytest.importorskip("stockpyl.loss_functions")
stockpyl_rq = pytest.importorskip("stockpyl.rq")
stockpyl_nv = pytest.importorskip("stockpyl.newsvendor")

# Snyder & Shen Ex. 5.1: λ = 1300/yr, σ = 150/yr^½, L = 1/12 yr, h, p, K
EX51 = {"lam": 1300.0, "sd": 150.0, "L": 1 / 12, "h": 0.225, "p": 7.5, "K": 8.0}
MU51 = EX51["lam"] * EX51["L"]
SIG51 = EX51["sd"] * np.sqrt(EX51["L"])

KINDS = ["scalar", "array", "series"]


def _as(kind, values):
    """The same values as a scalar (first one), an array or a Series."""
    values = np.asarray(values, dtype=float)
    if kind == "scalar":
        return float(values[0])
    if kind == "array":
        return values
    return pd.Series(values, index=[f"s{i}" for i in range(len(values))])


def _check_type(kind, result, n):
    if kind == "scalar":
        assert isinstance(result, float)
    elif kind == "array":
        assert isinstance(result, np.ndarray)
        assert result.shape == (n,)
    else:
        assert isinstance(result, pd.Series)
        assert len(result) == n
        assert list(result.index) == [f"s{i}" for i in range(n)]


# --------------------------------------------------------------------------- loss


@pytest.mark.parametrize("kind", KINDS)
def test_normal_loss_matches_stockpyl(kind):
    ks = np.linspace(-4, 4, 17)
    got = pol.standard_normal_loss(_as(kind, ks))
    got2 = pol.standard_normal_second_loss(_as(kind, ks))
    if kind == "series":
        got, got2 = pd.Series(got), pd.Series(got2)
    exp = [stockpyl_lf.standard_normal_loss(k)[0] for k in ks]
    exp2 = [stockpyl_lf.standard_normal_second_loss(k)[0] for k in ks]
    n = 1 if kind == "scalar" else len(ks)
    np.testing.assert_allclose(np.atleast_1d(np.asarray(got)), exp[:n], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(np.atleast_1d(np.asarray(got2)), exp2[:n], rtol=1e-10,
                               atol=1e-14)


def test_normal_loss_against_numerical_integration():
    for k in (-2.0, 0.0, 0.3975, 2.5):
        g = stats.norm.expect(lambda z, k=k: max(z - k, 0.0), lb=k, ub=np.inf)
        g2 = stats.norm.expect(lambda z, k=k: 0.5 * (z - k) ** 2, lb=k, ub=np.inf)
        assert pol.standard_normal_loss(k) == pytest.approx(g, rel=1e-8)
        assert pol.standard_normal_second_loss(k) == pytest.approx(g2, rel=1e-8)


def test_normal_loss_tails_are_stable():
    assert pol.standard_normal_loss(-50.0) == pytest.approx(50.0)
    assert pol.standard_normal_loss(50.0) == 0.0
    assert np.isfinite(pol.standard_normal_second_loss(-40.0))


def test_inverse_normal_loss_round_trip_vectorised():
    ks = np.linspace(-6, 8, 301)
    g = pol.standard_normal_loss(ks)
    np.testing.assert_allclose(pol.inverse_standard_normal_loss(g), ks, atol=1e-8)
    assert pol.inverse_standard_normal_loss(0.231296) == pytest.approx(0.3975, abs=5e-5)
    out = pol.inverse_standard_normal_loss(np.array([0.0, -1.0, np.nan]))
    assert out[0] == np.inf
    assert out[1] == np.inf
    assert np.isnan(out[2])


def test_poisson_loss_matches_stockpyl():
    for y, m in [(18, 15), (0, 2.5), (3, 3.0), (10, 0.7)]:
        assert pol.poisson_loss(y, m) == pytest.approx(stockpyl_lf.poisson_loss(y, m)[0],
                                                       rel=1e-10, abs=1e-14)


# --------------------------------------------------------------------------- safety stock


@pytest.mark.parametrize("kind", KINDS)
def test_safety_stock_with_lead_time_variability(kind):
    # d = 50/day, σ_d = 5, L = 6 days, σ_L = 2, CSL 0.90
    d = _as(kind, [50.0, 50.0])
    sigma = pol.sd_lead_time_demand(d, 5, 6, 2)
    ss = pol.safety_stock(0.90, d, 5, 6, 2)
    rop = pol.reorder_point_csl(0.90, d, 5, 6, 2)
    ss_demand_only = pol.safety_stock(0.90, d, 5, 6)
    n = 1 if kind == "scalar" else 2
    for value in (sigma, ss, rop, ss_demand_only):
        _check_type(kind, value, n)
    np.testing.assert_allclose(np.asarray(sigma), 100.7472, atol=5e-5)
    np.testing.assert_allclose(np.round(np.asarray(ss), 2), 129.11)
    np.testing.assert_allclose(np.round(np.asarray(rop), 2), 429.11)
    np.testing.assert_allclose(np.round(np.asarray(ss_demand_only), 2), 15.70)


def test_safety_stock_z_and_target_object():
    z = stats.norm.ppf(0.9)
    assert pol.safety_stock(None, 50, 5, 6, 2, z=z) == pytest.approx(
        pol.safety_stock(0.9, 50, 5, 6, 2))
    assert pol.safety_stock(ba.CycleServiceLevel(0.9), 50, 5, 6, 2) == pytest.approx(
        pol.safety_stock(0.9, 50, 5, 6, 2))
    with pytest.raises(ValueError, match="either 'service_level' or 'z'"):
        pol.safety_stock(0.9, 50, 5, 6, z=1.0)
    with pytest.raises(ValueError, match=r"needs 0 < service_level < 1. Got 1.5 instead"):
        pol.safety_stock(1.5, 50, 5, 6)
    with pytest.raises(ValueError, match="'sd_lead_time' parameter must be >= 0"):
        pol.sd_lead_time_demand(50, 5, 6, -1)


@pytest.mark.parametrize("kind", KINDS)
def test_fill_rate_reorder_point_spp_example(kind):
    # D = 35,000/yr, σ = 9,000/yr, Q = 5,000, L = 3 weeks, β = 0.90
    D = _as(kind, [35000.0, 35000.0, 35000.0])
    L = 3 / 52
    sigma = pol.sd_lead_time_demand(D, 9000, L)
    np.testing.assert_allclose(np.asarray(sigma), 2161.73, atol=5e-3)
    g = 0.1 * 5000 / np.asarray(sigma)
    np.testing.assert_allclose(g, 0.231296, atol=5e-7)
    k = pol.fill_rate_safety_factor(0.90, 5000, sigma)
    ss = pol.safety_stock_fill_rate(D, 9000, L, 5000, 0.90)
    rop = pol.reorder_point_fill_rate(D, 9000, L, 5000, 0.90)
    n = 1 if kind == "scalar" else 3
    for value in (k, ss, rop):
        _check_type(kind, value, n)
    np.testing.assert_allclose(np.round(np.asarray(k), 4), 0.3975)
    np.testing.assert_allclose(np.round(np.asarray(ss), 2), 859.32)
    np.testing.assert_allclose(np.round(np.asarray(rop), 2), 2878.55)
    # the implied CSL is only 0.6545: type 1 and type 2 service differ
    np.testing.assert_allclose(np.round(stats.norm.cdf(np.asarray(k)), 4), 0.6545)
    assert pol.reorder_point_fill_rate(35000, 9000, L, 5000, ba.FillRate(0.9)) == \
        pytest.approx(2878.55, abs=5e-3)


def test_fill_rate_reorder_point_is_consistent_with_rq_metrics():
    # the reorder point for β gives fill β back under the same approximation
    for beta in (0.8, 0.95, 0.999):
        r = pol.reorder_point_fill_rate(20.0, 6.0, 9.0, 150.0, beta)
        m = pol.rq_normal_metrics(r, 150.0, 180.0, 18.0)
        assert m.fill_rate == pytest.approx(beta, abs=1e-10)


def test_fill_rate_factor_zero_sigma():
    assert pol.fill_rate_safety_factor(0.95, 100, 0.0) == 0.0
    assert pol.reorder_point_fill_rate(10, 0, 5, 100, 0.95) == pytest.approx(50.0)


# --------------------------------------------------------------------------- (r, Q)


@pytest.mark.parametrize("kind", KINDS)
def test_rq_normal_snyder_shen_example_5_1(kind):
    r = _as(kind, [126.8, 126.8])
    m = pol.rq_normal_metrics(r, 328.5, MU51, SIG51, EX51["h"], EX51["p"], EX51["K"],
                              EX51["lam"])
    n = 1 if kind == "scalar" else 2
    for value in m:
        _check_type(kind, value, n)
    np.testing.assert_allclose(np.round(np.asarray(m.csl), 6), 0.665117)
    np.testing.assert_allclose(np.round(np.asarray(m.shortage_per_cycle), 6), 9.588919)
    np.testing.assert_allclose(np.round(np.asarray(m.fill_rate), 6), 0.970810)
    np.testing.assert_allclose(np.round(np.asarray(m.backorders), 6), 0.686195)
    np.testing.assert_allclose(np.round(np.asarray(m.on_hand), 6), 183.402862)
    np.testing.assert_allclose(np.round(np.asarray(m.cost), 9), 78.071162509)


@pytest.mark.parametrize(("r", "Q"), [(126.8, 328.5), (90.0, 50.0), (200.0, 400.0),
                                      (108.0, 10.0)])
def test_rq_normal_cost_matches_stockpyl(r, Q):
    m = pol.rq_normal_metrics(r, Q, MU51, SIG51, EX51["h"], EX51["p"], EX51["K"], EX51["lam"])
    exp = stockpyl_rq.r_q_cost(r, Q, EX51["h"], EX51["p"], EX51["K"], EX51["lam"], EX51["sd"],
                               EX51["L"])
    assert m.cost == pytest.approx(exp, rel=1e-7)


def test_rq_normal_without_costs_and_validation():
    m = pol.rq_normal_metrics(126.8, 328.5, MU51, SIG51)
    assert np.isnan(m.cost)
    with pytest.raises(ValueError, match="'Q' parameter must be > 0"):
        pol.rq_normal_metrics(1, 0, 1, 1)
    det = pol.rq_normal_metrics(10.0, 20.0, 15.0, 0.0)
    assert det.csl == 0.0
    assert det.shortage_per_cycle == pytest.approx(5.0)
    assert det.fill_rate == pytest.approx(0.75)


# --------------------------------------------------------------------------- (R, S)


@pytest.mark.parametrize("kind", KINDS)
def test_order_up_to_level_fill_rate(kind):
    # μ = 100/day, σ = 20, R = 7, L = 3, β = 0.98
    mu = _as(kind, [100.0, 100.0])
    S = pol.order_up_to_level_fill_rate(mu, 20, 7, 3, 0.98)
    _check_type(kind, S, 1 if kind == "scalar" else 2)
    np.testing.assert_allclose(np.round(np.asarray(S), 2), 1026.99)
    sigma = 20 * np.sqrt(10)
    assert sigma == pytest.approx(63.2456, abs=5e-5)
    assert pol.fill_rate_safety_factor(0.98, 700, sigma) == pytest.approx(0.426730, abs=5e-7)


def test_order_up_to_level_csl():
    S = pol.order_up_to_level_csl(100, 20, 7, 3, 0.95)
    assert pytest.approx(1000 + stats.norm.ppf(0.95) * 20 * np.sqrt(10)) == S


# --------------------------------------------------------------------------- Poisson


POISSON_TABLE = [
    # λ, L, S, fill, E[B], E[W], P(W>1), W p95, W p99
    (5.0, 4.0, 20, 0.470257, 1.776706, 0.355341, 0.124781, 1.3491, 1.7836),
    (5.0, 4.0, 25, 0.843227, 0.330828, 0.066166, 0.011165, 0.5236, 1.0293),
    (5.0, 4.0, 30, 0.978182, 0.032124, 0.006425, 0.000418, 0.0, 0.2515),
]


@pytest.mark.parametrize("row", POISSON_TABLE)
def test_poisson_base_stock_table(row):
    lam, L, S, fill, eb, ew, p1, w95, w99 = row
    m = pol.poisson_base_stock_metrics(S, lam, L)
    assert round(m.fill_rate, 6) == fill
    assert round(m.backorders, 6) == eb
    assert round(m.wait, 6) == ew
    assert m.on_hand == pytest.approx(S - lam * L + eb, abs=1e-6)
    assert m.wait_if_waiting == pytest.approx(m.wait / (1 - m.fill_rate))
    assert round(pol.poisson_base_stock_wait_sf(1.0, S, lam, L), 6) == p1
    assert round(pol.poisson_base_stock_wait_quantile(0.95, S, lam, L), 4) == w95
    assert round(pol.poisson_base_stock_wait_quantile(0.99, S, lam, L), 4) == w99


@pytest.mark.parametrize("kind", KINDS)
def test_poisson_base_stock_vectorised(kind):
    S = _as(kind, [20, 25, 30])
    m = pol.poisson_base_stock_metrics(S, 5.0, 4.0)
    n = 1 if kind == "scalar" else 3
    _check_type(kind, m.fill_rate, n)
    np.testing.assert_allclose(np.asarray(m.fill_rate), [r[3] for r in POISSON_TABLE][:n],
                               atol=5e-7)
    sf = pol.poisson_base_stock_wait_sf(_as(kind, [0.0, 1.0, 4.0]), 20, 5.0, 4.0)
    np.testing.assert_allclose(np.asarray(sf), [1 - 0.470257, 0.124781, 0.0][:n], atol=5e-7)


def test_poisson_base_stock_wait_against_erlang():
    # W = (L − Erlang(S, λ))⁺: P(W > t) = P(Erlang(S, λ) < L − t)
    for t in (0.2, 1.0, 2.5):
        exp = stats.gamma(a=20, scale=1 / 5.0).cdf(4.0 - t)
        assert pol.poisson_base_stock_wait_sf(t, 20, 5.0, 4.0) == pytest.approx(exp, rel=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_poisson_rq_reference_and_stockpyl(kind):
    r = _as(kind, [3, 3])
    m = pol.poisson_rq_metrics(r, 5, 1.5, 2.0)
    _check_type(kind, m.fill_rate, 1 if kind == "scalar" else 2)
    np.testing.assert_allclose(np.round(np.asarray(m.backorders), 6), 0.105433)
    np.testing.assert_allclose(np.round(np.asarray(m.on_hand), 6), 3.105433)
    np.testing.assert_allclose(np.round(np.asarray(m.fill_rate), 6), 0.866633)
    np.testing.assert_allclose(np.round(np.asarray(m.wait), 6), 0.070289)
    # FoSCT Ex. 5.8 cost h·E[I] + p·E[B] + Kλ/Q = stockpyl's r_q_cost_poisson
    cost = 20 * np.asarray(m.on_hand) + 150 * np.asarray(m.backorders) + 100 * 1.5 / 5
    np.testing.assert_allclose(cost, stockpyl_rq.r_q_cost_poisson(3, 5, 20, 150, 100, 1.5, 2),
                               rtol=1e-10)


def test_poisson_rq_q1_is_base_stock():
    for S in (3, 10, 22):
        rq = pol.poisson_rq_metrics(S - 1, 1, 5.0, 4.0)
        bs = pol.poisson_base_stock_metrics(S, 5.0, 4.0)
        assert rq.fill_rate == pytest.approx(bs.fill_rate)
        assert rq.backorders == pytest.approx(bs.backorders)
    with pytest.raises(ValueError, match="whole r and Q >= 1"):
        pol.poisson_rq_metrics(2.5, 3, 1.0, 1.0)


def test_poisson_rq_mixed_q_vector():
    m = pol.poisson_rq_metrics(np.array([3, 4]), np.array([5, 2]), 1.5, 2.0)
    single = pol.poisson_rq_metrics(4, 2, 1.5, 2.0)
    assert m.fill_rate[1] == pytest.approx(single.fill_rate)


# --------------------------------------------------------------------------- newsvendor


@pytest.mark.parametrize("kind", KINDS)
def test_newsvendor_fosct_example_4_3(kind):
    mean = _as(kind, [50.0, 50.0])
    S, cost = pol.newsvendor_normal(mean, 8, 0.18, 0.7)
    _check_type(kind, S, 1 if kind == "scalar" else 2)
    np.testing.assert_allclose(np.round(np.asarray(S), 6), 56.603956)
    np.testing.assert_allclose(np.round(np.asarray(cost), 6), 1.997605)
    s_ref, c_ref = stockpyl_nv.newsvendor_normal(0.18, 0.7, 50, 8)
    np.testing.assert_allclose(np.asarray(S), s_ref, rtol=1e-10)
    np.testing.assert_allclose(np.asarray(cost), c_ref, rtol=1e-10)


def test_newsvendor_cost_matches_stockpyl_off_optimum():
    for S in (40.0, 50.0, 62.0):
        exp = stockpyl_nv.newsvendor_normal_cost(S, 0.18, 0.7, 50, 8)
        assert pol.newsvendor_normal_cost(S, 50, 8, 0.18, 0.7) == pytest.approx(exp, rel=1e-10)


# --------------------------------------------------------------------------- targets


@pytest.mark.parametrize(("make", "message"), [
    (lambda: ba.FillRate(1.2), r"FillRate\(beta\) needs 0 < beta < 1. Got 1.2 instead."),
    (lambda: ba.FillRate(0.0), r"FillRate\(beta\) needs 0 < beta < 1. Got 0.0 instead."),
    (lambda: ba.CycleServiceLevel(1.0),
     r"CycleServiceLevel\(level\) needs 0 < level < 1. Got 1.0 instead."),
    (lambda: ba.WaitTime(-1.0), r"WaitTime\(days\) needs a finite days >= 0"),
    (lambda: ba.WaitTime(2.0, 1.5),
     r"WaitTime\(quantile\) needs 0 < quantile < 1. Got 1.5 instead."),
])
def test_target_validation(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_targets_are_frozen():
    t = ba.FillRate(0.95)
    with pytest.raises(AttributeError):
        t.beta = 0.9  # type: ignore[misc]
    assert ba.WaitTime(2).quantile == 0.95
    assert ba.WaitTime(2).level == 0.95
