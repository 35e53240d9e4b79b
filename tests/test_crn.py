"""The compiled passes of the safety-stock simulation (``simulation/crn.py``) against the
plain NumPy expressions they replace and a slow event-by-event reference, on random
inputs with the edge cases: replications without lines or receipts, one replication,
ties in time, sizes of 0, a warm-up that cuts through the lines."""

from __future__ import annotations

import numpy as np
import pytest

from backorder_analytics.simulation import crn


def quarter(x):
    return np.round(np.asarray(x) * 4) / 4  # on a grid of 0.25 days: sums are exact


# ------------------------------------------------------------------ demand lines


def numpy_arrivals(rng, n_reps, width, scale, total, cum, rate):
    """The arrival times as NumPy draws and computes them: the gap matrix, its
    row-wise cumulated sums, those before ``total``, through ``np.interp``."""
    e = np.cumsum(rng.standard_exponential((n_reps, width)), axis=1) * scale[:, None]
    rep, col = np.nonzero(e < total)
    e = e[rep, col]
    t = e / rate if cum is None else np.interp(e, cum, np.arange(len(cum), dtype=float))
    return np.searchsorted(rep, np.arange(n_reps + 1)), t


@pytest.mark.parametrize("n_reps", [1, 7])
@pytest.mark.parametrize("rates", ["constant", "daily", "days without demand"])
def test_arrival_times_are_numpys_draws_and_interpolation(n_reps, rates):
    rng = np.random.default_rng(3)
    t_end = 30.0
    day_rate = rng.uniform(0.5, 6.0, 30)
    if rates == "days without demand":
        day_rate[[0, 5, 6, 7, 29]] = 0.0  # flat stretches of the cumulative rate
    cum = None if rates == "constant" else np.r_[0.0, np.cumsum(day_rate)]
    total = 3.0 * t_end if cum is None else float(cum[-1])
    scale = 1.0 / rng.gamma(20.0, 1 / 20.0, n_reps)
    width = int(total / scale.min() * 1.5 + 40)  # wide enough for every row
    got = crn._arrival_times(np.random.default_rng(8), n_reps, width, scale, total,
                             np.zeros(0) if cum is None else cum, 3.0)
    ref_rng = np.random.default_rng(8)
    line_start, t = numpy_arrivals(ref_rng, n_reps, width, scale, total, cum, 3.0)
    assert not got[2]
    np.testing.assert_array_equal(got[0], line_start)
    assert np.array_equal(got[1].view(np.uint64), t.view(np.uint64))  # to the bit
    assert got[0][-1] > 10 * n_reps


def test_arrival_times_leave_the_generator_where_numpy_does():
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    crn._arrival_times(a, 4, 300, np.ones(4), 100.0, np.zeros(0), 1.0)
    b.standard_exponential((4, 300))
    assert a.random() == b.random()


def test_arrival_times_report_a_row_that_runs_short():
    scale = np.array([1.0, 1.0])
    *_, short = crn._arrival_times(np.random.default_rng(0), 2, 5, scale, 100.0,
                                   np.zeros(0), 1.0)
    assert short
    # no line at all: every row empty, not short
    line_start, t, short = crn._arrival_times(np.random.default_rng(0), 3, 50, np.ones(3),
                                              1e-9, np.zeros(0), 1.0)
    assert not short
    assert len(t) == 0
    assert (line_start == 0).all()


def test_demand_lines_fall_back_to_the_same_draws_when_a_row_runs_short(monkeypatch):
    args = (np.r_[np.full(10, 2.0), np.full(10, 5.0)], np.array([1, 2, 2, 7]), 6, 20.0)
    kwargs = {"n_observed": 30, "level_sd": 0.2}
    rep, t, q = crn.demand_lines(np.random.default_rng(4), *args, **kwargs)
    after = np.random.default_rng(4)
    crn.demand_lines(after, *args, **kwargs)

    compiled = crn._arrival_times

    def short(*a):  # the compiled pass draws, then says a row ran short
        return *compiled(*a)[:2], True

    monkeypatch.setattr(crn, "_arrival_times", short)
    fallback = np.random.default_rng(4)
    rep2, t2, q2 = crn.demand_lines(fallback, *args, **kwargs)
    np.testing.assert_array_equal(rep2, rep)
    np.testing.assert_allclose(t2, t, rtol=1e-12)  # E / G instead of E · (1 / G)
    np.testing.assert_array_equal(q2, q)
    assert fallback.random() == after.random()


@pytest.mark.parametrize("lines", [[0, 0, 0], [5], [3, 0, 12, 1]])
def test_resampled_demand_is_the_cumulated_bootstrap(lines):
    sizes = np.array([1, 4, 4, 9, 0, 30], np.int64)
    line_start = np.r_[0, np.cumsum(lines)].astype(np.int64)
    key = np.uint64(987654321)
    got = crn._resampled_demand(np.random.default_rng(2), key, line_start, sizes)
    ref_rng = np.random.default_rng(2)
    k = ref_rng.integers(0, len(sizes), line_start[-1])
    rep = np.repeat(np.arange(len(lines)), lines)
    ref = np.cumsum(sizes[crn.resample_pick(int(key), rep, k, len(sizes))])
    np.testing.assert_array_equal(got, ref)
    assert got.dtype == np.int64


