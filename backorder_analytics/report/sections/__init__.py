"""The report's sections, one function each: ``(Context) -> Part``.

:data:`SECTIONS` lists them in the order they are computed; ``position`` is their
place on the page (what a planner acts on first).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..context import Context, Part
from .actions import alerts, etas, risk
from .demand import demand, demand_forecast
from .history import history
from .overview import data_health, overview, tables_loaded
from .safety import safety_stock
from .supply import lead_times
from .today import today

__all__ = ["SECTIONS", "SectionSpec"]


class SectionSpec(NamedTuple):
    anchor: str
    title: str
    build: Callable[[Context], Part]
    position: int


SECTIONS: list[SectionSpec] = [
    SectionSpec("overview", "Overview", overview, 1),
    SectionSpec("data-health", "Data health", data_health, 2),
    SectionSpec("safety-stock", "Safety stock", safety_stock, 6),
    SectionSpec("history", "Backorder history (replayed)", history, 7),
    SectionSpec("forecast", "Demand forecast", demand_forecast, 8),
    SectionSpec("demand", "Demand and its classes", demand, 9),
    SectionSpec("lead-times", "Lead times", lead_times, 10),
    SectionSpec("tables", "Tables loaded", tables_loaded, 11),
    SectionSpec("eta", "Open backorders: when they ship", etas, 4),
    SectionSpec("risk", "SKUs at risk", risk, 5),
    SectionSpec("alerts", "Alerts", alerts, 3),
    SectionSpec("today", "Today", today, 0),
]
