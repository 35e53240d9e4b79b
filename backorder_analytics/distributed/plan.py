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
from ..exceptions import MissingData
from ..forecasting.core import Forecast
from ..planning.alerts import Alerts
from ..planning.eta import BackorderETA
from ..planning.risk import BackorderRisk
from ..planning.run import PlanningRun
from ..planning.safety_stock import SafetyStockRecommendation
from ..planning.settings import PlanSettings
from ..simulation.replay_result import ReplayResult
from .engine import DaskEngine, PartitionError, partition_labels
from .forecast import forecast_partitioned
from .partition import dataset_part, sku_partitions

__all__ = ["plan_partitioned", "PARTITION_STEPS"]

PARTITION_STEPS = ("replay", "state", "reorder_rule", "safety_stock", "eta",
                   "previous_eta", "risk", "alerts")
"""The steps each partition computes (the others are global or computed before)."""


def _plan_part(part: tuple[Dataset, Forecast, pd.DataFrame], settings: PlanSettings,
               lead_times: Any) -> dict[str, Any]:
    """Every step of one partition; None for a step its data cannot have (sales only),
    which the whole run then reports as one process does, when asked."""
    ds, forecast, demand = part
    given = {"lead_times": lead_times} if lead_times is not None else {}
    run = PlanningRun(ds, settings, forecast=forecast, demand=demand, **given)
    out: dict[str, Any] = {}
    for name in PARTITION_STEPS:
        try:
            out[name] = run.get(name)
        except MissingData:
            out[name] = None
        except Exception as err:
            raise PartitionError(f"Step {name!r} failed: {type(err).__name__}: {err}") \
                from err
    out["notes"] = run.notes
    return out


def _concat(name: str, parts: list[Any], ds: Dataset) -> Any:
    """One step's results of every partition as one."""
    if any(p is None for p in parts):
        given = [p for p in parts if p is not None]
        if name != "previous_eta" or not given:  # not available for this data
            return None
        parts = given  # the ETAs of a week ago exist only where lines waited then
    if name == "replay":
        return ReplayResult.concat(parts, recorded=ds.shipments, inventory=ds.inventory)
    if name == "state":
        return pd.concat(parts).sort_index(kind="stable")
    if name == "reorder_rule":
        return pd.concat(parts).sort_values("sku", kind="stable", ignore_index=True)
    if name in ("eta", "previous_eta"):
        return BackorderETA.concat(parts)
    kinds: dict[str, type[SafetyStockRecommendation] | type[BackorderRisk] | type[Alerts]] = {
        "safety_stock": SafetyStockRecommendation, "risk": BackorderRisk, "alerts": Alerts}
    return kinds[name].concat(parts)


def plan_partitioned(engine: DaskEngine, ds: Dataset, settings: Any = None) -> PlanningRun:
    """:func:`~backorder_analytics.plan` with every step computed, on ``engine``."""
    settings = PlanSettings.of(settings)
    run = PlanningRun(ds, settings)
    try:
        lead_times = run.lead_times  # global: every PO of every supplier
    except MissingData:  # the steps that need lead times say so, as in one process
        lead_times = None
    options = run.forecast_options
    forecast = forecast_partitioned(engine, run.demand, options.pop("horizon"), **options)
    skus = ds.skus
    rows = sku_partitions(skus, engine.n_partitions)
    demand = run.demand
    history, lateness = ds.supplier_history_frame(), run.supplier_lateness()
    parts = []
    for r in rows:
        mine = skus[r]
        parts.append((dataset_part(ds, mine, history, lateness),
                      forecast.take(mine[mine.isin(forecast.skus)]),
                      demand[demand["sku"].isin(mine)]))
    results = engine.map(_plan_part, engine.scatter(parts), settings, lead_times,
                         step="planning", labels=partition_labels(skus, rows))
    given = {name: _concat(name, [r[name] for r in results], ds) for name in PARTITION_STEPS}
    given = {k: v for k, v in given.items() if v is not None}
    if lead_times is not None:
        given["lead_times"] = lead_times
    whole = PlanningRun(ds, settings, forecast=forecast, demand=demand,
                        weekly_demand=run.weekly_demand, classes=run.classes, **given)
    whole.notes.extend(dict.fromkeys(n for r in results for n in r["notes"]))
    return whole
