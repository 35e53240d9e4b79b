"""What a planner acts on first: alerts, open-backorder ETAs, SKUs at risk."""

from __future__ import annotations

import pandas as pd

from ..context import Context, Part, Table, table_block
from ..html import Section, figure_html, new_axes, paragraph, table_html

__all__ = ["alerts", "etas", "risk"]

ALERT_COLUMNS = ["severity", "kind", "sku", "order_id", "customer_id", "po_id", "message",
                 "action"]
ETA_COLUMNS = ["sku", "order_id", "line_id", "customer_id", "open_quantity", "eta_p80",
               "p_ship_within_limit", "limit_date", "expected_po", "eta_p50", "eta_p95",
               "age_days", "units_ahead", "priority", "order_date"]
"""The ETA table's columns, what a planner tells a customer first (no scrolling to
the 80 % ETA and the chance to make the limit)."""
RISK_COLUMNS = ["rank", "sku", "supplier_id", "on_hand", "on_order", "backordered_now",
                "days_of_cover", "p_backorder", "expected_backordered_units",
                "expected_customers_affected", "first_backorder_p50"]
ETA_LINES = 40
"""Bars (SKU and expected PO) drawn in the ETA chart (the latest)."""


def _notes(notes: list[str]) -> str:
    return "".join(paragraph(n, "note") for n in notes)


def alerts(ctx: Context) -> Part:
    p = ctx.config.policy
    result = ctx.run.alerts
    frame = result.to_frame()
    counts = result.summary
    tables = [Table("alerts", frame, "Every alert at as_of, high severity first: what, "
                                     "who (SKU, order line, customer, PO), why, what to do."),
              Table("alert_counts", counts.reset_index(), "Alerts by kind and severity.")]
    severity = frame["severity"].astype(str).value_counts()
    head = (f"{len(frame):,} alerts as of {result.as_of.date()}: "
            f"{severity.get('high', 0):,} high, {severity.get('medium', 0):,} medium, "
            f"{severity.get('low', 0):,} low.")
    if p.max_wait_days is None:
        head += (f" No time limit is configured: backorder ageing is judged against "
                 f"{result.params['max_wait_days']:g} days.")
    chart = (figure_html(result.plot(ax=new_axes(7, 3.4)).figure, "alerts by kind and severity")
             if len(frame) else "")
    shown = frame[[c for c in ALERT_COLUMNS if c in frame]]
    body = (paragraph(head) + _notes(result.notes) + chart
            + (table_block(Table("alerts", shown, ""), max_rows=25, prose=True) if len(frame) else
               paragraph("Nothing needs attention today.")))
    return Part(Section("alerts", "Alerts", body), tables)


def etas(ctx: Context) -> Part:
    eta = ctx.eta
    frame = eta.to_frame()
    by_sku = eta.summary.rename_axis("sku").reset_index()
    tables = [Table("backorder_eta", frame, "Every open backorder line with its ship-date "
                                            "quantiles (ETA), the chance it ships within "
                                            "the time limit, and the PO expected to fill it."),
              Table("backorder_eta_by_sku", by_sku, "Open backorders per SKU: lines, units, "
                                                    "median days to each ETA quantile."),
              Table("backorder_eta_by_po", _by_po(eta, ctx.purchase_orders),
                    "The supply each waiting line depends on (the PO that most often "
                    "completes it): lines, units and customers it releases; most lines "
                    "first, the first to expedite.")]
    params = eta.params
    if not len(frame):
        body = paragraph(f"No open backorder at {eta.as_of.date()}.")
        return Part(Section("eta", "Open backorders: when they ship", body), tables)
    order = frame.sort_values(["p_ship_within_limit", "eta_p80"], ascending=[True, False],
                              na_position="first")
    shown = order[[c for c in ETA_COLUMNS if c in order]]
    late = int((frame["p_ship_within_limit"] < 0.5).sum())
    bars = frame.groupby(["sku", frame["expected_po"].astype(object).fillna("—")]).ngroups
    body = (paragraph(f"{len(frame):,} order lines ({int(frame['open_quantity'].sum()):,} "
                      f"units) over {frame['sku'].nunique():,} SKUs wait at "
                      f"{eta.as_of.date()}. Ship dates are simulated {params['n_reps']:,} "
                      f"times: the queue under {params['allocation']} allocation, the open "
                      "POs with their supplier's lead times and lateness, new orders, and "
                      f"cancellations. {late:,} lines are more likely than not to miss their "
                      "time limit.")
            + _notes(eta.notes)
            + figure_html(eta.plot(ax=new_axes(10, 1.5 + 0.25 * min(bars, ETA_LINES)),
                                   max_lines=ETA_LINES).figure,
                          "ETA range of the open backorder lines by SKU and expected PO")
            + "<h3>Lines most at risk of missing their limit first</h3>"
            + table_block(Table("backorder_eta", shown, ""), max_rows=25)
            + "<h3>What to expedite: the POs the waiting lines depend on</h3>"
            + table_block(tables[2], max_rows=20, index=False)
            + "<h3>Per SKU</h3>" + table_block(tables[1], max_rows=20))
    return Part(Section("eta", "Open backorders: when they ship", body), tables)


def _by_po(eta, po: pd.DataFrame) -> pd.DataFrame:
    """``BackorderETA.by_po`` with each PO's supplier and promised date."""
    view = eta.by_po.reset_index()
    keep = [c for c in ("po_id", "supplier_id", "expected_date") if c in po]
    info = po[keep].drop_duplicates("po_id")
    return view.merge(info, left_on="expected_po", right_on="po_id", how="left").drop(
        columns="po_id")


def risk(ctx: Context) -> Part:
    result = ctx.run.risk
    points = isinstance(ctx.run.policy, pd.DataFrame)
    frame = result.to_frame()
    tables = [Table("backorder_risk", frame, "Per SKU, riskiest first: P(a new backorder "
                                             "within the horizon), expected units and "
                                             "customers affected, days of cover."),
              Table("backorder_risk_bands", result.summary.reset_index(),
                    "SKUs and expected backorders per risk band."),
              Table("open_po_arrivals", result.receipts,
                    "Each open PO: the chance it arrives within the horizon and its "
                    "median arrival.")]
    params = result.params
    shown = frame[[c for c in RISK_COLUMNS if c in frame]]
    at_risk = int((frame["p_backorder"] >= 0.5).sum())
    body = (paragraph(f"The next {params['horizon']} days from {params['start'].date()}, "
                      f"simulated {params['n_reps']:,} times from today's stock, backorders "
                      "and open POs (arriving after lead times drawn given their age), with "
                      f"demand from {params['forecast']}. "
                      + ("New orders follow the recommended reorder points and quantities "
                         "of the Safety stock section. " if points else
                         "New orders follow the reorder rule each SKU's purchase history "
                         "shows. ")
                      + f"{at_risk:,} of {len(frame):,} SKUs will more likely than not "
                      "backorder new demand.")
            + f'<div class="figures">'
              f'{figure_html(result.plot(ax=new_axes(7, 5), top=20).figure, "riskiest SKUs")}'
              f"{table_html(result.summary)}</div>"
            + table_block(Table("backorder_risk", shown, ""), max_rows=20))
    return Part(Section("risk", "SKUs at risk", body), tables)


