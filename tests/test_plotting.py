"""Charts read correctly: fan charts show the downside, log axes have plain labels
(the report turns TeX math text off), thousands of SKUs stay readable."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from backorder_analytics import plotting

matplotlib.use("Agg")


def band_edges(ax):
    """(lower, upper) y values of each shaded band, in drawing order."""
    edges = []
    for poly in ax.collections:
        ys = poly.get_paths()[0].vertices[:, 1]
        edges.append((round(float(ys.min()), 6), round(float(ys.max()), 6)))
    return edges


def test_fan_chart_shades_central_bands_below_and_above_the_median():
    dates = pd.date_range("2025-01-01", periods=3)
    levels = (0.05, 0.2, 0.5, 0.8, 0.95)
    values = np.array([[1.0] * 3, [2.0] * 3, [3.0] * 3, [4.0] * 3, [5.0] * 3])
    ax = plotting.plot_forecast(dates - pd.Timedelta(days=3), [3, 3, 3], dates, [3, 3, 3],
                                levels, values)
    assert band_edges(ax) == [(1.0, 5.0), (2.0, 4.0)]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "5%–95%" in labels
    assert "20%–80%" in labels


def test_fan_chart_without_lower_levels_shades_from_the_median():
    dates = pd.date_range("2025-01-01", periods=2)
    ax = plotting.plot_forecast(dates, [1, 1], dates, [2, 2], (0.5, 0.9),
                                np.array([[2.0, 2.0], [6.0, 6.0]]))
    assert band_edges(ax) == [(2.0, 6.0)]


@pytest.mark.parametrize("n", [60, 5000])
def test_demand_class_axis_has_plain_labels_without_math_text(n):
    rng = np.random.default_rng(0)
    classes = pd.DataFrame({"adi": rng.uniform(1, 8, n), "cv2": rng.uniform(0, 2, n),
                            "category": rng.choice(["smooth", "lumpy"], n)})
    with matplotlib.rc_context({"text.parse_math": False}):
        ax = plotting.plot_demand_classes(classes)
        ax.figure.canvas.draw()
        labels = [t.get_text() for t in ax.get_xticklabels() + ax.get_xticklabels(minor=True)]
    assert "1" in labels
    assert not any("$" in t or "mathdefault" in t for t in labels)
    sizes = {float(c.get_sizes()[0]) for c in ax.collections}
    assert sizes == ({8.0} if n > 300 else {18.0})


def test_alert_legend_sits_beside_the_bars():
    summary = pd.DataFrame({"high": [3, 0], "medium": [1, 20], "low": [0, 0]},
                           index=["late_po", "status_update_due"])
    ax = plotting.plot_alert_counts(summary)
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    axes = ax.get_window_extent()
    assert legend.x0 >= axes.x1
