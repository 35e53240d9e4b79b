"""Tests of backorder_analytics.forecasting.metrics against hand-computed values, loop-based
references written from the published formulas, and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, mean_pinball_loss

from backorder_analytics.forecasting import metrics

# ---------------------------------------------------------------------------
# loop-based references, one series at a time, straight from the formulas
# ---------------------------------------------------------------------------


def ref_rmsse(y, f, x):
    """M5 guidelines eq. (1): scale from the first non-zero training value."""
    x = [v for v in x if not math.isnan(v)]
    start = next(i for i, v in enumerate(x) if v != 0)
    x = x[start:]
    scale = sum((x[i] - x[i - 1]) ** 2 for i in range(1, len(x))) / (len(x) - 1)
    mse = sum((a - b) ** 2 for a, b in zip(y, f, strict=True)) / len(y)
    return math.sqrt(mse / scale)


def ref_mase(y, f, x, m=1):
    """Hyndman & Koehler (2006) eq. (9): the whole training series."""
    x = [v for v in x if not math.isnan(v)]
    scale = sum(abs(x[i] - x[i - m]) for i in range(m, len(x))) / (len(x) - m)
    return sum(abs(a - b) for a, b in zip(y, f, strict=True)) / len(y) / scale


def ref_spl(y, qf, tau, x):
    """M5 uncertainty guidelines eq. (3)."""
    x = [v for v in x if not math.isnan(v)]
    start = next(i for i, v in enumerate(x) if v != 0)
    x = x[start:]
    scale = sum(abs(x[i] - x[i - 1]) for i in range(1, len(x))) / (len(x) - 1)
    loss = sum(tau * (a - q) if a >= q else (1 - tau) * (q - a) for a, q in zip(y, qf, strict=True))
    return loss / len(y) / scale


@pytest.fixture
def panel():
    rng = np.random.default_rng(3)
    n, t, h = 25, 30, 6
    x = (rng.random((n, t)) < 0.5) * rng.poisson(4, (n, t)).astype(float)
    x[:, 5] = 3.0  # every series has a non-zero value
    x[:5, :4] = np.nan  # some start later
    y = rng.poisson(2, (n, h)).astype(float)
    f = rng.gamma(2, 1, (n, h))
    return x, y, f


def test_hand_computed_values():
    y = np.array([[2.0, 0.0, 4.0]])
    f = np.array([[1.0, 1.0, 1.0]])
    x = np.array([[0.0, 0.0, 2.0, 4.0, 1.0]])
    # MAE (1 + 1 + 3) / 3
    assert metrics.mae(y, f)[0] == pytest.approx(5 / 3)
    # MASE scale: |0|,|2|,|2|,|3| -> 7/4
    assert metrics.mase(y, f, x)[0] == pytest.approx((5 / 3) / (7 / 4))
    # RMSSE scale from the first non-zero: (2-4)², (4-1)² -> 13/2; MSE 11/3
    assert metrics.rmsse(y, f, x)[0] == pytest.approx(math.sqrt((11 / 3) / 6.5))
    # scaled bias: mean(f - y) = -1, in-sample mean 7/5
    assert metrics.scaled_bias(y, f, x)[0] == pytest.approx(-1 / 1.4)
    # pinball at 0.9: 0.9·1 + 0.1·1 + 0.9·3 = 3.7, / 3
    assert metrics.pinball_loss(y, f[:, None, :], [0.9])[0, 0] == pytest.approx(3.7 / 3)
    # scaled pinball: scale |2-4|, |4-1| -> 5/2
    assert metrics.scaled_pinball_loss(y, f[:, None, :], [0.9], x)[0, 0] == pytest.approx(
        3.7 / 3 / 2.5)
    assert metrics.coverage(y, f * 0, f * 2)[0] == pytest.approx(2 / 3)
    assert metrics.share_below(y, f)[0] == pytest.approx(1 / 3)


def test_against_loop_references(panel):
    x, y, f = panel
    rows = list(zip(y, f, x, strict=True))
    np.testing.assert_allclose(metrics.rmsse(y, f, x), [ref_rmsse(*r) for r in rows])
    np.testing.assert_allclose(metrics.mase(y, f, x), [ref_mase(*r) for r in rows])
    np.testing.assert_allclose(metrics.mase(y, f, x, season_length=3),
                               [ref_mase(*r, m=3) for r in rows])
    taus = [0.5, 0.8, 0.95]
    qf = np.stack([f * (1 + t) for t in taus], axis=1)
    spl = metrics.scaled_pinball_loss(y, qf, taus, x)
    for i in range(len(y)):
        for k, tau in enumerate(taus):
            assert spl[i, k] == pytest.approx(ref_spl(y[i], qf[i, k], tau, x[i]))


@pytest.mark.parametrize("tau", [0.05, 0.5, 0.8, 0.9, 0.95])
def test_pinball_matches_sklearn(panel, tau):
    _, y, f = panel
    ours = metrics.pinball_loss(y, f[:, None, :], [tau])[:, 0]
    theirs = [mean_pinball_loss(y[i], f[i], alpha=tau) for i in range(len(y))]
    np.testing.assert_allclose(ours, theirs)


def test_mae_matches_sklearn(panel):
    _, y, f = panel
    np.testing.assert_allclose(metrics.mae(y, f),
                               [mean_absolute_error(y[i], f[i]) for i in range(len(y))])


def test_nan_outcomes_left_out_and_zero_scale():
    y = np.array([[1.0, np.nan], [np.nan, np.nan]])
    f = np.zeros((2, 2))
    assert metrics.mae(y, f)[0] == 1.0
    assert np.isnan(metrics.mae(y, f)[1])
    # constant series: zero scale -> inf for a non-zero error, NaN for 0/0, no warning
    with np.errstate(all="raise"):
        out = metrics.rmsse(np.array([[1.0], [0.0]]), np.zeros((2, 1)),
                            np.array([[2.0, 2.0], [3.0, 3.0]]))
    assert np.isinf(out[0])
    assert np.isnan(out[1])


def test_one_dimensional_inputs_are_one_series():
    assert metrics.rmsse([1.0, 2.0], [1.0, 1.0], [0.0, 1.0, 3.0]).shape == (1,)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: metrics.mae(np.zeros((2, 3)), np.zeros((2, 2))), "same shape"),
        (lambda: metrics.rmsse(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((3, 5))),
         "one row per series"),
        (lambda: metrics.pinball_loss(np.zeros((2, 3)), np.zeros((2, 2, 3)), [0.5]),
         "must have shape"),
        (lambda: metrics.pinball_loss(np.zeros((2, 3)), np.zeros((2, 1, 3)), [1.5]),
         "strictly between 0 and 1"),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_rmsse_rewards_mean_not_median():
    """On intermittent outcomes the median (0) wins on MAE but the mean wins on RMSSE."""
    y = np.array([[0.0, 0.0, 0.0, 4.0]])
    x = np.array([[0.0, 4.0, 0.0, 0.0, 4.0, 0.0]])
    zero, mean = np.zeros((1, 4)), np.ones((1, 4))
    assert metrics.mae(y, zero)[0] < metrics.mae(y, mean)[0]
    assert metrics.rmsse(y, mean, x)[0] < metrics.rmsse(y, zero, x)[0]
