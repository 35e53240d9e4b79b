"""backorder_analytics: backorder analytics for inventory planners.

Load and validate order, purchase-order and inventory history; turn it into demand
series and classify demand; forecast demand per SKU with probabilistic output and
estimate supplier lead times from purchase orders, open ones included; replay the
backorder queue of the past, simulate it under replenishment policies and recommend
safety stock; give ETAs for open backorders, backorder risk per SKU and alerts; and
write the planner's report (HTML, Excel, CSV).

The forecasting subpackage stays importable as ``backorder_analytics.forecast``
(``from backorder_analytics.forecast import smoothing``); at the top level
``ba.forecast`` is the function.
"""

from . import forecast as _forecast_package  # noqa: F401  (load the subpackage first)
from .alerts import Alerts, alerts
from .dataset import Dataset
from .datasets import example_dataset
from .demand import classify_demand, demand_series
from .eta import BackorderETA, ETABacktest, backorder_eta, eta_backtest
from .exceptions import BackorderAnalyticsError, DataError, NotFittedError
from .forecast import (
    BacktestResult,
    Forecast,
    LeadTimeDemand,
    backtest,
    forecast,
    lead_time_demand,
)
from .inventory_state import historical_reorder_points, inventory_state
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
from .report import ReportConfig, build_report, load_config
from .risk import BackorderRisk, backorder_risk
from .risk_classifier import (
    BackorderFeatures,
    BackorderRiskClassifier,
    read_backorder_snapshots,
    snapshot_features,
)
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
    "Alerts",
    "BackorderETA",
    "BackorderFeatures",
    "BackorderRisk",
    "BackorderRiskClassifier",
    "ETABacktest",
    "ReportConfig",
    "alerts",
    "backorder_eta",
    "backorder_risk",
    "eta_backtest",
    "historical_reorder_points",
    "inventory_state",
    "load_config",
    "read_backorder_snapshots",
    "snapshot_features",
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
