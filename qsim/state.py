"""Structure-of-arrays state of the simulated city.

Every entity is a set of flat numpy arrays with explicit dtypes. Index
order is spatial: dwellings are contiguous per building, buildings per
block, blocks per area, so "all dwellings of block b" is the slice
``first_dwelling[b] : first_dwelling[b] + n_dwellings[b]``.

Households are never deleted. The household arrays have one slot per
dwelling; a household that leaves the city vacates its slot, which a later
in-mover refills (with a new ``uid``). A household that moves within the
city keeps its slot and uid and changes ``dwelling``. Cohorts: ``moved_in``
is the month a household moved into its current area (negative for the
original residents, who lived there at month 0 and never left), and
``origin_area`` the area it lived in at month 0 (NO_ONE for newcomers from
outside the city). A household's random
numbers are keyed by its uid (``rng_key``), not by its slot.

Original residents who leave the city are followed in :class:`Leavers`, a compact record of their own
(``State.leavers``, the first ``State.n_leavers`` rows; ``qsim.kernels.leavers``): the labour market keeps
advancing them after they left, so that their outcomes stay known until the end of the run.

Moves scatter neighbours over the slots, and kernels that read neighbours'
arrays then miss the caches; the engine therefore re-orders the household
slots of a large city by dwelling once a year (:meth:`State.sort_households`), which
changes only where a household is stored (and the order in which the
sequential loops visit the households).
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field, fields

import numpy as np
from numba import njit

from . import levers

# labour-market states (households.labour)
EMPLOYED = 0
SHORT_TERM_UNEMPLOYED = 1
LONG_TERM_UNEMPLOYED = 2
TRANSFER = 3  # transfer receipt without unemployment (working poor, carers, unable to work)
INACTIVE = 4
LABOUR_STATES = ("employed", "short_term_unemployed", "long_term_unemployed", "transfer", "inactive")
GROUP_NAMES = ("majority", "minority")  # households.group

# place kinds (places.kind)
PLACE_KINDS = ("park", "centre", "playground", "school")

# organisation kinds (organisations.kind)
ORG_KINDS = ("municipality", "housing_company", "social_institution", "association", "business", "qm_office")
QM_OFFICE = 5

NO_ONE = -1  # empty dwelling / empty tie slot / no programme


class _Arrays:
    """Base of the array groups: a length and the total memory."""

    def __len__(self) -> int:
        return len(getattr(self, fields(self)[0].name))

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self))

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if name != "_view":  # an array replaced: the cached view is stale
            object.__setattr__(self, "_view", None)

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_view"}

    def __setstate__(self, state):
        self.__dict__.update(state)
        object.__setattr__(self, "_view", None)

    def view(self):
        """The arrays as a named tuple that numba kernels accept (no copy).

        Built once and kept until an array of the group is replaced (several calls a month).
        """
        cached = self.__dict__.get("_view")
        if cached is None:
            cls = _VIEWS[type(self)]
            cached = cls(*(getattr(self, name) for name in cls._fields))
            object.__setattr__(self, "_view", cached)
        return cached


@dataclass
class Households(_Arrays):
    """One slot per dwelling; ``alive`` marks slots that hold a household."""

    alive: np.ndarray              # bool
    uid: np.ndarray                # int64, stable id of the household in this slot
    rng_key: np.ndarray            # uint64, rng.id_key(uid): the household's random-number id
    dwelling: np.ndarray           # int32, NO_ONE if the slot is empty
    group: np.ndarray              # int8, 0 = majority, 1 = minority (migration background)
    adults: np.ndarray             # int8, persons 15+
    children: np.ndarray           # int8, persons under 15
    labour: np.ndarray             # int8, labour-market state of the head
    unemployed_months: np.ndarray  # int16, months in the current unemployment spell
    skill: np.ndarray              # float32, 0-1, productivity / employability
    wage: np.ndarray               # float32, EUR/month, current or last net wage
    income: np.ndarray             # float32, EUR/month, net household income excl. housing support
    child_education: np.ndarray    # float32, 0-1, education of the household's children
    trust_in: np.ndarray           # float32, 0-1, trust in neighbours of the own group
    trust_out: np.ndarray          # float32, 0-1, trust in the other group
    trust_inst: np.ndarray         # float32, 0-1, trust in institutions
    efficacy: np.ndarray           # float32, 0-1, belief that taking part changes things
    attachment: np.ndarray         # float32, 0-1, attachment to the neighbourhood
    threshold: np.ndarray          # float32, 0-1, participation threshold (Granovetter)
    participating: np.ndarray      # int8, 1 if taking part this month
    satisfaction: np.ndarray       # float32, 0-1
    tenure: np.ndarray             # int16, months in the current dwelling
    moved_in: np.ndarray           # int16, month it moved into its current area (-1 - tenure at the start
                                   # for households there at month 0: negative = before the run)
    origin_area: np.ndarray        # int16, area it lived in at month 0; NO_ONE if it came from outside since
    programme: np.ndarray          # int8, programme enrolled in (NO_ONE if none)
    friendly_contacts: np.ndarray  # int8, inter-group encounters without conflict this month
    conflicts: np.ndarray          # int8, conflicts this month
    tie_target: np.ndarray         # int32 (n, K), household slot of each tie, NO_ONE if empty
    tie_strength: np.ndarray       # float32 (n, K), 0-1, equal on both ends of a tie
    tie_back: np.ndarray           # int8 (n, K), slot of this tie in the other household's row


@dataclass
class Dwellings(_Arrays):
    building: np.ndarray   # int32
    block: np.ndarray      # int32
    area: np.ndarray       # int16
    occupant: np.ndarray   # int32, household slot or NO_ONE
    rent: np.ndarray       # float32, EUR/month, contract rent (warm)


@dataclass
class Buildings(_Arrays):
    block: np.ndarray           # int32
    first_dwelling: np.ndarray  # int32
    n_dwellings: np.ndarray     # int16
    quality: np.ndarray         # float32, 0-1
    owner: np.ndarray           # int32, organisation index (housing company) or NO_ONE


@dataclass
class Blocks(_Arrays):
    area: np.ndarray            # int32
    x: np.ndarray               # int16, grid column within the area
    y: np.ndarray               # int16, grid row within the area
    first_dwelling: np.ndarray  # int32
    n_dwellings: np.ndarray     # int32
    disorder: np.ndarray        # float32, 0-1
    efficacy_lagged: np.ndarray  # float32, 0-1, collective efficacy smoothed over trust.efficacy_lag
    group_count: np.ndarray     # int32 (n_blocks, 2), households of each group (kept current by mobility)


@dataclass
class Areas(_Arrays):
    nx: np.ndarray               # int32, grid columns
    ny: np.ndarray               # int32, grid rows
    first_block: np.ndarray      # int32
    n_blocks: np.ndarray         # int32
    first_dwelling: np.ndarray   # int32
    n_dwellings: np.ndarray      # int32
    rent_level: np.ndarray       # float64, EUR/month, market rent of an average dwelling
    reputation: np.ndarray       # float64, 0-1
    participation_share: np.ndarray  # float64, 0-1, share taking part last month
    reference_income: np.ndarray     # float64, EUR/month, mean income last month
    coordination: np.ndarray     # float64, 0-1, density x capacity of the actor network
    network_density: np.ndarray  # float64, 0-1, mean cooperation-tie strength over pairs of organisations
    budget_available: np.ndarray  # float64, EUR, money available to measures (set by the ledger)
    budget_spent: np.ndarray      # float64, EUR, spent this month (set by the ledger)
    cumulative_cost: np.ndarray   # float64, EUR, spent since the start


@dataclass
class Places(_Arrays):
    area: np.ndarray     # int32
    block: np.ndarray    # int32
    kind: np.ndarray     # int8, index into PLACE_KINDS
    quality: np.ndarray  # float32, 0-1


@dataclass
class Organisations(_Arrays):
    area: np.ndarray           # int32
    kind: np.ndarray           # int8, index into ORG_KINDS
    capacity: np.ndarray       # float32, 0-1
    base_capacity: np.ndarray  # float32, 0-1
    tie_strength: np.ndarray   # float32 (n_org, n_org), symmetric cooperation network


@dataclass
class Leavers(_Arrays):
    """Original residents who left the city (to the outside pool), one row each in the order they left
    (26 bytes a row; their income is ``kernels.common.household_income`` of the state).

    The rows past ``State.n_leavers`` are spare capacity (``State.add_leavers``).
    """

    uid: np.ndarray                # uint32, the household's uid (its random numbers: rng.id_key(uid)); an original
                                   # resident's uid was given before month 0 and fits (checked by the engine)
    origin_area: np.ndarray        # int16, area it lived in at month 0
    left_month: np.ndarray         # int16, month it left the city
    displaced: np.ndarray          # int8, 1 if it left displaced by its rent burden
    adults: np.ndarray             # int8, persons 15+
    children: np.ndarray           # int8, persons under 15
    labour: np.ndarray             # int8, labour-market state of the head (advanced every month)
    unemployed_months: np.ndarray  # int16, months in the current unemployment spell
    skill: np.ndarray              # float32, 0-1
    wage: np.ndarray               # float32, EUR/month, current or last net wage (income follows from the state)
    rent: np.ndarray               # float32, EUR/month, rent of the dwelling it left (its housing cost since)


LEAVER_GROWTH = 1.25  # capacity factor when the leaver record is full (at most a quarter of it spare)


def _view_class(cls):
    return namedtuple(cls.__name__ + "View", [f.name for f in fields(cls)], module=__name__)


HouseholdsView = _view_class(Households)
DwellingsView = _view_class(Dwellings)
BuildingsView = _view_class(Buildings)
BlocksView = _view_class(Blocks)
AreasView = _view_class(Areas)
PlacesView = _view_class(Places)
OrganisationsView = _view_class(Organisations)
LeaversView = _view_class(Leavers)
_VIEWS = {Households: HouseholdsView, Dwellings: DwellingsView, Buildings: BuildingsView, Blocks: BlocksView,
          Areas: AreasView, Places: PlacesView, Organisations: OrganisationsView, Leavers: LeaversView}


@njit(cache=True)
def departures(n):
    """An empty leaver record of ``n`` rows (a ``LeaversView``; the dtypes of :class:`Leavers`).

    Allocated by numba (plain ``malloc``): numpy asks the kernel for huge pages for arrays of 4 MB or more,
    which then take memory in steps of 2 MB.
    """
    return LeaversView(np.empty(n, np.uint32), np.empty(n, np.int16), np.empty(n, np.int16), np.empty(n, np.int8),
                       np.empty(n, np.int8), np.empty(n, np.int8), np.empty(n, np.int8), np.empty(n, np.int16),
                       np.empty(n, np.float32), np.empty(n, np.float32), np.empty(n, np.float32))


def empty_leavers(n: int) -> Leavers:
    """A leaver record of capacity ``n`` (contents undefined: rows are written before they are read; only the
    rows written take memory, :func:`departures`)."""
    return Leavers(*departures(n))


@dataclass
class State:
    """The whole city at one month."""

    households: Households
    dwellings: Dwellings
    buildings: Buildings
    blocks: Blocks
    areas: Areas
    places: Places
    organisations: Organisations
    area_levers: np.ndarray        # float64 (n_areas, N_LEVERS)
    programme_levers: np.ndarray   # float64 (N_PROGRAMMES, N_LEVERS)
    area_names: tuple[str, ...]
    next_uid: int = 0
    month: int = 0
    leavers: Leavers = field(default_factory=lambda: empty_leavers(0))  # original residents outside the city
    n_leavers: int = 0  # rows of ``leavers`` in use

    def add_leavers(self, departed: "LeaversView") -> None:
        """Append the rows of ``departed`` (a ``LeaversView``, as the mobility kernel returns it) to the leaver
        record. A full record grows by a quarter, to at most one row per original resident (only they are
        followed); the new arrays are allocated by numba, so that only the rows copied or written take
        memory (:func:`departures`)."""
        n = len(departed.uid)
        if n == 0:
            return
        start, need = self.n_leavers, self.n_leavers + n
        if need > len(self.leavers):
            h = self.households
            originals = start + int(np.count_nonzero(h.alive & (h.origin_area != NO_ONE)))
            capacity = max(need, min(int(LEAVER_GROWTH * len(self.leavers)), originals), 1024)
            grown = empty_leavers(capacity)
            for new, old in zip(grown.view(), self.leavers.view()):
                new[:start] = old[:start]
            self.leavers = grown
        for rows, new in zip(self.leavers.view(), departed):  # the view is kept: one numpy copy per array
            rows[start:need] = new
        self.n_leavers = need

    @property
    def n_tie_slots(self) -> int:
        return self.households.tie_target.shape[1]

    @property
    def nbytes(self) -> int:
        parts = (self.households, self.dwellings, self.buildings, self.blocks, self.areas, self.places,
                 self.organisations, self.leavers)
        return sum(p.nbytes for p in parts) + self.area_levers.nbytes + self.programme_levers.nbytes

    def sort_households(self) -> np.ndarray | None:
        """Re-order the household slots: residents by dwelling, then the empty slots (in place).

        Returns ``new_slot`` (the new slot of every old slot) for those who keep slot indices, or None if
        the slots were in order already. Tie targets and dwelling occupants follow; ``tie_back`` holds
        positions within a household's row and stays valid.
        """
        h, occupant = self.households, self.dwellings.occupant
        order, new_slot = _slot_order(h.alive, occupant)
        if order is None:
            return None
        arrays = [getattr(h, f.name) for f in fields(h)]
        # the old values of one array at a time, in one buffer: a fresh copy of every array would fault in
        # its pages anew (the sort took about 70 ns per household at 1e5, half of it page faults)
        scratch = np.empty(max(a.nbytes for a in arrays), np.uint8)
        for values in arrays:  # as unsigned integers of the same size: four compiled kernels for every dtype
            rows = values.view(f"u{values.itemsize}").reshape(len(order), -1)
            old = scratch[:rows.nbytes].view(rows.dtype).reshape(rows.shape)
            old[:] = rows
            _gather_rows(rows, old, order)
        _relabel(h.tie_target, new_slot)
        _relabel(occupant, new_slot)
        return new_slot

    def copy(self) -> "State":
        def dup(group):
            return type(group)(**{f.name: getattr(group, f.name).copy() for f in fields(group)})

        return State(dup(self.households), dup(self.dwellings), dup(self.buildings), dup(self.blocks), dup(self.areas),
                     dup(self.places), dup(self.organisations), self.area_levers.copy(), self.programme_levers.copy(),
                     self.area_names, self.next_uid, self.month, dup(self.leavers), self.n_leavers)


@njit(cache=True)
def _slot_order(alive, occupant):
    """(order, new_slot): the old slot of every new slot (residents by dwelling, then the empty slots) and
    its inverse; (None, None) if the slots are in that order already."""
    n = alive.shape[0]
    order = np.empty(n, np.int32)  # slots fit int32 (the tie targets and occupants are int32)
    k = 0
    for d in range(occupant.shape[0]):
        if occupant[d] >= 0:
            order[k] = occupant[d]
            k += 1
    for i in range(n):
        if not alive[i]:
            order[k] = i
            k += 1
    new_slot = np.empty(n, np.int32)
    in_order = True
    for k in range(n):
        new_slot[order[k]] = k
        in_order &= order[k] == k
    if in_order:
        return None, None
    return order, new_slot


@njit(cache=True)
def _gather_rows(values, old, order):
    """values[k] = old[order[k]] for the rows of 2-D arrays."""
    if values.shape[1] == 1:  # a household array: a plain gather, vectorised
        flat, old_flat = values.reshape(-1), old.reshape(-1)
        for k in range(order.shape[0]):
            flat[k] = old_flat[order[k]]
        return
    for k in range(order.shape[0]):
        for c in range(values.shape[1]):
            values[k, c] = old[order[k], c]


@njit(cache=True)
def _relabel(slots, new_slot):
    """Household slots (any shape; NO_ONE stays) renamed to their new slots (in place)."""
    flat = slots.reshape(-1)
    for k in range(flat.shape[0]):
        if flat[k] >= 0:
            flat[k] = new_slot[flat[k]]


def empty_households(n: int, tie_slots: int) -> Households:
    """Household arrays of capacity ``n`` with every slot empty."""
    f4 = lambda: np.zeros(n, np.float32)  # noqa: E731
    return Households(
        alive=np.zeros(n, np.bool_), uid=np.full(n, -1, np.int64),
        rng_key=np.zeros(n, np.uint64), dwelling=np.full(n, NO_ONE, np.int32),
        group=np.zeros(n, np.int8), adults=np.ones(n, np.int8), children=np.zeros(n, np.int8),
        labour=np.zeros(n, np.int8), unemployed_months=np.zeros(n, np.int16), skill=f4(), wage=f4(), income=f4(),
        child_education=f4(), trust_in=f4(), trust_out=f4(), trust_inst=f4(), efficacy=f4(), attachment=f4(),
        threshold=f4(), participating=np.zeros(n, np.int8), satisfaction=f4(), tenure=np.zeros(n, np.int16),
        moved_in=np.zeros(n, np.int16), origin_area=np.full(n, NO_ONE, np.int16),
        programme=np.full(n, NO_ONE, np.int8), friendly_contacts=np.zeros(n, np.int8), conflicts=np.zeros(n, np.int8),
        tie_target=np.full((n, tie_slots), NO_ONE, np.int32), tie_strength=np.zeros((n, tie_slots), np.float32),
        tie_back=np.full((n, tie_slots), NO_ONE, np.int8),
    )


def empty_levers(n_areas: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((n_areas, levers.N_LEVERS)), np.zeros((levers.N_PROGRAMMES, levers.N_LEVERS))
