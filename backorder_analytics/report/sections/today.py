"""The first screen: what to do today, ranked, from the alerts of the run.

Four kinds of action, most urgent first, each with its count, the first items and a
link to the detail: offer an alternative (or a new date) to the customers whose lines
are past or will miss their time limit; expedite the late purchase orders; reorder the
SKUs at or below their reorder point; tell the waiting customers where their order
stands. Every count is a count of the run's alerts, so the page agrees with itself.
"""

from __future__ import annotations

import html

import pandas as pd

from ..context import Context, Part, Table
from ..html import Section, paragraph, table_html

__all__ = ["today", "ACTIONS"]

ACTIONS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Offer an alternative or a new date", ("backorder_past_limit",
                                            "backorder_will_miss_limit"), "eta"),
    ("Expedite these purchase orders", ("late_po",), "eta"),
    ("Reorder these SKUs", ("below_reorder_point", "low_stock"), "safety-stock"),
    ("Tell these customers where their order stands", ("eta_slipped",
                                                      "backorder_near_limit",
                                                      "status_update_due"), "alerts"),
)
"""(heading, alert kinds, anchor of the detail) per action, most urgent first."""
SHOWN = 5
"""Items listed per action; the rest are in the linked section and the tables."""
COLUMNS = ["severity", "sku", "customer_id", "order_id", "po_id", "action", "message"]


def today(ctx: Context) -> Part:
    if ctx.sales_only:
        return _sales_only(ctx)
    alerts = ctx.run.alerts.to_frame()
    rows, blocks = [], []
    for heading, kinds, anchor in ACTIONS:
        mine = alerts[alerts["kind"].astype(str).isin(kinds)]
        rows.append(mine.assign(action_group=heading))
        if not len(mine):
            continue
        high = int((mine["severity"].astype(str) == "high").sum())
        count = f"{len(mine):,} ({high:,} high)" if high else f"{len(mine):,}"
        shown = mine[[c for c in COLUMNS if c in mine and mine[c].notna().any()]]
        more = (f'<p class="note">{len(mine) - SHOWN:,} more: '
                f'<a href="#{anchor}">see the detail</a>.</p>' if len(mine) > SHOWN else
                f'<p class="note"><a href="#{anchor}">Detail</a>.</p>')
        blocks.append(f"<h3>{html.escape(heading)}: {count}</h3>"
                      + table_html(shown.head(SHOWN), index=False, prose=True) + more)
    actions = (pd.concat(rows, ignore_index=True) if rows else alerts.assign(action_group=""))
    actions = actions[["action_group", *alerts.columns]]
    table = Table("today", actions, "The actions of the day, most urgent kind first: "
                                    "every alert under the action it asks for.")
    total = len(actions)
    head = (f"{total:,} things to do as of {ctx.run.alerts.as_of.date()}, most urgent "
            "first." if total else "Nothing needs doing today: no alert is raised.")
    return Part(Section("today", "Today", paragraph(head) + "".join(blocks)), [table])


def _sales_only(ctx: Context) -> Part:
    """The first screen for orders alone: the reorder points to set, busiest SKUs
    first; what more data adds."""
    rec = ctx.safety_stock
    n = len(rec.summary)
    rules = (rec.summary.sort_values("mean_demand", ascending=False, kind="stable")
             .reset_index()[[c for c in ("sku", "mean_demand", "reorder_point",
                                         "order_quantity", "safety_stock", "note")
                             if c in rec.summary.reset_index()]])
    table = Table("today", rules, "The reorder point and order quantity to set per SKU, "
                                  "busiest first (sales only: no stock to act on yet).")
    body = (paragraph(f"Sales only: {n:,} SKUs forecast and stocked for "
                      f"{ctx.config.service.describe()}.")
            + f"<h3>Set these reorder points and order quantities: {n:,} SKUs</h3>"
            + table_html(rules.head(SHOWN * 2), index=False, prose=True)
            + '<p class="note"><a href="#safety-stock">All SKUs, with the service they '
            "reach</a>.</p>"
            + '<ul><li><a href="#safety-stock">Reorder points and order quantities</a>: '
            "when to reorder each SKU and how much.</li>"
            '<li><a href="#forecast">Demand forecast</a>: the next weeks per SKU, with '
            "its uncertainty.</li></ul>"
            + paragraph("Add stock counts (inventory.csv) and purchase orders "
                        "(purchase_orders.csv, with received dates) to get the day's "
                        "actions here: which customers to tell, which POs to expedite, "
                        "which SKUs to reorder now, and the backorder history, ETAs and "
                        "risk behind them.", "note"))
    return Part(Section("today", "Today", body), [table])
