"""Loader benchmark: 1,000,000 order lines for 10,000 SKUs, CSV and Parquet →
validated orders → daily demand series.

Each case runs in a fresh subprocess so that its peak memory (max RSS) is its own.
The peer is plain pandas on the same files in the same run (``read_csv`` /
``read_parquet`` with typed columns, then a groupby-sum): no validation, no zero
fill. The ratio says what validation and the zero-filled series cost on top.

Run: ``python benchmarks/io_bench.py [--lines N] [--skus N]``; writes the section
"Loaders (io_bench.py)" of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from results import RESULTS, write_section

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
SECTION = "## Loaders (io_bench.py)"


def make_orders(lines: int, skus: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic order lines over two years; SKU popularity is Zipf-like."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, skus + 1) ** 0.8
    sku = rng.choice(skus, size=lines, p=weights / weights.sum())
    seconds = np.sort(rng.integers(0, 730 * 86400, size=lines))
    return pd.DataFrame({
        "order_id": np.char.add("SO-", np.arange(lines).astype(str)),
        "sku": np.char.add("SKU-", np.char.zfill(sku.astype(str), 5)),
        "quantity": rng.geometric(0.4, size=lines),
        "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(seconds, unit="s"),
    })


def run_case(case: str, path: str) -> dict:
    """One case, in this process; returns seconds and counts."""
    import backorder_analytics as ba
    from backorder_analytics.forecasting.demand import demand_series

    start = time.perf_counter()
    if case == "ours":
        orders = ba.read_orders(path)
        y = demand_series(orders, freq="D")
        rows = len(y)
    else:
        if path.endswith(".parquet"):
            orders = pd.read_parquet(path)
        else:
            orders = pd.read_csv(path, dtype={"order_id": str, "sku": str, "quantity": "int64"},
                                 parse_dates=["order_date"], date_format="%Y-%m-%d %H:%M:%S")
        y = orders.groupby(["sku", orders["order_date"].dt.normalize()])["quantity"].sum()
        rows = len(y)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows_out": rows, "lines": len(orders)}


def measure(case: str, path: Path) -> dict:
    """Run a case in a subprocess; add its peak memory."""
    out = subprocess.run([sys.executable, __file__, "--case", case, "--path", str(path)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        result = run_case(args.case, args.path)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    WORK.mkdir(exist_ok=True)
    orders = make_orders(args.lines, args.skus)
    files = {"CSV": WORK / "orders.csv", "Parquet": WORK / "orders.parquet"}
    orders.to_csv(files["CSV"], index=False)
    orders.to_parquet(files["Parquet"], index=False)
    rows = []
    for fmt, path in files.items():
        ours, peer = measure("ours", path), measure("pandas", path)
        rows.append((fmt, ours, peer))
        print(f"{fmt}: ours {ours['seconds']:.2f} s, {ours['peak_mb']:.0f} MB; plain pandas "
              f"{peer['seconds']:.2f} s, {peer['peak_mb']:.0f} MB")
    table = [
        SECTION, "",
        f"{args.lines:,} order lines, {args.skus:,} SKUs over 730 days → validated orders "
        f"→ daily demand series (zero-filled). Machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, pandas {pd.__version__}; "
        f"run {time.strftime('%Y-%m-%d')}. Peer: plain pandas read + groupby-sum on the same "
        "files in the same run (typed read, no validation, no zero fill). Aim: < 10 s from "
        "Parquet.", "",
        "| format | ours [s] | ours peak RSS [MB] | plain pandas [s] | plain pandas peak RSS "
        "[MB] | time ratio ours / pandas | series rows |",
        "|---|---|---|---|---|---|---|",
    ]
    for fmt, ours, peer in rows:
        table.append(f"| {fmt} | {ours['seconds']:.2f} | {ours['peak_mb']:.0f} | "
                     f"{peer['seconds']:.2f} | {peer['peak_mb']:.0f} | "
                     f"{ours['seconds'] / peer['seconds']:.2f} | {ours['rows_out']:,} |")
    write_section(SECTION, "\n".join(table) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
