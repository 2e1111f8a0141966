"""What one run returns, and a batch of runs executed in one task.

A run is reduced in the worker to its yearly indicators per area plus the
yearly totals of its budget ledger; populations never leave the worker.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine import Simulation
from ..scenario import Scenario
from .decomposition import cohort_columns

LEDGER_TOTALS = {"inflow": "paid_in_eur", "payment": "spent_eur", "lapse": "lapsed_eur"}
"""Ledger entries summed per year and area into these columns (EUR)."""


@dataclass(frozen=True)
class RunSpec:
    """One planned run: its number in the plan, the scenario (index into the plan's scenarios) and its seeds."""

    run: int
    scenario: int
    seed: int
    replicate: int


@dataclass(frozen=True)
class RunStatus:
    """How a run ended: ``error`` is empty for a finished run; ``seconds`` is wall time."""

    run: int
    error: str
    seconds: float


@dataclass(frozen=True)
class BatchOutput:
    """The reduced results of a batch: yearly rows of every finished run, and the status of every run."""

    batch: int
    yearly: pd.DataFrame
    status: list[RunStatus]


def reduce_run(sim: Simulation, years: float | None) -> pd.DataFrame:
    """Run ``sim`` for ``years`` (default: the scenario's horizon) and return yearly indicators with ledger totals.

    One row per year and area ('all' = the whole city); indicator columns as in
    :meth:`qsim.Result.yearly`, plus ``paid_in_eur``, ``spent_eur``, ``lapsed_eur``, and each cohort's value
    of the indicators recorded by cohort (``"<cohort>:<indicator>"``, see
    :func:`qsim.experiment.decomposition.cohort_columns`).
    """
    result = sim.run(years=years)
    yearly = result.yearly()
    row = {key: i for i, key in enumerate(zip(yearly["year"].tolist(), yearly["area"].tolist()))}
    column = {entry: k for k, entry in enumerate(LEDGER_TOTALS)}
    cents = np.zeros((len(yearly), len(LEDGER_TOTALS)), dtype=np.int64)
    ledger = result.ledger  # one pass over plain lists: pandas filtering cost more than a small run's months
    for entry, year, area, amount in zip(ledger["entry"].tolist(), ledger["year"].tolist(), ledger["area"].tolist(),
                                         ledger["amount_cents"].tolist()):
        k = column.get(entry)
        if k is None:
            continue
        cents[row[(year, "all")], k] += amount
        if area:  # inflows belong to a source, not an area
            cents[row[(year, area)], k] += amount
    totals = pd.DataFrame(cents / 100.0, columns=list(LEDGER_TOTALS.values()))
    yearly = pd.concat([yearly, totals], axis=1)
    if result.by_cohort is not None:  # each cohort's December values, for Comparison.decomposition
        yearly = yearly.merge(cohort_columns(result.by_cohort), on=["year", "area"], how="left", validate="1:1")
    return yearly


def run_batch(batch: int, scenarios: dict[int, Scenario], runs: list[RunSpec],
              years: float | None, threads: int | None = None) -> BatchOutput:
    """Execute ``runs`` one after the other; a run that raises is recorded with its error and the rest go on.
    ``threads``: the kernels' threads (None: as set in this process; see :mod:`qsim.threads`)."""
    frames, status = [], []
    options = {} if threads is None else {"threads": threads}  # (a Simulation replaced in tests takes none)
    for spec in runs:
        started = time.perf_counter()
        try:
            sim = Simulation(scenarios[spec.scenario], seed=spec.seed, replicate=spec.replicate, **options)
            yearly = reduce_run(sim, years)
        except Exception as e:  # noqa: BLE001 - a failing run is recorded, not fatal
            tb = traceback.format_exc(limit=-3)
            status.append(RunStatus(spec.run, f"{type(e).__name__}: {e}\n{tb}", time.perf_counter() - started))
            continue
        yearly.insert(0, "run", spec.run)
        frames.append(yearly)
        status.append(RunStatus(spec.run, "", time.perf_counter() - started))
    yearly = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"run": pd.Series(dtype="int64")})
    return BatchOutput(batch, yearly, status)
