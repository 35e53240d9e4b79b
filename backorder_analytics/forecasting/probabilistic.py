"""Forecast distributions: sample paths and quantiles for every model, and the demand
over a random lead time.

Three schemes, all vectorised across series and paths (arrays ``(n_series, n_paths, h)``)
and random only through a ``seed`` (see *Random streams* below):

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

Random streams
--------------
Every series (one SKU) draws from a stream of its own,
``numpy.random.default_rng([seed, key])`` with ``key = zlib.crc32(str(sku).encode())``
(:func:`stream_keys`; the form :mod:`~backorder_analytics.planning.safety_stock` seeds
its per-SKU simulations with). A SKU's paths and quantiles therefore depend only on the
seed, its id and its own distribution, not on its row nor on the other SKUs in the
call: forecasting a partition of the SKUs (a Dask partition, a subset in any order)
gives the same numbers bit for bit. In its stream a series draws, in this order,
``n_paths × h`` uniforms on [0, 1) (path by path), which drive the residual
bootstrap's resampling, the count distribution's occurrences and the inverse-CDF
draws; then, for the count distribution when its sizes are not all 1, one gamma
rate (when the sizes are over-dispersed) and one Poisson draw per period with demand,
all the gammas before all the Poissons. A sampler built without SKU ids uses each
row's number as its key. Series are drawn in blocks of at most :data:`BLOCK_CELLS`
values, which bounds memory and does not change the numbers. Two ids with the same
CRC-32 share a stream (for 10,000 SKUs the chance that some pair does is about 1 %);
their paths are then correlated, each still with its own distribution. For the same
reason, code that draws other numbers for a SKU (lead times, say) next to its paths
should not use the same ``(seed, key)`` stream for them, or those numbers are tied to
the paths' uniforms.

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

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .base import KernelFit

__all__ = [
    "BLOCK_CELLS",
    "QUANTILE_GRID",
    "PathSampler",
    "bootstrap_sampler",
    "count_sampler",
    "quantile_function",
    "quantile_sampler",
    "impulse_response",
    "quantiles_from_paths",
    "stream_keys",
]

BLOCK_CELLS = 1 << 23
"""Most path values (series × paths × periods) drawn at once, about 64 MB of uniforms:
series are sampled in blocks of ``max(1, BLOCK_CELLS // (n_paths · h))``. It bounds
memory only; every series has its own random stream, so the numbers do not depend on
the blocks."""

QUANTILE_GRID = (0.1, 0.25, 0.5, 0.75, 0.9)
"""Levels a model with its own quantiles (the global family) is fitted at besides the
ones requested, so its quantile function, hence its paths, covers the body of the
distribution and not only the upper levels a service target asks for [probability]."""


# ---------------------------------------------------------------------------
# ingredients
# ---------------------------------------------------------------------------


def stream_keys(skus) -> np.ndarray:
    """The random-stream key of each SKU: ``zlib.crc32(str(sku).encode())``.

    Series ``i`` draws from ``numpy.random.default_rng([seed, keys[i]])`` (see the
    module docstring), so its numbers do not depend on the other series.

    Parameters
    ----------
    skus : sequence
        SKU ids (any type; keyed by their ``str``).

    Returns
    -------
    numpy.ndarray of int64, shape (len(skus),)
        Keys in [0, 2³²).

    Examples
    --------
    >>> import zlib
    >>> keys = stream_keys(["SKU-0001", 17])
    >>> keys.tolist() == [zlib.crc32(b"SKU-0001"), zlib.crc32(b"17")]
    True
    """
    return np.fromiter((zlib.crc32(str(s).encode()) for s in skus), dtype=np.int64,
                       count=len(skus))


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
    ``count[i]`` and ``given[i]`` choose the scheme, ``keys[i]`` the random stream.

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
    extra_mean : numpy.ndarray, shape (n, h)
        Mean of ``size − 1`` per period [units] (count rows).
    shape : numpy.ndarray, shape (n,)
        Gamma shape of the Poisson–gamma (negative binomial) ``size − 1``; ``inf``
        for Poisson (count rows).
    given : numpy.ndarray of bool, shape (n,)
        True: the model's own quantiles (inverse-CDF paths); default none.
    levels : numpy.ndarray, shape (k,)
        Increasing quantile levels of ``qvalues`` [probability] (given rows).
    qvalues : numpy.ndarray, shape (n, k, h)
        The model's quantile forecasts at ``levels`` [units per period] (given rows).
    keys : numpy.ndarray of int64, shape (n,), optional
        Random-stream key per row, :func:`stream_keys` of the SKU ids: row ``i`` draws
        from ``default_rng([seed, keys[i]])``. None (default): the row numbers.
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
    keys: np.ndarray | None = None

    def __post_init__(self) -> None:
        n, h = self.mean.shape
        if self.given is None:
            self.given = np.zeros(n, bool)
        if self.levels is None:
            self.levels = np.zeros(0)
        if self.qvalues is None:
            self.qvalues = np.zeros((n, len(self.levels), h))
        if self.keys is not None:
            self.keys = np.asarray(self.keys, dtype=np.int64)
            if self.keys.shape != (n,):
                raise ValueError(f"The 'keys' parameter must have one key per series, shape "
                                 f"({n},). Got shape {self.keys.shape} instead.")

    @property
    def n_series(self) -> int:
        return self.mean.shape[0]

    @property
    def horizon(self) -> int:
        return self.mean.shape[1]

    def _keys(self) -> np.ndarray:
        """The key of every row's random stream: ``keys``, or the row numbers."""
        return np.arange(self.n_series, dtype=np.int64) if self.keys is None else self.keys

    @classmethod
    def combine(cls, parts: Sequence[tuple[np.ndarray, PathSampler]], n: int,
                keys: np.ndarray | None = None) -> PathSampler:
        """One sampler of ``n`` rows from samplers of row subsets ``(rows, sampler)``.

        ``keys``: the combined rows' stream keys; default the parts' own, carried with
        their rows when every part has them (else None: the row numbers)."""
        h = parts[0][1].horizon
        r = max(max(p.pool.shape[1] for _, p in parts), 1)
        levels = np.unique(np.concatenate([p.levels for _, p in parts]))
        if keys is None and all(p.keys is not None for _, p in parts):
            keys = np.zeros(n, np.int64)
            for rows, part in parts:
                keys[rows] = part.keys
        out = cls(
            mean=np.full((n, h), np.nan), count=np.zeros(n, bool), psi=np.zeros((n, h)),
            pool=np.zeros((n, r), np.float32), n_pool=np.zeros(n, np.int64),
            prob=np.zeros((n, h)), extra_mean=np.zeros((n, h)), shape=np.full(n, np.inf),
            given=np.zeros(n, bool), levels=levels, qvalues=np.zeros((n, len(levels), h)),
            keys=keys,
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

    def _blocks(self, rows: np.ndarray, n_paths: int) -> list[np.ndarray]:
        """``rows`` in blocks of at most :data:`BLOCK_CELLS` path values."""
        size = max(1, BLOCK_CELLS // max(1, n_paths * self.horizon))
        return [rows[i:i + size] for i in range(0, len(rows), size)]

    def _draw(self, rows: np.ndarray, n_paths: int, seed: int) -> np.ndarray:
        """Paths (len(rows), n_paths, h) of ``rows``, each from its own stream.

        Only the draws are made row by row (one generator per series, see the module
        docstring); the transforms that turn them into paths are vectorised."""
        c, h = len(rows), self.horizon
        out = np.empty((c, n_paths, h), dtype=np.float32)
        if c == 0 or n_paths == 0 or h == 0:
            return out
        streams = [np.random.default_rng([seed, int(k)]) for k in self._keys()[rows]]
        u = np.empty((c, n_paths, h))
        for j, stream in enumerate(streams):
            stream.random(out=u[j])
        mean = self.mean[rows]
        given = self.given[rows]
        count = self.count[rows]
        boot = np.flatnonzero(~count & ~given)
        cnt = np.flatnonzero(count)
        own = np.flatnonzero(given)
        if len(boot):
            pool = self.pool[rows[boot]]
            n_pool = self.n_pool[rows[boot]]
            idx = np.minimum((u[boot] * n_pool[:, None, None]).astype(np.int64),
                             np.maximum(n_pool[:, None, None] - 1, 0))
            e = np.take_along_axis(pool, idx.reshape(len(boot), -1), axis=1)
            e = e.reshape(len(boot), n_paths, h)
            psi = self.psi[rows[boot]]
            if np.any(psi != 0):
                lag = np.arange(h)[None, :] - np.arange(h)[:, None]  # target j − source k
                full = np.concatenate([np.ones((len(boot), 1)), psi[:, : h - 1]], axis=1)
                a = np.where(lag[None] >= 0, full[:, np.clip(lag, 0, None)], 0.0)
                e = np.matmul(e, a.astype(np.float32))
            paths = mean[boot][:, None, :].astype(np.float32) + e
            np.maximum(paths, 0, out=paths)
            out[boot] = np.nan_to_num(paths, nan=0.0)
        if len(cnt):
            occurs = u[cnt] < self.prob[rows[cnt]][:, None, :]
            sizes = np.zeros((len(cnt), n_paths, h), dtype=np.float32)
            extra = self.extra_mean[rows[cnt]]
            shape = self.shape[rows[cnt]]
            for j, i in enumerate(cnt):  # size draws only where demand occurs
                where = occurs[j]
                k = int(where.sum())
                if k == 0 or not (extra[j] > 0).any():  # no demand, or every size is 1
                    sizes[j][where] = 1.0
                    continue
                stream = streams[i]
                mean_extra = np.broadcast_to(extra[j], where.shape)[where]
                rate = (stream.gamma(shape[j], mean_extra / shape[j])
                        if np.isfinite(shape[j]) else mean_extra)
                sizes[j][where] = 1.0 + stream.poisson(rate)
            out[cnt] = sizes
        if len(own):
            out[own] = quantile_function(self.levels, self.qvalues[rows[own]], u[own])
        return out

    def sample(self, n_paths: int, seed: int, rows=None) -> np.ndarray:
        """Draw paths.

        Parameters
        ----------
        n_paths : int
            Paths per series.
        seed : int
            Seed; series ``i`` draws from ``default_rng([seed, keys[i]])`` (see the
            module docstring), so its paths do not depend on the other rows asked for.
        rows : array of int, optional
            Which series (default all), in the order wanted.

        Returns
        -------
        numpy.ndarray, shape (n_rows, n_paths, h), float32
            Demand paths [units per period], ≥ 0.
        """
        n_paths, seed = int(n_paths), int(seed)
        wanted = (np.arange(self.n_series) if rows is None
                  else np.asarray(rows, dtype=np.int64).reshape(-1))
        out = np.empty((len(wanted), n_paths, self.horizon), dtype=np.float32)
        done = 0
        for block in self._blocks(wanted, n_paths):
            out[done:done + len(block)] = self._draw(block, n_paths, seed)
            done += len(block)
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
        n_paths, seed = int(n_paths), int(seed)
        out = np.empty((self.n_series, len(quantiles), self.horizon))
        for block in self._blocks(np.flatnonzero(~self.given), n_paths):
            paths = self._draw(block, n_paths, seed)
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
        n_pool=n_pool, prob=np.zeros((n, h)), extra_mean=np.zeros((n, h)),
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
        n_pool=np.zeros(n, np.int64), prob=np.zeros((n, h)), extra_mean=np.zeros((n, h)),
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
        the sizes' variance ``v`` (``ddof=1``; 0 for one size) and mean ``m − 1``, or
        ``mean − 1`` in a period whose forecast exceeds ``m`` (demand then occurs
        every period, and the sizes carry the rest, so that the mean of the paths is
        the forecast in every period): negative binomial with gamma shape
        ``(m − 1)² / (v − m + 1)`` when ``v > m − 1``, else Poisson.

    Examples
    --------
    >>> s = count_sampler(np.array([[0.0, 2.0, 0.0, 4.0]]), np.array([[1.5, 5.0]]))
    >>> s.prob, s.extra_mean, s.shape
    (array([[0.5, 1. ]]), array([[2., 4.]]), array([inf]))
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
        extra = np.maximum(extra[:, None], np.nan_to_num(mean) - 1.0) * (prob > 0)
    return PathSampler(
        mean=mean, count=np.ones(n, bool), psi=np.zeros((n, h)),
        pool=np.zeros((n, 1), np.float32), n_pool=np.zeros(n, np.int64), prob=prob,
        extra_mean=extra, shape=np.where(np.isfinite(shape), shape, np.inf),
    )

