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
from numba import njit, prange

from .. import levers as L
from ..rng import STREAM_ENCOUNTERS, bits64, household_key, below, step_key, uniform
from ..threads import explicit_prange
from .common import find_in_row, lever, nonnegative, prefetch, trailing_zeros, unsigned


@njit(cache=True, inline="always")
def find_tie(tie_target, i, j):
    """Slot of i's tie to j, or -1 (one vector compare for rows of at most 8 slots, no branch)."""
    return find_in_row(tie_target, i, j)


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
    """A new tie between i and j if both have room; returns True if formed (never with strength 0, also not
    when ``initial`` rounds to 0 in the float32 strengths)."""
    initial = np.float32(initial)
    if initial <= np.float32(0.0):
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


U16 = 65536.0  # 2**16: the resolution of the 16-bit uniforms of the partner pass


@njit(cache=True, inline="always")
def _threshold16(prob):
    """Threshold T of a 16-bit uniform u (an integer 0..65535) for an event of probability ``prob`` in [0, 1]:
    ``u < T`` has probability T / 2**16, ``prob`` rounded to the nearest multiple of 2**-16."""
    return np.int64(prob * U16 + 0.5)


@njit(cache=True)
def _area_programme_rows(p, levers, area_place_quality, record):
    """Per area and programme column of ``levers`` (row ``area * columns + programme + 1``): the end of the
    place-encounter range of the 16-bit 'where' draw, the conflict chance before out-group trust (0 in the
    spin-up) and the MIXING lever."""
    n_areas, columns = levers.shape[0], levers.shape[1]
    place_end = np.empty(n_areas * columns, np.int64)
    conflict = np.empty(n_areas * columns)
    mixing = np.empty(n_areas * columns)
    local = p.share_building + p.share_block
    for a in range(n_areas):
        for prog in range(-1, columns - 1):  # NO_ONE (no programme), then each programme
            r = a * columns + prog + 1
            place_chance = area_place_quality[a] * (1.0 + lever(levers, a, prog, L.ENCOUNTERS))
            place_end[r] = _threshold16(min(1.0, local + max(0.0, place_chance) * (1.0 - local)))
            conflict[r] = (p.conflict_probability * (1.0 - lever(levers, a, prog, L.CONFLICT_REDUCTION)) if record
                           else 0.0)
            mixing[r] = lever(levers, a, prog, L.MIXING)
    return place_end, conflict, mixing


@njit(cache=True, inline="always")
def _outcome_thresholds(conflict_chance, tie_formation, homophily):
    """(conflict_end, form_lo, form_hi) of the 16-bit 'what' draw w between groups: a conflict if
    w < conflict_end, else a new tie if form_lo <= w < form_hi, i.e. if (w / 2**16 - c) / (1 - c) lies in
    [tie_formation x homophily, tie_formation) for the conflict chance c."""
    c = min(max(conflict_chance, 0.0), 1.0)
    rest = (1.0 - c) * tie_formation
    return _threshold16(c), _threshold16(c + rest * homophily), _threshold16(c + rest)


@njit(cache=True, inline="always")
def _code(i, j, across, w, conflict_end, form_lo, form_hi, meets):
    """Encounter code of i meeting j (see :func:`encounter_partners`), -1 if nobody is met (``meets`` False,
    j vacant (NO_ONE) or i itself). A new tie forms if form_lo <= w < form_hi."""
    conflict = across & (w < conflict_end)
    form = (w >= form_lo) & (w < form_hi)
    code = (np.int64(j) << 3) | (np.int64(form) << 2) | (np.int64(conflict) << 1) | np.int64(across)
    return code if meets & (j >= 0) & (j != i) else -1


CHUNK = 4096  # households whose encounters one thread lists at a time (threads.py)
DECAY_CHUNK = 16384  # tie slots one thread decays, dwellings whose residents it packs, at a time (a multiple of 8)


