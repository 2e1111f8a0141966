"""Residential mobility: satisfaction, moves, displacement, in-movers, reputation.

Submodel (docs/model.md, "Residential mobility"). Two phases a month, as
in Mesa's Schelling model: first every household decides, all on the same
state (after this month's other processes), then the movers act one by one
in a random order.

Decide. Satisfaction is a weighted mean of building quality, place
quality, in-group trust, safety (1 - disorder) and affordability (falls
with rent burden above ``burden_threshold``). Then, in order:

1. displacement: rent burden above ``displacement_burden`` -> leaves the
   city with probability ``displacement_rate``;
2. Schelling: if the share of similar households in the Moore
   neighbourhood of blocks (radius ``radius``, self excluded) is below
   ``similarity_threshold`` the household moves with probability
   ``unhappy_move_probability``;
3. otherwise it moves with hazard ``base_move_rate * exp(s (0.5 - satisfaction))``,
   within the area (share ``share_within_area``) or out of it; moving out
   is more likely the more the household earns relative to the area's mean
   (``selectivity``): those who can afford to leave do.

Act. A mover within the area compares ``candidates`` random vacant
dwellings (1 = a random vacancy, as in Schelling). A household that leaves
vacates its slot; in a scenario of several areas part of the out-movers
(``city_share_of_out_moves``) take a vacancy in another area. Vacancies
are then let to outside households with probability
``vacancy_fill_rate * (0.5 + reputation)``; in-movers are poorer where
reputation is low (filtering) and take a dwelling only if they can afford
its market rent. A household that moves into another area, and every
in-mover from outside, records the month in ``moved_in`` (its cohort:
a newcomer; ``qsim.state``). Reputation follows the area's unemployment, disorder and
building quality with time constant ``reputation_lag``.

With every other process off, base moves, displacement and in-movers at 0,
``unhappy_move_probability`` 1, ``share_within_area`` 1 and ``candidates``
1, this is the classic Schelling model (``scenarios/schelling.toml``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..rng import (STREAM_IN_MOVERS, STREAM_MOBILITY, STREAM_ORDER, agent_key, below, household_key, id_key,
                   normal, random_order, step_key, uniform)
from ..state import EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER
from .common import household_income, housing_covered, logit_normal, prefetch, rent_burden, unsigned
from .encounters import drop_all_ties
from .environment import market_rent
from .households import attitudes, clear_household
from .leavers import departures_of
from ..threads import explicit_prange
from .trust import B_COUNT, B_QUALITY, B_UNEMPLOYED

# flows (n_areas, 2 groups, N_FLOWS), counted per month
F_OUT = 0           # households leaving the area (to the outside pool or another area)
F_DISPLACED = 1     # of which displaced by rent burden
F_IN = 2            # households arriving in the area
F_INTERNAL = 3      # moves within the area
F_OUT_INCOME = 4    # summed income of out-movers, EUR/month
F_IN_INCOME = 5     # summed income of in-movers, EUR/month
F_BETWEEN = 6       # of the out-moves: to another simulated area (counted in the area moved to, by group)
N_FLOWS = 7

STAY = 0
MOVE_WITHIN = 1
MOVE_OUT = 2
DISPLACE = 3


@njit(cache=True)
def similar_share(blk, ar, group_count, b, g, radius, home):
    """Share of group g among the households in the Moore neighbourhood (radius in blocks) of block b.

    The household asking lives in block ``home`` (of its group); it does not count itself.
    """
    a = blk.area[b]
    nx = ar.nx[a]
    ny = ar.ny[a]
    first = ar.first_block[a]
    x0 = blk.x[b]
    y0 = blk.y[b]
    same = 0
    total = 0
    for y in range(max(0, y0 - radius), min(ny, y0 + radius + 1)):
        for x in range(max(0, x0 - radius), min(nx, x0 + radius + 1)):
            c = first + y * nx + x
            same += group_count[c, g]
            total += group_count[c, 0] + group_count[c, 1]
            if c == home:
                same -= 1
                total -= 1
    return same / total if total > 0 else 0.0


@njit(cache=True)
def neighbourhood_counts(group_count, ar, radius):
    """Households of each group in the Moore neighbourhood (radius in blocks) of every block, (n_blocks, 2).

    Summed-area tables per area grid: O(blocks) however large the radius.
    """
    out = np.zeros(group_count.shape, np.int64)
    for a in range(ar.nx.shape[0]):
        nx = ar.nx[a]
        ny = ar.ny[a]
        first = ar.first_block[a]
        table = np.zeros((ny + 1, nx + 1, 2), np.int64)
        for y in range(ny):
            for x in range(nx):
                for g in range(2):
                    table[y + 1, x + 1, g] = (group_count[first + y * nx + x, g] + table[y, x + 1, g]
                                              + table[y + 1, x, g] - table[y, x, g])
        for y in range(ny):
            y0 = max(0, y - radius)
            y1 = min(ny, y + radius + 1)
            for x in range(nx):
                x0 = max(0, x - radius)
                x1 = min(nx, x + radius + 1)
                for g in range(2):
                    out[first + y * nx + x, g] = (table[y1, x1, g] - table[y0, x1, g] - table[y1, x0, g]
                                                  + table[y0, x0, g])
    return out


@njit(cache=True, inline="always")
def satisfaction_weights(p):
    """The weights of satisfaction divided by their sum, and a constant: (w_b, w_e, w_c, w_s, w_a, c).

    Satisfaction is then ``c + w_b q + w_e q_pl + w_s (1 - disorder) + w_c trust_in + w_a afford``
    (:func:`place_satisfaction`, :func:`satisfaction_of`); with all weights 0 it is ``c`` = 0.5.
    """
    wsum = p.weight_building + p.weight_environment + p.weight_cohesion + p.weight_safety + p.weight_affordability
    if wsum <= 0.0:
        return (0.0, 0.0, 0.0, 0.0, 0.0, 0.5)
    return (p.weight_building / wsum, p.weight_environment / wsum, p.weight_cohesion / wsum,
            p.weight_safety / wsum, p.weight_affordability / wsum, 0.0)


@njit(cache=True, inline="always")
def place_satisfaction(w, quality, place_quality, disorder):
    """The part of satisfaction given by the dwelling's place: building quality, place quality, safety."""
    return w[5] + w[0] * quality + w[1] * place_quality + w[3] * (1.0 - disorder)


