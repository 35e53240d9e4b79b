"""Common-random-numbers evaluation of ``(r, Q)`` / ``(R, S)`` for the safety-stock search.

Private kernel of :func:`backorder_analytics.recommend_safety_stock`: simulated demand
lines for one SKU (:func:`poisson_lines`, :func:`daily_lines`), the replenishment orders,
which do not depend on the reorder level (:func:`replenishment_orders`), and
:class:`CRNRun`, which evaluates every integer level on the same draws at once
(DESIGN.md §5, "common random numbers across the policy settings being compared").
Arrays in, arrays out; no pandas.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["CRNRun", "poisson_lines", "daily_lines", "replenishment_orders"]


class CRNRun:
    """All replications of one SKU, evaluated for every reorder level at once.

    A compact vectorised FIFO engine on cumulative curves (DESIGN §5) specialised to
    the safety-stock search (FIFO, partial shipping, no cancellation, orders may
    cross). Under ``(r, Q)`` with starting position ``r + offset`` (``offset = Q − u``,
    ``u`` uniform on 0 … Q−1 per replication) the k-th order is placed when cumulative
    demand first reaches ``k·Q − u``; under ``(R, S)`` (``offset = 0``) at
    ``k·R`` for the demand since the last review; neither depends on the level
    (``r`` or ``S``). So with the *same* demand lines and lead-time draws (common random
    numbers), net inventory is ``level + c(t)`` with ``c`` independent of the level:

    * units served at once by line i: ``clip(level + b_i, 0, q_i)``,
      ``b_i = offset + supply arrived by t_i − demand before line i``;
    * cycle service: net inventory just before each receipt ``≥ 0``;
    * on hand / backorders: time integrals of ``(level + c)^±``;
    * wait of line i: its last unit (cumulative position ``D_i``) ships at the first
      receipt that lifts cumulative supply to ``D_i − level − offset``.

    Fill, CSL and the areas for every integer level come from one histogram pass each,
    exactly; line waits need one pass per level evaluated. Receipts come before demand
    at the same instant (DESIGN §4). Lines and receipts before ``warmup`` are simulated
    but not counted. TODO: merge into ``simulate.fifo.run_fifo`` once that engine
    exposes level-independent cumulative curves.
    """

    def __init__(self, rep, t, q, n_reps, t_end, warmup, o_rep, o_time, o_qty, lead,
                 offset):
        self.n_reps, self.t_end, self.warmup = n_reps, t_end, warmup
        self.off = np.broadcast_to(np.asarray(offset, np.int64), (n_reps,))
        G = np.cumsum(q)
        self.G0 = np.concatenate([[0], G])
        self.line_start = np.searchsorted(rep, np.arange(n_reps + 1))
        a = o_time + lead
        self.big_t = big_t = float(t_end + (lead.max() if len(lead) else 0.0) + 2.0)
        akey = o_rep * big_t + a
        order = np.argsort(akey, kind="stable")
        self.akey, self.a, self.aq, self.arep = akey[order], a[order], o_qty[order], o_rep[order]
        self.C0 = np.concatenate([[0], np.cumsum(self.aq)])
        self.arr_start = np.searchsorted(self.arep, np.arange(n_reps + 1))
        self.Crep = self.C0[1:] - self.C0[self.arr_start[:-1]][self.arep]
        self.lkey = lkey = rep * big_t + t
        self.n_arr = n_arr = _count_le(self.akey, lkey)
        # per-rep constant: offset − supply before the rep + demand before the rep
        const = self.off - self.C0[self.arr_start[:-1]] + self.G0[self.line_start[:-1]]
        self.const = const
        # b_i = offset + supply arrived by t_i − demand before line i (all in-rep)
        self.b_all = _line_balance(const, rep, self.C0, n_arr, G, q)
        self.rep, self.t, self.q, self.G = rep, t, q, G
        m = t >= warmup
        self.m = m
        self.bc, self.qc = self.b_all[m], q[m]
        self.units = int(self.qc.sum())
        self.n_lines = int(m.sum())

    # ----------------------------------------------------------------- all levels at once

    def level_range(self, r_min: int) -> np.ndarray:
        hi = int((self.qc - self.bc).max()) if self.n_lines else r_min
        return np.arange(r_min, max(hi, r_min) + 1)

    def fill(self, levels: np.ndarray) -> np.ndarray:
        """Units served at once / units demanded, for consecutive integer levels."""
        r_lo, n = int(levels[0]), len(levels)
        if self.units == 0:
            return np.ones(n)
        return _fill_curve(self.bc, self.qc, r_lo, n) / self.units

    def csl(self, levels: np.ndarray) -> np.ndarray:
        """Share of receipts (in the window) with net inventory >= 0 just before."""
        w = (self.a >= self.warmup) & (self.a <= self.t_end)
        if not w.any():
            return np.full(len(levels), np.nan)
        ak, ar = self.akey[w], self.arep[w]
        c = (self.const[ar] + self.C0[np.searchsorted(self.akey, ak, side="left")]
             - self.G0[np.searchsorted(self.lkey, ak, side="left")])
        c = np.sort(c)
        return 1.0 - np.searchsorted(c, -levels, side="left") / len(c)

    def areas(self, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Average on hand and average backorders [units] over the window.

        Net inventory − level is piecewise constant: after line i it is ``b_i − q_i``
        until the next line or receipt; after receipt j it is
        ``offset + supply up to j − demand before a_j`` until the next event; before
        the first event of a replication it is ``offset``.
        """
        nl_idx = np.searchsorted(self.lkey, self.akey, side="left")  # first line at/after
        h, vmin = _area_histogram(
            self.rep, self.t, self.b_all, self.q, self.n_arr, self.a, self.arep, self.C0,
            self.G0, nl_idx, self.const, self.off, self.line_start, self.arr_start,
            self.t_end, self.warmup)
        v = vmin + np.arange(len(h))
        s0 = np.append(np.cumsum(h[::-1])[::-1], 0.0)
        s1 = np.append(np.cumsum((h * v)[::-1])[::-1], 0.0)
        idx = np.clip(-levels - vmin + 1, 0, len(h))
        on_hand = s1[idx] + levels * s0[idx]
        back = on_hand - levels * h.sum() - (h * v).sum()
        span = self.n_reps * (self.t_end - self.warmup)
        return on_hand / span, np.maximum(back, 0.0) / span

    # ----------------------------------------------------------------- one level

    def waits(self, level: int) -> np.ndarray:
        """Wait [days] of every counted line at ``level``; ``inf`` when the supply it
        needs would come from an order placed after the horizon."""
        # supply the last unit of line i needs: D_i − level − offset (all in-rep)
        need = self.qc - self.bc - level  # = D_i − level − offset − supply by t_i
        out = np.zeros(self.n_lines)
        pend = np.flatnonzero(need > 0)
        if not len(pend):
            return out
        idx = np.flatnonzero(self.m)[pend]
        rep = self.rep[idx]
        # cumulative in-rep supply needed: supply by t_i + need
        target = self.C0[self.n_arr[idx]] - self.C0[self.arr_start[rep]] + need[pend]
        if len(self.a):
            big = float(self.Crep.max() + max(int(target.max()), 0) + 2)
            j = np.searchsorted(self.arep * big + self.Crep, rep * big + target, side="left")
            ok = j < self.arr_start[rep + 1]
            ship = np.where(ok, self.a[np.minimum(j, len(self.a) - 1)], np.inf)
        else:
            ship = np.full(len(pend), np.inf)
        out[pend] = np.maximum(ship - self.t[idx], 0.0)
        return out


