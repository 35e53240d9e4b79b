"""The fast FIFO engine: backorder queues on cumulative curves (DESIGN.md §5).

With FIFO allocation, partial shipping and no cancellation, unit number ``x`` of
cumulative demand (counted from 1 within a replication) is shipped by unit number ``x``
of cumulative supply (opening stock first, then receipts in the order they arrive). So
the line whose units end at cumulative demand ``C`` ships its last unit at
``max(order time, time cumulative supply first reaches C)``: one
:func:`numpy.searchsorted` per line, no event loop. Replenishment orders depend on the
inventory position only, and the position (on hand + on order − backorders = opening
stock + ordered − demanded) depends on cumulative demand only, so order times and
quantities come from cumulative demand by search as well (:func:`order_rows`).

Orders are computed on ``(n_reps, n)`` arrays padded with ``inf`` times (one row per
replication; sorts along rows are exact and fast on the already-sorted runs),
vectorised across replications. The queue itself is one compiled pass (numba) per
replication over its lines and its receipts in arrival order (no sort when orders do
not cross): a merge that follows the net inventory (served at once, on-hand and
backorder areas) and a two-pointer walk of the cumulative curves (ship times).

Conventions, beyond those of :mod:`backorder_analytics.simulation.base`:

* **Continuous review** (:class:`BaseStock`, :class:`ReorderPoint`, :class:`MinMax`):
  the policy looks at the position after each demand line (and at no other time; the
  position starts at ``initial_on_hand``). ``BaseStock(S)`` orders ``S − position``
  when positive, so each line of ``q`` units orders ``q`` when the run starts at ``S``
  (one order per line). ``ReorderPoint(r, Q)`` places as many orders of ``Q`` as lift
  the position above ``r``: several orders at one instant are separate orders, each
  with its own lead time (order ``k`` is placed when cumulative demand reaches
  ``initial_on_hand − r + k·Q``, ``k = 0, 1, …``). ``MinMax(s, S)`` equals
  ``ReorderPoint(s, S − s)`` when every line is of one unit and the run starts above
  ``s``; otherwise its order sizes depend on the undershoot and only the event engine
  runs it.
* **Periodic review** (:class:`OrderUpTo`): reviews at ``R, 2R, …`` (``k·R <= horizon``),
  after that instant's demand; each review orders ``S − position`` when positive. An
  order of 0 is not an order (it takes no lead-time number).
* **Zero lead time**: the receipt comes at the instant it was ordered, after that
  instant's demand; the line that triggered it is backordered (not served at once)
  for 0 days.
* ``order_received`` is the scheduled arrival, also when it falls after the horizon
  (the order is then still on order at the end).

References
----------
.. [1] Axsäter, S. (2015). *Inventory Control*, 3rd ed., Springer, §5.2 (one-for-one
   replenishment, FIFO backorders, waiting times).
.. [2] Zipkin, P. H. (2000). *Foundations of Inventory Management*, McGraw-Hill,
   §6.2 (cumulative-curve view of inventory, position and backorders) and §7.2.
"""

from __future__ import annotations

import numba
import numpy as np

from ..parameters import check_options
from .base import (
    BaseStock,
    DemandStream,
    EngineResult,
    MinMax,
    OrderUpTo,
    Policy,
    ReorderPoint,
    rep_bounds,
)
from .metrics import area_step

__all__ = ["run_fifo", "fifo_applies", "order_rows", "max_orders"]

EVENT_ENGINE = "the general event engine (backorder_analytics.simulation.events.run_events)"


# ------------------------------------------------------------------- row helpers


def to_rows(rep: np.ndarray, n_reps: int, *values: np.ndarray, fill=np.inf):
    """Flat arrays sorted by ``rep`` → ``(n_reps, width)`` rows padded with ``fill``.

    Returns ``(counts, valid, rows...)``: per-replication counts, the mask of real (not
    padding) cells, and one padded 2-D array per input (same dtype, padding ``fill``
    for floats and 0 for integers); ``rows[valid]`` gives the flat array back.
    """
    counts = np.diff(rep_bounds(np.asarray(rep), n_reps))
    width = int(counts.max()) if len(counts) else 0
    valid = np.arange(width) < counts[:, None]
    out = []
    for v in values:
        v = np.asarray(v)
        pad = fill if v.dtype.kind == "f" else 0
        arr = np.full((n_reps, width), pad, dtype=v.dtype)
        arr[valid] = v
        out.append(arr)
    return (counts, valid, *out)


