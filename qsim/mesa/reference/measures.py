"""Measures and the budget in the reference model: the core's Python measure layer, bridged to the agents.

The budget ledger (``qsim/budget.py``) and the measure runner
(``qsim/measures/runner.py``) are plain Python already; the reference model
reuses them rather than writing them twice. Each month, before the
processes, :class:`MeasureBridge` copies what they read from the agents
into the arrays of a ``qsim.State`` (households by their ``slot``,
dwellings, buildings, places, blocks, areas, organisations), runs the hooks
of the scenario exactly as the engine does (``hook(context, month)``), and
copies back what they write: area and programme levers, programme
enrolment, building and place quality, rents (rent levy), base capacities
and the budget of each area. The effects then act through the plain-Python
rules of the processes (``Household.lever``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...state import NO_ONE

if TYPE_CHECKING:
    from ...engine import Simulation
    from .model import ReferenceModel

# household attributes the ledger and the runner may read (qsim.state.Households field names)
_HOUSEHOLD_FIELDS = ("uid", "group", "adults", "children", "labour", "unemployed_months", "skill", "wage", "income",
                     "child_education", "trust_in", "trust_out", "trust_inst", "efficacy", "attachment",
                     "participating", "satisfaction", "tenure", "programme")


class MeasureBridge:
    """Runs the core's hooks (budget ledger, measures) on a mirror of the reference model's state."""

    def __init__(self, simulation: "Simulation"):
        self.sim = simulation
        self.has_measures = bool(simulation.ledger.measures) or len(simulation.hooks) > 1

    def apply(self, model: "ReferenceModel", month: int) -> None:
        """Run this month's hooks and carry their levers and state changes over to the model."""
        sim = self.sim
        s = sim.state
        if self.has_measures:
            self._write(model, s)
        s.month = month
        for hook in sim.hooks:
            hook(sim.hook_context, month)
        model.params = sim.params
        for area in model.areas:
            area.levers = s.area_levers[area.index].tolist()
            area.budget_available = float(s.areas.budget_available[area.index])
            area.budget_spent = float(s.areas.budget_spent[area.index])
            area.cumulative_cost = float(s.areas.cumulative_cost[area.index])
        model.programme_levers = s.programme_levers.tolist()
        if self.has_measures:
            self._read(model, s)

    @staticmethod
    def _write(model: "ReferenceModel", s) -> None:
        h = s.households
        h.alive[:] = False
        h.dwelling[:] = NO_ONE
        s.dwellings.occupant[:] = NO_ONE
        columns = {name: getattr(h, name) for name in _HOUSEHOLD_FIELDS}
        for hh in model.agents:
            i = hh.slot
            h.alive[i] = True
            h.dwelling[i] = hh.dwelling.index
            s.dwellings.occupant[hh.dwelling.index] = i
            for name, column in columns.items():
                column[i] = getattr(hh, name)
        for d in model.dwellings:
            s.dwellings.rent[d.index] = d.rent
        s.buildings.quality[:] = [b.quality for b in model.buildings]
        s.places.quality[:] = [p.quality for p in model.places]
        s.blocks.disorder[:] = [b.disorder for b in model.blocks]
        for area in model.areas:
            for name in ("reputation", "participation_share", "coordination", "network_density"):
                getattr(s.areas, name)[area.index] = getattr(area, name)
        o = s.organisations
        o.capacity[:] = [org.capacity for org in model.organisations]
        o.base_capacity[:] = [org.base_capacity for org in model.organisations]

    @staticmethod
    def _read(model: "ReferenceModel", s) -> None:
        programme = s.households.programme
        for hh in model.agents:
            hh.programme = int(programme[hh.slot])
        quality = s.buildings.quality.tolist()
        for b in model.buildings:
            b.quality = quality[b.index]
        quality = s.places.quality.tolist()
        for p in model.places:
            p.quality = quality[p.index]
        rent = s.dwellings.rent.tolist()
        for d in model.dwellings:
            if d.occupant is not None:
                d.rent = rent[d.index]
        base = s.organisations.base_capacity.tolist()
        for org in model.organisations:
            org.base_capacity = base[org.index]


__all__ = ["MeasureBridge"]
