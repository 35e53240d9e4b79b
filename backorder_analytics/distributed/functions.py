"""Public functions by SKU partition on Dask (``client=``), with the numbers of one
process: the global inputs (lead-time models, the demand on the dataset's calendar)
computed once on the driver, each partition's SKUs on a worker, the results put
together with the result type's ``concat``."""

from __future__ import annotations

from typing import Any

from ..data.dataset import Dataset
from ..forecasting.demand import demand_series
from ..leadtime.model import dataset_lead_times
from .engine import DaskEngine, partition_labels
from .partition import dataset_part, sku_partitions

__all__ = ["recommend_safety_stock_partitioned"]


def _recommend_part(part, lead_times, options: dict[str, Any]):
    from ..planning.safety_stock import recommend_safety_stock

    ds, demand, forecast = part
    return recommend_safety_stock(ds, lead_times, demand=demand, forecast=forecast,
                                  progress=False, **options)


def recommend_safety_stock_partitioned(engine: DaskEngine, ds: Dataset, lead_times=None,
                                       *, demand=None, forecast=None,
                                       skus=None, **options):
    """:func:`~backorder_analytics.recommend_safety_stock` of ``ds`` on ``engine``."""
    from ..planning.safety_stock import SafetyStockRecommendation

    if lead_times is None:
        lead_times = dataset_lead_times(ds)
    if demand is None:
        demand = demand_series(ds, freq="D")
    wanted = ds.skus if skus is None else ds.skus[ds.skus.isin(list(skus))]
    rows = sku_partitions(wanted, engine.n_partitions)
    history = ds.supplier_history_frame()
    parts = []
    for r in rows:
        mine = wanted[r]
        mine_fc = None if forecast is None else forecast.take(mine[mine.isin(forecast.skus)])
        parts.append((dataset_part(ds, mine, history), demand[demand["sku"].isin(mine)],
                      mine_fc))
    results = engine.map(_recommend_part, engine.scatter(parts), lead_times, options,
                         step="safety stock", labels=partition_labels(wanted, rows))
    return SafetyStockRecommendation.concat(results)
