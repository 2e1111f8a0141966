"""Participation (ODD 7.5; kernel ``qsim/kernels/participation.py``).

Granovetter thresholds: a household wants to take part when the share it
sees taking part (its ties' strength-weighted share, and the area's share
last month) reaches its effective threshold (threshold minus efficacy,
attachment and outreach, plus the cost of taking part). Participants who
still want to keep their place (unless they burn out); newcomers who want
to are admitted to the remaining opportunities with equal chances.
Participants' efficacy moves to the area's responsiveness, others' relaxes
to 0.3; attachment moves to a target of tenure, ties and satisfaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import levers as L
from .common import clip01

if TYPE_CHECKING:
    from .model import ReferenceModel


def area_responsiveness(model: "ReferenceModel") -> None:
    """Share of residents' priorities acted on, per area: base + RESPONSIVENESS lever, in [0, 1]."""
    base = model.params.participation.responsiveness_base
    for area in model.areas:
        area.responsiveness = clip01(base + area.levers[L.RESPONSIVENESS])


def participation_step(model: "ReferenceModel") -> None:
    p = model.params.participation
    random = model.random
    households = list(model.agents)
    residents = {area: 0 for area in model.areas}
    staying = dict(residents)
    wanting = dict(residents)
    wants = set()
    tie_sum = {}
    for hh in households:
        area = hh.cell.area
        residents[area] += 1
        ties = sum(hh.ties.values())
        active = sum(s for other, s in hh.ties.items() if other.participating)
        tie_sum[hh] = ties
        tie_share = active / ties if ties > 0 else 0.0
        observed = p.tie_influence * tie_share + (1.0 - p.tie_influence) * area.participation_share
        cost = max(0.0, p.cost - hh.lever(L.PARTICIPATION_COST))
        effective = (hh.threshold - p.efficacy_weight * hh.efficacy - p.attachment_weight * hh.attachment
                     - hh.lever(L.OUTREACH) + cost)
        if observed >= effective:
            if hh.participating:
                if random.random() >= p.burnout:
                    staying[area] += 1
                    continue
                hh.participating = False  # burnt out this month
            else:
                wants.add(hh)
                wanting[area] += 1
        else:
            hh.participating = False
    admit = {}
    for area in model.areas:
        places = (p.opportunities + area.levers[L.OPPORTUNITIES]) * residents[area] - staying[area]
        admit[area] = min(1.0, max(0.0, places) / wanting[area]) if wanting[area] > 0 else 0.0
    taking_part = dict(staying)
    for hh in households:
        area = hh.cell.area
        if hh in wants and random.random() < admit[area]:
            hh.participating = True
            taking_part[area] += 1
        if hh.participating:
            hh.efficacy += p.efficacy_learning * (area.responsiveness - hh.efficacy)
        else:
            hh.efficacy += p.efficacy_relax * (0.3 - hh.efficacy)
        target = 0.2 * min(1.0, hh.tenure / 120.0) + 0.4 * min(1.0, tie_sum[hh]) + 0.4 * hh.satisfaction
        hh.attachment += p.attachment_rate * (clip01(target) - hh.attachment)
    for area in model.areas:
        area.participation_share = taking_part[area] / residents[area] if residents[area] > 0 else 0.0