def test_demand_lines_reject_negative_sizes():
    with pytest.raises(ValueError, match="Line sizes must be >= 0"):
        crn.demand_lines(np.random.default_rng(0), 1.0, np.array([2, -1]), 2, 10.0)


# -------------------------------------------------------------------- orders


def plain_rq_orders(t, q, line_start, q_order, u, sched):
    """(r(t), Q) event by event: a day's start (before its lines) and every line lower
    the position, which starts at r(0) + Q − u; at or below r(t) = sched[day] the
    fewest Q that lift it above are ordered."""
    out = []
    for r in range(len(line_start) - 1):
        lines = [(x, 1, int(y)) for x, y in zip(t[line_start[r]:line_start[r + 1]],
                                               q[line_start[r]:line_start[r + 1]], strict=True)]
        events = sorted([(float(d), 0, 0) for d in range(1, len(sched))] + lines,
                        key=lambda e: (e[0], e[1]))
        x = sched[0] + q_order - u[r]
        for time, _, qty in events:
            x -= qty
            level = sched[min(int(time), len(sched) - 1)]
            if x <= level:
                k = (level - x) // q_order + 1
                out.append((r, time, k * q_order))
                x += k * q_order
    return out


@pytest.mark.parametrize("seed", range(8))
def test_rq_orders_match_the_plain_policy(seed):
    """Lines on day starts and at one instant, sizes of 0 and large ones, replications
    without lines, a schedule that steps both ways or stays flat."""
    rng = np.random.default_rng(seed)
    n_reps, t_end, Q = 4, 30.0, int(rng.integers(1, 6))
    n = rng.integers(0, 60, n_reps)
    n[1] = 0
    t = np.concatenate([np.sort(np.where(rng.random(k) < 0.3, rng.integers(0, 30, k),
                                         quarter(rng.uniform(0, t_end - 0.25, k))))
                        for k in n]).astype(float)
    q = rng.choice([0, 1, 1, 2, 5, 13], n.sum())
    start = np.r_[0, np.cumsum(n)]
    sched = (np.full(31, 4) if seed % 4 == 0 else
             np.cumsum(rng.integers(-4, 5, 31) * (rng.random(31) < 0.4)))
    u = rng.integers(0, Q, n_reps)
    got = crn.replenishment_orders(t, q, start, Q, None, t_end, u, schedule=sched)
    assert list(zip(*(x.tolist() for x in got), strict=True)) == plain_rq_orders(
        t, q, start, Q, u, sched)


# --------------------------------------------------------- CRNRun against references


