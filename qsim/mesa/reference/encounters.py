"""Encounters and ties (ODD 7.3; kernel ``qsim/kernels/encounters.py``).

Every household makes ``encounters_per_month`` encounter attempts: in its
building, its block, or (with probability mean place quality x (1 +
ENCOUNTERS lever)) at the area's places with any resident of the area; the
MIXING lever arranges place encounters across groups. An encounter between
groups is a conflict with probability ``conflict_probability x (1 -
out-group trust) x (1 - CONFLICT_REDUCTION)``, else a friendly contact. A
friendly encounter reinforces an existing tie or forms a new one (less
likely across groups: homophily). All ties decay every month and are
dropped when too weak.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import levers as L
from .common import below

if TYPE_CHECKING:
    from .model import ReferenceModel


def encounters_step(model: "ReferenceModel") -> None:
    p = model.params.encounters
    random = model.random
    households = list(model.agents)
    for hh in households:
        hh.friendly_contacts = 0
        hh.conflicts = 0
    whole = int(p.encounters_per_month)
    frac = p.encounters_per_month - whole
    in_building, in_block = p.share_building, p.share_building + p.share_block
    for hh in households:
        area = hh.cell.area
        attempts = whole + (1 if random.random() < frac else 0)
        place_chance = area.place_quality * (1.0 + hh.lever(L.ENCOUNTERS))
        mixing = hh.lever(L.MIXING)
        conflict_chance = p.conflict_probability * (1.0 - hh.lever(L.CONFLICT_REDUCTION))
        for _ in range(attempts):
            u = random.random()
            if u < in_building:
                dwellings = hh.dwelling.building.dwellings
                target = dwellings[below(random, len(dwellings))]
            elif u < in_block:
                dwellings = hh.cell.dwellings
                target = dwellings[below(random, len(dwellings))]
            else:
                if u - in_block >= place_chance * (1.0 - in_block):
                    continue  # no encounter at a place this time
                dwellings = area.dwellings
                target = dwellings[below(random, len(dwellings))]
                if random.random() < mixing:  # arranged mixing: look for someone of the other group
                    for _ in range(4):
                        if target.occupant is not None and target.occupant.group != hh.group:
                            break
                        target = dwellings[below(random, len(dwellings))]
            other = target.occupant
            if other is None or other is hh:
                continue
            if other.group != hh.group:
                if random.random() < conflict_chance * (1.0 - hh.trust_out):
                    hh.conflicts = min(127, hh.conflicts + 1)
                    other.conflicts = min(127, other.conflicts + 1)
                    continue
                hh.friendly_contacts = min(127, hh.friendly_contacts + 1)
                other.friendly_contacts = min(127, other.friendly_contacts + 1)
            if other in hh.ties:
                strength = min(1.0, hh.ties[other] + p.tie_reinforcement)
                hh.ties[other] = strength
                other.ties[hh] = strength
            elif random.random() < p.tie_formation and (other.group == hh.group
                                                        or random.random() >= p.homophily):
                hh.form_tie(other, p.tie_initial_strength)
    # decay: every tie once (both ends hold the same strength); too weak ties are dropped
    keep = 1.0 - p.tie_decay
    for hh in households:
        for other, strength in list(hh.ties.items()):
            if other.unique_id < hh.unique_id:
                continue  # handled from the other end
            strength *= keep
            if strength < p.tie_min_strength:
                hh.drop_tie(other)
            else:
                hh.ties[other] = strength
                other.ties[hh] = strength
