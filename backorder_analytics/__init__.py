"""backorder_analytics: backorder analytics for inventory planners.

Load and validate order, purchase-order and inventory history; turn it into demand
series; classify demand; and (in later modules) forecast, simulate the backorder queue
and recommend safety stock.
"""

from .dataset import Dataset
from .datasets import example_dataset
from .demand import classify_demand, demand_series
from .exceptions import BackorderAnalyticsError, DataError, NotFittedError
from .io import (
    Loaded,
    read_dataset,
    read_inventory,
    read_items,
    read_orders,
    read_purchase_orders,
    read_shipments,
    write_dataset,
)
from .leadtime import LeadTimeModel, fit_lead_times
from .report import build_report

__version__ = "0.1.0"

__all__ = [
    "BackorderAnalyticsError",
    "DataError",
    "build_report",
    "Dataset",
    "Loaded",
    "NotFittedError",
    "classify_demand",
    "demand_series",
    "example_dataset",
    "fit_lead_times",
    "LeadTimeModel",
    "read_dataset",
    "read_inventory",
    "read_items",
    "read_orders",
    "read_purchase_orders",
    "read_shipments",
    "write_dataset",
]
