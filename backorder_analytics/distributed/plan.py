"""The planning run on Dask: the global inputs on the driver, every SKU step by
partition on the workers, the results put together as one run.

1. **Lead times** (global): one fit over all POs, on the driver.
2. **Demand** on the dataset's calendar, then the **forecast** by partition with its
   global inputs reduced on the driver (:mod:`.forecast`).
3. **Per partition**, on a worker: the partition's rows of the dataset, its forecast
   and the lead-time models go into a :class:`~backorder_analytics.planning.run.PlanningRun`
   that computes the replay, state, reorder rule, safety stock, ETAs (now and a week
   before), risk and alerts.
4. The partitions' results are put together (``concat`` of each result type) into
   one run whose steps are all given: the report and every output read it as they
   read a run of one process, and find the same numbers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..data.dataset import Dataset
from ..forecasting.core import Forecast
from ..leadtime.model import LeadTimeModel
from ..planning.alerts import Alerts
from ..planning.eta import BackorderETA
from ..planning.risk import BackorderRisk
from ..planning.run import PlanningRun
from ..planning.safety_stock import SafetyStockRecommendation
from ..planning.settings import PlanSettings
from ..simulation.replay_result import ReplayResult
from .engine import DaskEngine, partition_labels
from .forecast import forecast_partitioned
from .partition import dataset_part, sku_partitions

__all__ = ["plan_partitioned", "PARTITION_STEPS"]

PARTITION_STEPS = ("replay", "state", "reorder_rule", "safety_stock", "eta",
                   "previous_eta", "risk", "alerts")
"""The steps each partition computes (the others are global or computed before)."""


def _plan_part(part: tuple[Dataset, Forecast, pd.DataFrame], settings: PlanSettings,
               lead_times: LeadTimeModel) -> dict[str, Any]:
    ds, forecast, demand = part
    run = PlanningRun(ds, settings, lead_times=lead_times, forecast=forecast, demand=demand)
    run.compute(PARTITION_STEPS)
    out = {name: run.get(name) for name in PARTITION_STEPS}
    out["notes"] = run.notes
    return out


def _concat(name: str, parts: list[Any], ds: Dataset) -> Any:
    """One step's results of every partition as one."""
    if name == "replay":
        return ReplayResult.concat(parts, recorded=ds.shipments, inventory=ds.inventory)
    if name == "state":
        return pd.concat(parts).sort_index(kind="stable")
    if name == "reorder_rule":
        return pd.concat(parts).sort_values("sku", kind="stable", ignore_index=True)
    if name in ("eta", "previous_eta"):
        given = [p for p in parts if p is not None]
        return BackorderETA.concat(given) if given else None
    kinds = {"safety_stock": SafetyStockRecommendation, "risk": BackorderRisk,
             "alerts": Alerts}
    return kinds[name].concat(parts)


def plan_partitioned(engine: DaskEngine, ds: Dataset, settings: Any = None) -> PlanningRun:
    """:func:`~backorder_analytics.plan` with every step computed, on ``engine``."""
    settings = PlanSettings.of(settings)
    run = PlanningRun(ds, settings)
    lead_times = run.lead_times  # global: every PO of every supplier
    f = settings.forecast
    model = list(f.model) if isinstance(f.model, tuple) else f.model
    forecast = forecast_partitioned(engine, run.demand, run.forecast_days, model=model,
                                    quantiles=f.quantiles, seed=settings.seed)
    skus = ds.skus
    rows = sku_partitions(skus, engine.n_partitions)
    demand = run.demand
    history = ds.supplier_history_frame()
    parts = []
    for r in rows:
        mine = skus[r]
        parts.append((dataset_part(ds, mine, history),
                      forecast.take(mine[mine.isin(forecast.skus)]),
                      demand[demand["sku"].isin(mine)]))
    results = engine.map(_plan_part, engine.scatter(parts), settings, lead_times,
                         step="planning", labels=partition_labels(skus, rows))
    given = {name: _concat(name, [r[name] for r in results], ds) for name in PARTITION_STEPS}
    given = {k: v for k, v in given.items() if v is not None}
    whole = PlanningRun(ds, settings, lead_times=lead_times, forecast=forecast,
                        demand=demand, weekly_demand=run.weekly_demand, classes=run.classes,
                        **given)
    whole.notes.extend(dict.fromkeys(n for r in results for n in r["notes"]))
    return whole
