"""``build_report``: the planner's report as HTML, an Excel workbook and CSV files.

The page puts first what a planner acts on (alerts, open-backorder ETAs, SKUs at risk,
safety stock), then the history and the models behind it. Each section is a function of
:mod:`backorder_analytics.report.sections` that returns its HTML and its tables; every
table a section shows is exported in full.
"""

from __future__ import annotations

import contextlib
import functools
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from ..data.dataset import Dataset
from ..data.formats import release_unused_memory
from ..exceptions import BackorderAnalyticsError, MissingData
from ..planning.run import STEP_NAMES, PlanningRun
from ..planning.run import plan as plan_run
from .config import ReportConfig, apply_as_of, load_config
from .context import Context, Part, Table
from .export import write_csv, write_xlsx
from .glossary import definitions
from .html import Section, paragraph, render_page
from .publish import ReportError, staged
from .sections import SECTIONS

__all__ = ["build_report", "ReportWarning"]


class ReportWarning(UserWarning):
    """A section of the report could not be computed (the rest was written)."""


def _failed(title: str, anchor: str, err: str) -> Part:
    body = paragraph(f"This section could not be computed from this data: {err}", "note")
    warnings.warn(f"report section {title!r} could not be computed: {err}", ReportWarning,
                  stacklevel=3)
    return Part(Section(anchor, title, body))


def build_report(ds: Dataset | str | os.PathLike, out_dir: str | os.PathLike,
                 config: ReportConfig | Mapping | str | os.PathLike | None = None, *,
                 plan: PlanningRun | None = None, title: str | None = None,
                 progress: bool = True, client: Any = None) -> Path:
    """Write the report for a dataset: ``index.html``, ``report.xlsx``, ``tables/*.csv``.

    Every number comes from one planning run (:func:`~backorder_analytics.plan`):
    its steps are computed first, once each, then the sections show them.
    Sections, in page order: overview, data health (rows rejected on load), alerts,
    open-backorder ETAs, SKUs at risk, safety stock (with trade-off curves), the
    replayed backorder history (waits, ageing, timeline), the demand forecast (fan
    charts), demand classes, lead times, the tables loaded. A section the data cannot
    support (say, lead times with no received PO) says why, and a
    :class:`ReportWarning` is issued; the rest is written.

    Parameters
    ----------
    ds : Dataset, or str or path of a folder partitioned by SKU
        The validated data (see :func:`read_dataset` or :func:`example_dataset`); or,
        for a business too big for one process, a folder written with
        ``write_dataset(ds, folder, partition_by="sku_hash")``: the report is then
        built **out of core** on Dask (``client``, else the config's ``[report]
        scheduler``, else a local cluster; ``"synchronous"``: in this process, no
        Dask), each worker reading its partitions of the folder, with the numbers of
        the report of the whole dataset in one process
        (:mod:`~backorder_analytics.report.out_of_core`).
    out_dir : str or path
        Folder to write into; created if missing. The report is written into a fresh
        folder beside it and swapped in only once complete
        (:mod:`~backorder_analytics.report.publish`): a build that fails or is killed
        leaves the previous report as it was, never a mix; files of your own in the
        folder are kept; symbolic links in it are replaced, not followed; builds into
        one folder queue.
    config : ReportConfig, dict, path to a TOML file, or None
        Settings (see :mod:`backorder_analytics.report.config`); None: the defaults.
        Its ``[data]`` section is not used here (``ds`` is the data). Its ``as_of``,
        when set, replaces the data's: an earlier one gives the report as it would
        have been on that day (:meth:`Dataset.as_at`).
    plan : PlanningRun, optional
        The planning run to show (:func:`~backorder_analytics.plan`), with any steps
        computed already; default ``plan(ds, config.settings)``, on Dask when the
        config's ``[report] scheduler`` is set. Its settings are the report's; it must
        be the run of ``ds``.
    title : str, optional
        Page title; overrides the config's.
    progress : bool, default True
        Show a progress bar over the report's steps.
    client : distributed.Client, str, "local" or "synchronous", optional
        Compute the planning run on Dask (:func:`~backorder_analytics.plan` with
        ``client=``); overrides the config's ``[report] scheduler``. Needs the
        ``dask`` extra, except ``"synchronous"``: the partitions one after another in
        this process, which for a folder partitioned by SKU is the report with the
        least memory (one partition's work at a time).

    Returns
    -------
    pathlib.Path
        ``out_dir/index.html``, or ``out_dir`` itself when no HTML was asked for.

    Raises
    ------
    ConfigError
        A bad config.
    ReportError
        The folder cannot be written (``out_dir`` is a file, no permission, disk
        full); the previous report is unchanged.

    Examples
    --------
    >>> import backorder_analytics as ba
    >>> ds = ba.example_dataset(seed=0)
    >>> path = ba.build_report(ds, "report", {"report": {"n_reps": 20}},
    ...                        progress=False)                       # doctest: +SKIP
    >>> path.name                                                    # doctest: +SKIP
    'index.html'
    """
    config = load_config(config)
    if title is not None:
        config = replace(config, title=title)
    scheduler = client if client is not None else config.report.scheduler
    ctx: Context
    if not isinstance(ds, Dataset):  # a folder partitioned by SKU: out of core
        if plan is not None:
            raise ValueError("The 'plan' parameter needs a Dataset; an out-of-core report "
                             "(a folder given) computes its own run.")
        # imported here: dask is an optional dependency
        from ..distributed.engine import DaskEngine
        from .out_of_core import out_of_core_context

        with DaskEngine("local" if scheduler is None else scheduler,
                        progress=progress) as engine:
            ctx = out_of_core_context(engine, ds, config)
        n = len(ctx.rejected)  # in one process the Dataset says so; here, the report
        if n:
            rows = f"{n:,} rows were" if n != 1 else "1 row was"
            warnings.warn(f"{rows} rejected on load; see the report's Data health "
                          "section.", ReportWarning, stacklevel=2)
        steps: list[tuple[str, Callable[[], object]]] = []
    else:
        if plan is None and scheduler is not None:  # every step on Dask
            plan = plan_run(apply_as_of(ds, config.as_of), config.settings,
                            client=scheduler, n_partitions=config.report.partitions,
                            progress=progress)
        elif plan is None:
            plan = PlanningRun(apply_as_of(ds, config.as_of), config.settings)
        elif not isinstance(plan, PlanningRun) or plan.ds is not ds:
            raise ValueError("The 'plan' parameter must be the PlanningRun of the 'ds' "
                             "given (ba.plan(ds, ...)).")
        ctx = Context(plan, config)
        steps = [(name.replace("_", " "), _shared(plan, name)) for name in STEP_NAMES]
    parts: dict[str, Part] = {}
    written: dict[str, Path] = {}

    def write(fmt: str, out: Path) -> Callable[[], None]:
        def step() -> None:
            ordered = [parts[s.anchor] for s in sorted(SECTIONS, key=lambda s: s.position)]
            tables = _tables(ordered)
            if fmt == "csv":
                written[fmt] = out / "tables"
                write_csv({t.name: t.frame for t in tables}, written[fmt])
            elif fmt == "xlsx":
                written[fmt] = write_xlsx({t.name: t.frame for t in tables},
                                          out / "report.xlsx", _contents(tables, ordered))
            else:
                page = render_page(config.title, _subtitle(ctx.as_of, config),
                                   [p.section for p in ordered])
                written[fmt] = out / "index.html"
                written[fmt].write_text(page, encoding="utf-8")
        return step

    steps += [(spec.title.lower(), functools.partial(_run, spec, ctx, parts))
              for spec in SECTIONS]
    import matplotlib

    final = Path(os.path.abspath(out_dir))
    with staged(final) as stage:
        steps += [(f"write {fmt}", write(fmt, stage)) for fmt in config.report.outputs]
        bar = tqdm(steps, desc="report", disable=not progress, unit="step")
        # names are data, not TeX: a SKU like "A$\\B$" must not be parsed as mathtext
        with matplotlib.rc_context({"text.parse_math": False}):
            for name, step in bar:
                bar.set_postfix_str(name)
                try:
                    step()
                    release_unused_memory()
                except OSError as err:
                    if not name.startswith("write "):
                        raise
                    raise ReportError(f"The report could not be written ({name}: {err}); "
                                      f"the previous report in {str(final)!r}, if any, is "
                                      "unchanged.") from err
    return final / "index.html" if "html" in written else final


