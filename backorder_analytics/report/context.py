"""What the report's sections share: the planning run and the report's settings.

Each section is a function ``(Context) -> Part``: the HTML section and the tables it
exports (to ``report.xlsx`` and ``tables/*.csv``). Every number comes from the one
:class:`~backorder_analytics.PlanningRun` of the report, so each fact is computed once
and the sections agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from ..planning.run import PlanningRun
from .config import ReportConfig
from .html import Section, table_html

__all__ = ["Table", "Part", "Context", "table_block"]


@dataclass
class Table:
    """One exported table: a file-safe ``name``, the frame, and what it holds."""

    name: str
    frame: pd.DataFrame
    description: str


@dataclass
class Part:
    """A section of the page and the tables behind it."""

    section: Section
    tables: list[Table] = field(default_factory=list)


def table_block(table: Table, max_rows: int = 20, index: bool = False,
                prose: bool = False) -> str:
    """The first rows of a table, with a pointer to the full one when cut."""
    body = table_html(table.frame, max_rows=max_rows, index=index, prose=prose)
    return body + (f'<p class="note">All rows: sheet {table.name} of report.xlsx and '
                   f'tables/{table.name}.csv.</p>' if len(table.frame) > max_rows else "")


class Context:
    """The planning run the report shows, its settings and the report's own options."""

    def __init__(self, run: PlanningRun, config: ReportConfig):
        self.run = run
        self.ds = run.ds
        self.config = config

    @property
    def seed(self) -> int:
        return self.run.settings.seed

    @property
    def n_charts(self) -> int:
        return self.config.report.charts

    @property
    def weekly(self) -> pd.DataFrame:
        """Weekly demand, complete weeks only."""
        return self.run.weekly_demand

    @property
    def classes(self) -> pd.DataFrame:
        """Demand classes of the weekly series."""
        return self.run.classes

    # ------------------------------------------------------------------ the data
    # What the sections read of the dataset, through these names only: an
    # out-of-core report (:mod:`.out_of_core`) gives the same from its partitions'
    # pieces, without the dataset in memory.

    @property
    def as_of(self) -> pd.Timestamp:
        return self.ds.as_of

    @property
    def n_skus(self) -> int:
        return len(self.ds.skus)

    @property
    def sales_only(self) -> bool:
        return self.ds.sales_only

    @cached_property
    def order_facts(self) -> dict[str, Any]:
        """``lines``, ``units``, ``first`` and ``last`` order date of the order lines."""
        orders = self.ds.orders
        return {"lines": len(orders), "units": int(orders["quantity"].sum()),
                "first": orders["order_date"].min(), "last": orders["order_date"].max()}

    @property
    def purchase_orders(self) -> pd.DataFrame:
        return self.ds.purchase_orders

    @property
    def n_open_purchase_orders(self) -> int:
        return len(self.ds.open_purchase_orders)

    @property
    def rejected(self) -> pd.DataFrame:
        return self.ds.rejected

    @property
    def tables_summary(self) -> pd.DataFrame:
        """:attr:`Dataset.summary`: rows, SKUs and dates per table."""
        return self.ds.summary

    @property
    def items(self) -> pd.DataFrame | None:
        return self.ds.items

    @property
    def has_shipments(self) -> bool:
        return self.ds.shipments is not None

    @cached_property
    def volume(self) -> pd.Series:
        """Units ordered per SKU, largest first."""
        return (self.ds.orders.groupby("sku", observed=True)["quantity"].sum()
                .sort_values(ascending=False, kind="stable"))

    def busiest(self, n: int | None = None) -> list:
        """The ``n`` SKUs with the most units ordered (default ``charts``)."""
        return list(self.volume.index[: self.n_charts if n is None else n])

    @property
    def lead_times(self):
        return self.run.lead_times

    @property
    def replay(self):
        return self.run.replay

    @property
    def safety_stock(self):
        return self.run.safety_stock

    @property
    def eta(self):
        return self.run.eta

    def forecast_report(self, chart_skus: list) -> Any:
        """What the forecast section shows
        (:func:`~backorder_analytics.report.sections.demand.forecast_report`), with
        charts of ``chart_skus``."""
        from .sections.demand import forecast_report

        f = self.config.forecast
        return forecast_report(self.run.forecast, f.periods, f.freq == "W", self.weekly,
                               self.classes, chart_skus)