@njit(cache=True, parallel=explicit_prange())
def encounter_partners(skey, p, alive, rng_key, dwelling, occupant, dw_building, dw_block, dw_area, group, trust_out,
                       programme, bld_first, bld_n, blk_first, blk_n, area_first, area_n, area_place_quality, levers,
                       record=True):
    """Whom each household meets this month, and how: the encounters in the order of play (household by
    household, attempt by attempt), each as ``i << 32 | code`` for household slot i.

    A code is ``j << 3 | form << 2 | conflict << 1 | across`` for partner slot j (so j < 2**28): ``across``
    if j is of the other group, ``conflict`` if such an encounter turns into a conflict, ``form`` if a new
    tie would form. Each attempt takes one 64-bit draw, split into three fields:

    * ``u`` (16 bits) where: the own building if u / 2**16 < share_building, the own block below
      share_building + share_block, else a place visit, which meets someone only below that plus
      place quality x (1 + ENCOUNTERS) x the place share;
    * ``v`` (32 bits) whom: dwelling ``first + (v * size) >> 32`` of the building, block or area;
    * ``w`` (16 bits) what: between groups a conflict if w / 2**16 < c = conflict chance x (1 - out-group
      trust) (c = 0 in the spin-up, which counts no conflicts), and else a new tie if
      (w / 2**16 - c) / (1 - c) lies in [tie_formation x homophily, tie_formation); within the group
      a new tie if w / 2**16 < tie_formation.

    Probabilities are thus rounded to multiples of 2**-16 (see docs/model.md). It meets nobody at a vacant
    dwelling or at home. Only the residents' locations, groups and out-group trust are read, which
    encounters do not change, so all partners and draws can be found before any encounter is played out:
    this loop has no dependence between households, and the memory reads of many households overlap; the
    play-out loop draws no random numbers. Attempts that meet nobody are left out of the list (a cursor that
    advances by 0 or 1, no branch), so that the play-out loop has no branch on them. Place encounters arranged
    across groups (the MIXING lever) are redrawn in a second pass (:func:`_arranged_mixing`), only if the lever
    is set somewhere: the list then keeps every attempt until that pass.
    """
    n = alive.shape[0]
    whole = int(p.encounters_per_month)
    frac = p.encounters_per_month - whole
    in_building = _threshold16(p.share_building)
    in_local = _threshold16(p.share_building + p.share_block)  # building or block
    tf, homophily = p.tie_formation, p.homophily
    form_within = _threshold16(tf)
    place_ends, conflict_chances, mixings = _area_programme_rows(p, levers, area_place_quality, record)
    columns = levers.shape[1]
    arranged = mixings.max() > 0.0  # MIXING set somewhere: keep every attempt for _arranged_mixing
    per_household = whole + (1 if frac > 0.0 else 0)
    met = np.empty(n * per_household, np.int64)
    # each dwelling's occupant and the occupant's group in one int32: occupant << 1 | group (NO_ONE: -2), so
    # that an attempt reads one array instead of two dependent ones (slots < 2**28 fit)
    n_dwellings = occupant.shape[0]
    resident = np.empty(n_dwellings, np.int32)
    for c in prange((n_dwellings + DECAY_CHUNK - 1) // DECAY_CHUNK):
        for d in range(c * DECAY_CHUNK, min(c * DECAY_CHUNK + DECAY_CHUNK, n_dwellings)):
            o = occupant[d]
            resident[d] = (o << 1) | np.int32(group[unsigned(nonnegative(o))] != 0)
    # the households in chunks of CHUNK slots (threads.py): chunk c lists its encounters from met[c * CHUNK *
    # per_household] on, then the lists are joined in chunk order (the same list as one loop makes)
    n_chunks = (n + CHUNK - 1) // CHUNK
    listed = np.zeros(n_chunks, np.int64)
    for c in prange(n_chunks):
        cursor = c * CHUNK * per_household
        # first dwelling and number of dwellings of the own building, block and area (site 0, 1, 2), and the
        # tie-formation range [start, end) of the 'what' draw within the group (6, 8) and between groups (7, 9).
        # An indexed read from this small table, unlike a conditional expression, is not compiled into a
        # (mispredicted) branch.
        ranges = np.empty(10, np.int64)
        ranges[6], ranges[8] = 0, form_within
        for i in range(c * CHUNK, min(c * CHUNK + CHUNK, n)):
            if not alive[i]:
                continue
            d = unsigned(dwelling[i])  # indices without wrap-around (common.unsigned)
            a = dw_area[d]
            r = unsigned(a * columns + programme[i] + 1)
            akey = household_key(skey, rng_key[i])
            place_end = place_ends[r]
            conflict_end, form_lo, form_hi = _outcome_thresholds(conflict_chances[r] * (1.0 - trust_out[i]), tf,
                                                                 homophily)
            ranges[7], ranges[9] = form_lo, form_hi
            gi = np.int32(group[i] != 0)
            bld = unsigned(dw_building[d])
            blk = unsigned(dw_block[d])
            ranges[0], ranges[3] = bld_first[bld], bld_n[bld]
            ranges[1], ranges[4] = blk_first[blk], blk_n[blk]
            ranges[2], ranges[5] = area_first[unsigned(a)], area_n[unsigned(a)]
            attempts = _attempts(akey, whole, frac)
            for e in range(per_household):
                z = bits64(akey, 1 + 8 * e)  # counters 1 + 8e .. 8 + 8e belong to attempt e
                u = (z >> 48) & 0xFFFF  # where
                w = (z >> 32) & 0xFFFF  # what
                v = z & 0xFFFFFFFF  # whom
                site = np.int64(u >= in_building) + np.int64(u >= in_local)  # building, block or place
                o = resident[unsigned(ranges[site] + ((v * ranges[3 + site]) >> 32))]
                j = o >> 1  # NO_ONE at a vacant dwelling
                across = (o & 1) != gi
                side = np.int64(across)
                # nobody met at a place visit without a place to meet at (no branch: too many and too random
                # for the branch predictor), nor in an attempt not made
                code = _code(i, j, across, w, conflict_end, ranges[6 + side], ranges[8 + side],
                             (u < place_end) & (e < attempts))
                met[unsigned(cursor)] = (np.int64(i) << 32) | (code & 0xFFFFFFFF)
                cursor += (code >= 0) | arranged
        listed[c] = cursor - c * CHUNK * per_household
    m = 0
    for c in range(n_chunks):  # join the lists in chunk order (each moves to an earlier or the same place)
        first = c * CHUNK * per_household
        if first != m:
            met[m:m + listed[c]] = met[first:first + listed[c]]
        m += listed[c]
    if arranged:
        m = _arranged_mixing(skey, p, rng_key, dwelling, occupant, dw_area, group, trust_out, programme, area_first,
                             area_n, place_ends, conflict_chances, mixings, columns, met, m, per_household)
    return met[:m]


@njit(cache=True)
def _arranged_mixing(skey, p, rng_key, dwelling, occupant, dw_area, group, trust_out, programme, area_first, area_n,
                     place_ends, conflict_chances, mixings, columns, met, m, per_household):
    """Place encounters arranged across groups (MIXING lever), in place of those found by
    :func:`encounter_partners` (``met[:m]`` holds all ``per_household`` attempts of each household): with
    probability MIXING a place encounter draws up to 4 further dwellings of the area until one is occupied
    by the other group (the last one drawn is kept either way). Then the attempts that meet nobody are
    dropped from the list; returns its new length."""
    whole = int(p.encounters_per_month)
    frac = p.encounters_per_month - whole
    in_local = _threshold16(p.share_building + p.share_block)
    form_within = _threshold16(p.tie_formation)
    for x in range(0, m, per_household):
        i = met[x] >> 32
        d = dwelling[i]
        a = dw_area[d]
        r = a * columns + programme[i] + 1
        mixing = mixings[r]
        if mixing <= 0.0:
            continue
        akey = household_key(skey, rng_key[i])
        conflict_end, form_lo, form_hi = _outcome_thresholds(conflict_chances[r] * (1.0 - trust_out[i]),
                                                             p.tie_formation, p.homophily)
        first, size = area_first[a], area_n[a]
        for e in range(_attempts(akey, whole, frac)):
            k = 1 + 8 * e
            z = bits64(akey, k)
            u = (z >> 48) & 0xFFFF
            if (u < in_local) or (u >= place_ends[r]) or uniform(akey, k + 3) >= mixing:
                continue  # not a place encounter, or not arranged
            target = first + (((z & 0xFFFFFFFF) * size) >> 32)
            for tries in range(4):
                j = occupant[target]
                if j >= 0 and group[j] != group[i]:
                    break
                target = first + below(akey, k + 4 + tries, size)
            j = occupant[target]
            across = group[max(j, 0)] != group[i]
            code = _code(i, j, across, (z >> 32) & 0xFFFF, conflict_end, form_lo if across else 0,
                         form_hi if across else form_within, True)
            met[x + e] = (i << 32) | (code & 0xFFFFFFFF)
    kept = 0
    for x in range(m):
        if (met[x] & 0xFFFFFFFF) != 0xFFFFFFFF:  # code -1: nobody met
            met[kept] = met[x]
            kept += 1
    return kept


PREFETCH_AHEAD = 16  # encounters


@njit(cache=True)
def encounters_step(key, step, p, h, dw, bld, blk, ar, area_place_quality, levers, record):
    """One month of encounters, tie formation and decay (in place): docs/model.md 7.3.

    ``p``: the encounter parameters; ``h``, ``dw``, ``bld``, ``blk``, ``ar``: the views of the households,
    dwellings, buildings, blocks and areas (``State.<group>.view()``); ``area_place_quality``: the mean place
    quality of each area; ``levers``: the month's lever table (``common.lever_table``). Writes the ties and
    the month's friendly contacts and conflicts.

    ``record`` False runs the tie spin-up: no conflicts or contacts are counted. The partners and the draws
    are found first (:func:`encounter_partners`, a list of the encounters that happen); the encounters are then
    played out in that order: household by household, attempt by attempt. The loop avoids unpredictable
    branches where that pays: contacts are counted with 0/1 increments, the tie to the partner is found by one
    vector compare (:func:`~qsim.kernels.common.find_in_row`) and an existing tie is reinforced in place.

    Then every tie decays (:func:`decay_ties`).
    """
    # the arrays are read from their tuples once, here (a field read in the loop costs reference counts)
    alive, rng_key, dwelling, group, trust_out, programme = h.alive, h.rng_key, h.dwelling, h.group, h.trust_out, \
        h.programme
    friendly_contacts, conflicts, tie_target, tie_strength, tie_back = h.friendly_contacts, h.conflicts, \
        h.tie_target, h.tie_strength, h.tie_back
    occupant, dw_building, dw_block, dw_area = dw.occupant, dw.building, dw.block, dw.area
    bld_first, bld_n, blk_first, blk_n = bld.first_dwelling, bld.n_dwellings, blk.first_dwelling, blk.n_dwellings
    area_first, area_n = ar.first_dwelling, ar.n_dwellings
    skey = step_key(key, STREAM_ENCOUNTERS, step)
    K = tie_target.shape[1]
    friendly_contacts[:] = 0
    conflicts[:] = 0
    met = encounter_partners(skey, p, alive, rng_key, dwelling, occupant, dw_building, dw_block, dw_area, group, trust_out,
                             programme, bld_first, bld_n, blk_first, blk_n, area_first, area_n, area_place_quality, levers,
                             record)
    last = met.shape[0] - 1
    for x in range(met.shape[0]):
        # the partner's tie rows of the encounter PREFETCH_AHEAD places on: neutral at 1e5 households, where
        # partners mostly live a few slots away, about 7% faster at 1e6
        ahead = ((met[unsigned(min(x + PREFETCH_AHEAD, last))] & 0xFFFFFFFF) >> 3) * K
        prefetch(tie_target, ahead)
        prefetch(tie_strength, ahead)
        i = met[x] >> 32
        code = met[x] & 0xFFFFFFFF
        j = code >> 3
        ui, uj = unsigned(i), unsigned(j)  # indices without wrap-around (common.unsigned)
        across = (code & 1) != 0
        if record & ((code & 2) != 0):
            conflicts[ui] += conflicts[ui] < 127
            conflicts[uj] += conflicts[uj] < 127
            continue
        if record:
            friendly_contacts[ui] += across & (friendly_contacts[ui] < 127)
            friendly_contacts[uj] += across & (friendly_contacts[uj] < 127)
        k = find_tie(tie_target, i, j)
        # reinforce an existing tie at both ends; without one, this rewrites i's slot 0 unchanged
        tied = k >= 0
        ki = max(k, 0)
        old = tie_strength[ui, ki]
        back = tie_back[ui, ki]
        s = np.float32(min(1.0, old + p.tie_reinforcement)) if tied else old
        tie_strength[ui, ki] = s
        tie_strength[uj if tied else ui, unsigned(back if tied else ki)] = s
        if ((code & 4) != 0) & (not tied):
            _form_tie(tie_target, tie_strength, tie_back, ui, uj, p.tie_initial_strength)
    decay_ties(tie_target, tie_strength, tie_back, np.float32(1.0 - p.tie_decay), np.float32(p.tie_min_strength))


@njit(cache=True, parallel=explicit_prange())
def decay_ties(tie_target, tie_strength, tie_back, keep, min_strength):
    """Every tie loses the share ``1 - keep`` of its strength; ties below ``min_strength`` are dropped at both ends.

    Both ends hold the same strength and decay alike (float32, like the strengths), so both ends of a tie are
    weak together and each slot is cleared on its own (no thread writes another's slots). Empty slots hold
    strength 0 and stay so, and a held tie is never at 0 (it forms above 0 and is dropped before it decays to
    0, unless ``min_strength`` is 0, when no tie is dropped): the ties to drop are the slots with 0 < strength
    < ``min_strength``, found without reading the targets. The slots are decayed in chunks of DECAY_CHUNK: a
    vectorised loop without a branch, then the few weak slots found eight at a time.
    """
    strength = tie_strength.reshape(-1)
    target = tie_target.reshape(-1)
    back = tie_back.reshape(-1)
    n_slots = strength.shape[0]
    zero = np.float32(0.0)
    for c in prange((n_slots + DECAY_CHUNK - 1) // DECAY_CHUNK):
        start = c * DECAY_CHUNK
        weak = np.zeros(DECAY_CHUNK, np.uint8)
        for k in range(min(DECAY_CHUNK, n_slots - start)):
            s = strength[start + k] * keep
            strength[start + k] = s
            weak[k] = (s > zero) & (s < min_strength)
        words = weak.view(np.uint64)
        for w in range(words.shape[0]):
            bits = words[w]  # a byte 1 (one set bit) for each weak slot among eight
            while bits != 0:
                k = start + 8 * w + (trailing_zeros(bits) >> 3)
                bits &= bits - np.uint64(1)
                target[k] = -1
                strength[k] = 0.0
                back[k] = -1
