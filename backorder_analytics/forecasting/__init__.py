"""Forecasting: numpy kernels vectorised across SKUs, automatic model selection by
rolling-origin backtest, accuracy metrics, and forecast distributions (quantiles,
sample paths, demand over a random lead time).

Importing this package registers every kernel in :data:`MODELS`.

Examples
--------
>>> from backorder_analytics.forecasting import MODELS
>>> {"naive", "zero", "global_gbm"} <= set(MODELS)
True
"""

from . import (  # noqa: F401  (register the kernels)
    baseline,
    global_model,
    intermittent,
    smoothing,
)
from .backtest import BacktestResult, backtest
from .base import MODELS, KernelFit, ModelSpec, register
from .core import Forecast, ForecastGlobals, forecast
from .lead_time_demand import LeadTimeDemand, lead_time_demand
from .reconcile import Reconciliation

__all__ = [
    "MODELS",
    "BacktestResult",
    "Forecast",
    "ForecastGlobals",
    "KernelFit",
    "LeadTimeDemand",
    "ModelSpec",
    "Reconciliation",
    "backtest",
    "forecast",
    "lead_time_demand",
    "register",
]
