"""A deterministic synthetic retailer with known ground truth: :func:`example_dataset`.

The generator simulates, SKU by SKU, customer demand, a reorder-point policy, suppliers
with random lead times and a backorder queue, and records what a retailer's systems
would: order lines, shipments, purchase orders, monthly stock counts and an item master.
The generating parameters are returned in ``Dataset.truth`` so that estimates made from
the tables (demand rates, lead-time distributions, fill rates) can be checked.

Conventions
-----------
Time
    Continuous, kept in whole seconds from ``start`` (midnight). Customer orders arrive
    between 06:00 and 22:00; each SKU is reviewed once a day at 22:00. ``as_of`` is the
    last second of the last day (``start + days`` days − 1 s), so every recorded event
    lies at or before ``as_of`` and ``as_of.normalize()`` is the last day with data.
Demand
    Order lines of each SKU arrive as a Poisson process with a daily rate (seasonal for
    some SKUs); a line's size is ``1 + NegativeBinomial``. Lines of one customer order
    share the order's timestamp; within an order the SKUs are distinct.
Lead time
    ``received_date − order_date`` of a purchase order, in days, continuous (drawn from
    the supplier's distribution, rounded to the second). Lead times are independent, so
    purchase orders may cross (a later PO can arrive first). ``expected_date`` is
    ``order_date`` plus the supplier's quoted lead time (its median, whole days).
    Goods arrive complete: ``received_quantity == quantity``.
Order of events at one instant
    Receipts first, then demand, then cancellations, then the daily review.
Policy
    Continuous-review ``(r, Q)`` checked daily at 22:00 on the inventory position
    (on hand + on order − backorders): when it is ``<= r``, one PO for the smallest
    multiple of ``Q`` that lifts it above ``r`` is placed.
Backorder queue
    Demand that cannot be met from stock waits. By default (``allocation="priority"``,
    ``shipping="partial"``) the queue is served on each receipt by ``priority`` (lower
    first: 0 key account, 1 regular, 2 small) then arrival time, shipping what is
    there, so stock on hand is positive only while the queue is empty.
    ``allocation="fifo"`` serves by arrival alone; ``shipping="complete"`` ships a
    line only whole and the lines behind it wait (no overtaking), as
    :func:`backorder_analytics.replay` does with the same rules. A backordered line
    of a customer who cancels is cancelled if it is still waiting ``patience`` days
    after it was ordered: its ``cancel_date`` is set and its remaining units are
    never shipped. Conservation holds per line:
    ordered = shipped + still open at ``as_of`` + cancelled.
Inventory
    ``on_hand`` at 00:00 of ``start`` and of the first day of each month, before that
    day's events.

Examples
--------
>>> from backorder_analytics.data.example import example_dataset
>>> ds = example_dataset(seed=0)
>>> ds.as_of
Timestamp('2025-12-30 23:59:59')
>>> ds.orders["sku"].nunique()
60
>>> sorted(ds.truth["demand"]["pattern"].unique())
['erratic', 'intermittent', 'lumpy', 'seasonal', 'smooth']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..parameters import check_options, check_scalar
from .dataset import Dataset
from .example_simulation import REVIEW_SECOND, SECONDS_PER_DAY, simulate
from .schemas import SCHEMAS, conform

__all__ = ["example_dataset", "PATTERNS", "SUPPLIERS"]

OPEN_SECOND = 6 * 3600
"""Customers order from 06:00 until 22:00 (REVIEW_SECOND), when each SKU is reviewed."""

N_CUSTOMERS = 300
MAX_LINES_PER_ORDER = 5
P_JOIN_ORDER = 0.3
"""Probability that a line joins the previous order of the same day."""

PATTERNS: dict[str, dict[str, Any]] = {
    # share of SKUs, line rate [lines/day], mean line size [units], NB dispersion k
    "smooth": {"share": 0.30, "rate": (3.0, 8.0), "size": (1.5, 3.0), "k": 8.0},
    "seasonal": {"share": 0.20, "rate": (4.0, 10.0), "size": (1.5, 3.0), "k": 8.0},
    "erratic": {"share": 0.15, "rate": (2.0, 4.0), "size": (6.0, 15.0), "k": 0.5},
    "intermittent": {"share": 0.15, "rate": (0.05, 0.3), "size": (3.0, 8.0), "k": 50.0},
    "lumpy": {"share": 0.20, "rate": (0.05, 0.3), "size": (8.0, 25.0), "k": 0.5},
}
"""Demand patterns: share of SKUs and the ranges their parameters are drawn from.

