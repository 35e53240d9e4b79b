"""Simulator benchmark: our engines against SimPy models of the same system.

Run from the repository root::

    .venv/bin/python benchmarks/sim_bench.py

(a) 1M-order base-stock FIFO case (Poisson λ = 5/day, unit demand, S = 25,
    200,000 days; lead time 4 days constant, or gamma with mean 4 days): the fast FIFO
    engine (``run_fifo``) and the event engine against a SimPy model (a ``Container``
    for the stock, one ``get`` per order and one ``env.timeout`` per replenishment).
    Target: fast engine ≥ 30× SimPy.
(b) Event engine with priority classes and cancellation at ``max_wait_days = 30``
    (partial shipping, base stock, 1–3 units a line) against a SimPy model of the same
    (a process per line racing its fill event against ``env.timeout(30)``, one timeout
    per replenishment, the backorder queue a priority heap). Target: ≥ 3× SimPy.
(c) ``recommend_safety_stock`` on 1,000 SKUs × 200 reps × 365 days, if that function
    exists yet (target ≤ 60 s); otherwise the row is skipped, not estimated.

Both sides get the same arrival times and lead times. Times are rounded to multiples of
2^-30 day, so every sum and difference of times is exact in float64 and the per-order
results can be compared with ``==``. Writes the section "Simulator (sim_bench.py)" of
``benchmarks/RESULTS.md`` (replacing it if present, keeping the other sections).
"""

from __future__ import annotations

import datetime as _dt
import heapq
import importlib
import inspect
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results import RESULTS, write_section  # noqa: E402

from backorder_analytics.simulation.base import BaseStock, DemandStream  # noqa: E402
from backorder_analytics.simulation.events import run_events  # noqa: E402

SECTION = "## Simulator (sim_bench.py)"
GRID = 2.0**-30          # [days] time grid: exact float arithmetic on [0, 2^22)


def _grid(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x) / GRID) * GRID


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _poisson_stream(rng, rate: float, horizon: float) -> np.ndarray:
    n = int(rate * horizon * 1.1 + 100)
    t = _grid(np.cumsum(rng.exponential(1.0 / rate, n)))
    return t[t < horizon]


# --------------------------------------------------------------------------------------
# (a) SimPy base-stock FIFO model with unit demand
# --------------------------------------------------------------------------------------
def simpy_base_stock_unit(times: list, lts: list, S: int, horizon: float) -> np.ndarray:
    """Ship time of every unit order (inf if still open at the horizon) [days]."""
    env = simpy.Environment()
    stock = simpy.Container(env, init=S)
    ship = [math.inf] * len(times)

    def source():
        for j, t in enumerate(times):
            yield env.timeout(t - env.now)
            ev = stock.get(1)
            ev.callbacks.append(lambda _e, j=j: ship.__setitem__(j, env.now))
            env.timeout(lts[j]).callbacks.append(lambda _e: stock.put(1))

    env.process(source())
    env.run(until=np.nextafter(horizon, math.inf))      # events at <= horizon
    return np.array(ship)


# --------------------------------------------------------------------------------------
# (b) SimPy model: priorities, partial shipping, cancellation at max_wait, base stock
# --------------------------------------------------------------------------------------
def simpy_priority_cancel(times, qtys, prios, pats, lts, S, max_wait, horizon):
    env = simpy.Environment()
    n = len(times)
    rem = [0] * n
    sao = [0] * n
    shipped = [0] * n
    cancelled = [0] * n
    cancel_time = [math.nan] * n
    ship = [math.inf] * n
    filled = [None] * n
    queue: list = []                    # heap of (priority, line)
    st = {"oh": S, "bo": 0, "ip": S}
    o_placed, o_qty, o_recv = [], [], []

    def receive(q):
        st["oh"] += q
        while st["oh"] and queue:
            j = queue[0][1]
            r = rem[j]
            if not r:
                heapq.heappop(queue)
                continue
            s = min(r, st["oh"])
            st["oh"] -= s
            st["bo"] -= s
            rem[j] = r - s
            shipped[j] += s
            if s == r:
                ship[j] = env.now
                heapq.heappop(queue)
                filled[j].succeed()

    def customer(j):
        q = qtys[j]
        st["ip"] -= q
        if not st["bo"]:
            s = min(q, st["oh"])
            st["oh"] -= s
            sao[j] = shipped[j] = s
            q -= s
        if q:
            rem[j] = q
            st["bo"] += q
            heapq.heappush(queue, (prios[j], j))
            filled[j] = env.event()
        else:
            ship[j] = env.now
        deficit = S - st["ip"]
        if deficit > 0:                          # one-for-one, net of cancelled units
            k = len(o_qty)
            o_placed.append(env.now)
            o_qty.append(deficit)
            o_recv.append(env.now + lts[k])
            st["ip"] += deficit
            env.timeout(lts[k]).callbacks.append(lambda _e, d=deficit: receive(d))
        if q:
            yield filled[j] | env.timeout(min(max_wait, pats[j]))
            if rem[j]:                           # the limit came first
                r = rem[j]
                rem[j] = 0
                cancelled[j] = r
                cancel_time[j] = env.now
                st["bo"] -= r
                st["ip"] += r

    def source():
        for j, t in enumerate(times):
            yield env.timeout(t - env.now)
            env.process(customer(j))

    env.process(source())
    env.run(until=np.nextafter(horizon, math.inf))
    return {"served_at_once": np.array(sao), "shipped": np.array(shipped),
            "cancelled": np.array(cancelled), "ship_time": np.array(ship),
            "cancel_time": np.array(cancel_time),
            "order_placed": np.array(o_placed), "order_qty": np.array(o_qty),
            "order_received": np.array(o_recv)}


