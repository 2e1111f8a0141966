"""Speed-up of one run from 1 to more kernel threads: a benchmark script, not a timed test.

One simulation per size (the baseline's area scaled as in ``throughput.py``), stepped month by month with the
thread counts taking turns (1, 2, 1, 2, ...): each pair of months is measured side by side, in the same
minutes and on nearly the same state, so that the load of a shared machine affects both alike. Wall time of
``Simulation.step`` (threads run in parallel: CPU time would hide the gain); the figure is the median over
the pairs of (time with 1 thread) / (time with n threads), with the per-household-step times and the load
average (1 minute) before and after.

    python benchmarks/threads.py                          # 1e4 1e5 1e6, 1 vs 2 threads
    python benchmarks/threads.py --sizes 1e6 --pairs 12 --json threads.json
    python benchmarks/threads.py --sizes 2e6 --areas 333 --pairs 6
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import qsim  # noqa: E402
from qsim.threads import available  # noqa: E402
from throughput import scenario  # noqa: E402


def measure(n: int, areas: int, pairs: int, threads: list[int]) -> dict:
    """Side-by-side months of one simulation of ``n`` households at each thread count."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    sim = qsim.Simulation(scenario(n, 2 * pairs * len(threads) + 13, areas), seed=1)
    build = time.perf_counter() - started
    for t in threads:  # warm-up: one month at each thread count (loads the kernels, first re-sort later)
        sim.threads = t
        sim.step()
    seconds: dict[int, list[float]] = {t: [] for t in threads}
    for _ in range(pairs):
        for t in threads:
            sim.threads = t
            started = time.perf_counter()
            sim.step()
            seconds[t].append(time.perf_counter() - started)
    households = int(sim.state.households.alive.sum())
    ns = {t: [1e9 * s / households for s in seconds[t]] for t in threads}
    base = threads[0]
    return {"households": households, "areas": areas, "pairs": pairs, "construction_s": build,
            "ns_per_household_step_median": {t: statistics.median(ns[t]) for t in threads},
            "speedup_median_of_pairs": {t: statistics.median(a / b for a, b in zip(seconds[base], seconds[t]))
                                        for t in threads[1:]},
            "speedup_range": {t: [min(a / b for a, b in zip(seconds[base], seconds[t])),
                                  max(a / b for a, b in zip(seconds[base], seconds[t]))] for t in threads[1:]},
            "load_before": load_before, "load_after": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    parser.add_argument("--areas", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=0, help="months per thread count (default: ~1e7 "
                        "household-steps, clipped to 6-60)")
    parser.add_argument("--threads", nargs="+", type=int, default=[1, min(2, available())])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    for size in args.sizes:
        n = int(size)
        pairs = args.pairs or max(6, min(60, int(1e7 / n)))
        r = measure(n, args.areas, pairs, args.threads)
        results.append(r)
        times = ", ".join(f"{t} thread(s) {v:.1f} ns" for t, v in r["ns_per_household_step_median"].items())
        gains = ", ".join(f"x{v:.2f} with {t} ({r['speedup_range'][t][0]:.2f}-{r['speedup_range'][t][1]:.2f})"
                          for t, v in r["speedup_median_of_pairs"].items())
        print(f"{r['households']:>9,} households, {r['areas']} area(s), {pairs} pairs: {times} per household-step "
              f"(wall, median month); speed-up {gains}; load {r['load_before']:.1f} -> {r['load_after']:.1f}",
              flush=True)
    if args.json:
        args.json.write_text(json.dumps({"cores": os.cpu_count(), "numba_threads": available(), "runs": results},
                                        indent=1))


if __name__ == "__main__":
    main()
