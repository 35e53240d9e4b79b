"""General event engine for the backorder queue (DESIGN.md §4–§5).

:func:`run_events` simulates every policy of :mod:`.base` (``BaseStock``,
``ReorderPoint``, ``MinMax``, periodic ``OrderUpTo``), both allocation rules (``"fifo"``,
``"priority"``), both shipping rules (``"partial"``, ``"complete"``), cancellation at
``max_wait_days`` and at each line's own ``patience``, and crossing or sequential supply.
It is the reference for everything the fast FIFO engine (:mod:`.fifo`) cannot do, and it
gives the same numbers where both apply (a property test holds them to it).

Event order at one instant ``t`` (DESIGN.md §4, extended)
--------------------------------------------------------
1. **Receipts** due at ``t`` (all of them, in the order placed), then the backorder queue
   is served from the new stock.
2. **Demand** lines ordered at ``t``, in row order. A line takes what the allocation
   rule gives it at once (``served_at_once``); what is left joins the backorder queue.
3. **Cancellations** due at ``t``: a line still (partly) open at
   ``order time + min(max_wait_days, patience)`` has its open units cancelled. Because
   receipts come first, a line reaching its limit exactly at a receipt instant is served
   from that receipt first and only what is still open then is cancelled. Stock that was
   held for a cancelled line (complete shipping) goes to the next line at once.
4. **Review / ordering** on the inventory position (on hand + on order − backorders;
   cancelled units leave the backorders, so a cancellation raises the position).
   Continuous policies review each line of the instant (see below); ``OrderUpTo``
   reviews at ``k·R`` for ``k = 1, 2, …`` while ``k·R <= horizon``.

Policy details
--------------
Continuous policies look at the position after each demand line, in row order, and at
no other time (the same convention as :mod:`.fifo`); the looks happen at step 4, with
the units cancelled at that instant credited first, so a cancellation never leads to an
order that the cancelled units would have made unnecessary.

* ``BaseStock(S)``: after a line, order ``S − position`` if positive: one order per
  line, of ``q`` units for a line of ``q`` when the run starts at ``S`` (one-for-one);
  surplus from cancellations (or an opening stock above ``S``) is used up first.
* ``ReorderPoint(r, Q)``: while the position is ``<= r``, place an order of ``Q`` (each
  one a separate order with its own lead time).
* ``MinMax(s, S)``: after a line, if the position is ``<= s``, one order of
  ``S − position`` (so an undershoot is made up: the position returns to ``S``).
* ``OrderUpTo(R, S)``: at ``k·R``, one order of ``S − position`` if positive.
* The run starts with ``initial_on_hand`` on hand and nothing on order; a start below
  a continuous policy's trigger is corrected at the first line, a periodic one at ``R``.
* An order of 0 units is not an order (it takes no lead-time number); ``order_received``
  is the scheduled arrival, also when that falls after the horizon.

Queue conventions
-----------------
* ``"fifo"`` serves in arrival order; ``"priority"`` by ``(priority, arrival)``.
* ``"partial"`` ships to the head of the allocation order what is there, then to the
  next line; ``"complete"`` ships the head only when its whole open quantity is there,
  and every line behind it waits too (no overtaking: stock on hand is held for the head
  even when a smaller line behind it could be filled). Under ``"priority"`` a new line
  with a better key than the head becomes the head, and ships at once if it fits.
* ``served_at_once`` counts the units a line gets while it is being ordered (step 2).
  Units it gets later at the same instant (stock freed by a cancellation) count as
  shipped, with wait 0, but not as served at once.
* Orders arriving after the horizon, and cancellations due after it, never happen inside
  the run: such lines stay open (``ship_time = inf``).

Implementation: one sequential pass per replication over Python ints and floats (inputs
converted with ``.tolist()``): a heap of pending receipts keyed ``(arrival, order)``, a
deque of line indices (FIFO) or a heap of integer keys ``priority·n + line`` (priority),
and a heap of cancellation deadlines; cancelled lines are removed lazily.
"""

from __future__ import annotations

import math
from collections import deque
from heapq import heappop, heappush

import numpy as np

from ..parameters import check_max_wait_days, check_options
from .base import (
    BaseStock,
    DemandStream,
    EngineResult,
    MinMax,
    OrderUpTo,
    Policy,
    ReorderPoint,
)

