"""Forecast distributions: sample paths and quantiles for every model, and the demand
over a random lead time.

Three schemes, all vectorised across series and paths (arrays ``(n_series, n_paths, h)``)
and random only through a ``seed`` (see *Random streams* below):

**Residual bootstrap** (continuous models: baseline and smoothing families).
Each series' in-sample one-step residuals ``e_t = y_t − fitted_t`` are resampled with
replacement (Efron, 1979; Efron & Tibshirani, 1993, ch. 9) and pushed through the
model's linear innovations form (Hyndman, Koehler, Ord & Snyder, 2008, ch. 6)::

    Y*_{T+j} = ŷ_{T+j|T} + e_j + Σ_{i=1}^{j-1} ψ_i · e_{j−i},     j = 1..h

with ``ψ_i = ∂ŷ_{T+i|T} / ∂y_T``, the response of the ``i``-step forecast to the
latest observation. ψ is measured, not derived per model: the kernel is run on the
data and on the data with the last observation raised by one unit, its fitted
parameters held (``kernel(y', h, **fit.params) − kernel(y, h, **fit.params)``), so ψ
does not depend on what was done to the forecast after the fit. For the linear
models this is exact: ψ = 1 for naive (random walk), α for SES, α + iβ for Holt, 1
every ``m`` steps for the seasonal naive, 0 for the zero forecast and 1/T for the
historic average. For a model that is not an innovations model (moving average) it
is the documented approximation. ``Y*`` is the latent demand; the demand path is
``max(Y* + δ, 0)`` (see *The mean of the paths* below).

**Count distribution** (intermittent family: Croston, SBA, TSB, ADIDA, IMAPA; and
every other model on a series that is an intermittent count, :func:`intermittent_counts`:
whole numbers with ADI above 1.32). Each period has demand with probability ``p_j``
and then a size ``1 + X``, ``X ~ NegBin`` with the mean and variance of the series'
non-zero demands minus one (Poisson when they are not over-dispersed): a hurdle
(zero-altered) negative binomial. ``p_j = min(1, ŷ_j / m)`` with ``m`` the mean non-zero
size, so the
distribution's mean equals the model's forecast ``ŷ_j``; for the Croston family
(ŷ = z / x) this is the model's occurrence probability ``1/x`` up to the ratio of the
smoothed size ``z`` to ``m``, and for TSB (ŷ = p·z) its ``p`` likewise. Paths are
whole numbers (Syntetos, Babai & Gardner, 2015, on intermittent demand distributions).
On intermittent counts the residual bootstrap is not used even for a continuous
model (SES, the historic average): a zero day's residual ``0 − fitted_t`` added to
``ŷ`` is rarely 0, so its paths spread the demand over about twice the days with
demand the series has, each with half the units, which is right for the total but
wrong for anything counted per day with demand (order lines, see
:mod:`~backorder_analytics.planning.line_bank`).

**The model's own quantiles** (global family: a model that forecasts quantile levels
``u_1 < … < u_K`` itself, e.g. :func:`~backorder_analytics.forecasting.global_model.global_gbm`).
The distribution is built on the model's quantiles: they are reported as they are
(no sampling), and a path draws ``U ~ Uniform(0, 1)`` independently for every period
and returns ``Q(U)`` (inverse-CDF sampling), ``Q`` the piecewise-linear quantile
function through the nodes ``(u_k, q_k)`` (see :func:`quantile_function`):

- between two fitted levels, linear interpolation;
- below the lowest level, a straight line to ``(0, min(0, q_1))``: to 0, the least
  possible demand (flat at ``q_1`` in the unusual case ``q_1 < 0``);
- above the highest level, a straight line to ``(1, T)``, where the fitted levels
  say nothing: ``T`` is set so that the mean of ``Q`` is the point forecast ``ŷ``,
  ``T = 2 (ŷ − B) / (1 − u_K) − q_K`` with ``B = ∫₀^{u_K} Q`` (the mean model's
  estimate and the quantile models' are separate fits; demand is right-skewed, and
  the mean is typically above what the body of the quantiles shows, so the mass it
  adds goes to the tail). Where ``T`` would fall below ``q_K`` (the quantiles with
  a flat top already average more than ``ŷ``) the top is flat and all the
  quantiles are scaled by ``ŷ / (B + (1 − u_K) q_K)``; then, and only then, the
  reported quantiles differ from the model's.

Periods are independent (ψ = 0: the model is direct, no forecast is fed back). Paths
are continuous.

The mean of the paths
---------------------
The paths of every series average its point forecast ``ŷ_j`` in every period (the
forecast is the mean of future demand; the planning code consumes the paths), with
the forecast's own scaling: a forecast reconciled top-down to ``c · ŷ`` gets ``c``
times the model's paths (:func:`~backorder_analytics.forecasting.backtest.make_sampler`,
``factor``). Demand is at least 0, so a forecast below 0 (a trend extrapolated down)
gets paths of 0, with mean ``max(ŷ_j, 0)``.

- Count and quantile rows average ``ŷ`` by construction, up to Monte Carlo error.
- Bootstrap rows are moment-matched after clipping at 0 (Glasserman, 2004,
  §4.5.1): clipping a path at 0 raises the mean (a series near zero with
  residuals of a few units would average far above its forecast), and resampled
  residuals need not average 0 (a biased model). Per series and period, all the
  latent paths are shifted by one ``δ`` that solves
  ``mean_p max(Y*_p + δ, 0) = ŷ`` (:func:`censored_mean_match`): the demand is the
  latent demand censored at 0 (Tobin, 1958), with its location set by the mean. The
  shift keeps the spread of the residuals and the paths' ranks and dependence across
  periods; near zero it turns mass into zeros. The mean of the paths is then ``ŷ``
  exactly (to float32 rounding) for any number of paths, so a series' paths depend
  on ``n_paths`` (the first ``k`` of ``n`` paths are not the ``k`` paths of a call
  with ``n_paths = k``), never on other series. The quantiles come from these paths.

Quantiles
---------
Bootstrap rows: sample quantiles of their paths. Count rows: the exact quantiles of
the hurdle distribution (:func:`hurdle_quantiles`), no paths drawn, so a forecast of
intermittent demand with quantiles costs no Monte Carlo. Quantile rows: the model's
own (:func:`quantile_function`).

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

Glasserman, P. (2004). *Monte Carlo Methods in Financial Engineering*. Springer,
§4.5.1 (moment matching through path adjustments).

Hyndman, R. J., Koehler, A. B., Ord, J. K. & Snyder, R. D. (2008). *Forecasting with
Exponential Smoothing: The State Space Approach*. Springer, ch. 6.

Syntetos, A. A., Babai, M. Z. & Gardner, E. S. (2015). Forecasting intermittent
inventory demands: simple parametric methods vs. bootstrapping. *Journal of
Business Research*, 68(8), 1746–1752.

Tobin, J. (1958). Estimation of relationships for limited dependent variables.
*Econometrica*, 26(1), 24–36.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numba
import numpy as np

from .base import KernelFit, first_valid_index

__all__ = [
    "BLOCK_CELLS",
    "QUANTILE_GRID",
    "PathSampler",
    "bootstrap_sampler",
    "censored_mean_match",
    "count_sampler",
    "hurdle_quantiles",
    "quantile_function",
    "quantile_function_mean",
    "quantile_sampler",
    "impulse_response",
    "intermittent_counts",
    "quantiles_from_paths",
    "stream_keys",
]

BLOCK_CELLS = 1 << 23
"""Most path values (series × paths × periods) drawn at once, about 64 MB of uniforms:
series are sampled in blocks of ``max(1, BLOCK_CELLS // (n_paths · h))``. It bounds
memory only; every series has its own random stream, so the numbers do not depend on
the blocks."""

INTERMITTENT_ADI = 1.32
"""ADI above which a series of whole numbers gets the count distribution whatever its
model (:func:`intermittent_counts`): the intermittent / lumpy cut-off of Syntetos,
Boylan & Croston (2005), as :func:`~backorder_analytics.classify_demand` uses
[periods]."""

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

    The kernel is run twice with the fit's parameters held, on ``y`` and on ``y`` with
    its last value raised by one unit, and ψ is the difference of the two forecasts.
    ``fit.mean`` is not used: a forecast rescaled after the fit (top-down
    reconciliation multiplies it by a factor ``c``) would otherwise add
    ``(1 − c) · mean`` to every ψ.

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
        (when the kernel does not accept them it is refitted on both panels).

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

    A scaled forecast does not change ψ:

    >>> scaled = naive(y, 2)
    >>> scaled.mean = 0.5 * scaled.mean
    >>> impulse_response(naive, y, 2, scaled)
    array([[1., 1.]])
    """
    y2 = y.copy()
    y2[:, -1] += 1.0
    try:
        base, moved = kernel(y, h, **fit.params), kernel(y2, h, **fit.params)
    except TypeError:
        base, moved = kernel(y, h), kernel(y2, h)
    psi = np.asarray(moved.mean, dtype=float) - np.asarray(base.mean, dtype=float)
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
    above ``levels[-1]`` the last segment continued (a sampler's levels end at 1, see
    :func:`quantile_sampler`). Exact at the nodes: ``u == levels[k]`` gives
    ``values[:, k]``.

    Parameters
    ----------
    levels : numpy.ndarray, shape (k,)
        Increasing levels in (0, 1] [probability].
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


def quantile_function_mean(levels: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The mean of the piecewise-linear quantile function through ``(levels, values)``.

    ``E[Q(U)] = ∫₀¹ Q(u) du`` with ``Q`` as :func:`quantile_function` draws it (the
    line to ``(0, min(0, q_1))`` below the lowest level, the last segment continued
    to ``u = 1``): ``Q`` is linear between consecutive nodes, so the integral is the
    trapezoid sum over them, exactly.

    Parameters
    ----------
    levels : numpy.ndarray, shape (k,)
        Increasing levels in (0, 1] [probability].
    values : numpy.ndarray, shape (n, k, h)
        Quantiles at ``levels`` [units per period].

    Returns
    -------
    numpy.ndarray, shape (n, h)
        The mean [units per period].

    Examples
    --------
    >>> values = np.array([2.0, 4.0])[None, :, None]        # q(0.5) = 2, q(0.9) = 4
    >>> float(quantile_function_mean(np.array([0.5, 0.9]), values)[0, 0])
    2.125

    (``0.5 · (0 + 2) / 2 + 0.4 · (2 + 4) / 2 + 0.1 · (4 + 4.5) / 2``.)
    """
    levels = np.asarray(levels, dtype=float)
    values = np.asarray(values, dtype=float)
    n, _, h = values.shape
    top = quantile_function(levels, values, np.ones((n, 1, h)))
    nodes = np.concatenate([[0.0], levels, [1.0]])
    vals = np.concatenate([np.minimum(values[:, :1], 0.0), values, top], axis=1)
    width = np.diff(nodes)[None, :, None]
    return (width * (vals[:, 1:] + vals[:, :-1]) / 2).sum(axis=1)


def censored_mean_match(paths: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Shift each series' paths, step by step, then clip them at 0, so that they
    average ``max(target, 0)`` exactly.

    For every series ``i`` and step ``j`` the shift ``δ`` solves
    ``G(δ) = mean_p max(x_{i,p,j} + δ, 0) = target_{i,j}``: the moment-matching path
    adjustment of Glasserman (2004, §4.5.1), applied to demand censored at zero
    (Tobin, 1958): ``x + δ`` is the latent demand, ``max(x + δ, 0)`` the demand.
    ``G`` is continuous, convex, piecewise linear and increasing where positive, so
    for a target > 0 the solution is unique. Newton's method from
    ``δ₀ = target − mean(x)`` (where ``G(δ₀) ≥ target``) reads
    ``δ_{k+1} = (n · target − Σ_{x > −δ_k} x) / #{x > −δ_k}``; on a convex function
    it approaches the root from the right without overshooting, and it has the root
    exactly once the set of positive paths stops changing (at most ``n`` steps, a
    handful in practice). A cell where no path reaches 0 takes ``δ₀``, a target
    ``≤ 0`` (or NaN) gives paths of 0; a NaN path value is read as 0.

    Parameters
    ----------
    paths : numpy.ndarray, shape (n_series, n, h)
        Paths before clipping [units per period].
    target : numpy.ndarray, shape (n_series, h)
        The mean wanted for every series and step [units per period].

    Returns
    -------
    numpy.ndarray, shape (n_series, n, h), float32
        ``max(x + δ, 0)``: ≥ 0, in the same order as ``x`` along the path axis (so
        the paths keep their ranks and their dependence across steps); the mean over
        the paths is the target up to float32 rounding.

    Examples
    --------
    >>> x = np.array([-3.0, -1.0, 0.0, 1.0, 8.0])[None, :, None]   # mean 1
    >>> out = censored_mean_match(x, np.array([[1.0]]))[0, :, 0]
    >>> out.tolist(), float(out.mean())                  # δ = −3: only 8 stays > 0
    ([0.0, 0.0, 0.0, 0.0, 5.0], 1.0)
    """
    out = np.array(paths, dtype=np.float32, order="C")
    target = np.broadcast_to(np.asarray(target, dtype=float), (out.shape[0], out.shape[2]))
    if out.size:
        _censored_mean_match(out, np.ascontiguousarray(target))
    return out


@numba.njit(cache=True)
def _censored_mean_match(x, target):  # pragma: no cover (compiled)
    """:func:`censored_mean_match` in place on ``x`` (float32, (n_series, n, h))."""
    n_series, n, h = x.shape
    for i in range(n_series):
        for j in range(h):
            t = target[i, j]
            if not t > 0:  # also NaN: nothing to average
                for k in range(n):
                    x[i, k, j] = 0.0
                continue
            total = 0.0
            low = np.inf
            for k in range(n):
                v = float(x[i, k, j])
                if v != v:  # NaN (no forecast): read as 0
                    v = 0.0
                    x[i, k, j] = 0.0
                total += v
                low = min(low, v)
            delta = t - total / n
            if low + delta < 0:  # clipping binds: Newton steps from the right
                count = n + 1
                for _ in range(n + 1):  # the positive set only shrinks: ≤ n changes
                    above = 0.0
                    m = 0
                    for k in range(n):
                        v = float(x[i, k, j])
                        if v + delta > 0:
                            above += v
                            m += 1
                    if m == 0 or m == count:  # the positive set is final: δ is exact
                        break
                    count = m
                    delta = (n * t - above) / m
            for k in range(n):
                x[i, k, j] = max(float(x[i, k, j]) + delta, 0.0)


@numba.njit(cache=True)
def _propagate(e, psi):  # pragma: no cover (compiled)
    """``e_j + Σ_{i=1}^{j-1} ψ_i · e_{j−i}`` for every series, path and period of ``e``
    (float32, (n_series, n_paths, h)), summed in float64 in a fixed order.

    Compiled rather than a batched matrix product: BLAS may round a series' sums
    differently with the rows around it (seen with the OpenBLAS of numpy 2.0-2.1) or
    on another CPU, and a series' paths must not depend on the block it is drawn in
    nor on the machine of a Dask worker."""
    n, n_paths, h = e.shape
    out = np.empty_like(e)
    for i in range(n):
        for p in range(n_paths):
            for j in range(h):
                acc = float(e[i, p, j])
                for k in range(j):
                    acc += psi[i, j - k - 1] * e[i, p, k]
                out[i, p, j] = acc
    return out


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
        Point forecasts [units per period]: the mean of every row's paths (``max(mean,
        0)``; see the module docstring, *The mean of the paths*).
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
        Increasing quantile levels of ``qvalues`` [probability] (given rows); the last
        is 1 (the top of the tail, see :func:`quantile_sampler`).
    qvalues : numpy.ndarray, shape (n, k, h)
        The quantile function at ``levels`` [units per period] (given rows).
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
    # None, the default, is replaced in __post_init__ (no given row): never None after it
    given: np.ndarray = None  # type: ignore[assignment]
    levels: np.ndarray = None  # type: ignore[assignment]
    qvalues: np.ndarray = None  # type: ignore[assignment]
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

    def take(self, rows: np.ndarray) -> PathSampler:
        """The sampler of the series at ``rows`` (their streams' keys kept)."""
        keys = self._keys()[rows]
        per_row = {f.name: getattr(self, f.name)[rows] for f in dataclasses.fields(self)
                   if f.name not in ("levels", "keys")}
        return PathSampler(**per_row, levels=self.levels, keys=keys)

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
                e = _propagate(e, np.ascontiguousarray(psi, dtype=np.float64))
            paths = mean[boot][:, None, :].astype(np.float32) + e
            _censored_mean_match(paths, np.ascontiguousarray(mean[boot]))
            out[boot] = paths
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
            Demand paths [units per period], ≥ 0; each row's average its ``mean``
            (see the module docstring, *The mean of the paths*).
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
        """Quantiles of the forecast distribution, shape (n, n_quantiles, h).

        Only bootstrap rows are sampled: block by block (paths are not kept), with the
        same draws as :meth:`sample`, and linear interpolation between the sorted
        paths (Hyndman & Fan, 1996, definition 7). Count rows get the exact quantile
        of their hurdle distribution (:func:`hurdle_quantiles`: the inverted CDF,
        definition 1, a whole number; what the inverted-CDF quantile of their paths
        tends to as ``n_paths`` grows), with no draws. Rows with the model's own
        quantiles get :func:`quantile_function` at ``quantiles``, so a fitted level
        returns the model's forecast exactly (unless the quantiles were scaled down to
        the point forecast, see :func:`quantile_sampler`).
        """
        n_paths, seed = int(n_paths), int(seed)
        out = np.empty((self.n_series, len(quantiles), self.horizon))
        for block in self._blocks(np.flatnonzero(~self.given & ~self.count), n_paths):
            out[block] = quantiles_from_paths(self._draw(block, n_paths, seed), quantiles)
        rows = np.flatnonzero(self.count & ~self.given)
        if len(rows):
            out[rows] = hurdle_quantiles(self.prob[rows], self.extra_mean[rows],
                                         self.shape[rows], quantiles)
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


