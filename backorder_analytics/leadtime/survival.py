"""Survival kernels for right-censored durations: Kaplan–Meier, censored maximum
likelihood for gamma / lognormal / Weibull, and a finite mixture of distributions.

Pure functions on numpy arrays (durations in days); no pandas. Used by
:mod:`backorder_analytics.leadtime.model`.

References
----------
.. [1] Kaplan, E. L. and Meier, P. (1958). Nonparametric estimation from incomplete
   observations. *Journal of the American Statistical Association* 53(282), 457–481.
.. [2] Klein, J. P. and Moeschberger, M. L. (2003). *Survival Analysis: Techniques for
   Censored and Truncated Data*, 2nd ed., Springer. Sections 3.5 (likelihood with right
   censoring) and 12.2 (parametric models).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

__all__ = [
    "FAMILIES",
    "Mixture",
    "censored_loglik",
    "fit_censored",
    "kaplan_meier",
    "km_quantile",
    "km_survival_at",
    "mix",
]

FAMILIES: dict[str, str] = {"gamma": "a", "lognorm": "s", "weibull_min": "c"}
"""Supported parametric families (scipy.stats names) and the name of their shape
parameter; each also has ``scale`` [days], with location fixed at 0."""

_LOG_2PI_HALF = 0.5 * np.log(2 * np.pi)


# ------------------------------------------------------------------------- Kaplan–Meier


def kaplan_meier(durations, observed) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan–Meier product-limit estimate of the survival function [1]_.

    ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)`` over the distinct durations ``t_i``,
    where ``d_i`` is the number of events at ``t_i`` and ``n_i`` the number still at
    risk just before ``t_i``. At a tie, events come before censorings (a duration
    censored at ``t_i`` is in the risk set at ``t_i``).

    Parameters
    ----------
    durations : array_like of float
        Durations [days]; any real values (negative ones are fine, e.g. lateness).
    observed : array_like of bool
        True where the event happened at the duration, False where right-censored.

    Returns
    -------
    times, survival, at_risk, events : numpy.ndarray
        Distinct durations (sorted), ``S`` just after each, the number at risk just
        before each and the number of events at each.
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    times, inverse = np.unique(t, return_inverse=True)
    events = np.bincount(inverse, weights=e, minlength=len(times))
    leaving = np.bincount(inverse, minlength=len(times))
    at_risk = len(t) - np.concatenate([[0], np.cumsum(leaving)[:-1]])
    with np.errstate(divide="ignore"):
        survival = np.exp(np.cumsum(np.log1p(-events / at_risk)))
    return times, survival, at_risk.astype(float), events


def km_survival_at(times: np.ndarray, survival: np.ndarray, t) -> np.ndarray:
    """The Kaplan–Meier step function at ``t`` (right-continuous; 1 before the first
    duration)."""
    idx = np.searchsorted(times, np.asarray(t, dtype=float), side="right") - 1
    return np.where(idx >= 0, survival[np.maximum(idx, 0)], 1.0)


def km_quantile(times: np.ndarray, survival: np.ndarray, q) -> np.ndarray:
    """Smallest duration with ``1 - S(t) >= q``; NaN where the curve never gets there
    (too much censoring: the quantile is not estimable)."""
    q = np.asarray(q, dtype=float)
    idx = np.searchsorted(-survival, -(1.0 - q) - 1e-12, side="left")
    ok = idx < len(times)
    return np.where(ok, times[np.minimum(idx, len(times) - 1)], np.nan)


# ------------------------------------------------------------------ censored likelihood


def _logpdf_logsf(family: str, theta: np.ndarray, t: np.ndarray, c: np.ndarray):
    """log f at events ``t`` and log S at censoring times ``c`` for log-parameters
    ``theta = (log shape, log scale)``."""
    shape, scale = np.exp(theta)
    if family == "lognorm":
        mu = theta[1]
        z = (np.log(t) - mu) / shape
        logf = -np.log(shape * t) - _LOG_2PI_HALF - 0.5 * z * z
        with np.errstate(divide="ignore"):
            logs = special.log_ndtr(-(np.log(c) - mu) / shape)
        return logf, logs
    if family == "weibull_min":
        x = t / scale
        logf = np.log(shape / scale) + (shape - 1) * np.log(x) - x**shape
        return logf, -((c / scale) ** shape)
    if family == "gamma":
        x = t / scale
        logf = (shape - 1) * np.log(x) - x - special.gammaln(shape) - np.log(scale)
        sf = special.gammaincc(shape, c / scale)
        tiny = sf < 1e-250
        with np.errstate(divide="ignore"):
            logs = np.log(sf)
        if tiny.any():
            logs[tiny] = stats.gamma.logsf(c[tiny] / scale, shape)
        return logf, logs
    raise ValueError(f"Unknown family {family!r}; expected one of {sorted(FAMILIES)}.")


def censored_loglik(family: str, shape: float, scale: float, t_event, t_censored) -> float:
    """Log-likelihood of right-censored data [2]_ (section 3.5):
    ``sum log f(t_i)`` over events plus ``sum log S(c_j)`` over censored durations.

    Parameters
    ----------
    family : {"gamma", "lognorm", "weibull_min"}
    shape, scale : float
        scipy.stats shape (``a``, ``s`` or ``c``) and ``scale`` [days]; location 0.
    t_event, t_censored : array_like of float
        Event durations (> 0) and censoring durations (>= 0) [days].
    """
    theta = np.log([shape, scale])
    logf, logs = _logpdf_logsf(family, theta, np.asarray(t_event, float),
                               np.asarray(t_censored, float))
    return float(logf.sum() + logs.sum())


def _start(family: str, t: np.ndarray) -> np.ndarray:
    """Moment-type starting values (log shape, log scale) from the event durations."""
    logt = np.log(t)
    m, sd = logt.mean(), max(logt.std(), 1e-3)
    if family == "lognorm":
        return np.array([np.log(sd), m])
    if family == "weibull_min":
        c = np.pi / (sd * np.sqrt(6))
        return np.array([np.log(c), m + np.euler_gamma / c])
    mean, var = t.mean(), max(t.var(), 1e-6 * t.mean() ** 2)
    return np.array([np.log(mean**2 / var), np.log(var / mean)])


def fit_censored(family: str, t_event, t_censored) -> tuple[dict[str, float], float]:
    """Censored maximum-likelihood fit of one family, location fixed at 0 [2]_.

    Maximises :func:`censored_loglik` over ``(log shape, log scale)`` with
    Nelder–Mead from moment-type starting values, then polishes with BFGS.

    Parameters
    ----------
    family : {"gamma", "lognorm", "weibull_min"}
    t_event : array_like of float
        Event durations [days], > 0, at least two distinct values.
    t_censored : array_like of float
        Right-censoring durations [days], >= 0.

    Returns
    -------
    params : dict
        ``{shape name: value, "scale": value}`` in scipy.stats' parameterisation.
    loglik : float
        The maximised log-likelihood.
    """
    t = np.asarray(t_event, dtype=float)
    c = np.asarray(t_censored, dtype=float)
    n = len(t) + len(c)

    def nll(theta: np.ndarray) -> float:
        if np.any(np.abs(theta) > 50):
            return np.inf
        with np.errstate(over="ignore", invalid="ignore"):
            logf, logs = _logpdf_logsf(family, theta, t, c)
            value = -(logf.sum() + logs.sum()) / n
        return value if np.isfinite(value) else np.inf

    res = optimize.minimize(nll, _start(family, t), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 5000})
    polish = optimize.minimize(nll, res.x, method="BFGS", options={"gtol": 1e-10})
    best = polish if np.isfinite(polish.fun) and polish.fun <= res.fun else res
    shape, scale = np.exp(best.x)
    return {FAMILIES[family]: float(shape), "scale": float(scale)}, float(-best.fun * n)


# ------------------------------------------------------------------------------ mixture


@dataclass(frozen=True)
class Mixture:
    """A finite mixture of frozen scipy.stats distributions: ``F = sum_k w_k F_k``.

    Quacks like a frozen scipy distribution for ``cdf``, ``sf``, ``pdf``, ``ppf``,
    ``rvs``, ``mean``, ``var``, ``std`` and ``median`` (in days). ``ppf`` solves ``F(x) = q`` by
    bisection, vectorised over ``q``, inside the bracket formed by the components'
    own quantiles (a mixture quantile lies between the smallest and largest of them).

    Parameters
    ----------
    components : tuple of frozen scipy.stats distributions
    weights : tuple of float
        Non-negative, summing to 1.
    """

    components: tuple
    weights: tuple

    def cdf(self, x) -> np.ndarray:
        """Mixture CDF ``sum_k w_k F_k(x)``."""
        return sum(w * d.cdf(x) for w, d in zip(self.weights, self.components, strict=True))

    def sf(self, x) -> np.ndarray:
        """Mixture survival function ``1 - F(x)``."""
        return sum(w * d.sf(x) for w, d in zip(self.weights, self.components, strict=True))

    def pdf(self, x) -> np.ndarray:
        """Mixture density [1/day]."""
        return sum(w * d.pdf(x) for w, d in zip(self.weights, self.components, strict=True))

    def ppf(self, q) -> np.ndarray:
        """Quantile function by vectorised bisection on the mixture CDF."""
        q = np.asarray(q, dtype=float)
        qs = np.clip(q, 1e-15, 1 - 1e-15)
        bounds = np.stack([np.broadcast_to(d.ppf(qs), qs.shape) for d in self.components])
        lo, hi = bounds.min(axis=0), bounds.max(axis=0)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < qs
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
            if np.all(hi - lo <= 1e-12 * np.maximum(1.0, hi)):
                break
        out = 0.5 * (lo + hi)
        out = np.where(q <= 0, 0.0, np.where(q >= 1, np.inf, out))
        return out[()] if out.ndim == 0 else out

    def rvs(self, size=1, random_state=None) -> np.ndarray:
        """Draws [days]: a component index per draw, then that component's draw."""
        rng = np.random.default_rng(random_state)
        size = (size,) if np.isscalar(size) else tuple(size)
        which = rng.choice(len(self.components), size=size, p=np.asarray(self.weights))
        out = np.empty(size)
        for k, dist in enumerate(self.components):
            mask = which == k
            if mask.any():
                out[mask] = dist.rvs(size=int(mask.sum()), random_state=rng)
        return out

    def mean(self) -> float:
        """Mixture mean [days]."""
        return float(sum(w * d.mean() for w, d in zip(self.weights, self.components,
                                                      strict=True)))

    def var(self) -> float:
        """Mixture variance [days²]: ``sum_k w_k (σ_k² + μ_k²) − μ²`` (floored at 0)."""
        m1 = sum(w * float(d.mean()) for w, d in zip(self.weights, self.components,
                                                       strict=True))
        m2 = sum(w * (float(d.var()) + float(d.mean()) ** 2)
                 for w, d in zip(self.weights, self.components, strict=True))
        return max(m2 - m1 * m1, 0.0)

    def std(self) -> float:
        """Mixture standard deviation [days]."""
        return float(np.sqrt(self.var()))

    def median(self) -> float:
        """Mixture median [days]."""
        return float(self.ppf(0.5))

    def __repr__(self) -> str:
        parts = ", ".join(f"{w:.3f}×{d.dist.name}" for w, d in
                          zip(self.weights, self.components, strict=True))
        return f"Mixture({parts})"


def mix(weight: float, own, parent):
    """``weight * own + (1 - weight) * parent``, flattened into one :class:`Mixture`
    (``own`` itself when ``weight == 1``, ``parent`` when ``weight == 0``)."""
    if weight >= 1:
        return own
    if weight <= 0:
        return parent
    if isinstance(parent, Mixture):
        comps, weights = parent.components, parent.weights
    else:
        comps, weights = (parent,), (1.0,)
    return Mixture((own, *comps), (weight, *((1 - weight) * w for w in weights)))
