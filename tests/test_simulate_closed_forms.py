"""Simulation against closed forms (REFERENCES.md, "Queue and inventory closed forms").

Expected values are computed here with scipy from the formulas, and the published
table values are checked against the same formulas. Base stock S with Poisson(λ) unit
demand and constant lead time L, FIFO backorders (Axsäter, *Inventory Control*, §5.2):

* D_L ~ Poisson(λL); fill = P(D_L <= S−1); E[B] = E[(D_L − S)⁺]; E[OH] = S − λL + E[B];
* E[W] = E[B]/λ (Little); P(W > t) = P(Poisson(λ(L − t)) >= S) for 0 <= t < L;
* Palm's theorem: with orders crossing, fill and E[B] depend on the lead time only
  through its mean;
* Poisson (r, Q): position uniform on r+1 … r+Q (Zipkin 2000, §6.5).

Each base-stock run is about a million orders (20 replications × 10,000 days at λ=5).
Tolerances: in every case the exact value must lie inside mean ± 4 standard errors
across replications, and within a relative tolerance: 1% for fill rates and E[OH];
for E[B] and E[W] 3% at S = 20, 5% at S = 25, 10% at S = 30, because with a million
orders their standard error is about 0.7%, 1.5% and 3.5% (backorders get rare as S
grows; 3% at S = 30 would need some ten million orders).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from backorder_analytics.simulation import (
    BaseStock,
    OrderUpTo,
    PoissonDemand,
    ReorderPoint,
    simulate,
)

LAM, L = 5.0, 4.0
REL_BACKORDERS = {20: 0.03, 25: 0.05, 30: 0.10}
DAYS, REPS, WARMUP = 10_000, 20, 10.0
PROMISE = (0.5, 1, 2, 3)


def base_stock_exact(S: int, lam: float = LAM, lead: float = L) -> dict:
    mu = lam * lead
    k = np.arange(0, int(mu + 40 * np.sqrt(mu) + S))
    pmf = stats.poisson.pmf(k, mu)
    eb = float(np.sum(np.maximum(k - S, 0) * pmf))
    out = {"fill_rate": float(stats.poisson.cdf(S - 1, mu)), "expected_backorders": eb,
           "expected_wait": eb / lam, "average_on_hand": S - mu + eb}
    for t in PROMISE:
        out[f"p_wait_gt_{t:g}"] = float(stats.poisson.sf(S - 1, lam * (lead - t)))
    return out


def wait_quantile(p: float, S: int, lam: float = LAM, lead: float = L) -> float:
    """Quantile of W = (L − Erlang(S, λ))⁺: 0 when P(W > 0) <= 1 − p."""
    if stats.poisson.sf(S - 1, lam * lead) <= 1 - p:
        return 0.0
    return optimize.brentq(lambda t: stats.poisson.sf(S - 1, lam * (lead - t)) - (1 - p),
                           0.0, lead, xtol=1e-12)


TABLE = {  # REFERENCES.md: S: fill, E[B], E[W], P(W>1), W p95, W p99
    20: (0.470257, 1.776706, 0.355341, 0.124781, 1.3491, 1.7836),
    25: (0.843227, 0.330828, 0.066166, 0.011165, 0.5236, 1.0293),
    30: (0.978182, 0.032124, 0.006425, 0.000418, 0.0, 0.2515),
}


@pytest.mark.parametrize("S", sorted(TABLE))
def test_published_table_matches_the_formulas(S):
    fill, eb, ew, pw1, p95, p99 = TABLE[S]
    exact = base_stock_exact(S)
    assert exact["fill_rate"] == pytest.approx(fill, abs=1e-6)
    assert exact["expected_backorders"] == pytest.approx(eb, abs=1e-6)
    assert exact["expected_wait"] == pytest.approx(ew, abs=1e-6)
    assert exact["p_wait_gt_1"] == pytest.approx(pw1, abs=1e-6)
    assert wait_quantile(0.95, S) == pytest.approx(p95, abs=1e-4)
    assert wait_quantile(0.99, S) == pytest.approx(p99, abs=1e-4)


@pytest.fixture(scope="module")
def base_stock_runs():
    return {S: simulate(BaseStock(S), PoissonDemand(LAM), L, days=DAYS, n_reps=REPS, seed=1,
                        warmup=WARMUP, promise_days=PROMISE) for S in TABLE}


def check(sim, name, exact, rel):
    row = sim.summary.set_index("metric").loc[name]
    se = row["std"] / np.sqrt(row["n_reps"])
    assert abs(row["mean"] - exact) <= rel * exact, (name, row["mean"], exact)
    assert abs(row["mean"] - exact) <= 4 * se + 1e-12, (name, row["mean"], exact, se)


@pytest.mark.parametrize("S", sorted(TABLE))
def test_base_stock_million_orders(base_stock_runs, S):
    sim = base_stock_runs[S]
    exact = base_stock_exact(S)
    assert sim.per_rep["lines"].sum() > 990_000
    check(sim, "fill_rate", exact["fill_rate"], 0.01)
    check(sim, "line_fill_rate", exact["fill_rate"], 0.01)  # unit lines
    check(sim, "cycle_service_level", exact["fill_rate"], 0.01)  # Axsäter S1 = S2 here
    check(sim, "average_on_hand", exact["average_on_hand"], 0.01)
    rel = REL_BACKORDERS[S]
    check(sim, "expected_backorders", exact["expected_backorders"], rel)
    check(sim, "expected_wait", exact["expected_wait"], rel)
    # conditional wait of the backordered lines: E[W | W > 0] = E[W] / (1 − fill)
    check(sim, "expected_wait_backordered",
          exact["expected_wait"] / (1 - exact["fill_rate"]), rel)
    # Little's law inside the simulation itself
    assert sim.metric("expected_backorders") == pytest.approx(
        LAM * sim.metric("expected_wait"), rel=0.01)


@pytest.mark.parametrize("S", sorted(TABLE))
@pytest.mark.parametrize("t", PROMISE)
def test_base_stock_wait_distribution(base_stock_runs, S, t):
    sim = base_stock_runs[S]
    exact = base_stock_exact(S)[f"p_wait_gt_{t:g}"]
    row = sim.summary.set_index("metric").loc[f"p_wait_gt_{t:g}"]
    se = row["std"] / np.sqrt(row["n_reps"])
    assert abs(row["mean"] - exact) <= 4 * se + 2e-5
    if exact > 0.01:
        assert row["mean"] == pytest.approx(exact, rel=2 * REL_BACKORDERS[S])


@pytest.mark.parametrize("S", sorted(TABLE))
def test_base_stock_wait_quantiles(base_stock_runs, S):
    sim = base_stock_runs[S]
    for p, name in ((0.95, "wait_p95"), (0.99, "wait_p99")):
        check(sim, name, wait_quantile(p, S), REL_BACKORDERS[S])


@pytest.mark.parametrize("dist", [stats.expon(scale=L), stats.uniform(0, 2 * L),
                                  stats.gamma(2.0, scale=L / 2)],
                         ids=["exponential", "uniform", "gamma"])
def test_palm_theorem(dist, base_stock_runs):
    """Crossing iid lead times with mean L: the same fill and E[B] as a constant L."""
    S = 25
    exact = base_stock_exact(S)
    sim = simulate(BaseStock(S), PoissonDemand(LAM), dist, days=DAYS, n_reps=REPS, seed=1,
                   warmup=40.0)
    check(sim, "fill_rate", exact["fill_rate"], 0.01)
    check(sim, "expected_backorders", exact["expected_backorders"], 0.05)
    check(sim, "average_on_hand", exact["average_on_hand"], 0.01)
    # and sequential supply (no crossing) breaks Palm: fewer orders outstanding late
    seq = simulate(BaseStock(S), PoissonDemand(LAM), dist, days=2_000, n_reps=4, seed=1,
                   warmup=40.0, sequential_supply=True)
    assert seq.metric("fill_rate") < exact["fill_rate"] - 0.02


def test_poisson_rq():
    lam, lead, r, Q = 1.5, 2.0, 3, 5
    mu = lam * lead
    k = np.arange(0, 80)
    pmf = stats.poisson.pmf(k, mu)
    ys = np.arange(r + 1, r + Q + 1)
    fill = np.mean(stats.poisson.cdf(ys - 1, mu))
    eb = np.mean([np.sum(np.maximum(k - y, 0) * pmf) for y in ys])
    e_on_hand = np.mean(ys) - mu + eb
    assert (fill, eb, e_on_hand, eb / lam) == pytest.approx(
        (0.866633, 0.105433, 3.105433, 0.070289), abs=1e-6)
    sim = simulate(ReorderPoint(r, Q), PoissonDemand(lam), lead, days=33_334, n_reps=REPS,
                   seed=2, warmup=10.0)
    assert sim.per_rep["lines"].sum() > 990_000
    check(sim, "fill_rate", fill, 0.01)
    check(sim, "expected_backorders", eb, 0.03)
    check(sim, "average_on_hand", e_on_hand, 0.01)
    check(sim, "expected_wait", eb / lam, 0.03)
    # Axsäter S1: no stock-out in an order cycle iff D_L <= r
    check(sim, "cycle_service_level", stats.poisson.cdf(r, mu), 0.01)


def test_periodic_review_cycle_service_level():
    """(R, S), constant L: a cycle is stocked out iff D over R + L exceeds S."""
    lam, lead, R, S = 5.0, 2.0, 1.0, 18
    sim = simulate(OrderUpTo(R, S), PoissonDemand(lam), lead, days=5_000, n_reps=10,
                   seed=3, warmup=10.0)
    check(sim, "cycle_service_level", stats.poisson.cdf(S, lam * (R + lead)), 0.01)
    # on hand just after a review's receipt is S − D_{R+L} + backorders: mean level
    mu = lam * (R + lead)
    k = np.arange(0, 100)
    eb_end = np.sum(np.maximum(k - S, 0) * stats.poisson.pmf(k, mu))
    # time-average backorders lie between those at the start and at the end of a cycle
    eb_start = np.sum(np.maximum(k - S, 0) * stats.poisson.pmf(k, lam * lead))
    assert eb_start < sim.metric("expected_backorders") < eb_end


@pytest.mark.parametrize("r", [790, 800])
def test_normal_rq_loss_function_results(r):
    """Silver–Pyke–Peterson / Hadley–Whitin normal (r, Q) results, evaluated here from
    the loss functions with scipy (independently of policy.py), against the simulator.
    Poisson(λL = 800) lead-time demand is close to N(800, 800): the approximation error
    of the formulas (skewness 1/√800) is well inside the tolerances, and policy.py's
    implementation must give the same numbers."""
    from backorder_analytics.planning.formulas import rq_normal_metrics

    lam, lead, Q = 200.0, 4.0, 100
    mu, sigma = lam * lead, np.sqrt(lam * lead)
    k = (r - mu) / sigma

    def loss(x):
        return stats.norm.pdf(x) - x * stats.norm.sf(x)

    def loss2(x):
        return 0.5 * ((x**2 + 1) * stats.norm.sf(x) - x * stats.norm.pdf(x))

    fill = 1 - sigma * loss(k) / Q
    backorders = sigma**2 / Q * (loss2(k) - loss2(k + Q / sigma))
    ours = rq_normal_metrics(r, Q, mu, sigma)
    assert (ours.fill_rate, ours.backorders) == pytest.approx((fill, backorders), rel=1e-9)
    sim = simulate(ReorderPoint(r, Q), PoissonDemand(lam), lead, days=1000, n_reps=REPS,
                   seed=3, warmup=10.0)
    assert sim.per_rep["lines"].sum() > 3_900_000
    check(sim, "fill_rate", fill, 0.01)
    check(sim, "expected_backorders", backorders, 0.05)
    check(sim, "expected_wait", backorders / lam, 0.05)
