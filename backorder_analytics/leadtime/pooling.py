"""Partial pooling of lead-time distributions on the log scale: empirical-Bayes
normal–normal shrinkage of groups with few POs toward their siblings.

Lead times of different suppliers differ mainly in *where* they lie and *how spread*
they are, and both are comparable across suppliers on the log scale, whatever the
family of each one's fit. A fitted distribution with location 0 is summarised by two
numbers of ``log T``: its mean ``m = E[log T]`` and the log of its standard deviation
``ℓ = log SD[log T]`` (:func:`log_moments`; :func:`from_log_moments` goes back within
the same family).

Each group's own estimate ``y_g`` (``ℓ`` or ``m``) is treated as a noisy measurement of
its true value, and the true values of the groups that share a parent as draws from a
normal distribution around the parent's mean (the hierarchical normal model of [1]_,
chapter 5, and [2]_)::

    y_g | θ_g ~ N(θ_g, v_g),       θ_g ~ N(μ_parent, τ²)

``v_g`` is the sampling variance of the group's own estimate (how much its data can
tell) and ``τ²`` the spread between groups. The posterior mean of ``θ_g`` is the
precision-weighted average::

    θ̂_g = w_g y_g + (1 − w_g) μ_parent,      w_g = τ² / (τ² + v_g)

so a group moves toward its parent only as far as its own data cannot tell it apart
from its siblings: far when it has few POs or the groups are alike, hardly at all when
its estimate is precise or the groups clearly differ. ``μ`` and ``τ²`` are estimated
from the groups themselves (empirical Bayes) by the moment estimator of DerSimonian and
Laird [3]_, in its form with one mean per parent ([4]_, section 16.4)
(:func:`random_effects`).

References
----------
.. [1] Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A. and Rubin,
   D. B. (2013). *Bayesian Data Analysis*, 3rd ed., CRC Press. Chapter 5, hierarchical
   models; section 5.4, the normal model with known variances (equations 5.17–5.20).
.. [2] Efron, B. and Morris, C. (1975). Data analysis using Stein's estimator and its
   generalizations. *Journal of the American Statistical Association* 70(350), 311–319.
.. [3] DerSimonian, R. and Laird, N. (1986). Meta-analysis in clinical trials.
   *Controlled Clinical Trials* 7(3), 177–188.
.. [4] Raudenbush, S. W. (2009). Analyzing effect sizes: random-effects models. In
   Cooper, H., Hedges, L. V. and Valentine, J. C. (eds.), *The Handbook of Research
   Synthesis and Meta-Analysis*, 2nd ed., Russell Sage Foundation, 295–315.
.. [5] Johnson, N. L., Kotz, S. and Balakrishnan, N. (1994). *Continuous Univariate
   Distributions*, vol. 1, 2nd ed., Wiley. Chapters 14 (lognormal), 17 (gamma:
   ``E log T = ψ(a) + log θ``, ``Var log T = ψ'(a)``) and 21 (Weibull: ``log T`` is a
   Gumbel minimum with mean ``log λ − γ/c`` and variance ``π²/(6c²)``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import optimize, special

__all__ = ["log_moments", "from_log_moments", "random_effects", "shrink"]

_PI_SQRT6 = np.pi / np.sqrt(6.0)


def log_moments(family: str, params: Mapping[str, float]) -> tuple[float, float]:
    """Mean and standard deviation of ``log T`` for ``T`` of a fitted family [5]_.

    Parameters
    ----------
    family : {"gamma", "lognorm", "weibull_min"}
    params : mapping
        scipy.stats shape (``a``, ``s`` or ``c``) and ``scale`` [days]; location 0.

    Returns
    -------
    mean, sd : float
        ``E[log T]`` [log days] and ``SD[log T]``: gamma ``ψ(a) + log θ`` and
        ``sqrt(ψ'(a))``; lognormal ``log scale`` and ``s``; Weibull
        ``log λ − γ / c`` and ``π / (c √6)`` (``γ`` Euler's constant).

    Examples
    --------
    >>> m, sd = log_moments("lognorm", {"s": 0.5, "scale": 10.0})
    >>> round(float(np.exp(m)), 6), sd
    (10.0, 0.5)
    """
    scale = float(params["scale"])
    if family == "lognorm":
        return float(np.log(scale)), float(params["s"])
    if family == "gamma":
        a = float(params["a"])
        return (float(special.digamma(a) + np.log(scale)),
                float(np.sqrt(special.polygamma(1, a))))
    if family == "weibull_min":
        c = float(params["c"])
        return float(np.log(scale) - np.euler_gamma / c), float(_PI_SQRT6 / c)
    raise ValueError(f"The 'family' parameter must be one of ['gamma', 'lognorm', "
                     f"'weibull_min']. Got {family!r} instead.")


def _inverse_trigamma(v: float) -> float:
    """The gamma shape ``a`` with ``ψ'(a) = v`` (``ψ'`` decreases from ∞ to 0)."""
    def f(log_a: float) -> float:
        return float(np.log(special.polygamma(1, np.exp(log_a))) - np.log(v))
    # 1/a < ψ'(a) < 1/a + 1/a² for a > 0, so 1/v < a < (1/2 + sqrt(1/4 + v)) / v.
    lo, hi = np.log(0.999 / v), np.log(1.001 * (0.5 + np.sqrt(0.25 + v)) / v)
    return float(np.exp(optimize.brentq(f, lo, hi, xtol=1e-14, rtol=1e-14)))


def from_log_moments(family: str, mean: float, sd: float) -> dict[str, float]:
    """The parameters of ``family`` whose ``log T`` has the given mean and standard
    deviation: the inverse of :func:`log_moments`.

    Parameters
    ----------
    family : {"gamma", "lognorm", "weibull_min"}
    mean : float
        ``E[log T]`` [log days].
    sd : float
        ``SD[log T]``, > 0.

    Returns
    -------
    dict
        ``{shape name: value, "scale": value}`` in scipy.stats' parameterisation.

    Examples
    --------
    >>> p = from_log_moments("gamma", *log_moments("gamma", {"a": 16.0, "scale": 0.3125}))
    >>> round(p["a"], 9), round(p["scale"], 9)
    (16.0, 0.3125)
    """
    if not sd > 0:
        raise ValueError(f"The 'sd' parameter must be > 0. Got {sd!r} instead.")
    if family == "lognorm":
        return {"s": float(sd), "scale": float(np.exp(mean))}
    if family == "gamma":
        a = _inverse_trigamma(float(sd) ** 2)
        return {"a": a, "scale": float(np.exp(mean - special.digamma(a)))}
    if family == "weibull_min":
        c = _PI_SQRT6 / float(sd)
        return {"c": float(c), "scale": float(np.exp(mean + np.euler_gamma / c))}
    raise ValueError(f"The 'family' parameter must be one of ['gamma', 'lognorm', "
                     f"'weibull_min']. Got {family!r} instead.")


def random_effects(y, v, parent=None) -> tuple[np.ndarray, float]:
    """Between-group variance ``τ²`` and each group's parent mean ``μ``, estimated from
    the groups by the DerSimonian–Laird moment estimator [3]_ with one mean per parent
    ([4]_, equations 16.13–16.14 with a parent indicator as the only covariate).

    With weights ``w_g = 1 / v_g``, per parent ``P`` the weighted mean ``ȳ_P``,
    ``Q = Σ_g w_g (y_g − ȳ_P(g))²`` and ``c = Σ_P (Σ_{g∈P} w_g − Σ_{g∈P} w_g² /
    Σ_{g∈P} w_g)``::

        τ² = max(0, (Q − (K − J)) / c)

    for ``K`` groups under ``J`` parents. Then ``μ_P`` is the mean of ``y`` over the
    parent's groups weighted by ``1 / (v_g + τ²)`` (an equal-weight mean when the
    groups differ much more than their estimates are uncertain). With one group per
    parent (``K = J``) nothing tells the spread: ``τ² = inf`` (no pooling).

    Parameters
    ----------
    y, v : array_like of float, shape (K,)
        Each group's estimate and its sampling variance (> 0).
    parent : array_like, shape (K,), optional
        Parent label (hashable) of each group; default: one parent for all.

    Returns
    -------
    mu : numpy.ndarray, shape (K,)
        The parent mean of each group.
    tau2 : float
        The between-group variance (``inf`` when it cannot be estimated).

    Examples
    --------
    Three groups measured equally precisely (``v = 1``) whose estimates spread with
    variance 4: ``τ² = 4 − 1 = 3``.

    >>> mu, tau2 = random_effects([-2.0, 0.0, 2.0], [1.0, 1.0, 1.0])
    >>> mu.tolist(), tau2
    ([0.0, 0.0, 0.0], 3.0)
    """
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    if parent is None:
        codes = np.zeros(len(y), dtype=int)
    else:
        index: dict = {}
        codes = np.array([index.setdefault(p, len(index)) for p in parent], dtype=int)
    n_parents = int(codes.max()) + 1 if len(codes) else 0
    w = 1.0 / v
    s1 = np.bincount(codes, weights=w, minlength=n_parents)
    s2 = np.bincount(codes, weights=w * w, minlength=n_parents)
    ybar = np.bincount(codes, weights=w * y, minlength=n_parents) / s1
    q = float(np.sum(w * (y - ybar[codes]) ** 2))
    df = len(y) - n_parents
    c = float(np.sum(s1 - s2 / s1))
    if df <= 0 or c <= 0:
        return y.copy(), float(np.inf)
    tau2 = max(0.0, (q - df) / c)
    u = 1.0 / (v + tau2)
    mu = (np.bincount(codes, weights=u * y, minlength=n_parents)
          / np.bincount(codes, weights=u, minlength=n_parents))
    return mu[codes], float(tau2)


def shrink(y, v, parent=None, factor: float = 1.0, fixed=None):
    """Posterior means of the hierarchical normal model ([1]_, equation 5.17):
    ``w y + (1 − w) μ`` with ``w = τ² / (τ² + factor · v)``, ``μ`` and ``τ²`` from
    :func:`random_effects`.

    Parameters
    ----------
    y, v : array_like of float, shape (K,)
        Each group's estimate and its sampling variance (> 0).
    parent : array_like, shape (K,), optional
        Parent label (hashable) of each group; default: one parent for all.
    factor : float, default 1
        Multiplies ``v`` in the weights only (the hyperparameters always use ``v``):
        1 gives the empirical-Bayes posterior mean, 0 no pooling, larger values pool
        more, as if each group had ``1 / factor`` of its data.
    fixed : array_like of bool, shape (K,), optional
        Groups kept as they are (``w = 1``); they still inform ``μ`` and ``τ²``.

    Returns
    -------
    pooled, weight, mu : numpy.ndarray, shape (K,)
        The shrunk estimates, each one's own share ``w`` and its parent mean.
    tau2 : float

    Examples
    --------
    >>> pooled, weight, mu, tau2 = shrink([-2.0, 0.0, 2.0], [1.0, 1.0, 1.0])
    >>> pooled.tolist(), weight.tolist()
    ([-1.5, 0.0, 1.5], [0.75, 0.75, 0.75])
    """
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    mu, tau2 = random_effects(y, v, parent)
    if np.isinf(tau2) or factor == 0:
        weight = np.ones(len(y))
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            weight = np.where(tau2 > 0, tau2 / (tau2 + factor * v), 0.0)
    if fixed is not None:
        weight = np.where(np.asarray(fixed, dtype=bool), 1.0, weight)
    return weight * y + (1.0 - weight) * mu, weight, mu, tau2
