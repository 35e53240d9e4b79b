"""Tests of backorder_analytics.demand: demand_series and classify_demand.

Expected values are written out by hand, or come from the slow pure-Python
references below (a loop over order lines into a dict; a loop over series with
``statistics``), never from the code under test.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backorder_analytics.data.dataset import Dataset
from backorder_analytics.exceptions import DataError
from backorder_analytics.forecasting.demand import DEMAND_CATEGORIES, classify_demand, demand_series

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def frame(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    """The expected long frame from ``(sku, 'YYYY-MM-DD', demand)`` rows."""
    return pd.DataFrame(
        {
            "sku": pd.Series([r[0] for r in rows], dtype=str),
            "date": pd.to_datetime([r[1] for r in rows]).astype("datetime64[ns]"),
            "demand": np.array([r[2] for r in rows], dtype=np.int64),
        }
    )


def assert_same(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(result, expected)
    assert isinstance(result.index, pd.RangeIndex)


def series(sku: str, first: str, values: list[int], freq: str = "D") -> list:
    """Rows ``(sku, date, demand)`` of consecutive periods from ``first``."""
    step = {"D": "D", "W": "W-MON", "M": "MS"}[freq]
    dates = pd.date_range(first, periods=len(values), freq=step)
    return [(sku, str(d.date()), v) for d, v in zip(dates, values, strict=True)]


@pytest.fixture
def orders() -> pd.DataFrame:
    """Two SKUs with different first days, two lines on one day, lines at 23:59.

    2024-01-29 and 2024-02-05 are Mondays. Rows deliberately out of order.
    """
    return pd.DataFrame(
        {
            "order_id": ["B1", "B2", "A1", "B3", "A2", "A3"],
            "sku": ["B", "B", "A", "B", "A", "A"],
            "quantity": [2, 1, 3, 4, 5, 1],
            "order_date": pd.to_datetime(
                [
                    "2024-01-30 10:00",  # B, Tue
                    "2024-01-30 23:59",  # B, Tue, same day
                    "2024-01-29 00:00",  # A, Mon
                    "2024-02-01 08:00",  # B, Thu
                    "2024-02-02 23:59",  # A, Fri
                    "2024-02-05 12:00",  # A, Mon (latest line)
                ]
            ),
            "cancel_date": pd.to_datetime([None, None, None, "2024-02-03", None, None]),
        }
    )


def empty_table(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


# ---------------------------------------------------------------------------
# demand_series: hand-built examples
# ---------------------------------------------------------------------------

DAILY = series("A", "2024-01-29", [3, 0, 0, 0, 5, 0, 0, 1]) + series(
    "B", "2024-01-30", [3, 0, 4, 0, 0, 0, 0]
)
WEEKLY = [
    ("A", "2024-01-29", 8),
    ("A", "2024-02-05", 1),
    ("B", "2024-01-29", 7),
    ("B", "2024-02-05", 0),
]
MONTHLY = [
    ("A", "2024-01-01", 3),
    ("A", "2024-02-01", 6),
    ("B", "2024-01-01", 3),
    ("B", "2024-02-01", 4),
]


@pytest.mark.parametrize(("freq", "rows"), [("D", DAILY), ("W", WEEKLY), ("M", MONTHLY)])
def test_hand_built(orders, freq, rows):
    assert_same(demand_series(orders, freq=freq), frame(rows))


def test_default_freq_is_daily(orders):
    assert_same(demand_series(orders), frame(DAILY))


def test_dtypes_and_str_skus(orders):
    y = demand_series(orders)
    assert list(y.columns) == ["sku", "date", "demand"]
    assert pd.api.types.is_string_dtype(y["sku"].dtype)  # object (pandas 2) or str (3)
    assert all(type(s) is str for s in y["sku"])
    assert y["date"].dtype == np.dtype("datetime64[ns]")
    assert y["demand"].dtype == np.int64


def test_cancelled_lines_count(orders):
    # B3 was cancelled on 2024-02-03; it still counts on 2024-02-01 (demand as ordered).
    y = demand_series(orders)
    assert y.loc[(y.sku == "B") & (y.date == "2024-02-01"), "demand"].item() == 4


@pytest.mark.parametrize(
    ("freq", "as_of", "rows"),
    [
        (
            "D",
            "2024-02-07",
            series("A", "2024-01-29", [3, 0, 0, 0, 5, 0, 0, 1, 0, 0])
            + series("B", "2024-01-30", [3, 0, 4, 0, 0, 0, 0, 0, 0]),
        ),
        (
            "W",
            "2024-02-12",
            [
                ("A", "2024-01-29", 8),
                ("A", "2024-02-05", 1),
                ("A", "2024-02-12", 0),
                ("B", "2024-01-29", 7),
                ("B", "2024-02-05", 0),
                ("B", "2024-02-12", 0),
            ],
        ),
        (
            "M",
            "2024-03-15",
            [
                ("A", "2024-01-01", 3),
                ("A", "2024-02-01", 6),
                ("A", "2024-03-01", 0),
                ("B", "2024-01-01", 3),
                ("B", "2024-02-01", 4),
                ("B", "2024-03-01", 0),
            ],
        ),
        # as_of inside the last line's day, before its time: the day still counts
        ("D", "2024-02-05 00:00", DAILY),
        # as_of on the Sunday closing the last week
        ("W", pd.Timestamp("2024-02-11 23:00"), WEEKLY),
    ],
)
def test_as_of_extends_zero_fill(orders, freq, as_of, rows):
    assert_same(demand_series(orders, freq=freq, as_of=as_of), frame(rows))


@pytest.mark.parametrize(
    ("freq", "start", "rows"),
    [
        (
            "D",
            "2024-01-27",  # a Saturday
            series("A", "2024-01-27", [0, 0, 3, 0, 0, 0, 5, 0, 0, 1])
            + series("B", "2024-01-27", [0, 0, 0, 3, 0, 4, 0, 0, 0, 0]),
        ),
        (
            "W",
            "2024-01-24",  # a Wednesday: its week starts on Monday 2024-01-22
            [
                ("A", "2024-01-22", 0),
                ("A", "2024-01-29", 8),
                ("A", "2024-02-05", 1),
                ("B", "2024-01-22", 0),
                ("B", "2024-01-29", 7),
                ("B", "2024-02-05", 0),
            ],
        ),
        (
            "M",
            "2023-12-15",
            [
                ("A", "2023-12-01", 0),
                ("A", "2024-01-01", 3),
                ("A", "2024-02-01", 6),
                ("B", "2023-12-01", 0),
                ("B", "2024-01-01", 3),
                ("B", "2024-02-01", 4),
            ],
        ),
        # start later than A's first line but in the same period: allowed
        ("M", "2024-01-31", MONTHLY),
    ],
)
def test_start_overrides_first_period(orders, freq, start, rows):
    assert_same(demand_series(orders, freq=freq, start=start), frame(rows))


def test_start_and_as_of_together(orders):
    expected = series("A", "2024-01-28", [0, 3, 0, 0, 0, 5, 0, 0, 1, 0]) + series(
        "B", "2024-01-28", [0, 0, 3, 0, 4, 0, 0, 0, 0, 0]
    )
    result = demand_series(orders, start="2024-01-28", as_of="2024-02-06")
    assert_same(result, frame(expected))


def test_dataset_uses_its_as_of(orders):
    ds = Dataset(
        orders=orders,
        purchase_orders=empty_table(["po_id", "sku", "quantity", "order_date"]),
        inventory=empty_table(["sku", "date", "on_hand"]),
        as_of=pd.Timestamp("2024-02-06"),
    )
    expected = series("A", "2024-01-29", [3, 0, 0, 0, 5, 0, 0, 1, 0]) + series(
        "B", "2024-01-30", [3, 0, 4, 0, 0, 0, 0, 0]
    )
    assert_same(demand_series(ds), frame(expected))
    # an explicit as_of wins over the Dataset's
    assert_same(demand_series(ds, as_of="2024-02-05"), frame(DAILY))
    assert_same(demand_series(ds, freq="W"), frame(WEEKLY))


def test_unsorted_and_numeric_skus_become_sorted_str():
    orders = pd.DataFrame(
        {
            "order_id": ["1", "2", "3"],
            "sku": [9, 10, 9],
            "quantity": [1, 2, 3],
            "order_date": pd.to_datetime(["2024-03-02", "2024-03-01", "2024-03-01"]),
        }
    )
    expected = [
        ("10", "2024-03-01", 2),
        ("10", "2024-03-02", 0),
        ("9", "2024-03-01", 3),
        ("9", "2024-03-02", 1),
    ]
    assert_same(demand_series(orders), frame(expected))


def test_timezone_aware_dates_use_local_calendar_day():
    stamps = pd.to_datetime(["2024-01-01 23:30", "2024-01-02 00:30"]).tz_localize(
        "America/New_York"
    )
    orders = pd.DataFrame(
        {"order_id": ["1", "2"], "sku": ["X", "X"], "quantity": [1, 2], "order_date": stamps}
    )
    assert_same(demand_series(orders), frame([("X", "2024-01-01", 1), ("X", "2024-01-02", 2)]))


def test_dates_before_1970_and_second_resolution():
    # 1969-12-31 is a Wednesday; its week starts on Monday 1969-12-29.
    dates = pd.Series(pd.to_datetime(["1969-12-31 23:59:59", "1970-01-05 00:00:01"])).astype(
        "datetime64[s]"
    )
    orders = pd.DataFrame({"order_id": ["1", "2"], "sku": ["X", "X"], "quantity": [4, 6]})
    orders["order_date"] = dates
    assert_same(
        demand_series(orders, freq="W"),
        frame([("X", "1969-12-29", 4), ("X", "1970-01-05", 6)]),
    )
    assert_same(
        demand_series(orders, freq="M"),
        frame([("X", "1969-12-01", 4), ("X", "1970-01-01", 6)]),
    )


def test_nullable_and_float_whole_quantities(orders):
    for dtype in ("Int64", "float64", "int32"):
        converted = orders.assign(quantity=orders["quantity"].astype(dtype))
        assert_same(demand_series(converted), frame(DAILY))


def test_empty_orders(orders):
    for kwargs in ({}, {"freq": "M", "as_of": "2024-01-01", "start": "2023-01-01"}):
        y = demand_series(orders.iloc[:0], **kwargs)
        assert list(y.columns) == ["sku", "date", "demand"]
        assert len(y) == 0
        assert y.dtypes.to_dict() == {
            "sku": np.dtype(object),
            "date": np.dtype("datetime64[ns]"),
            "demand": np.dtype(np.int64),
        }


# ---------------------------------------------------------------------------
# demand_series: errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("freq", ["X", "d", "MS", "W-MON", "", None, 7])
def test_bad_freq(orders, freq):
    message = f"The 'freq' parameter must be one of {{'D', 'W', 'M'}}. Got {freq!r} instead."
    with pytest.raises(ValueError, match=re.escape(message)):
        demand_series(orders, freq=freq)


@pytest.mark.parametrize("column", ["sku", "quantity", "order_date"])
def test_missing_column(orders, column):
    with pytest.raises(DataError, match=f"no column '{column}'"):
        demand_series(orders.drop(columns=column))


@pytest.mark.parametrize("bad", [0, -2, 1.5, np.nan])
def test_bad_quantity(orders, bad):
    broken = orders.assign(quantity=orders["quantity"].astype(float))
    broken.loc[3, "quantity"] = bad
    with pytest.raises(
        DataError, match=r"'quantity' must be a whole number of units > 0.*positions 3"
    ):
        demand_series(broken)


def test_missing_sku_and_date(orders):
    broken = orders.copy()
    broken.loc[1, "sku"] = None
    with pytest.raises(DataError, match=r"'sku' must be a non-missing identifier.*positions 1"):
        demand_series(broken)
    broken = orders.copy()
    broken.loc[2, "order_date"] = pd.NaT
    with pytest.raises(DataError, match=r"'order_date' must be a date.*positions 2"):
        demand_series(broken)


def test_text_dates_are_rejected(orders):
    with pytest.raises(DataError, match=r"order_date.*datetime64.*to_datetime"):
        demand_series(orders.assign(order_date=orders["order_date"].astype(str)))


def test_lines_after_as_of_or_before_start(orders):
    with pytest.raises(DataError, match=r"1 order line\(s\) are dated after as_of=2024-02-04"):
        demand_series(orders, as_of="2024-02-04")
    with pytest.raises(DataError, match=r"3 order line\(s\) fall in a period before start"):
        demand_series(orders, start="2024-02-01")
    with pytest.raises(ValueError, match="'start' parameter .* lies after 'as_of'"):
        demand_series(orders, start="2024-03-01", as_of="2024-02-28")
    with pytest.raises(ValueError, match="'as_of' parameter must be a date"):
        demand_series(orders, as_of="not a date")


# ---------------------------------------------------------------------------
# demand_series against a slow reference
# ---------------------------------------------------------------------------


def _period(day: date, freq: str) -> date:
    if freq == "D":
        return day
    if freq == "W":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(p: date, freq: str) -> date:
    if freq == "D":
        return p + timedelta(days=1)
    if freq == "W":
        return p + timedelta(days=7)
    return date(p.year + (p.month == 12), p.month % 12 + 1, 1)


def reference_demand(orders: pd.DataFrame, freq: str, as_of=None, start=None) -> pd.DataFrame:
    """Line by line into a dict, then each SKU's periods one by one."""
    totals: dict[tuple[str, date], int] = defaultdict(int)
    first: dict[str, date] = {}
    last_day = None
    for sku, qty, stamp in zip(
        orders["sku"], orders["quantity"], orders["order_date"], strict=True
    ):
        day = stamp.to_pydatetime().date()
        p = _period(day, freq)
        totals[(str(sku), p)] += int(qty)
        first[str(sku)] = min(first.get(str(sku), p), p)
        last_day = day if last_day is None else max(last_day, day)
    if as_of is not None:
        last_day = pd.Timestamp(as_of).to_pydatetime().date()
    rows = []
    for sku in sorted(first):
        p = first[sku] if start is None else _period(pd.Timestamp(start).date(), freq)
        end = _period(last_day, freq)
        while p <= end:
            rows.append((sku, p.isoformat(), totals.get((sku, p), 0)))
            p = _next(p, freq)
    return frame(rows)


