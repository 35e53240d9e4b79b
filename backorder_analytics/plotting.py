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


def _axes(ax: Axes | None, figsize=(7, 4), layout: str | None = "constrained") -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize, layout=layout)
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
    from matplotlib import ticker

    ax = _axes(ax, figsize=(6, 4.5))
    many = len(classes) > 300  # thousands of SKUs: small, see-through points
    for category, group in classes.groupby("category", observed=True):
        ax.scatter(group["adi"], group["cv2"], s=8 if many else 18,
                   alpha=0.5 if many else 1.0, linewidths=0,
                   label=f"{category} ({len(group):,})",
                   color=CATEGORY_COLORS.get(str(category), "#333333"))
    ax.axvline(adi_cutoff, color="grey", linestyle="--", linewidth=0.8)
    ax.axhline(cv2_cutoff, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xscale("log")
    # plain numbers (1, 2, 5, 10), not TeX: the report turns math text off
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(ticker.FuncFormatter(
        lambda v, _: f"{v:g}" if f"{v:g}"[0] in "25" else ""))
    ax.set_xlabel("ADI, average inter-demand interval [periods]")
    ax.set_ylabel("CV² of demand sizes")
    ax.set_title("Demand classes (Syntetos–Boylan–Croston)")
    if len(classes):
        ax.legend(fontsize="small", markerscale=2 if many else 1)
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


__all__ += ["plot_lead_times"]


def plot_lead_times(model, ax: Axes | None = None, group=None, max_groups: int = 6) -> Axes:
    """Lead-time CDFs of a fitted :class:`~backorder_analytics.leadtime.model.LeadTimeModel`:
    the Kaplan–Meier curve (open POs censored, solid steps), the completed-only
    empirical curve (open POs ignored, dotted) and the model's fitted CDF (thin line).

    Parameters
    ----------
    model : LeadTimeModel
        A fitted model; its ``curves(group)`` supplies the arrays drawn.
    ax : matplotlib Axes, optional
    group : hashable, optional
        One group to draw; default the first ``max_groups`` groups, one colour each.
    max_groups : int, default 6

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    groups = [group] if group is not None else list(model.groups_)[:max_groups]
    for i, g in enumerate(groups):
        c = model.curves(g)
        color = f"C{i % 10}"
        ax.step(c["km_time"], c["km_cdf"], where="post", color=color, linewidth=1.5,
                label=f"{g}: Kaplan–Meier (censored)")
        ax.step(c["completed_time"], c["completed_cdf"], where="post", color=color,
                linestyle=":", linewidth=1, label=f"{g}: completed POs only")
        ax.plot(c["grid"], c["fitted_cdf"], color=color, linewidth=0.8, alpha=0.8,
                label=f"{g}: fitted")
    ax.set_xlabel("lead time [days]")
    ax.set_ylabel("share of POs received")
    ax.set_ylim(0, 1.02)
    ax.set_title("Lead times")
    ax.legend(fontsize="x-small", loc="lower right")
    return ax


def plot_backtest(summary: pd.DataFrame, metric: str = "rmsse",
                  ax: Axes | None = None) -> Axes:
    """Mean backtest score per model (horizontal bars, best at the top).

    Parameters
    ----------
    summary : pandas.DataFrame
        ``BacktestResult.summary``: one row per model, a column per metric.
    metric : str, default "rmsse"
        Column drawn.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, figsize=(6, 0.35 * len(summary) + 1.2))
    values = summary[metric].sort_values(ascending=False)
    ax.barh([str(m) for m in values.index], values.to_numpy(), color="#7570b3")
    ax.set_xlabel(f"mean {metric}")
    ax.set_title(f"Backtest: {metric} by model")
    return ax


