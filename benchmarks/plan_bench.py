"""Planning-run benchmark (issue 10): the whole nightly run, stage by stage, against f4c53bb.

Run from the repository root::

    .venv/bin/python benchmarks/plan_bench.py [--sizes 60 600 3000]
                                              [--baseline-sizes 60 600]

(``--baseline-sizes 60 600 3000`` also runs f4c53bb at 3,000 SKUs: > 6 GB, ~10 minutes;
``--rerender`` rewrites the section from the last run's figures without running.)

What is measured
----------------
For each size N, ``example_dataset(seed=0, n_skus=N, days=730)`` is written once as
Parquet into ``benchmarks/_work/plan_<N>/`` (git-ignored, reused when present) with a copy
of ``data/planning.toml`` (priority allocation, 200 replications), and the run a user
starts with ``backorder-analytics report --config <folder>/planning.toml`` is timed in a
fresh subprocess per size and layout, so each peak memory is that run's own:

* current code: ``read`` (``load_config`` + ``read_configured_dataset``), then each
  step of ``ba.plan(ds, cfg.settings)`` in the order of ``STEP_NAMES`` (``run.get``),
  then ``report`` (``build_report(..., plan=run)``: the sections and the writing).
* the previous layout, commit f4c53bb (no ``plan()``), extracted with ``git archive`` into
  ``benchmarks/_work/baseline_f4c53bb/`` and imported through ``PYTHONPATH`` (the child
  reports ``backorder_analytics.__file__``, and the parent refuses a wrong one):
  ``read``, then ``build_report``, whose own steps (lead times, replay, each section,
  each write) are timed.

Per-step times inside ``build_report`` come from its progress loop: both layouts iterate
``tqdm(steps)`` and call ``bar.set_postfix_str(name)`` before each step, so the child
replaces ``report.build.tqdm`` with a stand-in whose ``set_postfix_str`` starts a new
stage. Nothing else in the package is touched; should that loop change, the report is
still timed as a whole.

Memory: the peak resident set size (RSS) of each stage. At the start of a stage the
kernel's high-water mark is reset (``/proc/self/clear_refs``, "5") and read back
(``VmHWM``) at its end, which catches peaks of any length; a background thread also
samples the RSS every 20 ms (the only measure where ``clear_refs`` is not writable).
A stage's figure is the larger of the two, in MB (2^20 bytes). The run's peak is the
largest stage peak (resetting the high-water mark resets ``ru_maxrss`` too).

Growth exponent of a stage between two sizes: ``log(t2 / t1) / log(N2 / N1)`` in SKUs
and ``log(t2 / t1) / log(L2 / L1)`` in order lines L (1: linear, 2: quadratic); shown
where the smaller time is at least 0.05 s.

Writes the section "Planning run (issue 10)" of ``benchmarks/RESULTS.md`` (replacing it
if present, keeping the other sections) and prints the same; the raw figures go to
``benchmarks/_work/plan_bench.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from results import RESULTS, write_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
RAW = WORK / "plan_bench.json"            # the last run's figures and context
SECTION = "## Planning run (issue 10)"
BASELINE = "f4c53bb"
BASELINE_DIR = WORK / f"baseline_{BASELINE}"
MB = 2.0**20
MIN_SECONDS = 0.05          # [s] shortest time a growth exponent is computed from
SKUS_PER_PARTITION = 200    # of the partitioned folder (as benchmarks/ooc_report.py)


# --------------------------------------------------------------------------------------
# Memory and time of each stage (runs inside the child process)
# --------------------------------------------------------------------------------------
def _rss() -> int:
    """Resident set size of this process [bytes]."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _high_water() -> int | None:
    """The kernel's peak RSS of this process since the last reset [bytes]."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return None


def _reset_high_water() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


class Stages:
    """Consecutive stages of one run: ``lap(name)`` ends the current stage (if any) and
    starts the next; ``stop()`` ends the last. Each gets its seconds and peak RSS."""

    def __init__(self, interval: float = 0.02) -> None:
        self.rows: list[dict] = []
        self._interval = interval
        self._lock = threading.Lock()
        self._name: str | None = None
        self._start = 0.0
        self._sampled = 0
        self._kernel = False
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while self._running:
            rss = _rss()
            with self._lock:
                self._sampled = max(self._sampled, rss)
            time.sleep(self._interval)

    def lap(self, name: str) -> None:
        self._end()
        with self._lock:
            self._sampled = _rss()
        self._kernel = _reset_high_water()
        self._name, self._start = name, time.perf_counter()

    def _end(self) -> None:
        if self._name is None:
            return
        seconds = time.perf_counter() - self._start
        with self._lock:
            peak = max(self._sampled, _rss())
        if self._kernel:
            peak = max(peak, _high_water() or 0)
        self.rows.append({"stage": self._name, "seconds": seconds, "peak_mb": peak / MB})
        self._name = None

    def stop(self) -> list[dict]:
        self._end()
        self._running = False
        self._thread.join()
        return self.rows


class _StageBar:
    """Stands in for ``tqdm`` in ``report.build``: each ``set_postfix_str(name)`` (called
    before every step of the report) starts a stage ``report: <name>``."""

    stages: Stages

    def __init__(self, iterable, *args, **kwargs) -> None:
        self.iterable = iterable

    def __iter__(self):
        yield from self.iterable

    def set_postfix_str(self, name: str) -> None:
        self.stages.lap(f"report: {name}")


def _time_report_steps(stages: Stages) -> None:
    build = importlib.import_module("backorder_analytics.report.build")
    _StageBar.stages = stages
    build.tqdm = _StageBar


class _EngineBar:
    """Stands in for ``tqdm`` in ``distributed.engine``: a synchronous engine runs each
    step over the partitions inside one bar, so each bar starts a stage ``<step>``."""

    stages: Stages

    def __init__(self, iterable=None, *args, desc: str = "", **kwargs) -> None:
        self.iterable = iterable if iterable is not None else ()
        self.stages.lap(desc)

    def __iter__(self):
        yield from self.iterable

    def update(self, *args) -> None:
        pass

    def close(self) -> None:
        pass


def _time_engine_steps(stages: Stages) -> None:
    engine = importlib.import_module("backorder_analytics.distributed.engine")
    _EngineBar.stages = stages
    engine.tqdm = _EngineBar


# --------------------------------------------------------------------------------------
# The two runs (each in its own subprocess)
# --------------------------------------------------------------------------------------
def run_current(config: Path, out: Path) -> dict:
    """read → each planning step → report, with the current code."""
    import backorder_analytics as ba
    from backorder_analytics.planning.run import STEP_NAMES
    from backorder_analytics.report.config import read_configured_dataset

    stages = Stages()
    stages.lap("read")
    cfg = ba.load_config(config)
    ds = read_configured_dataset(cfg)
    run = ba.plan(ds, cfg.settings)
    for name in STEP_NAMES:
        stages.lap(name)
        run.get(name)
    _time_report_steps(stages)
    stages.lap("report: setup")
    ba.build_report(ds, out, cfg, plan=run, progress=False)
    return {"stages": _fold_lookups(stages.stop(), STEP_NAMES),
            "order_lines": len(ds.orders), "package": ba.__file__}


def _fold_lookups(rows: list[dict], step_names: tuple[str, ...]) -> list[dict]:
    """One row for ``build_report``'s first pass, which looks up every planning step
    (computed already). Matched by position: some sections share a step's name."""
    first = [r["stage"] for r in rows].index("report: setup") + 1
    names = [f"report: {name.replace('_', ' ')}" for name in step_names]
    span = rows[first:first + len(names)]
    if [r["stage"] for r in span] != names:
        return rows
    folded = {"stage": "report: look up the planning steps",
              "seconds": sum(r["seconds"] for r in span),
              "peak_mb": max(r["peak_mb"] for r in span)}
    return rows[:first] + [folded] + rows[first + len(names):]


