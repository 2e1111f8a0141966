"""Throughput of the full qsim model: a benchmark script, not a timed test.

Measured on one core (``threads=1``; ``benchmarks/threads.py`` measures the speed-up on more), for one area of
``n`` households (or ``--areas`` equal areas), blocks of about 80 dwellings
(4 buildings of 16-24) and about 6% vacant, every process on, default
parameters (the baseline's area fields otherwise):

* household-steps per second per core: steady-state months after one
  warm-up month, from the CPU time of the stepping thread (the machine may
  be shared: descheduled time is not counted) and from wall time;
* per-kernel breakdown: exclusive CPU time of every kernel call made by
  ``Simulation.step`` (numba dispatch included), per household-step, found
  by wrapping the kernels in the ``qsim.engine`` / ``qsim.indicators``
  namespaces with timers (in a second run of the same months, so that the
  throughput figure carries no timer overhead); ``step glue`` is the rest
  of ``Simulation.step`` (Python);
* memory per household: ``state.nbytes``, the RSS added by construction,
  and the peak RSS during construction and during stepping (Linux);
* start-up: first-call compile time (a child process with an empty
  ``NUMBA_CACHE_DIR``) and the warm start of
  ``qsim run scenarios/baseline.toml --years 20 --quiet`` (cache present).

    python benchmarks/throughput.py
    python benchmarks/throughput.py --sizes 1e3 1e5 --months 24 --no-startup --json out.json
    python benchmarks/throughput.py --sizes 2e6 --areas 333 --months 6 --no-startup   # a 2M-household city
    python benchmarks/throughput.py --sizes 2e6 --areas 333 --months 360 --no-startup --no-breakdown  # 30 years
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import qsim
import qsim.engine
import qsim.indicators

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
VACANCY = 0.06

# (module, function) called by Simulation.step (directly or in the process steps of qsim.processes, where the
# engine's schedule calls them); indicators.compute is one numba call for all indicators
_STEP_MODULES = [module for module in (qsim.engine, getattr(qsim, "processes", None)) if module is not None]
KERNELS = [(module, name) for module in _STEP_MODULES for name in (
    "lever_table", "environment_step", "labour_step", "encounters_step", "area_responsiveness", "trust_step",
    "trust_and_participation_choices", "block_aggregates", "collective_efficacy", "disorder_step",
    "participation_step", "organisations_step", "mobility_step", "reputation_step") if hasattr(module, name)] + [
    (qsim.indicators, "compute")]
LABELS = {"compute": "indicators"}


def layout(n: int) -> tuple[int, int, int]:
    """(columns, rows, dwellings per building) of a near-square grid of 4-building blocks, ~6% vacant."""
    options = []
    for per_building in range(16, 25):
        blocks = n / (1.0 - VACANCY) / (4 * per_building)
        nx = max(1, round(math.sqrt(blocks)))
        for ny in {max(1, math.floor(blocks / nx)), math.ceil(blocks / nx)}:
            dwellings = nx * ny * 4 * per_building
            if dwellings >= n:
                options.append((abs(1.0 - n / dwellings - VACANCY), nx, ny, per_building))
    return min(options)[1:]


def scenario(n: int, months: int, areas: int = 1) -> qsim.Scenario:
    """The baseline's area scaled to ``n`` households (split over ``areas`` equal areas), with a horizon of
    at least ``months``."""
    data = tomllib.loads(BASELINE.read_text())
    nx, ny, per_building = layout(n // areas)
    data["areas"] = [{**data["areas"][0], "name": f"area {k}", "households": n // areas, "grid": [nx, ny],
                      "buildings_per_block": 4, "dwellings_per_building": per_building} for k in range(areas)]
    data["scenario"] = {**data["scenario"], "name": f"throughput-{n}", "years": months // 12 + 1}
    return qsim.scenario_from_dict(data)


def _status(field: str) -> int:
    """A memory field of /proc/self/status (VmRSS, VmHWM), bytes; 0 where unknown."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return 0


