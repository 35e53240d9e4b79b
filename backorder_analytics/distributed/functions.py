"""Public functions by SKU partition on Dask (``client=``), with the numbers of one
process: the global inputs computed once on the driver, each partition's SKUs on a
worker, the results put together with the result type's ``concat``.

==========================  ====================================  ======================
function                    on the driver (global)                per partition (worker)
==========================  ====================================  ======================
``recommend_safety_stock``  lead times, daily demand              the search
``backorder_eta``           lead times; a given replay, cut       the ETAs
``backorder_risk``          lead times; the default forecast (by  the simulation
                            partition too, its global inputs
                            reduced here); a given replay, cut
``alerts``                  lead times (the alerts', the ETAs');  state, ETAs, rules
                            a given replay, cut
==========================  ====================================  ======================

What a step learns per supplier (its lateness) comes from every PO of the business,
which each partition's dataset carries (:func:`.partition.dataset_part`). A note that
counts SKUs ("3 SKU(s) without PO history") counts those of every partition. The
backtest and the lead-time fit are in :mod:`.forecast` and :mod:`.leadtime`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..exceptions import BackorderAnalyticsError, DataError
from ..forecasting.core import Forecast
from ..forecasting.demand import demand_series
from ..leadtime.lateness import supplier_lateness
from ..leadtime.model import LeadTimeModel, dataset_lead_times
from ..simulation.replay_result import ReplayResult
from ..simulation.sources import PoissonDemand
from .engine import DaskEngine, partition_labels
from .forecast import forecast_partitioned
from .partition import dataset_part, sku_partitions

__all__ = ["recommend_safety_stock_partitioned", "backorder_eta_partitioned",
           "backorder_risk_partitioned", "alerts_partitioned"]


def _split(engine: DaskEngine, ds: Dataset, skus: pd.Index, moments: Iterable[Any] = ()
           ) -> tuple[list[np.ndarray], list[str], list[Dataset]]:
    """The partitions of ``skus`` (positions, labels) and each one's rows of ``ds``,
    with the suppliers' lateness at ``moments`` computed once for all of them."""
    rows = sku_partitions(skus, engine.n_partitions)
    history = ds.supplier_history_frame()
    lateness = {ds.moment(m, "moment"): supplier_lateness(ds, m) for m in moments}
    return (rows, partition_labels(skus, rows),
            [dataset_part(ds, skus[r], history, lateness) for r in rows])


def _cut(replay: ReplayResult | None, skus) -> ReplayResult | None:
    return None if replay is None else replay.take(skus)


# ------------------------------------------------------------------ safety stock


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
    rows, labels, datasets = _split(engine, ds, wanted)
    parts = []
    for r, part in zip(rows, datasets, strict=True):
        mine = wanted[r]
        mine_fc = None if forecast is None else forecast.take(mine[mine.isin(forecast.skus)])
        parts.append((part, demand[demand["sku"].isin(mine)], mine_fc))
    results = engine.map(_recommend_part, engine.scatter(parts), lead_times, options,
                         step="safety stock", labels=labels)
    return SafetyStockRecommendation.concat(results)


# ------------------------------------------------------------------ ETAs


def _eta_part(part, lead_times, options: dict[str, Any]):
    from ..planning.eta import backorder_eta

    ds, replay = part
    return backorder_eta(ds, lead_times, replay=replay, **options)


def backorder_eta_partitioned(engine: DaskEngine, ds: Dataset,
                              lead_times: LeadTimeModel | None, *, as_of: pd.Timestamp,
                              replay: ReplayResult | None, skus, **options):
    """:func:`~backorder_analytics.backorder_eta` of ``ds`` at the moment ``as_of`` on
    ``engine`` (the options checked already)."""
    from ..planning.eta import BackorderETA, backorder_eta
    from ..planning.state import replay_for

    if lead_times is None:
        lead_times = dataset_lead_times(ds, as_of)
    if replay is not None:  # checked and cut back to as_of here, then cut by SKU
        replay = replay_for(ds, as_of, replay=replay, allocation=options["allocation"],
                            shipping=options["shipping"])
    wanted = ds.skus if skus is None else ds.skus[ds.skus.isin(list(skus))]
    rows, labels, datasets = _split(engine, ds, wanted, moments=[as_of])
    if not rows:
        return backorder_eta(ds, lead_times, as_of=as_of, replay=replay, skus=skus,
                             **options)
    parts = [(part, _cut(replay, wanted[r])) for r, part in zip(rows, datasets, strict=True)]
    results = engine.map(_eta_part, engine.scatter(parts), lead_times,
                         {**options, "as_of": as_of}, step="eta", labels=labels)
    return BackorderETA.concat(results)


# ------------------------------------------------------------------ risk


def _risk_part(part, h: int, options: dict[str, Any], lead_times):
    from ..planning.risk import simulate_risk

    ds, forecast, replay, fitted = part
    return simulate_risk(ds, h, forecast=forecast, replay=replay,
                         fitted={"forecast": fitted, "lead_times": lead_times}, **options)


def _paths_of(frame: pd.DataFrame, skus: pd.Index, days: pd.DatetimeIndex) -> pd.DataFrame:
    """The sample paths of ``skus`` in ``frame``, with a 0 on a day none of them has
    (the whole frame's table reads a missing day of a SKU as 0 too)."""
    mine = frame[frame["sku"].isin(skus).to_numpy()]
    seen = pd.DatetimeIndex(mine.loc[mine["demand"].notna().to_numpy(), "date"].unique())
    missing = days.difference(seen)
    if len(missing):
        first = mine.iloc[0]
        mine = pd.concat([mine, pd.DataFrame({"sku": first["sku"], "path": first["path"],
                                              "date": missing, "demand": 0.0})],
                         ignore_index=True)
    return mine


