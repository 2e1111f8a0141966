"""The initial population: synthetic from area marginals, or read from tables of buildings and households.

For an area from marginals: the spatial layout (grid of blocks, each of
``buildings_per_block`` buildings of ``dwellings_per_building``
dwellings), households placed in random dwellings, and household
attributes that match the area's marginals exactly in counts:

* groups: exactly ``round(share * households)`` in group 1;
* labour states: heads are ranked by a latent employability (skill plus
  noise); the lowest ranks are long-term unemployed, then short-term
  unemployed, then in transfer receipt, so disadvantage concentrates on low
  skill; inactive heads are drawn at random from the rest;
* children: the total implied by ``household_size`` is split so that
  exactly ``child_poverty_rate`` of children live in SGB II households
  (long-term unemployed or transfer), each child placed in a random
  household of its kind (at most 4 per household).

For an area from tables (``qsim.area_tables``): the buildings as listed,
sorted into the blocks of their grid position (blocks without buildings
stay empty), each building's households in its first dwellings; groups,
labour states, adults and children as given, and skill, tenure and
unemployment spells where given. The rest is drawn as above; drawn skills
are dealt to the given labour states by the same ranking.

All draws come from the counter-based generator (stream POPULATION), keyed
by the dwelling, building or household slot, so the population of an area
is the same for every scenario run with the same seed and replicate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .area_tables import AreaTables
from .files import ScenarioError
from .kernels.common import basic_support, household_income, logit_normal
from .kernels.environment import market_rent
from .kernels.households import draw_attitudes
from .levers import N_LEVERS, N_PROGRAMMES
from .parameters import ModelParameters
from .resources import check_run
from .rng import STREAM_POPULATION, agent_key, below, id_keys, normal, run_key, step_key, uniform
from .scenario import Area, Thresholds
from .state import (EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, NO_ONE, ORG_KINDS, PLACE_KINDS, SHORT_TERM_UNEMPLOYED,
                    TRANSFER, Areas, Blocks, Buildings, Dwellings, Households, Organisations, Places, State,
                    empty_households)

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


@dataclass
class _Layout:
    """The buildings of one area in state order: by block (row by row), within a block as listed."""

    nx: int
    ny: int
    block: np.ndarray              # int64, block of each building within the area (y * nx + x)
    dwellings: np.ndarray          # int64, dwellings of each building
    quality: np.ndarray | None     # float64, given quality (None: drawn around the area's building_quality)
    rent_level: np.ndarray         # float64, rent level of each building, EUR/month
    row: np.ndarray                # int64, row of each building in the buildings table (marginals: its index)


def _layout(area: Area) -> _Layout:
    """The uniform layout of an area from marginals, or the buildings of its table sorted into blocks."""
    t = area.tables
    if t is None:
        nx, ny = area.grid
        n = nx * ny * area.buildings_per_block
        return _Layout(nx, ny, np.repeat(np.arange(nx * ny), area.buildings_per_block),
                       np.full(n, area.dwellings_per_building, np.int64), None, np.full(n, area.rent_level),
                       np.arange(n))
    nx, ny = t.grid
    block = t.block_y * nx + t.block_x
    row = np.argsort(block, kind="stable")
    rent = np.where(np.isnan(t.rent_level), area.rent_level, t.rent_level)
    return _Layout(nx, ny, block[row], t.dwellings[row], t.quality[row], rent[row], row)


def _offsets(counts) -> np.ndarray:
    """Start of each run of ``counts`` consecutive items (int64)."""
    return np.concatenate(([0], np.cumsum(counts, dtype=np.int64)[:-1])).astype(np.int64)


def _latent(key, skill: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Latent employability of the households in ``slots``: skill plus noise."""
    return skill + 0.15 * (_uniforms(key, 22, slots, 0) - 0.5)


