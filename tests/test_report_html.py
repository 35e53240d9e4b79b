"""Report HTML helpers: a chart laid out and drawn once is the chart savefig draws."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pandas as pd
import pytest

from backorder_analytics.report.html import figure_html, new_axes, new_axes_grid

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")


def draw_grid():
    """Two rows of two Axes with dates, long tick labels, titles and a legend."""
    axes = new_axes_grid(3, width=8, height_each=2.5, ncols=2)
    days = pd.date_range("2024-01-01", periods=60)
    for k, ax in enumerate(axes):
        ax.plot(days, np.arange(60) * 10 ** (k + 3), label=f"series {k}")
        ax.set_title(f"SKU-{k:04d}: a title long enough to matter")
        ax.set_ylabel("units per day")
        ax.legend()
    return axes[0].figure


def draw_one():
    ax = new_axes(5.2, 3.4)
    ax.bar(["0-3", "4-7", "8-14", "31+"], [120, 45, 3, 1])
    ax.set_xlabel("age [days]")
    return ax.figure


def pixels(img_tag: str) -> np.ndarray:
    data = base64.b64decode(re.search(r'base64,([^"]+)"', img_tag).group(1))
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


@pytest.mark.parametrize("draw", [draw_grid, draw_one])
def test_figure_is_the_one_savefig_draws(draw):
    mine = pixels(figure_html(draw(), "chart"))
    buffer = io.BytesIO()
    draw().savefig(buffer, format="png", dpi=100)  # lays out in a draw, then draws
    theirs = np.asarray(Image.open(buffer).convert("RGBA"))
    np.testing.assert_array_equal(mine, theirs)


def test_figure_alt_text_is_escaped():
    assert 'alt="a &lt;b&gt; &amp; c"' in figure_html(draw_one(), "a <b> & c")


def test_figure_without_axes():
    from matplotlib.figure import Figure

    assert pixels(figure_html(Figure(figsize=(2, 1), layout="constrained"), "")).shape == \
        (100, 200, 4)
