"""Safety stock and reorder points: analytic formulas and simulation-based recommendation.

Three layers (STYLE.md):

* **formulas** — pure functions on scalars, arrays or pandas Series (a Series in gives a
  Series out, aligned on its index): normal loss functions, safety stock with lead-time
  variability, reorder points for a cycle-service or fill-rate target, normal ``(r, Q)``
  evaluation (Hadley–Whitin), periodic review ``(R, S)``, Poisson base-stock and Poisson
  ``(r, Q)`` closed forms, the newsvendor;
* **targets** — :class:`FillRate`, :class:`CycleServiceLevel`, :class:`WaitTime`, small
  frozen dataclasses that validate themselves;
* **recommendation** — :func:`recommend_safety_stock`, which computes the analytic
  answer and a simulated one per SKU (see its docstring for the method) and returns a
  :class:`SafetyStockRecommendation`.

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

import html
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import special, stats

from ._loss import (
    inverse_standard_normal_loss,
    poisson_loss,
    standard_normal_loss,
    standard_normal_second_loss,
)

__all__ = [
    "FillRate", "CycleServiceLevel", "WaitTime", "SafetyStockRecommendation",
    "standard_normal_loss", "standard_normal_second_loss", "inverse_standard_normal_loss",
    "poisson_loss", "sd_lead_time_demand", "safety_stock", "reorder_point_csl",
    "fill_rate_safety_factor", "safety_stock_fill_rate", "reorder_point_fill_rate",
    "RQNormalMetrics", "rq_normal_metrics", "order_up_to_level_fill_rate",
    "order_up_to_level_csl", "PoissonBaseStockMetrics", "poisson_base_stock_metrics",
    "poisson_base_stock_wait_sf", "poisson_base_stock_wait_quantile", "PoissonRQMetrics",
    "poisson_rq_metrics", "newsvendor_normal", "newsvendor_normal_cost",
    "recommend_safety_stock", "ORDER_COVER_DAYS", "ROP_TOL_REL", "ROP_TOL_UNITS",
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


def _check_prob(value, what: str) -> None:
    a = _arr(value)
    if not np.all((a > 0) & (a < 1)):
        raise ValueError(f"{what} needs 0 < {what.split('(')[-1].rstrip(')')} < 1. "
                         f"Got {value!r} instead.")


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class FillRate:
    """Fill-rate target (type 2 service, β): share of units served from stock at once.

    Examples
    --------
    >>> FillRate(0.95)
    FillRate(beta=0.95)
    >>> FillRate(1.2)
    Traceback (most recent call last):
    ...
    ValueError: FillRate(beta) needs 0 < beta < 1. Got 1.2 instead.
    """

    beta: float

    def __post_init__(self) -> None:
        _check_prob(self.beta, "FillRate(beta)")

    @property
    def level(self) -> float:
        return float(self.beta)


@dataclass(frozen=True)
class CycleServiceLevel:
    """Cycle-service-level target (type 1 service): probability that a replenishment
    cycle has no stock-out (no unit backordered before the order arrives).

    Examples
    --------
    >>> CycleServiceLevel(0.9).level
    0.9
    """

    level: float

    def __post_init__(self) -> None:
        _check_prob(self.level, "CycleServiceLevel(level)")


@dataclass(frozen=True)
class WaitTime:
    """Wait target: a share ``quantile`` of order lines ships within ``days`` days.

    The wait of a line is the ship time of its last unit − its order time (DESIGN §4),
    so ``WaitTime(2, 0.95)`` asks that P(wait <= 2 days) >= 0.95.

    Examples
    --------
    >>> WaitTime(2.0, 0.95)
    WaitTime(days=2.0, quantile=0.95)
    """

    days: float
    quantile: float = 0.95

    def __post_init__(self) -> None:
        d = float(self.days)
        if not np.isfinite(d) or d < 0:
            raise ValueError(f"WaitTime(days) needs a finite days >= 0 [days]. "
                             f"Got {self.days!r} instead.")
        _check_prob(self.quantile, "WaitTime(quantile)")

    @property
    def level(self) -> float:
        return float(self.quantile)


TARGETS = (FillRate, CycleServiceLevel, WaitTime)

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
    _check_prob(service_level, "safety_stock(service_level)")
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
    _check_prob(fill_rate, "fill_rate_safety_factor(fill_rate)")
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
    _check_prob(q, "poisson_base_stock_wait_quantile(q)")
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


# =========================================================================== recommendation

ORDER_COVER_DAYS = 30.0
"""Default order quantity of the simulated ``(r, Q)`` policy: ``Q = max(1, round(d·30))``
units (a month of mean demand), raised to the item's ``moq`` when the dataset has one."""

ROP_TOL_REL = 0.10
ROP_TOL_UNITS = 1.0
"""A SKU is flagged (``disagree``) when ``|r_analytic − r_simulated| >
max(ROP_TOL_REL · max(r_simulated, 1), ROP_TOL_UNITS)``: more than 10 % apart and more
than the one unit that discreteness alone explains. Typical for intermittent or lumpy
demand (the normal approximation misstates lead-time demand) and for skewed, variable
lead times."""

R_MIN = 0
"""Smallest reorder level searched [units]: negative reorder points are not proposed."""

