"""What the backorder-queue engines take and return (DESIGN.md §4–§5).

Both engines — the fast FIFO engine on cumulative curves (:mod:`.fifo`) and the general
event engine (:mod:`.events`) — are pure functions of the same inputs::

    engine(demand: DemandStream, policy: Policy, lead_times: np.ndarray, *,
           initial_on_hand: np.ndarray | float | None = None,
           allocation: str = "fifo", shipping: str = "partial",
           max_wait_days: float | None = None, sequential_supply: bool = False)
        -> EngineResult

Conventions (tested; see DESIGN.md §4):

* time is continuous, in days from the start of the run (0); the run covers
  ``[0, demand.horizon]``;
* at one instant: receipts first, then demand (in row order), then review/ordering;
* the inventory position is on hand + on order − backorders; every policy decides on it;
* replenishment order ``k`` (0-based, in the order placed) of replication ``r`` takes
  ``lead_times[r, k]`` days: common random numbers, so two engines, or two policies,
  see the same lead times for the same order number. Orders may cross (a later order
  can arrive first) unless ``sequential_supply``, where an order never arrives before
  the one placed before it (arrival = max(own arrival, previous arrival));
* allocation: ``"fifo"`` serves the backorder queue in arrival order, ``"priority"`` by
  ``demand.priority`` (lower first) then arrival; shipping: ``"partial"`` ships what is
  there, ``"complete"`` ships a line only whole (stock waits for it, and lines behind it
  in the queue wait too: no overtaking within the allocation order);
* a line still (partly) waiting ``max_wait_days`` after it was ordered, or at its own
  ``demand.patience``, is cancelled: its unshipped units are cancelled (counted);
* the wait of a line is the ship time of its last unit − its order time (0 if served at
  once); lines still open at the horizon have ``ship_time = inf``;
* conservation, per line: ``qty = shipped + open + cancelled``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

__all__ = ["DemandStream", "EngineResult", "Policy", "BaseStock", "ReorderPoint", "MinMax",
           "OrderUpTo", "rep_bounds", "rep_slices", "order_by_rep_time"]


def rep_bounds(rep: np.ndarray, n_reps: int) -> np.ndarray:
    """Start offsets of each replication in a flat array sorted by ``rep``: replication
    ``r`` is ``[b[r], b[r+1])``; shape ``(n_reps + 1,)``."""
    return np.searchsorted(rep, np.arange(n_reps + 1))


def rep_slices(bounds: np.ndarray) -> list[slice]:
    """One slice per replication from :func:`rep_bounds`."""
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def order_by_rep_time(rep: np.ndarray, time: np.ndarray, n_reps: int) -> np.ndarray | None:
    """The stable permutation that sorts flat arrays by ``(rep, time)``, or ``None`` when
    they are sorted already (no copy, no sort).

    When ``rep`` is non-decreasing (the usual case: lines, orders) only the runs of each
    replication are sorted, one short stable sort each; otherwise one lexsort.
    """
    rep, time = np.asarray(rep), np.asarray(time)
    rep_up = rep[1:] >= rep[:-1]
    if np.all(rep_up & ((rep[1:] > rep[:-1]) | (time[1:] >= time[:-1]))):
        return None
    if not np.all(rep_up):
        return np.lexsort((time, rep))
    perm = np.arange(len(rep))
    for run in rep_slices(rep_bounds(rep, n_reps)):
        perm[run] = run.start + np.argsort(time[run], kind="stable")
    return perm



@dataclass
class DemandStream:
    """Customer order lines of all replications, flat, sorted by ``(rep, time)``.

    Attributes
    ----------
    rep : numpy.ndarray of int64, shape (n_lines,)
        Replication of each line (0 .. n_reps−1).
    time : numpy.ndarray of float64
        Order time [days since the start], non-decreasing within a replication.
    qty : numpy.ndarray of int64
        Units ordered (> 0).
    n_reps : int
    horizon : float
        Length of each replication [days].
    priority : numpy.ndarray of int64, optional
        Lower is served first under ``allocation="priority"``; default all 0.
    patience : numpy.ndarray of float64, optional
        Days the customer waits before cancelling what is still open; ``inf`` = never.
    """

    rep: np.ndarray
    time: np.ndarray
    qty: np.ndarray
    n_reps: int
    horizon: float
    # None, the default, is replaced in __post_init__ (all 0, all inf): the attributes are
    # never None, the constructor below accepts it
    priority: np.ndarray = None  # type: ignore[assignment]
    patience: np.ndarray = None  # type: ignore[assignment]

    if TYPE_CHECKING:  # the signature of the generated __init__, as the parameters read
        def __init__(self, rep: np.ndarray, time: np.ndarray, qty: np.ndarray, n_reps: int,
                     horizon: float, priority: np.ndarray | None = None,
                     patience: np.ndarray | None = None) -> None: ...

    def __post_init__(self) -> None:
        self.rep = np.asarray(self.rep, dtype=np.int64)
        self.time = np.asarray(self.time, dtype=np.float64)
        self.qty = np.asarray(self.qty, dtype=np.int64)
        n = len(self.time)
        if self.priority is None:
            self.priority = np.zeros(n, dtype=np.int64)
        if self.patience is None:
            self.patience = np.full(n, np.inf)
        self.priority = np.asarray(self.priority, dtype=np.int64)
        self.patience = np.asarray(self.patience, dtype=np.float64)

    @property
    def n_lines(self) -> int:
        return len(self.time)

    def bounds(self) -> np.ndarray:
        """Start offsets of each replication's lines: ``lines[b[r]:b[r+1]]``."""
        return np.searchsorted(self.rep, np.arange(self.n_reps + 1))