# --------------------------------------------------------------------------------------
def _machine() -> str:
    return (f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, numpy {np.__version__}, simpy {simpy.__version__}; "
            f"run {_dt.date.today().isoformat()}.")


def _load_fifo():
    try:
        from backorder_analytics.simulation.fifo import run_fifo
    except ImportError as exc:
        print(f"fast FIFO engine not importable yet: {exc}")
        return None
    return run_fifo


def bench_a(run_fifo) -> list[str]:
    rows = []
    horizon, rate, S = 200_000.0, 5.0, 25
    for label in ("constant 4", "gamma(k=4, θ=1)"):
        rng = np.random.default_rng(1 if label.startswith("c") else 2)
        t = _poisson_stream(rng, rate, horizon)
        n = len(t)
        constant = label.startswith("c")
        lt = np.full(n + 10, 4.0) if constant else _grid(rng.gamma(4.0, 1.0, n + 10))
        demand = DemandStream(rep=np.zeros(n, np.int64), time=t, qty=np.ones(n, np.int64),
                              n_reps=1, horizon=horizon)
        t0 = time.perf_counter()
        sp_ship = simpy_base_stock_unit(t.tolist(), lt.tolist(), S, horizon)
        t_simpy = time.perf_counter() - t0
        sp_wait = sp_ship - t
        t_ev, ev = _best(lambda d=demand, lt=lt: run_events(d, BaseStock(S), lt[None, :]), 2)
        ev_wait = ev.ship_time - t
        assert np.array_equal(ev_wait, sp_wait), "event engine and SimPy waits differ"
        if run_fifo is not None:
            t_ff, ff = _best(lambda d=demand, lt=lt: run_fifo(d, BaseStock(S), lt[None, :]), 3)
            assert np.array_equal(ff.ship_time - t, sp_wait), "fast engine and SimPy differ"
            fast = f"{t_ff:.3f}"
            ratio = f"{t_simpy / t_ff:.0f}"
        else:
            fast, ratio = "not available yet", "—"
        waiting = int(np.sum(sp_wait > 0))
        print(f"(a) L {label}: {n:,} orders, {waiting:,} waited; SimPy {t_simpy:.2f} s, "
              f"event engine {t_ev:.2f} s, fast engine {fast} s; waits identical")
        rows.append(f"| (a) base stock S={S}, FIFO, unit demand, L {label} | {n:,} | {fast} | "
                    f"{t_ev:.2f} | {t_simpy:.2f} | {ratio} | {t_simpy / t_ev:.1f} | "
                    f"identical per-order waits ({waiting:,} orders waited) |")
    return rows


