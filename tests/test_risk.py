"""Tests of backorder_analytics.risk: Poisson closed forms (loss functions, a PO arriving
mid-horizon), hand-worked deterministic runs, conditional PO arrivals against the
lead-time CDF, and the example dataset against its ground truth and its own future."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from backorder_analytics import PoissonDemand, example_dataset, fit_lead_times, replay
from backorder_analytics.data.dataset import Dataset
from backorder_analytics.data.schemas import INVENTORY, ORDERS, PURCHASE_ORDERS, conform
from backorder_analytics.exceptions import DataError
from backorder_analytics.planning.risk import BackorderRisk, backorder_risk
from backorder_analytics.planning.state import historical_reorder_points, inventory_state

matplotlib.use("Agg")

AS_OF = pd.Timestamp("2025-06-30 23:59:59")
START = pd.Timestamp("2025-07-01")  # day 1 of the horizon
EX_START = pd.Timestamp("2025-12-31")  # day 1 after the example dataset's as_of


def tiny_ds(on_hand: int, line_size: int = 1, open_pos=()) -> Dataset:
    """SKU "A": two history lines of ``line_size`` units, stock counted so that
    ``on_hand`` is left at AS_OF, and open POs ``(quantity, expected_date)``."""
    orders = pd.DataFrame({"order_id": ["O1", "O2"], "sku": "A",
                           "quantity": [line_size, line_size],
                           "order_date": [AS_OF - pd.Timedelta(days=90),
                                          AS_OF - pd.Timedelta(days=30)]})
    po = pd.DataFrame({
        "po_id": [f"P{i}" for i in range(len(open_pos))], "sku": "A",
        "supplier_id": "S", "quantity": [q for q, _ in open_pos],
        "order_date": [AS_OF - pd.Timedelta(days=3)] * len(open_pos),
        "expected_date": pd.to_datetime([d for _, d in open_pos]),
        "received_date": pd.NaT})
    inv = pd.DataFrame({"sku": ["A"], "date": [AS_OF.normalize() - pd.Timedelta(days=200)],
                        "on_hand": [on_hand + 2 * line_size]})
    return Dataset(orders=conform(orders, ORDERS), purchase_orders=conform(po, PURCHASE_ORDERS),
                   inventory=conform(inv, INVENTORY), as_of=AS_OF)


def poisson_loss(s, mean):
    """E[(D − s)^+] for D ~ Poisson(mean), summed over the pmf."""
    k = np.arange(0, int(mean + 20 * np.sqrt(mean) + s + 50))
    return float(np.sum(np.maximum(k - s, 0) * stats.poisson.pmf(k, mean)))


def within(value, expected, se, k=4.0):
    return abs(value - expected) <= k * se + 1e-12


# ------------------------------------------------------------------- closed forms


@pytest.mark.parametrize(("s", "rate", "h"), [(20, 0.8, 28), (5, 0.1, 28), (40, 1.0, 30)])
def test_poisson_no_po_closed_form(s, rate, h):
    n = 20_000
    row = backorder_risk(tiny_ds(s), h, forecast=PoissonDemand(rate), n_reps=n,
                         seed=1, reorder_points=None).to_frame().iloc[0]
    mu = rate * h
    p = stats.poisson.sf(s, mu)  # P(D_h > s)
    assert within(row["p_backorder"], p, np.sqrt(p * (1 - p) / n))
    loss = poisson_loss(s, mu)
    k = np.arange(0, 400)
    sd = np.sqrt(np.sum(np.maximum(k - s, 0) ** 2 * stats.poisson.pmf(k, mu)) - loss**2)
    assert within(row["expected_backordered_units"], loss, sd / np.sqrt(n))
    # one-unit lines: every backordered unit is one customer line
    assert row["expected_customers_affected"] == row["expected_backordered_units"]
    assert within(row["expected_demand"], mu, np.sqrt(mu / n))
    assert row["mean_daily_demand"] == pytest.approx(rate)
    assert row["days_of_cover"] == pytest.approx(s / rate)
    assert row["on_hand"] == s
    assert row["on_order"] == 0


def test_poisson_lines_of_two_units():
    # Lines of 2 units: the j-th line is short iff 2j > s, so E[lines] = E[(N − ⌊s/2⌋)^+]
    # for N ~ Poisson(rate·h) lines, and units E[(2N − s)^+].
    s, rate, h, n = 9, 0.25, 28, 20_000
    row = backorder_risk(tiny_ds(s, line_size=2), h, forecast=PoissonDemand(rate, size=2),
                         n_reps=n, seed=2).to_frame().iloc[0]
    mu = rate * h
    lines = poisson_loss(s // 2, mu)
    k = np.arange(0, 200)
    units = float(np.sum(np.maximum(2 * k - s, 0) * stats.poisson.pmf(k, mu)))
    assert within(row["expected_customers_affected"], lines, 3 * np.sqrt(lines / n) + 0.01)
    assert within(row["expected_backordered_units"], units, 6 * np.sqrt(units / n) + 0.01)
    assert row["mean_daily_demand"] == pytest.approx(2 * rate)


@pytest.mark.parametrize(("s", "q", "t", "rate"), [(10, 15, 10, 1.0), (3, 8, 5, 0.5)])
def test_poisson_one_po_mid_horizon(s, q, t, rate):
    # The PO is received at the start of day t (expected_date = day t): no new backorder
    # iff D_{t-1} <= s and D_h <= s + q, and the units backordered are
    # (D_{t-1} − s)^+ + (D_h − s − q)^+ − (D_{t-1} − s − q)^+.
    h, n = 28, 50_000
    ds = tiny_ds(s, open_pos=[(q, START + pd.Timedelta(days=t - 1, hours=9))])
    res = backorder_risk(ds, h, forecast=PoissonDemand(rate), lead_times="expected",
                         n_reps=n, seed=3, reorder_points=None)
    row = res.to_frame().iloc[0]
    m1, m2 = rate * (t - 1), rate * (h - t + 1)
    j = np.arange(0, s + 1)
    p_ok = float(np.sum(stats.poisson.pmf(j, m1) * stats.poisson.cdf(s + q - j, m2)))
    p = 1 - p_ok
    assert within(row["p_backorder"], p, np.sqrt(p * (1 - p) / n))
    units = poisson_loss(s, m1) + poisson_loss(s + q, rate * h) - poisson_loss(s + q, m1)
    assert within(row["expected_backordered_units"], units, 6 * np.sqrt(units / n) + 0.01)
    assert row["on_order"] == q
    assert row["expected_receipts"] == q
    assert res.receipts["p_arrive_in_horizon"].tolist() == [1.0]


def lumpy_ds(stock: int, days: int = 730) -> tuple[Dataset, np.ndarray]:
    """SKU "L": lumpy compound-Poisson history (0.15 lines a day, sizes 1 + NegBin(0.5)
    of mean 15) for ``days`` days, all shipped, ``stock`` left at AS_OF, no PO."""
    rng = np.random.default_rng(3)
    n = rng.poisson(0.15, days)
    day = np.repeat(np.arange(days), n)
    q = 1 + rng.negative_binomial(0.5, 0.5 / 14.5, len(day))
    t0 = AS_OF.normalize() - pd.Timedelta(days=days)
    orders = pd.DataFrame({"order_id": [f"O{i}" for i in range(len(day))], "sku": "L",
                           "quantity": q,
                           "order_date": t0 + pd.to_timedelta(day + 0.5, unit="D")})
    po = conform(pd.DataFrame({c: [] for c in ("po_id", "sku", "supplier_id", "quantity",
                                                "order_date", "expected_date",
                                                "received_date")}), PURCHASE_ORDERS)
    inv = pd.DataFrame({"sku": ["L"], "date": [t0], "on_hand": [stock + int(q.sum())]})
    return Dataset(orders=conform(orders, ORDERS), purchase_orders=po,
                   inventory=conform(inv, INVENTORY), as_of=AS_OF), q


def lines_counted_directly(rate, sizes, stock, h, n=200_000):
    """Order lines simulated one by one: Poisson(rate · h) lines over the horizon, sizes
    drawn from ``sizes``; a line is affected when its cumulative end exceeds the stock
    (partial shipping, no receipt). Mean affected lines and backordered units."""
    rng = np.random.default_rng(11)
    count = rng.poisson(rate * h, n)
    rep = np.repeat(np.arange(n), count)
    q = sizes[rng.integers(0, len(sizes), len(rep))]
    cum = np.cumsum(q)
    end = cum - np.concatenate([[0], cum])[np.concatenate([[0], np.cumsum(count)])[rep]]
    short = np.minimum(q, np.maximum(end - stock, 0))
    return np.bincount(rep, end > stock, n).mean(), np.bincount(rep, short, n).mean()


@pytest.mark.parametrize("model", ["ses", "historic_average", "sba"])
@pytest.mark.parametrize("stock", [0, 40])
def test_lumpy_lines_against_lines_counted_directly(model, stock):
    # The forecast's level, lines of the history's sizes at the rate that level implies
    # (mean daily demand / mean size): lines counted one by one. With no stock every
    # line is affected, E[lines] = E[demand] / mean size (Wald). The SES and historic-
    # average forecasts had residual-bootstrap paths (1.7–5 times the lines here), the
    # plain bootstrap of sizes 1.2–1.3 times.
    ds, sizes = lumpy_ds(stock)
    row = backorder_risk(ds, 28, forecast=model, n_reps=4000, seed=1,
                         reorder_points=None).to_frame().iloc[0]
    rate = row["mean_daily_demand"] / sizes.mean()
    lines, units = lines_counted_directly(rate, sizes, stock, 28)
    assert row["expected_backordered_units"] == pytest.approx(units, rel=0.08)
    assert row["expected_customers_affected"] == pytest.approx(lines, rel=0.06 if stock == 0
                                                               else 0.12)
    if stock == 0:
        assert row["expected_customers_affected"] == pytest.approx(
            row["expected_demand"] / sizes.mean(), rel=0.06)


def test_deterministic_paths_split_into_lines():
    # 4 units a day in lines of 2 (history), 10 on hand: short 2 units on day 3 (1 line
    # of 2), 4 on days 4 and 5 (2 lines each). A PO of 6 due after the horizon counts in
    # the position only.
    ds = tiny_ds(10, line_size=2, open_pos=[(6, START + pd.Timedelta(days=9))])
    days = pd.date_range(START, periods=5)
    paths = pd.DataFrame({"sku": "A", "path": np.repeat(np.arange(3), 5),
                          "date": np.tile(days, 3), "demand": 4})
    res = backorder_risk(ds, 5, forecast=paths, lead_times="expected", n_reps=3, seed=0,
                         reorder_points=None)
    row = res.to_frame().iloc[0]
    assert row["p_backorder"] == 1.0
    assert row["expected_backordered_units"] == 10
    assert row["expected_customers_affected"] == 5
    assert row["first_backorder_p50"] == START + pd.Timedelta(days=2)
    assert row["days_of_cover"] == pytest.approx(2.5)
    assert row["days_of_cover_position"] == pytest.approx(4.0)
    assert row["expected_receipts"] == 0
    assert row["expected_fill_rate"] == pytest.approx(0.5)


def test_reorder_point_by_hand():
    # 3 units a day, 10 on hand, (r, Q) = (5, 20), lead time 2 days. End of day 2 the
    # position is 4 <= 5: 20 ordered, arriving 2 days after the end of day 2, i.e. at
    # the start of day 5. Day 4 has 1 unit for 3 demanded: 2 short, one line of 3.
    ds = tiny_ds(10, line_size=3)
    days = pd.date_range(START, periods=8)
    paths = pd.DataFrame({"sku": "A", "path": 0, "date": days, "demand": 3})
    res = backorder_risk(ds, 8, forecast=paths, lead_times=2.0, n_reps=1,
                         reorder_points={"A": (5, 20)})
    row = res.to_frame().iloc[0]
    assert row["expected_backordered_units"] == 2
    assert row["expected_customers_affected"] == 1
    assert row["first_backorder_p50"] == START + pd.Timedelta(days=3)
    assert row["expected_receipts"] == 20
    none = backorder_risk(ds, 8, forecast=paths, lead_times=2.0, n_reps=1,
                          reorder_points=None).to_frame()
    assert none["expected_backordered_units"].iloc[0] == 24 - 10


def test_open_po_arrivals_follow_the_conditional_lead_time():
    ds = example_dataset(seed=0)
    lt = fit_lead_times(ds.purchase_orders, as_of=ds.as_of)
    n, h = 4000, 28
    res = backorder_risk(ds, h, forecast=PoissonDemand(1.0), lead_times=lt, n_reps=n, seed=4,
                         reorder_points=None)
    rc = res.receipts
    assert len(rc) == len(ds.open_purchase_orders)
    for _, po in rc.iterrows():
        dist = lt.distribution(po["supplier_id"])
        age = (ds.as_of - po["order_date"]) / pd.Timedelta(days=1)
        end = (EX_START + pd.Timedelta(days=h)
               - po["order_date"]) / pd.Timedelta(days=1)
        p = float((dist.cdf(end) - dist.cdf(age)) / dist.sf(age))
        assert within(po["p_arrive_in_horizon"], p, np.sqrt(p * (1 - p) / n) + 1e-3)
        assert po["arrival_p50"] > ds.as_of


# --------------------------------------------------------------------- the example


@pytest.fixture(scope="module")
def example():
    return example_dataset(seed=0)


@pytest.fixture(scope="module")
def risk(example):
    return backorder_risk(example, 28, reorder_points=example.truth["policy"],
                          allocation="priority", n_reps=500, seed=0)


def test_example_state_matches_truth(example, risk):
    t = risk.to_frame().set_index("sku")
    truth = example.truth["service"].set_index("sku")
    assert (t["backordered_now"] == truth["open_units"].reindex(t.index)).all()
    open_po = example.open_purchase_orders.groupby("sku")["quantity"].sum()
    assert (t["on_order"] == open_po.reindex(t.index, fill_value=0)).all()
    assert (t["on_hand"] * t["backordered_now"] == 0).all()  # stock only with no queue
    assert (t["inventory_position"] == t["on_hand"] + t["on_order"] - t["backordered_now"]).all()
    rep = replay(example, allocation="priority").timeline
    last = rep[rep["date"] == rep["date"].max()].set_index("sku")["on_hand"]
    assert (t["on_hand"] == last.reindex(t.index)).all()


def test_example_invariants(risk):
    t = risk.to_frame()
    assert len(t) == 60
    assert t["rank"].tolist() == list(range(1, 61))
    assert t["p_backorder"].between(0, 1).all()
    assert t["p_backorder"].is_monotonic_decreasing
    assert (t["expected_backordered_units"] <= t["expected_demand"] + 1e-9).all()
    assert (t["expected_customers_affected"] <= t["expected_backordered_units"] + 1e-9).all()
    assert ((t["expected_backordered_units"] > 0) == (t["p_backorder"] > 0)).all()
    assert t["expected_fill_rate"].between(0, 1).all()
    has_first = t["first_backorder_p50"].notna()
    assert (has_first == (t["p_backorder"] >= 0.5)).all()
    assert (t.loc[has_first, "first_backorder_p50"] >= START.replace(year=2025, month=12,
                                                                      day=31)).all()
    s = risk.summary
    assert s.loc["total", "skus"] == 60
    assert s.loc["total", "expected_backordered_units"] == pytest.approx(
        t["expected_backordered_units"].sum())
    assert s.loc[["high", "medium", "low"], "skus"].sum() == 60


def test_example_too_low_reorder_points_rank_high(example, risk):
    t = risk.to_frame().set_index("sku")
    too_low = example.truth["policy"].set_index("sku")["z"].reindex(t.index) < 0
    p = t["p_backorder"]
    assert p[too_low].mean() > p[~too_low].mean() + 0.3
    # rank AUC: a too-low SKU outranks a sound one in most pairs
    auc = (p[too_low].to_numpy()[:, None] > p[~too_low].to_numpy()[None, :]).mean()
    assert auc > 0.8


def test_example_backtest_against_what_happened(example):
    # Risk computed at six earlier dates vs the new backorders the history then shows
    # (priority replay of the whole history: lines with units not served at once).
    lines = replay(example, allocation="priority").lines
    pred, real_any, real_units, exp_units = [], [], 0, 0.0
    for k in range(1, 7):
        as_of = example.as_of - pd.Timedelta(days=28 * k)
        t = backorder_risk(example, 28, as_of=as_of, forecast="historic_average",
                           reorder_points=example.truth["policy"], allocation="priority",
                           n_reps=300, seed=k).to_frame().set_index("sku")
        win = lines[(lines["order_date"] > as_of)
                    & (lines["order_date"] <= as_of + pd.Timedelta(days=28))]
        bo = win.groupby("sku")["backordered"].sum().reindex(t.index, fill_value=0)
        pred.append(t["p_backorder"].to_numpy())
        real_any.append((bo > 0).to_numpy())
        real_units += bo.sum()
        exp_units += t["expected_backordered_units"].sum()
    p, y = np.concatenate(pred), np.concatenate(real_any)
    brier, base = np.mean((p - y) ** 2), y.mean() * (1 - y.mean())
    assert brier < 0.7 * base
    assert abs(p.mean() - y.mean()) < 0.06
    assert 0.75 < exp_units / real_units < 1.3


def test_reorder_kernel_without_orders_equals_the_plain_kernel(example):
    kw = {"forecast": "historic_average", "n_reps": 200, "seed": 5, "reorder_points": None}
    never = {s: (-10**9, 1) for s in example.skus}
    a = backorder_risk(example, 28, **kw).to_frame()
    b = backorder_risk(example, 28, **{**kw, "reorder_points": never}).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_same_seed_same_numbers(example):
    kw = {"forecast": "historic_average", "n_reps": 100}
    a = backorder_risk(example, 14, seed=7, **kw).to_frame()
    pd.testing.assert_frame_equal(a, backorder_risk(example, 14, seed=7, **kw).to_frame())


def test_inventory_state_at_an_earlier_date(example):
    day = pd.Timestamp("2025-06-15")
    st = inventory_state(example, day, allocation="priority")
    rep = replay(example, allocation="priority").timeline
    on_day = rep[rep["date"] == day].set_index("sku")
    assert (st["on_hand"] == on_day["on_hand"].reindex(st.index)).all()
    assert (st["backordered_now"] == on_day["backordered_units"].reindex(st.index)).all()


# ------------------------------------------------------------------------ result


def test_result_object(risk):
    assert isinstance(risk, BackorderRisk)
    assert repr(risk).startswith("BackorderRisk(60 SKUs, 28 days from 2025-12-31, 500 reps")
    assert "<table" in risk._repr_html_()
    ax = risk.plot(top=10)
    assert len(ax.patches) == 10
    top = max(range(10), key=lambda i: ax.patches[i].get_y())  # the riskiest is on top
    assert ax.get_yticklabels()[top].get_text() == risk.to_frame()["sku"].iloc[0]


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"horizon": 0}, ValueError, "'horizon' parameter must be a whole number >= 1"),
    ({"n_reps": 2.5}, ValueError, "'n_reps' parameter"),
    ({"as_of": "2030-01-01"}, ValueError, "'as_of' parameter must be at or before"),
    ({"forecast": [1, 2]}, TypeError, "'forecast' parameter must be None"),
    ({"forecast": pd.DataFrame({"sku": ["A"]})}, DataError, "must have the columns"),
    ({"forecast": {"A": 3.0}}, TypeError, "mapping must map SKUs to PoissonDemand"),
    ({"forecast": {"B": PoissonDemand(1.0)}}, DataError, "SKUs not in the dataset"),
    ({"forecast": PoissonDemand(-1.0)}, ValueError, "'rate' must be a number > 0"),
    ({"lead_times": "late"}, TypeError, "'lead_times' parameter must be"),
    ({"reorder_points": pd.DataFrame({"sku": ["A"], "r": [1]})}, DataError, "column 'Q'"),
    ({"reorder_points": {"A": (1, 0)}}, ValueError, "Q of 'A' must be >= 1"),
])
def test_bad_input(kwargs, error, match):
    ds = tiny_ds(5, open_pos=[(3, START + pd.Timedelta(days=2))])
    kwargs = {"forecast": PoissonDemand(1.0), **kwargs}
    with pytest.raises(error, match=match):
        backorder_risk(ds, **kwargs)


def test_paths_must_cover_the_horizon():
    paths = pd.DataFrame({"sku": "A", "path": 0, "date": pd.date_range(START, periods=3),
                          "demand": 1})
    with pytest.raises(DataError, match="must cover the horizon"):
        backorder_risk(tiny_ds(5), 5, forecast=paths, n_reps=1)
    with pytest.raises(ValueError, match="fewer than n_reps=2"):
        backorder_risk(tiny_ds(5), 3, forecast=paths, n_reps=2)


def _separating_threshold(ds, rep, window_days=365, min_pos=3):
    """Reference for the history rule's ``r``, independent of ``reorder_rule``'s event
    stream: each day's position from the replay's daily timeline (end of day: on hand −
    backordered) and the PO table (on order at the end of the day); example_dataset
    places its POs at 22:00 after the day's last order line and cancellation, so a PO
    day's position just before it is the end-of-day one less the day's POs. Then, SKU
    by SKU, every whole-number threshold is tried: the minimisers of #{PO days above r}
    + #{other days at or below r}, and the middle of their range."""
    tl = rep.timeline
    po = ds.purchase_orders
    now = rep.as_of
    out = {}
    for sku, g in tl.groupby("sku", sort=False):
        g = g[(g["date"] + pd.Timedelta(hours=22) > now - pd.Timedelta(days=window_days))
              & (g["date"] + pd.Timedelta(hours=22) <= now)]
        mine = po[(po["sku"] == sku) & (po["order_date"] <= now)]
        eod = (g["date"] + pd.Timedelta(days=1)).to_numpy()[:, None]
        ordered = mine["order_date"].to_numpy()[None, :]
        recv = mine["received_date"].to_numpy()[None, :]
        qty = mine["quantity"].to_numpy()[None, :]
        on_order = (ordered < eod) & ~((recv == recv) & (recv < eod))
        pos = (g["on_hand"] - g["backordered_units"]).to_numpy() + (qty * on_order).sum(1)
        same_day = (mine["order_date"].dt.normalize().to_numpy()[None, :]
                    == g["date"].to_numpy()[:, None])
        placed = (qty * same_day).sum(1)
        is_po = placed > 0
        if is_po.sum() < min_pos:
            continue
        x = pos - placed  # just before the day's PO (the position itself without one)
        cand = np.arange(x.min(), x.max() + 1)
        err = ((x[None, :] > cand[:, None]) & is_po).sum(1) \
            + ((x[None, :] <= cand[:, None]) & ~is_po).sum(1)
        best = cand[err == err.min()]
        out[sku] = (best.min() + best.max()) / 2
    return pd.Series(out)