def run_baseline(config: Path, out: Path) -> dict:
    """read → report (lead times, replay, each section, each write), at f4c53bb."""
    import backorder_analytics as ba
    from backorder_analytics.report.config import read_configured_dataset

    stages = Stages()
    stages.lap("read")
    cfg = ba.load_config(config)
    ds = read_configured_dataset(cfg)
    _time_report_steps(stages)
    stages.lap("report: setup")
    ba.build_report(ds, out, cfg, progress=False)
    return {"stages": stages.stop(), "order_lines": len(ds.orders), "package": ba.__file__}


def run_partitioned(config: Path, out: Path) -> dict:
    """The report from the folder partitioned by SKU, ``scheduler = "synchronous"``:
    each step of the out-of-core run over the partitions one after another in this
    process (a stage per step), then the report's own steps."""
    import backorder_analytics as ba
    from backorder_analytics.report.out_of_core import partitioned_folder

    stages = Stages()
    stages.lap("setup")
    cfg = ba.load_config(config)
    _time_engine_steps(stages)
    _time_report_steps(stages)
    ba.build_report(cfg.data.folder, out, cfg, progress=False)
    meta = partitioned_folder(cfg.data.folder) or {}
    return {"stages": stages.stop(), "order_lines": _order_lines(cfg.data.folder),
            "partitions": int(meta.get("n_partitions", 0)), "package": ba.__file__}