__all__ = ["run_events"]

_BASE, _ROP, _MINMAX, _OUT = 0, 1, 2, 3
_INF = math.inf
_NAN = math.nan


def run_events(
    demand: DemandStream,
    policy: Policy,
    lead_times: np.ndarray,
    *,
    initial_on_hand: np.ndarray | float | None = None,
    allocation: str = "fifo",
    shipping: str = "partial",
    max_wait_days: float | None = None,
    sequential_supply: bool = False,
) -> EngineResult:
    """Simulate the backorder queue event by event, for any policy and queue rule.

    Parameters
    ----------
    demand : DemandStream
        Customer order lines of all replications, sorted by ``(rep, time)``; times in
        ``[0, demand.horizon]`` [days]; optional ``priority`` (lower first) and
        ``patience`` [days] per line.
    policy : BaseStock, ReorderPoint, MinMax or OrderUpTo
        Replenishment policy; quantities in units, review period in days.
    lead_times : numpy.ndarray of float, shape (n_reps, n_orders) or (n_orders,)
        Lead time [days, >= 0] of replenishment order ``k`` (0-based, in the order
        placed) of each replication; a 1-D array is shared by all replications.
    initial_on_hand : float or numpy.ndarray of shape (n_reps,), optional
        Stock on hand at time 0 [units], nothing on order. Default: the policy's
        ``initial_position()`` (0 if that is negative).
    allocation : {"fifo", "priority"}, default "fifo"
        Order in which the backorder queue is served.
    shipping : {"partial", "complete"}, default "partial"
        Ship what is there, or ship a line only whole (no overtaking).
    max_wait_days : float, optional
        Cancel what is still open this many days after a line was ordered [days];
        ``None`` = no limit (each line's ``patience`` still applies).
    sequential_supply : bool, default False
        If True an order never arrives before the one placed before it:
        ``arrival_k = max(placed_k + lead_times[k], arrival_{k-1})``.

    Returns
    -------
    EngineResult
        Per line, per replenishment order and per replication, as documented in
        :class:`~backorder_analytics.simulation.base.EngineResult`. ``extra`` holds
        ``initial_on_hand`` (per replication [units]).

    Raises
    ------
    ValueError
        For an unknown ``allocation``/``shipping``/policy, negative or missing lead
        times (more orders placed than ``lead_times`` has columns), lines outside
        ``[0, horizon]`` or out of order, or a negative ``initial_on_hand``.

    Notes
    -----
    The event order at one instant (receipts, demand, cancellations, review) and the
    policy and queue conventions are listed in the module docstring. Cost: a few
    microseconds per line and per order, in one Python loop per replication.

    Examples
    --------
    >>> import numpy as np
    >>> from backorder_analytics.simulation.base import BaseStock, DemandStream
    >>> d = DemandStream(rep=[0, 0, 0], time=[0.0, 1.0, 2.0], qty=[1, 1, 1],
    ...                  n_reps=1, horizon=10.0)
    >>> res = run_events(d, BaseStock(S=1), np.full((1, 3), 2.5))
    >>> res.ship_time.tolist()     # the first from stock; the others wait for receipts
    [0.0, 2.5, 3.5]
    >>> res.order_received.tolist()
    [2.5, 3.5, 4.5]
    """
    check_options(allocation, shipping)
    kind, p1, p2, review = _policy_params(policy)
    max_wait_days = check_max_wait_days(max_wait_days)
    mw = _INF if max_wait_days is None else max_wait_days

    n_reps = int(demand.n_reps)
    horizon = float(demand.horizon)
    n_lines = demand.n_lines
    rep, time, qty = demand.rep, demand.time, demand.qty
    _check_demand(rep, time, qty, n_reps, horizon)

    lt = np.asarray(lead_times, dtype=np.float64)
    if lt.ndim == 1:
        lt = np.broadcast_to(lt, (n_reps, lt.shape[0]))
    if lt.ndim != 2 or lt.shape[0] != n_reps:
        raise ValueError(
            "The 'lead_times' parameter must have shape (n_reps, n_orders) = "
            f"({n_reps}, ...) or (n_orders,). Got shape {np.shape(lead_times)}."
        )
    if lt.size and not (np.all(lt >= 0)):
        raise ValueError(
            "The 'lead_times' parameter must hold lead times >= 0 days (no NaN). "
            f"Got min {np.nanmin(lt) if np.isfinite(lt).any() else lt.min()!r}."
        )

    if initial_on_hand is None:
        oh0 = np.full(n_reps, max(int(policy.initial_position()), 0), dtype=np.int64)
    else:
        raw = np.asarray(initial_on_hand, dtype=np.float64)
        oh0 = np.broadcast_to(raw, (n_reps,)).astype(np.int64)
        if np.any(oh0 < 0) or np.any(oh0 != np.broadcast_to(raw, (n_reps,))):
            raise ValueError(
                "The 'initial_on_hand' parameter must hold whole units >= 0. "
                f"Got {initial_on_hand!r}."
            )

    sao = np.zeros(n_lines, dtype=np.int64)
    shipped = np.zeros(n_lines, dtype=np.int64)
    cancelled = np.zeros(n_lines, dtype=np.int64)
    ship_time = np.full(n_lines, np.inf)
    cancel_time = np.full(n_lines, np.nan)
    oh_area = np.zeros(n_reps)
    bo_area = np.zeros(n_reps)
    oh_end = np.zeros(n_reps, dtype=np.int64)
    bo_end = np.zeros(n_reps, dtype=np.int64)
    o_rep: list[np.ndarray] = []
    o_placed: list[list[float]] = []
    o_qty: list[list[int]] = []
    o_recv: list[list[float]] = []

    bounds = demand.bounds().tolist()
    prio_alloc = allocation == "priority"
    complete = shipping == "complete"
    sequential = bool(sequential_supply)
    for r in range(n_reps):
        a, b = bounds[r], bounds[r + 1]
        pats = demand.patience[a:b]
        dl = np.minimum(pats, mw) + time[a:b]          # cancellation deadline per line
        keys = None
        if prio_alloc:
            pr = demand.priority[a:b]
            keys = ((pr - (pr.min() if b > a else 0)) * (b - a) + np.arange(b - a)).tolist()
        out = _run_one(
            time[a:b].tolist(), qty[a:b].tolist(), dl.tolist(), keys, lt[r].tolist(),
            int(oh0[r]), kind, p1, p2, review, horizon, complete, sequential,
        )
        (l_sao, l_shp, l_can, l_st, l_ct, op, oq, orc, oha, boa, ohe, boe) = out
        sao[a:b] = l_sao
        shipped[a:b] = l_shp
        cancelled[a:b] = l_can
        ship_time[a:b] = l_st
        cancel_time[a:b] = l_ct
        o_rep.append(np.full(len(op), r, dtype=np.int64))
        o_placed.append(op)
        o_qty.append(oq)
        o_recv.append(orc)
        oh_area[r], bo_area[r], oh_end[r], bo_end[r] = oha, boa, ohe, boe

    def _cat(parts: list, dtype: type) -> np.ndarray:
        return np.array([x for p in parts for x in p], dtype=dtype)

    return EngineResult(
        served_at_once=sao,
        shipped=shipped,
        cancelled=cancelled,
        ship_time=ship_time,
        cancel_time=cancel_time,
        order_rep=np.concatenate(o_rep) if o_rep else np.zeros(0, dtype=np.int64),
        order_placed=_cat(o_placed, np.float64),
        order_qty=_cat(o_qty, np.int64),
        order_received=_cat(o_recv, np.float64),
        on_hand_area=oh_area,
        backorder_area=bo_area,
        on_hand_end=oh_end,
        backorders_end=bo_end,
        extra={"initial_on_hand": oh0},
    )