@njit(cache=True, inline="always")
def satisfaction_of(w, burden_threshold, place_part, trust_in, burden):
    """Residential satisfaction, 0-1: the weighted mean of its components (``w`` from
    :func:`satisfaction_weights`, ``place_part`` from :func:`place_satisfaction`)."""
    afford = max(0.0, 1.0 - 2.0 * max(0.0, burden - burden_threshold))
    return place_part + w[2] * trust_in + w[4] * afford


@njit(cache=True, inline="always")
def _share_around(around, b, g):
    """Share of group g among the neighbours of a household of group g in block b (itself not counted)."""
    total = around[b, 0] + around[b, 1] - 1
    return (around[b, g] - 1) / total if total > 0 else 0.0


# columns of the per-building table of the decisions (_building_table)
T_PLACE = 0        # place_satisfaction of the building's dwellings
T_C0 = 1           # income factor of moving out: max(0.2, T_C0 + T_C1 * income)
T_C1 = 2
T_SHARE = 3        # T_SHARE + g: share of group g around the building's block (for a household of group g)
N_T = 5


@njit(cache=True)
def _building_table(p, w, bld_quality, bld_block, blk, ar, area_place_quality, around):
    """What the decisions need of a household's building, its block and its area, one row per building.

    A household then reads one row instead of the block, area and building of its dwelling.
    """
    n_areas = ar.nx.shape[0]
    c0 = np.ones(n_areas)
    c1 = np.zeros(n_areas)
    for a in range(n_areas):  # max(0.2, 1 + selectivity (Y / Y_ref - 1)) = max(0.2, c0 + c1 Y)
        if ar.reference_income[a] > 0:
            c0[a] = 1.0 - p.selectivity
            c1[a] = p.selectivity / ar.reference_income[a]
    table = np.zeros((bld_quality.shape[0], N_T))
    for bld in range(bld_quality.shape[0]):
        b = bld_block[bld]
        a = blk.area[b]
        table[bld, T_PLACE] = place_satisfaction(w, bld_quality[bld], area_place_quality[a], blk.disorder[b])
        table[bld, T_C0] = c0[a]
        table[bld, T_C1] = c1[a]
        if around.shape[0] > 0:
            for g in range(2):
                table[bld, T_SHARE + g] = _share_around(around, b, g)
    return table


