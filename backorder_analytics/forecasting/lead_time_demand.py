"""Demand over a lead time that is itself random: :func:`lead_time_demand`.

Each forecast sample path is summed over ⌊L⌋ periods plus the fractional part of the
next, with L drawn from the lead-time distribution, path by path: the draws are the
distribution of lead-time demand that a reorder point must cover.

References
----------
Silver, E. A., Pyke, D. F. & Thomas, D. J. (2017). *Inventory and Production
Management in Supply Chains*, 4th ed., CRC Press, section 6.11 (demand over a random
lead time: ``E = μ·E[L]``, ``Var = E[L]·σ² + μ²·Var(L)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["LeadTimeDemand", "lead_time_demand"]


@dataclass
class LeadTimeDemand:
    """Distribution of total demand over a random lead time, per SKU.

    Attributes
    ----------
    skus : pandas.Index
        One entry per row of ``draws``.
    draws : numpy.ndarray, shape (n_sku, n)
        Simulated lead-time demand [units].
    lead_times : numpy.ndarray, shape (n,) or (n_sku, n)
        The lead times drawn [periods].
    quantiles : tuple of float
        Levels reported by :meth:`to_frame`.
    """

    skus: pd.Index
    draws: np.ndarray
    lead_times: np.ndarray
    quantiles: tuple[float, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per SKU: ``mean``, ``std`` (ddof 1) and one column ``q<level>`` each.

        Quantiles are inverted-CDF sample quantiles (whole numbers for count paths
        and whole lead times)."""
        frame = pd.DataFrame({
            "sku": self.skus,
            "mean": self.draws.mean(axis=1),
            "std": self.draws.std(axis=1, ddof=1) if self.draws.shape[1] > 1 else np.nan,
        })
        if self.quantiles:
            qs = np.quantile(self.draws, self.quantiles, axis=1, method="inverted_cdf")
            for level, values in zip(self.quantiles, qs, strict=True):
                frame[f"q{level:g}"] = values
        return frame

    @property
    def summary(self) -> pd.DataFrame:
        """Same as :meth:`to_frame`, indexed by ``sku``."""
        return self.to_frame().set_index("sku")

    def __repr__(self) -> str:
        lt = np.asarray(self.lead_times, dtype=float)
        return (f"LeadTimeDemand({len(self.skus)} SKUs × {self.draws.shape[1]} draws; "
                f"lead time mean {lt.mean():.3g} periods, sd {lt.std():.3g}; "
                f"mean demand {self.draws.mean():.4g})")

    def _repr_html_(self) -> str:
        head = f"<p><b>{self.__repr__()}</b></p>"
        return head + self.summary.head(20).to_html(float_format=lambda v: f"{v:.4g}")


def _grouped_draws(lead_time: Any, n: int, labels: pd.Index, groups: Any,
                   rng: np.random.Generator) -> np.ndarray:
    """Draws (n_sku, n): each SKU's from its group's distribution, one ``.sample`` call
    per group (not per SKU)."""
    if not (hasattr(lead_time, "sample") and callable(lead_time.sample)):
        raise TypeError("The 'groups' parameter needs a lead-time model with "
                        ".sample(n, group=..., rng=...), e.g. fit_lead_times(...). "
                        f"Got {lead_time!r:.60}.")
    of_sku = pd.Series(groups).reindex(labels)
    missing = labels[of_sku.isna().to_numpy()]
    if len(missing):
        raise ValueError(f"The 'groups' mapping has no group for SKU(s) "
                         f"{', '.join(map(str, missing[:5]))}. Expected one group (e.g. "
                         "supplier_id) per forecast SKU, e.g. "
                         "ds.items.set_index('sku')['supplier_id'].")
    codes, unique = pd.factorize(of_sku)
    draws = np.empty((len(labels), n))
    for g, group in enumerate(unique):
        rows = np.flatnonzero(codes == g)
        sample = np.asarray(lead_time.sample(n * len(rows), group=group, rng=rng), dtype=float)
        draws[rows] = sample.reshape(len(rows), n)
    return draws


