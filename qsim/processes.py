"""The model's processes, one record each, and the monthly schedule built from them.

A :class:`Process` says what a process is to the engine: its name (the switch in a scenario's
``[processes]`` and the group of its parameters in ``qsim.parameters``), the ODD section that describes
it (docs/model.md), its random-number stream (``qsim.rng``), the state it writes and reads, its place in
the month and its step: a small function that calls the process's kernel (``qsim.kernels.<module>``) with
the state. :data:`PROCESSES` lists them in the order of the month; :func:`schedule` builds a run's
schedule from the records and the scenario's switches, and :func:`format_schedule` prints it
(``qsim schedule``).

A :class:`Fusion` runs several processes' steps in one pass over the households when all of them are on
(the same results up to rounding, fewer passes). A process that is switched off may still have a step
(``when_off``) that keeps what later processes read current, e.g. the mean place quality without the
environment process.

Adding a process: see docs/contributing.md ("Processes and kernels").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from . import rng
from .kernels.encounters import encounters_step
from .kernels.environment import environment_step
from .kernels.labour import labour_step
from .kernels.leavers import leavers_step
from .kernels.mobility import mobility_step, reputation_step
from .kernels.organisations import organisations_step
from .kernels.participation import participation_step
from .kernels.passes import trust_and_participation_choices
from .kernels.trust import block_aggregates, collective_efficacy, disorder_step, trust_step

if TYPE_CHECKING:
    from .engine import Simulation


@dataclass
class Month:
    """What the steps of one month hand on to each other (beyond the state): the month's index ``t``, the
    lever table (``kernels.common.lever_table``), each area's responsiveness, and what the trust step
    gathers for later steps: the block aggregates (``kernels.trust.B_*``), the blocks' collective efficacy,
    and, from the fused pass, each area's residents and summed income (EUR/month; empty: mobility sums them
    itself)."""

    t: int
    levers: np.ndarray
    responsiveness: np.ndarray
    block_agg: np.ndarray | None = None
    block_efficacy: np.ndarray | None = None
    residents: np.ndarray = field(default_factory=lambda: np.zeros(0))
    income_sum: np.ndarray = field(default_factory=lambda: np.zeros(0))


Step = Callable[["Simulation", Month], None]


@dataclass(frozen=True)
class Process:
    """One process of the model: see the module's docstring."""

    name: str                  # switch in [processes], group of its parameters (ModelParameters.<name>)
    odd: str                   # section of docs/model.md
    stream: int | None         # rng stream of its draws (None: it draws none)
    writes: tuple[str, ...]    # state arrays it changes ("households.labour", ...)
    reads: tuple[str, ...]     # state arrays it reads besides those
    step: Step                 # runs it for one month
    when_off: Step | None = None  # runs instead when it is switched off (None: nothing)
    kernel: str = ""           # the kernel its step calls, for the printed schedule


@dataclass(frozen=True)
class Fusion:
    """One pass that runs the steps of ``of`` (consecutive in the schedule) when all of them are on."""

    name: str
    of: tuple[str, ...]
    step: Step
    kernel: str = ""


# ---------------------------------------------------------------------------------------------- steps
def _environment(sim: "Simulation", m: Month) -> None:
    s = sim.state
    environment_step(sim.key, m.t, sim.params.environment, sim.rent_pressure(m.t), s.households.view(),
                     s.dwellings.view(), s.buildings.view(), s.blocks.view(), s.areas.view(), s.places.view(),
                     s.area_levers, sim.area_place_quality)


def _place_quality(sim: "Simulation", m: Month) -> None:
    sim.update_place_quality()


def _labour(sim: "Simulation", m: Month) -> None:
    s = sim.state
    h, dw, blk, ar = s.households, s.dwellings, s.blocks, s.areas
    labour_step(sim.key, m.t, sim.params.labour, sim.labour_demand(m.t), h.view(), dw.view(), blk.view(), ar.view(),
                sim.area_place_quality, m.levers)
    if s.n_leavers:  # the original residents who left the city, by the same equations (kernels.leavers)
        leavers_step(sim.key, m.t, sim.params.labour, sim.labour_demand(m.t), s.leavers.view(), s.n_leavers)


