"""backorder_analytics: backorder analytics for inventory planners.

Load and validate order, purchase-order and inventory history; turn it into demand
series and classify demand; forecast demand per SKU with probabilistic output and
estimate supplier lead times from purchase orders, open ones included; replay the
backorder queue of the past, simulate it under replenishment policies and recommend
safety stock.

The forecasting subpackage stays importable as ``backorder_analytics.forecast``
(``from backorder_analytics.forecast import smoothing``); at the top level
``ba.forecast`` is the function.
"""

from . import forecast as _forecast_package  # noqa: F401  (load the subpackage first)
from .dataset import Dataset
from .datasets import example_dataset
from .demand import classify_demand, demand_series
from .exceptions import BackorderAnalyticsError, DataError, NotFittedError
from .forecast import (
    BacktestResult,
    Forecast,
    LeadTimeDemand,
    backtest,
    forecast,
    lead_time_demand,
)
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
from .policy import CycleServiceLevel, FillRate, WaitTime
from .replay import ReplayResult, replay
from .report import build_report
from .safety_stock import recommend_safety_stock
from .simulate import (
    BaseStock,
    MinMax,
    OrderUpTo,
    PoissonDemand,
    ReorderPoint,
    SimulationResult,
    simulate,
)

__version__ = "0.1.0"

__all__ = [
    "BackorderAnalyticsError",
    "BaseStock",
    "CycleServiceLevel",
    "FillRate",
    "MinMax",
    "OrderUpTo",
    "PoissonDemand",
    "ReorderPoint",
    "ReplayResult",
    "SimulationResult",
    "WaitTime",
    "recommend_safety_stock",
    "replay",
    "simulate",
    "BacktestResult",
    "DataError",
    "Dataset",
    "Forecast",
    "LeadTimeDemand",
    "LeadTimeModel",
    "Loaded",
    "NotFittedError",
    "backtest",
    "build_report",
    "classify_demand",
    "demand_series",
    "example_dataset",
    "fit_lead_times",
    "forecast",
    "lead_time_demand",
    "read_dataset",
    "read_inventory",
    "read_items",
    "read_orders",
    "read_purchase_orders",
    "read_shipments",
    "write_dataset",
]
