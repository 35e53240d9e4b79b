"""Exponential smoothing kernels: simple (SES), damped Holt and additive Holt-Winters.

Each kernel follows the contract of :mod:`backorder_analytics.forecasting.base`
(``kernel(y, h, **params) -> KernelFit``, ``y`` of shape ``(n_series, n_time)``,
NaN-padded on the left), loops over time only and is vectorised across series.

Model (component form; Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice*, 3rd ed., 2021, sections 8.1-8.3; damped trend: Gardner & McKenzie 1985;
the same recursions as statsmodels' ``ExponentialSmoothing``)::

    one step   f_t = l_{t-1} + phi b_{t-1} + s_{t-m}
    level      l_t = alpha (y_t - s_{t-m}) + (1 - alpha) (l_{t-1} + phi b_{t-1})
    trend      b_t = beta (l_t - l_{t-1}) + (1 - beta) phi b_{t-1}
    season     s_t = gamma (y_t - l_{t-1} - phi b_{t-1}) + (1 - gamma) s_{t-m}
    h steps    yhat_{T+h} = l_T + (phi + ... + phi^h) b_T + s_{T+h-m(k+1)}

computed in error-correction form (``e_t = y_t - f_t``, ``l_t = l_{t-1} + phi b_{t-1} +
alpha e_t``, ``b_t = phi b_{t-1} + alpha beta e_t``, ``s_t = s_{t-m} + gamma e_t``).
``beta`` is FPP3's beta* (statsmodels' ``smoothing_trend``). SES has no trend and no
season; Holt no season; an undamped trend has ``phi = 1``. At horizons that are
multiples of ``m`` the forecast uses the latest index ``s_T`` as FPP3 does (statsmodels
0.15 uses ``s_{T-m}`` there: its issue #9538).

Conventions
-----------
Initial states
    Given (``initial_level`` ...): the states just before each series' first value
    (statsmodels' ``initialization_method="known"``); ``fitted`` starts at the first value.
    Not given: computed from each series' first values, which are then used for nothing
    else (``fitted`` is NaN there; they are not in the fitted sum of squares):
    SES -- level = first value (statsforecast's convention);
    Holt -- level = 2nd value, trend = 2nd - 1st (R's ``stats::HoltWinters``);
    Holt-Winters -- the first two seasons (``2 m`` values) with means ``c1, c2``: trend
    ``(c2 - c1) / m`` (0 without trend), seasonal indices = mean over the two seasons of
    ``y`` minus that straight line (they sum to 0), level = the line at the window's end.
Fitting
    Free parameters minimise the sum of squared one-step errors per series within
    :data:`BOUNDS` and ``alpha + gamma <= 1``: a coarse grid evaluated for all series at
    once, then projected Levenberg-Marquardt (Gauss-Newton) steps, all vectorised
    across series; when both are fitted, ``alpha + gamma`` and gamma's share of it are
    the coordinates, so that the constraint is a face of the unit box. A series' fit
    depends on its own values only, bit for bit: fitting a subset of the series (a
    partition of SKUs) gives the same parameters and forecasts.
Short series
    A component that cannot be initialised with at least one error left to fit is
    dropped: Holt-Winters needs ``2 m + 1`` values (else Holt, or SES without trend),
    Holt 3 (else SES). SES on one value forecasts that value (``alpha`` NaN: not
    identifiable). An all-NaN row gives NaN everywhere. Dropped components' parameters
    are NaN in ``params``.
Parameters in ``KernelFit.params``
    Smoothing parameters only, shape ``(n_series,)``; passing them back
    (``kernel(y, h, **fit.params)``) gives the same forecasts. A NaN in a given
    parameter array means "fit it for that series".
"""

from __future__ import annotations

import itertools

import numba
import numpy as np

from ..exceptions import DataError
from .base import KernelFit, as_panel, check_horizon, first_valid_index, register

__all__ = ["BOUNDS", "DEFAULT_SEASON_LENGTH", "ses", "holt", "holt_winters"]

BOUNDS: dict[str, tuple[float, float]] = {
    "alpha": (1e-4, 0.9999), "beta": (1e-4, 0.9999), "gamma": (1e-4, 0.9999), "phi": (0.8, 0.98)}
