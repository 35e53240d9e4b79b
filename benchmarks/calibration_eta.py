"""Are the ETA quantiles calibrated in every regime of the generator? (issue 11, item 4)

For each regime (``REGIMES``: the generator's knobs) and seed, ``example_dataset`` is
made for 730 days, and at :data:`CUTOFFS` (every four weeks through the second year)
:func:`backorder_analytics.eta_backtest` computes the ETAs of the lines open then from
the data as known then (``ds.as_at``), under the rules the data was made with
(``ds.truth["rules"]``: allocation and shipping) and compares them with what the
generator then did: the ship time of each line's last unit.

Coverage
--------
``coverage``
    Over the lines that shipped by the end of the data: the share whose actual ship
    date is at or before the quantile date.
``censored`` (the figure used for acceptance)
    Every line open at a cutoff counts. A line cancelled later, or still open at the
    end of the data, is right-censored at its cancel date / the data end: it is known
    *not* to have shipped by any quantile date before that time (a miss); whether it
    would have shipped by a quantile date after it is unknown. The coverage is then a
    Kaplan–Meier estimate of ``P(ship date − quantile date <= 0)`` over the gaps
    ``ship − quantile`` (events) and ``censoring time − quantile`` (censored), as in
    :attr:`backorder_analytics.planning.eta.ETABacktest.coverage`. This is the right
    estimate when a customer's cancelling says nothing more about when the line would
    have shipped, which holds in the generator (patience is drawn per customer,
    independently of the supply).

``max_wait_days``: the package default (30 days) is *not* the generator's rule; the
generator cancels a line when its customer's patience (5–30 days, tier 0 never) runs
out. Unless said otherwise the study runs with ``max_wait_days=None`` (no imposed
limit; the censored coverage accounts for the lines that cancel); ``--max-wait`` runs
it with the package default instead. Both are reported in ``benchmarks/RESULTS.md``.

Run ``python benchmarks/calibration_eta.py [--seeds 0 1] [--n-skus 150] [--reps 500]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

import backorder_analytics as ba

REGIMES: dict[str, dict[str, Any]] = {
    "base": {},
    "fifo": {"allocation": "fifo"},
    "complete": {"shipping": "complete"},
    "fifo+complete": {"allocation": "fifo", "shipping": "complete"},
    "lead_time_spread=2": {"lead_time_spread": 2.0},
    "share_too_low=0.6": {"share_too_low": 0.6},
    "seasonality=1.5": {"seasonality": 1.5},
}
"""Regimes: keyword arguments of :func:`backorder_analytics.example_dataset`."""

CUTOFFS = pd.date_range("2025-01-07", "2025-11-25", freq="28D") + pd.Timedelta("23:59:59")
"""Twelve past ``as_of`` moments in the second year of the 730-day data (the last one
five weeks before its end)."""

QUANTILES = (0.5, 0.8, 0.95)


def one(seed: int, knobs: Mapping[str, Any], *, n_skus: int = 150,
        cutoffs: Sequence = CUTOFFS, n_reps: int = 500,
        eta_kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Backtest one (regime, seed): coverage per quantile, both ways, and counts."""
    ds = ba.example_dataset(seed, n_skus=n_skus, days=730, **knobs)
    rules = ds.truth["rules"]
    kw = {"max_wait_days": None, **(eta_kwargs or {})}
    history = ba.replay(ds, allocation=rules["allocation"], shipping=rules["shipping"])
    bt = ba.eta_backtest(ds, list(cutoffs), allocation=rules["allocation"],
                         shipping=rules["shipping"], replay=history, n_reps=n_reps,
                         seed=seed, quantiles=QUANTILES, **kw)
    cov = bt.coverage
    out: dict[str, Any] = {}
    for name, row in cov.iterrows():
        out[f"{name[4:]}"] = row["coverage"]
        out[f"{name[4:]}_cens"] = row["coverage_censored"]
    out["shipped"] = int(cov["n_lines"].iloc[0])
    out["cancelled"] = int(cov["n_cancelled"].iloc[0])
    out["open_at_end"] = int((bt.lines["outcome"] == "open").sum())
    return out