def plot_forecast(history_dates, history, dates, mean, quantiles, quantile_values,
                  title: str = "", ax: Axes | None = None) -> Axes:
    """Fan chart: history, the point forecast and bands between quantile forecasts.

    Parameters
    ----------
    history_dates, history : array_like
        Past periods and demand [units per period].
    dates, mean : array_like
        Future periods and point forecasts.
    quantiles : sequence of float
        Levels of the rows of ``quantile_values``.
    quantile_values : array_like, shape (n_quantiles, h)
        Quantile forecasts. A level above 0.5 whose mirror (``1 − q``) is given shades
        the central band between them (e.g. 5–95 %, 20–80 %), wider bands lighter; a
        level without its mirror is shaded from the median (or the mean) up to it.
    title : str
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import numpy as np

    ax = _axes(ax)
    ax.plot(history_dates, history, color="#333333", linewidth=1, label="history")
    qs = list(quantiles)
    qv = np.asarray(quantile_values, dtype=float)
    base = qv[qs.index(0.5)] if 0.5 in qs else np.asarray(mean, dtype=float)
    upper = sorted((q for q in qs if q > 0.5), reverse=True)

    def row(level):
        return next((k for k, q in enumerate(qs) if np.isclose(q, level)), None)

    for i, q in enumerate(upper):
        low = row(1 - q)
        label = f"{1 - q:.0%}–{q:.0%}" if low is not None else f"median to q{q:g}"
        ax.fill_between(dates, qv[low] if low is not None else base, qv[qs.index(q)],
                        step="mid", color="#1b9e77", alpha=0.15 + 0.15 * i, linewidth=0,
                        label=label)
    ax.plot(dates, mean, color="#d95f02", linewidth=1.5, label="mean")
    ax.set_xlabel("date")
    ax.set_ylabel("units per period")
    ax.set_title(title or "Forecast")
    ax.legend(loc="upper left", fontsize="small")
    return ax


__all__ += ["plot_backtest", "plot_forecast"]


def plot_replay_waits(waits, ax: Axes | None = None, title: str = "", bins: int = 40) -> Axes:
    """Histogram of the waits of backordered order lines (from
    :meth:`backorder_analytics.simulation.replay.ReplayResult.plot`).

    Parameters
    ----------
    waits : array_like
        Wait of each backordered, fully shipped line [days].
    ax : matplotlib Axes, optional
    title : str
    bins : int, default 40

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    ax.hist(waits, bins=bins, color="#7570b3")
    ax.set_xlabel("wait of a backordered line [days]")
    ax.set_ylabel("order lines")
    ax.set_title(f"Backorder waits: {title}" if title else "Backorder waits")
    return ax


def plot_replay_ageing(buckets, lines, units, ax: Axes | None = None,
                       title: str = "") -> Axes:
    """Open backorders at ``as_of`` per age bucket: lines (bars) with their units as labels.

    Parameters
    ----------
    buckets : sequence of str
        Age bucket labels, in order ("0-3", …) [days].
    lines, units : array_like
        Open lines and open units in each bucket.
    ax : matplotlib Axes, optional
    title : str

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, figsize=(6, 3.5))
    bars = ax.bar(list(buckets), lines, color="#d95f02")
    ax.bar_label(bars, labels=[f"{int(u):,} u" for u in units], fontsize="small")
    ax.set_xlabel("age of the open backorder [days]")
    ax.set_ylabel("open order lines")
    ax.set_title(f"Open backorders by age: {title}" if title else "Open backorders by age")
    return ax


def plot_replay_timeline(dates, on_hand, backordered, ax: Axes | None = None,
                         title: str = "") -> Axes:
    """Stock on hand and backordered units at the end of each day of a replay.

    Parameters
    ----------
    dates : array_like of datetime
    on_hand, backordered : array_like
        Units on hand and units backordered, end of day.
    ax : matplotlib Axes, optional
    title : str

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, figsize=(8, 4))
    ax.step(dates, on_hand, where="post", color="#1b9e77", linewidth=1, label="on hand")
    ax.step(dates, backordered, where="post", color="#d95f02", linewidth=1,
            label="backordered")
    ax.set_xlabel("date")
    ax.set_ylabel("units (end of day)")
    ax.set_title(f"Replay: {title}" if title else "Replay")
    ax.legend(loc="upper left", fontsize="small")
    return ax


