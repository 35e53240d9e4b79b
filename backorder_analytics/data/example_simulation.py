"""The event simulation behind :func:`backorder_analytics.data.example.example_dataset`:
customer demand, a reorder-point policy, random lead times and a backorder queue served
by priority or arrival, partially or only whole, one SKU at a time. Private: the
conventions are documented in :mod:`backorder_analytics.data.example`.

A data generator, not a hot path: it walks each SKU's events in Python (60 SKUs over
two years take well under a second).
"""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd

SECONDS_PER_DAY = 86_400
REVIEW_SECOND = 22 * 3600
"""Each SKU is reviewed, and POs are placed, at 22:00."""


def simulate(
    lines: dict[str, np.ndarray],
    policy: pd.DataFrame,
    lt_days: np.ndarray,
    days: int,
    t_end: int,
    dates: pd.DatetimeIndex,
    allocation: str = "priority",
    shipping: str = "partial",
) -> dict[str, np.ndarray]:
    """Run every SKU through its event simulation; gather shipments, POs, counts."""
    snap_days = [0] + [d for d in range(1, days) if dates[d].day == 1]
    lt_sec = np.maximum(1, np.round(lt_days * SECONDS_PER_DAY)).astype(np.int64)
    by_sku = np.lexsort((np.arange(len(lines["sku"])), lines["t"], lines["sku"]))
    bounds = np.searchsorted(lines["sku"][by_sku], np.arange(len(policy) + 1))
    r, q, s0 = (policy[c].to_numpy() for c in ("r", "Q", "opening_stock"))

    ship_line, ship_qty, ship_t, cancel_t = [], [], [], np.full(len(by_sku), -1, np.int64)
    po_sku, po_qty, po_t, po_recv, snap_on_hand = [], [], [], [], []
    for s in range(len(policy)):
        idx = by_sku[bounds[s] : bounds[s + 1]]
        out = _simulate_sku(
            lines["t"][idx].tolist(),
            lines["qty"][idx].tolist(),
            lines["priority"][idx].tolist(),
            lines["patience"][idx].tolist(),
            int(r[s]),
            int(q[s]),
            int(s0[s]),
            lt_sec[s].tolist(),
            days,
            t_end,
            snap_days,
            allocation == "fifo",
            shipping == "complete",
        )
        ship_line.append(idx[np.asarray(out["ship_line"], dtype=np.int64)])
        ship_qty.append(out["ship_qty"])
        ship_t.append(out["ship_t"])
        cancelled = np.asarray(out["cancel_t"], dtype=np.int64)
        cancel_t[idx] = cancelled
        po_sku.append(np.full(len(out["po_qty"]), s, dtype=np.int64))
        po_qty.append(out["po_qty"])
        po_t.append(out["po_t"])
        po_recv.append(out["po_recv"])
        snap_on_hand.append(out["snaps"])
    return {
        "ship_line": np.concatenate(ship_line),
        "ship_qty": np.concatenate(ship_qty).astype(np.int64),
        "ship_t": np.concatenate(ship_t).astype(np.int64),
        "cancel_t": cancel_t,
        "po_sku": np.concatenate(po_sku),
        "po_qty": np.concatenate(po_qty).astype(np.int64),
        "po_t": np.concatenate(po_t).astype(np.int64),
        "po_recv": np.concatenate(po_recv).astype(np.int64),
        "snap_days": np.array(snap_days, dtype=np.int64),
        "snap_on_hand": np.array(snap_on_hand, dtype=np.int64),
    }


