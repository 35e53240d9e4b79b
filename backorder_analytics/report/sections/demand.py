"""Demand and its classes; the demand forecast with fan charts."""

from __future__ import annotations

import numpy as np

from ... import plotting
from ...forecasting import forecast
from ...forecasting.demand import demand_series
from ..context import Context, Part, Table, table_block
from ..html import Section, figure_html, new_axes, new_axes_grid, paragraph, table_html

__all__ = ["demand", "demand_forecast"]


def demand(ctx: Context) -> Part:
    weekly, classes = ctx.weekly, ctx.classes
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
    table = Table("demand_classes",
                  classes.reset_index()[["sku", "category", "mean_demand", "adi", "cv2",
                                         "nonzero", "periods"]].sort_values(["category", "sku"]),
                  "Demand class per SKU from its weekly series (ADI, CV²).")
    body = (paragraph("Demand is classified per SKU on its weekly series (Syntetos, Boylan "
                      "and Croston, 2005): ADI is the average interval between weeks with "
                      "demand, CV² the squared variation of the non-zero weekly sizes; "
                      "cut-offs 1.32 and 0.49.")
            + f'<div class="figures">{scatter}{bars}</div>'
            + table_html(counts.to_frame())
            + "<h3>Weekly demand, busiest SKU of each category</h3>" + lines
            + paragraph("Complete weeks only: a week still under way at as_of is left out.",
                        "note")
            + "<h3>Every SKU</h3>" + table_block(table, max_rows=20))
    return Part(Section("demand", "Demand and its classes", body), [table])


def demand_forecast(ctx: Context) -> Part:
    f = ctx.config.forecast
    weekly = f.freq == "W"
    y = ctx.weekly if weekly else demand_series(ctx.ds, freq="D", complete_periods=True)
    model = list(f.model) if isinstance(f.model, tuple) else f.model
    fc = forecast(y, horizon=f.periods, model=model, quantiles=f.quantiles, seed=ctx.seed)
    unit = "week" if weekly else "day"
    models = fc.summary.rename(columns={"total": "total_demand",
                                        "per_period": f"demand_per_{unit}"})
    models.insert(0, "category", ctx.classes["category"].reindex(models.index).astype(str))
    if fc.backtest_ is not None:
        scores = fc.backtest_.scores("rmsse")
        models["backtest_rmsse"] = [scores.at[s, m] if m in scores.columns else np.nan
                                    for s, m in zip(models.index, models["model"], strict=True)]
    models = models.rename_axis("sku").reset_index()
    frame = fc.to_frame()
    tables = [Table("forecast", frame, f"Forecast per SKU and {unit}: mean and quantiles "
                                       f"[units per {unit}]."),
              Table("forecast_models", models, "Model chosen per SKU and the demand it "
                                               "forecasts over the horizon.")]
    skus = [s for s in ctx.busiest() if s in fc.skus]
    if skus:
        axes = new_axes_grid(len(skus), width=11, height_each=2.8, ncols=2)
        for ax, sku in zip(axes, skus, strict=True):
            fc.plot(sku, ax=ax, history=26 if weekly else 90)
            ax.tick_params(labelbottom=True)
        charts = figure_html(axes[0].figure, "forecast fan charts of the busiest SKUs")
    else:
        charts = ""
    used = models["model"].value_counts().rename_axis("model").rename("SKUs").to_frame()
    body = (paragraph(f"{fc.horizon} {unit}s ahead from {fc.dates[0].date()}, model chosen "
                      f"per SKU by rolling-origin backtest ('{f.model}'); the bands run from "
                      f"the median to the {', '.join(f'{q:.0%}' for q in f.quantiles if q > .5)}"
                      " quantiles of the forecast's sample paths.")
            + "<h3>Busiest SKUs</h3>" + charts
            + "<h3>Models used</h3>" + table_html(used)
            + reconciliation_note(fc)
            + "<h3>Per SKU</h3>" + table_block(tables[1], max_rows=15))
    return Part(Section("forecast", "Demand forecast", body), tables)


def reconciliation_note(fc) -> str:
    """One sentence on top-down reconciliation, when the forecast considered it."""
    rec = fc.reconciliation_
    if rec is None:
        return ""
    if rec.applied:
        what = (f"Every SKU's forecast was scaled by {rec.factor:.3f} so that they add up "
                f"to the forecast of their total ({rec.total_model})")
    else:
        what = (f"Scaling the SKUs to the forecast of their total ({rec.total_model}, "
                f"factor {rec.factor:.3f}) was considered and not applied")
    return paragraph(f"{what}: {rec.reason}.", "note")
