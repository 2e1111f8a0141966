"""The numba engine wrapped as a ``mesa.Model``.

``QsimModel`` runs a scenario month by month (one Mesa step is one month),
collects every registered indicator (:mod:`qsim.indicators`) with a Mesa ``DataCollector`` and works with
``mesa.batch_run``. The blocks of one area form a Mesa
``OrthogonalMooreGrid`` whose property layers hold block-level values
(households, minority share, unemployment, disorder, collective efficacy,
building quality), refreshed every step.

Households stay numpy arrays in the engine. ``model.household(slot)``
creates a Mesa ``HouseholdAgent`` on demand: a view whose attributes read
the engine's arrays, so a run of a million households pays nothing for
agents nobody looks at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np
from mesa.datacollection import DataCollector
from mesa.discrete_space import OrthogonalMooreGrid

from ..engine import Simulation
from .. import indicators as registry
from ..errors import QsimError
from ..hooks import HookContext
from ..kernels.trust import collective_efficacy
from ..scenario import Scenario, load_scenario
from ..state import LABOUR_STATES, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED

BLOCK_LAYERS = ("households", "minority_share", "unemployment", "disorder", "collective_efficacy",
                "building_quality")


class HouseholdAgent(mesa.Agent):
    """A view of one household slot of the engine (read-only attributes, current month).

    When the engine re-orders its slots (once a year in a large city), the agent moves with the household in its slot.
    """

    def __init__(self, model: "QsimModel", slot: int):
        super().__init__(model)
        self.slot = int(slot)

    @property
    def _h(self):
        return self.model.simulation.state.households

    @property
    def alive(self) -> bool:
        return bool(self._h.alive[self.slot])

    @property
    def household_id(self) -> int:
        """The engine's stable id of the household now in this slot."""
        return int(self._h.uid[self.slot])

    @property
    def group(self) -> int:
        return int(self._h.group[self.slot])

    @property
    def labour_state(self) -> str:
        return LABOUR_STATES[self._h.labour[self.slot]]

    @property
    def skill(self) -> float:
        return float(self._h.skill[self.slot])

    @property
    def income(self) -> float:
        """Net household income excluding housing support, EUR/month."""
        return float(self._h.income[self.slot])

    @property
    def trust(self) -> dict[str, float]:
        h, i = self._h, self.slot
        return {"in_group": float(h.trust_in[i]), "out_group": float(h.trust_out[i]),
                "institutions": float(h.trust_inst[i])}

    @property
    def participating(self) -> bool:
        return bool(self._h.participating[self.slot] > 0)

    @property
    def block(self) -> tuple[int, int, int] | None:
        """(area, x, y) of the household's block, None if the slot is empty."""
        d = self._h.dwelling[self.slot]
        if d < 0:
            return None
        s = self.model.simulation.state
        b = s.dwellings.block[d]
        return int(s.blocks.area[b]), int(s.blocks.x[b]), int(s.blocks.y[b])

    @property
    def ties(self) -> list[int]:
        """Slots of the households this one is tied to."""
        return [int(j) for j in self._h.tie_target[self.slot] if j >= 0]