def test_history_reorder_rule_is_the_threshold_separating_po_days(example):
    rep = replay(example, allocation="priority")
    rp = historical_reorder_points(example, allocation="priority", replay=rep).set_index("sku")
    ref = _separating_threshold(example, rep)
    assert len(ref) >= 55  # (nearly) every SKU reorders at least three times a year
    np.testing.assert_allclose(rp["r"].loc[ref.index].to_numpy(), ref.to_numpy())


def test_history_reorder_rule_recovers_the_true_policy(example):
    # example_dataset orders Q (the smallest multiple of Q lifting the position above r)
    # at a daily review: positions just before POs are at or below r, those of the
    # other reviews above it. The threshold between them brackets the true r; the
    # bracket is narrower than one day's demand (the step from the last review above r
    # to the PO below it), and its middle shows no bias.
    rep = replay(example, allocation="priority")
    rp = historical_reorder_points(example, allocation="priority", replay=rep).set_index("sku")
    truth = example.truth["policy"].set_index("sku").loc[rp.index]
    daily = example.truth["demand_rate"].groupby("sku")["expected_units"].mean()
    tl = rep.timeline
    tl = tl[tl["date"] > example.as_of - pd.Timedelta(days=365)]
    biggest_day = tl.groupby("sku")["demand"].max().loc[rp.index]
    assert len(rp) == 60
    assert (rp["Q"] == truth["Q"]).all()
    gap = truth["r"] - rp["r"]
    assert (gap.abs() < biggest_day).all()
    gap_days = gap / daily.loc[rp.index]
    assert gap_days.abs().median() < 0.25
    assert abs(gap_days.mean()) < 0.25


