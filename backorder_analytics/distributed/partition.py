"""Which partition a SKU belongs to: a stable hash of its id, modulo the partitions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..streams import sku_key

__all__ = ["sku_hash", "sku_partitions", "check_n_partitions", "dataset_part"]


def sku_hash(sku: Any) -> int:
    """A SKU's 32-bit hash: CRC-32 of its text (:func:`~backorder_analytics.streams.sku_key`),
    the same on every machine and run (Python's ``hash`` of a str is salted per
    process); the partitions of ``write_dataset(..., partition_by="sku_hash")`` too.

    >>> sku_hash("SKU-0001")
    3343733702
    """
    return sku_key(sku)


def sku_partitions(skus: Iterable[Any], n_partitions: int) -> list[np.ndarray]:
    """The positions in ``skus`` of each partition's SKUs, in the order of ``skus``;
    empty partitions left out.

    >>> [p.tolist() for p in sku_partitions(["A", "B", "C", "D"], 2)]
    [[3], [0, 1, 2]]
    """
    n_partitions = check_n_partitions(n_partitions)
    part = np.fromiter((sku_hash(s) for s in skus), dtype=np.int64) % n_partitions
    return [rows for k in range(n_partitions)
            if len(rows := np.flatnonzero(part == k))]


def check_n_partitions(n_partitions: Any) -> int:
    """``n_partitions`` as an int, or a ``ValueError`` unless it is a whole number >= 1.

    >>> check_n_partitions(4.0)
    4
    """
    try:
        whole = not isinstance(n_partitions, bool | str) and int(n_partitions) == n_partitions
    except (TypeError, ValueError, OverflowError):  # None, NaN, inf, …
        whole = False
    if not whole or n_partitions < 1:
        raise ValueError("The 'n_partitions' parameter must be a whole number >= 1. Got "
                         f"{n_partitions!r} instead.")
    return int(n_partitions)


def dataset_part(ds: Dataset, skus: Iterable[Any],
                 supplier_history: pd.DataFrame | None = None,
                 supplier_lateness: dict[pd.Timestamp, Any] | None = None) -> Dataset:
    """The rows of ``ds`` that belong to ``skus`` (orders, POs, stock counts, items,
    shipments), with their original index and the same ``as_of``, and every PO of the
    business for what is learnt per supplier (``supplier_history``: default
    ``ds.supplier_history_frame()``; pass it when cutting many parts), with what is
    learnt from them computed already (``supplier_lateness``, by moment: see
    :attr:`Dataset.supplier_lateness <backorder_analytics.Dataset>`). Rejected rows
    stay with the whole dataset."""
    wanted = set(skus)
    if supplier_history is None:
        supplier_history = ds.supplier_history_frame()

    def rows(table):
        return None if table is None else table[table["sku"].isin(wanted).to_numpy()]

    return Dataset(orders=rows(ds.orders), purchase_orders=rows(ds.purchase_orders),
                   inventory=rows(ds.inventory), as_of=ds.as_of, items=rows(ds.items),
                   shipments=rows(ds.shipments), truth=ds.truth,
                   supplier_history=supplier_history, supplier_lateness=supplier_lateness)