"""Bounds of fitted parameters [dimensionless]: R ``forecast::ets``'s defaults (Hyndman
et al., *Forecasting with Exponential Smoothing*, 2008, section 10.2), with the usual
``gamma <= 1 - alpha``. Given parameters are used as they are."""

DEFAULT_SEASON_LENGTH = 7
"""Default season of :func:`holt_winters` [periods]: one week of daily data."""


def _unit(values, name: str = "alpha") -> tuple[float, ...]:
    """Unit coordinates of parameter values: ``value = lower + u (upper - lower)``."""
    lower, upper = BOUNDS[name]
    return tuple((np.asarray(values) - lower) / (upper - lower))


# Starting grids of the fit, in unit coordinates.
_GRID = {"alpha": _unit([1e-4, 0.05, 0.15, 0.3, 0.5, 0.75, 0.9999]),
         "beta": _unit([1e-4, 0.1, 0.4], "beta"),
         "gamma": _unit([1e-4, 0.1, 0.4], "gamma"), "phi": (0.5,)}
_GRID_SES = _unit([1e-4, 0.01, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.4, 0.55, 0.7, 0.85, 0.9999])
_CHUNK = 16  # candidates evaluated together (keeps the arrays in cache)


# ---------------------------------------------------------------------------- checks
def _as_panel(y) -> tuple[np.ndarray, np.ndarray]:
    """The panel as float64 (n_series, n_time) and each row's first valid index."""
    y = as_panel(y)
    first = first_valid_index(y)
    gaps = np.flatnonzero((~np.isnan(y)).sum(axis=1) != y.shape[1] - first)
    if len(gaps):
        raise DataError(f"The panel 'y' has NaN after a series' first value (rows "
                        f"{', '.join(map(str, gaps[:5]))}). Expected NaN only as left "
                        "padding. Fix: fill periods without demand with 0 (demand_series "
                        "does).")
    return y, first


