"""What the report shows of a replay, without its per-line tables: per-SKU rows and
sums that add up across partitions of the SKUs.

A :class:`~backorder_analytics.simulation.replay_result.ReplayResult` holds every
order line; the report shows its ``summary`` (a row per SKU and one for all),
``ageing``, the all-SKU ``timeline_total``, a histogram of the waits and the share
of lines the recorded shipments confirm. :meth:`ReplayPiece.of` keeps those of one
partition's replay (per-SKU rows, daily sums, the waits compressed: per SKU the
count of zero waits and the others sorted), and :meth:`ReplayDigest.combine` puts
the pieces of every partition together into what the replay of all the SKUs gives,
number for number: sums of whole numbers are exact, and the all-SKU wait statistics
are computed from the same array, in the same order, as
:meth:`ReplayResult.summary` computes them (:func:`~.replay_result.total_stats`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .replay_result import TOTAL, ReplayResult, total_stats

__all__ = ["ReplayPiece", "ReplayDigest", "WaitSample", "ShipmentCounts"]

COUNTS = ("lines", "ordered_units", "served_at_once_units", "shipped_units",
          "backordered_lines", "open_lines", "open_units", "cancelled_lines",
          "cancelled_units")
"""Columns of ``ReplayResult.summary`` that are sums over the lines."""
TIMELINE_STATES = ("backordered_units", "queue_length")
"""Timeline columns that are states, 0 before a SKU's first event (``on_hand`` is its
opening stock then; the others are the day's flows, 0)."""


@dataclass
class WaitSample:
    """The waits [days] of a set of lines of some SKUs, per SKU: how many are 0 and
    the others, sorted (SKU by SKU, in the order of ``skus``)."""

    skus: pd.Index
    n_zero: np.ndarray
    n_other: np.ndarray
    others: np.ndarray

    @classmethod
    def of(cls, wait: np.ndarray, code: np.ndarray, skus: pd.Index) -> WaitSample:
        """From the waits of lines (NaN: no wait, left out) and their SKUs' positions
        ``code`` in ``skus``. Waits are >= 0."""
        ok = ~np.isnan(wait)
        v, c = wait[ok], code[ok]
        order = np.lexsort((v, c))
        v, c = v[order], c[order]
        zero = v == 0
        return cls(skus, np.bincount(c[zero], minlength=len(skus)).astype(np.int64),
                   np.bincount(c[~zero], minlength=len(skus)).astype(np.int64), v[~zero])

    @staticmethod
    def merged(parts: list[WaitSample]) -> np.ndarray:
        """Every part's waits as one array, sorted by SKU (the SKUs' sorted order, as a
        whole replay numbers them), then by value."""
        skus = pd.Index(np.concatenate([p.skus.to_numpy(dtype=object) for p in parts]))
        order = skus.argsort()
        n_zero = np.concatenate([p.n_zero for p in parts])[order]
        n_other = np.concatenate([p.n_other for p in parts])
        start = np.cumsum(n_other) - n_other  # each SKU's others in the parts' values
        values = np.concatenate([p.others for p in parts])
        start, n_other = start[order], n_other[order]
        total = n_zero + n_other
        out = np.zeros(int(total.sum()))
        within = np.arange(len(values)) - np.repeat(np.cumsum(n_other) - n_other, n_other)
        begin = np.cumsum(total) - total + n_zero
        out[np.repeat(begin, n_other) + within] = values[np.repeat(start, n_other) + within]
        return out


@dataclass
class ShipmentCounts:
    """Replayed against recorded shipments, counted (see
    :meth:`ReplayResult.compare_shipments` for the per-line comparison)."""

    n_lines: int
    n_identical: int

    @property
    def share_identical(self) -> float:
        return self.n_identical / self.n_lines if self.n_lines else float("nan")


@dataclass
class ReplayPiece:
    """What the report needs of the replay of a partition of the SKUs."""

    summary: pd.DataFrame
    ageing: pd.DataFrame
    timeline_total: pd.DataFrame
    opening_stock: int
    stock_total: pd.Series
    waits_bo: WaitSample
    waits_all: WaitSample
    notes: pd.DataFrame
    params: dict[str, Any]
    origin: pd.Timestamp
    as_of: pd.Timestamp
    shipments: ShipmentCounts | None

    @classmethod
    def of(cls, rep: ReplayResult, recorded: bool) -> ReplayPiece:
        """The piece of ``rep``; ``recorded``: whether the data has shipments to
        compare with."""
        L = rep.lines
        code = rep._events["code"]
        wait = L["wait_days"].to_numpy()
        bo = L["backordered"].to_numpy() > 0
        skus = rep.stock.index
        ageing = rep.ageing
        shipments = None
        if recorded:
            cmp = rep.compare_shipments()
            shipments = ShipmentCounts(cmp.n_lines, cmp.n_identical)
        return cls(summary=rep.summary.iloc[1:], ageing=ageing[ageing["sku"] != TOTAL],
                   timeline_total=rep.timeline_total,
                   opening_stock=int(rep.stock["opening_stock"].sum()),
                   stock_total=rep.stock.sum(),
                   waits_bo=WaitSample.of(wait[bo], code[bo], skus),
                   waits_all=WaitSample.of(wait, code, skus), notes=rep.notes,
                   params=dict(rep.params), origin=rep.origin, as_of=rep.as_of,
                   shipments=shipments)