def bench_b() -> list[str]:
    # an understocked SKU (S well below the mean lead-time demand of ~250 units) with
    # heavy-tailed, crossing lead times, so both cancellation paths are busy: the 30-day
    # limit, and the patience of the 30 % of customers who have one
    horizon, rate, S, max_wait = 40_000.0, 5.0, 130, 30.0
    rng = np.random.default_rng(3)
    t = _poisson_stream(rng, rate, horizon)
    n = len(t)
    qty = rng.integers(1, 4, n)
    prio = rng.choice([0, 1, 2], n, p=[0.2, 0.3, 0.5])
    lt = _grid(rng.lognormal(np.log(8.0), 1.5, n + 10))     # median 8, mean 25 days
    pats = _grid(np.where(rng.random(n) < 0.3, rng.exponential(15.0, n), np.inf))
    demand = DemandStream(rep=np.zeros(n, np.int64), time=t, qty=qty, n_reps=1,
                          horizon=horizon, priority=prio, patience=pats)
    t0 = time.perf_counter()
    sp = simpy_priority_cancel(t.tolist(), qty.tolist(), prio.tolist(), pats.tolist(),
                               lt.tolist(), S, max_wait, horizon)
    t_simpy = time.perf_counter() - t0
    t_ev, ev = _best(lambda: run_events(demand, BaseStock(S), lt[None, :],
                                        allocation="priority", max_wait_days=max_wait), 3)
    for name, ref in sp.items():
        assert np.array_equal(getattr(ev, name), ref, equal_nan=True), (
            f"event engine and SimPy differ: {name}")
    canc = ev.cancelled > 0
    at_limit = int(np.sum(canc & (ev.cancel_time - t == max_wait)))
    n_canc = int(canc.sum())
    n_wait = int(np.sum(ev.served_at_once < qty))
    print(f"(b) {n:,} lines, {n_wait:,} backordered, {n_canc:,} cancelled ({at_limit:,} at the "
          f"30-day limit); SimPy {t_simpy:.2f} s, event engine {t_ev:.2f} s "
          f"({t_simpy / t_ev:.1f}×); identical")
    return [f"| (b) base stock S={S}, 3 priority classes, partial, max_wait_days=30 + patience "
            f"(30 % of lines, exp. mean 15 d), 1–3 units, lognormal L (median 8, mean 25 d) | "
            f"{n:,} | — | {t_ev:.2f} | {t_simpy:.2f} | — | {t_simpy / t_ev:.1f} | identical "
            f"per-line results and orders ({n_wait:,} backordered, {n_canc:,} cancelled, "
            f"{at_limit:,} of them at the 30-day limit) |"]


def bench_c() -> str:
    try:
        policy = importlib.import_module("backorder_analytics.planning.formulas")
        fn = policy.recommend_safety_stock
    except (ImportError, AttributeError) as exc:
        msg = f"`recommend_safety_stock` not available yet ({exc}); row skipped."
        print("(c)", msg)
        return msg
    from backorder_analytics import example_dataset

    params = inspect.signature(fn).parameters
    wanted = {"n_reps": 200, "days": 365, "horizon": 365, "seed": 0, "progress": False}
    kwargs = {k: v for k, v in wanted.items() if k in params}
    if "target" in params and hasattr(policy, "FillRate"):
        kwargs["target"] = policy.FillRate(0.95)
    ds = example_dataset(seed=0, n_skus=1000, days=365)
    t0 = time.perf_counter()
    try:
        fn(ds, **kwargs)
    except Exception as exc:  # report, do not guess a figure
        msg = (f"`recommend_safety_stock(ds, **{kwargs})` raised {type(exc).__name__}: "
               f"{exc}; row skipped.")
        print("(c)", msg)
        return msg
    secs = time.perf_counter() - t0
    missing = sorted({"n_reps", "days"} - set(params))
    note = f" (no {', '.join(missing)} argument: ran with its defaults)" if missing else ""
    shown = {k: v for k, v in kwargs.items() if k != "progress"}
    msg = (f"`recommend_safety_stock` on 1,000 SKUs (example_dataset(n_skus=1000, days=365)) "
           f"with {shown}{note}: **{secs:.1f} s** (target ≤ 60 s).")
    print("(c)", msg)
    return msg


def write_results(rows: list[str], c_line: str, machine: str) -> None:
    body = "\n".join([
        SECTION,
        "",
        "Same arrival times, quantities and lead times fed to every engine; times on a 2^-30 "
        "day grid so results compare with `==`. SimPy time is one run; ours best of 2–3. "
        f"{machine}",
        "",
        "| case | orders | fast FIFO engine [s] | event engine [s] | SimPy [s] | "
        "SimPy / fast | SimPy / event | check |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Targets: fast engine ≥ 30× SimPy on (a); event engine ≥ 3× SimPy on (b).",
        "",
        c_line,
        "",
    ])
    write_section(SECTION, body)


def main() -> None:
    machine = _machine()
    print(machine)
    run_fifo = _load_fifo()
    rows = bench_a(run_fifo)
    rows += bench_b()
    c_line = bench_c()
    write_results(rows, c_line, machine)
    print(f"wrote {SECTION!r} to {RESULTS}")


if __name__ == "__main__":
    main()
