"""Labour market: employment states, hazards, skill, income, children's education.

Submodel (docs/model.md, "Labour market"). Each month every head of
household draws one uniform number against competing hazards:

* employed: job loss ``job_loss * (1 + g (0.5 - skill)) / demand ** e_loss``, entry
  into transfer receipt (working poor) and into inactivity; otherwise skill
  grows on the job.
* unemployed: job finding
  ``job_finding_max * demand**e_find * skill**e * (1 + referral_strength * r) * (1 - stigma (1 - reputation))``
  (times ``1 - care_penalty`` for single parents)
  where ``r`` in [0, 1) is the strength-weighted share of employed ties
  (same block and same group weigh more; Calvo-Armengol & Jackson 2004,
  Bayer et al. 2008). Skill depreciates while unemployed and the unemployed
  meet fewer employed people in poor blocks, so duration dependence emerges
  from heterogeneity (the more employable leave first), depreciation and the
  network; no duration curve is typed in. After ``long_term_after``
  months a spell is long-term.
* transfer receipt without unemployment: a sticky state with a low exit rate
  (``transfer_exit * skill / 0.5 * demand**e_find``).

``demand`` is the labour demand D of the macro path, floored at 0.05;
``e_find`` and ``e_loss`` are the parameters ``demand_elasticity_finding``
and ``demand_elasticity_loss`` (the city's business cycle). A measure's
JOB_DEMAND lever scales the same hazards proportionally (elasticity 1, as
before the elasticities), so measures keep their documented size.
* inactive: leaves for job search at a low rate.

Then income follows the state, children's education moves to a target set
by the parent, the places and the block's efficacy, and with a small hazard
the head is succeeded by a grown child whose skill is that education.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .. import levers as L
from ..rng import STREAM_LABOUR, household_key, key_halves, normal, step_key, uniform
from ..state import EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER
from ..threads import explicit_prange
from .common import clip01, household_income, lever, power, prefetch, unsigned

PREFETCH_AHEAD = 64  # households ahead whose data are prefetched
CHUNK = 4096  # households one thread advances at a time (threads.py)


@njit(cache=True, inline="always")
def referral_share(i, tie_target, tie_strength, labour, old_labour, group, dwelling, block_first, block_end,
                   same_block, same_group):
    """Strength-weighted share of employed ties, shrunk towards 0 for small networks: sum(w e) / (sum(w) + 1).

    A tie's strength is weighed by ``same_block`` (1 + bonus) if it lives in the own block and by
    ``same_group`` (1 + bonus) if it is of the same group. It lives in the own block if its dwelling is in
    ``block_first <= d < block_end`` (the dwellings of a block are contiguous): one dependent read less per
    tie than looking up the block of its dwelling.
    """
    num = 0.0
    den = 1.0
    for k in range(tie_target.shape[1]):  # without a branch per slot: an empty slot has strength 0
        j = max(tie_target[i, k], 0)     # (and reads household 0, adding nothing; its slot may be empty)
        w = tie_strength[i, k]
        d = dwelling[j]
        w = w * same_block if (d >= block_first) & (d < block_end) else w
        w = w * same_group if group[j] == group[i] else w
        den += w
        num += w if (labour[j] if j < i else old_labour[j]) == EMPLOYED else 0.0
    return num / den


# entries of a row of the table of per-(area, programme) constants (:func:`area_constants`); the first three
# groups hold one entry per labour state, read at ``row + group + state``
C_BASE = 0        # the state's summed exit hazards are base + slope * skill (employed, transfer, inactive)
C_SLOPE = 5
C_GAIN = 10       # the state's skill gain (share of the distance to 1) when the head stays in it
C_LOSS = 15       # job_loss / (D ** demand_elasticity_loss (1 + JOB_DEMAND lever)) (both floored at 0.05)
C_FIND = 16       # job_finding_max D ** demand_elasticity_finding (1 + JOB_DEMAND) (1 - stigma (1 - reputation)) (1 + JOB_FINDING)
C_EDUCATION = 17  # (1 - parent weight) / 2 * (0.5 + place effect (place quality - 0.5)) + CHILD_EDUCATION lever
N_CONSTANTS = 18


@njit(cache=True)
def area_constants(p, demand, reputation, area_place_quality, levers):
    """Flat (n_areas, 1 + N_PROGRAMMES, N_CONSTANTS) table (C order): the parts of the hazards and updates of
    :func:`labour_step` that depend only on the household's area, programme and state, computed once a month.

    ``D = demand (1 + JOB_DEMAND lever)`` is the local labour demand. Flat, so that a household's row
    starts at ``(a * n_columns + column) * N_CONSTANTS`` and its entries are read at fixed offsets.
    """
    n_areas, n_columns = levers.shape[0], levers.shape[1]
    c3 = np.zeros((n_areas, n_columns, N_CONSTANTS))
    half_rest = (1.0 - p.child_education_parent_weight) * 0.5
    transfer_entry = p.transfer_entry_employed * 2.0
    for a in range(n_areas):
        stigma = 1.0 - p.stigma_strength * (1.0 - reputation[a])
        for prog in range(-1, n_columns - 1):  # no programme, then each programme
            q = prog + 1
            # the city's demand D with its elasticities, the area's JOB_DEMAND lever proportionally
            local_demand = max(demand, 0.05)
            measure_demand = max(1.0 + lever(levers, a, prog, L.JOB_DEMAND), 0.05)
            finding = 1.0 + lever(levers, a, prog, L.JOB_FINDING)
            training = lever(levers, a, prog, L.SKILL_GAIN)
            demand_finding = local_demand ** p.demand_elasticity_finding * measure_demand  # finding, transfer exit
            loss = p.job_loss / (local_demand ** p.demand_elasticity_loss * measure_demand)
            c3[a, q, C_LOSS] = loss
            c3[a, q, C_FIND] = p.job_finding_max * demand_finding * stigma * finding
            place = 0.5 + p.child_education_place_effect * (area_place_quality[a] - 0.5)  # (channel, off at 0)
            c3[a, q, C_EDUCATION] = half_rest * place + lever(levers, a, prog, L.CHILD_EDUCATION)
            # employed: loss (1 + g (0.5 - s)) + transfer_entry (1 - s) + inactive_entry, the same sum as the
            # hazards in labour_step (rounded differently in the last bit)
            g = p.job_loss_skill_gradient
            c3[a, q, C_BASE + EMPLOYED] = loss * (1.0 + 0.5 * g) + transfer_entry + p.inactive_entry
            c3[a, q, C_SLOPE + EMPLOYED] = -(loss * g + transfer_entry)
            c3[a, q, C_SLOPE + TRANSFER] = p.transfer_exit / 0.5 * demand_finding * finding  # exit: (s / 0.5) ...
            c3[a, q, C_BASE + INACTIVE] = p.inactive_exit
            c3[a, q, C_GAIN + EMPLOYED] = p.skill_gain_employed + training
            c3[a, q, C_GAIN + SHORT_TERM_UNEMPLOYED] = training
            c3[a, q, C_GAIN + LONG_TERM_UNEMPLOYED] = training
            c3[a, q, C_GAIN + TRANSFER] = training
    return c3.ravel()


@njit(cache=True)
def transition(p, u, state, months, s, wage, r, single_parent, c, row):
    """One month of the competing hazards for a head (docs/model.md 7.2): its new (labour state, months of
    the unemployment spell, skill (not clipped yet), wage).

    ``u``: its uniform draw; ``r``: its referral share (:func:`referral_share`, read only while unemployed);
    ``single_parent``: one adult with children (the care penalty); ``c``, ``row``: the table of
    :func:`area_constants` and the head's row in it (its area and programme). Used for the residents
    (:func:`labour_step`) and for the original residents who left the city (``kernels.leavers``). Not
    inlined by numba, and it writes no array: either costs reference counts in the caller's loop (4 times
    the cost of the labour step, measured); LLVM inlines it.
    """
    if state == SHORT_TERM_UNEMPLOYED or state == LONG_TERM_UNEMPLOYED:
        h_find = c[unsigned(row + C_FIND)] * power(s, p.job_finding_skill_exponent) * (1.0 + p.referral_strength * r)
        if single_parent:
            h_find *= 1.0 - p.care_penalty
        h_find = min(h_find, 0.95)
        h_transfer = p.transfer_entry_unemployed if state == LONG_TERM_UNEMPLOYED else 0.0
        if u < h_find:
            return EMPLOYED, 0, s, p.wage_base + p.wage_skill * s
        if u < h_find + h_transfer:
            return TRANSFER, months, s, wage
        if u < h_find + h_transfer + p.inactive_entry:
            return INACTIVE, months, s, wage
        months = min(months + 1, 32000)
        if months >= p.long_term_after:
            state = LONG_TERM_UNEMPLOYED
        s -= p.skill_depreciation * s
        return state, months, s + c[unsigned(row + C_GAIN + state)] * (1.0 - s), wage
    # employed, transfer or inactive: the state's summed hazards and skill gain (no branch on the state: it is
    # unpredictable from one household to the next); a branch only for the rare transition
    if u >= c[unsigned(row + C_BASE + state)] + c[unsigned(row + C_SLOPE + state)] * s:
        return state, months, s + c[unsigned(row + C_GAIN + state)] * (1.0 - s), wage
    if state == EMPLOYED:
        h_loss = c[unsigned(row + C_LOSS)] * (1.0 + p.job_loss_skill_gradient * (0.5 - s))
        if u < h_loss:
            return SHORT_TERM_UNEMPLOYED, 0, s, wage
        if u < h_loss + p.transfer_entry_employed * 2.0 * (1.0 - s):
            return TRANSFER, months, s, wage
        return INACTIVE, months, s, wage
    if state == TRANSFER:
        return EMPLOYED, months, s, p.wage_base + p.wage_skill * s
    return SHORT_TERM_UNEMPLOYED, 0, s, wage  # inactive: into job search


IN_CHUNK = 0  # a household advanced in its chunk's pass (labour_step)
LATER = 1     # a job seeker advanced after the chunks' passes


@njit(cache=True, inline="always")
def reads_unfinished(i, start, tie_target, phase):
    """True if job seeker i (in the chunk from slot ``start``) has a tie in an earlier slot whose state is not
    final when its chunk's pass reaches it: in an earlier chunk (advanced in parallel), or LATER itself."""
    later = False
    for k in range(tie_target.shape[1]):
        j = tie_target[i, k]
        later |= (j >= 0) & (j < i) & ((j < start) | (phase[max(j, start)] == LATER))
    return later


