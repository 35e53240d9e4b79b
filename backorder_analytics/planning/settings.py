"""What a planning run needs to know: :class:`PlanSettings` and its sections.

The sections map onto the TOML of a ``planning.toml`` (``[service]``, ``[policy]``,
``[forecast]``, ``[risk]``, ``[alerts]``; ``n_reps`` and ``seed`` are in its
``[report]`` section, see :mod:`backorder_analytics.report.config`). Each value is
checked when read, and the defaults are those of the functions the run calls
(:mod:`backorder_analytics.parameters`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .. import parameters as P
from ..exceptions import BackorderAnalyticsError
from .alert_rules import UPDATE_EVERY_DAYS, WARN_DAYS
from .targets import CycleServiceLevel, FillRate, WaitTime

__all__ = ["PlanSettings", "ServiceConfig", "PolicyConfig", "ForecastConfig", "RiskConfig",
           "AlertsConfig", "SupplyConfig", "SettingsError", "TARGETS", "PLAN_SECTIONS", "checked",
           "BadValue", "choice", "number", "probabilities", "models", "jobs", "unknown_key"]

TARGETS = ("fill_rate", "cycle_service_level", "wait_time")


class SettingsError(BackorderAnalyticsError, ValueError):
    """A setting is wrong: an unknown key or a bad value (the message says which)."""


class BadValue(Exception):
    """A value check failed; the caller adds where the value came from."""


# ------------------------------------------------------------------ value checks
# Each check takes the raw value (as TOML or a dict holds it) and returns the value to
# store, or raises BadValue with what was expected.


def choice(*options: str) -> Callable[[Any], str]:
    def check(v):
        if v not in options:
            raise BadValue(f"one of {', '.join(map(repr, options))}")
        return v
    return check


def number(low: float | None = None, *, integer: bool = False, low_open: bool = False,
           high: float | None = None, high_open: bool = False,
           none: bool = False) -> Callable[[Any], Any]:
    expected = P.describe_range("an integer" if integer else "a number", low, high,
                                low_open=low_open, high_open=high_open)
    if none:
        expected += ' or "none"'

    def check(v):
        if none and isinstance(v, str) and v.lower() == "none":
            return None
        ok_type = isinstance(v, int) if integer else isinstance(v, int | float)
        if isinstance(v, bool) or not ok_type:
            raise BadValue(expected)
        if none and v == float("inf"):  # no limit
            return None
        if not math.isfinite(v):
            raise BadValue(expected)
        if low is not None and (v <= low if low_open else v < low):
            raise BadValue(expected)
        if high is not None and (v >= high if high_open else v > high):
            raise BadValue(expected)
        return int(v) if integer else float(v)
    return check


def probabilities(v):
    expected = "a list of numbers strictly between 0 and 1, e.g. [0.5, 0.8, 0.95]"
    if not isinstance(v, list | tuple) or not v:
        raise BadValue(expected)
    for x in v:
        if isinstance(x, bool) or not isinstance(x, int | float) or not 0 < x < 1:
            raise BadValue(expected)
    return tuple(sorted({float(x) for x in v}))


def jobs(v):
    if v == -1 and not isinstance(v, bool):
        return -1
    return number(1, integer=True)(v)


def models(v):
    if isinstance(v, str) and v:
        return v
    if isinstance(v, list | tuple) and v and all(isinstance(x, str) and x for x in v):
        return tuple(v)
    raise BadValue('a model name ("auto", "ses", ...) or a list of names')


def checked(check, value, where: str, key: str, error: type[Exception] = SettingsError):
    """``check(value)``, or ``error`` naming ``where`` and ``key`` and what is allowed."""
    try:
        return check(value)
    except BadValue as err:
        raise error(f"{where}: {key} must be {err}. Got {value!r} instead.") from None


def unknown_key(where: str, key: str, section: str | None, allowed,
                error: type[Exception] = SettingsError) -> Exception:
    import difflib

    near = difflib.get_close_matches(key, list(allowed), n=1)
    hint = f" Did you mean {near[0]!r}?" if near else ""
    place = f"in [{section}]" if section else "at the top level"
    return error(f"{where}: unknown key {key!r} {place}. Allowed keys: "
                 f"{', '.join(allowed)}.{hint}")


# ------------------------------------------------------------------ the sections


@dataclass(frozen=True)
class ServiceConfig:
    """``[service]``: the service target of the safety-stock recommendation."""

    target: str = "fill_rate"
    level: float = 0.95
    days: float = 2.0
    quantile: float = 0.95

    def to_target(self) -> FillRate | CycleServiceLevel | WaitTime:
        """The target object :func:`recommend_safety_stock` takes."""
        if self.target == "fill_rate":
            return FillRate(self.level)
        if self.target == "cycle_service_level":
            return CycleServiceLevel(self.level)
        return WaitTime(self.days, self.quantile)

    def describe(self) -> str:
        """The target in words, e.g. "fill rate 95.0%"."""
        if self.target == "wait_time":
            return f"{self.quantile:.0%} of order lines ship within {self.days:g} days"
        return f"{self.target.replace('_', ' ')} {self.level:.1%}"


@dataclass(frozen=True)
class PolicyConfig:
    """``[policy]``: how backorders are served and stock is reviewed."""

    allocation: str = "fifo"
    shipping: str = "partial"
    max_wait_days: float | None = P.MAX_WAIT_DAYS
    review: str = "continuous"
    review_period: float = 7.0

    def describe(self) -> str:
        """The rules in words, e.g. "fifo allocation, partial shipping, ..."."""
        limit = ("no time limit" if self.max_wait_days is None
                 else f"lines cancelled after {self.max_wait_days:g} days")
        return f"{self.allocation} allocation, {self.shipping} shipping, {limit}"


@dataclass(frozen=True)
class ForecastConfig:
    """``[forecast]``: the demand forecast.

    The run forecasts daily demand once (risk needs days); ``freq`` is how the report
    shows it (``"W"``: weekly sums of the daily forecast) and ``horizon`` how far
    [days].
    """

    horizon: int = 28
    freq: str = "W"
    model: str | tuple[str, ...] = "auto"
    quantiles: tuple[float, ...] = (0.5, 0.8, 0.95)

    @property
    def periods(self) -> int:
        """The horizon in periods of ``freq`` (whole weeks cover the days asked)."""
        return self.horizon if self.freq == "D" else -(-self.horizon // 7)


@dataclass(frozen=True)
class RiskConfig:
    """``[risk]``: SKUs at risk of backorders."""

    horizon: int = 28


@dataclass(frozen=True)
class SupplyConfig:
    """``[supply]``: lead times when the data has no received purchase order (sales-only
    data): one for every SKU [days], or per supplier or SKU in the items table's
    ``lead_time_days`` column, which wins."""

    lead_time_days: float | None = None


@dataclass(frozen=True)
class AlertsConfig:
    """``[alerts]``: when an open backorder or a customer needs action [days]."""

    warn_days: float = WARN_DAYS
    update_every_days: float = UPDATE_EVERY_DAYS


PLAN_SECTIONS: dict[str, tuple[type, dict[str, Callable[[Any], Any]]]] = {
    "service": (ServiceConfig, {
        "target": choice(*TARGETS),
        "level": number(0, high=1, low_open=True, high_open=True),
        "days": number(0),
        "quantile": number(0, high=1, low_open=True, high_open=True)}),
    "policy": (PolicyConfig, {
        "allocation": choice(*P.ALLOCATIONS),
        "shipping": choice(*P.SHIPPING),
        "max_wait_days": number(0, none=True),
        "review": choice("continuous", "periodic"),
        "review_period": number(0, low_open=True)}),
    "forecast": (ForecastConfig, {
        "horizon": number(1, integer=True), "freq": choice("D", "W"),
        "model": models, "quantiles": probabilities}),
    "risk": (RiskConfig, {"horizon": number(1, integer=True)}),
    "alerts": (AlertsConfig, {"warn_days": number(0),
                              "update_every_days": number(0, low_open=True)}),
    "supply": (SupplyConfig, {"lead_time_days": number(0, low_open=True)}),
}
"""The planning sections of a ``planning.toml``: key -> check, per section."""
_WAIT_ONLY, _LEVEL_ONLY = ("days", "quantile"), ("level",)


def section(raw: Any, name: str, where: str, checks: dict,
            error: type[Exception] = SettingsError) -> dict[str, Any]:
    """The checked values of one section (a mapping of key -> value)."""
    if not isinstance(raw, Mapping):
        raise error(f"{where}: [{name}] must be a table of keys ({', '.join(checks)}). "
                    f"Got {raw!r} instead.")
    out = {}
    for key, value in raw.items():
        if key not in checks:
            raise unknown_key(where, key, name, checks, error)
        out[key] = checked(checks[key], value, where, f"[{name}] {key}", error)
    return out


def plan_section(name: str, raw: Any, where: str, error: type[Exception] = SettingsError):
    """One planning section's dataclass from its raw mapping."""
    cls, checks = PLAN_SECTIONS[name]
    values = section(raw, name, where, checks, error)
    if name == "service":
        target = values.get("target", "fill_rate")
        stray = [k for k in (_LEVEL_ONLY if target == "wait_time" else _WAIT_ONLY)
                 if k in values]
        if stray:
            use = "days and quantile" if target == "wait_time" else "level"
            raise error(f"{where}: [service] {stray[0]} is not used with target = "
                        f"{target!r}; that target takes {use}.")
    return cls(**values)


