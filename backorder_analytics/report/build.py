"""``build_report``: the planner's report as one self-contained HTML page.

Sections so far: overview, data health (rows rejected on load), the tables loaded,
demand classification with charts. Later sections (forecasts, lead times, the
backorder queue, safety stock, ETAs, risk, alerts) are added as those parts land.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from .. import plotting
from ..dataset import Dataset
from ..demand import classify_demand, demand_series
from .html import (
    Section,
    figure_html,
    new_axes,
    new_axes_grid,
    paragraph,
    render_page,
    table_html,
)

__all__ = ["build_report"]


def _overview(ds: Dataset, classes: pd.DataFrame) -> Section:
    orders = ds.orders
    facts = pd.DataFrame(
        {
            "value": [
                str(ds.as_of.date()),
                f"{len(ds.skus):,}",
                f"{len(orders):,}",
                f"{int(orders['quantity'].sum()):,}",
                f"{orders['order_date'].min().date()} to {orders['order_date'].max().date()}",
                f"{len(ds.purchase_orders):,}",
                f"{len(ds.open_purchase_orders):,}",
                f"{len(ds.rejected):,}",
            ]
        },
        index=[
            "as of",
            "SKUs",
            "order lines",
            "units ordered",
            "orders placed",
            "purchase-order lines",
            "open at as of",
            "rows rejected on load",
        ],
    )
    return Section("overview", "Overview", table_html(facts))


def _data_health(ds: Dataset) -> Section:
    if ds.rejected.empty:
        body = paragraph("Every row loaded: no row was rejected.")
    else:
        by_reason = (ds.rejected.assign(reason=ds.rejected["reason"].str.split("; "))
                     .explode("reason").groupby(["table", "reason"]).size()
                     .rename("rows").reset_index())
        n = len(ds.rejected)
        rows = f"{n:,} rows were" if n != 1 else "1 row was"
        body = (paragraph(f"{rows} set aside on load and are not in any figure below. "
                          "Fix them at the source and run again.")
                + table_html(by_reason, index=False)
                + "<h3>First rejected rows</h3>"
                + table_html(ds.rejected[["table", "source", "row", "reason"]], max_rows=20,
                             index=False))
    return Section("data-health", "Data health", body)


def _tables(ds: Dataset) -> Section:
    summary = ds.summary.copy()
    for col in ("first_date", "last_date"):
        summary[col] = summary[col].dt.strftime("%Y-%m-%d")
    return Section("tables", "Tables loaded", table_html(summary))


def _demand(ds: Dataset, weekly: pd.DataFrame, classes: pd.DataFrame) -> Section:
    counts = classes["category"].value_counts().rename_axis("category").rename("SKUs")
    volume = weekly.groupby("sku")["demand"].sum()
    examples = (classes.assign(volume=volume).sort_values("volume", ascending=False)
                .groupby("category", observed=True).head(1))
    scatter = figure_html(plotting.plot_demand_classes(classes, ax=new_axes(6, 4.5)).figure,
                          "ADI against CV² per SKU")
    bars = figure_html(plotting.plot_category_counts(classes, ax=new_axes(5, 3)).figure,
                       "SKUs per category")
    if len(examples):
        axes = new_axes_grid(len(examples), width=10, height_each=2.2)
        for ax, (sku, row) in zip(axes, examples.iterrows(), strict=True):
            plotting.plot_demand(weekly, skus=[sku], ax=ax, title=f"{sku}: {row['category']}")
        lines = figure_html(axes[0].figure, "weekly demand of the busiest SKU in each category")
    else:
        lines = paragraph("No complete week of demand yet.")
    table = classes.reset_index()[["sku", "category", "mean_demand", "adi", "cv2", "nonzero",
                                   "periods"]].sort_values(["category", "sku"])
    body = (paragraph("Demand is classified per SKU on its weekly series (Syntetos, Boylan "
                      "and Croston, 2005): ADI is the average interval between weeks with "
                      "demand, CV² the squared variation of the non-zero weekly sizes; "
                      "cut-offs 1.32 and 0.49.")
            + f'<div class="figures">{scatter}{bars}</div>'
            + table_html(counts.to_frame())
            + "<h3>Weekly demand, busiest SKU of each category</h3>" + lines
            + paragraph("Complete weeks only: a week still under way at as_of is left out.",
                        "note")
            + "<h3>Every SKU</h3>" + table_html(table, max_rows=500, index=False))
    return Section("demand", "Demand and its classes", body)


def build_report(ds: Dataset, out_dir: str | os.PathLike, *, title: str = "Backorder report",
                 progress: bool = True) -> Path:
    """Write the report for a dataset as ``out_dir/index.html`` (self-contained).

    Parameters
    ----------
    ds : Dataset
        The validated data (see :func:`read_dataset` or :func:`example_dataset`).
    out_dir : str or path
        Folder to write into; created if missing.
    title : str
        Page title.
    progress : bool
        Show a progress bar over the report's steps.

    Returns
    -------
    pathlib.Path
        Path of ``index.html``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    state: dict[str, pd.DataFrame] = {}

    def prepare() -> None:
        state["weekly"] = demand_series(ds, freq="W", complete_periods=True)
        state["classes"] = classify_demand(state["weekly"])

    steps: list[tuple[str, Callable[[], object]]] = [
        ("demand series", prepare),
        ("overview", lambda: _overview(ds, state["classes"])),
        ("data health", lambda: _data_health(ds)),
        ("tables", lambda: _tables(ds)),
        ("demand", lambda: _demand(ds, state["weekly"], state["classes"])),
    ]
    sections = []
    bar = tqdm(steps, desc="report", disable=not progress, unit="step")
    for name, step in bar:
        bar.set_postfix_str(name)
        result = step()
        if isinstance(result, Section):
            sections.append(result)
    page = render_page(title, f"Data as of {ds.as_of.date()}", sections)
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
