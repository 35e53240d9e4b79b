"""recommend_safety_stock: simulated levels against closed forms, flags, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import backorder_analytics as ba
from backorder_analytics.data.dataset import Dataset
from backorder_analytics.planning import formulas as pol
from backorder_analytics.planning import safety_stock as sst

START = pd.Timestamp("2024-01-01")


def synthetic_dataset(specs, days=730, seed=1):
    """A Dataset whose SKUs have Poisson order lines: ``specs`` maps sku -> (line rate
    [lines/day], size sampler ``f(rng, n)`` or None for single units)."""
    rng = np.random.default_rng(seed)
    frames = []
    for sku, (rate, sizes) in specs.items():
        n = rng.poisson(rate * days)
        t = np.sort(rng.uniform(0, days, n))
        q = np.ones(n, dtype=np.int64) if sizes is None else sizes(rng, n)
        frames.append(pd.DataFrame({"sku": sku, "quantity": q,
                                    "order_date": START + pd.to_timedelta(t, unit="D")}))
    orders = pd.concat(frames, ignore_index=True)
    orders.insert(0, "order_id", [f"O{i}" for i in range(len(orders))])
    po = pd.DataFrame({"po_id": pd.Series(dtype=str), "sku": pd.Series(dtype=str),
                       "quantity": pd.Series(dtype=np.int64),
                       "order_date": pd.Series(dtype="datetime64[ns]"),
                       "received_date": pd.Series(dtype="datetime64[ns]")})
    inv = pd.DataFrame({"sku": pd.Series(dtype=str), "date": pd.Series(dtype="datetime64[ns]"),
                        "on_hand": pd.Series(dtype=np.int64)})
    as_of = START + pd.Timedelta(days=days) - pd.Timedelta(seconds=1)
    return Dataset(orders=orders, purchase_orders=po, inventory=inv, as_of=as_of)


def closed_form_rq(rate, Q, L, beta):
    """Smallest r (>= 0, as searched) with Poisson (r, Q) fill >= beta."""
    rs = np.arange(-Q, 500)
    fill = pol.poisson_rq_metrics(rs, Q, rate, L).fill_rate
    return max(int(rs[np.argmax(fill >= beta)]), sst.R_MIN)


@pytest.fixture(scope="module")
def poisson_ds():
    return synthetic_dataset({"P2": (2.0, None), "P5": (5.0, None), "P05": (0.5, None)})


@pytest.fixture(scope="module")
def example():
    return ba.example_dataset(seed=0)


# --------------------------------------------------------------------------- closed forms


@pytest.mark.parametrize(("sku", "L", "beta"), [("P2", 5.0, 0.95), ("P5", 4.0, 0.98),
                                                 ("P05", 10.0, 0.95), ("P2", 3.0, 0.80)])
def test_fill_rate_level_matches_poisson_rq_closed_form(poisson_ds, sku, L, beta):
    rec = sst.recommend_safety_stock(poisson_ds, lead_times=L, target=ba.FillRate(beta),
                                     skus=[sku], progress=False)
    row = rec.summary.loc[sku]
    # the simulation draws lines at the SKU's historical rate: compare at that rate
    rate, Q = row["mean_demand"], int(row["order_quantity"])
    assert max(1, round(rate * sst.ORDER_COVER_DAYS)) == Q
    r_star = closed_form_rq(rate, Q, L, beta)
    assert abs(int(row["reorder_point"]) - r_star) <= 1
    assert row["fill_rate"] >= beta
    # the whole curve: simulated fill close to the closed form at every level
    tr = rec.tradeoff.set_index("reorder_point")
    rs = tr.index.to_numpy()[:30]
    exact = pol.poisson_rq_metrics(rs, Q, rate, L).fill_rate
    np.testing.assert_allclose(tr.loc[rs, "fill_rate"], exact, atol=0.01)


def test_average_on_hand_and_backorders_match_poisson_rq(poisson_ds):
    rec = sst.recommend_safety_stock(poisson_ds, lead_times=5.0, skus=["P2"], n_reps=400,
                                     progress=False)
    row = rec.summary.loc["P2"]
    m = pol.poisson_rq_metrics(int(row["reorder_point"]), int(row["order_quantity"]),
                               row["mean_demand"], 5.0)
    assert row["avg_on_hand"] == pytest.approx(m.on_hand, rel=0.01)
    assert row["avg_backorders"] == pytest.approx(m.backorders, rel=0.1, abs=0.01)


@pytest.mark.parametrize("quantile", [0.9, 0.99])
def test_wait_target_matches_poisson_base_stock(poisson_ds, quantile):
    # cover_days small enough that Q = 1: (S − 1, 1) is base stock S
    rec = sst.recommend_safety_stock(poisson_ds, lead_times=4.0, skus=["P5"],
                                     target=ba.WaitTime(1.0, quantile), cover_days=0.1,
                                     progress=False)
    row = rec.summary.loc["P5"]
    assert row["order_quantity"] == 1
    lam = row["mean_demand"]
    S = np.arange(1, 100)
    sf = pol.poisson_base_stock_wait_sf(1.0, S, lam, 4.0)
    S_star = int(S[np.argmax(sf <= 1 - quantile)])
    assert abs(int(row["reorder_point"]) + 1 - S_star) <= 1
    exact = pol.poisson_base_stock_metrics(int(row["reorder_point"]) + 1, lam, 4.0)
    assert row["mean_wait"] == pytest.approx(exact.wait, rel=0.1, abs=0.005)
    assert row["fill_rate"] == pytest.approx(exact.fill_rate, abs=0.01)


def test_csl_target_matches_poisson_lead_time_demand(poisson_ds):
    # with unit demand, no stock-out before a receipt <=> D_L <= r: CSL = P(D_L <= r)
    rec = sst.recommend_safety_stock(poisson_ds, lead_times=5.0, skus=["P2"],
                                     target=ba.CycleServiceLevel(0.9), progress=False)
    row = rec.summary.loc["P2"]
    lam = row["mean_demand"]
    r_star = int(stats.poisson(lam * 5.0).ppf(0.9))
    assert abs(int(row["reorder_point"]) - r_star) <= 1
    assert row["cycle_service_level"] >= 0.9


# --------------------------------------------------------------------------- analytic vs sim


@pytest.fixture(scope="module")
def mixed_ds():
    return synthetic_dataset({
        "HIGH": (20.0, lambda rng, n: 1 + rng.poisson(2.0, n)),
        "INTER": (0.05, lambda rng, n: np.where(rng.random(n) < 0.5, 1, 40)),
    })


@pytest.mark.parametrize("lead", [7.0, stats.gamma(a=16.0, scale=7.0 / 16.0)])
def test_high_volume_analytic_and_simulated_agree(mixed_ds, lead):
    rec = sst.recommend_safety_stock(mixed_ds, lead_times=lead, skus=["HIGH"], progress=False)
    row = rec.summary.loc["HIGH"]
    assert row["category"] == "smooth"
    assert row["reorder_point"] == pytest.approx(row["reorder_point_analytic"], rel=0.03)
    assert not row["disagree"]
    assert row["service_at_analytic"] == pytest.approx(0.95, abs=0.01)


def test_intermittent_lumpy_sku_is_flagged(mixed_ds):
    rec = sst.recommend_safety_stock(mixed_ds, lead_times=7.0, progress=False)
    s = rec.summary
    assert s.loc["INTER", "category"] in ("intermittent", "lumpy")
    assert s.loc["INTER", "disagree"]
    assert not s.loc["HIGH", "disagree"]
    assert (s["fill_rate"] >= 0.95).all()


def test_periodic_review_agrees_with_order_up_to_formula(mixed_ds):
    rec = sst.recommend_safety_stock(mixed_ds, lead_times=3.0, skus=["HIGH"],
                                     review="periodic", review_period=7.0,
                                     target=ba.FillRate(0.98), progress=False)
    row = rec.summary.loc["HIGH"]
    S = pol.order_up_to_level_fill_rate(row["mean_demand"], row["sd_demand"], 7.0, 3.0, 0.98)
    assert row["reorder_point_analytic"] == pytest.approx(S)
    assert row["reorder_point"] == pytest.approx(S, rel=0.03)
    assert row["fill_rate"] >= 0.98
    assert np.isnan(row["order_quantity"])


# --------------------------------------------------------------------------- properties


@pytest.mark.parametrize("target", [ba.FillRate(0.9), ba.CycleServiceLevel(0.95),
                                    ba.WaitTime(3.0, 0.95)])
def test_targets_met_on_example_dataset(example, target):
    skus = ["SKU-0001", "SKU-0002", "SKU-0003", "SKU-0010", "SKU-0036"]
    rec = sst.recommend_safety_stock(example, target=target, skus=skus, n_reps=100,
                                     progress=False)
    s = rec.summary
    assert list(s.index) == skus
    if isinstance(target, ba.FillRate):
        assert (s["fill_rate"] >= 0.9).all()
    elif isinstance(target, ba.CycleServiceLevel):
        assert (s["cycle_service_level"] >= 0.95).all()
    # the supplier comes from the item master and its lead-time fit
    items = example.items.set_index("sku")["supplier_id"]
    assert (s["supplier"] == items.loc[skus].to_numpy()).all()
    assert (s["lead_time_p90"] >= s["lead_time_p50"]).all()
    assert (s["reorder_point"] >= 0).all()
    np.testing.assert_allclose(s["safety_stock"], s["reorder_point"] - s["lead_time_demand"])


def test_tradeoff_is_monotone_and_complete(example):
    rec = sst.recommend_safety_stock(example, skus=["SKU-0001", "SKU-0036"], n_reps=50,
                                     progress=False)
    tr = rec.tradeoff
    assert set(tr.columns) >= {"sku", "reorder_point", "safety_stock", "fill_rate",
                               "cycle_service_level", "mean_wait_per_unit", "avg_on_hand"}
    for _, g in tr.groupby("sku"):
        assert (np.diff(g["fill_rate"]) >= -1e-12).all()
        assert (np.diff(g["cycle_service_level"]) >= -1e-12).all()
        assert (np.diff(g["mean_wait_per_unit"]) <= 1e-12).all()
        assert (np.diff(g["avg_on_hand"]) >= -1e-9).all()
        assert g["fill_rate"].iloc[-1] == 1.0
    for sku, row in rec.summary.iterrows():
        g = tr[tr["sku"] == sku].set_index("reorder_point")
        assert g.loc[row["reorder_point"], "fill_rate"] == pytest.approx(row["fill_rate"])


def test_deterministic_and_independent_of_other_skus(example):
    kw = {"n_reps": 30, "progress": False}
    a = sst.recommend_safety_stock(example, skus=["SKU-0001", "SKU-0002"], seed=3, **kw)
    b = sst.recommend_safety_stock(example, skus=["SKU-0001", "SKU-0002"], seed=3, **kw)
    c = sst.recommend_safety_stock(example, skus=["SKU-0002"], seed=3, **kw)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.tradeoff, b.tradeoff)
    pd.testing.assert_series_equal(a.summary.loc["SKU-0002"], c.summary.loc["SKU-0002"])
    d = sst.recommend_safety_stock(example, skus=["SKU-0001", "SKU-0002"], seed=4, **kw)
    assert not a.summary["fill_rate"].equals(d.summary["fill_rate"])


def test_lead_time_model_by_sku(example):
    lt = ba.fit_lead_times(example.purchase_orders, by=("sku",), as_of=example.as_of)
    rec = sst.recommend_safety_stock(example, lead_times=lt, skus=["SKU-0001"], n_reps=20,
                                     progress=False)
    assert rec.summary.loc["SKU-0001", "supplier"] == "SKU-0001"
    assert rec.summary.loc["SKU-0001", "lead_time_p50"] == pytest.approx(
        lt.quantile(0.5, group="SKU-0001"))


def test_forecast_input(example):
    y = ba.demand_series(example, freq="D")
    y = y[y["sku"].isin(["SKU-0001", "SKU-0002"])]
    fc = ba.forecast(y, horizon=28, model="ses", seed=0, n_paths=200)
    with pytest.raises(ValueError, match="'lead_times' parameter is needed"):
        sst.recommend_safety_stock(fc, progress=False)
    rec = sst.recommend_safety_stock(fc, lead_times={"SKU-0001": 5.0, "SKU-0002": 8.0},
                                     n_reps=30, progress=False)
    s = rec.summary
    assert list(s.index) == ["SKU-0001", "SKU-0002"]
    assert (s["fill_rate"] >= 0.95).all()
    assert s.loc["SKU-0002", "lead_time_mean"] == 8.0


# --------------------------------------------------------------------------- validation, output


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"target": 0.95}, TypeError, r"'target' parameter must be FillRate\(beta\)"),
    ({"review": "weekly"}, ValueError, r"'review' parameter must be one of"),
    ({"n_reps": 0}, ValueError, r"'n_reps' and 'days' must be integers >= 1"),
    ({"skus": ["NOPE"]}, KeyError, r"NOPE"),
    ({"lead_times": -2.0}, ValueError, r"constant lead time must be a finite number >= 0"),
    ({"lead_times": "7"}, TypeError, r"lead time must be a number of days"),
])
def test_parameter_validation(poisson_ds, kwargs, error, message):
    kw = {"lead_times": 5.0, "progress": False, **kwargs}
    with pytest.raises(error, match=message):
        sst.recommend_safety_stock(poisson_ds, **kw)
    with pytest.raises(TypeError, match="must be a Dataset or a Forecast"):
        sst.recommend_safety_stock(pd.DataFrame(), lead_times=5.0, progress=False)


def test_result_object(example):
    import matplotlib

    matplotlib.use("Agg")
    rec = sst.recommend_safety_stock(example, skus=["SKU-0001", "SKU-0036"], n_reps=20,
                                     progress=False)
    text = repr(rec)
    assert text.startswith("SafetyStockRecommendation(FillRate(beta=0.95), 2 SKUs")
    assert "<table" in rec._repr_html_()
    frame = rec.to_frame()
    assert frame["sku"].tolist() == ["SKU-0001", "SKU-0036"]
    assert {"safety_stock_analytic", "reorder_point", "fill_rate", "p90_wait", "avg_on_hand",
            "disagree", "lead_time_p90"} <= set(frame.columns)
    ax = rec.plot("SKU-0036")
    assert ax.get_xlabel() == "safety stock [units]"
    import matplotlib.pyplot as plt

    plt.close("all")



def test_a_negative_safety_stock_is_explained_and_matches_the_closed_form(poisson_ds):
    """With 60 days of demand per order, a 95 % fill rate needs a reorder point below
    the lead-time demand (Poisson (r, Q) closed form): the note says why."""
    rec = sst.recommend_safety_stock(poisson_ds, lead_times=5.0, skus=["P2"], cover_days=60,
                                     n_reps=400, progress=False)
    row = rec.summary.loc["P2"]
    Q, lam = int(row["order_quantity"]), row["mean_demand"]
    rs = np.arange(0, int(lam * 5) + 1)
    fill = pol.poisson_rq_metrics(rs, Q, lam, 5.0).fill_rate
    r_star = int(rs[np.argmax(fill >= 0.95)])
    assert r_star < lam * 5                                   # below lead-time demand
    assert abs(int(row["reorder_point"]) - r_star) <= 1
    assert row["safety_stock"] < 0
    assert row["cycle_stock"] == Q / 2
    assert row["note"].startswith(f"safety stock below 0: an order of {Q:,} units (60 days "
                                  "of demand) meets the target on its own")


def test_disagree_means_the_formula_would_decide_otherwise(mixed_ds):
    rec = sst.recommend_safety_stock(mixed_ds, lead_times=7.0, progress=False)
    s = rec.summary
    inter = s.loc["INTER"]
    misses = inter["service_at_analytic"] < 0.95 - sst.SERVICE_TOL
    over = inter["reorder_point_analytic"] - inter["reorder_point"] > max(
        0.1 * inter["reorder_point"], 1, inter["mean_demand"])
    assert inter["disagree"] == (misses or over)
    assert "normal approximation" in inter["note"]
    assert "normal approximation" not in s.loc["HIGH", "note"]