def poisson_lines(rng, rate, sizes, n_reps, t_end):
    """Compound-Poisson order lines, per replication: exponential gaps at ``rate``
    [lines/day] cumulated until ``t_end``; sizes bootstrapped from the SKU's history."""
    mean_n = rate * t_end
    width = int(mean_n + 6.0 * np.sqrt(mean_n) + 10)
    gaps = rng.standard_exponential((n_reps, width))
    rep, t, short = _arrivals_before(gaps, 1.0 / rate, t_end)
    if short:  # rare: top up the replications that ran short
        cs = np.cumsum(gaps, axis=1)
        cs *= 1.0 / rate
        while (cs[:, -1] < t_end).any():
            more = np.cumsum(rng.standard_exponential((n_reps, width)), axis=1) / rate
            cs = np.concatenate([cs, cs[:, -1:] + more], axis=1)
        rep, col = np.nonzero(cs < t_end)
        t = cs[rep, col]
    if len(sizes) and (sizes == sizes[0]).all():
        q = np.full(len(t), sizes[0], dtype=np.int64)
    else:
        q = sizes[rng.integers(0, len(sizes), len(t))].astype(np.int64)
    return rep.astype(np.int64), t, q


def daily_lines(rng, pool, n_reps, t_end):
    """One line per day with demand, size bootstrapped from a pool of daily demands,
    placed at mid-day."""
    n_days = int(np.ceil(t_end))
    draw = pool[rng.integers(0, len(pool), (n_reps, n_days))]
    rep, day = np.nonzero(draw > 0)
    t = day + 0.5
    keep = t < t_end
    return rep[keep].astype(np.int64), t[keep], draw[rep[keep], day[keep]].astype(np.int64)


