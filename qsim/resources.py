"""Memory checked before work: an estimate of what a run (or several at once) needs, refused when the machine
does not have it.

The estimate counts the arrays a run allocates: per dwelling (a household slot each) the household state,
its tie slots and the dwelling, times a factor for the working arrays of a step (encounter lists, sorting),
plus the indicator records of the horizon. It is measured on the baseline (about 160 bytes of state per
household with 6 tie slots) and errs on the high side. ``QSIM_MEMORY_CHECK=0`` in the environment (or
``qsim --no-memory-check``) switches the check off.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable

from .errors import QsimError

if TYPE_CHECKING:
    from .scenario import Area, Scenario

BYTES_PER_SLOT = 120          # bytes of household state per dwelling (household slot), without ties
BYTES_PER_TIE_SLOT = 12       # partner (int32), strength (float32) and its working copy, per tie slot
BYTES_PER_DWELLING = 24       # dwelling arrays (occupant, building, rent, ...)
WORKING_FACTOR = 3            # working arrays of a step and of building the state, relative to the state
BYTES_PER_RECORD = 4 * 1536   # one indicator record (one area, one month), kept and then in the result table
FIXED_BYTES = 150 * 2**20     # the interpreter, numba and the libraries of one worker
ENVIRONMENT = "QSIM_MEMORY_CHECK"


class ResourceError(QsimError):
    """A run or sweep that needs more memory than the machine has."""


def run_bytes(areas: "Iterable[Area]", tie_slots: int, months: int = 0) -> int:
    """Estimated peak memory of one run (bytes) of ``areas`` with ``tie_slots`` over ``months``."""
    areas = list(areas)
    dwellings = sum(area.dwellings for area in areas)
    per_slot = BYTES_PER_SLOT + BYTES_PER_TIE_SLOT * tie_slots + BYTES_PER_DWELLING
    return WORKING_FACTOR * dwellings * per_slot + len(areas) * months * BYTES_PER_RECORD


def available_bytes() -> int:
    """Memory the machine can give now (bytes): psutil's ``available`` (free plus reclaimable)."""
    import psutil

    return int(psutil.virtual_memory().available)


def check_enabled() -> bool:
    """False when the user switched the check off (``QSIM_MEMORY_CHECK=0``)."""
    return os.environ.get(ENVIRONMENT, "1").strip().lower() not in ("0", "false", "no", "off")


def check_memory(needed: int, what: str) -> None:
    """Raise :class:`ResourceError` if ``needed`` bytes (for ``what``) exceed the memory available now."""
    if not check_enabled():
        return
    have = available_bytes()
    if needed > have:
        raise ResourceError(f"{what} needs about {_gib(needed)} of memory and this machine has {_gib(have)} "
                            f"available; make the areas smaller (households, grid) or run fewer workers, or "
                            f"switch the check off with --no-memory-check ({ENVIRONMENT}=0) if the estimate is "
                            "wrong")


def check_run(areas: "Iterable[Area]", tie_slots: int, months: int = 0, what: str = "this run") -> None:
    """:func:`check_memory` for one run."""
    areas = list(areas)
    dwellings = sum(area.dwellings for area in areas)
    check_memory(run_bytes(areas, tie_slots, months), f"{what} ({len(areas)} area(s), {dwellings:,} dwellings)")


def check_parallel_runs(largest_run: int, workers: int, what: str) -> None:
    """:func:`check_memory` for ``workers`` runs at once, each at most ``largest_run`` bytes plus a worker's own
    memory."""
    check_memory(workers * (largest_run + FIXED_BYTES), f"{what} ({workers} worker(s) at once)")


def check_scenarios(scenarios: "Iterable[Scenario]", workers: int | None, what: str) -> None:
    """:func:`check_parallel_runs` for a sweep of ``scenarios`` on ``workers`` local processes (None: all cores),
    before any run starts: the largest scenario over its horizon, once per worker."""
    scenarios = list(scenarios)
    if not scenarios:
        return
    workers = workers or os.cpu_count() or 1
    largest = max(run_bytes(s.areas, s.tie_slots, s.years * 12) for s in scenarios)
    check_parallel_runs(largest, workers, what)


def _gib(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB"


__all__ = ["ResourceError", "available_bytes", "check_enabled", "check_memory", "check_parallel_runs", "check_run",
           "check_scenarios",
           "run_bytes"]
