"""Sphinx extension: the notebooks as pages, with the outputs stored in them.

Each ``.ipynb`` under the source folder (``docs/notebooks`` links to the repository's
``notebooks/``) is read with nbformat and turned into MyST Markdown: Markdown cells as
they are, code cells as highlighted blocks, and each output as the notebook shows it
(a PNG figure or an HTML table as raw HTML, the figure embedded; text as a plain block;
a traceback without its colour codes). Nothing is executed: the pages show what the
notebooks stored, which the test suite keeps current by running them. No pandoc, no
kernel, no network.
"""

from __future__ import annotations

import html
import re

import nbformat
from myst_parser.parsers.sphinx_ import MystParser

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
"""Terminal colour codes, as in tracebacks."""

CODE_LEXER = "ipython3"
"""Pygments lexer of the code cells: IPython's, which knows ``%matplotlib`` and ``!cmd``."""


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def _fence(body: str, info: str) -> str:
    """``body`` in a backtick fence longer than any run of backticks inside it."""
    runs = re.findall(r"`+", body)
    ticks = "`" * max(3, 1 + max((len(r) for r in runs), default=0))
    return f"{ticks}{info}\n{body.rstrip()}\n{ticks}\n"


def _raw_html(body: str) -> str:
    return _fence(body, "{raw} html")


def _output(output: dict) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return _fence(ANSI.sub("", _text(output.get("text", ""))), "none")
    if kind == "error":
        return _fence(ANSI.sub("", "\n".join(output.get("traceback", []))), "none")
    data = output.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            alt = html.escape(_text(data.get("text/plain", "figure")).strip(), quote=True)
            src = _text(data[mime]).replace("\n", "")
            return _raw_html(f'<img class="notebook-figure" src="data:{mime};base64,{src}" '
                             f'alt="{alt}"/>')
    if "image/svg+xml" in data:
        return _raw_html(_text(data["image/svg+xml"]))
    if "text/html" in data:
        return _raw_html(f'<div class="notebook-output">\n{_text(data["text/html"])}\n</div>')
    if "text/markdown" in data:
        return _text(data["text/markdown"]) + "\n"
    if "text/plain" in data:
        return _fence(ANSI.sub("", _text(data["text/plain"])), "none")
    return ""


def notebook_to_myst(source: str) -> str:
    """The MyST Markdown of a notebook given as its JSON text."""
    nb = nbformat.reads(source, as_version=4)
    parts: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source.rstrip() + "\n")
        elif cell.cell_type == "code":
            if cell.source.strip():
                parts.append(_fence(cell.source, CODE_LEXER))
            parts.extend(_output(o) for o in cell.get("outputs", []))
        # raw cells are not shown
    return "\n".join(p for p in parts if p)


class NotebookParser(MystParser):
    """MyST's parser, fed the Markdown of a notebook instead of the file's text."""

    supported = ("jupyter_notebook",)

    def parse(self, inputstring: str, document) -> None:
        super().parse(notebook_to_myst(inputstring), document)


def setup(app):
    app.add_source_suffix(".ipynb", "jupyter_notebook")
    app.add_source_parser(NotebookParser)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