def encounters(sim: "Simulation", step: int, levers: np.ndarray, record: bool) -> None:
    """One month of encounters (``record`` False: no contacts or conflicts counted; the engine, its spin-up
    included, always records)."""
    s = sim.state
    encounters_step(sim.key, step, sim.params.encounters, s.households.view(), s.dwellings.view(),
                    s.buildings.view(), s.blocks.view(), s.areas.view(), sim.area_place_quality, levers, record)


def _encounters(sim: "Simulation", m: Month) -> None:
    encounters(sim, m.t, m.levers, True)


def _block_disorder(sim: "Simulation", m: Month) -> None:
    """Collective efficacy of the blocks from this month's aggregates, then disorder (4c)."""
    s = sim.state
    blk = s.blocks
    m.block_efficacy = collective_efficacy(m.block_agg)
    disorder_step(sim.params.trust, m.block_agg, m.block_efficacy, blk.area, blk.disorder, blk.efficacy_lagged,
                  s.area_levers)


def _trust(sim: "Simulation", m: Month) -> None:
    s = sim.state
    m.block_agg = trust_step(sim.params.trust, s.households.view(), s.dwellings.view(), s.buildings.view(),
                             s.blocks.view(), m.responsiveness, m.levers)
    _block_disorder(sim, m)


def _block_aggregates(sim: "Simulation", m: Month) -> None:
    """Without trust: the block aggregates and efficacy that later steps and the indicators read."""
    m.block_agg = sim.block_aggregates()
    m.block_efficacy = collective_efficacy(m.block_agg)


def _participation(sim: "Simulation", m: Month) -> None:
    s = sim.state
    participation_step(sim.key, m.t, sim.params.participation, s.households.view(), s.dwellings.view(),
                       s.areas.view(), m.responsiveness, m.levers)


def _trust_and_participation(sim: "Simulation", m: Month) -> None:
    s = sim.state
    p = sim.params
    m.block_agg, m.residents, m.income_sum = trust_and_participation_choices(
        sim.key, m.t, p.trust, p.participation, s.households.view(), s.dwellings.view(), s.buildings.view(),
        s.blocks.view(), s.areas.view(), m.responsiveness, m.levers)
    _block_disorder(sim, m)


def _organisations(sim: "Simulation", m: Month) -> None:
    s = sim.state
    if len(s.organisations):
        organisations_step(sim.key, m.t, sim.params.organisations, s.organisations.view(), s.areas.view(),
                           s.area_levers)


def _mobility(sim: "Simulation", m: Month) -> None:
    s = sim.state
    p = sim.params
    blk, ar = s.blocks, s.areas
    s.next_uid, departed = mobility_step(
        sim.key, m.t, p.mobility, p.labour, p.trust, p.participation, p.environment, sim.rent_pressure(m.t),
        s.households.view(), s.dwellings.view(), s.buildings.quality, s.buildings.block, blk.view(), ar.view(),
        sim.area_place_quality, sim.flows, s.next_uid, m.income_sum, m.residents)
    s.add_leavers(departed)
    reputation_step(p.mobility, m.block_agg, blk.area, blk.disorder, ar.reputation, False)


def _no_flows(sim: "Simulation", m: Month) -> None:
    sim.flows[:] = 0.0


