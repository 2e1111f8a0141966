"""The household sums behind the indicators agree with their definitions, recomputed here plainly.

``indicators.household_sums`` sums in registers, area after area within chunks of slots, with a
separate pass for SGB II receipt and ties (see its docstrings). These tests recompute every sum with
numpy from the definitions (INDICATORS, docs/model.md 4.11) on states of one and of several areas,
including areas interleaved in slot order: counts must agree exactly, float sums to 1e-9.
"""

from __future__ import annotations

import numpy as np
import pytest

import qsim
from conftest import SCENARIOS, small_scenario
from qsim import indicators as ind
from qsim.kernels.common import basic_support, rent_burden
from qsim.state import EMPLOYED, INACTIVE, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER

COUNTS = (ind.S_N, ind.S_HEADS, ind.S_UNEMP, ind.S_LTU, ind.S_TRANSFER, ind.S_CHILDREN, ind.S_POOR_CHILDREN,
          ind.S_TIES, ind.S_INTER_TIES, ind.S_PART, ind.S_CONFLICTS)


def reference_sums(sim: qsim.Simulation, block_efficacy: np.ndarray) -> np.ndarray:
    """(n_areas + 1, 3, N_SUMS) from the definitions, household by household (numpy, no numba sums)."""
    s, p = sim.state, sim.params
    h, dw = s.households, s.dwellings
    limit = p.environment.housing_cost_limit
    ids = np.flatnonzero(h.alive)
    d = h.dwelling[ids]
    area, block, group = dw.area[d].astype(int), dw.block[d], h.group[ids].astype(int)
    lab, income, rent, children = h.labour[ids], h.income[ids], dw.rent[d], h.children[ids]
    poor = np.array([basic_support(p.labour, lab[k], income[k], h.adults[ids[k]], children[k], rent[k], limit)
                     for k in range(len(ids))], bool)
    burden = np.array([rent_burden(rent[k], income[k], poor[k] | (lab[k] == INACTIVE), limit)
                       for k in range(len(ids))])
    targets = h.tie_target[ids]
    tied = targets >= 0
    across = tied & (h.group[np.maximum(targets, 0)] != group[:, None])
    terms = np.zeros((len(ids), ind.N_SUMS))
    terms[:, ind.S_N] = terms[:, ind.S_HEADS] = 1.0
    terms[:, ind.S_UNEMP] = np.isin(lab, (SHORT_TERM_UNEMPLOYED, LONG_TERM_UNEMPLOYED))
    terms[:, ind.S_LTU] = lab == LONG_TERM_UNEMPLOYED
    terms[:, ind.S_TRANSFER] = (lab == TRANSFER) | (poor & (lab == EMPLOYED))
    terms[:, ind.S_CHILDREN] = children
    terms[:, ind.S_POOR_CHILDREN] = children * poor
    terms[:, ind.S_INCOME] = income
    terms[:, ind.S_SKILL] = h.skill[ids]
    terms[:, ind.S_TRUST_IN] = h.trust_in[ids]
    terms[:, ind.S_TRUST_OUT] = h.trust_out[ids]
    terms[:, ind.S_TRUST_INST] = h.trust_inst[ids]
    terms[:, ind.S_TIES] = tied.sum(axis=1)
    terms[:, ind.S_INTER_TIES] = across.sum(axis=1)
    terms[:, ind.S_CE] = block_efficacy[block]
    terms[:, ind.S_PART] = h.participating[ids]
    terms[:, ind.S_EFFICACY] = h.efficacy[ids]
    terms[:, ind.S_SAT] = h.satisfaction[ids]
    terms[:, ind.S_RENT] = rent
    terms[:, ind.S_BURDEN] = burden
    terms[:, ind.S_CONFLICTS] = h.conflicts[ids]
    terms[:, ind.S_DISORDER] = s.blocks.disorder[block]
    n_areas = len(s.areas)
    out = np.zeros((n_areas + 1, 3, ind.N_SUMS))
    for rows in (area, np.full(len(ids), n_areas)):
        np.add.at(out, (rows, group), terms)
        np.add.at(out, (rows, 2), terms)
    return out


def sums_now(sim: qsim.Simulation, block_efficacy: np.ndarray) -> np.ndarray:
    s, p = sim.state, sim.params
    return ind.household_sums(p.labour, s.households.view(), s.dwellings.view(), s.blocks.area, s.blocks.group_count,
                              block_efficacy, s.blocks.disorder, p.environment.housing_cost_limit, len(s.areas))


def _areas(n: int, households: int, **area) -> list[dict]:
    return [dict(name=f"a{k}", households=households, **area) for k in range(n)]


HEAVY_MOBILITY = {"mobility.base_move_rate": 0.2, "mobility.unhappy_move_probability": 1.0,
                  "mobility.vacancy_fill_rate": 1.0}


CASES = {
    "integrated": lambda: qsim.load_scenario(SCENARIOS / "integrated.toml"),
    "three areas": lambda: small_scenario(areas=_areas(3, 1500, grid=[5, 5], buildings_per_block=4,
                                                       dwellings_per_building=16), years=1),
    # many movers between few dwellings: the areas interleave in slot order within every chunk
    "interleaved": lambda: small_scenario(
        areas=_areas(3, 60, grid=[2, 2], buildings_per_block=2, dwellings_per_building=8), years=2,
        parameters=HEAVY_MOBILITY),
    "many areas interleaved": lambda: small_scenario(
        areas=_areas(12, 28, grid=[2, 2], buildings_per_block=1, dwellings_per_building=8), years=2,
        parameters=HEAVY_MOBILITY),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_household_sums_agree_with_their_definitions(case):
    sim = qsim.Simulation(CASES[case](), seed=3)
    for month in range(8):
        sim.step()
        if month % 3:
            continue
        block_efficacy = np.random.default_rng(month).random(len(sim.state.blocks))
        got, want = sums_now(sim, block_efficacy), reference_sums(sim, block_efficacy)
        counts = list(COUNTS)
        np.testing.assert_array_equal(got[:, :, counts], want[:, :, counts], err_msg=f"{case}, month {month}")
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=0.0, err_msg=f"{case}, month {month}")


def test_interleaved_areas_are_interleaved_in_slot_order():
    """The 'interleaved' case does what it is there for: more than one area within the chunk of slots."""
    sim = qsim.Simulation(CASES["interleaved"](), seed=3)
    for _ in range(6):
        sim.step()
    h, dw = sim.state.households, sim.state.dwellings
    areas = dw.area[h.dwelling[h.alive]]
    assert np.count_nonzero(np.diff(areas)) > 10
