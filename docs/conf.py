"""Sphinx configuration of the documentation site: ``make docs`` builds it.

    sphinx-build -W --keep-going -b html docs docs/_build/html

The API reference is generated from the numpydoc docstrings of the names in
``backorder_analytics.__all__`` (``api.rst`` groups them by concept; the build fails
when a public name is missing there). The user guide is README.md, included as it is on
GitHub; the design notes are design.md; the notebooks (``notebooks``, a link to the
repository's folder) are rendered with the outputs stored in them, by the local
extension ``_ext/notebook_pages.py``: nothing is executed and nothing is fetched.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # document this checkout, installed or not
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import backorder_analytics  # noqa: E402

project = "backorder_analytics"
author = "backorder_analytics contributors"
copyright = "backorder_analytics contributors"
release = backorder_analytics.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "notebook_pages",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}  # .ipynb: notebook_pages
root_doc = "index"
exclude_patterns = ["_build", "_templates", "gallery", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]
nitpicky = False

# API reference: one page per public name, generated from the docstrings.
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc "Parameters" sections give the types
autodoc_member_order = "bysource"
autodoc_inherit_docstrings = False
numpydoc_show_class_members = False  # the class template documents the members
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# Markdown (README.md, design.md, the notebooks' Markdown cells).
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

html_theme = "pydata_sphinx_theme"
html_title = f"backorder_analytics {release}"
html_static_path = ["_static"]
html_css_files = ["notebooks.css"]
html_theme_options = {
    "navigation_depth": 3,
    "show_prev_next": False,
}
html_show_sourcelink = False

SKLEARN_PLUMBING = re.compile(r"set_\w+_request$")
"""Methods scikit-learn generates on every estimator (metadata routing)."""


def _skip_member(app, what, name, obj, skip, options):
    if SKLEARN_PLUMBING.match(name):
        return True
    return None


def _check_api_pages(app):
    """Fail the build (a warning, with -W) when a public name has no place in api.rst."""
    from sphinx.util import logging

    text = (HERE / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\s{3,}~?([A-Za-z_][\w.]*)\s*$", text, flags=re.M))
    missing = sorted(set(backorder_analytics.__all__) - listed)
    if missing:
        logging.getLogger(__name__).warning(
            "api.rst does not list these names of backorder_analytics.__all__: %s",
            ", ".join(missing))


def _lookup(dotted: str):
    """The object at a dotted path (module, then attributes), or None."""
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for part in parts[i:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def _public_alias(app, env, node, contnode):
    """Resolve a cross-reference to a public name written with the module that defines it.

    ``:func:`~backorder_analytics.planning.eta.backorder_eta``` (or an unqualified
    ``:func:`replay``` in a module that imports it) names the object documented as
    ``backorder_analytics.backorder_eta``: link it there, and a method or attribute of a
    public class likewise (``...replay_result.ReplayResult.at`` to ``ReplayResult.at``).
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    module = node.get("py:module") or ""
    for candidate in ([target] if target.startswith("backorder_analytics.")
                      else [f"{module}.{target}", f"backorder_analytics.{target}"]):
        parts = candidate.split(".")
        for i in range(len(parts), 1, -1):
            name = parts[i - 1]
            if name not in backorder_analytics.__all__:
                continue
            if _lookup(".".join(parts[:i])) is not getattr(backorder_analytics, name):
                continue
            public = ".".join(["backorder_analytics", name, *parts[i:]])
            return env.get_domain("py").resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], public, node, contnode)
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("missing-reference", _public_alias)
    app.connect("builder-inited", _check_api_pages)
