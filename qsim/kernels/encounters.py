"""Encounters and ties: meeting in the building, the block and at places.

Submodel (docs/model.md, "Encounters and ties"). Each household starts
``encounters_per_month`` encounter attempts. An attempt lands in the own
building, the own block, or at one of the area's places (a random resident
of the area), the latter only with probability equal to the area's mean
place quality times (1 + the ENCOUNTERS lever). The MIXING lever arranges a
share of place encounters across groups (festivals, neighbourhood centres).

An encounter between groups is a conflict with probability
``conflict_probability * (1 - out-group trust) * (1 - CONFLICT_REDUCTION)``;
otherwise it is a friendly contact for both (the contact effect in trust).
A friendly encounter reinforces an existing tie, or becomes a new tie with
probability ``tie_formation`` (times ``1 - homophily`` across groups).

Ties are symmetric: a tie is held in both households' rows of K slots,
with equal strength and a back-pointer (``tie_back``) to its slot in the
other row, so both ends are updated together. A new tie replaces the
weakest tie of either household when its row is full (if weaker than a new
tie). After all encounters every tie decays and is dropped below
``tie_min_strength``: ties are kept up only by meeting again, so ties to
households that moved away (and meet only at places) fade.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import levers as L
from ..rng import STREAM_ENCOUNTERS, household_key, below, step_key, uniform, uniform_pair
from .common import lever


@njit(cache=True, inline="always")
def find_tie(tie_target, i, j):
    """Slot of i's tie to j, or -1."""
    for k in range(tie_target.shape[1]):
        if tie_target[i, k] == j:
            return k
    return -1


@njit(cache=True, inline="always")
def _free_slot(tie_target, tie_strength, i, initial):
    """Slot for a new tie of i: an empty one, else the weakest if weaker than ``initial``; -1 if none."""
    weakest = -1
    weakest_s = initial
    for k in range(tie_target.shape[1]):
        if tie_target[i, k] < 0:
            return k
        if tie_strength[i, k] < weakest_s:
            weakest_s = tie_strength[i, k]
            weakest = k
    return weakest


@njit(cache=True)
def drop_tie(tie_target, tie_strength, tie_back, i, k):
    """Remove the tie in slot k of household i, at both ends."""
    j = tie_target[i, k]
    if j >= 0:
        b = tie_back[i, k]
        tie_target[j, b] = -1
        tie_strength[j, b] = 0.0
        tie_back[j, b] = -1
    tie_target[i, k] = -1
    tie_strength[i, k] = 0.0
    tie_back[i, k] = -1


@njit(cache=True)
def drop_all_ties(tie_target, tie_strength, tie_back, i):
    """Remove every tie of household i (it leaves the city), at both ends."""
    for k in range(tie_target.shape[1]):
        if tie_target[i, k] >= 0:
            drop_tie(tie_target, tie_strength, tie_back, i, k)


@njit(cache=True, inline="always")
def _form_tie(tie_target, tie_strength, tie_back, i, j, initial):
    """A new tie between i and j if both have room; returns True if formed (never with strength 0)."""
    if initial <= 0.0:
        return False
    ki = _free_slot(tie_target, tie_strength, i, initial)
    if ki < 0:
        return False
    kj = _free_slot(tie_target, tie_strength, j, initial)
    if kj < 0:
        return False
    if tie_target[i, ki] >= 0:
        drop_tie(tie_target, tie_strength, tie_back, i, ki)
    if tie_target[j, kj] >= 0:
        drop_tie(tie_target, tie_strength, tie_back, j, kj)
    tie_target[i, ki] = j
    tie_target[j, kj] = i
    tie_back[i, ki] = kj
    tie_back[j, kj] = ki
    tie_strength[i, ki] = initial
    tie_strength[j, kj] = initial
    return True


@njit(cache=True, inline="always")
def _attempts(akey, whole, frac):
    """Encounter attempts of one household this month: ``whole``, plus one with probability ``frac``."""
    return whole + 1 if frac > 0.0 and uniform(akey, 0) < frac else whole


