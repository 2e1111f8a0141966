"""Executing a plan: serially in-process, on local processes, on a Dask cluster, or on any
``concurrent.futures.Executor``.

Numba compiles once, in the parent, before any worker starts (:func:`warm_up`):
workers then load the compiled code from the cache and never race to write it.
Dask workers may sit on other machines with their own caches: they warm up
in stages before the first run (:meth:`DaskExecutor.warm_up`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

import pandas as pd

from ..engine import Simulation
from ..errors import QsimError
from ..scenario import Scenario
from ..threads import set_threads
from .plan import Plan
from .runs import BatchOutput, RunStatus, run_batch
from .store import Store

if TYPE_CHECKING:
    from distributed import Client


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


class ExecutorBroken(QsimError):
    """An executor given to :func:`execute` broke (a worker process died) and cannot be replaced."""


PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal a Linux process gets when its parent ends."""


def _die_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the process that started the pool ends.

    On Linux the kernel kills the worker when its parent (the forkserver, which itself
    ends with the main process) ends; everywhere, a thread checks every second that
    ``parent`` still runs (it cannot run while a kernel holds the interpreter, hence both).
    """
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    threading.Thread(target=_watch_parent, args=(parent,), name="qsim-watch-parent", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # a new process (not ours) has taken the number: the parent is gone
            os._exit(1)
        time.sleep(1.0)


def local_executor(workers: int | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes (default: all cores) started with 'forkserver' (or 'spawn'), which end
    when this process ends.

    Workers import the main module again, so a script that starts them needs an
    ``if __name__ == "__main__":`` guard (as with any multiprocessing pool).
    """
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=workers or default_workers(), mp_context=multiprocessing.get_context(method),
                               initializer=_start_worker, initargs=(os.getpid(),))


def _start_worker(parent: int) -> None:
    """Worker initializer: end with ``parent`` (:func:`_die_with_parent`), and run the kernels on one thread by
    default: the workers are the parallelism (no oversubscription; ``threads=`` of a plan overrides it)."""
    _die_with_parent(parent)
    set_threads(1)


class DaskExecutor(Executor):
    """Runs tasks on a Dask distributed cluster (``client.get_executor()``), with numba warmed up on the workers.

    Made by :func:`dask_executor`; ``shutdown`` closes the client if the executor connected it.
    """

    def __init__(self, client: "Client", owns_client: bool = False) -> None:
        self.client = client
        self._executor = client.get_executor(pure=False)
        self._owns_client = owns_client

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait and not cancel_futures)
        if self._owns_client:
            self.client.close()

    @property
    def workers(self) -> int:
        """Threads over all workers of the cluster: how many tasks run at once."""
        return sum(self.client.nthreads().values()) or 1

    def warm_up(self, scenarios: Sequence[Scenario]) -> None:
        """:func:`warm_up` on every worker: first on one worker, then on one worker of every other host, then on
        the rest, so that workers sharing a numba cache (one host, or a shared file system) only read it."""
        from distributed.comm import get_address_host

        self.client.run(set_threads, 1)  # kernels on one thread per worker process, as in local pools
        self.client.wait_for_workers(1)
        hosts: dict[str, list[str]] = {}
        for address in self.client.nthreads():
            hosts.setdefault(get_address_host(address), []).append(address)
        firsts = [workers[0] for workers in hosts.values()]
        rest = [w for workers in hosts.values() for w in workers[1:]]
        for stage in (firsts[:1], firsts[1:], rest):
            futures = [self.client.submit(warm_up, list(scenarios), workers=[w], allow_other_workers=False,
                                          pure=False) for w in stage]
            self.client.gather(futures)


def dask_executor(scheduler: "str | Client") -> DaskExecutor:
    """An executor on the Dask cluster at ``scheduler`` (an address such as 'tcp://host:8786', or a connected
    ``distributed.Client``). Needs ``pip install 'qsim[dask]'``; the workers need qsim installed too."""
    try:
        from distributed import Client
    except ImportError as e:
        raise ImportError("Dask execution needs dask.distributed: install qsim[dask] "
                          "(pip install 'qsim[dask]')") from e
    if isinstance(scheduler, Client):
        return DaskExecutor(scheduler)
    return DaskExecutor(Client(scheduler), owns_client=True)


def executor_workers(executor: Executor | int | None) -> int:
    """How many tasks ``executor`` (as :func:`execute` takes it) runs at once, for sizing batches."""
    if isinstance(executor, int):
        return max(1, executor)
    return executor.workers if isinstance(executor, DaskExecutor) else default_workers()


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


MAX_ATTEMPTS = 3
"""How often a batch whose worker died is tried alone before its runs are recorded as failed."""


def lost_batch(batch: int, runs: Sequence[int], cause: BaseException, attempts: int) -> BatchOutput:
    """The output of a batch whose worker was lost ``attempts`` times: every run failed, with the cause."""
    error = (f"worker lost {attempts} times while running this batch ({type(cause).__name__}: {cause}); "
             "the process was killed (out of memory?) or crashed")
    return BatchOutput(batch, pd.DataFrame({"run": pd.Series(dtype="int64")}),
                       [RunStatus(r, error, 0.0) for r in runs])


def batches_to_run(store: Store, retry_failed: bool = False, batches: Iterable[int] | None = None) -> list[int]:
    """The batches (of ``batches``, default all) that ``store`` does not hold verified, and with
    ``retry_failed`` those holding failed runs."""
    finished = store.finished_batches() - (store.failed_batches() if retry_failed else set())
    return [b for b in (range(len(store.batches)) if batches is None else sorted(set(batches))) if b not in finished]


