"""Intermittent-demand kernels: Croston, SBA, TSB, ADIDA and IMAPA.

Every kernel follows :mod:`backorder_analytics.forecasting.base`: ``y`` is a float64
panel ``(n_series, n_time)``, right-aligned, NaN before a series starts; the result
is a :class:`~backorder_analytics.forecasting.base.KernelFit`. Recursions loop over time
and are vectorised across series (and across the grid of smoothing constants when
they are fitted). Demand is a period with ``y > 0``.

Conventions (REFERENCES.md lists the alternatives):

* Croston / SBA: size starts at the first demand, interval at (index of the first
  demand from the series' start + 1), as R ``forecast::croston`` and statsforecast;
  both are updated only in periods with demand. SBA multiplies by ``1 - beta/2``
  (``beta`` the interval constant); statsforecast's ``CrostonSBA`` uses a fixed 0.95,
  equal to it only at its fixed ``beta = 0.1``.
* TSB: ``p0`` is the probability *before* the first period, which updates it like any
  other; ``p0=None`` takes ``1[y_0 > 0]`` (statsforecast; the first update is then a
  no-op), sktime uses 0.5. The size starts at the first demand.
* Croston, SBA, TSB: fitted values are NaN up to and including the first demand (R
  gives NA, statsforecast 0); a series without demand forecasts 0 (R: NA).
* ``*_opt``: the pair of constants is chosen per series from ``grid x grid`` by the
  in-sample one-step MSE of the method's own forecasts after the first demand.
  statsforecast's ``CrostonOptimized`` fits size and interval constants separately by
  the SES error of each sub-series (golden section on [0.1, 0.3]): forecasts differ.
* ADIDA / IMAPA: the level ``k`` defaults to the mean inter-demand interval, first
  interval = index + 1, rounded half to even (statsforecast; 1 without demand).
  Buckets end with the series (the ``len % k`` oldest periods are dropped); bucket
  totals are forecast by SES with level started at the first total and ``alpha``
  minimising the in-sample SSE by golden section on [0.1, 0.3] (statsforecast's
  ``golden_section_ses``). Fitted values spread each bucket's one-step SES forecast
  over its periods with the final ``k`` and ``alpha`` (statsforecast re-fits both at
  every origin); NaN in the dropped periods and the first bucket.

References
----------
Croston, J. D. (1972). Forecasting and stock control for intermittent demands.
Operational Research Quarterly 23(3), 289-303.
Syntetos, A. A. & Boylan, J. E. (2005). The accuracy of intermittent demand estimates.
International Journal of Forecasting 21(2), 303-314.
Teunter, R. H., Syntetos, A. A. & Babai, M. Z. (2011). Intermittent demand: linking
forecasting to inventory obsolescence. European Journal of Operational Research 214(3),
606-615.
Nikolopoulos, K., Syntetos, A. A., Boylan, J. E., Petropoulos, F. & Assimakopoulos, V.
(2011). An aggregate-disaggregate intermittent demand approach (ADIDA) to forecasting.
Journal of the Operational Research Society 62(3), 544-554.
Petropoulos, F. & Kourentzes, N. (2015). Forecast combinations for intermittent demand.
Journal of the Operational Research Society 66(6), 914-924.
"""

from __future__ import annotations

import numba
import numpy as np

from .base import KernelFit, first_valid_index, register

__all__ = ["GRID", "adida", "croston", "croston_opt", "imapa", "sba", "sba_opt", "tsb",
           "tsb_opt"]

GRID = np.array([0.05, 0.1, 0.15, 0.2, 0.25, 0.3])
"""Default smoothing constants searched by the ``*_opt`` kernels (the 0.05-0.3 range
recommended for intermittent demand by Syntetos & Boylan 2005)."""

_VARIANTS = ("classic", "sba")
_GOLDEN = (np.sqrt(5.0) + 1.0) / 2.0