def _ranked_skills(key, slots: np.ndarray, labour: np.ndarray, skill_mean: float) -> np.ndarray:
    """Drawn skills dealt out to given labour states as the synthetic population deals states to skills.

    The skills the households draw are ranked by latent employability; the
    lowest go to the long-term unemployed, the next to the short-term
    unemployed, then to transfer receipt, the rest at random to the inactive
    and the employed.
    """
    drawn = _draw_skills(key, slots, skill_mean)
    rank = np.select([labour == LONG_TERM_UNEMPLOYED, labour == SHORT_TERM_UNEMPLOYED, labour == TRANSFER],
                     [0, 1, 2], 3)
    order = np.lexsort((_uniforms(key, 23, slots, 0), rank))
    out = np.empty_like(drawn)
    out[order] = drawn[np.argsort(_latent(key, drawn, slots), kind="stable")]
    return out


def _synthetic_households(key, h: Households, slots: np.ndarray, a: int, area: Area, params: ModelParameters,
                          dwellings: Dwellings, bld_quality: np.ndarray, bld_rent: np.ndarray) -> None:
    """Attributes of an area's households from its marginals, with exact counts."""
    lp, tp, pp, ep = params.labour, params.trust, params.participation, params.environment
    n = len(slots)
    # groups, exact count
    n_minority = int(round(area.group_shares[1] * n))
    gorder = np.argsort(_uniforms(key, 21, slots, 0), kind="stable")
    h.group[slots[gorder[:n_minority]]] = 1
    _init_households(key, h.view(), slots, lp, tp, pp, area.skill_mean, area.two_adult_share, np.full(n, np.nan),
                     np.full(n, -1), np.full(n, -1))
    # labour states by latent employability, exact counts
    rank = slots[np.argsort(_latent(key, h.skill[slots], slots), kind="stable")]
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
    _spells_and_rents(key, h.view(), slots, lp, ep, dwellings.view(), bld_quality, bld_rent, 0.5, np.full(n, -1))
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