@njit(cache=True, parallel=explicit_prange())
def labour_step(key, step, p, demand, h, dw, blk, ar, area_place_quality, levers):
    """Advance the labour market one month for every household (in place): docs/model.md 7.2.

    ``p``: the labour parameters; ``demand``: labour demand D(t); ``h``, ``dw``, ``blk``, ``ar``: the views
    of the households, dwellings, blocks and areas (``State.<group>.view()``); ``area_place_quality``: the
    mean place quality of each area; ``levers``: the month's lever table (``common.lever_table``). Writes the
    households' labour state, spell, skill, wage, income and children's education.

    The result is that of one loop over the slots in order, in which a job seeker reads the states of its ties
    in earlier slots as updated this month (threads.py): the chunks of CHUNK slots are advanced in parallel,
    each in slot order, except the job seekers that would read a state not final yet (:func:`reads_unfinished`,
    a few per cent of the households), which are then advanced one after the other in slot order.
    """
    c = area_constants(p, demand, ar.reputation, area_place_quality, levers)
    old_labour = h.labour.copy()
    n = h.alive.shape[0]
    phase = np.zeros(n, np.int8)
    for chunk in prange((n + CHUNK - 1) // CHUNK):
        _labour_slots(key, step, p, h, dw, blk, c, levers, old_labour, phase, False, chunk * CHUNK,
                      min(chunk * CHUNK + CHUNK, n))
    _labour_slots(key, step, p, h, dw, blk, c, levers, old_labour, phase, True, 0, n)


@njit(cache=True)
def _labour_slots(key, step, p, h, dw, blk, c, levers, old_labour, phase, later, start, stop):
    """The labour month (:func:`labour_step`) of the households in slots ``start:stop``: a chunk's pass, which
    marks the job seekers it leaves for later in ``phase``, or (``later``) the pass of those. ``c``: the
    month's :func:`area_constants`; ``old_labour``: the labour states before the month."""
    # the arrays are read from their tuples once, here (a field read in the loop costs reference counts)
    alive, rng_key, dwelling, group, adults, children = h.alive, h.rng_key, h.dwelling, h.group, h.adults, h.children
    labour, unemployed_months, skill, wage, income = h.labour, h.unemployed_months, h.skill, h.wage, h.income
    child_education, programme, tie_target, tie_strength = h.child_education, h.programme, h.tie_target, h.tie_strength
    dw_block, dw_area = dw.block, dw.area
    blk_first, blk_n, block_efficacy = blk.first_dwelling, blk.n_dwellings, blk.efficacy_lagged
    skey = step_key(key, STREAM_LABOUR, step)
    K = tie_target.shape[1]
    n_columns = levers.shape[1]
    half_rest = (1.0 - p.child_education_parent_weight) * 0.5
    same_block = 1.0 + p.referral_same_block_bonus
    same_group = 1.0 + p.referral_same_group_bonus
    for i in range(start, stop):
        if later & (phase[i] != LATER):
            continue
        # ask for the data of a household further on: its tie rows (read only if it is unemployed, too sparsely
        # for the hardware to foresee) and its own arrays (more streams than the hardware follows; this pays
        # at 1e6 households, at 1e5 it makes no difference)
        f = i + PREFETCH_AHEAD
        prefetch(tie_target, f * K)
        prefetch(tie_strength, f * K)
        prefetch(rng_key, f)
        prefetch(dwelling, f)
        prefetch(skill, f)
        prefetch(wage, f)
        prefetch(income, f)
        prefetch(child_education, f)
        prefetch(labour, f)
        prefetch(unemployed_months, f)
        if not alive[i]:
            continue
        d = unsigned(dwelling[i])  # indices without wrap-around (common.unsigned)
        a = dw_area[d]
        b = unsigned(dw_block[d])
        row = (a * n_columns + programme[i] + 1) * N_CONSTANTS  # the household's area and programme (0: none)
        akey = household_key(skey, rng_key[i])
        s = skill[i]
        state = labour[i]
        u, u_succession = key_halves(akey)  # 32 bits each: the competing hazards, succession
        r = 0.0
        if state == SHORT_TERM_UNEMPLOYED or state == LONG_TERM_UNEMPLOYED:  # the ties only for the unemployed
            if (not later) and reads_unfinished(i, start, tie_target, phase):
                phase[i] = LATER  # advanced after the chunks' passes
                continue
            first = blk_first[b]
            r = referral_share(i, tie_target, tie_strength, labour, old_labour, group, dwelling, first,
                               first + blk_n[b], same_block, same_group)
        spell, w = unemployed_months[i], wage[i]
        new_state, new_spell, s, new_w = transition(p, u, state, spell, s, w, r,
                                                    (adults[i] == 1) & (children[i] > 0), c, row)
        if new_state != state:  # written only when changed, as most households stay in their state
            labour[i] = new_state
        if new_spell != spell:
            unemployed_months[i] = new_spell
        if new_w != w:
            wage[i] = new_w

        # children's education: parent, places and block efficacy, plus measures
        target = p.child_education_parent_weight * s + half_rest * block_efficacy[b] + c[unsigned(row + C_EDUCATION)]
        child_education[i] += p.child_education_rate * (clip01(target) - child_education[i])

        # succession: a grown child takes over with the skill of its education
        if u_succession < p.generation_turnover:
            s = child_education[i] + 0.1 * normal(akey, 1)
            child_education[i] = clip01(s)
            unemployed_months[i] = 0
            labour[i] = EMPLOYED if uniform(akey, 3) < clip01(s) else SHORT_TERM_UNEMPLOYED
            wage[i] = p.wage_base + p.wage_skill * clip01(s)
        skill[i] = clip01(s)

        # income follows the state
        income[i] = household_income(p, labour[i], unemployed_months[i], wage[i], adults[i], children[i])
