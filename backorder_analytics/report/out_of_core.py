"""The report out of core: from a folder partitioned by SKU, on a Dask cluster,
without the dataset in any one process.

``build_report("data/", "report/", client=...)`` on a folder written with
``write_dataset(ds, "data/", partition_by="sku_hash")``. The driver never reads
the order lines or the shipments. It runs, on the workers, one task per partition
of the folder (``read_dataset(folder, partitions=[k])``):

1. **Read** the partition; its daily and weekly demand and demand classes stay on the
   worker. Back to the driver: the SKUs, the purchase orders and items (small: the
   global lead-time fit), the counts the overview and the tables summary add up
   (lines, units, first and last dates, rows per table, rejected rows), units
   ordered per SKU (which SKUs are charted), the weekly demand and the classes
   (a row per SKU and week).
2. The driver fits the **lead times** from every PO (what one process fits) and learns
   each supplier's lateness (:meth:`PlanningRun.supplier_lateness
   <backorder_analytics.planning.run.PlanningRun.supplier_lateness>`), and sends
   them, with every PO's supplier history, to the workers. The **forecast** runs by
   partition (:func:`~backorder_analytics.distributed.forecast.forecast_stages`) on the
   calendar of the whole (the earliest first order of any partition to ``as_of``),
   its global inputs (class scores, reconciliation) reduced on the driver from
   per-SKU scores and per-day sums; each partition's forecast stays on its worker.
3. **Plan**: each partition is read again and its
   :class:`~backorder_analytics.planning.run.PlanningRun` (given its forecast, demand
   and the lead times) computes the replay, safety stock, ETAs, risk and alerts. Back
   to the driver: the results a row per SKU, open line or alert (ETAs, risk, alerts,
   safety stock), the replay's digest (per-SKU rows, daily sums, the waits
   compressed: :mod:`~backorder_analytics.simulation.replay_digest`) and the forecast
   section's tables and charts of the partition
   (:func:`~backorder_analytics.report.sections.demand.forecast_report`).

The driver puts the pieces together (:class:`OutOfCoreContext`) and the sections
render them as they render a run of one process: the same tables, number for number
(tested against ``build_report(read_dataset(folder))``). What a partition holds at a
time bounds a worker's memory: write more partitions for a bigger business.

What cannot be seen by partition: keys that must be unique across SKUs (an
``order_id``/``line_id`` used by two SKUs of two partitions) are checked within each
partition only, and the row numbers of rejected rows count within the partition's
files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..data.loaders import METADATA_FILE, read_dataset
from ..data.schemas import SCHEMAS, empty_table
from ..distributed.engine import DaskEngine
from ..distributed.forecast import forecast_stages
from ..exceptions import MissingData
from ..forecasting.core import ForecastPass
from ..forecasting.demand import classify_demand, demand_series
from ..forecasting.panel import Panel, to_panel
from ..planning.alerts import Alerts
from ..planning.eta import BackorderETA
from ..planning.risk import BackorderRisk
from ..planning.run import PlanningRun
from ..planning.safety_stock import SafetyStockRecommendation
from ..planning.settings import PlanSettings
from ..simulation.replay_digest import ReplayDigest, ReplayPiece
from .config import ReportConfig, apply_as_of
from .context import Context
from .sections.demand import ForecastReport, forecast_report

__all__ = ["partitioned_folder", "out_of_core_context", "OutOfCoreContext", "OutOfCoreRun"]

STEPS = ("replay", "safety_stock", "eta", "previous_eta", "risk", "alerts")
"""The run's steps each partition computes (in order; the state and reorder rule are
computed as the others need them)."""
SHOWN_STEPS = ("replay", "safety_stock", "eta", "risk", "alerts")
"""The steps whose results the report shows (the others feed the alerts)."""


def partitioned_folder(path: str | os.PathLike) -> dict[str, Any] | None:
    """The metadata of a folder written with ``write_dataset(...,
    partition_by="sku_hash")`` (``as_of``, ``n_partitions``), None for any other."""
    meta = Path(path) / METADATA_FILE
    if not meta.is_file():
        return None
    info = json.loads(meta.read_text())
    return info if info.get("partition_by") == "sku_hash" else None


def _keys(path: Path, n_partitions: int) -> list[int]:
    """The partitions with order lines, in the order ``read_dataset(path)`` reads them
    (their folders' names sorted: ``sku_hash=10`` before ``sku_hash=2``)."""
    found = [k for k in range(n_partitions) if (path / "orders" / f"sku_hash={k}").is_dir()]
    return sorted(found, key=str)


# ---------------------------------------------------------------------- on the workers


@dataclass
class _Demand:
    """A partition's demand, kept on its worker between the stages."""

    daily: pd.DataFrame
    weekly: pd.DataFrame
    classes: pd.DataFrame


def _read(path: Path, k: int, options: dict[str, Any], as_of) -> Dataset:
    return apply_as_of(read_dataset(path, partitions=[k], **options), as_of)


def _read_part(k: int, path: Path, options: dict[str, Any], as_of) -> tuple[dict, _Demand]:
    """Stage 1: what the driver needs of partition ``k`` and its demand (kept)."""
    ds = _read(path, k, options, as_of)
    orders = ds.orders
    daily = demand_series(ds, freq="D")
    weekly = demand_series(ds, freq="W", complete_periods=True)
    demand = _Demand(daily, weekly, classify_demand(weekly))
    facts = {
        "skus": ds.skus, "purchase_orders": ds.purchase_orders, "items": ds.items,
        "rows": {name: len(table) for name, table in ds.tables().items()},
        "inventory_rows": len(ds.inventory), "rejected": ds.rejected,
        "summary": ds.summary, "shipments": ds.shipments is not None,
        "orders": {"lines": len(orders), "units": int(orders["quantity"].sum()),
                   "first": orders["order_date"].min(), "last": orders["order_date"].max()},
        "volume": orders.groupby("sku", observed=True)["quantity"].sum(),
        "first_day": daily["date"].min() if len(daily) else None,
        "weekly": weekly, "classes": demand.classes}
    return facts, demand


def _facts(stage: tuple[dict, _Demand]) -> dict:
    return stage[0]


def _forecast_pass(stage: tuple[dict, _Demand], dates: pd.DatetimeIndex,
                   options: dict[str, Any]) -> ForecastPass:
    """Stage 2: the partition's forecast pass on the whole's calendar ``dates`` (its
    series padded with NaN before the partition's first day)."""
    panel = to_panel(stage[1].daily)
    pad = np.full((len(panel.skus), len(dates) - len(panel.dates)), np.nan)
    whole = Panel(panel.skus, dates, np.hstack([pad, panel.values]), "D")
    options = dict(options)
    return ForecastPass.start(whole, options.pop("horizon"), warn=False, **options)


def _plan_part(part: tuple, path: Path, options: dict[str, Any], as_of,
               settings: PlanSettings, lead_times: Any, history: pd.DataFrame,
               lateness: dict[pd.Timestamp, Any], view: dict[str, Any]) -> dict[str, Any]:
    """Stage 3: partition ``k`` read again, its planning run, and what the report
    shows of it. ``part``: ``k``, its stage 1, its forecast and where its rows of
    each table start in the whole (the index of the whole: the supplier history's
    rows are the POs'). ``history``: every PO of the business, ``lateness``: each
    supplier's lateness learnt from them at the moments the run asks."""
    k, stage, forecast, first_row = part
    demand: _Demand = stage[1]
    ds = _read(path, k, options, as_of)
    for name, table in ds.tables().items():
        table.index = pd.RangeIndex(first_row[name], first_row[name] + len(table))
    ds.supplier_history, ds.supplier_lateness = history, lateness
    given: dict[str, Any] = {"lead_times": lead_times} if lead_times is not None else {}
    if forecast is not None:
        given["forecast"] = forecast
    run = PlanningRun(ds, settings, demand=demand.daily, weekly_demand=demand.weekly,
                      classes=demand.classes, **given)
    out: dict[str, Any] = {"missing": {}}
    for name in STEPS:
        try:
            out[name] = run.get(name)
        except MissingData as err:
            out[name], out["missing"][name] = None, str(err)
    if out["replay"] is not None:
        out["replay"] = ReplayPiece.of(out["replay"], ds.shipments is not None)
    del out["previous_eta"]
    out["forecast"] = (None if forecast is None else
                       forecast_report(forecast, view["periods"], view["weekly"],
                                       demand.weekly, demand.classes, view["charts"]))
    out["notes"] = run.notes
    return out


# ---------------------------------------------------------------------- on the driver


class OutOfCoreRun:
    """The results of the planning run the report shows, put together from the
    partitions (the attributes of a :class:`~backorder_analytics.PlanningRun` that
    the sections read); a step the data cannot support raises its
    :class:`~backorder_analytics.MissingData` when read, as in one process."""

    def __init__(self, settings: PlanSettings, results: dict[str, Any],
                 missing: dict[str, str], notes: list[str]) -> None:
        self.settings = settings
        self._results = results
        self._missing = missing
        self.notes = notes

    def get(self, name: str) -> Any:
        if self._results.get(name) is None:
            raise MissingData(self._missing.get(name, f"no {name} was computed"))
        return self._results[name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    @property
    def policy(self) -> pd.DataFrame | str:
        """As :attr:`PlanningRun.policy`."""
        if self.settings.policy.review != "continuous":
            return "history"
        points = self.get("safety_stock").reorder_points
        return points if len(points) else "history"

    def __repr__(self) -> str:
        done = [k for k, v in self._results.items() if v is not None]
        return f"OutOfCoreRun({', '.join(done)})"


class OutOfCoreContext(Context):
    """What the sections read, from the partitions' pieces (see
    :class:`~backorder_analytics.report.context.Context`)."""

    def __init__(self, run: OutOfCoreRun, config: ReportConfig, facts: list[dict],
                 light: Dataset, forecast: ForecastReport | None) -> None:
        self.run = run  # type: ignore[assignment]  # the attributes the sections read
        self.config = config
        self._facts = facts
        self._light = light
        self._forecast = forecast

    @property
    def as_of(self) -> pd.Timestamp:
        return self._light.as_of

    @cached_property
    def n_skus(self) -> int:
        return sum(len(f["skus"]) for f in self._facts)

    @property
    def sales_only(self) -> bool:
        return self._light.purchase_orders.empty and not any(
            f["inventory_rows"] for f in self._facts)

    @cached_property
    def order_facts(self) -> dict[str, Any]:
        got = [f["orders"] for f in self._facts]
        return {"lines": sum(g["lines"] for g in got), "units": sum(g["units"] for g in got),
                "first": min(g["first"] for g in got), "last": max(g["last"] for g in got)}

    @property
    def purchase_orders(self) -> pd.DataFrame:
        return self._light.purchase_orders

    @property
    def n_open_purchase_orders(self) -> int:
        return len(self._light.open_purchase_orders)

    @cached_property
    def rejected(self) -> pd.DataFrame:
        found = [f["rejected"] for f in self._facts]
        return (pd.concat([r for r in found if len(r)], ignore_index=True)
                if any(len(r) for r in found) else found[0])

    @cached_property
    def tables_summary(self) -> pd.DataFrame:
        parts = pd.concat([f["summary"] for f in self._facts])
        g = parts.groupby(level="table", sort=False)
        out = pd.DataFrame({"rows": g["rows"].sum(), "skus": g["skus"].sum(),
                            "first_date": g["first_date"].min(),
                            "last_date": g["last_date"].max(),
                            "rejected_rows": g["rejected_rows"].sum()})
        return out.astype(parts.dtypes.to_dict())

    @property
    def items(self) -> pd.DataFrame | None:
        return self._light.items

    @property
    def has_shipments(self) -> bool:
        return all(f["shipments"] for f in self._facts)

    @cached_property
    def volume(self) -> pd.Series:
        return _volume(self._facts)

    def forecast_report(self, chart_skus: list) -> ForecastReport:
        if self._forecast is None:
            raise MissingData("no order line, so no demand to forecast")
        return self._forecast


def _volume(facts: list[dict]) -> pd.Series:
    """Units ordered per SKU, largest first (ties in the SKUs' order), of every
    partition: :attr:`Context.volume`."""
    per_sku = pd.concat([f["volume"] for f in facts])
    per_sku.index = per_sku.index.astype(object)
    return per_sku.sort_index(kind="stable").sort_values(ascending=False, kind="stable")


def _light_dataset(facts: list[dict], as_of) -> Dataset:
    """The purchase orders and items of every partition, in the order
    ``read_dataset(folder)`` reads them, as a dataset without orders (what the lead
    times and the supplier history are learnt from)."""
    po = pd.concat([f["purchase_orders"] for f in facts], ignore_index=True)
    items = [f["items"] for f in facts if f["items"] is not None]
    return Dataset(orders=empty_table(SCHEMAS["orders"]), purchase_orders=po,
                   items=pd.concat(items, ignore_index=True) if items else None,
                   as_of=as_of)


def _lead_times(light: Dataset, settings: PlanSettings, skus: pd.Index) -> tuple[Any, str]:
    """The run's lead times, learnt from every PO (None and why, when none can be)."""
    run = PlanningRun(light, settings)
    try:
        lead_times = run.lead_times
    except MissingData as err:
        return None, str(err)
    if isinstance(lead_times, dict) and settings.supply.lead_time_days is not None:
        default = float(settings.supply.lead_time_days)  # every SKU, not only the POs'
        lead_times.update({s: default for s in skus if s not in lead_times})
    return lead_times, ""


def out_of_core_context(engine: DaskEngine, path: str | os.PathLike,
                        config: ReportConfig) -> OutOfCoreContext:
    """Every step of the report's planning run on ``engine``'s workers, by the
    partitions of the folder ``path``; the pieces put together for the sections."""
    path = Path(path)
    meta = partitioned_folder(path)
    if meta is None:
        raise ValueError(f"The folder {str(path)!r} is not partitioned by SKU: an "
                         "out-of-core report reads a folder written with "
                         "write_dataset(ds, folder, partition_by='sku_hash').")
    keys = _keys(path, int(meta["n_partitions"]))
    settings = config.settings
    data = config.data
    options = {"errors": data.errors, "column_map": data.column_map, **data.options}
    labels = [f"partition sku_hash={k}" for k in keys]
    stages = engine.each(_read_part, keys, path, options, config.as_of, step="read",
                         labels=labels)
    facts = engine.map(_facts, stages, step="read: totals", labels=labels)
    as_of = apply_as_of(Dataset(orders=empty_table(SCHEMAS["orders"]),
                                as_of=meta.get("as_of") or facts[0]["orders"]["last"]),
                        config.as_of).as_of
    light = _light_dataset(facts, as_of)
    skus = pd.Index(sorted(set().union(*(set(f["skus"]) for f in facts))), name="sku")
    lead_times, why = _lead_times(light, settings, skus)
    history = light.supplier_history_frame()

    # the forecast, by partition, on the calendar of the whole
    probe = PlanningRun(light, settings)
    options_fc = probe.forecast_options
    with_demand = [i for i, f in enumerate(facts) if f["first_day"] is not None]
    forecasts: list[Any] = [None] * len(keys)
    if with_demand:
        first = min(facts[i]["first_day"] for i in with_demand)
        dates = pd.date_range(first, as_of.normalize(), freq="D")
        passes = engine.each(_forecast_pass, [stages[i] for i in with_demand], dates,
                             options_fc, step="forecast: start",
                             labels=[labels[i] for i in with_demand])
        every = Panel(pd.Index([], name="sku"), dates, np.empty((0, len(dates))), "D")
        run = ForecastPass.start(every, options_fc["horizon"], warn=False,
                                 **{k: v for k, v in options_fc.items() if k != "horizon"})
        panel_skus = _panel_skus(engine, passes, [labels[i] for i in with_demand])
        whole = pd.Index(sorted(set().union(*map(set, panel_skus))), name="sku")
        rows = [whole.get_indexer(s) for s in panel_skus]
        pieces, _ = forecast_stages(engine, passes, rows, whole, run)
        for i, piece in zip(with_demand, pieces, strict=True):
            forecasts[i] = piece

    # the plan, by partition
    view = {"periods": config.forecast.periods, "weekly": config.forecast.freq == "W",
            "charts": list(_volume(facts).index[: config.report.charts])}
    starts = _first_rows([x["rows"] for x in facts])
    parts = [(k, stage, fc, first) for k, stage, fc, first
             in zip(keys, stages, forecasts, starts, strict=True)]
    done = engine.map(_plan_part, parts, path, options, config.as_of, settings, lead_times,
                      history, probe.supplier_lateness(), view, step="planning",
                      labels=labels)
    results: dict[str, Any] = {}
    missing: dict[str, str] = {}
    kinds: dict[str, Any] = {"safety_stock": SafetyStockRecommendation,
                             "eta": BackorderETA, "risk": BackorderRisk, "alerts": Alerts}
    for name in SHOWN_STEPS:
        got = [d[name] for d in done if d[name] is not None]
        why_not = [d["missing"][name] for d in done if name in d["missing"]]
        if len(got) < len(done) or not got:
            results[name] = None
            missing[name] = why_not[0] if why_not else f"no {name} was computed"
        elif name == "replay":
            results[name] = ReplayDigest.combine(got)
        else:
            results[name] = kinds[name].concat(got)
    results["lead_times"] = lead_times
    if lead_times is None:
        missing["lead_times"] = why
    results["weekly_demand"] = pd.concat([x["weekly"] for x in facts]).sort_values(
        ["sku", "date"], kind="stable", ignore_index=True)
    results["classes"] = pd.concat([x["classes"] for x in facts]).sort_index(kind="stable")
    notes = list(dict.fromkeys(n for d in done for n in d["notes"]))
    reports = [d["forecast"] for d in done if d["forecast"] is not None]
    return OutOfCoreContext(OutOfCoreRun(settings, results, missing, notes), config, facts,
                            light, ForecastReport.concat(reports) if reports else None)


def _first_rows(rows: list[dict[str, int]]) -> list[dict[str, int]]:
    """Where each partition's rows of each table start in the whole (the partitions
    in the order read_dataset reads them)."""
    out, seen = [], dict.fromkeys(rows[0], 0) if rows else {}
    for own in rows:
        out.append({name: seen.get(name, 0) for name in own})
        seen = {name: seen.get(name, 0) + own.get(name, 0) for name in {*seen, *own}}
    return out


def _skus_of(run: ForecastPass) -> pd.Index:
    return run.panel.skus


def _panel_skus(engine: DaskEngine, passes: list, labels: list[str]) -> list[pd.Index]:
    return engine.map(_skus_of, passes, step="forecast: SKUs", labels=labels)