# --------------------------------------------------------------------------- helpers
def _check(y, h: int, variant: str = "classic") -> np.ndarray:
    if variant not in _VARIANTS:
        raise ValueError(f"The 'variant' parameter must be one of {set(_VARIANTS)}. "
                         f"Got {variant!r} instead.")
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2:
        raise ValueError(f"The parameter 'y' must be a 2-D panel (n_series, n_time). Got "
                         f"shape {y.shape}. Fix: pass one series as y[None, :].")
    if int(h) != h or h < 1:
        raise ValueError(f"The parameter 'h' must be a positive integer. Got {h!r}.")
    return y


def _constant(value, n: int, name: str) -> np.ndarray:
    """A smoothing constant as a float array of shape (n,), checked to lie in (0, 1]."""
    out = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
    if not np.all((out > 0) & (out <= 1)):
        raise ValueError(f"The parameter {name!r} must lie in (0, 1]. Got {value!r}.")
    return out


def _time_major(y: np.ndarray) -> np.ndarray:
    """``y.T`` as a C-contiguous copy, in cache-sized tiles (twice as fast as ``.copy()``)."""
    n, T = y.shape
    out = np.empty((T, n))
    for r in range(0, n, 512):
        for c in range(0, T, 64):
            out[c:c + 64, r:r + 512] = y[r:r + 512, c:c + 64].T
    return out


class _Events:
    """A panel time-major, with the facts every recursion starts from.

    ``yT`` (n_time, n_series) holds the demand with the padding before each start
    replaced by the first demand size ``z0`` (so a size update there changes
    nothing); ``d`` is 1.0 in periods with demand, else 0.0; ``first`` the index of
    the first demand (``n_time`` if none), ``q0`` the first interval (first - start + 1).
    """

    def __init__(self, y: np.ndarray):
        n, T = y.shape
        self.start = first_valid_index(y)
        demand = y > 0
        has = demand.any(axis=1)
        self.first = np.where(has, demand.argmax(axis=1), T)
        self.z0 = np.where(has, y[np.arange(n), np.minimum(self.first, T - 1)], 0.0)
        self.q0 = np.where(has, self.first - self.start + 1, 1).astype(np.float64)
        self.yT = _time_major(y)
        self.d = (self.yT > 0).astype(np.float64)
        self.pad = None
        if self.start.max(initial=0) > 0:
            self.pad = np.arange(T)[:, None] < self.start[None, :]
            np.copyto(self.yT, self.z0, where=self.pad)


def _finish(fit: np.ndarray, first: np.ndarray, start: np.ndarray, h: int, params: dict,
            factor=1.0) -> KernelFit:
    """fit: (T+1, n) one-step forecasts (row T = next period) -> KernelFit, with the
    fitted values NaN up to each series' ``first`` demand and no forecast for a series
    that never ``start``s."""
    T = fit.shape[0] - 1
    if not np.all(np.equal(factor, 1.0)):
        fit *= factor
    np.copyto(fit[:T], np.nan, where=np.arange(T)[:, None] <= first[None, :])
    last = fit[T].copy()
    last[start >= T] = np.nan  # rows that never start
    return KernelFit(np.repeat(last[:, None], h, axis=1), fit[:T].T, params)


def _tsb_prior(ev: _Events, p0, n: int) -> np.ndarray:
    """Probability before the first period (n,); sets ``ev.d`` to it in the padding,
    so that neither the probability nor (``yT`` being ``z0`` there) the size moves."""
    T = ev.d.shape[0]
    if p0 is None:
        prior = ev.d[np.minimum(ev.start, T - 1), np.arange(n)].copy()
    else:
        prior = np.broadcast_to(np.asarray(p0, dtype=np.float64), (n,)).copy()
    if not np.all((prior >= 0) & (prior <= 1)):
        raise ValueError(f"The parameter 'p0' must lie in [0, 1] or be None. Got {p0!r}.")
    if ev.pad is not None:
        np.copyto(ev.d, prior, where=ev.pad)
    return prior