class QsimModel(mesa.Model):
    """A qsim scenario as a Mesa model; ``step()`` advances one month.

    ``scenario`` is a path or a :class:`qsim.Scenario`; ``parameters`` are
    overrides by dotted name; ``area`` names the area shown on ``grid``
    (default: the first).
    """

    def __init__(self, scenario: str | Path | Scenario = "scenarios/baseline.toml", seed: int | None = None,
                 replicate: int = 0, parameters: dict[str, Any] | None = None, area: str | None = None):
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if parameters:
            sc = sc.with_parameters(parameters)
        seed = sc.scenario.seed if seed is None else int(seed)
        super().__init__(seed=seed)
        self.simulation = Simulation(sc, seed=seed, replicate=replicate)
        state = self.simulation.state
        self.area_index = state.area_names.index(area) if area is not None else 0
        nx, ny = int(state.areas.nx[self.area_index]), int(state.areas.ny[self.area_index])
        self.grid = OrthogonalMooreGrid((nx, ny), torus=False, capacity=1, random=self.random)
        for name in BLOCK_LAYERS:
            self.grid.create_property_layer(name, default_value=0.0)
        self._agents_by_slot: dict[int, HouseholdAgent] = {}
        self.simulation.hooks.append(_FollowReorderedSlots(self))
        self.datacollector = DataCollector(
            model_reporters={name: (lambda m, n=name: m.indicator(n)) for name in registry.names()})
        self.running = True
        self._refresh_layers()
        self.datacollector.collect(self)

    @property
    def month(self) -> int:
        return self.simulation.month

    def step(self) -> None:
        """One month of the engine, then the grid's layers and the data collector."""
        self.simulation.step()
        self._refresh_layers()
        self.datacollector.collect(self)
        self.running = self.simulation.month < self.simulation.months

    def indicator(self, name: str, area: str = "all") -> float:
        """The latest monthly value of an indicator (0 before the first month)."""
        latest = self.simulation.latest_indicators()
        if latest is None:
            return 0.0
        column = registry.names().index(registry.get(name).name)
        if column >= latest.shape[-1]:
            raise QsimError(f"indicator {name!r} was registered after this model was built; register indicators "
                            f"(qsim.indicators.register) before building a model")
        names = self.simulation.state.area_names
        row = len(names) if area == "all" else names.index(area)
        return float(latest[row, 2, column])

    def indicator_by_area(self, name: str) -> dict[str, float]:
        """The latest monthly value of an indicator in every area, by area name (empty before the first month)."""
        latest = self.simulation.latest_indicators()
        if latest is None:
            return {}
        names = self.simulation.state.area_names
        return {area: self.indicator(name, area) for area in names}

    def households_reordered(self, new_slot: np.ndarray) -> None:
        """The engine re-ordered its household slots: every agent follows its household to the new slot."""
        agents = list(self._agents_by_slot.values())
        for agent in agents:
            agent.slot = int(new_slot[agent.slot])
        self._agents_by_slot = {agent.slot: agent for agent in agents}

    def household(self, slot: int) -> HouseholdAgent:
        """The Mesa agent of a household slot, created on first use."""
        if slot not in self._agents_by_slot:
            self._agents_by_slot[slot] = HouseholdAgent(self, slot)
        return self._agents_by_slot[slot]

    def households_in_block(self, x: int, y: int) -> list[HouseholdAgent]:
        """Agents of the households living in block (x, y) of the shown area."""
        s = self.simulation.state
        b = int(s.areas.first_block[self.area_index] + y * s.areas.nx[self.area_index] + x)
        first, n = int(s.blocks.first_dwelling[b]), int(s.blocks.n_dwellings[b])
        occupants = s.dwellings.occupant[first:first + n]
        return [self.household(int(j)) for j in occupants if j >= 0]

    def _refresh_layers(self) -> None:
        s = self.simulation.state
        h = s.households
        a = self.area_index
        first, n_blocks = int(s.areas.first_block[a]), int(s.areas.n_blocks[a])
        nx, ny = int(s.areas.nx[a]), int(s.areas.ny[a])
        alive = np.flatnonzero(h.alive)
        blocks = s.dwellings.block[h.dwelling[alive]] - first
        inside = (blocks >= 0) & (blocks < n_blocks)
        blocks, alive = blocks[inside], alive[inside]
        count = np.bincount(blocks, minlength=n_blocks).astype(float)
        share = lambda values: np.divide(np.bincount(blocks, weights=values, minlength=n_blocks), count,  # noqa: E731
                                         out=np.zeros(n_blocks), where=count > 0)
        unemployed = np.isin(h.labour[alive], (SHORT_TERM_UNEMPLOYED, LONG_TERM_UNEMPLOYED)).astype(float)
        quality = s.buildings.quality[s.dwellings.building[h.dwelling[alive]]].astype(float)
        block_slice = slice(first, first + n_blocks)
        agg = self.simulation.block_aggregates()
        values = {
            "households": count,
            "minority_share": share(h.group[alive].astype(float)),
            "unemployment": share(unemployed),
            "disorder": s.blocks.disorder[block_slice].astype(float),
            "collective_efficacy": collective_efficacy(agg)[block_slice],
            "building_quality": share(quality),
        }
        for name, v in values.items():
            # Mesa's grids are indexed (x, y); qsim's blocks are numbered y * nx + x
            getattr(self.grid, name).data = v.reshape(ny, nx).T.copy()


class _FollowReorderedSlots:
    """An engine hook that does nothing each month and passes slot re-orderings on to the model."""

    def __init__(self, model: QsimModel):
        self.model = model

    def __call__(self, context: HookContext, month: int) -> None:
        pass

    def households_reordered(self, new_slot: np.ndarray) -> None:
        self.model.households_reordered(new_slot)