def hurdle_quantiles(prob: np.ndarray, extra_mean: np.ndarray, shape: np.ndarray,
                     quantiles: Sequence[float]) -> np.ndarray:
    """Exact quantiles of the count distribution (hurdle negative binomial).

    In period ``j`` demand is 0 with probability ``1 − p_j``, else ``1 + X_j`` with
    ``X_j`` negative binomial of mean ``μ_j`` and gamma shape ``r`` (Poisson when
    ``r = ∞``; see :func:`count_sampler`). Its level-``q`` quantile, the smallest ``y``
    with ``P(Y ≤ y) ≥ q`` (the inverted CDF), is 0 when ``q ≤ 1 − p_j``, else
    ``1 + F_X⁻¹((q − 1 + p_j) / p_j)``. ``F_X`` is summed along the probability mass
    function's recursion, ``P(X = x + 1) = P(X = x) · (x + r) / (x + 1) · μ / (r + μ)``
    (``μ / (x + 1)`` for Poisson), in logarithms so that a large mean does not
    underflow ``P(X = 0)``; the work per cell grows with the quantile's value.

    Parameters
    ----------
    prob, extra_mean : numpy.ndarray, shape (n, h)
        ``p_j`` [probability] and ``μ_j`` [units] per series and period.
    shape : numpy.ndarray, shape (n,)
        ``r`` per series (``inf``: Poisson).
    quantiles : sequence of float
        Levels in (0, 1), in any order.

    Returns
    -------
    numpy.ndarray, shape (n, n_quantiles, h)
        Whole numbers [units per period].

    Examples
    --------
    >>> hurdle_quantiles(np.array([[0.5]]), np.array([[2.0]]), np.array([np.inf]),
    ...                  [0.4, 0.9])[0, :, 0]
    array([0., 4.])
    """
    q = np.asarray(quantiles, dtype=float)
    order = np.argsort(q)
    prob = np.ascontiguousarray(np.nan_to_num(prob), dtype=float)
    out = np.empty((prob.shape[0], len(q), prob.shape[1]))
    _hurdle_quantiles(prob, np.ascontiguousarray(np.nan_to_num(extra_mean), dtype=float),
                      np.ascontiguousarray(shape, dtype=float), q[order], out)
    result = np.empty_like(out)
    result[:, order, :] = out
    return result