# --------------------------------------------------------------------------- Croston, SBA, TSB
@register("croston", "intermittent",
          "Croston (1972): SES of demand sizes and intervals, alpha = beta = 0.1")
def croston(y, h: int, alpha=0.1, beta=None, variant: str = "classic") -> KernelFit:
    """Croston's method (and SBA) with given smoothing constants.

    Sizes ``z`` and intervals ``p`` are smoothed only in periods with demand
    (Croston 1972): ``z += alpha (y_t - z)``, ``p += beta (q_t - p)`` with
    ``q_t`` the periods since the previous demand. Forecast ``z / p`` per period, flat
    over the horizon; SBA multiplies it by ``1 - beta/2`` (Syntetos & Boylan 2005).

    Parameters
    ----------
    y : numpy.ndarray, shape (n_series, n_time)
        Demand [units / period]; NaN before a series starts.
    h : int
        Horizon [periods].
    alpha : float or numpy.ndarray of shape (n_series,), default 0.1
        Smoothing constant of the demand sizes, in (0, 1].
    beta : float or numpy.ndarray of shape (n_series,), optional
        Smoothing constant of the intervals; default ``alpha``.
    variant : {"classic", "sba"}, default "classic"
        ``"sba"`` applies the Syntetos-Boylan factor ``1 - beta/2``.

    Returns
    -------
    KernelFit
        ``mean`` (n_series, h) [units / period]; ``fitted`` (n_series, n_time), NaN up
        to and including the first demand; ``params`` ``alpha`` and ``beta``.

    Examples
    --------
    >>> import numpy as np
    >>> fit = croston(np.array([[0, 0, 0, 3, 0, 0, 2, 0, 5.0]]), h=2)
    >>> fit.mean.round(6)
    array([[0.838275, 0.838275]])
    >>> fit.fitted.round(4).tolist()
    [[nan, nan, nan, nan, 0.75, 0.75, 0.75, 0.7436, 0.7436]]
    """
    y = _check(y, h, variant)
    n, T = y.shape
    alpha = _constant(alpha, n, "alpha")
    beta = alpha.copy() if beta is None else _constant(beta, n, "beta")
    start = first_valid_index(y)
    factor = 1.0 - beta / 2.0 if variant == "sba" else np.ones(n)
    fit = np.empty((n, T + 1))
    _croston_rows(np.ascontiguousarray(y, dtype=np.float64), start, alpha, beta, factor, fit)
    # as _finish, on the rows: no forecast for a series that never starts
    last = fit[:, T].copy()
    last[start >= T] = np.nan
    return KernelFit(np.repeat(last[:, None], h, axis=1), fit[:, :T],
                     {"alpha": alpha, "beta": beta})