def _simulate_sku(
    times: list[int],
    qty: list[int],
    prio: list[int],
    patience: list[int],
    r: int,
    q: int,
    opening: int,
    lt_sec: list[int],
    days: int,
    t_end: int,
    snap_days: list[int],
    fifo: bool = False,
    complete: bool = False,
) -> dict[str, list[int]]:
    """Event simulation of one SKU, times in seconds; lines sorted by arrival.

    Pending receipts (kind 0) and cancellations (kind 2) wait in a heap; at equal
    times receipts precede demand (kind 1), which precedes cancellations. The queue is
    ordered by (priority, arrival), or by arrival alone when ``fifo``; it is served
    after every receipt and cancellation. ``complete`` ships a line only whole, and
    the lines behind it wait (no overtaking); a new line ships at once only when it
    would head the queue and the stock covers it. Returns shipments (line position,
    units, time), cancel times (-1 if none), POs (units, order time, receipt time or
    -1 while open) and the on-hand counts on snap days.
    """
    n = len(times)
    remaining = list(qty)
    cancel_t = [-1] * n
    ship_line: list[int] = []
    ship_qty: list[int] = []
    ship_t: list[int] = []
    po_qty: list[int] = []
    po_t: list[int] = []
    po_recv: list[int] = []
    snaps: list[int] = []
    queue: list[tuple[int, int, int]] = []  # (priority, arrival, line)
    pending: list[tuple[int, int, int]] = []  # (time, kind, po or line)
    state = {"on_hand": opening, "on_order": 0, "backlog": 0, "i": 0}
    big = 1 << 62

    def advance(limit: int) -> None:
        """Process every event strictly before ``limit`` [s]."""
        on_hand, on_order, backlog, i = (
            state["on_hand"], state["on_order"], state["backlog"], state["i"]
        )
        while True:
            tp, kp, jp = pending[0] if pending else (big, 0, 0)
            td = times[i] if i < n else big
            if tp < td or (tp == td and kp == 0):
                if tp >= limit:
                    break
                heapq.heappop(pending)
                if kp == 0:  # receipt of PO jp: the units join the stock
                    on_hand += po_qty[jp]
                    on_order -= po_qty[jp]
                    po_recv[jp] = tp
                elif remaining[jp] > 0:  # cancellation of a line still waiting
                    backlog -= remaining[jp]
                    remaining[jp] = 0
                    cancel_t[jp] = tp
                else:
                    continue
                while queue and on_hand > 0:  # serve the queue, the rest is stock
                    line = queue[0][2]
                    need = remaining[line]
                    if need == 0:  # cancelled
                        heapq.heappop(queue)
                        continue
                    if complete and need > on_hand:
                        break
                    ship = min(need, on_hand)
                    ship_line.append(line)
                    ship_qty.append(ship)
                    ship_t.append(tp)
                    remaining[line] = need - ship
                    on_hand -= ship
                    backlog -= ship
                    if need == ship:
                        heapq.heappop(queue)
            else:
                if td >= limit:
                    break
                need = qty[i]
                key = (0 if fifo else prio[i], td, i)
                while queue and remaining[queue[0][2]] == 0:
                    heapq.heappop(queue)
                first = not queue or key < queue[0]
                # partial: stock > 0 only while the queue is empty
                ship = (need if on_hand >= need else 0) if complete else min(need, on_hand)
                if ship > 0 and first:
                    ship_line.append(i)
                    ship_qty.append(ship)
                    ship_t.append(td)
                    on_hand -= ship
                else:
                    ship = 0
                if ship < need:
                    remaining[i] = need - ship
                    backlog += need - ship
                    heapq.heappush(queue, key)
                    if patience[i] >= 0:
                        heapq.heappush(pending, (td + patience[i], 2, i))
                else:
                    remaining[i] = 0
                i += 1
        state.update(on_hand=on_hand, on_order=on_order, backlog=backlog, i=i)

    snap_set = set(snap_days)
    for d in range(days):
        day0 = d * SECONDS_PER_DAY
        if d in snap_set:
            advance(day0)
            snaps.append(state["on_hand"])
        review = day0 + REVIEW_SECOND
        advance(review + 1)  # events at the review instant come before it
        position = state["on_hand"] + state["on_order"] - state["backlog"]
        if position <= r:
            units = ((r - position) // q + 1) * q
            j = len(po_qty)
            po_qty.append(units)
            po_t.append(review)
            po_recv.append(-1)
            state["on_order"] += units
            heapq.heappush(pending, (review + lt_sec[j], 0, j))
    advance(t_end + 1)
    return {
        "ship_line": ship_line,
        "ship_qty": ship_qty,
        "ship_t": ship_t,
        "cancel_t": cancel_t,
        "po_qty": po_qty,
        "po_t": po_t,
        "po_recv": po_recv,
        "snaps": snaps,
    }


# --------------------------------------------------------------------------- tables
