"""What every PO of the business says about each supplier's delivery delays, as known
at one moment: the ETAs draw an open PO's remaining lateness from its supplier's
Kaplan–Meier curve, and the alerts report each supplier's mean lateness.

A fact of the whole business, not of a SKU: a distributed run computes it once on the
driver, for the moments its steps ask, and sends it with the partitions
(``Dataset.supplier_lateness``), so that no partition reads every PO again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .survival import kaplan_meier

__all__ = ["SupplierLateness", "LatenessCurve", "supplier_lateness"]

DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class LatenessCurve:
    """One supplier's lateness [days, received − expected; < 0: early] over its POs
    with an expected date: the received ones' sorted (``seen``) and the Kaplan–Meier
    curve (``times``, ``survival``) with the open ones censored at the moment."""

    seen: np.ndarray
    times: np.ndarray
    survival: np.ndarray


@dataclass(frozen=True)
class SupplierLateness:
    """Per supplier, its POs' lateness as known at ``moment``.

    ``curves``: by the ``supplier_id`` recorded on the POs (every PO one group, key 0,
    when none is recorded); empty when no PO has an expected date. ``mean_late``: the
    mean lateness [days] of the received POs with an expected date, by supplier (the
    recorded one, else the SKU's).

    >>> from backorder_analytics import example_dataset
    >>> ds = example_dataset(seed=0)
    >>> late = SupplierLateness.of(ds.supplier_history_at(ds.as_of), ds.as_of)
    >>> sorted(late.curves) == sorted(ds.suppliers.unique())
    True
    """

    moment: pd.Timestamp
    curves: dict[Any, LatenessCurve] = field(default_factory=dict)
    mean_late: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))

    @classmethod
    def of(cls, history: pd.DataFrame, moment: pd.Timestamp) -> SupplierLateness:
        """From ``history``, every PO of the suppliers as known at ``moment``
        (:meth:`backorder_analytics.Dataset.supplier_history_at`)."""
        if "expected_date" not in history:
            return cls(moment)
        expected = history["expected_date"]
        has_expected = expected.notna().to_numpy()
        received = (history["received_date"] if "received_date" in history
                    else pd.Series(pd.NaT, index=history.index, dtype=expected.dtype))
        got = received.notna().to_numpy()
        delay: Any = received.where(got, moment) - expected  # timedeltas
        late = (delay / DAY).to_numpy(float)
        recorded = (history["supplier_id"] if "supplier_id" in history
                    else pd.Series(0, index=history.index))
        code, names = pd.factorize(recorded[has_expected], use_na_sentinel=True)
        rows = np.flatnonzero(has_expected)
        curves = {}
        for i, name in enumerate(names):
            mine = rows[code == i]
            times, survival, _, _ = kaplan_meier(late[mine], got[mine])
            curves[name] = LatenessCurve(np.sort(late[mine][got[mine]]), times, survival)
        both = got & has_expected
        mean_late = pd.Series(late[both], index=history.index[both]).groupby(
            history["supplier"][both]).mean()
        return cls(moment, curves, mean_late)


def supplier_lateness(ds: Any, moment: Any) -> SupplierLateness:
    """Each supplier's lateness over every PO of the business as known at ``moment``
    (a :class:`~backorder_analytics.Dataset`'s ``supplier_lateness`` when it holds that
    moment, else learnt from its :meth:`~backorder_analytics.Dataset.supplier_history_at`)."""
    when = ds.moment(moment, "moment")
    known = (ds.supplier_lateness or {}).get(when)
    return known if known is not None else SupplierLateness.of(ds.supplier_history_at(when),
                                                               when)