TRADEOFF_POINTS = 60
"""At most this many reorder levels per SKU in ``.tradeoff`` (evenly spread)."""

_LT_CACHE_KEY = "_lt"


@dataclass
class _LeadTime:
    """Lead time of one SKU: moments, quantiles [days] and a sampler."""

    mean: float
    sd: float
    p50: float
    p90: float
    p99: float
    dist: Any = None

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.dist is None:
            return np.full(n, self.mean)
        return np.maximum(np.asarray(self.dist.rvs(size=n, random_state=rng), float), 0.0)


def _lead_time_of(value) -> _LeadTime:
    if np.isscalar(value) and not isinstance(value, str):
        v = float(value)
        if not np.isfinite(v) or v < 0:
            raise ValueError(f"A constant lead time must be a finite number >= 0 [days]. "
                             f"Got {value!r} instead.")
        return _LeadTime(v, 0.0, v, v, v)
    if not hasattr(value, "rvs") or not hasattr(value, "ppf"):
        raise TypeError(f"A lead time must be a number of days, a frozen scipy.stats "
                        f"distribution or a LeadTimeModel. Got {type(value).__name__} instead.")
    if hasattr(value, "components"):  # _survival.Mixture: combine component moments
        m1 = sum(w * float(d.mean()) for w, d in zip(value.weights, value.components,
                                                        strict=True))
        m2 = sum(w * (float(d.var()) + float(d.mean()) ** 2)
                 for w, d in zip(value.weights, value.components, strict=True))
        mean, sd = m1, float(np.sqrt(max(m2 - m1 * m1, 0.0)))
    else:
        mean, sd = float(value.mean()), float(value.std())
    p50, p90, p99 = (float(x) for x in np.asarray(value.ppf([0.5, 0.9, 0.99]), dtype=float))
    return _LeadTime(mean, sd, p50, p90, p99, value)


def _sku_lead_times(skus, lead_times, ds) -> tuple[list[_LeadTime], list[Any]]:
    """Per SKU a _LeadTime and the group it came from (supplier, SKU, or None)."""
    from .leadtime import LeadTimeModel, fit_lead_times

    if lead_times is None:
        if ds is None:
            raise ValueError("The 'lead_times' parameter is needed with a Forecast: pass days "
                             "(a number), a scipy.stats distribution, a mapping sku -> either, "
                             "or a LeadTimeModel fitted by=('sku',).")
        lead_times = fit_lead_times(ds.purchase_orders, as_of=ds.as_of)
    cache: dict[Any, _LeadTime] = {}
    out, groups = [], []
    if isinstance(lead_times, LeadTimeModel):
        by = lead_times.by
        supplier = _supplier_map(ds) if "supplier_id" in by else {}
        for sku in skus:
            if by == ("supplier_id",):
                g = supplier.get(sku)
            elif by == ("sku",):
                g = sku
            elif by == ("supplier_id", "sku"):
                g = (supplier.get(sku), sku)
            elif by == ():
                g = None
            else:
                raise ValueError(f"recommend_safety_stock needs a LeadTimeModel fitted by "
                                 f"('supplier_id',), ('sku',), ('supplier_id', 'sku') or (). "
                                 f"Got by={by!r} instead.")
            key = ("g", g)
            if key not in cache:
                cache[key] = _lead_time_of(lead_times.distribution(g))
            out.append(cache[key])
            groups.append(g)
        return out, groups
    if isinstance(lead_times, Mapping):
        missing = [s for s in skus if s not in lead_times]
        if missing:
            raise KeyError(f"The 'lead_times' mapping has no entry for SKU(s) {missing[:5]!r}.")
        return [_lead_time_of(lead_times[s]) for s in skus], [None] * len(skus)
    one = _lead_time_of(lead_times)
    return [one] * len(skus), [None] * len(skus)


def _supplier_map(ds) -> dict:
    if ds is None:
        return {}
    items = ds.items
    if items is not None and "supplier_id" in items:
        return dict(zip(items["sku"], items["supplier_id"], strict=True))
    po = ds.purchase_orders
    if "supplier_id" in po:
        return po.groupby("sku")["supplier_id"].agg(lambda s: s.mode().iloc[0]).to_dict()
    return {}


def _sku_seed(seed: int, sku) -> np.random.Generator:
    """Each SKU's own stream, keyed on its name: the same SKU gets the same numbers
    whichever other SKUs are in the call."""
    return np.random.default_rng(np.random.SeedSequence([int(seed),
                                                         zlib.crc32(str(sku).encode())]))


# ----------------------------------------------------------------- CRN (r, Q) / (R, S) kernel


