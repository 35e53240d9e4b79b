"""Safety stock recommended per SKU, with the service / wait trade-off curves."""

from __future__ import annotations

import numpy as np

from ..context import Context, Part, Table, table_block
from ..html import Section, figure_html, new_axes, paragraph

__all__ = ["safety_stock"]

SHOWN = ["category", "supplier", "mean_demand", "lead_time_mean", "lead_time_demand",
         "reorder_point", "order_quantity", "cycle_stock", "safety_stock", "fill_rate",
         "mean_wait", "reorder_point_analytic", "disagree", "note"]


def safety_stock(ctx: Context) -> Part:
    config = ctx.config
    rec = ctx.safety_stock
    summary = rec.summary.copy()
    items = ctx.items
    if items is not None and "unit_cost" in items:
        cost = items.drop_duplicates("sku").set_index("sku")["unit_cost"]
        summary["unit_cost"] = cost.reindex(summary.index).to_numpy()
        summary["safety_stock_value"] = summary["safety_stock"] * summary["unit_cost"]
        key = summary["safety_stock_value"]
    else:
        key = summary["safety_stock"]
    table = Table("safety_stock", summary.reset_index(),
                  f"Safety stock and reorder point per SKU for {config.service.describe()}: "
                  "simulated and analytic, with the service and waits achieved.")
    tradeoff = Table("safety_stock_tradeoff", rec.tradeoff,
                     "Service and wait against safety stock per SKU (the levels searched).")
    order = key.fillna(-np.inf).sort_values(ascending=False, kind="stable").index
    traded = set(rec.tradeoff["sku"].unique())
    charted = [s for s in order if s in traded][: ctx.n_charts]
    charts = "".join(figure_html(rec.plot(sku, ax=new_axes(5.2, 3.4)).figure,
                                 f"safety stock trade-off of {sku}") for sku in charted)
    flagged = int(summary["disagree"].sum())
    negative = int((summary["safety_stock"] < 0).sum())
    value = (f" Total safety stock value {summary['safety_stock_value'].sum():,.0f} "
             "(units × unit cost)." if "safety_stock_value" in summary else "")
    s = rec.settings
    body = (paragraph(f"Target: {config.service.describe()}, {s['review']} review. The "
                      f"simulated level is the smallest that meets the target over "
                      f"{s['n_reps']} replications of {s['days']} days (common random "
                      "numbers, lead times drawn from the fitted distributions); the "
                      "analytic one uses the normal approximation. In a planner's terms: "
                      "reorder when the stock position (on hand + on order − backordered) "
                      "falls to the reorder point, then order the order quantity; the "
                      "reorder point is the demand expected over the lead time plus the "
                      "safety stock, and the order quantity adds a cycle stock of half of "
                      f"it on average. {negative} of {len(summary)} SKUs have a safety stock "
                      "below 0: their order quantity alone meets the target, so they may "
                      "reorder below the lead-time demand (the note says by how much). "
                      f"{flagged} SKUs are flagged where the formula would decide otherwise "
                      "(miss the target by more than a point, or hold more than a day of "
                      f"demand too much; typically intermittent or lumpy demand).{value}")
            + "<h3>Trade-off: the SKUs holding the most safety stock</h3>"
            + f'<div class="figures">{charts}</div>'
            + table_block(Table(table.name, summary.loc[order, [c for c in SHOWN if c in summary]]
                                .reset_index(), ""), max_rows=20))
    return Part(Section("safety-stock", "Safety stock", body), [table, tradeoff])
