"""Forecasts do not depend on which other SKUs are in the call.

A named model gives every SKU the same mean, quantiles and paths whether it is forecast
alone, in a subset (in any order) or in the full set; ``model="auto"`` does the same once
its global inputs (the class means of the selection scores, the reconciliation) are passed
in. Reference values are the full call's own numbers for the same SKU (an independent
computation: a different panel, other rows, other blocks) and, for the random streams,
``numpy.random.default_rng([seed, crc32(sku)])`` used directly.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest
from test_forecast_paths import brent_shift  # the independent reference solver

import backorder_analytics as ba
from backorder_analytics.forecasting import probabilistic
from backorder_analytics.forecasting.baseline import historic_average, naive
from backorder_analytics.forecasting.core import ForecastGlobals
from backorder_analytics.forecasting.panel import to_panel
from backorder_analytics.forecasting.probabilistic import (
    PathSampler,
    bootstrap_sampler,
    count_sampler,
    quantile_function,
    quantile_sampler,
    stream_keys,
)

H = 14
N_PATHS = 200


@pytest.fixture(scope="module")
def y() -> pd.DataFrame:
    """Daily demand of the example dataset: 60 SKUs over two years, some starting late."""
    return ba.demand_series(ba.example_dataset(seed=0), freq="D")


@pytest.fixture(scope="module")
def subsets(y) -> list[list[str]]:
    """SKU subsets: a mixed one in scrambled order, only late starters (a narrower
    panel), and single SKUs (one early, one late)."""
    panel = to_panel(y)
    late = panel.skus[np.isnan(panel.values[:, 0])]
    early = panel.skus[~np.isnan(panel.values[:, 0])]
    assert len(late) >= 4
    assert len(early) >= 4
    mixed = [panel.skus[i] for i in (41, 3, 57, 16, 0, 29, 8)]
    return [mixed, list(late[::-1]), [early[2]], [late[1]]]


def part_of(y: pd.DataFrame, skus) -> pd.DataFrame:
    """The rows of ``skus``, shuffled (row order must not matter either)."""
    return y[y["sku"].isin(skus)].sample(frac=1.0, random_state=1)


def assert_same_forecast(part, full, seed: int = 3) -> None:
    """``part``'s SKUs have exactly ``full``'s numbers: model, mean, quantiles, paths."""
    rows = full.skus.get_indexer(part.skus)
    assert (rows >= 0).all()
    assert part.model_.tolist() == full.model_.iloc[rows].tolist()
    np.testing.assert_array_equal(part.mean, full.mean[rows])
    np.testing.assert_array_equal(part.quantile_values, full.quantile_values[rows])
    np.testing.assert_array_equal(part.paths(), full.paths(skus=part.skus))
    order = list(part.skus[::-1])
    np.testing.assert_array_equal(part.paths(50, seed=seed, skus=order),
                                  full.paths(50, seed=seed, skus=order))


# ---------------------------------------------------------------------------
# named models: every sampler scheme
# ---------------------------------------------------------------------------

NAMED = ["ses", "holt", "holt_winters", "sba", "croston", "tsb", "historic_average",
         "moving_average", "combo(ses+moving_average)", "combo(sba+ses)"]


@pytest.mark.parametrize("model", NAMED)
def test_named_model_subset_equals_full(y, subsets, model):
    full = ba.forecast(y, H, model=model, n_paths=N_PATHS, seed=0)
    for skus in subsets:
        part = ba.forecast(part_of(y, skus), H, model=model, n_paths=N_PATHS, seed=0)
        assert_same_forecast(part, full)


def test_named_model_partitions_reassemble_the_full_forecast(y):
    """Three disjoint partitions, forecast separately and put back together."""
    full = ba.forecast(y, H, model="sba", n_paths=N_PATHS, seed=5)
    skus = np.array(sorted(y["sku"].unique()))
    pieces = [ba.forecast(part_of(y, skus[i::3]), H, model="sba", n_paths=N_PATHS, seed=5)
              for i in range(3)]
    frame = pd.concat([p.to_frame() for p in pieces]).sort_values(["sku", "date"])
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), full.to_frame())


def test_same_seed_same_numbers_other_seed_other_paths(y):
    a = ba.forecast(y, H, model="croston", n_paths=N_PATHS, seed=11)
    b = ba.forecast(y, H, model="croston", n_paths=N_PATHS, seed=11)
    np.testing.assert_array_equal(a.quantile_values, b.quantile_values)
    np.testing.assert_array_equal(a.paths(), b.paths())
    c = ba.forecast(y, H, model="croston", n_paths=N_PATHS, seed=12)
    np.testing.assert_array_equal(a.mean, c.mean)  # the point forecast is not random
    assert not np.array_equal(a.paths(), c.paths())
    assert not np.array_equal(a.paths(seed=1), a.paths(seed=2))


# ---------------------------------------------------------------------------
# model="auto" with the global inputs passed in
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def y_short(y) -> pd.DataFrame:
    """The first 240 days (every SKU still ends on the same day; the late starters stay
    late): the automatic selection's backtest is the slow part of these tests."""
    return y[y["date"] < y["date"].min() + pd.Timedelta(days=240)]


