"""The report's settings: :class:`ReportConfig`, read from TOML by :func:`load_config`.

A ``planning.toml`` (every key optional; the defaults are those below)::

    title = "Backorder report"
    as_of = 2025-12-30T23:59:59        # "today"; default: the data's own as_of

    [data]                             # paths are relative to this file
    folder = "."                       # orders.csv, purchase_orders.csv, inventory.csv ...
    orders = "exports/orders.xlsx"     # one table from its own file (overrides the folder)
    errors = "report"                  # "report": set bad rows aside; "raise": stop
    date_format = "%d.%m.%Y"           # dayfirst, thousands, encoding, sheet_name, query
    [data.column_map.orders]           # your column -> canonical name, per table
    "Item number" = "sku"

    [service]
    target = "fill_rate"               # "fill_rate" | "cycle_service_level" | "wait_time"
    level = 0.95                       # fill rate / cycle service level
    # days = 2, quantile = 0.95        # wait_time: a share `quantile` ships within `days`

    [policy]
    allocation = "fifo"                # "fifo" | "priority"
    shipping = "partial"               # "partial" | "complete"
    max_wait_days = 30                 # a line still waiting this long is cancelled; "none"
    review = "continuous"              # "continuous" | "periodic"
    review_period = 7                  # days between reviews (periodic)

    [forecast]
    horizon = 28                       # days ahead
    freq = "W"                         # forecast weekly ("W") or daily ("D") demand
    model = "auto"                     # or a model name, or a list of names
    quantiles = [0.5, 0.8, 0.95]

    [risk]
    horizon = 28                       # days ahead

    [alerts]
    warn_days = 7                      # warn this many days before the time limit
    update_every_days = 7              # a customer waiting this long hears from us again

    [supply]
    # lead_time_days = 7               # sales-only data (no received PO): the lead time
                                       # of every SKU (items' lead_time_days wins)

    [report]
    outputs = ["html", "xlsx", "csv"]
    n_reps = 200                       # Monte Carlo replications per SKU
    seed = 0
    charts = 4                         # SKUs with their own chart in each section
    n_jobs = -1                        # threads; -1: one per core (same numbers)
    # scheduler = "local"              # run on Dask: "local" (a cluster on this machine)
                                       # or "tcp://host:8786"; same numbers (needs the
                                       # dask extra). With a [data] folder written
                                       # partitioned by SKU, out of core: each worker
                                       # reads its partitions, the driver no order line.
                                       # "synchronous": the partitions one after another
                                       # in this process (no Dask; least memory)
    # partitions = 16                  # SKU partitions on Dask (default 4 per thread)

Unknown keys and values of the wrong type raise :class:`ConfigError`, naming the file,
the key and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..data.dataset import to_timestamp
from ..planning.settings import (
    PLAN_SECTIONS,
    AlertsConfig,
    BadValue,
    ForecastConfig,
    PlanSettings,
    PolicyConfig,
    RiskConfig,
    ServiceConfig,
    SettingsError,
    SupplyConfig,
    checked,
    choice,
    jobs,
    number,
    plan_section,
    unknown_key,
)
from ..planning.settings import section as _checked_section

__all__ = ["ConfigError", "ReportConfig", "DataConfig", "ServiceConfig", "PolicyConfig",
           "ForecastConfig", "RiskConfig", "AlertsConfig", "OutputConfig", "load_config",
           "OUTPUTS", "TABLES", "read_configured_dataset", "apply_as_of"]

TABLES = ("orders", "purchase_orders", "inventory", "items", "shipments")
OUTPUTS = ("html", "xlsx", "csv")


class ConfigError(SettingsError):
    """The report's configuration is wrong: an unknown key, a bad value, a missing file."""



_choice, _number = choice, number


def _text(v):
    if not isinstance(v, str) or not v:
        raise BadValue("a non-empty string")
    return v


def _flag(v):
    if not isinstance(v, bool):
        raise BadValue("true or false")
    return v