class _CRNRun:
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

    Fill, CSL and the areas for every integer level come from one histogram pass each,
    exactly; line waits need one pass per level evaluated. Receipts come before demand
    at the same instant (DESIGN §4). Lines and receipts before ``warmup`` are simulated
    but not counted. TODO: merge into ``simulate.fifo.run_fifo`` once that engine
    exposes level-independent cumulative curves.
    """

    def __init__(self, rep, t, q, n_reps, t_end, warmup, o_rep, o_time, o_qty, lead,
                 offset):
        self.n_reps, self.t_end, self.warmup = n_reps, t_end, warmup
        self.off = np.broadcast_to(np.asarray(offset, np.int64), (n_reps,))
        G = np.cumsum(q)
        self.G0 = np.concatenate([[0], G])
        self.line_start = np.searchsorted(rep, np.arange(n_reps + 1))
        a = o_time + lead
        self.big_t = big_t = float(t_end + (lead.max() if len(lead) else 0.0) + 2.0)
        akey = o_rep * big_t + a
        order = np.argsort(akey, kind="stable")
        self.akey, self.a, self.aq, self.arep = akey[order], a[order], o_qty[order], o_rep[order]
        self.C0 = np.concatenate([[0], np.cumsum(self.aq)])
        self.arr_start = np.searchsorted(self.arep, np.arange(n_reps + 1))
        self.Crep = self.C0[1:] - self.C0[self.arr_start[:-1]][self.arep]
        self.lkey = lkey = rep * big_t + t
        self.n_arr = n_arr = np.searchsorted(self.akey, lkey, side="right")
        # per-rep constant: offset − supply before the rep + demand before the rep
        const = self.off - self.C0[self.arr_start[:-1]] + self.G0[self.line_start[:-1]]
        self.const = const
        # b_i = offset + supply arrived by t_i − demand before line i (all in-rep)
        self.b_all = const[rep] + self.C0[n_arr] - (G - q)
        self.rep, self.t, self.q, self.G = rep, t, q, G
        m = t >= warmup
        self.m = m
        self.bc, self.qc = self.b_all[m], q[m]
        self.units = int(self.qc.sum())
        self.n_lines = int(m.sum())

    # ----------------------------------------------------------------- all levels at once

    def level_range(self, r_min: int) -> np.ndarray:
        hi = int((self.qc - self.bc).max()) if self.n_lines else r_min
        return np.arange(r_min, max(hi, r_min) + 1)

    def fill(self, levels: np.ndarray) -> np.ndarray:
        """Units served at once / units demanded, for consecutive integer levels."""
        r_lo, n = int(levels[0]), len(levels)
        bc, qc = self.bc, self.qc
        if self.units == 0:
            return np.ones(n)
        served0 = np.clip(r_lo + bc, 0, qc).sum()
        lo = np.maximum(-bc, r_lo)
        hi = np.minimum(qc - bc, r_lo + n)
        ok = lo < hi
        delta = (np.bincount(lo[ok] - r_lo, minlength=n + 1)
                 - np.bincount(hi[ok] - r_lo, minlength=n + 1))
        inc = np.cumsum(delta)[:n]
        served = served0 + np.concatenate([[0], np.cumsum(inc)[:-1]])
        return served / self.units

    def csl(self, levels: np.ndarray) -> np.ndarray:
        """Share of receipts (in the window) with net inventory >= 0 just before."""
        w = (self.a >= self.warmup) & (self.a <= self.t_end)
        if not w.any():
            return np.full(len(levels), np.nan)
        ak, ar = self.akey[w], self.arep[w]
        c = (self.const[ar] + self.C0[np.searchsorted(self.akey, ak, side="left")]
             - self.G0[np.searchsorted(self.lkey, ak, side="left")])
        c = np.sort(c)
        return 1.0 - np.searchsorted(c, -levels, side="left") / len(c)

    def areas(self, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Average on hand and average backorders [units] over the window.

        Net inventory − level is piecewise constant: after line i it is ``b_i − q_i``
        until the next line or receipt; after receipt j it is
        ``offset + supply up to j − demand before a_j`` until the next event; before
        the first event of a replication it is ``offset``.
        """
        rep, t = self.rep, self.t
        nl = len(t)
        same = np.zeros(nl, dtype=bool)
        same[:-1] = rep[1:] == rep[:-1]
        t_next = np.where(same, np.append(t[1:], 0.0), self.t_end)
        a_pad = np.append(self.a, np.inf)
        arep_pad = np.append(self.arep, -1)
        a_next = np.where(arep_pad[self.n_arr] == rep, a_pad[self.n_arr], np.inf)
        end = np.minimum(np.minimum(t_next, a_next), self.t_end)
        dur_l = np.clip(end - np.maximum(t, self.warmup), 0.0, None)
        val_l = self.b_all - self.q
        # receipts
        arep = self.arep
        nxt_a = np.append(self.a[1:], np.inf)
        nxt_a[np.append(arep[1:] != arep[:-1], True)] = np.inf
        nl_idx = np.searchsorted(self.lkey, self.akey, side="left")  # first line at/after
        l_pad = np.append(t, np.inf)
        lrep_pad = np.append(rep, -1)
        nxt_l = np.where(lrep_pad[nl_idx] == arep, l_pad[nl_idx], np.inf)
        end_a = np.minimum(np.minimum(nxt_a, nxt_l), self.t_end)
        dur_a = np.clip(end_a - np.maximum(self.a, self.warmup), 0.0, None)
        val_a = self.const[arep] + self.C0[1:] - self.G0[nl_idx]
        # initial segments
        has_l = self.line_start[1:] > self.line_start[:-1]
        has_a = self.arr_start[1:] > self.arr_start[:-1]
        first = np.full(self.n_reps, self.t_end)
        first[has_l] = t[self.line_start[:-1][has_l]]
        fa = np.full(self.n_reps, np.inf)
        fa[has_a] = self.a[self.arr_start[:-1][has_a]]
        dur0 = np.clip(np.minimum(np.minimum(first, fa), self.t_end) - self.warmup, 0, None)
        vals = np.concatenate([val_l, val_a, self.off])
        wts = np.concatenate([dur_l, dur_a, dur0])
        vmin = int(vals.min())
        h = np.bincount(vals - vmin, weights=wts)
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
        # supply the last unit of line i needs: D_i − level − offset (all in-rep)
        need = self.qc - self.bc - level  # = D_i − level − offset − supply by t_i
        out = np.zeros(self.n_lines)
        pend = np.flatnonzero(need > 0)
        if not len(pend):
            return out
        idx = np.flatnonzero(self.m)[pend]
        rep = self.rep[idx]
        # cumulative in-rep supply needed: supply by t_i + need
        target = self.C0[self.n_arr[idx]] - self.C0[self.arr_start[rep]] + need[pend]
        if len(self.a):
            big = float(self.Crep.max() + max(int(target.max()), 0) + 2)
            j = np.searchsorted(self.arep * big + self.Crep, rep * big + target, side="left")
            ok = j < self.arr_start[rep + 1]
            ship = np.where(ok, self.a[np.minimum(j, len(self.a) - 1)], np.inf)
        else:
            ship = np.full(len(pend), np.inf)
        out[pend] = np.maximum(ship - self.t[idx], 0.0)
        return out


