"""Safety stock and reorder points: the analytic formulas.

* **formulas** — pure functions on scalars, arrays or pandas Series (a Series in gives a
  Series out, aligned on its index): normal loss functions, safety stock with lead-time
  variability, reorder points for a cycle-service or fill-rate target, normal ``(r, Q)``
  evaluation (Hadley–Whitin), periodic review ``(R, S)``, Poisson base-stock and Poisson
  ``(r, Q)`` closed forms, the newsvendor;

The service targets (:class:`~backorder_analytics.planning.targets.FillRate`, …) are in
:mod:`backorder_analytics.planning.targets`; the simulation-based recommendation,
:func:`~backorder_analytics.recommend_safety_stock`, in
:mod:`backorder_analytics.planning.safety_stock`, which builds on this module.

Units: demand in units per period and lead times in the same periods (days in the
recommendation); inventory quantities in units. Service measures: the *cycle service
level* (CSL, type 1) is the probability of no stock-out in a replenishment cycle; the
*fill rate* (type 2, β) is the share of demand served from stock at once. They differ
and must not be confused (a 90 % fill rate can need only a 65 % CSL).

References
----------
.. [SPP] Silver, E. A., Pyke, D. F. & Peterson, R. (1998). *Inventory Management and
   Production Planning and Scheduling*, 3rd ed., Wiley, chapter 7 and Appendix B.
.. [HW] Hadley, G. & Whitin, T. M. (1963). *Analysis of Inventory Systems*,
   Prentice-Hall, chapter 4.
.. [SS] Snyder, L. V. & Shen, Z.-J. M. (2019). *Fundamentals of Supply Chain Theory*,
   2nd ed., Wiley, chapters 4–5 and Appendix C.
.. [Ax] Axsäter, S. (2015). *Inventory Control*, 3rd ed., Springer, chapter 5.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import special, stats

from .loss_functions import (
    inverse_standard_normal_loss,
    poisson_loss,
    standard_normal_loss,
    standard_normal_second_loss,
)
from .targets import CycleServiceLevel, FillRate, check_probability

__all__ = [
    "standard_normal_loss", "standard_normal_second_loss", "inverse_standard_normal_loss",
    "poisson_loss", "sd_lead_time_demand", "safety_stock", "reorder_point_csl",
    "fill_rate_safety_factor", "safety_stock_fill_rate", "reorder_point_fill_rate",
    "RQNormalMetrics", "rq_normal_metrics", "order_up_to_level_fill_rate",
    "order_up_to_level_csl", "PoissonBaseStockMetrics", "poisson_base_stock_metrics",
    "poisson_base_stock_wait_sf", "poisson_base_stock_wait_quantile", "PoissonRQMetrics",
    "poisson_rq_metrics", "newsvendor_normal", "newsvendor_normal_cost",
]

# --------------------------------------------------------------------------- helpers


def _index_of(*args) -> pd.Index | None:
    for a in args:
        if isinstance(a, pd.Series):
            return a.index
    return None


def _arr(x) -> np.ndarray:
    return np.asarray(x.to_numpy() if isinstance(x, pd.Series) else x, dtype=float)


def _out(value, index: pd.Index | None, name: str | None = None):
    value = np.asarray(value, dtype=float)
    if index is not None:
        return pd.Series(np.broadcast_to(value, (len(index),)).copy(), index=index, name=name)
    return float(value) if value.ndim == 0 else value


def _check_nonneg(**values) -> None:
    for name, v in values.items():
        a = _arr(v)
        if np.any(a < 0):
            raise ValueError(f"The {name!r} parameter must be >= 0. Got {v!r} instead.")


# --------------------------------------------------------------------------- formulas


def sd_lead_time_demand(mean_demand, sd_demand, lead_time, sd_lead_time=0.0):
    """σ_DL = √(L·σ_d² + d²·σ_L²): sd of demand over a random lead time [units].

    Demand per period i.i.d. with mean ``d`` and sd ``σ_d``, lead time independent with
    mean ``L`` and sd ``σ_L`` [periods] ([SPP]_ eq. 7.6; [Ax]_ section 5.3).

    Examples
    --------
    >>> round(sd_lead_time_demand(50, 5, 6, 2), 4)
    100.7472
    """
    idx = _index_of(mean_demand, sd_demand, lead_time, sd_lead_time)
    d, s, L, sl = map(_arr, (mean_demand, sd_demand, lead_time, sd_lead_time))
    _check_nonneg(sd_demand=sd_demand, lead_time=lead_time, sd_lead_time=sd_lead_time)
    return _out(np.sqrt(L * s**2 + d**2 * sl**2), idx)


def _z(service_level, z):
    if z is not None:
        if service_level is not None:
            raise ValueError("Pass either 'service_level' or 'z', not both.")
        return _arr(z)
    if isinstance(service_level, CycleServiceLevel):
        service_level = service_level.level
    if service_level is None:
        raise ValueError("The 'service_level' parameter (a CSL in (0, 1)) or 'z' is needed.")
    check_probability(service_level, "safety_stock(service_level)")
    return special.ndtri(_arr(service_level))


def safety_stock(service_level, mean_demand, sd_demand, lead_time, sd_lead_time=0.0, *,
                 z=None):
    """Safety stock for a cycle service level: SS = z·√(L·σ_d² + d²·σ_L²).

    Parameters
    ----------
    service_level : float, array, Series or CycleServiceLevel
        Cycle service level in (0, 1); ``z = Φ⁻¹(service_level)``. None when ``z`` given.
    mean_demand, sd_demand : float, array or Series
        Mean ``d`` and sd ``σ_d`` of demand per period [units/period].
    lead_time, sd_lead_time : float, array or Series
        Mean ``L`` and sd ``σ_L`` of the lead time [periods]; ``σ_L = 0`` for a
        constant lead time.
    z : float, optional (keyword)
        Safety factor, instead of ``service_level``.

    Returns
    -------
    float, ndarray or Series
        Safety stock [units] ([SPP]_ section 7.5; [Ax]_ section 5.3).

    Examples
    --------
    >>> round(safety_stock(0.90, 50, 5, 6, 2), 2)
    129.11
    >>> round(safety_stock(0.90, 50, 5, 6), 2)
    15.7
    """
    idx = _index_of(service_level, mean_demand, sd_demand, lead_time, sd_lead_time, z)
    zz = _z(service_level, z)
    sigma = _arr(sd_lead_time_demand(_arr(mean_demand), _arr(sd_demand), _arr(lead_time),
                                     _arr(sd_lead_time)))
    return _out(zz * sigma, idx)


def reorder_point_csl(service_level, mean_demand, sd_demand, lead_time, sd_lead_time=0.0, *,
                      z=None):
    """Reorder point for a cycle service level: r = d·L + z·√(L·σ_d² + d²·σ_L²).

    Parameters as in :func:`safety_stock`; returns units ([SPP]_ eq. 7.7).

    Examples
    --------
    >>> round(reorder_point_csl(0.90, 50, 5, 6, 2), 2)
    429.11
    """
    idx = _index_of(service_level, mean_demand, sd_demand, lead_time, sd_lead_time, z)
    ss = _arr(safety_stock(service_level, _arr(mean_demand), _arr(sd_demand), _arr(lead_time),
                           _arr(sd_lead_time), z=None if z is None else _arr(z)))
    return _out(_arr(mean_demand) * _arr(lead_time) + ss, idx)


def fill_rate_safety_factor(fill_rate, order_quantity, sd_lead_time_demand):
    """Safety factor k for a fill rate β: solves σ_L·G(k) = (1 − β)·Q.

    ``G`` is :func:`standard_normal_loss`, inverted by
    :func:`inverse_standard_normal_loss` (vectorised bisection + Newton). ``σ_L = 0``
    gives k = 0 (deterministic demand needs no safety stock). [SPP]_ eq. 7.18.

    Parameters
    ----------
    fill_rate : float, array, Series or FillRate
        Target β in (0, 1).
    order_quantity : float, array or Series
        Q [units] (for ``(R, S)`` use the mean demand over the review period).
    sd_lead_time_demand : float, array or Series
        σ of demand over the lead time (protection interval) [units].

    Examples
    --------
    >>> round(fill_rate_safety_factor(0.90, 5000, 2161.73), 4)
    0.3975
    """
    if isinstance(fill_rate, FillRate):
        fill_rate = fill_rate.beta
    idx = _index_of(fill_rate, order_quantity, sd_lead_time_demand)
    check_probability(fill_rate, "fill_rate_safety_factor(fill_rate)")
    _check_nonneg(order_quantity=order_quantity, sd_lead_time_demand=sd_lead_time_demand)
    beta, q, sigma = map(_arr, (fill_rate, order_quantity, sd_lead_time_demand))
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (1.0 - beta) * q / sigma
    k = np.where(sigma > 0, inverse_standard_normal_loss(np.where(sigma > 0, g, 1.0)), 0.0)
    return _out(k, idx)


def safety_stock_fill_rate(mean_demand, sd_demand, lead_time, order_quantity, fill_rate,
                           sd_lead_time=0.0):
    """Safety stock k·σ_DL for a fill rate β with order quantity Q (see
    :func:`reorder_point_fill_rate`).

    Examples
    --------
    >>> round(safety_stock_fill_rate(35000, 9000, 3 / 52, 5000, 0.90), 2)
    859.32
    """
    idx = _index_of(mean_demand, sd_demand, lead_time, order_quantity, fill_rate, sd_lead_time)
    sigma = _arr(sd_lead_time_demand(_arr(mean_demand), _arr(sd_demand), _arr(lead_time),
                                     _arr(sd_lead_time)))
    k = _arr(fill_rate_safety_factor(fill_rate, _arr(order_quantity), sigma))
    return _out(k * sigma, idx)


def reorder_point_fill_rate(mean_demand, sd_demand, lead_time, order_quantity, fill_rate,
                            sd_lead_time=0.0):
    """Reorder point of a continuous-review ``(r, Q)`` policy for a fill rate β.

    r = d·L + k·σ_DL with σ_DL = √(L·σ_d² + d²·σ_L²) and k solving
    σ_DL·G(k) = (1 − β)·Q ([SPP]_ section 7.7.3, eq. 7.18).

    Parameters
    ----------
    mean_demand, sd_demand : float, array or Series
        Demand per period [units/period].
    lead_time : float, array or Series
        Mean lead time [periods].
    order_quantity : float, array or Series
        Q [units].
    fill_rate : float, array, Series or FillRate
        β in (0, 1).
    sd_lead_time : float, array or Series, default 0
        Lead-time sd [periods].

    Returns
    -------
    float, ndarray or Series
        Reorder point [units].

    Examples
    --------
    The SPP fill-rate example (D = 35,000/yr, σ = 9,000/yr, L = 3 weeks, Q = 5,000):

    >>> round(reorder_point_fill_rate(35000, 9000, 3 / 52, 5000, 0.90), 2)
    2878.55
    """
    idx = _index_of(mean_demand, sd_demand, lead_time, order_quantity, fill_rate, sd_lead_time)
    ss = _arr(safety_stock_fill_rate(_arr(mean_demand), _arr(sd_demand), _arr(lead_time),
                                     _arr(order_quantity), fill_rate, _arr(sd_lead_time)))
    return _out(_arr(mean_demand) * _arr(lead_time) + ss, idx)


class RQNormalMetrics(NamedTuple):
    """Performance of a normal ``(r, Q)`` policy (see :func:`rq_normal_metrics`)."""

    csl: Any
    shortage_per_cycle: Any
    fill_rate: Any
    backorders: Any
    on_hand: Any
    cost: Any


def rq_normal_metrics(r, Q, mu_L, sigma_L, holding_cost=None, stockout_cost=None,
                      fixed_cost=None, demand_rate=None) -> RQNormalMetrics:
    """Evaluate a continuous-review ``(r, Q)`` policy with normal lead-time demand.

    With k = (r − μ_L)/σ_L ([SPP]_ section 7.7; [HW]_ section 4.9; [SS]_ section 5.2):

    * CSL = Φ(k);
    * expected shortage per cycle ESPC = σ_L·G(k); fill rate = 1 − ESPC/Q;
    * mean backorders E[B] = (σ_L²/Q)·[G₂(k) − G₂(k + Q/σ_L)] (Hadley–Whitin);
    * mean on hand E[I] = r + Q/2 − μ_L + E[B];
    * cost per period = h·E[I] + p·E[B] + K·λ/Q (NaN unless h, p, K and λ are given).

    Parameters
    ----------
    r, Q : float, array or Series
        Reorder point and order quantity [units].
    mu_L, sigma_L : float, array or Series
        Mean and sd of lead-time demand [units].
    holding_cost, stockout_cost : float, optional
        h [per unit per period] and p [per unit backordered per period].
    fixed_cost : float, optional
        K [per order].
    demand_rate : float, optional
        λ [units per period].

    Returns
    -------
    RQNormalMetrics
        ``csl``, ``shortage_per_cycle`` [units], ``fill_rate``, ``backorders`` [units],
        ``on_hand`` [units], ``cost`` [per period].

    Examples
    --------
    Snyder & Shen, Example 5.1 (λ = 1300/yr, σ = 150, L = 1/12 yr):

    >>> m = rq_normal_metrics(126.8, 328.5, 1300 / 12, 150 * (1 / 12) ** 0.5,
    ...                       0.225, 7.5, 8, 1300)
    >>> round(m.fill_rate, 6), round(m.backorders, 6), round(m.cost, 9)
    (0.97081, 0.686195, 78.071162509)
    """
    idx = _index_of(r, Q, mu_L, sigma_L)
    r_, q_, mu, sig = map(_arr, (r, Q, mu_L, sigma_L))
    if np.any(q_ <= 0):
        raise ValueError(f"The 'Q' parameter must be > 0 [units]. Got {Q!r} instead.")
    _check_nonneg(sigma_L=sigma_L)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = (r_ - mu) / sig
        csl = special.ndtr(k)
        espc = sig * standard_normal_loss(k)
        eb = sig**2 / q_ * (standard_normal_second_loss(k)
                            - standard_normal_second_loss(k + q_ / sig))
    det = sig == 0  # deterministic lead-time demand
    csl = np.where(det, (r_ >= mu).astype(float), csl)
    espc = np.where(det, np.maximum(mu - r_, 0.0), espc)
    # deterministic: position uniform on (r, r+Q]; backorders E[(mu − y)⁺]
    eb_det = np.clip(mu - r_, 0, q_) ** 2 / (2 * q_) + np.maximum(mu - r_ - q_, 0)
    eb = np.where(det, eb_det, eb)
    fill = 1.0 - espc / q_
    on_hand = r_ + q_ / 2.0 - mu + eb
    if None in (holding_cost, stockout_cost, fixed_cost, demand_rate):
        cost = np.full(np.broadcast(r_, q_, mu, sig).shape, np.nan)
    else:
        cost = (_arr(holding_cost) * on_hand + _arr(stockout_cost) * eb
                + _arr(fixed_cost) * _arr(demand_rate) / q_)
    return RQNormalMetrics(*(_out(v, idx, n) for v, n in zip(
        (csl, espc, fill, eb, on_hand, cost), RQNormalMetrics._fields, strict=True)))


def _protection(mean_demand, sd_demand, review_period, lead_time, sd_lead_time):
    d, s, R, L, sl = map(_arr, (mean_demand, sd_demand, review_period, lead_time, sd_lead_time))
    _check_nonneg(review_period=review_period, lead_time=lead_time, sd_demand=sd_demand,
                  sd_lead_time=sd_lead_time)
    return d, d * (R + L), np.sqrt((R + L) * s**2 + d**2 * sl**2), R


def order_up_to_level_fill_rate(mean_demand, sd_demand, review_period, lead_time, fill_rate,
                                sd_lead_time=0.0):
    """Order-up-to level S of a periodic-review ``(R, S)`` policy for a fill rate β.

    S = μ(R+L) + k·σ_{R+L}, σ_{R+L} = √((R+L)·σ² + μ²·σ_L²), with k solving
    σ_{R+L}·G(k) = (1 − β)·μR (the mean demand per review cycle plays Q's role;
    [SPP]_ section 8.5, eq. 8.9; [Ax]_ section 5.8).

    Examples
    --------
    >>> round(order_up_to_level_fill_rate(100, 20, 7, 3, 0.98), 2)
    1026.99
    """
    idx = _index_of(mean_demand, sd_demand, review_period, lead_time, fill_rate, sd_lead_time)
    d, mu, sigma, R = _protection(mean_demand, sd_demand, review_period, lead_time, sd_lead_time)
    k = _arr(fill_rate_safety_factor(fill_rate, d * R, sigma))
    return _out(mu + k * sigma, idx)


def order_up_to_level_csl(mean_demand, sd_demand, review_period, lead_time, service_level,
                          sd_lead_time=0.0):
    """Order-up-to level S = μ(R+L) + z·σ_{R+L} of ``(R, S)`` for a cycle service level
    ([SPP]_ eq. 8.8).

    Examples
    --------
    >>> round(order_up_to_level_csl(100, 20, 7, 3, 0.5), 2)
    1000.0
    """
    idx = _index_of(mean_demand, sd_demand, review_period, lead_time, service_level,
                    sd_lead_time)
    _, mu, sigma, _ = _protection(mean_demand, sd_demand, review_period, lead_time,
                                  sd_lead_time)
    return _out(mu + _z(service_level, None) * sigma, idx)


class PoissonBaseStockMetrics(NamedTuple):
    """Steady state of a Poisson base-stock system (see :func:`poisson_base_stock_metrics`)."""

    fill_rate: Any
    backorders: Any
    on_hand: Any
    wait: Any
    wait_if_waiting: Any


def poisson_base_stock_metrics(S, rate, lead_time) -> PoissonBaseStockMetrics:
    """Base stock S, Poisson unit demand at ``rate`` per day, constant lead time L.

    D_L ~ Poisson(λL) (by Palm's theorem the same holds for i.i.d. random lead times
    with mean L, orders crossing): fill = P(D_L ≤ S−1); E[B] = E[(D_L − S)⁺];
    E[OH] = S − λL + E[B]; E[W] = E[B]/λ (Little); E[W | W > 0] = E[W]/(1 − fill)
    ([Ax]_ section 5.2; [SS]_ section 4.4).

    Examples
    --------
    >>> m = poisson_base_stock_metrics(25, 5.0, 4.0)
    >>> round(m.fill_rate, 6), round(m.backorders, 6), round(m.wait, 6)
    (0.843227, 0.330828, 0.066166)
    """
    idx = _index_of(S, rate, lead_time)
    s, lam, L = map(_arr, (S, rate, lead_time))
    m = lam * L
    fill = stats.poisson.cdf(s - 1, m)
    eb = np.asarray(poisson_loss(s, m))
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = eb / lam
        cond = np.where(fill < 1, wait / (1 - fill), 0.0)
    vals = (fill, eb, s - m + eb, wait, cond)
    return PoissonBaseStockMetrics(*(_out(v, idx, n) for v, n in zip(
        vals, PoissonBaseStockMetrics._fields, strict=True)))


def poisson_base_stock_wait_sf(t, S, rate, lead_time):
    """P(W > t) = P(Poisson(λ(L − t)) ≥ S) for 0 ≤ t < L, 0 for t ≥ L.

    The unit serving customer n was ordered at customer n−S's arrival, so
    W = (L − Erlang(S, λ))⁺; P(Poisson(m) ≥ S) is the regularised incomplete gamma
    P(S, m) ([SS]_ section 4.4; FIFO, constant lead time).

    Examples
    --------
    >>> round(poisson_base_stock_wait_sf(1.0, 20, 5.0, 4.0), 6)
    0.124781
    """
    idx = _index_of(t, S, rate, lead_time)
    tt, s, lam, L = map(_arr, (t, S, rate, lead_time))
    m = lam * np.clip(L - tt, 0.0, None)
    with np.errstate(invalid="ignore"):
        p = np.where(s <= 0, 1.0, special.gammainc(np.maximum(s, 1), m))
    p = np.where(tt < 0, 1.0, np.where(tt >= L, 0.0, p))
    return _out(p, idx)


def poisson_base_stock_wait_quantile(q, S, rate, lead_time):
    """The q-quantile of the wait, smallest t ≥ 0 with P(W > t) ≤ 1 − q:
    t = L − m*/λ with P(S, m*) = 1 − q (0 when P(W > 0) ≤ 1 − q).

    Examples
    --------
    >>> round(poisson_base_stock_wait_quantile(0.95, 20, 5.0, 4.0), 4)
    1.3491
    """
    idx = _index_of(q, S, rate, lead_time)
    qq, s, lam, L = map(_arr, (q, S, rate, lead_time))
    check_probability(q, "poisson_base_stock_wait_quantile(q)")
    m_star = special.gammaincinv(np.maximum(s, 1), 1.0 - qq)
    t = np.clip(L - m_star / lam, 0.0, L)
    return _out(np.where(s <= 0, L, t), idx)


class PoissonRQMetrics(NamedTuple):
    """Steady state of a Poisson ``(r, Q)`` system (see :func:`poisson_rq_metrics`)."""

    fill_rate: Any
    backorders: Any
    on_hand: Any
    wait: Any


def poisson_rq_metrics(r, Q, rate, lead_time) -> PoissonRQMetrics:
    """Poisson unit demand, continuous review ``(r, Q)``, lead time L (constant, or
    i.i.d. with mean L and crossing allowed).

    The inventory position is uniform on r+1 … r+Q, so with D_L ~ Poisson(λL)
    ([Ax]_ section 5.4; [SS]_ section 5.5):
    fill = (1/Q)·Σ_{y=r+1}^{r+Q} P(D_L ≤ y−1); E[B] = (1/Q)·Σ_y E[(D_L − y)⁺];
    E[I] = r + (Q+1)/2 − λL + E[B]; E[W] = E[B]/λ.

    Examples
    --------
    >>> m = poisson_rq_metrics(3, 5, 1.5, 2.0)
    >>> round(m.fill_rate, 6), round(m.backorders, 6), round(m.on_hand, 6)
    (0.866633, 0.105433, 3.105433)
    """
    idx = _index_of(r, Q, rate, lead_time)
    r_, q_, lam, L = np.broadcast_arrays(*map(_arr, (r, Q, rate, lead_time)))
    if np.any(q_ < 1) or np.any(q_ != np.round(q_)) or np.any(r_ != np.round(r_)):
        raise ValueError(f"poisson_rq_metrics needs whole r and Q >= 1. Got r={r!r}, "
                         f"Q={Q!r} instead.")
    m = lam * L
    fill = np.zeros(r_.shape)
    eb = np.zeros(r_.shape)
    for j in range(1, int(q_.max()) + 1 if q_.size else 1):
        use = j <= q_
        y = r_ + j
        fill += np.where(use, stats.poisson.cdf(y - 1, m), 0.0)
        eb += np.where(use, poisson_loss(y, m), 0.0)
    fill, eb = fill / q_, eb / q_
    vals = (fill, eb, r_ + (q_ + 1) / 2 - m + eb, eb / lam)
    return PoissonRQMetrics(*(_out(v, idx, n) for v, n in zip(
        vals, PoissonRQMetrics._fields, strict=True)))


def newsvendor_normal_cost(S, mean, sd, holding_cost, stockout_cost):
    """Expected cost h·E[(S − D)⁺] + p·E[(D − S)⁺] = σ·[h·(z + G(z)) + p·G(z)],
    z = (S − μ)/σ, D ~ N(μ, σ²) ([SS]_ section 4.3).

    Examples
    --------
    >>> round(newsvendor_normal_cost(56.603956, 50, 8, 0.18, 0.7), 6)
    1.997605
    """
    idx = _index_of(S, mean, sd)
    s, mu, sig, h, p = map(_arr, (S, mean, sd, holding_cost, stockout_cost))
    z = (s - mu) / sig
    g = standard_normal_loss(z)
    return _out(sig * (h * (z + g) + p * g), idx)


def newsvendor_normal(mean, sd, holding_cost, stockout_cost):
    """Optimal newsvendor level S* = μ + σ·Φ⁻¹(p/(p+h)) and its cost (h+p)·σ·φ(z*)
    ([SS]_ Theorem 4.2; Example 4.3).

    Returns
    -------
    tuple (S*, cost)

    Examples
    --------
    >>> s, c = newsvendor_normal(50, 8, 0.18, 0.7)
    >>> round(s, 6), round(c, 6)
    (56.603956, 1.997605)
    """
    idx = _index_of(mean, sd, holding_cost, stockout_cost)
    mu, sig, h, p = map(_arr, (mean, sd, holding_cost, stockout_cost))
    z = special.ndtri(p / (p + h))
    cost = (h + p) * sig * stats.norm.pdf(z)
    return _out(mu + z * sig, idx), _out(cost, idx)