@dataclass
class EngineResult:
    """What happened to every line and every replenishment order.

    Per line (aligned with the DemandStream): ``served_at_once`` (units shipped from
    stock at the order time), ``shipped`` (units shipped by the horizon), ``cancelled``
    (units cancelled), ``ship_time`` (time its last unit shipped; ``inf`` while open or
    if it was cancelled), ``cancel_time`` (``nan`` if not cancelled).

    Per replenishment order (flat, sorted by ``(rep, placed)``): ``order_rep``,
    ``order_placed``, ``order_qty``, ``order_received`` [days].

    Per replication, time integrals over ``[0, horizon]`` [unit·days]: ``on_hand_area``,
    ``backorder_area`` (backordered units), so averages are area / horizon; and the
    end state ``on_hand_end``, ``backorders_end``.
    """

    served_at_once: np.ndarray
    shipped: np.ndarray
    cancelled: np.ndarray
    ship_time: np.ndarray
    cancel_time: np.ndarray
    order_rep: np.ndarray
    order_placed: np.ndarray
    order_qty: np.ndarray
    order_received: np.ndarray
    on_hand_area: np.ndarray
    backorder_area: np.ndarray
    on_hand_end: np.ndarray
    backorders_end: np.ndarray
    extra: dict = field(default_factory=dict)


class Policy:
    """A replenishment policy; subclasses hold their parameters (units, days)."""

    periodic: bool = False
    review_period: float = 0.0

    def initial_position(self) -> int:
        """Inventory position (= on hand, nothing on order) at time 0, by default."""
        raise NotImplementedError


@dataclass(frozen=True)
class BaseStock(Policy):
    """One-for-one replenishment up to base-stock level ``S`` [units]: every demand of
    ``q`` units triggers an order of ``q``, so the inventory position stays ``S``."""

    S: int

    def initial_position(self) -> int:
        return int(self.S)


@dataclass(frozen=True)
class ReorderPoint(Policy):
    """Continuous review ``(r, Q)``: whenever the inventory position is ``<= r``, order
    ``Q`` (as many times as needed to lift it above ``r``). Starts at ``r + Q``."""

    r: int
    Q: int

    def initial_position(self) -> int:
        return int(self.r + self.Q)


@dataclass(frozen=True)
class MinMax(Policy):
    """Continuous review ``(s, S)``: whenever the position is ``<= s``, order up to ``S``.
    Starts at ``S``."""

    s: int
    S: int

    def initial_position(self) -> int:
        return int(self.S)


@dataclass(frozen=True)
class OrderUpTo(Policy):
    """Periodic review ``(R, S)``: every ``R`` days (at ``R, 2R, …``, after that instant's
    receipts and demand) order up to ``S``. Starts at ``S``."""

    R: float
    S: int
    periodic: bool = True

    @property
    def review_period(self) -> float:  # type: ignore[override]
        return float(self.R)

    def initial_position(self) -> int:
        return int(self.S)
