""":func:`~backorder_analytics.forecast` by SKU partition on Dask, with the numbers of
one process.

The stages of :class:`~backorder_analytics.forecasting.core.ForecastPass` run on each
partition and stay on its worker; between them the driver reduces the two global
inputs from what the partitions send back, in the SKUs' order:

1. backtest (per SKU) → per-SKU selection scores → **class means** (driver);
2. choice and fit (per SKU) → sums of demand, the point forecasts and their backtest
   forecasts → the forecast of the total and each window's factor (driver) → each
   SKU's RMSSE raw and reconciled (per SKU) → the **reconciliation** (driver);
3. distributions and quantiles (per SKU) → the parts, put together.

:func:`backtest_partitioned`, the backtest alone, has no global input: each
partition's SKUs are backtested on a worker, except by a model fitted on all the
series at once (``global_gbm``), which is backtested on the driver meanwhile.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from ..forecasting.backtest import BacktestResult, backtest_panel, uses_all_series
from ..forecasting.core import Forecast, ForecastGlobals, ForecastPass, class_scores_of
from ..forecasting.panel import Panel
from ..forecasting.probabilistic import PathSampler, stream_keys
from ..forecasting.reconcile import reconciliation_of
from .engine import DaskEngine, partition_labels
from .partition import sku_partitions

__all__ = ["forecast_partitioned", "forecast_stages", "backtest_partitioned"]


def _backtest(run: ForecastPass) -> ForecastPass:
    run.backtest(keep_means=True)
    return run


def _select_and_fit(run: ForecastPass, scores) -> ForecastPass:
    run.select_and_fit(scores)
    return run


def forecast_partitioned(engine: DaskEngine, y, horizon: int, **options) -> Forecast:
    """:func:`~backorder_analytics.forecast` of ``y`` on ``engine``'s cluster (the
    options are the forecast's; no ``global_inputs``)."""
    run = ForecastPass.start(y, horizon, **options)
    skus = run.panel.skus
    rows = sku_partitions(skus, engine.n_partitions)
    parts = engine.scatter([run.part(r) for r in rows])
    pieces, g = forecast_stages(engine, parts, rows, skus, run)
    return concat_forecasts(engine.gather(pieces, "forecast: paths"), rows, run, g)


def forecast_stages(engine: DaskEngine, parts: list, rows: list[np.ndarray], skus: pd.Index,
                    run: ForecastPass) -> tuple[list, ForecastGlobals]:
    """The stages of a forecast whose partitions ``parts`` (futures of
    :class:`ForecastPass`, the SKUs at ``rows`` of ``skus``, on one calendar) are on
    the workers: each partition's forecast (futures, left there) and the global
    inputs. ``run``: the call's settings (a pass over the same calendar)."""
    labels = partition_labels(skus, rows)
    parts = engine.each(_backtest, parts, step="forecast: backtest", labels=labels)
    scores = None
    if run.selecting and run.windows:
        tables = engine.map(ForecastPass.score_table, parts, step="forecast: scores",
                            labels=labels)
        scores = class_scores_of(_score_table_in_order(tables, rows, skus, run))
    parts = engine.each(_select_and_fit, parts, scores, step="forecast: fit", labels=labels)
    rec = None
    if run.considers_reconciliation(len(skus)):
        inputs = engine.map(ForecastPass.reconciliation_inputs, parts,
                            step="forecast: totals", labels=labels)

        def scores_at(factors):
            return engine.map(ForecastPass.reconciliation_scores, parts, factors,
                              step="forecast: reconciliation", labels=labels)

        rec = reconciliation_of(inputs, rows, run.reconcile, run.windows, run.step,
                                scores_at)
    g = ForecastGlobals(class_scores=scores, reconciliation=rec, settings=run.settings)
    return engine.each(ForecastPass.finish, parts, g, step="forecast: paths",
                       labels=labels), g


