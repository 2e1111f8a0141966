"""The household agent of the reference model: one ``mesa`` agent per household.

A :class:`Household` lives in a dwelling of a block (its Mesa cell) and
holds its own attributes (names and units as in ``qsim.state.Households``)
and its social ties (``ties``: the other household -> strength 0-1, the
same strength held at both ends).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa.discrete_space import CellAgent

if TYPE_CHECKING:
    from .model import ReferenceModel
    from .space import Area, Building, Dwelling


class Household(CellAgent):
    """One household; its head carries the labour-market state and the skill."""

    def __init__(self, model: "ReferenceModel", dwelling: "Dwelling", uid: int, slot: int, **attributes):
        super().__init__(model)
        self.uid = uid          # the core's household uid (stable id)
        self.slot = slot        # row in the measure bridge's arrays (see measures.py)
        self.dwelling = dwelling
        self.group = 0
        self.adults = 1
        self.children = 0
        self.labour = 0
        self.unemployed_months = 0
        self.skill = 0.0
        self.wage = 0.0
        self.income = 0.0
        self.child_education = 0.0
        self.trust_in = 0.0
        self.trust_out = 0.0
        self.trust_inst = 0.0
        self.efficacy = 0.0
        self.attachment = 0.0
        self.threshold = 0.0
        self.participating = False
        self.satisfaction = 0.5
        self.tenure = 0
        self.programme = -1
        self.friendly_contacts = 0
        self.conflicts = 0
        self.ties: dict[Household, float] = {}
        for name, value in attributes.items():
            setattr(self, name, value)
        dwelling.occupant = self
        self.cell = dwelling.block
        dwelling.block.group_count[self.group] += 1

    # ------------------------------------------------------------ where
    @property
    def building(self) -> "Building":
        return self.dwelling.building

    @property
    def area(self) -> "Area":
        return self.cell.area

    def lever(self, which: int) -> float:
        """Value of a lever for this household: its area's plus its programme's (levers.py)."""
        value = self.cell.area.levers[which]
        if self.programme >= 0:
            value += self.model.programme_levers[self.programme][which]
        return value

    # ------------------------------------------------------------ ties
    def room_for_tie(self, initial: float) -> "Household | None | bool":
        """True if a tie slot is free; else the tie to drop (the weakest, if weaker than ``initial``); else None."""
        if len(self.ties) < self.model.tie_slots:
            return True
        weakest, weakest_s = None, initial
        for other, s in self.ties.items():
            if s < weakest_s:
                weakest, weakest_s = other, s
        return weakest

    def form_tie(self, other: "Household", initial: float) -> bool:
        """A new tie with ``other`` if both have room (the weakest tie may give way); True if formed."""
        if initial <= 0.0:
            return False
        mine = self.room_for_tie(initial)
        if mine is None:
            return False
        theirs = other.room_for_tie(initial)
        if theirs is None:
            return False
        if mine is not True:
            self.drop_tie(mine)
        if theirs is not True and theirs in other.ties:
            other.drop_tie(theirs)
        self.ties[other] = initial
        other.ties[self] = initial
        return True

    def drop_tie(self, other: "Household") -> None:
        """Remove the tie with ``other`` at both ends."""
        self.ties.pop(other, None)
        other.ties.pop(self, None)

    def leave_city(self) -> None:
        """Vacate the dwelling, drop every tie and leave the model."""
        for other in list(self.ties):
            self.drop_tie(other)
        self.cell.group_count[self.group] -= 1
        self.dwelling.occupant = None
        self.dwelling = None
        self.participating = False
        self.programme = -1
        self.model.free_slots.append(self.slot)
        self.remove()

    def move_to(self, dwelling: "Dwelling") -> None:
        """Move into a vacant dwelling of the city (keeps ties and attributes)."""
        self.cell.group_count[self.group] -= 1
        self.dwelling.occupant = None
        dwelling.occupant = self
        self.dwelling = dwelling
        self.cell = dwelling.block
        dwelling.block.group_count[self.group] += 1
