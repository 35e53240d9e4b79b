"""The planner's report: self-contained HTML, an Excel workbook and CSV files.

:func:`build_report` writes it for a dataset; :func:`load_config` reads its settings
from TOML (``backorder-analytics report --config planning.toml``).
"""

from .build import ReportWarning, build_report
from .config import ConfigError, ReportConfig, load_config, read_configured_dataset
from .export import neutralise_formulas
from .publish import ReportError

__all__ = ["build_report", "ReportWarning", "ReportError", "ConfigError", "ReportConfig",
           "load_config", "read_configured_dataset", "neutralise_formulas"]
