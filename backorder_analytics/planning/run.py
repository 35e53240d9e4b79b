"""The planning run: every fact computed once, kept, and handed to every output.

:func:`plan` ties the package's steps together in the spirit of pvlib's ``ModelChain``:
each step is computed at most once, on first use, from the steps before it; its result
stays on the :class:`PlanningRun` for inspection; any step can be given instead
(a planner with forecasts of their own passes ``forecast=``). The report, the command
line and the notebooks consume one run, so the ETAs, the risk and the alerts see the
same replay, the same lead times and the same forecast.

Steps, in order
---------------
==================  ========================================================  =========
step                what                                                       scope
==================  ========================================================  =========
``demand``          daily demand per SKU up to ``as_of``                       SKU
``weekly_demand``   complete weeks of it (charts, demand classes)             SKU
``classes``         demand class of each SKU's weekly series                  SKU
``lead_times``      lead-time distributions by supplier, open POs censored    global
``forecast``        one daily forecast with quantiles and sample paths        SKU + G
``replay``          the history replayed under the allocation and shipping    SKU
``state``           each SKU's stock position at ``as_of``                    SKU
``reorder_rule``    the ``(r, Q)`` its purchase history shows                 SKU
``safety_stock``    the recommended ``(r, Q)`` for the service target         SKU + G
``eta``             ship dates of the open backorders                         SKU + G
``previous_eta``    the same as known ``update_every_days`` before            SKU + G
``risk``            P(new backorder) within the risk horizon, with the        SKU + G
                    recommended policy replenishing
``alerts``          what needs attention today                                SKU + G
==================  ========================================================  =========

The per-SKU contract
--------------------
A "SKU" step is a pure function of one SKU's rows (orders, POs, stock counts) and of
the explicit global inputs ("G") computed before the partitions run: the lead-time
models (one fit over all POs, per supplier), each supplier's lateness over all its
POs (:meth:`PlanningRun.supplier_lateness`), and for ``model="auto"`` the
forecast's global inputs (class-mean backtest scores and the top-down reconciliation
factor, ``Forecast.globals_``). Random numbers come from
streams keyed on the SKU and the run's seed (:mod:`backorder_analytics.streams`), so
a SKU's numbers do not depend on which other SKUs are in the call. That is the
contract a distributed run of the same steps relies on to give the same numbers.

History and the time limit
--------------------------
The replay honours the cancellations the data records and applies no time limit of
its own: it is what happened. ``[policy] max_wait_days`` is a rule for what happens
next (the ETAs cancel a line still waiting at its limit; the alerts measure ageing
against it).
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import pandas as pd
from tqdm.auto import tqdm

from ..data.dataset import Dataset
from ..data.formats import release_unused_memory
from ..exceptions import BackorderAnalyticsError, MissingData
from ..forecasting.core import Forecast, forecast
from ..forecasting.demand import classify_demand, demand_series
from ..leadtime.lateness import SupplierLateness, supplier_lateness
from ..leadtime.model import LeadTimeModel, dataset_lead_times
from ..parameters import MAX_WAIT_DAYS
from ..simulation.replay import replay as replay_history
from ..simulation.replay_result import ReplayResult
from .alerts import Alerts, alerts
from .eta import ETA_QUANTILES, BackorderETA, backorder_eta
from .risk import BackorderRisk, backorder_risk
from .safety_stock import SafetyStockRecommendation, recommend_safety_stock
from .settings import PlanSettings
from .state import reorder_points_from_replay, state_from_replay

__all__ = ["PlanningRun", "plan", "STEPS", "SALES_ONLY"]

SALES_ONLY = ("Sales-only data: with no stock count (inventory) and no purchase order, "
              "there is no backorder history, stock position, ETA, risk or alert. Add "
              "inventory.csv (stock counts) and purchase_orders.csv (with received dates) "
              "to get them; the forecast and the safety stock need orders alone.")
"""Why the steps built on the replay are not available for sales-only data."""


@dataclass(frozen=True)
class Step:
    """One step of the run: its name, what it holds and the type a given value must have."""

    name: str
    what: str
    kind: type | tuple[type, ...]


STEPS: tuple[Step, ...] = (
    Step("demand", "daily demand per SKU (sku, date, demand)", pd.DataFrame),
    Step("weekly_demand", "complete weeks of demand per SKU", pd.DataFrame),
    Step("classes", "demand class per SKU (weekly series)", pd.DataFrame),
    Step("lead_times", "lead-time distributions by supplier (or days given, sales only)",
         (LeadTimeModel, float, int, dict)),
    Step("forecast", "daily forecast: mean, quantiles, sample paths", Forecast),
    Step("replay", "the history replayed", ReplayResult),
    Step("state", "stock position per SKU at as_of", pd.DataFrame),
    Step("reorder_rule", "(r, Q) per SKU as its purchase history shows", pd.DataFrame),
    Step("safety_stock", "recommended safety stock and (r, Q) per SKU",
         SafetyStockRecommendation),
    Step("eta", "ship dates of the open backorders", BackorderETA),
    Step("previous_eta", "the ETAs as known update_every_days before",
         (BackorderETA, pd.DataFrame)),
    Step("risk", "backorder risk per SKU over the risk horizon", BackorderRisk),
    Step("alerts", "what needs attention today", Alerts),
)
STEP_NAMES = tuple(s.name for s in STEPS)

LeadTimes: TypeAlias = LeadTimeModel | float | dict[str, float]
"""The ``lead_times`` step: fitted, or days given (sales-only data)."""


class PlanningRun:
    """The steps of planning for one dataset, each computed once (see :func:`plan`).

    Every step is an attribute (``run.forecast``, ``run.replay``, ``run.eta``, …)
    computed on first access from the steps it needs, or the value given to
    :func:`plan`. :meth:`compute` computes several at once with a progress bar;
    :attr:`summary` says which steps were given or computed and how long each took
    (its own time, without the steps it asked for).

    Attributes
    ----------
    ds : Dataset
    settings : PlanSettings
    notes : list of str
        What a step could not do (e.g. the ETAs of a week ago), in words.
    """

    if TYPE_CHECKING:  # the steps, properties set on the class below (_step_property)
        demand: pd.DataFrame
        weekly_demand: pd.DataFrame
        classes: pd.DataFrame
        lead_times: LeadTimes
        forecast: Forecast
        replay: ReplayResult
        state: pd.DataFrame
        reorder_rule: pd.DataFrame
        safety_stock: SafetyStockRecommendation
        eta: BackorderETA
        previous_eta: BackorderETA | pd.DataFrame | None
        risk: BackorderRisk
        alerts: Alerts

    def __init__(self, ds: Dataset, settings: Any = None, **given: Any) -> None:
        if not isinstance(ds, Dataset):
            raise TypeError(f"The 'ds' parameter must be a Dataset. Got {type(ds).__name__} "
                            "instead.")
        unknown = [k for k in given if k not in STEP_NAMES]
        if unknown:
            raise TypeError(f"plan() got an unexpected step {unknown[0]!r}. The steps are: "
                            f"{', '.join(STEP_NAMES)}.")
        self.ds = ds
        self.settings = PlanSettings.of(settings)
        self.notes: list[str] = []
        self._results: dict[str, Any] = {}
        self._seconds: dict[str, float] = {}
        self._stack: list[float] = []
        for step in STEPS:
            value = given.get(step.name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, step.kind):
                names = step.kind.__name__ if isinstance(step.kind, type) else \
                    " or ".join(k.__name__ for k in step.kind)
                raise TypeError(f"The {step.name!r} parameter must be a {names}. Got "
                                f"{type(value).__name__} instead.")
            self._results[step.name] = value
        self._given = frozenset(self._results)

    # ------------------------------------------------------------------ machinery

    def get(self, name: str) -> Any:
        """The result of step ``name``, computed now if it was not yet."""
        if name not in STEP_NAMES:
            raise KeyError(f"No step {name!r}. The steps are: {', '.join(STEP_NAMES)}.")
        if name not in self._results:
            start = time.perf_counter()
            self._stack.append(0.0)
            try:
                self._results[name] = getattr(self, f"_compute_{name}")()
            finally:
                inner = self._stack.pop()
                spent = time.perf_counter() - start
                self._seconds[name] = spent - inner
                if self._stack:
                    self._stack[-1] += spent
                else:  # a step asked for, with the steps it needed: done
                    release_unused_memory()
        return self._results[name]

    def compute(self, steps: Iterable[str] | None = None, *, progress: bool = False
                ) -> PlanningRun:
        """Compute ``steps`` (default all, in order); returns the run itself."""
        names = STEP_NAMES if steps is None else tuple(steps)
        bar = tqdm(names, desc="planning", unit="step", disable=not progress)
        for name in bar:
            bar.set_postfix_str(name)
            self.get(name)
        return self

    def computed(self, name: str) -> bool:
        """Whether step ``name`` has a result (given or computed)."""
        return name in self._results

    @property
    def summary(self) -> pd.DataFrame:
        """One row per step: ``status`` (given, computed or pending), ``seconds`` (its
        own time) and what it holds."""
        rows = []
        for step in STEPS:
            status = ("given" if step.name in self._given else
                      "computed" if step.name in self._results else "pending")
            rows.append({"step": step.name, "status": status,
                         "seconds": self._seconds.get(step.name, float("nan")),
                         "what": step.what})
        return pd.DataFrame(rows).set_index("step")

    def __repr__(self) -> str:
        s = self.summary["status"]
        done = ", ".join(f"{k} {v}" for k, v in s.value_counts().items())
        return (f"PlanningRun({len(self.ds.skus):,} SKUs as of {self.ds.as_of}: "
                f"{len(STEPS)} steps, {done})")

    def _repr_html_(self) -> str:
        return (f"<p><strong>{html.escape(repr(self))}</strong></p>"
                + self.summary.to_html(float_format=lambda v: f"{v:,.2f}"))

    # ------------------------------------------------------------------ the steps

    def _compute_demand(self) -> pd.DataFrame:
        return demand_series(self.ds, freq="D")

    def _compute_weekly_demand(self) -> pd.DataFrame:
        return demand_series(self.ds, freq="W", complete_periods=True)

    def _compute_classes(self) -> pd.DataFrame:
        return classify_demand(self.weekly_demand)

    def _compute_lead_times(self) -> LeadTimes:
        """Fitted from the purchase orders; without any received, the days given (the
        items' ``lead_time_days``, else ``[supply] lead_time_days``)."""
        po = self.ds.purchase_orders
        if "received_date" in po and po["received_date"].notna().any():
            return dataset_lead_times(self.ds)
        default = self.settings.supply.lead_time_days
        items = self.ds.items
        listed = (items.dropna(subset=["lead_time_days"]).drop_duplicates("sku")
                  if items is not None and "lead_time_days" in items else None)
        if listed is not None and len(listed):
            days = listed
            given = dict(zip(days["sku"], days["lead_time_days"].astype(float), strict=True))
            if default is not None:
                given.update({s: float(default) for s in self.ds.skus if s not in given})
            return given
        if default is not None:
            return float(default)
        raise MissingData("No purchase order was received, so there is no lead time to "
                          "learn from. Fix: set [supply] lead_time_days = <days> in the "
                          "config (or lead_times= in code), add a lead_time_days column to "
                          "the items, or add purchase_orders.csv with received dates.")

    @property
    def forecast_days(self) -> int:
        """Days the forecast covers: the forecast horizon in whole periods of its
        display frequency, and at least the risk horizon."""
        f = self.settings.forecast
        shown = f.periods * (7 if f.freq == "W" else 1)
        return max(shown, self.settings.risk.horizon)

    @property
    def forecast_options(self) -> dict[str, Any]:
        """The arguments of the run's :func:`~backorder_analytics.forecast` besides the
        demand (the same on one process and on a cluster)."""
        f = self.settings.forecast
        return {"horizon": self.forecast_days,
                "model": list(f.model) if isinstance(f.model, tuple) else f.model,
                "quantiles": f.quantiles, "seed": self.settings.seed}

    def _compute_forecast(self) -> Forecast:
        return forecast(self.demand, **self.forecast_options)

    def _compute_replay(self) -> ReplayResult:
        if self.ds.sales_only:
            raise MissingData(SALES_ONLY)
        p = self.settings.policy
        return replay_history(self.ds, allocation=p.allocation, shipping=p.shipping)

    def _compute_state(self) -> pd.DataFrame:
        return state_from_replay(self.ds, self.replay)

    def _compute_reorder_rule(self) -> pd.DataFrame:
        return reorder_points_from_replay(self.ds, self.replay)

    def _compute_safety_stock(self) -> SafetyStockRecommendation:
        s = self.settings
        return recommend_safety_stock(self.ds, self.lead_times, target=s.service.to_target(),
                                      review=s.policy.review,
                                      review_period=s.policy.review_period,
                                      n_reps=s.n_reps, seed=s.seed, n_jobs=s.n_jobs,
                                      demand=self.demand, forecast=self.forecast,
                                      progress=False)

    @property
    def eta_lead_times(self) -> LeadTimeModel | None:
        """The lead times of the ETAs: the run's when fitted; with days given, None
        (:func:`~backorder_analytics.backorder_eta` fits them from the received POs as
        of its date: an open PO's remaining time is learnt, not a number of days)."""
        if isinstance(self.lead_times, LeadTimeModel):
            return self.lead_times
        po = self.ds.purchase_orders
        if "received_date" in po and po["received_date"].notna().any():
            note = ("ETAs use lead times fitted from the received purchase orders; the "
                    "days given set the reorder rule, safety stock and risk.")
            if note not in self.notes:
                self.notes.append(note)
            return None
        raise MissingData("ETAs of open backorders need lead-time distributions learnt from "
                          "received purchase orders, and none was received: days given "
                          "cannot say when an open PO arrives. Fix: add the POs' received "
                          "dates, or pass lead_times= a fitted LeadTimeModel.")

    def _eta(self, as_of=None, skus=None) -> BackorderETA:
        s = self.settings
        replay = self.replay  # first: sales-only data say so
        return backorder_eta(self.ds, self.eta_lead_times, as_of=as_of, replay=replay,
                             quantiles=ETA_QUANTILES, max_wait_days=s.policy.max_wait_days,
                             n_reps=s.n_reps, seed=s.seed, skus=skus)

    def _compute_eta(self) -> BackorderETA:
        return self._eta()

    @property
    def previous_moment(self) -> pd.Timestamp:
        """When the previous ETAs were made: ``update_every_days`` before ``as_of``."""
        return self.ds.as_of - pd.Timedelta(days=self.settings.alerts.update_every_days)

    def supplier_lateness(self) -> dict[pd.Timestamp, SupplierLateness]:
        """Each supplier's lateness over every PO, at the moments the ETAs and the
        alerts ask (``as_of`` and :attr:`previous_moment`): a global input, which a
        distributed run computes once and sends with the partitions
        (:attr:`Dataset.supplier_lateness <backorder_analytics.Dataset>`)."""
        return {m: supplier_lateness(self.ds, m)
                for m in (self.ds.as_of, self.previous_moment)}

    def _compute_previous_eta(self) -> BackorderETA | None:
        """The ETAs of a week before, of the SKUs with lines waiting now (the only
        ones whose slip can be reported)."""
        earlier = self.previous_moment
        waiting = self.eta.lines["sku"].unique()
        try:
            return self._eta(as_of=earlier, skus=waiting)
        except (BackorderAnalyticsError, ValueError) as err:
            self.notes.append(f"No ETAs as of {earlier} to compare with: {err}")
            return None

    @property
    def policy(self) -> pd.DataFrame | str:
        """The replenishment the risk assumes: the recommended ``(r, Q)`` under
        continuous review, else the rule the history shows ("history")."""
        if self.settings.policy.review != "continuous":
            return "history"
        points = self.safety_stock.reorder_points
        return points if len(points) else "history"

    def _compute_risk(self) -> BackorderRisk:
        s = self.settings
        return backorder_risk(self.ds, s.risk.horizon, forecast=self.forecast,
                              lead_times=self.lead_times, replay=self.replay,
                              n_reps=s.n_reps, seed=s.seed, reorder_points=self.policy)

    def _compute_alerts(self) -> Alerts:
        s = self.settings
        limit = s.policy.max_wait_days if s.policy.max_wait_days is not None else MAX_WAIT_DAYS
        previous = self.previous_eta
        return alerts(self.ds, eta=self.eta, previous_eta=previous if previous is not None
                      else False, replay=self.replay, lead_times=self.lead_times,
                      reorder_points=self.safety_stock, max_wait_days=limit,
                      warn_days=s.alerts.warn_days,
                      update_every_days=s.alerts.update_every_days, n_reps=s.n_reps,
                      seed=s.seed)


def _step_property(name: str) -> property:
    what = next(s.what for s in STEPS if s.name == name)

    def get(self: PlanningRun) -> Any:
        return self.get(name)

    get.__doc__ = f"Step {name!r}: {what} (computed on first use)."
    return property(get)


for _step in STEPS:
    setattr(PlanningRun, _step.name, _step_property(_step.name))


def plan(ds: Dataset, settings: Any = None, *, compute: bool | Iterable[str] = False,
         progress: bool = False, client: Any = None, n_partitions: int | None = None,
         **given: Any) -> PlanningRun:
    """The planning run for a dataset: every step once, each result kept.

    Parameters
    ----------
    ds : Dataset
    settings : PlanSettings, dict, ReportConfig or None
        The settings (a dict shaped like ``planning.toml``: ``{"policy": {...},
        "service": {...}, "n_reps": 200, "seed": 0}``); None: the defaults.
    compute : bool or sequence of str, default False
        Compute every step now (True), these steps, or none: steps are computed on
        first use either way.
    progress : bool, default False
        A progress bar over the steps computed now.
    **given
        Any step's result, computed elsewhere: ``forecast=`` (a daily
        :class:`~backorder_analytics.Forecast` starting the day after ``as_of``),
        ``lead_times=``, ``replay=``, ``safety_stock=``, ``eta=``, … (the names in
        :data:`STEPS`). Steps after it use it.
    client : distributed.Client, str, "local" or "synchronous", optional
        Compute every step now on a Dask cluster, by partitions of the SKUs, with the
        numbers of one process (:mod:`backorder_analytics.distributed.plan`): a client,
        a scheduler address, or "local" for a cluster on this machine for the call
        (these need the ``dask`` extra); or "synchronous": the partitions one after
        another in this process (:class:`~backorder_analytics.distributed.DaskEngine`).
    n_partitions : int, optional
        With ``client``: partitions of the SKUs (default 4 per worker thread).

    Returns
    -------
    PlanningRun

    Examples
    --------
    >>> import backorder_analytics as ba
    >>> ds = ba.example_dataset(seed=0)
    >>> run = ba.plan(ds, {"policy": {"allocation": "priority"}, "n_reps": 50})
    >>> run.state.loc["SKU-0001", ["on_hand", "on_order"]].astype(int).tolist()
    [334, 0]
    >>> run.summary.loc[["replay", "state", "forecast"], "status"].tolist()
    ['computed', 'computed', 'pending']
    """
    if client is not None:
        if given:
            raise ValueError("Steps cannot be given to a distributed plan (got "
                             f"{', '.join(given)}); compute them on the cluster, or plan "
                             "without client=.")
        # imported here: dask is an optional dependency, and the module imports this one
        from ..distributed.engine import DaskEngine
        from ..distributed.plan import plan_partitioned

        with DaskEngine(client, n_partitions, progress=progress) as engine:
            return plan_partitioned(engine, ds, settings)
    run = PlanningRun(ds, settings, **given)
    if compute:
        run.compute(None if compute is True else compute, progress=progress)
    return run

