"""Forecast distributions: sample paths and quantiles for every model, and the demand
over a random lead time.

Three schemes, all vectorised across series and paths (arrays ``(n_series, n_paths, h)``)
and random only through a ``seed``:

**Residual bootstrap** (continuous models: baseline and smoothing families).
Each series' in-sample one-step residuals ``e_t = y_t − fitted_t`` are resampled with
replacement (Efron, 1979; Efron & Tibshirani, 1993, ch. 9) and pushed through the
model's linear innovations form (Hyndman, Koehler, Ord & Snyder, 2008, ch. 6)::

    Y_{T+j} = ŷ_{T+j|T} + e_j + Σ_{i=1}^{j-1} ψ_i · e_{j−i},     j = 1..h

with ``ψ_i = ∂ŷ_{T+i|T} / ∂y_T``, the response of the ``i``-step forecast to the
latest observation. ψ is measured, not derived per model: the kernel is run once
more with the last observation raised by one unit and its fitted parameters held
(``kernel(y', h, **fit.params)``). For the linear models this is exact: ψ = 1 for
naive (random walk), α for SES, α + iβ for Holt, 1 every ``m`` steps for the seasonal
naive, 0 for the zero forecast and ~0 for the historic average. For a model that is
not an innovations model (moving average) it is the documented approximation.
Residuals are not centred, so a biased model's bias shows in its distribution (the
point forecast stays the model's). Paths are clipped at 0.

**Count distribution** (intermittent family: Croston, SBA, TSB, ADIDA, IMAPA).
Each period has demand with probability ``p_j`` and then a size ``1 + X``,
``X ~ NegBin`` with the mean and variance of the series' non-zero demands minus one
(Poisson when they are not over-dispersed): a hurdle (zero-altered) negative
binomial. ``p_j = min(1, ŷ_j / m)`` with ``m`` the mean non-zero size, so the
distribution's mean equals the model's forecast ``ŷ_j``; for the Croston family
(ŷ = z / x) this is the model's occurrence probability ``1/x`` up to the ratio of the
smoothed size ``z`` to ``m``, and for TSB (ŷ = p·z) its ``p`` likewise. Paths are
whole numbers (Syntetos, Babai & Gardner, 2015, on intermittent demand distributions).

**The model's own quantiles** (global family: a model that forecasts quantile levels
``u_1 < … < u_K`` itself, e.g. :func:`~backorder_analytics.forecasting.global_model.global_gbm`).
The distribution is the model's: its quantile forecasts are reported as they are (no
sampling), and a path draws ``U ~ Uniform(0, 1)`` independently for every period and
returns ``Q(U)`` (inverse-CDF sampling), ``Q`` the piecewise-linear quantile function
through the nodes ``(u_k, q_k)`` (see :func:`quantile_function`):

- between two fitted levels, linear interpolation;
- below the lowest level, a straight line to ``(0, min(0, q_1))``: to 0, the least
  possible demand (flat at ``q_1`` in the unusual case ``q_1 < 0``);
- above the highest level, the last segment continued to ``u = 1``, so the largest
  value is ``q_K + (1 − u_K)·(q_K − q_{K−1}) / (u_K − u_{K−1})`` (with one level, the
  line from the origin). The upper tail is bounded: a heavier tail than the fitted
  levels show is not represented, so fit the levels a service target needs.

Periods are independent (ψ = 0: the model is direct, no forecast is fed back), and the
mean of the paths is that of ``Q``, which may differ from the point forecast (a
separate mean model). Paths are continuous.

:func:`~backorder_analytics.forecasting.lead_time_demand.lead_time_demand` sums the paths
over a lead time that is itself random.

References
----------
Efron, B. (1979). Bootstrap methods: another look at the jackknife. *Annals of
Statistics*, 7(1), 1–26.

Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman &
Hall, ch. 9 (bootstrapping regression models: resampling residuals).

Hyndman, R. J., Koehler, A. B., Ord, J. K. & Snyder, R. D. (2008). *Forecasting with
Exponential Smoothing: The State Space Approach*. Springer, ch. 6.

Syntetos, A. A., Babai, M. Z. & Gardner, E. S. (2015). Forecasting intermittent
inventory demands: simple parametric methods vs. bootstrapping. *Journal of
Business Research*, 68(8), 1746–1752.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .base import KernelFit

__all__ = [
    "QUANTILE_GRID",
    "PathSampler",
    "bootstrap_sampler",
    "count_sampler",
    "quantile_function",
    "quantile_sampler",
    "impulse_response",
    "quantiles_from_paths",
]

CHUNK = 256
"""Series per block when sampling: block ``c`` draws from ``default_rng([seed, c])``,
so the same seed gives the same paths however many series are asked for."""

QUANTILE_GRID = (0.1, 0.25, 0.5, 0.75, 0.9)
"""Levels a model with its own quantiles (the global family) is fitted at besides the
ones requested, so its quantile function, hence its paths, covers the body of the
distribution and not only the upper levels a service target asks for [probability]."""


# ---------------------------------------------------------------------------
# ingredients
# ---------------------------------------------------------------------------


def impulse_response(kernel: Callable[..., KernelFit], y: np.ndarray, h: int,
                     fit: KernelFit) -> np.ndarray:
    """ψ weights: how each step's forecast moves when the last observation rises by 1.

    Parameters
    ----------
    kernel : callable
        The model's kernel, ``kernel(y, h, **params) -> KernelFit``.
    y : numpy.ndarray, shape (n_series, n_time)
        The panel ``fit`` was made on [units per period].
    h : int
        Horizon [periods].
    fit : KernelFit
        The kernel's fit on ``y``; its ``params`` are passed back so they stay fixed
        (when the kernel does not accept them it is refitted).

    Returns
    -------
    numpy.ndarray, shape (n_series, h)
        ``psi[:, i − 1] = ∂ŷ_{T+i|T} / ∂y_T`` [dimensionless]; 0 where undefined.

    Examples
    --------
    >>> from backorder_analytics.forecasting.baseline import naive, zero
    >>> y = np.array([[1.0, 2.0, 3.0]])
    >>> impulse_response(naive, y, 2, naive(y, 2)), impulse_response(zero, y, 2, zero(y, 2))
    (array([[1., 1.]]), array([[0., 0.]]))
    """
    y2 = y.copy()
    y2[:, -1] += 1.0
    try:
        moved = kernel(y2, h, **fit.params)
    except TypeError:
        moved = kernel(y2, h)
    psi = np.asarray(moved.mean, dtype=float) - np.asarray(fit.mean, dtype=float)
    return np.nan_to_num(psi, nan=0.0, posinf=0.0, neginf=0.0)


def _residual_pool(y: np.ndarray, fitted: np.ndarray,
                   max_residuals: int | None) -> tuple[np.ndarray, np.ndarray]:
    resid = y - np.asarray(fitted, dtype=float)
    if max_residuals is not None and resid.shape[1] > max_residuals:
        resid = resid[:, -max_residuals:]
    invalid = np.isnan(resid)
    order = np.argsort(invalid, axis=1, kind="stable")  # valid residuals first
    pool = np.take_along_axis(resid, order, axis=1)
    count = (~invalid).sum(axis=1)
    pool = np.where(np.arange(pool.shape[1])[None, :] < count[:, None], pool, 0.0)
    return pool.astype(np.float32), count.astype(np.int64)


def quantile_function(levels: np.ndarray, values: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The piecewise-linear quantile function through ``(levels, values)``, at ``u``.

    Linear between the nodes; below ``levels[0]`` a line to ``(0, min(0, values[0]))``;
    above ``levels[-1]`` the last segment continued (see the module docstring). Exact at
    the nodes: ``u == levels[k]`` gives ``values[:, k]``.

    Parameters
    ----------
    levels : numpy.ndarray, shape (k,)
        Increasing levels in (0, 1) [probability].
    values : numpy.ndarray, shape (n, k, h)
        Quantiles at ``levels``, non-decreasing along axis 1 [units per period].
    u : numpy.ndarray, shape (n, m, h)
        Levels to evaluate at, in [0, 1].

    Returns
    -------
    numpy.ndarray, shape (n, m, h)

    Examples
    --------
    >>> values = np.array([2.0, 4.0])[None, :, None]        # q(0.5) = 2, q(0.9) = 4
    >>> u = np.array([0.25, 0.5, 0.7, 0.95, 1.0])[None, :, None]
    >>> quantile_function(np.array([0.5, 0.9]), values, u)[0, :, 0]
    array([1.  , 2.  , 3.  , 4.25, 4.5 ])
    """
    levels = np.asarray(levels, dtype=float)
    values = np.asarray(values, dtype=float)
    u = np.asarray(u, dtype=float)
    k = len(levels)
    nodes = np.concatenate([[0.0], levels])
    vals = np.concatenate([np.minimum(values[:, :1], 0.0), values], axis=1)  # (n, k+1, h)
    seg = np.clip(np.searchsorted(nodes, u, side="right") - 1, 0, k - 1)
    lo, hi = np.take_along_axis(vals, seg, axis=1), np.take_along_axis(vals, seg + 1, axis=1)
    slope = (hi - lo) / (nodes[seg + 1] - nodes[seg])
    out = lo + (u - nodes[seg]) * slope
    return np.where(u == nodes[seg + 1], hi, out)