def _lead_time_draws(lead_time: Any, n: int, n_sku: int,
                     rng: np.random.Generator) -> np.ndarray:
    if np.isscalar(lead_time) and isinstance(lead_time, int | float | np.number):
        draws = np.full(n, float(lead_time))
    elif hasattr(lead_time, "sample") and callable(lead_time.sample):
        draws = lead_time.sample(n, rng=rng)
        draws = draws.to_numpy() if hasattr(draws, "to_numpy") else np.asarray(draws)
    elif hasattr(lead_time, "rvs") and callable(lead_time.rvs):
        draws = np.asarray(lead_time.rvs(size=n, random_state=rng))
    else:
        try:
            values = np.asarray(lead_time, dtype=float)
        except (TypeError, ValueError):
            values = np.empty((0,))
        if values.ndim == 1 and len(values):
            draws = values[rng.integers(len(values), size=n)]
        elif values.ndim == 2 and values.shape[0] == n_sku and values.shape[1]:
            pick = rng.integers(values.shape[1], size=(n_sku, n))
            draws = np.take_along_axis(values, pick, axis=1)
        else:
            raise TypeError(
                "The 'lead_time' parameter must be a number of periods, a frozen scipy "
                "distribution, an array of lead-time draws (shape (k,) or (n_sku, k)), or "
                f"an object with .sample(n, rng=...). Got {lead_time!r:.60}."
            )
    draws = np.asarray(draws, dtype=float)
    if draws.shape not in ((n,), (n_sku, n)):
        raise ValueError(
            f"The lead-time draws must have shape ({n},) or ({n_sku}, {n}); got "
            f"{draws.shape}. A lead-time model's .sample(n) must return n draws."
        )
    if (~np.isfinite(draws)).any() or (draws < 0).any():
        raise ValueError("Lead times must be finite and >= 0 periods; the draws include "
                         f"{draws[(~np.isfinite(draws)) | (draws < 0)][:3]}.")
    return draws


