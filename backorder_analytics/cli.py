"""The ``backorder-analytics`` command: a thin layer over the public API.

Subcommands
-----------
``validate``      load the files, print a summary of the tables and every problem
``demo``          write the report (HTML) for a folder of files or the example data
``example-data``  write the example dataset as CSV files

Exit status: 0 on success, 1 when the data has problems, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from . import __version__
from .exceptions import DataError
from .io import read_dataset, write_dataset

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
    from .datasets import example_dataset

    return example_dataset(seed=seed)


def _demo(args: argparse.Namespace) -> int:
    from .report import build_report

    args.folder = args.folder or args.data
    if args.folder:
        try:
            ds = _load(args, errors="report")
        except DataError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    else:
        ds = _example_dataset(args.seed)
    path = build_report(ds, args.out, progress=not args.quiet)
    print(f"Report written to {path}")
    return 0


def _write_example(args: argparse.Namespace) -> int:
    folder = write_dataset(_example_dataset(args.seed), args.out)
    print(f"Example dataset (seed {args.seed}) written to {folder}")
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

    demo = sub.add_parser("demo", help="write the HTML report",
                          description="Write the report for a folder of files, or for the "
                                      "built-in example data when no folder is given.")
    _add_source_arguments(demo, folder_required=False)
    demo.add_argument("--data", metavar="FOLDER", help="same as FOLDER")
    demo.add_argument("--out", default="report", metavar="DIR",
                      help="output folder (default: report)")
    demo.add_argument("--seed", type=int, default=0, help="example data seed (default 0)")
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(run=_demo)

    example = sub.add_parser("example-data", help="write the example dataset as CSV files")
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
