"""Common-random-numbers evaluation of ``(r, Q)`` / ``(R, S)`` for the safety-stock search.

Private kernel of :func:`backorder_analytics.recommend_safety_stock`: simulated demand
lines for one SKU (:func:`demand_lines`, :func:`daily_lines`), the replenishment orders,
which do not depend on the reorder level (:func:`replenishment_orders`), and
:class:`CRNRun`, which evaluates every integer level on the same draws at once
(DESIGN.md §5, "common random numbers across the policy settings being compared").
Arrays in, arrays out; no pandas.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["CRNRun", "demand_lines", "daily_lines", "replenishment_orders"]


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


def demand_lines(rng, rate, sizes, n_reps, t_end, n_observed=None, level_sd=0.0):
    """Compound-Poisson order lines of every replication until ``t_end`` [days].

    ``rate`` [lines/day] is a number (constant) or one value per day ``[d, d+1)``
    (at least ``ceil(t_end)`` days). Unit-rate arrivals ``E`` (exponential gaps
    cumulated) are mapped through the inverse of the cumulative rate,
    ``t = Λ⁻¹(E)``: the time-change construction of an inhomogeneous Poisson process
    (Çinlar, 1975, §4.7). Sizes are bootstrapped from ``sizes``, the SKU's history.

    With ``n_observed`` (the number of lines the rate and ``sizes`` were estimated from)
    the lines are drawn from the *predictive* distribution rather than the plug-in one:
    each replication runs at ``rate · G``, ``G ~ Gamma(n, 1/n)`` (the posterior of a
    Poisson rate from ``n`` events, relative to its estimate), and draws its sizes from
    its own bootstrap resample of ``sizes`` (:func:`resample_pick`), so the
    uncertainty of the mean size is carried too (Rubin's Bayesian bootstrap in its
    resampling form). A SKU with thousands of lines is hardly affected; one with 50
    has its demand rate known to ±14 % and is stocked for that. ``level_sd`` ``τ``
    multiplies each replication's rate by a further log-normal factor
    ``exp(τ·Z − τ²/2)`` (mean 1): the uncertainty of a forecast's level."""
    days = np.asarray(rate, float)
    n_days = int(np.ceil(t_end))
    constant = days.ndim == 0
    cum = None if constant else np.concatenate([[0.0], np.cumsum(days[:n_days])])
    total = float(days) * t_end if cum is None else float(np.interp(t_end, np.arange(len(cum)),
                                                                     cum))
    if total <= 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)
    factor = (np.ones(n_reps) if not n_observed else
              rng.gamma(float(n_observed), 1.0 / float(n_observed), n_reps))
    if level_sd > 0:
        factor = factor * np.exp(level_sd * rng.standard_normal(n_reps) - level_sd**2 / 2)
    mean_n = total * float(factor.max())
    width = int(mean_n + 6.0 * np.sqrt(mean_n) + 10)
    gaps = rng.standard_exponential((n_reps, width))
    # E / G < total  ⇔  Λ_rep(t) = G·Λ(t) reaches E before t_end
    rep, e, short = _arrivals_before(gaps, 1.0 / factor, total)
    if short:  # rare: top up the replications that ran short
        cs = np.cumsum(gaps, axis=1) / factor[:, None]
        while (cs[:, -1] < total).any():
            more = np.cumsum(rng.standard_exponential((n_reps, width)), axis=1)
            cs = np.concatenate([cs, cs[:, -1:] + more / factor[:, None]], axis=1)
        rep, col = np.nonzero(cs < total)
        e = cs[rep, col]
    t = e / float(days) if cum is None else np.interp(e, cum, np.arange(len(cum), dtype=float))
    return rep.astype(np.int64), t, _sizes(rng, sizes, rep, n_reps, bool(n_observed))


def _sizes(rng, sizes, rep, n_reps, resample):
    n = len(sizes)
    if n and (sizes == sizes[0]).all():
        return np.full(len(rep), sizes[0], dtype=np.int64)
    if not resample:
        return sizes[rng.integers(0, n, len(rep))].astype(np.int64)
    key = int(rng.integers(0, 2**63))
    return sizes[resample_pick(key, rep, rng.integers(0, n, len(rep)), n)].astype(np.int64)


def resample_pick(key: int, rep: np.ndarray, k: np.ndarray, n: int) -> np.ndarray:
    """Element ``k`` of replication ``rep``'s bootstrap resample of ``n`` items, as an
    index into them, without drawing the resamples: ``splitmix64(key, rep, k) mod n``
    (Steele, Lea and Flood, 2014), a counter-based hash, so the same ``(rep, k)``
    always gives the same item. Each replication thus has its own resample of all
    ``n`` items at the cost of one hash per line."""
    return _splitmix_pick(np.uint64(key), rep.astype(np.uint64), k.astype(np.uint64),
                          np.uint64(n))


@numba.njit(cache=True, nogil=True)
def _splitmix_pick(key, rep, k, n):  # pragma: no cover
    out = np.empty(len(rep), np.int64)
    for i in range(len(rep)):
        z = key ^ (rep[i] * np.uint64(0xD1342543DE82EF95) + k[i] * np.uint64(0xAF251AF3B0F025B5))
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        out[i] = np.int64(z % n)
    return out


