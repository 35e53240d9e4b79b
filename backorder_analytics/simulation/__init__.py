"""Backorder-queue simulation: engines, policies, demand and lead-time sources, Monte
Carlo (DESIGN.md §5).

* :func:`simulate` — Monte Carlo of a replenishment policy: fill rates, backorders, waits;
* :func:`run_fifo` — the fast FIFO engine on cumulative curves;
* policies :class:`BaseStock`, :class:`ReorderPoint`, :class:`MinMax`,
  :class:`OrderUpTo`; the engine contract is in :mod:`.base`;
* sources :class:`PoissonDemand`, :class:`ForecastDemand`, :class:`BootstrapDemand`,
  :func:`draw_lead_times`.
"""

from .base import BaseStock, DemandStream, EngineResult, MinMax, OrderUpTo, ReorderPoint
from .fifo import run_fifo
from .montecarlo import SimulationResult, simulate
from .sources import BootstrapDemand, ForecastDemand, PoissonDemand, draw_lead_times

__all__ = [
    "BaseStock",
    "BootstrapDemand",
    "DemandStream",
    "EngineResult",
    "ForecastDemand",
    "MinMax",
    "OrderUpTo",
    "PoissonDemand",
    "ReorderPoint",
    "SimulationResult",
    "draw_lead_times",
    "run_fifo",
    "simulate",
]