def lead_time_demand(
    fc_or_paths: Any,
    lead_time: Any,
    n: int | None = None,
    quantiles: Sequence[float] = (0.5, 0.9, 0.95, 0.99),
    seed: int = 0,
    skus: Sequence | None = None,
    groups: Any = None,
) -> LeadTimeDemand:
    """Distribution of total demand over a lead time that may itself be random.

    Draw ``k`` pairs a lead time ``L_k`` with a demand path ``Y_k`` and sums the path
    over ``⌊L_k⌋`` whole periods plus the fraction ``L_k − ⌊L_k⌋`` of the next one::

        D_k = Σ_{j=1}^{⌊L_k⌋} Y_{k,j} + (L_k − ⌊L_k⌋) · Y_{k,⌊L_k⌋+1}

    so that ``E[D] = μ·E[L]`` exactly for a stationary mean ``μ`` and, for whole
    lead times independent of demand, ``Var[D] = E[L]·σ² + μ²·Var(L)`` (Silver, Pyke
    & Thomas, 2017, §6.11).

    Parameters
    ----------
    fc_or_paths : Forecast or array_like
        A :class:`~backorder_analytics.forecasting.Forecast` (its paths are drawn), or
        paths of shape ``(n_sku, n_paths, h)`` or ``(n_paths, h)`` [units per period].
    lead_time : float, frozen scipy distribution, array_like or lead-time model
        In periods of the forecast (days for a daily forecast). A number is a fixed
        lead time; a frozen ``scipy.stats`` distribution is sampled with ``.rvs``; a
        1-D array is an empirical distribution (resampled with replacement), a 2-D
        array ``(n_sku, k)`` one per SKU; any object with ``.sample(n, rng=...)``
        (e.g. :class:`~backorder_analytics.leadtime.model.LeadTimeModel`) is sampled
        with it (convert days to periods first when the forecast is not daily).
    n : int, optional
        Draws per SKU. Default: the number of paths given, or 1,000 for a Forecast.
        Draw ``k`` uses path ``k`` when ``n`` equals the number of paths, else a path
        picked at random.
    quantiles : sequence of float, default (0.5, 0.9, 0.95, 0.99)
        Levels reported by :meth:`LeadTimeDemand.to_frame`.
    seed : int, default 0
        Seed for the lead times, the path picks and a Forecast's paths.
    skus : sequence, optional
        Labels of the rows of array paths (default 0, 1, …).
    groups : mapping or pandas.Series, optional
        The lead-time group of every SKU, e.g. its supplier:
        ``ds.items.set_index("sku")["supplier_id"]``. With a lead-time model (an object
        with ``.sample(n, group=..., rng=...)``, such as a
        :class:`~backorder_analytics.leadtime.model.LeadTimeModel` fitted by supplier), each
        SKU's lead times are drawn from its own group's distribution.

    Returns
    -------
    LeadTimeDemand
        ``.to_frame()``: per SKU ``mean``, ``std`` and quantiles [units];
        ``.draws`` ``(n_sku, n)``.

    Raises
    ------
    ValueError
        A lead time drawn is negative, or longer than the paths (forecast a longer
        horizon).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> paths = rng.poisson(2.0, size=(1, 20_000, 10))
    >>> ltd = lead_time_demand(paths, lead_time=np.array([2, 4]), seed=1)
    >>> round(float(ltd.draws.mean()), 1)                # 2 · E[L] = 6
    6.0
    """
    rng = np.random.default_rng(seed)
    if hasattr(fc_or_paths, "paths") and callable(fc_or_paths.paths):
        n = 1000 if n is None else int(n)
        paths = np.asarray(fc_or_paths.paths(n, seed=seed), dtype=float)
        labels = pd.Index(fc_or_paths.skus, name="sku")
    else:
        paths = np.asarray(fc_or_paths, dtype=float)
        if paths.ndim == 2:
            paths = paths[None]
        if paths.ndim != 3:
            raise ValueError("Paths must have shape (n_sku, n_paths, h) or (n_paths, h); "
                             f"got {paths.shape}.")
        labels = pd.Index(range(paths.shape[0]) if skus is None else list(skus), name="sku")
        if len(labels) != paths.shape[0]:
            raise ValueError(f"{len(labels)} sku labels for {paths.shape[0]} rows of paths.")
    n_sku, n_paths, h = paths.shape
    n = n_paths if n is None else int(n)
    if n < 1:
        raise ValueError(f"The 'n' parameter must be >= 1. Got {n}.")
    if groups is None:
        lt = _lead_time_draws(lead_time, n, n_sku, rng)
    else:
        lt = _grouped_draws(lead_time, n, labels, groups, rng)
        if (~np.isfinite(lt)).any() or (lt < 0).any():
            raise ValueError("Lead times must be finite and >= 0 periods.")
    whole = np.floor(lt).astype(np.int64)
    frac = lt - whole
    need = np.where(frac > 0, whole + 1, whole)
    if need.max(initial=0) > h:
        raise ValueError(
            f"A lead time of {lt.max():.4g} periods was drawn but the paths cover only "
            f"h={h} periods. Forecast with horizon >= {int(need.max())} (or cap the "
            "lead-time distribution)."
        )
    if n == n_paths:
        picked = paths
    else:
        pick = rng.integers(n_paths, size=(n_sku, n))
        picked = np.take_along_axis(paths, pick[:, :, None], axis=1)
    cum = np.concatenate([np.zeros((n_sku, n, 1)), np.cumsum(picked, axis=2)], axis=2)
    whole_b = np.broadcast_to(whole, (n_sku, n))[:, :, None]
    frac_b = np.broadcast_to(frac, (n_sku, n))
    total = np.take_along_axis(cum, whole_b, axis=2)[:, :, 0]
    nxt = np.take_along_axis(picked, np.minimum(whole_b, h - 1), axis=2)[:, :, 0]
    total = total + np.where(frac_b > 0, frac_b * nxt, 0.0)
    return LeadTimeDemand(skus=labels, draws=total, lead_times=lt,
                          quantiles=tuple(float(q) for q in quantiles))