@numba.njit(cache=True)
def _hurdle_quantiles(prob, extra, shape, levels, out):  # pragma: no cover (compiled)
    """:func:`hurdle_quantiles` into ``out``, ``levels`` increasing: for each cell the
    walk up ``X``'s CDF goes on from the previous level's quantile."""
    n, h = prob.shape
    for i in range(n):
        r = shape[i]
        for j in range(h):
            p, mu = prob[i, j], extra[i, j]
            x = 0
            if mu > 0:
                if np.isinf(r):
                    log_pmf = -mu
                    log_step = np.log(mu)
                else:
                    log_pmf = r * np.log(r / (r + mu))
                    log_step = np.log(mu / (r + mu))
                cdf = np.exp(log_pmf)
            else:  # every size is 1
                log_pmf, log_step, cdf = 0.0, 0.0, 1.0
            for k in range(levels.shape[0]):
                q = levels[k]
                if not p > 0 or q <= 1.0 - p:
                    out[i, k, j] = 0.0
                    continue
                target = (q - (1.0 - p)) / p
                while cdf < target:
                    if np.isinf(r):
                        log_pmf += log_step - np.log(x + 1.0)
                    else:
                        log_pmf += np.log((x + r) / (x + 1.0)) + log_step
                    x += 1
                    term = np.exp(log_pmf)
                    cdf += term
                    if x > mu and term < 1e-17 * cdf:  # the sum has converged below
                        break  # ``target`` by rounding: the tail holds nothing more
                out[i, k, j] = 1.0 + x