A line's size is ``1 + NegativeBinomial(k, p)`` with ``p`` set for the mean size; small
``k`` makes sizes variable (erratic, lumpy), large ``k`` steady (intermittent)."""

SUPPLIERS: dict[str, tuple[str, dict[str, float]]] = {
    "SUP-A": ("gamma", {"a": 16.0, "scale": 5.0 / 16.0}),  # local, fast, reliable
    "SUP-B": ("gamma", {"a": 6.0, "scale": 10.0 / 6.0}),
    "SUP-C": ("gamma", {"a": 9.0, "scale": 20.0 / 9.0}),  # overseas
    "SUP-D": ("lognorm", {"s": 0.3, "scale": 8.0}),
    "SUP-E": ("lognorm", {"s": 0.9, "scale": 9.0}),  # unreliable, heavy tail
}
"""Lead-time distribution of each supplier [days]: scipy.stats name and parameters."""

SHARE_TOO_LOW = 0.3
Z_TOO_LOW = (-0.8, 0.0)
Z_SOUND = (1.2, 2.2)
Z_SLOW_SHIFT = 1.0
"""Share of SKUs whose reorder point is set too low, and the safety-factor ranges; the
factor of too-low intermittent and lumpy SKUs is lowered by a further ``Z_SLOW_SHIFT``."""

MAX_AMPLITUDE = 0.95
"""Cap of a seasonal amplitude once scaled by ``seasonality``: the rate stays positive."""

TIERS = np.array([0, 1, 2])
TIER_SHARE = np.array([0.10, 0.50, 0.40])
TIER_WEIGHT = np.array([4.0, 1.5, 0.5])
"""Order-volume multiplier of key accounts, regular and small customers."""
TIER_DISCOUNT = np.array([0.85, 0.95, 1.0])
TIER_CANCEL = np.array([0.0, 0.25, 0.6])
"""Probability that a backordered line of each tier is cancelled at the patience limit."""
TIER_PATIENCE = ((0, 0), (14, 30), (5, 21))
"""Range of each tier's patience [whole days]."""
TIER_B2B = np.array([1.0, 0.7, 0.2])
"""Probability that a customer of each tier orders through the ``"b2b"`` channel."""

_NOUNS = ("bolt", "bracket", "hinge", "valve", "filter", "cable", "switch", "bearing",
          "gasket", "sensor", "pump", "fitting", "clamp", "relay", "hose", "spring")
_ADJECTIVES = ("steel", "brass", "compact", "heavy-duty", "standard", "mini", "industrial",
               "coated")


