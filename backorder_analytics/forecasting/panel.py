"""Long frames (``sku, date, demand``) to wide panels (``(n_sku, n_time)`` arrays) and
back. Kernels see panels; users see long frames.

A panel is right-aligned: every row ends at the same last period; a series that starts
later is NaN on the left (see :mod:`backorder_analytics.forecasting.base`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd

from ..exceptions import DataError

__all__ = ["Panel", "to_panel", "future_dates"]

REQUIRED = ("sku", "date", "demand")


@dataclass
class Panel:
    """Series as one array.

    Attributes
    ----------
    skus : pandas.Index
        Row labels.
    dates : pandas.DatetimeIndex
        Column labels (regular, one per period).
    values : numpy.ndarray, shape (n_sku, n_time), float64
        Demand; NaN before a series starts.
    freq : str
        Pandas frequency of ``dates`` ("D", "W-MON", "MS", …).
    """

    skus: pd.Index
    dates: pd.DatetimeIndex
    values: np.ndarray
    freq: str

    def to_frame(self, values: np.ndarray | None = None, name: str = "demand") -> pd.DataFrame:
        """Long frame ``sku, date, <name>`` of ``values`` (default the panel's own),
        leaving out the NaN before each series starts."""
        values = self.values if values is None else values
        frame = pd.DataFrame({
            "sku": np.repeat(self.skus.to_numpy(), len(self.dates)),
            "date": np.tile(self.dates.to_numpy(), len(self.skus)),
            name: values.reshape(-1),
        })
        started = ~np.isnan(self.values).reshape(-1)
        return frame[started].reset_index(drop=True)


def _pandas_freq(dates: pd.DatetimeIndex) -> str | None:
    """``pd.infer_freq`` as a string, the same in pandas 2 and 3 (pandas 3.1 warns that
    it will return an offset; its option to do so already is unknown to pandas 2)."""
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            offset: Any = pd.infer_freq(dates)
    except pd.errors.OptionError:  # pandas before 3.1: a string already
        return pd.infer_freq(dates)
    return None if offset is None else str(offset.freqstr)


def _infer_freq(dates: pd.DatetimeIndex) -> str:
    if len(dates) < 2:
        return "D"
    freq = _pandas_freq(dates[: min(len(dates), 60)]) if len(dates) >= 3 else None
    if freq is None:  # irregular, or two dates (pandas needs three)
        step = (dates[1:] - dates[:-1]).min()
        freq = "D" if step == pd.Timedelta(days=1) else "W-MON" if step == pd.Timedelta(
            days=7) else "MS"
    return freq


def to_panel(y: pd.DataFrame) -> Panel:
    """A long demand frame (from :func:`demand_series`) as a :class:`Panel`.

    Parameters
    ----------
    y : pandas.DataFrame
        Columns ``sku``, ``date``, ``demand``; each SKU's dates regular and contiguous
        (as :func:`demand_series` makes them); all SKUs share one calendar.

    Returns
    -------
    Panel

    Raises
    ------
    DataError
        Missing columns, a demand that is not a finite number, or a SKU with gaps in
        its dates.
    """
    missing = [c for c in REQUIRED if c not in y]
    if missing:
        raise DataError(f"The demand frame has no column {', '.join(map(repr, missing))}. "
                        f"Expected columns sku, date, demand (as demand_series returns). "
                        f"Found: {', '.join(map(str, y.columns))}.")
    dates = pd.DatetimeIndex(np.sort(y["date"].unique()))
    freq = _infer_freq(dates)
    calendar = pd.date_range(dates[0], dates[-1], freq=freq) if len(dates) else dates
    sku_codes, skus = sku_codes_of(y["sku"])
    demand = pd.to_numeric(y["demand"], errors="coerce").to_numpy(dtype=float)
    odd = np.isinf(demand) | (np.isnan(demand) & y["demand"].notna().to_numpy())
    if odd.any():
        i = int(np.flatnonzero(odd)[0])
        raise DataError(f"The demand frame has {int(odd.sum())} demand value(s) that are not "
                        f"finite numbers, the first {y['demand'].iloc[i]} for SKU "
                        f"{y['sku'].iloc[i]!r} on {pd.Timestamp(y['date'].iloc[i]).date()}. "
                        "Expected a number of units per period. Fix: correct or remove "
                        "those rows (demand_series(...) builds the frame from order lines).")
    if (sku_codes < 0).any():
        raise DataError(f"The demand frame has {int((sku_codes < 0).sum())} row(s) without a "
                        "SKU. Expected an id in every row. Fix: remove those rows or fill "
                        "in their SKU.")
    values = np.full((len(skus), len(calendar)), np.nan)
    stamps, origin, step = _calendar_steps(y["date"], calendar)
    problem, row, filled, first = _fill_panel(sku_codes, stamps, origin, step, demand, values)
    if problem == OFF_CALENDAR:
        raise DataError(f"The demand frame's dates are not on one regular calendar "
                        f"(frequency {freq}): {pd.Timestamp(y['date'].iloc[row]).date()} "
                        f"(SKU {y['sku'].iloc[row]!r}) is not one of its periods. Fix: "
                        "build it with demand_series(...).")
    if problem == DUPLICATE:
        raise DataError(f"The demand frame has two rows for SKU {y['sku'].iloc[row]!r} on "
                        f"{pd.Timestamp(y['date'].iloc[row]).date()}. Expected one row per "
                        "SKU and period. Fix: sum them (demand_series(...) does).")
    # every SKU must be contiguous from its first date to the end
    gaps = filled != len(calendar) - first
    if gaps.any():
        bad = skus[np.flatnonzero(gaps)[:5]]
        raise DataError(f"SKUs {', '.join(map(str, bad))} have missing periods in the demand "
                        "frame. Expected every period from each SKU's start to the end "
                        "(zero when nothing was ordered). Fix: build it with "
                        "demand_series(...), which zero-fills.")
    return Panel(pd.Index(skus, name="sku"), calendar, values, freq)


def sku_codes_of(sku: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``(codes, skus)``: the sorted distinct SKU ids and each row's position among them
    (``pd.factorize(sku, sort=True)``, faster for the usual layouts).

    A categorical column gives its codes; an object column whose SKUs come in runs
    (each SKU's rows together, as :func:`demand_series` and most exports write them)
    is read run by run: one comparison of neighbours instead of a hash per row."""
    if isinstance(sku.dtype, pd.CategoricalDtype):
        codes, cats = sku.cat.codes.to_numpy(), sku.cat.categories
        if (codes >= 0).all() and cats.is_monotonic_increasing \
                and (np.bincount(codes, minlength=len(cats)) > 0).all():
            return codes.astype(np.int64), pd.Index(cats)  # sorted and all used: as they are
        if (codes >= 0).all():
            order = np.argsort(cats.to_numpy(), kind="stable")
            rank = np.empty(len(cats), np.int64)
            rank[order] = np.arange(len(cats))
            used = np.zeros(len(cats), bool)
            used[codes] = True
            new = np.cumsum(used[order]) - 1  # sorted position among the used ids
            return new[rank[codes]], pd.Index(cats[order][used[order]])
    if sku.dtype == object and len(sku) > 1:  # (string dtypes factorize fast as they are)
        values = sku.to_numpy()
        starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
        runs = pd.Index(values[starts])
        if runs.is_unique and not runs.hasnans and runs.inferred_type == "string":
            order = runs.argsort()
            rank = np.empty(len(runs), np.int64)
            rank[order] = np.arange(len(runs))
            return np.repeat(rank, np.diff(np.append(starts, len(values)))), runs[order]
    codes, uniques = pd.factorize(sku, sort=True)
    return codes, pd.Index(uniques)


OFF_CALENDAR, DUPLICATE = 1, 2


def _i8(index: pd.DatetimeIndex) -> np.ndarray:
    """The index's int64 values (``asi8``, which pandas-stubs does not declare)."""
    return index.asi8  # type: ignore[attr-defined]


def _calendar_steps(date: pd.Series, calendar: pd.DatetimeIndex
                    ) -> tuple[np.ndarray, int, int]:
    """``(stamps, origin, step)`` for :func:`_fill_panel`: the dates as integers, the
    calendar's first and its step when it has a fixed one (days, weeks); otherwise
    (months) each date's period number already looked up (-1 off the calendar),
    origin 0 and step 0."""
    stamps = pd.DatetimeIndex(date)
    steps = np.diff(_i8(calendar))
    if (len(steps) == 0 or (steps != steps[0]).any() or stamps.tz != calendar.tz
            or stamps.unit != calendar.unit):
        return calendar.get_indexer(stamps).astype(np.int64), 0, 0
    return _i8(stamps), int(_i8(calendar)[0]), int(steps[0])


@numba.njit(cache=True)
def _fill_panel(codes, stamps, origin, step, demand, values):  # pragma: no cover (compiled)
    """Write each row's demand into ``values[sku, period]`` (a NaN demand leaves the
    period missing); the period is ``(stamp − origin) / step``, or ``stamps`` itself
    when ``step`` is 0. Returns ``(problem, row, filled, first)``: ``problem``
    :data:`OFF_CALENDAR` or :data:`DUPLICATE` at ``row`` (0 when none), and per SKU the
    periods filled and the first of them (``n_time`` if none)."""
    n, n_time = values.shape
    filled = np.zeros(n, np.int64)
    first = np.full(n, n_time, np.int64)
    for r in range(codes.shape[0]):
        if step > 0:
            offset = stamps[r] - origin
            t = offset // step
            if t * step != offset:
                return OFF_CALENDAR, r, filled, first
        else:
            t = stamps[r]
        if t < 0 or t >= n_time:
            return OFF_CALENDAR, r, filled, first
        v = demand[r]
        if v != v:  # NaN: a missing period
            continue
        c = codes[r]
        if values[c, t] == values[c, t]:
            return DUPLICATE, r, filled, first
        values[c, t] = v
        filled[c] += 1
        first[c] = min(first[c], t)
    return 0, 0, filled, first


def future_dates(panel: Panel, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` periods after the panel's last date."""
    return pd.date_range(panel.dates[-1], periods=horizon + 1, freq=panel.freq)[1:]
