"""Dataset.as_at: the data as it was known at an earlier moment.

Expected values come from the full data (what had happened by the date, read off the
full tables and the full replay's shipments), never from the code under test.
"""

import numpy as np
import pandas as pd
import pytest

from backorder_analytics.data.example import example_dataset
from backorder_analytics.simulation.replay import replay

DATES = ["2024-06-15 12:00:00", "2025-03-31 23:59:59", "2025-10-01"]
END_OF_DAY = pd.Timedelta(days=1) - pd.Timedelta(1, "ns")


def moment(date: str) -> pd.Timestamp:
    """A date without a time of day means the end of that day."""
    d = pd.Timestamp(date)
    return d + END_OF_DAY if len(date) == 10 else d


@pytest.fixture(scope="module")
def ds():
    return example_dataset(seed=0)


@pytest.mark.parametrize("date", DATES)
def test_tables_hold_what_was_known(ds, date):
    d = moment(date)
    past = ds.as_at(date)
    assert past.as_of == d
    o = ds.orders
    assert past.orders.index.equals(o.index[o["order_date"] <= d])
    kept = o.loc[past.orders.index]
    expect_cancel = kept["cancel_date"].where(kept["cancel_date"] <= d)
    pd.testing.assert_series_equal(past.orders["cancel_date"], expect_cancel)
    pd.testing.assert_frame_equal(past.orders.drop(columns="cancel_date"),
                                  kept.drop(columns="cancel_date"))
    po = ds.purchase_orders
    po = po[po["order_date"] <= d]
    assert list(past.purchase_orders["po_id"]) == list(po["po_id"])
    later = (po["received_date"] > d).to_numpy()
    assert past.purchase_orders["received_date"].isna().to_numpy()[later].all()
    assert past.purchase_orders["received_quantity"].isna().to_numpy()[later].all()
    np.testing.assert_array_equal(past.purchase_orders["received_date"].to_numpy()[~later],
                                  po["received_date"].to_numpy()[~later])
    expect_open = po["received_date"].isna() | (po["received_date"] > d)
    assert set(past.open_purchase_orders["po_id"]) == set(po.loc[expect_open, "po_id"])
    assert len(past.shipments) == int((ds.shipments["ship_date"] <= d).sum())
    assert len(past.inventory) == int((ds.inventory["date"] <= d).sum())
    assert past.items is ds.items
    assert past.truth is ds.truth
    assert past.rejected is ds.rejected


def test_original_unchanged_and_full_date_is_identity(ds):
    before = ds.purchase_orders.copy()
    ds.as_at("2025-01-15")
    pd.testing.assert_frame_equal(ds.purchase_orders, before)
    same = ds.as_at(ds.as_of)
    for name, table in ds.tables().items():
        pd.testing.assert_frame_equal(getattr(same, name), table, check_dtype=False)


@pytest.mark.parametrize("allocation", ["priority", "fifo"])
@pytest.mark.parametrize("date", DATES)
def test_replay_of_the_past_agrees_with_the_full_replay(ds, date, allocation):
    """Open units per line at ``date``: from the full replay's shipments and cancel
    dates (units shipped or cancelled by ``date``) against the replay of as_at(date)."""
    d = moment(date)
    full = replay(ds, allocation=allocation)
    past = replay(ds.as_at(date), allocation=allocation)
    L = full.lines[full.lines["order_date"] <= d]
    sh = full.shipments[full.shipments["ship_date"] <= d]
    shipped_by = np.bincount(sh["line"], sh["quantity"], len(full.lines))
    shipped_by = pd.Series(shipped_by, index=full.lines.index).loc[L.index]
    cancelled_by = L["cancelled"].where(L["cancel_date"] <= d, 0)
    open_at = L["quantity"] - shipped_by - cancelled_by
    got = past.lines["open"]
    assert got.index.equals(open_at.index)
    np.testing.assert_array_equal(got.to_numpy(), open_at.to_numpy())
    assert (got > 0).sum() == (open_at > 0).sum()


def test_date_only_means_the_end_of_that_day(ds):
    past = ds.as_at("2025-03-01")
    assert past.as_of == pd.Timestamp("2025-03-02") - pd.Timedelta(1, "ns")
    assert past.orders["order_date"].max() > pd.Timestamp("2025-03-01 12:00")
    assert ds.as_at(ds.as_of.normalize()).as_of == ds.as_of
    assert (past.orders["order_date"] <= past.as_of).all()


@pytest.mark.parametrize(("bad", "match"), [
    ("2026-01-01", "at or before as_of"),
    ("not a date", "must be a date or timestamp"),
    (None, "must be a date or timestamp"),
])
def test_bad_dates(ds, bad, match):
    with pytest.raises(ValueError, match=match):
        ds.as_at(bad)
