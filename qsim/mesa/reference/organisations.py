"""Organisations and the actor network (ODD 7.8; kernel ``qsim/kernels/organisations.py``).

Capacity relaxes to base + ORG_CAPACITY lever. Every pair of organisations
of an area: the tie decays, and with probability ``tie_formation x cap_i x
cap_j x (1 + NETWORKING)`` (doubled with the QM office) gains 0.2. Per
area: density = mean tie strength over pairs; coordination = density x
mean capacity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import levers as L
from ...state import QM_OFFICE
from .common import clip01

if TYPE_CHECKING:
    from .model import ReferenceModel


def organisations_step(model: "ReferenceModel") -> None:
    p = model.params.organisations
    random = model.random
    for area in model.areas:
        orgs = area.organisations
        for org in orgs:
            target = clip01(org.base_capacity + area.levers[L.ORG_CAPACITY])
            org.capacity += p.capacity_relax * (target - org.capacity)
        for k, a in enumerate(orgs):
            for b in orgs[k + 1:]:
                s = a.ties.get(b, 0.0) * (1.0 - p.tie_decay)
                chance = p.tie_formation * a.capacity * b.capacity * (1.0 + area.levers[L.NETWORKING])
                if a.kind == QM_OFFICE or b.kind == QM_OFFICE:
                    chance *= 2.0
                if random.random() < chance:
                    s = min(1.0, s + 0.2)
                a.ties[b] = s
                b.ties[a] = s
        pairs = len(orgs) * (len(orgs) - 1) // 2
        strength = sum(a.ties.get(b, 0.0) for k, a in enumerate(orgs) for b in orgs[k + 1:])
        area.network_density = strength / pairs if pairs > 0 else 0.0
        area.coordination = area.network_density * (sum(o.capacity for o in orgs) / len(orgs) if orgs else 0.0)
