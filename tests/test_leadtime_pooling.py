"""Tests of backorder_analytics.leadtime.pooling and of the pooling in fit_lead_times.

References: numerical integration of ``log T`` under scipy.stats densities for the log
moments; statsmodels' DerSimonian–Laird meta-analysis and a matrix form of the
meta-regression estimator for the between-group variance; the generating parameters of
simulated groups for the shrinkage and for the fitted lead times.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from backorder_analytics.leadtime.model import fit_lead_times
from backorder_analytics.leadtime.pooling import (
    from_log_moments,
    log_moments,
    random_effects,
    shrink,
)

ORIGIN = pd.Timestamp("2024-01-01")
FAMILY_CASES = [
    ("gamma", {"a": 16.0, "scale": 5.0 / 16.0}),
    ("gamma", {"a": 0.7, "scale": 12.0}),
    ("lognorm", {"s": 0.9, "scale": 9.0}),
    ("weibull_min", {"c": 2.5, "scale": 20.0}),
    ("weibull_min", {"c": 0.8, "scale": 7.0}),
]


# ------------------------------------------------------------------------ log moments


@pytest.mark.parametrize(("family", "params"), FAMILY_CASES)
def test_log_moments_match_numerical_integration(family, params):
    dist = getattr(stats, family)(**params)

    def moment(k):
        # E[(log T)^k] = ∫ u^k f(e^u) e^u du over u = log t, split at the log median
        def g(u):
            return u**k * np.exp(dist.logpdf(np.exp(u)) + u)

        lo, mid, hi = np.log(dist.ppf([1e-15, 0.5, 1 - 1e-15]))
        return (integrate.quad(g, lo, mid, limit=200, epsabs=1e-13)[0]
                + integrate.quad(g, mid, hi, limit=200, epsabs=1e-13)[0])

    mean, sd = log_moments(family, params)
    assert mean == pytest.approx(moment(1), abs=1e-7)
    assert sd == pytest.approx(np.sqrt(moment(2) - moment(1) ** 2), rel=1e-6)


@pytest.mark.parametrize(("family", "params"), FAMILY_CASES)
def test_from_log_moments_inverts_log_moments(family, params):
    back = from_log_moments(family, *log_moments(family, params))
    assert back.keys() == params.keys()
    for k, v in params.items():
        assert back[k] == pytest.approx(v, rel=1e-9)


@pytest.mark.parametrize("sd", [1e-4, 0.05, 0.3, 1.5, 6.0])
def test_gamma_shape_from_any_log_sd(sd):
    params = from_log_moments("gamma", 2.0, sd)
    mean, got = log_moments("gamma", params)
    assert (mean, got) == (pytest.approx(2.0, abs=1e-9), pytest.approx(sd, rel=1e-9))


def test_log_moment_errors_name_the_parameter():
    with pytest.raises(ValueError, match="'family' parameter must be one of"):
        log_moments("expon", {"scale": 1.0})
    with pytest.raises(ValueError, match="'sd' parameter must be > 0"):
        from_log_moments("gamma", 1.0, 0.0)


# --------------------------------------------------------- between-group variance (DL)


@pytest.mark.parametrize(("seed", "spread"), [(0, 0.5), (1, 0.5), (2, 0.5), (1, 0.05)])
def test_random_effects_matches_statsmodels_dersimonian_laird(seed, spread):
    meta = pytest.importorskip("statsmodels.stats.meta_analysis")
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 0.2, 8)
    y = rng.normal(1.0, spread, 8) + rng.normal(0, np.sqrt(v))
    with np.errstate(invalid="ignore"):  # its standard errors at a negative τ²
        ref = meta.combine_effects(y, v, method_re="dl")
    mu, tau2 = random_effects(y, v)
    # statsmodels reports the untruncated moment estimate (and weights with it); τ² is
    # its positive part, and at τ² = 0 the mean is the fixed-effect (inverse-variance) one
    assert tau2 == pytest.approx(max(ref.tau2, 0.0), rel=1e-10, abs=1e-15)
    if spread == 0.05:
        assert ref.tau2 < 0
        np.testing.assert_allclose(mu, ref.mean_effect_fe, rtol=1e-10)
    else:
        assert tau2 > 0
        np.testing.assert_allclose(mu, ref.mean_effect_re, rtol=1e-10)


def _dl_meta_regression(y, v, parent):
    """Slow reference: τ² = (Q_E − (K − p)) / (tr W − tr((XᵀWX)⁻¹ XᵀW²X)) with X the
    parent indicators (Raudenbush 2009, eqs. 16.13–16.14)."""
    labels = list(dict.fromkeys(parent))
    x = np.array([[p == lab for lab in labels] for p in parent], dtype=float)
    w = np.diag(1 / v)
    beta = np.linalg.solve(x.T @ w @ x, x.T @ w @ y)
    q = (y - x @ beta) @ w @ (y - x @ beta)
    c = np.trace(w) - np.trace(np.linalg.solve(x.T @ w @ x, x.T @ w @ w @ x))
    tau2 = max(0.0, (q - (len(y) - len(labels))) / c)
    ws = np.diag(1 / (v + tau2))
    mu = np.linalg.solve(x.T @ ws @ x, x.T @ ws @ y)
    return x @ mu, tau2


@pytest.mark.parametrize("seed", [3, 4])
def test_random_effects_with_parents_matches_matrix_form(seed):
    rng = np.random.default_rng(seed)
    parent = ["P1"] * 4 + ["P2"] * 3 + [("P", 3)] * 5
    v = rng.uniform(0.01, 0.1, len(parent))
    y = np.array([{"P1": 1.0, "P2": 2.0}.get(p, 3.0) for p in parent]) + rng.normal(
        0, 0.3, len(parent))
    mu, tau2 = random_effects(y, v, parent)
    ref_mu, ref_tau2 = _dl_meta_regression(y, v, parent)
    assert tau2 == pytest.approx(ref_tau2, rel=1e-10)
    np.testing.assert_allclose(mu, ref_mu, rtol=1e-10)


def test_random_effects_without_siblings_does_not_pool():
    mu, tau2 = random_effects([1.0, 5.0], [0.1, 0.1], parent=["a", "b"])
    assert tau2 == np.inf
    pooled, weight, _, _ = shrink([1.0, 5.0], [0.1, 0.1], parent=["a", "b"])
    assert pooled.tolist() == [1.0, 5.0]
    assert weight.tolist() == [1.0, 1.0]


def test_shrink_recovers_tau_and_beats_own_estimates():
    """2,000 groups from the hierarchical normal model: τ² is recovered, and the
    posterior means have a smaller squared error than the groups' own estimates, by
    the factor τ² / (τ² + v) the model predicts (Efron and Morris 1975)."""
    rng = np.random.default_rng(7)
    tau2, v = 0.04, np.full(2000, 0.06)
    theta = rng.normal(2.0, np.sqrt(tau2), 2000)
    y = theta + rng.normal(0, np.sqrt(v))
    pooled, weight, mu, est = shrink(y, v)
    assert est == pytest.approx(tau2, rel=0.15)
    assert mu[0] == pytest.approx(2.0, abs=0.02)
    assert weight[0] == pytest.approx(tau2 / (tau2 + 0.06), rel=0.1)
    ratio = np.mean((pooled - theta) ** 2) / np.mean((y - theta) ** 2)
    assert ratio == pytest.approx(tau2 / (tau2 + 0.06), rel=0.1)  # 0.4


def test_shrink_factor_and_fixed_groups():
    y, v = np.array([-2.0, 0.0, 2.0, 0.5]), np.array([1.0, 1.0, 1.0, 1.0])
    own, weight, _, _ = shrink(y, v, factor=0)
    np.testing.assert_array_equal(own, y)
    base, w1, mu, tau2 = shrink(y, v)
    more, w3, _, _ = shrink(y, v, factor=3)
    np.testing.assert_allclose(w1, tau2 / (tau2 + 1))
    np.testing.assert_allclose(w3, tau2 / (tau2 + 3))
    assert np.all(np.abs(more - mu) < np.abs(base - mu))
    kept, wk, _, _ = shrink(y, v, fixed=[True, False, False, False])
    assert kept[0] == -2.0
    assert wk[0] == 1.0


# ------------------------------------------------------------- pooling in the model


def _po_table(groups, as_of_day=400.0, seed=0):
    """POs of several groups: ``{label: (dist, n, first_order_day)}``; orders spread
    evenly from ``first_order_day`` to ``as_of_day``; open when they arrive later."""
    rng = np.random.default_rng(seed)
    frames = []
    for label, (dist, n, first) in groups.items():
        supplier, sku = label if isinstance(label, tuple) else (label, label)
        order = ORIGIN + pd.to_timedelta(np.linspace(first, as_of_day, n), unit="D")
        lead = pd.to_timedelta(dist.rvs(size=n, random_state=rng), unit="D")
        frames.append(pd.DataFrame({"supplier_id": supplier, "sku": sku,
                                    "order_date": order, "received_date": order + lead}))
    po = pd.concat(frames, ignore_index=True)
    as_of = ORIGIN + pd.Timedelta(days=as_of_day)
    po["received_date"] = po["received_date"].where(po["received_date"] <= as_of)
    return po, as_of


FAST = stats.gamma(16.0, scale=5.0 / 16.0)  # mean 5 days, p90 6.65
SLOW = {"SLOW-1": stats.gamma(6.0, scale=20.0 / 6.0),
        "SLOW-2": stats.lognorm(0.9, scale=15.0),
        "SLOW-3": stats.weibull_min(2.0, scale=30.0)}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_fast_supplier_with_few_pos_keeps_its_own_tail(seed):
    """Issue 11: a fast supplier with ~20 POs next to slow ones with hundreds. Its p90
    must be close to the truth (6.65 days), not lifted toward the slow suppliers' tails
    (the old mixture w·own + (1−w)·all POs put it 80–130% high)."""
    groups = {"FAST": (FAST, 22, 340.0)} | {k: (d, 300, 0.0) for k, d in SLOW.items()}
    po, as_of = _po_table(groups, seed=seed)
    model = fit_lead_times(po, as_of=as_of)
    row = model.summary.loc["FAST"]
    assert 15 <= row["n_received"] < 30  # pooled (below shrink_below)
    assert row["weight"] > 0.9  # the suppliers clearly differ: little pooling of the mean
    for q, tol in ((0.5, 0.10), (0.9, 0.15), (0.99, 0.25)):
        assert model.quantile(q, group="FAST") == pytest.approx(FAST.ppf(q), rel=tol)
    # the slow suppliers stand on their own (>= shrink_below POs)
    assert (model.summary.loc[list(SLOW), "weight"] == 1.0).all()


@pytest.mark.parametrize("seed", [3, 5, 7])
def test_group_with_few_pos_is_pulled_toward_similar_groups(seed):
    """A group with 4 received POs among six similar suppliers (means 9–11 days, 120
    POs each): its own fit, off by chance (seeds where its median is > 15% off), is
    pulled more than half way to theirs, and lands closer to its true distribution."""
    similar = {f"S{i}": (stats.gamma(6.0, scale=m / 6.0), 120, 0.0)
               for i, m in enumerate([9.0, 9.5, 10.0, 10.0, 10.5, 11.0])}
    small_true = stats.gamma(6.0, scale=10.0 / 6.0)
    groups = similar | {"SMALL": (small_true, 5, 200.0)}  # the last one still open
    po, as_of = _po_table(groups, seed=seed)
    model = fit_lead_times(po, as_of=as_of)
    row = model.summary.loc["SMALL"]
    assert row["n_received"] == 4
    own = row["fit_p50"]
    siblings = np.exp(np.mean(np.log(model.summary.loc[list(similar), "p50"])))
    assert abs(own / siblings - 1) > 0.15  # the 4-PO sample is off
    assert row["weight"] < 0.5
    assert row["weight_scale"] < 0.5
    assert abs(row["p50"] - siblings) < 0.5 * abs(own - siblings)  # more than half way
    # closer to the truth than its own fit, at p50 and p90
    for q, key in ((0.5, "fit_p50"), (0.9, "fit_p90")):
        assert abs(model.quantile(q, "SMALL") - small_true.ppf(q)) < abs(
            row[key] - small_true.ppf(q))
    # shrinkage=0: its own fit
    unpooled = fit_lead_times(po, as_of=as_of, shrinkage=0).summary.loc["SMALL"]
    assert unpooled["p50"] == pytest.approx(own, rel=1e-12)
    assert unpooled["weight"] == 1.0


def test_skus_are_pooled_within_their_supplier():
    """by=("supplier_id", "sku"): a SKU with 4 POs of a fast supplier is pulled toward
    the fast supplier's other SKUs, not toward the slow supplier's."""
    groups = {("FAST", f"F{i}"): (FAST, 60, 0.0) for i in range(4)}
    groups |= {("SLOW", f"S{i}"): (SLOW["SLOW-1"], 60, 0.0) for i in range(4)}
    groups[("FAST", "F-NEW")] = (FAST, 5, 300.0)  # the last one still open
    po, as_of = _po_table(groups, seed=2)
    model = fit_lead_times(po, by=("supplier_id", "sku"), as_of=as_of)
    row = model.summary.loc[("FAST", "F-NEW")]
    assert row["n_received"] == 4
    assert model.quantile(0.5, ("FAST", "F-NEW")) == pytest.approx(FAST.median(), rel=0.1)
    assert model.quantile(0.9, ("FAST", "F-NEW")) == pytest.approx(FAST.ppf(0.9), rel=0.15)