def random_run(seed, n_reps):
    """Lines and receipts with the edge cases: a replication without lines, one
    without receipts, a receipt at a line's instant, two lines and two receipts at
    one instant, sizes of 0, a warm-up within the lines."""
    rng = np.random.default_rng(seed)
    t_end, warmup = 40.0, 6.0
    n_lines = rng.integers(0, 25, n_reps)
    if n_reps > 1:
        n_lines[0] = 0
    t = [np.sort(quarter(rng.uniform(0, t_end - 0.25, n))) for n in n_lines]  # with ties
    q = [rng.choice([0, 1, 1, 2, 3, 8], n) for n in n_lines]
    o_rep, o_time, o_qty = [], [], []
    for r in range(n_reps):
        n_o = 0 if (n_reps > 2 and r == 2) else int(rng.integers(1, 7))
        times = quarter(rng.uniform(0, t_end - 5, n_o))
        if len(t[r]) and n_o:
            times[0] = t[r][len(t[r]) // 2] - 3.0  # arrives at a line's instant (lead 3)
        if n_o > 1:
            times[1] = times[0]  # two receipts at one instant
        o_rep += [r] * n_o
        o_time += list(times)
        o_qty += list(rng.integers(1, 9, n_o))
    lead = np.where(np.isin(np.arange(len(o_rep)), [0, 1]), 3.0,
                    quarter(rng.uniform(0, 9, len(o_rep))))
    return (np.r_[0, np.cumsum(n_lines)].astype(np.int64), np.concatenate(t),
            np.concatenate(q).astype(np.int64), t_end, warmup, np.array(o_rep, np.int64),
            np.array(o_time, float), np.array(o_qty, np.int64), lead,
            rng.integers(-3, 6, n_reps))


def reference(line_start, t, q, t_end, warmup, o_rep, o_time, o_qty, lead, offset, levels):
    """Event by event, per replication, for every level: receipts come before lines at
    one instant; ``c`` is net inventory − level."""
    n_reps = len(line_start) - 1
    a = o_time + lead
    fill = np.zeros(len(levels))
    csl_ok, csl_n = np.zeros(len(levels)), 0
    on_hand, back = np.zeros(len(levels)), np.zeros(len(levels))
    waits = {lv: [] for lv in levels}
    units = 0
    for r in range(n_reps):
        lt, lq = t[line_start[r]:line_start[r + 1]], q[line_start[r]:line_start[r + 1]]
        order = np.argsort(a[o_rep == r], kind="stable")
        ra, rq = a[o_rep == r][order], o_qty[o_rep == r][order]
        supply_after = np.cumsum(rq)  # supply once receipt j is in
        events = sorted([(x, 0, int(y)) for x, y in zip(ra, rq, strict=True)]
                        + [(x, 1, int(y)) for x, y in zip(lt, lq, strict=True)],
                        key=lambda e: (e[0], e[1]))
        c, now, demand, last_receipt = int(offset[r]), 0.0, 0, (None, 0)
        for time, kind, qty in events + [(t_end, 2, 0)]:
            lo, hi = max(now, warmup), min(time, t_end)
            if hi > lo:
                on_hand += np.maximum(levels + c, 0) * (hi - lo)
                back += np.maximum(-(levels + c), 0) * (hi - lo)
            now = max(now, min(time, t_end))
            if kind == 0:  # a receipt; "just before" is before all receipts of its instant
                before = last_receipt[1] if last_receipt[0] == time else c
                last_receipt = (time, before)
                if warmup <= time <= t_end:
                    csl_n += 1
                    csl_ok += levels + before >= 0
                c += qty
            elif kind == 1:  # a line
                if time >= warmup:
                    units += qty
                    fill += np.clip(levels + c, 0, qty)
                    for lv in levels:
                        wait = 0.0
                        if lv + c < qty:  # its last unit waits for supply
                            j = np.searchsorted(supply_after, demand + qty - offset[r] - lv)
                            wait = max(ra[j] - time, 0.0) if j < len(ra) else np.inf
                        waits[lv].append(wait)
                c -= qty
                demand += qty
    span = n_reps * (t_end - warmup)
    return {"fill": fill / units if units else np.ones(len(levels)),
            "csl": csl_ok / csl_n if csl_n else np.full(len(levels), np.nan),
            "on_hand": on_hand / span, "back": back / span,
            "waits": {lv: np.array(w) for lv, w in waits.items()}, "units": units}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_reps", [1, 4])
def test_crn_run_matches_an_event_by_event_reference(seed, n_reps):
    args = random_run(seed, n_reps)
    line_start, t, q = args[:3]
    run = crn.CRNRun(line_start, t, np.cumsum(q), *args[3:])
    levels = np.arange(-6, 16)
    ref = reference(*args, levels)
    assert run.units == ref["units"]
    np.testing.assert_array_equal(run.fill(levels), ref["fill"])  # integers: exact
    np.testing.assert_allclose(run.csl(levels), ref["csl"], rtol=1e-12)
    on_hand, back = run.areas(levels)
    np.testing.assert_allclose(on_hand, ref["on_hand"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(back, ref["back"], rtol=1e-12, atol=1e-12)
    for lv in levels:
        np.testing.assert_array_equal(run.waits(int(lv)), ref["waits"][lv])
    top = run.level_range(-6)[-1]  # from there on every line is served at once
    assert run.fill(np.arange(top, top + 3)).tolist() == [1.0] * 3 or run.units == 0
    assert top == -6 or run.fill(np.arange(top - 1, top))[0] < 1.0


@pytest.mark.parametrize("seed", range(4))
def test_wait_summary_is_numpys_mean_quantile_and_share(seed):
    args = random_run(seed + 10, 5)
    line_start, t, q = args[:3]
    run = crn.CRNRun(line_start, t, np.cumsum(q), *args[3:])
    for level in range(-8, 12):
        w = run.waits(level)
        finite = w[np.isfinite(w)]
        want = (float(finite.mean()) if len(finite) else np.nan,
                float(np.quantile(w, 0.9, method="inverted_cdf")) if len(w) else np.nan,
                float(np.mean(w > 0)) if len(w) else np.nan)
        got = run.wait_summary(level)
        np.testing.assert_array_equal(np.array(got), np.array(want))


def test_negative_sizes_are_refused():
    """The passes bisect the cumulative demand and allocate by bounds that hold when it
    does not decrease: sizes below 0 are an error where they enter, and a decreasing
    ``D`` handed to CRNRun raises rather than writing out of range."""
    t, start = np.array([1.0, 2.0, 3.0]), np.array([0, 3])
    with pytest.raises(ValueError, match="Line sizes must be >= 0"):
        crn.replenishment_orders(t, np.array([5, -3, 1]), start, 2, None, 5.0, np.array([0]))
    run = crn.CRNRun(start, t, np.array([5, 2, 1]), 5.0, 0.0, np.zeros(0, np.int64),
                     np.zeros(0), np.zeros(0, np.int64), np.zeros(0), 0)
    with pytest.raises(ValueError, match="decreases"):
        run.areas(np.arange(3))


def test_u_outside_0_to_q_is_refused():
    with pytest.raises(ValueError, match="'u' must be in 0"):
        crn.replenishment_orders(np.array([1.0]), np.array([1]), np.array([0, 1]), 3, None,
                                 5.0, np.array([3]))