@pytest.fixture(scope="module", params=["auto", True])
def auto_full(request, y_short):
    return ba.forecast(y_short, H, model="auto", n_paths=N_PATHS, seed=0, windows=2,
                       reconcile=request.param)


def test_auto_subset_with_global_inputs_equals_full(y_short, subsets, auto_full):
    g = auto_full.global_inputs_
    assert isinstance(g, ForecastGlobals)
    assert g.reconciliation is auto_full.reconciliation_
    assert set(g.class_scores.index) == set(auto_full.classes_["category"].astype(str))
    for skus in subsets:
        part = ba.forecast(part_of(y_short, skus), H, model="auto", n_paths=N_PATHS, seed=0,
                           windows=2, reconcile=g.settings["reconcile"], global_inputs=g)
        assert_same_forecast(part, auto_full)
        assert part.reconciliation_ is g.reconciliation
        assert part.global_inputs_ is g


def test_auto_subset_of_a_history_too_short_to_backtest(y, subsets):
    """No backtest window fits: no class scores, each SKU its class's first candidate;
    the global inputs without scores still give a subset the whole's numbers."""
    short = y[y["date"] > y["date"].max() - pd.Timedelta(days=H)]
    with pytest.warns(UserWarning, match="too few"):
        full = ba.forecast(short, H, model="auto", n_paths=N_PATHS, seed=0)
    g = full.global_inputs_
    assert g.class_scores is None
    for skus in subsets:
        with pytest.warns(UserWarning, match="too few"):
            part = ba.forecast(part_of(short, skus), H, model="auto", n_paths=N_PATHS,
                               seed=0, global_inputs=g)
        assert_same_forecast(part, full)


def test_auto_global_inputs_reconciliation_is_used(auto_full):
    """With reconcile=True the factor is applied: the test above compared scaled means."""
    rec = auto_full.global_inputs_.reconciliation
    if auto_full.global_inputs_.settings["reconcile"] is True:
        assert rec.applied
        assert rec.factor != 1.0


def test_auto_partitions_reassemble_the_full_forecast(y_short, auto_full):
    g = auto_full.global_inputs_
    skus = np.array(sorted(y_short["sku"].unique()))
    pieces = [ba.forecast(part_of(y_short, skus[i::3]), H, model="auto", n_paths=N_PATHS,
                          seed=0, windows=2, reconcile=g.settings["reconcile"],
                          global_inputs=g)
              for i in range(3)]
    frame = pd.concat([p.to_frame() for p in pieces]).sort_values(["sku", "date"])
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), auto_full.to_frame())


def test_global_inputs_are_not_recomputed(y_short, subsets, auto_full, monkeypatch):
    """Given global inputs, no class mean, total forecast or reconciliation backtest
    is computed from the subset."""
    from backorder_analytics.forecasting import core, reconcile

    def fail(*args, **kwargs):
        raise AssertionError("a global input was recomputed")

    for module, name in [(core, "class_scores"), (core, "class_scores_of"),
                         (core, "reconciliation_of"), (reconcile, "forecast_total")]:
        monkeypatch.setattr(module, name, fail)
    g = auto_full.global_inputs_
    part = ba.forecast(part_of(y_short, subsets[0]), H, model="auto", n_paths=N_PATHS,
                       seed=0, windows=2, reconcile=g.settings["reconcile"], global_inputs=g)
    assert_same_forecast(part, auto_full)


