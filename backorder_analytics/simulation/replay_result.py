"""What a replay returns: :class:`ReplayResult` and :class:`ShipmentComparison`.

:func:`backorder_analytics.simulation.replay.replay` runs the kernel and builds the per-line and
per-shipment tables; this module holds the result object and everything derived from
those tables on demand: the daily timeline, the ageing of open backorders, the summary
per SKU, the comparison with recorded shipments and stock counts, and the display.
Conventions (time in nanoseconds from the origin, waits in days) are those of
:mod:`backorder_analytics.simulation.replay`, which re-exports every public name here.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

import numba
import numpy as np
import pandas as pd

from ..data.validation import key_codes
from .replay_kernel import first_and_last

__all__ = ["ReplayResult", "ShipmentComparison", "AGE_BUCKETS", "TOTAL", "DAY_NS",
           "WAIT_QUANTILES"]

DAY_NS = 86_400 * 10**9
"""Nanoseconds per day: the unit of every duration reported [days]."""
TOTAL = "(all)"
"""Label of the all-SKU row in ``summary``, ``ageing`` and the total timeline."""
AGE_BUCKETS = (("0-3", 0, 3), ("4-7", 4, 7), ("8-14", 8, 14), ("15-21", 15, 21),
               ("22-30", 22, 30), ("31+", 31, None))
"""Ageing buckets of open backorders: label, first and last whole day of age (the age
``as_of − order_date`` in days, rounded down)."""
WAIT_QUANTILES = (0.5, 0.9, 0.95)
"""Wait quantiles in ``summary`` (``wait_*_p50``, ``p90``, ``p95``)."""
_BIG = 1 << 62
""""Never" in the event arrays [ns] (e.g. the end of a line still open); shared with
the kernel in :mod:`backorder_analytics.simulation.replay`."""


def _quantiles(values: np.ndarray, code: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """count, mean, p50/p90/p95 (linear interpolation, as ``numpy.quantile``) and max
    of ``values`` (NaN left out) over all and per group ``code`` (an index into
    ``labels[1:]``); rows ``labels`` (the first: all). Sorted once, no per-group
    Python."""
    ok = ~np.isnan(values)
    v, c = values[ok], code[ok] + 1
    groups = len(labels)
    order = np.lexsort((v, c))
    v, c = v[order], c[order]
    n = np.bincount(c, minlength=groups)
    start = np.cumsum(n) - n
    total_sum = np.bincount(c, v, groups)
    rows = {"n": np.r_[len(v), n[1:]].astype(np.int64)}
    total = total_stats(v)
    with np.errstate(invalid="ignore", divide="ignore"):
        rows["mean"] = np.r_[total["mean"], total_sum[1:] / n[1:]]

    def at(sorted_values, begin, count, q):
        pos = q * (count - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
        safe = count > 0
        idx_lo = np.where(safe, begin + lo, 0)
        idx_hi = np.where(safe, begin + hi, 0)
        if not len(sorted_values):
            return np.full(len(begin), np.nan)
        a, b = sorted_values[idx_lo], sorted_values[idx_hi]
        return np.where(safe, a + (pos - lo) * (b - a), np.nan)

    for q in WAIT_QUANTILES:
        name = f"p{round(q * 100)}"
        rows[name] = np.r_[total[name], at(v, start[1:], n[1:], q)]
    last = np.where(n > 0, start + n - 1, 0)
    rows["max"] = np.r_[total["max"],
                        np.where(n[1:] > 0, v[last[1:]] if len(v) else np.nan, np.nan)]
    return pd.DataFrame(rows, index=pd.Index(labels, name="sku"))


_NAT = np.iinfo(np.int64).min
"""int64 value of NaT."""


@numba.njit(cache=True, inline="always")
def _day(t, n_days):
    """Day (0-based, clipped to the replay) of the instant ``t`` [ns from the origin]."""
    return min(max(t // DAY_NS, 0), n_days - 1)


@numba.njit(cache=True)
def _daily_flows(code, t, qty, backordered, cancelled, open_, cancel_date, last_ship,
                 origin, ship_line, ship_t, ship_qty, r_code, r_t, r_q, n_sku, n_days):
    """Per SKU and day: units ordered, received, shipped and cancelled; lines that
    started waiting (backordered at order) and lines whose wait ended (last shipment
    or cancellation; an open line's has not). Instants in ns from the origin, dates as
    int64 ns (NaT: before the origin, day 0)."""
    demand = np.zeros((n_sku, n_days), np.int64)
    receipts = np.zeros((n_sku, n_days), np.int64)
    shipped = np.zeros((n_sku, n_days), np.int64)
    cancel = np.zeros((n_sku, n_days), np.int64)
    joined = np.zeros((n_sku, n_days), np.int64)
    gone = np.zeros((n_sku, n_days), np.int64)
    for i in range(len(code)):
        c = code[i]
        demand[c, _day(t[i], n_days)] += qty[i]
        ended = last_ship[i]
        if cancelled[i] > 0:
            ended = cancel_date[i]
            cancel[c, _day(-_BIG if ended == _NAT else ended - origin, n_days)] += \
                cancelled[i]
        if backordered[i] > 0:
            joined[c, _day(t[i], n_days)] += 1
            if open_[i] == 0:
                gone[c, _day(-_BIG if ended == _NAT else ended - origin, n_days)] += 1
    for k in range(len(ship_line)):
        shipped[code[ship_line[k]], _day(ship_t[k], n_days)] += ship_qty[k]
    for k in range(len(r_code)):
        receipts[r_code[k], _day(r_t[k], n_days)] += r_q[k]
    return demand, receipts, shipped, cancel, joined, gone


def total_stats(v: np.ndarray) -> dict[str, float]:
    """``mean``, the :data:`WAIT_QUANTILES` (``p50`` …; linear interpolation) and
    ``max`` of ``v``, the values of every group sorted by group then value (the
    all-SKU row of :func:`_quantiles`; the mean depends on that order in its last
    bits, as numpy sums pairwise)."""
    everything = np.sort(v)
    n = len(v)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {"mean": float(v.mean()) if n else np.nan}
    for q in WAIT_QUANTILES:
        pos = q * (n - 1)
        lo = int(np.floor(pos)) if n else 0
        hi = min(lo + 1, max(n - 1, 0))
        out[f"p{round(q * 100)}"] = (float(everything[lo] + (pos - lo)
                                           * (everything[hi] - everything[lo]))
                                     if n else np.nan)
    out["max"] = float(everything[-1]) if n else np.nan
    return out


@numba.njit(cache=True)
def _rows_by_key(code, order, n_keys):
    """The rows with a key (``code >= 0``), grouped by key and, within a key, in
    ``order``: a stable counting sort, O(n). The rows of key ``k`` are
    ``rows[start[k]:start[k + 1]]``."""
    start = np.zeros(n_keys + 1, np.int64)
    for i in range(len(code)):
        if code[i] >= 0:
            start[code[i] + 1] += 1
    for k in range(n_keys):
        start[k + 1] += start[k]
    fill = start[:-1].copy()
    rows = np.empty(start[n_keys], np.int64)
    for i in order:
        k = code[i]
        if k >= 0:
            rows[fill[k]] = i
            fill[k] += 1
    return rows, start


@numba.njit(cache=True)
def _differs_by_key(rows_a, start_a, t_a, q_a, rows_b, start_b, t_b, q_b):
    """Per key: whether the two sides ship different units at some instant. Each
    side's rows come grouped by key and in time order (:func:`_rows_by_key`); the
    units of a side at one instant are summed, then the instants are walked in step."""
    n_keys = len(start_a) - 1
    differs = np.zeros(n_keys, np.bool_)
    for k in range(n_keys):
        i, i_end = start_a[k], start_a[k + 1]
        j, j_end = start_b[k], start_b[k + 1]
        while i < i_end or j < j_end:
            if i == i_end or j == j_end or t_a[rows_a[i]] != t_b[rows_b[j]]:
                differs[k] = True
                break
            now = t_a[rows_a[i]]
            units = 0
            while i < i_end and t_a[rows_a[i]] == now:
                units += q_a[rows_a[i]]
                i += 1
            while j < j_end and t_b[rows_b[j]] == now:
                units -= q_b[rows_b[j]]
                j += 1
            if units != 0:
                differs[k] = True
                break
    return differs


def _differing_keys(code_a, t_a, q_a, code_b, t_b, q_b, n_keys) -> np.ndarray:
    """Per key (``code`` in ``0 .. n_keys - 1``; ``code < 0``: no key, left out):
    whether the two sides ship different units at some instant ``t`` [ns]. Compiled,
    O(n) after one sort by time per side: no hash table, no ``(key, t)`` frame."""
    sides = []
    for code, t, q in ((code_a, t_a, q_a), (code_b, t_b, q_b)):
        code = np.ascontiguousarray(code, np.int64)  # one compiled signature
        t = np.ascontiguousarray(t, np.int64)
        by_time = (np.arange(len(t)) if len(t) < 2 or bool((t[1:] >= t[:-1]).all())
                   else np.argsort(t))  # the units at one instant are summed: any order
        rows, start = _rows_by_key(code, by_time, int(n_keys))
        sides += [rows, start, t, np.ascontiguousarray(q, np.int64)]
    return _differs_by_key(*sides)


@dataclass(repr=False)
class ShipmentComparison:
    """Replayed against recorded shipments, line by line (see
    :meth:`ReplayResult.compare_shipments`).

    Attributes
    ----------
    lines : pandas.DataFrame
        Per order line: recorded and replayed units shipped and last ship date,
        ``diff_days`` (replayed − recorded last ship date [days]; NaN unless both
        shipped), ``identical`` (same shipments: same units at the same instants).
        Built on first use (the counts below do not need it).
    n_lines, n_identical : int
    share_identical : float
    mean_abs_diff_days, max_abs_diff_days : float
        Over lines whose last ship date is known on both sides [days].
    """

    n_lines: int
    n_identical: int
    share_identical: float
    mean_abs_diff_days: float
    max_abs_diff_days: float
    _per_line: dict[str, Any] = field(default_factory=dict, compare=False)
    """What :attr:`lines` is built from: the replayed lines, the key columns, and per
    line the units recorded, the last recorded shipment and whether it is identical."""

    @cached_property
    def lines(self) -> pd.DataFrame:
        """The per-line table (see the class docstring), built on first use."""
        p = self._per_line
        L, key = p["replayed"], p["key"]
        out = pd.DataFrame({
            "sku": L["sku"].array, "status": L["status"].array,
            "recorded_shipped": p["recorded_shipped"], "replayed_shipped": L["shipped"].to_numpy(),
            "recorded_last_ship": p["recorded_last_ship"],
            "replayed_last_ship": L["last_ship_date"].to_numpy(),
        }, index=pd.MultiIndex.from_arrays([L[c].array for c in key], names=key))
        out["diff_days"] = (cast("pd.Series[pd.Timedelta]", out["replayed_last_ship"]
                                 - out["recorded_last_ship"]) / pd.Timedelta(days=1))
        out["identical"] = p["identical"]
        return out

    @property
    def differing(self) -> pd.DataFrame:
        """The lines whose replayed shipments differ from the recorded ones."""
        return self.lines[~self.lines["identical"]]

    def __repr__(self) -> str:
        return (f"ShipmentComparison: {self.n_identical:,} of {self.n_lines:,} lines "
                f"identical ({self.share_identical:.2%}); last ship date |diff| mean "
                f"{self.mean_abs_diff_days:.3f} d, max {self.max_abs_diff_days:.3f} d")

    def _repr_html_(self) -> str:
        return (f"<p><strong>{html.escape(repr(self))}</strong></p>"
                + self.differing.head(20).to_html())


@dataclass(repr=False)
class ReplayResult:
    """What the replay did to every order line; built by
    :func:`~backorder_analytics.simulation.replay.replay`.

    Attributes
    ----------
    lines : pandas.DataFrame
        One row per order line replayed, with the index of ``ds.orders``:
        ``order_id``, ``line_id`` (if present), ``sku``, ``order_date``, ``priority``,
        ``quantity``, ``served_at_once``, ``backordered``, ``shipped``, ``cancelled``,
        ``open`` [units], ``first_ship_date``, ``last_ship_date``, ``cancel_date``,
        ``wait_days`` [days], ``status``.
    shipments : pandas.DataFrame
        Replayed shipments: ``order_id``, ``line_id``, ``sku``, ``quantity``,
        ``ship_date`` and ``line`` (position in ``lines``), by ship date.
    stock : pandas.DataFrame
        Per SKU: ``opening_stock`` and ``received_units``.
    notes : pandas.DataFrame
        ``sku, note``: SKUs whose opening stock was taken as 0.
    origin, as_of : pandas.Timestamp
        Midnight of the first day replayed; the end of the replay.
    params : dict
        ``allocation``, ``shipping``, ``max_wait_days``, ``start``.
    """

    lines: pd.DataFrame
    stock: pd.DataFrame
    notes: pd.DataFrame
    origin: pd.Timestamp
    as_of: pd.Timestamp
    params: dict[str, Any]
    _events: dict[str, np.ndarray] = field(default_factory=dict)
    _recorded: pd.DataFrame | None = None
    _inventory: pd.DataFrame | None = None

    @classmethod
    def concat(cls, parts: list[ReplayResult], recorded: pd.DataFrame | None = None,
               inventory: pd.DataFrame | None = None) -> ReplayResult:
        """One replay from the replays of disjoint sets of SKUs of one dataset (each
        SKU's replay is its own): what :func:`~backorder_analytics.replay` of all of
        them gives. ``recorded``, ``inventory``: the whole dataset's shipments and
        stock counts, for the comparisons."""
        origin = min(p.origin for p in parts)
        lines = pd.concat([p.lines for p in parts])
        order = np.argsort(lines.index.to_numpy(), kind="stable")  # the orders' order
        new_position = np.empty(len(lines), np.int64)
        new_position[order] = np.arange(len(lines))
        stock = pd.concat([p.stock for p in parts]).sort_index()
        events: dict[str, list[np.ndarray]] = {k: [] for k in (
            "code", "t", "ship_line", "ship_qty", "ship_t", "r_code", "r_t", "r_q")}
        offset = 0
        for p in parts:
            shift = p.origin.value - origin.value  # [ns]
            codes = stock.index.get_indexer(p.stock.index)
            ev = p._events
            events["code"].append(codes[ev["code"]])
            events["t"].append(ev["t"] + shift)
            events["ship_line"].append(new_position[offset + ev["ship_line"]])
            events["ship_qty"].append(ev["ship_qty"])
            events["ship_t"].append(ev["ship_t"] + shift)
            events["r_code"].append(codes[ev["r_code"]])
            events["r_t"].append(ev["r_t"] + shift)
            events["r_q"].append(ev["r_q"])
            offset += len(p.lines)
        merged = {k: np.concatenate(v).astype(np.int64) for k, v in events.items()}
        merged["code"], merged["t"] = merged["code"][order], merged["t"][order]
        notes = pd.concat([p.notes for p in parts]).sort_values("sku", kind="stable")
        return cls(lines=lines.iloc[order], stock=stock, notes=notes.reset_index(drop=True),
                   origin=origin, as_of=parts[0].as_of, params=dict(parts[0].params),
                   _events=merged, _recorded=recorded, _inventory=inventory)

    # ------------------------------------------------------------------ events

    @cached_property
    def shipments(self) -> pd.DataFrame:
        """Replayed shipments: ``order_id``, ``line_id``, ``sku``, ``quantity``,
        ``ship_date`` and ``line`` (position in ``lines``), by ship date (built on
        first use from the shipment events)."""
        ev = self._events
        order = np.lexsort((ev["ship_line"], ev["ship_t"]))  # by ship date, then line
        line = ev["ship_line"][order]
        cols: dict[str, Any] = {c: self.lines[c].array.take(line)
                                for c in ("order_id", "line_id", "sku") if c in self.lines}
        cols.update(quantity=ev["ship_qty"][order],
                    ship_date=(ev["ship_t"][order] + self.origin.value).astype("datetime64[ns]"),
                    line=line)
        return pd.DataFrame(cols, copy=False)

    # ------------------------------------------------------------------ timeline

    @property
    def days(self) -> pd.DatetimeIndex:
        """The calendar days replayed, origin to ``as_of``."""
        return pd.date_range(self.origin, self.as_of.normalize(), freq="D", name="date")

    @cached_property
    def _daily(self) -> dict[str, np.ndarray]:
        """Per SKU and day, shape (n_sku, n_days): flows and end-of-day states [units;
        lines for ``queue_length``]. One compiled pass over the lines, the shipments and
        the receipts (:func:`_daily_flows`), no array per line besides the table's."""
        ev, L = self._events, self.lines

        def ns(column: str) -> np.ndarray:  # a view of the dates' int64 values
            return L[column].to_numpy("datetime64[ns]").view(np.int64)

        flows = _daily_flows(
            ev["code"], ev["t"], L["quantity"].to_numpy(np.int64),
            L["backordered"].to_numpy(np.int64), L["cancelled"].to_numpy(np.int64),
            L["open"].to_numpy(np.int64), ns("cancel_date"), ns("last_ship_date"),
            self.origin.value, ev["ship_line"], ev["ship_t"], ev["ship_qty"],
            ev["r_code"], ev["r_t"], ev["r_q"], len(self.stock), len(self.days))
        out = dict(zip(("demand", "receipts", "shipped", "cancelled"), flows[:4], strict=True))
        joined, gone = flows[4:]
        out["on_hand"] = (self.stock["opening_stock"].to_numpy(np.int64)[:, None]
                          + np.cumsum(out["receipts"] - out["shipped"], axis=1))
        out["backordered_units"] = np.cumsum(out["demand"] - out["shipped"]
                                             - out["cancelled"], axis=1)
        out["queue_length"] = np.cumsum(joined - gone, axis=1)
        return out

    @cached_property
    def timeline(self) -> pd.DataFrame:
        """Daily per SKU: ``on_hand`` (end of day), ``backordered_units`` and
        ``queue_length`` (lines waiting, end of day), and the day's ``receipts``,
        ``demand``, ``shipped`` and ``cancelled`` [units]."""
        d = self._daily
        skus, days = self.stock.index, self.days
        cols = ["on_hand", "backordered_units", "queue_length", "receipts", "demand",
                "shipped", "cancelled"]
        frame = pd.DataFrame({"sku": np.repeat(skus.to_numpy(), len(days)),
                              "date": np.tile(days.to_numpy(), len(skus))})
        for c in cols:
            frame[c] = d[c].ravel()
        return frame

    @cached_property
    def timeline_total(self) -> pd.DataFrame:
        """The :attr:`timeline` summed over SKUs, one row per day."""
        d = self._daily
        cols = ["on_hand", "backordered_units", "queue_length", "receipts", "demand",
                "shipped", "cancelled"]
        return pd.DataFrame({c: d[c].sum(axis=0) for c in cols}, index=self.days)

    # ------------------------------------------------------------------ summaries

    @cached_property
    def ageing(self) -> pd.DataFrame:
        """Open backorders at ``as_of`` by age bucket, per SKU and in total
        (``sku``, ``age``, ``lines``, ``units``); age = ``as_of − order_date`` in whole
        days (rounded down); buckets :data:`AGE_BUCKETS`."""
        lines = self.lines
        is_open = lines["open"].to_numpy() > 0
        ordered = cast("pd.Series[pd.Timestamp]", lines["order_date"][is_open])
        age = np.floor(((self.as_of - ordered) / pd.Timedelta(days=1)).to_numpy())
        labels = [b[0] for b in AGE_BUCKETS]
        edges = [b[1] for b in AGE_BUCKETS[1:]]
        bucket = np.searchsorted(edges, age, "right")
        units = lines["open"].to_numpy()[is_open]
        n_sku, k = len(self.stock), len(labels)
        cell = self._events["code"][is_open] * k + bucket
        counts = np.bincount(cell, minlength=n_sku * k).reshape(n_sku, k)
        amounts = np.bincount(cell, units, n_sku * k).reshape(n_sku, k)
        counts = np.vstack([counts.sum(axis=0), counts])
        amounts = np.vstack([amounts.sum(axis=0), amounts])
        out = pd.DataFrame({
            "sku": np.repeat(np.r_[[TOTAL], self.stock.index.to_numpy(dtype=object)], k),
            "age": pd.Categorical(np.tile(labels, n_sku + 1), categories=labels,
                                  ordered=True),
            "lines": counts.ravel().astype(np.int64),
            "units": amounts.ravel().astype(np.int64)})
        return out

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row for all SKUs (:data:`TOTAL`) then one per SKU.

        Columns: ``lines``, ``ordered_units``, ``served_at_once_units``,
        ``shipped_units``; ``unit_fill_rate`` (units served at once / ordered),
        ``line_fill_rate`` (lines served whole at once / lines),
        ``share_lines_backordered`` (1 − line fill rate), ``backordered_lines``;
        ``wait_bo_*`` — the wait [days] of the backordered lines that were fully
        shipped (``n``, ``mean``, ``p50``, ``p90``, ``p95``, ``max``); ``wait_all_*`` —
        the same over all fully shipped lines (0 for those served at once); open and
        cancelled lines have no wait and are left out of both; ``open_lines``,
        ``open_units``, ``cancelled_lines``, ``cancelled_units``; ``open_lines_<age>``
        per ageing bucket; ``opening_stock``, ``received_units``.
        """
        L = self.lines
        code = self._events["code"]
        skus = self.stock.index
        n_sku = len(skus)
        bo = L["backordered"].to_numpy() > 0

        def units(column: str) -> np.ndarray:  # one column at a time: little memory
            return np.bincount(code, L[column].to_numpy(np.int64), n_sku).astype(np.int64)

        def lines(mask: np.ndarray) -> np.ndarray:
            return np.bincount(code[mask], minlength=n_sku).astype(np.int64)

        per_sku = {
            "lines": np.bincount(code, minlength=n_sku).astype(np.int64),
            "ordered_units": units("quantity"),
            "served_at_once_units": units("served_at_once"),
            "shipped_units": units("shipped"),
            "backordered_lines": lines(bo),
            "open_lines": lines(L["open"].to_numpy() > 0),
            "open_units": units("open"),
            "cancelled_lines": lines(L["cancelled"].to_numpy() > 0),
            "cancelled_units": units("cancelled"),
        }
        index = pd.Index([TOTAL, *skus], name="sku")
        out = pd.DataFrame({name: np.r_[v.sum(), v] for name, v in per_sku.items()},
                           index=index)
        out = out[out["lines"] > 0].copy() if (out["lines"].iloc[1:] == 0).any() else out
        out["unit_fill_rate"] = out["served_at_once_units"] / out["ordered_units"]
        out["line_fill_rate"] = 1 - out["backordered_lines"] / out["lines"]
        out["share_lines_backordered"] = out["backordered_lines"] / out["lines"]
        wait = L["wait_days"].to_numpy()
        labels = np.r_[[TOTAL], skus.to_numpy(dtype=object)]
        for prefix, mask in (("wait_bo_", bo), ("wait_all_", None)):
            stats = (_quantiles(wait, code, labels) if mask is None
                     else _quantiles(wait[mask], code[mask], labels))
            out = out.join(stats.add_prefix(prefix))
        age = self.ageing.pivot(index="sku", columns="age", values="lines")
        age.columns = [f"open_lines_{c}" for c in age.columns]
        out = out.join(age)
        stock = self.stock.copy()
        stock.loc[TOTAL] = stock.sum()
        return out.join(stock)

    def to_frame(self) -> pd.DataFrame:
        """The per-line table, :attr:`lines`."""
        return self.lines

    def at(self, moment, skus=None) -> ReplayResult:
        """The replay as it stood at an earlier ``moment``, without replaying again.

        The replay is causal: what happens up to a moment depends only on the events
        up to it. So the lines ordered by ``moment``, with the units shipped and
        cancelled by then, the shipments and receipts up to it and the same opening
        stock are what :func:`~backorder_analytics.replay` of the data as known then
        (``ds.as_at(moment)``) gives, under the same rules (tested). Stock counts and
        recorded shipments after ``moment`` are dropped for the comparisons. SKUs
        with no event by then keep their row in ``stock`` (opening stock, nothing
        received).

        Parameters
        ----------
        moment : date-like
            At or before ``as_of`` and not before ``origin``; a date without a time
            of day means the end of that day.
        skus : sequence, optional
            Keep only the lines of these SKUs (each SKU's replay is its own, so theirs
            are unchanged); default all.

        Returns
        -------
        ReplayResult
        """
        from ..data.dataset import end_of_day_if_date

        when = min(end_of_day_if_date(moment), self.as_of)
        if when < self.origin:
            raise ValueError(f"The 'moment' parameter must be at or after the replay's "
                             f"origin ({self.origin}). Got {moment!r} instead.")
        if when == self.as_of and skus is None:
            return self
        t_ns = (when - self.origin) // pd.Timedelta(1, "ns")
        ev = self._events
        keep = ev["t"] <= t_ns
        if skus is not None:
            wanted = self.stock.index.get_indexer(pd.Index(skus))
            keep &= np.isin(ev["code"], wanted[wanted >= 0])
        sub = self.lines if keep.all() else self.lines[keep]  # the one copy
        new_pos = np.cumsum(keep) - 1
        s_keep = (ev["ship_t"] <= t_ns) & keep[ev["ship_line"]]
        s_line = new_pos[ev["ship_line"][s_keep]]
        s_qty, s_t = ev["ship_qty"][s_keep], ev["ship_t"][s_keep]
        n = len(sub)
        t = ev["t"][keep]
        qty = sub["quantity"].to_numpy(np.int64)
        origin = self.origin.value
        cancel_ns = sub["cancel_date"].to_numpy("datetime64[ns]").astype(np.int64) - origin
        gone = (sub["cancelled"].to_numpy() > 0) & (cancel_ns <= t_ns)
        cancelled = np.where(gone, sub["cancelled"].to_numpy(np.int64), 0)
        cancel_at = np.where(gone, cancel_ns, -_BIG)
        shipped = np.bincount(s_line, s_qty, n).astype(np.int64)
        first, last = first_and_last(n, s_line, s_t, _BIG, -_BIG)
        remaining = qty - shipped - cancelled
        lines = sub.copy(deep=False)  # new columns below; the others shared, not copied
        has_ship = shipped > 0
        for col, values, valid in (("first_ship_date", first, has_ship),
                                   ("last_ship_date", last, has_ship),
                                   ("cancel_date", cancel_at, gone)):
            dates = (values + origin).astype("datetime64[ns]")
            dates[~valid] = np.datetime64("NaT")
            lines[col] = dates
        lines["shipped"], lines["cancelled"], lines["open"] = shipped, cancelled, remaining
        done = remaining + cancelled == 0
        lines["wait_days"] = np.where(done, (last - t) / DAY_NS, np.nan)
        status = np.where(remaining > 0, 1, np.where(cancelled > 0, 2, 0))
        categories = list(self.lines["status"].cat.categories)
        # pandas-stubs: from_codes takes array-like codes and list-like categories
        lines["status"] = pd.Categorical.from_codes(status, categories)  # type: ignore[arg-type]
        r_keep = ev["r_t"] <= t_ns
        stock = self.stock.copy()
        stock["received_units"] = np.bincount(ev["r_code"][r_keep], ev["r_q"][r_keep],
                                              len(stock)).astype(np.int64)
        events = {"code": ev["code"][keep], "t": t, "ship_line": s_line, "ship_qty": s_qty,
                  "ship_t": s_t, "r_code": ev["r_code"][r_keep], "r_t": ev["r_t"][r_keep],
                  "r_q": ev["r_q"][r_keep]}
        return ReplayResult(lines=lines, stock=stock, notes=self.notes,
                            origin=self.origin, as_of=when, params=dict(self.params),
                            _events=events, _recorded=self._recorded,
                            _inventory=self._inventory)

    def take(self, skus) -> ReplayResult:
        """The replay of ``skus`` alone (each SKU's replay is its own): their lines,
        shipments, receipts, ``stock`` and ``notes``, with the same origin and end;
        the other SKUs' rows are left out (unlike :meth:`at`'s ``skus``, which keeps
        every SKU's ``stock``). The inverse of :meth:`concat` over a partition of
        the SKUs."""
        skus = pd.Index(list(skus))
        wanted = self.stock.index.isin(skus)
        code = np.cumsum(wanted) - 1  # old stock row -> new
        ev = self._events
        keep = wanted[ev["code"]]  # one event per line, in the lines' order
        position = np.cumsum(keep) - 1
        s_keep = keep[ev["ship_line"]]
        r_keep = wanted[ev["r_code"]]
        events = {"code": code[ev["code"][keep]], "t": ev["t"][keep],
                  "ship_line": position[ev["ship_line"][s_keep]],
                  "ship_qty": ev["ship_qty"][s_keep], "ship_t": ev["ship_t"][s_keep],
                  "r_code": code[ev["r_code"][r_keep]], "r_t": ev["r_t"][r_keep],
                  "r_q": ev["r_q"][r_keep]}
        notes = self.notes[self.notes["sku"].isin(skus).to_numpy()]
        return ReplayResult(lines=self.lines[keep], stock=self.stock[wanted],
                            notes=notes.reset_index(drop=True), origin=self.origin,
                            as_of=self.as_of, params=dict(self.params), _events=events,
                            _recorded=self._recorded, _inventory=self._inventory)

    # ------------------------------------------------------------------ data checks

    def compare_shipments(self) -> ShipmentComparison:
        """Replayed against recorded shipments (``ds.shipments``), line by line.

        Lines are matched on ``order_id, line_id`` when both tables have ``line_id``,
        else on ``order_id, sku``. A line is identical when the same units ship at the
        same instants. The ship-date difference is between last ship dates.

        Raises
        ------
        ValueError
            If the dataset has no shipments table.
        """
        rec = self._recorded
        if rec is None:
            raise ValueError("The dataset has no shipments table, so there is nothing to "
                             "compare the replay with; load one with read_shipments().")
        if (rec["ship_date"] > self.as_of).any():  # a replay cut back (see at)
            rec = rec[(rec["ship_date"] <= self.as_of).to_numpy()]
        key = (["order_id", "line_id"] if "line_id" in rec and "line_id" in self.lines
               else ["order_id", "sku"])
        L = self.lines
        line_code, rec_code, n_keys = key_codes(L, rec, key)
        ev = self._events
        rec_t = rec["ship_date"].to_numpy("datetime64[ns]").view(np.int64)
        rec_q = rec["quantity"].to_numpy(np.int64)
        differs = _differing_keys(line_code[ev["ship_line"]], ev["ship_t"] + self.origin.value,
                                  ev["ship_qty"], rec_code, rec_t, rec_q, n_keys)
        code = np.where(line_code >= 0, line_code, n_keys)  # n_keys: a key with a missing part
        identical = np.r_[~differs, True][code]
        ok = rec_code >= 0
        never = np.iinfo(np.int64).min  # NaT
        last = np.full(n_keys + 1, never)
        np.maximum.at(last, rec_code[ok], rec_t[ok])
        rec_last = last[code].view("datetime64[ns]")  # NaT where nothing was recorded
        diff = np.abs((L["last_ship_date"].to_numpy("datetime64[ns]") - rec_last)
                      / np.timedelta64(DAY_NS, "ns"))
        diff = pd.Series(diff[~np.isnan(diff)])
        recorded = np.bincount(rec_code[ok], rec_q[ok], n_keys + 1).astype(np.int64)
        n_same = int(identical.sum())
        return ShipmentComparison(
            n_lines=len(L), n_identical=n_same,
            share_identical=n_same / len(L) if len(L) else float("nan"),
            mean_abs_diff_days=float(diff.mean()) if len(diff) else float("nan"),
            max_abs_diff_days=float(diff.max()) if len(diff) else float("nan"),
            _per_line={"replayed": L, "key": key, "recorded_shipped": recorded[code],
                       "recorded_last_ship": rec_last, "identical": identical},
        )

    def compare_inventory(self) -> pd.DataFrame:
        """Replayed against counted stock: one row per stock count inside the replay
        (``sku``, ``date``, ``counted``, ``replayed``, ``diff``), the replayed figure
        being the stock at 00:00 of the count's date (end of the day before)."""
        inv = self._inventory
        cols = ["sku", "date", "counted", "replayed", "diff"]
        if inv is not None:
            inv = inv[(inv["date"] <= self.as_of).to_numpy()]
        if inv is None or not len(inv):
            return pd.DataFrame(columns=cols)
        d = self._daily["on_hand"]
        codes = self.stock.index.get_indexer(pd.Index(inv["sku"]))
        day = ((inv["date"].dt.normalize() - self.origin) / pd.Timedelta(days=1)).to_numpy()
        ok = (codes >= 0) & (day >= 1) & (day < d.shape[1])
        day = day[ok].astype(np.int64)
        out = pd.DataFrame({"sku": inv["sku"].to_numpy()[ok], "date": inv["date"].to_numpy()[ok],
                            "counted": inv["on_hand"].to_numpy()[ok],
                            "replayed": d[codes[ok], day - 1]})
        out["diff"] = out["replayed"] - out["counted"]
        return out[cols].reset_index(drop=True)

    # ------------------------------------------------------------------ display

    def plot(self, ax=None, kind: str = "wait", sku: str | None = None):
        """Draw the replay: ``kind="wait"`` (histogram of the waits of backordered,
        shipped lines), ``"ageing"`` (open backorders by age) or ``"timeline"`` (on
        hand and backordered units per day), for all SKUs or one ``sku``.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .. import plotting

        kinds = ("wait", "ageing", "timeline")
        if kind not in kinds:
            raise ValueError(f"The 'kind' parameter must be one of {kinds}. "
                             f"Got {kind!r} instead.")
        if sku is not None and sku not in self.stock.index:
            raise ValueError(f"The 'sku' parameter must be a SKU of the replay, e.g. "
                             f"{self.stock.index[0]!r}. Got {sku!r} instead.")
        label = TOTAL if sku is None else sku
        title = f"{'all SKUs' if sku is None else sku} ({self.params['allocation']}, " \
                f"{self.params['shipping']})"
        if kind == "wait":
            L = self.lines if sku is None else self.lines[self.lines["sku"] == sku]
            waits = L.loc[L["backordered"] > 0, "wait_days"].dropna().to_numpy()
            return plotting.plot_replay_waits(waits, ax=ax, title=title)
        if kind == "ageing":
            a = self.ageing[self.ageing["sku"] == label]
            return plotting.plot_replay_ageing(a["age"].astype(str).to_numpy(),
                                               a["lines"].to_numpy(), a["units"].to_numpy(),
                                               ax=ax, title=title)
        tl = (self.timeline_total if sku is None
              else self.timeline[self.timeline["sku"] == sku].set_index("date"))
        return plotting.plot_replay_timeline(tl.index, tl["on_hand"].to_numpy(),
                                             tl["backordered_units"].to_numpy(),
                                             ax=ax, title=title)

    def __repr__(self) -> str:
        s = self.summary.loc[TOTAL]
        p = self.params
        rule = f"{p['allocation']}/{p['shipping']}"
        if p["max_wait_days"] is not None:
            rule += f", max wait {p['max_wait_days']:g} d"
        return (f"Replay of {len(self.lines):,} lines, {len(self.stock):,} SKUs, "
                f"{self.origin.date()} → {self.as_of.date()} ({rule}): unit fill "
                f"{s['unit_fill_rate']:.1%}, line fill {s['line_fill_rate']:.1%}, "
                f"backordered lines wait {s['wait_bo_mean']:.1f} d on average "
                f"(p90 {s['wait_bo_p90']:.1f} d), {int(s['open_lines']):,} open backorders "
                f"({int(s['open_units']):,} units), {int(s['cancelled_lines']):,} lines "
                f"cancelled ({int(s['cancelled_units']):,} units)")

    def _repr_html_(self) -> str:
        head = f"<p><strong>{html.escape(repr(self))}</strong></p>"
        cols = ["lines", "unit_fill_rate", "line_fill_rate", "wait_bo_mean", "wait_bo_p90",
                "wait_bo_max", "open_lines", "open_units", "cancelled_lines"]
        table = self.summary[cols].head(21).to_html(float_format=lambda x: f"{x:,.3f}")
        notes = (f"<p>{len(self.notes)} SKU(s) started from 0 stock (see .notes)</p>"
                 if len(self.notes) else "")
        return head + notes + table
