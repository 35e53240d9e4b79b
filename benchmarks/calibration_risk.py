"""Backorder risk judged on what happened next (issue 11, item 5 and the risk part of
the calibration study).

For each regime of :func:`~backorder_analytics.example_dataset` (its knobs) and seed,
:func:`~backorder_analytics.backorder_risk` is run as a user calls it — on the data as
known then (``ds.as_at(date)``), ``horizon=28``, ``reorder_points="history"``, the
default forecast, the allocation and shipping rules the data were made with — at about
12 past dates 28 days apart over the second year of history. Its figures are compared
with the next 28 days of the full history, replayed by
:func:`~backorder_analytics.replay` under the data's own rules (which reproduces the
recorded shipments of generated data exactly): per SKU, the units of the lines ordered
in ``(as_of, as_of + 28 d]`` not served at once, the number of such lines, and whether
there was any.

Reported per regime, mean over seeds with the standard deviation across seeds:

- Brier score and AUC (rank, ties halved) of ``p_backorder`` against "any backorder";
- expected ÷ actual backordered units, pooled over SKUs and dates, and the mean over
  dates of each date's ratio (sums over SKUs);
- the same for affected lines (``expected_customers_affected`` against lines with a
  backordered unit);
- lines per unit, expected ÷ actual: the line count's error given the units (the
  line-counting method alone, with the error of the units divided out).

``variants`` change the call (e.g. the generator's true ``(r, Q)`` instead of the
history rule) to find where a bias comes from.

Run: ``python benchmarks/calibration_risk.py [--seeds 0 1 2 3] [--regimes ...]
[--variants ...] [--save cells.csv]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

import backorder_analytics as ba

DAY = pd.Timedelta(days=1)
HORIZON = 28
N_DATES = 12

REGIMES: dict[str, dict[str, Any]] = {
    "default": {},
    "seasonality 2": {"seasonality": 2.0},
    "lead-time spread 2": {"lead_time_spread": 2.0},
    "too low 0.6": {"share_too_low": 0.6},
    "fifo": {"allocation": "fifo"},
    "complete shipping": {"shipping": "complete"},
}
"""Knobs of :func:`~backorder_analytics.example_dataset` per regime."""


def _truth_policy(ds: ba.Dataset, as_of: pd.Timestamp) -> dict[str, Any]:
    return {"reorder_points": ds.truth["policy"][["sku", "r", "Q"]]}


def _truth_demand(ds: ba.Dataset, as_of: pd.Timestamp) -> dict[str, Any]:
    """Demand from the generator's true line rate over the horizon and its NB sizes:
    the forecast level and the line process exactly right."""
    rate = ds.truth["demand_rate"]
    days = pd.date_range(as_of.normalize() + DAY, periods=HORIZON)
    rate = rate[rate["date"].isin(days)].groupby("sku")["expected_lines"].mean()
    d = ds.truth["demand"].set_index("sku")
    k = d["size_dispersion"]
    p = k / (k + d["mean_size"] - 1)
    return {"forecast": {s: ba.PoissonDemand(float(rate[s]),
                                             size=stats.nbinom(k[s], p[s], loc=1))
                         for s in d.index}}


VARIANTS: dict[str, Callable[[ba.Dataset, pd.Timestamp], dict[str, Any]] | None] = {
    "as called": None,
    "true policy": _truth_policy,
    "true demand": _truth_demand,
    "true demand + policy": lambda ds, a: {**_truth_demand(ds, a), **_truth_policy(ds, a)},
}
"""Changes to the call: ``(full dataset, as_of) -> extra keyword arguments``."""


def dates_of(ds: ba.Dataset, n: int = N_DATES, step: int = HORIZON) -> list[pd.Timestamp]:
    """``n`` past as_of dates ``step`` days apart, the last ``step`` days before
    ``ds.as_of`` (so that the horizon of each lies in the history)."""
    return [ds.as_of - k * step * DAY for k in range(n, 0, -1)]


def actual(lines: pd.DataFrame, as_of: pd.Timestamp, skus) -> pd.DataFrame:
    """Per SKU, what happened to lines ordered in ``(as_of, as_of + HORIZON d]``:
    ``act_units`` backordered, ``act_lines`` with a backordered unit, ``act_demand``."""
    win = lines[(lines["order_date"] > as_of) & (lines["order_date"] <= as_of + HORIZON * DAY)]
    g = win.assign(hit=win["backordered"] > 0).groupby("sku", observed=True)
    out = pd.DataFrame({"act_units": g["backordered"].sum(), "act_lines": g["hit"].sum(),
                        "act_demand": g["quantity"].sum()})
    return out.reindex(skus, fill_value=0)


def study(seeds=(0, 1, 2, 3), regimes: Mapping[str, dict] | None = None,
          variants: Mapping[str, Callable | None] | None = None, *, n_dates: int = N_DATES,
          n_reps: int = 1000, verbose: bool = False) -> pd.DataFrame:
    """One row per regime, seed, variant, as_of date and SKU: the risk's
    ``p_backorder``, ``exp_units``, ``exp_lines``, ``exp_demand`` and what happened
    (``act_units``, ``act_lines``, ``act_demand``, ``act_any``), with the SKU's
    ``pattern`` and whether its reorder point was set too low (``too_low``)."""
    regimes = REGIMES if regimes is None else regimes
    variants = {"as called": None} if variants is None else variants
    rows = []
    for name, knobs in regimes.items():
        for seed in seeds:
            t0 = time.perf_counter()
            ds = ba.example_dataset(seed=seed, n_skus=60, days=730, **knobs)
            alloc, ship = knobs.get("allocation", "priority"), knobs.get("shipping", "partial")
            lines = ba.replay(ds, allocation=alloc, shipping=ship).lines
            truth = ds.truth["demand"].set_index("sku")
            too_low = ds.truth["policy"].set_index("sku")["z"] < 0
            for as_of in dates_of(ds, n_dates):
                known = ds.as_at(as_of)
                act = actual(lines, as_of, pd.Index(ds.skus))
                for vname, extra in variants.items():
                    kw = {"reorder_points": "history", "allocation": alloc,
                          "shipping": ship, "n_reps": n_reps}
                    kw.update({} if extra is None else extra(ds, as_of))
                    t = ba.backorder_risk(known, horizon=HORIZON,
                                          **kw).to_frame().set_index("sku")
                    part = pd.DataFrame({
                        "regime": name, "seed": seed, "variant": vname, "as_of": as_of,
                        "sku": t.index,
                        "pattern": truth["pattern"].reindex(t.index).to_numpy(),
                        "too_low": too_low.reindex(t.index).to_numpy(),
                        "p_backorder": t["p_backorder"].to_numpy(),
                        "exp_units": t["expected_backordered_units"].to_numpy(),
                        "exp_lines": t["expected_customers_affected"].to_numpy(),
                        "exp_demand": t["expected_demand"].to_numpy()})
                    rows.append(part.join(act, on="sku"))
            if verbose:
                print(f"  {name}, seed {seed}: {time.perf_counter() - t0:.0f} s", flush=True)
    out = pd.concat(rows, ignore_index=True)
    out["act_any"] = out["act_units"] > 0
    return out


def auc(p: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties
    counted half (Mann–Whitney U / (n₁ n₀))."""
    y = np.asarray(y, bool)
    n1, n0 = y.sum(), (~y).sum()
    if n1 == 0 or n0 == 0:
        return np.nan
    r = stats.rankdata(p)
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _ratio_of_dates(g: pd.DataFrame, e: str, a: str) -> float:
    s = g.groupby("as_of")[[e, a]].sum()
    s = s[s[a] > 0]
    return float((s[e] / s[a]).mean())


