"""The planning run: each fact computed once, given steps used as given, and the
hand-overs between steps (replay -> state -> ETAs, forecast -> risk) tested."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest

import backorder_analytics as ba
from backorder_analytics.forecasting import core as forecast_core
from backorder_analytics.planning.run import STEP_NAMES, PlanningRun
from backorder_analytics.planning.settings import PlanSettings, SettingsError
from backorder_analytics.simulation import replay as replay_module

SETTINGS = {"policy": {"allocation": "priority"}, "n_reps": 40, "seed": 1,
            "forecast": {"model": "sba"}}


@pytest.fixture(scope="module")
def ds():
    return ba.example_dataset(seed=0)


@pytest.fixture(scope="module")
def run(ds):
    return ba.plan(ds, SETTINGS, compute=True)


def counting(module, name):
    """Patch ``module.name`` with a wrapper that counts its calls."""
    return mock.patch.object(module, name, wraps=getattr(module, name))


# ----------------------------------------------------------------------- once each


def test_one_replay_and_one_forecast_per_report(ds, tmp_path):
    config = ba.load_config({**{k: v for k, v in SETTINGS.items() if k not in ("n_reps",
                                                                              "seed")},
                             "report": {"n_reps": 40, "seed": 1, "outputs": ["html"]}})
    with counting(replay_module, "_gather") as replays, \
            counting(forecast_core, "as_panel") as forecasts:
        ba.build_report(ds, tmp_path, config, progress=False)
    assert replays.call_count == 1
    assert forecasts.call_count == 1


def test_every_step_is_computed_once(ds):
    run = ba.plan(ds, SETTINGS)
    with counting(replay_module, "_gather") as replays:
        run.compute()
        run.compute()  # nothing again
        for name in STEP_NAMES:
            run.get(name)
    assert replays.call_count == 1
    assert (run.summary["status"] == "computed").all()
    assert (run.summary["seconds"] >= 0).all()


def test_given_steps_are_used_not_recomputed(ds, run):
    with counting(replay_module, "_gather") as replays, \
            counting(forecast_core, "as_panel") as forecasts:
        again = ba.plan(ds, SETTINGS, replay=run.replay, forecast=run.forecast,
                        lead_times=run.lead_times, safety_stock=run.safety_stock)
        risk = again.risk.to_frame()
        alerts = again.alerts.to_frame()
    assert replays.call_count == 0
    assert forecasts.call_count == 0
    assert again.replay is run.replay
    assert again.forecast is run.forecast
    pd.testing.assert_frame_equal(risk, run.risk.to_frame())
    pd.testing.assert_frame_equal(alerts, run.alerts.to_frame())
    assert again.summary.loc["replay", "status"] == "given"


def test_steps_agree_with_the_public_functions(ds, run):
    s = run.settings
    state = ba.inventory_state(ds, allocation="priority")
    pd.testing.assert_frame_equal(run.state, state)
    eta = ba.backorder_eta(ds, run.lead_times, allocation="priority",
                           max_wait_days=s.policy.max_wait_days, n_reps=s.n_reps, seed=s.seed)
    pd.testing.assert_frame_equal(run.eta.to_frame(), eta.to_frame())
    rule = ba.historical_reorder_points(ds, allocation="priority")
    pd.testing.assert_frame_equal(run.reorder_rule, rule)


def test_previous_eta_is_the_eta_of_a_week_before_with_the_same_settings(ds, run):
    earlier = ds.as_of - pd.Timedelta(days=run.settings.alerts.update_every_days)
    before = ba.backorder_eta(ds.as_at(earlier), run.lead_times, allocation="priority",
                              max_wait_days=run.settings.policy.max_wait_days,
                              n_reps=run.settings.n_reps, seed=run.settings.seed).to_frame()
    waiting = run.eta.to_frame()["sku"].unique()  # only their ETAs can slip
    before = before[before["sku"].isin(waiting)]
    pd.testing.assert_frame_equal(run.previous_eta.to_frame(), before)
    assert len(before) > 0
    assert run.previous_eta.params == run.eta.params
    assert run.previous_eta.as_of == earlier


def test_risk_consumes_the_forecast_and_the_recommended_policy(run):
    """The hand-over forecast -> risk: the demand the risk simulates is the forecast's
    (its expected demand over the horizon is the point forecast's sum, within the Monte
    Carlo error of the paths), and new orders follow the recommended (r, Q)."""
    risk = run.risk.to_frame().set_index("sku")
    h = run.settings.risk.horizon
    point = pd.Series(run.forecast.mean[:, :h].sum(axis=1), index=run.forecast.skus)
    paths = run.forecast.paths(run.settings.n_reps)[:, :, :h].sum(axis=2)
    se = paths.std(axis=1) / np.sqrt(paths.shape[1])
    diff = (risk["expected_demand"] - point.reindex(risk.index)).abs()
    assert (diff <= 4 * pd.Series(se, index=run.forecast.skus).reindex(risk.index)
            + 0.5).all()
    assert run.risk.params["reorder_points"] == "given"
    assert isinstance(run.policy, pd.DataFrame)


# ----------------------------------------------------------------------- replay.at


@pytest.mark.parametrize("rules", [("fifo", "partial"), ("priority", "partial"),
                                   ("priority", "complete")])
@pytest.mark.parametrize("cut", ["2024-02-10 13:30", "2025-06-30", "2025-12-23"])
def test_replay_at_an_earlier_moment_is_the_replay_of_the_data_known_then(ds, rules, cut):
    allocation, shipping = rules
    full = ba.replay(ds, allocation=allocation, shipping=shipping)
    now = full.at(cut)
    then = ba.replay(ds.as_at(cut), allocation=allocation, shipping=shipping)
    assert now.as_of == then.as_of
    pd.testing.assert_frame_equal(now.lines, then.lines)
    pd.testing.assert_frame_equal(now.shipments.reset_index(drop=True),
                                  then.shipments.reset_index(drop=True))
    pd.testing.assert_frame_equal(now.stock.loc[then.stock.index], then.stock)
    pd.testing.assert_frame_equal(now.summary.loc[then.summary.index], then.summary,
                                  check_dtype=False)
    pd.testing.assert_frame_equal(now.timeline_total.loc[then.days],
                                  then.timeline_total.loc[then.days])


def test_replay_at_refuses_a_moment_before_its_origin(ds):
    with pytest.raises(ValueError, match="'moment' parameter must be at or after"):
        ba.replay(ds).at("2020-01-01")


def test_a_replay_under_other_rules_is_refused(ds):
    rep = ba.replay(ds, allocation="fifo")
    with pytest.raises(ValueError, match=r"'replay' parameter was made with "
                                         r"allocation='fifo', not 'priority'"):
        ba.backorder_eta(ds, allocation="priority", replay=rep, n_reps=10)
    with pytest.raises(TypeError, match="'replay' parameter must be a ReplayResult"):
        ba.inventory_state(ds, replay=rep.lines)


# ----------------------------------------------------------------------- settings


def test_settings_from_a_mapping_and_from_a_report_config():
    s = PlanSettings.of({"policy": {"max_wait_days": "none"}, "n_reps": 10})
    assert s.policy.max_wait_days is None
    assert s.n_reps == 10
    config = ba.load_config({"report": {"n_reps": 7, "seed": 3}})
    assert PlanSettings.of(config) == PlanSettings(n_reps=7, seed=3)
    assert PlanSettings.of(None) == PlanSettings()


@pytest.mark.parametrize(("raw", "message"), [
    ({"policy": {"alocation": "fifo"}}, r"unknown key 'alocation' in \[policy\].*"
                                         r"Did you mean 'allocation'"),
    ({"n_reps": 0}, r"n_reps must be an integer >= 1\. Got 0 instead"),
    ({"policy": {"max_wait_days": -1}}, r"max_wait_days must be a number >= 0"),
    ({"colour": "red"}, r"unknown key 'colour' at the top level"),
])
def test_bad_settings_name_the_key(raw, message):
    with pytest.raises(SettingsError, match=message):
        PlanSettings.from_mapping(raw)


def test_bad_plan_arguments(ds, run):
    with pytest.raises(TypeError, match="unexpected step 'forcast'"):
        ba.plan(ds, forcast=run.forecast)
    with pytest.raises(TypeError, match="'forecast' parameter must be a Forecast"):
        ba.plan(ds, forecast=run.forecast.to_frame())
    with pytest.raises(TypeError, match="'ds' parameter must be a Dataset"):
        PlanningRun(ds.orders)


def test_repr_and_summary(ds):
    run = ba.plan(ds, SETTINGS)
    assert "pending 13" in repr(run)
    run.state  # noqa: B018  (computes the replay and the state)
    table = run.summary
    assert table.loc[["replay", "state"], "status"].tolist() == ["computed", "computed"]
    assert table.loc["forecast", "status"] == "pending"
    assert "<table" in run._repr_html_()


# ----------------------------------------------------------------------- per SKU


def test_etas_of_a_sku_do_not_depend_on_the_other_skus(ds, run):
    s = run.settings
    full = run.eta.to_frame()
    some = full["sku"].unique()[::3]
    part = ba.backorder_eta(ds, run.lead_times, replay=run.replay,
                            max_wait_days=s.policy.max_wait_days, n_reps=s.n_reps,
                            seed=s.seed, skus=some).to_frame()
    pd.testing.assert_frame_equal(part, full[full["sku"].isin(some)])
    assert len(part) > 0


def test_risk_of_a_sku_does_not_depend_on_the_other_skus(ds, run):
    s = run.settings
    some = run.forecast.skus[::4]
    y = run.demand
    alone = ba.forecast(y[y["sku"].isin(some)], run.forecast_days, model="sba",
                        quantiles=s.forecast.quantiles, seed=s.seed)
    part = ba.backorder_risk(ds, s.risk.horizon, forecast=alone, lead_times=run.lead_times,
                             replay=run.replay, n_reps=s.n_reps, seed=s.seed,
                             reorder_points=run.policy).to_frame()
    full = run.risk.to_frame()
    full = full[full["sku"].isin(some)].drop(columns="rank").reset_index(drop=True)
    pd.testing.assert_frame_equal(part.drop(columns="rank"), full)


def test_reorder_rule_of_a_sku_without_recent_pos_uses_all_of_its_pos(ds):
    """Its rule comes from its own POs, whatever the other SKUs' POs are."""
    po = ds.purchase_orders
    old = po["sku"] == "SKU-0001"
    cutoff = ds.as_of - pd.Timedelta(days=400)
    older = po[~old | (po["order_date"] < cutoff)]
    past = ba.Dataset(orders=ds.orders, purchase_orders=older, inventory=ds.inventory,
                      as_of=ds.as_of)
    rule = ba.historical_reorder_points(past, allocation="priority").set_index("sku")
    assert "SKU-0001" in rule.index
    assert np.isfinite(rule.loc["SKU-0001", "r"])


def test_days_given_as_lead_times_still_give_etas_and_alerts(ds, run):
    """With POs received, ETAs learn when an open PO arrives from them, as the public
    function does by default; the days given set the rules that take a lead time."""
    given = ba.plan(ds, SETTINGS, lead_times=7)
    eta = ba.backorder_eta(ds, as_of=ds.as_of, replay=run.replay, n_reps=40, seed=1,
                           max_wait_days=given.settings.policy.max_wait_days)
    pd.testing.assert_frame_equal(given.eta.lines, eta.lines)
    assert len(given.alerts.to_frame()) > 0
    assert any("days given" in note for note in given.notes)


def test_days_given_and_no_po_received_say_what_etas_need(ds):
    po = ds.purchase_orders.assign(received_date=pd.NaT, received_quantity=pd.NA)
    unreceived = ba.Dataset(orders=ds.orders, purchase_orders=po, inventory=ds.inventory,
                            as_of=ds.as_of, items=ds.items)
    run = ba.plan(unreceived, SETTINGS, lead_times=7)
    with pytest.raises(ba.MissingData, match="received dates"):
        run.get("eta")
