"""Supplier lead times: the fitted distributions, open purchase orders censored."""

from __future__ import annotations

from ... import plotting
from ...exceptions import MissingData
from ...leadtime.model import LeadTimeModel
from ..context import Context, Part, Table, table_block
from ..html import Section, figure_html, new_axes_grid, paragraph

__all__ = ["lead_times"]

COLUMNS = ["n_pos", "n_received", "n_open", "distribution", "mean", "p50", "p90", "p95",
           "km_p50", "km_p90", "completed_p90", "share_late", "lateness_mean",
           "lateness_p90", "weight", "note"]


def lead_times(ctx: Context) -> Part:
    model = ctx.lead_times
    if not isinstance(model, LeadTimeModel):  # days given: nothing was learnt
        given = (f"{model:g} days for every SKU" if isinstance(model, float) else
                 f"per SKU, {min(model.values()):g} to {max(model.values()):g} days")
        raise MissingData(f"no purchase order was received, so no lead time was learnt: "
                          f"the simulations use the lead times given ({given}). Add "
                          "purchase_orders.csv with order and received dates to learn "
                          "each supplier's lead times and lateness.")
    summary = model.summary
    table = Table("lead_times", summary[[c for c in COLUMNS if c in summary]].reset_index(),
                  "Lead time per supplier [days]: fitted distribution, quantiles, "
                  "Kaplan–Meier quantiles (open POs censored), lateness against promise.")
    groups = list(model.groups_)[:12]
    axes = new_axes_grid(len(groups), width=11, height_each=2.8, ncols=2)
    for ax, group in zip(axes, groups, strict=True):
        plotting.plot_lead_times(model, ax=ax, group=group)
        ax.set_title(f"Lead times: {group}")
        ax.tick_params(labelbottom=True)
    more = (paragraph(f"Curves of the first {len(groups)} of {len(model.groups_)} groups.",
                      "note") if len(model.groups_) > len(groups) else "")
    body = (paragraph(f"Lead time = received − ordered, per {' and '.join(model.by) or 'PO'}. "
                      f"{model.n_open_:,} of {model.n_pos_:,} POs were still open at as_of: "
                      "they count as right-censored (they took at least this long), so the "
                      "Kaplan–Meier curve (solid) is not biased short the way the curve of "
                      "completed POs only (dotted) is. The thin line is the fitted "
                      "distribution the simulations draw from.")
            + table_block(table, max_rows=20)
            + figure_html(axes[0].figure, "lead-time curves per supplier") + more)
    return Part(Section("lead-times", "Lead times", body), [table])
