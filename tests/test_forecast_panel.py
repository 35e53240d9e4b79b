"""Long demand frames to panels (forecasting/panel.py): the same panel as a pandas
pivot, whatever the layout of the rows and the dtype of the ids; bad frames refused
with the row at fault."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import backorder_analytics as ba
from backorder_analytics.exceptions import DataError
from backorder_analytics.forecasting import panel as panel_module
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


# ------------------------------------------------------------------ the blocked layout
def blocked_frame(n_sku: int = 5, periods: int = 12, freq: str = "D") -> pd.DataFrame:
    """Every SKU one block of rows over the same dates, SKUs not in sorted order
    (``n_sku`` not a multiple of 3)."""
    rng = np.random.default_rng(3)
    calendar = pd.date_range("2024-01-01", periods=periods, freq=freq)
    ids = [f"SKU-{(3 * i) % n_sku:02d}" for i in range(n_sku)]
    return pd.DataFrame({"sku": np.repeat(ids, periods).astype(object),
                         "date": np.tile(calendar, n_sku),
                         "demand": rng.poisson(2.0, n_sku * periods).astype(float)})


def general_panel(frame: pd.DataFrame, monkeypatch):
    """:func:`to_panel` through the row-by-row path only."""
    with monkeypatch.context() as m:
        m.setattr(panel_module, "_blocked_panel", lambda y: None)
        return to_panel(frame)


def assert_same_panel(a, b) -> None:
    assert a.skus.equals(b.skus)
    assert (a.skus.dtype, a.skus.name) == (b.skus.dtype, "sku")
    assert a.dates.equals(b.dates)
    assert (a.dates.dtype, a.freq) == (b.dates.dtype, b.freq)
    assert a.values.dtype == b.values.dtype
    assert a.values.flags.c_contiguous
    np.testing.assert_array_equal(a.values.view(np.int64), b.values.view(np.int64))


def shared_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """The ids as one object per SKU (as read_csv, parquet or a groupby make them)."""
    ids = {s: s for s in frame["sku"]}
    return frame.assign(sku=np.array([ids[s] for s in frame["sku"]], dtype=object))


@pytest.mark.parametrize("freq", ["D", "W-MON", "MS"])
@pytest.mark.parametrize("ids", ["object", "shared", "some_shared", "categorical",
                                 "categorical_unsorted", "string[pyarrow]", "str", "arrow",
                                 "arrow_varlen", "int", "one_sku"])
def test_blocked_layout_is_read_as_blocks_to_the_same_panel(freq, ids, monkeypatch):
    """The usual layout (one block per SKU, the same dates) takes the block path, and
    gives the panel of the general path to the bit, whatever the dtype of the ids."""
    frame = blocked_frame(freq=freq)
    if ids == "shared":
        frame = shared_ids(frame)
    elif ids == "some_shared":  # the odd row a copy: compared by value
        frame = shared_ids(frame)
        sku = frame["sku"].to_numpy().copy()
        for i in (3, 17, 40):
            sku[i] = "".join(list(sku[i]))  # equal, another object
            assert sku[i] is not sku[i - 1]
        frame = frame.assign(sku=sku)
    elif ids == "categorical":
        frame = frame.assign(sku=frame["sku"].astype("category"))
    elif ids == "categorical_unsorted":  # categories unsorted, one unused
        cats = ["SKU-99", *sorted(frame["sku"].unique(), reverse=True)]
        frame = frame.assign(sku=pd.Categorical(frame["sku"], categories=cats))
    elif ids == "string[pyarrow]":
        frame = frame.assign(sku=frame["sku"].astype("string[pyarrow]"))
    elif ids == "str":  # pandas 3's default string dtype
        try:
            dtype = pd.StringDtype("pyarrow", na_value=np.nan)
        except TypeError:  # pandas < 2.3 spells it so
            dtype = pd.StringDtype("pyarrow_numpy")
        frame = frame.assign(sku=frame["sku"].astype(dtype))
    elif ids == "arrow":
        frame = frame.assign(sku=frame["sku"].astype(pd.ArrowDtype(pa.string())))
    elif ids == "arrow_varlen":  # ids of different lengths, sliced out of a longer array
        longer = pd.Series(["pad", *frame["sku"].str.replace("SKU-0", "S")],
                           dtype="string[pyarrow]")
        frame = frame.assign(sku=longer.iloc[1:].reset_index(drop=True))
    elif ids == "int":
        frame = frame.assign(sku=frame["sku"].str[4:].astype(int))
    elif ids == "one_sku":
        frame = frame[frame["sku"] == "SKU-00"].reset_index(drop=True)
    assert panel_module._blocked_panel(frame) is not None
    assert_same_panel(to_panel(frame), general_panel(frame, monkeypatch))


def _swap_rows(frame: pd.DataFrame, i: int, j: int) -> pd.DataFrame:
    order = np.arange(len(frame))
    order[[i, j]] = order[[j, i]]
    return frame.iloc[order].reset_index(drop=True)


def _rename_row(frame: pd.DataFrame, row: int, sku) -> pd.DataFrame:
    sku_col = frame["sku"].to_numpy().copy()
    sku_col[row] = sku
    return frame.assign(sku=sku_col)


FALLBACKS = {
    # layouts the general path reads (the same panel)
    "shuffled": lambda f: f.sample(frac=1.0, random_state=0).reset_index(drop=True),
    "two rows swapped in a block": lambda f: _swap_rows(f, 2, 5),
    "a SKU in two blocks": lambda f: f.assign(sku=np.where(
        np.arange(len(f)) // 12 == 3, f["sku"].iloc[0], f["sku"]).astype(object)),
    "late start": lambda f: f.drop(index=range(12, 15)).reset_index(drop=True),
    "leading NaN demand": lambda f: f.assign(demand=f["demand"].where(
        ~f.index.isin([12, 13]), np.nan)),
    "categorical, a block's row of another SKU": lambda f: f.assign(sku=pd.Categorical(
        _rename_row(f, 30, f["sku"].iloc[0])["sku"])),
    "tz-aware dates": lambda f: f.assign(date=f["date"].dt.tz_localize("UTC")),
    # bad frames (the general path's error)
    "a row of another SKU inside a block": lambda f: _rename_row(f, 30, f["sku"].iloc[0]),
    "a day missing from every SKU": lambda f: f[f["date"] != f["date"].iloc[4]],
    "a day missing from one SKU": lambda f: f.drop(index=30).reset_index(drop=True),
    "a NaN demand inside": lambda f: f.assign(demand=f["demand"].where(f.index != 30,
                                                                        np.nan)),
    "an infinite demand": lambda f: f.assign(demand=f["demand"].where(f.index != 30,
                                                                      np.inf)),
    "a missing SKU": lambda f: _rename_row(f, 30, None),
    "a missing SKU block": lambda f: f.assign(sku=f["sku"].where(f.index // 12 != 2, None)),
    "NaT": lambda f: f.assign(date=f["date"].where(f.index != 0, pd.NaT)),
    "a repeated day": lambda f: f.assign(date=f["date"].where(
        f.index % 12 != 5, f["date"].iloc[4])),
}


@pytest.mark.parametrize("case", sorted(FALLBACKS))
@pytest.mark.parametrize("ids", ["object", "shared", "string[pyarrow]"])
def test_other_layouts_fall_back_to_the_general_path(case, ids, monkeypatch):
    """A frame not in the blocked layout (or a bad one) is not read as blocks: the
    panel, or the error, is that of the general path."""
    frame = FALLBACKS[case](blocked_frame())
    if ids == "shared":
        frame = shared_ids(frame) if frame["sku"].dtype == object else frame
    elif ids == "string[pyarrow]" and frame["sku"].dtype == object:
        frame = frame.assign(sku=frame["sku"].astype("string[pyarrow]"))
    assert panel_module._blocked_panel(frame) is None
    try:
        want = general_panel(frame, monkeypatch)
    except (DataError, ValueError) as error:
        with pytest.raises(type(error), match=re.escape(str(error))):
            to_panel(frame)
    else:
        assert_same_panel(to_panel(frame), want)


def test_forecast_of_a_blocked_frame_equals_that_of_its_rows_shuffled():
    """Through the public API: the block path and the general path forecast the same
    numbers, frames of the same dtypes."""
    frame = blocked_frame(n_sku=10, periods=60)
    blocked = ba.forecast(frame, 7, model="sba", quantiles=())
    shuffled = ba.forecast(frame.sample(frac=1.0, random_state=4), 7, model="sba",
                           quantiles=())
    pd.testing.assert_frame_equal(blocked.to_frame(), shuffled.to_frame(), check_exact=True)
    np.testing.assert_array_equal(blocked.paths(50), shuffled.paths(50))
