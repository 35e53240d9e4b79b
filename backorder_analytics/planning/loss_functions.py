"""Loss functions of the standard normal and Poisson distributions (numpy kernels).

Private: :mod:`backorder_analytics.planning.formulas` re-exports the public names. Every function
takes scalars or arrays (anything :func:`numpy.asarray` accepts) and returns a float for
scalar input, an ndarray otherwise; the pandas-level wrapping lives in ``policy``.

References
----------
Silver, E. A., Pyke, D. F. & Peterson, R. (1998). *Inventory Management and Production
Planning and Scheduling*, 3rd ed., Wiley, Appendix B (the unit normal loss ``G_u(k)``).
Hadley, G. & Whitin, T. M. (1963). *Analysis of Inventory Systems*, Prentice-Hall,
section 4.9 (the second-order loss).
Snyder, L. V. & Shen, Z.-J. M. (2019). *Fundamentals of Supply Chain Theory*, 2nd ed.,
Wiley, Appendix C (normal and Poisson loss functions, eqs. C.22–C.42).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = ["standard_normal_loss", "standard_normal_second_loss",
           "inverse_standard_normal_loss", "poisson_loss"]

_SQRT_2PI = np.sqrt(2.0 * np.pi)


def _out(x: np.ndarray):
    return float(x) if np.ndim(x) == 0 else x


def _phi(k: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * k * k) / _SQRT_2PI


def standard_normal_loss(k):
    """G(k) = φ(k) − k·(1 − Φ(k)) = E[(Z − k)⁺], Z ~ N(0, 1).

    Silver, Pyke & Peterson (1998), eq. (B.5); Snyder & Shen (2019), eq. (C.22).

    Examples
    --------
    >>> round(standard_normal_loss(0.0), 6)
    0.398942
    """
    k = np.asarray(k, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        out = _phi(k) - k * special.ndtr(-k)
    # for very negative k the difference cancels; G(k) -> -k
    return _out(np.where(k < -30, -k, out))


def standard_normal_second_loss(x):
    """G₂(x) = ½·[(x² + 1)·(1 − Φ(x)) − x·φ(x)] = ½·E[((Z − x)⁺)²].

    Hadley & Whitin (1963), section 4.9; Snyder & Shen (2019), eq. (C.23).

    Examples
    --------
    >>> round(standard_normal_second_loss(0.0), 6)
    0.25
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        out = 0.5 * ((x * x + 1.0) * special.ndtr(-x) - x * _phi(x))
    return _out(np.where(x < -30, 0.5 * (x * x + 1.0), out))


def inverse_standard_normal_loss(g, iterations: int = 200):
    """The k with G(k) = g, for g > 0 (G is strictly decreasing from +∞ to 0).

    Vectorised bisection on the bracket ``[−g, 40]`` (G(−g) > g because G(k) > −k),
    each value stopping at its own convergence (so it does not depend on the others),
    then two Newton steps with G'(k) = −(1 − Φ(k)). ``g <= 0`` gives ``+inf``; NaN
    stays NaN. Accurate to about 1e-12 in k.

    Examples
    --------
    >>> round(inverse_standard_normal_loss(0.231296), 4)
    0.3975
    """
    g = np.asarray(g, dtype=float)
    gg = np.atleast_1d(np.where(np.isfinite(g) & (g > 0), g, 1.0)).ravel()
    lo = -gg - 1.0
    hi = np.full_like(gg, 40.0)
    active = np.arange(len(gg))  # each value stops at its own convergence
    for _ in range(iterations):
        if not len(active):
            break
        mid = 0.5 * (lo[active] + hi[active])
        above = np.asarray(standard_normal_loss(mid)) > gg[active]
        lo[active] = np.where(above, mid, lo[active])
        hi[active] = np.where(above, hi[active], mid)
        width = hi[active] - lo[active]
        active = active[width > 1e-13 * np.maximum(1.0, np.abs(hi[active]))]
    lo, hi, gg = (x.reshape(np.shape(g)) for x in (lo, hi, gg))
    k = 0.5 * (lo + hi)
    for _ in range(2):
        slope = special.ndtr(-k)
        step = np.where(slope > 1e-300, (np.asarray(standard_normal_loss(k)) - gg)
                        / np.maximum(slope, 1e-300), 0.0)
        k = np.clip(k + step, lo - 1e-9, hi + 1e-9)
    k = np.where(np.isnan(g), np.nan, np.where(g > 0, k, np.inf))
    return _out(k)


def poisson_loss(y, mean):
    """n(y) = E[(X − y)⁺] = −(y − μ)·(1 − F(y)) + μ·f(y), X ~ Poisson(μ), y integer.

    Snyder & Shen (2019), eq. (C.41).

    Examples
    --------
    >>> round(poisson_loss(18, 15), 6)
    0.51761
    """
    y = np.asarray(y, dtype=float)
    mean = np.asarray(mean, dtype=float)
    out = -(y - mean) * stats.poisson.sf(y, mean) + mean * stats.poisson.pmf(y, mean)
    # E[(X − y)⁺] = μ − y for y < 0
    return _out(np.where(y < 0, mean - y, out))