# ---------------------------------------------------------------------------------------------- records
PROCESSES: tuple[Process, ...] = (
    Process("environment", "7.6 Built environment", rng.STREAM_ENVIRONMENT,
            writes=("buildings.quality", "places.quality", "dwellings.rent"),
            reads=("households.tenure", "areas.rent_level", "areas.reputation", "area_levers"),
            step=_environment, when_off=_place_quality, kernel="environment_step"),
    Process("labour", "7.2 Labour market", rng.STREAM_LABOUR,
            writes=("households.labour", "households.unemployed_months", "households.skill", "households.wage",
                    "households.income", "households.child_education", "leavers.*"),
            reads=("households.tie_target", "households.tie_strength", "areas.reputation", "blocks.efficacy_lagged"),
            step=_labour, kernel="labour_step, leavers_step"),
    Process("encounters", "7.3 Encounters and ties", rng.STREAM_ENCOUNTERS,
            writes=("households.tie_target", "households.tie_strength", "households.tie_back",
                    "households.friendly_contacts", "households.conflicts"),
            reads=("households.group", "households.trust_out", "dwellings.occupant"),
            step=_encounters, kernel="encounters_step"),
    Process("trust", "7.4 Trust, collective efficacy and disorder", None,
            writes=("households.trust_in", "households.trust_out", "households.trust_inst", "blocks.disorder",
                    "blocks.efficacy_lagged"),
            reads=("households.friendly_contacts", "households.conflicts", "households.tie_strength",
                   "blocks.group_count", "buildings.quality"),
            step=_trust, when_off=_block_aggregates, kernel="trust_step, disorder_step"),
    Process("participation", "7.5 Participation", rng.STREAM_PARTICIPATION,
            writes=("households.participating", "households.efficacy", "households.attachment",
                    "areas.participation_share"),
            reads=("households.threshold", "households.satisfaction", "households.tie_target"),
            step=_participation, kernel="participation_step"),
    Process("organisations", "7.8 Organisations and the actor network", rng.STREAM_ORGANISATIONS,
            writes=("organisations.capacity", "organisations.tie_strength", "areas.coordination",
                    "areas.network_density"),
            reads=("area_levers",),
            step=_organisations, kernel="organisations_step"),
    Process("mobility", "7.7 Residential mobility and reputation", rng.STREAM_MOBILITY,
            writes=("households.*", "dwellings.occupant", "dwellings.rent", "blocks.group_count", "areas.reputation",
                    "areas.reference_income", "leavers.*"),
            reads=("buildings.quality", "blocks.disorder"),
            step=_mobility, when_off=_no_flows, kernel="mobility_step, reputation_step"),
)

FUSIONS: tuple[Fusion, ...] = (
    Fusion("trust+participation", ("trust", "participation"), _trust_and_participation,
           kernel="trust_and_participation_choices, disorder_step"),
)

BY_NAME = {p.name: p for p in PROCESSES}


@dataclass(frozen=True)
class Entry:
    """One step of a run's month: what runs (a process, a fusion, or a process's ``when_off``) and why."""

    name: str
    step: Step
    kernel: str
    note: str


def schedule(on: Callable[[str], bool]) -> list[Entry]:
    """The steps of a month for the processes switched on (``on(name)``), in the order of :data:`PROCESSES`:
    a fusion in place of its processes when all of them are on, ``when_off`` for a process that is off."""
    entries: list[Entry] = []
    fused: set[str] = set()
    for process in PROCESSES:
        if process.name in fused:
            continue
        fusion = next((f for f in FUSIONS if f.of[0] == process.name and all(on(n) for n in f.of)), None)
        if fusion is not None:
            fused.update(fusion.of)
            entries.append(Entry(fusion.name, fusion.step, fusion.kernel, "one pass for " + ", ".join(fusion.of)))
        elif on(process.name):
            entries.append(Entry(process.name, process.step, process.kernel, process.odd))
        elif process.when_off is not None:
            entries.append(Entry(process.name + " (off)", process.when_off, process.when_off.__name__.strip("_"),
                                 "keeps what later steps read current"))
    return entries


def format_schedule(entries: list[Entry]) -> str:
    """The schedule as a plain-text table, hooks and indicators included (``qsim schedule``)."""
    rows = [("0", "hooks", "measures, budget", "levers, parameters and state for the month")]
    rows += [(str(k), e.name, e.kernel, e.note) for k, e in enumerate(entries, start=1)]
    rows.append((str(len(entries) + 1), "indicators", "indicators.compute", "the month's record"))
    widths = [max(len(r[c]) for r in rows + [("", "step", "kernel", "")]) for c in range(4)]
    lines = [f"{'':>{widths[0]}}  {'step':<{widths[1]}}  {'kernel':<{widths[2]}}  about"]
    lines += [f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}" for r in rows]
    return "\n".join(lines)
