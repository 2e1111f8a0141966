"""Delivery kinds: how a measure reaches the city.

Every catalogue entry names its delivery kind (``MeasureType.delivery``);
each kind is a class here, and the runner (``runner.py``) makes one instance
per measure of a scenario. The interface is small:

* ``start(state)``: set-up against the initial state (find the target blocks
  and places, open the QM office); raises :class:`EmptyTarget` if the target
  selects nothing.
* ``apply(state, month, funding, households)``: what the measure delivers
  this month, as a :class:`Delivered`: its lever multiplier, the lever values
  it adds to its area, the lever values of its person programme, and the
  state changes it makes (:class:`StateChange`). ``apply`` reads the state
  and its own records; it does not write the state: the runner applies the
  changes and sums the levers.
* what it reports, as class facts: ``one_off`` (the ledger pays it once,
  over ``lag_months``), ``per_participant`` (its levers act on enrolled
  households; it takes a programme slot), ``state_effects`` (the effect
  names besides levers it understands, with their meaning), :meth:`Delivery.check` (the
  catalogue's consistency rules for the kind) and :meth:`Delivery.facts`
  (the lines docs/measures.md shows).

When a measure runs, ramps up and fades is :class:`~qsim.measures.timing.Timing`'s
answer; whether it is funded is the ledger's (:class:`qsim.budget.Funding`).
A new kind is a subclass registered with :func:`register_delivery`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, NamedTuple

import numpy as np

from .. import levers
from ..errors import QsimError
from ..rng import STREAM_MEASURES, uniforms
from ..state import GROUP_NAMES, LABOUR_STATES, NO_ONE, PLACE_KINDS, QM_OFFICE, Organisations, State
from .timing import Timing

if TYPE_CHECKING:
    from ..budget import Funding
    from ..scenario import Measure
    from .catalogue import MeasureType

COORDINATION_REFERENCE = 0.1  # coordination of a well-networked area (assumption, see catalogue.py)


def saturation(x: float) -> float:
    """Effect multiplier of an intensity ``x`` relative to the reference: 2x / (1 + x) (1 at x = 1, at most 2)."""
    return 2.0 * x / (1.0 + x) if x > 0 else 0.0


def delivery_factor(network_dependence: float, coordination: float) -> float:
    """Share of the effect delivered, given the area's coordination (0-1): 1 - w + w min(1, c / 0.1)."""
    return 1.0 - network_dependence + network_dependence * min(1.0, coordination / COORDINATION_REFERENCE)


class StateChange(NamedTuple):
    """Set ``state.<table>.<column>[index] = values``: one change a measure makes to the city."""

    table: str          # a State table: households, dwellings, buildings, places, organisations, ...
    column: str
    index: np.ndarray
    values: np.ndarray | float | int

    def apply(self, state: State) -> None:
        getattr(getattr(state, self.table), self.column)[self.index] = self.values


@dataclass
class Delivered:
    """What one measure delivers in one month."""

    level: float = 0.0  # lever multiplier (0 when it does not act): funded share x ramp x delivery x fading
    area_levers: dict[str, float] = field(default_factory=dict)  # added to its area's levers (levers.NAMES)
    programme_levers: tuple[int, dict[str, float]] | None = None  # (slot, values): the programme's lever row
    changes: list[StateChange] = field(default_factory=list)      # applied in order, before the next measure


