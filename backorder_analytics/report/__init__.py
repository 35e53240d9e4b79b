"""The planner's report: self-contained HTML (and, later, Excel and CSV)."""

from .build import build_report

__all__ = ["build_report"]