__all__ += ["plot_replay_waits", "plot_replay_ageing", "plot_replay_timeline"]


def plot_wait_survival(t, survival, promise_days=None, title: str | None = None,
                       ax: Axes | None = None) -> Axes:
    """Wait-time survival curve of customer lines, P(wait > t), as steps.

    Parameters
    ----------
    t, survival : array_like
        Jump points [days] and the share of lines waiting longer than each (from
        :meth:`backorder_analytics.simulation.SimulationResult.wait_survival`).
    promise_days : sequence of float, optional
        Delivery promises [days], drawn as dotted vertical lines.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    ax.step(t, survival, where="post", color="#d95f02", linewidth=1.5)
    for d in promise_days or ():
        ax.axvline(d, color="#999999", linestyle=":", linewidth=0.8)
    ax.set_xlabel("wait [days]")
    ax.set_ylabel("P(wait > t)")
    ax.set_ylim(0, 1.02)
    ax.set_title(title or "Wait of customer lines")
    return ax


__all__ += ["plot_wait_survival"]


def plot_safety_stock_tradeoff(safety_stock, service, mean_wait, *, chosen, analytic,
                               target_level=None, service_label: str = "fill rate",
                               title: str = "", ax: Axes | None = None) -> Axes:
    """Service (left axis) and mean wait (right axis) against safety stock for one SKU
    (from :meth:`backorder_analytics.planning.safety_stock.SafetyStockRecommendation.plot`).

    Parameters
    ----------
    safety_stock : array_like
        Safety stock of each level searched [units].
    service : array_like
        Service achieved at each level (fill rate or cycle service level).
    mean_wait : array_like
        Mean wait per unit at each level [days], drawn on a second y axis.
    chosen, analytic : float
        The simulated choice and the analytic answer [units], as vertical lines.
    target_level : float, optional
        The service target, as a horizontal line (None for a wait target).
    service_label : str, default "fill rate"
    title : str
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The service axes (the wait axes is its twin).
    """
    ax = _axes(ax, figsize=None, layout=None)
    ax.plot(safety_stock, service, marker=".", label=service_label)
    if target_level is not None:
        ax.axhline(target_level, color="gray", lw=0.8, ls=":", label="target")
    ax.axvline(chosen, color="C2", label="simulated")
    ax.axvline(analytic, color="C3", ls="--", label="analytic")
    ax.set_xlabel("safety stock [units]")
    ax.set_ylabel("service")
    ax.set_title(title)
    twin = ax.twinx()
    twin.plot(safety_stock, mean_wait, color="C1", alpha=0.6)
    twin.set_ylabel("mean wait per unit [days]")
    ax.legend(loc="lower right")
    return ax


__all__ += ["plot_safety_stock_tradeoff"]


SEVERITY_COLORS = {"high": "#d62728", "medium": "#ff7f0e", "low": "#999999"}


def plot_alert_counts(summary: pd.DataFrame, ax: Axes | None = None,
                      title: str = "Alerts") -> Axes:
    """Alert counts by kind (rows) and severity (stacked horizontal bars), from
    :attr:`backorder_analytics.planning.alerts.Alerts.summary`.

    Parameters
    ----------
    summary : pandas.DataFrame
        Index: alert kinds; columns ``high``, ``medium``, ``low`` (counts).
    ax : matplotlib Axes, optional
    title : str

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    kinds = [str(k).replace("_", " ") for k in summary.index]
    left = [0] * len(kinds)
    for sev in ("high", "medium", "low"):
        counts = summary[sev].tolist()
        ax.barh(kinds, counts, left=left, color=SEVERITY_COLORS[sev], label=sev)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("alerts")
    ax.set_title(title)
    # beside the bars, never over one
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small",
              title="severity", frameon=False)
    return ax


__all__ += ["plot_alert_counts"]