class EmptyTarget(Exception):
    """A measure's target selects nothing in the initial city; ``field`` is its path below the measure."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class Delivery(ABC):
    """One measure of a scenario, delivered in the way of its kind (subclasses)."""

    kind: ClassVar[str]
    one_off: ClassVar[bool] = False          # paid once, over lag_months (construction)
    per_participant: ClassVar[bool] = False  # levers act on enrolled households (a programme slot)
    state_effects: ClassVar[dict[str, str]] = {}  # effect names besides levers that the kind applies: meaning

    def __init__(self, index: int, spec: "Measure", entry: "MeasureType", area: int, key: np.uint64,
                 carrier: float = 1.0, slot: int = NO_ONE):
        self.index = index        # position among the scenario's measures (QM office first): its random numbers
        self.spec = spec
        self.entry = entry
        self.area = area
        self.key = key
        self.carrier = carrier    # delivery factor of the QM office's carrier
        self.slot = slot          # programme slot (per-participant kinds), else NO_ONE
        self.timing = Timing.of(spec, entry)
        self.effects = {**entry.effects, **spec.effect}
        self.blocks: np.ndarray | None = None

    # ------------------------------------------------------------ facts of the kind
    @classmethod
    def check(cls, entry: "MeasureType") -> list[str]:
        """What is wrong with a catalogue entry of this kind (empty: nothing)."""
        problems = []
        for key in entry.effects:
            if key not in levers.INDEX and key not in cls.state_effects:
                known = ", ".join(levers.NAMES + tuple(cls.state_effects))
                problems.append(f"effect {key!r} is neither a lever nor a state effect of {cls.kind} measures "
                                f"(expected one of {known})")
        if (entry.lag_months > 0) != cls.one_off:
            problems.append("lag_months must be > 0" if cls.one_off else
                            f"lag_months is for construction measures, not {cls.kind}")
        if (entry.course_months > 0) != cls.per_participant:
            problems.append("course_months must be > 0" if cls.per_participant else
                            f"course_months is for person programmes, not {cls.kind}")
        return problems

    @classmethod
    def uses_reference(cls, entry: "MeasureType") -> bool:
        """Whether the entry's levers are scaled by its reference intensity (units per 1,000 households)."""
        return not cls.per_participant

    @classmethod
    def facts(cls, entry: "MeasureType") -> list[str]:
        """The kind-specific lines docs/measures.md shows for ``entry``."""
        out = []
        if cls.uses_reference(entry):
            out.append(f"reference intensity: {entry.reference:g} {entry.unit} per 1,000 households")
        if entry.default_target:
            out.append("eligible by default: " + ", ".join(f"{k} = {v}" for k, v in entry.default_target.items()))
        if entry.course_months:
            out.append(f"course: {entry.course_months} months")
        if entry.place_kind:
            out.append(f"improves places of kind `{entry.place_kind}`")
        return out

    # ------------------------------------------------------------ one measure
    def start(self, state: State) -> None:
        """Set up against the initial state (the target blocks)."""
        blocks = self.spec.target.blocks
        if blocks is not None:
            b = state.blocks
            in_area = np.flatnonzero(b.area == self.area)
            at = {(int(b.x[i]), int(b.y[i])): i for i in in_area}
            self.blocks = np.array([at[(x, y)] for x, y in blocks], np.int32)

    @abstractmethod
    def apply(self, state: State, month: int, funding: "Funding", households: float) -> Delivered:
        """What the measure delivers in ``month``; ``households``: households living in its area now."""

    def households_reordered(self, new_slot: np.ndarray) -> None:
        """The engine moved household ``old`` to slot ``new_slot[old]`` (records per slot must follow)."""

    def area_levers(self, level: float) -> dict[str, float]:
        """The entry's lever values at multiplier ``level``."""
        return {name: value * level for name, value in self.effects.items() if name in levers.INDEX}


class Area(Delivery):
    """Levers on the whole target area, scaled by intensity (units per 1,000 households), funding, ramp-up and
    delivery; after the end the last level fades with the half-life."""

    kind = "area"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.last_level = 0.0   # multiplier in the last month the measure ran
        self.last_month = -1    # last month it ran (-1: never)

    def carrier_factor(self) -> float:
        return 1.0

    def apply(self, state: State, month: int, funding: "Funding", households: float) -> Delivered:
        return self._delivered(self.level(state, month, funding, households))

    def level(self, state: State, month: int, funding: "Funding", households: float) -> float:
        """This month's lever multiplier (records it while running, fades it after)."""
        entry = self.entry
        ramp = self.timing.ramp(month)
        deliver = delivery_factor(entry.network_dependence, state.areas.coordination[self.area])
        units = self.spec.units * (funding.share if funding.running else 0.0)
        intensity = units * 1000.0 / max(households, 1.0) / entry.reference
        level = saturation(intensity) * ramp * deliver * self.carrier_factor()
        if funding.running:
            self.last_level, self.last_month = level, month
        elif self.last_month >= 0:
            level = self.last_level * self.timing.remaining(month - self.last_month)
        return level

    def _delivered(self, level: float, changes: list[StateChange] | None = None) -> Delivered:
        return Delivered(level, self.area_levers(level), changes=changes or [])


