"""Which SKUs will go on backorder soon: :func:`backorder_risk`, by Monte Carlo.

From each SKU's state at ``as_of`` (stock on hand, units already backordered, open
purchase orders) the next ``horizon`` days are simulated ``n_reps`` times, day by day,
with demand from forecast sample paths and arrival times of the open POs from the
lead-time model. A machine-learning alternative for SKU snapshots is in
:mod:`backorder_analytics.planning.risk_classifier`.

Conventions
-----------
Days
    Day 1 is the calendar day after ``as_of``'s day; day ``k`` runs from
    ``as_of.normalize() + k − 1`` to ``+ k`` days. Within a day: receipts first, then
    the day's demand, then the review of a reorder point (DESIGN.md §4).
State at ``as_of``
    From :func:`~backorder_analytics.replay` of the history up to ``as_of`` (by the
    ``allocation`` and ``shipping`` rules, by default those of a ``replay`` given, else
    FIFO and partial): ``on_hand`` is the replay's end stock, ``backordered_now`` the
    units of order lines still open. ``on_order`` is the quantity of POs ordered at
    or before ``as_of`` and not received by it. Cancellations after ``as_of`` are not
    simulated.
New backorders, partial shipping
    Stock is on hand only while no line waits. A unit of new
    demand is *backordered* when it finds no stock at once: on day ``t`` with net stock
    ``N`` after the day's receipts, ``max(d_t − max(N, 0), 0)`` of the day's ``d_t``
    units are. This does not depend on the allocation rule (the rule only decides who
    gets later receipts). The total over the horizon is ``(D_h − s)^+`` for stock
    ``s`` and no receipts, the loss function of ``D_h``.
New backorders, complete shipping
    A line ships only whole and lines wait behind the head of the queue in allocation
    order, so stock can be on hand while lines wait. A new line is backordered, all
    its units, unless it would head the queue (no waiting line comes before it in
    allocation order) and the stock covers it; a receipt ships the head of the queue
    while the stock covers it (:mod:`~backorder_analytics.planning.complete_shipping`,
    simulated line by line from the open lines at ``as_of``). Under ``"priority"``
    a new line's priority is drawn from the SKU's mix of priorities up to ``as_of``
    (one priority for a SKU without lines: first come, first served), independently
    of its size. The net stock
    ``N`` (on hand − backordered) and so the reorders are those of partial shipping;
    on a day with ``d_t <= N`` no line waits and all ``d_t`` units ship.
Lines (customers affected)
    With :class:`~backorder_analytics.PoissonDemand` the lines are simulated (each day
    a Poisson number of lines, sizes from its ``size``, in random order); a line is
    affected when any of its units is backordered. Forecast paths give units per day
    only: a day with ``d`` units, ``a < d`` of them available, is given the split into
    lines of a simulated day of the same total, drawn from the SKU's own line sizes
    (its history up to ``as_of``) at the forecast's line rate, and (partial shipping)
    the lines ending beyond ``a`` are affected
    (:mod:`~backorder_analytics.planning.line_bank`); under complete shipping those
    lines, in their order, go through the queue.
Open purchase orders
    Arrive at ``order_date + L`` with ``L`` drawn from the lead-time model conditional on
    ``L > age`` (the PO is still open at ``as_of``): ``L = F⁻¹(U)``, ``U`` uniform on
    ``(F(age), 1)``, with ``F`` the distribution of the PO's group (its supplier by
    default). ``lead_times="expected"`` uses ``expected_date`` instead, a number a fixed
    lead time; a PO that should already have arrived arrives on day 1.
Replenishment
    By default each SKU reorders by the rule its purchase history shows
    (``reorder_points="history"``); ``reorder_points=None`` places no new order (the
    risk if nothing more is ordered). At the end of each day a SKU whose
    inventory position (net stock + on order) is at or below ``r`` orders the smallest
    multiple of ``Q`` that lifts it above ``r`` (the policy of
    :func:`~backorder_analytics.example_dataset`), arriving after a lead time drawn
    from the SKU's group (for ``"expected"``: the median quoted lead time of its POs).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, cast

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..exceptions import DataError
from ..forecasting.core import forecast as make_forecast
from ..forecasting.demand import demand_series
from ..leadtime.draws import draw as draw_lead_time
from ..leadtime.draws import draw_given, quantile_table
from ..leadtime.model import LeadTimeModel, dataset_lead_times
from ..parameters import MONTE_CARLO_REPS, SEED, check_horizon, check_n_reps, check_seed
from ..simulation.replay_result import ReplayResult
from ..simulation.sources import PoissonDemand, round_units
from ..streams import row_uniforms, sku_rng
from .complete_shipping import complete_shipping_backorders, draw_levels, priority_levels
from .line_bank import LineBank
from .parts import concat_rows
from .state import (
    reorder_points_from_replay,
    reorder_points_of,
    replay_for,
    state_from_replay,
)

__all__ = ["backorder_risk", "BackorderRisk", "RISK_BANDS"]

DAY = pd.Timedelta(days=1)
CHUNK_CELLS = 500_000
"""SKUs are simulated in blocks of at most this many SKU × replication × day cells
(about 8 MB per array of the block; the results do not depend on it: every draw comes
from its SKU's own stream)."""
RISK_BANDS = (("high", 0.5), ("medium", 0.1), ("low", 0.0))
"""Bands of ``p_backorder`` in :attr:`BackorderRisk.summary`: at least 0.5, 0.1, 0."""


# ---------------------------------------------------------------------------- demand


@dataclass
class _Demand:
    """Daily demand of the SKUs analysed: ``draw(rows, n, h, rng) -> (units, lines)``,
    units ``(k, n, h)`` and, for simulated lines, ``(cell, cumulative units in cell)``."""

    skus: pd.Index
    mean: np.ndarray
    draw: Any
    describe: str


def _poisson_demand(sources: dict, h: int) -> _Demand:
    srcs = list(sources.values())
    for src in srcs:  # validates the rate (raises like PoissonDemand.generate)
        src.generate(1, 1e-9, np.random.default_rng(0))
    rate = np.array([src.rate for src in srcs], float)
    size = [1.0 if src.size is None else float(src.size) if isinstance(src.size, Real)
            else float(src.size.mean() if hasattr(src.size, "rvs") else np.mean(src.size))
            for src in srcs]

    skus = pd.Index(list(sources))

    def draw(rows, n, h, seed):
        count = np.empty((len(rows), n, h), np.int64)
        drawn = []
        for j, r in enumerate(rows):  # each SKU's lines and sizes from its own stream
            rng = sku_rng(seed, skus[r], "risk_demand")
            count[j] = rng.poisson(rate[r], (n, h))
            drawn.append(srcs[r]._sizes(int(count[j].sum()), rng))
        cell = np.repeat(np.arange(count.size), count.ravel())
        sizes = np.concatenate(drawn) if drawn else np.zeros(0, np.int64)
        units = np.bincount(cell, sizes, count.size).astype(np.int64)
        before = np.concatenate([[0], np.cumsum(units)])[cell]
        return units.reshape(count.shape), (cell, np.cumsum(sizes) - before)

    return _Demand(skus, rate * np.array(size), draw, "PoissonDemand")


def _path_frame(frame: pd.DataFrame, start: pd.Timestamp, h: int) -> _Demand:
    need = {"sku", "path", "date", "demand"}
    if not need <= set(frame.columns):
        raise DataError(f"The 'forecast' frame must have the columns {sorted(need)} (as "
                        f"Forecast.paths(as_frame=True) returns). Got {list(frame.columns)} "
                        "instead.")
    cube = frame.pivot_table(index=["sku", "path"], columns="date", values="demand",
                             aggfunc="sum")
    days = pd.date_range(start, periods=h, freq="D")
    missing = days.difference(pd.DatetimeIndex(cube.columns))
    if len(missing):
        raise DataError(f"The 'forecast' paths must cover the horizon {days[0].date()} to "
                        f"{days[-1].date()}; {len(missing)} day(s) are missing, the first "
                        f"{missing[0].date()}. Fix: forecast from the day after as_of.")
    cube = cube[days]
    skus = cube.index.get_level_values("sku").unique()
    n_paths = cube.groupby(level="sku").size()
    if n_paths.nunique() != 1:
        raise DataError("The 'forecast' frame must have the same number of paths for every "
                        f"SKU. Got between {n_paths.min()} and {n_paths.max()}.")
    arr = np.nan_to_num(cube.to_numpy(float)).reshape(len(skus), int(n_paths.iloc[0]), h)

    def draw(rows, n, h, seed):
        if arr.shape[1] < n:
            raise ValueError(f"The 'forecast' frame has {arr.shape[1]} paths per SKU, fewer "
                             f"than n_reps={n}; replication r uses path r. Pass more paths "
                             "or fewer n_reps.")
        return _whole_units(arr[rows, :n], skus[rows], seed), None

    return _Demand(pd.Index(skus), arr.mean(axis=(1, 2)), draw, f"{arr.shape[1]} sample paths")


def _whole_units(x: np.ndarray, skus, seed: int) -> np.ndarray:
    """Paths (k, n, h) rounded to whole units at random, each SKU from its own stream."""
    out = np.empty(x.shape, np.int64)
    for j, sku in enumerate(skus):
        out[j] = round_units(x[j], sku_rng(seed, sku, "risk_round"))
    return out


def _forecast_demand(fc, start: pd.Timestamp, h: int, describe: str) -> _Demand:
    dates = pd.DatetimeIndex(fc.dates)
    if len(dates) < h or dates[0] != start or (len(dates) > 1 and dates[1] - dates[0] != DAY):
        raise ValueError(f"The 'forecast' parameter must be a daily Forecast starting on "
                         f"{start.date()} (the day after as_of) with a horizon of at least "
                         f"{h} days. Got {len(dates)} periods from "
                         f"{dates[0].date() if len(dates) else '-'} instead.")

    def draw(rows, n, h, seed):
        paths = fc.paths(n, seed=seed, skus=fc.skus[rows])
        return _whole_units(np.asarray(paths)[:, :, :h], fc.skus[rows], seed), None

    return _Demand(pd.Index(fc.skus), np.asarray(fc.mean)[:, :h].mean(axis=1), draw, describe)


def auto_forecast(ds: Dataset, as_of, h: int, model: str | None, seed: int,
                  fit: Any = make_forecast) -> Any:
    """The forecast behind ``forecast=None`` or a model name: ``fit`` (default
    :func:`~backorder_analytics.forecast`) of the daily demand up to ``as_of``, without
    quantiles; None when no line was ordered by then."""
    orders = ds.orders[ds.orders["order_date"] <= as_of]
    if orders.empty:
        return None
    y = demand_series(orders, freq="D", as_of=as_of)
    return fit(y, h, model=model or "auto", quantiles=(), seed=seed)


def _demand(forecast, ds: Dataset, as_of, start, h, seed, fitted: Any = False) -> _Demand:
    """The demand the SKUs are simulated with; ``fitted``: the :func:`auto_forecast`
    of ``forecast`` (None or a name) when made already (on a partition of the SKUs:
    that of all the SKUs, restricted to the partition's)."""
    if isinstance(forecast, PoissonDemand | Real):
        src = forecast if isinstance(forecast, PoissonDemand) else PoissonDemand(float(forecast))
        return _poisson_demand(dict.fromkeys(ds.skus, src), h)
    if isinstance(forecast, Mapping):
        bad = [k for k, v in forecast.items() if not isinstance(v, PoissonDemand)]
        if bad:
            raise TypeError(f"The 'forecast' mapping must map SKUs to PoissonDemand. Got "
                            f"{type(forecast[bad[0]]).__name__} for {bad[0]!r} instead.")
        return _poisson_demand(dict(forecast), h)
    if isinstance(forecast, pd.DataFrame):
        return _path_frame(forecast, start, h)
    if hasattr(forecast, "paths") and hasattr(forecast, "dates"):
        return _forecast_demand(forecast, start, h, "the forecast given")
    if forecast is None or isinstance(forecast, str):
        fc = auto_forecast(ds, as_of, h, forecast, seed) if fitted is False else fitted
        if fc is None:
            return _poisson_demand({}, h)
        return _forecast_demand(fc, start, h, f"forecast(model={forecast or 'auto'!r})")
    raise TypeError("The 'forecast' parameter must be None, a model name, a Forecast, a frame "
                    "of sample paths (sku, path, date, demand), a PoissonDemand, a mapping "
                    f"of SKU to PoissonDemand or a rate. Got {type(forecast).__name__} "
                    "instead.")


# ------------------------------------------------------------------------ lead times


def _lead_model(lead_times, ds: Dataset, as_of, fitted: Any = None) -> Any:
    """The lead times to draw from; ``fitted``: the default model, fitted already
    (on a partition of the SKUs: from all POs), or the error fitting it raised."""
    if lead_times is None:
        if isinstance(fitted, Exception):
            raise fitted
        return dataset_lead_times(ds, as_of) if fitted is None else fitted
    if isinstance(lead_times, str) and lead_times == "expected":
        return lead_times
    if isinstance(lead_times, LeadTimeModel | Real) and not isinstance(lead_times, bool):
        return lead_times
    raise TypeError("The 'lead_times' parameter must be None, a LeadTimeModel, 'expected' "
                    f"or a number of days. Got {lead_times!r} instead.")


def _arrivals(po: pd.DataFrame, lt, as_of, start, n, seed) -> np.ndarray:
    """Arrival instants of the open POs, as days after ``start`` [float], (n_po, n):
    a lead time given the PO's age, at uniforms from the stream of the PO's SKU."""
    order = ((po["order_date"] - start) / DAY).to_numpy(float)
    if isinstance(lt, str):
        if "expected_date" not in po or po["expected_date"].isna().any():
            raise DataError("lead_times='expected' needs an expected_date on every open "
                            "purchase order. Fix: fill it, or pass lead_times=None.")
        t = ((po["expected_date"] - start) / DAY).to_numpy(float)[:, None]
        return np.broadcast_to(t, (len(po), n)).copy()
    if isinstance(lt, Real):
        return np.broadcast_to((order + float(lt))[:, None], (len(po), n)).copy()
    age = ((as_of - po["order_date"]) / DAY).to_numpy(float)
    groups = lt.groups_for(po["sku"], po.get("supplier_id", [None] * len(po)))
    labels, g = np.unique(np.array(groups, dtype=object).astype(str), return_inverse=True)
    first = [groups[np.flatnonzero(g == k)[0]] for k in range(len(labels))]
    table = quantile_table(lt, first)
    u = row_uniforms(seed, po["sku"], "risk_po", (n,))
    rows = np.repeat(np.arange(len(po)), n)
    lead = draw_given(table, g[rows], age[rows], u.ravel()).reshape(len(po), n)
    return order[:, None] + lead


def _new_leads(lt, skus, suppliers, po_all: pd.DataFrame, shape, seed) -> np.ndarray:
    """Lead times [days] of replenishment orders placed at the end of each day, from
    each SKU's own stream."""
    if isinstance(lt, Real):
        return np.full(shape, float(lt))
    if isinstance(lt, str):
        if "expected_date" not in po_all:
            raise DataError("lead_times='expected' with reorder_points needs the "
                            "purchase_orders column expected_date (for quoted lead times).")
        quoted = cast("pd.Series[pd.Timedelta]",
                      po_all["expected_date"] - po_all["order_date"]) / DAY
        per = quoted.groupby(po_all["sku"]).median().reindex(skus).fillna(quoted.median())
        return np.broadcast_to(per.to_numpy(float)[:, None, None], shape).copy()
    groups = lt.groups_for(skus, suppliers)
    labels, g = np.unique(np.array(groups, dtype=object).astype(str), return_inverse=True)
    first = [groups[np.flatnonzero(g == k)[0]] for k in range(len(labels))]
    table = quantile_table(lt, first)
    u = np.stack([sku_rng(seed, s, "risk_lead").random(shape[1:]) for s in skus])
    rows = np.broadcast_to(g[:, None, None], shape)
    return draw_lead_time(table, rows.ravel(), u.ravel()).reshape(shape)


# ---------------------------------------------------------------------------- kernels


def _available_fixed(net0, units, rec):
    """Stock available to new demand on each day after its receipts, (k, n, h): the
    net stock ``net0 + R_t − D_{t−1}``, floored at 0 (no replenishment)."""
    before = np.cumsum(units, axis=-1) - units
    return np.maximum(net0[:, None, None] + np.cumsum(rec, axis=-1) - before, 0)


def _available_reorder(net0, units, rec, pipeline0, r, q, leads):
    """As :func:`_available_fixed` with a daily ``(r, Q)`` review on the inventory
    position; loops over days, vectorised across SKUs and replications. Returns the
    available stock and the receipts, those of the new orders within the horizon
    added."""
    k, n, h = units.shape
    rec = rec.copy()
    net = np.broadcast_to(net0[:, None], (k, n)).astype(np.int64)
    pipe = np.broadcast_to(pipeline0[:, None], (k, n)).astype(np.int64)
    avail = np.empty_like(units)
    ii, jj = np.indices((k, n))
    for t in range(h):
        net = net + rec[:, :, t]
        pipe = pipe - rec[:, :, t]
        avail[:, :, t] = np.maximum(net, 0)
        net = net - units[:, :, t]
        pos = net + pipe
        low = pos <= r[:, None]
        qty = np.where(low, (np.floor((r[:, None] - pos) / q[:, None]) + 1) * q[:, None], 0)
        qty = qty.astype(np.int64)
        pipe = pipe + qty
        day = t + 1 + np.floor(leads[:, :, t]).astype(np.int64)  # 0-based index of arrival
        inside = (qty > 0) & (day < h)
        np.add.at(rec.reshape(-1), np.ravel_multi_index(  # (flat: numpy's fast path)
            (ii[inside], jj[inside], day[inside]), rec.shape), qty[inside])
    return avail, rec


def _short_day_banks(units, avail, skus, mean, sizes_of, seed):
    """Per SKU ``j`` of the block with days short of stock: ``(j, rep, day, bank, u)``,
    its short days, its :class:`~.line_bank.LineBank` at its forecast level and one
    uniform per short day, from its own stream."""
    short = units > avail
    for j, sku in enumerate(skus):
        rep, day = np.nonzero(short[j])
        if not len(rep):
            continue
        rng = sku_rng(seed, sku, "risk_lines")
        sizes = sizes_of.get(sku, np.ones(1, np.int64))
        bank = LineBank(sizes, mean[j] / float(np.mean(sizes)), rng)
        yield j, rep, day, bank, rng.random(len(rep))


def _lines_hit(units, avail, skus, mean, sizes_of, seed) -> np.ndarray:
    """Lines affected per SKU and replication, summed over the days, when demand comes
    in units: each SKU's :class:`~.line_bank.LineBank` at its forecast level."""
    hit = np.zeros(units.shape[:2])
    for j, rep, day, bank, u in _short_day_banks(units, avail, skus, mean, sizes_of, seed):
        d = units[j, rep, day]
        hits = bank.lines_hit(d, np.minimum(avail[j, rep, day], d), u)
        hit[j] = np.bincount(rep, hits, len(hit[j]))
    return hit


def _day_lines(units, avail, skus, mean, sizes_of, seed):
    """The new lines ``(cell, day, size)`` of a block when demand comes in units, sorted
    by cell (``row · n + replication``), day and arrival: a day short of stock split by
    the SKU's :class:`~.line_bank.LineBank` (as :func:`_lines_hit` does), a day within
    the available stock as one line (no line waits then and all of it ships)."""
    k, n, h = units.shape
    whole = np.flatnonzero(((units > 0) & (units <= avail)).ravel())
    cells, sizes = [whole], [units.ravel()[whole]]
    for j, rep, day, bank, u in _short_day_banks(units, avail, skus, mean, sizes_of, seed):
        which, size = bank.split(units[j, rep, day], u)
        cells.append((j * n + rep[which]) * h + day[which])
        sizes.append(size)
    cell_day, size = np.concatenate(cells), np.concatenate(sizes)
    order = np.argsort(cell_day, kind="stable")
    return cell_day[order] // h, cell_day[order] % h, size[order]


def _explicit_lines(lines, h):
    """The simulated lines ``(cell, cumulative end in its (k, n, h) cell)`` of
    :class:`~backorder_analytics.PoissonDemand` as ``(cell, day, size)``."""
    cell_day, end = lines
    start = np.concatenate([[True], cell_day[1:] != cell_day[:-1]])
    size = end - np.where(start, 0, np.concatenate([[0], end[:-1]]))
    return cell_day // h, cell_day % h, size


def _complete_shipping(units, avail, rec, lines, rows, queue, on_hand, skus, mean,
                       sizes_of, seed):
    """Per day and SKU × replication, the units of new lines not shipped at once, and
    per SKU × replication those lines, under complete shipping
    (:mod:`~.complete_shipping`), for the block of SKUs ``rows`` (consecutive);
    ``queue``: the :func:`~.complete_shipping.priority_levels` of all the SKUs."""
    (w_row, w_level, w_size), shares = queue
    mine = (w_row >= rows[0]) & (w_row <= rows[-1])
    waiting = (w_row[mine] - rows[0], w_level[mine], w_size[mine])
    cell, day, size = (_day_lines(units, avail, skus, mean, sizes_of, seed) if lines is None
                       else _explicit_lines(lines, units.shape[-1]))
    level = draw_levels(shares[rows], cell // units.shape[1], skus, seed)
    return complete_shipping_backorders(on_hand, rec, waiting, (cell, day, level, size),
                                        shares.shape[1])


# ---------------------------------------------------------------------------- public


def backorder_risk(ds: Dataset, horizon: int = 28, *, forecast: Any = None,
                   lead_times: Any = None, as_of: Any = None,
                   n_reps: int = MONTE_CARLO_REPS, seed: int = SEED,
                   reorder_points: Any = "history", allocation: str | None = None,
                   shipping: str | None = None, replay: ReplayResult | None = None,
                   client: Any = None, n_partitions: int | None = None) -> BackorderRisk:
    """Per SKU: the chance of a new backorder within ``horizon`` days, and how bad it is.

    Simulates the next ``horizon`` days ``n_reps`` times from the state at ``as_of``
    (see the module docstring for every convention): demand from forecast sample
    paths, open POs arriving after lead times drawn conditional on their age, optional
    replenishment at a reorder point.

    Parameters
    ----------
    ds : Dataset
    horizon : int, default 28
        Days simulated [days].
    forecast : optional
        Daily demand [units per day]: None (``ba.forecast(model="auto")`` of the daily
        demand up to ``as_of``), a model name for :func:`~backorder_analytics.forecast`,
        a daily :class:`~backorder_analytics.Forecast` starting the day after
        ``as_of``, a frame ``sku, path, date, demand`` of sample paths (at least
        ``n_reps`` per SKU), a :class:`~backorder_analytics.PoissonDemand` for every SKU,
        a mapping of SKU to PoissonDemand, or a rate [unit lines per day]. The SKUs
        analysed are those it covers (all SKUs for None, a name or one source).
    lead_times : LeadTimeModel, "expected" or float, optional
        Default :func:`~backorder_analytics.fit_lead_times` by supplier.
    as_of : date-like, optional
        Default ``ds.as_of``; a date without a time of day means the end of that day.
    n_reps : int, default 1000
        Replications.
    seed : int, default 0
    reorder_points : "history", pandas.DataFrame, mapping, SafetyStockRecommendation or None
        The replenishment during the horizon. ``"history"`` (default): each SKU
        reorders by the rule its purchase history shows
        (:func:`~backorder_analytics.planning.state.historical_reorder_points`, the
        rule :func:`~backorder_analytics.backorder_eta` uses too). A frame with columns
        ``sku, r, Q`` [units] (e.g. ``ds.truth["policy"]``), ``{sku: (r, Q)}``, or a
        :class:`~backorder_analytics.planning.safety_stock.SafetyStockRecommendation` (its
        ``reorder_point`` and ``order_quantity``): the policy to test. ``None``: no new
        orders — the risk if nothing more is ordered. SKUs not listed do not reorder.
    allocation : {"fifo", "priority"}, optional
        Replay rule that rebuilds the state at ``as_of`` (see
        :func:`~backorder_analytics.planning.state.inventory_state`), and under
        complete shipping the order the queue is served in. Default: the ``replay``'s
        rule when one is given, else "fifo".
    shipping : {"partial", "complete"}, optional
        Whether a line ships in part or only whole (DESIGN.md §4), for the replay and
        for the new backorders (module docstring). Default: the ``replay``'s rule when
        one is given, else "partial".
    replay : ReplayResult, optional
        The history replayed already (up to ``as_of`` or later); default: replayed
        here.
    client : distributed.Client, str, "local" or "synchronous", optional
        Simulate on a Dask cluster, by partitions of the SKUs, with the numbers of one
        process (:mod:`backorder_analytics.distributed.functions`): a client, a
        scheduler address, or "local" for a cluster on this machine for the call.
        The default forecast (``forecast=None`` or a model name) is made on the
        cluster too, its global inputs reduced on the driver, and the default lead
        times are fitted once, from every PO, on the driver. Needs the ``dask``
        extra. Default: in this process.
    n_partitions : int, optional
        With ``client``: partitions of the SKUs (default 4 per worker thread).

    Returns
    -------
    BackorderRisk
        ``.to_frame()``: one row per SKU, riskiest first (see :class:`BackorderRisk`).

    Examples
    --------
    >>> import backorder_analytics as ba
    >>> ds = ba.example_dataset(seed=0)
    >>> risk = backorder_risk(ds, forecast="historic_average", n_reps=200, seed=0)
    >>> risk.to_frame().columns[:4].tolist()
    ['rank', 'sku', 'supplier_id', 'on_hand']
    >>> bool(risk.to_frame()["p_backorder"].is_monotonic_decreasing)
    True
    """
    h, n, seed = check_horizon(horizon), check_n_reps(n_reps), check_seed(seed)
    if isinstance(reorder_points, str) and reorder_points != "history":
        raise ValueError("The 'reorder_points' parameter must be 'history', a frame "
                         "(sku, r, Q), a mapping, a SafetyStockRecommendation or None. "
                         f"Got {reorder_points!r} instead.")
    options = {"forecast": forecast, "lead_times": lead_times, "as_of": as_of,
               "n_reps": n, "seed": seed, "reorder_points": reorder_points,
               "allocation": allocation, "shipping": shipping, "replay": replay}
    if client is not None:
        if not isinstance(ds, Dataset):
            raise TypeError(f"The 'ds' parameter must be a Dataset. Got "
                            f"{type(ds).__name__} instead.")
        # imported here: dask is an optional dependency
        from ..distributed.engine import DaskEngine
        from ..distributed.functions import backorder_risk_partitioned

        with DaskEngine(client, n_partitions) as engine:
            return backorder_risk_partitioned(engine, ds, h, **options)
    return simulate_risk(ds, h, **options)


def simulate_risk(ds: Dataset, h: int, *, forecast: Any, lead_times: Any, as_of: Any,
                  n_reps: int, seed: int, reorder_points: Any, allocation: str | None,
                  shipping: str | None, replay: ReplayResult | None,
                  fitted: dict[str, Any] | None = None) -> BackorderRisk:
    """:func:`backorder_risk` with its arguments checked (``h`` the horizon [days]).

    ``fitted``: the global inputs when computed already, as a distributed call does on
    the driver for each partition of the SKUs: ``"forecast"``, the
    :func:`auto_forecast` of all the SKUs restricted to those of ``ds``;
    ``"lead_times"``, the default lead-time model fitted from every PO (or the error
    that fit raised, raised here when the lead times are needed)."""
    n = n_reps
    fitted = fitted or {}
    as_of = ds.moment(as_of)
    start = as_of.normalize() + DAY
    rep = replay_for(ds, as_of, replay=replay, allocation=allocation, shipping=shipping)
    if rep is not None:  # else as given (checked), None while nothing happened yet
        allocation, shipping = rep.params["allocation"], rep.params["shipping"]
    state = state_from_replay(ds, rep, as_of)
    demand = _demand(forecast, ds, as_of, start, h, seed, fitted.get("forecast", False))
    unknown = demand.skus.difference(state.index)
    if len(unknown):
        raise DataError(f"The 'forecast' covers SKUs not in the dataset: {list(unknown[:5])}. "
                        "Fix: forecast the dataset's SKUs only.")
    skus = demand.skus if forecast is not None and not isinstance(forecast, str) \
        else state.index
    st = state.reindex(skus)
    mean = pd.Series(demand.mean, index=demand.skus).reindex(skus, fill_value=0.0).to_numpy()
    rows_in_demand = demand.skus.get_indexer(skus)
    po = ds.purchase_orders_open_at(as_of)
    po = po[po["sku"].isin(skus)]
    replenishment = ("history" if isinstance(reorder_points, str)
                     else "none" if reorder_points is None else "given")
    if isinstance(reorder_points, str):
        reorder_points = reorder_points_from_replay(ds, rep)
    rp = reorder_points_of(reorder_points, skus)
    needs_lt = len(po) or np.isfinite(rp[0]).any()
    lt = _lead_model(lead_times, ds, as_of, fitted.get("lead_times")) if needs_lt \
        else lead_times
    arrive = _arrivals(po, lt, as_of, start, n, seed) if len(po) else np.empty((0, n))
    po_day = np.clip(np.floor(arrive), 0, None).astype(np.int64)  # 0-based day
    po_row = skus.get_indexer(pd.Index(po["sku"]))
    po_qty = po["quantity"].to_numpy(np.int64)

    k_all = len(skus)
    sizes_of = ds.line_sizes(skus, upto=as_of)  # ordered at or before as_of
    queue = priority_levels(rep, skus, allocation) if shipping == "complete" else None
    stats: dict[str, np.ndarray] = {}
    block = max(1, CHUNK_CELLS // (n * h))
    for lo in range(0, k_all, block):
        rows = np.arange(lo, min(lo + block, k_all))
        known = rows_in_demand[rows] >= 0
        units = np.zeros((len(rows), n, h), np.int64)
        lines = None
        if known.any():
            units[known], lines = demand.draw(rows_in_demand[rows][known], n, h, seed)
        rec = np.zeros_like(units)
        p_idx, rep_idx = np.nonzero(((po_row >= lo) & (po_row < lo + len(rows)))[:, None]
                                    & (po_day < h))
        np.add.at(rec.reshape(-1), np.ravel_multi_index(
            (po_row[p_idx] - lo, rep_idx, po_day[p_idx, rep_idx]), rec.shape), po_qty[p_idx])
        net0 = (st["on_hand"] - st["backordered_now"]).to_numpy(np.int64)[rows]
        if np.isfinite(rp[0][rows]).any():
            leads = _new_leads(lt, skus[rows], st["supplier_id"].to_numpy()[rows],
                               ds.purchase_orders, units.shape, seed)
            avail, rec = _available_reorder(net0, units, rec,
                                            st["on_order"].to_numpy(np.int64)[rows],
                                            rp[0][rows], rp[1][rows], leads)
        else:
            avail = _available_fixed(net0, units, rec)
        if shipping == "complete":
            short, hit = _complete_shipping(units, avail, rec, lines, rows, queue,
                                            st["on_hand"].to_numpy(np.int64)[rows],
                                            skus[rows], mean[rows], sizes_of, seed)
        else:
            short = units - np.minimum(units, avail)
            if lines is None:
                hit = _lines_hit(units, avail, skus[rows], mean[rows], sizes_of, seed)
            else:  # explicit lines (PoissonDemand): every SKU of the block has them
                cell, cum_end = lines
                hit = np.bincount(cell // h, cum_end > avail.ravel()[cell], len(rows) * n)
        part = _block_stats(short, units, np.reshape(hit, (len(rows), n)), rec.sum(-1))
        for name, value in part.items():
            stats.setdefault(name, np.empty(k_all))[rows] = value
    table = _table(st, skus, mean, stats, n, start)
    receipts = _receipts(po, arrive, start, h)
    params = {"horizon": h, "n_reps": n, "seed": seed, "as_of": as_of, "start": start,
              "forecast": demand.describe, "lead_times": _describe_lt(lt),
              "reorder_points": replenishment,
              "allocation": allocation, "shipping": shipping}
    return BackorderRisk(table=table, receipts=receipts, params=params)


def _describe_lt(lt) -> str:
    if isinstance(lt, LeadTimeModel):
        return f"LeadTimeModel by {', '.join(lt.by) or 'all POs'}"
    return "not needed" if lt is None else repr(lt)


def _block_stats(short, units, lines, received) -> dict[str, np.ndarray]:
    """Per-SKU figures over the replications of one block of SKUs."""
    any_ = short.any(axis=-1)
    first = np.where(any_, np.argmax(short > 0, axis=-1) + 1.0, np.inf)
    tot = short.sum(-1)
    return {"p": any_.mean(1), "short": tot.mean(1), "short_p90": np.quantile(tot, 0.9, 1),
            "lines": lines.mean(1), "units": units.sum(-1).mean(1),
            "received": received.mean(1),
            "first": np.quantile(first, 0.5, axis=1, method="inverted_cdf")}


def _table(st, skus, mean, s, n, start) -> pd.DataFrame:
    p = s.get("p", np.zeros(0))
    first = s.get("first", np.zeros(0))
    on_hand = st["on_hand"].to_numpy(float)
    pos = st["inventory_position"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(on_hand > 0, on_hand / mean, 0.0)
        cover_pos = np.where(pos > 0, pos / mean, 0.0)
        fill = 1 - s.get("short", p) / s.get("units", p)
    finite = np.isfinite(first)
    frame = pd.DataFrame({
        "sku": skus,
        "supplier_id": st["supplier_id"].to_numpy(),
        "on_hand": st["on_hand"].to_numpy(),
        "on_order": st["on_order"].to_numpy(),
        "backordered_now": st["backordered_now"].to_numpy(),
        "inventory_position": st["inventory_position"].to_numpy(),
        "mean_daily_demand": mean,
        "days_of_cover": cover,
        "days_of_cover_position": cover_pos,
        "expected_demand": s.get("units", p),
        "expected_receipts": s.get("received", p),
        "p_backorder": p,
        "p_backorder_se": np.sqrt(p * (1 - p) / n),
        "expected_backordered_units": s.get("short", p),
        "backordered_units_p90": s.get("short_p90", p),
        "expected_customers_affected": s.get("lines", p),
        "expected_fill_rate": fill,
        "first_backorder_p50": start + pd.to_timedelta(np.where(finite, first - 1, np.nan),
                                                       unit="D"),
    })
    return _rank(frame)


def _receipts(po, arrive, start, h) -> pd.DataFrame:
    cols = [c for c in ("po_id", "sku", "supplier_id", "quantity", "order_date",
                        "expected_date") if c in po]
    out = po[cols].reset_index(drop=True)
    out["p_arrive_in_horizon"] = (arrive < h).mean(axis=1) if len(po) else []
    med = np.median(arrive, axis=1) if len(po) else np.array([])
    out["arrival_p50"] = start + pd.to_timedelta(np.maximum(med, 0), unit="D")
    return _receipt_order(out)


def _receipt_order(receipts: pd.DataFrame) -> pd.DataFrame:
    """Open POs by SKU, then expected date and PO."""
    keys = [c for c in ("sku", "expected_date", "po_id") if c in receipts]
    return receipts.sort_values(keys, kind="stable", ignore_index=True)


def _rank(frame: pd.DataFrame) -> pd.DataFrame:
    """Riskiest first (P(backorder), then expected units, then SKU), ranked from 1."""
    frame = frame.drop(columns="rank", errors="ignore").sort_values(
        ["p_backorder", "expected_backordered_units", "sku"], ascending=[False, False, True],
        kind="stable")
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------------------- result


@dataclass(repr=False)
class BackorderRisk:
    """Backorder risk per SKU over a horizon; built by :func:`backorder_risk`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per SKU, ranked by ``p_backorder`` then ``expected_backordered_units``:
        ``rank``, ``sku``, ``supplier_id``, ``on_hand``, ``on_order``,
        ``backordered_now``, ``inventory_position`` [units] at ``as_of``;
        ``mean_daily_demand`` [units/day] over the horizon; ``days_of_cover`` (on hand
        / mean daily demand) and ``days_of_cover_position`` (inventory position / mean
        daily demand) [days], 0 when the numerator is <= 0, inf without demand;
        ``expected_demand`` and ``expected_receipts`` (open POs and new orders received
        within the horizon) [units]; ``p_backorder``, P(at least one unit of new demand
        cannot ship at once within the horizon), with its Monte Carlo standard error
        ``p_backorder_se``; ``expected_backordered_units`` and
        ``backordered_units_p90`` [units of new demand backordered];
        ``expected_customers_affected`` [new order lines backordered];
        ``expected_fill_rate`` (units served at once / units demanded, pooled over
        replications); ``first_backorder_p50``, the median day of the first new
        backorder (NaT when ``p_backorder < 0.5``).
    receipts : pandas.DataFrame
        One row per open PO: its columns, ``p_arrive_in_horizon`` and ``arrival_p50``.
    params : dict
        ``horizon``, ``n_reps``, ``seed``, ``as_of``, ``start`` (day 1), ``forecast``,
        ``lead_times``, ``reorder_points``, ``allocation``, ``shipping``.
    """

    table: pd.DataFrame
    receipts: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def concat(cls, parts: list[BackorderRisk]) -> BackorderRisk:
        """One result from those of disjoint sets of SKUs (same options), ranked anew;
        the lead times and the rules described as in the parts that had them (a
        part whose SKUs had no open PO and no reorder point needed no lead times; one
        whose SKUs had no history yet, no replay)."""
        params = dict(parts[0].params)
        for key, unknown in (("lead_times", "not needed"), ("allocation", None),
                             ("shipping", None)):
            known = [p.params[key] for p in parts if p.params.get(key, unknown) != unknown]
            if known:
                params[key] = known[0]
        return cls(table=_rank(concat_rows([p.table for p in parts])),
                   receipts=_receipt_order(concat_rows([p.receipts for p in parts])),
                   params=params)

    def to_frame(self) -> pd.DataFrame:
        """The per-SKU :attr:`table`, riskiest first."""
        return self.table

    @property
    def summary(self) -> pd.DataFrame:
        """SKUs and expected backorders per risk band (:data:`RISK_BANDS`) and in total."""
        t = self.table
        band = pd.Series("low", index=t.index)
        for name, low in reversed(RISK_BANDS):
            band[t["p_backorder"] >= low] = name
        cols = ["expected_backordered_units", "expected_customers_affected",
                "backordered_now", "expected_demand"]
        g = t.groupby(band)
        out = g[cols].sum().assign(skus=g.size()).reindex([b[0] for b in RISK_BANDS])
        out.loc["total"] = t[cols].sum().to_list() + [len(t)]
        out = out.fillna(0.0)
        for whole in ("skus", "backordered_now"):  # counts (pandas 2 makes a float of a
            out[whole] = out[whole].astype(np.int64)  # row set with .loc, pandas 3 not)
        out.index.name = "band"
        return out[["skus", *cols]]

    def plot(self, ax=None, top: int = 20):
        """Bar chart of the ``top`` riskiest SKUs; see
        :func:`backorder_analytics.plotting.plot_backorder_risk`."""
        from ..plotting import plot_backorder_risk

        t = self.table.head(int(top))
        title = (f"Backorder risk, next {self.params['horizon']} days from "
                 f"{self.params['start'].date()}")
        return plot_backorder_risk(t["sku"], t["p_backorder"], t["expected_backordered_units"],
                                   ax=ax, title=title)

    def __repr__(self) -> str:
        p, t = self.params, self.table
        high = int((t["p_backorder"] >= RISK_BANDS[0][1]).sum())
        return (f"BackorderRisk({len(t):,} SKUs, {p['horizon']} days from "
                f"{p['start'].date()}, {p['n_reps']:,} reps: {high:,} SKUs with "
                f"P(backorder) >= 50%; {t['expected_backordered_units'].sum():,.1f} units "
                f"and {t['expected_customers_affected'].sum():,.1f} lines expected "
                "backordered)")

    def _repr_html_(self) -> str:
        head = f"<p><strong>{html.escape(repr(self))}</strong></p>"
        return head + self.summary.to_html(float_format=lambda v: f"{v:,.1f}") + \
            self.table.head(20).to_html(index=False, float_format=lambda v: f"{v:,.3g}")
