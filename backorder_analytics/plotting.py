"""Plots: ``plot_*(…, ax=None) -> Axes``. Matplotlib is imported inside each function;
nothing here computes anything beyond arranging what it is given."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_demand", "plot_demand_classes", "plot_category_counts"]

CATEGORY_COLORS = {
    "smooth": "#1b9e77",
    "erratic": "#d95f02",
    "intermittent": "#7570b3",
    "lumpy": "#e7298a",
    "no demand": "#999999",
}


def _axes(ax: Axes | None, figsize=(7, 4)) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_demand(y: pd.DataFrame, skus=None, ax: Axes | None = None,
                title: str = "Demand") -> Axes:
    """Demand over time for a few SKUs.

    Parameters
    ----------
    y : pandas.DataFrame
        Long demand frame ``sku, date, demand`` (see :func:`demand_series`).
    skus : list of str, optional
        Which SKUs to draw; default the first three.
    ax : matplotlib Axes, optional
    title : str

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    skus = list(skus) if skus is not None else list(pd.unique(y["sku"]))[:3]
    for sku in skus:
        one = y[y["sku"] == sku]
        ax.plot(one["date"], one["demand"], label=str(sku), linewidth=1)
    ax.set_xlabel("date")
    ax.set_ylabel("units ordered")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_demand_classes(classes: pd.DataFrame, adi_cutoff: float = 1.32,
                        cv2_cutoff: float = 0.49, ax: Axes | None = None) -> Axes:
    """ADI against CV² per SKU, coloured by demand category, with the cut-offs.

    Parameters
    ----------
    classes : pandas.DataFrame
        Output of :func:`classify_demand` (columns ``adi``, ``cv2``, ``category``).
    adi_cutoff, cv2_cutoff : float
        Lines drawn at the Syntetos–Boylan–Croston cut-offs.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, figsize=(6, 4.5))
    for category, group in classes.groupby("category", observed=True):
        ax.scatter(group["adi"], group["cv2"], s=18, label=f"{category} ({len(group)})",
                   color=CATEGORY_COLORS.get(category, "#333333"))
    ax.axvline(adi_cutoff, color="grey", linestyle="--", linewidth=0.8)
    ax.axhline(cv2_cutoff, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("ADI, average inter-demand interval [periods]")
    ax.set_ylabel("CV² of demand sizes")
    ax.set_title("Demand classes (Syntetos–Boylan–Croston)")
    ax.legend(fontsize="small")
    return ax


def plot_category_counts(classes: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Number of SKUs per demand category (bar chart)."""
    ax = _axes(ax, figsize=(5, 3))
    counts = classes["category"].value_counts()
    ax.bar(counts.index, counts.to_numpy(),
           color=[CATEGORY_COLORS.get(c, "#333333") for c in counts.index])
    ax.set_ylabel("SKUs")
    ax.set_title("SKUs per demand category")
    return ax