@numba.njit(cache=True)
def _croston_rows(y, start, alpha, beta, factor, fit):  # pragma: no cover (compiled)
    """Croston's recursion series by series: ``fit[i, t]`` the forecast made before
    period ``t`` (column ``T``: the next period) times ``factor[i]``, NaN up to and
    including the first demand (as :func:`_finish`). Four series at a time, each its
    own recursion (the same operations in the same order as one at a time: the four
    chains overlap in the processor)."""
    n, T = y.shape
    first = np.full(n, T)
    full = n - n % 4
    for i in range(0, full, 4):
        z0, p0, q0 = _croston_start(y, i, start, first)
        z1, p1, q1 = _croston_start(y, i + 1, start, first)
        z2, p2, q2 = _croston_start(y, i + 2, start, first)
        z3, p3, q3 = _croston_start(y, i + 3, start, first)
        for t in range(T):
            fit[i, t] = _fitted(z0, p0, factor[i], t, first[i])
            fit[i + 1, t] = _fitted(z1, p1, factor[i + 1], t, first[i + 1])
            fit[i + 2, t] = _fitted(z2, p2, factor[i + 2], t, first[i + 2])
            fit[i + 3, t] = _fitted(z3, p3, factor[i + 3], t, first[i + 3])
            z0, p0, q0 = _croston_step(y[i, t], t >= start[i], z0, p0, q0, alpha[i], beta[i])
            z1, p1, q1 = _croston_step(y[i + 1, t], t >= start[i + 1], z1, p1, q1,
                                       alpha[i + 1], beta[i + 1])
            z2, p2, q2 = _croston_step(y[i + 2, t], t >= start[i + 2], z2, p2, q2,
                                       alpha[i + 2], beta[i + 2])
            z3, p3, q3 = _croston_step(y[i + 3, t], t >= start[i + 3], z3, p3, q3,
                                       alpha[i + 3], beta[i + 3])
        fit[i, T] = z0 / p0 * factor[i]
        fit[i + 1, T] = z1 / p1 * factor[i + 1]
        fit[i + 2, T] = z2 / p2 * factor[i + 2]
        fit[i + 3, T] = z3 / p3 * factor[i + 3]
    for i in range(full, n):
        z, p, q = _croston_start(y, i, start, first)
        for t in range(T):
            fit[i, t] = _fitted(z, p, factor[i], t, first[i])
            z, p, q = _croston_step(y[i, t], t >= start[i], z, p, q, alpha[i], beta[i])
        fit[i, T] = z / p * factor[i]


@numba.njit(cache=True, inline="always")
def _fitted(z, p, factor, t, first):  # pragma: no cover (compiled)
    """The fitted value of period ``t``: ``z / p`` times ``factor``, NaN up to and
    including the first demand."""
    return np.nan if t <= first else z / p * factor


@numba.njit(cache=True, inline="always")
def _croston_start(y, i, start, first):  # pragma: no cover (compiled)
    """Series ``i``'s first demand period (into ``first[i]``) and its starting size
    ``z``, interval ``p`` and periods since the last demand ``q``: sizes and intervals
    start at the first demand and interval (so that its own update is a no-op), ``q``
    counts from the start (1 there); before the start nothing moves."""
    T = y.shape[1]
    s = start[i]
    for t in range(s, T):
        if y[i, t] > 0:
            first[i] = t
            break
    if first[i] < T:
        return y[i, first[i]], float(first[i] - s + 1), -float(s)
    return 0.0, 1.0, -float(s)


@numba.njit(cache=True, inline="always")
def _croston_step(v, started, z, p, q, a, b):  # pragma: no cover (compiled)
    """One period of Croston's recursion: ``(z, p, q)`` after demand ``v``, updated
    only with demand (chosen, not branched on: demand is rare and unpredictable)."""
    q += 1.0
    demand = started & (v > 0)
    z_new = z + (v - z) * a
    p_new = p + (q - p) * b
    return (z_new if demand else z), (p_new if demand else p), (0.0 if demand else q)


@register("sba", "intermittent",
          "Syntetos-Boylan approximation (2005): Croston x (1 - beta/2), alpha = beta = 0.1")
def sba(y, h: int, alpha=0.1, beta=None) -> KernelFit:
    """Syntetos-Boylan approximation (2005): :func:`croston` (same parameters and
    result) times ``1 - beta/2``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[0, 0, 3, 0, 4, 0, 0, 0, 2, 0.0]])
    >>> sba(y, h=1, alpha=0.5, beta=0.2).mean.round(7)
    array([[0.8141447]])
    """
    return croston(y, h, alpha=alpha, beta=beta, variant="sba")


@register("tsb", "intermittent",
          "Teunter-Syntetos-Babai (2011): demand probability x size, alpha_d = alpha_p = 0.1")
