"""Order lines to demand series, and demand classification by ADI and CV².

Two plain functions:

:func:`demand_series`
    order lines -> a long, zero-filled ``sku, date, demand`` frame at daily (``"D"``),
    weekly (``"W"``, weeks start on Monday) or monthly (``"M"``) resolution.
:func:`classify_demand`
    that frame -> one row per SKU with the average inter-demand interval (ADI), the
    squared coefficient of variation of the demand sizes (CV²) and the
    Syntetos–Boylan–Croston category (smooth, erratic, intermittent, lumpy).

Conventions (implementations differ on each; these are the ones used here):

- **Demand is as ordered.** Every order line counts in the period of its
  ``order_date``, in full, whether it was later shipped, backordered or cancelled
  (``cancel_date`` is ignored): the series measures what customers asked for, not
  what was sold.
- **Periods** are labelled by their first day: the day itself (``"D"``), the Monday
  that starts the ISO week (``"W"``), the first of the month (``"M"``). Timestamps
  are floored to their calendar day in their own time zone, so a line at 23:59
  belongs to that day.
- **Zero-filling**: each SKU's series runs from the period of its first order line
  (or of ``start``, for every SKU, when given) through the period containing
  ``as_of``; periods without orders have demand 0.
- **ADI** is the mean of the inter-demand intervals, the first interval counted from
  the start of the series (index of the first non-zero period + 1, as R
  ``forecast::croston`` and statsforecast do), so that
  ``ADI = (position of the last non-zero period + 1) / number of non-zero periods``,
  positions counted from 0. Trailing zeros after the last demand do not enter.
  (sktime uses ``T / N`` instead, which counts them.)
- **CV²** is ``(s / m)²`` for the non-zero demand sizes, with sample standard
  deviation ``s`` (``ddof=1``) and mean ``m``; it is 0 when there is a single
  non-zero period (one size has no spread).
- **Cut-offs** (Syntetos, Boylan & Croston, 2005): ADI 1.32 and CV² 0.49. A value
  equal to a cut-off falls in the lower class (``ADI <= 1.32`` is "frequent"),
  so smooth is ``ADI <= 1.32 and CV² <= 0.49``.

References
----------
Syntetos, A. A., Boylan, J. E. & Croston, J. D. (2005). On the categorization of
demand patterns. *Journal of the Operational Research Society*, 56(5), 495–503.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..exceptions import DataError

__all__ = ["demand_series", "classify_demand", "DEMAND_CATEGORIES", "FREQS"]

FREQS = ("D", "W", "M")
"""Period codes accepted by :func:`demand_series`: day, week (from Monday), month."""

DEMAND_CATEGORIES = ("smooth", "erratic", "intermittent", "lumpy", "no demand")
"""The categories :func:`classify_demand` assigns, in the order of its categorical."""

SERIES_COLUMNS = ["sku", "date", "demand"]
CLASS_COLUMNS = ["periods", "nonzero", "mean_demand", "adi", "cv2", "category"]

_NEEDED_ORDER_COLUMNS = ("sku", "quantity", "order_date")
# 1970-01-01 was a Thursday: day d lies in the week numbered (d + 3) // 7, which
# starts on day 7 * week - 3 (a Monday).
_WEEK_SHIFT = 3


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _check_freq(freq: object) -> str:
    if not isinstance(freq, str) or freq not in FREQS:
        raise ValueError(
            f"The 'freq' parameter must be one of {{'D', 'W', 'M'}}. Got {freq!r} instead."
        )
    return freq


def _missing_columns(frame: pd.DataFrame, needed: tuple[str, ...], table: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise DataError(
            f"The {table} table has no column {names}; it needs "
            f"{', '.join(repr(c) for c in needed)} and has {list(frame.columns)!r}. "
            "Rename the columns (e.g. with column_map= when loading) and try again."
        )


def _bad_rows(values: pd.Series, bad: np.ndarray, column: str, expected: str) -> DataError:
    positions = np.flatnonzero(bad)
    shown = ", ".join(str(p) for p in positions[:5])
    more = f" and {len(positions) - 5} more" if len(positions) > 5 else ""
    example = values.iloc[positions[0]]
    return DataError(
        f"Column {column!r} must be {expected}; {len(positions)} row(s) are not "
        f"(positions {shown}{more}; first value {example!r}). "
        "Fix or drop those rows before computing demand."
    )


def _sku_codes(sku: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of SKUs and the SKUs themselves as sorted str (object array).

    Non-string identifiers are turned into their ``str`` form; missing ones raise.
    """
    codes, found = pd.factorize(sku, sort=False)
    if (codes < 0).any():
        raise _bad_rows(sku, codes < 0, "sku", "a non-missing identifier")
    uniques = np.asarray(found, dtype=object)
    if pd.api.types.infer_dtype(uniques, skipna=False) != "string":
        as_text = np.array([str(u) for u in uniques], dtype=object)
        if len(set(as_text)) < len(as_text):  # e.g. 1 and "1": merge them
            return _sku_codes(sku.astype(str))
        uniques = as_text
    order = np.argsort(uniques, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank[codes], uniques[order]


def _to_days(values: pd.Series | pd.Timestamp, what: str) -> np.ndarray:
    """Calendar day numbers (days since 1970-01-01, int64) of dates or timestamps."""
    if isinstance(values, pd.Timestamp):
        values = pd.Series([values])
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)  # wall-clock time where it was recorded
    if not pd.api.types.is_datetime64_dtype(values.dtype):
        raise DataError(
            f"{what} must hold dates (datetime64); found dtype {values.dtype}. "
            "Convert it with pandas.to_datetime(..., format=...) or load the table "
            "with a backorder_analytics reader."
        )
    return values.to_numpy().astype("datetime64[D]").astype(np.int64)