def random_orders(seed: int, n: int = 3000, n_sku: int = 40, days: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    skus = np.array([f"S{i:03d}" for i in rng.permutation(n_sku)], dtype=object)
    # skewed SKU popularity so that first-order dates differ a lot
    pick = np.minimum(rng.geometric(0.08, n) - 1, n_sku - 1)
    seconds = rng.integers(0, days * 86400, n)
    return pd.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(n)],
            "sku": skus[pick],
            "quantity": rng.integers(1, 50, n),
            "order_date": pd.Timestamp("2022-12-20") + pd.to_timedelta(seconds, unit="s"),
        }
    )


@pytest.mark.parametrize("freq", ["D", "W", "M"])
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_reference_on_random_orders(freq, seed):
    orders = random_orders(seed)
    y = demand_series(orders, freq=freq)
    assert_same(y, reference_demand(orders, freq))
    assert y["demand"].sum() == orders["quantity"].sum()


@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_matches_reference_with_as_of_and_start(freq):
    orders = random_orders(2)
    kwargs = {"as_of": "2024-06-03 10:00", "start": "2022-12-01"}
    y = demand_series(orders, freq=freq, **kwargs)
    assert_same(y, reference_demand(orders, freq, **kwargs))
    assert y["demand"].sum() == orders["quantity"].sum()


