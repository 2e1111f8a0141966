"""Sweep throughput: runs per second against the number of workers, and the per-run overhead of the experiment
layer. A benchmark script, not a timed test.

Two run sizes, each a plan of replicates of one scenario cut into batches:

* small: 600 households on a 4 x 4 grid, 12 months of tie spin-up, 3 years (about 20 ms a run);
* medium: scenarios/baseline.toml (about 6,000 households), 10 years (about 0.2 s a run).

Measured per size, all wall time:

* bare: ``Simulation(scenario, seed, replicate).run(years)`` one run after the other, in this process;
* batch: the same runs through :func:`qsim.experiment.run_batch` in this process (a run plus its reduction to
  yearly rows with ledger totals, and the batch's concatenation); overhead = batch / bare - 1;
* execute: :func:`qsim.experiment.execute` into a fresh store, serially in this process (adds the Parquet
  store), then on 1 and 2 local worker processes, and with ``--dask`` on a Dask LocalCluster of 1 and 2
  single-threaded worker processes. Pools and clusters are started and warmed up (numba loaded, one throwaway
  plan) before the clock starts: the figures are steady-state throughput, not start-up.

    python benchmarks/sweep_throughput.py
    python benchmarks/sweep_throughput.py --dask --json sweep.json
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import tempfile
import time
import tomllib
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import qsim
from qsim.experiment import dask_executor, execute, local_executor, replications_plan, run_batch, warm_up
from qsim.experiment.store import Store

ROOT = Path(__file__).resolve().parents[1]
SMALL = {
    "scenario": {"name": "small", "years": 3, "seed": 3},
    "spinup_months": 12,
    "areas": [{"name": "Q", "households": 600, "grid": [4, 4], "buildings_per_block": 2, "dwellings_per_building": 20,
               "places": {"park": 1, "centre": 1, "playground": 2, "school": 1}}],
}


def sizes(runs_small: int, runs_medium: int) -> dict[str, tuple[qsim.Scenario, float, int, int]]:
    """name -> (scenario, years, runs, runs per batch)."""
    medium = tomllib.loads((ROOT / "scenarios" / "baseline.toml").read_text())
    medium["scenario"]["name"] = "medium"
    return {"small": (qsim.scenario_from_dict(copy.deepcopy(SMALL)), 3.0, runs_small, 16),
            "medium": (qsim.scenario_from_dict(medium, str(ROOT / "scenarios" / "baseline.toml")), 10.0,
                       runs_medium, 4)}


def bare(scenario: qsim.Scenario, years: float, runs: int) -> float:
    """Seconds for ``runs`` bare runs in this process."""
    started = time.perf_counter()
    for r in range(runs):
        qsim.Simulation(scenario, seed=1, replicate=r).run(years=years)
    return time.perf_counter() - started


def batched(scenario: qsim.Scenario, years: float, runs: int, batch: int) -> float:
    """Seconds for the same runs through run_batch in this process."""
    plan = replications_plan([scenario], runs, 1, years, batch)
    started = time.perf_counter()
    for b, members in enumerate(plan.batches):
        run_batch(b, {0: scenario}, [plan.runs[r] for r in members], years)
    return time.perf_counter() - started


def warm_and_wait(scenarios: list[qsim.Scenario]) -> None:
    """Load numba in a pool worker, then hold it for a moment so that the next warm-up goes to another worker."""
    warm_up(scenarios)
    time.sleep(1.0)


def executed(scenario: qsim.Scenario, years: float, runs: int, batch: int, executor: Executor | int,
             workers: int = 1) -> float:
    """Wall seconds of execute() for the plan, after the executor's workers have loaded numba and run a
    throwaway plan."""
    if isinstance(executor, ProcessPoolExecutor):
        list(executor.map(warm_and_wait, [[scenario]] * workers))
    with tempfile.TemporaryDirectory() as folder:
        warm = replications_plan([scenario], 8, 99, 1 / 12, 1)
        execute(warm, Store.for_plan(Path(folder) / "warm", warm), executor, progress=False)
        plan = replications_plan([scenario], runs, 1, years, batch)
        report = execute(plan, Store.for_plan(Path(folder) / "store", plan), executor, progress=False)
        assert report.done == runs, report
        return report.seconds


@contextmanager
def pool(kind: str, workers: int) -> Iterator[Executor]:
    """``workers`` local processes ('processes') or single-threaded workers of a Dask LocalCluster ('dask')."""
    if kind == "processes":
        executor = local_executor(workers)
        try:
            yield executor
        finally:
            executor.shutdown()
        return
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield dask_executor(client)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs-small", type=int, default=256, help="runs of the small size (default 256)")
    parser.add_argument("--runs-medium", type=int, default=32, help="runs of the medium size (default 32)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    parser.add_argument("--dask", action="store_true", help="also on a Dask LocalCluster")
    parser.add_argument("--json", default=None, help="write the numbers to this file")
    args = parser.parse_args()

    table = sizes(args.runs_small, args.runs_medium)
    warm_up([s for s, *_ in table.values()])
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                 "processor": platform.processor()}, "sizes": {}}
    for name, (scenario, years, runs, batch) in table.items():
        out: dict = {"runs": runs, "batch": batch, "years": years}
        out["bare_s_per_run"] = bare(scenario, years, runs) / runs
        out["batch_s_per_run"] = batched(scenario, years, runs, batch) / runs
        out["serial_s_per_run"] = executed(scenario, years, runs, batch, 1) / runs
        for kind in ["processes"] + (["dask"] if args.dask else []):
            for w in args.workers:
                with pool(kind, w) as executor:
                    out[f"{kind}_{w}_runs_per_s"] = runs / executed(scenario, years, runs, batch, executor, w)
        results["sizes"][name] = out
        print(f"\n{name}: {runs} runs of {years:g} years, {batch} runs per batch")
        bare_s = out["bare_s_per_run"]
        print(f"  {'bare run':19s} {bare_s * 1e3:8.1f} ms/run  {1 / bare_s:7.1f} runs/s")
        for key, label in (("batch", "run_batch"), ("serial", "execute, serial")):
            s = out[f"{key}_s_per_run"]
            print(f"  {label:19s} {s * 1e3:8.1f} ms/run  {1 / s:7.1f} runs/s  overhead "
                  f"{s / bare_s - 1:+.1%}")
        for kind in ["processes"] + (["dask"] if args.dask else []):
            one = out[f"{kind}_{args.workers[0]}_runs_per_s"]
            for w in args.workers:
                rate = out[f"{kind}_{w}_runs_per_s"]
                print(f"  {f'{kind} x {w}':19s} {1e3 / rate:8.1f} ms/run  {rate:7.1f} runs/s  speed-up "
                      f"{rate / one:.2f}x ({rate * bare_s / w:.0%} of bare per worker)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
