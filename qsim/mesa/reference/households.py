"""New households: the attitudes every household starts with, and in-movers from outside.

Plain-Python twin of ``qsim/kernels/households.py`` and of the in-mover
part of ``_let_vacancies`` in ``qsim/kernels/mobility.py``.
"""

from __future__ import annotations

import math
from random import Random
from typing import TYPE_CHECKING

from ...state import EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER
from .common import below, clip01, household_income, logit_normal

if TYPE_CHECKING:
    from .space import Area


def draw_attitudes(random: Random, tp, pp, attachment: float) -> dict:
    """Starting trusts, efficacy, attachment and participation threshold of a new household."""
    return dict(
        trust_in=clip01(tp.in_group_base + 0.1 * random.gauss(0.0, 1.0)),
        trust_out=clip01(tp.out_group_base + 0.1 * random.gauss(0.0, 1.0)),
        trust_inst=clip01(tp.institutional_base + 0.1 * random.gauss(0.0, 1.0)),
        efficacy=clip01(0.3 + 0.1 * random.gauss(0.0, 1.0)),
        attachment=clip01(attachment),
        threshold=logit_normal(random, pp.threshold_mean, pp.threshold_concentration),
        participating=False, satisfaction=0.5, programme=-1, friendly_contacts=0, conflicts=0,
    )


def in_mover(random: Random, p, lp, area: "Area") -> dict:
    """Attributes of a household from outside that considers a vacancy in ``area`` (poorer where reputation is low).

    ``p`` are the mobility parameters, ``lp`` the labour parameters.
    """
    rep = area.reputation
    group = 1 if random.random() < p.in_mover_minority_share else 0
    relative = (area.reference_income / area.city_income - 1.0
                if area.city_income > 0.0 and area.reference_income > 0.0 else 0.0)
    skill = logit_normal(random, p.in_mover_skill_mean + p.in_mover_skill_reputation * (rep - 0.5)
                         + p.in_mover_skill_income * relative, 5.0)
    unemployed = p.in_mover_unemployed * (1.5 - rep)
    u = random.random() * max(1.0, unemployed + p.in_mover_transfer + p.in_mover_inactive)
    months = 0
    if u < unemployed:
        if random.random() < 0.5:
            state = SHORT_TERM_UNEMPLOYED
            months = below(random, int(lp.long_term_after))
        else:
            state = LONG_TERM_UNEMPLOYED
            months = int(lp.long_term_after) + below(random, 36)
    elif u < unemployed + p.in_mover_transfer:
        state = TRANSFER
    elif u < unemployed + p.in_mover_transfer + p.in_mover_inactive:
        state = INACTIVE
    else:
        state = EMPLOYED
    adults = 2 if random.random() < p.in_mover_two_adults else 1
    mean_children = p.in_mover_children * 2.0 * (1.0 - skill)
    children = 0
    if mean_children > 0.0:  # geometric with this mean, at most 4
        children = min(4, int(math.log(1.0 - random.random()) / math.log(mean_children / (1.0 + mean_children))))
    wage = lp.wage_base + lp.wage_skill * skill
    return dict(group=group, adults=adults, children=children, labour=state, unemployed_months=months, skill=skill,
                wage=wage, income=household_income(lp, state, months, wage, adults, children),
                child_education=skill, tenure=0)
