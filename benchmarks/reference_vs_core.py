"""The numba core against the reference Mesa model, side by side in one run.

Both models run the same scenario: the baseline's area (every process on,
default parameters, the baseline's budget ledger) scaled to 1,000, 5,000 and
20,000 households on grids of blocks of 4 buildings with 17 dwellings each
(about 8% vacant), starting from the same initial world (the reference
model is built from the core's initial state, docs/reference-model.md).
Construction is not timed. Measured: CPU time of the stepping thread (the
machine may be shared; descheduled time is not counted) and wall time, per
month, after one warm-up month; household-steps per second (households at
the start x months / CPU seconds) and the ratio core / reference. The
reference is slow, so it runs fewer months (``--reference-months``, fewer
still at 20,000 households); each figure is the median of ``--repeats``
runs (seeds 1, 2, ...).

    python benchmarks/reference_vs_core.py
    python benchmarks/reference_vs_core.py --sizes 1000 5000 --core-months 60 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

import qsim  # noqa: E402
from qsim.mesa.reference import ReferenceModel  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.toml"
GRIDS = {1000: (4, 4), 5000: (10, 8), 20000: (20, 16)}  # blocks; 68 dwellings per block
BUILDINGS_PER_BLOCK = 4
DWELLINGS_PER_BUILDING = 17


def scenario(households: int) -> qsim.Scenario:
    """The baseline scaled to ``households`` (grid from GRIDS, or a square grid with about 8% vacant)."""
    per_block = BUILDINGS_PER_BLOCK * DWELLINGS_PER_BUILDING
    if households in GRIDS:
        grid = GRIDS[households]
    else:
        side = max(1, round((households / 0.92 / per_block) ** 0.5))
        grid = (side, max(1, -(-int(households / 0.92) // (side * per_block))))
    data = qsim.load_scenario(BASELINE).model_dump()
    data["areas"][0].update(households=households, grid=list(grid), buildings_per_block=BUILDINGS_PER_BLOCK,
                            dwellings_per_building=DWELLINGS_PER_BUILDING)
    return qsim.scenario_from_dict(data, source=f"<baseline at {households} households>", base_dir=BASELINE.parent)


def timed(step, months: int, households: int) -> dict:
    """CPU (this thread) and wall time of ``months`` calls of ``step``, after one warm-up call."""
    step()
    start, start_cpu = time.perf_counter(), time.thread_time()
    for _ in range(months):
        step()
    cpu, wall = time.thread_time() - start_cpu, time.perf_counter() - start
    return {"months": months, "cpu_s_per_month": cpu / months, "wall_s_per_month": wall / months,
            "household_steps_per_s": households * months / cpu}


def run_core(sc: qsim.Scenario, seed: int, months: int) -> dict:
    sim = qsim.Simulation(sc, seed=seed)
    return timed(sim.step, months, int(sim.state.households.alive.sum()))


def run_reference(sc: qsim.Scenario, seed: int, months: int) -> dict:
    model = ReferenceModel(sc, seed=seed)
    return timed(model.step, months, len(model.agents))


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "nproc": os.cpu_count(), "python": platform.python_version(),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def median(runs: list[dict]) -> dict:
    """The run with the median CPU time per month."""
    return sorted(runs, key=lambda r: r["cpu_s_per_month"])[len(runs) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000], help="households")
    parser.add_argument("--core-months", type=int, default=120, help="timed months of the core (default 120)")
    parser.add_argument("--reference-months", type=int, default=12,
                        help="timed months of the reference (default 12; a quarter of it, at least 2, at 20,000+)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per model and size (default 3)")
    parser.add_argument("--json", type=Path, default=None, help="write all numbers to this JSON file")
    args = parser.parse_args(argv)

    import mesa

    run_core(scenario(1000), seed=0, months=2)  # load the cached kernels (or compile them) outside the timing
    info = machine()
    rows = []
    for n in args.sizes:
        sc = scenario(n)
        ref_months = args.reference_months if n < 20000 else max(2, args.reference_months // 4)
        core = median([run_core(sc, s, args.core_months) for s in range(1, args.repeats + 1)])
        reference = median([run_reference(sc, s, ref_months) for s in range(1, args.repeats + 1)])
        rows.append({"households": n, "core": core, "reference": reference,
                     "ratio": core["household_steps_per_s"] / reference["household_steps_per_s"]})
    print(f"baseline area scaled; every process on; median of {args.repeats} runs; qsim {qsim.__version__}, "
          f"mesa {mesa.__version__}; {info['cpu']}, nproc {info['nproc']}, {info['date']}\n")
    print(f"{'households':>10} | {'core hh-steps/s':>15} {'ms/month':>9} | {'reference hh-steps/s':>20} "
          f"{'ms/month':>9} {'months':>6} | {'ratio':>7}")
    for r in rows:
        c, m = r["core"], r["reference"]
        print(f"{r['households']:>10,} | {c['household_steps_per_s']:>15,.0f} {1e3 * c['cpu_s_per_month']:>9.2f} | "
              f"{m['household_steps_per_s']:>20,.0f} {1e3 * m['cpu_s_per_month']:>9.1f} {m['months']:>6} | "
              f"{r['ratio']:>6.0f}x")
    ratios = ", ".join(f"{r['ratio']:.0f}x" for r in rows)
    print(f"\nratio core / reference (CPU time): {ratios}; DESIGN target >= 500x")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "mesa": mesa.__version__, "qsim": qsim.__version__,
                                         "rows": rows, "repeats": args.repeats}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