def bootstrap_sampler(y: np.ndarray, fit: KernelFit, kernel: Callable[..., KernelFit] | None,
                      h: int, max_residuals: int | None = None,
                      factor: float = 1.0) -> PathSampler:
    """Residual-bootstrap ingredients for a continuous model (see the module docstring).

    Parameters
    ----------
    y : numpy.ndarray, shape (n, n_time)
        Training panel [units per period].
    fit : KernelFit
        The model's fit on ``y``, as the kernel returned it.
    kernel : callable or None
        The model's kernel, for the ψ weights; None: ψ = 0 (independent errors).
    h : int
        Horizon [periods].
    max_residuals : int, optional
        Use only the last this many periods' residuals (default all).
    factor : float, default 1
        Scale of the forecast distribution [dimensionless]: the point forecasts and
        the residuals are multiplied by it, so the paths are ``factor`` times those
        of the fit (top-down reconciliation's factor, see
        :mod:`~backorder_analytics.forecasting.reconcile`); ψ is a ratio and stays.

    Returns
    -------
    PathSampler

    Examples
    --------
    >>> from backorder_analytics.forecasting.baseline import naive
    >>> y = np.array([[10.0, 12.0, 11.0, 13.0]])
    >>> a = bootstrap_sampler(y, naive(y, 3), naive, 3).sample(200, seed=0)
    >>> b = bootstrap_sampler(y, naive(y, 3), naive, 3, factor=0.5).sample(200, seed=0)
    >>> bool(np.allclose(b, 0.5 * a)), a.mean(axis=1).round(4).tolist()
    (True, [[13.0, 13.0, 13.0]])
    """
    n = y.shape[0]
    pool, n_pool = _residual_pool(y, fit.fitted, max_residuals)
    psi = impulse_response(kernel, y, h, fit) if kernel is not None else np.zeros((n, h))
    return PathSampler(
        mean=factor * np.asarray(fit.mean, dtype=float), count=np.zeros(n, bool), psi=psi,
        pool=(pool * np.float32(factor)).astype(np.float32), n_pool=n_pool,
        prob=np.zeros((n, h)), extra_mean=np.zeros((n, h)), shape=np.full(n, np.inf),
    )


