"""What the report's sections share: the data, the settings, and results computed once.

Each section is a function ``(Context) -> Part``: the HTML section and the tables it
exports (to ``report.xlsx`` and ``tables/*.csv``). Results several sections need (the
lead-time model, the replay, the demand series) are computed once, on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from ..data.dataset import Dataset
from ..forecasting.demand import classify_demand, demand_series
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
    """The dataset, the settings and the shared intermediate results."""

    def __init__(self, ds: Dataset, config: ReportConfig):
        self.ds = ds
        self.config = config

    @property
    def seed(self) -> int:
        return self.config.report.seed

    @property
    def n_charts(self) -> int:
        return self.config.report.charts

    @cached_property
    def weekly(self) -> pd.DataFrame:
        """Weekly demand, complete weeks only."""
        return demand_series(self.ds, freq="W", complete_periods=True)

    @cached_property
    def classes(self) -> pd.DataFrame:
        """Demand classes of the weekly series."""
        return classify_demand(self.weekly)

    @cached_property
    def volume(self) -> pd.Series:
        """Units ordered per SKU, largest first."""
        return (self.ds.orders.groupby("sku")["quantity"].sum()
                .sort_values(ascending=False, kind="stable"))

    def busiest(self, n: int | None = None) -> list:
        """The ``n`` SKUs with the most units ordered (default ``charts``)."""
        return list(self.volume.index[: self.n_charts if n is None else n])

    @cached_property
    def lead_times(self):
        """Lead times by supplier (or all POs together when there is no supplier)."""
        from ..leadtime.model import fit_lead_times

        po = self.ds.purchase_orders
        by = ("supplier_id",) if "supplier_id" in po and po["supplier_id"].notna().any() \
            else ()
        return fit_lead_times(po, by=by, as_of=self.ds.as_of)

    @cached_property
    def replay(self):
        """The backorder history replayed under the configured rules."""
        from ..simulation.replay import replay

        p = self.config.policy
        return replay(self.ds, allocation=p.allocation, shipping=p.shipping,
                      max_wait_days=p.max_wait_days)

    @cached_property
    def safety_stock(self):
        """Safety stock per SKU for the configured target (simulated and analytic)."""
        from ..planning.safety_stock import recommend_safety_stock

        c = self.config
        return recommend_safety_stock(self.ds, self.lead_times,
                                      target=c.service.to_target(), review=c.policy.review,
                                      review_period=c.policy.review_period,
                                      n_reps=c.report.n_reps, seed=self.seed, progress=False)

    @cached_property
    def eta(self):
        """Ship-date distribution of every open backorder line."""
        from ..planning.eta import backorder_eta

        p = self.config.policy
        return backorder_eta(self.ds, self.lead_times,
                             quantiles=(0.5, 0.8, 0.95), allocation=p.allocation,
                             shipping=p.shipping, max_wait_days=p.max_wait_days,
                             n_reps=self.config.report.n_reps, seed=self.seed)
