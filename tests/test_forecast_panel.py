"""Long demand frames to panels (forecasting/panel.py): the same panel as a pandas
pivot, whatever the layout of the rows and the dtype of the ids; bad frames refused
with the row at fault."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backorder_analytics.exceptions import DataError
from backorder_analytics.forecasting.panel import sku_codes_of, to_panel


def long_frame(freq: str, n_sku: int = 6, periods: int = 40, seed: int = 0) -> pd.DataFrame:
    """SKUs starting on different periods of one calendar, each to its end."""
    rng = np.random.default_rng(seed)
    calendar = pd.date_range("2024-01-01", periods=periods, freq=freq)
    parts = []
    for i in range(n_sku):
        start = int(rng.integers(0, periods // 2))
        dates = calendar[start:]
        parts.append(pd.DataFrame({"sku": f"SKU-{(7 * i) % n_sku:02d}", "date": dates,
                                   "demand": rng.poisson(2.0, len(dates)).astype(float)}))
    return pd.concat(parts, ignore_index=True)


def pivot(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.pivot(index="sku", columns="date", values="demand").sort_index()


@pytest.mark.parametrize("freq", ["D", "W-MON", "MS"])
@pytest.mark.parametrize("layout", ["runs", "shuffled", "categorical", "categorical_sorted",
                                    "arrow"])
def test_panel_is_the_pivot_of_the_frame(freq, layout):
    frame = long_frame(freq)
    if layout == "shuffled":
        frame = frame.sample(frac=1.0, random_state=1)
    elif layout == "categorical":  # categories unsorted, one unused
        cats = ["SKU-99", *sorted(frame["sku"].unique(), reverse=True)]
        frame = frame.assign(sku=pd.Categorical(frame["sku"], categories=cats))
    elif layout == "categorical_sorted":  # as astype("category") makes it
        frame = frame.sample(frac=1.0, random_state=2).assign(
            sku=frame["sku"].astype("category"))
    elif layout == "arrow":
        frame = frame.assign(sku=frame["sku"].astype("string[pyarrow]"))
    panel = to_panel(frame)
    want = pivot(frame.assign(sku=frame["sku"].astype(str)))
    assert list(panel.skus) == list(want.index)
    assert list(panel.dates) == list(want.columns)
    np.testing.assert_array_equal(panel.values, want.to_numpy())


def test_sku_codes_match_pandas_factorize():
    ids = pd.Series(np.repeat(["b", "a", "c"], [3, 1, 2]).astype(object))
    codes, skus = sku_codes_of(ids)
    want_codes, want = pd.factorize(ids, sort=True)
    np.testing.assert_array_equal(codes, want_codes)
    assert list(skus) == list(want)
    split = pd.Series(["a", "b", "a"], dtype=object)  # a SKU in two runs: hashed instead
    codes, skus = sku_codes_of(split)
    assert list(codes) == [0, 1, 0]
    assert list(skus) == ["a", "b"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: pd.concat([f, f.iloc[[3]]]), "two rows for SKU"),
    (lambda f: f.assign(date=f["date"].where(f.index != 5, pd.Timestamp("2024-01-03 12:00"))),
     "not on one regular calendar"),
    (lambda f: f.assign(sku=f["sku"].where(f.index != 2, None)), "without a SKU"),
    (lambda f: f.drop(index=4), "missing periods"),
    (lambda f: f.assign(demand=f["demand"].where(f.index != 4, np.nan)), "missing periods"),
])
def test_bad_frames_are_refused(change, message):
    frame = long_frame("D", n_sku=2, periods=10).reset_index(drop=True)
    first_run = frame["sku"] == frame["sku"].iloc[0]
    frame = pd.concat([frame[first_run], frame[~first_run]], ignore_index=True)
    with pytest.raises(DataError, match=message):
        to_panel(change(frame))