def _policy_params(policy: Policy) -> tuple[int, int, int, float]:
    """(kind, p1, p2, review period) of a policy; p1/p2 are r/Q, s/S or -/S [units]."""
    if isinstance(policy, BaseStock):
        return _BASE, 0, int(policy.S), 0.0
    if isinstance(policy, ReorderPoint):
        if int(policy.Q) <= 0:
            raise ValueError(f"ReorderPoint needs an order quantity Q >= 1. Got Q={policy.Q}.")
        return _ROP, int(policy.r), int(policy.Q), 0.0
    if isinstance(policy, MinMax):
        if int(policy.S) <= int(policy.s):
            raise ValueError(
                f"MinMax needs S > s. Got s={policy.s}, S={policy.S}; raise S above s."
            )
        return _MINMAX, int(policy.s), int(policy.S), 0.0
    if isinstance(policy, OrderUpTo):
        if not float(policy.R) > 0:
            raise ValueError(f"OrderUpTo needs a review period R > 0 days. Got R={policy.R}.")
        return _OUT, 0, int(policy.S), float(policy.R)
    raise ValueError(
        "The 'policy' parameter must be one of BaseStock, ReorderPoint, MinMax, OrderUpTo. "
        f"Got {type(policy).__name__} instead."
    )


def _check_demand(
    rep: np.ndarray, time: np.ndarray, qty: np.ndarray, n_reps: int, horizon: float
) -> None:
    """Raise ValueError unless lines are sorted by (rep, time) inside [0, horizon]."""
    if len(time) == 0:
        return
    if rep.min() < 0 or rep.max() >= n_reps or np.any(np.diff(rep) < 0):
        raise ValueError(
            f"DemandStream.rep must be sorted and within 0..{n_reps - 1} (n_reps={n_reps})."
        )
    if not (np.all(time >= 0) and np.all(time <= horizon)):
        raise ValueError(
            f"DemandStream.time must lie in [0, horizon={horizon}] days. "
            f"Got min {time.min()}, max {time.max()}."
        )
    same = np.diff(rep) == 0
    if np.any(np.diff(time)[same] < 0):
        raise ValueError("DemandStream.time must be non-decreasing within a replication.")
    if np.any(qty <= 0):
        raise ValueError(f"DemandStream.qty must be > 0 units. Got min {qty.min()}.")


