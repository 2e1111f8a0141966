"""The numba sums behind the declared indicators: household sums by area and group, area values, the table.

``household_sums`` fills one column per sum of ``SUMS`` (``S_*`` are their positions) for every area, the
city (last row), group 0/1 and all groups (column 2); ``area_values`` forms the area-level values of
``AREA_VALUES``; ``indicator_table`` turns both and the month's flows into indicator values, driven by the
column layout that ``qsim.indicators`` builds from its declarations (``IndicatorLayout``: integer arrays,
passed as arguments, so that a change of the declarations never meets a stale compiled kernel).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, prange

from ..threads import explicit_prange
from .common import basic_support, rent_burden, unsigned
from .leavers import income_of
from .mobility import F_BETWEEN, F_IN, F_OUT
from ..state import EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER

SUMS = ("households", "heads", "unemployed", "long_term_unemployed", "transfer", "children", "poor_children",
        "income", "skill", "trust_in", "trust_out", "trust_inst", "ties", "inter_group_ties", "block_efficacy",
        "participating", "efficacy", "satisfaction", "rent", "rent_burden", "conflicts", "block_disorder")
"""The household sums, in column order: counts (households, heads, unemployed or long-term unemployed heads,
households in transfer receipt, children, children in SGB II households, ties, ties across the groups,
participating households, conflicts) and sums of amounts (income EUR/month, skill, trust in the own group,
in the other group and in institutions, efficacy, satisfaction, rent EUR/month, rent burden, and the
collective efficacy and disorder of the household's block)."""

(S_N, S_HEADS, S_UNEMP, S_LTU, S_TRANSFER, S_CHILDREN, S_POOR_CHILDREN, S_INCOME, S_SKILL, S_TRUST_IN, S_TRUST_OUT,
 S_TRUST_INST, S_TIES, S_INTER_TIES, S_CE, S_PART, S_EFFICACY, S_SAT, S_RENT, S_BURDEN, S_CONFLICTS,
 S_DISORDER) = range(len(SUMS))
N_SUMS = len(SUMS)
CHUNK = 2048  # slots whose sums are gathered in registers before they are added to the table
NOBODY = np.int32(2 ** 31 - 1)  # the area of an empty slot: above every area


@njit(cache=True)
def slot_areas(h, dw, n_areas, start, stop):
    """The area of the household in each slot of ``start:stop`` (NOBODY for an empty slot; with one area
    the dwelling's is not read)."""
    area = np.empty(stop - start, np.int32)
    for k in range(stop - start):
        i = unsigned(start + k)  # indices without wrap-around (common.unsigned)
        area[k] = NOBODY if not h.alive[i] else 0 if n_areas == 1 else dw.area[unsigned(h.dwelling[i])]
    return area


UNROLLED_TIE_SLOTS = 6  # the scenarios' default number of tie slots: their tie loop has a constant length


@njit(cache=True)
def partner_groups(group):
    """The groups one slot on, after a 0: ``out[j + 1]`` is the group of the household in slot ``j``, and an
    empty tie slot (j = -1) reads 0 without a branch or a mask."""
    out = np.empty(group.shape[0] + 1, np.int8)
    out[0] = 0
    out[1:] = group
    return out


@njit(cache=True, inline="always")
def _tie_counts(tie_target, partner_group, g, i, slots):
    """(ties, ties that link the two groups) of the household in slot ``i`` (of group ``g``) with ``slots``
    tie slots; ``partner_group`` from :func:`partner_groups`. Without a branch: with groups 0/1, the ties
    across are the partners of group 1 for a household of group 0, the other partners for one of group 1."""
    ties = 0
    ones = 0  # partners of group 1
    for s in range(slots):
        j = tie_target[i, s]
        ties += j >= 0
        ones += partner_group[unsigned(j + 1)]
    return ties, ones + g * (ties - 2 * ones)


@njit(cache=True, inline="always")
def _fill_ties(tie_target, partner_group, group, first, ties, inter, slots):
    """Ties and ties across of the households in slots ``first:first + len(ties)``, with ``slots`` tie slots
    (a constant where it is inlined with one)."""
    for k in range(ties.shape[0]):
        i = unsigned(first + k)  # indices without wrap-around (common.unsigned)
        ties[k], inter[k] = _tie_counts(tie_target, partner_group, group[i], i, slots)


@njit(cache=True)
def household_flags(lp, h, dw, partner_group, housing_cost_limit, start, stop):
    """For the slots ``start:stop`` (arrays of stop - start): SGB II receipt (:func:`basic_support`), ties,
    ties that link the two groups, and the dwelling's rent (EUR/month; dwelling 0's for an empty slot);
    ``partner_group`` from :func:`partner_groups`.

    Compiled without fast-math (the SGB II threshold rounds as in the other kernels). The reads at random
    places (the dwelling's rent, the partners' groups) are scalar loops here, not vector gathers (slow on
    current x86) in the vectorised loops of the sums, which then have no inner loop over the tie slots;
    SGB II receipt is a vectorised loop. Each loop reads few arrays. (Arrays allocated here, not passed in:
    LLVM then knows that they overlap no household array.)
    """
    m = stop - start
    poor = np.empty(m, np.bool_)
    ties = np.empty(m, np.int8)
    inter = np.empty(m, np.int8)
    rent = np.empty(m, np.float32)
    if h.tie_target.shape[1] == UNROLLED_TIE_SLOTS:
        _fill_ties(h.tie_target, partner_group, h.group, start, ties, inter, UNROLLED_TIE_SLOTS)
    else:
        _fill_ties(h.tie_target, partner_group, h.group, start, ties, inter, h.tie_target.shape[1])
    dwelling, dw_rent = h.dwelling[start:stop], dw.rent
    for k in range(m):
        rent[k] = dw_rent[max(dwelling[k], 0)]  # an empty slot reads dwelling 0
    labour, income, adults, children = h.labour[start:stop], h.income[start:stop], h.adults[start:stop], \
        h.children[start:stop]
    for k in range(m):
        poor[k] = basic_support(lp, labour[k], income[k], adults[k], children[k], rent[k], housing_cost_limit)
    return poor, ties, inter, rent


@njit(cache=True, inline="always")
def _counts(poor, ties, inter, labour, children, participating, conflicts):
    """A household's terms of the count sums (small integers, as float32), in the order of COUNT_COLUMNS;
    ``poor``: it receives SGB II. 0/1 flags without unpredictable branches. A function of scalars (inlined
    array arguments would leave reference counting in the loop and stop its vectorisation)."""
    kids = np.float32(children)
    return (np.float32((labour == SHORT_TERM_UNEMPLOYED) | (labour == LONG_TERM_UNEMPLOYED)),
            np.float32(labour == LONG_TERM_UNEMPLOYED),
            np.float32((labour == TRANSFER) | (poor & (labour == EMPLOYED))),
            kids, kids * np.float32(poor), np.float32(ties), np.float32(inter), np.float32(participating),
            np.float32(conflicts))


COUNT_COLUMNS = (S_UNEMP, S_LTU, S_TRANSFER, S_CHILDREN, S_POOR_CHILDREN, S_TIES, S_INTER_TIES, S_PART, S_CONFLICTS)


@njit(cache=True, inline="always")
def _amounts(housing_cost_limit, poor, labour, income, rent, skill, trust_in, trust_out, trust_inst, efficacy,
             satisfaction):
    """A household's terms of the sums of amounts (float64), in the order of AMOUNT_COLUMNS."""
    return (np.float64(income), np.float64(skill), np.float64(trust_in), np.float64(trust_out),
            np.float64(trust_inst), np.float64(efficacy), np.float64(satisfaction), np.float64(rent),
            rent_burden(rent, income, poor | (labour == INACTIVE), housing_cost_limit))


AMOUNT_COLUMNS = (S_INCOME, S_SKILL, S_TRUST_IN, S_TRUST_OUT, S_TRUST_INST, S_EFFICACY, S_SAT, S_RENT, S_BURDEN)
# S_N and S_HEADS are the households (every household has a head); S_CE and S_DISORDER are summed per block
_COUNTED = (S_N,) + COUNT_COLUMNS  # the columns of the tuples of _chunk_counts (households first)


@njit(cache=True, fastmath={"reassoc", "nsz", "contract"})
def _chunk_counts(h, slot_area, poor, ties, inter, area, start, stop):
    """Count sums over the households in slots ``start:stop`` that live in ``area`` (int32): (all groups,
    group 1), each (households, then the COUNT_COLUMNS).

    In float32, exact: a chunk holds at most CHUNK households, each term an integer below 2^8, so every sum
    is an integer below 2^24. In scalars (a pair per column): the loop carries no dependency through memory
    from one household to the next, reads only contiguous arrays, and LLVM vectorises it (8 households a
    vector); "reassoc" lets it reorder the additions, exact here.
    """
    n = n1 = un = un1 = ltu = ltu1 = tr = tr1 = ch = ch1 = pch = pch1 = ti = ti1 = it = it1 = pa = pa1 = np.float32(0)
    co = co1 = np.float32(0)
    for k in range(stop - start):
        i = unsigned(start + k)  # indices without wrap-around (common.unsigned)
        w = np.float32(1.0) if slot_area[k] == area else np.float32(0.0)
        g = w * np.float32(h.group[i])  # 1 for a household of group 1 in the area
        v = _counts(poor[k], ties[k], inter[k], h.labour[i], h.children[i], h.participating[i], h.conflicts[i])
        n += w
        n1 += g
        un += w * v[0]
        un1 += g * v[0]
        ltu += w * v[1]
        ltu1 += g * v[1]
        tr += w * v[2]
        tr1 += g * v[2]
        ch += w * v[3]
        ch1 += g * v[3]
        pch += w * v[4]
        pch1 += g * v[4]
        ti += w * v[5]
        ti1 += g * v[5]
        it += w * v[6]
        it1 += g * v[6]
        pa += w * v[7]
        pa1 += g * v[7]
        co += w * v[8]
        co1 += g * v[8]
    return (n, un, ltu, tr, ch, pch, ti, it, pa, co), (n1, un1, ltu1, tr1, ch1, pch1, ti1, it1, pa1, co1)


@njit(cache=True)
def _left_after(slot_area, after, skip):
    """The households in ``slot_area`` left for later (in an area above ``after`` other than ``skip``, all
    int32): their number and their lowest area (NOBODY if none)."""
    left = np.int32(0)
    lowest = NOBODY
    for k in range(slot_area.shape[0]):
        r = slot_area[k]
        later = (r > after) & (r != skip) & (r < NOBODY)
        left += np.int32(later)
        lowest = min(lowest, r if later else NOBODY)
    return left, lowest


@njit(cache=True, fastmath={"reassoc", "nsz", "contract"})
def _chunk_amounts(h, housing_cost_limit, slot_area, poor, rent, area, start, stop):
    """Sums of amounts (AMOUNT_COLUMNS) over the households in slots ``start:stop`` that live in ``area``:
    (all groups, group 1). Vectorised as :func:`_chunk_counts`; "reassoc" lets LLVM reorder the additions
    (the sums change in their last bits); nothing else in the loop can be reassociated.
    """
    inc = inc1 = sk = sk1 = tin = tin1 = tout = tout1 = tinst = tinst1 = ef = ef1 = sa = sa1 = re = re1 = 0.0
    bu = bu1 = 0.0
    for k in range(stop - start):
        i = unsigned(start + k)  # indices without wrap-around (common.unsigned)
        w = 1.0 if slot_area[k] == area else 0.0
        g = w * h.group[i]  # 1 for a household of group 1 in the area
        v = _amounts(housing_cost_limit, poor[k], h.labour[i], h.income[i], rent[k], h.skill[i], h.trust_in[i],
                     h.trust_out[i], h.trust_inst[i], h.efficacy[i], h.satisfaction[i])
        inc += w * v[0]
        inc1 += g * v[0]
        sk += w * v[1]
        sk1 += g * v[1]
        tin += w * v[2]
        tin1 += g * v[2]
        tout += w * v[3]
        tout1 += g * v[3]
        tinst += w * v[4]
        tinst1 += g * v[4]
        ef += w * v[5]
        ef1 += g * v[5]
        sa += w * v[6]
        sa1 += g * v[6]
        re += w * v[7]
        re1 += g * v[7]
        bu += w * v[8]
        bu1 += g * v[8]
    return (inc, sk, tin, tout, tinst, ef, sa, re, bu), (inc1, sk1, tin1, tout1, tinst1, ef1, sa1, re1, bu1)


@njit(cache=True)
def block_sums(out, blk_area, blk_group_count, blk_ce, blk_disorder):
    """Add the block columns (S_CE, S_DISORDER: the household's block's collective efficacy and disorder) to
    ``out`` (n_areas + 1, 3, N_SUMS), rows of the areas, groups 0/1: per block, its value times its
    households of each group (``blocks.group_count``, kept current by mobility) rather than per household."""
    for b in range(blk_area.shape[0]):
        a = blk_area[b]
        for g in range(2):
            count = np.float64(blk_group_count[b, g])
            out[a, g, S_CE] += count * blk_ce[b]
            out[a, g, S_DISORDER] += count * blk_disorder[b]


MAX_PASSES = 8  # vectorised passes over a chunk at most (each pass after the first covers a fifth of it: <= 6)


@njit(cache=True, parallel=explicit_prange())
def household_sums(lp, h, dw, blk_area, blk_group_count, blk_ce, blk_disorder, housing_cost_limit, n_areas):
    """Sums over households by (area or city = n_areas, group 0/1 or all = 2).

    Slots are summed in chunks of CHUNK. Where slot order follows the areas (one area, or households
    kept in spatial order) a chunk is a pass of :func:`household_flags` and, per area in it, one vectorised
    pass of :func:`_chunk_counts` and one of :func:`_chunk_amounts` (group 0 = all - group 1). Where the
    areas interleave, the households are added one by one (19 read-modify-writes each), all of them or
    those left after the passes that pay; the work stays bounded however the areas interleave. The block
    columns are summed per block (:func:`block_sums`).

    The chunks' passes run in parallel (threads.py) and keep their sums; then, chunk by chunk in order, the
    passes' sums and the households left are added to the table: the same additions in the same order as one
    loop over the chunks.
    """
    n_areas = int(n_areas)
    out = np.zeros((n_areas + 1, 3, N_SUMS))
    n = h.alive.shape[0]
    partner_group = partner_groups(h.group)
    n_chunks = (n + CHUNK - 1) // CHUNK
    pass_area = np.full((n_chunks, MAX_PASSES), NOBODY, np.int32)
    pass_counts = np.empty((n_chunks, MAX_PASSES, 2, len(_COUNTED)), np.float32)
    pass_amounts = np.empty((n_chunks, MAX_PASSES, 2, len(AMOUNT_COLUMNS)))
    chunk_after = np.empty(n_chunks, np.int32)
    chunk_main = np.empty(n_chunks, np.int32)
    chunk_rest = np.empty(n_chunks, np.int64)
    for chunk in prange(n_chunks):
        start = chunk * CHUNK
        stop = min(start + CHUNK, n)
        slot_area = slot_areas(h, dw, n_areas, start, stop)
        # first the area of the middle household (most of the chunk where slot order follows the areas),
        # then the others in increasing order while passes pay, the rest one by one. A household costs
        # about 5 times as much one by one as a slot in a pass, and the flags for the passes about 1.5
        # passes: the first pass pays if it covers half of the chunk, the next ones if they cover a fifth.
        m = stop - start
        main = NOBODY
        for q in range(m):
            main = slot_area[(m // 2 + q) % m]
            if main < NOBODY:
                break
        left = in_main = 0
        for k in range(m):
            left += slot_area[k] < NOBODY
            in_main += slot_area[k] == main
        a, after = main, -1
        if 2 * in_main <= m:  # the areas interleave: all one by one (no passes, no flags needed)
            a, main = NOBODY, -1
        else:
            poor, ties, inter, rent = household_flags(lp, h, dw, partner_group, housing_cost_limit, start, stop)
        rest = left  # households not summed yet (all of them where the areas interleave)
        passes = 0
        while a < NOBODY and passes < MAX_PASSES:
            if a != main:
                after = a  # areas up to this one are done
            c, c1 = _chunk_counts(h, slot_area, poor, ties, inter, np.int32(a), start, stop)
            s, s1 = _chunk_amounts(h, housing_cost_limit, slot_area, poor, rent, np.int32(a), start, stop)
            rest, lowest = _left_after(slot_area, np.int32(after), np.int32(main))
            pass_area[chunk, passes] = a
            for q in range(len(_COUNTED)):
                pass_counts[chunk, passes, 0, q] = c[q]
                pass_counts[chunk, passes, 1, q] = c1[q]
            for q in range(len(AMOUNT_COLUMNS)):
                pass_amounts[chunk, passes, 0, q] = s[q]
                pass_amounts[chunk, passes, 1, q] = s1[q]
            passes += 1
            if 5 * rest <= m or 5 * (left - rest) <= m:  # few left, or the last pass covered few
                break
            a, left = lowest, rest
        chunk_after[chunk], chunk_main[chunk], chunk_rest[chunk] = after, main, rest
    later = np.empty(CHUNK, np.int64)
    for chunk in range(n_chunks):
        for k in range(MAX_PASSES):
            a = pass_area[chunk, k]
            if a == NOBODY:
                break
            for q in range(len(_COUNTED)):  # group 0 = all - group 1
                count, count1 = pass_counts[chunk, k, 0, q], pass_counts[chunk, k, 1, q]
                out[a, 0, _COUNTED[q]] += np.float64(count) - np.float64(count1)
                out[a, 1, _COUNTED[q]] += np.float64(count1)
            for q in range(len(AMOUNT_COLUMNS)):
                amount, amount1 = pass_amounts[chunk, k, 0, q], pass_amounts[chunk, k, 1, q]
                out[a, 0, AMOUNT_COLUMNS[q]] += amount - amount1
                out[a, 1, AMOUNT_COLUMNS[q]] += amount1
        if chunk_rest[chunk] == 0:
            continue
        start = chunk * CHUNK
        stop = min(start + CHUNK, n)
        slot_area = slot_areas(h, dw, n_areas, start, stop)
        after, main = chunk_after[chunk], chunk_main[chunk]
        listed = 0  # the rest: their slots, listed without a branch, then one by one
        for k in range(stop - start):
            r = slot_area[k]
            later[listed] = start + k
            listed += (r > after) & (r != main) & (r < NOBODY)
        for slot in later[:listed]:
            i = unsigned(slot)  # indices without wrap-around (common.unsigned)
            rent_i = dw.rent[unsigned(h.dwelling[i])]
            poor_i = basic_support(lp, h.labour[i], h.income[i], h.adults[i], h.children[i], rent_i,
                                   housing_cost_limit)
            ties_i, inter_i = _tie_counts(h.tie_target, partner_group, h.group[i], i, h.tie_target.shape[1])
            r, g = unsigned(slot_area[unsigned(slot - start)]), unsigned(h.group[i])
            c = (np.float32(1),) + _counts(poor_i, ties_i, inter_i, h.labour[i], h.children[i], h.participating[i],
                               h.conflicts[i])
            v = _amounts(housing_cost_limit, poor_i, h.labour[i], h.income[i], rent_i, h.skill[i], h.trust_in[i],
                         h.trust_out[i], h.trust_inst[i], h.efficacy[i], h.satisfaction[i])
            for q in range(len(_COUNTED)):  # a loop of constant length over constant tuples: unrolled
                out[r, g, _COUNTED[q]] += c[q]
            for q in range(len(AMOUNT_COLUMNS)):
                out[r, g, AMOUNT_COLUMNS[q]] += v[q]
    for a in range(n_areas):
        for g in range(2):
            out[a, g, S_HEADS] = out[a, g, S_N]  # every household has a head
    block_sums(out, blk_area, blk_group_count, blk_ce, blk_disorder)
    for a in range(n_areas):  # totals: the city row and the all-groups column
        for g in range(2):
            for c in range(N_SUMS):
                out[n_areas, g, c] += out[a, g, c]
    for a in range(n_areas + 1):
        for c in range(N_SUMS):
            out[a, 2, c] = out[a, 0, c] + out[a, 1, c]
    return out


OUTSIDE_SUMS = (S_N, S_HEADS, S_UNEMP, S_LTU, S_TRANSFER, S_CHILDREN, S_POOR_CHILDREN, S_INCOME, S_SKILL)
"""The household sums that exist for the leavers followed outside the city (:func:`leaver_sums`)."""


@njit(cache=True)
def leaver_sums(lp, lv, n, housing_cost_limit, n_areas):
    """Household sums (n_areas + 1, N_SUMS) of the first ``n`` original residents who left the city (the
    record ``lv``, ``state.LeaversView``; ``kernels.leavers``) by origin area, last row the city: the
    columns of OUTSIDE_SUMS; the others (trust, ties, participation, satisfaction, rent, ...) are not known
    outside the city and are NaN in every row with leavers."""
    out = np.zeros((n_areas + 1, N_SUMS))
    for k in range(n):
        a = lv.origin_area[k]
        income = income_of(lp, lv, k)
        poor = basic_support(lp, lv.labour[k], income, lv.adults[k], lv.children[k], lv.rent[k],
                             housing_cost_limit)
        c = _counts(poor, 0, 0, lv.labour[k], lv.children[k], 0, 0)
        for r in (np.int64(a), n_areas):
            out[r, S_N] += 1.0
            out[r, S_HEADS] += 1.0
            out[r, S_UNEMP] += c[0]
            out[r, S_LTU] += c[1]
            out[r, S_TRANSFER] += c[2]
            out[r, S_CHILDREN] += c[3]
            out[r, S_POOR_CHILDREN] += c[4]
            out[r, S_INCOME] += income
            out[r, S_SKILL] += lv.skill[k]
    outside = np.zeros(N_SUMS, np.bool_)
    for col in OUTSIDE_SUMS:
        outside[col] = True
    for r in range(n_areas + 1):
        if out[r, S_N] > 0:
            for col in range(N_SUMS):
                if not outside[col]:
                    out[r, col] = np.nan
    return out


@njit(cache=True)
def area_properties(area_dwellings, households, bld_block, bld_quality, blk_area, blk_group_count):
    """Per area and city (last row): dwellings, vacant, building quality sum, buildings, dissimilarity index.

    ``households`` are the resident households per area and city (from the household sums).
    """
    city = area_dwellings.shape[0]
    out = np.zeros((city + 1, 5))
    for a in range(city):
        out[a, 0] = area_dwellings[a]
        out[a, 1] = area_dwellings[a] - households[a]
        out[city, 0] += area_dwellings[a]
    out[city, 1] = out[city, 0] - households[city]
    for k in range(bld_quality.shape[0]):
        for r in (np.int64(blk_area[bld_block[k]]), city):
            out[r, 2] += bld_quality[k]
            out[r, 3] += 1.0
    totals = np.zeros((city + 1, 2))
    for b in range(blk_area.shape[0]):
        for r in (np.int64(blk_area[b]), city):
            totals[r, 0] += blk_group_count[b, 0]
            totals[r, 1] += blk_group_count[b, 1]
    gaps = np.zeros(city + 1)  # sum over blocks of |c0 T1 - c1 T0|, exact in integers
    for b in range(blk_area.shape[0]):
        for r in (np.int64(blk_area[b]), city):
            gaps[r] += abs(np.int64(blk_group_count[b, 0]) * np.int64(totals[r, 1])
                           - np.int64(blk_group_count[b, 1]) * np.int64(totals[r, 0]))
    for r in range(city + 1):
        if totals[r, 0] > 0 and totals[r, 1] > 0:
            out[r, 4] = min(1.0, 0.5 * gaps[r] / (totals[r, 0] * totals[r, 1]))
    return out


AREA_VALUES = ("vacancy_rate", "segregation_index", "building_quality", "place_quality", "network_density",
               "reputation", "budget_available", "budget_spent", "cumulative_cost")
"""The area-level values of :func:`area_values`, in column order."""

IndicatorLayout = namedtuple("IndicatorLayout", "width shares means counts flow_rates flow_counts area_values")
"""Which column of the indicator table comes from which sums (int64 arrays, one row per indicator):
shares (column, numerator sum, denominator sum); means (column, sum) per household; counts (column, sum,
1 if each event involves one household of each group and counts once for all groups); flow rates (column,
flow) per household at the start of the month; flow counts (column, flow); area values (column, position
in AREA_VALUES). ``width``: the number of columns."""


@njit(cache=True, inline="always")
def _div(num, den):
    return num / den if den > 0 else 0.0


@njit(cache=True)
def row_flows(flows):
    """The month's flows (n_areas, 2, n_flows) by row (areas, then the city) and group (0, 1, all); the city
    row counts only moves across the city boundary."""
    n_areas = flows.shape[0]
    rows = n_areas + 1
    f = np.zeros((rows, 3, flows.shape[2]))
    for a in range(n_areas):
        for g in range(2):
            for c in range(flows.shape[2]):
                f[a, g, c] = flows[a, g, c]
                f[n_areas, g, c] += flows[a, g, c]
    for g in range(2):
        f[n_areas, g, F_OUT] -= f[n_areas, g, F_BETWEEN]
        f[n_areas, g, F_IN] -= f[n_areas, g, F_BETWEEN]
    for r in range(rows):
        for c in range(flows.shape[2]):
            f[r, 2, c] = f[r, 0, c] + f[r, 1, c]
    return f


@njit(cache=True)
def area_values(s, props, place_quality, network_density, reputation, available, spent, cost):
    """The AREA_VALUES per row (areas, then the city): vacancy, segregation and building quality of the row
    (from :func:`area_properties`); place quality, actor-network density and reputation of the area, for the
    city their mean weighted by resident households; the ledger's money, for the city its sums."""
    rows = s.shape[0]
    n_areas = rows - 1
    total = 0.0
    for a in range(n_areas):
        total += s[a, 2, S_N]
    place_city = network_city = reputation_city = 0.0
    for a in range(n_areas):
        w = s[a, 2, S_N] / total if total > 0 else 1.0 / n_areas
        place_city += w * place_quality[a]
        network_city += w * network_density[a]
        reputation_city += w * reputation[a]
    out = np.empty((rows, len(AREA_VALUES)))
    for r in range(rows):
        area = r < n_areas
        out[r, 0] = _div(props[r, 1], props[r, 0])
        out[r, 1] = props[r, 4]
        out[r, 2] = _div(props[r, 2], props[r, 3])
        out[r, 3] = place_quality[r] if area else place_city
        out[r, 4] = network_density[r] if area else network_city
        out[r, 5] = reputation[r] if area else reputation_city
        out[r, 6] = available[r] if area else available.sum()
        out[r, 7] = spent[r] if area else spent.sum()
        out[r, 8] = cost[r] if area else cost.sum()
    return out


@njit(cache=True)
def indicator_table(s, f, area, layout):
    """The built-in indicators (rows, 3, layout.width) from household sums ``s``, row flows ``f``
    (:func:`row_flows`) and area values ``area`` (:func:`area_values`), column by column as ``layout`` says."""
    rows = s.shape[0]
    out = np.zeros((rows, 3, layout.width))
    for r in range(rows):
        for g in range(3):
            n = s[r, g, S_N]
            for k in range(layout.shares.shape[0]):
                col, num, den = layout.shares[k, 0], layout.shares[k, 1], layout.shares[k, 2]
                out[r, g, col] = _div(s[r, g, num], s[r, g, den])
            for k in range(layout.means.shape[0]):
                out[r, g, layout.means[k, 0]] = _div(s[r, g, layout.means[k, 1]], n)
            for k in range(layout.counts.shape[0]):
                once = layout.counts[k, 2] == 1 and g == 2  # each event involves one household of each group
                out[r, g, layout.counts[k, 0]] = s[r, g, layout.counts[k, 1]] / (2.0 if once else 1.0)
            start = n + f[r, g, F_OUT] - f[r, g, F_IN]  # households at the start of the month
            for k in range(layout.flow_rates.shape[0]):
                out[r, g, layout.flow_rates[k, 0]] = _div(f[r, g, layout.flow_rates[k, 1]], start)
            for k in range(layout.flow_counts.shape[0]):
                out[r, g, layout.flow_counts[k, 0]] = f[r, g, layout.flow_counts[k, 1]]
            for k in range(layout.area_values.shape[0]):
                out[r, g, layout.area_values[k, 0]] = area[r, layout.area_values[k, 1]]
    return out


@njit(cache=True)
def month_indicators(lp, housing_cost_limit, h, dw, bld_block, bld_quality, blk, ar, block_efficacy, flows,
                     place_quality, layout):
    """The built-in indicators of one month (n_areas + 1, 3, layout.width) from the state at its end, and the
    household sums they come from (n_areas + 1, 3, N_SUMS)."""
    n_areas = ar.nx.shape[0]
    s = household_sums(lp, h, dw, blk.area, blk.group_count, block_efficacy, blk.disorder, housing_cost_limit,
                       n_areas)
    props = area_properties(ar.n_dwellings, s[:, 2, S_N], bld_block, bld_quality, blk.area, blk.group_count)
    area = area_values(s, props, place_quality, ar.network_density, ar.reputation, ar.budget_available,
                       ar.budget_spent, ar.cumulative_cost)
    return indicator_table(s, row_flows(flows), area, layout), s