def scores(cells: pd.DataFrame) -> pd.DataFrame:
    """Per regime, variant and seed: Brier, AUC and the ratios expected ÷ actual."""
    out = []
    for key, g in cells.groupby(["regime", "variant", "seed"], sort=False):
        y = g["act_any"].to_numpy(float)
        p = g["p_backorder"].to_numpy()
        out.append({
            "regime": key[0], "variant": key[1], "seed": key[2],
            "brier": float(np.mean((p - y) ** 2)),
            "brier_base": float(y.mean() * (1 - y.mean())),
            "auc": auc(p, y),
            "mean_p": float(p.mean()), "share_any": float(y.mean()),
            "units": g["exp_units"].sum() / g["act_units"].sum(),
            "units_dates": _ratio_of_dates(g, "exp_units", "act_units"),
            "lines": g["exp_lines"].sum() / g["act_lines"].sum(),
            "lines_dates": _ratio_of_dates(g, "exp_lines", "act_lines"),
            "lines_per_unit": (g["exp_lines"].sum() / g["exp_units"].sum())
            / (g["act_lines"].sum() / g["act_units"].sum()),
            "demand": g["exp_demand"].sum() / g["act_demand"].sum(),
        })
    return pd.DataFrame(out)


def table(sc: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds ± standard deviation across seeds, per regime and variant."""
    cols = ["brier", "brier_base", "auc", "units", "units_dates", "lines", "lines_dates",
            "lines_per_unit", "demand"]
    g = sc.groupby(["regime", "variant"], sort=False)[cols]
    m, s = g.mean(), g.std(ddof=1)
    return m.combine(s, lambda a, b: a.map("{:.3f}".format) + " ± " + b.map("{:.3f}".format))


def by_pattern(cells: pd.DataFrame) -> pd.DataFrame:
    """Expected ÷ actual units, lines and demand per demand pattern (all seeds, dates)."""
    g = cells.groupby(["regime", "variant", "pattern"], sort=False)[
        ["exp_units", "act_units", "exp_lines", "act_lines", "exp_demand", "act_demand"]].sum()
    return pd.DataFrame({"units": g["exp_units"] / g["act_units"],
                         "lines": g["exp_lines"] / g["act_lines"],
                         "lines_per_unit": (g["exp_lines"] / g["exp_units"])
                         / (g["act_lines"] / g["act_units"]),
                         "demand": g["exp_demand"] / g["act_demand"],
                         "act_units": g["act_units"]}).round(3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--regimes", nargs="+", default=list(REGIMES), choices=list(REGIMES))
    ap.add_argument("--variants", nargs="+", default=["as called"], choices=list(VARIANTS))
    ap.add_argument("--n-dates", type=int, default=N_DATES)
    ap.add_argument("--n-reps", type=int, default=1000)
    ap.add_argument("--save", help="write the per-cell rows to this CSV")
    ap.add_argument("--load", help="read per-cell rows from this CSV instead of running")
    args = ap.parse_args()
    if args.load:
        cells = pd.read_csv(args.load, parse_dates=["as_of"])
    else:
        t0 = time.perf_counter()
        cells = study(args.seeds, {r: REGIMES[r] for r in args.regimes},
                      {v: VARIANTS[v] for v in args.variants}, n_dates=args.n_dates,
                      n_reps=args.n_reps, verbose=True)
        print(f"study: {time.perf_counter() - t0:.0f} s")
    if args.save:
        cells.to_csv(args.save, index=False)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    print("\nMean over seeds ± sd across seeds (ratios are expected ÷ actual):")
    print(table(scores(cells)).to_markdown())
    print("\nBy demand pattern (pooled over seeds and dates):")
    print(by_pattern(cells).to_markdown())


if __name__ == "__main__":
    main()