line = st.tuples(
    st.sampled_from(["a", "b", "c", "10", "9"]),
    st.integers(min_value=1, max_value=9),
    st.datetimes(min_value=datetime(1969, 11, 20), max_value=datetime(1970, 3, 10)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(line, min_size=1, max_size=25),
    freq=st.sampled_from(["D", "W", "M"]),
    extra_days=st.one_of(st.none(), st.integers(min_value=0, max_value=70)),
)
def test_property_matches_reference(lines, freq, extra_days):
    orders = pd.DataFrame(
        {
            "order_id": [str(i) for i in range(len(lines))],
            "sku": [s for s, _, _ in lines],
            "quantity": [q for _, q, _ in lines],
            "order_date": pd.to_datetime([t for _, _, t in lines]),
        }
    )
    as_of = None
    if extra_days is not None:
        as_of = max(t for _, _, t in lines) + timedelta(days=extra_days)
    y = demand_series(orders, freq=freq, as_of=as_of)
    assert_same(y, reference_demand(orders, freq, as_of=as_of))
    assert y["demand"].sum() == sum(q for _, q, _ in lines)
    assert (y["demand"] >= 0).all()


# ---------------------------------------------------------------------------
# classify_demand
# ---------------------------------------------------------------------------


def long(values_by_sku: dict[str, list[int]]) -> pd.DataFrame:
    rows = []
    for sku, values in values_by_sku.items():
        rows += series(sku, "2024-01-01", values)
    return frame(rows)


def test_classify_worked_example():
    # non-zeros at positions 2, 4, 8: intervals 3, 2, 4 -> ADI 9/3 = 3.0
    # sizes 3, 4, 2: mean 3, sample sd 1 -> CV² = 1/9
    cls = classify_demand(long({"A": [0, 0, 3, 0, 4, 0, 0, 0, 2, 0]}))
    row = cls.loc["A"]
    assert row["periods"] == 10
    assert row["nonzero"] == 3
    assert row["mean_demand"] == pytest.approx(0.9)
    assert row["adi"] == pytest.approx(3.0)
    assert row["cv2"] == pytest.approx(1 / 9)
    assert row["category"] == "intermittent"


def test_classify_each_category():
    y = long(
        {
            "e_erratic": [1, 9, 1, 9],  # ADI 1; sizes mean 5, var 64/3 -> CV² 64/75
            "i_intermittent": [0, 0, 7],  # ADI 3; a single size -> CV² 0
            "l_lumpy": [0, 1, 0, 0, 9, 0],  # ADI 5/2; sizes 1, 9: var 32 -> CV² 32/25
            "n_none": [0, 0, 0],
            "s_smooth": [5, 5, 6, 4],  # ADI 1; var 2/3 -> CV² 2/75
        }
    )
    cls = classify_demand(y)
    expected = pd.DataFrame(
        {
            "periods": np.array([4, 3, 6, 3, 4], dtype=np.int64),
            "nonzero": np.array([4, 1, 2, 0, 4], dtype=np.int64),
            "mean_demand": [5.0, 7 / 3, 10 / 6, 0.0, 5.0],
            "adi": [1.0, 3.0, 2.5, np.nan, 1.0],
            "cv2": [64 / 75, 0.0, 32 / 25, np.nan, 2 / 75],
            "category": pd.Categorical(
                ["erratic", "intermittent", "lumpy", "no demand", "smooth"],
                categories=list(DEMAND_CATEGORIES),
            ),
        },
        index=pd.Index(
            ["e_erratic", "i_intermittent", "l_lumpy", "n_none", "s_smooth"], name="sku"
        ),
    )
    pd.testing.assert_frame_equal(cls, expected, rtol=1e-12)


def _boundary_series() -> dict[str, list[int]]:
    # ADI exactly 33/25 = 1.32: 25 demands, the last at position 32 (8 zeros in between)
    adi_edge = [1] * 33
    for i in (3, 7, 11, 15, 19, 23, 27, 31):
        adi_edge[i] = 0
    return {
        "adi_edge": adi_edge,  # CV² 0
        "cv2_edge": [3, 10, 17],  # ADI 1; sizes mean 10, var 98/2 = 49 -> CV² 0.49
        "cv2_edge_sparse": [0, 3, 10, 17],  # ADI 4/3 > 1.32, CV² 0.49
    }


def test_cutoff_boundaries_fall_in_the_lower_class():
    boundary = _boundary_series()
    cls = classify_demand(long(boundary))
    assert cls.loc["adi_edge", "adi"] == 1.32
    assert cls.loc["adi_edge", "nonzero"] == 25
    assert cls.loc["cv2_edge", "cv2"] == pytest.approx(0.49, rel=1e-15)
    assert cls.loc["adi_edge", "category"] == "smooth"
    assert cls.loc["cv2_edge", "category"] == "smooth"
    assert cls.loc["cv2_edge_sparse", "category"] == "intermittent"
    # just below the value on the cut-off moves it to the upper class
    lower = classify_demand(long(boundary), adi_cutoff=1.31, cv2_cutoff=0.48)
    assert lower.loc["adi_edge", "category"] == "intermittent"
    assert lower.loc["cv2_edge", "category"] == "erratic"
    assert lower.loc["cv2_edge_sparse", "category"] == "lumpy"


def test_adi_and_cv2_on_both_cutoffs_is_smooth():
    # non-zeros at 0 and 2: ADI (2 + 1)/2 = 1.5; sizes 3, 17: mean 10, var 98 -> CV² 0.98.
    # With both cut-offs set to exactly these values the series is smooth.
    cls = classify_demand(long({"x": [3, 0, 17]}), adi_cutoff=1.5, cv2_cutoff=0.98)
    assert cls.loc["x", "adi"] == 1.5
    assert cls.loc["x", "cv2"] == pytest.approx(0.98, rel=1e-15)
    assert cls.loc["x", "category"] == "smooth"


def test_classify_ignores_row_order():
    y = long({"A": [0, 0, 3, 0, 4, 0, 0, 0, 2, 0], "B": [5, 5, 6, 4]})
    shuffled = y.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(classify_demand(shuffled), classify_demand(y))


def test_classify_end_to_end_from_orders(orders):
    # daily A: 3 0 0 0 5 0 0 1 -> non-zeros at 0, 4, 7: ADI 8/3; sizes 3, 5, 1: mean 3, var 4
    #   -> CV² 4/9 (<= 0.49): intermittent
    # daily B: 3 0 4 0 0 0 0 -> non-zeros at 0, 2: ADI 3/2; sizes 3, 4: mean 7/2, var 1/2
    #   -> CV² (1/2) / (49/4) = 2/49
    cls = classify_demand(demand_series(orders))
    assert cls.loc["A", "adi"] == pytest.approx(8 / 3)
    assert cls.loc["A", "cv2"] == pytest.approx(4 / 9)
    assert cls.loc["B", "adi"] == pytest.approx(1.5)
    assert cls.loc["B", "cv2"] == pytest.approx(2 / 49)
    assert list(cls["category"]) == ["intermittent", "intermittent"]
    assert list(cls["mean_demand"]) == pytest.approx([9 / 8, 1.0])


def reference_classify(values_by_sku: dict[str, list[int]]) -> pd.DataFrame:
    rows = {}
    for sku, values in values_by_sku.items():
        positions = [i for i, v in enumerate(values) if v > 0]
        sizes = [values[i] for i in positions]
        if not sizes:
            rows[sku] = (len(values), 0, 0.0, np.nan, np.nan, "no demand")
            continue
        intervals = [positions[0] + 1] + [
            b - a for a, b in zip(positions, positions[1:], strict=False)
        ]
        adi = statistics.mean(intervals)
        cv2 = statistics.variance(sizes) / statistics.mean(sizes) ** 2 if len(sizes) > 1 else 0.0
        high_adi, high_cv2 = adi > 1.32, cv2 > 0.49
        category = {
            (False, False): "smooth",
            (False, True): "erratic",
            (True, False): "intermittent",
            (True, True): "lumpy",
        }[(high_adi, high_cv2)]
        rows[sku] = (len(values), len(sizes), statistics.mean(values), adi, cv2, category)
    out = pd.DataFrame.from_dict(
        rows,
        orient="index",
        columns=["periods", "nonzero", "mean_demand", "adi", "cv2", "category"],
    )
    out.index.name = "sku"
    return out.sort_index()


def test_classify_matches_reference_on_random_series():
    rng = np.random.default_rng(7)
    values_by_sku = {}
    for i in range(60):
        n = int(rng.integers(1, 40))
        p = rng.uniform(0.05, 1.0)
        sizes = rng.negative_binomial(2, rng.uniform(0.05, 0.9), n) + 1
        values_by_sku[f"K{i:02d}"] = [int(v) for v in np.where(rng.random(n) < p, sizes, 0)]
    values_by_sku["Kzero"] = [0, 0, 0, 0]
    cls = classify_demand(long(values_by_sku))
    ref = reference_classify(values_by_sku)
    assert set(ref["category"]) >= {"smooth", "erratic", "intermittent", "lumpy", "no demand"}
    pd.testing.assert_index_equal(cls.index, ref.index)
    np.testing.assert_array_equal(cls["periods"], ref["periods"])
    np.testing.assert_array_equal(cls["nonzero"], ref["nonzero"])
    for column in ("mean_demand", "adi", "cv2"):
        np.testing.assert_allclose(cls[column], ref[column].astype(float), rtol=1e-12)
    assert list(cls["category"].astype(str)) == list(ref["category"])


def test_classify_empty_and_dtypes():
    cls = classify_demand(frame([]))
    assert list(cls.columns) == ["periods", "nonzero", "mean_demand", "adi", "cv2", "category"]
    assert len(cls) == 0
    assert cls.index.name == "sku"
    cls = classify_demand(long({"A": [1, 0]}))
    assert cls.dtypes.astype(str).to_dict() == {
        "periods": "int64",
        "nonzero": "int64",
        "mean_demand": "float64",
        "adi": "float64",
        "cv2": "float64",
        "category": "category",
    }
    assert list(cls["category"].cat.categories) == list(DEMAND_CATEGORIES)


def test_classify_errors():
    y = long({"A": [1, 0, 2]})
    with pytest.raises(DataError, match="no column 'demand'"):
        classify_demand(y.drop(columns="demand"))
    with pytest.raises(DataError, match=r"'demand' must be a finite number >= 0.*positions 1"):
        classify_demand(y.assign(demand=[1, -1, 2]))
    with pytest.raises(DataError, match="unique per date"):
        classify_demand(pd.concat([y, y.iloc[[1]]], ignore_index=True))
    for name in ("adi_cutoff", "cv2_cutoff"):
        for bad in (-1, float("nan"), "high"):
            with pytest.raises(ValueError, match=f"The '{name}' parameter must be a finite number"):
                classify_demand(y, **{name: bad})


# ---------------------------------------------------------------------------
# real data: carparts (Hyndman et al. 2008), monthly, wide, empty cells missing
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def carparts(data_dir) -> pd.DataFrame:
    path = data_dir / "carparts.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found; see ../shared/data/README.md")
    wide = pd.read_csv(path)
    wide["month"] = pd.to_datetime(wide["month"], format="%Y-%m-%d")
    return wide.set_index("month")


