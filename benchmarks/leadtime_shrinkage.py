"""Lead-time shrinkage against the truth of ``example_dataset``: p50 / p90 per supplier.

For each seed, the supplier lead-time model every step uses
(:func:`~backorder_analytics.leadtime.model.dataset_lead_times`) is fitted twice: early,
on the data as known at ``--early`` (two months into the history: every supplier has
fewer than 30 received POs and about a quarter of the POs are still open), and late, at
the end of the history (hundreds of POs per supplier). Each supplier's p50 and p90 are
compared with those of its true distribution (``ds.truth["lead_time_dist"]``).

Three estimates are compared:

``own``
    each supplier's own censored fit, no shrinkage (``shrinkage=0``);
``mixture``
    the shrinkage used before issue 11: ``w · own + (1 − w) · all POs`` with
    ``w = n / (n + 10)`` for fewer than 30 received POs, rebuilt here from the own fits
    and the all-POs fit with :func:`~backorder_analytics.leadtime.survival.mix`;
``pooled``
    the current default of :func:`~backorder_analytics.fit_lead_times` (partial
    pooling of the location and spread of log lead time).

Run: ``python benchmarks/leadtime_shrinkage.py [--seeds 1-5] [--early 2024-02-29]``.
Prints a table per supplier and seed (early) and the mean absolute errors per supplier
at both moments.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from backorder_analytics import example_dataset
from backorder_analytics.leadtime.model import UNKNOWN, dataset_lead_times, fit_lead_times
from backorder_analytics.leadtime.survival import mix

METHODS = ("mixture", "own", "pooled")
OLD_K, OLD_BELOW = 10.0, 30
"""Parameters of the mixture shrinkage used before issue 11."""


def _seeds(text: str) -> list[int]:
    if "-" in text:
        lo, hi = (int(x) for x in text.split("-"))
        return list(range(lo, hi + 1))
    return [int(x) for x in text.split(",")]


def estimates(ds) -> pd.DataFrame:
    """p50, p90 [days] per supplier and method, with n received / open and the truth."""
    pooled = dataset_lead_times(ds, ds.as_of)
    own_off = _refit(ds, shrinkage=0)
    parent = own_off.distribution(UNKNOWN)  # all POs
    summary = own_off.summary
    rows = []
    for g in pooled.groups_:
        n = int(summary.loc[g, "n_received"])
        has_own = summary.loc[g, "distribution"] is not None
        weight = n / (n + OLD_K) if has_own and n < OLD_BELOW else 1.0
        dists = {"mixture": mix(weight, own_off.distribution(g), parent)
                 if has_own else parent,
                 "own": own_off.distribution(g), "pooled": pooled.distribution(g)}
        truth = ds.truth["lead_time_dist"][g]
        row = {"supplier": g, "n_received": n, "n_open": int(summary.loc[g, "n_open"]),
               "true_p50": float(truth.ppf(0.5)), "true_p90": float(truth.ppf(0.9))}
        for name, dist in dists.items():
            row[f"{name}_p50"], row[f"{name}_p90"] = (
                float(x) for x in np.asarray(dist.ppf([0.5, 0.9])))
        rows.append(row)
    return pd.DataFrame(rows)


def _refit(ds, **kwargs):
    """:func:`dataset_lead_times` with other parameters (by supplier)."""
    po = ds.purchase_orders
    supplier = po["supplier_id"].fillna(po["sku"].map(ds.suppliers))
    return fit_lead_times(po.assign(supplier_id=supplier), as_of=ds.as_of, **kwargs)


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-5", help="e.g. 1-5 or 1,3,7")
    parser.add_argument("--early", default="2024-02-29",
                        help="the early as_of (end of that day)")
    args = parser.parse_args(argv)
    frames = []
    for seed in _seeds(args.seeds):
        ds = example_dataset(seed=seed)
        for when, at in (("early", ds.as_at(pd.Timestamp(args.early) + pd.Timedelta(
                hours=23, minutes=59, seconds=59))), ("late", ds)):
            frames.append(estimates(at).assign(seed=seed, as_of=when))
    res = pd.concat(frames, ignore_index=True)
    for m in METHODS:
        for q in ("p50", "p90"):
            res[f"{m}_{q}_err"] = res[f"{m}_{q}"] / res[f"true_{q}"] - 1

    pd.set_option("display.width", 160)
    early = res[res["as_of"] == "early"]
    print(f"p90 per supplier and seed at as_of {args.early} [days; error vs truth in %]\n")
    table = early[["supplier", "seed", "n_received", "n_open", "true_p90"]].copy()
    for m in METHODS:
        table[m] = [f"{v:6.2f} ({100 * e:+4.0f}%)" for v, e in
                    zip(early[f"{m}_p90"], early[f"{m}_p90_err"], strict=True)]
    print(table.sort_values(["supplier", "seed"]).to_string(index=False,
                                                            float_format="%.2f"))
    print("\nMean |error| [%] per supplier over the seeds\n")
    cols = {}
    for when in ("early", "late"):
        part = res[res["as_of"] == when]
        for q in ("p50", "p90"):
            for m in METHODS:
                cols[(when, q, m)] = part.groupby("supplier")[f"{m}_{q}_err"].apply(
                    lambda e: 100 * e.abs().mean())
    summary = pd.DataFrame(cols)
    summary.loc["all"] = summary.mean()
    print(summary.round(1).to_string())
    n = res.groupby("as_of")[["n_received", "n_open"]].sum()
    share = n["n_open"] / (n["n_received"] + n["n_open"])
    print(f"\nOpen POs: {100 * share['early']:.0f}% early, {100 * share['late']:.1f}% late.")
    return res


if __name__ == "__main__":
    main()