def tsb(y, h: int, alpha_d=0.1, alpha_p=0.1, p0=None) -> KernelFit:
    """Teunter-Syntetos-Babai method with given smoothing constants.

    The demand probability is smoothed every period, ``p += alpha_p (1[y_t > 0] - p)``;
    the size only with demand, ``z += alpha_d (y_t - z)`` (Teunter et al. 2011).
    Forecast ``p z`` per period, flat over the horizon.

    Parameters
    ----------
    y : numpy.ndarray, shape (n_series, n_time)
        Demand [units / period]; NaN before a series starts.
    h : int
        Horizon [periods].
    alpha_d, alpha_p : float or numpy.ndarray of shape (n_series,), default 0.1
        Smoothing constants of the size and of the probability, in (0, 1].
    p0 : float, numpy.ndarray of shape (n_series,) or None, default None
        Probability before the first period [-]; None takes ``1[y_0 > 0]``
        (statsforecast); sktime uses 0.5.

    Returns
    -------
    KernelFit
        ``params`` ``alpha_d``, ``alpha_p`` and ``p0``.

    Examples
    --------
    >>> import numpy as np
    >>> fit = tsb(np.array([[0, 0, 3, 0, 4, 0, 0, 0, 2, 0.0]]), h=1, alpha_d=0.5,
    ...           alpha_p=0.2)
    >>> fit.mean.round(6)
    array([[0.735567]])
    """
    y = _check(y, h)
    n, T = y.shape
    alpha_d = _constant(alpha_d, n, "alpha_d")
    alpha_p = _constant(alpha_p, n, "alpha_p")
    ev = _Events(y)
    prior = _tsb_prior(ev, p0, n)
    z, p = ev.z0.copy(), prior.copy()
    fit = np.empty((T + 1, n))
    tmp = np.empty(n)
    for t in range(T):
        np.multiply(p, z, out=fit[t])
        dt = ev.d[t]
        np.subtract(dt, p, out=tmp)
        tmp *= alpha_p
        p += tmp
        np.subtract(ev.yT[t], z, out=tmp)
        tmp *= dt
        tmp *= alpha_d
        z += tmp
    np.multiply(p, z, out=fit[T])
    params = {"alpha_d": alpha_d, "alpha_p": alpha_p, "p0": prior}
    return _finish(fit, ev.first, ev.start, h, params)


# --------------------------------------------------------------------------- fitted constants
def _grid(grid) -> np.ndarray:
    g = np.asarray(GRID if grid is None else grid, dtype=np.float64).ravel()
    if g.size == 0 or not np.all((g > 0) & (g <= 1)):
        raise ValueError(f"The parameter 'grid' must hold smoothing constants in (0, 1]. "
                         f"Got {grid!r}.")
    return g