# ---------------------------------------------------------------------------
# the sampler
# ---------------------------------------------------------------------------


@dataclass
class PathSampler:
    """Everything needed to draw forecast paths for a panel of series, row by row.

    Build it with :func:`bootstrap_sampler`, :func:`count_sampler` or
    :func:`quantile_sampler` (or :meth:`combine` several). Rows are series;
    ``count[i]`` and ``given[i]`` choose the scheme.

    Attributes
    ----------
    mean : numpy.ndarray, shape (n, h)
        Point forecasts [units per period].
    count : numpy.ndarray of bool, shape (n,)
        True: count distribution; False: residual bootstrap.
    psi : numpy.ndarray, shape (n, h)
        ψ weights (bootstrap rows).
    pool : numpy.ndarray, shape (n, r)
        Residuals, the valid ones first (bootstrap rows).
    n_pool : numpy.ndarray, shape (n,)
        Valid residuals per row.
    prob : numpy.ndarray, shape (n, h)
        Occurrence probability per period (count rows).
    extra_mean : numpy.ndarray, shape (n,)
        Mean of ``size − 1`` [units] (count rows).
    shape : numpy.ndarray, shape (n,)
        Gamma shape of the Poisson–gamma (negative binomial) ``size − 1``; ``inf``
        for Poisson (count rows).
    given : numpy.ndarray of bool, shape (n,)
        True: the model's own quantiles (inverse-CDF paths); default none.
    levels : numpy.ndarray, shape (k,)
        Increasing quantile levels of ``qvalues`` [probability] (given rows).
    qvalues : numpy.ndarray, shape (n, k, h)
        The model's quantile forecasts at ``levels`` [units per period] (given rows).
    """

    mean: np.ndarray
    count: np.ndarray
    psi: np.ndarray
    pool: np.ndarray
    n_pool: np.ndarray
    prob: np.ndarray
    extra_mean: np.ndarray
    shape: np.ndarray
    given: np.ndarray | None = None
    levels: np.ndarray | None = None
    qvalues: np.ndarray | None = None

    def __post_init__(self) -> None:
        n, h = self.mean.shape
        if self.given is None:
            self.given = np.zeros(n, bool)
        if self.levels is None:
            self.levels = np.zeros(0)
        if self.qvalues is None:
            self.qvalues = np.zeros((n, len(self.levels), h))

    @property
    def n_series(self) -> int:
        return self.mean.shape[0]

    @property
    def horizon(self) -> int:
        return self.mean.shape[1]

    @classmethod
    def combine(cls, parts: Sequence[tuple[np.ndarray, PathSampler]], n: int) -> PathSampler:
        """One sampler of ``n`` rows from samplers of row subsets ``(rows, sampler)``."""
        h = parts[0][1].horizon
        r = max(max(p.pool.shape[1] for _, p in parts), 1)
        levels = np.unique(np.concatenate([p.levels for _, p in parts]))
        out = cls(
            mean=np.full((n, h), np.nan), count=np.zeros(n, bool), psi=np.zeros((n, h)),
            pool=np.zeros((n, r), np.float32), n_pool=np.zeros(n, np.int64),
            prob=np.zeros((n, h)), extra_mean=np.zeros(n), shape=np.full(n, np.inf),
            given=np.zeros(n, bool), levels=levels, qvalues=np.zeros((n, len(levels), h)),
        )
        for rows, part in parts:
            if part.given.any():
                # the same piecewise-linear function on the finer grid (exact: the new
                # nodes lie on its segments and on its continued end segments)
                u = np.broadcast_to(levels[None, :, None], (part.n_series, len(levels), h))
                out.qvalues[rows] = quantile_function(part.levels, part.qvalues, u)
                out.given[rows] = part.given
            out.mean[rows] = part.mean
            out.count[rows] = part.count
            out.psi[rows] = part.psi
            out.pool[rows, : part.pool.shape[1]] = part.pool
            out.n_pool[rows] = part.n_pool
            out.prob[rows] = part.prob
            out.extra_mean[rows] = part.extra_mean
            out.shape[rows] = part.shape
        return out

    def _block(self, rows: slice, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        mean = self.mean[rows]
        c, h = mean.shape
        out = np.empty((c, n_paths, h), dtype=np.float32)
        given = self.given[rows]
        boot = np.flatnonzero(~self.count[rows] & ~given)
        cnt = np.flatnonzero(self.count[rows])
        own = np.flatnonzero(given)
        if len(boot):
            pool = self.pool[rows][boot]
            n_pool = self.n_pool[rows][boot]
            u = rng.random((len(boot), n_paths, h))
            idx = np.minimum((u * n_pool[:, None, None]).astype(np.int64),
                             np.maximum(n_pool[:, None, None] - 1, 0))
            e = np.take_along_axis(pool, idx.reshape(len(boot), -1), axis=1)
            e = e.reshape(len(boot), n_paths, h)
            psi = self.psi[rows][boot]
            if np.any(psi != 0):
                lag = np.arange(h)[None, :] - np.arange(h)[:, None]  # target j − source k
                full = np.concatenate([np.ones((len(boot), 1)), psi[:, : h - 1]], axis=1)
                a = np.where(lag[None] >= 0, full[:, np.clip(lag, 0, None)], 0.0)
                e = np.matmul(e, a.astype(np.float32))
            paths = mean[boot][:, None, :].astype(np.float32) + e
            np.maximum(paths, 0, out=paths)
            out[boot] = np.nan_to_num(paths, nan=0.0)
        if len(cnt):
            prob = self.prob[rows][cnt]
            occurs = rng.random((len(cnt), n_paths, h)) < prob[:, None, :]
            extra = self.extra_mean[rows][cnt][:, None, None]
            shape = self.shape[rows][cnt][:, None, None]
            finite = np.isfinite(shape) & (extra > 0)
            with np.errstate(invalid="ignore", divide="ignore"):
                lam = np.where(
                    finite,
                    rng.gamma(np.where(finite, shape, 1.0), np.where(finite, extra / shape, 1.0),
                              size=(len(cnt), n_paths, h)),
                    extra,
                )
            sizes = 1.0 + rng.poisson(np.maximum(lam, 0.0))
            out[cnt] = np.where(occurs, sizes, 0.0)
        if len(own):  # drawn last: the other schemes' draws do not depend on these rows
            u = rng.random((len(own), n_paths, h))
            out[own] = quantile_function(self.levels, self.qvalues[rows][own], u)
        return out

    def sample(self, n_paths: int, seed: int, rows=None) -> np.ndarray:
        """Draw paths.

        Parameters
        ----------
        n_paths : int
            Paths per series.
        seed : int
            Seed; block ``c`` of :data:`CHUNK` series uses ``default_rng([seed, c])``.
        rows : array of int, optional
            Which series (default all), in the order wanted.

        Returns
        -------
        numpy.ndarray, shape (n_rows, n_paths, h), float32
            Demand paths [units per period], ≥ 0.
        """
        n = self.n_series
        wanted = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
        out = np.empty((len(wanted), int(n_paths), self.horizon), dtype=np.float32)
        for c in np.unique(wanted // CHUNK):
            block = slice(c * CHUNK, min((c + 1) * CHUNK, n))
            paths = self._block(block, int(n_paths), np.random.default_rng([int(seed), int(c)]))
            here = np.flatnonzero(wanted // CHUNK == c)
            out[here] = paths[wanted[here] - c * CHUNK]
        return out

    def quantiles(self, quantiles: Sequence[float], n_paths: int, seed: int) -> np.ndarray:
        """Quantiles of the path distribution, shape (n, n_quantiles, h).

        Block by block (paths are not kept), with the same draws as :meth:`sample`.
        Count rows use the inverted-CDF sample quantile (a whole number), bootstrap
        rows linear interpolation (Hyndman & Fan, 1996, definitions 1 and 7). Rows
        with the model's own quantiles are not sampled: they get
        :func:`quantile_function` at ``quantiles``, so a fitted level returns the
        model's forecast exactly.
        """
        n = self.n_series
        out = np.empty((n, len(quantiles), self.horizon))
        if self.given.all():
            return self._given_quantiles(quantiles, slice(None))
        for c in range((n + CHUNK - 1) // CHUNK):
            block = slice(c * CHUNK, min((c + 1) * CHUNK, n))
            paths = self._block(block, int(n_paths), np.random.default_rng([int(seed), int(c)]))
            out[block] = quantiles_from_paths(paths, quantiles, discrete=self.count[block])
        rows = np.flatnonzero(self.given)
        if len(rows):
            out[rows] = self._given_quantiles(quantiles, rows)
        return out

    def _given_quantiles(self, quantiles: Sequence[float], rows) -> np.ndarray:
        qv = self.qvalues[rows]
        u = np.asarray(quantiles, dtype=float)[None, :, None]
        return quantile_function(self.levels, qv, np.broadcast_to(
            u, (qv.shape[0], u.shape[1], self.horizon)))


def quantiles_from_paths(paths: np.ndarray, quantiles: Sequence[float],
                         discrete: np.ndarray | bool = False) -> np.ndarray:
    """Sample quantiles over the path axis.

    Parameters
    ----------
    paths : numpy.ndarray, shape (n, n_paths, h)
    quantiles : sequence of float
        Levels in (0, 1).
    discrete : bool or array of bool, shape (n,)
        Rows whose quantile is the inverted empirical CDF (smallest value with
        ``F ≥ q``, Hyndman & Fan definition 1); others interpolate linearly
        (definition 7, numpy's default).

    Returns
    -------
    numpy.ndarray, shape (n, n_quantiles, h)

    Examples
    --------
    >>> paths = np.arange(1.0, 5.0)[None, :, None]          # 1, 2, 3, 4
    >>> quantiles_from_paths(paths, [0.5], discrete=True)[0, 0, 0]
    np.float64(2.0)
    >>> quantiles_from_paths(paths, [0.5])[0, 0, 0]
    np.float64(2.5)
    """
    srt = np.sort(paths, axis=1)
    p = srt.shape[1]
    q = np.asarray(quantiles, dtype=float)
    discrete = np.broadcast_to(np.asarray(discrete, dtype=bool), (srt.shape[0],))
    lin_pos = q * (p - 1)
    lo = np.floor(lin_pos).astype(np.int64)
    hi = np.minimum(lo + 1, p - 1)
    frac = (lin_pos - lo)[None, :, None]
    linear = srt[:, lo, :] * (1 - frac) + srt[:, hi, :] * frac
    inv = srt[:, np.clip(np.ceil(q * p - 1e-9).astype(np.int64) - 1, 0, p - 1), :]
    return np.where(discrete[:, None, None], inv, linear).astype(float)


def bootstrap_sampler(y: np.ndarray, fit: KernelFit, kernel: Callable[..., KernelFit] | None,
                      h: int, max_residuals: int | None = None) -> PathSampler:
    """Residual-bootstrap ingredients for a continuous model (see the module docstring).

    Parameters
    ----------
    y : numpy.ndarray, shape (n, n_time)
        Training panel [units per period].
    fit : KernelFit
        The model's fit on ``y``.
    kernel : callable or None
        The model's kernel, for the ψ weights; None: ψ = 0 (independent errors).
    h : int
        Horizon [periods].
    max_residuals : int, optional
        Use only the last this many periods' residuals (default all).

    Returns
    -------
    PathSampler
    """
    n = y.shape[0]
    pool, n_pool = _residual_pool(y, fit.fitted, max_residuals)
    psi = impulse_response(kernel, y, h, fit) if kernel is not None else np.zeros((n, h))
    return PathSampler(
        mean=np.asarray(fit.mean, dtype=float), count=np.zeros(n, bool), psi=psi, pool=pool,
        n_pool=n_pool, prob=np.zeros((n, h)), extra_mean=np.zeros(n),
        shape=np.full(n, np.inf),
    )


def quantile_sampler(mean: np.ndarray, quantiles: dict[float, np.ndarray]) -> PathSampler:
    """Inverse-CDF ingredients for a model that forecasts its own quantiles.

    Parameters
    ----------
    mean : numpy.ndarray, shape (n, h)
        The model's point forecasts [units per period].
    quantiles : dict of float to numpy.ndarray
        Level to quantile forecasts of shape ``(n, h)`` [units per period]
        (e.g. :attr:`GlobalFit.quantiles
        <backorder_analytics.forecasting.global_model.GlobalFit>`).

    Returns
    -------
    PathSampler
        Rows whose quantiles are all finite use :func:`quantile_function` (see the
        module docstring); a row with a missing quantile (a series too short for the
        model) gets the point forecast as its only path value (0 where that is NaN
        too).

    Examples
    --------
    >>> s = quantile_sampler(np.array([[2.0]]), {0.5: np.array([[2.0]]),
    ...                                          0.9: np.array([[4.0]])})
    >>> s.quantiles([0.5, 0.7, 0.9], n_paths=10, seed=0)[0, :, 0]
    array([2., 3., 4.])
    """
    mean = np.asarray(mean, dtype=float)
    n, h = mean.shape
    levels = np.array(sorted(float(q) for q in quantiles))
    qvalues = np.stack([np.asarray(quantiles[q], dtype=float) for q in sorted(quantiles)],
                       axis=1) if len(levels) else np.zeros((n, 0, h))
    qvalues = np.sort(qvalues, axis=1)  # never crossing, as a quantile function must
    given = np.isfinite(qvalues).all(axis=(1, 2)) & (len(levels) > 0)
    qvalues = np.where(given[:, None, None], qvalues, 0.0)
    return PathSampler(
        mean=np.where(given[:, None], mean, np.nan_to_num(mean)), count=np.zeros(n, bool),
        psi=np.zeros((n, h)), pool=np.zeros((n, 1), np.float32),
        n_pool=np.zeros(n, np.int64), prob=np.zeros((n, h)), extra_mean=np.zeros(n),
        shape=np.full(n, np.inf), given=given, levels=levels, qvalues=qvalues,
    )


def count_sampler(y: np.ndarray, mean: np.ndarray) -> PathSampler:
    """Hurdle negative-binomial ingredients for an intermittent model.

    Parameters
    ----------
    y : numpy.ndarray, shape (n, n_time)
        Training panel [units per period]; its non-zero values give the size moments.
    mean : numpy.ndarray, shape (n, h)
        The model's point forecasts [units per period].

    Returns
    -------
    PathSampler
        ``prob = min(1, mean / m)``, ``m`` the mean non-zero size; ``size − 1`` with
        mean ``m − 1`` and the sizes' variance ``v`` (``ddof=1``; 0 for one size):
        negative binomial with gamma shape ``(m − 1)² / (v − m + 1)`` when
        ``v > m − 1``, else Poisson.

    Examples
    --------
    >>> s = count_sampler(np.array([[0.0, 2.0, 0.0, 4.0]]), np.array([[1.5, 1.5]]))
    >>> s.prob, s.extra_mean, s.shape
    (array([[0.5, 0.5]]), array([2.]), array([inf]))
    """
    y = np.asarray(y, dtype=float)
    mean = np.asarray(mean, dtype=float)
    n, h = mean.shape
    pos = np.nan_to_num(y) > 0
    k = pos.sum(axis=1)
    sizes = np.where(pos, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(k > 0, sizes.sum(axis=1) / np.maximum(k, 1), np.nan)
        sq = np.where(pos, (y - m[:, None]) ** 2, 0.0).sum(axis=1)
        v = np.where(k > 1, sq / np.maximum(k - 1, 1), 0.0)
        extra = np.maximum(np.nan_to_num(m) - 1.0, 0.0)
        over = v > extra
        shape = np.where(over & (extra > 0), extra**2 / np.where(over, v - extra, 1.0), np.inf)
        prob = np.where(k[:, None] > 0, np.clip(np.nan_to_num(mean) / m[:, None], 0.0, 1.0),
                        0.0)
    return PathSampler(
        mean=mean, count=np.ones(n, bool), psi=np.zeros((n, h)),
        pool=np.zeros((n, 1), np.float32), n_pool=np.zeros(n, np.int64), prob=prob,
        extra_mean=extra, shape=np.where(np.isfinite(shape), shape, np.inf),
    )

