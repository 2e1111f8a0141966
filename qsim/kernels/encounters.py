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
tie). Every tie decays each month and is dropped below
``tie_min_strength``: ties are kept up only by meeting again, so ties to
households that moved away (and meet only at places) fade.
"""

from __future__ import annotations

from numba import njit

from .. import levers as L
from ..rng import STREAM_ENCOUNTERS, agent_key, below, step_key, uniform, uniform_pair
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


@njit(cache=True)
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


@njit(cache=True)
def encounters_step(key, step, p, alive, dwelling, occupant, dw_building, dw_block, dw_area, group, trust_out,
                    programme, friendly_contacts, conflicts, tie_target, tie_strength, tie_back,
                    bld_first, bld_n, blk_first, blk_n, area_first, area_n, area_place_quality, levers, record):
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
        conflict_chance = p.conflict_probability * (1.0 - lever(levers, a, prog, L.CONFLICT_REDUCTION))
        for e in range(attempts):
            c = 1 + 8 * e
            u, v = uniform_pair(akey, c)  # where, and whom
            if u < p.share_building:
                bld = dw_building[d]
                target = bld_first[bld] + min(int(v * bld_n[bld]), bld_n[bld] - 1)
            elif u < p.share_building + p.share_block:
                blk = dw_block[d]
                target = blk_first[blk] + min(int(v * blk_n[blk]), blk_n[blk] - 1)
            else:
                if (u - p.share_building - p.share_block) >= place_chance * (1.0 - p.share_building - p.share_block):
                    continue
                target = area_first[a] + min(int(v * area_n[a]), area_n[a] - 1)
                if uniform(akey, c + 3) < mixing:  # arranged mixing: look for the other group
                    for tries in range(4):
                        j = occupant[target]
                        if j >= 0 and group[j] != group[i]:
                            break
                        target = area_first[a] + below(akey, c + 4 + tries, area_n[a])
            j = occupant[target]
            if j < 0 or j == i:
                continue
            w, x = uniform_pair(akey, c + 1)  # conflict, tie formation
            if group[j] != group[i]:
                if record and w < conflict_chance * (1.0 - trust_out[i]):
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
            k = find_tie(tie_target, i, j)
            if k >= 0:
                s = min(1.0, tie_strength[i, k] + p.tie_reinforcement)
                tie_strength[i, k] = s
                tie_strength[j, tie_back[i, k]] = s
            elif x < p.tie_formation and (group[j] == group[i] or uniform(akey, c + 2) >= p.homophily):
                _form_tie(tie_target, tie_strength, tie_back, i, j, p.tie_initial_strength)
    # decay: both ends hold the same strength and decay alike; a tie too weak is dropped at both ends
    keep = 1.0 - p.tie_decay
    for i in range(n):
        if not alive[i]:
            continue
        for k in range(K):  # empty slots hold strength 0 and stay so
            s = tie_strength[i, k] * keep
            tie_strength[i, k] = s
            if s < p.tie_min_strength and tie_target[i, k] >= 0:
                drop_tie(tie_target, tie_strength, tie_back, i, k)