@njit(cache=True)
def _vacancies(occupant, vac):
    """Fill ``vac`` with the vacant dwellings in increasing order; returns their number.

    Without a branch: every dwelling is written at the end of the list, only the vacant ones are counted.
    """
    n_vac = 0
    for d in range(occupant.shape[0]):
        vac[unsigned(n_vac)] = d
        n_vac += occupant[d] < 0
    return n_vac


PREFETCH_AHEAD = 32  # households
DECIDE_CHUNK = 512  # households decided together: their gathered inputs (7 x 4 KB) stay in the L1 cache


@njit(cache=True)
def _decision_inputs(h, dw, table, start, stop, rent, place, c0, c1, share, free, n_free):
    """For the slots ``start:stop`` (index k = slot - start): the dwelling's rent, and of its building's
    row of the decision table the place part of satisfaction, the income factor's two terms and the
    Schelling share for the household's group (an empty slot reads dwelling 0). Appends the empty slots to
    ``free`` (from ``n_free``) and returns their new number.

    The reads at random places in a scalar loop of their own: the loop of :func:`_screen` then reads only
    contiguous arrays and is vectorised (vector gathers are slow on current x86).
    """
    last = h.dwelling.shape[0] - 1
    for k in range(stop - start):
        i = unsigned(start + k)  # indices without wrap-around (common.unsigned)
        ahead = max(h.dwelling[unsigned(min(start + k + PREFETCH_AHEAD, last))], 0)  # a household's further on
        prefetch(dw.rent, ahead)
        prefetch(dw.building, ahead)
        free[unsigned(n_free)] = start + k
        n_free += not h.alive[i]
        d = unsigned(max(h.dwelling[i], 0))
        bld = unsigned(dw.building[d])
        rent[k] = dw.rent[d]
        place[k] = table[bld, T_PLACE]
        c0[k] = table[bld, T_C0]
        c1[k] = table[bld, T_C1]
        share[k] = table[bld, unsigned(T_SHARE + h.group[i])]
    return n_free


@njit(cache=True)
def _screen(p, lp, ep, w, skey, h, start, stop, rent, place, c0, c1, share, schelling, highest_within,
            highest_out, sat, burden, maybe):
    """Step 1 of the decisions for the living households in slots ``start:stop`` (inputs from
    :func:`_decision_inputs`): rent burden and satisfaction (stored, and kept in ``burden`` and ``sat``),
    tenure + 1; and ``maybe``: whether any of steps 2-4 can make the household move. It cannot if its burden
    is at most ``displacement_burden``, its Schelling share is not below ``similarity_threshold`` (or
    Schelling moves are off), and its uniform draw for the voluntary move is at least the move probability
    any satisfaction in [0, 1] could give (``highest_within + highest_out * afford``, from
    :func:`mobility_step`). Most households stay; the others are decided one by one, on the same values.

    Without branches (selects), so that LLVM vectorises the loop, random-number mixes included.
    """
    for k in range(stop - start):
        i = unsigned(start + k)  # indices without wrap-around (common.unsigned)
        alive = h.alive[i]
        income = h.income[i]
        supported = housing_covered(lp, h.labour[i], income, h.adults[i], h.children[i], rent[k],
                                    ep.housing_cost_limit)
        b = rent_burden(rent[k], income, supported, ep.housing_cost_limit)
        s = satisfaction_of(w, p.burden_threshold, place[k], h.trust_in[i], b)
        h.satisfaction[i] = s if alive else h.satisfaction[i]
        h.tenure[i] = min(h.tenure[i] + 1, 32000) if alive else h.tenure[i]
        burden[k] = b
        sat[k] = s
        u = uniform(household_key(skey, h.rng_key[i]), 2)
        stays = (0.0 <= s) & (s <= 1.0) & (u >= highest_within + highest_out * max(0.2, c0[k] + c1[k] * income))
        maybe[k] = alive & ((b > p.displacement_burden) | (schelling & (share[k] < p.similarity_threshold))
                            | ((p.base_move_rate > 0.0) & (not stays)))


