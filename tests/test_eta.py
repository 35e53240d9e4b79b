"""backorder_eta / eta_backtest.

Expected values: hand-computed queues with deterministic PO arrivals, quantiles of the
lead-time distribution computed with its own ppf/cdf, a plain-Python unit-by-unit
reference of the queue, and a backtest on the example dataset against what happened.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from backorder_analytics.data.dataset import Dataset
from backorder_analytics.data.example import example_dataset
from backorder_analytics.leadtime.model import fit_lead_times
from backorder_analytics.planning.eta import (
    NEW_ORDER,
    BackorderETA,
    ETABacktest,
    _ship_times,
    backorder_eta,
    eta_backtest,
)

NOW = pd.Timestamp("2025-03-01 12:00:00")
DAY = pd.Timedelta(days=1)


def days(x):
    return NOW + pd.to_timedelta(x, unit="D")


def make_ds(lines, pos, lateness=(0.0,) * 20):
    """SKU "A" of supplier S1: ``lines`` = (qty, order day, priority) and open ``pos`` =
    (qty, order day, expected day), days relative to NOW. Supplier S1's lateness
    history lives on SKU "H" (received POs, so A's stock is untouched)."""
    orders = pd.DataFrame({
        "order_id": [f"O{i}" for i in range(len(lines))], "sku": "A",
        "quantity": np.array([q for q, _, _ in lines], np.int64),
        "order_date": pd.to_datetime([days(d) for _, d, _ in lines]),
        "priority": np.array([p for _, _, p in lines], np.int64)})
    n = len(lateness)
    hist = pd.DataFrame({
        "po_id": [f"H{i}" for i in range(n)], "sku": "H", "supplier_id": "S1",
        "quantity": 10, "order_date": [days(-200 + i) for i in range(n)]})
    hist["expected_date"] = hist["order_date"] + 10 * DAY
    hist["received_date"] = hist["expected_date"] + pd.to_timedelta(list(lateness), unit="D")
    hist["received_quantity"] = 10
    open_po = pd.DataFrame({
        "po_id": [f"P{i}" for i in range(len(pos))], "sku": "A", "supplier_id": "S1",
        "quantity": [q for q, _, _ in pos], "order_date": [days(o) for _, o, _ in pos],
        "expected_date": [days(e) for _, _, e in pos], "received_date": pd.NaT,
        "received_quantity": np.nan})
    po = pd.concat([hist, open_po], ignore_index=True)
    po["received_quantity"] = po["received_quantity"].astype("Int64")
    inv = pd.DataFrame({"sku": ["A", "H"], "date": days(-400), "on_hand": 0})
    return Dataset(orders=orders, purchase_orders=po, inventory=inv, as_of=NOW)


@pytest.fixture(scope="module")
def lead_times():
    """Supplier S1's lead times ~ gamma(16, scale 1.25) [days]: mean 20, sd 5."""
    lt = stats.gamma(16, scale=1.25).rvs(400, random_state=np.random.default_rng(1))
    od = pd.Timestamp("2023-01-01") + pd.to_timedelta(np.arange(400), unit="D")
    po = pd.DataFrame({"po_id": [f"L{i}" for i in range(400)], "sku": "Z",
                       "supplier_id": "S1", "quantity": 1, "order_date": od,
                       "received_date": od + pd.to_timedelta(lt, unit="D")})
    return fit_lead_times(po, as_of=pd.Timestamp("2025-01-01"))


def eta(ds, lead_times, **kw):
    kw.setdefault("n_reps", 200)
    return backorder_eta(ds, lead_times, **kw).to_frame()


# ------------------------------------------------------------------ hand-computed


QUEUE = [(3, -10, 0), (4, -9, 0), (2, -8, 0)]
POS = [(5, -5, 3), (5, -4, 7)]  # POs placed after the lines: no reorder at as_of


def test_deterministic_queue(lead_times):
    f = eta(make_ds(QUEUE, POS), lead_times)
    for col in ("eta_p50", "eta_p80", "eta_p95"):
        assert list(f[col]) == [days(3), days(7), days(7)]
    assert list(f["expected_po"]) == ["P0", "P1", "P1"]
    assert list(f["p_expected_po"]) == [1.0, 1.0, 1.0]
    assert list(f["units_ahead"]) == [0, 3, 7]
    assert list(f["open_quantity"]) == [3, 4, 2]
    assert list(f["p_ship_within_limit"]) == [1.0, 1.0, 1.0]
    assert list(f["limit_date"]) == [days(20), days(21), days(22)]
    np.testing.assert_allclose(f["age_days"], [10, 9, 8])


def test_censored_coverage_by_hand():
    # ship date − ETA [days]: shipped −3, −1, +2; cancelled +1 (after its ETA: a known
    # miss) and −2 (before its ETA: censored). Kaplan–Meier: S = 4/5 after −3, the
    # censoring at −2 leaves 3 at risk, S = 4/5 · 2/3 = 8/15 after −1, so the
    # censoring-aware coverage is 1 − 8/15 = 7/15; shipped lines alone give 2/3.
    eta = pd.Timestamp("2025-06-10")
    gaps = [-3, -1, 2, 1, -2]
    outcome = ["shipped"] * 3 + ["cancelled"] * 2
    when = [eta + pd.Timedelta(days=g) for g in gaps]
    lines = pd.DataFrame({
        "cutoff": pd.Timestamp("2025-06-01"), "eta_p50": eta, "outcome": outcome,
        "actual_ship_date": [w if o == "shipped" else pd.NaT
                             for w, o in zip(when, outcome, strict=True)],
        "actual_cancel_date": [w if o == "cancelled" else pd.NaT
                               for w, o in zip(when, outcome, strict=True)],
        "covered_p50": [1.0, 1.0, 0.0, np.nan, np.nan]})
    cov = ETABacktest(lines, (0.5,)).coverage.iloc[0]
    assert cov["coverage"] == pytest.approx(2 / 3)
    assert cov["coverage_censored"] == pytest.approx(7 / 15)
    assert (cov["n_lines"], cov["n_cancelled"]) == (3, 2)


def test_by_po_is_the_expedite_view(lead_times):
    # hand-computed queue: P0 (day 3) completes the 3-unit line, P1 (day 7) the 4- and
    # 2-unit lines; all limits (days 20-22) are met
    res = backorder_eta(make_ds(QUEUE, POS), lead_times, n_reps=200)
    v = res.by_po
    assert list(v.index) == ["P1", "P0"]
    assert list(v["lines"]) == [2, 1]
    assert list(v["units"]) == [6, 3]
    assert list(v["lines_likely_late"]) == [0, 0]
    assert list(v["earliest_limit"]) == [days(21), days(20)]
    assert list(v["median_eta_p80"]) == [days(7), days(3)]


def test_plot_draws_one_bar_per_sku_and_po_and_says_what_is_left_out(lead_times):
    res = backorder_eta(make_ds(QUEUE, POS), lead_times, n_reps=50)
    ax = res.plot()
    assert ax.get_title() == "Open backorders: ETA of 3 lines by SKU and expected PO"
    labels = sorted(t.get_text().split(" · ", 1)[1] for t in ax.get_yticklabels())
    assert labels == ["P0 · 1 line", "P1 · 2 lines"]   # as res.by_po counts them
    assert res.plot(max_lines=1).get_title() == (
        "Open backorders: ETA of 3 lines by SKU and expected PO (the 1 latest of 2 groups)")


@pytest.mark.parametrize("by", [(), ("sku",), ("supplier_id", "sku")])
def test_deterministic_queue_with_other_groupings(by):
    ds = make_ds(QUEUE, POS)
    lt = fit_lead_times(ds.purchase_orders.assign(received_date=lambda p: p[
        "received_date"].fillna(NOW)), by=by, as_of=NOW)
    f = eta(ds, lt)
    assert list(f["eta_p95"]) == [days(3), days(7), days(7)]


def test_lead_times_grouped_otherwise_is_refused():
    ds = make_ds(QUEUE, POS)
    po = ds.purchase_orders.assign(site="X", received_date=lambda p: p[
        "received_date"].fillna(NOW))
    with pytest.raises(ValueError, match="'lead_times' parameter must be grouped"):
        backorder_eta(ds, fit_lead_times(po, by=("site",), as_of=NOW), n_reps=10)


def test_units_beyond_open_pos_wait_for_a_new_order(lead_times):
    """Line 4 needs 13 units, open POs bring 10: a new order placed at as_of brings
    the rest after a lead time, so its ETA is as_of + max(7, lead time)."""
    qs = (0.5, 0.8, 0.95)
    n = 20_000
    f = eta(make_ds(QUEUE + [(4, -7.5, 0)], POS), lead_times, quantiles=qs, n_reps=n)
    last = f.iloc[-1]
    assert last["expected_po"] == NEW_ORDER
    assert last["p_expected_po"] > 0.99
    dist = lead_times.distribution("S1")
    for q in qs:
        x = float(dist.ppf(q))
        se = np.sqrt(q * (1 - q) / n) / float(dist.pdf(x))
        got = (last[f"eta_p{int(q * 100)}"] - NOW) / DAY
        assert abs(got - max(7.0, x)) < 4 * se + 0.01, (q, got, x)


@pytest.mark.parametrize(("shipping", "qty", "expected"), [
    ("partial", 5, 10),   # line 1 took 2 units before cancelling: 2 + 5 > 2 + 4
    ("complete", 5, 3),   # line 1 took nothing: P0 + P1 = 6 >= 5
    ("partial", 1, 3),
    ("complete", 1, 1),   # stock was there at 0.5 d, line 1 blocked it until it cancelled
])
def test_cancellation_frees_supply(lead_times, shipping, qty, expected):
    pos = [(2, -1.9, 0.5), (4, -1.8, 3), (10, -1.7, 10)]
    lines = [(5, -29, 0), (qty, -2, 0)]  # line 1's limit: +1 day
    f = eta(make_ds(lines, pos), lead_times, shipping=shipping)
    assert list(f["eta_p50"]) == [days(3), days(expected)]  # line 1 as if it waited
    assert list(f["p_ship_within_limit"]) == [0.0, 1.0]
    g = eta(make_ds(lines, pos), lead_times, shipping=shipping, max_wait_days=None)
    assert list(g["eta_p95"]) == [days(3), days(10 if qty == 5 else 3)]
    assert g["p_ship_within_limit"].isna().all()
    assert g["limit_date"].isna().all()


def test_priority_order(lead_times):
    lines = [(3, -5, 2), (3, -4, 0)]
    pos = [(3, -3, 3), (3, -2, 7)]
    fifo = eta(make_ds(lines, pos), lead_times)
    assert list(fifo["eta_p80"]) == [days(3), days(7)]
    prio = eta(make_ds(lines, pos), lead_times, allocation="priority", future_demand=False)
    assert list(prio["order_id"]) == ["O1", "O0"]  # queue order
    assert list(prio["eta_p80"]) == [days(3), days(7)]
    assert list(prio["units_ahead"]) == [0, 3]


def test_po_already_late_is_conditioned_on_its_lateness(lead_times):
    """Lateness history: 10 × 0, 10 × 5, 10 × 10 days. A PO 3 days late arrives 5 or
    10 days after its expected date with probability 1/2 each (Kaplan–Meier
    conditional on > 3): at +2 or +7 days."""
    hist = (0.0,) * 10 + (5.0,) * 10 + (10.0,) * 10
    n = 4000
    f = eta(make_ds([(5, -25, 0)], [(5, -13, -3)], hist), lead_times,
            quantiles=(0.25, 0.75), n_reps=n)  # limit at +5 days
    assert f["eta_p25"].iloc[0] == days(2)
    assert f["eta_p75"].iloc[0] == days(7)
    assert abs(f["p_ship_within_limit"].iloc[0] - 0.5) < 4 * np.sqrt(0.25 / n)


def test_po_later_than_any_seen_uses_the_conditional_lead_time(lead_times):
    """12 days late, beyond every lateness seen: lead time ~ F given > age (22 d)."""
    hist = (0.0,) * 10 + (5.0,) * 10 + (10.0,) * 10
    qs, n = (0.2, 0.5, 0.9), 20_000
    f = eta(make_ds([(5, -25, 0)], [(5, -22, -12)], hist), lead_times, quantiles=qs,
            n_reps=n)
    dist, age = lead_times.distribution("S1"), 22.0
    lo = float(dist.cdf(age))
    for q in qs:
        p = lo + (1 - lo) * q
        x = float(dist.ppf(p))
        se = np.sqrt(q * (1 - q) / n) * (1 - lo) / float(dist.pdf(x))
        got = (f[f"eta_p{int(q * 100)}"].iloc[0] - NOW) / DAY
        assert abs(got - (x - age)) < 4 * se + 0.01, (q, got, x - age)


# ------------------------------------------------------------------ slow reference


def slow_ship_times(ev_t, ev_q, line_sku, line_q, line_lim, complete, future=None,
                    line_cls=None):
    """Unit-by-unit event simulation, one SKU and replication at a time. A line's ship
    time is the one it gets when it never cancels (the others do at their limits).
    ``future[s][r]``: (time, qty) of class-0 lines arriving later, ahead of class 1."""
    S, R, _ = ev_t.shape
    n = len(line_sku)
    cls = np.zeros(n, int) if line_cls is None else line_cls
    out = np.full((n, R), np.inf)
    for r in range(R):
        for s in range(S):
            mine = [i for i in range(n) if line_sku[i] == s]
            for k in mine:
                out[k, r] = _one(ev_t[s, r], ev_q[s, r], mine, k, line_q, line_lim, cls,
                                 complete, [] if future is None else future[s][r])
    return out


def _one(times, qtys, mine, k, line_q, line_lim, cls, complete, future):
    events = [(t, 0, q) for t, q in zip(times, qtys, strict=True) if np.isfinite(t)]
    events += [(t, 1, q) for t, q in future]
    events += [(line_lim[i], 2, i) for i in mine if i != k and np.isfinite(line_lim[i])]
    queue = [[i, int(line_q[i]), cls[i]] for i in mine]  # [line, remaining, class]
    stock = 0
    for t, kind, x in sorted(events):
        if kind == 0:
            stock += int(x)
        elif kind == 1:  # a class-0 line: behind every class-0 line, ahead of class 1
            at = max([j + 1 for j, e in enumerate(queue) if e[2] == 0], default=0)
            queue.insert(at, [-1, int(x), 0])
        else:
            for e in queue:
                if e[0] == x:
                    e[1] = 0
        while stock > 0:
            waiting = [e for e in queue if e[1] > 0]
            if not waiting:
                break
            head = waiting[0]
            if complete and stock < head[1]:
                break
            while stock > 0 and head[1] > 0:  # one unit at a time
                stock -= 1
                head[1] -= 1
            if head[0] == k and head[1] == 0:
                return t
    return np.inf


def random_case(seed, S=3, R=30, J=4):
    rng = np.random.default_rng(seed)
    t = np.where(rng.random((S, R, J)) < 0.85, rng.uniform(0, 20, (S, R, J)), np.inf)
    q = np.where(np.isfinite(t), rng.integers(1, 7, (S, R, J)), 0).astype(float)
    o = np.argsort(t, -1)
    t, q = np.take_along_axis(t, o, -1), np.take_along_axis(q, o, -1)
    n_per = rng.integers(1, 6, S)
    line_sku = np.repeat(np.arange(S), n_per)
    line_q = rng.integers(1, 5, len(line_sku)).astype(float)
    line_lim = np.where(rng.random(len(line_sku)) < 0.5, rng.uniform(0, 25, len(line_sku)),
                        np.inf)
    return rng, t, q, line_sku, line_q, line_lim


@pytest.mark.parametrize("complete", [False, True])
@pytest.mark.parametrize("seed", [0, 3, 7, 10])
def test_kernel_matches_unit_by_unit_reference(seed, complete):
    _, t, q, line_sku, line_q, line_lim = random_case(seed)
    got, _ = _ship_times(t, q, line_sku, line_q, line_lim, complete=complete)
    want = slow_ship_times(t, q, line_sku, line_q, line_lim, complete)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", [3, 4])
def test_kernel_with_future_demand_ahead_matches_reference(seed):
    """Class-0 lines arriving after as_of go ahead of waiting class-1 lines."""
    rng, t, q, line_sku, line_q, _ = random_case(seed)
    S, R, _ = t.shape
    line_cls = np.concatenate([np.sort(rng.integers(0, 2, c))
                               for c in np.bincount(line_sku)])
    future = [[sorted(zip(rng.uniform(0, 20, m), rng.integers(1, 4, m), strict=True))
               for m in rng.integers(0, 4, R)] for _ in range(S)]
    ahead = np.zeros((2, S, R, t.shape[-1]))
    for s in range(S):
        for r in range(R):
            for when, units in future[s][r]:
                ahead[1, s, r] += np.where(t[s, r] > when, units, 0)
    lim = np.full(len(line_sku), np.inf)
    got, _ = _ship_times(t, q, line_sku, line_q, lim, ahead=ahead, line_cls=line_cls)
    want = slow_ship_times(t, q, line_sku, line_q, lim, False, future, line_cls)
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ the result object


@pytest.fixture(scope="module")
def example():
    return example_dataset(seed=0)


def test_result_on_the_example(example):
    res = backorder_eta(example, allocation="priority", n_reps=300, seed=3)
    assert isinstance(res, BackorderETA)
    f = res.to_frame()
    open_lines = 76  # open at as_of (the replay doctest)
    assert len(f) == open_lines
    assert list(f.columns) == [
        "order_id", "line_id", "sku", "customer_id", "priority", "order_date", "quantity",
        "open_quantity", "age_days", "units_ahead", "eta_p50", "eta_p80", "eta_p95",
        "p_ship_within_limit", "limit_date", "expected_po", "p_expected_po"]
    assert (f["eta_p50"] > res.as_of).all()
    assert ((f["eta_p50"] <= f["eta_p80"]) & (f["eta_p80"] <= f["eta_p95"])).all()
    s = res.summary
    assert s["open_lines"].sum() == open_lines
    assert s["open_units"].sum() == f["open_quantity"].sum()
    by_sku = ((f["eta_p80"] - res.as_of) / DAY).groupby(f["sku"]).median()
    np.testing.assert_allclose(s["median_days_p80"], by_sku)
    assert "open lines" in repr(res)
    assert "<table" in res._repr_html_()
    again = backorder_eta(example, allocation="priority", n_reps=300, seed=3).to_frame()
    pd.testing.assert_frame_equal(f, again)
    ax = res.plot()                          # one bar per SKU and expected PO
    assert len(ax.get_yticks()) == f.groupby(["sku", f["expected_po"].astype(object)
                                              .fillna("—")]).ngroups
    other = backorder_eta(example, as_of="2025-06-30 23:59:59", quantiles=(0.1, 0.9),
                          n_reps=50).to_frame()
    assert {"eta_p10", "eta_p90"} <= set(other.columns)
    assert (other["order_date"] <= pd.Timestamp("2025-06-30 23:59:59")).all()


def test_no_open_lines(lead_times):
    f = eta(make_ds([], POS), lead_times)
    assert len(f) == 0
    assert "eta_p80" in f.columns


@pytest.mark.parametrize(("kw", "err", "match"), [
    ({"quantiles": (0.8, 0.5)}, ValueError, "'quantiles' parameter"),
    ({"quantiles": (0.5, 1.0)}, ValueError, "'quantiles' parameter"),
    ({"allocation": "lifo"}, ValueError, "allocation"),
    ({"n_reps": 0}, ValueError, "'n_reps' parameter"),
    ({"max_wait_days": -1}, ValueError, "'max_wait_days' parameter"),
    ({"as_of": "2030-01-01"}, ValueError, "at or before as_of"),
    ({"lead_times": "SUP-A"}, TypeError, "'lead_times' parameter"),
])
def test_bad_input(lead_times, kw, err, match):
    ds = make_ds(QUEUE, POS)
    kw = {"lead_times": lead_times, **kw}
    with pytest.raises(err, match=match):
        backorder_eta(ds, **kw)


def test_backtest_structure(lead_times):
    """A cutoff before the POs arrive; the full data then has them received."""
    ds = make_ds(QUEUE, POS)
    po = ds.purchase_orders.copy()
    late = po["po_id"].isin(["P0", "P1"])
    po.loc[late, "received_date"] = po.loc[late, "expected_date"]
    po.loc[late, "received_quantity"] = 5
    full = Dataset(orders=ds.orders, purchase_orders=po, inventory=ds.inventory,
                   as_of=NOW + 30 * DAY)
    bt = eta_backtest(full, [NOW], lead_times=lead_times, n_reps=100)
    assert isinstance(bt, ETABacktest)
    L = bt.to_frame()
    assert list(L["outcome"]) == ["shipped"] * 3
    assert list(L["actual_ship_date"]) == [days(3), days(7), days(7)]
    assert (bt.coverage["coverage"] == 1.0).all()
    assert (bt.coverage["n_lines"] == 3).all()
    assert "coverage" in repr(bt)
    assert "<table" in bt._repr_html_()
    bt.plot()
    with pytest.raises(ValueError, match="'cutoffs' parameter"):
        eta_backtest(full, [])


# ------------------------------------------------------------------ calibration


@pytest.mark.slow
def test_calibration_on_the_example(example):
    """Weekly cutoffs over the second year, the dataset's own rules (priority,
    partial shipping, customers cancel within 30 days): the p80 ETA covers 75–85% of
    the lines that shipped, and also with the lines cancelled later kept as censored."""
    cutoffs = pd.date_range("2025-01-01", "2025-12-20", freq="7D") + pd.Timedelta(
        "23:59:59")
    bt = eta_backtest(example, cutoffs, allocation="priority", shipping="partial",
                      max_wait_days=30, n_reps=1000, seed=0)
    cov = bt.coverage.set_index("nominal")["coverage"]
    censored = bt.coverage.set_index("nominal")["coverage_censored"]
    n = int(bt.coverage["n_lines"].iloc[0])
    print(f"\nETA calibration: {n} shipped lines; coverage p50 {cov[0.5]:.3f}, "
          f"p80 {cov[0.8]:.3f}, p95 {cov[0.95]:.3f}; censored p50 {censored[0.5]:.3f}, "
          f"p80 {censored[0.8]:.3f}, p95 {censored[0.95]:.3f}; {bt.summary.to_dict()}")
    assert n > 3000
    assert 0.75 <= cov[0.8] <= 0.85
    assert 0.75 <= censored[0.8] <= 0.85
    assert censored[0.8] <= cov[0.8]  # keeping the slow (cancelled) lines lowers it
    assert cov[0.5] < cov[0.8] < cov[0.95]
