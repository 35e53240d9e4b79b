"""The event loop of :func:`~backorder_analytics.replay`, compiled (numba).

One call replays every SKU: per SKU its receipts, order lines and cancellations in
time order (receipts first, then demand, then cancellations at one instant), serving
the queue after every event from a binary heap keyed by allocation order. Arrays in,
arrays out; the conventions are in :mod:`backorder_analytics.simulation.replay`.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["replay_events", "first_and_last"]

BIG = 1 << 62
""""Never" [ns]."""


@numba.njit(cache=True)
def _push(heap, size, key):
    i = size
    heap[i] = key
    while i > 0:
        parent = (i - 1) >> 1
        if heap[parent] <= heap[i]:
            break
        heap[parent], heap[i] = heap[i], heap[parent]
        i = parent
    return size + 1


@numba.njit(cache=True)
def _pop(heap, size):
    size -= 1
    heap[0] = heap[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and heap[left + 1] < heap[left]:
            child = left + 1
        if heap[i] <= heap[child]:
            break
        heap[i], heap[child] = heap[child], heap[i]
        i = child
    return size


@numba.njit(cache=True)
def replay_events(order, bounds, t, qty, prio, cancel, r_order, r_bounds, r_t, r_q,
                  opening, priority, complete):
    """Replay every SKU; lines and receipts of SKU ``s`` are ``order[bounds[s]:bounds[s+1]]``
    (sorted by time, then row) and ``r_order[r_bounds[s]:r_bounds[s+1]]``.

    ``cancel`` is each line's cancellation instant (``BIG``: none). Returns per line
    ``remaining``, ``at_once``, ``cancelled`` [units] and ``cancel_at`` [ns, ``-BIG``
    if not cancelled], and the shipments ``(line, units, time)``.
    """
    n = len(t)
    remaining = qty.copy()
    at_once = np.zeros(n, np.int64)
    cancelled = np.zeros(n, np.int64)
    cancel_at = np.full(n, -BIG, np.int64)
    cap = 3 * n + len(r_t) + 1  # a full shipment per line, a partial one per event
    s_line = np.empty(cap, np.int64)
    s_qty = np.empty(cap, np.int64)
    s_t = np.empty(cap, np.int64)
    n_ship = 0
    heap = np.empty(max(n, 1), np.int64)
    for s in range(len(bounds) - 1):
        lo, hi = bounds[s], bounds[s + 1]
        m = hi - lo
        idx = order[lo:hi]
        ridx = r_order[r_bounds[s]:r_bounds[s + 1]]
        # cancellations of this SKU, by (time, arrival)
        c_local = np.empty(m, np.int64)
        nc = 0
        for i in range(m):
            if cancel[idx[i]] < BIG:
                c_local[nc] = i
                nc += 1
        c_local = c_local[:nc]
        c_times = np.empty(nc, np.int64)
        for k in range(nc):
            c_times[k] = cancel[idx[c_local[k]]]
        c_sort = np.argsort(c_times, kind="mergesort")  # stable: ties by arrival
        c_local = c_local[c_sort]
        size = 0
        on_hand = opening[s]
        i = j = k = 0
        nr = len(ridx)
        tr = r_t[ridx[0]] if nr else BIG
        td = t[idx[0]] if m else BIG
        tc = cancel[idx[c_local[0]]] if nc else BIG
        while True:
            if tr <= td and tr <= tc:  # receipt (first at an instant)
                if tr == BIG:
                    break
                now = tr
                on_hand += r_q[ridx[j]]
                j += 1
                tr = r_t[ridx[j]] if j < nr else BIG
            elif td <= tc:  # demand
                now = td
                key = i + prio[idx[i]] * m if priority else i
                size = _push(heap, size, key)
                i += 1
                td = t[idx[i]] if i < m else BIG
            else:  # cancellation of what is still open
                now = tc
                line = idx[c_local[k]]
                k += 1
                tc = cancel[idx[c_local[k]]] if k < nc else BIG
                need = remaining[line]
                if need:
                    cancelled[line] = need
                    cancel_at[line] = now
                    remaining[line] = 0
            while size > 0 and on_hand > 0:  # serve the queue in allocation order
                local = heap[0] % m
                line = idx[local]
                need = remaining[line]
                if need == 0:
                    size = _pop(heap, size)
                    continue
                if need > on_hand:
                    if complete:
                        break
                    ship = on_hand
                else:
                    ship = need
                    size = _pop(heap, size)
                remaining[line] = need - ship
                on_hand -= ship
                s_line[n_ship] = line
                s_qty[n_ship] = ship
                s_t[n_ship] = now
                n_ship += 1
                if now == t[line]:
                    at_once[line] += ship
    return (remaining, at_once, cancelled, cancel_at, s_line[:n_ship], s_qty[:n_ship],
            s_t[:n_ship])


@numba.njit(cache=True)
def first_and_last(n, ship_line, ship_t, never, none):  # pragma: no cover
    """Per order line ``0 … n-1``, its first and last shipment time [ns] (``never`` /
    ``none`` for a line without any): one pass, where ``np.minimum.at`` /
    ``np.maximum.at`` take seconds for millions of shipments."""
    first = np.full(n, never, np.int64)
    last = np.full(n, none, np.int64)
    for k in range(len(ship_line)):
        i = ship_line[k]
        t = ship_t[k]
        if t < first[i]:
            first[i] = t
        if t > last[i]:
            last[i] = t
    return first, last