def execute(plan: Plan, store: Store, executor: Executor | int | None = None, progress: bool = True,
            retry_failed: bool = False, batches: Iterable[int] | None = None,
            threads: int | None = None) -> ExecutionReport:
    """Run every batch of ``plan`` that ``store`` (opened with :meth:`Store.for_plan`) does not hold yet and store
    each as it finishes.

    ``executor``: an Executor (used as is, not shut down; a :class:`DaskExecutor` warms
    up its workers), a number of local worker processes (1: serial in this process),
    or None for all cores. Results do not depend on the executor. ``retry_failed``:
    also rerun the batches with failed runs; ``batches``: only these batches. ``threads``: the kernels'
    threads in each run (default: all cores when the runs are serial in this process; one in local worker
    processes and Dask workers, whose parallelism is the workers; see :mod:`qsim.threads`).

    A task that raises (a local worker killed, a Dask worker lost) is tried again;
    after that, its batch runs alone, and once it has been lost :data:`MAX_ATTEMPTS`
    times alone its runs are recorded as failed with the cause. A broken local pool
    is replaced. A progress bar (tqdm) counts runs; the last line says how many runs
    were done and failed, and the time taken.
    """
    store.require_writer()
    started = time.perf_counter()
    todo = batches_to_run(store, retry_failed, batches)
    skipped = sum(len(store.batches[b]) for b in store.finished_batches() if b not in todo)
    runs = {r.run: r for r in plan.runs}
    owned: Executor | None = None
    workers = 1
    if not isinstance(executor, Executor):
        workers = default_workers() if executor is None else int(executor)
        workers = max(1, min(workers, len(todo)))
        owned = executor = SerialExecutor() if workers == 1 else None
        if executor is None:
            warm_up(plan.scenarios)
            owned = executor = local_executor(workers)
    elif isinstance(executor, DaskExecutor) and todo:
        executor.warm_up(plan.scenarios)
    elif not isinstance(executor, SerialExecutor) and todo:
        warm_up(plan.scenarios)
    from tqdm.auto import tqdm

    bar = tqdm(total=len(plan.runs), initial=skipped, unit="run", desc="runs", disable=not progress)
    done = failed = 0
    queue, alone = deque(todo), deque()  # alone: batches whose task was lost, run one at a time
    attempts: Counter[int] = Counter()
    replaced = 0  # pools replaced since a batch last finished
    pending: dict[Future, tuple[int, bool]] = {}  # future -> (batch, ran alone)
    # a serial executor runs a task when it is submitted: one at a time, so each batch is stored as it ends;
    # a local pool gets a few tasks per worker, so that few are lost and redone if a worker dies
    window = (1 if isinstance(executor, SerialExecutor) else 2 * workers if isinstance(owned, ProcessPoolExecutor)
              else max(1, len(todo)))

    def submit(b: int, solo: bool = False) -> bool:
        """Submit batch ``b``; False (and ``b`` back in line) if the pool broke before it could take it."""
        specs = [runs[r] for r in store.batches[b]]
        scenarios = {s.scenario: plan.scenarios[s.scenario] for s in specs}
        args = (b, scenarios, specs, plan.years) + (() if threads is None else (threads,))
        try:
            pending[executor.submit(run_batch, *args)] = (b, solo)
        except BrokenExecutor:
            (alone if solo else queue).appendleft(b)
            return False
        return True

    def keep(output: BatchOutput) -> None:
        nonlocal done, failed
        store.write(output)
        n_failed = sum(1 for s in output.status if s.error)
        done += len(output.status) - n_failed
        failed += n_failed
        bar.update(len(output.status))

    try:
        while queue or alone or pending:
            submitted = True
            if alone:
                if not pending:
                    submitted = submit(alone.popleft(), solo=True)
            else:
                while submitted and queue and len(pending) < window:
                    submitted = submit(queue.popleft())
            finished_now = set() if not submitted else wait(pending, return_when=FIRST_COMPLETED).done
            broken = not submitted or any(isinstance(f.exception(), BrokenExecutor) for f in finished_now)
            if broken:  # every task of a broken pool fails: collect them all before replacing it
                finished_now = set(wait(pending).done)
            for future in sorted(finished_now, key=lambda f: pending[f][0]):
                b, was_alone = pending.pop(future)
                cause = future.exception()
                if cause is None:
                    keep(future.result())
                    replaced = 0
                elif not isinstance(cause, Exception):
                    raise cause
                elif not was_alone:
                    alone.append(b)
                else:
                    attempts[b] += 1
                    if attempts[b] < MAX_ATTEMPTS:
                        alone.append(b)
                    else:
                        keep(lost_batch(b, store.batches[b], cause, attempts[b]))
            if broken:
                if owned is None or not isinstance(owned, ProcessPoolExecutor):
                    raise ExecutorBroken("the executor broke (a worker process died) and cannot be replaced "
                                         "from here; run again to resume")
                replaced += 1
                if replaced > MAX_ATTEMPTS * 2:  # pools that break before finishing anything: workers cannot run
                    raise ExecutorBroken(f"{replaced} worker pools in a row broke before finishing a batch; the "
                                         "worker processes cannot run here (run with --workers 1 to see why)")
                owned.shutdown(wait=False, cancel_futures=True)
                print(f"a worker process died; replacing the pool and redoing {len(alone)} batch(es) one at a "
                      "time", file=sys.stderr)
                owned = executor = local_executor(workers)
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
