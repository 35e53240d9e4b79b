"""Self-contained HTML: one page, inline CSS, charts embedded as PNG data URIs.

Every user-supplied string is escaped (``html.escape``; tables via
``DataFrame.to_html(escape=True)``).
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import re
from dataclasses import dataclass
from string import Template

import pandas as pd

__all__ = ["Section", "new_axes", "new_axes_grid", "figure_html", "table_html", "paragraph",
           "render_page"]

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
       color: #222; background: #fafafa; }
header { background: #1f3a5f; color: white; padding: 1.2em 2em; }
header p { margin: 0.3em 0 0; opacity: 0.85; }
nav { padding: 0.6em 2em; background: #e8edf3; }
nav a { margin-right: 1.2em; color: #1f3a5f; }
main { padding: 0 2em 2em; max-width: 1200px; }
section { background: white; border: 1px solid #ddd; border-radius: 6px;
          padding: 0.5em 1.5em 1em; margin-top: 1.2em; }
.table-wrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left;
         white-space: nowrap; }
th.num, td.num { text-align: right; }
th { background: #f0f3f7; }
table.prose td:nth-last-child(-n+2) { white-space: normal; text-align: left;
                                      min-width: 14em; }
table.prose td.num { white-space: nowrap; text-align: right; min-width: 0; }
img { max-width: 100%; height: auto; }
.note { color: #555; font-size: 0.9em; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
</style>
</head>
<body>
<header><h1>$title</h1><p>$subtitle</p></header>
<nav>$nav</nav>
<main>
$sections
</main>
</body>
</html>
""")


@dataclass
class Section:
    """One section of the report: an anchor id, a title and its HTML body."""

    id: str
    title: str
    body: str


def new_axes(width: float, height: float):
    """Axes on a new figure that belongs to no pyplot state (no backend is touched)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained").add_subplot()


def new_axes_grid(n: int, width: float, height_each: float, ncols: int = 1,
                  sharex: bool = True):
    """``n`` Axes in ``ncols`` columns (stacked by default, sharing the x axis), on a
    new figure outside pyplot; unused cells of the last row are removed."""
    from matplotlib.figure import Figure

    nrows = -(-n // ncols)
    figure = Figure(figsize=(width, height_each * nrows), layout="constrained")
    axes = list(figure.subplots(nrows, ncols, sharex=sharex, squeeze=False).ravel())
    for ax in axes[n:]:
        ax.remove()
    return axes[:n]


DPI = 100
"""Resolution of the charts [dots per inch]."""


def figure_html(fig, alt: str) -> str:
    """A matplotlib figure as an ``<img>`` with an embedded PNG.

    A figure with a layout engine (the constrained layout of :func:`new_axes`) is laid
    out, then drawn once: ``savefig`` would lay it out inside a draw with no output
    and then draw it again. The PNG is the same; the figure keeps its axes where the
    layout put them, and no longer has a layout engine.
    """
    buffer = io.BytesIO()
    engine = fig.get_layout_engine()
    if engine is not None and fig.axes and fig.dpi == DPI:  # savefig lays out at its dpi
        with contextlib.suppress(ValueError):  # as Figure.draw does; savefig then tries
            engine.execute(fig)
            fig.set_layout_engine(None)
    fig.savefig(buffer, format="png", dpi=DPI)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def table_html(frame: pd.DataFrame, max_rows: int = 50, index: bool = True,
               prose: bool = False) -> str:
    """A DataFrame as an escaped HTML table, cut to ``max_rows`` with a note.

    Missing values show as blanks, date-times to the minute (dates alone when every
    one is midnight). ``prose``: the last two columns are sentences (wrapped, left).
    """
    if index and any(n is not None for n in frame.index.names):
        frame, index = frame.reset_index(), False  # its name heads its column: one header row
    shown = frame.head(max_rows).copy()
    for col in shown.columns:
        s = shown[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            whole = bool((s.dropna() == s.dropna().dt.normalize()).all())
            shown[col] = s.dt.strftime("%Y-%m-%d" if whole else "%Y-%m-%d %H:%M").fillna("")
        elif s.dtype == object:
            shown[col] = s.where(s.notna(), "")
    out = shown.to_html(index=index, escape=True, border=0, na_rep="",
                        float_format=_number, classes="prose" if prose else None)
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not
               pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns]
    out = _align_numbers(out, numeric, frame.index.nlevels if index else 0)
    out = f'<div class="table-wrap">{out}</div>'
    if len(frame) > max_rows:
        out += f'<p class="note">First {max_rows:,} of {len(frame):,} rows.</p>'
    return out


def _align_numbers(table: str, numeric: list[bool], n_labels: int) -> str:
    """``table`` (from ``DataFrame.to_html``) with ``class="num"`` on the header and
    cells of the numeric columns: numbers right-aligned, text left."""
    if not any(numeric):
        return table

    def row(match: re.Match) -> str:
        cells = re.split(r"(<t[hd](?=[ >]))", match.group(0))
        out, k = [cells[0]], -1
        for tag, rest in zip(cells[1::2], cells[2::2], strict=True):
            k += 1
            column = k - n_labels
            if 0 <= column < len(numeric) and numeric[column]:
                tag += ' class="num"'
            out.append(tag + rest)
        return "".join(out)

    return re.sub(r"<tr[^>]*>.*?</tr>", row, table, flags=re.S)


def _number(v: float) -> str:
    """Floats for people: 3 significant digits, thousands separated, no exponents."""
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.1e}"


def paragraph(text: str, css_class: str | None = None) -> str:
    """Escaped text in a ``<p>``."""
    cls = f' class="{css_class}"' if css_class else ""
    return f"<p{cls}>{html.escape(text)}</p>"


def render_page(title: str, subtitle: str, sections: list[Section]) -> str:
    """The whole page."""
    nav = "".join(f'<a href="#{html.escape(s.id)}">{html.escape(s.title)}</a>'
                  for s in sections)
    body = "\n".join(f'<section id="{html.escape(s.id)}"><h2>{html.escape(s.title)}</h2>\n'
                     f"{s.body}\n</section>" for s in sections)
    return PAGE.substitute(title=html.escape(title), subtitle=html.escape(subtitle),
                           nav=nav, sections=body)
