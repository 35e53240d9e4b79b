"""Overview, data health (rows rejected on load) and the tables loaded."""

from __future__ import annotations

import pandas as pd

from ...exceptions import BackorderAnalyticsError
from ..context import Context, Part, Table, table_block
from ..html import Section, paragraph, table_html

__all__ = ["overview", "data_health", "tables_loaded"]


def overview(ctx: Context) -> Part:
    config = ctx.config
    orders = ctx.order_facts
    facts: list[tuple[str, object]] = [
        ("as of", ctx.as_of.floor("s")),
        ("SKUs", ctx.n_skus),
        ("order lines", orders["lines"]),
        ("units ordered", orders["units"]),
        ("first order", orders["first"]),
        ("last order", orders["last"]),
        ("purchase-order lines", len(ctx.purchase_orders)),
        ("purchase-order lines open at as of", ctx.n_open_purchase_orders),
        ("rows rejected on load", len(ctx.rejected)),
        ("service target", config.service.describe()),
        ("backorder rules", config.policy.describe()),
    ]
    try:
        waiting = ctx.eta.to_frame()
    except (BackorderAnalyticsError, ValueError):
        waiting = None
    if waiting is not None:
        facts += [("open backorder lines at as of", len(waiting)),
                  ("open backordered units at as of", int(waiting["open_quantity"].sum()))]
    try:
        total = ctx.replay.summary.iloc[0]
    except (BackorderAnalyticsError, ValueError):
        total = None
    if total is not None:
        facts += [
            ("unit fill rate, whole history (replayed)", float(total["unit_fill_rate"])),
            ("order lines backordered (replayed)", int(total["backordered_lines"])),
            ("mean wait of a backordered line [days] (replayed)",
             float(total["wait_bo_mean"])),
            ("lines cancelled (replayed)", int(total["cancelled_lines"])),
        ]
    frame = pd.DataFrame(facts, columns=["fact", "value"])
    shown = frame.assign(value=[_show(v) for v in frame["value"]])
    body = table_html(shown, index=False, max_rows=len(frame))
    return Part(Section("overview", "Overview", body),
                [Table("overview", frame, "Headline facts of the data and the replay.")])


def _show(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M") if value != value.normalize() else \
            value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def data_health(ctx: Context) -> Part:
    rejected = ctx.rejected
    table = Table("rejected_rows", rejected.reset_index(drop=True),
                  "Rows set aside on load: table, source file, row, reason, original values.")
    if rejected.empty:
        body = paragraph("Every row loaded: no row was rejected.")
        by_reason = pd.DataFrame(columns=["table", "reason", "rows"])
    else:
        by_reason = (rejected.assign(reason=rejected["reason"].str.split("; "))
                     .explode("reason").groupby(["table", "reason"]).size()
                     .rename("rows").reset_index())
        n = len(rejected)
        rows = f"{n:,} rows were" if n != 1 else "1 row was"
        body = (paragraph(f"{rows} set aside on load and are not in any figure below. "
                          "Fix them at the source and run again.")
                + table_html(by_reason, index=False)
                + "<h3>First rejected rows</h3>"
                + table_block(Table(table.name, rejected[["table", "source", "row", "reason"]],
                                    ""), max_rows=20))
    reasons = Table("rejected_reasons", by_reason, "Rejected rows counted by table and reason.")
    return Part(Section("data-health", "Data health", body), [reasons, table])


def tables_loaded(ctx: Context) -> Part:
    summary = ctx.tables_summary.reset_index()
    shown = summary.copy()
    for col in ("first_date", "last_date"):
        shown[col] = shown[col].dt.strftime("%Y-%m-%d")
    return Part(Section("tables", "Tables loaded", table_html(shown, index=False)),
                [Table("tables_loaded", summary, "Rows, SKUs and date range of each table.")])