class Office(Area):
    """The QM office: an organisation in the actor network (opened at the start) whose capacity is
    ``office_capacity`` per staff x carrier while funded (0 when not); its levers act as an area measure's,
    scaled by the carrier."""

    kind = "office"
    state_effects = {"office_capacity": "capacity of the QM office per full-time staff"}

    def start(self, state: State) -> None:
        super().start(state)
        self.offices = open_office(state, self.area)

    def carrier_factor(self) -> float:
        return self.carrier

    def apply(self, state: State, month: int, funding: "Funding", households: float) -> Delivered:
        level = self.level(state, month, funding, households)
        cap = self.effects["office_capacity"] * self.spec.units * self.carrier
        capacity = min(1.0, cap * self.timing.ramp(month)) if funding.running else 0.0
        return self._delivered(level, [StateChange("organisations", "base_capacity", self.offices, capacity)])


class Programme(Delivery):
    """A person programme: places (units x funded share x ramp-up) filled with eligible households of the
    target, drawn by their uid (stream MEASURES); participants leave when the course is over (and are not
    enrolled again) or when they no longer match the target; the levers act on each participant."""

    kind = "programme"
    per_participant = True

    def start(self, state: State) -> None:
        super().start(state)
        n = len(state.households)
        self.since = np.full(n, -1, np.int32)   # month each household slot enrolled
        self.done = np.full(n, -1, np.int64)    # uid of the household in the slot that finished the course
        target, default = self.spec.target, self.entry.default_target
        employment = target.employment or default.get("employment")
        children = target.children if target.children is not None else default.get("children")
        self.groups = None if target.groups is None else np.array([GROUP_NAMES.index(g) for g in target.groups])
        self.employment = None if employment is None else np.array([LABOUR_STATES.index(e) for e in employment])
        self.children = bool(children)
        if not self.eligible(state).any():
            raise EmptyTarget("target", "selects no households at the start")

    def eligible(self, state: State) -> np.ndarray:
        """Households that match the target now (bool per household slot)."""
        h, dw = state.households, state.dwellings
        d = np.where(h.dwelling >= 0, h.dwelling, 0)
        ok = h.alive & (h.dwelling >= 0) & (dw.area[d] == self.area)
        if self.blocks is not None:
            ok &= np.isin(dw.block[d], self.blocks)
        if self.groups is not None:
            ok &= np.isin(h.group, self.groups)
        if self.employment is not None:
            ok &= np.isin(h.labour, self.employment)
        if self.children:
            ok &= h.children > 0
        return ok

    def households_reordered(self, new_slot: np.ndarray) -> None:
        for per_slot in (self.since, self.done):
            per_slot[new_slot] = per_slot.copy()

    def apply(self, state: State, month: int, funding: "Funding", households: float) -> Delivered:
        h = state.households
        slot = self.slot
        enrolled = h.programme == slot
        members = np.flatnonzero(enrolled & h.alive)
        release = [StateChange("households", "programme", np.flatnonzero(enrolled & ~h.alive), NO_ONE)]
        if not funding.running:
            release.append(StateChange("households", "programme", members, NO_ONE))
            return Delivered(0.0, programme_levers=(slot, {}), changes=release)
        deliver = delivery_factor(self.entry.network_dependence, state.areas.coordination[self.area])
        since, done, course = self.since, self.done, self.entry.course_months
        eligible = self.eligible(state)
        over = month - since[members] >= course
        done[members[over]] = h.uid[members[over]]
        leaving = members[~eligible[members] | over]
        release.append(StateChange("households", "programme", leaving, NO_ONE))
        members = np.setdiff1d(members, leaving)
        places = int(round(self.spec.units * funding.share * self.timing.ramp(month)))
        if len(members) > places:
            latest = members[np.argsort(-since[members], kind="stable")[: len(members) - places]]
            release.append(StateChange("households", "programme", latest, NO_ONE))
        elif len(members) < places:
            # those released above are not free: they left the target, finished (done) or died
            free = np.flatnonzero(eligible & (h.programme == NO_ONE) & (done != h.uid))
            if len(free):
                u = uniforms(self.key, STREAM_MEASURES, month, h.uid[free], self.index)  # a household's luck
                chosen = free[np.argsort(u, kind="stable")[: places - len(members)]]
                since[chosen] = month
                release.append(StateChange("households", "programme", chosen, slot))
        values = {name: value * deliver for name, value in self.effects.items()}
        return Delivered(deliver, programme_levers=(slot, values), changes=release)


