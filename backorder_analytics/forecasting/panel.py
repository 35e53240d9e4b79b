"""Long frames (``sku, date, demand``) to wide panels (``(n_sku, n_time)`` arrays) and
back. Kernels see panels; users see long frames.

A panel is right-aligned: every row ends at the same last period; a series that starts
later is NaN on the left (see :mod:`backorder_analytics.forecasting.base`).
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _infer_freq(dates: pd.DatetimeIndex) -> str:
    if len(dates) < 2:
        return "D"
    freq = pd.infer_freq(dates[: min(len(dates), 60)]) if len(dates) >= 3 else None
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
    sku_codes, skus = pd.factorize(y["sku"], sort=True)
    t = calendar.get_indexer(pd.DatetimeIndex(y["date"]))
    if (t < 0).any():
        raise DataError("The demand frame's dates are not on one regular calendar "
                        f"(frequency {freq}). Fix: build it with demand_series(...).")
    demand = pd.to_numeric(y["demand"], errors="coerce").to_numpy(dtype=float)
    odd = np.isinf(demand) | (np.isnan(demand) & y["demand"].notna().to_numpy())
    if odd.any():
        i = int(np.flatnonzero(odd)[0])
        raise DataError(f"The demand frame has {int(odd.sum())} demand value(s) that are not "
                        f"finite numbers, the first {y['demand'].iloc[i]} for SKU "
                        f"{y['sku'].iloc[i]!r} on {pd.Timestamp(y['date'].iloc[i]).date()}. "
                        "Expected a number of units per period. Fix: correct or remove "
                        "those rows (demand_series(...) builds the frame from order lines).")
    values = np.full((len(skus), len(calendar)), np.nan)
    values[sku_codes, t] = demand
    # every SKU must be contiguous from its first date to the end
    first = np.where(~np.isnan(values).all(axis=1), np.argmax(~np.isnan(values), axis=1),
                     values.shape[1])
    after_start = np.arange(values.shape[1])[None, :] >= first[:, None]
    gaps = after_start & np.isnan(values)
    if gaps.any():
        bad = skus[np.flatnonzero(gaps.any(axis=1))[:5]]
        raise DataError(f"SKUs {', '.join(map(str, bad))} have missing periods in the demand "
                        "frame. Expected every period from each SKU's start to the end "
                        "(zero when nothing was ordered). Fix: build it with "
                        "demand_series(...), which zero-fills.")
    return Panel(pd.Index(skus, name="sku"), calendar, values, freq)


def future_dates(panel: Panel, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` periods after the panel's last date."""
    return pd.date_range(panel.dates[-1], periods=horizon + 1, freq=panel.freq)[1:]