def _poisson_lines(rng, rate, sizes, n_reps, t_end):
    """Compound-Poisson order lines, per replication: exponential gaps at ``rate``
    [lines/day] cumulated until ``t_end``; sizes bootstrapped from the SKU's history."""
    mean_n = rate * t_end
    width = int(mean_n + 6.0 * np.sqrt(mean_n) + 10)
    cs = np.cumsum(rng.standard_exponential((n_reps, width)), axis=1)
    cs *= 1.0 / rate
    while (cs[:, -1] < t_end).any():  # rare: top up the replications that ran short
        more = np.cumsum(rng.standard_exponential((n_reps, width)), axis=1) / rate
        cs = np.concatenate([cs, cs[:, -1:] + more], axis=1)
    rep, col = np.nonzero(cs < t_end)
    t = cs[rep, col]
    if len(sizes) and (sizes == sizes[0]).all():
        q = np.full(len(t), sizes[0], dtype=np.int64)
    else:
        q = sizes[rng.integers(0, len(sizes), len(t))].astype(np.int64)
    return rep.astype(np.int64), t, q


def _daily_lines(rng, pool, n_reps, t_end):
    """One line per day with demand, size bootstrapped from a pool of daily demands,
    placed at mid-day."""
    n_days = int(np.ceil(t_end))
    draw = pool[rng.integers(0, len(pool), (n_reps, n_days))]
    rep, day = np.nonzero(draw > 0)
    t = day + 0.5
    keep = t < t_end
    return rep[keep].astype(np.int64), t[keep], draw[rep[keep], day[keep]].astype(np.int64)


def _orders(rep, t, D, n_reps, line_start, q_order, review_period, t_end, u=None):
    """Replenishment orders (rep, time, qty), independent of the reorder level."""
    if review_period is None:  # (r, Q): k-th order when D + u reaches k·Q
        tot = np.zeros(n_reps, np.int64)
        has = line_start[1:] > line_start[:-1]
        tot[has] = D[line_start[1:][has] - 1]
        n_ord = (tot + u) // q_order
        o_rep = np.repeat(np.arange(n_reps), n_ord)
        k = np.arange(len(o_rep)) - np.repeat(np.cumsum(n_ord) - n_ord, n_ord) + 1
        big = int(tot.max()) + 1 if n_reps else 1
        idx = np.searchsorted(rep * big + D, o_rep * big + k * q_order - u[o_rep],
                              side="left")
        return o_rep, t[idx], np.full(len(o_rep), q_order, np.int64)
    n_rev = int(np.floor(t_end / review_period))
    o_rep = np.repeat(np.arange(n_reps), n_rev)
    o_time = np.tile(np.arange(1, n_rev + 1) * review_period, n_reps)
    big = t_end + 1.0
    cnt = np.searchsorted(rep * big + t, o_rep * big + o_time, side="right")
    G0 = np.concatenate([[0], D])  # D here: global cumulative demand
    dk = G0[cnt] - G0[line_start[o_rep]]
    prev = np.concatenate([[0], dk[:-1]])
    prev[::max(n_rev, 1)] = 0
    return o_rep, o_time, (dk - prev).astype(np.int64)


