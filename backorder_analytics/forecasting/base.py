"""The contract every forecasting kernel follows.

A kernel is a pure function on a panel of series::

    kernel(y: np.ndarray, h: int, **params) -> KernelFit

``y`` is a float64 array of shape ``(n_series, n_time)``, one row per SKU, all rows
ending at the same period (the last period before the forecast origin). A series that
starts later is padded with NaN on the left; there is no NaN after a series' first
value. Zeros are real zeros (periods without demand).

Kernels loop over time and are vectorised across series: no Python loop per series.
Parameters are either given (scalars or arrays of shape ``(n_series,)``) or fitted per
series inside the kernel, vectorised (e.g. a grid of smoothing constants evaluated for
all series at once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numba
import numpy as np

__all__ = ["KernelFit", "ModelSpec", "MODELS", "register", "first_valid_index", "as_panel",
           "check_horizon"]


@dataclass
class KernelFit:
    """What a kernel returns.

    Attributes
    ----------
    mean : numpy.ndarray, shape (n_series, h)
        Point forecasts for periods 1..h after the last observation.
    fitted : numpy.ndarray, shape (n_series, n_time)
        One-step-ahead in-sample forecasts: ``fitted[:, t]`` uses ``y[:, :t]`` only.
        NaN where the model has no forecast yet (before a series starts, during
        initialisation).
    params : dict of str to numpy.ndarray
        Parameters per series, each of shape ``(n_series,)`` (fitted or as given).
    """

    mean: np.ndarray
    fitted: np.ndarray
    params: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSpec:
    """A named forecasting method.

    Attributes
    ----------
    name : str
        Name used in ``forecast(model=...)`` and ``backtest(models=[...])``.
    kernel : callable
        ``kernel(y, h, **params) -> KernelFit``.
    family : str
        ``"baseline"``, ``"smoothing"``, ``"intermittent"`` or ``"global"``.
    description : str
        One line for tables and docs, with the reference.
    """

    name: str
    kernel: Callable[..., KernelFit]
    family: str
    description: str


MODELS: dict[str, ModelSpec] = {}


def register(name: str, family: str, description: str):
    """Decorator: add a kernel to :data:`MODELS` under ``name``."""

    def wrap(kernel: Callable[..., KernelFit]) -> Callable[..., KernelFit]:
        MODELS[name] = ModelSpec(name, kernel, family, description)
        return kernel

    return wrap


def first_valid_index(y: np.ndarray) -> np.ndarray:
    """Index of the first non-NaN value of each row (``n_time`` for an all-NaN row)."""
    return _first_valid(np.asarray(y, dtype=np.float64))


@numba.njit(cache=True)
def _first_valid(y):  # pragma: no cover (compiled)
    """:func:`first_valid_index`, each row read up to its first value only."""
    n, t_len = y.shape
    out = np.full(n, t_len, np.int64)
    for i in range(n):
        for t in range(t_len):
            if y[i, t] == y[i, t]:
                out[i] = t
                break
    return out


def observed_at_least(y: np.ndarray, k: int) -> np.ndarray:
    """Whether each row has at least ``k`` non-NaN values (``(~np.isnan(y)).sum(axis=1)
    >= k``, each row read until its ``k``-th)."""
    return _observed_at_least(np.asarray(y, dtype=np.float64), int(k))


@numba.njit(cache=True)
def _observed_at_least(y, k):  # pragma: no cover (compiled)
    n, t_len = y.shape
    out = np.zeros(n, np.bool_)
    for i in range(n):
        seen = 0
        for t in range(t_len):
            if seen >= k:
                break
            if y[i, t] == y[i, t]:
                seen += 1
        out[i] = seen >= k
    return out


def as_panel(y) -> np.ndarray:
    """``y`` as a float64 panel of shape (n_series, n_time); a 1-D series is one row."""
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2:
        raise ValueError(f"The panel 'y' must have shape (n_series, n_time). Got {y.shape}.")
    return y


def check_horizon(h) -> int:
    """The horizon as an int; ``ValueError`` unless a whole number >= 1."""
    if int(h) != h or h < 1:
        raise ValueError(f"The horizon 'h' must be a whole number >= 1. Got {h!r}.")
    return int(h)
