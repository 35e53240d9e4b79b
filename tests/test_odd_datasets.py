"""Valid but odd datasets, generated (hypothesis): the whole planning run answers or
raises a package error naming the problem, and every unit ordered is shipped, waiting
or cancelled (issue 13)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backorder_analytics as ba
from backorder_analytics.exceptions import BackorderAnalyticsError

START = pd.Timestamp("2024-01-01")
SETTINGS = {"n_reps": 10, "forecast": {"horizon": 2}}


@st.composite
def odd_datasets(draw):
    """1–3 SKUs, 1–90 days, quantities up to 10^6, only open POs or a few
    received, stock counts from zero to large; an order line may be cancelled."""
    days = draw(st.integers(1, 90))
    n_skus = draw(st.integers(1, 3))
    skus = [f"S{i}" for i in range(n_skus)]
    n_lines = draw(st.integers(1, 40))
    rows = []
    for i in range(n_lines):
        day = draw(st.integers(0, days - 1))
        quantity = draw(st.one_of(st.integers(1, 5), st.integers(1, 10**6)))
        cancel = draw(st.one_of(st.none(), st.integers(0, 10)))
        rows.append({"order_id": f"O{i}", "sku": draw(st.sampled_from(skus)),
                     "quantity": quantity, "priority": draw(st.integers(0, 2)),
                     "order_date": START + pd.Timedelta(days=day, hours=9),
                     "cancel_date": (START + pd.Timedelta(days=min(day + cancel, days - 1),
                                                          hours=18)
                                     if cancel is not None else pd.NaT)})
    orders = pd.DataFrame(rows)
    pos = []
    for j in range(draw(st.integers(1, 4))):
        ordered = draw(st.integers(0, days - 1))
        lead = draw(st.one_of(st.none(), st.integers(1, 30)))
        received = (START + pd.Timedelta(days=ordered + lead)
                    if lead is not None and ordered + lead < days else pd.NaT)
        pos.append({"po_id": f"P{j}", "sku": draw(st.sampled_from(skus)),
                    "quantity": draw(st.integers(1, 10**6)),
                    "order_date": START + pd.Timedelta(days=ordered),
                    "received_date": received})
    po = pd.DataFrame(pos, columns=["po_id", "sku", "quantity", "order_date", "received_date"])
    po["received_date"] = pd.to_datetime(po["received_date"])
    po["order_date"] = pd.to_datetime(po["order_date"])
    inventory = pd.DataFrame({"sku": skus, "date": START,
                              "on_hand": [draw(st.integers(0, 10**6)) for _ in skus]})
    as_of = START + pd.Timedelta(days=days) - pd.Timedelta(seconds=1)
    return orders, po, inventory, as_of


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(odd_datasets())
def test_the_planning_run_answers_or_says_why(tables):
    orders, po, inventory, as_of = tables
    try:
        ds = ba.read_dataset(orders=orders, purchase_orders=po, inventory=inventory,
                             as_of=as_of, errors="report")
    except BackorderAnalyticsError:
        return  # refused with a message: acceptable for odd data
    rep = ba.replay(ds)
    lines = rep.lines
    # conservation: every unit ordered is shipped, waiting or cancelled
    np.testing.assert_array_equal(lines["quantity"],
                                  lines["shipped"] + lines["open"] + lines["cancelled"])
    run = ba.plan(ds, SETTINGS)
    for step in ba.planning.run.STEP_NAMES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            message = None
            try:
                run.get(step)
            except BackorderAnalyticsError as err:  # a package error says what is wrong
                message = str(err) or "(empty)"
            except ValueError as err:  # parameter-style errors must explain themselves
                message = str(err)
                if not ("must" in message or "Fix" in message or "need" in message):
                    raise
            assert message is None or len(message) > 20, message


def test_the_generator_can_make_the_smallest_case():
    """One SKU, one day, one line and one open PO still load and replay."""
    orders = pd.DataFrame({"order_id": ["O1"], "sku": ["S0"], "quantity": [3],
                           "order_date": [START + pd.Timedelta(hours=9)]})
    po = pd.DataFrame({"po_id": ["P1"], "sku": ["S0"], "quantity": [5],
                       "order_date": [START], "received_date": [pd.NaT]})
    inventory = pd.DataFrame({"sku": ["S0"], "date": [START], "on_hand": [1]})
    ds = ba.read_dataset(orders=orders, purchase_orders=po, inventory=inventory,
                         as_of=START + pd.Timedelta(hours=23))
    lines = ba.replay(ds).lines
    assert lines[["shipped", "open"]].values.tolist() == [[1, 2]]


pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
