"""How many threads the compiled kernels use within one run.

A run's kernels split their loops over the households (and buildings, dwellings, tie slots) into chunks of a
fixed size (``CHUNK`` in each kernel module, never derived from the number of threads) and run the chunks on
numba's threads (``prange``). A chunk's work and its partial sums are the same whichever thread runs it, and
the partial sums are combined in chunk order afterwards, so that results are bit-identical for any number of
threads (``tests/test_threads.py``). Steps whose semantics are sequential (a household reads what an earlier
household wrote in the same month: the encounters' play-out, participation, the movers acting one by one)
stay sequential, or run in phases that reproduce the sequential order exactly (the labour market).

The number of threads: ``threads=`` of :class:`qsim.Simulation`, :func:`qsim.compare` and the CLI's
``--threads``; the default is every core numba was started with (the environment variable
``NUMBA_NUM_THREADS``, which is the number of cores unless set). More threads than that are not possible in
a running process: set ``NUMBA_NUM_THREADS`` before Python starts. Worker processes of sweeps and
comparisons run their kernels on one thread (their parallelism is the workers), unless told otherwise.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numba

from .errors import QsimError


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


def current() -> int:
    """The number of threads the kernels use now (in this thread)."""
    return int(numba.get_num_threads())


def set_threads(threads: int | None) -> None:
    """Let the kernels use ``threads`` threads from now on (None: all that are available)."""
    numba.set_num_threads(available() if threads is None else checked(threads))


@contextmanager
def using(threads: int | None) -> Iterator[None]:
    """Run the block with the kernels on ``threads`` threads (None: leave the setting as it is), then restore it."""
    if threads is None:
        yield
        return
    before = current()
    numba.set_num_threads(checked(threads))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def explicit_prange() -> dict[str, bool]:
    """numba's ``parallel=`` option for the kernels: only the explicit ``prange`` loops run in parallel. numba's
    automatic parallelisation of array expressions is off: its reductions (``a.sum()``) would split floating-point
    sums by thread and change their rounding with the number of threads. (A fresh dict each time: numba pops
    its entries.)"""
    return {"prange": True, "comprehension": False, "reduction": False, "inplace_binop": False, "setitem": False,
            "numpy": False, "stencil": False, "fusion": False}
