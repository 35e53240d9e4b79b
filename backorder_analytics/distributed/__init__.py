"""The planning steps on a Dask cluster, by SKU partition, with the numbers of one process.

A SKU's numbers depend on its own rows, on its random streams (keyed on the SKU) and on
a few global inputs computed from all SKUs (DESIGN.md §8; the per-SKU contract of
:mod:`backorder_analytics.planning.run`). So the SKUs are split into partitions by a
hash of their id (:mod:`.partition`), each partition runs the per-SKU stages on a
worker, and the global inputs are reduced on the driver from what the partitions send
back, in the SKUs' order, between the stages (:mod:`.forecast`). Only small results
travel: scores, sums and the outputs themselves.

Needs the ``dask`` extra: ``pip install 'backorder_analytics[dask]'``.
"""

from .engine import DaskEngine, PartitionError
from .partition import sku_hash, sku_partitions

__all__ = ["DaskEngine", "PartitionError", "sku_hash", "sku_partitions"]