def _shared(plan: PlanningRun, name: str) -> Callable[[], None]:
    """Step ``name`` of the run, computed before the sections that share it."""
    def step() -> None:         # a failure here: the sections that need it say why
        with contextlib.suppress(BackorderAnalyticsError, ValueError):
            plan.get(name)
    return step


def _run(spec, ctx: Context, parts: dict[str, Part]) -> None:
    """Build one section; a failure costs that section only (a nightly run still
    delivers the rest), is shown in its place and issued as a :class:`ReportWarning`."""
    try:
        parts[spec.anchor] = spec.build(ctx)
    except MissingData as err:                                # data it needs is not given
        parts[spec.anchor] = Part(Section(spec.anchor, spec.title, paragraph(
            f"Not available for this data: {err}", "note")))
    except (BackorderAnalyticsError, ValueError) as err:      # the data cannot support it
        parts[spec.anchor] = _failed(spec.title, spec.anchor, str(err))
    except Exception as err:                                  # noqa: BLE001  (a bug)
        parts[spec.anchor] = _failed(spec.title, spec.anchor,
                                     f"unexpected {type(err).__name__}: {err}")


def _tables(parts: list[Part]) -> list[Table]:
    tables = [t for p in parts for t in p.tables]
    tables.append(Table("definitions", definitions({t.name: t.frame for t in tables}),
                        "What the columns of the tables mean, with their units."))
    names = [t.name for t in tables]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RuntimeError(f"Two report tables share the name(s) {dupes}.")
    return tables


def _contents(tables: list[Table], parts: list[Part]) -> pd.DataFrame:
    section_of = {t.name: p.section.title for p in parts for t in p.tables}
    return pd.DataFrame({"table": [t.name for t in tables],
                         "section": [section_of.get(t.name, "(the workbook)") for t in tables],
                         "rows": [len(t.frame) for t in tables],
                         "description": [t.description for t in tables]})


def _subtitle(as_of: pd.Timestamp, config: ReportConfig) -> str:
    when = as_of.strftime("%Y-%m-%d %H:%M")
    return (f"Data as of {when} · {config.service.describe()} · "
            f"{config.policy.describe()}")
