"""Errors raised by backorder_analytics.

A small hierarchy: catch :class:`BackorderAnalyticsError` for anything the package
raises on purpose; :class:`DataError` for input that breaks a data contract.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["BackorderAnalyticsError", "DataError", "MissingData", "NotFittedError"]

PROBLEM_COLUMNS = ["table", "source", "row", "column", "value", "problem", "fix"]


class BackorderAnalyticsError(Exception):
    """Base class of every error this package raises on purpose."""


class DataError(BackorderAnalyticsError, ValueError):
    """Input data breaks a data contract.

    Parameters
    ----------
    message : str
        What is wrong, where, and how to fix it.
    problems : pandas.DataFrame, optional
        Every problem found, one row each, with columns ``table``, ``source``,
        ``row`` (line number in a text file, sheet row in Excel, position in a
        DataFrame, Parquet file or SQL result), ``column``, ``value``, ``problem``
        and ``fix``.
    """

    def __init__(self, message: str, problems: pd.DataFrame | None = None):
        super().__init__(message)
        if problems is None:
            problems = pd.DataFrame(columns=PROBLEM_COLUMNS)
        self.problems = problems


class NotFittedError(BackorderAnalyticsError, ValueError):
    """A model was used before ``fit`` was called."""


class MissingData(BackorderAnalyticsError):
    """A step needs data the dataset does not have (say, stock counts for the backorder
    history of sales-only data). Not an error in the data: the message says what to
    add, and the report shows it in place of the section."""