@njit(cache=True, parallel=explicit_prange())
def mobility_step(key, step, p, lp, tp, pp, ep, rent_pressure, h, dw, bld_quality, bld_block, blk, ar,
                  area_place_quality, flows, next_uid, income_sum, residents):
    """One month of residential mobility (in place). Returns the next free household uid and the original
    residents who left the city, as a leaver record (``state.LeaversView``, ``kernels.leavers.departures_of``).

    ``bld_quality`` and ``bld_block``: each building's quality and block. ``flows`` (n_areas, 2, N_FLOWS) is
    zeroed and filled. ``income_sum`` (EUR/month) and ``residents``:
    the summed income and the number of each area's residents, for the reference income, if an earlier
    pass of this month gathered them (incomes change only in the labour market); empty arrays to gather
    them here.
    """
    n = h.alive.shape[0]
    n_dw = dw.occupant.shape[0]
    n_areas = ar.nx.shape[0]
    radius = int(p.radius)
    candidates = int(p.candidates)
    flows[:] = 0.0
    skey = step_key(key, STREAM_MOBILITY, step)

    # reference income per area (mean of residents at the start of the month)
    if income_sum.shape[0] == 0:
        income_sum = np.zeros(n_areas)
        residents = np.zeros(n_areas)
        for i in range(n):
            if h.alive[i]:
                a = dw.area[h.dwelling[i]]
                income_sum[a] += h.income[i]
                residents[a] += 1.0
    for a in range(n_areas):
        ar.reference_income[a] = income_sum[a] / residents[a] if residents[a] > 0 else 0.0
    city_income = income_sum.sum() / max(residents.sum(), 1.0)  # the simulated city's mean (in-mover sorting)

    # -- decide, every household on the same state; collects the movers and the empty slots
    movers = np.empty(n, np.int64)  # arrays of n slots of which only the first pages are touched
    intents = np.empty(n, np.int8)
    free = np.empty(n, np.int32)
    n_movers = 0
    n_free = 0
    schelling = p.unhappy_move_probability > 0.0
    if schelling:
        around = neighbourhood_counts(blk.group_count, ar, radius)
    else:
        around = np.zeros((0, 2), np.int64)
    w = satisfaction_weights(p)
    table = _building_table(p, w, bld_quality, bld_block, blk, ar, area_place_quality, around)
    within_share = p.share_within_area
    # with satisfaction in [0, 1] the hazard is at most highest_hazard: most households stay, and the
    # exponential is needed only when u is below the largest possible move probability (same decisions)
    highest_hazard = (1.0 + 1e-9) * p.base_move_rate * np.exp(abs(p.dissatisfaction_sensitivity) * 0.5)
    highest_within = highest_hazard * within_share
    highest_out = highest_hazard * (1.0 - within_share)
    # the chunks of DECIDE_CHUNK slots are decided in parallel (threads.py): chunk c lists its movers and empty
    # slots from position c * DECIDE_CHUNK on, then the lists are joined in chunk order (as one loop makes them)
    n_chunks = (n + DECIDE_CHUNK - 1) // DECIDE_CHUNK
    chunk_movers = np.zeros(n_chunks, np.int64)
    chunk_free = np.zeros(n_chunks, np.int64)
    for c in prange(n_chunks):
        start = c * DECIDE_CHUNK
        stop = min(start + DECIDE_CHUNK, n)
        inputs = np.empty((7, DECIDE_CHUNK))  # per household of a chunk: see _decision_inputs and _screen
        rent, place, c0, c1, share, sat, burden = inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], \
            inputs[5], inputs[6]
        maybe = np.empty(DECIDE_CHUNK, np.bool_)
        chunk_free[c] = _decision_inputs(h, dw, table, start, stop, rent, place, c0, c1, share, free, start) - start
        _screen(p, lp, ep, w, skey, h, start, stop, rent, place, c0, c1, share, schelling, highest_within,
                highest_out, sat, burden, maybe)
        listed = start
        for k in range(stop - start):
            if not maybe[k]:  # stays (or an empty slot)
                continue
            i = start + k
            akey = household_key(skey, h.rng_key[i])
            u = uniform(akey, 2)  # direction or voluntary move
            what = STAY
            if burden[k] > p.displacement_burden and uniform(akey, 0) < p.displacement_rate:
                what = DISPLACE
            elif schelling and share[k] < p.similarity_threshold \
                    and uniform(akey, 1) < p.unhappy_move_probability:  # a pure function: drawn only if needed
                what = MOVE_WITHIN if u < within_share else MOVE_OUT
            elif p.base_move_rate > 0.0:
                hazard = p.base_move_rate * np.exp(p.dissatisfaction_sensitivity * (0.5 - sat[k]))
                within = hazard * within_share
                if u < within:
                    what = MOVE_WITHIN
                elif u < within + hazard * (1.0 - within_share) * max(0.2, c0[k] + c1[k] * h.income[i]):
                    what = MOVE_OUT
            movers[unsigned(listed)] = i
            intents[unsigned(listed)] = what
            listed += what != STAY
        chunk_movers[c] = listed - start
    for c in range(n_chunks):  # join the chunks' lists (each moves to an earlier or the same position)
        start = c * DECIDE_CHUNK
        movers[n_movers:n_movers + chunk_movers[c]] = movers[start:start + chunk_movers[c]]
        intents[n_movers:n_movers + chunk_movers[c]] = intents[start:start + chunk_movers[c]]
        free[n_free:n_free + chunk_free[c]] = free[start:start + chunk_free[c]]
        n_movers += chunk_movers[c]
        n_free += chunk_free[c]

    # -- act, one by one in a random order
    left = np.empty(n_movers, np.int64)  # the movers (positions m) who leave the city, and their rents
    left_rent = np.empty(n_movers, np.float32)
    n_left = 0
    vac = np.empty(n_dw, np.int32)
    n_vac = _vacancies(dw.occupant, vac)
    for m in random_order(key, STREAM_ORDER, step, np.arange(n_movers), h.rng_key[movers[:n_movers]]):
        i = unsigned(movers[m])  # indices without wrap-around (common.unsigned)
        what = intents[m]
        akey = household_key(skey, h.rng_key[i])
        d_old = unsigned(h.dwelling[i])
        a_old = unsigned(dw.area[d_old])
        g = unsigned(h.group[i])
        pick = -1  # the chosen dwelling's place in vac
        if what == MOVE_WITHIN:
            pick = _choose_vacancy(p, w, table, lp, akey, candidates, True, np.int64(a_old), i, h, dw, bld_quality,
                                   blk, ar, ep, rent_pressure, vac, n_vac, radius)
        elif what == MOVE_OUT and n_areas > 1 and uniform(akey, 3) < p.city_share_of_out_moves:
            pick = _choose_vacancy(p, w, table, lp, akey, candidates, False, np.int64(a_old), i, h, dw, bld_quality,
                                   blk, ar, ep, rent_pressure, vac, n_vac, radius)
        if pick >= 0:
            target = unsigned(vac[pick])
            a_new = unsigned(dw.area[target])
            vac[pick] = vac[n_vac - 1]  # the last vacancy takes its place, the old dwelling goes last
            vac[n_vac - 1] = d_old
            dw.occupant[d_old] = -1
            dw.occupant[target] = i
            h.dwelling[i] = target
            dw.rent[target] = market_rent(ep, ar.rent_level[a_new], rent_pressure, bld_quality[dw.building[target]],
                                          ar.reputation[a_new])
            h.tenure[i] = 0
            blk.group_count[unsigned(dw.block[d_old]), g] -= 1
            blk.group_count[unsigned(dw.block[target]), g] += 1
            if a_new == a_old:
                flows[a_old, g, F_INTERNAL] += 1.0
            else:
                h.moved_in[i] = step  # a newcomer in its new area (origin_area stays its area at month 0)
                h.programme[i] = -1  # a measure's programme serves its target area only
                flows[a_old, g, F_OUT] += 1.0
                flows[a_old, g, F_OUT_INCOME] += h.income[i]
                flows[a_new, g, F_IN] += 1.0
                flows[a_new, g, F_IN_INCOME] += h.income[i]
                flows[a_new, g, F_BETWEEN] += 1.0
        elif what == MOVE_OUT or what == DISPLACE:
            flows[a_old, g, F_OUT] += 1.0
            flows[a_old, g, F_OUT_INCOME] += h.income[i]
            if what == DISPLACE:
                flows[a_old, g, F_DISPLACED] += 1.0
            left[n_left] = m
            left_rent[n_left] = dw.rent[d_old]
            n_left += 1
            dw.occupant[d_old] = -1
            vac[unsigned(n_vac)] = d_old
            n_vac += 1
            blk.group_count[unsigned(dw.block[d_old]), g] -= 1
            h.alive[i] = False
            h.dwelling[i] = -1
            h.participating[i] = 0
            h.programme[i] = -1
            drop_all_ties(h.tie_target, h.tie_strength, h.tie_back, i)
            free[unsigned(n_free)] = i
            n_free += 1

    # the original residents among those who left the city, before their slots are let again
    departed = departures_of(h, movers, intents[:n_movers] == DISPLACE, left[:n_left], left_rent, step)

    # -- vacancies let to households from outside, in dwelling order
    if p.vacancy_fill_rate > 0.0 and n_vac > 0:
        n_vac = _vacancies(dw.occupant, vac)
        next_uid = _let_vacancies(key, step, p, lp, tp, pp, ep, rent_pressure, h, dw, bld_quality, blk, ar, flows,
                                  vac[:n_vac], free[:n_free], next_uid, city_income)

    return next_uid, departed