def _transpose(a: np.ndarray, rows: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a[rows].T`` as a C-contiguous array, or ``out[rows] = a.T``, in cache-sized
    blocks (several times faster than numpy's transposing copy)."""
    block = 256
    if out is None:
        result = np.empty((a.shape[1], len(rows)))
        for i in range(0, len(rows), block):
            result[:, i:i + block] = a[rows[i:i + block]].T
        return result
    for i in range(0, len(rows), block):
        out[rows[i:i + block]] = a[:, i:i + block].T
    return out



def _param(value, n: int, name: str) -> np.ndarray:
    """A smoothing parameter as a float array of shape (n,); NaN = to be fitted."""
    if value is None:
        return np.full(n, np.nan)
    arr = np.asarray(value, dtype=float)
    arr = np.full(n, float(arr)) if arr.ndim == 0 else arr.copy()
    if arr.shape != (n,):
        raise ValueError(f"The {name!r} parameter must be a number or an array of shape "
                         f"({n},). Got shape {arr.shape}.")
    low = 0.0 if name != "phi" else np.nextafter(0.0, 1.0)  # phi in (0, 1]
    if ((arr < low) | (arr > 1)).any():
        interval = "(0, 1]" if name == "phi" else "[0, 1]"
        raise ValueError(f"The {name!r} parameter must lie in {interval} (NaN: fit it). "
                         f"Got {value!r}.")
    return arr


def _state(value, n: int, name: str, m: int | None = None) -> np.ndarray:
    """A given initial state as shape (n,) or, for the season, (n, m)."""
    arr = np.asarray(value, dtype=float)
    shape = (n,) if m is None else (n, m)
    if arr.shape != shape[1:] and arr.shape != shape and arr.ndim != 0:
        raise ValueError(f"The {name!r} parameter must be a number or an array of shape "
                         f"{shape} (or {shape[1:]} shared by all series). Got {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"The {name!r} parameter must be finite. Got {value!r}.")
    return np.broadcast_to(arr, shape).copy()


# ------------------------------------------------------------------------ recursion
def _run(yt, start, p, level, trend, season, fitted=None, steps=None):
    """Run the recursion for all series and ``K`` candidate parameter sets at once.

    ``yt`` is the panel transposed, shape (n_time, n); ``start`` the first period of
    each series' recursion. ``p`` maps parameter names to (n or 1, K) arrays;
    ``level``, ``trend`` are (n,) and ``season`` (n, m) states just before ``start``
    (trend, season None when absent). Returns the sums of squared one-step errors
    (n, K) and the final states (K, n) and (m, K, n); writes one-step forecasts into
    ``fitted`` (n_time, n) when given (K = 1). With ``steps`` (n, K - 1), candidate
    ``j + 1`` is candidate 0 moved by ``steps[:, j]`` along coordinate j, and the
    Gauss-Newton sums ``J'J`` (n, K-1, K-1) and ``J'e`` (n, K-1) of the
    forward-difference Jacobian of candidate 0's errors are returned instead.

    The compiled loop (:func:`_recursion`) runs each series over its own periods in
    time order, so a series' numbers do not depend on the other series in ``yt``.
    """
    n_time, n = yt.shape
    k = p["alpha"].shape[1]

    def full(name, default):
        value = p.get(name)
        if value is None:
            return np.full((n, k), default)
        return np.ascontiguousarray(np.broadcast_to(value, (n, k)), dtype=float)

    alpha, beta, phi, gamma = (full("alpha", 0.0), full("beta", 0.0), full("phi", 1.0),
                               full("gamma", 0.0))
    has_trend, has_season = trend is not None, season is not None
    trend0 = np.asarray(trend, float) if has_trend else np.zeros(n)
    season0 = np.asarray(season, float) if has_season else np.zeros((n, 1))
    with_steps = steps is not None
    step_arr = np.asarray(steps, float) if with_steps else np.ones((n, max(k - 1, 0)))
    with_fitted = fitted is not None
    out_fitted = fitted if with_fitted else np.empty((0, 0))
    sse, lvl, b, s, jtj, jte = _recursion(
        np.asarray(yt, float), np.asarray(start, np.int64), alpha, beta, phi, gamma,
        np.asarray(level, float), trend0, season0, has_trend, has_season, out_fitted,
        with_fitted, step_arr, with_steps)
    if with_steps:
        return sse, jtj, jte
    return sse, lvl, (b if has_trend else None), (s if has_season else None)


@numba.njit(cache=True)
def _recursion(yt, start, alpha, beta, phi, gamma, level, trend, season, has_trend,
               has_season, fitted, with_fitted, steps, with_steps):  # pragma: no cover
    """The ETS recursion of :func:`_run` (additive errors, damped trend, additive
    season), series by series, period by period; candidates ``k`` side by side. Each
    series' states live in small local arrays while it runs (cache friendly)."""
    n_time, n = yt.shape
    k = alpha.shape[1]
    m = season.shape[1]
    sse = np.zeros((n, k))
    lvl = np.empty((k, n))
    b = np.zeros((k, n))
    s = np.zeros((m if has_season else 1, k, n))
    d = max(k - 1, 1)
    jtj = np.zeros((n, d, d))
    jte = np.zeros((n, d))
    e = np.empty(k)
    lv = np.empty(k)
    bb = np.empty(k)
    ss = np.empty((m, k))
    y = np.empty(n_time)
    for i in range(n):
        for t in range(start[i], n_time):
            y[t] = yt[t, i]
        for c in range(k):
            lv[c] = level[i]
            bb[c] = trend[i]
        if has_season:
            for j in range(m):
                slot = (start[i] + j) % m
                for c in range(k):
                    ss[slot, c] = season[i, j]
        for t in range(start[i], n_time):
            slot = t % m
            for c in range(k):
                if has_trend:
                    damped = phi[i, c] * bb[c]
                    base = lv[c] + damped
                else:
                    damped = 0.0
                    base = lv[c]
                f = base + ss[slot, c] if has_season else base
                err = y[t] - f
                if with_fitted and c == 0:
                    fitted[t, i] = f
                lv[c] = base + alpha[i, c] * err
                if has_trend:
                    bb[c] = damped + alpha[i, c] * beta[i, c] * err
                if has_season:
                    ss[slot, c] += gamma[i, c] * err
                sse[i, c] += err * err
                e[c] = err
            if with_steps:
                for a in range(k - 1):
                    da = e[a + 1] - e[0]
                    jte[i, a] += da * e[0]
                    for q in range(a, k - 1):
                        jtj[i, a, q] += da * (e[q + 1] - e[0])
        for c in range(k):
            lvl[c, i] = lv[c]
            b[c, i] = bb[c]
        if has_season:
            for j in range(m):
                for c in range(k):
                    s[j, c, i] = ss[j, c]
    if with_steps:
        for i in range(n):
            for a in range(k - 1):
                jte[i, a] /= steps[i, a]
                for q in range(a, k - 1):
                    v = jtj[i, a, q] / (steps[i, a] * steps[i, q])
                    jtj[i, a, q] = v
                    jtj[i, q, a] = v
    return sse, lvl, b, s, jtj, jte


def _forecast(n_time: int, h: int, p, lvl, b, s) -> np.ndarray:
    """h-step forecasts (n, h) from the final states of a K = 1 run."""
    mean = np.repeat(lvl[0][:, None], h, axis=1)
    if b is not None:
        mean += np.cumsum(p["phi"] ** np.arange(1, h + 1), axis=1) * b[0][:, None]
    if s is not None:
        mean += s[(n_time - 1 + np.arange(1, h + 1)) % s.shape[0], 0, :].T
    return mean


# -------------------------------------------------------------------------- fitting
def _decode(u, free: list[str], fixed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Parameters (n, K) from unit coordinates ``u`` (n, K, len(free)); fixed values
    (n, 1), NaN where free, are kept where given."""
    n, k = u.shape[:2]
    out = {}

    def value(name, upper):
        given = np.broadcast_to(fixed[name], (n, k))
        if name not in free:
            return given
        lower, x = BOUNDS[name][0], u[:, :, free.index(name)]
        return np.where(np.isnan(given), lower + x * (upper - lower), given)

    upper = BOUNDS["alpha"][1]
    if "gamma" in fixed:  # gamma <= 1 - alpha, from either side
        upper = np.clip(1.0 - np.nan_to_num(fixed["gamma"], nan=0.0), BOUNDS["alpha"][0],
                        upper)
    out["alpha"] = value("alpha", upper)
    for name in ("beta", "phi"):
        if name in fixed:
            out[name] = value(name, BOUNDS[name][1])
    if "gamma" in fixed:
        upper = np.clip(1.0 - out["alpha"], BOUNDS["gamma"][0], BOUNDS["gamma"][1])
        out["gamma"] = value("gamma", upper)
        both = np.isnan(fixed["alpha"]) & np.isnan(fixed["gamma"])
        if both.any():  # alpha + gamma = w, gamma's share r: the edge w = 1 is a face
            low = BOUNDS["alpha"][0]
            span = u[:, :, free.index("alpha")] * (1 - 2 * low)
            share = u[:, :, free.index("gamma")]
            out["alpha"] = np.where(both, low + span * (1 - share), out["alpha"])
            out["gamma"] = np.where(both, low + span * share, out["gamma"])
    return out


def _minimise(objective, n: int, grids, iters: int = 12, tol: float = 1e-8) -> np.ndarray:
    """Per-series least squares over the unit cube, vectorised across series.

    ``objective(u, steps=None, rows=slice(None))`` maps (r, K, p) coordinates of the
    series ``rows`` to sums of squares (r, K), and with ``steps`` also returns ``J'J``
    and ``J'e`` (see :func:`_run`). A grid (the product of ``grids``) picks a start per
    series; then projected Levenberg-Marquardt steps (Gauss-Newton on forward-difference
    Jacobians, three damping levels tried at once; coordinates on a bound whose gradient
    points outwards are held) until a series' sum improves by less than ``tol``
    (relative). Steps are taken only where they lower the sum, so the result is never
    worse than the best grid point. Returns (n, p) coordinates.
    """
    points = np.array(list(itertools.product(*grids)))
    chunks = np.array_split(points, -(-len(points) // _CHUNK))
    f = np.concatenate([objective(np.broadcast_to(c, (n, *c.shape))) for c in chunks], axis=1)
    x, dim = points[np.nan_to_num(f, nan=np.inf).argmin(axis=1)], points.shape[1]
    mu, eye, damping = np.full(n, 1e-2), np.eye(dim), np.array([0.1, 3.0, 1e3])
    act = np.arange(n)
    for _ in range(iters):
        if len(act) == 0:
            break
        xa, r = x[act], np.arange(len(act))
        steps = np.where(xa < 0.5, 1e-6, -1e-6)
        u = np.repeat(xa[:, None, :], dim + 1, axis=1)
        u[:, 1:, :] += steps[:, :, None] * eye
        sse, jtj, jte = objective(u, steps, act)
        fx = np.nan_to_num(sse[:, 0], nan=np.inf)
        held = ((xa <= 0) & (jte > 0)) | ((xa >= 1) & (jte < 0)) | ~np.isfinite(jte)
        jtj, jte = np.nan_to_num(jtj), np.nan_to_num(jte)
        diag = np.diagonal(jtj, axis1=1, axis2=2)
        held |= diag <= 0
        scale = np.where(held, 0.0, 1.0 / np.sqrt(np.where(held, 1.0, diag)))  # Jacobi
        a = (scale[:, :, None] * jtj * scale[:, None, :])[:, None]
        a = a + eye * (np.where(held, 1.0, 1e-10)[:, None, :]
                       + mu[act, None, None] * damping[None, :, None])[..., None]
        rhs = np.broadcast_to((-scale * jte)[:, None, :, None], (len(act), len(damping), dim, 1))
        step = scale[:, None, :] * np.linalg.solve(a, rhs)[..., 0]
        trial = np.clip(xa[:, None, :] + step, 0.0, 1.0)
        ft = np.nan_to_num(objective(trial, rows=act), nan=np.inf)
        pick = ft.argmin(axis=1)
        gain = fx - ft[r, pick]
        better = gain > 0
        x[act[better]] = trial[r[better], pick[better]]
        mu[act] = np.where(better, mu[act] * damping[pick] / 3, mu[act] * 1e2)
        act = act[gain > tol * fx]
    return x


# --------------------------------------------------------------------------- driver
def _heuristic(y, first, trend: bool, m: int | None):
    """Initial states from each series' first values (see the module docstring)."""
    rows = np.arange(len(y))
    if m:
        window = y[rows[:, None], first[:, None] + np.arange(2 * m)]
        c1, c2 = window[:, :m].mean(axis=1), window[:, m:].mean(axis=1)
        slope = (c2 - c1) / m if trend else np.zeros(len(y))
        centre = (c1 + c2) / 2
        line = centre[:, None] + slope[:, None] * (np.arange(2 * m) - (2 * m - 1) / 2)
        season = (window - line).reshape(len(y), 2, m).mean(axis=1)
        return centre + slope * (2 * m - 1) / 2, slope if trend else None, season
    if trend:
        return y[rows, first + 1], y[rows, first + 1] - y[rows, first], None
    return y[rows, first], None, None


def _ets(y, first, h, trend: str | None, m: int | None, given: dict, init: dict | None):
    """Fit and forecast one model on the panel; drops components for short series."""
    n, n_time = y.shape
    names = ["alpha"] + (["beta"] if trend else []) + (["phi"] if trend == "damped" else [])
    names += ["gamma"] if m else []
    fixed = {name: given[name].copy() for name in names}
    mean, fitted = np.full((n, h), np.nan), np.full((n, n_time), np.nan)
    nobs = n_time - first
    window = 0 if init is not None else 2 * m if m else 2 if trend else 1
    core = nobs >= (window + 1 if (trend or m) and init is None else 1)
    short = ~core & (nobs >= 1)
    if short.any():  # drop the season, then the trend
        sub_trend = trend if m else None
        sub_given = {k: v[short] for k, v in given.items()}
        sub = _ets(y[short], first[short], h, sub_trend, None, sub_given, None)
        mean[short], fitted[short] = sub.mean, sub.fitted
        for name in names:
            fixed[name][short] = sub.params.get(name, np.nan)
    rows = np.flatnonzero(core)
    if len(rows) == 0:
        return KernelFit(mean, fitted, fixed)
    if init is None:
        level, slope, season = _heuristic(y[rows], first[rows], bool(trend), m)
    else:
        level, slope, season = (None if init[key] is None else init[key][rows]
                                for key in ("level", "trend", "season"))
    start = first[rows] + window
    order = np.argsort(start, kind="stable")
    rows, start, level = rows[order], start[order], level[order]
    slope = None if slope is None else slope[order]
    season = None if season is None else season[order]
    yt = _transpose(y, rows)
    p = {name: fixed[name][rows, None] for name in names}
    if trend == "add":
        p["phi"] = np.ones((1, 1))
    free = [name for name in names if np.isnan(p[name]).any()]
    with np.errstate(over="ignore", invalid="ignore"):
        if free:
            def objective(u, steps=None, rows=slice(None)):
                sub = {k: v[rows] if len(v) > 1 else v for k, v in p.items()}
                out = _run(yt[:, rows], start[rows], _decode(u, free, sub), level[rows],
                           None if slope is None else slope[rows],
                           None if season is None else season[rows], steps=steps)
                return out[0] if steps is None else out

            grids = [_GRID_SES if name == "alpha" and not (trend or m) else _GRID[name]
                     for name in free]
            u = _minimise(objective, len(rows), grids)
            p = _decode(u[:, None, :], free, p)
        fit_t = np.full((n_time, len(rows)), np.nan)
        _, lvl, b, s = _run(yt, start, p, level, slope, season, fitted=fit_t)
    mean[rows] = _forecast(n_time, h, p, lvl, b, s)
    _transpose(fit_t, rows, out=fitted)
    no_error = start >= n_time
    for name in names:
        fitted_value = np.broadcast_to(p[name], (len(rows), 1))[:, 0]
        was_free = np.isnan(fixed[name][rows])
        fixed[name][rows] = np.where(was_free & no_error, np.nan, fitted_value)
    return KernelFit(mean, fitted, fixed)


# -------------------------------------------------------------------------- kernels
@register("ses", "smoothing", "Simple exponential smoothing, alpha fitted by least squares; "
          "Hyndman & Athanasopoulos, FPP3 section 8.1")
def ses(y, h: int, alpha=None, initial_level=None) -> KernelFit:
    """Simple exponential smoothing (SES).

    ``l_t = alpha y_t + (1 - alpha) l_{t-1}``; every forecast is the last level
    (Hyndman & Athanasopoulos, *FPP3*, 2021, section 8.1).

    Parameters
    ----------
    y : array_like, shape (n_series, n_time)
        Demand per period [units], NaN before a series starts.
    h : int
        Horizon [periods].
    alpha : float or array of shape (n_series,), optional
        Smoothing constant [dimensionless, 0-1]. None (default) or NaN entries: fitted
        per series by least squares within :data:`BOUNDS` (``[1e-4, 0.9999]``).
    initial_level : float or array of shape (n_series,), optional
        Level before each series' first value [units]. Default: the first value, which is
        then not forecast (statsforecast's convention; ``fitted`` NaN there).

    Returns
    -------
    KernelFit
        ``mean`` (n_series, h), ``fitted`` (n_series, n_time), ``params["alpha"]``.

    Examples
    --------
    >>> import numpy as np
    >>> fit = ses(np.array([[3.0, 5.0, 4.0, 8.0, 6.0]]), h=2, alpha=0.5)
    >>> fit.fitted
    array([[nan,  3.,  4.,  4.,  6.]])
    >>> fit.mean
    array([[6., 6.]])
    """
    (y, first), h = _as_panel(y), check_horizon(h)
    alpha = _param(alpha, len(y), "alpha")
    if initial_level is None and not np.isnan(alpha).any() and y.shape[1]:
        return _ses_given(y, first, h, alpha)
    init = None if initial_level is None else {
        "level": _state(initial_level, len(y), "initial_level"), "trend": None, "season": None}
    return _ets(y, first, h, None, None, {"alpha": alpha}, init)


def _ses_given(y: np.ndarray, first: np.ndarray, h: int, alpha: np.ndarray) -> KernelFit:
    """SES with every alpha given and the default initial level: the same numbers as
    :func:`_ets`, on a lean path (one pass over time, time-major, no fitting state).

    The left padding is filled with each series' first value, so the level sits at that
    value until the series starts (the default initial level) and is unchanged by it."""
    n, t_len = y.shape
    starts = np.minimum(first, t_len - 1)
    start_value = y[np.arange(n), starts]
    yt = _transpose(y, np.arange(n))
    late = np.flatnonzero(first > 0)  # series with left padding (or all NaN)
    before = np.arange(t_len)[:, None] < first[late][None, :]  # (t_len, n_late)
    if late.size:
        yt[:, late] = np.where(before, start_value[late], yt[:, late])
    fitted_t = np.empty_like(yt)
    level = yt[0].copy()
    step = np.empty(n)
    fitted_t[0] = np.nan
    for t in range(1, t_len):
        fitted_t[t] = level
        np.subtract(yt[t], level, out=step)
        step *= alpha
        level += step
    if late.size:  # no forecast before, and at, a series' first value
        at_start = np.arange(t_len)[:, None] <= first[late][None, :]
        fitted_t[:, late] = np.where(at_start, np.nan, fitted_t[:, late])
    fitted = fitted_t.T
    level[first >= t_len] = np.nan  # all-NaN rows
    return KernelFit(mean=np.repeat(level[:, None], h, axis=1), fitted=fitted,
                     params={"alpha": alpha})


@register("holt", "smoothing", "Holt's linear trend, damped, alpha beta phi fitted by least "
          "squares; FPP3 section 8.2, Gardner & McKenzie (1985)")
def holt(y, h: int, alpha=None, beta=None, phi=None, damped: bool = True,
         initial_level=None, initial_trend=None) -> KernelFit:
    """Holt's linear trend method, damped by default.

    Forecast ``l_T + (phi + ... + phi^h) b_T`` (Hyndman & Athanasopoulos, *FPP3*, 2021,
    section 8.2; Gardner & McKenzie, "Forecasting trends in time series", *Management
    Science* 31(10), 1985).

    Parameters
    ----------
    y : array_like, shape (n_series, n_time)
        Demand per period [units], NaN before a series starts.
    h : int
        Horizon [periods].
    alpha, beta : float or array of shape (n_series,), optional
        Level and trend smoothing constants [dimensionless, 0-1]; ``beta`` is FPP3's
        beta* (statsmodels' ``smoothing_trend``). None or NaN: fitted within
        :data:`BOUNDS`.
    phi : float or array of shape (n_series,), optional
        Damping factor [dimensionless]; None or NaN: fitted in [0.8, 0.98]. Only with
        ``damped=True``.
    damped : bool, default True
        False: Holt's linear trend (``phi = 1``).
    initial_level, initial_trend : float or array of shape (n_series,), optional
        States before each series' first value [units, units per period], both or
        neither. Default: level = 2nd value, trend = 2nd - 1st (R's ``HoltWinters``);
        the first two values are then not forecast. Series with fewer than 3 values
        fall back to :func:`ses` (``beta``, ``phi`` NaN).

    Returns
    -------
    KernelFit
        ``mean``, ``fitted``; ``params`` with ``alpha``, ``beta`` and (damped) ``phi``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[10.0, 12.0, 13.0, 15.0, 16.0, 18.0]])
    >>> fit = holt(y, h=3, alpha=0.5, beta=0.3, phi=0.9)
    >>> np.round(fit.mean, 3)
    array([[18.837, 19.88 , 20.818]])
    >>> fit.fitted[0, :3]  # level 12 + phi * trend 2 after the first two values
    array([ nan,  nan, 13.8])
    """
    (y, first), h = _as_panel(y), check_horizon(h)
    if not damped and phi is not None:
        raise ValueError("The 'phi' parameter is used only with damped=True. "
                         f"Got phi={phi!r} with damped=False.")
    if (initial_level is None) != (initial_trend is None):
        raise ValueError("Give both 'initial_level' and 'initial_trend', or neither.")
    n = len(y)
    init = None if initial_level is None else {
        "level": _state(initial_level, n, "initial_level"),
        "trend": _state(initial_trend, n, "initial_trend"), "season": None}
    given = {"alpha": _param(alpha, n, "alpha"), "beta": _param(beta, n, "beta"),
             "phi": _param(phi, n, "phi")}
    return _ets(y, first, h, "damped" if damped else "add", None, given, init)


@register("holt_winters", "smoothing", "Additive Holt-Winters, damped trend, weekly season "
          "(season_length=7), parameters fitted by least squares; FPP3 section 8.3")
def holt_winters(y, h: int, season_length: int = DEFAULT_SEASON_LENGTH, alpha=None, beta=None,
                 gamma=None, phi=None, trend: str | None = "damped", initial_level=None,
                 initial_trend=None, initial_seasonal=None) -> KernelFit:
    """Additive Holt-Winters: level, (damped) additive trend, additive season.

    Hyndman & Athanasopoulos, *FPP3*, 2021, section 8.3 (additive method), with
    Gardner & McKenzie's (1985) damped trend by default: a damped trend is the robust
    choice for demand, whose trends rarely persist over the horizon.

    Parameters
    ----------
    y : array_like, shape (n_series, n_time)
        Demand per period [units], NaN before a series starts.
    h : int
        Horizon [periods].
    season_length : int, default 7
        Periods per season ``m`` (7: a week of daily data).
    alpha, beta, gamma : float or array of shape (n_series,), optional
        Level, trend (FPP3's beta*) and seasonal smoothing constants [dimensionless,
        0-1]. None or NaN: fitted within :data:`BOUNDS` and ``gamma <= 1 - alpha``.
    phi : float or array of shape (n_series,), optional
        Damping factor; None or NaN: fitted in [0.8, 0.98]. Only with ``trend="damped"``.
    trend : {"damped", "add", None}, default "damped"
        Damped additive trend, additive trend (``phi = 1``) or none.
    initial_level, initial_trend : float or array of shape (n_series,), optional
        Level [units] and trend [units per period] before each series' first value.
    initial_seasonal : array of shape (m,) or (n_series, m), optional
        Seasonal indices [units] of each series' first ``m`` periods. Give all initial
        states (``initial_trend`` only with a trend) or none. Default: from the first
        two seasons (see the module docstring), which are then not forecast. Series with
        at most ``2 m`` values fall back to :func:`holt` (or :func:`ses` without trend).

    Returns
    -------
    KernelFit
        ``mean``, ``fitted``; ``params`` with ``alpha``, ``gamma`` and, with a trend,
        ``beta`` (and ``phi`` when damped); ``gamma`` is NaN for series that fell back.

    Examples
    --------
    >>> import numpy as np
    >>> week = np.array([5.0, 6.0, 7.0, 8.0, 9.0, 2.0, 1.0])
    >>> y = np.tile(week, 4)[None, :]
    >>> fit = holt_winters(y, h=7, alpha=0.2, gamma=0.1, trend=None)
    >>> fit.mean
    array([[5., 6., 7., 8., 9., 2., 1.]])
    >>> int(np.isnan(fit.fitted).sum())  # the two weeks used to initialise
    14
    """
    (y, first), h = _as_panel(y), check_horizon(h)
    if int(season_length) != season_length or season_length < 2:
        raise ValueError("The 'season_length' parameter must be a whole number >= 2. "
                         f"Got {season_length!r}.")
    if trend not in ("damped", "add", None):
        raise ValueError("The 'trend' parameter must be one of {'damped', 'add', None}. "
                         f"Got {trend!r} instead.")
    m, n = int(season_length), len(y)
    for name, value in (("phi", phi), ("beta", beta), ("initial_trend", initial_trend)):
        if value is not None and (trend is None or (name == "phi" and trend == "add")):
            raise ValueError(f"The {name!r} parameter is not used with trend={trend!r}. "
                             f"Got {name}={value!r}.")
    states = [initial_level, initial_seasonal] + ([initial_trend] if trend else [])
    if any(s is None for s in states) and not all(s is None for s in states):
        raise ValueError("Give all initial states ('initial_level', 'initial_seasonal' and, "
                         "with a trend, 'initial_trend') or none.")
    init = None if initial_level is None else {
        "level": _state(initial_level, n, "initial_level"),
        "trend": _state(initial_trend, n, "initial_trend") if trend else None,
        "season": _state(initial_seasonal, n, "initial_seasonal", m)}
    given = {"alpha": _param(alpha, n, "alpha"), "beta": _param(beta, n, "beta"),
             "phi": _param(phi, n, "phi"), "gamma": _param(gamma, n, "gamma")}
    return _ets(y, first, h, trend, m, given, init)