def _date(v):
    if isinstance(v, dt.time) or not isinstance(v, str | dt.date):
        raise BadValue('a date or date-time, e.g. 2025-12-30 or "2025-12-30T23:59:59"')
    try:
        return to_timestamp(v)  # a time zone is read in UTC, like the data's dates
    except (ValueError, TypeError):
        raise BadValue('a date or date-time, e.g. 2025-12-30 or "2025-12-30T23:59:59"') from None


def _scheduler(v):
    if isinstance(v, str) and (v in ("local", "synchronous") or "://" in v):
        return v
    raise BadValue('"local", "synchronous" or a Dask scheduler address such as '
                   '"tcp://host:8786"')


def _subset(*options: str) -> Callable[[Any], tuple[str, ...]]:
    expected = f"a list of some of {', '.join(map(repr, options))}"

    def check(v):
        if isinstance(v, str):
            v = [p.strip() for p in v.split(",")]
        if not isinstance(v, list) or not v or any(x not in options for x in v):
            raise BadValue(expected)
        return tuple(o for o in options if o in v)
    return check


def _str_map(v, what: str) -> dict[str, str]:
    if not isinstance(v, Mapping) or not all(isinstance(x, str) and x for x in v.values()):
        raise BadValue(what)
    return dict(v)


def _column_map(v):
    expected = ('a table of your column -> canonical name, shared ({"Item" = "sku"}) or per '
                'table ([data.column_map.orders] "Item" = "sku")')
    if not isinstance(v, Mapping) or not v:
        raise BadValue(expected)
    if all(isinstance(x, Mapping) for x in v.values()):
        unknown = [k for k in v if k not in TABLES]
        if unknown:
            raise BadValue(f"{expected}; the tables are {', '.join(TABLES)} (got {unknown[0]!r})")
        return {k: _str_map(m, expected) for k, m in v.items()}
    return _str_map(v, expected)


def _per_table_text(v):
    if isinstance(v, str) and v:
        return v
    expected = f"a string, or a table of strings per table ({', '.join(TABLES)})"
    if isinstance(v, Mapping) and v and all(k in TABLES for k in v):
        return _str_map(v, expected)
    raise BadValue(expected)


def _sheet(v):
    if isinstance(v, bool) or not isinstance(v, str | int):
        raise BadValue("a sheet name or a 0-based sheet number")
    return v


# ------------------------------------------------------------------ the settings


@dataclass(frozen=True)
class DataConfig:
    """``[data]``: where the tables are and how to read them (see :func:`read_dataset`).

    ``folder`` and the per-table ``files`` are absolute paths (resolved against the
    config file's folder) or database URLs; ``options`` go to ``read_dataset``.
    """

    folder: Path | None = None
    files: dict[str, str] = field(default_factory=dict)
    column_map: dict | None = None
    errors: str = "report"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def given(self) -> bool:
        """Whether any data source is configured."""
        return self.folder is not None or bool(self.files)


@dataclass(frozen=True)
class OutputConfig:
    """``[report]``: what to write and how much simulation to spend."""

    outputs: tuple[str, ...] = OUTPUTS
    n_reps: int = 200
    seed: int = 0
    charts: int = 4
    n_jobs: int = -1
    scheduler: str | None = None
    partitions: int | None = None


