"""Applying a scenario's measures month by month (a hook run after the budget ledger).

Each month the runner rebuilds ``State.area_levers`` from all measures and
sets ``State.programme_levers`` of the person programmes (see the
catalogue's docstring for how effect sizes are read):

* area measures and the QM office: lever = effect x saturation(intensity) x
  funded share x ramp-up x delivery factor (x carrier factor for the office);
  when a measure stops running (its end, or a year without money) its levers
  fade with the entry's half-life (or stop, or persist);
* person programmes enrol eligible households of the target up to
  ``capacity x funded share x ramp-up`` places, chosen by counter-based
  random numbers (stream MEASURES, so the same households are picked in any
  scenario with the same seed); participants leave when the course is over
  (and are not enrolled again) or when they no longer match the target
  (e.g. found work, moved away);
* construction measures are built when their one-off cost has been paid
  (after ``lag_months`` at full funding, later when underfunded); then their
  state changes apply once (place or building quality, rent levy) and their
  levers act from then on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import levers
from ..rng import STREAM_MEASURES, uniforms
from ..scenario import GROUP_NAMES, ScenarioError
from ..state import LABOUR_STATES, NO_ONE, PLACE_KINDS, QM_OFFICE, Organisations, State
from .catalogue import CARRIERS, CATALOGUE, CONSTRUCTION, COORDINATION_REFERENCE, OFFICE, PROGRAMME

if TYPE_CHECKING:
    from ..budget import Ledger
    from ..engine import Simulation
    from ..scenario import Measure, Scenario


def saturation(x: float) -> float:
    """Effect multiplier of an intensity ``x`` relative to the reference: 2x / (1 + x) (1 at x = 1, at most 2)."""
    return 2.0 * x / (1.0 + x) if x > 0 else 0.0


def delivery_factor(network_dependence: float, coordination: float) -> float:
    """Share of the effect delivered, given the area's coordination (0-1): 1 - w + w min(1, c / 0.1)."""
    return 1.0 - network_dependence + network_dependence * min(1.0, coordination / COORDINATION_REFERENCE)


def remaining(half_life: float | None, months: int) -> float:
    """Share of an effect left ``months`` after a measure stopped running."""
    if half_life is None:
        return 1.0
    if half_life == 0:
        return 0.0
    return 0.5 ** (months / half_life)


def add_office(state: State, area: int) -> np.ndarray:
    """Indices of the QM office organisations of ``area``; adds one (capacity 0) if there is none."""
    o = state.organisations
    found = np.flatnonzero((o.area == area) & (o.kind == QM_OFFICE))
    if len(found):
        return found
    n = len(o)
    ties = np.zeros((n + 1, n + 1), np.float32)
    ties[:n, :n] = o.tie_strength
    state.organisations = Organisations(
        area=np.append(o.area, np.int32(area)).astype(np.int32), kind=np.append(o.kind, np.int8(QM_OFFICE)),
        capacity=np.append(o.capacity, np.float32(0)), base_capacity=np.append(o.base_capacity, np.float32(0)),
        tie_strength=ties)
    return np.array([n])