def example_dataset(
    seed: int = 0,
    n_skus: int = 60,
    start: str | pd.Timestamp = "2024-01-01",
    days: int = 730,
    *,
    seasonality: float = 1.0,
    lead_time_spread: float = 1.0,
    share_too_low: float = SHARE_TOO_LOW,
    allocation: str = "priority",
    shipping: str = "partial",
) -> Dataset:
    """A synthetic retailer's order, PO and stock history with its generating parameters.

    Demand of five patterns (smooth, seasonal, erratic, intermittent, lumpy) from 300
    customers in three priority tiers is served from stock replenished by a daily
    reviewed ``(r, Q)`` policy from five suppliers whose lead times differ (gamma,
    lognormal and one unreliable heavy-tailed lognormal). Reorder points of some SKUs
    are set too low, so stock-outs, backorders and cancellations happen; at ``as_of``
    there are open purchase orders and open backorders. The conventions (event order,
    allocation rule, time of day) are listed in the module docstring.

    Parameters
    ----------
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives identical tables.
    n_skus : int, default 60
        Number of SKUs, >= 5 (every pattern is present).
    start : str or pandas.Timestamp, default "2024-01-01"
        First day of the history (its time of day is ignored).
    days : int, default 730
        Length of the history [days], >= 28.
    seasonality : float, default 1.0
        Strength of the seasonal SKUs' weekly and yearly cycles: their amplitudes
        (weekly 0.2–0.5, yearly 0.3–0.6 of the mean rate at 1.0) are multiplied by it,
        each capped at 0.95 so the rate stays positive; 0 makes them flat.
    lead_time_spread : float, default 1.0
        Multiplies every supplier's coefficient of variation of lead time at the same
        mean: gamma shape ``a / spread²``; lognormal ``s`` such that the CV scales
        and the mean is kept. 2 doubles the spread (heavier tails).
    share_too_low : float, default 0.3
        Share of SKUs whose reorder point is set too low (safety factor −0.8 … 0,
        a further −1 for intermittent and lumpy SKUs), in [0, 1].
    allocation : {"priority", "fifo"}, default "priority"
        How the backorder queue is served: by customer priority then arrival, or by
        arrival alone.
    shipping : {"partial", "complete"}, default "partial"
        Ship what is there, or a line only whole (the lines behind it wait).

    The knobs change only the simulation and the parameters they name: the random
    draws are the same, so with the defaults the tables are those of earlier versions,
    and two calls differing in one knob differ only through it.

    Returns
    -------
    Dataset
        ``orders`` (``order_id, line_id, sku, quantity, order_date, customer_id,
        priority, unit_price, cancel_date, channel``), ``shipments`` (``order_id,
        line_id, sku, quantity, ship_date``), ``purchase_orders`` (``po_id, sku,
        supplier_id, quantity, order_date, expected_date, received_date,
        received_quantity``), ``inventory`` (``sku, date, on_hand``), ``items``
        (``sku, description, unit_cost, supplier_id, moq, pack_size``), ``as_of`` (the
        last second of the last day) and ``truth``, a dict of:

        ``"demand"``
            per SKU: ``pattern``, ``line_rate`` [lines/day, before seasonality],
            ``mean_size`` and ``size_dispersion`` (NB ``k``) [units/line],
            ``mean_daily_units`` [units/day, averaged over the history],
            ``seasonal``, ``weekly_amplitude``, ``weekly_peak_dow`` (0 = Monday),
            ``yearly_amplitude``, ``yearly_peak_doy``.
        ``"demand_rate"``
            per SKU and day: ``expected_lines`` and ``expected_units`` [per day].
        ``"lead_times"``
            per supplier: ``distribution`` (scipy name), ``params`` (dict), ``mean``,
            ``p50``, ``p90``, ``quoted_days`` [days].
        ``"lead_time_dist"``
            ``{supplier_id: frozen scipy.stats distribution}`` [days].
        ``"policy"``
            per SKU: ``supplier_id``, ``r``, ``Q``, ``opening_stock`` [units], ``z``
            (safety factor the reorder point was set with).
        ``"customers"``
            per customer: ``priority``, ``channel``, ``weight``, ``cancel_prob``,
            ``patience_days``.
        ``"service"``
            per SKU, as simulated: ``ordered_units``, ``filled_units`` (shipped at
            order time), ``cancelled_units``, ``open_units`` (backordered at
            ``as_of``), ``fill_rate``.
        ``"knobs"``
            ``seasonality``, ``lead_time_spread`` and ``share_too_low`` as given.
        ``"rules"``
            the simulation conventions (allocation, shipping, event order, times).

    Raises
    ------
    ValueError
        If ``n_skus < 5`` or ``days < 28``.

    Examples
    --------
    >>> ds = example_dataset(seed=0)
    >>> len(ds.truth["demand"]), ds.truth["demand"]["sku"].iloc[0]
    (60, 'SKU-0001')
    >>> float(ds.truth["lead_time_dist"]["SUP-A"].mean())
    5.0
    >>> len(ds.open_purchase_orders) > 0
    True
    """
    if int(n_skus) < 5:
        raise ValueError(f"The 'n_skus' parameter must be an integer >= 5. Got {n_skus!r} instead.")
    if int(days) < 28:
        raise ValueError(f"The 'days' parameter must be an integer >= 28. Got {days!r} instead.")
    n_skus, days = int(n_skus), int(days)
    seasonality = check_scalar(seasonality, "seasonality", low=0)
    lead_time_spread = check_scalar(lead_time_spread, "lead_time_spread", low=0,
                                    closed="right")
    share_too_low = check_scalar(share_too_low, "share_too_low", low=0, high=1)
    allocation, shipping = check_options(allocation, shipping)
    rng = np.random.default_rng(seed)
    origin = pd.Timestamp(start).normalize()
    dates = pd.date_range(origin, periods=days, freq="D")
    t_end = days * SECONDS_PER_DAY - 1
    as_of = origin + pd.Timedelta(seconds=t_end)

    skus = np.array([f"SKU-{i + 1:04d}" for i in range(n_skus)], dtype=object)
    demand, rate = _demand_parameters(rng, skus, dates, seasonality)
    lead = _lead_time_truth(lead_time_spread)
    suppliers = np.array(list(SUPPLIERS), dtype=object)
    sku_supplier = suppliers[rng.permutation(np.arange(n_skus) % len(suppliers))]
    items, policy = _items_and_policy(rng, skus, demand, lead, sku_supplier, share_too_low)
    customers = _customers(rng)

    lines = _order_lines(rng, demand, rate, customers)
    lt_days = _lead_time_draws(rng, lead, sku_supplier, days)

    sim = simulate(lines, policy, lt_days, days, t_end, dates, allocation, shipping)
    tables = _tables(origin, skus, lines, sim, policy, lead, customers, demand, items)

    truth = {
        "demand": demand,
        "demand_rate": pd.DataFrame(
            {
                "sku": np.repeat(skus, days),
                "date": np.tile(dates.values, n_skus),
                "expected_lines": rate.ravel(),
                "expected_units": (rate * demand["mean_size"].to_numpy()[:, None]).ravel(),
            }
        ),
        "lead_times": lead["table"],
        "lead_time_dist": lead["dist"],
        "policy": policy,
        "customers": customers,
        "service": tables.pop("service"),
        "knobs": {
            "seasonality": seasonality,
            "lead_time_spread": lead_time_spread,
            "share_too_low": share_too_low,
        },
        "rules": {
            "allocation": allocation,
            "shipping": shipping,
            "event_order": ("receipt", "demand", "cancel", "review"),
            "order_hours": ("06:00", "22:00"),
            "review_time": "22:00",
            "lead_time_unit": "days",
            "crossing": True,
        },
    }
    canonical: dict[str, Any] = {name: conform(table, SCHEMAS[name])
                                 for name, table in tables.items()}
    return Dataset(as_of=as_of, truth=truth, **canonical)