def _serve_fifo(dq: deque, t: float, oh: int, bo: int, rem: list, shp: list, st: list,
                complete: bool) -> tuple[int, int]:
    """Serve the FIFO queue ``dq`` (line indices) from ``oh`` units at time ``t``."""
    while oh and dq:
        j = dq[0]
        r = rem[j]
        if not r:                       # cancelled: drop lazily
            dq.popleft()
            continue
        if oh >= r:
            oh -= r
            bo -= r
            shp[j] += r
            rem[j] = 0
            st[j] = t
            dq.popleft()
        elif complete:
            break
        else:
            shp[j] += oh
            rem[j] = r - oh
            bo -= oh
            oh = 0
    return oh, bo


def _serve_prio(pq: list, n: int, t: float, oh: int, bo: int, rem: list, shp: list,
                st: list, complete: bool) -> tuple[int, int]:
    """Serve the priority queue ``pq`` (keys ``priority·n + line``) from ``oh`` units."""
    while oh and pq:
        j = pq[0] % n
        r = rem[j]
        if not r:
            heappop(pq)
            continue
        if oh >= r:
            oh -= r
            bo -= r
            shp[j] += r
            rem[j] = 0
            st[j] = t
            heappop(pq)
        elif complete:
            break
        else:
            shp[j] += oh
            rem[j] = r - oh
            bo -= oh
            oh = 0
    return oh, bo


