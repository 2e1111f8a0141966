"""Labour market (ODD 7.2; kernel ``qsim/kernels/labour.py``).

Every head draws one uniform number against competing hazards of its
state; job finding rises with skill, labour demand, employed ties
(referrals) and the area's reputation (stigma). Then children's education
moves to its target, a grown child may succeed the head, and income
follows the state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import levers as L
from ...state import EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER
from .common import clip01, household_income

if TYPE_CHECKING:
    from .agents import Household
    from .model import ReferenceModel


def referral_share(household: "Household", p) -> float:
    """Strength-weighted share of employed ties, shrunk towards 0: sum(w e) / (sum(w) + 1)."""
    num, den = 0.0, 1.0
    for other, strength in household.ties.items():
        w = strength
        if other.cell is household.cell:
            w *= 1.0 + p.referral_same_block_bonus
        if other.group == household.group:
            w *= 1.0 + p.referral_same_group_bonus
        den += w
        if other.labour == EMPLOYED:
            num += w
    return num / den


def labour_step(model: "ReferenceModel", demand: float) -> None:
    p = model.params.labour
    random = model.random
    for hh in model.agents:
        area = hh.cell.area
        measure_demand = max(1.0 + hh.lever(L.JOB_DEMAND), 0.05)  # the city's demand with its elasticities
        finding_demand = max(demand, 0.05) ** p.demand_elasticity_finding * measure_demand
        loss_demand = max(demand, 0.05) ** p.demand_elasticity_loss * measure_demand
        s = hh.skill
        state = hh.labour
        u = random.random()
        training = hh.lever(L.SKILL_GAIN)
        if state == EMPLOYED:
            h_loss = p.job_loss * (1.0 + p.job_loss_skill_gradient * (0.5 - s)) / loss_demand
            h_transfer = p.transfer_entry_employed * 2.0 * (1.0 - s)
            if u < h_loss:
                hh.labour = SHORT_TERM_UNEMPLOYED
                hh.unemployed_months = 0
            elif u < h_loss + h_transfer:
                hh.labour = TRANSFER
            elif u < h_loss + h_transfer + p.inactive_entry:
                hh.labour = INACTIVE
            else:
                s += (p.skill_gain_employed + training) * (1.0 - s)
        elif state == SHORT_TERM_UNEMPLOYED or state == LONG_TERM_UNEMPLOYED:
            h_find = (p.job_finding_max * finding_demand * s ** p.job_finding_skill_exponent
                      * (1.0 + p.referral_strength * referral_share(hh, p))
                      * (1.0 - p.stigma_strength * (1.0 - area.reputation))
                      * (1.0 + hh.lever(L.JOB_FINDING)))
            if hh.adults == 1 and hh.children > 0:
                h_find *= 1.0 - p.care_penalty
            h_find = min(h_find, 0.95)
            h_transfer = p.transfer_entry_unemployed if state == LONG_TERM_UNEMPLOYED else 0.0
            if u < h_find:
                hh.labour = EMPLOYED
                hh.unemployed_months = 0
                hh.wage = p.wage_base + p.wage_skill * s
            elif u < h_find + h_transfer:
                hh.labour = TRANSFER
            elif u < h_find + h_transfer + p.inactive_entry:
                hh.labour = INACTIVE
            else:
                hh.unemployed_months = min(hh.unemployed_months + 1, 32000)
                if hh.unemployed_months >= p.long_term_after:
                    hh.labour = LONG_TERM_UNEMPLOYED
                s -= p.skill_depreciation * s
                s += training * (1.0 - s)
        elif state == TRANSFER:
            h_exit = p.transfer_exit * (s / 0.5) * finding_demand * (1.0 + hh.lever(L.JOB_FINDING))
            if u < h_exit:
                hh.labour = EMPLOYED
                hh.wage = p.wage_base + p.wage_skill * s
            else:
                s += training * (1.0 - s)
        else:  # INACTIVE
            if u < p.inactive_exit:
                hh.labour = SHORT_TERM_UNEMPLOYED
                hh.unemployed_months = 0

        # children's education: parent, places and the block's lagged efficacy, plus measures
        target = (p.child_education_parent_weight * s
                  + (1.0 - p.child_education_parent_weight) * 0.5
                  * (0.5 + p.child_education_place_effect * (area.place_quality - 0.5) + hh.cell.efficacy_lagged)
                  + hh.lever(L.CHILD_EDUCATION))
        hh.child_education += p.child_education_rate * (clip01(target) - hh.child_education)

        # succession: a grown child takes over with the skill of its education
        if random.random() < p.generation_turnover:
            s = hh.child_education + 0.1 * random.gauss(0.0, 1.0)
            hh.child_education = clip01(s)
            hh.unemployed_months = 0
            hh.labour = EMPLOYED if random.random() < clip01(s) else SHORT_TERM_UNEMPLOYED
            hh.wage = p.wage_base + p.wage_skill * clip01(s)
        hh.skill = clip01(s)

        hh.income = household_income(p, hh.labour, hh.unemployed_months, hh.wage, hh.adults, hh.children)
