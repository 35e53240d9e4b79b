"""Public-API benchmark: the calls a user makes, result out, against a reference tool in
the same run.

Sections (``--only`` picks some; default all):

* ``simulate`` — ``ba.simulate(BaseStock(25), PoissonDemand(5), lead_time=4,
  days=200_000, n_reps=1)`` (about 1M unit orders; default arguments otherwise, every
  metric computed) and the same with ``n_reps=20, days=10_000``, against a lean SimPy
  model of the same system on the same number of orders: a process drawing its own
  Poisson arrivals (``random.expovariate``), a ``Container`` of base stock S = 25, one
  ``get`` per unit order (FIFO), one ``timeout(4)`` per replenishment. Target: ours
  ≥ 30× faster. Check: SimPy fed our arrival times and lead times
  (:func:`sim_bench.simpy_base_stock_unit`) gives the same wait for every order (``==``).

Ours: best of 3 after a warm-up call (numba kernels load from their cache); SimPy: one
run. Run from the repository root::

    .venv/bin/python benchmarks/api_bench.py [--only simulate ...]

``main()`` prints markdown table rows (``TABLE_HEADER`` first); it writes no file.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sim_bench import simpy_base_stock_unit  # noqa: E402

import backorder_analytics as ba  # noqa: E402

TABLE_HEADER = ("| call | size | ours [s] | reference | reference [s] | reference / ours | "
                "check |\n|---|---|---|---|---|---|---|")

S, RATE, LEAD = 25, 5.0, 4.0          # base stock [units], lines per day, lead time [days]
SIM_CASES = ((1, 200_000.0), (20, 10_000.0))   # (n_reps, days)


def _best_of(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """Best wall time [s] of ``repeat`` calls after one warm-up call, and the last
    result."""
    out = fn()
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def simpy_lean(n_orders: int, seed: int) -> list[float]:
    """A lean SimPy base-stock model: ``n_orders`` unit orders arriving as a Poisson
    process drawn inside the process, FIFO from a ``Container`` of ``S`` units, each
    order triggering a replenishment of one unit ``LEAD`` days later. Returns the wait
    of every order [days]."""
    rnd = random.Random(seed)
    env = simpy.Environment()
    stock = simpy.Container(env, init=S)
    waits: list[float] = []

    def replenish(_event) -> None:
        stock.put(1)

    def customers():
        for _ in range(n_orders):
            yield env.timeout(rnd.expovariate(RATE))
            ordered = env.now
            stock.get(1).callbacks.append(lambda _e, t=ordered: waits.append(env.now - t))
            env.timeout(LEAD).callbacks.append(replenish)

    env.process(customers())
    env.run()
    return waits


def _simpy_waits_on_our_orders(res) -> np.ndarray:
    """Waits [days] of every line of ``res`` from the SimPy model fed our arrival times
    (and our lead time, the constant ``LEAD``), one replication at a time (NaN while
    open at the horizon)."""
    d = res.demand
    out = []
    for r in range(d.n_reps):
        t = d.time[d.rep == r]
        ship = simpy_base_stock_unit(t.tolist(), [LEAD] * len(t), S, d.horizon)
        out.append(np.where(np.isfinite(ship), ship - t, np.nan))
    return np.concatenate(out)


def bench_simulate() -> list[str]:
    """Rows for ``ba.simulate`` against the lean SimPy model (see the module
    docstring)."""
    rows = []
    for n_reps, days in SIM_CASES:
        def call(n_reps=n_reps, days=days):
            return ba.simulate(ba.BaseStock(S), ba.PoissonDemand(RATE), lead_time=LEAD,
                               days=days, n_reps=n_reps)

        ours, res = _best_of(call)
        n_orders = res.demand.n_lines
        per_rep = np.bincount(res.demand.rep, minlength=n_reps)
        t0 = time.perf_counter()
        for r in range(n_reps):
            simpy_lean(int(per_rep[r]), seed=r)
        t_simpy = time.perf_counter() - t0
        same = np.array_equal(_simpy_waits_on_our_orders(res), res.lines["wait"],
                              equal_nan=True)
        waited = int(np.sum(res.lines["wait"] > 0))
        check = (f"identical per-order waits ({waited:,} orders waited)" if same
                 else "**waits differ**")
        print(f"simulate n_reps={n_reps}, days={days:,.0f}: {n_orders:,} orders; ours "
              f"{ours:.3f} s, SimPy {t_simpy:.2f} s, ratio {t_simpy / ours:.0f}×; {check}",
              file=sys.stderr)
        rows.append(f"| `ba.simulate(BaseStock({S}), PoissonDemand({RATE:g}), lead_time="
                    f"{LEAD:g}, days={days:_.0f}, n_reps={n_reps})` | {n_orders:,} orders | "
                    f"{ours:.3f} | lean SimPy (own Poisson arrivals, Container, FIFO) | "
                    f"{t_simpy:.2f} | {t_simpy / ours:.0f}× (target ≥ 30×) | {check} |")
    return rows


SECTIONS: dict[str, Callable[[], list[str]]] = {"simulate": bench_simulate}


def machine() -> str:
    return (f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, numpy {np.__version__}, simpy {simpy.__version__}.")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=sorted(SECTIONS), default=None,
                    metavar="SECTION",
                    help=f"sections to run (default all): {', '.join(SECTIONS)}")
    args = ap.parse_args(argv)
    rows = []
    for name in args.only or list(SECTIONS):
        rows += SECTIONS[name]()
    print(machine())
    print(TABLE_HEADER)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