def _table_dwellings(t: AreaTables, layout: _Layout, bld_first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The dwellings of a table's households, in dwelling order, and the table row of each.

    Each building is filled from its first dwelling, its households in table
    order. ``bld_first`` is the first dwelling of each of the area's buildings.
    """
    position = np.empty(len(layout.row), np.int64)
    position[layout.row] = np.arange(len(layout.row))
    building = position[t.building]
    rows = np.argsort(building, kind="stable")
    ordered = building[rows]
    rank = np.arange(len(rows)) - np.searchsorted(ordered, ordered)
    return bld_first[ordered] + rank, rows


def _table_households(key, h: Households, slots: np.ndarray, rows: np.ndarray, area: Area,
                      params: ModelParameters, dwellings: Dwellings, bld_quality: np.ndarray,
                      bld_rent: np.ndarray) -> None:
    """Attributes of an area's households from its households table (table row ``rows[k]`` in ``slots[k]``).

    Given values are kept; what the table leaves out is drawn as for the
    synthetic population (skill ranked to the given labour states).
    """
    lp, tp, pp, ep = params.labour, params.trust, params.participation, params.environment
    t = area.tables
    h.group[slots] = t.group[rows]
    h.labour[slots] = t.labour[rows]
    h.children[slots] = t.children[rows]
    skill = t.skill[rows]
    missing = np.isnan(skill)
    if missing.any():
        skill[missing] = _ranked_skills(key, slots[missing], t.labour[rows][missing], area.skill_mean)
    _init_households(key, h.view(), slots, lp, tp, pp, area.skill_mean, area.two_adult_share, skill, t.tenure[rows],
                     t.adults[rows])
    _spells_and_rents(key, h.view(), slots, lp, ep, dwellings.view(), bld_quality, bld_rent, 0.5,
                      t.unemployed_months[rows])
    _incomes(h.view(), slots, lp)


def starting_thresholds(key, spec: Thresholds, slots: np.ndarray) -> np.ndarray:
    """Participation thresholds of the households in ``slots`` from an area's ``thresholds`` table (float64).

    ``spacing = "even"``: ``low + (high - low) k / N``, k = 0 .. N-1, dealt out in a random order;
    otherwise independent draws (one uniform per household, stream POPULATION, step 9).
    """
    u = _uniforms(key, 9, slots, 0)
    if spec.spacing == "even":
        out = np.empty(len(slots))
        out[np.argsort(u, kind="stable")] = spec.low + (spec.high - spec.low) * (np.arange(len(slots)) / len(slots))
        return out
    if spec.distribution == "uniform":
        return spec.low + (spec.high - spec.low) * u
    from scipy.special import ndtri

    return spec.mean + spec.sd * ndtri(np.clip(u, 1e-12, 1.0 - 1e-12))


def mark_original_residents(h: Households, dwelling_area: np.ndarray) -> None:
    """Mark every household present now as an original resident (in place): ``origin_area`` its area,
    ``moved_in`` = -1 - tenure, the month before the run in which it moved in (tenure counts months)."""
    alive = h.alive
    h.origin_area[:] = NO_ONE
    h.origin_area[alive] = dwelling_area[h.dwelling[alive]]
    h.moved_in[:] = 0
    h.moved_in[alive] = -1 - h.tenure[alive].astype(np.int32)


def build_state(areas: list[Area], params: ModelParameters, seed: int, replicate: int = 0,
                tie_slots: int = 8) -> State:
    """The initial city for a list of areas (households, dwellings, places, organisations); refused with a
    :class:`qsim.resources.ResourceError` before anything is allocated if the machine lacks the memory."""
    check_run(areas, tie_slots)
    key = run_key(seed, replicate)
    n_areas = len(areas)
    # ---- layout: blocks of each area row by row, buildings by block, dwellings by building
    layouts = [_layout(area) for area in areas]
    area_n_blk = np.array([lay.nx * lay.ny for lay in layouts], np.int64)
    area_first_block = _offsets(area_n_blk)
    area_n_bld = np.array([len(lay.block) for lay in layouts], np.int64)
    area_first_bld = _offsets(area_n_bld)
    bld_area = np.repeat(np.arange(n_areas), area_n_bld)
    bld_block = np.concatenate([lay.block + area_first_block[a] for a, lay in enumerate(layouts)])
    bld_n = np.concatenate([lay.dwellings for lay in layouts])
    bld_first = _offsets(bld_n)
    bld_rent = np.concatenate([lay.rent_level for lay in layouts])
    n_bld = len(bld_n)
    n_blk = int(area_n_blk.sum())
    blk_n = np.bincount(bld_block, weights=bld_n, minlength=n_blk).astype(np.int64)
    area_n_dw = np.array([int(lay.dwellings.sum()) for lay in layouts], np.int64)
    area_first_dw = _offsets(area_n_dw)
    dw_building = np.repeat(np.arange(n_bld), bld_n)
    n_dw = len(dw_building)

    dwellings = Dwellings(building=dw_building.astype(np.int32), block=bld_block[dw_building].astype(np.int32),
                          area=bld_area[dw_building].astype(np.int16), occupant=np.full(n_dw, -1, np.int32),
                          rent=np.zeros(n_dw, np.float32))
    bq = np.empty(n_bld, np.float32)
    z = _uniforms(key, 10, np.arange(n_bld), 0)
    for a, (area, lay) in enumerate(zip(areas, layouts)):
        sel = bld_area == a
        bq[sel] = lay.quality if lay.quality is not None else np.clip(
            area.building_quality + 0.2 * (z[sel] - 0.5), 0.0, 1.0)
    buildings = Buildings(block=bld_block.astype(np.int32), first_dwelling=bld_first.astype(np.int32),
                          n_dwellings=bld_n.astype(np.int16), quality=bq, owner=np.full(n_bld, -1, np.int32))
    blocks = Blocks(area=np.repeat(np.arange(n_areas), area_n_blk).astype(np.int32),
                    x=np.concatenate([np.tile(np.arange(lay.nx), lay.ny) for lay in layouts]).astype(np.int16),
                    y=np.concatenate([np.repeat(np.arange(lay.ny), lay.nx) for lay in layouts]).astype(np.int16),
                    first_dwelling=_offsets(blk_n).astype(np.int32), n_dwellings=blk_n.astype(np.int32),
                    disorder=np.full(n_blk, 0.3, np.float32), efficacy_lagged=np.zeros(n_blk, np.float32),
                    group_count=np.zeros((n_blk, 2), np.int32))
    zeros = lambda: np.zeros(n_areas)  # noqa: E731
    area_arrays = Areas(nx=np.array([lay.nx for lay in layouts], np.int32),
                        ny=np.array([lay.ny for lay in layouts], np.int32),
                        first_block=area_first_block.astype(np.int32), n_blocks=area_n_blk.astype(np.int32),
                        first_dwelling=area_first_dw.astype(np.int32), n_dwellings=area_n_dw.astype(np.int32),
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
                    block=np.array([area_first_block[r[0]] + int(pb[k] * layouts[r[0]].nx * layouts[r[0]].ny)
                                    for k, r in enumerate(place_rows)], np.int32),
                    kind=np.array([r[1] for r in place_rows], np.int8),
                    quality=np.clip(np.array([r[2] for r in place_rows]) + 0.2 * (pz - 0.5), 0, 1).astype(np.float32))
    n_org = len(org_rows)
    o_area = np.array([r[0] for r in org_rows], np.int32)
    ties = np.zeros((n_org, n_org), np.float32)
    for i in range(n_org):  # each pair of one area tied with probability 0.15
        later = np.arange(i + 1, n_org)
        partners = later[(o_area[i + 1:] == o_area[i]) & (_uniforms(key, 12, later, i) < 0.15)]
        ties[i, partners] = ties[partners, i] = 0.3
    base_cap = np.array([r[2] for r in org_rows], np.float32)
    organisations = Organisations(area=o_area, kind=np.array([r[1] for r in org_rows], np.int8),
                                  capacity=base_cap.copy(), base_capacity=base_cap, tie_strength=ties)
    housing = {a: [k for k, r in enumerate(org_rows) if r[0] == a and ORG_KINDS[r[1]] == "housing_company"]
               for a in range(n_areas)}
    ob = _uniforms(key, 13, np.arange(n_bld), 0)
    for k in range(n_bld):
        owners = housing[int(bld_area[k])]
        if owners:
            buildings.owner[k] = owners[int(ob[k] * len(owners))]

    # ---- households: one slot per dwelling, slots filled area by area in dwelling order
    h = empty_households(n_dw, tie_slots)
    next_slot = 0
    for a, area in enumerate(areas):
        if area.tables is None:
            dw_ids = np.arange(area_first_dw[a], area_first_dw[a] + area_n_dw[a])
            order = np.argsort(_uniforms(key, 20, dw_ids, 0), kind="stable")
            chosen = np.sort(dw_ids[order[:area.households]])
        else:
            own = slice(area_first_bld[a], area_first_bld[a] + area_n_bld[a])
            chosen, rows = _table_dwellings(area.tables, layouts[a], bld_first[own])
        slots = np.arange(next_slot, next_slot + len(chosen))
        next_slot += len(chosen)
        h.alive[slots] = True
        h.uid[slots] = slots
        h.rng_key[slots] = id_keys(slots)
        h.dwelling[slots] = chosen
        dwellings.occupant[chosen] = slots
        if area.tables is None:
            _synthetic_households(key, h, slots, a, area, params, dwellings, buildings.quality, bld_rent)
        else:
            _table_households(key, h, slots, rows, area, params, dwellings, buildings.quality, bld_rent)
        if area.thresholds is not None:
            h.threshold[slots] = starting_thresholds(key, area.thresholds, slots)
        np.add.at(blocks.group_count, (dwellings.block[chosen], h.group[slots]), 1)

    mark_original_residents(h, dwellings.area)
    area_levers = np.zeros((n_areas, N_LEVERS))
    programme_levers = np.zeros((N_PROGRAMMES, N_LEVERS))
    return State(h, dwellings, buildings, blocks, area_arrays, places, organisations, area_levers, programme_levers,
                 tuple(a.name for a in areas), next_uid=next_slot, month=0)
