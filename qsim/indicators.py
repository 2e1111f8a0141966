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

from dataclasses import dataclass

import numpy as np
from numba import njit

from .kernels.common import basic_support, rent_burden
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

# household sums (columns of the table filled by household_sums)
(S_N, S_HEADS, S_UNEMP, S_LTU, S_TRANSFER, S_CHILDREN, S_POOR_CHILDREN, S_INCOME, S_SKILL, S_TRUST_IN, S_TRUST_OUT,
 S_TRUST_INST, S_TIES, S_INTER_TIES, S_CE, S_PART, S_EFFICACY, S_SAT, S_RENT, S_BURDEN, S_CONFLICTS,
 S_DISORDER) = range(22)
N_SUMS = 22


@njit(cache=True)
def household_sums(lp, h, dw, blk_ce, blk_disorder, housing_cost_limit, n_areas):
    """Sums over households by (area or city = n_areas, group 0/1 or all = 2)."""
    n_areas = int(n_areas)
    out = np.zeros((n_areas + 1, 3, N_SUMS))
    K = h.tie_target.shape[1]
    for i in range(h.alive.shape[0]):
        if not h.alive[i]:
            continue
        d = h.dwelling[i]
        a = int(dw.area[d])
        b = dw.block[d]
        g = int(h.group[i])
        state = h.labour[i]
        poor = basic_support(lp, state, h.income[i], h.adults[i], h.children[i], dw.rent[d], housing_cost_limit)
        ties = 0.0
        inter = 0.0
        for k in range(K):  # without a branch per slot (an empty slot reads household 0 and counts nothing)
            j = h.tie_target[i, k]
            tied = j >= 0
            ties += tied
            inter += tied & (h.group[max(j, 0)] != g)
        out[a, g, S_N] += 1.0
        out[a, g, S_HEADS] += 1.0
        # counts added as 0/1 (adding 0 changes no sum): no unpredictable branches
        out[a, g, S_UNEMP] += 1.0 if (state == SHORT_TERM_UNEMPLOYED) | (state == LONG_TERM_UNEMPLOYED) else 0.0
        out[a, g, S_LTU] += 1.0 if state == LONG_TERM_UNEMPLOYED else 0.0
        out[a, g, S_TRANSFER] += 1.0 if (state == TRANSFER) | (poor & (state == EMPLOYED)) else 0.0
        out[a, g, S_CHILDREN] += h.children[i]
        out[a, g, S_POOR_CHILDREN] += h.children[i] if poor else 0
        out[a, g, S_INCOME] += h.income[i]
        out[a, g, S_SKILL] += h.skill[i]
        out[a, g, S_TRUST_IN] += h.trust_in[i]
        out[a, g, S_TRUST_OUT] += h.trust_out[i]
        out[a, g, S_TRUST_INST] += h.trust_inst[i]
        out[a, g, S_TIES] += ties
        out[a, g, S_INTER_TIES] += inter
        out[a, g, S_CE] += blk_ce[b]
        out[a, g, S_PART] += h.participating[i]
        out[a, g, S_EFFICACY] += h.efficacy[i]
        out[a, g, S_SAT] += h.satisfaction[i]
        out[a, g, S_RENT] += dw.rent[d]
        out[a, g, S_BURDEN] += rent_burden(dw.rent[d], h.income[i], poor | (state == INACTIVE), housing_cost_limit)
        out[a, g, S_CONFLICTS] += h.conflicts[i]
        out[a, g, S_DISORDER] += blk_disorder[b]
    for a in range(n_areas):  # totals: the city row and the all-groups column
        for g in range(2):
            for s in range(N_SUMS):
                out[n_areas, g, s] += out[a, g, s]
    for a in range(n_areas + 1):
        for s in range(N_SUMS):
            out[a, 2, s] = out[a, 0, s] + out[a, 1, s]
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
    s = household_sums(lp, h, dw, block_efficacy, blk.disorder, housing_cost_limit, n_areas)
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