@dataclass(frozen=True)
class PlanSettings:
    """Every setting of a planning run (:func:`~backorder_analytics.plan`).

    Build one directly, from a mapping shaped like a ``planning.toml``
    (:meth:`from_mapping`), or take a report's (``ReportConfig.settings``).

    Attributes
    ----------
    service, policy, forecast, risk, alerts, supply
        The sections (see their classes).
    n_reps : int, default :data:`~backorder_analytics.parameters.PLAN_REPS`
        Replications of every Monte Carlo step (safety stock, ETAs, risk).
    seed : int, default 0
        The same seed gives the same numbers.
    n_jobs : int, default -1
        Threads for the steps that use them (the safety-stock search); -1: one per
        core. The numbers do not depend on it.

    Examples
    --------
    >>> s = PlanSettings.from_mapping({"policy": {"allocation": "priority"}, "seed": 3})
    >>> s.policy.allocation, s.seed, s.policy.max_wait_days
    ('priority', 3, 30.0)
    """

    service: ServiceConfig = field(default_factory=ServiceConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    forecast: ForecastConfig = field(default_factory=ForecastConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    supply: SupplyConfig = field(default_factory=SupplyConfig)
    n_reps: int = P.PLAN_REPS
    seed: int = P.SEED
    n_jobs: int = -1

    def __post_init__(self) -> None:
        P.check_n_reps(self.n_reps)
        P.check_seed(self.seed)
        P.check_n_jobs(self.n_jobs)

    @classmethod
    def from_mapping(cls, raw: Mapping, where: str = "settings") -> PlanSettings:
        """Settings from ``{"policy": {...}, "service": {...}, ..., "n_reps": 200,
        "seed": 0}`` (every key optional); unknown keys and bad values raise
        :class:`SettingsError` naming the key."""
        if not isinstance(raw, Mapping):
            raise TypeError(f"The 'settings' parameter must be a mapping. Got "
                            f"{type(raw).__name__} instead.")
        scalars = {"n_reps": number(1, integer=True), "seed": number(0, integer=True),
                   "n_jobs": jobs}
        kwargs: dict[str, Any] = {}
        for key, value in raw.items():
            if key in PLAN_SECTIONS:
                kwargs[key] = plan_section(key, value, where)
            elif key in scalars:
                kwargs[key] = checked(scalars[key], value, where, key)
            else:
                raise unknown_key(where, key, None, [*PLAN_SECTIONS, *scalars])
        return cls(**kwargs)

    @classmethod
    def of(cls, value: Any) -> PlanSettings:
        """``value`` as settings: None (the defaults), a PlanSettings, a mapping, or an
        object with a ``settings`` attribute (a report's config)."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            return cls.from_mapping(value)
        inner = getattr(value, "settings", None)
        if isinstance(inner, cls):
            return inner
        raise TypeError("The 'settings' parameter must be None, a PlanSettings, a mapping "
                        f"or a ReportConfig. Got {type(value).__name__} instead.")

    def as_dict(self) -> dict[str, Any]:
        """The settings as a nested dict (for display and for the report's tables)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = ({g.name: getattr(value, g.name) for g in fields(value)}
                           if hasattr(value, "__dataclass_fields__") else value)
        return out