def backorder_risk_partitioned(engine: DaskEngine, ds: Dataset, h: int, *, forecast,
                               lead_times, as_of, n_reps: int, seed: int, reorder_points,
                               allocation, shipping, replay):
    """:func:`~backorder_analytics.backorder_risk` of ``ds`` over ``h`` days on
    ``engine`` (``h``, ``n_reps``, ``seed`` checked already)."""
    from ..planning.risk import DAY, BackorderRisk, _demand, auto_forecast, simulate_risk
    from ..planning.state import reorder_points_of, replay_for

    moment = ds.moment(as_of)
    start = moment.normalize() + DAY
    if replay is not None:
        replay = replay_for(ds, moment, replay=replay, allocation=allocation,
                            shipping=shipping)
    auto = forecast is None or isinstance(forecast, str)
    if auto:  # by partition too, its global inputs reduced here
        fc = auto_forecast(ds, moment, h, forecast, seed,
                           fit=functools.partial(forecast_partitioned, engine))
        wanted = ds.skus
    else:  # checked here as in one process; the SKUs it covers
        wanted = pd.Index(_demand(forecast, ds, moment, start, h, seed).skus, name="sku")
        if not isinstance(forecast, pd.DataFrame | Mapping | Forecast | PoissonDemand | Real):
            raise TypeError("On a cluster (client=...), a 'forecast' with sample paths must "
                            "be a Forecast or a frame (sku, path, date, demand), to be cut "
                            f"by SKU. Got {type(forecast).__name__} instead.")
        unknown = wanted.difference(ds.skus)
        if len(unknown):
            raise DataError(f"The 'forecast' covers SKUs not in the dataset: "
                            f"{list(unknown[:5])}. Fix: forecast the dataset's SKUs only.")
    if reorder_points is not None and not isinstance(reorder_points, str):
        reorder_points_of(reorder_points, pd.Index([]))  # checked here
    fitted: Any = None
    if lead_times is None:  # fitted once; its error raised where a partition needs it
        try:
            fitted = dataset_lead_times(ds, moment)
        except (BackorderAnalyticsError, ValueError, TypeError) as err:
            fitted = err
    options = {"lead_times": lead_times, "as_of": moment, "n_reps": n_reps, "seed": seed,
               "reorder_points": reorder_points, "allocation": allocation,
               "shipping": shipping}
    rows, labels, datasets = _split(engine, ds, wanted)
    if not rows:
        return simulate_risk(ds, h, forecast=forecast, replay=replay, **options)

    def part_of(mine: pd.Index) -> Any:
        """The partition's ``forecast``."""
        if isinstance(forecast, pd.DataFrame):  # sample paths
            return _paths_of(forecast, mine, pd.date_range(start, periods=h, freq="D"))
        if isinstance(forecast, Mapping):
            return {k: forecast[k] for k in mine}
        if isinstance(forecast, Forecast):
            return forecast.take(mine)
        return forecast  # None, a model name, or one source for every SKU

    parts = [(part, part_of(wanted[r]), _cut(replay, wanted[r]),
              None if not auto or fc is None else fc.take(wanted[r][wanted[r].isin(fc.skus)]))
             for r, part in zip(rows, datasets, strict=True)]
    results = engine.map(_risk_part, engine.scatter(parts), h, options, fitted,
                         step="risk", labels=labels)
    return BackorderRisk.concat(results)


# ------------------------------------------------------------------ alerts


def _alerts_part(part, options: dict[str, Any], eta_lead_times):
    from ..planning.alerts import alerts_at

    ds, replay = part
    return alerts_at(ds, ds.as_of, replay=replay, eta_lead_times=eta_lead_times, **options)


def alerts_partitioned(engine: DaskEngine, ds: Dataset, as_of: pd.Timestamp, *,
                       lead_times, replay, **options):
    """:func:`~backorder_analytics.alerts` of ``ds`` at the moment ``as_of`` on
    ``engine`` (the options checked already)."""
    from ..planning.alerts import _eta_table, alerts_at
    from ..planning.state import replay_for

    at = ds.as_at(as_of) if as_of < ds.as_of else ds
    if lead_times is None:
        lead_times = dataset_lead_times(at, as_of)
    for name, column in (("eta", "eta_p80"), ("previous_eta", "eta_p80"),
                         ("last_contacted", "contacted_at")):
        if options[name] is not None and options[name] is not False:
            _eta_table(options[name], name, column)  # checked here
    eta_lead_times = None
    if not isinstance(lead_times, LeadTimeModel):  # the ETAs' own, of every PO
        now = dataset_lead_times(at, as_of) if options["eta"] is None else None
        earlier: Any = None
        if options["previous_eta"] is None:
            when = as_of - pd.Timedelta(days=float(options["update_every_days"]))
            try:
                earlier = dataset_lead_times(at, at.moment(when))
            except (BackorderAnalyticsError, ValueError) as err:  # skips the check
                earlier = err
        eta_lead_times = (now, earlier)
    if replay is not None:
        replay = replay_for(at, as_of, replay=replay, allocation=options["allocation"],
                            shipping=options["shipping"])
    options["lead_times"] = lead_times
    moments = [as_of, as_of - pd.Timedelta(days=float(options["update_every_days"]))]
    rows, labels, datasets = _split(engine, at, at.skus, moments)
    if not rows:
        return alerts_at(at, as_of, replay=replay, eta_lead_times=eta_lead_times, **options)
    from ..planning.alerts import Alerts

    parts = [(part, _cut(replay, at.skus[r])) for r, part in zip(rows, datasets, strict=True)]
    results = engine.map(_alerts_part, engine.scatter(parts), options, eta_lead_times,
                         step="alerts", labels=labels)
    return Alerts.concat(results)