@njit(cache=True, inline="always")
def _choose_vacancy(p, w, table, lp, akey, candidates, same_area, area, i, h, dw, bld_quality, blk, ar, ep,
                    rent_pressure, vac, n_vac, radius):
    """Best of up to ``candidates`` random vacancies in (``same_area``) or outside the area: its place in
    ``vac``, -1 if none."""
    best = -1
    best_u = -np.inf
    found = 0
    for tries in range(4 * candidates + 8):
        if n_vac == 0 or found >= candidates:
            break
        k = below(akey, 10 + tries, n_vac)
        v = vac[k]
        if (dw.area[v] == area) != same_area:
            continue
        found += 1
        if candidates == 1:
            return k
        a = dw.area[v]
        rent = market_rent(ep, ar.rent_level[a], rent_pressure, bld_quality[dw.building[v]], ar.reputation[a])
        supported = housing_covered(lp, h.labour[i], h.income[i], h.adults[i], h.children[i], rent,
                                  ep.housing_cost_limit)
        burden = rent_burden(rent, h.income[i], supported, ep.housing_cost_limit)
        utility = satisfaction_of(w, p.burden_threshold, table[dw.building[v], T_PLACE], h.trust_in[i], burden)
        if similar_share(blk, ar, blk.group_count, dw.block[v], h.group[i], radius,
                         dw.block[h.dwelling[i]]) >= p.similarity_threshold:
            utility += 0.2
        if utility > best_u:
            best_u = utility
            best = k
    return best