def _order_lines(folder: Path) -> int:
    import pyarrow.dataset

    return pyarrow.dataset.dataset(Path(folder) / "orders", partitioning="hive").count_rows()


RUNS = {"current": run_current, "baseline": run_baseline, "partitioned": run_partitioned}


def child(layout: str, n: int) -> None:
    """Entry point of a child process: one run, its figures as JSON on the last line."""
    import warnings

    warnings.simplefilter("ignore")         # ReportWarning etc.: not what is timed
    folder = partitioned_folder(n) if layout == "partitioned" else dataset_folder(n)
    out = WORK / "plan_out" / f"{layout}_{n}"
    shutil.rmtree(out, ignore_errors=True)
    result = RUNS[layout](folder / "planning.toml", out)
    result.update(layout=layout, n_skus=n)
    print(json.dumps(result))


# --------------------------------------------------------------------------------------
# Data, the baseline checkout, and the parent's driver
# --------------------------------------------------------------------------------------
def dataset_folder(n: int) -> Path:
    return WORK / f"plan_{n}"


def generate(n: int) -> None:
    """Write example_dataset(seed=0, n_skus=n, days=730) as Parquet, then planning.toml
    (written last: its presence marks a complete folder)."""
    import backorder_analytics as ba

    folder = dataset_folder(n)
    ds = ba.example_dataset(seed=0, n_skus=n, days=730)
    ba.write_dataset(ds, folder, format="parquet")
    shutil.copy(ROOT / "data" / "planning.toml", folder / "planning.toml")


def partitioned_folder(n: int) -> Path:
    return dataset_folder(n) / "partitioned"


def partition(n: int) -> None:
    """Write the same data partitioned by SKU (about :data:`SKUS_PER_PARTITION` each)
    with planning.toml set to ``scheduler = "synchronous"`` (written last)."""
    import backorder_analytics as ba

    folder = partitioned_folder(n)
    ds = ba.read_dataset(dataset_folder(n))
    ba.write_dataset(ds, folder, partition_by="sku_hash",
                     n_partitions=max(1, round(n / SKUS_PER_PARTITION)))
    text = (ROOT / "data" / "planning.toml").read_text()
    if "\n[report]\n" not in text:
        raise RuntimeError("data/planning.toml has no [report] section to set the scheduler in")
    (folder / "planning.toml").write_text(
        text.replace("\n[report]\n", '\n[report]\nscheduler = "synchronous"\n', 1))


def ensure_partitioned(n: int) -> Path:
    return _ensure(partitioned_folder(n), "--partition", n, "partitioning")


def ensure_dataset(n: int) -> Path:
    return _ensure(dataset_folder(n), "--generate", n, "generating")


def _ensure(folder: Path, flag: str, n: int, doing: str) -> Path:
    """``folder``, written by ``plan_bench.py <flag> <n>`` in a subprocess unless its
    planning.toml (written last) is there already."""
    if not (folder / "planning.toml").exists():
        print(f"{doing} {n:,} SKUs into {folder} ...", flush=True)
        subprocess.run([sys.executable, __file__, flag, str(n)], check=True, cwd=ROOT)
    return folder


def ensure_baseline() -> Path:
    if not (BASELINE_DIR / "backorder_analytics" / "__init__.py").exists():
        BASELINE_DIR.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(BASELINE_DIR)], input=archive, check=True)
    return BASELINE_DIR


