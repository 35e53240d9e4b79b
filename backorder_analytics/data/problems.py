"""The problems table: how problems are recorded, explained, raised or set aside.

A *problem* is one cell or row that breaks a data contract. Checks record problems with
:func:`problem_rows`; :func:`finish_problems` adds where they are in terms people use
(line 7 of orders.csv); :func:`format_problems` explains them; :func:`raise_or_split`
raises :class:`DataError` or splits the offending rows into a *rejected* table with a
reason per row, so that nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from .dataset import REJECTED_COLUMNS
from .schemas import SCHEMAS

__all__ = ["Source", "problem_rows", "finish_problems", "format_problems", "raise_or_split",
           "ERRORS_OPTIONS"]

ERRORS_OPTIONS = ("raise", "report")
SHOWN_ROWS = 5
HOW_TO_REPORT = ('To load the valid rows and get the others back as a table, pass '
                 'errors="report"; DataError.problems lists every problem.')


@dataclass(frozen=True)
class Source:
    """Where a table came from, and how its rows are numbered for people.

    Parameters
    ----------
    name : str
        File path, ``"<DataFrame>"``, or a SQL description.
    row_offset : int
        Added to a row's 0-based position to give the number a person sees: 2 for
        text files and spreadsheets (the header is line / row 1), 0 otherwise.
    row_word : str
        ``"line"`` (text files), ``"row"`` (spreadsheets) or ``"position"``.
    lines : numpy.ndarray, optional
        The line each row starts on, when rows and lines do not match one to one (a
        text file with a quoted field spanning lines); overrides ``row_offset``.
    """

    name: str
    row_offset: int = 0
    row_word: str = "position"
    lines: np.ndarray | None = field(default=None, compare=False, repr=False)

    def row(self, position: int) -> int:
        """The row number a person sees for a 0-based position."""
        return int(self.rows(np.array([position]))[0])

    def rows(self, positions) -> np.ndarray:
        """:meth:`row` for an array of 0-based positions."""
        positions = np.asarray(positions, dtype=np.int64)
        if self.lines is not None:
            return self.lines[positions]
        return positions + self.row_offset


def problem_rows(positions, column, values, problem, fix) -> pd.DataFrame:
    """Problems found in one column: one row per 0-based position, before
    :func:`finish_problems` adds the table, source and row numbers."""
    positions = np.asarray(positions, dtype=np.int64)
    return pd.DataFrame(
        {
            "_pos": positions,
            "column": column,
            "value": pd.Series(values, dtype=object).to_numpy(),
            "problem": problem,
            "fix": fix,
        }
    )


def finish_problems(problems: pd.DataFrame, table: str, source: Source) -> pd.DataFrame:
    """Add table, source and the row numbers people see; name the first of duplicates."""
    problems = problems.copy()
    problems.insert(0, "table", table)
    problems.insert(1, "source", source.name)
    problems.insert(2, "row", source.rows(problems["_pos"]))
    if "_first" in problems:
        first = problems["_first"]
        has_first = first.notna()
        problems.loc[has_first, "problem"] = (
            problems.loc[has_first, "problem"] + f" of {source.row_word} "
            + pd.Series(source.rows(first[has_first]), index=first[has_first].index).astype(str)
        )
        problems = problems.drop(columns="_first")
    return problems.sort_values(["_pos", "column"], kind="stable").reset_index(drop=True)


def format_problems(problems: pd.DataFrame, row_words: Mapping[str, str] | str = "line") -> str:
    """A readable account of a problems table: per source and column, what was expected,
    each kind of problem with its first rows and what was found there, and the fix.

    ``row_words`` says how rows are counted ("line", "row", "position"), one word for
    all or one per source name."""
    lines = []
    problems = problems.assign(
        _kind=problems["problem"].str.replace(r" of (line|row|position) \d+$", "", regex=True))
    for (source, table), per_source in problems.groupby(["source", "table"], sort=False):
        n = len(per_source)
        row_word = row_words if isinstance(row_words, str) else row_words[str(source)]
        lines.append(f"{source}: {n:,} problem{'s' if n != 1 else ''} in the {table} table.")
        for column, per_column in per_source.groupby("column", sort=False):
            col = SCHEMAS[table].column(str(column)) if table in SCHEMAS else None
            expected = f" (expected {col.expected})" if col is not None else ""
            lines.append(f"  column {column!r}{expected}:")
            for kind, group in per_column.groupby("_kind", sort=False):
                lines.append(f"    {kind}: {len(group):,} row{'s' if len(group) != 1 else ''}")
                r: Any  # a row's fields, by column name
                for r in _examples(group).itertuples():
                    where = f"{row_word} {r.row}" if pd.notna(r.row) else "table"
                    lines.append(f"      {where}: found {_show(r.value)}"
                                 + (f" ({r.problem})" if r.problem != kind else ""))
                if len(group) > SHOWN_ROWS:
                    lines.append(f"      … and {len(group) - SHOWN_ROWS:,} more")
                lines.append(f"      fix: {group['fix'].iloc[0]}")
    lines.append(HOW_TO_REPORT)
    return "\n".join(lines)


def _pattern(value) -> str:
    """The shape of a value: digits as 9, letters as a (``12/31/2024`` → ``99/99/9999``)."""
    text = "" if value is None else str(value)
    return re.sub(r"[^\W\d_]", "a", re.sub(r"\d", "9", text))


def _examples(group: pd.DataFrame) -> pd.DataFrame:
    """Up to :data:`SHOWN_ROWS` rows of one kind of problem: the first of each distinct
    shape of value first (so ``Date Not Captured`` does not hide ``12/31/24``), then the
    next rows; in row order."""
    shapes = group["value"].map(_pattern)
    first = ~shapes.duplicated()
    chosen = pd.concat([group[first], group[~first]]).head(SHOWN_ROWS)
    return chosen.loc[group.index.intersection(chosen.index)]


def _show(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "a blank cell"
    text = value if isinstance(value, str) else str(value)
    return text if text.startswith("'") else repr(text)


def raise_or_split(
    clean: pd.DataFrame,
    problems: pd.DataFrame,
    raw_values: pd.DataFrame,
    source: Source,
    errors: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raise :class:`DataError` (``errors="raise"``) or split off the offending rows.

    Returns
    -------
    valid : pandas.DataFrame
        The rows without problems (index: 0-based position in the source).
    rejected : pandas.DataFrame
        One row per rejected row: ``table, source, row, reason`` and its values as read.
    """
    if errors not in ERRORS_OPTIONS:
        raise ValueError(f"The 'errors' parameter must be one of {set(ERRORS_OPTIONS)}. "
                         f"Got {errors!r} instead.")
    if problems.empty:
        return clean, pd.DataFrame(columns=REJECTED_COLUMNS)
    if errors == "raise":
        raise DataError(format_problems(problems, source.row_word),
                        problems.drop(columns="_pos"))
    reasons = (problems["column"] + ": " + problems["problem"]).groupby(problems["_pos"]).agg(
        "; ".join)
    bad = reasons.index.to_numpy()
    rejected = raw_values.loc[raw_values.index.isin(bad)].astype(object).copy()
    rejected.insert(0, "table", problems["table"].iloc[0])
    rejected.insert(1, "source", source.name)
    rejected.insert(2, "row", source.rows(rejected.index.to_numpy()))
    rejected.insert(3, "reason", reasons.reindex(rejected.index).to_numpy())
    return clean.drop(bad, errors="ignore"), rejected.reset_index(drop=True)