def reset_peak_rss() -> None:
    """Start a new peak-RSS interval (Linux: clear_refs 5 resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


class KernelTimer:
    """Exclusive CPU time per wrapped function (a nested call's time is not counted twice)."""

    def __init__(self):
        self.seconds = defaultdict(float)
        self._open: list[float] = []

    def wrap(self, label, fn):
        def timed(*args, **kwargs):
            self._open.append(0.0)
            start = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.thread_time() - start
                self.seconds[label] += elapsed - self._open.pop()
                if self._open:
                    self._open[-1] += elapsed
        return timed

    @contextmanager
    def installed(self):
        originals = [(module, name, getattr(module, name)) for module, name in KERNELS if hasattr(module, name)]
        for module, name, fn in originals:
            setattr(module, name, self.wrap(name, fn))
        try:
            yield self
        finally:
            for module, name, fn in originals:
                setattr(module, name, fn)


def timed_steps(sim: qsim.Simulation, months: int, timer: KernelTimer | None = None):
    """CPU and wall time of each of ``months`` steps, the household-steps done (alive households at each
    start) and, with a timer installed, the CPU seconds per kernel of each step."""
    cpu, wall, household_steps, parts = [], [], 0, []
    for _ in range(months):
        household_steps += int(sim.state.households.alive.sum())
        if timer:
            timer.seconds.clear()
        start, start_cpu = time.perf_counter(), time.thread_time()
        sim.step()
        cpu.append(time.thread_time() - start_cpu)
        wall.append(time.perf_counter() - start)
        if timer:
            parts.append({**timer.seconds, "step glue (Python)": cpu[-1] - sum(timer.seconds.values())})
    return cpu, wall, household_steps, parts


def measure_size(n: int, months: int, seed: int, areas: int = 1, breakdown: bool = True) -> dict:
    """Construction, throughput, per-kernel breakdown (unless ``breakdown`` is False) and memory at ``n``
    households."""
    reset_peak_rss()
    rss_before = _status("VmRSS")
    start = time.perf_counter()
    sim = qsim.Simulation(scenario(n, 2 * months + 1, areas), seed=seed, threads=1)  # per core: one thread
    construction = time.perf_counter() - start
    rss_built, rss_build_peak = _status("VmRSS"), _status("VmHWM")
    reset_peak_rss()
    sim.step()  # warm-up month
    cpu, wall, household_steps, _ = timed_steps(sim, months)
    rss_step_peak = _status("VmHWM")
    kernels = {}
    if breakdown:
        with KernelTimer().installed() as timer:
            _, _, kernel_steps, parts = timed_steps(sim, months, timer)
        per_step = kernel_steps / months  # median over months of each part: robust to one-off pauses
        kernels = {LABELS.get(name, name): 1e9 * statistics.median(p.get(name, 0.0) for p in parts) / per_step
                   for name in dict.fromkeys(name for p in parts for name in p)}
    st = sim.state
    alive = int(st.households.alive.sum())
    per_household = {"state": st.nbytes / alive, "rss_after_construction": (rss_built - rss_before) / n,
                     "peak_rss_construction": (rss_build_peak - rss_before) / n,
                     "peak_rss_stepping": (rss_step_peak - rss_before) / n}
    return {
        "households": n, "areas": areas, "slots": len(st.households), "blocks": len(st.blocks), "alive_at_end": alive,
        "months": months, "construction_s": construction,
        "ns_per_household_step": {"cpu_median_month": 1e9 * statistics.median(cpu) / (household_steps / months),
                                  "cpu_mean": 1e9 * sum(cpu) / household_steps,
                                  "wall_mean": 1e9 * sum(wall) / household_steps},
        "cpu_s_months": sum(cpu), "wall_s_months": sum(wall),
        "bytes_per_household": per_household,
        "kernel_ns_per_household_step": kernels,
    }


STARTUP_CHILD = """
import json, time
t0 = time.perf_counter()
import qsim
t1 = time.perf_counter()
sim = qsim.Simulation(qsim.load_scenario({path!r}), seed=1)
t2 = time.perf_counter()
sim.step()
t3 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "construction_s": t2 - t1, "first_step_s": t3 - t2,
                  "cpu_s": time.process_time()}}))
"""


def startup_times(cache_dir: str | None) -> dict:
    """Import, construction and first step of the baseline in a fresh process (numba cache ``cache_dir``)."""
    env = {**os.environ, **({"NUMBA_CACHE_DIR": cache_dir} if cache_dir else {})}
    out = subprocess.run([sys.executable, "-c", STARTUP_CHILD.format(path=str(BASELINE))], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def warm_start(repeats: int) -> dict:
    """Wall and CPU time of ``qsim run scenarios/baseline.toml --years 20 --quiet``, numba cache present."""
    qsim_cli = Path(sys.executable).with_name("qsim")
    command = [str(qsim_cli)] if qsim_cli.exists() else [sys.executable, "-m", "qsim.cli"]
    walls, cpus, simulated = [], [], []
    with tempfile.TemporaryDirectory() as out:
        for k in range(repeats + 1):  # the first run fills the cache if needed and is not counted
            start, used = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            proc = subprocess.run(command + ["run", str(BASELINE), "--years", "20", "--quiet", "--out", out],
                                  cwd=ROOT, capture_output=True, text=True, check=True)
            if k:
                walls.append(time.perf_counter() - start)
                now = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime)
                found = re.search(r"households at the end, ([0-9.]+) s", proc.stdout)
                simulated.append(float(found.group(1)) if found else float("nan"))
    return {"wall_s": walls, "wall_median_s": statistics.median(walls), "cpu_median_s": statistics.median(cpus),
            "simulation_loop_median_s": statistics.median(simulated)}


def machine() -> dict:
    """Where and on what the numbers were taken."""
    def first(path, prefix):
        try:
            with open(path) as f:
                return next((line.split(":", 1)[1].strip() for line in f if line.startswith(prefix)), "?")
        except OSError:
            return "?"
    import numba
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    return {"cpu": first("/proc/cpuinfo", "model name"), "cores": os.cpu_count(),
            "memory": first("/proc/meminfo", "MemTotal"), "python": sys.version.split()[0], "numba": numba.__version__,
            "numpy": np.__version__, "qsim": qsim.__version__, "commit": commit.stdout.strip() or "?",
            "date": time.strftime("%Y-%m-%d %H:%M %Z"), "load average": round(os.getloadavg()[0], 2)}


def report(info: dict, sizes: list[dict], startup: dict | None) -> None:
    print(", ".join(f"{key} {value}" for key, value in info.items()) + "\n")
    print("ns per household-step (CPU: median month, mean; wall: mean), M household-steps/s per core (median "
          "month),\nbytes per household (state; RSS after construction; peak RSS in construction, in stepping)")
    for r in sizes:
        ns, b = r["ns_per_household_step"], r["bytes_per_household"]
        print(f"{r['households']:>10,} hh, {r['areas']:>4} area(s), {r['blocks']:>6,} blocks, {r['months']:>3} months, "
              f"build {r['construction_s']:5.2f} s | {ns['cpu_median_month']:6.1f} {ns['cpu_mean']:6.1f} "
              f"{ns['wall_mean']:6.1f} ns | {1e3 / ns['cpu_median_month']:5.2f} M/s | {b['state']:4.0f} "
              f"{b['rss_after_construction']:5.0f} {b['peak_rss_construction']:5.0f} {b['peak_rss_stepping']:5.0f} B")
    for r in sizes:
        print(f"{r['households']:>10,} hh: {r['months']} months took {r['cpu_s_months']:.1f} s CPU, "
              f"{r['wall_s_months']:.1f} s wall (construction {r['construction_s']:.1f} s wall)")
    names = list(sizes[0]["kernel_ns_per_household_step"])
    if names:
        print("\nns per household-step by kernel (exclusive CPU time, numba dispatch included; median month)")
        print(f"{'kernel':>22} " + " ".join(f"{r['households']:>10,}" for r in sizes))
        for name in names + ["total"]:
            values = [sum(r["kernel_ns_per_household_step"].values()) if name == "total"
                      else r["kernel_ns_per_household_step"].get(name, 0.0) for r in sizes]
            print(f"{name:>22} " + " ".join(f"{v:>10.1f}" for v in values))
    if sizes[-1]["households"] >= 10**6:
        r = sizes[-1]
        print(f"\nprojected 2M households x 30 years on one core at the {r['households']:,}-household rate: "
              f"{2e6 * 360 * r['ns_per_household_step']['cpu_median_month'] / 1e9:.0f} s")
    if startup:
        for name in ("cold", "cached"):
            t = startup[name]
            cache = "empty" if name == "cold" else "present"
            print(f"{name} start of the baseline (numba cache {cache}), wall: import {t['import_s']:.2f} s, "
                  f"construction {t['construction_s']:.2f} s, first step {t['first_step_s']:.2f} s; "
                  f"CPU {t['cpu_s']:.2f} s")
        w = startup["warm_start"]
        print(f"warm start `qsim run baseline --years 20`: median {w['wall_median_s']:.2f} s wall, "
              f"{w['cpu_median_s']:.2f} s CPU (walls {', '.join(f'{x:.2f}' for x in w['wall_s'])}); month loop "
              f"{w['simulation_loop_median_s']:.2f} s wall")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e3, 1e4, 1e5, 1e6],
                        help="households per run (default 1e3 1e4 1e5 1e6)")
    parser.add_argument("--months", type=int, default=None,
                        help="timed months per size (default: 10M household-steps, between 6 and 120)")
    parser.add_argument("--areas", type=int, default=1,
                        help="split each size over this many equal areas (default 1; e.g. 333 for a city of "
                             "baseline-sized areas at 2e6)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warm-start-repeats", type=int, default=3)
    parser.add_argument("--no-startup", action="store_true", help="skip the compile-time and warm-start runs")
    parser.add_argument("--no-breakdown", action="store_true",
                        help="skip the second, per-kernel timed run (e.g. for a long run: --months 360)")
    parser.add_argument("--json", type=Path, default=None, help="write all numbers to this JSON file")
    args = parser.parse_args(argv)

    qsim.Simulation(scenario(1000, 12), seed=args.seed, threads=1).step()  # load every cached kernel first
    sizes = []
    for n in (int(s) for s in args.sizes):
        months = args.months or int(min(120, max(6, 1e7 // n)))
        sizes.append(measure_size(n, months, args.seed, args.areas, breakdown=not args.no_breakdown))
        print(f"  {n:,} households: {sizes[-1]['ns_per_household_step']['cpu_median_month']:.0f} ns per "
              "household-step", flush=True)
    startup = None
    if not args.no_startup:
        with tempfile.TemporaryDirectory() as empty_cache:
            cold = startup_times(empty_cache)
        cached = startup_times(None)
        startup = {"cold": cold, "cached": cached, "warm_start": warm_start(args.warm_start_repeats)}
    info = machine()
    report(info, sizes, startup)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "sizes": sizes, "startup": startup}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