def _score_table_in_order(tables, rows, skus, run: ForecastPass
                          ) -> tuple[pd.DataFrame, pd.Series]:
    """The partitions' per-SKU score tables as one, in the SKUs' and the models' order
    of one process (so that class means are summed, and ties broken, as there)."""
    order = skus[np.sort(np.concatenate(rows))]
    cls = pd.concat([t[1] for t in tables]).reindex(order)
    finite = pd.concat([t[0] for t in tables])
    models = [m for m in run.candidates(cls) if m in finite.columns]
    return finite.reindex(index=order, columns=models), cls


def concat_forecasts(pieces: list[Forecast], rows: list[np.ndarray], run: ForecastPass,
                     g: ForecastGlobals) -> Forecast:
    """One :class:`Forecast` of all the SKUs from the partitions' forecasts."""
    panel, first = run.panel, pieces[0]
    n = len(panel.skus)

    def placed(values: list[np.ndarray]) -> np.ndarray:
        out = np.empty((n, *values[0].shape[1:]), dtype=values[0].dtype)
        for r, v in zip(rows, values, strict=True):
            out[r] = v
        return out

    sampler = PathSampler.combine([(r, p.path_sampler())
                                   for r, p in zip(rows, pieces, strict=True)],
                                  n, keys=stream_keys(panel.skus))
    model = pd.concat([p.model_ for p in pieces]).reindex(panel.skus)
    classes = (None if first.classes_ is None else
               pd.concat([p.classes_ for p in pieces]).reindex(panel.skus))
    return Forecast(
        skus=panel.skus, dates=first.dates, mean=placed([p.mean for p in pieces]),
        quantiles=first.quantiles,
        quantile_values=placed([p.quantile_values for p in pieces]),
        model_=model, seed=first.seed, n_paths=first.n_paths, history=panel,
        sampler=sampler, backtest_=_concat_backtests([p.backtest_ for p in pieces], rows),
        classes_=classes, reconciliation_=first.reconciliation_, global_inputs_=g)


def _concat_backtests(parts: list[BacktestResult | None],
                      rows: list[np.ndarray]) -> BacktestResult | None:
    """The partitions' backtests as one (``means`` on the whole forecast's rows)."""
    if parts[0] is None:
        return None
    done = cast("list[BacktestResult]", parts)  # every partition backtests, or none does
    first = done[0]
    means = None
    kept = [p.means for p in done if p.means is not None]
    if len(kept) == len(done):  # every partition kept its means
        means = {}
        for name in dict.fromkeys(m for own in kept for m in own):
            got = [(r[own[name][0]], own[name][1])
                   for r, own in zip(rows, kept, strict=True) if name in own]
            where = np.concatenate([w for w, _ in got])
            order = np.argsort(where, kind="stable")
            means[name] = (where[order], np.concatenate([a for _, a in got], axis=1)[:, order])
    frame = pd.concat([p.frame for p in done], ignore_index=True)
    return BacktestResult(frame=frame, horizon=first.horizon, windows=first.windows,
                          step=first.step, quantiles=first.quantiles, means=means,
                          starts=first.starts)


def backtest_partitioned(engine: DaskEngine, panel: Panel, models: list[str], horizon,
                         windows, step, quantiles, n_paths, seed) -> BacktestResult:
    """:func:`~backorder_analytics.backtest` of ``panel`` (``models`` checked) on
    ``engine``: each partition's SKUs on a worker; the models fitted on all the series
    at once (``global_gbm``) on the driver meanwhile, on all of them, as one process
    fits them; the rows in the order of one process."""
    design = (horizon, windows, step, quantiles, n_paths, seed)
    together = [m for m in models if uses_all_series(m)]
    apart = [m for m in models if m not in together]
    rows = sku_partitions(panel.skus, engine.n_partitions)
    if not (apart and rows):
        return backtest_panel(panel, models, *design)
    parts = [Panel(panel.skus[r], panel.dates, panel.values[r], panel.freq) for r in rows]
    futures = engine.each(backtest_panel, engine.scatter(parts), apart, *design,
                          step="backtest", labels=partition_labels(panel.skus, rows))
    here = [backtest_panel(panel, together, *design)] if together else []
    return BacktestResult.concat(engine.gather(futures, "backtest") + here, panel.skus,
                                 models)
