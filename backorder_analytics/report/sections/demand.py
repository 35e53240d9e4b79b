"""Demand and its classes; the demand forecast with fan charts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from ... import plotting
from ..context import Context, Part, Table, table_block
from ..html import Section, figure_html, new_axes, new_axes_grid, paragraph, table_html

__all__ = ["demand", "demand_forecast", "forecast_report", "ForecastReport"]


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


WEEK_DAYS = 7
PATH_CELLS = 1 << 21
"""Sample-path values (SKUs × paths × days) held at once when summing days into weeks:
8 MB of float32, and a few times that in the sampler's working arrays (a block of 500
SKUs of 1,000 paths over 28 days took 220 MB)."""


@dataclass
class ForecastView:
    """The run's daily forecast as the report shows it: per period (days, or 7-day
    blocks from the first forecast day) the mean and the quantiles of the summed
    sample paths, and the history at the same frequency."""

    skus: pd.Index
    dates: pd.DatetimeIndex
    mean: np.ndarray
    quantiles: tuple[float, ...]
    quantile_values: np.ndarray
    history: pd.DataFrame
    unit: str

    def to_frame(self, models: pd.Series) -> pd.DataFrame:
        n, h = self.mean.shape
        frame = pd.DataFrame({"sku": np.repeat(self.skus.to_numpy(), h),
                              "date": np.tile(self.dates.to_numpy(), n),
                              "model": np.repeat(models.reindex(self.skus).to_numpy(), h),
                              "mean": self.mean.reshape(-1)})
        for i, q in enumerate(self.quantiles):
            frame[f"q{q:g}"] = self.quantile_values[:, i, :].reshape(-1)
        return frame


def forecast_view(fc, periods: int, weekly: bool, weekly_history: pd.DataFrame
                  ) -> ForecastView:
    """The daily forecast ``fc`` over ``periods`` days or 7-day blocks."""
    if not weekly:
        h = periods
        return ForecastView(fc.skus, fc.dates[:h], fc.mean[:, :h], fc.quantiles,
                            fc.quantile_values[:, :, :h], fc.history.to_frame(), "day")
    days = periods * WEEK_DAYS
    n = len(fc.skus)
    mean = fc.mean[:, :days].reshape(n, periods, WEEK_DAYS).sum(axis=2)
    qv = np.empty((n, len(fc.quantiles), periods))
    block = max(1, PATH_CELLS // max(1, fc.n_paths * days))
    for lo in range(0, n, block):
        skus = fc.skus[lo:lo + block]
        paths = fc.paths(skus=skus)[:, :, :days]
        sums = paths.reshape(len(skus), paths.shape[1], periods, WEEK_DAYS).sum(axis=3)
        qv[lo:lo + len(skus)] = np.moveaxis(
            np.quantile(sums, fc.quantiles, axis=1), 0, 1)
    return ForecastView(fc.skus, fc.dates[:days:WEEK_DAYS], mean, fc.quantiles, qv,
                        weekly_history, "week")


CHART_QUANTILES = (0.05, 0.2, 0.5, 0.8, 0.95)
"""Levels of the fan charts: the 5–95 % and 20–80 % bands, downside and upside."""


def chart_bands(fc, row: int, periods: int, weekly: bool) -> np.ndarray:
    """:data:`CHART_QUANTILES` of one SKU's sample paths per day or 7-day block,
    shape (levels, periods)."""
    paths = fc.paths(skus=[fc.skus[row]])[0]  # (n_paths, horizon)
    if weekly:
        days = periods * WEEK_DAYS
        paths = paths[:, :days].reshape(len(paths), periods, WEEK_DAYS).sum(axis=2)
    return np.quantile(paths[:, :periods], CHART_QUANTILES, axis=0)


@dataclass
class ForecastReport:
    """What the forecast section shows, computed from a forecast (or put together
    from the forecasts of partitions of the SKUs, :meth:`concat`): the per-period
    table, the per-SKU models table (SKUs in the forecast's order), the periods, the
    fan-chart inputs of the SKUs charted and the reconciliation."""

    frame: pd.DataFrame
    models: pd.DataFrame
    dates: pd.DatetimeIndex
    charts: dict[Any, tuple[pd.DataFrame, np.ndarray, np.ndarray, str]]
    """sku -> (its recent history ``date, demand``, mean, :data:`CHART_QUANTILES`
    bands, model)."""
    reconciliation: Any

    @classmethod
    def concat(cls, parts: list[ForecastReport]) -> ForecastReport:
        """One from those of disjoint sets of SKUs of one forecast, SKUs in order."""
        charts = {k: v for p in parts for k, v in p.charts.items()}
        return cls(frame=pd.concat([p.frame for p in parts], ignore_index=True)
                   .sort_values("sku", kind="stable", ignore_index=True),
                   models=pd.concat([p.models for p in parts], ignore_index=True)
                   .sort_values("sku", kind="stable", ignore_index=True),
                   dates=parts[0].dates, charts=charts,
                   reconciliation=parts[0].reconciliation)


def forecast_report(fc, periods: int, weekly: bool, weekly_history: pd.DataFrame,
                    classes: pd.DataFrame, chart_skus: list) -> ForecastReport:
    """The forecast section's tables and charts of the daily forecast ``fc``."""
    view = forecast_view(fc, periods, weekly, weekly_history)
    models = fc.summary.rename(columns={"total": "total_demand",
                                        "per_period": "demand_per_day"})
    models["total_demand"] = view.mean.sum(axis=1)
    models.insert(0, "category", classes["category"].reindex(models.index).astype(str))
    if fc.backtest_ is not None:
        scores = fc.backtest_.scores("rmsse")
        models["backtest_rmsse"] = [scores.at[s, m] if m in scores.columns else np.nan
                                    for s, m in zip(models.index, models["model"], strict=True)]
    models = models.rename_axis("sku").reset_index()
    charts = {}
    hist = view.history
    for sku in (s for s in chart_skus if s in fc.skus):
        i = cast(int, fc.skus.get_loc(sku))  # the SKUs are unique: one position
        past = hist[hist["sku"] == sku].tail(26 if weekly else 90)
        charts[sku] = (past[["date", "demand"]], view.mean[i],
                       chart_bands(fc, i, periods, weekly), str(fc.model_.iloc[i]))
    return ForecastReport(view.to_frame(fc.model_), models, view.dates, charts,
                          fc.reconciliation_)


def demand_forecast(ctx: Context) -> Part:
    f = ctx.config.forecast
    weekly = f.freq == "W"
    report = ctx.forecast_report(ctx.busiest())
    unit = "week" if weekly else "day"
    models, frame = report.models, report.frame
    tables = [Table("forecast", frame, f"Forecast per SKU and {unit}: mean and quantiles "
                                       f"[units per {unit}]."),
              Table("forecast_models", models, "Model chosen per SKU (on daily demand) and "
                                               "the demand it forecasts over the horizon.")]
    skus = [s for s in ctx.busiest() if s in report.charts]
    if skus:
        axes = new_axes_grid(len(skus), width=11, height_each=2.8, ncols=2)
        for ax, sku in zip(axes, skus, strict=True):
            past, mean, bands, model = report.charts[sku]
            plotting.plot_forecast(past["date"], past["demand"], report.dates, mean,
                                   CHART_QUANTILES, bands, title=f"{sku} — {model}", ax=ax)
            ax.tick_params(labelbottom=True)
        charts = figure_html(axes[0].figure, "forecast fan charts of the busiest SKUs")
    else:
        charts = ""
    used = models["model"].value_counts().rename_axis("model").rename("SKUs").to_frame()
    dates = report.dates
    span = (f"{len(dates)} weeks (7-day periods from {dates[0].date()})"
            if weekly else f"{len(dates)} days from {dates[0].date()}")
    body = (paragraph(f"{span}. One daily forecast serves the whole report (the risk "
                      f"simulates its sample paths); the model is chosen per SKU by "
                      f"rolling-origin backtest on daily demand ('{f.model}'). The charts' "
                      "bands hold 90 % and 60 % of the sample paths (5–95 % and 20–80 % "
                      f"quantiles{', of the paths summed over each week' if weekly else ''}"
                      "); the tables give the "
                      f"{', '.join(f'{q:.0%}' for q in f.quantiles)} quantiles.")
            + "<h3>Busiest SKUs</h3>" + charts
            + "<h3>Models used</h3>" + table_html(used)
            + reconciliation_note(report.reconciliation)
            + "<h3>Per SKU</h3>" + table_block(tables[1], max_rows=15))
    return Part(Section("forecast", "Demand forecast", body), tables)


def reconciliation_note(rec) -> str:
    """One sentence on top-down reconciliation (a forecast's ``reconciliation_``),
    when the forecast considered it."""
    if rec is None:
        return ""
    if rec.applied:
        what = (f"Every SKU's forecast was scaled by {rec.factor:.3f} so that they add up "
                f"to the forecast of their total ({rec.total_model})")
    else:
        what = (f"Scaling the SKUs to the forecast of their total ({rec.total_model}, "
                f"factor {rec.factor:.3f}) was considered and not applied")
    return paragraph(f"{what}: {rec.reason}.", "note")