class Construction(Delivery):
    """Built when its one-off cost has been paid (after ``lag_months`` at full funding, later when underfunded);
    then its state changes apply once (place or building quality of the worst in the target, rent levy) and its
    levers act from then on at its intensity, fading with the half-life."""

    kind = "construction"
    one_off = True
    state_effects = {"place_quality": "rise of the target places' quality (once, when built)",
                     "building_quality": "rise of the target buildings' quality (once, when built)",
                     "rent_levy": "EUR/month added to sitting tenants' rents (once, when built)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.built_month = -1  # month it was completed (-1: not yet)

    @classmethod
    def check(cls, entry: "MeasureType") -> list[str]:
        problems = super().check(entry)
        if "place_quality" in entry.effects and entry.place_kind is None:
            problems.append("place_quality needs a place_kind")
        if entry.place_kind is not None and entry.place_kind not in PLACE_KINDS:
            problems.append(f"place_kind {entry.place_kind!r}: expected one of {', '.join(PLACE_KINDS)}")
        return problems

    @classmethod
    def uses_reference(cls, entry: "MeasureType") -> bool:
        return bool(entry.lever_effects)

    def start(self, state: State) -> None:
        super().start(state)
        kind = self.entry.place_kind
        if kind is not None and len(self.places(state)) == 0:
            raise EmptyTarget("target.blocks", f"no place of kind {kind!r} in the target blocks")

    def places(self, state: State) -> np.ndarray:
        """The target's places of the entry's kind."""
        pl = state.places
        ok = (pl.area == self.area) & (pl.kind == PLACE_KINDS.index(self.entry.place_kind))
        if self.blocks is not None:
            ok &= np.isin(pl.block, self.blocks)
        return np.flatnonzero(ok)

    def buildings(self, state: State) -> np.ndarray:
        """The target's buildings."""
        b = state.buildings
        ok = state.blocks.area[b.block] == self.area
        if self.blocks is not None:
            ok &= np.isin(b.block, self.blocks)
        return np.flatnonzero(ok)

    def apply(self, state: State, month: int, funding: "Funding", households: float) -> Delivered:
        changes = []
        if self.built_month < 0:
            if not self.timing.scheduled(month) or not funding.paid_in_full:
                return Delivered(0.0, self.area_levers(0.0))
            self.built_month = month
            changes = self.build(state)
        intensity = self.spec.units * 1000.0 / max(households, 1.0) / self.entry.reference
        level = saturation(intensity) * self.timing.remaining(month - self.built_month)
        return Delivered(level, self.area_levers(level), changes=changes)

    def build(self, state: State) -> list[StateChange]:
        """The one-off state changes on completion: the worst places or buildings of the target improve."""
        eff, units, changes = self.effects, int(round(self.spec.units)), []
        if "place_quality" in eff:
            changes.append(improve_worst("places", state.places.quality, self.places(state), units,
                                         eff["place_quality"]))
        if "building_quality" in eff:
            renovation = improve_worst("buildings", state.buildings.quality, self.buildings(state), units,
                                       eff["building_quality"])
            dw = state.dwellings
            renovated = np.flatnonzero(np.isin(dw.building, renovation.index) & (dw.occupant >= 0))
            changes += [renovation, StateChange("dwellings", "rent", renovated,
                                                dw.rent[renovated] + np.float32(eff.get("rent_levy", 0.0)))]
        return changes


def improve_worst(table: str, quality: np.ndarray, candidates: np.ndarray, n: int, gain: float) -> StateChange:
    """Raise the quality of the ``n`` worst ``candidates`` (rows of ``table``) by ``gain``, to at most 1."""
    worst = candidates[np.argsort(quality[candidates], kind="stable")[:n]]
    return StateChange(table, "quality", worst, np.minimum(1.0, quality[worst] + gain))


def open_office(state: State, area: int) -> np.ndarray:
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


DELIVERIES: dict[str, type[Delivery]] = {}


def register_delivery(cls: type[Delivery]) -> type[Delivery]:
    """Make a delivery kind known to the catalogue under ``cls.kind`` (usable as a class decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Delivery)) or not getattr(cls, "kind", ""):
        raise QsimError(f"a delivery kind must be a subclass of qsim.measures.delivery.Delivery with a `kind` "
                        f"name; got {cls!r}")
    if cls.kind in DELIVERIES and DELIVERIES[cls.kind] is not cls:
        raise QsimError(f"delivery kind {cls.kind!r} is registered already ({DELIVERIES[cls.kind].__name__})")
    DELIVERIES[cls.kind] = cls
    return cls


for _kind in (Area, Programme, Construction, Office):
    register_delivery(_kind)

__all__ = ["DELIVERIES", "Area", "Construction", "Delivered", "Delivery", "EmptyTarget", "Office", "Programme",
           "StateChange", "delivery_factor", "open_office", "register_delivery", "saturation"]