@dataclass(repr=False)
class ReplayDigest:
    """A replay as the report shows it: :attr:`summary`, :attr:`ageing`,
    :attr:`timeline_total`, :meth:`plot` (all SKUs) and :meth:`compare_shipments`
    (counted), the same as :class:`ReplayResult`'s, without the per-line tables."""

    summary: pd.DataFrame
    ageing: pd.DataFrame
    timeline_total: pd.DataFrame
    waits: np.ndarray
    """Waits of the backordered lines that shipped [days] (the histogram)."""
    notes: pd.DataFrame
    params: dict[str, Any]
    origin: pd.Timestamp
    as_of: pd.Timestamp
    shipments: ShipmentCounts | None = field(default=None)

    @classmethod
    def combine(cls, pieces: list[ReplayPiece]) -> ReplayDigest:
        """The digest of the replay of every piece's SKUs."""
        rows = pd.concat([p.summary for p in pieces]).sort_index(kind="stable")
        waits = {"wait_bo_": WaitSample.merged([p.waits_bo for p in pieces]),
                 "wait_all_": WaitSample.merged([p.waits_all for p in pieces])}
        total: dict[str, Any] = {c: rows[c].sum() for c in COUNTS}
        total["unit_fill_rate"] = total["served_at_once_units"] / total["ordered_units"]
        total["line_fill_rate"] = 1 - total["backordered_lines"] / total["lines"]
        total["share_lines_backordered"] = total["backordered_lines"] / total["lines"]
        for prefix, v in waits.items():
            total[f"{prefix}n"] = len(v)
            total.update({f"{prefix}{k}": x for k, x in total_stats(v).items()})
        ageing = _ageing(pieces)
        every = ageing[ageing["sku"] == TOTAL]
        for label, lines in zip(every["age"].astype(str), every["lines"], strict=True):
            total[f"open_lines_{label}"] = lines
        stock = pieces[0].stock_total
        for p in pieces[1:]:
            stock = stock + p.stock_total
        total.update({str(k): v for k, v in stock.items()})
        head = (pd.DataFrame([total], index=pd.Index([TOTAL], name="sku"))[list(rows.columns)]
                .astype(rows.dtypes.to_dict()))
        summary = pd.concat([head, rows])
        origin = min(p.origin for p in pieces)
        as_of = pieces[0].as_of
        days = pd.date_range(origin, as_of.normalize(), freq="D", name="date")
        frames = []
        for p in pieces:
            own = p.timeline_total.reindex(days)
            before = own.index < p.origin
            own.loc[before, :] = 0
            own.loc[before, "on_hand"] = p.opening_stock
            frames.append(own.astype(np.int64))
        timeline = frames[0]
        for own in frames[1:]:
            timeline = timeline + own
        timeline.index.name = pieces[0].timeline_total.index.name
        notes = pd.concat([p.notes for p in pieces]).sort_values("sku", kind="stable")
        counts = [p.shipments for p in pieces]
        shipments = (None if any(c is None for c in counts) else
                     ShipmentCounts(sum(c.n_lines for c in counts if c is not None),
                                    sum(c.n_identical for c in counts if c is not None)))
        bo = waits["wait_bo_"]
        return cls(summary=summary, ageing=ageing, timeline_total=timeline, waits=bo,
                   notes=notes.reset_index(drop=True), params=dict(pieces[0].params),
                   origin=origin, as_of=as_of, shipments=shipments)

    def compare_shipments(self) -> ShipmentCounts:
        """Lines replayed and those whose replayed shipments are the recorded ones."""
        if self.shipments is None:
            raise ValueError("The dataset has no shipments table, so there is nothing to "
                             "compare the replay with; load one with read_shipments().")
        return self.shipments

    def plot(self, ax=None, kind: str = "wait"):
        """:meth:`ReplayResult.plot` for all SKUs."""
        from .. import plotting

        kinds = ("wait", "ageing", "timeline")
        if kind not in kinds:
            raise ValueError(f"The 'kind' parameter must be one of {kinds}. "
                             f"Got {kind!r} instead.")
        title = f"all SKUs ({self.params['allocation']}, {self.params['shipping']})"
        if kind == "wait":
            return plotting.plot_replay_waits(self.waits, ax=ax, title=title)
        if kind == "ageing":
            a = self.ageing[self.ageing["sku"] == TOTAL]
            return plotting.plot_replay_ageing(a["age"].astype(str).to_numpy(),
                                               a["lines"].to_numpy(), a["units"].to_numpy(),
                                               ax=ax, title=title)
        tl = self.timeline_total
        return plotting.plot_replay_timeline(tl.index, tl["on_hand"].to_numpy(),
                                             tl["backordered_units"].to_numpy(),
                                             ax=ax, title=title)

    def __repr__(self) -> str:
        s = self.summary.loc[TOTAL]
        return (f"ReplayDigest: {int(s['lines']):,} lines, {len(self.summary) - 1:,} SKUs, "
                f"unit fill {s['unit_fill_rate']:.1%}")


def _ageing(pieces: list[ReplayPiece]) -> pd.DataFrame:
    """The pieces' ageing rows, all SKUs first (summed), then each SKU in order."""
    rows = pd.concat([p.ageing for p in pieces], ignore_index=True)
    rows = rows.sort_values("sku", kind="stable", ignore_index=True)
    k = len(rows["age"].cat.categories)
    head = rows.iloc[:k].copy()
    head["sku"] = TOTAL
    for col in ("lines", "units"):
        head[col] = sum(p.ageing.groupby("age", observed=False)[col].sum().to_numpy()
                        for p in pieces)
    return pd.concat([head, rows], ignore_index=True)
