"""The built world of the reference model: areas, blocks (Mesa cells), buildings, dwellings, places, organisations.

Each area is a Mesa ``OrthogonalMooreGrid`` of blocks (no torus); a block is
a grid cell (:class:`Block`, a ``mesa.discrete_space.Cell``) whose agents are
the households living in it. Buildings, dwellings, places and organisations
are plain Python objects. Their attributes mirror the arrays of
``qsim.state`` (same names and units).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa.discrete_space import Cell

from ... import levers as L

if TYPE_CHECKING:
    from .agents import Household


class Dwelling:
    """A rented flat: its building, its occupant (None if vacant) and the contract rent (EUR/month)."""

    def __init__(self, index: int, building: "Building", rent: float):
        self.index = index
        self.building = building
        self.occupant: Household | None = None
        self.rent = rent

    @property
    def block(self) -> "Block":
        return self.building.block

    @property
    def area(self) -> "Area":
        return self.building.block.area


class Building:
    """A residential building on a block: quality 0-1 and its dwellings."""

    def __init__(self, index: int, block: "Block", quality: float):
        self.index = index
        self.block = block
        self.quality = quality
        self.dwellings: list[Dwelling] = []


class Block(Cell):
    """A street block: a cell of its area's grid. Its agents are the resident households.

    ``disorder`` and ``efficacy_lagged`` are the block state (0-1);
    ``group_count`` the resident households of each group (kept current by moves);
    ``efficacy`` this month's collective efficacy (trust step).
    """

    def __init__(self, coordinate, capacity=None, random=None):
        super().__init__(coordinate, capacity, random)
        self.index = -1
        self.area: Area | None = None
        self.buildings: list[Building] = []
        self.dwellings: list[Dwelling] = []
        self.disorder = 0.0
        self.efficacy_lagged = 0.0
        self.efficacy = 0.0
        self.group_count = [0, 0]
        self.neighbourhood: list[Block] = []  # Moore neighbourhood of radius ``mobility.radius``, self included

    @property
    def households(self) -> list["Household"]:
        return self._agents


class Place:
    """A public place (park, centre, playground, school) serving its area; quality 0-1."""

    def __init__(self, index: int, area: "Area", block: Block, kind: int, quality: float):
        self.index = index
        self.area = area
        self.block = block
        self.kind = kind
        self.quality = quality


class Organisation:
    """A local actor with a capacity (0-1) and cooperation ties to the organisations of its area."""

    def __init__(self, index: int, area: "Area", kind: int, capacity: float, base_capacity: float):
        self.index = index
        self.area = area
        self.kind = kind
        self.capacity = capacity
        self.base_capacity = base_capacity
        self.ties: dict[Organisation, float] = {}


class Area:
    """A planning area: a grid of blocks, its places and organisations and its area-level state."""

    def __init__(self, index: int, name: str, grid, rent_level: float):
        self.index = index
        self.name = name
        self.grid = grid
        self.blocks: list[Block] = []       # in the core's order: y * nx + x
        self.dwellings: list[Dwelling] = []
        self.places: list[Place] = []
        self.organisations: list[Organisation] = []
        self.rent_level = rent_level       # EUR/month
        self.reputation = 0.5
        self.participation_share = 0.0
        self.reference_income = 0.0
        self.city_income = 0.0  # mean income of all simulated areas' residents (mobility)
        self.coordination = 0.0
        self.network_density = 0.0
        self.place_quality = 0.0           # mean quality of the area's places this month
        self.responsiveness = 0.0          # share of residents' priorities acted on this month
        self.levers = [0.0] * L.N_LEVERS   # area levers set by the measures
        self.budget_available = 0.0
        self.budget_spent = 0.0
        self.cumulative_cost = 0.0
