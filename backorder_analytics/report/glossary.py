"""What the report's columns mean, for the workbook's ``definitions`` sheet (and
``tables/definitions.csv``): one line per column, with its unit."""

from __future__ import annotations

import re
from collections.abc import Hashable

import pandas as pd

__all__ = ["DEFINITIONS", "define", "definitions"]

DEFINITIONS: dict[str, str] = {
    "sku": "stock-keeping unit (item)",
    "supplier_id": "supplier of the SKU or PO",
    "supplier": "supplier of the SKU",
    "order_id": "customer order number",
    "line_id": "line within the order (or PO)",
    "customer_id": "customer who placed the order",
    "po_id": "purchase-order number",
    "priority": "allocation priority of the line; lower is served first",
    "order_date": "when the order (or PO) was placed",
    "quantity": "units ordered",
    "open_quantity": "units of the line still waiting [units]",
    "age_days": "days the line has waited so far [days]",
    "units_ahead": "open units queued before this line for the same SKU [units]",
    "p_ship_within_limit": "probability that the line ships before its time limit",
    "limit_date": "order date + the time limit after which customers cancel",
    "expected_po": "the PO that most often completes the line in the simulation "
                   "('on hand', 'new order' or 'beyond horizon' otherwise)",
    "p_expected_po": "how often the expected PO completes the line",
    "expected_date": "delivery date the supplier promised",
    "severity": "high, medium or low: how urgent the alert is",
    "kind": "what the alert is about (late PO, low stock, a line that will miss its limit…)",
    "message": "what happened, with the numbers",
    "action": "what to do about it",
    "action_group": "the kind of action of the day the alert asks for",
    "days": "days late, of cover or waited, as the alert's kind says [days]",
    "limit_days": "the time limit or lead time the alert compares with [days]",
    "units": "units concerned [units]",
    "due_date": "when the PO was due, or the line's limit",
    "on_hand": "units physically in stock at as_of [units]",
    "on_order": "units on open purchase orders [units]",
    "backordered_now": "units of open backorders at as_of [units]",
    "inventory_position": "on hand + on order − backordered [units]",
    "mean_daily_demand": "forecast mean demand per day over the horizon [units/day]",
    "days_of_cover": "on hand / mean daily demand [days]",
    "days_of_cover_position": "inventory position / mean daily demand [days]",
    "p_backorder": "probability that new demand goes on backorder within the horizon",
    "p_backorder_se": "Monte Carlo standard error of p_backorder",
    "expected_backordered_units": "expected units of new demand backordered [units]",
    "backordered_units_p90": "90 % quantile of units backordered [units]",
    "expected_customers_affected": "expected order lines of new demand backordered",
    "expected_fill_rate": "expected share of units served from stock at once",
    "first_backorder_p50": "median day of the first new backorder",
    "reorder_point": "reorder when the inventory position falls to this [units]",
    "order_quantity": "units ordered each time (Q) [units]",
    "cycle_stock": "average stock the order quantity adds, Q / 2 [units]",
    "safety_stock": "reorder point − demand expected over the lead time [units]; "
                    "below 0 when the order quantity alone meets the target",
    "lead_time_demand": "demand expected over the lead time [units]",
    "sd_lead_time_demand": "standard deviation of lead-time demand [units]",
    "reorder_point_analytic": "reorder point of the normal approximation [units]",
    "safety_stock_analytic": "safety stock of the normal approximation [units]",
    "service_at_analytic": "the target measure simulated at the analytic reorder point",
    "disagree": "the formula's reorder point would decide otherwise (miss the target "
                "by more than a point, or hold more than a day of demand too much)",
    "note": "why a number is what it is, in words",
    "fill_rate": "share of units served from stock at once",
    "cycle_service_level": "share of replenishment cycles without a stock-out",
    "mean_wait": "mean wait of an order line [days]",
    "p90_wait": "90 % quantile of the wait of an order line [days]",
    "share_waiting": "share of order lines that wait",
    "avg_on_hand": "average units held [units]",
    "avg_backorders": "average units backordered [units]",
    "mean_demand": "mean demand [units per period]",
    "sd_demand": "standard deviation of demand [units per period]",
    "demand_source": "'forecast' (stocked for the forecast) or 'history' (its average)",
    "lead_time_mean": "mean lead time [days]",
    "lead_time_sd": "standard deviation of the lead time [days]",
    "category": "demand class: smooth, erratic, intermittent or lumpy (Syntetos–Boylan)",
    "adi": "average interval between periods with demand [periods]",
    "cv2": "squared coefficient of variation of the non-zero demand sizes",
    "model": "forecasting model chosen",
    "mean": "forecast mean [units per period]",
    "backtest_rmsse": "backtest error of the chosen model (RMSSE; below 1 beats naive)",
    "unit_fill_rate": "units served at once / units ordered",
    "line_fill_rate": "order lines served whole at once / order lines",
    "share_lines_backordered": "1 − line fill rate",
    "open_lines": "order lines still waiting",
    "open_units": "units still waiting [units]",
    "backordered_lines": "order lines that waited",
    "cancelled_lines": "order lines cancelled while waiting",
    "opening_stock": "stock at the start of the replay [units]",
    "received_units": "units received from POs in the replay [units]",
    "p_arrive_in_horizon": "probability that the PO arrives within the risk horizon",
    "arrival_p50": "median arrival date of the PO",
    "n_pos": "purchase orders of the supplier",
    "n_open": "of them still open at as_of (censored)",
    "share_late": "share of received POs later than promised",
    "lateness_mean": "mean days late against the promised date [days]",
    "lateness_p90": "90 % quantile of days late against the promised date [days]",
    "age": "how long the open lines have waited, in bands [days]",
    "lines": "order lines",
    "customers": "distinct customers",
    "lines_likely_late": "lines more likely than not to miss their limit",
    "lines_past_limit": "lines already past their limit",
    "earliest_limit": "the earliest limit date among the lines",
    "limit_units": "units the alert's limit concerns (reorder point, cover) [units]",
    "backordered_units": "units waiting at the end of the day [units]",
    "queue_length": "order lines waiting at the end of the day",
    "receipts": "units received that day [units]",
    "demand": "units ordered in the period [units]",
    "shipped": "units shipped that day [units]",
    "cancelled": "units cancelled that day [units]",
    "cancelled_units": "units cancelled while waiting [units]",
    "ordered_units": "units ordered [units]",
    "served_at_once_units": "units shipped from stock on the day ordered [units]",
    "shipped_units": "units shipped [units]",
    "date": "the day (or the first day of the week)",
    "band": "risk band of P(backorder)",
    "skus": "number of SKUs",
    "high": "alerts of high severity",
    "medium": "alerts of medium severity",
    "low": "alerts of low severity",
    "total": "all of them",
    "rank": "order, riskiest first",
    "expected_demand": "expected demand over the horizon [units]",
    "expected_receipts": "expected units received within the horizon [units]",
    "demand_per_day": "forecast mean demand per day [units/day]",
    "total_demand": "forecast demand over the horizon [units]",
    "nonzero": "periods with demand",
    "periods": "periods of history",
    "distribution": "lead-time distribution fitted (open POs censored)",
    "n_received": "of them received",
    "completed_p90": "90 % quantile of the lead times of received POs only (biased short) "
                     "[days]",
    "weight": "weight of the supplier's own data against the pooled estimate",
    "lead_time_p50": "median lead time [days]",
    "lead_time_p90": "90 % quantile of the lead time [days]",
    "mean_wait_per_unit": "mean wait of a unit [days]",
    "n_lines": "order lines per day behind the demand model",
    "unit_cost": "cost per unit (items table)",
    "safety_stock_value": "safety stock × unit cost",
    "fact": "what the row states",
    "value": "its value",
    "first_date": "the earliest date in the table",
    "last_date": "the latest date in the table",
    "rejected_rows": "rows set aside on load",
    "table": "the table",
    "rows": "number of rows",
    "reason": "why the row was set aside",
    "row": "line (CSV), row (Excel) or position of the row in its source",
    "source": "the file or query it came from",
}
"""One line per column name."""

PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^eta_p(\d+)$", "ship date of the line's last unit at the {0} % quantile (shipped "
                      "by then with probability {0} %)"),
    (r"^median_eta_p(\d+)$", "median over the lines of their {0} % ETA"),
    (r"^median_days_p(\d+)$", "median days from as_of to the lines' {0} % ETA [days]"),
    (r"^q(0\.\d+)$", "forecast quantile at probability {0} [units per period]"),
    (r"^wait_bo_(\w+)$", "wait of the lines that went on backorder and shipped: {0} [days]"),
    (r"^wait_all_(\w+)$", "wait of all shipped lines (0 when served at once): {0} [days]"),
    (r"^open_lines_(.+)$", "open lines that have waited {0} days"),
    (r"^(?:km_)?p(\d+)$", "{0} % quantile of the lead time [days]"),
)
"""Column families: a regular expression and its definition."""


def define(column: str) -> str | None:
    """The definition of a report column, or None when it has none here."""
    if column in DEFINITIONS:
        return DEFINITIONS[column]
    for pattern, text in PATTERNS:
        match = re.match(pattern, column)
        if match:
            return text.format(*match.groups())
    return None


def definitions(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``column``, ``definition`` and the ``tables`` it appears in, for every column
    of ``tables`` that has a definition, in order of first appearance."""
    seen: dict[str, list[str]] = {}
    for name, frame in tables.items():
        columns: list[Hashable] = list(frame.columns)
        if any(n is not None for n in frame.index.names):
            columns = [n for n in frame.index.names if n is not None] + columns
        for column in map(str, columns):
            seen.setdefault(column, []).append(name)
    rows = [(c, define(c), ", ".join(t)) for c, t in seen.items() if define(c)]
    return pd.DataFrame(rows, columns=["column", "definition", "tables"])