def _row_count_le(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Per row, how many of ``a[r]`` are ``<= v[r, j]`` (rows of both sorted).

    Exact for floats: one stable sort along rows of ``[a, v]`` (ties put ``a`` first),
    which merges the two sorted runs; the position of ``v[r, j]`` minus ``j`` counts.
    """
    n, k = a.shape
    p = v.shape[1]
    if p == 0:
        return np.zeros((n, 0), dtype=np.int64)
    if k == 0:
        return np.zeros((n, p), dtype=np.int64)
    order = np.argsort(np.concatenate([a, v], axis=1), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(k + p), order.shape), axis=1)
    return rank[:, k:] - np.arange(p)


def _row_searchsorted_int(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Per row, ``np.searchsorted(a[r], v[r], side="left")`` for integer rows ``a``
    (non-decreasing) — exact, by offsetting each row into its own integer range."""
    n, k = a.shape
    if k == 0 or v.shape[1] == 0:
        return np.zeros(v.shape, dtype=np.int64)
    lo = min(int(a.min()), int(v.min()))
    span = max(int(a.max()), int(v.max())) - lo + 1
    off = (np.arange(n, dtype=np.int64) * span)[:, None]
    j = np.searchsorted((a - lo + off).ravel(), (v - lo + off).ravel(), side="left")
    return j.reshape(v.shape) - np.arange(n, dtype=np.int64)[:, None] * k


def _compress(mask: np.ndarray, *values: np.ndarray):
    """Keep the ``mask``-ed entries of each row, left-aligned: ``(counts, rows...)``."""
    counts = mask.sum(axis=1)
    width = int(counts.max()) if len(counts) else 0
    r, c = np.nonzero(mask)
    k = np.cumsum(mask, axis=1)[r, c] - 1
    out = []
    for v in values:
        pad = np.inf if v.dtype.kind == "f" else 0
        arr = np.full((mask.shape[0], width), pad, dtype=v.dtype)
        arr[r, k] = v[r, c]
        out.append(arr)
    return (counts, *out)


# ------------------------------------------------------------------- checks


def _initial_on_hand(initial_on_hand, policy: Policy, n_reps: int) -> np.ndarray:
    if initial_on_hand is None:
        return np.full(n_reps, int(policy.initial_position()), dtype=np.int64)
    i0 = np.broadcast_to(np.asarray(initial_on_hand), (n_reps,))
    if not np.all(np.isfinite(i0)) or np.any(i0 < 0) or np.any(i0 != np.round(i0)):
        raise ValueError(f"The 'initial_on_hand' parameter must be whole numbers >= 0 "
                         f"[units], one or one per replication. Got {initial_on_hand!r}.")
    return i0.astype(np.int64)


def _check_stream(demand: DemandStream) -> None:
    rep, t, q = demand.rep, demand.time, demand.qty
    if len(rep) and (rep.min() < 0 or rep.max() >= demand.n_reps):
        raise ValueError(f"demand.rep must lie in 0..{demand.n_reps - 1} (n_reps).")
    if np.any(q <= 0):
        raise ValueError("demand.qty must be > 0 [units] on every line.")
    if len(t) and (not np.all(np.isfinite(t)) or t.min() < 0 or t.max() > demand.horizon):
        raise ValueError(f"demand.time must lie in [0, horizon={demand.horizon}] [days].")
    same = rep[1:] == rep[:-1]
    if np.any(rep[1:] < rep[:-1]) or np.any(same & (t[1:] < t[:-1])):
        raise ValueError("The DemandStream must be sorted by (rep, time).")


def fifo_applies(demand: DemandStream, policy: Policy, *, initial_on_hand=None,
                 allocation: str = "fifo", shipping: str = "partial",
                 max_wait_days: float | None = None) -> str | None:
    """Why :func:`run_fifo` cannot run this case, or ``None`` when it can.

    Returns
    -------
    str or None
        A sentence naming the feature that needs the event engine.
    """
    check_options(allocation, shipping)
    if allocation != "fifo":
        return f"allocation={allocation!r} (the FIFO engine serves the queue in order)"
    if shipping != "partial":
        return f"shipping={shipping!r} (the FIFO engine ships partially)"
    if max_wait_days is not None:
        return "max_wait_days (the FIFO engine has no cancellation)"
    if np.any(np.isfinite(demand.patience)):
        return "finite demand.patience (the FIFO engine has no cancellation)"
    if isinstance(policy, MinMax):
        i0 = _initial_on_hand(initial_on_hand, policy, demand.n_reps)
        if np.any(demand.qty != 1) or np.any(i0 <= policy.s):
            return ("MinMax with lines of more than one unit, or a start at or below s "
                    "(order sizes then depend on the undershoot)")
    elif not isinstance(policy, BaseStock | ReorderPoint | OrderUpTo):
        raise TypeError(f"The 'policy' parameter must be a BaseStock, ReorderPoint, MinMax "
                        f"or OrderUpTo. Got {type(policy).__name__} instead.")
    return None


# ------------------------------------------------------------------- orders


def _lines(demand: DemandStream):
    """Lines as rows: times [days] (``inf`` padding), quantities and cumulative demand
    [units], and the mask of real lines."""
    _, valid, t2, q2 = to_rows(demand.rep, demand.n_reps, demand.time, demand.qty)
    return t2, q2, np.cumsum(q2, axis=1), valid


def _review_times(period: float, horizon: float) -> np.ndarray:
    if not period > 0:
        raise ValueError(f"OrderUpTo: the review period R must be > 0 [days]. Got {period!r}.")
    n = int(np.floor(horizon / period))
    while (n + 1) * period <= horizon:
        n += 1
    while n > 0 and n * period > horizon:
        n -= 1
    return np.arange(1, n + 1) * period


def order_rows(policy: Policy, t2: np.ndarray, q2: np.ndarray, c2: np.ndarray,
               valid: np.ndarray, i0: np.ndarray, horizon: float):
    """Replenishment orders per replication from cumulative demand.

    Parameters
    ----------
    policy : Policy
    t2, q2, c2 : numpy.ndarray, shape (n_reps, n_lines_max)
        Line times [days] (``inf`` padding), quantities and cumulative demand [units].
    valid : numpy.ndarray of bool
        Real (not padding) lines.
    i0 : numpy.ndarray, shape (n_reps,)
        Opening stock = starting inventory position [units].
    horizon : float
        [days]

    Returns
    -------
    counts : numpy.ndarray, shape (n_reps,)
        Orders per replication.
    placed, qty : numpy.ndarray, shape (n_reps, counts.max())
        Placement time [days] (``inf`` padding) and quantity [units] of order ``k``.
    """
    n = t2.shape[0]
    if isinstance(policy, MinMax):
        policy = ReorderPoint(policy.s, policy.S - policy.s)
    if isinstance(policy, BaseStock):
        target = np.maximum(0, c2 + int(policy.S) - i0[:, None])
        step = np.diff(target, axis=1, prepend=0)
        if np.array_equal(step, q2):  # the usual start at S: one order per line
            return valid.sum(axis=1), t2, q2
        return _compress(valid & (step > 0), t2, step)
    if isinstance(policy, ReorderPoint):
        r, q = int(policy.r), int(policy.Q)
        if q < 1:
            raise ValueError(f"ReorderPoint: Q must be >= 1 [units]. Got {policy.Q!r}.")
        total = c2[:, -1] if c2.shape[1] else np.zeros(n, dtype=np.int64)
        counts = np.maximum(0, -((i0 - total - r - 1) // q))  # ceil((D + r + 1 - i0) / Q)
        counts[total == 0] = 0
        k = np.arange(int(counts.max()) if n else 0)
        thr = np.maximum(1, i0[:, None] - r + k * q)
        ok = k < counts[:, None]
        if not ok.any():
            return counts, np.full((n, 0), np.inf), np.zeros((n, 0), dtype=np.int64)
        # padding repeats the row total, so "left" lands on the first real line
        j = np.minimum(_row_searchsorted_int(c2, thr), t2.shape[1] - 1)
        placed = np.where(ok, np.take_along_axis(t2, j, axis=1), np.inf)
        return counts, placed, np.where(ok, q, 0).astype(np.int64)
    if isinstance(policy, OrderUpTo):
        rev = _review_times(float(policy.R), horizon)
        seen = _row_count_le(t2, np.broadcast_to(rev, (n, len(rev))))
        c0 = np.concatenate([np.zeros((n, 1), dtype=np.int64), c2], axis=1)
        cum = np.take_along_axis(c0, seen, axis=1)
        target = np.maximum(0, cum + int(policy.S) - i0[:, None])
        step = np.diff(target, axis=1, prepend=0)
        return _compress(step > 0, np.broadcast_to(rev, (n, len(rev))), step)
    raise TypeError(f"The 'policy' parameter must be a BaseStock, ReorderPoint, MinMax or "
                    f"OrderUpTo. Got {type(policy).__name__} instead.")


def max_orders(demand: DemandStream, policy: Policy, initial_on_hand=None) -> int:
    """An upper bound on the replenishment orders of any replication (for drawing lead
    times before a run, with any engine): lines for continuous review (``+ ⌈·/Q⌉``
    for ``(r, Q)``), reviews for periodic review."""
    n = demand.n_reps
    i0 = _initial_on_hand(initial_on_hand, policy, n)
    if isinstance(policy, OrderUpTo):
        return len(_review_times(float(policy.R), float(demand.horizon)))
    if isinstance(policy, ReorderPoint):
        units = np.bincount(demand.rep, weights=demand.qty, minlength=n).astype(np.int64)
        q = max(int(policy.Q), 1)
        bound = np.maximum(0, -((i0 - units - int(policy.r) - 1) // q))
        return int(bound.max()) if n else 0
    return int(np.diff(demand.bounds()).max()) if n else 0


# ------------------------------------------------------------------- queue


def _by_arrival(arrive: np.ndarray, qty: np.ndarray, zero: np.ndarray):
    """Receipts of each row in arrival order (stable; at one instant, zero-lead-time
    receipts last): arrival times [days], quantities [units] and zero-lead-time flags.
    No sort when the rows are in that order already (e.g. a constant lead time)."""
    if zero.any():
        order = np.lexsort((zero, arrive), axis=1)
    elif np.all(arrive[:, 1:] >= arrive[:, :-1]):
        return arrive, qty, zero
    else:
        order = np.argsort(arrive, axis=1, kind="stable")
    return tuple(np.take_along_axis(x, order, axis=1) for x in (arrive, qty, zero))


@numba.njit(cache=True)
def _ship_times(t, q, a_time, a_qty, i0, horizon, ship, shipped):
    """One replication's lines (times ``t`` [days], units ``q``, in time order) against
    its receipts in arrival order: unit ``x`` of cumulative demand ships with unit ``x``
    of cumulative supply (opening stock ``i0``, then the receipts). Fills ``ship`` —
    when a line's last unit ships [days], ``inf`` if after the horizon — and
    ``shipped``, its units shipped by the horizon."""
    supply_end = i0 + a_qty[:np.searchsorted(a_time, horizon, side="right")].sum()
    supply, demanded, j = i0, 0, 0      # supply: opening stock + receipts before j
    for x in range(len(t)):
        demanded += q[x]
        while j < len(a_time) and supply < demanded:
            supply += a_qty[j]
            j += 1
        if demanded <= i0:
            t_supply = 0.0
        elif supply >= demanded:
            t_supply = a_time[j - 1]
        else:
            t_supply = np.inf
        ship[x] = max(t[x], t_supply) if t_supply <= horizon else np.inf
        shipped[x] = min(max(supply_end - (demanded - q[x]), 0), q[x])


@numba.njit(cache=True)
def _receipt_first(a_time, zero, t):
    """Whether a receipt at ``a_time`` comes before a line at ``t``: earlier, or at the
    same instant unless it has zero lead time (then it follows the line)."""
    return a_time < t or (a_time == t and not zero)


@numba.njit(cache=True)
def _net_walk_row(t, q, a_time, a_qty, a_zero, i0, horizon, served):
    """One replication's lines and receipts (arrival order, zero-lead-time ones last at
    an instant) in time order, following the net inventory from the opening stock
    ``i0`` [units]. Fills ``served`` (units of each line served at once from stock).

    Returns the integrals of on hand and backorders over ``[0, horizon]`` [unit·days]
    and the net inventory at the horizon [units]."""
    in_run = np.searchsorted(a_time, horizon, side="right")  # receipts by the horizon
    first = horizon                     # first event [days]
    if len(t):
        first = min(first, t[0])
    if in_run:
        first = min(first, a_time[0])
    net, prev, on, bo, j = i0, first, 0.0, 0.0, 0
    for x in range(len(t) + 1):
        until = t[x] if x < len(t) else np.inf
        while j < in_run and _receipt_first(a_time[j], a_zero[j], until):
            on, bo = area_step(on, bo, net, a_time[j] - prev)
            prev = a_time[j]
            net += a_qty[j]
            j += 1
        if x == len(t):
            break
        on, bo = area_step(on, bo, net, t[x] - prev)
        prev = t[x]
        served[x] = min(max(net, 0), q[x])
        net -= q[x]
    on, bo = area_step(on, bo, net, horizon - prev)
    return i0 * first + on, bo, net


@numba.njit(cache=True)
def _fifo_queue(bounds, time, qty, n_orders, a_time, a_qty, a_zero, i0, horizon):
    """The FIFO backorder queue of every replication.

    Parameters
    ----------
    bounds : int64 array, shape (n_reps + 1,)
        Lines of replication ``r`` are ``bounds[r]:bounds[r+1]`` of ``time`` [days] and
        ``qty`` [units] (sorted by time).
    n_orders : int64 array, shape (n_reps,)
        Receipts of row ``r``: the first ``n_orders[r]`` of ``a_time`` [days],
        ``a_qty`` [units] and ``a_zero`` (zero lead time) — in arrival order, those
        with zero lead time last at an instant.
    i0 : int64 array
        Opening stock [units].
    horizon : float
        [days]

    Returns
    -------
    served, shipped, ship_time : per line
        See :func:`_net_walk_row` and :func:`_ship_times`.
    on_area, bo_area, net_end : per replication
        Integrals of on hand and backorders over ``[0, horizon]`` [unit·days]; net
        inventory at the horizon [units].
    """
    n_lines, n = len(time), len(i0)
    served, shipped = np.zeros(n_lines, np.int64), np.zeros(n_lines, np.int64)
    ship = np.full(n_lines, np.inf)
    on_area, bo_area, net_end = np.zeros(n), np.zeros(n), np.zeros(n, np.int64)
    for r in range(n):
        a, b, k = bounds[r], bounds[r + 1], n_orders[r]
        t, q = time[a:b], qty[a:b]
        _ship_times(t, q, a_time[r, :k], a_qty[r, :k], i0[r], horizon, ship[a:b],
                    shipped[a:b])
        on_area[r], bo_area[r], net_end[r] = _net_walk_row(
            t, q, a_time[r, :k], a_qty[r, :k], a_zero[r, :k], i0[r], horizon, served[a:b])
    return served, shipped, ship, on_area, bo_area, net_end


# ------------------------------------------------------------------- engine


def run_fifo(demand: DemandStream, policy: Policy, lead_times, *, initial_on_hand=None,
             allocation: str = "fifo", shipping: str = "partial",
             max_wait_days: float | None = None,
             sequential_supply: bool = False) -> EngineResult:
    """Run the backorder queue of every replication with FIFO allocation on cumulative
    curves.

    Parameters
    ----------
    demand : DemandStream
        Order lines of all replications, sorted by ``(rep, time)``; times in days.
    policy : BaseStock, ReorderPoint, OrderUpTo or MinMax
        ``MinMax`` only with one-unit lines and a start above ``s`` (where it is an
        ``(r, Q)`` policy); see the module docstring for the review conventions.
    lead_times : array_like, shape (n_reps, n_orders_max)
        Lead time [days, >= 0] of replenishment order ``k`` of replication ``r``; a
        scalar is used for every order. :func:`max_orders` bounds the columns needed.
    initial_on_hand : int or array_like of int, optional
        Opening stock [units], one or one per replication; default the policy's
        starting position (nothing on order).
    allocation, shipping, max_wait_days
        Only ``"fifo"``, ``"partial"`` and ``None``: anything else needs the event engine
        (``ValueError``).
    sequential_supply : bool, default False
        Receipts in order placement order (arrival = running max); otherwise orders
        may cross.

    Returns
    -------
    EngineResult
        Per line: ``served_at_once``, ``shipped`` (by the horizon), ``cancelled`` (0),
        ``ship_time`` (last unit; ``inf`` if open at the horizon), ``cancel_time``
        (``nan``); per order: ``order_rep``, ``order_placed``, ``order_qty``,
        ``order_received`` (scheduled); per replication: ``on_hand_area``,
        ``backorder_area`` [unit·days over ``[0, horizon]``], ``on_hand_end``,
        ``backorders_end``. ``extra["initial_on_hand"]`` holds the opening stock.

    Raises
    ------
    ValueError
        For priority allocation, complete shipping, ``max_wait_days`` or finite
        ``demand.patience`` (use the event engine), bad lead times or an unsorted stream.
    NotImplementedError
        For ``MinMax`` outside the cases above.

    References
    ----------
    Axsäter (2015), *Inventory Control*, §5.2; Zipkin (2000), *Foundations of Inventory
    Management*, §6.2.

    Examples
    --------
    >>> import numpy as np
    >>> from backorder_analytics.simulation import BaseStock, run_fifo
    >>> from backorder_analytics.simulation.base import DemandStream
    >>> d = DemandStream(rep=[0, 0, 0], time=[1.0, 2.0, 3.0], qty=[1, 1, 1], n_reps=1,
    ...                  horizon=10.0)
    >>> res = run_fifo(d, BaseStock(1), np.full((1, 3), 2.5))
    >>> res.ship_time.tolist(), res.served_at_once.tolist()
    ([1.0, 3.5, 4.5], [1, 0, 0])
    """
    why = fifo_applies(demand, policy, initial_on_hand=initial_on_hand,
                       allocation=allocation, shipping=shipping, max_wait_days=max_wait_days)
    if why is not None:
        if isinstance(policy, MinMax) and why.startswith("MinMax"):
            raise NotImplementedError(f"run_fifo cannot run {why}. Use {EVENT_ENGINE}, "
                                      "or simulate(..., engine='events').")
        raise ValueError(f"run_fifo cannot run {why}. Use {EVENT_ENGINE}, or "
                         "simulate(..., engine='auto').")
    _check_stream(demand)
    n, horizon = int(demand.n_reps), float(demand.horizon)
    i0 = _initial_on_hand(initial_on_hand, policy, n)
    t2, q2, c2, valid = _lines(demand)

    # replenishment orders and their arrivals
    counts, placed, oqty = order_rows(policy, t2, q2, c2, valid, i0, horizon)
    k = placed.shape[1]
    lt = np.asarray(lead_times, dtype=np.float64)
    if lt.ndim == 0:
        lt = np.full((n, k), float(lt))
    if lt.ndim != 2 or lt.shape[0] != n or lt.shape[1] < k:
        raise ValueError(f"The 'lead_times' parameter must have shape (n_reps={n}, >= {k}) "
                         f"(one lead time [days] per replenishment order); got shape "
                         f"{lt.shape}. Draw at least max_orders(demand, policy) columns.")
    has = np.arange(k) < counts[:, None]
    lt = lt[:, :k]
    if not np.all(((lt >= 0) & (lt < np.inf)) | ~has):
        raise ValueError("lead_times must be finite and >= 0 [days] for every order placed.")
    arrive = np.where(has, placed + lt, np.inf)
    if sequential_supply:
        arrive = np.maximum.accumulate(arrive, axis=1)

    # receipts in arrival order, then the queue of each replication in one pass
    a_time, a_qty, a_zero = _by_arrival(arrive, oqty, has & (arrive == placed))
    served, shipped, ship, on_area, bo_area, net_end = _fifo_queue(
        demand.bounds(), demand.time, demand.qty, counts, a_time, a_qty, a_zero, i0, horizon)

    return EngineResult(
        served_at_once=served,
        shipped=shipped,
        cancelled=np.zeros(demand.n_lines, dtype=np.int64),
        ship_time=ship,
        cancel_time=np.full(demand.n_lines, np.nan),
        order_rep=np.repeat(np.arange(n, dtype=np.int64), counts),
        order_placed=placed[has],
        order_qty=oqty[has].astype(np.int64),
        order_received=arrive[has],
        on_hand_area=on_area,
        backorder_area=bo_area,
        on_hand_end=np.maximum(net_end, 0),
        backorders_end=np.maximum(-net_end, 0),
        extra={"initial_on_hand": i0, "engine": "fifo"},
    )