@njit(cache=True)
def encounter_partners(skey, p, alive, rng_key, dwelling, occupant, dw_building, dw_block, dw_area, group, trust_out,
                       programme, bld_first, bld_n, blk_first, blk_n, area_first, area_n, area_place_quality, levers):
    """Whom each household meets this month, and how: (n, attempts) codes, -1 for no encounter.

    A code is ``j << 3 | form << 2 | conflict << 1 | across`` for partner slot j (so j < 2**28): ``across``
    if j is of the other group, ``conflict`` if such an encounter turns into a conflict (probability
    conflict chance x (1 - out-group trust)), ``form`` if a new tie would form (draw x < tie_formation, and
    across groups also x >= tie_formation x homophily: probability tie_formation x (1 - homophily)).
    An attempt lands in the own building (share_building), the own block (share_block) or at a place
    (a random resident of the area), the last only with probability place quality x (1 + ENCOUNTERS);
    it meets nobody at a vacant dwelling or at home. Only the residents' locations, groups and out-group
    trust are read, which encounters do not change, so all partners and draws can be found before any
    encounter is played out: this loop has no dependence between households, and the memory reads of many
    households overlap; the play-out loop draws no random numbers.
    """
    n = alive.shape[0]
    whole = int(p.encounters_per_month)
    frac = p.encounters_per_month - whole
    local_share = p.share_building + p.share_block  # building or block
    place_share = 1.0 - p.share_building - p.share_block
    met = np.full((n, whole + (1 if frac > 0.0 else 0)), -1, np.int32)
    # first dwelling and number of dwellings of the own building, block and area (site 0, 1, 2). An indexed
    # read from this small table, unlike a conditional expression, is not compiled into a (mispredicted) branch.
    ranges = np.empty(6, np.int64)
    for i in range(n):
        if not alive[i]:
            continue
        d = dwelling[i]
        a = dw_area[d]
        prog = programme[i]
        akey = household_key(skey, rng_key[i])
        place_chance = area_place_quality[a] * (1.0 + lever(levers, a, prog, L.ENCOUNTERS))
        mixing = lever(levers, a, prog, L.MIXING)
        conflict_chance = (p.conflict_probability * (1.0 - lever(levers, a, prog, L.CONFLICT_REDUCTION))
                           * (1.0 - trust_out[i]))
        gi = group[i]
        bld = dw_building[d]
        blk = dw_block[d]
        ranges[0], ranges[3] = bld_first[bld], bld_n[bld]
        ranges[1], ranges[4] = blk_first[blk], blk_n[blk]
        ranges[2], ranges[5] = area_first[a], area_n[a]
        for e in range(_attempts(akey, whole, frac)):
            c = 1 + 8 * e
            u, v = uniform_pair(akey, c)  # where, and whom
            at_place = u >= local_share
            if at_place & ((u - p.share_building - p.share_block) >= place_chance * place_share):
                continue  # no place to meet at ('&' rather than 'and': one branch, rarely taken)
            site = 2 - np.int64(u < local_share) - np.int64(u < p.share_building)  # building, block or place
            size = ranges[3 + site]
            target = ranges[site] + min(int(v * size), size - 1)
            if at_place and mixing > 0.0 and uniform(akey, c + 3) < mixing:  # arranged mixing: the other group
                for tries in range(4):
                    j = occupant[target]
                    if j >= 0 and group[j] != group[i]:
                        break
                    target = ranges[2] + below(akey, c + 4 + tries, ranges[5])
            j = occupant[target]  # NO_ONE at a vacant dwelling: the code below is then dropped
            w, x = uniform_pair(akey, c + 1)  # conflict, tie formation
            across = group[max(j, 0)] != gi
            conflict = across & (w < conflict_chance)
            form = (x < p.tie_formation) & ((not across) | (x >= p.tie_formation * p.homophily))
            code = (np.int64(j) << 3) | (np.int64(form) << 2) | (np.int64(conflict) << 1) | np.int64(across)
            met[i, e] = code if (j >= 0) & (j != i) else -1
    return met


