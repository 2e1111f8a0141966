"""How many threads the compiled kernels use within one run.

A run's kernels split their loops over the households (and buildings, dwellings, tie slots) into chunks of a
fixed size (``CHUNK`` in each kernel module, never derived from the number of threads) and run the chunks on
numba's threads (``prange``). A chunk's work and its partial sums are the same whichever thread runs it, and
the partial sums are combined in chunk order afterwards, so that results are bit-identical for any number of
threads (``tests/test_threads.py``). The chunks go to the threads one at a time as they become free
(:func:`chunks_to_free_threads`, around every month of a run on more than one thread). Steps whose semantics
are sequential (a household reads what an earlier household wrote in the same month: the encounters'
play-out, participation, the movers acting one by one) stay sequential, or run in phases that reproduce the
sequential order exactly (the labour market).

The number of threads: ``threads=`` of :class:`qsim.Simulation`, :func:`qsim.compare` and the CLI's
``--threads``. The default is every core numba was started with (the environment variable
``NUMBA_NUM_THREADS``, which is the number of cores unless set), one per ``HOUSEHOLDS_PER_THREAD`` households
(:func:`for_size`): a month starts and joins the threads about ten times, which costs a few microseconds on
an idle machine and up to a time slice of the operating system (milliseconds) when other processes keep the
cores busy, so small runs are faster on one thread. More threads than ``NUMBA_NUM_THREADS`` are not possible
in a running process: set it before Python starts. Worker processes of sweeps and comparisons run their
kernels on one thread (their parallelism is the workers), unless told otherwise.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Iterator

import numba

from .errors import QsimError

# numba's OpenMP threading layer lets a thread that waits for the others spin on its core (OpenMP's default
# "active" wait policy). On a machine whose cores other processes keep busy, the spinning takes the time the
# others need and made two threads slower than one (measured: 1.7x the CPU time); "passive" waiting sleeps.
# Set before numba starts its threads (the first kernel call), and only if the user has not chosen.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class ThreadsError(QsimError, ValueError):
    """A number of threads that is not a positive integer, or more than numba was started with."""


def available() -> int:
    """The most threads the kernels can use in this process: NUMBA_NUM_THREADS (default: the cores)."""
    return int(numba.config.NUMBA_NUM_THREADS)


def checked(threads: int | None, where: str = "threads") -> int | None:
    """``threads`` as an int (None stays None: use the current setting); a clear error if it is not a positive
    integer or exceeds :func:`available`."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ThreadsError(f"{where}: expected a positive whole number of threads, got {threads!r}")
    if threads > available():
        raise ThreadsError(f"{where}: {threads} threads asked for, but numba was started with at most "
                           f"{available()} (NUMBA_NUM_THREADS); set the environment variable NUMBA_NUM_THREADS="
                           f"{threads} before starting Python to use more threads than cores")
    return threads


HOUSEHOLDS_PER_THREAD = 50_000
"""The default number of threads of a run is one per this many households (at least one, at most all): below
it a thread's share of a month (about 5 ms at 100 ns a household-step) is not worth starting it."""

_most: int | None = None  # the most threads a run uses by default (set_threads); None: available()
_local = threading.local()  # per Python thread (numba's setting is per thread): the threads last set by use()


def set_threads(threads: int | None) -> None:
    """The most threads a run uses by default from now on (None: all that are available); a run's own
    ``threads=`` overrides it."""
    global _most
    _most = checked(threads)


def for_size(households: int) -> int:
    """The default threads of a run of ``households``: one per HOUSEHOLDS_PER_THREAD, at least 1, at most
    :func:`set_threads`'s number (default: all available)."""
    return max(1, min(available() if _most is None else _most, households // HOUSEHOLDS_PER_THREAD))


def use(threads: int) -> None:
    """Let the kernels called from this Python thread use ``threads`` threads (checked by :func:`checked`).
    Cheap when it is already so (a month of a small area calls it): numba is asked only when the number
    changes."""
    if getattr(_local, "threads", None) != threads:
        numba.set_num_threads(threads)
        _local.threads = threads


@contextmanager
def chunks_to_free_threads(threads: int) -> Iterator[None]:
    """Run the block with numba handing the chunks of a ``prange`` loop to the threads one at a time as they
    become free (dynamic scheduling; the default gives each thread a fixed share of the loop up front). On a
    machine shared with other processes, a thread that the operating system deschedules for a while then
    holds up one chunk, not its whole share. Results do not change (a chunk's work is the same whichever
    thread does it). Nothing to do on one thread."""
    if threads == 1:
        yield
        return
    before = numba.set_parallel_chunksize(1)
    try:
        yield
    finally:
        numba.set_parallel_chunksize(before)


def explicit_prange() -> dict[str, bool]:
    """numba's ``parallel=`` option for the kernels: only the explicit ``prange`` loops run in parallel. numba's
    automatic parallelisation of array expressions is off: its reductions (``a.sum()``) would split floating-point
    sums by thread and change their rounding with the number of threads. (A fresh dict each time: numba pops
    its entries.)"""
    return {"prange": True, "comprehension": False, "reduction": False, "inplace_binop": False, "setitem": False,
            "numpy": False, "stencil": False, "fusion": False}