def quantile_sampler(mean: np.ndarray, quantiles: dict[float, np.ndarray]) -> PathSampler:
    """Inverse-CDF ingredients for a model that forecasts its own quantiles.

    Parameters
    ----------
    mean : numpy.ndarray, shape (n, h)
        The model's point forecasts [units per period].
    quantiles : dict of float to numpy.ndarray
        Level to quantile forecasts of shape ``(n, h)`` [units per period], levels in
        (0, 1) (e.g. :attr:`GlobalFit.quantiles
        <backorder_analytics.forecasting.global_model.GlobalFit>`).

    Returns
    -------
    PathSampler
        Rows whose quantiles are all finite use :func:`quantile_function` through the
        quantiles and, at level 1, the top ``T`` that makes the mean of the paths the
        point forecast (see the module docstring; the sampler's ``levels`` end with
        1): with ``B = ∫₀^{u_K} Q`` and ``w = 1 − u_K``,
        ``T = 2 (mean − B) / w − q_K``; where that is below ``q_K`` (the fitted
        quantiles with a flat top already average more than the mean) the top is
        ``q_K`` and every quantile is multiplied by ``mean / (B + w · q_K)``. A row
        with a missing quantile (a series too short for the model) gets the point
        forecast as its only path value (0 where that is NaN too).

    Examples
    --------
    Nodes (0, 0), (0.5, 2), (0.9, 4): ``B = 0.5 · 1 + 0.4 · 3 = 1.7``. A mean of
    2.125 gives the top 4.5 (the last segment continued), a mean of 2.5 the top 12;
    the fitted quantiles stay:

    >>> q = {0.5: np.array([[2.0, 2.0]]), 0.9: np.array([[4.0, 4.0]])}
    >>> s = quantile_sampler(np.array([[2.125, 2.5]]), q)
    >>> s.levels.tolist(), s.qvalues[0, -1].round(6).tolist()
    ([0.5, 0.9, 1.0], [4.5, 12.0])
    >>> s.quantiles([0.5, 0.9], n_paths=10, seed=0)[0]
    array([[2., 2.],
           [4., 4.]])

    A mean of 1.05, half of ``B + 0.1 · 4 = 2.1``: the quantiles are halved.

    >>> quantile_sampler(np.array([[1.05]]), {0.5: np.array([[2.0]]),
    ...                                       0.9: np.array([[4.0]])}).qvalues[0, :, 0]
    array([1., 2., 2.])
    """
    mean = np.asarray(mean, dtype=float)
    n, h = mean.shape
    levels = np.array(sorted(float(q) for q in quantiles))
    qvalues = np.stack([np.asarray(quantiles[q], dtype=float) for q in sorted(quantiles)],
                       axis=1) if len(levels) else np.zeros((n, 0, h))
    qvalues = np.sort(qvalues, axis=1)  # never crossing, as a quantile function must
    given = np.asarray(np.isfinite(qvalues).all(axis=(1, 2)) & (len(levels) > 0))
    qvalues = np.where(given[:, None, None], qvalues, 0.0)
    if len(levels) and levels[-1] < 1:
        target = np.where(np.isfinite(mean), mean, quantile_function_mean(levels, qvalues))
        nodes = np.concatenate([[0.0], levels])
        vals = np.concatenate([np.minimum(qvalues[:, :1], 0.0), qvalues], axis=1)
        body = (np.diff(nodes)[None, :, None] * (vals[:, 1:] + vals[:, :-1]) / 2).sum(axis=1)
        width, q_top = 1.0 - levels[-1], qvalues[:, -1]
        top = 2.0 * (target - body) / width - q_top
        lift = top >= q_top
        flat = body + width * q_top
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(lift, 1.0, np.where(flat > 0, np.maximum(target, 0.0) / flat, 0.0))
        levels = np.append(levels, 1.0)
        qvalues = np.concatenate([qvalues, np.where(lift, top, q_top)[:, None, :]], axis=1)
        qvalues = np.where(given[:, None, None], qvalues * ratio[:, None, :], 0.0)
    return PathSampler(
        mean=np.where(given[:, None], mean, np.nan_to_num(mean)), count=np.zeros(n, bool),
        psi=np.zeros((n, h)), pool=np.zeros((n, 1), np.float32),
        n_pool=np.zeros(n, np.int64), prob=np.zeros((n, h)), extra_mean=np.zeros((n, h)),
        shape=np.full(n, np.inf), given=given, levels=levels, qvalues=qvalues,
    )