def _grid_search(ev: _Events, g: np.ndarray, method: str, prior=None):
    """Per series, the pair ``(a, b)`` from ``g x g`` with the smallest in-sample SSE of
    the one-step forecasts after the first demand; ``a`` smooths the size, ``b`` the
    interval (``method`` "classic", "sba") or the probability ("tsb", from ``prior``).
    All pairs run together: states (G, n), forecasts and errors (G, G, n)."""
    T, n = ev.yT.shape
    G, tsb_ = g.size, method == "tsb"
    z = np.repeat(ev.z0[None, :], G, axis=0)
    b = np.repeat((prior if tsb_ else ev.q0)[None, :], G, axis=0)
    sba_ = (1.0 - g / 2.0)[None, :, None] if method == "sba" else None
    defined = (np.arange(T)[:, None] > ev.first[None, :]).astype(np.float64)
    f, sse = np.empty((G, G, n)), np.zeros((G, G, n))
    tmp, gc = np.empty((G, n)), g[:, None]
    q = -ev.start.astype(np.float64)  # periods since the last demand
    for t in range(T):
        dt = ev.d[t]
        q += 1.0
        if tsb_:
            np.multiply(z[:, None, :], b[None, :, :], out=f)
        else:
            np.divide(z[:, None, :], b[None, :, :], out=f)
            if sba_ is not None:
                f *= sba_
        f -= ev.yT[t]
        f *= defined[t]
        f *= f
        sse += f
        np.subtract(dt if tsb_ else q, b, out=tmp)
        tmp *= gc
        if not tsb_:
            tmp *= dt
        b += tmp
        np.subtract(ev.yT[t], z, out=tmp)
        tmp *= gc
        tmp *= dt
        z += tmp
        if not tsb_:
            q -= q * dt
    best = sse.reshape(G * G, n).argmin(axis=0)
    return g[best // G], g[best % G]


@register("croston_opt", "intermittent",
          "Croston (1972), alpha and beta per series by in-sample MSE over a grid")
def croston_opt(y, h: int, grid=None, variant: str = "classic") -> KernelFit:
    """Croston's method with ``alpha`` and ``beta`` fitted per series.

    Every pair from ``grid x grid`` runs for all series at once; each series keeps the
    pair with the smallest in-sample one-step MSE of the method's forecasts (one of the
    criteria of Kourentzes 2014, Int. J. Production Economics 156, 180-190).

    Parameters
    ----------
    y, h, variant
        As for :func:`croston`.
    grid : array-like, optional
        Candidate smoothing constants in (0, 1] [-]; default :data:`GRID`.

    Returns
    -------
    KernelFit
        As for :func:`croston`, ``params`` holding the fitted ``alpha`` and ``beta``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[0, 2, 0, 0, 3, 0, 2, 0, 0, 0, 4, 0, 3, 0, 0, 2.0]])
    >>> fit = croston_opt(y, h=1)
    >>> bool(0.05 <= fit.params["alpha"][0] <= 0.3)
    True
    """
    y = _check(y, h, variant)
    alpha, beta = _grid_search(_Events(y), _grid(grid), variant)
    return croston(y, h, alpha=alpha, beta=beta, variant=variant)


@register("sba_opt", "intermittent",
          "SBA (Syntetos & Boylan 2005), alpha and beta per series by in-sample MSE")
def sba_opt(y, h: int, grid=None) -> KernelFit:
    """SBA with ``alpha`` and ``beta`` fitted per series; see :func:`croston_opt`.

    Examples
    --------
    >>> import numpy as np
    >>> fit = sba_opt(np.array([[0, 2, 0, 0, 3, 0, 2, 0, 0, 4.0]]), h=1)
    >>> sorted(fit.params)
    ['alpha', 'beta']
    """
    return croston_opt(y, h, grid=grid, variant="sba")


@register("tsb_opt", "intermittent",
          "Teunter-Syntetos-Babai (2011), alpha_d and alpha_p per series by in-sample MSE")
def tsb_opt(y, h: int, grid=None, p0=None) -> KernelFit:
    """TSB with ``alpha_d`` and ``alpha_p`` fitted per series as in :func:`croston_opt`;
    ``p0`` as for :func:`tsb`.

    Examples
    --------
    >>> import numpy as np
    >>> fit = tsb_opt(np.array([[0, 2, 0, 0, 3, 0, 2, 0, 0, 4.0]]), h=1)
    >>> sorted(fit.params)
    ['alpha_d', 'alpha_p', 'p0']
    """
    y = _check(y, h)
    ev = _Events(y)
    alpha_d, alpha_p = _grid_search(ev, _grid(grid), "tsb", _tsb_prior(ev, p0, y.shape[0]))
    return tsb(y, h, alpha_d=alpha_d, alpha_p=alpha_p, p0=p0)


# --------------------------------------------------------------------------- ADIDA
@numba.njit(cache=True)
def _ses_sse(xT: np.ndarray, alpha: np.ndarray) -> np.ndarray:  # pragma: no cover
    """SSE (n,) of SES on back-filled time-major totals ``xT`` (m, n)."""
    m, n = xT.shape
    sse = np.zeros(n)
    for i in range(n):
        f = xT[0, i]
        for t in range(1, m):
            e = xT[t, i] - f
            f += alpha[i] * e
            sse[i] += e * e
    return sse


def _ses_golden(x: np.ndarray, lower: float = 0.1, upper: float = 0.3):
    """Simple exponential smoothing of a NaN-left-padded panel ``x`` (n, m).

    The level starts at each row's first value; ``alpha`` minimises the in-sample SSE
    by golden-section search on [lower, upper] (tolerance 1e-12, stopping at a tie),
    vectorised across rows, as statsforecast's ``golden_section_ses``.

    Returns alpha (n,), forecast (n,) and fitted (n, m) (NaN up to the first value).
    Private; a candidate to merge with the SES kernel of ``smoothing.py``.
    """
    n, m = x.shape
    first = first_valid_index(x)
    x0 = x[np.arange(n), np.minimum(first, m - 1)]
    xT = x.T.copy()
    np.copyto(xT, x0, where=np.isnan(xT))  # back-fill: errors 0 before the start
    a, b = np.full(n, lower), np.full(n, upper)
    c, d = b - (b - a) / _GOLDEN, a + (b - a) / _GOLDEN
    fc, fd = _ses_sse(xT, c), _ses_sse(xT, d)
    active = np.ones(n, dtype=bool)
    while True:
        active &= np.abs(b - a) >= 1e-12
        lt, gt = active & (fc < fd), active & (fd < fc)
        active = lt | gt
        if not active.any():
            break
        b, a = np.where(lt, d, b), np.where(gt, c, a)
        c, d = (np.where(lt, b - (b - a) / _GOLDEN, np.where(gt, d, c)),
                np.where(gt, a + (b - a) / _GOLDEN, np.where(lt, c, d)))
        fc, fd = np.where(gt, fd, fc), np.where(lt, fc, fd)
        probe = _ses_sse(xT, np.where(lt, c, d))
        fc, fd = np.where(lt, probe, fc), np.where(gt, probe, fd)
    alpha = (a + b) / 2.0
    level = xT[0].copy()
    fitted = np.empty((m, n))
    for t in range(m):
        fitted[t] = level
        level += alpha * (xT[t] - level)
    fitted = fitted.T
    fitted[np.arange(m)[None, :] <= first[:, None]] = np.nan
    return alpha, level, fitted


def _adida_level(y: np.ndarray, k: int):
    """ADIDA at one aggregation level ``k`` for all rows of ``y``.

    Returns forecast per period (n,), fitted (n, T) and alpha (n,)."""
    n, T = y.shape
    m = T // k
    fitted = np.full((n, T), np.nan)
    alpha = np.full(n, np.nan)
    forecast = np.full(n, np.nan)
    totals = y[:, T - m * k:].reshape(n, m, k).sum(axis=2)  # NaN if a bucket has padding
    ok = ~np.isnan(totals[:, -1]) if m else np.zeros(n, dtype=bool)
    if ok.any():
        a, fc, ft = _ses_golden(totals[ok])
        alpha[ok], forecast[ok] = a, fc / k
        fitted[np.ix_(ok, np.arange(T - m * k, T))] = np.repeat(ft / k, k, axis=1)
    short = ~ok  # series shorter than one bucket: mean demand per period
    if short.any():
        valid = ~np.isnan(y[short])
        with np.errstate(invalid="ignore", divide="ignore"):
            forecast[short] = np.nansum(y[short], axis=1) / valid.sum(axis=1)
    return forecast, fitted, alpha


def _mean_interval_level(y: np.ndarray) -> np.ndarray:
    """round(mean inter-demand interval), half to even, first interval = index + 1."""
    T = y.shape[1]
    demand = np.nan_to_num(y) > 0
    count = demand.sum(axis=1)
    last = T - 1 - demand[:, ::-1].argmax(axis=1)
    span = last - first_valid_index(y) + 1
    level = np.round(np.where(count > 0, span / np.maximum(count, 1), 1.0))
    return np.maximum(level, 1).astype(np.int64)


@register("adida", "intermittent",
          "ADIDA (Nikolopoulos et al. 2011): SES on buckets of the mean interval, / k")
def adida(y, h: int, aggregation=None) -> KernelFit:
    """Aggregate-disaggregate intermittent demand approach.

    Demand is summed over non-overlapping buckets of ``k`` periods aligned with the
    end of the series, the totals are forecast by SES with ``alpha`` fitted on
    [0.1, 0.3], and the forecast is spread evenly, ``/ k`` (Nikolopoulos et al. 2011).
    Series are grouped by ``k``; the loop runs over distinct levels, not series.

    Parameters
    ----------
    y : numpy.ndarray, shape (n_series, n_time)
        Demand [units / period]; NaN before a series starts.
    h : int
        Horizon [periods].
    aggregation : int or numpy.ndarray of shape (n_series,), optional
        Bucket size ``k`` [periods]; default the rounded mean inter-demand interval.
        A series shorter than one bucket forecasts its mean demand per period.

    Returns
    -------
    KernelFit
        ``params`` ``aggregation`` and ``alpha`` (of the SES on bucket totals).

    Examples
    --------
    >>> import numpy as np
    >>> fit = adida(np.array([[0, 0, 3, 0, 4, 0, 0, 0, 2, 0.0]]), h=2)
    >>> fit.params["aggregation"], fit.mean.round(4)
    (array([3.]), array([[0.9967, 0.9967]]))
    """
    y = _check(y, h)
    n, T = y.shape
    if aggregation is None:
        k = _mean_interval_level(y)
    else:
        k = np.broadcast_to(np.asarray(aggregation), (n,))
        if not np.all((k >= 1) & (k == np.round(k))):
            raise ValueError(f"The parameter 'aggregation' must be a positive integer "
                             f"number of periods. Got {aggregation!r}.")
        k = k.astype(np.int64)
    mean, fitted, alpha = np.empty(n), np.empty((n, T)), np.empty(n)
    for level in np.unique(k):
        rows = np.flatnonzero(k == level)
        mean[rows], fitted[rows], alpha[rows] = _adida_level(y[rows], int(level))
    params = {"aggregation": k.astype(np.float64), "alpha": alpha}
    return KernelFit(np.repeat(mean[:, None], h, axis=1), fitted, params)


@register("imapa", "intermittent",
          "IMAPA (Petropoulos & Kourentzes 2015): mean of ADIDA over levels 1..interval")
def imapa(y, h: int) -> KernelFit:
    """Intermittent multiple aggregation prediction algorithm.

    The ADIDA forecasts (:func:`adida`) at every aggregation level ``1 .. K``, ``K``
    the rounded mean inter-demand interval of the series, averaged with equal weights
    (Petropoulos & Kourentzes 2015, as statsforecast's ``IMAPA``).

    Parameters
    ----------
    y : numpy.ndarray, shape (n_series, n_time)
        Demand [units / period]; NaN before a series starts.
    h : int
        Horizon [periods].

    Returns
    -------
    KernelFit
        ``fitted`` averages the per-level fitted values (NaN where any is NaN);
        ``params`` ``max_aggregation`` (``K``).

    Examples
    --------
    >>> import numpy as np
    >>> fit = imapa(np.array([[0, 0, 3, 0, 4, 0, 0, 0, 2, 0.0]]), h=1)
    >>> fit.params["max_aggregation"], fit.mean.round(4)
    (array([3.]), array([[0.7792]]))
    """
    y = _check(y, h)
    n, T = y.shape
    top = _mean_interval_level(y)
    total, fitted = np.zeros(n), np.zeros((n, T))
    for level in range(1, int(top.max(initial=1)) + 1):
        rows = np.flatnonzero(top >= level)
        fc, ft, _ = _adida_level(y[rows], level)
        total[rows] += fc
        fitted[rows] += ft
    total /= top
    fitted /= top[:, None]
    params = {"max_aggregation": top.astype(np.float64)}
    return KernelFit(np.repeat(total[:, None], h, axis=1), fitted, params)