def _period_of_day(days: np.ndarray, freq: str) -> np.ndarray:
    """Period numbers (int64) of day numbers: days, Monday-weeks or months since 1970."""
    if freq == "D":
        return days
    if freq == "W":
        return (days + _WEEK_SHIFT) // 7
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _period_start(periods: np.ndarray, freq: str) -> np.ndarray:
    """First day of each period number, as ``datetime64[ns]``."""
    if freq == "D":
        out = periods.astype("datetime64[D]")
    elif freq == "W":
        out = (periods * 7 - _WEEK_SHIFT).astype("datetime64[D]")
    else:
        out = periods.astype("datetime64[M]")
    return out.astype("datetime64[ns]")


def _as_timestamp(value: Any, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"The {name!r} parameter must be a date or timestamp. Got {value!r} instead."
        ) from err
    if pd.isna(stamp):
        raise ValueError(f"The {name!r} parameter must be a date, not missing. Got {value!r}.")
    return stamp


def _empty_series() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": pd.Series([], dtype=object),
            "date": pd.Series([], dtype="datetime64[ns]"),
            "demand": pd.Series([], dtype=np.int64),
        }
    )


# ---------------------------------------------------------------------------
# demand_series
# ---------------------------------------------------------------------------


def demand_series(
    orders: pd.DataFrame | Dataset,
    freq: str = "D",
    as_of: object = None,
    start: object = None,
    complete_periods: bool = False,
) -> pd.DataFrame:
    """Units ordered per SKU and period, zero-filled: the long ``sku, date, demand`` frame.

    Demand is counted **as ordered**: each order line adds its ``quantity`` to the
    period of its ``order_date``, including lines that were later cancelled or are
    still backordered (``cancel_date`` and shipments are ignored).

    Parameters
    ----------
    orders : pandas.DataFrame or Dataset
        Canonical order lines (see :data:`backorder_analytics.data.schemas.ORDERS`); the
        columns used are ``sku`` (str), ``quantity`` (units, whole number > 0) and
        ``order_date`` (datetime64; a time of day is allowed and ignored, time-zone
        aware timestamps count on their local calendar day). Other columns are
        ignored. A :class:`~backorder_analytics.Dataset` contributes its ``orders``
        and, unless ``as_of`` is given, its ``as_of``.
    freq : {"D", "W", "M"}, default "D"
        Period length: calendar day, week starting on Monday, calendar month.
    as_of : date-like, optional
        Last date covered [day]: every SKU's series runs through the period that
        contains it. Default: ``orders.as_of`` for a Dataset, else the latest
        ``order_date``. Order lines on a later calendar day are an error.
    start : date-like, optional
        First date covered, for every SKU: the series start at the period that
        contains it. Default: each SKU starts at the period of its own first order
        line. Order lines in an earlier period are an error (filter them first).
    complete_periods : bool, default False
        End at the last period that is over by ``as_of`` (the day of ``as_of`` counts
        as complete): with ``as_of`` on a Tuesday, weekly series end with the week
        before, so that a forecast does not start from a two-day "week". Order lines
        in the left-out partial period are not counted.

    Returns
    -------
    pandas.DataFrame
        Columns ``sku`` (str), ``date`` (datetime64[ns], the first day of the
        period: the day, the Monday of the week, the first of the month) and
        ``demand`` (int64, units ordered in the period); one row per SKU and
        period, zeros included; sorted by ``sku`` then ``date``; a fresh
        ``RangeIndex``. Empty (with these columns and dtypes) when there are no
        order lines.

    Raises
    ------
    ValueError
        ``freq`` is not one of "D", "W", "M"; ``as_of`` or ``start`` is not a date,
        or ``start`` lies after ``as_of``.
    DataError
        A needed column is missing; ``sku`` or ``order_date`` is missing on some
        rows; ``quantity`` is not a whole number > 0; ``order_date`` is not a
        datetime column; a line is dated after ``as_of`` or before ``start``.

    See Also
    --------
    classify_demand : ADI / CV² category of each series.

    Notes
    -----
    The total is conserved: ``demand.sum() == orders.quantity.sum()``.
    The computation is vectorised: SKUs are factorised to integer codes, each line
    gets the flat position ``offset[sku] + period - first_period[sku]`` in a ragged
    array holding every SKU's span back to back, and quantities are summed into it
    with ``numpy.add.at``. One million lines over 10,000 SKUs and two years of days
    take about 0.2–0.7 s on a laptop core.

    Examples
    --------
    >>> import pandas as pd
    >>> from backorder_analytics.forecasting.demand import demand_series
    >>> orders = pd.DataFrame({
    ...     "order_id": ["A1", "A2", "A3", "B1"],
    ...     "sku": ["A", "A", "A", "B"],
    ...     "quantity": [2, 3, 1, 5],
    ...     "order_date": pd.to_datetime(
    ...         ["2024-01-01 09:00", "2024-01-01 23:59", "2024-01-03 08:00",
    ...          "2024-01-02 14:30"]),
    ... })
    >>> demand_series(orders)
      sku       date  demand
    0   A 2024-01-01       5
    1   A 2024-01-02       0
    2   A 2024-01-03       1
    3   B 2024-01-02       5
    4   B 2024-01-03       0
    >>> demand_series(orders, freq="W", as_of="2024-01-08")
      sku       date  demand
    0   A 2024-01-01       6
    1   A 2024-01-08       0
    2   B 2024-01-01       5
    3   B 2024-01-08       0
    """
    if isinstance(orders, Dataset):
        if as_of is None:
            as_of = orders.as_of
        orders = orders.orders
    freq = _check_freq(freq)
    if not isinstance(orders, pd.DataFrame):
        raise TypeError(
            "The 'orders' parameter must be a pandas DataFrame of order lines or a "
            f"Dataset. Got {type(orders).__name__} instead."
        )
    _missing_columns(orders, _NEEDED_ORDER_COLUMNS, "orders")
    as_of_ts = None if as_of is None else _as_timestamp(as_of, "as_of")
    start_ts = None if start is None else _as_timestamp(start, "start")
    if (
        as_of_ts is not None
        and start_ts is not None
        and _to_days(start_ts, "start")[0] > _to_days(as_of_ts, "as_of")[0]
    ):
        raise ValueError(
            f"The 'start' parameter ({start_ts}) lies after 'as_of' ({as_of_ts}); "
            "pass a start on or before as_of."
        )
    if len(orders) == 0:
        return _empty_series()

    # -- validate and convert the three columns -------------------------------------
    codes, skus = _sku_codes(orders["sku"])

    quantity = orders["quantity"]
    if not pd.api.types.is_numeric_dtype(quantity.dtype) or pd.api.types.is_bool_dtype(
        quantity.dtype
    ):
        raise DataError(
            f"Column 'quantity' must be numeric (units); found dtype {quantity.dtype}. "
            "Convert it with pandas.to_numeric or load the table with a reader."
        )
    q = quantity.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(q) & (q > 0) & (np.floor(q) == q))
    if bad.any():
        raise _bad_rows(quantity, bad, "quantity", "a whole number of units > 0")
    qty = quantity.to_numpy(dtype=np.int64)

    order_date = orders["order_date"]
    days = _to_days(order_date, "Column 'order_date'")
    nat = order_date.isna().to_numpy()
    if nat.any():
        raise _bad_rows(order_date, nat, "order_date", "a date, not missing")

    # -- periods ----------------------------------------------------------------------
    period = _period_of_day(days, freq)
    if as_of_ts is None:
        last_day = int(days.max())
    else:
        last_day = int(_to_days(as_of_ts, "as_of")[0])
        late = days > last_day
        if late.any():
            raise DataError(
                f"{int(late.sum())} order line(s) are dated after as_of={as_of_ts.date()} "
                f"(latest {order_date.iloc[int(np.argmax(days))]}); pass a later as_of "
                "or drop those lines first."
            )
    end = int(_period_of_day(np.array([last_day], dtype=np.int64), freq)[0])
    next_day = int(_period_of_day(np.array([last_day + 1], dtype=np.int64), freq)[0])
    if complete_periods and next_day == end:  # the period of as_of goes on after it
        end -= 1
        keep = period <= end
        codes, period, qty, days = codes[keep], period[keep], qty[keep], days[keep]
        if not keep.any():
            return _empty_series()
        used = np.unique(codes)  # SKUs whose only lines were in the partial period go
        codes, skus = np.searchsorted(used, codes), skus[used]

    n_sku = len(skus)
    if start_ts is None:
        first = np.full(n_sku, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, codes, period)
    else:
        first_day = int(_to_days(start_ts, "start")[0])
        begin = int(_period_of_day(np.array([first_day], dtype=np.int64), freq)[0])
        early = period < begin
        if early.any():
            raise DataError(
                f"{int(early.sum())} order line(s) fall in a period before "
                f"start={start_ts.date()} (earliest {order_date.iloc[int(np.argmin(days))]}); "
                "pass an earlier start or drop those lines first, e.g. "
                "orders[orders['order_date'] >= start]."
            )
        first = np.full(n_sku, begin, dtype=np.int64)

    # -- ragged layout: each SKU's span [first, end] back to back ------------------------
    lengths = end - first + 1
    offsets = np.zeros(n_sku + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    demand = np.zeros(total, dtype=np.int64)
    np.add.at(demand, offsets[codes] + (period - first[codes]), qty)

    sku_col = np.repeat(np.asarray(skus, dtype=object), lengths)
    row_period = np.arange(total, dtype=np.int64) - np.repeat(offsets[:-1] - first, lengths)
    return pd.DataFrame({"sku": sku_col, "date": _period_start(row_period, freq), "demand": demand})


# ---------------------------------------------------------------------------
# classify_demand
# ---------------------------------------------------------------------------


def _check_cutoff(value: object, name: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number) or number < 0:
        raise ValueError(
            f"The {name!r} parameter must be a finite number >= 0. Got {value!r} instead."
        )
    return number


def classify_demand(
    y: pd.DataFrame,
    adi_cutoff: float = 1.32,
    cv2_cutoff: float = 0.49,
) -> pd.DataFrame:
    """Classify each SKU's demand as smooth, erratic, intermittent or lumpy (ADI / CV²).

    The Syntetos–Boylan–Croston scheme (Syntetos, Boylan & Croston, 2005) places a
    series by how often demand occurs (ADI, the average inter-demand interval) and
    how much the non-zero sizes vary (CV², their squared coefficient of variation):

    ============  ======================  ======================
    category      ADI                     CV²
    ============  ======================  ======================
    smooth        ``<= adi_cutoff``       ``<= cv2_cutoff``
    erratic       ``<= adi_cutoff``       ``> cv2_cutoff``
    intermittent  ``> adi_cutoff``        ``<= cv2_cutoff``
    lumpy         ``> adi_cutoff``        ``> cv2_cutoff``
    no demand     all periods zero        (ADI and CV² are NaN)
    ============  ======================  ======================

    A value equal to a cut-off falls in the lower class.

    Parameters
    ----------
    y : pandas.DataFrame
        Long demand frame with columns ``sku``, ``date`` and ``demand`` [units per
        period], one row per SKU and period, zeros included, as returned by
        :func:`demand_series`. Rows are put in date order within each SKU; every row
        counts as one period (gaps in ``date`` are not filled here).
    adi_cutoff : float, default 1.32
        ADI cut-off [periods].
    cv2_cutoff : float, default 0.49
        CV² cut-off [dimensionless].

    Returns
    -------
    pandas.DataFrame
        Indexed by ``sku`` (sorted), with columns

        - ``periods`` (int64): number of periods in the series;
        - ``nonzero`` (int64): periods with demand > 0;
        - ``mean_demand`` (float64): mean demand per period, zeros included
          [units per period];
        - ``adi`` (float64): ``(i_last + 1) / nonzero`` [periods], ``i_last`` the
          0-based position of the last non-zero period, i.e. the mean inter-demand
          interval with the first interval counted from the start of the series
          (R ``forecast``, statsforecast); NaN when there is no demand;
        - ``cv2`` (float64): ``(s / m)²`` of the non-zero sizes, sample standard
          deviation (``ddof=1``); 0 for a single non-zero period; NaN when there is
          no demand;
        - ``category`` (categorical): one of :data:`DEMAND_CATEGORIES`.

    Raises
    ------
    ValueError
        A cut-off is not a finite number >= 0.
    DataError
        A column is missing, ``demand`` is missing or negative somewhere, or a
        ``(sku, date)`` pair appears twice.

    Notes
    -----
    With non-zero demand at 0-based positions :math:`t_1 < \\dots < t_N` the
    inter-demand intervals are :math:`t_1 + 1, t_2 - t_1, \\dots, t_N - t_{N-1}`,
    whose mean telescopes to :math:`(t_N + 1) / N`. Conventions differ between
    implementations (sktime uses :math:`T / N`; some count the first interval as 1;
    CV² with ``ddof=0``); see the module docstring.

    References
    ----------
    Syntetos, A. A., Boylan, J. E. & Croston, J. D. (2005). On the categorization of
    demand patterns. *Journal of the Operational Research Society*, 56(5), 495–503.

    Examples
    --------
    >>> import pandas as pd
    >>> from backorder_analytics.forecasting.demand import classify_demand
    >>> y = pd.DataFrame({
    ...     "sku": ["A"] * 10 + ["B"] * 4,
    ...     "date": list(pd.date_range("2024-01-01", periods=10))
    ...     + list(pd.date_range("2024-01-01", periods=4)),
    ...     "demand": [0, 0, 3, 0, 4, 0, 0, 0, 2, 0] + [5, 5, 6, 4],
    ... })
    >>> cls = classify_demand(y)
    >>> cls[["periods", "nonzero", "adi", "category"]]  # doctest: +NORMALIZE_WHITESPACE
         periods  nonzero  adi      category
    sku
    A         10        3  3.0  intermittent
    B          4        4  1.0        smooth
    >>> print(round(cls.loc["A", "cv2"], 6), round(cls.loc["B", "cv2"], 6))
    0.111111 0.026667
    """
    adi_cutoff = _check_cutoff(adi_cutoff, "adi_cutoff")
    cv2_cutoff = _check_cutoff(cv2_cutoff, "cv2_cutoff")
    if not isinstance(y, pd.DataFrame):
        raise TypeError(
            "The 'y' parameter must be a pandas DataFrame with columns sku, date, "
            f"demand (see demand_series). Got {type(y).__name__} instead."
        )
    _missing_columns(y, ("sku", "date", "demand"), "demand")

    demand_col = y["demand"]
    if not pd.api.types.is_numeric_dtype(demand_col.dtype) or pd.api.types.is_bool_dtype(
        demand_col.dtype
    ):
        raise DataError(
            f"Column 'demand' must be numeric (units per period); found dtype {demand_col.dtype}."
        )
    values = demand_col.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        raise _bad_rows(demand_col, bad, "demand", "a finite number >= 0")

    # Period positions: rows in (sku, date) order, position = rank within the SKU.
    codes, skus = _sku_codes(y["sku"])
    n_sku = len(skus)
    index = pd.Index(skus, name="sku")
    if n_sku == 0:
        empty = pd.DataFrame(
            {
                "periods": pd.Series([], dtype=np.int64),
                "nonzero": pd.Series([], dtype=np.int64),
                "mean_demand": pd.Series([], dtype=np.float64),
                "adi": pd.Series([], dtype=np.float64),
                "cv2": pd.Series([], dtype=np.float64),
                "category": pd.Categorical([], categories=list(DEMAND_CATEGORIES)),
            },
            index=index,
        )
        return empty
    dates = y["date"]
    if dates.isna().any():
        raise _bad_rows(dates, dates.isna().to_numpy(), "date", "a date, not missing")
    if pd.api.types.is_datetime64_any_dtype(dates.dtype):
        date_key = dates.to_numpy().view(np.int64)
    else:
        date_key = pd.factorize(dates, sort=True)[0]
    same_sku = codes[1:] == codes[:-1]
    in_order = (codes[1:] > codes[:-1]) | (same_sku & (date_key[1:] > date_key[:-1]))
    if not in_order.all():  # demand_series output is already in order: skip the sort
        order = np.lexsort((date_key, codes))
        codes, values, date_key = codes[order], values[order], date_key[order]
        same_sku = codes[1:] == codes[:-1]
        twice = same_sku & (date_key[1:] == date_key[:-1])
        if twice.any():
            where = order[1:][twice]
            flags = np.zeros(len(y), dtype=bool)
            flags[where] = True
            raise _bad_rows(y["sku"], flags, "sku", "unique per date (one row per SKU and period)")
    periods = np.bincount(codes, minlength=n_sku)
    row_start = np.zeros(n_sku, dtype=np.int64)
    np.cumsum(periods[:-1], out=row_start[1:])
    position = np.arange(len(codes), dtype=np.int64) - row_start[codes]

    positive = values > 0
    nz_codes = codes[positive]
    sizes = values[positive]
    nonzero = np.bincount(nz_codes, minlength=n_sku)
    last = np.full(n_sku, -1, dtype=np.int64)
    np.maximum.at(last, nz_codes, position[positive])

    has = nonzero > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_demand = np.bincount(codes, weights=values, minlength=n_sku) / periods
        adi = np.where(has, (last + 1) / nonzero, np.nan)
        size_mean = np.bincount(nz_codes, weights=sizes, minlength=n_sku) / nonzero
        squares = np.bincount(nz_codes, weights=(sizes - size_mean[nz_codes]) ** 2, minlength=n_sku)
        variance = np.where(nonzero > 1, squares / (nonzero - 1), 0.0)
        cv2 = np.where(has, variance / size_mean**2, np.nan)

    high_adi = adi > adi_cutoff
    high_cv2 = cv2 > cv2_cutoff
    category_code = np.where(
        ~has, 4, np.where(high_adi, np.where(high_cv2, 3, 2), np.where(high_cv2, 1, 0))
    )
    # pandas-stubs: from_codes takes array-like codes and list-like categories
    category = pd.Categorical.from_codes(
        category_code, list(DEMAND_CATEGORIES))  # type: ignore[arg-type]
    return pd.DataFrame(
        {
            "periods": periods.astype(np.int64),
            "nonzero": nonzero.astype(np.int64),
            "mean_demand": mean_demand,
            "adi": adi,
            "cv2": cv2,
            "category": category,
        },
        index=index,
    )
