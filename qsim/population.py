"""Synthetic initial population from area marginals.

For each area: the spatial layout (grid of blocks, buildings, dwellings),
households placed in random dwellings, and household attributes that match
the area's marginals exactly in counts:

* groups: exactly ``round(share * households)`` in group 1;
* labour states: heads are ranked by a latent employability (skill plus
  noise); the lowest ranks are long-term unemployed, then short-term
  unemployed, then in transfer receipt, so disadvantage concentrates on low
  skill; inactive heads are drawn at random from the rest;
* children: the total implied by ``household_size`` is split so that
  exactly ``child_poverty_rate`` of children live in SGB II households
  (long-term unemployed or transfer), each child placed in a random
  household of its kind (at most 4 per household).

All draws come from the counter-based generator (stream POPULATION), keyed
by the dwelling or household, so the population of an area is the same for
every scenario run with the same seed and replicate.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernels.common import basic_support, household_income, logit_normal
from .kernels.environment import market_rent
from .kernels.households import draw_attitudes
from .levers import N_LEVERS, N_PROGRAMMES
from .parameters import ModelParameters
from .rng import STREAM_POPULATION, agent_key, below, normal, run_key, step_key, uniform
from .scenario import Area, ScenarioError
from .state import (EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, ORG_KINDS, PLACE_KINDS,
                    SHORT_TERM_UNEMPLOYED, TRANSFER, Areas, Blocks, Buildings, Dwellings, Organisations, Places,
                    State, empty_households)

BASE_CAPACITY = {"municipality": 0.6, "housing_company": 0.5, "social_institution": 0.5, "association": 0.3,
                 "business": 0.3, "qm_office": 0.7}  # assumption (docs/model.md, Initialisation)


def _uniforms(key, step: int, ids: np.ndarray, k: int) -> np.ndarray:
    from .rng import uniforms

    return uniforms(key, STREAM_POPULATION, step, ids.astype(np.int64), k)


@njit(cache=True)
def _spread_children(key, step, members, total, h, dw_rent, lp, housing_cost_limit, avoid_support):
    """Place ``total`` children into random households of ``members`` (at most 4 each).

    With ``avoid_support`` a child is not placed where it would bring the
    household into SGB II receipt (so the share of poor children stays exact).
    Returns the number of children that found no place.
    """
    skey = step_key(key, STREAM_POPULATION, step)
    m = members.shape[0]
    for c in range(total):
        start = below(agent_key(skey, c), 0, m) if m > 0 else 0
        placed = False
        for probe in range(m):
            i = members[(start + probe) % m]
            if h.children[i] >= 4:
                continue
            if avoid_support:
                kids = h.children[i] + 1
                income = household_income(lp, h.labour[i], h.unemployed_months[i], h.wage[i], h.adults[i], kids)
                if basic_support(lp, h.labour[i], income, h.adults[i], kids, dw_rent[h.dwelling[i]],
                                 housing_cost_limit):
                    continue
            h.children[i] += 1
            placed = True
            break
        if not placed:
            return total - c
    return 0


@njit(cache=True, inline="always")
def _skill_draw(akey, skill_mean):
    """The skill a household of the synthetic population draws (median ``skill_mean``)."""
    return logit_normal(normal(akey, 0), skill_mean, 5.0)


@njit(cache=True)
def _draw_skills(key, slots, skill_mean):
    """The skills that the households in ``slots`` draw in :func:`_init_households`."""
    skey = step_key(key, STREAM_POPULATION, 1)
    out = np.empty(slots.shape[0])
    for k in range(slots.shape[0]):
        out[k] = _skill_draw(agent_key(skey, slots[k]), skill_mean)
    return out


@njit(cache=True)
def _init_households(key, h, slots, lp, tp, pp, skill_mean, two_adult_share, skill, tenure, adults):
    """Skill, tenure, adults and attitudes of the households in ``slots``.

    ``skill``, ``tenure`` and ``adults`` (one per slot) are given values;
    NaN or -1 means drawn.
    """
    skey = step_key(key, STREAM_POPULATION, 1)
    for k in range(slots.shape[0]):
        i = slots[k]
        akey = agent_key(skey, i)
        h.skill[i] = _skill_draw(akey, skill_mean) if np.isnan(skill[k]) else skill[k]
        h.tenure[i] = below(akey, 2, 240) if tenure[k] < 0 else tenure[k]
        if adults[k] > 0:
            h.adults[i] = adults[k]
        else:
            h.adults[i] = 2 if uniform(akey, 3) < two_adult_share else 1
        h.child_education[i] = h.skill[i]
        h.wage[i] = lp.wage_base + lp.wage_skill * h.skill[i]
        draw_attitudes(h, i, akey, 10, tp, pp, 0.3 + 0.3 * min(1.0, h.tenure[i] / 120.0))


@njit(cache=True)
def _spells_and_rents(key, h, slots, lp, ep, dw, bld_quality, bld_rent_level, reputation, months):
    """Unemployment spells (``months`` per slot, -1: drawn) and contract rents (sitting tenants pay up to 15% below
    market; the market rent at the rent level of the building)."""
    skey = step_key(key, STREAM_POPULATION, 2)
    for k in range(slots.shape[0]):
        i = slots[k]
        akey = agent_key(skey, i)
        if months[k] >= 0:
            h.unemployed_months[i] = months[k]
        elif h.labour[i] == SHORT_TERM_UNEMPLOYED:
            h.unemployed_months[i] = below(akey, 0, int(lp.long_term_after))
        elif h.labour[i] == LONG_TERM_UNEMPLOYED:
            h.unemployed_months[i] = int(lp.long_term_after) + below(akey, 0, 36)
        d = h.dwelling[i]
        b = dw.building[d]
        rent = market_rent(ep, bld_rent_level[b], 1.0, bld_quality[b], reputation)
        dw.rent[d] = rent * (1.0 - 0.15 * min(1.0, h.tenure[i] / 120.0))


@njit(cache=True)
def _supported(h, slots, lp, dw_rent, housing_cost_limit):
    """Which of ``slots`` receive SGB II as they are (before children are placed)."""
    out = np.zeros(slots.shape[0], np.bool_)
    for k in range(slots.shape[0]):
        i = slots[k]
        out[k] = basic_support(lp, h.labour[i], h.income[i], h.adults[i], h.children[i], dw_rent[h.dwelling[i]],
                               housing_cost_limit)
    return out


@njit(cache=True)
def _incomes(h, slots, lp):
    for i in slots:
        h.income[i] = household_income(lp, h.labour[i], h.unemployed_months[i], h.wage[i], h.adults[i],
                                       h.children[i])


def build_state(areas: list[Area], params: ModelParameters, seed: int, replicate: int = 0,
                tie_slots: int = 8) -> State:
    """The initial city for a list of areas (households, dwellings, places, organisations)."""
    key = run_key(seed, replicate)
    # ---- layout
    blk_rows, bld_rows, dw_rows = [], [], []
    area_first_block, area_first_dw, area_n_dw = [], [], []
    for a, area in enumerate(areas):
        nx, ny = area.grid
        area_first_block.append(len(blk_rows))
        area_first_dw.append(len(dw_rows))
        for y in range(ny):
            for x in range(nx):
                b = len(blk_rows)
                blk_rows.append((a, x, y, len(dw_rows), area.buildings_per_block * area.dwellings_per_building))
                for _ in range(area.buildings_per_block):
                    k = len(bld_rows)
                    bld_rows.append((b, len(dw_rows), area.dwellings_per_building))
                    dw_rows.extend((k, b, a) for _ in range(area.dwellings_per_building))
        area_n_dw.append(len(dw_rows) - area_first_dw[-1])
    n_dw = len(dw_rows)
    blk_arr = np.array(blk_rows, dtype=np.int64).reshape(-1, 5)
    bld_arr = np.array(bld_rows, dtype=np.int64).reshape(-1, 3)
    dw_arr = np.array(dw_rows, dtype=np.int64).reshape(-1, 3)
    n_areas = len(areas)

    dwellings = Dwellings(building=dw_arr[:, 0].astype(np.int32), block=dw_arr[:, 1].astype(np.int32),
                          area=dw_arr[:, 2].astype(np.int16), occupant=np.full(n_dw, -1, np.int32),
                          rent=np.zeros(n_dw, np.float32))
    n_bld = len(bld_arr)
    bq = np.empty(n_bld, np.float32)
    z = _uniforms(key, 10, np.arange(n_bld), 0)
    for a, area in enumerate(areas):
        sel = dw_arr[bld_arr[:, 1], 2] == a
        bq[sel] = np.clip(area.building_quality + 0.2 * (z[sel] - 0.5), 0.0, 1.0)
    buildings = Buildings(block=bld_arr[:, 0].astype(np.int32), first_dwelling=bld_arr[:, 1].astype(np.int32),
                          n_dwellings=bld_arr[:, 2].astype(np.int16), quality=bq,
                          owner=np.full(n_bld, -1, np.int32))
    n_blk = len(blk_arr)
    blocks = Blocks(area=blk_arr[:, 0].astype(np.int32), x=blk_arr[:, 1].astype(np.int16),
                    y=blk_arr[:, 2].astype(np.int16), first_dwelling=blk_arr[:, 3].astype(np.int32),
                    n_dwellings=blk_arr[:, 4].astype(np.int32), disorder=np.full(n_blk, 0.3, np.float32),
                    efficacy_lagged=np.zeros(n_blk, np.float32), group_count=np.zeros((n_blk, 2), np.int32))
    zeros = lambda: np.zeros(n_areas)  # noqa: E731
    area_arrays = Areas(nx=np.array([a.grid[0] for a in areas], np.int32),
                        ny=np.array([a.grid[1] for a in areas], np.int32),
                        first_block=np.array(area_first_block, np.int32),
                        n_blocks=np.array([a.grid[0] * a.grid[1] for a in areas], np.int32),
                        first_dwelling=np.array(area_first_dw, np.int32), n_dwellings=np.array(area_n_dw, np.int32),
                        rent_level=np.array([a.rent_level for a in areas], np.float64),
                        reputation=np.full(n_areas, 0.5), participation_share=zeros(), reference_income=zeros(),
                        coordination=zeros(), network_density=zeros(), budget_available=zeros(),
                        budget_spent=zeros(), cumulative_cost=zeros())

    # ---- places and organisations
    place_rows, org_rows = [], []
    for a, area in enumerate(areas):
        for kind in PLACE_KINDS:
            for _ in range(area.places.get(kind, 0)):
                place_rows.append((a, PLACE_KINDS.index(kind), area.place_quality))
        for kind in ORG_KINDS:
            for _ in range(area.organisations.get(kind, 0)):
                org_rows.append((a, ORG_KINDS.index(kind), BASE_CAPACITY[kind]))
    n_pl = len(place_rows)
    pz = _uniforms(key, 11, np.arange(n_pl), 0)
    pb = _uniforms(key, 11, np.arange(n_pl), 1)
    pl_area = np.array([r[0] for r in place_rows], np.int32)
    places = Places(area=pl_area,
                    block=np.array([area_first_block[r[0]] + int(pb[k] * areas[r[0]].grid[0] * areas[r[0]].grid[1])
                                    for k, r in enumerate(place_rows)], np.int32),
                    kind=np.array([r[1] for r in place_rows], np.int8),
                    quality=np.clip(np.array([r[2] for r in place_rows]) + 0.2 * (pz - 0.5), 0, 1).astype(np.float32))
    n_org = len(org_rows)
    o_area = np.array([r[0] for r in org_rows], np.int32)
    ties = np.zeros((n_org, n_org), np.float32)
    for i in range(n_org):
        u = _uniforms(key, 12, np.arange(n_org), i)
        for j in range(i + 1, n_org):
            if o_area[i] == o_area[j] and u[j] < 0.15:
                ties[i, j] = ties[j, i] = 0.3
    base_cap = np.array([r[2] for r in org_rows], np.float32)
    organisations = Organisations(area=o_area, kind=np.array([r[1] for r in org_rows], np.int8),
                                  capacity=base_cap.copy(), base_capacity=base_cap, tie_strength=ties)
    housing = {a: [k for k, r in enumerate(org_rows) if r[0] == a and ORG_KINDS[r[1]] == "housing_company"]
               for a in range(n_areas)}
    ob = _uniforms(key, 13, np.arange(n_bld), 0)
    for k in range(n_bld):
        owners = housing[int(dw_arr[bld_arr[k, 1], 2])]
        if owners:
            buildings.owner[k] = owners[int(ob[k] * len(owners))]

    # ---- households: one slot per dwelling, the first `households` slots of each area filled
    h = empty_households(n_dw, tie_slots)
    lp, tp, pp, ep = params.labour, params.trust, params.participation, params.environment
    next_slot = 0
    for a, area in enumerate(areas):
        dw_ids = np.arange(area_first_dw[a], area_first_dw[a] + area_n_dw[a])
        order = np.argsort(_uniforms(key, 20, dw_ids, 0), kind="stable")
        chosen = np.sort(dw_ids[order[:area.households]])
        n = len(chosen)
        slots = np.arange(next_slot, next_slot + n)
        next_slot += n
        h.alive[slots] = True
        h.uid[slots] = slots
        h.dwelling[slots] = chosen
        dwellings.occupant[chosen] = slots
        # groups, exact count
        n_minority = int(round(area.group_shares[1] * n))
        gorder = np.argsort(_uniforms(key, 21, slots, 0), kind="stable")
        h.group[slots[gorder[:n_minority]]] = 1
        _init_households(key, h.view(), slots, lp, tp, pp, area.skill_mean, area.two_adult_share)
        # labour states by latent employability, exact counts
        latent = h.skill[slots] + 0.15 * (_uniforms(key, 22, slots, 0) - 0.5)
        rank = slots[np.argsort(latent, kind="stable")]
        n_unemp = int(round(area.unemployment_rate * n))
        n_ltu = int(round(area.long_term_unemployment_rate * n))
        n_tr = int(round(area.transfer_rate * n))
        n_in = int(round(area.inactive_rate * n))
        h.labour[rank[:n_ltu]] = LONG_TERM_UNEMPLOYED
        h.labour[rank[n_ltu:n_unemp]] = SHORT_TERM_UNEMPLOYED
        h.labour[rank[n_unemp:n_unemp + n_tr]] = TRANSFER
        rest = rank[n_unemp + n_tr:]
        rest = rest[np.argsort(_uniforms(key, 23, rest, 0), kind="stable")]
        h.labour[rest[:n_in]] = INACTIVE
        h.labour[rest[n_in:]] = EMPLOYED
        _spells_and_rents(key, h.view(), slots, lp, ep, dwellings.view(), buildings.quality, area.rent_level, 0.5)
        # children: exact total, and exactly child_poverty_rate of them in SGB II households
        n_children = int(round((area.household_size - 1.0 - area.two_adult_share) * n))
        n_poor_children = int(round(area.child_poverty_rate * n_children))
        _incomes(h.view(), slots, lp)
        supported = _supported(h.view(), slots, lp, dwellings.rent, ep.housing_cost_limit)
        for members, total, avoid, what in ((slots[supported], n_poor_children, False, "SGB II"),
                                            (slots[~supported], n_children - n_poor_children, True, "other")):
            missing = _spread_children(key, 24 + 2 * a + int(avoid), members, total, h.view(), dwellings.rent, lp,
                                       ep.housing_cost_limit, avoid)
            if missing:
                raise ScenarioError(f"area {area.name!r}: {missing} of {total} children cannot be placed in "
                                    f"{what} households (at most 4 each, and without making them poor); "
                                    "check household_size, child_poverty_rate and the labour-market shares")
        _incomes(h.view(), slots, lp)
        np.add.at(blocks.group_count, (dwellings.block[chosen], h.group[slots]), 1)

    area_levers = np.zeros((n_areas, N_LEVERS))
    programme_levers = np.zeros((N_PROGRAMMES, N_LEVERS))
    return State(h, dwellings, buildings, blocks, area_arrays, places, organisations, area_levers, programme_levers,
                 tuple(a.name for a in areas), next_uid=next_slot, month=0)