def intermittent_counts(y: np.ndarray, adi_cutoff: float = INTERMITTENT_ADI) -> np.ndarray:
    """Rows of a panel that are intermittent counts: whole numbers with an average
    inter-demand interval above ``adi_cutoff``.

    ADI as :func:`~backorder_analytics.classify_demand` computes it, from each row's
    first non-missing period: ``(position of the last non-zero period + 1) / number of
    non-zero periods``. Such a series gets the count distribution
    (:func:`count_sampler`) from every model, not only the intermittent family: a
    residual bootstrap adds ``ŷ − fitted_t`` to the zeros, which on a series that is
    0 most days is rarely 0, so its paths have demand on too many days, each too small
    (on the lumpy SKUs of :func:`~backorder_analytics.example_dataset`, 8.7 days with
    demand in 28 against 4.6 in the history, 9 units a day against 17).

    Parameters
    ----------
    y : numpy.ndarray, shape (n, n_time)
        Training panel [units per period]; NaN before a series starts.
    adi_cutoff : float, default :data:`INTERMITTENT_ADI`
        [periods].

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        False for a row without demand or with a value that is not a whole number.

    Examples
    --------
    >>> y = np.array([[np.nan, 0.0, 3.0, 0.0, 0.0, 2.0],    # ADI 4 / 2 = 2
    ...               [1.0, 2.0, 0.0, 1.0, 3.0, 2.0],       # ADI 6 / 5 = 1.2
    ...               [0.0, 0.5, 0.0, 0.0, 0.0, 1.5]])      # not whole numbers
    >>> intermittent_counts(y).tolist()
    [True, False, False]
    """
    y = np.asarray(y, dtype=float)
    n, t_len = y.shape
    start = first_valid_index(y)
    pos = np.arange(t_len)[None, :] - start[:, None]
    with np.errstate(invalid="ignore"):
        positive = y > 0
        whole = np.where(np.isnan(y), True, (y >= 0) & (y == np.floor(y))).all(axis=1)
    nonzero = positive.sum(axis=1)
    last = np.where(positive, pos, -1).max(axis=1, initial=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        adi = np.where(nonzero > 0, (last + 1) / np.maximum(nonzero, 1), np.nan)
    return whole & (nonzero > 0) & (adi > adi_cutoff)


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
    mean = np.asarray(mean, dtype=float)
    n, h = mean.shape
    k, m, v = _size_moments(np.ascontiguousarray(y, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
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



@numba.njit(cache=True)
def _size_moments(y):  # pragma: no cover (compiled)
    """Per row of ``y``: the number ``k`` of values above 0, their mean (NaN when none)
    and their variance (``ddof=1``; 0 for fewer than two), in two passes."""
    n, t_len = y.shape
    k = np.zeros(n, np.int64)
    m = np.full(n, np.nan)
    v = np.zeros(n)
    for i in range(n):
        total = 0.0
        for t in range(t_len):
            if y[i, t] > 0:
                k[i] += 1
                total += y[i, t]
        if k[i] == 0:
            continue
        m[i] = total / k[i]
        if k[i] > 1:
            sq = 0.0
            for t in range(t_len):
                if y[i, t] > 0:
                    sq += (y[i, t] - m[i]) ** 2
            v[i] = sq / (k[i] - 1)
    return k, m, v
