"""The reference model: the qsim model (docs/model.md) written the usual Mesa way.

One ``mesa`` agent per household (:class:`~.agents.Household`), each area a
Mesa ``OrthogonalMooreGrid`` of blocks (:class:`~.space.Block` cells),
buildings, dwellings, places and organisations as plain objects, and every
process a plain-Python function in a module named after its numba kernel
(``environment``, ``labour``, ``encounters``, ``trust``, ``participation``,
``organisations``, ``mobility``). It is the readable specification of the
numba core and the anchor of the docking tests and the speed benchmark
(``docs/reference-model.md``).

**Same start as the core.** The initial world is the core's: the model
builds ``qsim.Simulation(scenario, seed, replicate)`` (synthetic
population, blocks at equilibrium, the spin-up of the whole model) and makes its agents and
objects from that state before the first month. From then on the
reference runs its own rules with its own random numbers (Mesa's
``self.random``, seeded from seed and replicate); docking with the core is
distributional, not draw for draw. Measures and the budget act through the
core's Python layer (:mod:`.measures`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import OrthogonalMooreGrid

from ...engine import Simulation
from ...indicators import CATALOGUE
from ...scenario import Scenario, load_scenario, macro_path
from .agents import Household
from .encounters import encounters_step
from .environment import environment_step, place_quality
from .indicators import compute
from .labour import labour_step
from .measures import MeasureBridge
from .mobility import mobility_step, reputation_step
from .organisations import organisations_step
from .participation import area_responsiveness, participation_step
from .space import Area, Block, Building, Dwelling, Organisation, Place
from .trust import BlockSummary, collective_efficacy, disorder_step, trust_step

_HOUSEHOLD_ATTRIBUTES = ("group", "adults", "children", "labour", "unemployed_months", "skill", "wage", "income",
                         "child_education", "trust_in", "trust_out", "trust_inst", "efficacy", "attachment",
                         "threshold", "satisfaction", "tenure", "programme", "friendly_contacts", "conflicts")


class ReferenceModel(mesa.Model):
    """A qsim scenario as a plain Mesa model; ``step()`` advances one month.

    ``scenario`` is a path or a :class:`qsim.Scenario`; ``parameters`` are
    overrides by dotted name (as in the scenario file). Indicators of the
    city are recorded every month: :meth:`indicators`.
    """

    def __init__(self, scenario: str | Path | Scenario = "scenarios/baseline.toml", seed: int | None = None,
                 replicate: int = 0, parameters: dict[str, Any] | None = None):
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if parameters:
            sc = sc.with_parameters(parameters)
        seed = sc.scenario.seed if seed is None else int(seed)
        super().__init__(seed=seed * 1_000_003 + replicate)
        self.scenario = sc
        self.core = Simulation(sc, seed=seed, replicate=replicate)  # the initial world and the measure layer
        self.params = self.core.params
        self.processes = sc.processes
        self.months = sc.years * 12
        self.month = 0
        self._macro(self.months + 1)
        self.bridge = MeasureBridge(self.core)
        self._build(self.core.state)
        self.flows = {area: [0, 0, 0, 0, 0] for area in self.areas}
        self.records: list[dict[str, float]] = []
        self.running = True

    # ------------------------------------------------------------ set-up
    def _macro(self, months: int) -> None:
        self.demand = macro_path(self.scenario.macro.labour_demand, months)
        self.rent_pressure = macro_path(self.scenario.macro.rent_pressure, months)

    def _build(self, s) -> None:
        """Agents and objects from the core's state before its first month."""
        ar, blk, bld, dw, h = s.areas, s.blocks, s.buildings, s.dwellings, s.households
        radius = int(self.params.mobility.radius)
        self.areas: list[Area] = []
        self.blocks: list[Block] = [None] * len(blk)  # type: ignore[list-item]
        for a, name in enumerate(s.area_names):
            nx, ny = int(ar.nx[a]), int(ar.ny[a])
            grid = OrthogonalMooreGrid((nx, ny), torus=False, capacity=None, random=self.random, cell_klass=Block)
            area = Area(a, name, grid, float(ar.rent_level[a]))
            for field in ("reputation", "participation_share", "reference_income", "coordination",
                          "network_density", "budget_available", "budget_spent", "cumulative_cost"):
                setattr(area, field, float(getattr(ar, field)[a]))
            first = int(ar.first_block[a])
            for b in range(first, first + int(ar.n_blocks[a])):
                block = grid[(int(blk.x[b]), int(blk.y[b]))]
                block.index, block.area = b, area
                block.disorder, block.efficacy_lagged = float(blk.disorder[b]), float(blk.efficacy_lagged[b])
                self.blocks[b] = block
                area.blocks.append(block)
            for block in area.blocks:
                around = block.get_neighborhood(radius=radius, include_center=False).cells if radius > 0 else []
                block.neighbourhood = [block, *around]
            self.areas.append(area)
        self.buildings = [Building(k, self.blocks[int(bld.block[k])], float(bld.quality[k])) for k in range(len(bld))]
        self.dwellings = []
        for d in range(len(dw)):
            building = self.buildings[int(dw.building[d])]
            dwelling = Dwelling(d, building, float(dw.rent[d]))
            building.dwellings.append(dwelling)
            building.block.dwellings.append(dwelling)
            building.block.area.dwellings.append(dwelling)
            self.dwellings.append(dwelling)
        pl = s.places
        self.places = [Place(k, self.areas[int(pl.area[k])], self.blocks[int(pl.block[k])], int(pl.kind[k]),
                             float(pl.quality[k])) for k in range(len(pl))]
        for place in self.places:
            place.area.places.append(place)
        o = s.organisations
        self.organisations = [Organisation(k, self.areas[int(o.area[k])], int(o.kind[k]), float(o.capacity[k]),
                                           float(o.base_capacity[k])) for k in range(len(o))]
        for org in self.organisations:
            org.area.organisations.append(org)
            for other in self.organisations:
                if other is not org and other.area is org.area:
                    org.ties[other] = float(o.tie_strength[org.index, other.index])
        self.tie_slots = s.n_tie_slots
        self.programme_levers = s.programme_levers.tolist()
        for area in self.areas:
            area.levers = s.area_levers[area.index].tolist()
        by_slot: dict[int, Household] = {}
        for i in np.flatnonzero(h.alive):
            attributes = {name: getattr(h, name)[i].item() for name in _HOUSEHOLD_ATTRIBUTES}
            attributes["participating"] = bool(h.participating[i])
            by_slot[int(i)] = Household(self, self.dwellings[int(h.dwelling[i])], int(h.uid[i]), int(i),
                                        **attributes)
        for i, hh in by_slot.items():
            for k in range(self.tie_slots):
                j = int(h.tie_target[i, k])
                if j >= 0:
                    hh.ties[by_slot[j]] = float(h.tie_strength[i, k])
        self.free_slots = [int(i) for i in np.flatnonzero(~h.alive)]
        self.next_uid = int(s.next_uid)
        place_quality(self)
        for block in self.blocks:
            block.efficacy = collective_efficacy(BlockSummary(block))

    def add_household(self, dwelling: Dwelling, **attributes) -> Household:
        """A new household (an in-mover) in a vacant dwelling, in the lowest free slot."""
        self.free_slots.sort()
        slot = self.free_slots.pop(0)
        uid = self.next_uid
        self.next_uid += 1
        return Household(self, dwelling, uid, slot, **attributes)

    def set_parameters(self, overrides: dict[str, float]) -> None:
        """Change model parameters from now on (dotted names, checked against the registry)."""
        self.core.set_parameters(overrides)
        self.params = self.core.params

    # ------------------------------------------------------------ the month
    def step(self) -> None:
        """Advance the city by one month, in the core's schedule (docs/model.md 3.1)."""
        t = self.month
        if t + 1 >= len(self.demand):
            self._macro(t + 13)
        on = self.processes
        self.bridge.apply(self, t)                          # 0 hooks: budget ledger, measures
        if on.environment:                                  # 1 built environment
            environment_step(self, self.rent_pressure[t])
        else:
            place_quality(self)
        if on.labour:                                       # 2 labour market
            labour_step(self, self.demand[t])
        if on.encounters:                                   # 3 encounters and ties
            encounters_step(self)
        area_responsiveness(self)
        if on.trust:                                        # 4a trust
            trust_step(self)
        summaries = {block: BlockSummary(block) for block in self.blocks}  # 4b block sums
        for block in self.blocks:
            block.efficacy = collective_efficacy(summaries[block])
        if on.trust:                                        # 4c collective efficacy and disorder
            disorder_step(self, summaries)
        if on.participation:                                # 5 participation
            participation_step(self)
        if on.organisations and self.organisations:        # 6 organisations
            organisations_step(self)
        if on.mobility:                                     # 7 mobility, in-movers, reputation
            mobility_step(self, self.rent_pressure[t])
            reputation_step(self, summaries)
        else:
            self.flows = {area: [0, 0, 0, 0, 0] for area in self.areas}
        self.records.append({"month": t, "year": t // 12 + 1, **compute(self)})  # 8 observation
        self.month = t + 1
        self.running = self.month < self.months

    def run(self, months: int | None = None) -> pd.DataFrame:
        """Run ``months`` (default: to the scenario's horizon) and return :meth:`indicators`."""
        for _ in range(self.months - self.month if months is None else months):
            self.step()
        return self.indicators()

    def indicators(self) -> pd.DataFrame:
        """Monthly indicators of the city: month, year and one column per indicator of qsim's own
        (``qsim.indicators.CATALOGUE``; indicators registered later are the core's alone)."""
        return pd.DataFrame(self.records, columns=["month", "year", *(ind.name for ind in CATALOGUE)])
