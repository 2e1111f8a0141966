"""The step loop: measure hooks, the monthly schedule of processes, indicator records.

A month (docs/model.md, 3.1 "The monthly schedule"): the hooks (budget ledger, measures, a user's own;
``qsim.hooks``) change levers, parameters and state; then the processes run in the order of their records
in ``qsim.processes`` (environment, labour market, encounters, trust with collective efficacy and disorder,
participation, organisations, mobility with reputation), a fusion of several in one pass where all of them
are on; then the indicators are recorded, for all households and by cohort (``qsim.indicators.cohorts``). ``Simulation.schedule()`` prints a run's schedule.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

import numpy as np

from . import indicators as ind
from .indicators import cohorts
from . import processes
from .kernels.common import lever_table
from .kernels.indicators import N_SUMS
from .kernels.mobility import N_FLOWS, reputation_step
from .kernels.participation import area_responsiveness
from .kernels.trust import block_aggregates, collective_efficacy, disorder_step, settle_out_group_trust
from .errors import QsimError
from .hooks import Hook, HookContext
from .measures.runner import build_hooks
from .parameters import ModelParameters
from .population import build_state, mark_original_residents
from .progress import construction
from .result import Result
from .rng import run_key
from .scenario import Scenario, macro_path
from . import threads as kernel_threads
from .kernel_cache import note_if_cold


# Every SORT_MONTHS months (at the start of the month) the household slots are re-ordered by dwelling
# (State.sort_households): moves scatter neighbours over the slots, and scattered neighbours miss the caches.
# Cities with fewer household slots than SORT_MIN_SLOTS are not re-ordered: their household arrays (about
# 150 bytes a slot) fit in a core's L2 cache (2-4 MB), so the order costs nothing there and sorting would.
SORT_MONTHS = 12
SORT_MIN_SLOTS = 20_000


class Simulation:
    """One run of a scenario: ``Simulation(scenario, seed=1, replicate=0).run()``.

    ``scenario`` is a :class:`qsim.Scenario` (or a path to a scenario file).
    The state is built at construction, including ``spinup_months`` of
    spin-up (the whole model burnt in before month 0, not recorded).
    ``step()`` advances one month; ``run()`` runs to the horizon.
    ``hooks`` are called as ``hook(context, month)`` at the start of every
    month, after the budget ledger and the measures (see :mod:`qsim.hooks`).
    With ``progress`` a bar on stderr follows the construction (the first one
    compiles numba's kernels); ``run(progress=True)`` follows the months. ``threads``: how many threads the
    kernels use (default: all cores, one per 50,000 households; results are the same for any number, see
    :mod:`qsim.threads`).
    """

    def __init__(self, scenario: Scenario | str, seed: int | None = None, replicate: int = 0,
                 hooks: Iterable[Hook] = (), progress: bool = False, threads: int | None = None):
        self.threads = kernel_threads.checked(threads)
        if not isinstance(scenario, Scenario):
            from .scenario import load_scenario

            scenario = load_scenario(scenario)
        self._default_threads = kernel_threads.for_size(sum(a.n_households for a in scenario.areas))
        note_if_cold()
        self.scenario = scenario
        self.seed = scenario.scenario.seed if seed is None else int(seed)
        self.replicate = int(replicate)
        self.key = run_key(self.seed, self.replicate)
        self.params = ModelParameters(scenario.parameters)
        self.processes = scenario.processes
        self.months = scenario.years * 12
        with construction(scenario.name, scenario.spinup_months, enabled=progress) as begin:
            kernel_threads.use(self._threads())
            begin("households, dwellings and measures")
            self._build(scenario, hooks)
            begin("neighbourhood")
            self._initialise_neighbourhood()
            self._spin_up(scenario.spinup_months, begin)

    def _threads(self) -> int:
        """The kernels' threads: ``threads`` if given, else by the scenario's households (threads.for_size)."""
        return self._default_threads if self.threads is None else self.threads

    # -------------------------------------------------------------- set-up
    def _build(self, scenario: Scenario, hooks: Iterable[Hook]) -> None:
        """The state (households, dwellings, places, ...), the budget ledger and the hooks."""
        self._demand = np.array(macro_path(scenario.macro.labour_demand, self.months + 1))
        self._rent_pressure = np.array(macro_path(scenario.macro.rent_pressure, self.months + 1))
        self.state = build_state(scenario.areas, self.params, self.seed, self.replicate, scenario.tie_slots)
        if self.state.next_uid > np.iinfo(np.uint32).max:  # the leaver record keeps uids of original residents
            raise QsimError(f"scenario {scenario.name!r}: {self.state.next_uid} households at the start; the leaver "
                            "record (qsim.state.Leavers) holds at most 2**32")
        self.ledger, measure_hooks = build_hooks(scenario, self.state, self.key)  # the budget ledger first
        self.hooks: list[Hook] = measure_hooks + checked_hooks(hooks)
        self.hook_context = HookContext(self.state, self._parameters, self.set_parameters)
        n_areas = len(self.state.areas)
        self.flows = np.zeros((n_areas, 2, N_FLOWS))
        self.area_place_quality = np.zeros(n_areas)
        self._records: list[np.ndarray] = []
        self._flow_records: list[np.ndarray] = []
        self._cohort_records: list[tuple[int, np.ndarray]] = []  # (month, record) in the months cohorts.recorded
        self._sums = np.zeros((n_areas + 1, 3, N_SUMS))  # the month's household sums, for the cohorts
        self._schedule = processes.schedule(lambda name: getattr(self.processes, name))

    def _spin_up(self, months: int, begin: Callable[[str], None]) -> None:
        """Burn the model in to its own steady state (docs/model.md 3.2): the whole monthly schedule for steps
        -months .. -1 at the macro values of month 0, without hooks (no measures) and without records; then
        each household's out-group trust carried on through the rest of its tenure at the contact and conflict
        rates it had in the spin-up, the flows cleared and the households present marked as the original
        residents. ``begin(label)`` is called as each month starts (the progress bar)."""
        if months <= 0:
            return
        h = self.state.households
        exposure = np.zeros((3, len(h)))  # months seen, friendly inter-group contacts, conflicts; per slot
        uid = h.uid.copy()
        for t in range(-months, 0):
            begin(f"spin-up month {months + t + 1}/{months}")
            self._advance(t)
            h = self.state.households
            exposure[:, h.uid != uid] = 0.0  # a new household in the slot
            uid = h.uid.copy()
            exposure[0] += h.alive
            exposure[1] += np.where(h.alive, h.friendly_contacts, 0)
            exposure[2] += np.where(h.alive, h.conflicts, 0)
        settle_out_group_trust(self.params.trust, h.alive, h.trust_out, h.tenure, *exposure)
        h.friendly_contacts[:] = 0
        h.conflicts[:] = 0
        self.flows[:] = 0.0
        mark_original_residents(h, self.state.dwellings.area)
        self.state.n_leavers = 0  # those who left in the spin-up are no original residents

    def update_place_quality(self) -> None:
        """Mean place quality per area (0 without places), when the environment process does not run."""
        pl = self.state.places
        n = len(self.state.areas)
        count = np.bincount(pl.area, minlength=n)
        total = np.bincount(pl.area, weights=pl.quality, minlength=n)
        self.area_place_quality[:] = np.divide(total, count, out=np.zeros(n), where=count > 0)

    def _initialise_neighbourhood(self) -> None:
        """Start blocks at their equilibrium: lagged efficacy = current, disorder = its target; reputation."""
        s = self.state
        agg = self.block_aggregates()
        ce = collective_efficacy(agg)
        s.blocks.efficacy_lagged[:] = ce
        tp = self.params.trust._replace(disorder_rate=1.0)
        disorder_step(tp, agg, ce, s.blocks.area, s.blocks.disorder, s.blocks.efficacy_lagged, s.area_levers)
        reputation_step(self.params.mobility, agg, s.blocks.area, s.blocks.disorder, s.areas.reputation, True)

    def latest_indicators(self) -> np.ndarray | None:
        """The indicators of the last month: (n_areas + 1, 3 groups, N_INDICATORS); None before the first step."""
        return self._records[-1] if self._records else None

    def block_aggregates(self) -> np.ndarray:
        """Per-block sums over residents now (see ``kernels.trust.B_*``)."""
        s = self.state
        h = s.households
        return block_aggregates(h.alive, h.dwelling, s.dwellings.block, s.dwellings.building, s.buildings.quality,
                                h.labour, h.trust_in, h.efficacy, h.tenure, len(s.blocks))

    def labour_demand(self, t: int) -> float:
        """Labour demand D(t) of month t (the scenario's macro path, 1 = the reference level; the spin-up's
        months t < 0 at the value of month 0)."""
        return self._demand[max(t, 0)]

    def rent_pressure(self, t: int) -> float:
        """Rent pressure pi(t) of month t (the scenario's macro path, 1 = the reference level; months t < 0 at
        the value of month 0)."""
        return self._rent_pressure[max(t, 0)]

    def schedule(self) -> str:
        """This run's monthly schedule as a table: the steps in order, their kernels and ODD sections."""
        return processes.format_schedule(self._schedule)

    # -------------------------------------------------------------- public
    def _parameters(self) -> ModelParameters:
        return self.params

    def set_parameters(self, overrides: dict[str, float]) -> None:
        """Change model parameters from now on (dotted names, checked against the registry)."""
        self.params = self.params.replace(overrides)

    def sort_households(self) -> None:
        """Re-order the household slots by dwelling (see ``State.sort_households``) and tell the hooks."""
        new_slot = self.state.sort_households()
        if new_slot is not None:
            for hook in self.hooks:
                reordered = getattr(hook, "households_reordered", None)
                if reordered is not None:
                    reordered(new_slot)

    @property
    def month(self) -> int:
        return self.state.month

    def step(self) -> None:
        """Advance the city by one month."""
        threads = self._threads()
        kernel_threads.use(threads)
        with kernel_threads.chunks_to_free_threads(threads):
            self._step()

    def _step(self) -> None:
        s = self.state
        t = s.month
        if t + 1 >= len(self._demand):
            self._extend_macro(t + 13)
        if t > 0 and t % SORT_MONTHS == 0 and len(s.households) >= SORT_MIN_SLOTS:
            self.sort_households()
        for hook in self.hooks:
            hook(self.hook_context, t)
        block_efficacy = self._advance(t)
        p = self.params
        self._records.append(ind.compute(s, p, self.flows, block_efficacy, self.area_place_quality, self._sums))
        self._flow_records.append(self.flows.copy())
        if cohorts.recorded(t):
            self._cohort_records.append((t, cohorts.compute(s, p, self._sums)))
        s.month = t + 1

    def _advance(self, t: int) -> np.ndarray:
        """Run the month's schedule of processes for month (step) ``t``; returns the blocks' collective efficacy."""
        s = self.state
        month = processes.Month(t, lever_table(s.area_levers, s.programme_levers),
                                area_responsiveness(self.params.participation.responsiveness_base, s.area_levers))
        for entry in self._schedule:
            entry.step(self, month)
        return month.block_efficacy

    def run(self, years: float | None = None, progress: bool = False,
            callback: Callable[["Simulation"], None] | None = None) -> Result:
        """Run ``years`` (default: the scenario's horizon, from the current month) and return the result."""
        months = self.months - self.state.month if years is None else int(round(years * 12))
        steps = range(months)
        if progress:
            from .progress import months as month_bar  # notes that the first month compiles on first use

            steps = month_bar(self.scenario.name, months)
        started = time.perf_counter()
        for _ in steps:
            self.step()
            if callback is not None:
                callback(self)
        self.elapsed = time.perf_counter() - started
        return self.result()

    def _extend_macro(self, months: int) -> None:
        self._demand = np.array(macro_path(self.scenario.macro.labour_demand, months))
        self._rent_pressure = np.array(macro_path(self.scenario.macro.rent_pressure, months))

    def result(self) -> Result:
        """Everything recorded so far as a :class:`Result` (the cohorts also of the last month, if it ended
        within a year)."""
        cohort_records = list(self._cohort_records)
        last = self.state.month - 1
        if last >= 0 and not cohorts.recorded(last):  # the state and the sums are still those of that month
            cohort_records.append((last, cohorts.compute(self.state, self.params, self._sums)))
        return Result.from_records(self.scenario.name, self.state.area_names, self._records, self._flow_records,
                                   seed=self.seed, replicate=self.replicate,
                                   ledger=self.ledger.frame(self.state.area_names),
                                   cohort_records=cohort_records)


def checked_hooks(hooks: Iterable[Hook]) -> list[Hook]:
    """The user's hooks as a list; each must be callable as ``hook(context, month)``."""
    hooks = list(hooks)
    for k, hook in enumerate(hooks):
        if not callable(hook):
            raise QsimError(f"hooks[{k}]: {hook!r} is not callable; a hook is called as hook(context, month) "
                            "(see qsim.hooks)")
    return hooks
