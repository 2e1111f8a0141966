"""Indicators: the public outputs, their definitions, and how they are computed.

Every month the engine records one value per indicator for each area and
for the whole city ("all"), for each group and for all households ("all").
Household indicators are means or shares over the households of the row;
area indicators (vacancy, segregation, places, network, reputation, budget)
are properties of the area and are the same in its group rows.

``kind`` says how a year is formed from months: ``stock`` takes December
(the MSS reads its indicators on 31 December), ``flow`` sums the months,
``rate`` takes the mean monthly rate times 12 (per year).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from numba import njit

from .errors import QsimError
from .kernels.common import basic_support, rent_burden, unsigned
from .kernels.mobility import F_BETWEEN, F_DISPLACED, F_IN, F_OUT
from .state import EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER


@dataclass(frozen=True)
class Indicator:
    name: str
    unit: str
    kind: str  # stock | flow | rate
    level: str  # household | area
    description: str
    low: float = 0.0
    high: float = 1.0


INDICATORS: tuple[Indicator, ...] = (
    Indicator("unemployment_rate", "share", "stock", "household",
              "S1: unemployed heads (short- and long-term) per household head (the model has no age; every head counts)."),
    Indicator("long_term_unemployment_rate", "share", "stock", "household", "S2: heads unemployed over 12 months per head."),
    Indicator("transfer_rate", "share", "stock", "household",
              "S3: households in SGB II receipt without unemployment (transfer state, or employed and topped up) "
              "per household."),
    Indicator("child_poverty_rate", "share", "stock", "household",
              "S4: children under 15 in SGB II households per child."),
    Indicator("mean_income", "EUR/month", "stock", "household", "Mean net household income excl. housing support.",
              0.0, 1e6),
    Indicator("mean_skill", "0-1", "stock", "household", "Mean skill of heads."),
    Indicator("in_group_trust", "0-1", "stock", "household", "Mean trust in neighbours of the own group."),
    Indicator("out_group_trust", "0-1", "stock", "household", "Mean trust in the other group."),
    Indicator("institutional_trust", "0-1", "stock", "household", "Mean trust in institutions."),
    Indicator("tie_density", "ties/household", "stock", "household", "Mean number of ties per household.", 0.0, 64.0),
    Indicator("inter_group_tie_share", "share", "stock", "household", "Share of ties that link the two groups."),
    Indicator("collective_efficacy", "0-1", "stock", "household", "Collective efficacy of the household's block, mean."),
    Indicator("participation_rate", "share", "stock", "household", "Share of households taking part this month."),
    Indicator("efficacy", "0-1", "stock", "household", "Mean political efficacy."),
    Indicator("satisfaction", "0-1", "stock", "household", "Mean residential satisfaction."),
    Indicator("move_out_rate", "1/month", "rate", "household", "Households leaving the area per resident household."),
    Indicator("in_move_rate", "1/month", "rate", "household",
              "Households arriving in the area per household resident at the start of the month.", 0.0, 1e9),
    Indicator("vacancy_rate", "share", "stock", "area", "Vacant dwellings per dwelling."),
    Indicator("segregation_index", "0-1", "stock", "area", "Dissimilarity index of the two groups over blocks."),
    Indicator("building_quality", "0-1", "stock", "area", "Mean quality of buildings."),
    Indicator("place_quality", "0-1", "stock", "area", "Mean quality of places (parks, centres, playgrounds, schools)."),
    Indicator("disorder", "0-1", "stock", "household", "Disorder of the household's block, mean."),
    Indicator("mean_rent", "EUR/month", "stock", "household", "Mean contract rent of occupied dwellings.", 0.0, 1e6),
    Indicator("rent_burden", "share", "stock", "household",
              "Mean share of income spent on rent after housing support.", 0.0, 1e3),
    Indicator("displacements", "households", "flow", "household", "Households displaced by rent burden this month.",
              0.0, 1e9),
    Indicator("conflicts", "conflicts", "flow", "household",
              "Inter-group conflicts this month involving a household of the row (each conflict once in 'all').",
              0.0, 1e9),
    Indicator("actor_network_density", "0-1", "stock", "area", "Mean cooperation-tie strength between organisations."),
    Indicator("reputation", "0-1", "stock", "area", "Reputation of the area."),
    Indicator("budget_available", "EUR", "stock", "area", "Money available to measures (from the ledger).", 0.0, 1e12),
    Indicator("budget_spent", "EUR", "flow", "area", "Money spent on measures this month (from the ledger).", 0.0, 1e12),
    Indicator("cumulative_cost", "EUR", "stock", "area", "Money spent on measures since the start.", 0.0, 1e13),
    Indicator("households", "households", "stock", "household", "Resident households.", 0.0, 1e9),
)
NAMES: tuple[str, ...] = tuple(ind.name for ind in INDICATORS)
INDEX = {name: k for k, name in enumerate(NAMES)}
BY_NAME = {ind.name: ind for ind in INDICATORS}
N_INDICATORS = len(INDICATORS)


def checked_names(names: str | Sequence[str], available: Sequence[str] = NAMES) -> list[str]:
    """``names`` as a list (one indicator may be given as a string), each one of ``available``; else a
    QsimError that names the closest indicator (or says how to pass a file path)."""
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        if name in available:
            continue
        if name in BY_NAME:
            hint = f"this table has {', '.join(available)}"
        elif Path(name).suffix.lower() in (".png", ".pdf", ".svg", ".jpg"):
            hint = "to write the figure to a file, pass it as path=..."
        else:
            close = difflib.get_close_matches(name, available, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "`qsim.INDICATOR_NAMES` lists them"
        raise QsimError(f"unknown indicator {name!r}: {hint}")
    return names

# household sums (columns of the table filled by household_sums)
(S_N, S_HEADS, S_UNEMP, S_LTU, S_TRANSFER, S_CHILDREN, S_POOR_CHILDREN, S_INCOME, S_SKILL, S_TRUST_IN, S_TRUST_OUT,
 S_TRUST_INST, S_TIES, S_INTER_TIES, S_CE, S_PART, S_EFFICACY, S_SAT, S_RENT, S_BURDEN, S_CONFLICTS,
 S_DISORDER) = range(22)
N_SUMS = 22
CHUNK = 2048  # slots whose sums are gathered in registers before they are added to the table
NOBODY = np.int32(2 ** 31 - 1)  # the area of an empty slot: above every area


@njit(cache=True)
def slot_areas(h, dw, n_areas, start, stop):
    """The area of the household in each slot of ``start:stop`` (NOBODY for an empty slot; with one area
    the dwelling's is not read)."""
    area = np.empty(stop - start, np.int32)
    for k in range(stop - start):
        i = unsigned(start + k)  # (kernels.common.unsigned)
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
    for k in range(np.uint64(ties.shape[0])):  # unsigned: no negative-index wraparound
        ties[k], inter[k] = _tie_counts(tie_target, partner_group, group[first + k], first + k, slots)


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
    first = np.uint64(start)
    if h.tie_target.shape[1] == UNROLLED_TIE_SLOTS:
        _fill_ties(h.tie_target, partner_group, h.group, first, ties, inter, UNROLLED_TIE_SLOTS)
    else:
        _fill_ties(h.tie_target, partner_group, h.group, first, ties, inter, h.tie_target.shape[1])
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
    first = np.uint64(start)
    for k in range(np.uint64(stop - start)):  # unsigned: no negative-index wraparound
        i = first + k
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
    first = np.uint64(start)
    for k in range(np.uint64(stop - start)):  # unsigned: no negative-index wraparound
        i = first + k
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


@njit(cache=True)
def household_sums(lp, h, dw, blk_area, blk_group_count, blk_ce, blk_disorder, housing_cost_limit, n_areas):
    """Sums over households by (area or city = n_areas, group 0/1 or all = 2).

    Slots are summed in chunks of CHUNK. Where slot order follows the areas (one area, or households
    kept in spatial order) a chunk is a pass of :func:`household_flags` and, per area in it, one vectorised
    pass of :func:`_chunk_counts` and one of :func:`_chunk_amounts` (group 0 = all - group 1). Where the
    areas interleave, the households are added one by one (19 read-modify-writes each), all of them or
    those left after the passes that pay; the work stays bounded however the areas interleave. The block
    columns are summed per block (:func:`block_sums`).
    """
    n_areas = int(n_areas)
    out = np.zeros((n_areas + 1, 3, N_SUMS))
    n = h.alive.shape[0]
    later = np.empty(CHUNK, np.uint64)  # unsigned slots: no negative-index wraparound
    partner_group = partner_groups(h.group)
    for start in range(0, n, CHUNK):
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
        while a < NOBODY:
            if a != main:
                after = a  # areas up to this one are done
            c, c1 = _chunk_counts(h, slot_area, poor, ties, inter, np.int32(a), start, stop)
            s, s1 = _chunk_amounts(h, housing_cost_limit, slot_area, poor, rent, np.int32(a), start, stop)
            rest, lowest = _left_after(slot_area, np.int32(after), np.int32(main))
            for q in range(len(_COUNTED)):  # group 0 = all - group 1
                out[a, 0, _COUNTED[q]] += np.float64(c[q]) - np.float64(c1[q])
                out[a, 1, _COUNTED[q]] += np.float64(c1[q])
            for q in range(len(AMOUNT_COLUMNS)):
                out[a, 0, AMOUNT_COLUMNS[q]] += s[q] - s1[q]
                out[a, 1, AMOUNT_COLUMNS[q]] += s1[q]
            if 5 * rest <= m or 5 * (left - rest) <= m:  # few left, or the last pass covered few
                break
            a, left = lowest, rest
        listed = 0  # the rest (if any): their slots, listed without a branch, then one by one
        for k in range(m if rest > 0 else 0):
            r = slot_area[k]
            later[listed] = np.uint64(start + k)
            listed += (r > after) & (r != main) & (r < NOBODY)
        for i in later[:listed]:
            rent_i = dw.rent[h.dwelling[i]]
            poor_i = basic_support(lp, h.labour[i], h.income[i], h.adults[i], h.children[i], rent_i,
                                   housing_cost_limit)
            ties_i, inter_i = _tie_counts(h.tie_target, partner_group, h.group[i], i, h.tie_target.shape[1])
            r, g = np.uint64(slot_area[i - np.uint64(start)]), np.uint64(h.group[i])  # unsigned: no wraparound
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


# per-household means: (indicator column, sum column)
_MEANS = tuple((INDEX[name], col) for name, col in (
    ("mean_income", S_INCOME), ("mean_skill", S_SKILL), ("in_group_trust", S_TRUST_IN),
    ("out_group_trust", S_TRUST_OUT), ("institutional_trust", S_TRUST_INST), ("tie_density", S_TIES),
    ("collective_efficacy", S_CE), ("participation_rate", S_PART), ("efficacy", S_EFFICACY),
    ("satisfaction", S_SAT), ("mean_rent", S_RENT), ("rent_burden", S_BURDEN), ("disorder", S_DISORDER)))
_SHARES = tuple((INDEX[name], num, den) for name, num, den in (
    ("unemployment_rate", S_UNEMP, S_HEADS), ("long_term_unemployment_rate", S_LTU, S_HEADS),
    ("transfer_rate", S_TRANSFER, S_HEADS), ("child_poverty_rate", S_POOR_CHILDREN, S_CHILDREN),
    ("inter_group_tie_share", S_INTER_TIES, S_TIES)))
I_CONFLICTS, I_HOUSEHOLDS, I_MOVE_OUT, I_MOVE_IN, I_DISPLACEMENTS = (
    INDEX["conflicts"], INDEX["households"], INDEX["move_out_rate"], INDEX["in_move_rate"], INDEX["displacements"])
I_VACANCY, I_SEGREGATION, I_BUILDINGS, I_PLACES, I_NETWORK, I_REPUTATION = (
    INDEX["vacancy_rate"], INDEX["segregation_index"], INDEX["building_quality"], INDEX["place_quality"],
    INDEX["actor_network_density"], INDEX["reputation"])
I_AVAILABLE, I_SPENT, I_COST = INDEX["budget_available"], INDEX["budget_spent"], INDEX["cumulative_cost"]


@njit(cache=True, inline="always")
def _div(num, den):
    return num / den if den > 0 else 0.0


@njit(cache=True)
def indicator_table(s, props, flows, place_quality, network_density, reputation, available, spent, cost):
    """The indicators (n_areas + 1, 3, N_INDICATORS) from household sums, area properties and flows."""
    rows = s.shape[0]
    n_areas = rows - 1
    out = np.zeros((rows, 3, N_INDICATORS))
    f = np.zeros((rows, 3, flows.shape[2]))
    for a in range(n_areas):
        for g in range(2):
            for c in range(flows.shape[2]):
                f[a, g, c] = flows[a, g, c]
                f[n_areas, g, c] += flows[a, g, c]
    for g in range(2):  # the city row counts only moves across the city boundary
        f[n_areas, g, F_OUT] -= f[n_areas, g, F_BETWEEN]
        f[n_areas, g, F_IN] -= f[n_areas, g, F_BETWEEN]
    for r in range(rows):
        for c in range(flows.shape[2]):
            f[r, 2, c] = f[r, 0, c] + f[r, 1, c]
    total = 0.0
    for a in range(n_areas):
        total += s[a, 2, S_N]
    place_city = network_city = reputation_city = 0.0
    for a in range(n_areas):
        w = s[a, 2, S_N] / total if total > 0 else 1.0 / n_areas
        place_city += w * place_quality[a]
        network_city += w * network_density[a]
        reputation_city += w * reputation[a]
    for r in range(rows):
        area_level = (
            _div(props[r, 1], props[r, 0]), props[r, 4], _div(props[r, 2], props[r, 3]),
            place_quality[r] if r < n_areas else place_city,
            network_density[r] if r < n_areas else network_city,
            reputation[r] if r < n_areas else reputation_city)
        budget = (available[r], spent[r], cost[r]) if r < n_areas else (available.sum(), spent.sum(), cost.sum())
        for g in range(3):
            n = s[r, g, S_N]
            for col, num, den in _SHARES:
                out[r, g, col] = _div(s[r, g, num], s[r, g, den])
            for col, num in _MEANS:
                out[r, g, col] = _div(s[r, g, num], n)
            out[r, g, I_CONFLICTS] = s[r, g, S_CONFLICTS] / (2.0 if g == 2 else 1.0)
            out[r, g, I_HOUSEHOLDS] = n
            start = n + f[r, g, F_OUT] - f[r, g, F_IN]  # households at the start of the month
            out[r, g, I_MOVE_OUT] = _div(f[r, g, F_OUT], start)
            out[r, g, I_MOVE_IN] = _div(f[r, g, F_IN], start)
            out[r, g, I_DISPLACEMENTS] = f[r, g, F_DISPLACED]
            out[r, g, I_VACANCY] = area_level[0]
            out[r, g, I_SEGREGATION] = area_level[1]
            out[r, g, I_BUILDINGS] = area_level[2]
            out[r, g, I_PLACES] = area_level[3]
            out[r, g, I_NETWORK] = area_level[4]
            out[r, g, I_REPUTATION] = area_level[5]
            out[r, g, I_AVAILABLE] = budget[0]
            out[r, g, I_SPENT] = budget[1]
            out[r, g, I_COST] = budget[2]
    return out


@njit(cache=True)
def _month(lp, housing_cost_limit, h, dw, bld_block, bld_quality, blk, ar, block_efficacy, flows, place_quality):
    n_areas = ar.nx.shape[0]
    s = household_sums(lp, h, dw, blk.area, blk.group_count, block_efficacy, blk.disorder, housing_cost_limit,
                       n_areas)
    props = area_properties(ar.n_dwellings, s[:, 2, S_N], bld_block, bld_quality, blk.area, blk.group_count)
    return indicator_table(s, props, flows, place_quality, ar.network_density, ar.reputation, ar.budget_available,
                           ar.budget_spent, ar.cumulative_cost)


def compute(state, params, flows: np.ndarray, block_efficacy: np.ndarray,
            area_place_quality: np.ndarray) -> np.ndarray:
    """All indicators for one month: array (n_areas + 1, 3, N_INDICATORS); row n_areas is the city, column 2 all groups.

    ``block_efficacy`` is the current collective efficacy of every block.
    """
    return _month(params.labour, params.environment.housing_cost_limit, state.households.view(),
                  state.dwellings.view(), state.buildings.block, state.buildings.quality, state.blocks.view(),
                  state.areas.view(), block_efficacy, flows, area_place_quality)