def measure(layout: str, n: int) -> dict:
    """One run in a fresh subprocess; the baseline imports the f4c53bb tree."""
    env = dict(os.environ)
    expected = ROOT
    if layout == "baseline":
        expected = ensure_baseline()
        env["PYTHONPATH"] = str(expected)
    # cwd outside the repository: nothing on sys.path but the script's folder and PYTHONPATH
    proc = subprocess.run([sys.executable, __file__, "--child", layout, str(n)], env=env,
                          cwd=WORK, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{layout} run at {n} SKUs failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if not Path(result["package"]).resolve().is_relative_to(expected.resolve()):
        raise RuntimeError(f"The {layout} run imported {result['package']}, not the package "
                           f"under {expected}.")
    return result


def total(result: dict | None, prefix: str = "") -> tuple[float, float]:
    """Seconds and peak MB over the stages whose name starts with ``prefix``."""
    rows = [r for r in (result or {}).get("stages", []) if r["stage"].startswith(prefix)]
    if not rows:
        return math.nan, math.nan
    return sum(r["seconds"] for r in rows), max(r["peak_mb"] for r in rows)


def stage_table(result: dict) -> dict[str, tuple[float, float]]:
    """Stage → (seconds, peak MB), with the report's steps folded into ``report`` and
    kept as ``  · <step>`` rows after it; ``whole run`` last."""
    table: dict[str, tuple[float, float]] = {}
    detail: dict[str, tuple[float, float]] = {}
    for r in result["stages"]:
        if r["stage"].startswith("report: "):
            detail["  · " + r["stage"].removeprefix("report: ")] = (r["seconds"], r["peak_mb"])
        else:
            table[r["stage"]] = (r["seconds"], r["peak_mb"])
    table["report"] = total(result, "report: ")
    table.update(detail)
    table["whole run"] = total(result)
    return table


def exponent(t1: float, t2: float, x1: float, x2: float) -> float:
    if not (t1 >= MIN_SECONDS and t2 > 0 and x2 > x1 > 0):
        return math.nan
    return math.log(t2 / t1) / math.log(x2 / x1)


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------
def _f(x: float, fmt: str) -> str:
    return "—" if x is None or math.isnan(x) else format(x, fmt)


def _seconds(x: float) -> str:
    return _f(x, ".3f" if x < 1 else ".2f" if x < 100 else ".0f")


def _git_state() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True,
                              text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    dirty = [line[3:] for line in git("status", "--porcelain").splitlines()]
    if not dirty:
        return f"commit {head}, clean tree"
    folders = Counter(Path(p).parent.as_posix() for p in dirty
                      if p.startswith("backorder_analytics/"))
    where = ", ".join(f"{f}/ {k}" for f, k in sorted(folders.items())) or "none"
    return (f"commit {head} with uncommitted changes in {len(dirty)} paths (package "
            f"files changed, by folder: {where})")


def _load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.2f}" for x in load)


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import numpy
    import pandas

    return (f"{cpu}, {os.cpu_count()} cores (nproc), {platform.machine()}, Python "
            f"{platform.python_version()}, numpy {numpy.__version__}, pandas "
            f"{pandas.__version__}")


def summary_table(current: dict, baseline: dict, partitioned: dict) -> list[str]:
    lines = [f"| SKUs | order lines | {BASELINE} [s] | {BASELINE} peak [MB] | in memory [s] | "
             "in memory peak [MB] | partitioned [s] | partitioned peak [MB] | "
             f"time {BASELINE} / in memory | peak in memory / {BASELINE} | "
             f"time {BASELINE} / partitioned | peak partitioned / {BASELINE} |",
             "|" + "---|" * 12]
    for n in sorted(set(current) | set(partitioned)):
        t_old, m_old = total(baseline.get(n))
        t_new, m_new = total(current.get(n))
        t_par, m_par = total(partitioned.get(n))
        lines_n = (current.get(n) or partitioned[n])["order_lines"]
        lines.append(
            f"| {n:,} | {lines_n:,} | {_seconds(t_old)} | {_f(m_old, ',.0f')} | "
            f"{_seconds(t_new)} | {_f(m_new, ',.0f')} | {_seconds(t_par)} | "
            f"{_f(m_par, ',.0f')} | {_f(t_old / t_new, '.1f')} | {_f(m_new / m_old, '.2f')} | "
            f"{_f(t_old / t_par, '.1f')} | {_f(m_par / m_old, '.2f')} |")
    return lines


