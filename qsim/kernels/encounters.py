"""Encounters and ties: meeting in the building, the block and at places.

Submodel (docs/model.md, "Encounters and ties"). Each household makes
``encounters_per_month`` attempts. An attempt lands in the own building,
the own block, or at one of the area's places (a random resident of the
area), the latter only with probability equal to the area's mean place
quality times (1 + the ENCOUNTERS lever). The MIXING lever arranges a share
of place encounters across groups (festivals, neighbourhood centres).

An encounter between groups is a conflict with probability
``conflict_probability * (1 - out-group trust) * (1 - CONFLICT_REDUCTION)``;
otherwise it is a friendly contact (the contact effect in trust). A
friendly encounter becomes a tie with probability ``tie_formation`` (times
``1 - homophily`` across groups), or reinforces an existing tie. Ties are
reciprocal; each household holds at most K of them, replacing its weakest
when full. Every tie decays each month and is dropped below
``tie_min_strength``: ties are kept up only by meeting again, so ties to
households that moved away (and meet only at places) fade.
"""

from __future__ import annotations

from numba import njit

from .. import levers as L
from ..rng import STREAM_ENCOUNTERS, agent_key, below, step_key, uniform
from .common import lever


@njit(cache=True, inline="always")
def _add_or_reinforce(i, j, tie_target, tie_strength, initial, reinforcement, may_form):
    """Reinforce i's tie to j, or form one if ``may_form``; return True if a tie exists afterwards."""
    K = tie_target.shape[1]
    weakest = 0
    weakest_s = 2.0
    for k in range(K):
        t = tie_target[i, k]
        if t == j:
            tie_strength[i, k] = min(1.0, tie_strength[i, k] + reinforcement)
            return True
        s = tie_strength[i, k] if t >= 0 else -1.0
        if s < weakest_s:
            weakest_s = s
            weakest = k
    if may_form and weakest_s < initial:
        tie_target[i, weakest] = j
        tie_strength[i, weakest] = initial
        return True
    return False


@njit(cache=True)
def encounters_step(key, step, p, alive, dwelling, occupant, dw_building, dw_block, dw_area, group, trust_out,
                    programme, friendly_contacts, conflicts, tie_target, tie_strength,
                    bld_first, bld_n, blk_first, blk_n, area_first, area_n, area_place_quality,
                    levers, record):
    """One month of encounters, tie formation and decay (in place).

    ``record`` False runs the tie spin-up: no conflicts or contacts are counted.
    """
    skey = step_key(key, STREAM_ENCOUNTERS, step)
    n = alive.shape[0]
    K = tie_target.shape[1]
    for i in range(n):
        friendly_contacts[i] = 0
        conflicts[i] = 0
    whole = int(p.encounters_per_month)
    frac = p.encounters_per_month - whole
    for i in range(n):
        if not alive[i]:
            continue
        d = dwelling[i]
        a = dw_area[d]
        prog = programme[i]
        akey = agent_key(skey, i)
        attempts = whole + (1 if uniform(akey, 0) < frac else 0)
        place_chance = area_place_quality[a] * (1.0 + lever(levers, a, prog, L.ENCOUNTERS))
        mixing = lever(levers, a, prog, L.MIXING)
        conflict_chance = p.conflict_probability * (1.0 - lever(levers, a, prog,
                                                                L.CONFLICT_REDUCTION))
        for e in range(attempts):
            c = 1 + 8 * e
            u = uniform(akey, c)
            if u < p.share_building:
                bld = dw_building[d]
                target = bld_first[bld] + below(akey, c + 1, bld_n[bld])
            elif u < p.share_building + p.share_block:
                blk = dw_block[d]
                target = blk_first[blk] + below(akey, c + 1, blk_n[blk])
            else:
                if uniform(akey, c + 2) >= place_chance:
                    continue
                target = area_first[a] + below(akey, c + 1, area_n[a])
                if uniform(akey, c + 3) < mixing:  # arranged mixing: look for the other group
                    for tries in range(4):
                        j = occupant[target]
                        if j >= 0 and group[j] != group[i]:
                            break
                        target = area_first[a] + below(akey, c + 4 + tries, area_n[a])
            j = occupant[target]
            if j < 0 or j == i:
                continue
            same = group[j] == group[i]
            form = uniform(akey, c + 5) < p.tie_formation
            if not same:
                if record and uniform(akey, c + 6) < conflict_chance * (1.0 - trust_out[i]):
                    if conflicts[i] < 127:
                        conflicts[i] += 1
                    if conflicts[j] < 127:
                        conflicts[j] += 1
                    continue
                if record:
                    if friendly_contacts[i] < 127:
                        friendly_contacts[i] += 1
                    if friendly_contacts[j] < 127:
                        friendly_contacts[j] += 1
                form = form and uniform(akey, c + 7) >= p.homophily
            if _add_or_reinforce(i, j, tie_target, tie_strength, p.tie_initial_strength, p.tie_reinforcement, form):
                _add_or_reinforce(j, i, tie_target, tie_strength, p.tie_initial_strength, p.tie_reinforcement, True)
    # decay
    keep = 1.0 - p.tie_decay
    for i in range(n):
        if not alive[i]:
            continue
        for k in range(K):
            if tie_target[i, k] < 0:
                continue
            s = tie_strength[i, k] * keep
            if s < p.tie_min_strength:
                tie_target[i, k] = -1
                tie_strength[i, k] = 0.0
            else:
                tie_strength[i, k] = s