def test_model_list_subset_with_global_inputs_equals_full(y_short, subsets):
    models = ["ses", "croston", "historic_average"]
    full = ba.forecast(y_short, H, model=models, n_paths=N_PATHS, windows=2, seed=0)
    for skus in subsets:
        part = ba.forecast(part_of(y_short, skus), H, model=models, n_paths=N_PATHS,
                           windows=2, seed=0, global_inputs=full.global_inputs_)
        assert_same_forecast(part, full)


def test_named_model_reconciled_subset_with_global_inputs_equals_full(y_short, subsets):
    """reconcile=True scales a named model's forecasts by a factor of all SKUs."""
    full = ba.forecast(y_short, H, model="ses", n_paths=N_PATHS, windows=2, reconcile=True)
    assert full.reconciliation_.applied
    assert full.global_inputs_.settings["reconcile"] is True
    for skus in subsets:
        part = ba.forecast(part_of(y_short, skus), H, model="ses", n_paths=N_PATHS,
                           windows=2, reconcile=True, global_inputs=full.global_inputs_)
        assert_same_forecast(part, full)


def test_global_inputs_of_a_named_model(y):
    fc = ba.forecast(y, H, model="ses", n_paths=N_PATHS)
    g = fc.global_inputs_
    assert g.class_scores is None
    assert g.reconciliation is None
    assert g.settings == {"horizon": H, "end": pd.Timestamp(y["date"].max()),
                          "model": "ses", "reconcile": False}
    assert "no class scores; no reconciliation; model='ses'" in repr(g)


# ---------------------------------------------------------------------------
# validation of global_inputs
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(y_short) -> pd.DataFrame:
    skus = sorted(y_short["sku"].unique())[:12]
    return y_short[y_short["sku"].isin(skus)]


@pytest.fixture(scope="module")
def small_auto(small):
    return ba.forecast(small, H, model="auto", n_paths=50, windows=2)


def test_global_inputs_wrong_type(small, small_auto):
    with pytest.raises(TypeError, match="The 'global_inputs' parameter must be a "
                                        "ForecastGlobals .* Got dict instead"):
        ba.forecast(small, H, global_inputs={"class_scores": None})
    with pytest.raises(TypeError, match="Got Reconciliation instead"):
        ba.forecast(small, H, global_inputs=small_auto.reconciliation_)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"horizon": H + 1}, r"computed with horizon=14, but this call has horizon=15"),
        ({"windows": 3}, r"computed with windows=2, but this call has windows=3"),
        ({"model": "sba"}, r"computed with model='auto', but this call has model='sba'"),
        ({"combine": False}, r"combine=True, but this call has combine=False"),
        ({"reconcile": False}, r"reconcile='auto', but this call has reconcile=False"),
        ({"bias_weight": 0.1}, r"bias_weight=0.0, but this call has bias_weight=0.1"),
    ],
)
def test_global_inputs_other_settings(small, small_auto, changes, match):
    kwargs = {"horizon": H, "model": "auto", "n_paths": 50, "windows": 2} | changes
    with pytest.raises(ValueError, match=match):
        ba.forecast(small, global_inputs=small_auto.global_inputs_, **kwargs)


def test_global_inputs_other_history_end(small, small_auto):
    earlier = small[small["date"] < small["date"].max()]
    with pytest.raises(ValueError, match=r"computed with end=Timestamp\('2024-08-27"):
        ba.forecast(earlier, H, n_paths=50, windows=2, global_inputs=small_auto.global_inputs_)


