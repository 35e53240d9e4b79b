"""backorder_analytics: backorder analytics for inventory planners.

Load and validate order, purchase-order and inventory history; turn it into demand
series and classify demand; forecast demand per SKU with probabilistic output and
estimate supplier lead times from purchase orders, open ones included; replay the
backorder queue of the past, simulate it under replenishment policies and recommend
safety stock; give ETAs for open backorders, backorder risk per SKU and alerts; and
write the planner's report (HTML, Excel, CSV).

The package is laid out by concept: ``data`` (schemas, the Dataset, loaders, validation,
the example generator), ``forecasting`` (demand series and classes, models, backtest,
distributions), ``leadtime`` (censored lead-time models), ``simulation`` (the engines,
Monte Carlo, the historical replay), ``planning`` (formulas and targets, safety stock,
stock state, ETAs, risk, alerts, the planning run) and ``report``. The names below are
the public API; they do not move when modules do.
"""

from .data.dataset import Dataset
from .data.example import example_dataset
from .data.loaders import (
    Loaded,
    read_dataset,
    read_inventory,
    read_items,
    read_orders,
    read_purchase_orders,
    read_shipments,
    write_dataset,
)
from .exceptions import BackorderAnalyticsError, DataError, MissingData, NotFittedError
from .forecasting import (
    BacktestResult,
    Forecast,
    LeadTimeDemand,
    backtest,
    forecast,
    lead_time_demand,
)
from .forecasting.demand import classify_demand, demand_series
from .leadtime.model import LeadTimeModel, fit_lead_times
from .planning.alerts import Alerts, alerts
from .planning.eta import BackorderETA, ETABacktest, backorder_eta, eta_backtest
from .planning.risk import BackorderRisk, backorder_risk
from .planning.run import PlanningRun, plan
from .planning.safety_stock import SafetyStockRecommendation, recommend_safety_stock
from .planning.settings import PlanSettings
from .planning.state import historical_reorder_points, inventory_state
from .planning.targets import CycleServiceLevel, FillRate, WaitTime
from .report import ReportConfig, build_report, load_config
from .simulation import (
    BaseStock,
    MinMax,
    OrderUpTo,
    PoissonDemand,
    ReorderPoint,
    SimulationResult,
    simulate,
)
from .simulation.replay import ReplayResult, replay

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
    "SafetyStockRecommendation",
    "PlanningRun",
    "PlanSettings",
    "plan",
    "replay",
    "simulate",
    "BacktestResult",
    "DataError",
    "Dataset",
    "Forecast",
    "LeadTimeDemand",
    "LeadTimeModel",
    "Loaded",
    "MissingData",
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

_CLASSIFIER = ("BackorderFeatures", "BackorderRiskClassifier", "read_backorder_snapshots",
               "snapshot_features")
"""Loaded on first use (PEP 562): they need scikit-learn, whose import costs about a
second and 100 MB, which a planning run without the classifier does not pay."""


def __getattr__(name: str):
    if name in _CLASSIFIER:
        from .planning import risk_classifier

        return getattr(risk_classifier, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_CLASSIFIER))
