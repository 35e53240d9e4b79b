"""Lines a day's backordered units touch (planning/line_bank.py), against days of order
lines simulated and counted directly."""

from __future__ import annotations

import numpy as np
import pytest

import backorder_analytics as ba
from backorder_analytics.planning.line_bank import LineBank, even_split_lines_hit


def simulated_days(rng, rate, sizes, n_days):
    """Compound-Poisson days: each day's total and the lines ending beyond ``a``."""
    count = rng.poisson(rate, n_days)
    day = np.repeat(np.arange(n_days), count)
    q = sizes[rng.integers(0, len(sizes), len(day))]
    total = np.bincount(day, q, n_days).astype(np.int64)
    cum = np.cumsum(q)
    first = np.concatenate([[0], np.cumsum(count)])[:-1]
    end = cum - np.concatenate([[0], cum])[first[day]]

    def hit(a):
        return np.bincount(day, end > a[day], n_days)

    return total, hit


def lumpy_sizes(rng, n):
    """Mostly small lines and a few very large ones (a lumpy SKU's history)."""
    return np.where(rng.random(n) < 0.85, rng.integers(1, 4, n), rng.integers(20, 80, n))


@pytest.mark.parametrize("rate", [0.2, 3.0])
@pytest.mark.parametrize("frac", [0.0, 0.5, 0.9])
def test_bank_matches_lines_counted_directly(rate, frac):
    rng = np.random.default_rng(0)
    sizes = lumpy_sizes(rng, 5000)
    total, hit = simulated_days(rng, rate, sizes, 200_000)
    a = np.floor(frac * total).astype(np.int64)
    days = total > 0
    truth = hit(a)[days].mean()
    bank = LineBank(sizes, rate, np.random.default_rng(1))
    got = bank.lines_hit(total[days], a[days], rng.random(days.sum())).mean()
    assert got == pytest.approx(truth, rel=0.03)
    if frac == 0.0:  # the even split miscounts these days by far more
        even = even_split_lines_hit(total[days], total[days], sizes.mean()).mean()
        assert abs(even / truth - 1) > 0.05


def test_equal_sizes_are_exact_and_many_lines_use_the_even_split():
    bank = LineBank(np.full(50, 3), 2.0, np.random.default_rng(0))
    d = np.array([3, 6, 9, 12])
    np.testing.assert_array_equal(bank.lines_hit(d, np.array([0, 3, 4, 11]), np.zeros(4)),
                                  [1, 1, 2, 1])
    busy = LineBank(np.array([1, 2, 3]), 50.0, np.random.default_rng(0))
    assert not busy.exact
    np.testing.assert_array_equal(busy.lines_hit(np.array([100]), np.array([40]), np.zeros(1)),
                                  even_split_lines_hit(np.array([100]), np.array([60]), 2.0))


def test_a_total_the_bank_never_drew_takes_the_nearest_day():
    bank = LineBank(np.array([1, 2]), 0.5, np.random.default_rng(0))
    top = int(bank.total.max())
    lines_top = bank.start[-1] - bank.start[-2]
    d = np.array([10 * top, 10 * top])
    np.testing.assert_array_equal(bank.lines_hit(d, np.array([0, 10 * top - 1]), np.zeros(2)),
                                  [lines_top, 1])


def test_risk_lines_never_exceed_units_and_follow_the_bank():
    ds = ba.example_dataset(seed=0)
    t = ba.backorder_risk(ds, forecast="historic_average", n_reps=200).to_frame()
    assert (t["expected_customers_affected"] <= t["expected_backordered_units"] + 1e-9).all()
    assert ((t["expected_customers_affected"] > 0) == (t["expected_backordered_units"] > 0)).all()


@pytest.mark.parametrize("rate", [0.05, 1.0, 7.0])
def test_lines_per_day_follow_the_zero_truncated_poisson_law(rate):
    from backorder_analytics.planning.line_bank import _truncated_poisson

    x = _truncated_poisson(np.random.default_rng(0), rate, 200_000)
    p0 = np.exp(-rate)
    mean = rate / (1 - p0)
    var = rate * (1 + rate) / (1 - p0) - mean**2
    assert x.min() >= 1
    assert x.mean() == pytest.approx(mean, rel=0.005)
    assert x.var() == pytest.approx(var, rel=0.02)


@pytest.mark.parametrize("frac", [0.0, 0.5])
def test_bank_from_a_short_history_matches_the_process(frac):
    # 120 lines of a lumpy SKU (sizes 1 + NegBin(0.5) of mean 15) leave most large sizes
    # unseen; days of the process itself (fresh sizes) are counted line by line. A plain
    # bootstrap of the 120 sizes counted 10-20 % too many lines on these days.
    rng = np.random.default_rng(2)

    def draw(n):
        return 1 + rng.negative_binomial(0.5, 0.5 / 14.5, n)

    total, hit = simulated_days(rng, 0.15, draw(400_000), 400_000)
    a = np.floor(frac * total).astype(np.int64)
    days = total > 0
    truth = hit(a)[days].mean()
    bank = LineBank(draw(120), 0.15, np.random.default_rng(1))
    got = bank.lines_hit(total[days], a[days], rng.random(days.sum())).mean()
    assert got == pytest.approx(truth, rel=0.04)