def replenishment_orders(rep, t, D, n_reps, line_start, q_order, review_period, t_end, u=None):
    """Replenishment orders (rep, time, qty), independent of the reorder level."""
    if review_period is None:  # (r, Q): k-th order when D + u reaches k·Q
        tot = np.zeros(n_reps, np.int64)
        has = line_start[1:] > line_start[:-1]
        tot[has] = D[line_start[1:][has] - 1]
        n_ord = (tot + u) // q_order
        o_rep = np.repeat(np.arange(n_reps), n_ord)
        k = np.arange(len(o_rep)) - np.repeat(np.cumsum(n_ord) - n_ord, n_ord) + 1
        big = int(tot.max()) + 1 if n_reps else 1
        idx = np.searchsorted(rep * big + D, o_rep * big + k * q_order - u[o_rep],
                              side="left")
        return o_rep, t[idx], np.full(len(o_rep), q_order, np.int64)
    n_rev = int(np.floor(t_end / review_period))
    o_rep = np.repeat(np.arange(n_reps), n_rev)
    o_time = np.tile(np.arange(1, n_rev + 1) * review_period, n_reps)
    big = t_end + 1.0
    cnt = np.searchsorted(rep * big + t, o_rep * big + o_time, side="right")
    G0 = np.concatenate([[0], D])  # D here: global cumulative demand
    dk = G0[cnt] - G0[line_start[o_rep]]
    prev = np.concatenate([[0], dk[:-1]])
    prev[::max(n_rev, 1)] = 0
    return o_rep, o_time, (dk - prev).astype(np.int64)


# ------------------------------------------------------------------ compiled loops


@numba.njit(cache=True, nogil=True)
def _arrivals_before(gaps, scale, t_end):  # pragma: no cover
    """Per row of exponential ``gaps``: the arrival times ``cumsum(gaps) * scale`` before
    ``t_end``, flat with their row; ``short`` when a row's gaps end before ``t_end``."""
    n_reps, width = gaps.shape
    count = np.zeros(n_reps, np.int64)
    short = False
    for r in range(n_reps):
        acc = 0.0
        k = 0
        for c in range(width):
            acc += gaps[r, c]
            if acc * scale >= t_end:
                break
            k += 1
        count[r] = k
        short = short or k == width
    total = count.sum()
    rep = np.empty(total, np.int64)
    t = np.empty(total)
    i = 0
    for r in range(n_reps):
        acc = 0.0
        for c in range(count[r]):
            acc += gaps[r, c]
            rep[i] = r
            t[i] = acc * scale
            i += 1
    return rep, t, short