@njit(cache=True)
def encounters_step(key, step, p, alive, rng_key, dwelling, occupant, dw_building, dw_block, dw_area, group, trust_out,
                    programme, friendly_contacts, conflicts, tie_target, tie_strength, tie_back,
                    bld_first, bld_n, blk_first, blk_n, area_first, area_n, area_place_quality, levers, record):
    """One month of encounters, tie formation and decay (in place).

    ``record`` False runs the tie spin-up: no conflicts or contacts are counted. The partners and the draws
    are found first (:func:`encounter_partners`); the encounters are then played out household by household,
    attempt by attempt. The loops avoid unpredictable branches where that pays: contacts are counted with
    0/1 increments and an existing tie is reinforced in place (the tie slot is found with an early exit,
    which measured faster than the vectorized loop without one).

    Then every tie decays (:func:`decay_ties`).
    """
    skey = step_key(key, STREAM_ENCOUNTERS, step)
    n = alive.shape[0]
    K = tie_target.shape[1]
    friendly_contacts[:] = 0
    conflicts[:] = 0
    met = encounter_partners(skey, p, alive, rng_key, dwelling, occupant, dw_building, dw_block, dw_area, group, trust_out,
                             programme, bld_first, bld_n, blk_first, blk_n, area_first, area_n, area_place_quality, levers)
    for i in range(n):
        if not alive[i]:
            continue  # an empty household slot holds no ties
        for e in range(met.shape[1]):
            code = met[i, e]
            if code < 0:
                continue
            j = code >> 3
            across = (code & 1) != 0
            if record & ((code & 2) != 0):
                conflicts[i] += conflicts[i] < 127
                conflicts[j] += conflicts[j] < 127
                continue
            if record:
                friendly_contacts[i] += across & (friendly_contacts[i] < 127)
                friendly_contacts[j] += across & (friendly_contacts[j] < 127)
            k = find_tie(tie_target, i, j)  # early exit: a branch-free scan is vectorized, more work at K = 6
            # reinforce an existing tie at both ends; without one, this rewrites i's slot 0 unchanged
            tied = k >= 0
            ki = k if tied else 0
            old = tie_strength[i, ki]
            s = np.float32(min(1.0, old + p.tie_reinforcement)) if tied else old
            tie_strength[i, ki] = s
            tie_strength[j if tied else i, tie_back[i, ki] if tied else ki] = s
            if ((code & 4) != 0) & (not tied):
                _form_tie(tie_target, tie_strength, tie_back, i, j, p.tie_initial_strength)
    decay_ties(tie_target, tie_strength, tie_back, np.float32(1.0 - p.tie_decay), np.float32(p.tie_min_strength))


@njit(cache=True)
def decay_ties(tie_target, tie_strength, tie_back, keep, min_strength):
    """Every tie loses the share ``1 - keep`` of its strength; ties below ``min_strength`` are dropped at both ends.

    Both ends hold the same strength and decay alike (float32, like the strengths). Empty slots hold strength
    0 and stay so. The decay runs over the flat arrays without a branch, so that it is vectorised; the few
    ties to drop are then found eight slots at a time.
    """
    strength = tie_strength.reshape(-1)
    target = tie_target.reshape(-1)
    n_slots = strength.shape[0]
    weak = np.zeros((n_slots + 7) // 8 * 8, np.uint8)
    for k in range(n_slots):
        s = strength[k] * keep
        strength[k] = s
        weak[k] = (s < min_strength) & (target[k] >= 0)
    K = tie_target.shape[1]
    words = weak.view(np.uint64)
    for w in range(words.shape[0]):
        if words[w] == 0:
            continue
        for k in range(8 * w, min(8 * w + 8, n_slots)):
            if weak[k] and target[k] >= 0:  # not dropped from its other end already
                drop_tie(tie_target, tie_strength, tie_back, k // K, k % K)
