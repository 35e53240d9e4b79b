"""Service targets for safety stock: :class:`FillRate`, :class:`CycleServiceLevel`,
:class:`WaitTime`.

Small frozen dataclasses that validate themselves on construction; the formulas of
:mod:`backorder_analytics.planning.formulas` and :func:`~backorder_analytics.recommend_safety_stock`
take them. :mod:`backorder_analytics.planning.formulas` re-exports all three (``ba.FillRate`` etc.).

The *cycle service level* (CSL, type 1) is the probability of no stock-out in a
replenishment cycle; the *fill rate* (type 2, β) is the share of demand served from
stock at once. They differ and must not be confused (a 90 % fill rate can need only a
65 % CSL). References as in :mod:`backorder_analytics.planning.formulas`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FillRate", "CycleServiceLevel", "WaitTime", "TARGETS", "check_target"]


def check_probability(value, what: str) -> None:
    a = np.asarray(value.to_numpy() if isinstance(value, pd.Series) else value,
                   dtype=float)
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
        check_probability(self.beta, "FillRate(beta)")

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
        check_probability(self.level, "CycleServiceLevel(level)")


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
        check_probability(self.quantile, "WaitTime(quantile)")

    @property
    def level(self) -> float:
        return float(self.quantile)


TARGETS = (FillRate, CycleServiceLevel, WaitTime)


def check_target(target):
    """The target itself, or the default :class:`FillRate` ``(0.95)`` for None.

    Raises
    ------
    TypeError
        For anything but a :class:`FillRate`, :class:`CycleServiceLevel` or
        :class:`WaitTime`.
    """
    if target is None:
        return FillRate(0.95)
    if not isinstance(target, TARGETS):
        raise TypeError(f"The 'target' parameter must be FillRate(beta), "
                        f"CycleServiceLevel(level) or WaitTime(days, quantile). "
                        f"Got {target!r} instead.")
    return target