@dataclass(frozen=True)
class ReportConfig:
    """Everything :func:`build_report` and ``backorder-analytics report`` need.

    Build one with :func:`load_config` (from a TOML file or a dict) or directly;
    ``ReportConfig()`` holds the defaults.

    Examples
    --------
    >>> config = load_config({"policy": {"allocation": "priority"},
    ...                       "service": {"target": "fill_rate", "level": 0.9}})
    >>> config.policy.allocation, config.service.to_target()
    ('priority', FillRate(beta=0.9))
    >>> config.forecast.horizon
    28
    """

    title: str = "Backorder report"
    as_of: pd.Timestamp | None = None
    data: DataConfig = field(default_factory=DataConfig)
    service: ServiceConfig = field(default_factory=ServiceConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    forecast: ForecastConfig = field(default_factory=ForecastConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    supply: SupplyConfig = field(default_factory=SupplyConfig)
    report: OutputConfig = field(default_factory=OutputConfig)
    source: Path | None = None

    @property
    def settings(self) -> PlanSettings:
        """The planning run's settings (:func:`~backorder_analytics.plan`)."""
        return PlanSettings(service=self.service, policy=self.policy, forecast=self.forecast,
                            risk=self.risk, alerts=self.alerts, supply=self.supply,
                            n_reps=self.report.n_reps,
                            seed=self.report.seed, n_jobs=self.report.n_jobs)

    def with_overrides(self, *, as_of=None, outputs=None, title=None,
                       scheduler=None) -> ReportConfig:
        """A copy with the command line's overrides applied (None keeps the value)."""
        where = str(self.source) if self.source else "the command line"
        changes: dict[str, Any] = {}
        if as_of is not None:
            changes["as_of"] = _checked(_date, as_of, where, "--as-of")
        if title is not None:
            changes["title"] = title
        out = replace(self, **changes)
        if outputs is not None:
            fmt = _checked(_subset(*OUTPUTS), outputs, where, "--format")
            out = replace(out, report=replace(out.report, outputs=fmt))
        if scheduler is not None:
            address = _checked(_scheduler, scheduler, where, "--scheduler")
            out = replace(out, report=replace(out.report, scheduler=address))
        return out


# Keys of each section: name -> check. Sections map onto the dataclasses above.
_DATA_KEYS: dict[str, Callable[[Any], Any]] = {
    "folder": _text, **{t: _text for t in TABLES},
    "column_map": _column_map, "errors": _choice("report", "raise"),
    "date_format": _text, "dayfirst": _flag, "thousands": _text, "encoding": _text,
    "sheet_name": _sheet, "query": _per_table_text,
}
_SECTIONS: dict[str, tuple[type, dict[str, Callable[[Any], Any]]]] = {
    **PLAN_SECTIONS,
    "report": (OutputConfig, {
        "outputs": _subset(*OUTPUTS), "n_reps": _number(1, integer=True),
        "seed": _number(0, integer=True), "charts": _number(0, integer=True),
        "n_jobs": jobs, "scheduler": _scheduler, "partitions": _number(1, integer=True)}),
}
_TOP_KEYS = {"title": _text, "as_of": _date}


def _checked(check, value, where: str, key: str):
    return checked(check, value, where, key, ConfigError)


def _unknown(where: str, key: str, section: str | None, allowed) -> Exception:
    return unknown_key(where, key, section, allowed, ConfigError)


def _section(raw: Any, name: str, where: str, checks: dict) -> dict[str, Any]:
    return _checked_section(raw, name, where, checks, ConfigError)


def _resolve(value: str, base: Path, where: str, key: str, folder: bool) -> Path | str:
    if "://" in value:          # a database URL
        return value
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    ok = path.is_dir() if folder else path.is_file()
    if not ok:
        kind = "folder" if folder else "file"
        raise ConfigError(f"{where}: [data] {key} = {value!r}: no such {kind} ({path}). "
                          f"Paths are relative to the config file's folder ({base}).")
    return path


def _data(raw: Any, where: str, base: Path) -> DataConfig:
    values = _section(raw, "data", where, _DATA_KEYS)
    folder = values.pop("folder", None)
    if folder is not None:
        folder = _resolve(folder, base, where, "folder", folder=True)
    resolved = {t: _resolve(values.pop(t), base, where, t, folder=False)
                for t in TABLES if t in values}
    files = {t: str(p) for t, p in resolved.items()}
    column_map = values.pop("column_map", None)
    errors = values.pop("errors", "report")
    return DataConfig(folder=folder, files=files, column_map=column_map, errors=errors,
                      options=values)


def load_config(source: str | os.PathLike | Mapping | ReportConfig | None = None
                ) -> ReportConfig:
    """Read the report's settings from a TOML file, a dict of the same shape, or None.

    Parameters
    ----------
    source : path, dict, ReportConfig or None
        A ``.toml`` file (paths in it are relative to its folder), a dict with the
        TOML's structure (paths relative to the current folder), a ready
        :class:`ReportConfig` (returned as is) or None (the defaults). The keys are in
        the module docstring.

    Returns
    -------
    ReportConfig

    Raises
    ------
    ConfigError
        A missing or malformed file, an unknown key, a value of the wrong type or out
        of range, or a data path that does not exist; the message names the file and
        the key and says what is allowed.

    Examples
    --------
    >>> load_config({"report": {"n_reps": 50}}).report.n_reps
    50
    >>> load_config({"policy": {"alocation": "fifo"}})
    Traceback (most recent call last):
    ...
    backorder_analytics.report.config.ConfigError: config: unknown key 'alocation' in \
[policy]. Allowed keys: allocation, shipping, max_wait_days, review, review_period. \
Did you mean 'allocation'?
    """
    if source is None:
        return ReportConfig()
    if isinstance(source, ReportConfig):
        return source
    if isinstance(source, Mapping):
        return _from_dict(source, "config", Path.cwd(), None)
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"The 'config' parameter must be a path to a TOML file, a dict, a "
                        f"ReportConfig or None. Got {type(source).__name__} instead.")
    path = Path(source).expanduser()
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file. Write one (every key is "
                          "optional): 'backorder-analytics example-data --out example' "
                          "writes a commented planning.toml to start from.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the file as UTF-8.") from None
    return _from_dict(raw, str(path), path.resolve().parent, path)


def _from_dict(raw: Mapping, where: str, base: Path, source: Path | None) -> ReportConfig:
    allowed = list(_TOP_KEYS) + ["data"] + list(_SECTIONS)
    kwargs: dict[str, Any] = {"source": source}
    for key, value in raw.items():
        if key in _TOP_KEYS:
            kwargs[key] = _checked(_TOP_KEYS[key], value, where, key)
        elif key == "data":
            kwargs["data"] = _data(value, where, base)
        elif key in PLAN_SECTIONS:
            kwargs[key] = plan_section(key, value, where, ConfigError)
        elif key in _SECTIONS:
            cls, checks = _SECTIONS[key]
            kwargs[key] = cls(**_section(value, key, where, checks))
        else:
            raise _unknown(where, key, None, allowed)
    return ReportConfig(**kwargs)


def section_keys() -> dict[str, list[str]]:
    """Every allowed key, by section (for documentation and tests)."""
    out = {"": list(_TOP_KEYS), "data": list(_DATA_KEYS)}
    out.update({name: list(checks) for name, (_, checks) in _SECTIONS.items()})
    return out


def read_configured_dataset(config: ReportConfig):
    """Load and validate the data the config's ``[data]`` section names.

    Raises
    ------
    ConfigError
        If the config names no data.
    DataError
        If the data breaks its contract (with ``errors = "raise"``, or a fatal problem).
    """
    from ..data.loaders import read_dataset

    data = config.data
    if not data.given:
        where = str(config.source) if config.source else "config"
        raise ConfigError(f"{where}: [data] names no data. Set folder = \"...\" (a folder "
                          "with orders.csv, and purchase_orders.csv and inventory.csv when "
                          "there are) or an orders file (and the others).")
    files: Mapping[str, Any] = data.files  # by table name
    ds = read_dataset(data.folder, **files, column_map=data.column_map,
                      errors=data.errors, **data.options)
    return apply_as_of(ds, config.as_of)


def apply_as_of(ds, as_of: pd.Timestamp | None):
    """The dataset as of ``as_of``: unchanged for None or its own ``as_of``; as it was
    known then for an earlier moment (:meth:`Dataset.as_at`); with "today" moved on
    for a later one (nothing happened in between that the data knows of)."""
    if as_of is None or as_of == ds.as_of:
        return ds
    if as_of < ds.as_of:
        return ds.as_at(as_of)
    return replace(ds, as_of=as_of)