class MeasureRunner:
    """The measures of one run; a hook. ``ledger`` funds them and runs first."""

    def __init__(self, scenario: "Scenario", ledger: "Ledger", state: State, key: np.uint64):
        self.ledger = ledger
        self.key = key
        self.measures: list["Measure"] = ledger.measures
        self.entries = [CATALOGUE[m.type] for m in self.measures]
        self.area = list(ledger.area)
        n = len(self.measures)
        self.effects = [{**e.effects, **m.effect} for e, m in zip(self.entries, self.measures)]
        self.carrier = CARRIERS[scenario.qm_office.carrier] if scenario.qm_office is not None else 1.0
        self.level = np.zeros(n)         # lever multiplier this month
        self.last_level = np.zeros(n)    # multiplier in the last month the measure ran
        self.last_month = np.full(n, -1)  # last month it ran (-1: never)
        self.built_month = np.full(n, -1)  # construction: month it was completed
        self.slot = np.full(n, NO_ONE)   # programme slot of person programmes
        self.since: dict[int, np.ndarray] = {}  # programme: month each household slot enrolled
        self.done: dict[int, np.ndarray] = {}   # programme: uid of the household that finished the course
        self.offices: dict[int, np.ndarray] = {}
        self.blocks: dict[int, np.ndarray] = {}
        self.criteria: dict[int, tuple] = {}
        n_hh = len(state.households)
        next_slot = 0
        for m, (entry, spec) in enumerate(zip(self.entries, self.measures)):
            a = self.area[m]
            target = spec.target
            if target.blocks is not None:
                ar = state.areas
                self.blocks[m] = np.array([ar.first_block[a] + y * ar.nx[a] + x for x, y in target.blocks], np.int32)
            if entry.delivery == PROGRAMME:
                self.slot[m] = next_slot
                next_slot += 1
                self.since[m] = np.full(n_hh, -1, np.int32)
                self.done[m] = np.full(n_hh, -1, np.int64)
                employment = target.employment or entry.default_target.get("employment")
                children = target.children if target.children is not None else entry.default_target.get("children")
                self.criteria[m] = (
                    None if target.groups is None else np.array([GROUP_NAMES.index(g) for g in target.groups]),
                    None if employment is None else np.array([LABOUR_STATES.index(e) for e in employment]),
                    bool(children))
                if not self._eligible(m, state).any():
                    raise ScenarioError(f"{scenario.source}: invalid scenario\n  measures."
                                        f"{m - (scenario.qm_office is not None)}.target: selects no households at "
                                        f"the start ({spec.label})")
            elif entry.delivery == OFFICE:
                self.offices[m] = add_office(state, a)
            elif entry.place_kind is not None and len(self._places(m, state)) == 0:
                raise ScenarioError(f"{scenario.source}: invalid scenario\n  measures."
                                    f"{m - (scenario.qm_office is not None)}.target.blocks: no place of kind "
                                    f"{entry.place_kind!r} in the target blocks ({spec.label})")

    # ------------------------------------------------------------ selection
    def _eligible(self, m: int, state: State) -> np.ndarray:
        """Households that match measure ``m``'s target now (bool per household slot)."""
        h, dw = state.households, state.dwellings
        d = np.where(h.dwelling >= 0, h.dwelling, 0)
        ok = h.alive & (h.dwelling >= 0) & (dw.area[d] == self.area[m])
        if m in self.blocks:
            ok &= np.isin(dw.block[d], self.blocks[m])
        groups, employment, children = self.criteria[m]
        if groups is not None:
            ok &= np.isin(h.group, groups)
        if employment is not None:
            ok &= np.isin(h.labour, employment)
        if children:
            ok &= h.children > 0
        return ok

    def _places(self, m: int, state: State) -> np.ndarray:
        pl = state.places
        ok = (pl.area == self.area[m]) & (pl.kind == PLACE_KINDS.index(self.entries[m].place_kind))
        if m in self.blocks:
            ok &= np.isin(pl.block, self.blocks[m])
        return np.flatnonzero(ok)

    def _buildings(self, m: int, state: State) -> np.ndarray:
        b = state.buildings
        ok = state.blocks.area[b.block] == self.area[m]
        if m in self.blocks:
            ok &= np.isin(b.block, self.blocks[m])
        return np.flatnonzero(ok)

    # ------------------------------------------------------------ hook
    def households_reordered(self, new_slot: np.ndarray) -> None:
        """The engine moved household ``old`` to slot ``new_slot[old]``: the per-slot records follow."""
        for per_slot in (*self.since.values(), *self.done.values()):
            per_slot[new_slot] = per_slot.copy()

    def __call__(self, sim: "Simulation", month: int) -> None:
        s = sim.state
        s.area_levers[:] = 0.0
        h, dw = s.households, s.dwellings
        households = np.bincount(dw.area[h.dwelling[h.alive]], minlength=len(s.areas)).astype(float)
        for m, entry in enumerate(self.entries):
            a = self.area[m]
            running = bool(self.ledger.active[m]) and self.ledger.funded[m] > 0
            ramp = 1.0
            if entry.ramp_months:
                ramp = min(1.0, (month - self.measures[m].start_month + 1) / entry.ramp_months)
            deliver = delivery_factor(entry.network_dependence, s.areas.coordination[a])
            if entry.delivery == PROGRAMME:
                self._programme(m, s, month, running, ramp, deliver)
                continue
            if entry.delivery == CONSTRUCTION:
                level = self._construction(m, s, month, households[a])
            else:
                units = self.measures[m].units * (self.ledger.funded[m] if running else 0.0)
                intensity = units * 1000.0 / max(households[a], 1.0) / entry.reference
                level = saturation(intensity) * ramp * deliver * (self.carrier if entry.delivery == OFFICE else 1.0)
                if running:
                    self.last_level[m], self.last_month[m] = level, month
                elif self.last_month[m] >= 0:
                    level = self.last_level[m] * remaining(entry.half_life_months, month - self.last_month[m])
                if entry.delivery == OFFICE:
                    cap = self.effects[m]["office_capacity"] * self.measures[m].units * self.carrier
                    s.organisations.base_capacity[self.offices[m]] = min(1.0, cap * ramp) if running else 0.0
            self.level[m] = level
            for name, value in self.effects[m].items():
                if name in levers.INDEX:
                    s.area_levers[a, levers.INDEX[name]] += value * level

    def _construction(self, m: int, s: State, month: int, households: float) -> float:
        """Build when paid for; returns the lever multiplier (0 before completion)."""
        entry, spec = self.entries[m], self.measures[m]
        if self.built_month[m] < 0:
            if month < spec.start_month or self.ledger.paid_total[m] < self.ledger.cost[m]:
                return 0.0
            self.built_month[m] = month
            self._build(m, s)
        units = spec.units * 1000.0 / max(households, 1.0) / entry.reference
        return saturation(units) * remaining(entry.half_life_months, month - self.built_month[m])

    def _build(self, m: int, s: State) -> None:
        """The one-off state changes of a completed construction measure."""
        eff, units = self.effects[m], int(round(self.measures[m].units))
        if "place_quality" in eff:
            places = self._places(m, s)
            worst = places[np.argsort(s.places.quality[places], kind="stable")[:units]]
            s.places.quality[worst] = np.minimum(1.0, s.places.quality[worst] + eff["place_quality"])
        if "building_quality" in eff:
            blds = self._buildings(m, s)
            worst = blds[np.argsort(s.buildings.quality[blds], kind="stable")[:units]]
            s.buildings.quality[worst] = np.minimum(1.0, s.buildings.quality[worst] + eff["building_quality"])
            dw = s.dwellings
            renovated = np.isin(dw.building, worst) & (dw.occupant >= 0)
            dw.rent[renovated] += np.float32(eff.get("rent_levy", 0.0))

    def _programme(self, m: int, s: State, month: int, running: bool, ramp: float, deliver: float) -> None:
        """Enrol and release households of person programme ``m``; set its programme levers."""
        h = s.households
        slot = int(self.slot[m])
        since, done = self.since[m], self.done[m]
        members = np.flatnonzero((h.programme == slot) & h.alive)
        stale = np.flatnonzero((h.programme == slot) & ~h.alive)
        h.programme[stale] = NO_ONE
        if not running:
            h.programme[members] = NO_ONE
            s.programme_levers[slot, :] = 0.0
            return
        eligible = self._eligible(m, s)
        finished = members[month - since[members] >= self.entries[m].course_months]
        done[finished] = h.uid[finished]
        leaving = members[~eligible[members] | (month - since[members] >= self.entries[m].course_months)]
        h.programme[leaving] = NO_ONE
        members = np.setdiff1d(members, leaving)
        places = int(round(self.measures[m].units * self.ledger.funded[m] * ramp))
        if len(members) > places:
            latest = members[np.argsort(-since[members], kind="stable")[: len(members) - places]]
            h.programme[latest] = NO_ONE
        elif len(members) < places:
            free = np.flatnonzero(eligible & (h.programme == NO_ONE) & (done != h.uid))
            if len(free):
                u = uniforms(self.key, STREAM_MEASURES, month, h.uid[free], m)  # by uid: a household's luck, not its slot's
                chosen = free[np.argsort(u, kind="stable")[: places - len(members)]]
                h.programme[chosen] = slot
                since[chosen] = month
        s.programme_levers[slot, :] = 0.0
        for name, value in self.effects[m].items():
            s.programme_levers[slot, levers.INDEX[name]] = value * deliver


