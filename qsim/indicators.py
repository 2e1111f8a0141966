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
from .kernels.trust import collective_efficacy
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
        for k in range(K):
            j = h.tie_target[i, k]
            if j >= 0:
                ties += 1.0
                if h.group[j] != g:
                    inter += 1.0
        out[a, g, S_N] += 1.0
        out[a, g, S_HEADS] += 1.0
        if state == SHORT_TERM_UNEMPLOYED or state == LONG_TERM_UNEMPLOYED:
            out[a, g, S_UNEMP] += 1.0
        if state == LONG_TERM_UNEMPLOYED:
            out[a, g, S_LTU] += 1.0
        if state == TRANSFER or (poor and state == EMPLOYED):
            out[a, g, S_TRANSFER] += 1.0
        out[a, g, S_CHILDREN] += h.children[i]
        if poor:
            out[a, g, S_POOR_CHILDREN] += h.children[i]
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
        out[a, g, S_BURDEN] += rent_burden(dw.rent[d], h.income[i], poor or state == INACTIVE, housing_cost_limit)
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
def area_properties(dw_area, dw_occupant, bld_block, bld_quality, blk_area, blk_group_count, n_areas):
    """Per area and city (row n_areas): dwellings, vacant, building quality sum, buildings, dissimilarity index."""
    city = int(n_areas)
    out = np.zeros((city + 1, 5))
    for d in range(dw_area.shape[0]):
        vacant = 1.0 if dw_occupant[d] < 0 else 0.0
        for r in (np.int64(dw_area[d]), city):
            out[r, 0] += 1.0
            out[r, 1] += vacant
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


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def compute(state, params, flows: np.ndarray, block_aggregates: np.ndarray,
            area_place_quality: np.ndarray) -> np.ndarray:
    """All indicators for one month: array (n_areas + 1, 3, N_INDICATORS); row n_areas is the city, column 2 all groups."""
    h, dw, blk, ar = state.households, state.dwellings, state.blocks, state.areas
    n_areas = len(ar)
    ce = collective_efficacy(block_aggregates)
    s = household_sums(params.labour, h.view(), dw.view(), ce, blk.disorder, params.environment.housing_cost_limit,
                       n_areas)
    props = area_properties(dw.area, dw.occupant, state.buildings.block, state.buildings.quality, blk.area,
                            blk.group_count, n_areas)
    out = np.zeros((n_areas + 1, 3, N_INDICATORS))
    n = s[..., S_N]
    heads = s[..., S_HEADS]
    put = lambda name, value: out.__setitem__((..., INDEX[name]), value)  # noqa: E731
    put("unemployment_rate", _ratio(s[..., S_UNEMP], heads))
    put("long_term_unemployment_rate", _ratio(s[..., S_LTU], heads))
    put("transfer_rate", _ratio(s[..., S_TRANSFER], heads))
    put("child_poverty_rate", _ratio(s[..., S_POOR_CHILDREN], s[..., S_CHILDREN]))
    for name, col in (("mean_income", S_INCOME), ("mean_skill", S_SKILL), ("in_group_trust", S_TRUST_IN),
                      ("out_group_trust", S_TRUST_OUT), ("institutional_trust", S_TRUST_INST), ("tie_density", S_TIES),
                      ("collective_efficacy", S_CE), ("participation_rate", S_PART), ("efficacy", S_EFFICACY),
                      ("satisfaction", S_SAT), ("mean_rent", S_RENT), ("rent_burden", S_BURDEN),
                      ("disorder", S_DISORDER)):
        put(name, _ratio(s[..., col], n))
    put("inter_group_tie_share", _ratio(s[..., S_INTER_TIES], s[..., S_TIES]))
    conflicts = s[..., S_CONFLICTS].copy()
    conflicts[:, 2] /= 2.0  # in the all-groups column each conflict counts once
    put("conflicts", conflicts)
    put("households", n)

    # flows by (area, group) -> rows with the city total and all-groups column
    f = np.zeros((n_areas + 1, 3, flows.shape[2]))
    f[:n_areas, :2] = flows
    f[n_areas, :2] = flows.sum(axis=0)
    f[:, 2] = f[:, :2].sum(axis=1)
    # the city row counts only moves across the city boundary, not moves between its areas
    f[n_areas, :, F_OUT] = f[n_areas, :, F_OUT] - f[n_areas, :, F_BETWEEN]
    f[n_areas, :, F_IN] = f[n_areas, :, F_IN] - f[n_areas, :, F_BETWEEN]
    start = n + f[..., F_OUT] - f[..., F_IN]  # households at the start of the month
    put("move_out_rate", _ratio(f[..., F_OUT], start))
    put("in_move_rate", _ratio(f[..., F_IN], start))
    put("displacements", f[..., F_DISPLACED])

    # area properties, the same for every group column
    weights = n[:n_areas, 2]
    share = weights / weights.sum() if weights.sum() > 0 else np.full(n_areas, 1.0 / max(n_areas, 1))
    area_values = {
        "vacancy_rate": _ratio(props[:, 1], props[:, 0]),
        "segregation_index": props[:, 4],
        "building_quality": _ratio(props[:, 2], props[:, 3]),
        "place_quality": np.append(area_place_quality, area_place_quality @ share),
        "actor_network_density": np.append(ar.network_density, ar.network_density @ share),
        "reputation": np.append(ar.reputation, ar.reputation @ share),
        "budget_available": np.append(ar.budget_available, ar.budget_available.sum()),
        "budget_spent": np.append(ar.budget_spent, ar.budget_spent.sum()),
        "cumulative_cost": np.append(ar.cumulative_cost, ar.cumulative_cost.sum()),
    }
    for name, values in area_values.items():
        out[..., INDEX[name]] = values[:, None]
    return out
