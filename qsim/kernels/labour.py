"""Labour market: employment states, hazards, skill, income, children's education.

Submodel (docs/model.md, "Labour market"). Each month every head of
household draws one uniform number against competing hazards:

* employed: job loss ``job_loss * (1 + g (0.5 - skill)) / demand``, entry
  into transfer receipt (working poor) and into inactivity; otherwise skill
  grows on the job.
* unemployed: job finding
  ``job_finding_max * demand * skill**e * (1 + referral_strength * r) * (1 - stigma (1 - reputation))``
  (times ``1 - care_penalty`` for single parents)
  where ``r`` in [0, 1) is the strength-weighted share of employed ties
  (same block and same group weigh more; Calvo-Armengol & Jackson 2004,
  Bayer et al. 2008). Skill depreciates while unemployed and the unemployed
  meet fewer employed people in poor blocks, so duration dependence emerges
  from heterogeneity (the more employable leave first), depreciation and the
  network; no duration curve is typed in. After ``long_term_after``
  months a spell is long-term.
* transfer receipt without unemployment: a sticky state with a low exit rate.
* inactive: leaves for job search at a low rate.

Then income follows the state, children's education moves to a target set
by the parent, the places and the block's efficacy, and with a small hazard
the head is succeeded by a grown child whose skill is that education.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import levers as L
from ..rng import STREAM_LABOUR, household_key, normal, step_key, uniform, uniform_pair
from ..state import EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER
from .common import clip01, household_income, lever, prefetch


AHEAD = 4  # unemployed households ahead whose partners' tags are prefetched (their tie rows twice as far)


@njit(cache=True)
def referral_tags(alive, dwelling, dw_block, group, labour):
    """What a tie partner's referral weight needs, and who will need it.

    Returns ``tag``, one int32 per household slot: ``block * 4 + group * 2 + employed``, so that
    :func:`referral_share` reads one tag per tie instead of four dependent arrays (labour, group, dwelling and
    the dwelling's block; empty slots get a tag too, no tie points to them); and ``searching``: the slots of
    the living unemployed in slot order, followed by ``2 * AHEAD`` zeros (for the prefetches ahead).
    """
    n = dwelling.shape[0]
    tag = np.empty(n, np.int32)
    searching = np.zeros(n + 2 * AHEAD, np.int32)
    m = 0
    for i in range(n):
        state = labour[i]
        tag[i] = dw_block[max(dwelling[i], 0)] * 4 + group[i] * 2 + (1 if state == EMPLOYED else 0)
        searching[m] = i  # without a branch: kept if counted
        m += alive[i] & ((state == SHORT_TERM_UNEMPLOYED) | (state == LONG_TERM_UNEMPLOYED))
    searching[m] = 0
    return tag, searching


@njit(cache=True, inline="always")
def referral_share(i, tie_target, tie_strength, tag, same_block_bonus, same_group_bonus):
    """Strength-weighted share of employed ties, shrunk towards 0 for small networks: sum(w e) / (sum(w) + 1).

    ``tag``: :func:`referral_tags`, kept current as the loop changes labour states.
    """
    own = tag[i]
    num = 0.0
    den = 1.0
    for k in range(tie_target.shape[1]):  # without a branch per slot: an empty slot has strength 0
        t = tag[max(tie_target[i, k], 0)]  # (and reads household 0, adding nothing)
        w = (tie_strength[i, k] * (1.0 + same_block_bonus * ((t >> 2) == (own >> 2)))
             * (1.0 + same_group_bonus * (((t ^ own) & 2) == 0)))
        den += w
        num += w * (t & 1)
    return num / den


@njit(cache=True, inline="always")
def skill_power(s, exponent):
    """``s ** exponent``; the default exponent 2 as a product (a call of pow costs several times more)."""
    if exponent == 2.0:
        return s * s
    return s ** exponent


@njit(cache=True)
def labour_step(key, step, p, demand, alive, rng_key, dwelling, dw_block, dw_area, group, adults, children, labour,
                unemployed_months, skill, wage, income, child_education, programme, tie_target, tie_strength,
                reputation, area_place_quality, block_efficacy, levers):
    """Advance the labour market one month for every household (in place).

    Without a branch on the labour state (it would be mispredicted often): the hazards of every state are
    computed and the outcome chosen by selects; only the unemployed branch off to read their ties.
    """
    skey = step_key(key, STREAM_LABOUR, step)
    tag, searching = referral_tags(alive, dwelling, dw_block, group, labour)
    K = tie_target.shape[1]
    q = 0  # unemployed households visited
    for i in range(alive.shape[0]):
        if not alive[i]:
            continue
        d = dwelling[i]
        a = dw_area[d]
        b = dw_block[d]
        prog = programme[i]
        akey = household_key(skey, rng_key[i])
        u, u_succession = uniform_pair(akey, 0)  # the competing hazards; succession
        local_demand = demand * (1.0 + lever(levers, a, prog, L.JOB_DEMAND))
        training = lever(levers, a, prog, L.SKILL_GAIN)
        finding = 1.0 + lever(levers, a, prog, L.JOB_FINDING)
        s = skill[i]
        state = labour[i]
        months = unemployed_months[i]
        w = wage[i]
        employed = state == EMPLOYED
        long_term = state == LONG_TERM_UNEMPLOYED
        unemployed = (state == SHORT_TERM_UNEMPLOYED) | long_term
        transfer = state == TRANSFER

        # competing hazards of the state, tried in order against u: h1 (job loss, job finding, exit from
        # transfer receipt or from inactivity), h2 (into transfer receipt), h3 (into inactivity)
        h_loss = p.job_loss * (1.0 + p.job_loss_skill_gradient * (0.5 - s)) / max(local_demand, 0.05)
        h_exit = p.transfer_exit * (s / 0.5) * local_demand * finding
        h1 = h_loss if employed else (h_exit if transfer else p.inactive_exit)
        if unemployed:  # the one branch: only the unemployed read their ties
            # their rows and partners are scattered: prefetch the rows 2 * AHEAD unemployed ahead, and the
            # partners' tags AHEAD ahead (whose rows were prefetched before)
            later = searching[q + 2 * AHEAD]
            prefetch(tie_target, later * K)
            prefetch(tie_strength, later * K)
            soon = searching[q + AHEAD]
            for k in range(K):
                prefetch(tag, tie_target[soon, k])
            q += 1
            r = referral_share(i, tie_target, tie_strength, tag, p.referral_same_block_bonus,
                               p.referral_same_group_bonus)
            h_find = (p.job_finding_max * local_demand * skill_power(s, p.job_finding_skill_exponent)
                      * (1.0 + p.referral_strength * r) * (1.0 - p.stigma_strength * (1.0 - reputation[a]))
                      * finding)
            h_find = h_find * (1.0 - p.care_penalty) if (adults[i] == 1) & (children[i] > 0) else h_find
            h1 = min(h_find, 0.95)
        h2 = p.transfer_entry_employed * 2.0 * (1.0 - s) if employed else (
            p.transfer_entry_unemployed if long_term else 0.0)
        h3 = p.inactive_entry if employed | unemployed else 0.0
        first = u < h1
        second = u < h1 + h2  # (h2 = h3 = 0: second and third are first)
        third = u < h1 + h2 + h3
        stays = not third

        # the new state; the spell grows while unemployed
        grown = months + 1 if months < 32000 else months
        months = grown if unemployed & stays else months
        new = LONG_TERM_UNEMPLOYED if unemployed & (months >= p.long_term_after) else state
        new = INACTIVE if third else new
        new = TRANSFER if second else new
        new = (EMPLOYED if unemployed | transfer else SHORT_TERM_UNEMPLOYED) if first else new
        months = 0 if first & (not transfer) else months
        w = np.float32(p.wage_base + p.wage_skill * s) if first & (unemployed | transfer) else w
        # skill: lost while unemployed, gained on the job and from training while staying
        s -= (p.skill_depreciation if unemployed & stays else 0.0) * s
        gain = p.skill_gain_employed + training if employed else training
        s += (gain if stays & (state != INACTIVE) else 0.0) * (1.0 - s)

        # children's education: parent, places and block efficacy, plus measures
        target = (p.child_education_parent_weight * s
                  + (1.0 - p.child_education_parent_weight) * 0.5 * (area_place_quality[a] + block_efficacy[b])
                  + lever(levers, a, prog, L.CHILD_EDUCATION))
        child_education[i] += p.child_education_rate * (clip01(target) - child_education[i])

        # succession: a grown child takes over with the skill of its education
        if u_succession < p.generation_turnover:
            s = child_education[i] + 0.1 * normal(akey, 1)
            child_education[i] = clip01(s)
            months = 0
            new = EMPLOYED if uniform(akey, 3) < clip01(s) else SHORT_TERM_UNEMPLOYED
            w = np.float32(p.wage_base + p.wage_skill * clip01(s))
        skill[i] = clip01(s)
        labour[i] = new
        unemployed_months[i] = months
        wage[i] = w
        tag[i] = (tag[i] >> 1) * 2 + (1 if new == EMPLOYED else 0)

        # income follows the state
        income[i] = household_income(p, new, months, w, adults[i], children[i])