@njit(cache=True, inline="always")
def in_mover_median_skill(p, reputation, area_income, city_income):
    """Median skill of the households that move into an area from outside: higher where its reputation is
    better (filtering) and where its residents earn more than the simulated city's (sorting by income; 0 in
    a city of one area). Incomes in EUR/month."""
    relative = area_income / city_income - 1.0 if (city_income > 0.0) & (area_income > 0.0) else 0.0
    return p.in_mover_skill_mean + p.in_mover_skill_reputation * (reputation - 0.5) + p.in_mover_skill_income * relative


@njit(cache=True)
def _let_vacancies(key, step, p, lp, tp, pp, ep, rent_pressure, h, dw, bld_quality, blk, ar, flows, vacancies,
                   free, next_uid, city_income):
    """Let vacant dwellings to outside households who can afford them, in the empty slots ``free``;
    returns the next uid. ``city_income``: the mean income of all simulated areas' residents (EUR/month)."""
    skey = step_key(key, STREAM_IN_MOVERS, step)
    n_free = free.shape[0]
    used = 0
    # the arrays are read from their tuples once, here: a tuple's field read in the loop costs reference counts
    # (about 250 ns per in-mover)
    alive, uid, rng_key, dwelling, group = h.alive, h.uid, h.rng_key, h.dwelling, h.group
    n_adults, n_children, labour, unemployed_months = h.adults, h.children, h.labour, h.unemployed_months
    skills, wages, incomes, child_education, tenure = h.skill, h.wage, h.income, h.child_education, h.tenure
    trust_in, trust_out, trust_inst, efficacy = h.trust_in, h.trust_out, h.trust_inst, h.efficacy
    threshold, attachment, participating, satisfaction = h.threshold, h.attachment, h.participating, h.satisfaction
    moved_in, origin_area = h.moved_in, h.origin_area
    programme, friendly_contacts, conflicts = h.programme, h.friendly_contacts, h.conflicts
    tie_target, tie_strength, tie_back = h.tie_target, h.tie_strength, h.tie_back
    occupant, dw_rent, dw_area, dw_block, dw_building = dw.occupant, dw.rent, dw.area, dw.block, dw.building
    group_count, reputation, rent_level = blk.group_count, ar.reputation, ar.rent_level
    area_income = ar.reference_income
    for v in vacancies:
        if used >= n_free:
            break
        a = dw_area[v]
        rep = reputation[a]
        dkey = agent_key(skey, v)
        if uniform(dkey, 0) >= p.vacancy_fill_rate * (0.5 + rep):
            continue
        g = 1 if uniform(dkey, 1) < p.in_mover_minority_share else 0
        skill = logit_normal(normal(dkey, 2), in_mover_median_skill(p, rep, area_income[a], city_income), 5.0)
        u = uniform(dkey, 4) * max(1.0, p.in_mover_unemployed * (1.5 - rep) + p.in_mover_transfer
                                   + p.in_mover_inactive)  # shares that add up to over 1 are scaled down
        unemployed = p.in_mover_unemployed * (1.5 - rep)
        months = 0
        if u < unemployed:
            if uniform(dkey, 5) < 0.5:
                state = SHORT_TERM_UNEMPLOYED
                months = below(dkey, 6, int(lp.long_term_after))
            else:
                state = LONG_TERM_UNEMPLOYED
                months = int(lp.long_term_after) + below(dkey, 6, 36)
        elif u < unemployed + p.in_mover_transfer:
            state = TRANSFER
        elif u < unemployed + p.in_mover_transfer + p.in_mover_inactive:
            state = INACTIVE
        else:
            state = EMPLOYED
        adults = 2 if uniform(dkey, 7) < p.in_mover_two_adults else 1
        mean_children = p.in_mover_children * 2.0 * (1.0 - skill)
        children = 0
        if mean_children > 0.0:  # geometric with this mean, at most 4
            children = min(4, int(np.log(1.0 - uniform(dkey, 8)) / np.log(mean_children / (1.0 + mean_children))))
        wage = lp.wage_base + lp.wage_skill * skill
        income = household_income(lp, state, months, wage, adults, children)
        rent = market_rent(ep, rent_level[a], rent_pressure, bld_quality[dw_building[v]], rep)
        supported = housing_covered(lp, state, income, adults, children, rent, ep.housing_cost_limit)
        if rent_burden(rent, income, supported, ep.housing_cost_limit) > p.displacement_burden:
            continue  # nobody who wants it can afford it this month
        i = free[used]
        used += 1
        alive[i] = True
        uid[i] = next_uid
        rng_key[i] = id_key(next_uid)
        next_uid += 1
        dwelling[i] = v
        group[i] = g
        n_adults[i] = adults
        n_children[i] = children
        labour[i] = state
        unemployed_months[i] = months
        skills[i] = skill
        wages[i] = wage
        incomes[i] = income
        child_education[i] = skill
        tenure[i] = 0
        moved_in[i] = step
        origin_area[i] = -1  # a newcomer from outside the city
        trust_in[i], trust_out[i], trust_inst[i], efficacy[i], threshold[i] = attitudes(dkey, 20, tp, pp)
        attachment[i] = 0.2
        clear_household(i, participating, satisfaction, programme, friendly_contacts, conflicts, tie_target,
                        tie_strength, tie_back)
        occupant[v] = i
        dw_rent[v] = rent
        group_count[dw_block[v], g] += 1
        flows[a, g, F_IN] += 1.0
        flows[a, g, F_IN_INCOME] += income
    return next_uid


