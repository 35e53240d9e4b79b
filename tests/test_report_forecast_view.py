"""The report's forecast view: per 7-day block, the quantiles of the sample paths
summed over each week, computed a few SKUs at a time."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import backorder_analytics as ba
from backorder_analytics.report.sections.demand import forecast_view

# the module (the package's attribute `demand` is the section function)
demand_section = importlib.import_module("backorder_analytics.report.sections.demand")


@pytest.fixture(scope="module")
def fc():
    ds = ba.example_dataset(seed=0)
    daily = ba.demand_series(ds.orders, freq="D")
    skus = daily["sku"].unique()[:7]
    return ba.forecast(daily[daily["sku"].isin(skus)], horizon=28, model="croston",
                       quantiles=(0.5, 0.8, 0.95), n_paths=200, seed=3)


def test_weekly_quantiles_are_those_of_the_summed_paths(fc):
    view = forecast_view(fc, periods=4, weekly=True, weekly_history=None)
    weeks = fc.paths()[:, :, :28].reshape(len(fc.skus), 200, 4, 7).sum(axis=3)
    want = np.moveaxis(np.quantile(weeks, fc.quantiles, axis=1), 0, 1)
    np.testing.assert_array_equal(view.quantile_values, want)
    np.testing.assert_allclose(view.mean, fc.mean[:, :28].reshape(-1, 4, 7).sum(axis=2))
    assert list(view.dates) == list(fc.dates[:28:7])


@pytest.mark.parametrize("cells", [1, 3 * 200 * 28, 1 << 30])  # 1 SKU, 3, all at once
def test_weekly_quantiles_do_not_depend_on_the_block(fc, cells, monkeypatch):
    whole = forecast_view(fc, periods=4, weekly=True, weekly_history=None)
    monkeypatch.setattr(demand_section, "PATH_CELLS", cells)
    np.testing.assert_array_equal(
        forecast_view(fc, periods=4, weekly=True, weekly_history=None).quantile_values,
        whole.quantile_values)
