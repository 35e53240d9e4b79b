"""The parameters many functions share: one default and one check for each.

Every public function that takes one of these parameters checks it here, so that a
rule and its message are the same wherever the parameter is passed (the style of
scikit-learn's ``check_scalar``): the message names the parameter, says what was
expected and what was received.

Defaults
--------
``allocation = "fifo"``, ``shipping = "partial"``
    How a receipt serves the backorder queue (DESIGN.md §4).
``max_wait_days``
    :data:`MAX_WAIT_DAYS` (30 days) for everything that looks forward: ETAs, alerts,
    the planning run and the report. The historical :func:`~backorder_analytics.replay`
    and the policy :func:`~backorder_analytics.simulate` default to None, "as
    recorded" and "never" (their closed forms have no time limit); a limit there is a
    what-if.
``n_reps``
    :data:`MONTE_CARLO_REPS` draws for the Monte Carlo of ETAs and risk;
    :data:`SAFETY_STOCK_REPS` simulated years per SKU for the safety-stock search;
    the report and the planning run use one ``n_reps`` for all of them
    (:data:`PLAN_REPS`).
``seed = 0``
    The same seed gives the same numbers; per-SKU streams are keyed on the SKU and the
    seed (:mod:`backorder_analytics.streams`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = [
    "ALLOCATIONS", "SHIPPING", "MAX_WAIT_DAYS", "MONTE_CARLO_REPS", "SAFETY_STOCK_REPS",
    "PLAN_REPS", "SEED", "check_scalar", "check_choice", "check_options",
    "check_max_wait_days", "check_n_reps", "check_seed", "check_horizon",
    "check_quantiles", "check_probability", "check_days", "check_n_jobs", "available_cores",
    "describe_range",
]

ALLOCATIONS = ("fifo", "priority")
"""Allocation rules: arrival order, or ``priority`` (lower first) then arrival."""
SHIPPING = ("partial", "complete")
"""Shipping rules: ship what is there, or a line only whole."""
MAX_WAIT_DAYS = 30.0
"""Days a customer waits on a backorder before cancelling [days], for forward-looking
steps (ETAs, alerts, the planning run)."""
MONTE_CARLO_REPS = 1000
"""Replications of the ETA and risk Monte Carlo when called on their own."""
SAFETY_STOCK_REPS = 200
"""Simulated years per SKU in the safety-stock search when called on its own."""
PLAN_REPS = 200
"""Replications of every Monte Carlo step of the planning run and the report."""
SEED = 0
"""Default seed."""


def check_scalar(value: Any, name: str, kind: type | tuple[type, ...] = Real, *,
                 low: float | None = None, high: float | None = None,
                 closed: str = "both", none: bool = False) -> Any:
    """``value`` checked to be a finite number of ``kind`` within ``[low, high]``.

    Parameters
    ----------
    value : object
    name : str
        The parameter's name, for the message.
    kind : type or tuple of types, default numbers.Real
        ``numbers.Integral`` for whole numbers; bools are never numbers here.
    low, high : float, optional
        Bounds; ``closed`` says which are included: "both", "left", "right", "neither".
    none : bool, default False
        Accept None (returned as is).

    Returns
    -------
    int, float or None
        ``int`` for Integral kinds, else ``float``.

    Raises
    ------
    ValueError
        Naming the parameter, the range expected and the value received.

    Examples
    --------
    >>> check_scalar(3, "n_reps", Integral, low=1)
    3
    >>> check_scalar(0, "horizon", Integral, low=1)
    Traceback (most recent call last):
    ...
    ValueError: The 'horizon' parameter must be a whole number >= 1. Got 0 instead.
    """
    if none and value is None:
        return None
    whole = kind is Integral or (isinstance(kind, tuple) and Integral in kind)
    number = (Integral, np.integer) if whole else (Real, np.number)
    ok = isinstance(value, number) and not isinstance(value, bool | np.bool_)
    if ok:
        v = float(value)
        left, right = closed in ("both", "left"), closed in ("both", "right")
        ok = (np.isfinite(v)
              and (low is None or (v >= low if left else v > low))
              and (high is None or (v <= high if right else v < high)))
    if not ok:
        expected = _expected(whole, low, high, closed, none)
        raise ValueError(f"The {name!r} parameter must be {expected}. Got {value!r} instead.")
    return int(value) if whole else float(value)


def describe_range(what: str, low=None, high=None, *, low_open: bool = False,
                   high_open: bool = False) -> str:
    """``what`` with its bounds in words, e.g. "a number >= 0 and < 1" (for messages)."""
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return what + (" " + " and ".join(parts) if parts else "")


def _expected(whole: bool, low, high, closed: str, none: bool) -> str:
    text = describe_range("a whole number" if whole else "a number", low, high,
                          low_open=closed not in ("both", "left"),
                          high_open=closed not in ("both", "right"))
    return text + (" or None" if none else "")


def check_choice(value: Any, name: str, options: Sequence[str]) -> str:
    """``value`` if it is one of ``options``.

    >>> check_choice("fifo", "allocation", ALLOCATIONS)
    'fifo'
    >>> check_choice("lifo", "allocation", ALLOCATIONS)
    Traceback (most recent call last):
    ...
    ValueError: The 'allocation' parameter must be one of ('fifo', 'priority'). Got 'lifo' instead.
    """
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"The {name!r} parameter must be one of {tuple(options)}. "
                         f"Got {value!r} instead.")
    return value


def check_options(allocation: Any, shipping: Any) -> tuple[str, str]:
    """The allocation and shipping rules, checked."""
    return (check_choice(allocation, "allocation", ALLOCATIONS),
            check_choice(shipping, "shipping", SHIPPING))


def check_max_wait_days(value: Any) -> float | None:
    """A time limit [days] >= 0, or None for none (infinity means none too).

    >>> check_max_wait_days(30), check_max_wait_days(None), check_max_wait_days(float("inf"))
    (30.0, None, None)
    """
    if isinstance(value, Real) and not isinstance(value, bool) and value == float("inf"):
        return None
    return check_scalar(value, "max_wait_days", low=0, none=True)


MAX_REPS = 10**7
"""Most replications of a Monte Carlo: arrays grow with them (10⁷ already needs
gigabytes for a handful of SKUs)."""


def check_n_reps(value: Any, name: str = "n_reps") -> int:
    """A number of replications (a whole number from 1 to :data:`MAX_REPS`)."""
    return check_scalar(value, name, Integral, low=1, high=MAX_REPS)


def check_seed(value: Any) -> int:
    """A seed: a whole number >= 0, or a :class:`numpy.random.Generator`, from which one
    is drawn (so a generator passed twice gives two runs, reproducible from its own seed).

    >>> check_seed(3), check_seed(np.random.default_rng(1)) == check_seed(np.random.default_rng(1))
    (3, True)
    """
    if isinstance(value, np.random.Generator):
        return int(value.integers(0, 2**63 - 1))
    return check_scalar(value, "seed", Integral, low=0)


def check_horizon(value: Any, name: str = "horizon") -> int:
    """A number of periods ahead (a whole number >= 1)."""
    return check_scalar(value, name, Integral, low=1)


def check_days(value: Any, name: str, *, positive: bool = False) -> float:
    """A number of days, >= 0 (or > 0 with ``positive``)."""
    return check_scalar(value, name, low=0, closed="both" if not positive else "right")


def check_probability(value: Any, name: str) -> float:
    """A probability strictly between 0 and 1."""
    return check_scalar(value, name, low=0, high=1, closed="neither")


def check_quantiles(value: Any, name: str = "quantiles", *, empty: bool = True
                    ) -> tuple[float, ...]:
    """Quantile levels strictly between 0 and 1, sorted, without repeats.

    >>> check_quantiles([0.9, 0.5])
    (0.5, 0.9)
    """
    levels = () if value is None else np.atleast_1d(np.asarray(value, dtype=float))
    if np.ndim(levels) > 1 or any(not 0 < q < 1 for q in levels) or (
            not empty and len(levels) == 0):
        raise ValueError(f"The {name!r} parameter must be a sequence of levels strictly "
                         f"between 0 and 1, e.g. (0.5, 0.8, 0.95). Got {value!r} instead.")
    return tuple(sorted({float(q) for q in levels}))


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_n_jobs(value: Any) -> int:
    """A number of threads: a whole number >= 1, or -1 for one per available core.

    >>> check_n_jobs(2), check_n_jobs(-1) >= 1
    (2, True)
    """
    if value == -1 and not isinstance(value, bool):
        return available_cores()
    return check_scalar(value, "n_jobs", Integral, low=1)