@numba.njit(cache=True, nogil=True)
def _count_le(keys, values):  # pragma: no cover
    """``searchsorted(keys, values, side="right")`` for sorted ``values``: one merge."""
    out = np.empty(len(values), np.int64)
    j = 0
    for i in range(len(values)):
        while j < len(keys) and keys[j] <= values[i]:
            j += 1
        out[i] = j
    return out


@numba.njit(cache=True, nogil=True)
def _line_balance(const, rep, C0, n_arr, G, q):  # pragma: no cover
    """``b_i = const[rep_i] + C0[n_arr_i] − (G_i − q_i)`` for every line."""
    out = np.empty(len(q), np.int64)
    for i in range(len(q)):
        out[i] = const[rep[i]] + C0[n_arr[i]] - (G[i] - q[i])
    return out


@numba.njit(cache=True, nogil=True)
def _fill_curve(bc, qc, r_lo, n):  # pragma: no cover
    """Units served at once, ``Σ_i clip(r + b_i, 0, q_i)``, for ``r = r_lo … r_lo+n−1``:
    the sum at ``r_lo`` plus a difference array of where each line's term grows."""
    delta = np.zeros(n + 1, np.int64)
    served0 = 0
    for i in range(len(bc)):
        b, q = bc[i], qc[i]
        served0 += min(max(r_lo + b, 0), q)
        lo = max(-b, r_lo)
        hi = min(q - b, r_lo + n)
        if lo < hi:
            delta[lo - r_lo] += 1
            delta[hi - r_lo] -= 1
    out = np.empty(n)
    inc = 0
    served = served0
    for k in range(n):
        out[k] = served
        inc += delta[k]
        served += inc
    return out


@numba.njit(cache=True, nogil=True)
def _area_histogram(rep, t, b_all, q, n_arr, a, arep, C0, G0, nl_idx, const, off,
                    line_start, arr_start, t_end, warmup):  # pragma: no cover
    """Time spent [days] at each value of net inventory − level, over the window:
    after each line until the next event, after each receipt until the next event,
    and from the start of each replication to its first event (see
    :meth:`CRNRun.areas`). Returns the histogram and the value of its first bin."""
    nl, na, n_reps = len(t), len(a), len(off)
    vals = np.empty(nl + na + n_reps, np.int64)
    wts = np.empty(nl + na + n_reps)
    for i in range(nl):  # after line i: b_i − q_i until the next line or receipt
        t_next = t[i + 1] if i + 1 < nl and rep[i + 1] == rep[i] else t_end
        j = n_arr[i]
        a_next = a[j] if j < na and arep[j] == rep[i] else np.inf
        end = min(min(t_next, a_next), t_end)
        wts[i] = max(end - max(t[i], warmup), 0.0)
        vals[i] = b_all[i] - q[i]
    for j in range(na):  # after receipt j: until the next receipt or line
        nxt_a = a[j + 1] if j + 1 < na and arep[j + 1] == arep[j] else np.inf
        k = nl_idx[j]
        nxt_l = t[k] if k < nl and rep[k] == arep[j] else np.inf
        end = min(min(nxt_a, nxt_l), t_end)
        wts[nl + j] = max(end - max(a[j], warmup), 0.0)
        vals[nl + j] = const[arep[j]] + C0[j + 1] - G0[k]
    for r in range(n_reps):  # before the first event of the replication
        first = t[line_start[r]] if line_start[r + 1] > line_start[r] else t_end
        fa = a[arr_start[r]] if arr_start[r + 1] > arr_start[r] else np.inf
        wts[nl + na + r] = max(min(min(first, fa), t_end) - warmup, 0.0)
        vals[nl + na + r] = off[r]
    vmin = vals.min()
    h = np.zeros(vals.max() - vmin + 1)
    for i in range(len(vals)):
        h[vals[i] - vmin] += wts[i]
    return h, vmin
