""":func:`~backorder_analytics.fit_lead_times` on Dask, with the numbers of one process.

Each group's own fit (Kaplan–Meier, the censored likelihood of every family, lateness)
is a function of its POs alone: the groups are split into partitions by a hash of
their label and fitted on the workers. What uses every group stays on the driver:
the fit of all POs (the parent of the suppliers) and the pooling of each level's
groups (:mod:`~backorder_analytics.leadtime.pooling`: ``μ`` and ``τ²`` are estimated
across the groups), on the fits in the groups' order, as one process has them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from ..leadtime.model import LeadTimeModel, group_rows, own_fits
from .engine import DaskEngine, partition_labels
from .partition import sku_partitions

__all__ = ["fit_lead_times_partitioned"]


def fit_lead_times_partitioned(engine: DaskEngine, model: LeadTimeModel,
                               purchase_orders: pd.DataFrame) -> LeadTimeModel:
    """``model`` (unfitted, its parameters checked) fitted to ``purchase_orders`` on
    ``engine``'s cluster; returns it."""

    def fit_groups(frame: pd.DataFrame, columns: list[str], distributions: Sequence[str],
                   min_pos: int) -> dict[Hashable, dict]:
        groups = group_rows(frame, columns)
        labels = list(groups)
        rows = sku_partitions(labels, engine.n_partitions)
        if not rows:
            return own_fits(frame, columns, distributions, min_pos)
        parts = [frame.iloc[np.sort(np.concatenate([groups[labels[i]] for i in r]))]
                 for r in rows]  # each group's rows in the order of the whole frame
        fits: dict[Hashable, dict] = {}
        for got in engine.map(own_fits, engine.scatter(parts), columns, distributions,
                              min_pos, step="lead times",
                              labels=partition_labels(labels, rows)):
            fits.update(got)
        return {label: fits[label] for label in labels}

    return model._fit(purchase_orders, fit_groups)
