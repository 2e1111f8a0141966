"""Applying a scenario's measures month by month: the loop and the sums (a hook run after the budget ledger).

Each month the runner asks every measure's delivery (``delivery.py``, one
class per delivery kind) what it delivers, given the ledger's funding of the
measure (``Ledger.funding``), in the order of the scenario (the QM office
first). It applies each measure's state changes before asking the next
measure, rebuilds ``State.area_levers`` as the sum of what the measures
deliver to each area, and sets each person programme's row of
``State.programme_levers``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import levers
from ..budget import Ledger
from ..scenario import ScenarioError
from ..state import NO_ONE, State
from .catalogue import CARRIERS, CATALOGUE
from .delivery import Delivery, EmptyTarget, delivery_factor, saturation  # the last two: re-exported
from .timing import Timing, remaining  # remaining: re-exported (tests and notebooks import it from here)

if TYPE_CHECKING:
    from ..hooks import HookContext
    from ..scenario import Scenario


class MeasureRunner:
    """The measures of one run; a hook. ``ledger`` funds them and runs first."""

    def __init__(self, scenario: "Scenario", ledger: Ledger, state: State, key: np.uint64):
        self.ledger = ledger
        carriers = [CARRIERS[office.carrier] for office in scenario.offices]  # the offices come first
        paths = scenario.measure_paths()
        self.deliveries: list[Delivery] = []
        next_slot = 0
        for m, spec in enumerate(scenario.all_measures()):
            entry = CATALOGUE[spec.type]
            slot = NO_ONE
            if entry.kind.per_participant:
                slot, next_slot = next_slot, next_slot + 1
            carrier = carriers[m] if m < len(carriers) else 1.0  # the carrier scales its office's delivery
            delivery = entry.kind(m, spec, entry, scenario.area_index(spec.target.area), key, carrier, slot)
            try:
                delivery.start(state)
            except EmptyTarget as e:
                raise ScenarioError(f"{scenario.source}: invalid scenario\n  {paths[m]}.{e.field}: {e.message} "
                                    f"({spec.label})") from None
            self.deliveries.append(delivery)
        self.level = np.zeros(len(self.deliveries))  # lever multiplier of each measure this month

    @property
    def since(self) -> dict[int, np.ndarray]:
        """Person programmes (by measure index): the month each household slot enrolled (-1: never)."""
        return {m: d.since for m, d in enumerate(self.deliveries) if d.per_participant}

    def households_reordered(self, new_slot: np.ndarray) -> None:
        """The engine moved household ``old`` to slot ``new_slot[old]``: the per-slot records follow."""
        for delivery in self.deliveries:
            delivery.households_reordered(new_slot)

    def __call__(self, context: "HookContext", month: int) -> None:
        s = context.state
        s.area_levers[:] = 0.0
        h, dw = s.households, s.dwellings
        households = np.bincount(dw.area[h.dwelling[h.alive]], minlength=len(s.areas)).astype(float)
        for m, delivery in enumerate(self.deliveries):
            out = delivery.apply(s, month, self.ledger.funding(m), households[delivery.area])
            for change in out.changes:
                change.apply(s)
            if out.programme_levers is not None:
                slot, values = out.programme_levers
                s.programme_levers[slot, :] = 0.0
                for name, value in values.items():
                    s.programme_levers[slot, levers.INDEX[name]] = value
            self.level[m] = out.level
            for name, value in out.area_levers.items():
                s.area_levers[delivery.area, levers.INDEX[name]] += value


def measure_periods(scenario: "Scenario") -> list[tuple[float, float, str]]:
    """(start, end, label) in years of every measure, for plots; construction: the planned building time."""
    out = []
    for m in scenario.all_measures():
        start, end = Timing.of(m, CATALOGUE[m.type]).period(scenario.years * 12)
        out.append((start / 12.0, end / 12.0, m.label))
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


def build_hooks(scenario: "Scenario", state: State, key: np.uint64) -> tuple[Ledger, list]:
    """The budget ledger and, if the scenario has measures, the runner: the hooks to run first every month."""
    ledger = Ledger(scenario, scenario.all_measures(), key)
    hooks = [ledger]
    if ledger.measures:
        hooks.append(MeasureRunner(scenario, ledger, state, key))
    return ledger, hooks


__all__ = ["MeasureRunner", "build_hooks", "check_targets", "measure_periods", "saturation", "delivery_factor",
           "remaining"]
