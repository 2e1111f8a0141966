"""Executing a plan: serially in-process, on local processes, or on any ``concurrent.futures.Executor``.

Numba compiles once, in the parent, before any worker starts (:func:`warm_up`):
workers then load the compiled code from the cache and never race to write it.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Sequence

from ..engine import Simulation
from ..scenario import Scenario
from .plan import Plan
from .runs import run_batch
from .store import Store


class SerialExecutor(Executor):
    """Runs each task in the calling process when it is submitted."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(e)
        return future


def warm_up(scenarios: Sequence[Scenario]) -> None:
    """Compile (or load from the numba cache) every kernel the scenarios use, by simulating one month of one
    scenario per distinct set of switched-on processes."""
    seen = set()
    for scenario in scenarios:
        processes = tuple(sorted(scenario.processes.model_dump().items()))
        if processes not in seen:
            seen.add(processes)
            Simulation(scenario, seed=0, replicate=0).run(years=1 / 12)


def default_workers() -> int:
    """The number of cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def local_executor(workers: int | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes (default: all cores) started with 'forkserver' (or 'spawn').

    Workers import the main module again, so a script that starts them needs an
    ``if __name__ == "__main__":`` guard (as with any multiprocessing pool).
    """
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=workers or default_workers(), mp_context=multiprocessing.get_context(method))


@dataclass(frozen=True)
class ExecutionReport:
    """Runs finished and failed in this execution, runs already in the store, and the wall time (s)."""

    done: int
    failed: int
    skipped: int
    seconds: float

    def line(self) -> str:
        return (f"{self.done} runs done, {self.failed} failed, {self.skipped} already in the store, "
                f"{self.seconds:.1f} s")


def execute(plan: Plan, store: Store, executor: Executor | int | None = None, progress: bool = True) -> ExecutionReport:
    """Run every batch of ``plan`` that ``store`` does not hold yet and store each as it finishes.

    ``executor``: an Executor (used as is, not shut down), a number of local worker
    processes (1: serial in this process), or None for all cores. Results do not
    depend on the executor. A progress bar (tqdm) counts runs; the last line says
    how many runs were done and failed, and the time taken.
    """
    started = time.perf_counter()
    finished = store.finished_batches()
    todo = [b for b in range(len(store.batches)) if b not in finished]
    skipped = sum(len(store.batches[b]) for b in finished)
    runs = {r.run: r for r in plan.runs}
    owned: Executor | None = None
    if not isinstance(executor, Executor):
        workers = default_workers() if executor is None else int(executor)
        workers = max(1, min(workers, len(todo)))
        owned = executor = SerialExecutor() if workers == 1 else None
        if executor is None:
            warm_up(plan.scenarios)
            owned = executor = local_executor(workers)
    elif not isinstance(executor, SerialExecutor) and todo:
        warm_up(plan.scenarios)
    from tqdm.auto import tqdm

    bar = tqdm(total=len(plan.runs), initial=skipped, unit="run", desc="runs", disable=not progress)
    done = failed = 0
    queue = iter(todo)
    pending: set[Future] = set()
    # a serial executor runs a task when it is submitted: one at a time, so each batch is stored as it ends
    window = 1 if isinstance(executor, SerialExecutor) else max(1, len(todo))
    try:
        while True:
            for b in itertools.islice(queue, window - len(pending)):
                specs = [runs[r] for r in store.batches[b]]
                scenarios = {s.scenario: plan.scenarios[s.scenario] for s in specs}
                pending.add(executor.submit(run_batch, b, scenarios, specs, plan.years))
            if not pending:
                break
            finished_now, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished_now:
                output = future.result()
                store.write(output)
                n_failed = sum(1 for s in output.status if s.error)
                done += len(output.status) - n_failed
                failed += n_failed
                bar.update(len(output.status))
    except BaseException:
        for future in pending:
            future.cancel()
        raise
    finally:
        bar.close()
        if owned is not None:
            owned.shutdown(wait=True, cancel_futures=True)
    report = ExecutionReport(done, failed, skipped, time.perf_counter() - started)
    if progress:
        print(report.line(), file=sys.stderr)
    return report
