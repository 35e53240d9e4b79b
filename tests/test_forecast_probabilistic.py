"""Tests of backorder_analytics.forecasting.probabilistic: sample paths against the
distributions they are built from, and lead_time_demand against closed forms
(Poisson sums, Poisson mixtures, the compound mean / variance formula)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from backorder_analytics.forecasting.baseline import historic_average, naive, zero
from backorder_analytics.forecasting.lead_time_demand import lead_time_demand
from backorder_analytics.forecasting.probabilistic import (
    PathSampler,
    bootstrap_sampler,
    count_sampler,
    hurdle_quantiles,
    quantile_function,
    quantile_function_mean,
    quantile_sampler,
    quantiles_from_paths,
)


def cdf_close(draws: np.ndarray, dist, points) -> None:
    """Empirical CDF within 5 standard errors of the exact one at ``points``."""
    n = draws.size
    for k in points:
        p = dist.cdf(k)
        assert abs((draws <= k).mean() - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12, k


# ---------------------------------------------------------------------------
# sample paths
# ---------------------------------------------------------------------------


def test_bootstrap_naive_is_random_walk_of_residuals():
    """Naive: ψ = 1, so step j is the last value plus a sum of j resampled residuals,
    all paths of a step moved by one shift so that they average the point forecast
    (here the residuals average 0: the shift only removes the sample's mean)."""
    y = np.array([[10.0, 11.0, 9.0, 10.0, 12.0, 11.0, 10.0]])
    fit = naive(y, 3)
    s = bootstrap_sampler(y, fit, naive, 3)
    np.testing.assert_allclose(s.psi, 1.0)
    resid = np.diff(y[0])
    paths = s.sample(40_000, seed=1)[0]
    assert paths.shape == (40_000, 3)
    for j in range(3):
        assert paths[:, j].mean() == pytest.approx(10.0, abs=1e-4)
        assert paths[:, j].var() == pytest.approx((j + 1) * resid.var(), rel=0.05)
    # the first step takes only values last + residual + one shift
    first = np.unique(np.round(paths[:, 0], 4))
    np.testing.assert_allclose(np.diff(first), np.diff(np.unique(resid)), atol=1e-3)


def test_bootstrap_zero_and_mean_models():
    """Zero: ψ = 0 and paths of 0, its point forecast; historic average of T = 7
    values: ψ = 1/T."""
    y = np.array([[0.0, 2.0, 0.0, 5.0, 1.0, 0.0, 3.0]])
    s = bootstrap_sampler(y, zero(y, 4), zero, 4)
    np.testing.assert_allclose(s.psi, 0.0)
    assert (s.sample(2000, seed=2) == 0).all()
    s2 = bootstrap_sampler(y, historic_average(y, 2), historic_average, 2)
    np.testing.assert_allclose(s2.psi, 1 / 7)


def test_bootstrap_of_a_biased_model_averages_its_forecast():
    """Residuals that do not average 0 (the historic average of a rising series
    under-forecasts every period) shift the paths, not their mean."""
    y = np.arange(1.0, 41.0)[None, :]
    fit = historic_average(y, 3)
    s = bootstrap_sampler(y, fit, historic_average, 3)
    assert np.nanmean(y - fit.fitted) > 10
    paths = s.sample(5000, seed=0)[0].astype(float)
    np.testing.assert_allclose(paths.mean(axis=0), fit.mean[0], rtol=1e-6)


def test_bootstrap_window_uses_recent_residuals():
    y = np.array([[100.0] * 20 + [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]])
    s = bootstrap_sampler(y, zero(y, 2), zero, 2, max_residuals=6)
    assert s.sample(2000, seed=0).max() <= 2.0


def test_paths_clipped_at_zero():
    y = np.array([[5.0, 0.0, 5.0, 0.0, 5.0, 0.0]])
    paths = bootstrap_sampler(y, naive(y, 5), naive, 5).sample(1000, seed=0)
    assert paths.min() >= 0


def test_count_sampler_hurdle_negative_binomial():
    """Occurrence p = mean / m; size − 1 negative binomial with the sizes' moments."""
    y = np.array([[0, 3, 0, 0, 1, 0, 6, 0, 0, 2, 0, 8, 0, 0, 0]], dtype=float)
    sizes = y[y > 0]
    m, v = sizes.mean(), sizes.var(ddof=1)  # 4, 8.5
    mean = np.full((1, 4), 1.2)
    s = count_sampler(y, mean)
    assert s.prob[0, 0] == pytest.approx(1.2 / m)
    paths = s.sample(200_000, seed=3)[0]
    assert np.array_equal(paths, np.round(paths))
    assert (paths > 0).mean() == pytest.approx(0.3, abs=0.005)
    nz = paths[paths > 0]
    assert nz.min() >= 1
    assert nz.mean() == pytest.approx(m, rel=0.01)
    assert nz.var() == pytest.approx(v, rel=0.03)
    assert paths.mean() == pytest.approx(1.2, rel=0.01)
    # size − 1 ~ NB(r, p) with r = (m−1)² / (v − m + 1)
    r = (m - 1) ** 2 / (v - (m - 1))
    cdf_close(nz - 1, stats.nbinom(r, r / (r + m - 1)), range(0, 10))


def test_count_sampler_poisson_and_degenerate_sizes():
    y = np.array([[0, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0], [2, 3, 2, 3, 2, 3]], dtype=float)
    s = count_sampler(y, np.array([[0.5] * 3, [0.7] * 3, [2.5] * 3]))
    paths = s.sample(5000, seed=0)
    assert set(np.unique(paths[0])) == {0.0, 1.0}  # all sizes 1
    assert (paths[1] == 0).all()  # no demand history: nothing
    assert paths[2].min() >= 1  # p = min(1, 2.5 / 2.5)
    assert not np.isfinite(s.shape[2])  # under-dispersed sizes: Poisson


def test_hurdle_quantiles_against_scipy():
    """The exact quantiles: 0 up to 1 − p, then 1 + scipy's inverse CDF of the size − 1
    (negative binomial, or Poisson), at the conditional level; large means included."""
    rng = np.random.default_rng(1)
    n, h = 2000, 3
    prob = rng.uniform(0, 1, (n, h))
    prob[:5], prob[5:10] = 1.0, 0.0
    mu = rng.lognormal(1, 1.5, (n, h))
    mu[10:20], mu[20:25] = 0.0, rng.uniform(900, 5000, (5, h))  # sizes of 1; huge sizes
    shape = np.where(rng.random(n) < 0.5, np.inf, rng.lognormal(0, 1, n))
    levels = [0.95, 0.5, 0.8, 0.01, 0.9]
    got = hurdle_quantiles(prob, mu, shape, levels)
    r = np.broadcast_to(shape[:, None], mu.shape)
    for k, q in enumerate(levels):
        with np.errstate(divide="ignore", invalid="ignore"):
            level = (q - 1 + prob) / prob
            x = np.where(np.isinf(r), stats.poisson.ppf(level, mu),
                         stats.nbinom.ppf(level, r, r / (r + mu)))
        want = np.where((prob > 0) & (q > 1 - prob), 1 + np.where(mu > 0, x, 0), 0)
        np.testing.assert_array_equal(got[:, k], want, err_msg=f"level {q}")


def test_count_quantiles_are_what_the_paths_tend_to():
    """The hand-over to the paths: a count row's quantiles (exact, not sampled) are
    the inverted-CDF quantiles of many of its paths, up to sampling error."""
    y = np.array([[0, 3, 0, 0, 1, 0, 6, 0, 0, 2, 0, 8, 0, 0, 0],
                  [5, 9, 7, 0, 12, 6, 8, 7, 0, 11, 9, 6, 0, 8, 10]], dtype=float)
    s = count_sampler(y, np.array([[1.2, 1.2], [6.0, 9.5]]))
    levels = [0.5, 0.8, 0.9, 0.95]
    exact = s.quantiles(levels, n_paths=10, seed=0)
    paths = s.sample(100_000, seed=4)
    np.testing.assert_array_equal(exact, s.quantiles(levels, n_paths=5, seed=9))
    for q in levels:
        low = np.quantile(paths, q - 0.004, axis=1, method="inverted_cdf")
        high = np.quantile(paths, q + 0.004, axis=1, method="inverted_cdf")
        k = levels.index(q)
        assert np.all((low <= exact[:, k]) & (exact[:, k] <= high)), q


def test_sampling_is_deterministic_and_per_row():
    """Every row draws from its own stream: the rows asked for do not change a row's
    paths (tests/test_forecast_partition.py checks the stream contract itself)."""
    rng = np.random.default_rng(0)
    y = rng.poisson(2, (600, 30)).astype(float)
    s = bootstrap_sampler(y, naive(y, 5), naive, 5)
    a = s.sample(20, seed=9)
    np.testing.assert_array_equal(a, s.sample(20, seed=9))
    np.testing.assert_array_equal(a[[599, 3, 300]], s.sample(20, seed=9, rows=[599, 3, 300]))
    q = s.quantiles([0.1, 0.9], 20, seed=9)
    np.testing.assert_allclose(q, quantiles_from_paths(a, [0.1, 0.9]), rtol=1e-6)


def test_combine_keeps_rows():
    y = np.array([[1.0, 2.0, 3.0], [0.0, 2.0, 0.0]])
    a = bootstrap_sampler(y[:1], naive(y[:1], 2), naive, 2)
    b = count_sampler(y[1:], np.array([[1.0, 1.0]]))
    s = PathSampler.combine([(np.array([1]), b), (np.array([0]), a)], 2)
    assert s.count.tolist() == [False, True]
    np.testing.assert_allclose(s.mean, [[3.0, 3.0], [1.0, 1.0]])


def test_quantiles_from_paths_match_numpy():
    paths = np.random.default_rng(1).poisson(3, (4, 101, 2)).astype(float)
    qs = [0.05, 0.5, 0.9]
    np.testing.assert_allclose(quantiles_from_paths(paths, qs),
                               np.moveaxis(np.quantile(paths, qs, axis=1), 0, 1))
    np.testing.assert_allclose(
        quantiles_from_paths(paths, qs, discrete=True),
        np.moveaxis(np.quantile(paths, qs, axis=1, method="inverted_cdf"), 0, 1))


# ---------------------------------------------------------------------------
# lead-time demand against closed forms
# ---------------------------------------------------------------------------

LAM = 3.0


@pytest.fixture(scope="module")
def poisson_paths():
    return np.random.default_rng(11).poisson(LAM, (2, 100_000, 8)).astype(float)


def test_constant_lead_time_is_poisson(poisson_paths):
    ltd = lead_time_demand(poisson_paths, lead_time=4, quantiles=(0.5, 0.9, 0.95, 0.99))
    exact = stats.poisson(LAM * 4)
    for row in ltd.draws:
        cdf_close(row, exact, range(5, 22))
    frame = ltd.to_frame()
    for q in (0.5, 0.9, 0.95, 0.99):
        np.testing.assert_allclose(frame[f"q{q:g}"], exact.ppf(q), atol=1)
    np.testing.assert_allclose(frame["mean"], 12, rtol=0.01)
    np.testing.assert_allclose(frame["std"], np.sqrt(12), rtol=0.01)


def test_random_lead_time_is_poisson_mixture(poisson_paths):
    """L ∈ {2, 4} equally likely: P(D ≤ k) = ½ P(Pois(6) ≤ k) + ½ P(Pois(12) ≤ k)."""
    ltd = lead_time_demand(poisson_paths, lead_time=np.array([2.0, 4.0]), seed=4)

    class Mixture:
        @staticmethod
        def cdf(k):
            return 0.5 * stats.poisson(6).cdf(k) + 0.5 * stats.poisson(12).cdf(k)

    for row in ltd.draws:
        cdf_close(row, Mixture, range(1, 22))
    assert set(np.unique(ltd.lead_times)) == {2.0, 4.0}


def test_compound_mean_and_variance_with_scipy_and_duck_typed_model(poisson_paths):
    """E = μ·E[L], Var = E[L]·σ² + μ²·Var(L) (Silver, Pyke & Thomas, 2017, §6.11)."""
    lt = stats.randint(1, 7)  # 1..6 periods
    ltd = lead_time_demand(poisson_paths, lead_time=lt, seed=5)
    mean = LAM * lt.mean()
    var = lt.mean() * LAM + LAM**2 * lt.var()
    np.testing.assert_allclose(ltd.draws.mean(axis=1), mean, rtol=0.01)
    np.testing.assert_allclose(ltd.draws.var(axis=1), var, rtol=0.03)

    class LeadTimeModelLike:
        """Anything with .sample(n, rng=...) works (as LeadTimeModel does)."""

        def sample(self, n, rng=None, group=None):
            return rng.choice([1.0, 5.0], size=n, p=[0.25, 0.75])

    ltd2 = lead_time_demand(poisson_paths, lead_time=LeadTimeModelLike(), seed=6)
    e_l, v_l = 4.0, 0.25 * 0.75 * 16
    np.testing.assert_allclose(ltd2.draws.mean(axis=1), LAM * e_l, rtol=0.01)
    np.testing.assert_allclose(ltd2.draws.var(axis=1), e_l * LAM + LAM**2 * v_l, rtol=0.03)


def test_fractional_lead_time_mean(poisson_paths):
    """A continuous lead time: the fractional period keeps E = μ·E[L] exact."""
    ltd = lead_time_demand(poisson_paths, lead_time=stats.uniform(0.5, 5.0), seed=7)
    np.testing.assert_allclose(ltd.draws.mean(axis=1), LAM * 3.0, rtol=0.01)
    one = lead_time_demand(np.array([[[2.0, 4.0, 8.0]]]), lead_time=1.5)
    assert one.draws[0, 0] == pytest.approx(2 + 0.5 * 4)


def test_per_sku_lead_times_and_path_resampling(poisson_paths):
    lt = np.array([[1.0, 1.0], [3.0, 3.0]])
    ltd = lead_time_demand(poisson_paths, lead_time=lt, n=50_000, seed=8, skus=["a", "b"])
    np.testing.assert_allclose(ltd.draws.mean(axis=1), [LAM, 3 * LAM], rtol=0.02)
    assert list(ltd.summary.index) == ["a", "b"]
    assert "LeadTimeDemand(2 SKUs × 50000 draws" in repr(ltd)
    assert "<table" in ltd._repr_html_()


@pytest.mark.parametrize(
    ("lead_time", "error", "match"),
    [
        (9.0, ValueError, "cover only h=8 periods"),
        (-1.0, ValueError, "finite and >= 0"),
        ("soon", TypeError, "'lead_time' parameter must be"),
    ],
)
def test_lead_time_errors(poisson_paths, lead_time, error, match):
    with pytest.raises(error, match=match):
        lead_time_demand(poisson_paths[:, :10], lead_time=lead_time)


# ---------------------------------------------------------------------------
# the model's own quantiles (global family)
# ---------------------------------------------------------------------------


def test_quantile_function_interpolates_and_extends_tails():
    """Nodes (0.5, 2), (0.9, 4): linear between, a line to (0, 0) below, the last
    segment (slope 5) continued above; hand-computed."""
    levels = np.array([0.5, 0.9])
    values = np.array([[2.0, 4.0], [-1.0, 3.0]])[:, :, None]
    u = np.broadcast_to(np.array([0.0, 0.25, 0.5, 0.7, 0.9, 0.95, 1.0])[None, :, None],
                        (2, 7, 1))
    got = quantile_function(levels, values, u)[:, :, 0]
    np.testing.assert_allclose(got[0], [0.0, 1.0, 2.0, 3.0, 4.0, 4.25, 4.5])
    # a negative lowest quantile: flat below it, then on the segments (slope 10)
    np.testing.assert_allclose(got[1], [-1.0, -1.0, -1.0, 1.0, 3.0, 3.5, 4.0])


def test_quantile_function_is_exact_at_the_nodes():
    rng = np.random.default_rng(4)
    levels = np.array([0.1, 0.25, 0.5, 0.75, 0.9, 0.95])
    values = np.sort(rng.gamma(2.0, 3.0, size=(5, 6, 3)), axis=1)
    u = np.broadcast_to(levels[None, :, None], values.shape)
    np.testing.assert_array_equal(quantile_function(levels, values, u), values)


def exact_mean(levels, grid, flat_top: bool = False) -> np.ndarray:
    """Mean of the piecewise-linear quantile function through the nodes (0, 0),
    ``(levels, grid)`` and, above the last level, the last segment continued to u = 1
    (or, with ``flat_top``, flat) for grid ≥ 0, by the midpoint rule on 200,000 cells
    (exact up to the cells holding a node)."""
    levels = np.asarray(levels, dtype=float)
    u = (np.arange(200_000) + 0.5) / 200_000
    out = np.empty((grid.shape[0], grid.shape[2]))
    for i in range(grid.shape[0]):
        for j in range(grid.shape[2]):
            q = grid[i, :, j]
            slope = 0.0 if flat_top else (q[-1] - q[-2]) / (levels[-1] - levels[-2])
            top = q[-1] + (1 - levels[-1]) * slope
            out[i, j] = np.interp(u, [0.0, *levels, 1.0], [0.0, *q, top]).mean()
    return out


def test_quantile_function_mean_against_numerical_integration():
    rng = np.random.default_rng(4)
    levels = np.array([0.1, 0.25, 0.5, 0.75, 0.9, 0.95])
    values = np.sort(rng.gamma(2.0, 3.0, size=(3, 6, 2)), axis=1)
    np.testing.assert_allclose(quantile_function_mean(levels, values),
                               exact_mean(levels, values), rtol=1e-6)


def test_quantile_sampler_quantiles_exact_and_paths_follow_them():
    """With the point forecast at the mean of the quantile function (its last segment
    continued), quantiles at fitted levels are the given ones, bit for bit; the share
    of paths at or below each is its level within 5 standard errors sqrt(p(1-p)/n)
    (the grid is strictly increasing, so P(Q(U) <= q_p) = p exactly)."""
    rng = np.random.default_rng(9)
    levels = (0.1, 0.25, 0.5, 0.8, 0.9, 0.95)
    grid = np.sort(rng.gamma(3.0, 2.0, size=(4, len(levels), 5)), axis=1)
    quantiles = {q: grid[:, j, :] for j, q in enumerate(levels)}
    s = quantile_sampler(exact_mean(levels, grid), quantiles)
    assert s.given.all()
    np.testing.assert_array_equal(s.quantiles([0.5, 0.9], 10, seed=0), grid[:, [2, 4], :])
    n = 40_000
    paths = s.sample(n, seed=1)
    assert paths.shape == (4, n, 5)
    assert paths.min() >= 0  # the lower tail runs to 0, not below
    for j, p in enumerate(levels):
        share = (paths <= grid[:, j, :][:, None, :].astype(np.float32)).mean(axis=1)
        assert np.abs(share - p).max() <= 5 * np.sqrt(p * (1 - p) / n), p
    # the upper tail is bounded: q_K + (1 - u_K) * last slope
    top = grid[:, -1] + 0.05 * (grid[:, -1] - grid[:, -2]) / 0.05
    assert (paths <= top[:, None, :] * (1 + 1e-5)).all()
    # no correlation between periods (psi = 0)
    assert abs(np.corrcoef(paths[0, :, 0], paths[0, :, 1])[0, 1]) < 5 / np.sqrt(n)


def test_quantile_sampler_sets_its_upper_tail_by_the_point_forecast():
    """A point forecast away from the quantile function's mean (the global model's
    mean and quantiles are separate fits): above the mean of the quantiles with a flat
    top, the fitted quantiles stay and the tail above the top level carries the rest;
    below it, the quantiles are scaled by mean / (that mean). Either way the paths
    average the point forecast."""
    rng = np.random.default_rng(2)
    levels = (0.25, 0.5, 0.9)
    grid = np.sort(rng.gamma(3.0, 2.0, size=(4, len(levels), 4)), axis=1)
    grid[3] = 0.0  # no demand up to the top level: all the mean in the tail
    mean = exact_mean(levels, grid) * np.array([0.5, 1.0, 1.7, 0.0])[:, None]
    mean[3] = 0.2
    s = quantile_sampler(mean, {q: grid[:, j, :] for j, q in enumerate(levels)})
    flat = exact_mean(levels, grid, flat_top=True)
    assert (mean[0] < flat[0]).all()
    assert (mean[1:] >= flat[1:]).all()
    expected = grid.copy()
    expected[0] *= (mean[0] / flat[0])[None, :]
    np.testing.assert_allclose(s.quantiles(levels, 10, seed=0), expected, rtol=1e-9)
    paths = s.sample(40_000, seed=3).astype(float)
    se = paths.std(axis=1) / np.sqrt(paths.shape[1])
    np.testing.assert_array_less(np.abs(paths.mean(axis=1) - mean), 4 * se)
    # the row without demand below the top level: 0 for 90 % of the paths
    assert (paths[3] == 0).mean() == pytest.approx(0.9, abs=0.01)


def test_quantile_sampler_rows_without_quantiles_get_the_mean():
    quantiles = {0.5: np.array([[2.0, 2.0], [np.nan, np.nan]]),
                 0.9: np.array([[4.0, 5.0], [np.nan, np.nan]])}
    s = quantile_sampler(np.array([[2.5, 2.5], [1.5, np.nan]]), quantiles)
    assert s.given.tolist() == [True, False]
    paths = s.sample(50, seed=0)
    np.testing.assert_array_equal(paths[1], np.tile([1.5, 0.0], (50, 1)))


def test_combine_regrids_given_rows_exactly_and_keeps_other_schemes():
    """A quantile sampler on levels (0.5, 0.9) combined with one on (0.25, 0.5, 0.95)
    and a bootstrap sampler: every row keeps its own quantile function."""
    # a's point forecast is the mean of its quantile function (hand-computed
    # 0.5 · 1 + 0.4 · 3 + 0.1 · 4.25), so its quantiles stay as given
    a = quantile_sampler(np.array([[2.125]]), {0.5: np.array([[2.0]]),
                                               0.9: np.array([[4.0]])})
    b = quantile_sampler(np.array([[5.0]]), {0.25: np.array([[3.0]]), 0.5: np.array([[5.0]]),
                                             0.95: np.array([[9.0]])})
    y = np.array([[1.0, 3.0, 2.0, 4.0]])
    boot = bootstrap_sampler(y, naive(y, 1), naive, 1)
    both = PathSampler.combine([(np.array([2]), a), (np.array([0]), b),
                                (np.array([1]), boot)], 3)
    np.testing.assert_array_equal(both.levels, [0.25, 0.5, 0.9, 0.95, 1.0])
    u = [0.1, 0.25, 0.5, 0.7, 0.9, 0.95]
    got = both.quantiles(u, 200, seed=0)
    np.testing.assert_allclose(got[2, :, 0], a.quantiles(u, 200, seed=0)[0, :, 0])
    np.testing.assert_allclose(got[0, :, 0], b.quantiles(u, 200, seed=0)[0, :, 0])
    np.testing.assert_allclose(got[2, :, 0], [0.4, 1.0, 2.0, 3.0, 4.0, 4.25])
    # the bootstrap row resamples naive's residuals (2, -1, 2) around its forecast 4
    boot_paths = both.sample(500, seed=0)[1]
    np.testing.assert_allclose(np.diff(np.unique(np.round(boot_paths, 4))), [3.0], atol=1e-3)
    assert boot_paths.mean() == pytest.approx(4.0, abs=1e-5)


class _TwoSuppliers:
    """A stand-in lead-time model: 2 periods from "FAST", 4 from "SLOW"."""

    days = {"FAST": 2.0, "SLOW": 4.0}

    def sample(self, n, group=None, rng=None):
        return np.full(n, self.days[group])


def test_lead_time_demand_draws_each_sku_from_its_group():
    rng = np.random.default_rng(3)
    paths = rng.poisson(2.0, size=(3, 4000, 6)).astype(float)
    ltd = lead_time_demand(paths, _TwoSuppliers(), skus=["A", "B", "C"],
                           groups={"A": "FAST", "B": "SLOW", "C": "FAST"})
    # E[D] = μ·L per SKU: 4 for the fast supplier's SKUs, 8 for the slow one's
    np.testing.assert_allclose(ltd.draws.mean(axis=1), [4.0, 8.0, 4.0], rtol=0.03)
    assert ltd.lead_times.shape == (3, 4000)
    with pytest.raises(ValueError, match="no group for SKU"):
        lead_time_demand(paths, _TwoSuppliers(), skus=["A", "B", "C"], groups={"A": "FAST"})
    with pytest.raises(TypeError, match="needs a lead-time model"):
        lead_time_demand(paths, 3.0, skus=["A", "B", "C"], groups={"A": "FAST"})


def test_lead_time_demand_with_a_fitted_model_by_supplier():
    from backorder_analytics import fit_lead_times
    from backorder_analytics.data.example import example_dataset

    ds = example_dataset(seed=0)
    lt = fit_lead_times(ds.purchase_orders, as_of=ds.as_of)
    supplier = ds.items.set_index("sku")["supplier_id"]
    skus = ["SKU-0001", "SKU-0002"]
    paths = np.ones((2, 3000, 600))  # one unit a day: demand over L is L itself
    ltd = lead_time_demand(paths, lt, skus=skus, groups=supplier, seed=1)
    for row, sku in enumerate(skus):
        expected = lt.distribution(supplier[sku]).mean()
        assert ltd.draws[row].mean() == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize("forecast_mean", [0.3, 2.0, 7.5, 40.0])
def test_count_paths_average_the_point_forecast(forecast_mean):
    """The hand-over forecast -> paths: the count distribution's mean is the forecast in
    every period, also when the forecast exceeds the mean non-zero size (demand then
    occurs every period and the sizes carry the rest)."""
    y = np.array([[0, 3, 0, 0, 1, 0, 6, 0, 0, 2, 0, 8, 0, 0, 0, 4]], dtype=float)
    mean = np.full((1, 5), forecast_mean)
    paths = count_sampler(y, mean).sample(20_000, seed=3)[0]
    se = paths.std(axis=0) / np.sqrt(len(paths))
    np.testing.assert_array_less(np.abs(paths.mean(axis=0) - forecast_mean), 4 * se + 1e-9)
