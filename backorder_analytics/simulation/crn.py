"""Common-random-numbers evaluation of ``(r, Q)`` / ``(R, S)`` for the safety-stock search.

Private kernel of :func:`backorder_analytics.recommend_safety_stock`: simulated demand
lines for one SKU (:func:`demand_lines`, :func:`daily_lines`), the replenishment orders,
which do not depend on the reorder level (:func:`replenishment_orders`), and
:class:`CRNRun`, which evaluates every integer level on the same draws at once
(DESIGN.md §5, "common random numbers across the policy settings being compared").
Arrays in, arrays out; no pandas.

The work per line is done in compiled passes (numba, ``nogil`` so that threads over
SKUs run in parallel), each replication's lines in one sweep, without the temporaries
of a NumPy expression per step. The passes that draw (the gaps between lines, the
bootstrap indices) call the SKU's ``numpy.random.Generator`` from compiled code: the
same values in the same order as the NumPy calls they stand for
(``standard_exponential``, ``integers``), so the streams of
:mod:`~backorder_analytics.streams` are unchanged. Inside, the lines of one SKU are
carried by their time [days] and cumulative demand ``D`` [units] (:class:`CRNRun`).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["CRNRun", "demand_lines", "cumulative_demand_lines", "daily_lines",
           "replenishment_orders", "orders_from_cumulative"]


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

    Supply and demand are counted within the replication [units]. The lines of
    replication ``r`` are ``line_start[r] … line_start[r+1]−1``, in time order, given by
    their cumulative demand ``D`` (``D_i``: the demand up to and with line ``i``, over
    all replications; it must not decrease, i.e. sizes ``q_i ≥ 0``); the receipts are
    sorted the same way. Between two receipts ``b`` falls by each line's size
    (``b_{i+1} = b_i − q_i``), so a *run* of lines between receipts is described by
    its first ``b`` and its total demand: fill for every integer level and the line
    waits at one level follow from the runs exactly, without a pass over the lines
    that are served at once (:func:`_runs`, :func:`_line_waits`); the areas take one
    pass over the lines (:func:`_area_histogram`), CSL the receipts only. Receipts
    come before demand at the same instant (DESIGN §4). Lines and receipts before
    ``warmup`` are simulated but not counted. TODO: merge into
    ``simulate.fifo.run_fifo`` once that engine exposes level-independent cumulative
    curves.
    """

    def __init__(self, line_start, t, D, t_end, warmup, o_rep, o_time, o_qty, lead, offset):
        self.n_reps = n_reps = len(line_start) - 1
        self.t_end, self.warmup, self.line_start = t_end, warmup, line_start
        self.off = np.ascontiguousarray(
            np.broadcast_to(np.asarray(offset, np.int64), (n_reps,)))
        a = o_time + lead
        self.big_t = big_t = float(t_end + (lead.max() if len(lead) else 0.0) + 2.0)
        akey = o_rep * big_t + a
        order = np.argsort(akey, kind="stable")
        self.akey, self.a, self.aq, self.arep = akey[order], a[order], o_qty[order], o_rep[order]
        self.C0 = np.concatenate([[0], np.cumsum(self.aq)])
        self.arr_start = np.searchsorted(self.arep, np.arange(n_reps + 1))
        self.t, self.D = t, D
        self.nl_idx, self.d_before, self.first = _receipt_lines(
            self.line_start, t, D, self.akey, self.arr_start, big_t, float(warmup))
        (self._delta, self._delta_lo, self.units, self.n_lines, self._need_max, self._v_lo,
         self._v_hi, runs) = _runs(self.line_start, D, self.C0, self.arr_start,
                                   self.nl_idx, self.first, self.off)
        self._run_rep, self._run_c, self._run_e, self._run_b = runs

    # ----------------------------------------------------------------- all levels at once

    def level_range(self, r_min: int) -> np.ndarray:
        hi = int(self._need_max) if self.n_lines else r_min
        return np.arange(r_min, max(hi, r_min) + 1)

    def fill(self, levels: np.ndarray) -> np.ndarray:
        """Units served at once / units demanded, for consecutive integer levels."""
        r_lo, n = int(levels[0]), len(levels)
        if self.units == 0:
            return np.ones(n)
        return _fill_curve(self._delta, self._delta_lo, r_lo, n) / self.units

    def csl(self, levels: np.ndarray) -> np.ndarray:
        """Share of receipts (in the window) with net inventory >= 0 just before."""
        w = (self.a >= self.warmup) & (self.a <= self.t_end)
        if not w.any():
            return np.full(len(levels), np.nan)
        ak, ar = self.akey[w], self.arep[w]
        # offset + supply before the receipt's instant − demand before it (in-rep)
        c = (self.off[ar] + self.C0[np.searchsorted(self.akey, ak, side="left")]
             - self.C0[self.arr_start[ar]] - self.d_before[w])
        c = np.sort(c)
        return 1.0 - np.searchsorted(c, -levels, side="left") / len(c)

    def areas(self, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Average on hand and average backorders [units] over the window.

        Net inventory − level is piecewise constant: after line i it is ``b_i − q_i``
        until the next line or receipt; after receipt j it is
        ``offset + supply up to j − demand before a_j`` until the next event; before
        the first event of a replication it is ``offset``.
        """
        h, vmin = _area_histogram(
            self.line_start, self.t, self.D, self.a, self.C0, self.arr_start, self.nl_idx,
            self.d_before, self.first, self.off, float(self.t_end), float(self.warmup),
            self._v_lo, self._v_hi)
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
        return self._waits(level)[0]

    def wait_summary(self, level: int) -> tuple[float, float, float]:
        """Mean of the finite waits [days], their 90th percentile (inverted CDF, Hyndman
        and Fan's definition 1, infinite waits included) and the share of lines that
        wait, over the counted lines at ``level``; NaN without lines.

        The numbers of ``np.mean(w[np.isfinite(w)])``, ``np.quantile(w, 0.9,
        method="inverted_cdf")`` and ``np.mean(w > 0)`` for ``w = waits(level)``, to the
        bit: most lines do not wait, so the percentile is 0 or an order statistic of
        the few that do (which the pass over the runs lists)."""
        w, pos = self._waits(level)
        n = len(w)
        if not n:
            return np.nan, np.nan, np.nan
        finite = w[np.isfinite(w)] if len(pos) and np.isinf(pos).any() else w
        mean = float(finite.mean()) if len(finite) else np.nan
        k = min(max(int(np.ceil(n * 0.9 - 1)), 0), n - 1)  # NumPy's order statistic
        k -= n - len(pos)  # the zeros come first
        p90 = float(np.partition(pos, k)[k]) if k >= 0 else 0.0
        return mean, p90, len(pos) / n

    def _waits(self, level):
        return _line_waits(self._run_rep, self._run_c, self._run_e, self._run_b,
                           self.line_start, self.t, self.D, self.a, self.C0, self.arr_start,
                           self.first, self.off, int(level), self.n_lines)


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
    ``exp(τ·Z − τ²/2)`` (mean 1): the uncertainty of a forecast's level.

    Returns ``(rep, t, q)``: the replication [0 … n_reps−1], time [days] and size
    [units] of every line, by replication and time."""
    line_start, t, D = cumulative_demand_lines(rng, rate, sizes, n_reps, t_end, n_observed,
                                               level_sd)
    return (np.repeat(np.arange(n_reps, dtype=np.int64), np.diff(line_start)), t,
            np.diff(D, prepend=np.int64(0)))


def cumulative_demand_lines(rng, rate, sizes, n_reps, t_end, n_observed=None,
                            level_sd=0.0):
    """:func:`demand_lines` with the lines of replication ``r`` at
    ``line_start[r] … line_start[r+1]−1`` instead of a replication per line, and the
    cumulative demand ``D`` (:class:`CRNRun`) instead of the sizes. The gaps are
    drawn in compiled code (:func:`_arrival_times`), in the order and with the
    values of ``rng.standard_exponential((n_reps, width))``."""
    sizes = np.asarray(sizes).astype(np.int64, copy=False)
    if len(sizes) and sizes.min() < 0:
        raise ValueError(f"Line sizes must be >= 0 [units]. Got {sizes.min()} instead.")
    days = np.asarray(rate, float)
    n_days = int(np.ceil(t_end))
    constant = days.ndim == 0
    cum = None if constant else np.concatenate([[0.0], np.cumsum(days[:n_days])])
    total = float(days) * t_end if cum is None else float(np.interp(t_end, np.arange(len(cum)),
                                                                     cum))
    if total <= 0:
        return np.zeros(n_reps + 1, np.int64), np.zeros(0), np.zeros(0, np.int64)
    factor = (np.ones(n_reps) if not n_observed else
              rng.gamma(float(n_observed), 1.0 / float(n_observed), n_reps))
    if level_sd > 0:
        factor = factor * np.exp(level_sd * rng.standard_normal(n_reps) - level_sd**2 / 2)
    mean_n = total * float(factor.max())
    width = int(mean_n + 6.0 * np.sqrt(mean_n) + 10)
    state = rng.bit_generator.state  # to draw the same gaps again if a row runs short
    # E / G < total  ⇔  Λ_rep(t) = G·Λ(t) reaches E before t_end; then t = Λ⁻¹(E / G)
    line_start, t, short = _arrival_times(rng, n_reps, width, 1.0 / factor, total,
                                          np.zeros(0) if cum is None else cum,
                                          float(days) if cum is None else 0.0)
    if short:  # rare: top up the replications that ran short
        rng.bit_generator.state = state
        cs = np.cumsum(rng.standard_exponential((n_reps, width)), axis=1) / factor[:, None]
        while (cs[:, -1] < total).any():
            more = np.cumsum(rng.standard_exponential((n_reps, width)), axis=1)
            cs = np.concatenate([cs, cs[:, -1:] + more / factor[:, None]], axis=1)
        rep, col = np.nonzero(cs < total)
        e = cs[rep, col]
        t = e / float(days) if cum is None else np.interp(e, cum,
                                                          np.arange(len(cum), dtype=float))
        line_start = np.searchsorted(rep, np.arange(n_reps + 1))
    return line_start, t, _cumulative_sizes(rng, sizes, line_start, bool(n_observed))


def _cumulative_sizes(rng, sizes, line_start, resample):
    """The lines' sizes, bootstrapped from ``sizes``, cumulated (``D``)."""
    n, n_lines = len(sizes), int(line_start[-1])
    if n and (sizes == sizes[0]).all():
        return _cumulate(np.full(n_lines, sizes[0], dtype=np.int64))
    if not resample:
        return _cumulate(sizes[rng.integers(0, n, n_lines)])
    key = int(rng.integers(0, 2**63))
    return _resampled_demand(rng, np.uint64(key), line_start, sizes)


def resample_pick(key: int, rep: np.ndarray, k: np.ndarray, n: int) -> np.ndarray:
    """Element ``k`` of replication ``rep``'s bootstrap resample of ``n`` items, as an
    index into them, without drawing the resamples: ``splitmix64(key, rep, k) mod n``
    (Steele, Lea and Flood, 2014), a counter-based hash, so the same ``(rep, k)``
    always gives the same item. Each replication thus has its own resample of all
    ``n`` items at the cost of one hash per line."""
    return _splitmix_pick(np.uint64(key), rep.astype(np.uint64), k.astype(np.uint64),
                          np.uint64(n))


@numba.njit(cache=True, nogil=True, inline="always")
def _splitmix(key, rep, k):  # pragma: no cover
    """``splitmix64`` of ``(key, rep, k)``, all ``uint64`` (see :func:`resample_pick`)."""
    z = key ^ (rep * np.uint64(0xD1342543DE82EF95) + k * np.uint64(0xAF251AF3B0F025B5))
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True, nogil=True)
def _splitmix_pick(key, rep, k, n):  # pragma: no cover
    out = np.empty(len(rep), np.int64)
    for i in range(len(rep)):
        out[i] = np.int64(_splitmix(key, rep[i], k[i]) % n)
    return out


@numba.njit(cache=True, nogil=True)
def _resampled_demand(rng, key, line_start, sizes):  # pragma: no cover
    """``cumsum(sizes[resample_pick(key, rep, k, n)])`` with ``k = rng.integers(0, n,
    lines)`` (drawn here, the same values), ``n = len(sizes)``: each line's size from
    its replication's bootstrap resample, cumulated, in one pass."""
    n = len(sizes)
    out = rng.integers(0, n, line_start[-1])
    acc = 0
    for r in range(len(line_start) - 1):
        for i in range(line_start[r], line_start[r + 1]):
            acc += sizes[np.int64(_splitmix(key, np.uint64(r), np.uint64(out[i]))
                                  % np.uint64(n))]
            out[i] = acc
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
    q = np.array(q, np.int64)
    if len(q) and q.min() < 0:
        raise ValueError(f"Line sizes must be >= 0 [units]. Got {q.min()} instead.")
    if review_period is None and not ((u >= 0) & (u < q_order)).all():
        raise ValueError(f"'u' must be in 0 … Q−1 = {q_order - 1}. Got {u!r} instead.")
    return orders_from_cumulative(t, _cumulate(q), line_start, q_order, review_period, t_end,
                                  u, schedule)


def orders_from_cumulative(t, D, line_start, q_order, review_period, t_end, u=None,
                           schedule=None):
    """:func:`replenishment_orders` from the cumulative demand ``D`` (:class:`CRNRun`)."""
    n_days = int(np.ceil(t_end)) + 1
    sched = (np.zeros(n_days, np.int64) if schedule is None else
             np.asarray(schedule, np.int64))
    if review_period is None:
        return _rq_orders(t, D, line_start, sched, int(q_order), np.asarray(u, np.int64))
    n_rev = int(np.floor(t_end / review_period))
    return _rs_orders(t, D, line_start, sched, float(review_period), n_rev)


# ------------------------------------------------------------------ compiled loops


@numba.njit(cache=True, nogil=True, error_model="numpy")  # x / 0 is inf, as in NumPy
def _arrival_times(rng, n_reps, width, scale, total, cum, rate):  # pragma: no cover
    """Per replication ``r``, ``width`` unit exponential gaps drawn from ``rng`` (the
    values and order of ``rng.standard_exponential((n_reps, width))``), their
    cumulated sums ``E = cumsum(gaps) · scale[r]`` before ``total`` as times:
    ``E / rate`` when ``cum`` is empty, else ``np.interp(E, cum, [0, 1, …])``, the
    inverse of the cumulative rate (``cum[d]``: expected lines by day ``d``). The
    interpolation repeats NumPy's branches and arithmetic (slopes computed once), so
    the times are the same to the bit; the segment is found by a forward walk since
    ``E`` grows along a row (its first step without a branch: most lines stay in
    their predecessor's day or go to the next). Returns ``line_start`` (where each
    replication's times begin, and their number at the end), the times and
    ``short``: a row's gaps ended before ``total`` (then nothing else is valid and
    ``rng`` is part-way)."""
    t = np.empty(n_reps * width)
    line_start = np.zeros(n_reps + 1, np.int64)
    last = len(cum) - 1
    slopes = np.empty(max(last, 0))
    for d in range(last):
        slopes[d] = (float(d + 1) - float(d)) / (cum[d + 1] - cum[d])
    bound = np.append(cum[1:], np.inf)  # bound[j]: where segment j ends
    n = 0
    for r in range(n_reps):
        acc = 0.0
        j = 0
        c = 0
        while True:
            if c == width:
                return line_start, t[:0], True
            acc += rng.standard_exponential()
            c += 1
            e = acc * scale[r]
            if e >= total:
                break
            if last < 0:
                y = e / rate
            else:
                j += bound[j] <= e
                while bound[j] <= e:
                    j += 1
                if e < cum[0]:
                    y = 0.0
                elif j == last:
                    y = float(last)
                elif cum[j] == e:
                    y = float(j)
                else:
                    y = slopes[j] * (e - cum[j]) + float(j)
                    if np.isnan(y):  # as NumPy: from the other end
                        y = slopes[j] * (e - cum[j + 1]) + float(j + 1)
            t[n] = y
            n += 1
        for _ in range(c, width):  # the row's unused gaps
            rng.standard_exponential()
        line_start[r + 1] = n
    return line_start, t[:n], False


@numba.njit(cache=True, nogil=True)
def _receipt_lines(line_start, t, D, akey, arr_start, big_t, warmup):  # pragma: no cover
    """Per receipt: the first line at or after it, on the keys ``rep·big_t + time``
    (``searchsorted(lkey, akey, "left")``, by bisection within its replication), and
    the in-rep demand before it; per replication: its first counted line
    (``t ≥ warmup``; the lines are in time order)."""
    n_reps, na = len(line_start) - 1, len(akey)
    nl_idx = np.empty(na, np.int64)
    d_before = np.empty(na, np.int64)
    first = np.empty(n_reps, np.int64)
    for r in range(n_reps):
        ls, le = line_start[r], line_start[r + 1]
        first[r] = _first_at_least(t, ls, le, warmup)
        lo = ls
        rb = r * big_t
        for j in range(arr_start[r], arr_start[r + 1]):
            hi = le
            while lo < hi:
                mid = (lo + hi) // 2
                if rb + t[mid] >= akey[j]:
                    hi = mid
                else:
                    lo = mid + 1
            nl_idx[j] = lo
            d_before[j] = _before(D, lo) - _before(D, ls)
    return nl_idx, d_before, first


@numba.njit(cache=True, nogil=True)
def _runs(line_start, D, C0, arr_start, nl_idx, first, off):  # pragma: no cover
    """The runs of lines between receipts (see :class:`CRNRun`): run ``k`` of
    replication ``r`` holds the lines after its ``k`` first receipts and before the
    next, with ``b = offset + supply of those k − demand before``. Over the counted
    lines of a run (from ``c``, to ``e``), ``clip(level + b_i, 0, q_i)`` grows by one
    per level from ``−b_c`` to ``D − b_c`` (``D`` the run's demand): the fill
    curve's slope gains 1 and loses 1 there (``delta``, first bin ``lo``). Also the
    units and number of counted lines, the largest ``q_i − b_i`` among them
    (``D − b_c``, a run's last), the range of ``b_i − q_i`` over all lines (a run's
    first and last) and the counted runs: replication, ``c``, ``e`` and ``b_c``."""
    n_reps, na = len(line_start) - 1, len(nl_idx)
    x0 = np.empty(n_reps + na, np.int64)  # −b_c of each counted run
    x1 = np.empty(n_reps + na, np.int64)  # D − b_c
    run_rep = np.empty(n_reps + na, np.int64)
    run_c = np.empty(n_reps + na, np.int64)
    run_e = np.empty(n_reps + na, np.int64)
    m, units, n_lines = 0, 0, 0
    v_lo, v_hi = 0, 0
    seen = False
    for r in range(n_reps):
        ls, le, a0, a1 = line_start[r], line_start[r + 1], arr_start[r], arr_start[r + 1]
        s = ls
        for k in range(a1 - a0 + 1):
            e = nl_idx[a0 + k] if a0 + k < a1 else le
            if s < e:
                base = off[r] + (C0[a0 + k] - C0[a0]) + _before(D, ls)  # b_i − q_i = base − D_i
                if not seen or base - D[s] > v_hi:
                    v_hi = base - D[s]
                if not seen or base - D[e - 1] < v_lo:
                    v_lo = base - D[e - 1]
                seen = True
                c = max(s, first[r])
                if c < e:
                    x0[m] = _before(D, c) - base
                    x1[m] = D[e - 1] - base
                    run_rep[m], run_c[m], run_e[m] = r, c, e
                    units += D[e - 1] - _before(D, c)
                    n_lines += e - c
                    m += 1
            s = e
    lo = x0[:m].min() if m else 0
    hi = x1[:m].max() if m else 0
    delta = np.zeros(hi - lo + 1, np.int64)
    for k in range(m):
        delta[x0[k] - lo] += 1
        delta[x1[k] - lo] -= 1
    return (delta, lo, units, n_lines, hi, v_lo, v_hi,
            (run_rep[:m], run_c[:m], run_e[:m], -x0[:m]))


@numba.njit(cache=True, nogil=True)
def _fill_curve(delta, lo, r_lo, n):  # pragma: no cover
    """Units served at once, ``Σ_i clip(r + b_i, 0, q_i)`` over the counted lines,
    for ``r = r_lo … r_lo+n−1``: from 0, growing by the slope, the running sum of
    ``delta`` (:func:`_runs`). Exact (integers)."""
    out = np.empty(n)
    slope, served = 0, 0
    for x in range(min(lo, r_lo), r_lo + n):
        if x >= r_lo:
            out[x - r_lo] = served
        if lo <= x < lo + len(delta):
            slope += delta[x - lo]
        served += slope
    return out


@numba.njit(cache=True, nogil=True)
def _area_histogram(line_start, t, D, a, C0, arr_start, nl_idx, d_before, first, off, t_end,
                    warmup, v_lo, v_hi):  # pragma: no cover
    """Time spent [days] at each value of net inventory − level, over the window:
    after each line until the next event, after each receipt until the next event,
    and from the start of each replication to its first event (see
    :meth:`CRNRun.areas`), added in that order. ``v_lo … v_hi``: the range of the
    lines' values (:func:`_runs`, which holds when ``D`` does not decrease). A line
    before the one preceding the first counted line ends before ``warmup``: it adds
    0 and is skipped. Returns the histogram and the value of its first bin."""
    nl, n_reps = len(t), len(off)
    vmin, vmax = (v_lo, v_hi) if nl else (off[0], off[0])
    rv = np.empty(len(a), np.int64)  # after receipt j: offset + supply up to j − demand before
    for r in range(n_reps):
        vmin, vmax = min(vmin, off[r]), max(vmax, off[r])
        for j in range(arr_start[r], arr_start[r + 1]):
            rv[j] = off[r] + (C0[j + 1] - C0[arr_start[r]]) - d_before[j]
            vmin, vmax = min(vmin, rv[j]), max(vmax, rv[j])
    h = np.zeros(vmax - vmin + 1)
    for r in range(n_reps):  # after line i: b_i − q_i until the next line or receipt
        ls, le, a0, a1 = line_start[r], line_start[r + 1], arr_start[r], arr_start[r + 1]
        s = ls
        for k in range(a1 - a0 + 1):  # the lines between the k-th and (k+1)-th receipt
            e = nl_idx[a0 + k] if a0 + k < a1 else le
            base = off[r] + (C0[a0 + k] - C0[a0]) + _before(D, ls) - vmin
            a_next = a[a0 + k] if a0 + k < a1 else np.inf
            for i in range(max(s, first[r] - 1), e):
                t_next = t[i + 1] if i + 1 < le else t_end
                v = base - D[i]
                if not 0 <= v < len(h):
                    raise ValueError("The cumulative demand D decreases.")
                h[v] += max(min(min(t_next, a_next), t_end) - max(t[i], warmup), 0.0)
            s = e
    for r in range(n_reps):  # after receipt j: until the next receipt or line
        end, a_end = line_start[r + 1], arr_start[r + 1]
        for j in range(arr_start[r], a_end):
            nxt_a = a[j + 1] if j + 1 < a_end else np.inf
            k = nl_idx[j]
            nxt_l = t[k] if k < end else np.inf
            stop = min(min(nxt_a, nxt_l), t_end)
            h[rv[j] - vmin] += max(stop - max(a[j], warmup), 0.0)
    for r in range(n_reps):  # before the first event of the replication
        first = t[line_start[r]] if line_start[r + 1] > line_start[r] else t_end
        fa = a[arr_start[r]] if arr_start[r + 1] > arr_start[r] else np.inf
        h[off[r] - vmin] += max(min(min(first, fa), t_end) - warmup, 0.0)
    return h, vmin


@numba.njit(cache=True, nogil=True)
def _line_waits(run_rep, run_c, run_e, run_b, line_start, t, D, a, C0, arr_start, first, off,
                level, n_lines):  # pragma: no cover
    """Wait [days] of every counted line at ``level`` (see :meth:`CRNRun.waits`).
    Along a counted run (:func:`_runs`: lines ``c … e−1``, ``b_c`` at the first) a
    line's shortfall ``q_i − b_i − level = D_i − D_{c−1} − b_c − level`` grows, so
    the lines that wait are the run's last ones, found by bisection; such a line
    ships at the first receipt of its replication that lifts in-rep supply to
    ``demand through i − offset − level``, a target that grows along the
    replication (a forward walk). The others wait 0. Returns the waits and, apart,
    those ``> 0``."""
    m = len(run_rep)
    wait_from = np.empty(m, np.int64)
    n_wait = 0
    for x in range(m):
        c, lo, hi = run_c[x], run_c[x], run_e[x]
        while lo < hi:
            mid = (lo + hi) // 2
            if D[mid] - _before(D, c) > run_b[x] + level:
                hi = mid
            else:
                lo = mid + 1
        wait_from[x] = lo
        n_wait += run_e[x] - lo
    out = np.zeros(n_lines)
    at = np.empty(len(first), np.int64)  # where replication r's counted lines are in out
    k = 0
    for r in range(len(first)):
        at[r] = k - first[r]
        k += line_start[r + 1] - first[r]
    pos = np.empty(n_wait)
    n_pos, prev, p = 0, -1, 0
    for x in range(m):
        r = run_rep[x]
        if r != prev:
            prev, p = r, arr_start[r]
        ls, a0, a1 = line_start[r], arr_start[r], arr_start[r + 1]
        for i in range(wait_from[x], run_e[x]):
            target = D[i] - _before(D, ls) - off[r] - level
            while p < a1 and C0[p + 1] - C0[a0] < target:
                p += 1
            ship = a[p] if p < a1 else np.inf
            w = max(ship - t[i], 0.0)
            out[at[r] + i] = w
            if w > 0:
                pos[n_pos] = w
                n_pos += 1
    return out, pos[:n_pos]


@numba.njit(cache=True, nogil=True)
def _cumulate(q):  # pragma: no cover
    """``q`` cumulated in place (``D``, see :class:`CRNRun`), returned."""
    for i in range(1, len(q)):
        q[i] += q[i - 1]
    return q


@numba.njit(cache=True, nogil=True, inline="always")
def _before(D, i):  # pragma: no cover
    """The demand before line ``i``: ``D[i−1]``, 0 for the first."""
    return D[i - 1] if i > 0 else 0


@numba.njit(cache=True, nogil=True)
def _rq_orders(t, D, line_start, sched, q_order, u):  # pragma: no cover
    """Orders of ``(r(t), Q)`` (see :func:`replenishment_orders`), ``0 ≤ u < Q``.

    ``Z`` is checked at every line and at every day's start (before that day's
    lines). A PO is due when ``Z`` sets a new high at or above
    ``thr = (placed + 1)·Q − u``, ``placed`` the multiples of ``Q`` ordered so far; as
    ``thr`` is always above the highest ``Z`` so far, that is simply the first event
    with ``Z ≥ thr``. Over a stretch of days with one schedule value ``Z`` grows with
    the demand (sizes ≥ 0), so that line is found by bisection on ``D``, not line by
    line; a day's start can be that event only when the schedule steps up there
    (otherwise its ``Z`` is at most the ``Z`` of the event before it)."""
    n_reps, n_days = len(line_start) - 1, len(sched)
    # stretches of days with one schedule value: edges[k] … edges[k+1] − 1
    edges = np.array([0] + [d for d in range(1, n_days) if sched[d] != sched[d - 1]]
                     + [n_days], np.int64)
    # at most (Z_max + u) // Q orders per replication, Z_max <= its demand + the
    # schedule's largest rise
    total = D[-1] if len(D) else 0
    cap = ((total + n_reps * (sched.max() - sched[0] + max(u.max(), 0))) // q_order
           + n_reps + 1) if n_reps else 0
    o_rep = np.empty(cap, np.int64)
    o_time = np.empty(cap)
    o_qty = np.empty(cap, np.int64)
    k = 0
    for r in range(n_reps):
        i, le = line_start[r], line_start[r + 1]
        before, placed, thr = _before(D, i), 0, q_order - u[r]
        for e in range(len(edges) - 1):
            d0, d1 = edges[e], edges[e + 1]
            shift = sched[d0] - sched[0]  # Z − demand over the stretch
            if d0 > 0 and sched[d0] > sched[d0 - 1]:  # the start of day d0
                z = _before(D, i) - before + shift
                if z >= thr:
                    if k == cap:
                        raise ValueError("The cumulative demand D decreases.")
                    due = (z + u[r]) // q_order
                    o_rep[k], o_time[k], o_qty[k] = r, float(d0), (due - placed) * q_order
                    k += 1
                    placed, thr = due, (due + 1) * q_order - u[r]
            end = le if d1 == n_days else _first_at_least(t, i, le, float(d1))
            while True:  # the stretch's lines that reach thr, one PO each
                i = _first_at_least(D, i, end, thr - shift + before)
                if i == end:
                    break
                z = D[i] - before + shift
                if k == cap:
                    raise ValueError("The cumulative demand D decreases.")
                due = (z + u[r]) // q_order
                o_rep[k], o_time[k], o_qty[k] = r, t[i], (due - placed) * q_order
                k += 1
                placed, thr = due, (due + 1) * q_order - u[r]
                i += 1
    return o_rep[:k].copy(), o_time[:k].copy(), o_qty[:k].copy()


@numba.njit(cache=True, nogil=True, inline="always")
def _first_at_least(x, lo, hi, v):  # pragma: no cover
    """The first ``k`` in ``lo … hi−1`` with ``x[k] ≥ v`` (``x`` sorted there), else
    ``hi``: bisection."""
    while lo < hi:
        mid = (lo + hi) // 2
        if x[mid] >= v:
            hi = mid
        else:
            lo = mid + 1
    return lo


@numba.njit(cache=True, nogil=True)
def _rs_orders(t, D, line_start, sched, review_period, n_rev):  # pragma: no cover
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
            before = _before(D, i)
            while i < end and t[i] <= now:
                i += 1
            x -= _before(D, i) - before  # the demand since the last review
            level = sched[min(int(now), n_days - 1)]
            o_rep[k] = r
            o_time[k] = now
            o_qty[k] = max(level - x, 0)
            x = max(level, x)
            k += 1
    return o_rep, o_time, o_qty