def test_global_inputs_without_a_class_of_y(y_short, small_auto):
    """Class scores computed from SKUs of other classes cannot serve these."""
    g = small_auto.global_inputs_
    cls = ba.classify_demand(y_short)["category"].astype(str)
    other = cls[~cls.isin(g.class_scores.index)]
    if other.empty:  # every class present: drop one from the scores instead
        dropped = g.class_scores.index[0]
        g = ForecastGlobals(g.class_scores.drop(index=dropped), g.reconciliation, g.settings)
        other = cls[cls == dropped]
    with pytest.raises(ValueError, match="has no class scores for demand class"):
        ba.forecast(part_of(y_short, other.index[:2]), H, n_paths=50, windows=2,
                    global_inputs=g)


def test_global_inputs_without_a_candidate_model(small, small_auto):
    g = small_auto.global_inputs_
    scores = g.class_scores.drop(columns=g.class_scores.columns[0])
    broken = ForecastGlobals(scores, g.reconciliation, dict(g.settings))
    with pytest.raises(ValueError, match=f"no class scores for model "
                                         f"'{g.class_scores.columns[0]}'"):
        ba.forecast(small, H, n_paths=50, windows=2, global_inputs=broken)
    no_scores = ForecastGlobals(None, g.reconciliation, dict(g.settings))
    with pytest.raises(ValueError, match="must have class_scores"):
        ba.forecast(small, H, n_paths=50, windows=2, global_inputs=no_scores)


# ---------------------------------------------------------------------------
# the stream contract of the sampler
# ---------------------------------------------------------------------------