def growth_table(results: dict[int, dict], title: str) -> list[str]:
    """Seconds and peak MB per stage and size, and the growth exponents of the time."""
    sizes = list(results)
    tables = {n: stage_table(r) for n, r in results.items()}
    lines_of = {n: r["order_lines"] for n, r in results.items()}
    pairs = list(zip(sizes, sizes[1:], strict=False))
    head = [title] + [f"{n:,} [s] | {n:,} [MB]" for n in sizes] + \
        [f"exp. {a:,}→{b:,} SKUs / lines" for a, b in pairs]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * (1 + 2 * len(sizes) + len(pairs))]
    stages = list(dict.fromkeys(s for t in tables.values() for s in t))
    for stage in stages:
        cells = [stage.replace("  · ", "&nbsp;&nbsp;· ")]
        for n in sizes:
            t, m = tables[n].get(stage, (math.nan, math.nan))
            cells.append(f"{_seconds(t)} | {_f(m, ',.0f')}")
        for a, b in pairs:
            ta, tb = tables[a].get(stage, (math.nan,))[0], tables[b].get(stage, (math.nan,))[0]
            by_sku = exponent(ta, tb, a, b)
            by_line = exponent(ta, tb, lines_of[a], lines_of[b])
            cells.append("—" if math.isnan(by_sku) else f"{by_sku:.2f} / {by_line:.2f}")
        out.append("| " + " | ".join(cells) + " |")
    return out


def checks(current: dict, baseline: dict, partitioned: dict) -> list[str]:
    """The acceptance criteria of issue 10, as measured, for each layout run."""
    notes = []
    for name, runs in (("in memory", current), ("partitioned", partitioned)):
        if not runs:
            continue
        if 600 in runs and 600 in baseline:
            (t_new, m_new), (t_old, m_old) = total(runs[600]), total(baseline[600])
            notes.append(f"{name}, 600 SKUs: {t_old / t_new:.1f}× faster than {BASELINE} "
                         f"(aim ≥ 4×), peak {m_new / m_old:.2f} of its (aim ≤ 0.33)")
        if 3000 in runs:
            notes.append(f"{name}, 3,000 SKUs: peak {total(runs[3000])[1] / 1024:.1f} GB "
                         "(aim ≤ 8 GB)")
        notes.append(f"{name}, stages of 1 s or more growing faster than linearly in SKUs "
                     f"(exponent > 1.1): {', '.join(superlinear(runs)) or 'none'}")
    return notes


def superlinear(runs: dict) -> list[str]:
    sizes = list(runs)
    worst = []
    for a, b in zip(sizes, sizes[1:], strict=False):
        ta, tb = stage_table(runs[a]), stage_table(runs[b])
        for stage in ta:
            t_a, t_b = ta[stage][0], tb.get(stage, (math.nan,))[0]
            if t_b >= 1 and exponent(t_a, t_b, a, b) > 1.1:
                worst.append(f"{stage.strip(' ·')} {exponent(t_a, t_b, a, b):.2f} "
                             f"({a:,}→{b:,})")
    return worst


def context(argv: list[str]) -> dict:
    """Where and when the run happened: kept with the figures."""
    return {"machine": machine(), "code": _git_state(), "load": os.getloadavg(),
            "started": time.strftime("%Y-%m-%d %H:%M"),
            "command": " ".join(["python benchmarks/plan_bench.py", *argv])}