def _run_one(times: list, qtys: list, deadlines: list, keys: list | None, lt: list,
             oh: int, kind: int, p1: int, p2: int, review: float, horizon: float,
             complete: bool, sequential: bool) -> tuple:
    """One replication; all inputs are Python lists / scalars. See :func:`run_events`."""
    n = len(times)
    nlt = len(lt)
    rem = [0] * n
    sao = [0] * n
    shp = [0] * n
    can = [0] * n
    st = [_INF] * n
    ct = [_NAN] * n
    o_placed: list[float] = []
    o_qty: list[int] = []
    o_recv: list[float] = []
    rheap: list = []            # (arrival, order index)
    cheap: list = []            # (deadline, line index)
    prio = keys is not None
    dq: deque = deque()
    pq: list = []
    bo = 0                      # backordered units (open, not cancelled)
    ip = oh                     # inventory position
    last_arr = -_INF
    tlast = 0.0
    oh_area = 0.0
    bo_area = 0.0
    periodic = kind == _OUT
    tr = review if periodic else _INF
    kr = 1
    S = p2

    def too_many(k: int) -> ValueError:
        return ValueError(
            f"The 'lead_times' parameter has {nlt} columns but replenishment order {k} "
            "(0-based) was placed; pass at least as many lead times as orders."
        )

    i = 0
    while True:
        t = times[i] if i < n else _INF
        if rheap and rheap[0][0] < t:
            t = rheap[0][0]
        if cheap and cheap[0][0] < t:
            t = cheap[0][0]
        if tr < t:
            t = tr
        if t > horizon:
            break
        dt = t - tlast
        if dt:
            oh_area += oh * dt
            bo_area += bo * dt
            tlast = t

        # 1. receipts
        if rheap and rheap[0][0] <= t:
            while rheap and rheap[0][0] <= t:
                oh += o_qty[heappop(rheap)[1]]
            if bo:
                if prio:
                    oh, bo = _serve_prio(pq, n, t, oh, bo, rem, shp, st, complete)
                else:
                    oh, bo = _serve_fifo(dq, t, oh, bo, rem, shp, st, complete)

        # 2. demand, in row order
        i0 = i
        while i < n and times[i] <= t:
            q = qtys[i]
            ip -= q
            if not bo:
                if oh >= q:                 # the usual case: served from stock
                    oh -= q
                    sao[i] = q
                    shp[i] = q
                    st[i] = t
                    i += 1
                    continue
                if prio:
                    pq.clear()
                else:
                    dq.clear()
                if not complete:
                    sao[i] = oh
                    shp[i] = oh
                    q -= oh
                    oh = 0
            elif keys is not None and complete and oh >= q:  # prio
                # a better key than the (live) head jumps ahead and ships if it fits
                while not rem[pq[0] % n]:
                    heappop(pq)
                if keys[i] < pq[0]:
                    oh -= q
                    sao[i] = q
                    shp[i] = q
                    st[i] = t
                    i += 1
                    continue
            rem[i] = q
            bo += q
            if keys is not None:  # prio
                heappush(pq, keys[i])
            else:
                dq.append(i)
            d = deadlines[i]
            if d <= horizon:
                heappush(cheap, (d, i))
            i += 1

        # 3. cancellations due now (after receipts and demand)
        if cheap and cheap[0][0] <= t:
            freed = False
            while cheap and cheap[0][0] <= t:
                j = heappop(cheap)[1]
                r = rem[j]
                if r:
                    rem[j] = 0
                    can[j] = r
                    ct[j] = t
                    bo -= r
                    ip += r
                    freed = True
            if freed and bo and oh:
                if prio:
                    oh, bo = _serve_prio(pq, n, t, oh, bo, rem, shp, st, complete)
                else:
                    oh, bo = _serve_fifo(dq, t, oh, bo, rem, shp, st, complete)

        # 4. review / ordering: a continuous policy looks at the position after each of
        #    this instant's lines, in row order, with this instant's cancellations
        #    credited first (so without cancellations: after each line, as it happens)
        need = None
        if i > i0 and not periodic:
            p = ip
            for j in range(i0, i):
                p += qtys[j]
            need = []
            for j in range(i0, i):
                p -= qtys[j]
                if kind == _BASE:
                    if p < S:
                        need.append(S - p)
                        p = S
                elif kind == _ROP:
                    if p <= p1:
                        m = (p1 - p) // p2 + 1
                        need += [p2] * m
                        p += m * p2
                elif p <= p1:
                    need.append(S - p)
                    p = S
        if tr <= t:
            if ip < S:
                need = [S - ip]
            kr += 1
            tr = kr * review
        if need:
            for o in need:
                k = len(o_qty)
                if k >= nlt:
                    raise too_many(k)
                a = t + lt[k]
                if sequential and a < last_arr:
                    a = last_arr
                last_arr = a
                o_placed.append(t)
                o_qty.append(o)
                o_recv.append(a)
                heappush(rheap, (a, k))
                ip += o

    dt = horizon - tlast
    if dt > 0:
        oh_area += oh * dt
        bo_area += bo * dt
    return (sao, shp, can, st, ct, o_placed, o_qty, o_recv, oh_area, bo_area, oh, bo)
