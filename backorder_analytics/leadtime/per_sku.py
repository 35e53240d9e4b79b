"""Each SKU's lead time: its moments, quantiles and a sampler, from whatever the user gave.

:func:`sku_lead_times` turns a fitted :class:`~backorder_analytics.LeadTimeModel` (by
supplier, SKU or both), a constant, a scipy.stats distribution or a mapping
``{sku: either}`` into one :class:`SkuLeadTime` per SKU, for the steps that need a
lead time per SKU (safety stock, alerts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .model import LeadTimeModel, dataset_lead_times

__all__ = ["SkuLeadTime", "lead_time_of", "sku_lead_times"]


@dataclass
class SkuLeadTime:
    """Lead time of one SKU: moments and quantiles [days] and a sampler."""

    mean: float
    sd: float
    p50: float
    p90: float
    p99: float
    dist: Any = None

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.dist is None:
            return np.full(n, self.mean)
        return np.maximum(np.asarray(self.dist.rvs(size=n, random_state=rng), float), 0.0)

    def quantile(self, q: float) -> float:
        """The lead time at probability ``q`` [days] (the mean for a constant)."""
        return self.mean if self.dist is None else float(self.dist.ppf(q))


def lead_time_of(value) -> SkuLeadTime:
    """A :class:`SkuLeadTime` from days (a number) or a frozen scipy.stats distribution."""
    if np.isscalar(value) and not isinstance(value, str):
        v = float(value)  # type: ignore[arg-type]  # a complex or bytes scalar raises here
        if not np.isfinite(v) or v < 0:
            raise ValueError(f"A constant lead time must be a finite number >= 0 [days]. "
                             f"Got {value!r} instead.")
        return SkuLeadTime(v, 0.0, v, v, v)
    if not hasattr(value, "rvs") or not hasattr(value, "ppf"):
        raise TypeError(f"A lead time must be a number of days, a frozen scipy.stats "
                        f"distribution or a LeadTimeModel. Got {type(value).__name__} instead.")
    mean, sd = float(value.mean()), float(value.std())
    p50, p90, p99 = (float(x) for x in np.asarray(value.ppf([0.5, 0.9, 0.99]), dtype=float))
    return SkuLeadTime(mean, sd, p50, p90, p99, value)


def sku_lead_times(skus: Sequence, lead_times, ds=None) -> tuple[list[SkuLeadTime], list[Any]]:
    """Per SKU its :class:`SkuLeadTime` and the group it came from.

    Parameters
    ----------
    skus : sequence
    lead_times : LeadTimeModel, float, scipy.stats distribution, mapping or None
        None: fitted from ``ds.purchase_orders`` by supplier.
    ds : Dataset, optional
        For the SKU's supplier (``Dataset.suppliers``) and the default fit.

    Returns
    -------
    (list of SkuLeadTime, list)
        The groups are the model's labels (:meth:`LeadTimeModel.group_of`); None for a
        constant, a distribution or a mapping.
    """
    if lead_times is None:
        if ds is None:
            raise ValueError("The 'lead_times' parameter is needed with a Forecast: pass days "
                             "(a number), a scipy.stats distribution, a mapping sku -> either, "
                             "or a LeadTimeModel fitted by=('sku',).")
        lead_times = dataset_lead_times(ds)
    if isinstance(lead_times, LeadTimeModel):
        supplier = {} if ds is None else ds.suppliers.dropna().to_dict()
        groups = lead_times.groups_for(skus, [supplier.get(s) for s in skus])
        cache: dict[Any, SkuLeadTime] = {}
        for g in groups:
            if g not in cache:
                cache[g] = lead_time_of(lead_times.distribution(g))
        return [cache[g] for g in groups], groups
    if isinstance(lead_times, Mapping):
        missing = [s for s in skus if s not in lead_times]
        if missing:
            raise KeyError(f"The 'lead_times' mapping has no entry for SKU(s) {missing[:5]!r}.")
        return [lead_time_of(lead_times[s]) for s in skus], [None] * len(skus)
    one = lead_time_of(lead_times)
    return [one] * len(skus), [None] * len(skus)