def _evaluate_sku(inp: dict, target, review: str, review_period: float, n_reps: int,
                  days: float, seed: int, warmup_days: float | None) -> tuple[dict, dict]:
    """Simulate one SKU and pick its level; returns (summary row, tradeoff columns)."""
    rng = _sku_seed(seed, inp["sku"])
    lt: _LeadTime = inp[_LT_CACHE_KEY]
    periodic = review == "periodic"
    warm = (float(np.ceil(lt.p99 + (review_period if periodic else 0.0)))
            if warmup_days is None else float(warmup_days))
    t_end = warm + float(days)
    if inp["kind"] == "poisson":
        rep, t, q = _poisson_lines(rng, inp["rate"], inp["sizes"], n_reps, t_end)
    else:
        rep, t, q = _daily_lines(rng, inp["pool"], n_reps, t_end)
    line_start = np.searchsorted(rep, np.arange(n_reps + 1))
    G = np.cumsum(q)
    if periodic:
        o_rep, o_time, o_qty = _orders(rep, t, G, n_reps, line_start, None, review_period,
                                       t_end)
        offset = 0
    else:
        D = G - np.concatenate([[0], G])[line_start[:-1]][rep]
        Q = int(inp["Q"])
        u = rng.integers(0, Q, n_reps)
        o_rep, o_time, o_qty = _orders(rep, t, D, n_reps, line_start, Q, None, t_end, u)
        offset = Q - u
    lead = lt.sample(rng, len(o_rep))
    run = _CRNRun(rep, t, q, n_reps, t_end, warm, o_rep, o_time, o_qty, lead, offset)
    levels = run.level_range(R_MIN)
    fill = run.fill(levels)
    csl = run.csl(levels)
    if isinstance(target, FillRate):
        i = int(np.argmax(fill >= target.beta))
    elif isinstance(target, CycleServiceLevel):
        met = csl >= target.level
        i = int(np.argmax(met)) if met.any() else len(levels) - 1
    else:
        lo, hi = 0, len(levels) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if np.mean(run.waits(int(levels[mid])) <= target.days) >= target.quantile:
                hi = mid
            else:
                lo = mid + 1
        i = lo
    r_sim = int(levels[i])
    on_hand, back = run.areas(levels)
    w = run.waits(r_sim)
    finite = w[np.isfinite(w)]
    r_an = inp["rop_analytic"]
    j = int(np.clip(np.ceil(r_an - 1e-9), levels[0], levels[-1]) - levels[0]) \
        if np.isfinite(r_an) else i
    if isinstance(target, FillRate):
        at_an = fill[j]
    elif isinstance(target, CycleServiceLevel):
        at_an = csl[j]
    else:
        at_an = float(np.mean(run.waits(int(levels[j])) <= target.days))
    row = {
        "safety_stock": r_sim - inp["lead_time_demand"],
        "reorder_point": r_sim,
        "fill_rate": fill[i], "cycle_service_level": csl[i],
        "mean_wait": float(finite.mean()) if len(finite) else np.nan,
        "p90_wait": float(np.quantile(w, 0.9, method="inverted_cdf")) if len(w) else np.nan,
        "share_waiting": float(np.mean(w > 0)) if len(w) else np.nan,
        "avg_on_hand": on_hand[i], "avg_backorders": back[i],
        "service_at_analytic": at_an,
        "n_lines": run.n_lines,
    }
    pick = levels
    if len(levels) > TRADEOFF_POINTS:
        pick = np.unique(np.r_[np.round(np.linspace(levels[0], levels[-1],
                                                     TRADEOFF_POINTS)), r_sim]).astype(int)
    k = pick - levels[0]
    units = max(run.units, 1)
    trade = {"reorder_point": pick, "safety_stock": pick - inp["lead_time_demand"],
             "fill_rate": fill[k], "cycle_service_level": csl[k],
             "mean_wait": back[k] * n_reps * days / units,
             "avg_on_hand": on_hand[k], "avg_backorders": back[k]}
    return row, trade


# ----------------------------------------------------------------- inputs per SKU


def _inputs_from_dataset(ds, skus, review, review_period, cover_days):
    from .demand import classify_demand, demand_series

    y = demand_series(ds, freq="D")
    all_skus = pd.Index(sorted(y["sku"].unique()), name="sku")
    skus = all_skus if skus is None else pd.Index(list(skus), name="sku")
    unknown = [s for s in skus if s not in all_skus]
    if unknown:
        raise KeyError(f"SKU(s) {unknown[:5]!r} have no order lines in the dataset. "
                       f"Known SKUs include {list(all_skus[:3])!r}.")
    y = y[y["sku"].isin(skus)]
    cls = classify_demand(y)
    g = y.groupby("sku")["demand"]
    mean, sd, periods = g.mean(), g.std(ddof=1).fillna(0.0), g.size()
    orders = ds.orders[ds.orders["sku"].isin(skus)]
    sizes = {k: v.to_numpy(np.int64) for k, v in orders.groupby("sku")["quantity"]}
    moq = {}
    if ds.items is not None and "moq" in ds.items:
        moq = ds.items.set_index("sku")["moq"].dropna().to_dict()
    out = []
    for s in skus:
        d = float(mean[s])
        row = {"sku": s, "category": str(cls.loc[s, "category"]), "mean_demand": d,
               "sd_demand": float(sd[s]), "kind": "poisson", "sizes": sizes[s],
               "rate": len(sizes[s]) / float(periods[s])}
        q = max(1, int(round(d * cover_days)))
        row["Q"] = max(q, int(moq.get(s, 1)))
        out.append(row)
    return out