def test_history_reorder_rule_ignores_a_few_manual_orders(example):
    """Two extra POs of one unit placed at noon well above the reorder point (the day
    after a receipt) cost the threshold two errors and do not move it (beyond the
    unit they add to the later positions)."""
    rep = replay(example, allocation="priority")
    base = historical_reorder_points(example, allocation="priority", replay=rep)
    po = example.purchase_orders
    sku = "SKU-0003"
    mine = po[(po["sku"] == sku) & (po["order_date"] > example.as_of - pd.Timedelta(days=300))]
    extra = mine.iloc[[1, 3]].copy()
    extra["po_id"] = ["PO-X1", "PO-X2"]
    extra["quantity"] = 1  # a small top-up: the position barely moves after it
    extra["order_date"] = extra["received_date"].dt.normalize() + pd.Timedelta(days=1, hours=12)
    extra["expected_date"] = extra["order_date"] + pd.Timedelta(days=1)
    extra["received_date"] = extra["order_date"] + pd.Timedelta(days=1)
    extra["received_quantity"] = 1.0
    ds = Dataset(orders=example.orders, purchase_orders=pd.concat([po, extra]),
                 inventory=example.inventory, as_of=example.as_of)
    rep2 = replay(ds, allocation="priority")
    moved = historical_reorder_points(ds, allocation="priority", replay=rep2)
    a, b = base.set_index("sku")["r"], moved.set_index("sku")["r"]
    assert abs(b[sku] - a[sku]) <= 1
    others = a.index != sku
    # other SKUs' replays are their own: their rule is unchanged
    pd.testing.assert_series_equal(a[others], b[others])


def test_default_replenishment_is_the_history_rule(example):
    kw = {"forecast": "historic_average", "n_reps": 200, "seed": 5, "allocation": "priority"}
    a = backorder_risk(example, 28, **kw)
    rp = historical_reorder_points(example, allocation="priority")
    b = backorder_risk(example, 28, reorder_points=rp, **kw)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    none = backorder_risk(example, 28, reorder_points=None, **kw).to_frame()
    # reordering can only help: fewer units backordered in total
    assert a.to_frame()["expected_backordered_units"].sum() \
        < none["expected_backordered_units"].sum()