def measure_periods(scenario: "Scenario") -> list[tuple[float, float, str]]:
    """(start, end, label) in years of every measure, for plots; construction: the planned building time."""
    horizon = scenario.years * 12
    out = []
    for m in scenario.all_measures():
        entry = CATALOGUE[m.type]
        end = m.start_month + entry.lag_months if entry.one_off else (m.end_month or horizon)
        out.append((m.start_month / 12.0, min(end, horizon) / 12.0, m.label))
    return out



def union_of_periods(periods: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Overlapping (start, end, label) periods merged into one mark each, labelled by their measures."""
    merged: list[list] = []
    for start, end, label in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].append(label)
        else:
            merged.append([start, end, [label]])
    return [(start, end, f"measures: {', '.join(labels)}") for start, end, labels in merged]

def check_targets(scenario: "Scenario") -> None:
    """Raise ScenarioError if a measure's target selects nobody in the initial city (with the scenario's seed)."""
    from ..parameters import ModelParameters
    from ..population import build_state
    from ..rng import run_key

    seed = scenario.scenario.seed
    state = build_state(scenario.areas, ModelParameters(scenario.parameters), seed, 0, scenario.tie_slots)
    build_hooks(scenario, state, run_key(seed, 0))


def build_hooks(scenario: "Scenario", state: State, key: np.uint64) -> tuple["Ledger", list]:
    """The budget ledger and, if the scenario has measures, the runner: the hooks to run first every month."""
    from ..budget import Ledger

    ledger = Ledger(scenario, scenario.all_measures(), key)
    hooks = [ledger]
    if ledger.measures:
        hooks.append(MeasureRunner(scenario, ledger, state, key))
    return ledger, hooks


__all__ = ["MeasureRunner", "build_hooks", "check_targets", "measure_periods", "saturation", "delivery_factor",
           "remaining"]