def carparts_orders(wide: pd.DataFrame) -> pd.DataFrame:
    """One order line per part and month with demand > 0 (missing and zero cells dropped)."""
    cells = wide.reset_index().melt(id_vars="month", var_name="sku", value_name="quantity")
    cells = cells[cells["quantity"].notna() & (cells["quantity"] > 0)]
    return pd.DataFrame(
        {
            "order_id": cells["sku"] + "-" + cells["month"].dt.to_period("M").astype(str),
            "sku": cells["sku"].astype(str),
            "quantity": cells["quantity"].astype(np.int64),
            "order_date": cells["month"],
        }
    )


def complete_parts(wide: pd.DataFrame) -> list[str]:
    """Parts with a value (possibly 0) in every month."""
    return list(wide.columns[wide.notna().all().to_numpy()])


def test_carparts_monthly_series_reproduce_the_matrix(carparts):
    wide = carparts
    assert wide.shape == (51, 2674)
    complete = complete_parts(wide)
    assert len(complete) == 2509
    orders = carparts_orders(wide)
    y = demand_series(orders, freq="M", as_of=wide.index.max())
    assert y["demand"].sum() == int(np.nansum(wide.to_numpy()))

    # Expected for complete parts: the matrix from each part's first non-zero month on,
    # zeros included. Missing cells are treated as 0 here (line data cannot say
    # "missing"), which makes the same expectation hold for the other parts too.
    filled = wide.fillna(0)
    started = (filled > 0).cummax()  # months from the part's first demand on
    cells = (
        filled.where(started)
        .rename_axis(index="date", columns="sku")
        .T.stack()
        .dropna()  # the months before the start
        .rename("demand")
        .reset_index()
    )
    cells = cells.sort_values(["sku", "date"], ignore_index=True)
    expected = pd.DataFrame(
        {
            "sku": cells["sku"].astype(str),
            "date": cells["date"].astype("datetime64[ns]"),
            "demand": cells["demand"].astype(np.int64),
        }
    )
    in_complete = y["sku"].isin(complete).to_numpy()
    pd.testing.assert_frame_equal(
        y[in_complete].reset_index(drop=True),
        expected[expected["sku"].isin(complete)].reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(y, expected)


def test_carparts_are_mostly_intermittent_or_lumpy(carparts):
    wide = carparts
    complete = complete_parts(wide)
    y = demand_series(carparts_orders(wide[complete]), freq="M", as_of=wide.index.max())
    cls = classify_demand(y)
    assert len(cls) == len(complete)
    assert (cls["category"] != "no demand").all()
    sporadic = cls["category"].isin(["intermittent", "lumpy"]).mean()
    assert sporadic > 0.5
    # ADI of one part by hand from the matrix: intervals from the series start
    part = complete[0]
    values = wide[part].to_numpy()
    values = values[int(np.argmax(values > 0)) :]
    positions = np.flatnonzero(values > 0)
    assert cls.loc[part, "adi"] == pytest.approx((positions[-1] + 1) / len(positions))


def test_complete_periods_drops_the_partial_last_period():
    # as_of is Wednesday 2024-01-10: the week of Monday 2024-01-08 is not over yet
    orders = pd.DataFrame({
        "order_id": ["1", "2", "3", "4"],
        "sku": ["A", "A", "A", "B"],
        "quantity": [2, 3, 4, 7],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-07", "2024-01-09",
                                      "2024-01-09"]),
    })
    weekly = demand_series(orders, freq="W", as_of="2024-01-10", complete_periods=True)
    expected = pd.DataFrame({"sku": ["A"], "date": pd.to_datetime(["2024-01-01"]).as_unit("ns"),
                             "demand": np.array([5], dtype=np.int64)})
    pd.testing.assert_frame_equal(weekly, expected)
    # on a Sunday the week is over and stays
    sunday = demand_series(orders, freq="W", as_of="2024-01-14", complete_periods=True)
    assert sunday["date"].max() == pd.Timestamp("2024-01-08")
    assert sunday["demand"].sum() == 16
    # days are always complete
    daily = demand_series(orders, freq="D", as_of="2024-01-10", complete_periods=True)
    assert daily["date"].max() == pd.Timestamp("2024-01-10")