def plot_backorder_risk(skus, p_backorder, expected_units, ax: Axes | None = None,
                        title: str = "Backorder risk") -> Axes:
    """Horizontal bars of P(new backorder) per SKU, riskiest at the top, each labelled
    with its expected backordered units (from
    :meth:`backorder_analytics.planning.risk.BackorderRisk.plot`).

    Parameters
    ----------
    skus : sequence
        SKU labels, riskiest first.
    p_backorder : array_like
        Probability of at least one new backorder within the horizon.
    expected_units : array_like
        Expected backordered units within the horizon [units].
    ax : matplotlib Axes, optional
    title : str

    Returns
    -------
    matplotlib.axes.Axes
    """
    labels = [str(s) for s in skus]
    ax = _axes(ax, figsize=(7, max(2.5, 0.3 * len(labels) + 1)))
    pos = list(range(len(labels)))[::-1]
    bars = ax.barh(pos, list(p_backorder), color="#d95f02", alpha=0.8)
    ax.bar_label(bars, labels=[f"{u:,.0f} u" for u in expected_units], padding=3,
                 fontsize="small")
    ax.set_yticks(pos, labels)
    ax.set_xlim(0, 1.15)
    ax.set_xlabel("P(new backorder within the horizon); label: expected units backordered")
    ax.set_title(title)
    return ax


__all__ += ["plot_backorder_risk"]


def plot_eta(frame: pd.DataFrame, ax: Axes | None = None, *, as_of=None,
             low: str = "eta_p50", mid: str = "eta_p80", high: str = "eta_p95",
             title: str = "") -> Axes:
    """Ship-date ranges of open backorder lines as horizontal bars (from
    :meth:`backorder_analytics.planning.eta.BackorderETA.plot`).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per bar, drawn top to bottom: a ``label`` (else ``order_id``, optional
        ``line_id`` and ``sku``), the ``low`` / ``mid`` / ``high`` ETA columns and
        ``limit_date`` (timestamps; NaT ETAs lie beyond the horizon and are drawn to
        the edge).
    ax : matplotlib Axes, optional
    as_of : pandas.Timestamp, optional
        "Today", a dotted vertical line.
    low, mid, high : str
        Columns for the bar's ends and its marker.
    title : str

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, figsize=(8, max(2.5, 0.22 * len(frame) + 1)))
    y = list(range(len(frame)))[::-1]
    end = pd.concat([frame[c] for c in (low, mid, high, "limit_date")]).max()
    hi = frame[high].fillna(end)
    ax.hlines(y, frame[low].fillna(end), hi, color="#1f77b4", linewidth=4, alpha=0.6,
              label=f"{low[4:]}–{high[4:]}")
    ax.plot(frame[mid].fillna(end), y, "|", color="#08306b", markersize=10, label=mid[4:])
    ax.plot(frame["limit_date"], y, "x", color="#d62728", label="limit")
    if as_of is not None:
        ax.axvline(as_of, color="#999999", linestyle=":", linewidth=1)
    if "label" in frame:
        labels = frame["label"].astype(str)
    else:
        tag = frame["order_id"].astype(str)
        if "line_id" in frame:
            tag = tag + "/" + frame["line_id"].astype(str)
        labels = tag + " " + frame["sku"].astype(str)
    ax.set_yticks(y, labels.tolist(), fontsize="small")
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_xlabel("ship date of the last unit")
    ax.set_title(title or "Open backorders: ETA")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    return ax


def plot_eta_coverage(nominal, coverage, ax: Axes | None = None,
                      n_lines: int | None = None) -> Axes:
    """Backtest calibration of ETA quantiles: observed coverage against nominal level
    (from :meth:`backorder_analytics.planning.eta.ETABacktest.plot`).

    Parameters
    ----------
    nominal, coverage : array_like
        Quantile levels and the share of lines that shipped by each.
    ax : matplotlib Axes, optional
    n_lines : int, optional
        Lines behind the figures, shown in the title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], color="#999999", linestyle=":", linewidth=1)
    ax.plot(nominal, coverage, "o-", color="#d95f02")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("nominal quantile")
    ax.set_ylabel("share shipped by the ETA")
    ax.set_title("ETA calibration" + (f" ({n_lines:,} lines)" if n_lines else ""))
    return ax


__all__ += ["plot_eta", "plot_eta_coverage"]
