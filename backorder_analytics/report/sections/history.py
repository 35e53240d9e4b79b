"""The backorder history replayed: waits, ageing of open backorders, the timeline."""

from __future__ import annotations

from ..context import Context, Part, Table, table_block
from ..html import Section, figure_html, new_axes, paragraph

__all__ = ["history"]

SUMMARY = ["lines", "ordered_units", "unit_fill_rate", "line_fill_rate", "backordered_lines",
           "wait_bo_mean", "wait_bo_p50", "wait_bo_p90", "wait_bo_max", "open_lines",
           "open_units", "cancelled_lines", "cancelled_units"]


def history(ctx: Context) -> Part:
    rep = ctx.replay
    summary = rep.summary
    total_label = summary.index[0]
    worst = (summary.iloc[1:].sort_values(["backordered_lines", "lines"], ascending=False,
                                          kind="stable").index[: max(ctx.n_charts, 5)])
    table = Table("backorder_history", summary.reset_index(),
                  "Replayed history, all SKUs then each SKU: fill rates, waits [days] of "
                  "backordered lines, open and cancelled lines and units.")
    ageing = Table("backorder_ageing", rep.ageing.assign(age=rep.ageing["age"].astype(str)),
                   "Open backorders at as_of by age [days], all SKUs then each SKU.")
    timeline = Table("backorder_timeline", rep.timeline_total.rename_axis("date").reset_index(),
                     "Per day, all SKUs: on hand and backordered units and open lines at the "
                     "end of the day; receipts, demand, shipped and cancelled units.")
    figures = "".join(
        figure_html(rep.plot(ax=new_axes(w, h), kind=kind).figure, alt)
        for kind, w, h, alt in (("wait", 5.2, 3.4, "histogram of backorder waits"),
                                ("ageing", 5.2, 3.4, "open backorders by age")))
    line = figure_html(rep.plot(ax=new_axes(10, 3.5), kind="timeline").figure,
                       "on hand and backordered units per day")
    p = rep.params
    rules = ctx.config.policy.describe()
    shipments = ""
    if ctx.has_shipments:
        cmp = rep.compare_shipments()
        shipments = paragraph(f"Check against the recorded shipments: "
                              f"{cmp.share_identical:.1%} of {cmp.n_lines:,} lines ship the "
                              "same units at the same times in the replay.", "note")
    shipments += paragraph(
        "The replay honours the cancellations the data records and applies no time limit "
        "of its own: this is what happened. The time limit of the settings is a rule for "
        "what happens next (the ETAs and the alerts).", "note")
    notes = (paragraph(f"{len(rep.notes)} SKU(s) had no stock count at the start and were "
                       "replayed from 0 units on hand.", "note") if len(rep.notes) else "")
    serves = ("by priority, then arrival" if p["allocation"] == "priority"
              else "in arrival order")
    body = (paragraph(f"Every order line replayed against the receipts ({rules}; "
                      f"{p['allocation']} allocation serves waiting lines {serves}). "
                      "The wait of a line is from its order to the shipment of its last "
                      "unit.") + shipments + notes
            + f'<div class="figures">{figures}</div>' + line
            + "<h3>All SKUs, and the SKUs with most lines backordered</h3>"
            + table_block(Table(table.name, summary.loc[[total_label, *worst], SUMMARY], ""),
                          max_rows=len(worst) + 1, index=True)
            + paragraph("All SKUs: sheet backorder_history of report.xlsx and "
                        "tables/backorder_history.csv.", "note"))
    return Part(Section("history", "Backorder history (replayed)", body),
                [table, ageing, timeline])