def _inputs_from_forecast(fc, skus, n_paths):
    skus = fc.skus if skus is None else pd.Index(list(skus), name="sku")
    paths = np.asarray(fc.paths(n=n_paths, skus=list(skus)), dtype=float)
    cls = fc.classes_
    out = []
    for i, s in enumerate(skus):
        pool = np.maximum(np.rint(paths[i].ravel()), 0).astype(np.int64)
        cat = str(cls.loc[s, "category"]) if cls is not None and s in cls.index else ""
        out.append({"sku": s, "category": cat, "mean_demand": float(pool.mean()),
                    "sd_demand": float(pool.std(ddof=1)) if len(pool) > 1 else 0.0,
                    "kind": "daily", "pool": pool})
    return out


def _analytic(inp, lt: _LeadTime, target, review, review_period):
    """Normal-approximation level (ROP, or S under periodic review) for the target."""
    d, s = inp["mean_demand"], inp["sd_demand"]
    L = lt.mean + (review_period if review == "periodic" else 0.0)
    mu = d * L
    sigma = float(np.sqrt(L * s**2 + d**2 * lt.sd**2))
    if isinstance(target, FillRate):
        q = d * review_period if review == "periodic" else inp["Q"]
        k = fill_rate_safety_factor(target.beta, q, sigma) if q > 0 else 0.0
        level = mu + k * sigma
    elif isinstance(target, CycleServiceLevel):
        level = mu + special.ndtri(target.level) * sigma
    else:  # cycle-service approximation over the lead time shortened by the allowed wait
        le = max(L - target.days, 0.0)
        sig_w = float(np.sqrt(le * s**2 + (d**2 * lt.sd**2 if le > 0 else 0.0)))
        level = d * le + special.ndtri(target.quantile) * sig_w
    return mu, sigma, float(level)


# ----------------------------------------------------------------- result