def render(meta: dict, current: dict, baseline: dict, partitioned: dict) -> str:
    busy = meta["load"][0] > 0.5
    load = (f"load average (1 / 5 / 15 min) {_load(meta['load'])} at start, "
            f"{_load(meta['load_end'])} at the end"
            + (" — other processes were running, so the times are inflated and vary from "
               "run to run (the peaks far less)" if busy else ""))
    text = [
        SECTION, "",
        f"The nightly run as a user starts it (`backorder-analytics report --config "
        f"planning.toml`): `example_dataset(seed=0, n_skus=N, days=730)` written as Parquet, "
        f"`data/planning.toml` (priority allocation, 200 replications, HTML + Excel + CSV). "
        f"Each run in its own subprocess; peak = the largest resident set size (RSS) within "
        f"a stage (kernel high-water mark reset per stage, plus 20 ms sampling). The "
        f"previous layout, commit {BASELINE}, runs in the same invocation from a `git "
        f"archive` of it. Machine: {meta['machine']}; {load}. Code: {meta['code']}. Run "
        f"{meta['started']}: `{meta['command']}`.", "",
        "Two layouts of the current code. **In memory**: the Parquet files read into one "
        "`Dataset`, then `ba.plan` and the report. **Partitioned**: the same data written "
        "with `write_dataset(ds, folder, partition_by=\"sku_hash\")` (about "
        f"{SKUS_PER_PARTITION} SKUs per partition) and `scheduler = \"synchronous\"` in "
        "planning.toml: the out-of-core report with its partitions one after another in "
        "the one process, no Dask (the same tables, tested).", "",
        "Whole run (read + plan + report):", "",
        *summary_table(current, baseline, partitioned), "",
        "In memory, per stage (planning steps in `STEP_NAMES` order, each computed by "
        "`run.get`; `report` = `build_report(plan=run)`, its steps indented; peak MB is "
        "the process's RSS, everything held so far included). Growth exponent "
        "`log(t2/t1) / log(N2/N1)` in SKUs / in order lines; — where the smaller time is "
        f"under {MIN_SECONDS} s:", "",
        *growth_table(current, "stage"), "",
    ]
    if partitioned:
        text += ["Partitioned, per stage (each step of the out-of-core run over every "
                 "partition, from its progress bar; `setup` loads the config; the work on "
                 "the whole between two steps, such as the lead-time fit, counts to the next "
                 "one):", "", *growth_table(partitioned, "stage"), ""]
    if baseline:
        text += [f"Previous layout ({BASELINE}): read, then `build_report`'s own steps (the "
                 "sections compute the forecast, safety stock, ETAs, risk and alerts on "
                 "first use):", "", *growth_table(baseline, "stage"), ""]
    text += ["Issue 10 criteria as measured: "
             + "; ".join(checks(current, baseline, partitioned)) + "."]
    return "\n".join(text) + "\n"


def run_all(args) -> tuple[dict, dict[int, dict], dict[int, dict], dict[int, dict]]:
    """Every size: the current code in memory and partitioned, then the baseline; the
    figures also go to RAW."""
    meta = context(sys.argv[1:])
    WORK.mkdir(exist_ok=True)
    runs: dict[str, dict[int, dict]] = {"current": {}, "partitioned": {}, "baseline": {}}
    asked = {"current": args.sizes, "partitioned": args.partitioned_sizes,
             "baseline": args.baseline_sizes}
    for n in sorted(set().union(*map(set, asked.values()))):
        ensure_dataset(n)
        for layout, sizes in asked.items():
            if n not in sizes:
                continue
            if layout == "partitioned":
                ensure_partitioned(n)
            runs[layout][n] = result = measure(layout, n)
            seconds, peak = total(result)
            print(f"{n:,} SKUs, {layout}: {seconds:.1f} s, {peak:,.0f} MB", flush=True)
    meta["load_end"] = os.getloadavg()
    RAW.write_text(json.dumps({"meta": meta, **runs}, indent=1))
    return meta, runs["current"], runs["baseline"], runs["partitioned"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[60, 600, 3000],
                        help="SKU counts of the current code's runs (default 60 600 3000)")
    parser.add_argument("--baseline-sizes", type=int, nargs="*", default=[60, 600],
                        help=f"SKU counts {BASELINE} also runs at (default 60 600; at 3,000 "
                             "it needs > 6 GB and ~10 minutes); none: skip it")
    parser.add_argument("--partitioned-sizes", type=int, nargs="*", default=[60, 600, 3000],
                        help="SKU counts of the partitioned, synchronous runs (default 60 "
                             "600 3000); none: skip them")
    parser.add_argument("--no-write", action="store_true", help="print only, leave "
                        "RESULTS.md as it is")
    parser.add_argument("--rerender", action="store_true", help="write the section again "
                        "from the last run's figures (benchmarks/_work/plan_bench.json)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--partition", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    if args.generate:
        generate(args.generate)
        return
    if args.partition:
        partition(args.partition)
        return

    if args.rerender:
        figures = json.loads(RAW.read_text())
        meta = figures["meta"]
        current = {int(n): r for n, r in figures["current"].items()}
        baseline = {int(n): r for n, r in figures["baseline"].items()}
        partitioned = {int(n): r for n, r in figures.get("partitioned", {}).items()}
    else:
        meta, current, baseline, partitioned = run_all(args)
    text = render(meta, current, baseline, partitioned)
    print("\n" + text)
    if not args.no_write:
        write_section(SECTION, text)
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