def study(seeds: Iterable[int] = (0, 1, 2, 3),
          regimes: Mapping[str, Mapping[str, Any]] | Iterable[str] = REGIMES, *,
          n_skus: int = 150, cutoffs: Sequence = CUTOFFS, n_reps: int = 500,
          eta_kwargs: Mapping[str, Any] | None = None, verbose: bool = False
          ) -> pd.DataFrame:
    """Coverage of the ETA quantiles per regime and seed.

    Parameters
    ----------
    seeds : iterable of int
        Seeds of the generator (and of the ETA Monte Carlo).
    regimes : mapping name -> generator knobs, or names of :data:`REGIMES`
    n_skus, cutoffs, n_reps
        Size of each dataset, the backtest moments, replications per ETA.
    eta_kwargs : mapping, optional
        More options of :func:`backorder_analytics.backorder_eta` (default
        ``max_wait_days=None``).

    Returns
    -------
    pandas.DataFrame
        Index (regime, seed); columns ``p50``, ``p80``, ``p95`` (shipped lines only),
        ``p50_cens``, ``p80_cens``, ``p95_cens`` (censored, see the module
        docstring), ``shipped``, ``cancelled``, ``open_at_end`` (lines), ``seconds``.
    """
    if not isinstance(regimes, Mapping):
        regimes = {name: REGIMES[name] for name in regimes}
    rows = []
    for name, knobs in regimes.items():
        for seed in seeds:
            t0 = time.perf_counter()
            res = one(seed, knobs, n_skus=n_skus, cutoffs=cutoffs, n_reps=n_reps,
                      eta_kwargs=eta_kwargs)
            res.update(regime=name, seed=seed, seconds=time.perf_counter() - t0)
            rows.append(res)
            if verbose:
                print(f"  {name:<20} seed {seed}: p50 {res['p50_cens']:.3f}  p80 "
                      f"{res['p80_cens']:.3f}  p95 {res['p95_cens']:.3f} (censored); "
                      f"{res['seconds']:.0f} s", flush=True)
    return pd.DataFrame(rows).set_index(["regime", "seed"])


def spread(table: pd.DataFrame) -> pd.DataFrame:
    """Per regime: mean over seeds and (min – max) of each coverage figure."""
    cols = [c for c in table.columns if c.startswith("p")]
    g = table.groupby(level="regime", sort=False)
    out = pd.DataFrame(index=g.size().index)
    for c in cols:
        lo, hi, mean = g[c].min(), g[c].max(), g[c].mean()
        out[c] = [f"{m:.1%} ({a:.1%}–{b:.1%})" for m, a, b in zip(mean, lo, hi, strict=True)]
    out["lines"] = g["shipped"].sum() + g["cancelled"].sum() + g["open_at_end"].sum()
    return out


def acceptance(table: pd.DataFrame) -> pd.DataFrame:
    """Per regime: mean censored p50 / p80 coverage over seeds and whether it meets
    issue 11 (p50 in 45–55%, p80 in 75–85%); ``off_*``: how far outside [points]."""
    g = table.groupby(level="regime", sort=False)
    p50, p80 = g["p50_cens"].mean(), g["p80_cens"].mean()

    def off(x, lo, hi):
        return np.where(x < lo, x - lo, np.where(x > hi, x - hi, 0.0)) * 100

    return pd.DataFrame({"p50_cens": p50.round(3), "p80_cens": p80.round(3),
                         "off_p50": off(p50, 0.45, 0.55).round(1),
                         "off_p80": off(p80, 0.75, 0.85).round(1),
                         "ok": (off(p50, 0.45, 0.55) == 0) & (off(p80, 0.75, 0.85) == 0)})


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--regimes", nargs="+", default=list(REGIMES))
    ap.add_argument("--n-skus", type=int, default=150)
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--cutoffs", type=int, default=len(CUTOFFS),
                    help="use every k-th of the twelve cutoffs so that this many remain")
    ap.add_argument("--max-wait", action="store_true",
                    help="max_wait_days=30 (the package default) instead of None")
    ap.add_argument("--eta", nargs="*", default=[],
                    help="more backorder_eta options, key=value (Python literals)")
    args = ap.parse_args(argv)
    step = max(1, len(CUTOFFS) // args.cutoffs)
    cutoffs = CUTOFFS[::step][: args.cutoffs]
    import ast

    kw: dict[str, Any] = {"max_wait_days": 30.0 if args.max_wait else None}
    for item in args.eta:
        k, v = item.split("=", 1)
        try:
            kw[k] = ast.literal_eval(v)
        except ValueError:
            kw[k] = v
    print(f"ETA calibration: seeds {args.seeds}, {args.n_skus} SKUs, {len(cutoffs)} "
          f"cutoffs, {args.reps} replications, backorder_eta options {kw}", flush=True)
    table = study(args.seeds, args.regimes, n_skus=args.n_skus, cutoffs=cutoffs,
                  n_reps=args.reps, eta_kwargs=kw, verbose=True)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print("\nPer seed:")
        print(table.round(3).to_string())
        print("\nMean over seeds (min–max):")
        print(spread(table).to_string())
        print("\nAcceptance (censored; p50 45–55%, p80 75–85%):")
        print(acceptance(table).to_string())


if __name__ == "__main__":
    main()
