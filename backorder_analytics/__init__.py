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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_WHERE = {
    ".data.dataset": ("Dataset",),
    ".data.example": ("example_dataset",),
    ".data.loaders": ("Loaded", "read_dataset", "read_inventory", "read_items", "read_orders",
                      "read_purchase_orders", "read_shipments", "write_dataset"),
    ".exceptions": ("BackorderAnalyticsError", "DataError", "MissingData", "NotFittedError"),
    ".forecasting": ("BacktestResult", "Forecast", "LeadTimeDemand", "backtest", "forecast",
                     "lead_time_demand"),
    ".forecasting.demand": ("classify_demand", "demand_series"),
    ".leadtime.model": ("LeadTimeModel", "fit_lead_times"),
    ".planning.alerts": ("Alerts", "alerts"),
    ".planning.eta": ("BackorderETA", "ETABacktest", "backorder_eta", "eta_backtest"),
    ".planning.risk": ("BackorderRisk", "backorder_risk"),
    ".planning.risk_classifier": ("BackorderFeatures", "BackorderRiskClassifier",
                                  "read_backorder_snapshots", "snapshot_features"),
    ".planning.run": ("PlanningRun", "plan"),
    ".planning.safety_stock": ("SafetyStockRecommendation", "recommend_safety_stock"),
    ".planning.settings": ("PlanSettings",),
    ".planning.state": ("historical_reorder_points", "inventory_state"),
    ".planning.targets": ("CycleServiceLevel", "FillRate", "WaitTime"),
    ".report": ("ReportConfig", "build_report", "load_config"),
    ".simulation": ("BaseStock", "MinMax", "OrderUpTo", "PoissonDemand", "ReorderPoint",
                    "SimulationResult", "simulate"),
    ".simulation.replay": ("ReplayResult", "replay"),
}
"""Where each public name lives. The names are loaded on first use (PEP 562), so
``import backorder_analytics`` costs almost nothing; the module a name comes from is
imported when the name is first looked up (``ba.forecast`` imports the forecasting
package, SciPy and numba with it; the classifier alone needs scikit-learn's ensemble)."""

_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))


if TYPE_CHECKING:  # the names as static tools (type checkers, IDEs) see them
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
    from .planning.risk_classifier import (
        BackorderFeatures,
        BackorderRiskClassifier,
        read_backorder_snapshots,
        snapshot_features,
    )
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