@dataclass
class SafetyStockRecommendation:
    """Recommended safety stock per SKU, analytic and simulated.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per SKU (index ``sku``); see :func:`recommend_safety_stock`.
    tradeoff : pandas.DataFrame
        Long frame ``sku, reorder_point, safety_stock, fill_rate, cycle_service_level,
        mean_wait, avg_on_hand, avg_backorders``: service and wait against safety stock
        on the searched grid of levels.
    target : FillRate, CycleServiceLevel or WaitTime
    settings : dict
        ``review``, ``review_period``, ``n_reps``, ``days``, ``seed``, ``cover_days``.
    """

    summary: pd.DataFrame
    tradeoff: pd.DataFrame
    target: Any
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The :attr:`summary` table with ``sku`` as a column."""
        return self.summary.reset_index()

    def plot(self, sku=None, ax=None):
        """Service (left axis) and mean wait (right axis) against safety stock for one
        SKU, with the target, the simulated choice and the analytic answer. Returns the
        Axes. (Drawing only; TODO: move into :mod:`backorder_analytics.plotting`.)"""
        import matplotlib.pyplot as plt

        sku = self.summary.index[0] if sku is None else sku
        tr = self.tradeoff[self.tradeoff["sku"] == sku]
        row = self.summary.loc[sku]
        if ax is None:
            _, ax = plt.subplots()
        col = ("cycle_service_level" if isinstance(self.target, CycleServiceLevel)
               else "fill_rate")
        ax.plot(tr["safety_stock"], tr[col], marker=".", label=col.replace("_", " "))
        if not isinstance(self.target, WaitTime):
            ax.axhline(self.target.level, color="gray", lw=0.8, ls=":", label="target")
        ax.axvline(row["safety_stock"], color="C2", label="simulated")
        ax.axvline(row["safety_stock_analytic"], color="C3", ls="--", label="analytic")
        ax.set_xlabel("safety stock [units]")
        ax.set_ylabel("service")
        ax.set_title(f"{sku} — {row['category']}")
        twin = ax.twinx()
        twin.plot(tr["safety_stock"], tr["mean_wait"], color="C1", alpha=0.6)
        twin.set_ylabel("mean wait per unit [days]")
        ax.legend(loc="lower right")
        return ax

    def __repr__(self) -> str:
        s = self.settings
        flagged = int(self.summary["disagree"].sum()) if len(self.summary) else 0
        return (f"SafetyStockRecommendation({self.target!r}, {len(self.summary):,} SKUs, "
                f"{s.get('review', '')} review, {s.get('n_reps')} reps × {s.get('days')} days, "
                f"seed {s.get('seed')}; {flagged} flagged analytic ≠ simulated)")

    def _repr_html_(self) -> str:
        head = f"<p><strong>{html.escape(repr(self))}</strong></p>"
        return head + self.summary.to_html(float_format=lambda v: f"{v:,.3f}")


def _check_target(target):
    if target is None:
        return FillRate(0.95)
    if not isinstance(target, TARGETS):
        raise TypeError(f"The 'target' parameter must be FillRate(beta), "
                        f"CycleServiceLevel(level) or WaitTime(days, quantile). "
                        f"Got {target!r} instead.")
    return target


def recommend_safety_stock(
    ds_or_forecast,
    lead_times=None,
    target: FillRate | CycleServiceLevel | WaitTime | None = None,
    review: str = "continuous",
    n_reps: int = 200,
    days: int = 365,
    seed: int = 0,
    skus: Sequence | None = None,
    progress: bool = True,
    *,
    review_period: float = 7.0,
    cover_days: float = ORDER_COVER_DAYS,
    warmup_days: float | None = None,
    n_jobs: int = 1,
) -> SafetyStockRecommendation:
    """Safety stock and reorder point per SKU for a service target: analytic and simulated.

    Per SKU:

    1. **Demand**: demand class (:func:`~backorder_analytics.classify_demand`, daily),
       mean ``d`` and sd ``σ_d`` of daily demand [units/day] (zero-filled from the SKU's
       first order).
    2. **Lead time** [days]: mean, sd, p50, p90 from the SKU's distribution — by default
       ``fit_lead_times(ds.purchase_orders)`` by supplier, the SKU's supplier from
       ``ds.items`` (else the most frequent on its POs).
    3. **Analytic** level (normal approximation): ``μ = d·L``,
       ``σ = √(L·σ_d² + d²·σ_L²)``; for :class:`FillRate` ``r = μ + kσ`` with
       ``σ·G(k) = (1−β)·Q`` (:func:`reorder_point_fill_rate`), for
       :class:`CycleServiceLevel` ``r = μ + zσ`` (:func:`reorder_point_csl`), for
       :class:`WaitTime` (w days, quantile q) the cycle-service formula over the lead
       time shortened by the allowed wait, ``L' = max(L − w, 0)``:
       ``r = d·L' + z_q·√(L'·σ_d² + d²·σ_L²)`` — exact for Poisson base stock with a
       constant lead time (:func:`poisson_base_stock_wait_quantile`), conservative for
       ``Q > 1``. Under ``review="periodic"`` L is replaced by ``R + L`` and Q by ``d·R``
       (:func:`order_up_to_level_fill_rate`).
    4. **Simulated** level: ``n_reps`` replications of ``days`` days (after a warm-up,
       below) of a continuous-review ``(r, Q)`` policy with ``Q = max(1, round(d ·
       cover_days))`` (raised to the item's ``moq``), or ``(R, S)`` under periodic
       review, FIFO backorders, partial shipping, no cancellation, orders crossing.
       Demand: order lines arrive as a Poisson process at the SKU's historical line
       rate, sizes bootstrapped from its order lines (a Forecast: one line per day,
       bootstrapped from the forecast's sample paths, rounded to whole units). Lead
       times: i.i.d. draws from the SKU's distribution. All reorder levels are
       evaluated on the *same* demand and lead-time draws (common random numbers), which
       makes service exactly monotone in the level; the smallest level (>= 0) that meets
       the target is chosen. Each replication starts with nothing on order and, under
       ``(r, Q)``, an inventory position drawn uniformly from ``r+1 … r+Q`` (its
       stationary law for unit demand; one draw per replication, shared by all levels),
       under ``(R, S)`` at ``S``; its first ``warmup_days`` (default: the p99 lead
       time, plus R under periodic review, rounded up) are simulated but not counted.
    5. **Flag** ``disagree`` when the two levels differ by more than
       :data:`ROP_TOL_REL` (10 %) and more than :data:`ROP_TOL_UNITS` (1 unit).

    Parameters
    ----------
    ds_or_forecast : Dataset or Forecast
        History (orders, purchase orders, items) or a daily :class:`Forecast`.
    lead_times : LeadTimeModel, float, scipy.stats distribution or mapping, optional
        Lead time [days]: a fitted model (by supplier, SKU, or both), a constant, one
        distribution for every SKU, or ``{sku: days or distribution}``. Default: fitted
        from ``ds.purchase_orders`` by supplier (required with a Forecast).
    target : FillRate, CycleServiceLevel or WaitTime, default FillRate(0.95)
    review : {"continuous", "periodic"}, default "continuous"
    n_reps : int, default 200
        Replications per SKU.
    days : int, default 365
        Counted length of each replication [days].
    seed : int, default 0
        Each SKU's stream is seeded by ``(seed, crc32(sku))``: results for a SKU do
        not depend on which other SKUs are in the call.
    skus : sequence, optional
        SKUs to do (default: every SKU with order lines / in the forecast).
    progress : bool, default True
        Show a tqdm progress bar.
    review_period : float, default 7
        R [days] under periodic review.
    cover_days : float, default :data:`ORDER_COVER_DAYS`
        Q in days of mean demand under continuous review.
    warmup_days : float, optional
        Uncounted start of each replication [days].
    n_jobs : int, default 1
        Threads across SKUs. The kernel is memory-bound: on 2 cores, 2 threads were
        slower than 1 (1,000 SKUs × 200 × 365 days: 23.6 s with 1 thread, 31.6 s with
        2), hence the default.

    Returns
    -------
    SafetyStockRecommendation
        ``summary`` indexed by ``sku``: ``category``, ``supplier``, ``mean_demand``,
        ``sd_demand`` [units/day], ``lead_time_mean``, ``lead_time_sd``,
        ``lead_time_p50``, ``lead_time_p90`` [days], ``order_quantity`` [units] (NaN
        under periodic review), ``lead_time_demand`` μ and ``sd_lead_time_demand`` σ
        [units], ``safety_stock_analytic``, ``reorder_point_analytic`` [units],
        ``safety_stock`` and ``reorder_point`` (simulated; ``S`` under periodic
        review; safety stock = level − μ), ``fill_rate``, ``cycle_service_level``,
        ``mean_wait`` and ``p90_wait`` [days, over order lines], ``share_waiting``,
        ``avg_on_hand`` (units held), ``avg_backorders`` [units], all achieved in the
        simulation at the chosen level; ``service_at_analytic`` (the target measure
        simulated at the analytic level rounded up), ``disagree`` and ``n_lines``.

    Examples
    --------
    >>> import backorder_analytics as ba
    >>> ds = ba.example_dataset(seed=0)
    >>> rec = recommend_safety_stock(ds, target=FillRate(0.95), skus=["SKU-0001"],
    ...                              n_reps=20, progress=False)
    >>> bool(rec.summary.loc["SKU-0001", "fill_rate"] >= 0.95)
    True
    """
    from .dataset import Dataset
    from .forecast.core import Forecast

    target = _check_target(target)
    if review not in ("continuous", "periodic"):
        raise ValueError(f"The 'review' parameter must be one of ('continuous', 'periodic'). "
                         f"Got {review!r} instead.")
    if int(n_reps) < 1 or int(days) < 1:
        raise ValueError(f"'n_reps' and 'days' must be integers >= 1. Got n_reps={n_reps!r}, "
                         f"days={days!r} instead.")
    if not (np.isfinite(review_period) and review_period > 0):
        raise ValueError(f"The 'review_period' parameter must be > 0 [days]. "
                         f"Got {review_period!r} instead.")
    if not (np.isfinite(cover_days) and cover_days > 0):
        raise ValueError(f"The 'cover_days' parameter must be > 0 [days]. "
                         f"Got {cover_days!r} instead.")
    if isinstance(ds_or_forecast, Dataset):
        ds = ds_or_forecast
        inputs = _inputs_from_dataset(ds, skus, review, review_period, cover_days)
    elif isinstance(ds_or_forecast, Forecast):
        ds = None
        inputs = _inputs_from_forecast(ds_or_forecast, skus, max(ds_or_forecast.n_paths, 100))
        for inp in inputs:
            inp["Q"] = max(1, int(round(inp["mean_demand"] * cover_days)))
    else:
        raise TypeError(f"The 'ds_or_forecast' parameter must be a Dataset or a Forecast. "
                        f"Got {type(ds_or_forecast).__name__} instead.")
    lts, groups = _sku_lead_times([i["sku"] for i in inputs], lead_times, ds)
    for inp, lt in zip(inputs, lts, strict=True):
        inp[_LT_CACHE_KEY] = lt
        mu, sigma, level = _analytic(inp, lt, target, review, review_period)
        inp.update(lead_time_demand=mu, sd_lead_time_demand=sigma, rop_analytic=level)

    def work(inp):
        if inp["mean_demand"] <= 0:
            return None, None
        return _evaluate_sku(inp, target, review, review_period, int(n_reps), float(days),
                             int(seed), warmup_days)

    n_jobs = max(int(n_jobs), 1)
    if n_jobs > 1 and len(inputs) > 1:
        with ThreadPoolExecutor(n_jobs) as pool:
            it = pool.map(work, inputs)
            results = list(_progress(it, len(inputs), progress))
    else:
        results = [work(inp) for inp in _progress(inputs, len(inputs), progress)]

    rows, trades = [], []
    for inp, lt, grp, (row, trade) in zip(inputs, lts, groups, results, strict=True):
        base = {
            "sku": inp["sku"], "category": inp["category"], "supplier": grp,
            "mean_demand": inp["mean_demand"], "sd_demand": inp["sd_demand"],
            "lead_time_mean": lt.mean, "lead_time_sd": lt.sd, "lead_time_p50": lt.p50,
            "lead_time_p90": lt.p90,
            "order_quantity": np.nan if review == "periodic" else inp["Q"],
            "lead_time_demand": inp["lead_time_demand"],
            "sd_lead_time_demand": inp["sd_lead_time_demand"],
            "safety_stock_analytic": inp["rop_analytic"] - inp["lead_time_demand"],
            "reorder_point_analytic": inp["rop_analytic"],
        }
        if row is None:
            row = {"reorder_point": np.nan, "safety_stock": np.nan}
        base.update(row)
        rows.append(base)
        if trade is not None:
            tf = pd.DataFrame(trade)
            tf.insert(0, "sku", inp["sku"])
            trades.append(tf)
    summary = pd.DataFrame(rows).set_index("sku")
    r_s, r_a = summary["reorder_point"].astype(float), summary["reorder_point_analytic"]
    tol = np.maximum(ROP_TOL_REL * np.maximum(r_s, 1.0), ROP_TOL_UNITS)
    summary["disagree"] = ((r_a - r_s).abs() > tol).fillna(False).astype(bool)
    tradeoff = (pd.concat(trades, ignore_index=True) if trades else
                pd.DataFrame(columns=["sku", "reorder_point", "safety_stock", "fill_rate",
                                      "cycle_service_level", "mean_wait", "avg_on_hand",
                                      "avg_backorders"]))
    settings = {"review": review, "review_period": review_period if review == "periodic"
                else None, "n_reps": int(n_reps), "days": int(days), "seed": int(seed),
                "cover_days": cover_days}
    return SafetyStockRecommendation(summary, tradeoff, target, settings)


def _progress(it, total, show):
    if not show:
        return it
    from tqdm.auto import tqdm

    return tqdm(it, total=total, desc="safety stock", unit="SKU")
