"""The ``backorder-analytics`` command: a thin layer over the public API.

Subcommands
-----------
``validate``      load the files, print a summary of the tables and every problem
``report``        write the report (HTML, Excel, CSV) as a ``planning.toml`` describes
``demo``          write the report for a folder of files or the example data
``example-data``  write the example dataset as CSV files

Exit status: 0 on success; 1 when the data has problems (rows rejected on load, a
table that cannot be read, a report section the data cannot support: the report is
still written when it can be); 2 on a usage or configuration error, with the message.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from . import __version__
from .data.loaders import read_dataset, write_dataset
from .exceptions import DataError

TABLE_OPTIONS = ("orders", "purchase_orders", "inventory", "items", "shipments")


def _add_source_arguments(parser: argparse.ArgumentParser, folder_required: bool) -> None:
    parser.add_argument("folder", nargs=None if folder_required else "?",
                        help="folder holding orders.csv, purchase_orders.csv, inventory.csv "
                             "(and optionally items.csv, shipments.csv, dataset.json)")
    for table in TABLE_OPTIONS:
        parser.add_argument(f"--{table.replace('_', '-')}", metavar="FILE",
                            help=f"{table} file (overrides the folder's)")
    parser.add_argument("--as-of", metavar="DATE", help="the date 'today' is (YYYY-MM-DD)")
    parser.add_argument("--column-map", metavar="JSON",
                        help="column map as JSON text or a .json file: "
                             '{"Item": "sku"} or {"orders": {"Item": "sku"}}')
    parser.add_argument("--date-format", metavar="FMT", help="strftime format of the dates")
    parser.add_argument("--dayfirst", action="store_true",
                        help="read 03/04/2024 as 3 April")
    parser.add_argument("--thousands", metavar="SEP", help="thousands separator, e.g. ','")
    parser.add_argument("--encoding", metavar="ENC", help="text encoding (default UTF-8)")


def _column_map(text: str | None):
    if not text:
        return None
    path = Path(text)
    if path.suffix == ".json" and path.exists():
        text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise SystemExit(f"backorder-analytics: --column-map is not valid JSON: {err}") from None


def _load(args: argparse.Namespace, errors: str):
    tables = {t: getattr(args, t) for t in TABLE_OPTIONS if getattr(args, t)}
    options = {k: v for k, v in (("date_format", args.date_format),
                                 ("thousands", args.thousands),
                                 ("encoding", args.encoding)) if v}
    return read_dataset(args.folder, **tables, as_of=args.as_of,
                        column_map=_column_map(args.column_map), errors=errors,
                        dayfirst=args.dayfirst, **options)


def _validate(args: argparse.Namespace) -> int:
    try:
        ds = _load(args, errors="report")
    except FileNotFoundError as err:
        return _usage_error("validate", err)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(repr(ds))
        print()
        print(ds.summary.to_string())
    if ds.rejected.empty:
        print("\nNo problems found.")
        return 0
    print(f"\n{len(ds.rejected):,} rows have problems and were set aside:")
    problems = ds.rejected[["table", "source", "row", "reason"]]
    print(problems.to_string(index=False))
    if args.problems_csv:
        ds.rejected.to_csv(args.problems_csv, index=False)
        print(f"\nRejected rows written to {args.problems_csv}")
    return 1


def _example_dataset(seed: int):
    from .data.example import example_dataset

    return example_dataset(seed=seed)


CONFIG_TEMPLATE = Path(__file__).resolve().parent / "report" / "planning.toml"
"""The commented config of the example data, shipped with the package (the one
``example-data`` writes, and ``data/planning.toml`` of the repository)."""

DEMO_CONFIG = {"policy": {"allocation": "priority", "shipping": "partial",
                          "max_wait_days": 30},
               "service": {"target": "fill_rate", "level": 0.95}}
"""Settings of ``demo`` when the folder has no ``planning.toml`` (those of the example)."""


def _usage_error(command: str, err: Exception) -> int:
    print(f"backorder-analytics {command}: error: {err}", file=sys.stderr)
    return 2


def _write_report(ds, out: str, config, progress: bool) -> int:
    """Build the report; print where it is and any problem; return the exit status."""
    from .report import ReportError, ReportWarning, build_report

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReportWarning)
        try:
            path = build_report(ds, out, config, progress=progress)
        except ReportError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    problems = [str(w.message) for w in caught if issubclass(w.category, ReportWarning)]
    for w in caught:
        if not issubclass(w.category, ReportWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    folder = path.parent if path.suffix == ".html" else path
    outputs = config.report.outputs
    written = [name for fmt, name in (("html", "index.html"), ("xlsx", "report.xlsx"),
                                      ("csv", "tables/*.csv")) if fmt in outputs]
    print(f"Report written to {folder / 'index.html' if 'html' in outputs else folder} "
          f"({', '.join(written)} in {folder})")
    for text in problems:
        print(f"warning: {text}", file=sys.stderr)
    n = len(ds.rejected) if hasattr(ds, "rejected") else 0  # a folder: see Data health
    if n:
        rows = f"{n:,} rows were" if n != 1 else "1 row was"
        print(f"warning: {rows} rejected on load; see the report's Data health section.",
              file=sys.stderr)
    return 1 if problems or n else 0


def _out_of_core(config) -> bool:
    """Whether the report runs out of core: on Dask (a scheduler set), from a
    ``[data] folder`` written partitioned by SKU, with no table from elsewhere."""
    from .report.out_of_core import partitioned_folder

    data = config.data
    return (config.report.scheduler is not None and data.folder is not None
            and not data.files and partitioned_folder(data.folder) is not None)


def _report(args: argparse.Namespace) -> int:
    from .report import ConfigError, load_config, read_configured_dataset

    formats = args.format.split(",") if args.format else None
    try:
        config = load_config(args.config).with_overrides(as_of=args.as_of, outputs=formats,
                                                         title=args.title,
                                                         scheduler=args.scheduler)
        if _out_of_core(config):  # the workers read the folder: not read here
            return _write_report(config.data.folder, args.out, config,
                                 progress=not args.no_progress)
        ds = read_configured_dataset(config)
    except ConfigError as err:
        return _usage_error("report", err)
    except (DataError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    try:
        return _write_report(ds, args.out, config, progress=not args.no_progress)
    except ConfigError as err:
        return _usage_error("report", err)


def _demo(args: argparse.Namespace) -> int:
    from .report import ConfigError, load_config

    args.folder = args.folder or args.data
    config_file = Path(args.folder) / "planning.toml" if args.folder else None
    try:
        config = load_config(config_file if config_file and config_file.is_file()
                             else DEMO_CONFIG)
    except ConfigError as err:
        return _usage_error("demo", err)
    if args.folder:
        try:
            ds = _load(args, errors="report")
        except FileNotFoundError as err:
            return _usage_error("demo", err)
        except DataError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    else:
        ds = _example_dataset(args.seed)
    return _write_report(ds, args.out, config, progress=not args.quiet)


def _write_example(args: argparse.Namespace) -> int:
    folder = write_dataset(_example_dataset(args.seed), args.out)
    (folder / "planning.toml").write_bytes(CONFIG_TEMPLATE.read_bytes())
    print(f"Example dataset (seed {args.seed}) written to {folder}, with planning.toml: "
          f"backorder-analytics report --config {folder / 'planning.toml'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (public for documentation tools and tests)."""
    parser = argparse.ArgumentParser(
        prog="backorder-analytics",
        description="Backorder analytics for inventory planners.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = sub.add_parser("validate", help="load files and report every problem",
                              description="Load the files, print a summary of the tables "
                                          "and every problem found. Exit status 1 if any.")
    _add_source_arguments(validate, folder_required=False)
    validate.add_argument("--problems-csv", metavar="FILE",
                          help="also write the rejected rows to this CSV file")
    validate.set_defaults(run=_validate)

    report = sub.add_parser(
        "report", help="write the report (HTML, Excel, CSV) from a planning.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Load the data a planning.toml names and write the report:\n"
                    "index.html (self-contained), report.xlsx (one sheet per table) and "
                    "tables/*.csv.",
        epilog="The config file (TOML; every key optional, paths relative to it):\n"
               "  title, as_of\n"
               "  [data]     folder, orders, purchase_orders, inventory, items, shipments,\n"
               "             column_map, errors, date_format, dayfirst, thousands,\n"
               "             encoding, sheet_name, query\n"
               "  [service]  target (fill_rate | cycle_service_level | wait_time), level,\n"
               "             days, quantile\n"
               "  [policy]   allocation (fifo | priority), shipping (partial | complete),\n"
               "             max_wait_days, review (continuous | periodic), review_period\n"
               "  [forecast] horizon, freq (D | W), model, quantiles\n"
               "  [risk]     horizon\n"
               "  [alerts]   warn_days, update_every_days\n"
               "  [supply]   lead_time_days (sales-only data)\n"
               "  [report]   outputs, n_reps, seed, charts, n_jobs, scheduler, partitions\n"
               "Example: the planning.toml that 'backorder-analytics example-data' writes\n"
               "beside the example data.\n\n"
               "Exit status: 0 done; 1 data problems (rows rejected, a section the data\n"
               "cannot support: the report is still written when it can be); 2 usage or\n"
               "config error.")
    report.add_argument("--config", required=True, metavar="FILE",
                        help="the planning.toml to run")
    report.add_argument("--out", default="report", metavar="DIR",
                        help="output folder (default: report)")
    report.add_argument("--as-of", metavar="DATE",
                        help="the date 'today' is (YYYY-MM-DD[THH:MM]); overrides the config")
    report.add_argument("--format", metavar="LIST",
                        help="outputs, comma-separated: html,xlsx,csv (default: the "
                             "config's, else all three)")
    report.add_argument("--title", metavar="TEXT", help="page title (overrides the config)")
    report.add_argument("--scheduler", metavar="ADDRESS",
                        help="run the planning on Dask: 'local' (a cluster on this "
                             "machine) or a scheduler address, tcp://host:8786 (overrides "
                             "the config's [report] scheduler; needs the dask extra); "
                             "'synchronous': by SKU partition, one after another in this "
                             "process (no Dask). Out of core when the [data] folder was "
                             "written partitioned by SKU (write_dataset(..., "
                             "partition_by='sku_hash'))")
    report.add_argument("--no-progress", action="store_true", help="no progress bar")
    report.set_defaults(run=_report)

    demo = sub.add_parser("demo", help="write the report for a folder or the example data",
                          description="Write the report for a folder of files (with its "
                                      "planning.toml when there is one), or for the "
                                      "built-in example data when no folder is given.")
    _add_source_arguments(demo, folder_required=False)
    demo.add_argument("--data", metavar="FOLDER", help="same as FOLDER")
    demo.add_argument("--out", default="report", metavar="DIR",
                      help="output folder (default: report)")
    demo.add_argument("--seed", type=int, default=0, help="example data seed (default 0)")
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(run=_demo)

    example = sub.add_parser("example-data", help="write the example dataset as CSV files, "
                                                  "with a commented planning.toml")
    example.add_argument("--out", default="data", metavar="DIR",
                         help="output folder (default: data)")
    example.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    example.set_defaults(run=_write_example)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    if getattr(args, "folder", None) is None and args.command == "validate" and not any(
            getattr(args, t) for t in TABLE_OPTIONS):
        build_parser().error("validate needs a FOLDER or --orders/--purchase-orders/"
                             "--inventory files")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