def daily_lines(rng, pool, n_reps, t_end):
    """One line per day with demand, size bootstrapped from a pool of daily demands,
    placed at mid-day."""
    n_days = int(np.ceil(t_end))
    draw = pool[rng.integers(0, len(pool), (n_reps, n_days))]
    rep, day = np.nonzero(draw > 0)
    t = day + 0.5
    keep = t < t_end
    return rep[keep].astype(np.int64), t[keep], draw[rep[keep], day[keep]].astype(np.int64)


def replenishment_orders(t, q, line_start, q_order, review_period, t_end, u=None,
                         schedule=None):
    """Replenishment orders ``(rep, time, qty)`` of every replication, independent of
    the level searched.

    ``schedule`` [units, one whole number per day ``[d, d+1)``, default all 0] is the
    part of the reorder point (``(r, Q)``) or order-up-to level (``(R, S)``) that moves
    with the forecast: the policy is ``r(t) = schedule[day] + s`` with ``s`` the level
    searched. Under ``(r, Q)`` (``review_period`` None) each replication starts at
    position ``r(0) + Q − u``; the position falls to ``r(t)`` or below when
    ``Z = D + schedule[day] − schedule[0]`` (``D`` the demand so far) reaches
    ``k·Q − u``, checked at every line and at the start of every day (where the
    schedule steps up); one PO then brings the smallest multiple of ``Q`` that lifts
    the position above ``r(t)`` (several ``Q`` when a large line jumps several
    thresholds; it arrives as one, after one lead time). Position ``≤ r(t)`` is the
    same condition, so the orders do not depend on ``s``. Under ``(R, S)`` the
    position is raised at every review ``k·R < t_end`` to ``S(t) = schedule[day] + s``
    when below it: the order is
    ``max(0, schedule − X)`` with ``s + X`` the position, again free of ``s``. A
    constant schedule gives the stationary policies."""
    n_days = int(np.ceil(t_end)) + 1
    sched = (np.zeros(n_days, np.int64) if schedule is None else
             np.asarray(schedule, np.int64))
    if review_period is None:
        return _rq_orders(t, q, line_start, sched, int(q_order), np.asarray(u, np.int64))
    n_rev = int(np.floor(t_end / review_period))
    return _rs_orders(t, q, line_start, sched, float(review_period), n_rev)


# ------------------------------------------------------------------ compiled loops


@numba.njit(cache=True, nogil=True)
def _arrivals_before(gaps, scale, t_end):  # pragma: no cover
    """Per row ``r`` of exponential ``gaps``: the arrival times ``cumsum(gaps) *
    scale[r]`` before ``t_end``, flat with their row; ``short`` when a row's gaps end
    before ``t_end``."""
    n_reps, width = gaps.shape
    count = np.zeros(n_reps, np.int64)
    short = False
    for r in range(n_reps):
        acc = 0.0
        k = 0
        for c in range(width):
            acc += gaps[r, c]
            if acc * scale[r] >= t_end:
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
            t[i] = acc * scale[r]
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


@numba.njit(cache=True, nogil=True)
def _rq_orders(t, q, line_start, sched, q_order, u):  # pragma: no cover
    """Orders of ``(r(t), Q)`` (see :func:`replenishment_orders`), at most one per
    line or day start, in one pass over arrays of that size."""
    n_reps, n_days = len(line_start) - 1, len(sched)
    cap = len(t) + n_reps * n_days
    o_rep = np.empty(cap, np.int64)
    o_time = np.empty(cap)
    o_qty = np.empty(cap, np.int64)
    k = 0
    for r in range(n_reps):
        i, end = line_start[r], line_start[r + 1]
        demand, top, placed, day = 0, 0, 0, 1
        while True:
            t_line = t[i] if i < end else np.inf
            if day < n_days and day <= t_line:  # start of a day
                z = demand + sched[day] - sched[0]
                now = float(day)
                day += 1
            elif i < end:
                demand += q[i]
                z = demand + sched[min(int(t[i]), n_days - 1)] - sched[0]
                now = t[i]
                i += 1
            else:
                break
            if z > top:
                top = z
                due = (top + u[r]) // q_order
                if due > placed:  # one PO of the multiple of Q needed
                    o_rep[k] = r
                    o_time[k] = now
                    o_qty[k] = (due - placed) * q_order
                    k += 1
                    placed = due
    return o_rep[:k].copy(), o_time[:k].copy(), o_qty[:k].copy()


@numba.njit(cache=True, nogil=True)
def _rs_orders(t, q, line_start, sched, review_period, n_rev):  # pragma: no cover
    """Orders of ``(R, S(t))`` at every review (see :func:`replenishment_orders`)."""
    n_reps, n_days = len(line_start) - 1, len(sched)
    o_rep = np.empty(n_reps * n_rev, np.int64)
    o_time = np.empty(n_reps * n_rev)
    o_qty = np.empty(n_reps * n_rev, np.int64)
    k = 0
    for r in range(n_reps):
        i, end = line_start[r], line_start[r + 1]
        x = sched[0]
        for j in range(1, n_rev + 1):
            now = j * review_period
            since = 0
            while i < end and t[i] <= now:
                since += q[i]
                i += 1
            x -= since
            level = sched[min(int(now), n_days - 1)]
            o_rep[k] = r
            o_time[k] = now
            o_qty[k] = max(level - x, 0)
            x = max(level, x)
            k += 1
    return o_rep, o_time, o_qty