def stream(seed: int, sku) -> np.random.Generator:
    """The documented stream of one SKU (the form planning.safety_stock uses)."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(str(sku).encode())]))


def test_bootstrap_row_follows_its_own_stream():
    """ψ = 0 (zero-like model): path value = max(mean + pool[floor(u · n_pool)] + δ, 0),
    ``u`` the SKU's first n_paths × h uniforms and ``δ`` the shift per period that makes
    the paths average the mean."""
    y = np.array([[0.0, 2.0, 0.0, 5.0, 1.0, 0.0, 3.0], [4.0, 1.0, 0.0, 2.0, 2.0, 6.0, 1.0]])
    s = bootstrap_sampler(y, historic_average(y, 3), None, 3)
    s.keys = stream_keys(["A", "B"])
    got = s.sample(400, seed=7)
    for row, sku in enumerate(["A", "B"]):
        u = stream(7, sku).random((400, 3))
        idx = np.minimum((u * s.n_pool[row]).astype(np.int64), s.n_pool[row] - 1)
        latent = (s.mean[row][None, :].astype(np.float32) + s.pool[row][idx]).astype(float)
        delta = [brent_shift(latent[:, j], s.mean[row, j]) for j in range(3)]
        np.testing.assert_allclose(got[row], np.maximum(latent + delta, 0), atol=1e-5)


def test_count_row_follows_its_own_stream():
    """Occurrence ``u < p`` from the uniforms, then one gamma rate and one Poisson size
    per period with demand (gammas first)."""
    y = np.array([[0, 3, 0, 0, 1, 0, 6, 0, 0, 2, 0, 8, 0, 0, 0]], dtype=float)
    s = count_sampler(y, np.full((1, 4), 1.2))
    s.keys = stream_keys(["SKU-9"])
    got = s.sample(300, seed=2)[0]
    rng = stream(2, "SKU-9")
    occurs = rng.random((300, 4)) < s.prob[0]
    extra = np.broadcast_to(s.extra_mean[0], occurs.shape)[occurs]
    rate = rng.gamma(s.shape[0], extra / s.shape[0])
    expected = np.zeros((300, 4))
    expected[occurs] = 1.0 + rng.poisson(rate)
    np.testing.assert_array_equal(got, expected)


def test_given_quantile_row_follows_its_own_stream():
    """Path value = Q(u), ``Q`` the quantile function through the model's quantiles
    and, at level 1, the top that makes the paths average the mean (hand-computed:
    ``2 · (2.5 − 1.7) / 0.1 − 4 = 12`` and ``2 · (3.5 − 2.75) / 0.1 − 7 = 8``)."""
    levels = {0.5: np.array([[2.0, 3.0]]), 0.9: np.array([[4.0, 7.0]])}
    s = quantile_sampler(np.array([[2.5, 3.5]]), levels)
    s.keys = stream_keys([1234])
    u = stream(0, "1234").random((100, 2))
    expected = quantile_function(np.array([0.5, 0.9, 1.0]),
                                 np.array([[[2.0, 3.0], [4.0, 7.0], [12.0, 8.0]]]), u[None])[0]
    np.testing.assert_allclose(s.sample(100, seed=0)[0], expected, rtol=1e-6)


@pytest.fixture(scope="module")
def mixed_sampler() -> tuple[PathSampler, list[str], np.ndarray]:
    """All three schemes in one sampler (rows interleaved), keyed by SKU ids."""
    rng = np.random.default_rng(0)
    y = rng.poisson(3.0, (30, 40)).astype(float)
    y[:, :5][rng.random((30, 5)) < 0.5] = 0.0
    boot = bootstrap_sampler(y[:10], naive(y[:10], 6), naive, 6)
    cnt = count_sampler(y[10:20], np.full((10, 6), 1.5))
    grid = np.sort(rng.gamma(2.0, 2.0, (10, 3, 6)), axis=1)
    own = quantile_sampler(grid.mean(axis=1), {q: grid[:, j] for j, q in
                                              enumerate((0.25, 0.5, 0.9))})
    rows = rng.permutation(30)
    skus = [f"P{i:02d}" for i in range(30)]
    s = PathSampler.combine([(rows[:10], boot), (rows[10:20], cnt), (rows[20:], own)], 30,
                            keys=stream_keys(skus))
    return s, skus, rows


def test_sampler_rows_blocks_and_combine_do_not_change_the_numbers(mixed_sampler,
                                                                   monkeypatch):
    s, skus, rows = mixed_sampler
    full = s.sample(120, seed=4)
    q = s.quantiles([0.1, 0.5, 0.95], 120, seed=4)
    wanted = [29, 3, 17, 3, 0]
    np.testing.assert_array_equal(s.sample(120, seed=4, rows=wanted), full[wanted])
    # one row per block: the same numbers
    monkeypatch.setattr(probabilistic, "BLOCK_CELLS", 1)
    np.testing.assert_array_equal(s.sample(120, seed=4), full)
    np.testing.assert_array_equal(s.quantiles([0.1, 0.5, 0.95], 120, seed=4), q)
    # the same rows, regrouped in another sampler (keys carried by combine)
    back = rows[[20, 0, 10]]  # one row of each scheme: given, bootstrap, count
    sub = PathSampler.combine([(np.arange(3), _rows(s, back))], 3)
    np.testing.assert_array_equal(sub.keys, stream_keys([skus[i] for i in back]))
    np.testing.assert_array_equal(sub.sample(120, seed=4), full[back])
    np.testing.assert_array_equal(sub.quantiles([0.1, 0.5, 0.95], 120, seed=4), q[back])


def _rows(s: PathSampler, rows: np.ndarray) -> PathSampler:
    """The sampler of some rows of ``s`` (its keys included)."""
    return PathSampler(mean=s.mean[rows], count=s.count[rows], psi=s.psi[rows],
                       pool=s.pool[rows], n_pool=s.n_pool[rows], prob=s.prob[rows],
                       extra_mean=s.extra_mean[rows], shape=s.shape[rows],
                       given=s.given[rows], levels=s.levels, qvalues=s.qvalues[rows],
                       keys=s.keys[rows])


def test_sampler_keys_must_match_rows():
    y = np.array([[1.0, 2.0, 3.0]])
    fit = naive(y, 2)
    with pytest.raises(ValueError, match=r"The 'keys' parameter must have one key per "
                                         r"series, shape \(1,\)"):
        PathSampler(mean=fit.mean, count=np.zeros(1, bool), psi=np.zeros((1, 2)),
                    pool=np.zeros((1, 1), np.float32), n_pool=np.zeros(1, np.int64),
                    prob=np.zeros((1, 2)), extra_mean=np.zeros(1), shape=np.full(1, np.inf),
                    keys=np.array([1, 2]))