# --------------------------------------------------------------------------- parameters


def _pattern_of_each_sku(rng: np.random.Generator, n_skus: int) -> np.ndarray:
    names = list(PATTERNS)
    counts = np.array([max(1, int(PATTERNS[p]["share"] * n_skus)) for p in names])
    counts[0] += n_skus - counts.sum()
    return rng.permutation(np.repeat(np.array(names, dtype=object), counts))


def _demand_parameters(
    rng: np.random.Generator, skus: np.ndarray, dates: pd.DatetimeIndex,
    seasonality: float = 1.0,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per-SKU demand parameters and the expected line rate of each SKU and day."""
    n = len(skus)
    pattern = _pattern_of_each_sku(rng, n)
    u_rate, u_size = rng.random(n), rng.random(n)
    lo_r, hi_r = (np.array([PATTERNS[p]["rate"][j] for p in pattern]) for j in (0, 1))
    lo_s, hi_s = (np.array([PATTERNS[p]["size"][j] for p in pattern]) for j in (0, 1))
    line_rate = np.round(lo_r + (hi_r - lo_r) * u_rate, 3)
    mean_size = np.round(lo_s + (hi_s - lo_s) * u_size, 3)
    k = np.array([PATTERNS[p]["k"] for p in pattern])

    seasonal = pattern == "seasonal"
    w_amp = np.where(seasonal, np.round(rng.uniform(0.2, 0.5, n), 3), 0.0)
    w_peak = np.where(seasonal, rng.integers(0, 7, n), 0)
    y_amp = np.where(seasonal, np.round(rng.uniform(0.3, 0.6, n), 3), 0.0)
    y_peak = np.where(seasonal, rng.integers(1, 366, n), 1)
    w_amp, y_amp = (np.minimum(a * seasonality, MAX_AMPLITUDE) for a in (w_amp, y_amp))
    dow = dates.day_of_week.to_numpy()[None, :]
    doy = dates.day_of_year.to_numpy()[None, :]
    weekly = 1 + w_amp[:, None] * np.cos(2 * np.pi * (dow - w_peak[:, None]) / 7)
    yearly = 1 + y_amp[:, None] * np.cos(2 * np.pi * (doy - y_peak[:, None]) / 365.25)
    rate = line_rate[:, None] * weekly * yearly

    # size = 1 + NB(k, p): E = 1 + k (1 - p) / p, Var = k (1 - p) / p**2
    p = k / (k + mean_size - 1)
    var_size = k * (1 - p) / p**2
    demand = pd.DataFrame(
        {
            "sku": skus,
            "pattern": pattern,
            "line_rate": line_rate,
            "mean_size": mean_size,
            "size_dispersion": k,
            "var_size": var_size,
            "mean_daily_units": rate.mean(axis=1) * mean_size,
            "seasonal": seasonal,
            "weekly_amplitude": w_amp,
            "weekly_peak_dow": w_peak.astype(np.int64),
            "yearly_amplitude": y_amp,
            "yearly_peak_doy": y_peak.astype(np.int64),
        }
    )
    return demand, rate


def _spread(name: str, params: dict[str, float], spread: float) -> dict[str, float]:
    """Supplier parameters with the coefficient of variation times ``spread``, same mean."""
    if spread == 1.0:
        return dict(params)
    if name == "gamma":  # CV = 1/sqrt(a), mean = a·scale
        mean = params["a"] * params["scale"]
        a = params["a"] / spread**2
        return {"a": a, "scale": mean / a}
    # lognormal: CV² = exp(s²) − 1, mean = scale·exp(s²/2)
    s = params["s"]
    mean = params["scale"] * np.exp(s**2 / 2)
    s_new = float(np.sqrt(np.log1p(spread**2 * np.expm1(s**2))))
    return {"s": s_new, "scale": float(mean * np.exp(-s_new**2 / 2))}


def _lead_time_truth(spread: float = 1.0) -> dict[str, Any]:
    params = {s: _spread(name, p, spread) for s, (name, p) in SUPPLIERS.items()}
    dist = {s: getattr(stats, name)(**params[s]) for s, (name, _) in SUPPLIERS.items()}
    table = pd.DataFrame(
        {
            "supplier_id": np.array(list(SUPPLIERS), dtype=object),
            "distribution": [name for name, _ in SUPPLIERS.values()],
            "params": list(params.values()),
            "mean": [float(d.mean()) for d in dist.values()],
            "p50": [float(d.ppf(0.5)) for d in dist.values()],
            "p90": [float(d.ppf(0.9)) for d in dist.values()],
            "quoted_days": [max(1, round(float(d.ppf(0.5)))) for d in dist.values()],
        }
    )
    return {"dist": dist, "table": table}


def _lead_time_draws(
    rng: np.random.Generator, lead: dict[str, Any], sku_supplier: np.ndarray, days: int
) -> np.ndarray:
    """One stream of lead times [days] per SKU, long enough for one PO a day."""
    out = np.empty((len(sku_supplier), days))
    for s, dist in lead["dist"].items():
        mine = np.flatnonzero(sku_supplier == s)
        out[mine] = dist.rvs(size=(len(mine), days), random_state=rng)
    return out


def _items_and_policy(
    rng: np.random.Generator,
    skus: np.ndarray,
    demand: pd.DataFrame,
    lead: dict[str, Any],
    sku_supplier: np.ndarray,
    share_too_low: float = SHARE_TOO_LOW,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Item master and the (r, Q) policy of each SKU, some reorder points set too low."""
    n = len(skus)
    mu = demand["mean_daily_units"].to_numpy()
    rate = demand["line_rate"].to_numpy()
    m, var_s = demand["mean_size"].to_numpy(), demand["var_size"].to_numpy()
    var_d = rate * (var_s + m**2)  # compound Poisson: Var = rate E[S^2]
    lt = lead["table"].set_index("supplier_id").loc[sku_supplier]
    lt_mean = lt["mean"].to_numpy()
    lt_var = np.array([lead["dist"][s].var() for s in sku_supplier])
    protect = lt_mean + 1.0  # lead time plus one review period [days]
    sigma = np.sqrt(protect * var_d + mu**2 * lt_var)

    too_low = rng.permutation(n) < round(share_too_low * n)
    z = np.where(too_low, rng.uniform(*Z_TOO_LOW, n), rng.uniform(*Z_SOUND, n))
    slow = demand["pattern"].isin(["intermittent", "lumpy"]).to_numpy()
    z = np.round(np.where(too_low & slow, z - Z_SLOW_SHIFT, z), 2)
    r = np.maximum(0, np.round(mu * protect + z * sigma)).astype(np.int64)

    packs = np.array([1, 2, 5, 6, 10, 12, 24])
    pack = np.array([rng.choice(packs[packs <= max(1.0, 7 * x)]) for x in mu], dtype=np.int64)
    moq = pack * rng.choice(np.array([1, 2, 4]), n)
    cover = rng.uniform(10, 40, n)  # days of demand per order
    q = np.maximum(moq, np.ceil(mu * cover / pack) * pack).astype(np.int64)

    cost = np.round(np.exp(rng.normal(2.5, 0.8, n)), 2)
    desc = [
        f"{_ADJECTIVES[a].capitalize()} {_NOUNS[b]} {size} mm"
        for a, b, size in zip(
            rng.integers(0, len(_ADJECTIVES), n),
            rng.integers(0, len(_NOUNS), n),
            rng.choice(np.array([4, 6, 8, 10, 12, 16, 20, 25, 32, 40]), n),
            strict=True,
        )
    ]
    items = pd.DataFrame(
        {
            "sku": skus,
            "description": np.array(desc, dtype=object),
            "unit_cost": cost,
            "supplier_id": sku_supplier,
            "moq": moq.astype(np.int64),
            "pack_size": pack,
        }
    )
    policy = pd.DataFrame(
        {
            "sku": skus,
            "supplier_id": sku_supplier,
            "r": r,
            "Q": q,
            "opening_stock": (r + q).astype(np.int64),
            "z": z,
        }
    )
    return items, policy


def _customers(rng: np.random.Generator) -> pd.DataFrame:
    tier = rng.choice(TIERS, N_CUSTOMERS, p=TIER_SHARE)
    weight = np.exp(rng.normal(0.0, 1.0, N_CUSTOMERS)) * TIER_WEIGHT[tier]
    lo = np.array([TIER_PATIENCE[t][0] for t in tier])
    hi = np.array([TIER_PATIENCE[t][1] for t in tier])
    patience = rng.integers(lo, hi + 1)
    channel = np.where(rng.random(N_CUSTOMERS) < TIER_B2B[tier], "b2b", "web").astype(object)
    return pd.DataFrame(
        {
            "customer_id": np.array([f"C-{i + 1:04d}" for i in range(N_CUSTOMERS)], dtype=object),
            "priority": tier.astype(np.int64),
            "channel": channel,
            "weight": weight / weight.sum(),
            "cancel_prob": TIER_CANCEL[tier],
            "patience_days": np.where(TIER_CANCEL[tier] > 0, patience, 0).astype(np.int64),
        }
    )


# --------------------------------------------------------------------------- demand


def _order_lines(
    rng: np.random.Generator, demand: pd.DataFrame, rate: np.ndarray, customers: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Draw every order line, group lines into customer orders, assign customers."""
    n_skus, days = rate.shape
    counts = rng.poisson(rate)
    sku = np.repeat(np.repeat(np.arange(n_skus), days), counts.ravel())
    day = np.repeat(np.tile(np.arange(days), n_skus), counts.ravel())
    k = demand["size_dispersion"].to_numpy()[sku]
    p = k / (k + demand["mean_size"].to_numpy()[sku] - 1)
    qty = 1 + rng.negative_binomial(k, p)
    sec = rng.integers(OPEN_SECOND, REVIEW_SECOND, len(sku))
    t = day * SECONDS_PER_DAY + sec

    order = np.lexsort((sku, t))
    sku, day, qty, t = sku[order], day[order], qty[order], t[order]
    n = len(sku)
    join_draw = (rng.random(n) < P_JOIN_ORDER).tolist()
    cust_draw = rng.choice(N_CUSTOMERS, n, p=customers["weight"].to_numpy())

    # A line joins the previous order when it is the same day, the draw says so, the
    # order has room and does not hold this SKU yet; it takes the order's timestamp.
    order_no = np.empty(n, dtype=np.int64)
    line_no = np.empty(n, dtype=np.int64)
    cust = np.empty(n, dtype=np.int64)
    t_list, day_list, sku_list = t.tolist(), day.tolist(), sku.tolist()
    cur, cur_day, cur_t, cur_cust = -1, -1, 0, 0
    cur_skus: set[int] = set()
    for i in range(n):
        if (
            join_draw[i]
            and day_list[i] == cur_day
            and len(cur_skus) < MAX_LINES_PER_ORDER
            and sku_list[i] not in cur_skus
        ):
            cur_skus.add(sku_list[i])
            t_list[i] = cur_t
        else:
            cur, cur_day, cur_t, cur_cust = cur + 1, day_list[i], t_list[i], int(cust_draw[i])
            cur_skus = {sku_list[i]}
        order_no[i], line_no[i], cust[i] = cur, len(cur_skus), cur_cust

    tier = customers["priority"].to_numpy()[cust]
    cancels = rng.random(n) < customers["cancel_prob"].to_numpy()[cust]
    patience = np.where(
        cancels, customers["patience_days"].to_numpy()[cust] * SECONDS_PER_DAY, -1
    )
    return {
        "sku": sku,
        "qty": qty.astype(np.int64),
        "t": np.asarray(t_list, dtype=np.int64),
        "order_no": order_no,
        "line_no": line_no,
        "customer": cust,
        "priority": tier.astype(np.int64),
        "patience": patience.astype(np.int64),
    }


# --------------------------------------------------------------------------- simulation


def _timestamps(origin: pd.Timestamp, seconds: np.ndarray) -> np.ndarray:
    """Seconds from ``origin`` as datetime64[ns]; negative seconds become NaT."""
    seconds = np.asarray(seconds, dtype=np.int64)
    out = origin.to_datetime64().astype("datetime64[ns]") + seconds.astype("timedelta64[s]")
    out = out.astype("datetime64[ns]")
    out[seconds < 0] = np.datetime64("NaT")
    return out


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.array([f"{prefix}{k:0{width}d}" for k in numbers.tolist()], dtype=object)


def _tables(
    origin: pd.Timestamp,
    skus: np.ndarray,
    lines: dict[str, np.ndarray],
    sim: dict[str, np.ndarray],
    policy: pd.DataFrame,
    lead: dict[str, Any],
    customers: pd.DataFrame,
    demand: pd.DataFrame,
    items: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    order_id = _ids("SO-", lines["order_no"] + 1, 6)
    line_id = lines["line_no"].astype(str).astype(object)
    sku = skus[lines["sku"]]
    cust = customers["customer_id"].to_numpy()[lines["customer"]]
    list_price = np.round(items["unit_cost"].to_numpy() * 1.6, 2)[lines["sku"]]
    orders = pd.DataFrame(
        {
            "order_id": order_id,
            "line_id": line_id,
            "sku": sku,
            "quantity": lines["qty"],
            "order_date": _timestamps(origin, lines["t"]),
            "customer_id": cust,
            "priority": lines["priority"],
            "unit_price": np.round(list_price * TIER_DISCOUNT[lines["priority"]], 2),
            "cancel_date": _timestamps(origin, sim["cancel_t"]),
            "channel": customers["channel"].to_numpy()[lines["customer"]],
        }
    )

    sl = sim["ship_line"]
    ship_order = np.lexsort((lines["line_no"][sl], lines["order_no"][sl], sim["ship_t"]))
    sl = sl[ship_order]
    shipments = pd.DataFrame(
        {
            "order_id": order_id[sl],
            "line_id": line_id[sl],
            "sku": sku[sl],
            "quantity": sim["ship_qty"][ship_order],
            "ship_date": _timestamps(origin, sim["ship_t"][ship_order]),
        }
    )

    po_order = np.lexsort((sim["po_sku"], sim["po_t"]))
    po_sku = sim["po_sku"][po_order]
    po_t = sim["po_t"][po_order]
    recv = sim["po_recv"][po_order]
    qty = sim["po_qty"][po_order]
    supplier = policy["supplier_id"].to_numpy()[po_sku]
    quoted = lead["table"].set_index("supplier_id")["quoted_days"].loc[supplier].to_numpy()
    purchase_orders = pd.DataFrame(
        {
            "po_id": _ids("PO-", np.arange(1, len(po_order) + 1), 6),
            "sku": skus[po_sku],
            "supplier_id": supplier,
            "quantity": qty,
            "order_date": _timestamps(origin, po_t),
            "expected_date": _timestamps(origin, po_t + quoted * SECONDS_PER_DAY),
            "received_date": _timestamps(origin, recv),
            "received_quantity": np.where(recv >= 0, qty, np.nan),
        }
    )

    snap_days = sim["snap_days"]
    inventory = pd.DataFrame(
        {
            "sku": np.repeat(skus, len(snap_days)),
            "date": np.tile(_timestamps(origin, snap_days * SECONDS_PER_DAY), len(skus)),
            "on_hand": sim["snap_on_hand"].ravel(),
        }
    )

    n_skus = len(skus)
    ordered = np.bincount(lines["sku"], lines["qty"], n_skus)
    shipped_line = np.bincount(sim["ship_line"], sim["ship_qty"], len(lines["qty"]))
    immediate = sim["ship_t"] == lines["t"][sim["ship_line"]]
    filled = np.bincount(
        lines["sku"][sim["ship_line"][immediate]], sim["ship_qty"][immediate], n_skus
    )
    short = lines["qty"] - shipped_line
    is_cancelled = sim["cancel_t"] >= 0
    cancelled = np.bincount(lines["sku"], np.where(is_cancelled, short, 0), n_skus)
    open_units = np.bincount(lines["sku"], np.where(is_cancelled, 0, short), n_skus)
    service = pd.DataFrame(
        {
            "sku": skus,
            "pattern": demand["pattern"].to_numpy(),
            "ordered_units": ordered.astype(np.int64),
            "filled_units": filled.astype(np.int64),
            "cancelled_units": cancelled.astype(np.int64),
            "open_units": open_units.astype(np.int64),
            "fill_rate": np.divide(filled, ordered, out=np.full(n_skus, np.nan), where=ordered > 0),
        }
    )
    return {
        "orders": orders,
        "shipments": shipments,
        "purchase_orders": purchase_orders,
        "inventory": inventory,
        "items": items,
        "service": service,
    }