@njit(cache=True)
def reputation_step(p, block_agg, blk_area, blk_disorder, reputation, initialise):
    """Move each area's reputation towards its condition: unemployment, disorder and building quality.

    ``block_agg`` are the block aggregates of this month (kernels.trust.block_aggregates).
    """
    n_areas = reputation.shape[0]
    residents = np.zeros(n_areas)
    unemployed = np.zeros(n_areas)
    quality = np.zeros(n_areas)
    disorder = np.zeros(n_areas)
    blocks = np.zeros(n_areas)
    for b in range(blk_area.shape[0]):
        a = blk_area[b]
        residents[a] += block_agg[b, B_COUNT]
        unemployed[a] += block_agg[b, B_UNEMPLOYED]
        quality[a] += block_agg[b, B_QUALITY]
        disorder[a] += blk_disorder[b]
        blocks[a] += 1.0
    for a in range(n_areas):
        if residents[a] == 0:
            continue
        condition = (0.4 * (1.0 - min(1.0, unemployed[a] / residents[a] / 0.3))
                     + 0.3 * (1.0 - disorder[a] / max(blocks[a], 1.0)) + 0.3 * quality[a] / residents[a])
        if initialise:
            reputation[a] = condition
        else:
            reputation[a] += (condition - reputation[a]) / p.reputation_lag
