"""Property-based invariants over random worlds and parameters (hypothesis).

Each example builds a small random city (1-2 areas, 1-4 x 1-4 blocks, a few
dwellings per building) with random parameters drawn inside the registry
bounds of qsim.parameters.PARAMETERS (sub-ranges where the full range is
not interesting), steps it month by month and checks:

* population conservation across moves (conftest.check_state);
* indicators: no NaN or infinity, every value inside its documented
  [low, high] (qsim.indicators.INDICATORS), and agreement with the state;
* bit-identical reruns with the same seed;
* common random numbers: a parameter of a process that does not feed back
  into households (organisations.tie_decay) leaves every household
  indicator identical.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import qsim
import qsim.levers as L
from conftest import check_state, only, scenario_dict, small_scenario
from qsim.indicators import INDICATORS
from qsim.parameters import BY_NAME, PARAMETERS
from qsim.state import LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER

# Every registry parameter may be varied, inside its registry bounds; sub-ranges where the registry range is
# far wider than anything meaningful (money, concentrations) or would only slow the test down.
SUB_RANGES = {
    "labour.wage_base": (300.0, 4000.0), "labour.wage_skill": (0.0, 4000.0), "labour.need_adult": (200.0, 1500.0),
    "labour.need_child": (100.0, 800.0), "labour.child_benefit": (0.0, 500.0),
    "environment.housing_cost_limit": (200.0, 1500.0), "participation.threshold_concentration": (0.5, 50.0),
    "mobility.dissatisfaction_sensitivity": (0.0, 10.0), "encounters.encounters_per_month": (0.0, 8.0),
    "mobility.reputation_lag": (1.0, 120.0),
}
# Parameters that count something (months, blocks, dwellings): drawn as integers.
INTEGER_RANGES = {"mobility.radius": (0, 3), "mobility.candidates": (1, 8), "labour.long_term_after": (1, 36),
                  "labour.insurance_months": (0, 36), "trust.efficacy_lag": (1, 60)}
PARAMETER_NAMES = tuple(p.dotted for p in PARAMETERS)


def _bounds(name):
    spec = BY_NAME[name]
    lo, hi = SUB_RANGES.get(name, (spec.low, spec.high))
    return max(lo, spec.low), min(hi, spec.high)


@st.composite
def parameter_overrides(draw, max_overrides=12):
    """Up to ``max_overrides`` registry parameters, each drawn inside its bounds."""
    names = draw(st.lists(st.sampled_from(PARAMETER_NAMES), max_size=max_overrides, unique=True))
    out = {}
    for name in names:
        if name in INTEGER_RANGES:
            out[name] = draw(st.integers(*INTEGER_RANGES[name]))
        else:
            lo, hi = _bounds(name)
            out[name] = draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
    # encounters in the building and the block leave the rest to places: their shares must not exceed 1
    building = out.get("encounters.share_building", BY_NAME["encounters.share_building"].default)
    block = out.get("encounters.share_block", BY_NAME["encounters.share_block"].default)
    if building + block > 1.0:
        out["encounters.share_block"] = 1.0 - building
    return out


@st.composite
def area_specs(draw, index):
    nx, ny = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    bpb, dpb = draw(st.integers(1, 3)), draw(st.integers(1, 12))
    dwellings = nx * ny * bpb * dpb
    households = draw(st.integers(min(40, dwellings), dwellings)) if dwellings >= 40 else dwellings
    minority = draw(st.sampled_from([0.0, 0.2, 0.45, 0.5, 0.8]))
    return {
        "name": f"area{index}", "households": households, "grid": [nx, ny], "buildings_per_block": bpb,
        "dwellings_per_building": dpb, "group_shares": [1.0 - minority, minority],
        "rent_level": draw(st.floats(300.0, 900.0)), "skill_mean": draw(st.floats(0.25, 0.7)),
        "building_quality": draw(st.floats(0.2, 0.9)),
    }


@st.composite
def worlds(draw):
    """(scenario, seed, hooks): 1-2 areas, random parameters, some processes possibly switched off, and
    possibly a hook that sets levers."""
    n_areas = draw(st.integers(1, 2))
    areas = [draw(area_specs(a)) for a in range(n_areas)]
    # grow too-small cities so that there is room to move
    for area in areas:
        n_dw = area["grid"][0] * area["grid"][1] * area["buildings_per_block"] * area["dwellings_per_building"]
        if n_dw < 40:
            area["grid"] = [4, 4]
            area["households"] = min(area["households"] + 20, 16 * area["buildings_per_block"]
                                     * area["dwellings_per_building"])
    processes = {p: draw(st.booleans()) if p not in ("mobility",) else True
                 for p in ("labour", "encounters", "trust", "participation", "environment", "organisations")}
    processes["mobility"] = draw(st.sampled_from([True, True, True, False]))
    data = scenario_dict(years=2, areas=areas, processes=processes, parameters=draw(parameter_overrides()),
                         spinup_months=draw(st.sampled_from([0, 3, 12])), tie_slots=draw(st.sampled_from([1, 4, 8])))
    scenario = qsim.scenario_from_dict(data, source="<hypothesis world>")
    return scenario, draw(st.integers(0, 2 ** 31 - 1)), draw(lever_hooks())


def _simulation(scenario, seed, hooks):
    """The simulation of a world; a world whose marginals cannot be realised (e.g. more children than fit
    into the households that may hold them) is rejected, as the loader rejects it with a ScenarioError."""
    try:
        return qsim.Simulation(scenario, seed=seed, hooks=hooks)
    except qsim.ScenarioError as e:
        assert "cannot be placed" in str(e), f"unexpected rejection of a generated world: {e}"
        reject()


@st.composite
def lever_hooks(draw):
    """() or a hook that sets a few area levers every month, as measures do (values 0-1, levers are additive)."""
    levers = draw(st.dictionaries(st.integers(0, L.N_LEVERS - 1), st.floats(0.0, 1.0), max_size=4))
    if not levers:
        return ()

    def hook(sim, month):
        for lever, value in levers.items():
            sim.state.area_levers[:, lever] = value

    hook.levers = levers  # shown by hypothesis when an example fails
    return (hook,)


# -------------------------------------------------------- state invariants
@given(worlds())
def test_population_ties_and_values_stay_consistent_every_month(world):
    scenario, seed, hooks = world
    sim = _simulation(scenario, seed, hooks)
    check_state(sim)
    for _ in range(24):
        sim.step()
        check_state(sim)


@given(parameter_overrides(), st.integers(0, 2 ** 31 - 1))
@settings(max_examples=10)
def test_invariants_hold_in_a_crowded_world_with_heavy_mobility(params, seed):
    """Few vacancies, many movers, several areas: the hardest case for the vacancy bookkeeping."""
    params.update({"mobility.base_move_rate": 0.2, "mobility.unhappy_move_probability": 1.0,
                   "mobility.similarity_threshold": 0.6, "mobility.vacancy_fill_rate": 1.0})
    areas = [dict(name=f"a{k}", households=60, grid=[2, 2], buildings_per_block=2, dwellings_per_building=8)
             for k in range(3)]
    sim = qsim.Simulation(small_scenario(areas=areas, parameters=params, years=1), seed=seed)
    moved = 0
    for _ in range(12):
        before = sim.state.households.dwelling.copy()
        sim.step()
        check_state(sim)
        moved += int((sim.state.households.dwelling != before).sum())
    assert moved > 0, "nobody moved: the test did not exercise mobility"


# ------------------------------------------------------------- indicators
def _check_indicators(result: qsim.Result, label: str = "") -> None:
    df = result.indicators_by_group
    values = df[[i.name for i in INDICATORS]]
    bad = values.columns[~np.isfinite(values.to_numpy()).all(axis=0)]
    assert len(bad) == 0, f"{label}: NaN or infinite values in {list(bad)}"
    for ind in INDICATORS:
        col = df[ind.name]
        lo, hi = col.min(), col.max()
        assert lo >= ind.low and hi <= ind.high, (
            f"{label}: {ind.name} outside its documented range [{ind.low}, {ind.high}]: {lo!r}..{hi!r}")
    flows = result.flows
    assert np.isfinite(flows.select_dtypes("number").to_numpy()).all(), f"{label}: NaN in flows"
    assert (flows[["out_moves", "displaced", "in_moves", "internal_moves"]] >= 0).all().all()
    assert (flows["displaced"] <= flows["out_moves"]).all(), f"{label}: more displaced than out-movers"


@given(worlds())
def test_indicators_are_finite_and_within_documented_ranges(world):
    scenario, seed, hooks = world
    result = _simulation(scenario, seed, hooks).run(years=1)
    _check_indicators(result, f"seed {seed}")
    assert result.indicators["month"].nunique() == 12


@given(worlds())
@settings(max_examples=8)
def test_indicators_agree_with_the_state(world):
    """The recorded month equals a recount from the state: S1, S2, households, vacancy, ties, income."""
    scenario, seed, hooks = world
    sim = _simulation(scenario, seed, hooks)
    for _ in range(3):
        sim.step()
        s = sim.state
        h = s.households
        row = sim.result().indicators
        row = row[(row["month"] == s.month - 1) & (row["area"] == "all")].iloc[0]
        ids = np.flatnonzero(h.alive)
        n = len(ids)
        lab = h.labour[ids]
        assert row["households"] == n
        assert row["unemployment_rate"] == pytest.approx(np.isin(lab, (SHORT_TERM_UNEMPLOYED, LONG_TERM_UNEMPLOYED)).mean(),
                                                         abs=1e-12)
        assert row["long_term_unemployment_rate"] == pytest.approx((lab == LONG_TERM_UNEMPLOYED).mean(), abs=1e-12)
        # S3 counts the transfer state and employed households topped up by SGB II: at least the former
        assert row["transfer_rate"] >= (lab == TRANSFER).mean() - 1e-12
        assert row["vacancy_rate"] == pytest.approx((s.dwellings.occupant < 0).mean(), abs=1e-12)
        assert row["tie_density"] == pytest.approx((h.tie_target[ids] >= 0).sum() / n, rel=1e-9)
        assert row["mean_income"] == pytest.approx(h.income[ids].astype(float).mean(), rel=1e-6)
        assert row["participation_rate"] == pytest.approx(h.participating[ids].mean(), abs=1e-12)


def test_segregation_index_stays_within_zero_and_one_when_blocks_hold_one_dwelling():
    """With one dwelling per block every block is all one group: the dissimilarity index is exactly 1
    (the classic Schelling grid), and must not exceed its documented upper bound by rounding."""
    sc = small_scenario(households=60, grid=(8, 8), buildings_per_block=1, dwellings_per_building=1,
                        group_shares=(0.5, 0.5), processes=only("mobility"), years=1)
    seg = qsim.Simulation(sc, seed=1).run().indicators["segregation_index"]
    assert seg.max() <= 1.0 and seg.min() >= 0.0, f"segregation_index {seg.max()!r}"
    assert seg.iloc[0] == pytest.approx(1.0, abs=1e-9)


def test_indicators_of_groups_and_areas_add_up():
    """Households of the two groups add up to all; areas add up to the city."""
    areas = [dict(name="north", households=300, grid=[3, 3], buildings_per_block=2, dwellings_per_building=20),
             dict(name="south", households=250, grid=[2, 3], buildings_per_block=2, dwellings_per_building=25)]
    result = qsim.Simulation(small_scenario(areas=areas, years=1), seed=4).run()
    df = result.indicators_by_group.set_index(["month", "area", "group"])
    hh = df["households"].unstack("group")
    assert (hh["majority"] + hh["minority"] == hh["all"]).all()
    by_area = hh["all"].unstack("area")
    assert (by_area["north"] + by_area["south"] == by_area["all"]).all()
    # a share of "all" lies between the shares of the two groups
    u = df["unemployment_rate"].unstack("group")
    assert ((u["all"] >= u[["majority", "minority"]].min(axis=1) - 1e-12)
            & (u["all"] <= u[["majority", "minority"]].max(axis=1) + 1e-12)).all()


def test_city_row_counts_only_moves_across_the_city_boundary():
    """In a scenario of several areas, a move from one simulated area to another leaves the area but not the
    city. With no in-movers from outside (vacancy_fill_rate 0) nobody arrives in the city, so the city row
    ('all') must show in_move_rate 0, and its move_out_rate must equal the households it lost."""
    areas = [dict(name="a", households=200, grid=[3, 3], buildings_per_block=2, dwellings_per_building=16),
             dict(name="b", households=200, grid=[3, 3], buildings_per_block=2, dwellings_per_building=16)]
    params = {"mobility.vacancy_fill_rate": 0.0, "mobility.base_move_rate": 0.05, "mobility.share_within_area": 0.0,
              "mobility.city_share_of_out_moves": 1.0, "mobility.displacement_rate": 0.0}
    result = qsim.Simulation(small_scenario(areas=areas, years=1, parameters=params), seed=1).run()
    flows = result.flows.groupby("area")[["out_moves", "in_moves"]].sum()
    assert flows.loc["a", "in_moves"] > 0 and flows.loc["b", "in_moves"] > 0, "no moves between the areas"
    city = result.indicators[result.indicators["area"] == "all"]
    assert (city["in_move_rate"] == 0).all(), f"city in_move_rate {city['in_move_rate'].max():.4f} with no in-movers"
    lost = city["households"].shift(1, fill_value=400) - city["households"]
    moved_out = (city["move_out_rate"] * (city["households"] + lost)).round(9)
    assert (moved_out == lost).all(), "city move_out_rate counts moves between its own areas"


def test_yearly_aggregates_follow_the_documented_kinds():
    """stock = December value, flow = sum of the months, rate = 12 x the monthly mean."""
    result = qsim.Simulation(small_scenario(years=2), seed=2).run()
    monthly = result.indicators
    yearly = result.yearly()
    for ind in INDICATORS:
        for year in (1, 2):
            m = monthly[(monthly["year"] == year) & (monthly["area"] == "A")][ind.name]
            y = yearly[(yearly["year"] == year) & (yearly["area"] == "A")][ind.name].iloc[0]
            expected = {"stock": m.iloc[-1], "flow": m.sum(), "rate": 12.0 * m.mean()}[ind.kind]
            assert y == pytest.approx(expected, rel=1e-12, abs=1e-12), f"{ind.name} ({ind.kind}) in year {year}"


# ---------------------------------------------------------- reproducibility
@given(worlds())
@settings(max_examples=8)
def test_same_seed_gives_bit_identical_results(world):
    scenario, seed, hooks = world
    a = _simulation(scenario, seed, hooks).run(years=1)
    b = _simulation(scenario, seed, hooks).run(years=1)
    pd.testing.assert_frame_equal(a.indicators_by_group, b.indicators_by_group, check_exact=True)
    pd.testing.assert_frame_equal(a.flows, b.flows, check_exact=True)


def test_same_seed_gives_identical_state_and_different_seeds_differ():
    sc = small_scenario(years=2)
    a, b, c = qsim.Simulation(sc, seed=11), qsim.Simulation(sc, seed=11), qsim.Simulation(sc, seed=12)
    for sim in (a, b, c):
        sim.run()
    for name in ("alive", "uid", "dwelling", "labour", "skill", "income", "trust_out", "tie_target", "tie_strength"):
        assert np.array_equal(getattr(a.state.households, name), getattr(b.state.households, name)), name
    assert not np.array_equal(a.state.households.dwelling, c.state.households.dwelling)
    assert not a.result().indicators.equals(c.result().indicators)


def test_replicates_differ_and_are_reproducible():
    sc = small_scenario(years=1)
    r0 = qsim.Simulation(sc, seed=3, replicate=0).run().indicators
    r1 = qsim.Simulation(sc, seed=3, replicate=1).run().indicators
    r1b = qsim.Simulation(sc, seed=3, replicate=1).run().indicators
    assert not r0.equals(r1)
    pd.testing.assert_frame_equal(r1, r1b, check_exact=True)


def test_stepping_past_the_horizon_works_like_running_past_it():
    """run(years=...) may go beyond the scenario's horizon (the macro paths stay flat); step() must too."""
    sc = small_scenario(years=1)
    ran = qsim.Simulation(sc, seed=4).run(years=1.5)
    sim = qsim.Simulation(sc, seed=4)
    for _ in range(18):
        sim.step()
    pd.testing.assert_frame_equal(ran.indicators_by_group, sim.result().indicators_by_group, check_exact=True)


def test_running_in_pieces_equals_running_at_once():
    sc = small_scenario(years=2)
    whole = qsim.Simulation(sc, seed=6).run(years=2)
    sim = qsim.Simulation(sc, seed=6)
    sim.run(years=0.5)
    sim.run(years=1)
    for _ in range(6):
        sim.step()
    pieces = sim.result()
    pd.testing.assert_frame_equal(whole.indicators_by_group, pieces.indicators_by_group, check_exact=True)
    pd.testing.assert_frame_equal(whole.flows, pieces.flows, check_exact=True)


def test_scenario_seed_is_the_default_seed():
    sc = small_scenario(seed=8, years=1)
    pd.testing.assert_frame_equal(qsim.Simulation(sc).run().indicators,
                                  qsim.Simulation(sc, seed=8).run().indicators, check_exact=True)


# --------------------------------------------------- common random numbers
HOUSEHOLD_INDICATORS = [i.name for i in INDICATORS if i.level == "household"]


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.integers(0, 2 ** 31 - 1))
@settings(max_examples=6)
def test_crn_a_parameter_without_feedback_leaves_households_identical(decay_a, decay_b, seed):
    """organisations.tie_decay changes the actors' network only (its coordination scales measures, and this
    scenario has none): every household indicator and every flow stays identical, bit for bit."""
    sc = small_scenario(years=2)
    a = qsim.Simulation(sc.with_parameters({"organisations.tie_decay": decay_a}), seed=seed).run()
    b = qsim.Simulation(sc.with_parameters({"organisations.tie_decay": decay_b}), seed=seed).run()
    cols = ["month", "year", "area", "group"] + HOUSEHOLD_INDICATORS
    pd.testing.assert_frame_equal(a.indicators_by_group[cols], b.indicators_by_group[cols], check_exact=True)
    pd.testing.assert_frame_equal(a.flows, b.flows, check_exact=True)
    if not math.isclose(decay_a, decay_b, rel_tol=1e-3, abs_tol=1e-3):
        assert not a.indicators["actor_network_density"].equals(b.indicators["actor_network_density"]), \
            "the parameter changed nothing at all (test has no power)"


def test_crn_switching_a_process_off_does_not_shift_the_draws_of_another():
    """Labour alone vs labour plus organisations (which does not touch households): identical labour market."""
    a = qsim.Simulation(small_scenario(years=2, processes=only("labour")), seed=13).run()
    b = qsim.Simulation(small_scenario(years=2, processes=only("labour", "organisations")), seed=13).run()
    cols = ["unemployment_rate", "long_term_unemployment_rate", "transfer_rate", "mean_income", "mean_skill"]
    pd.testing.assert_frame_equal(a.indicators[cols], b.indicators[cols], check_exact=True)
    assert not a.indicators["actor_network_density"].equals(b.indicators["actor_network_density"])


def test_crn_the_initial_population_does_not_depend_on_behavioural_parameters():
    """The same seed draws the same city, whatever the parameters of the processes (the synthetic draw, without
    the spin-up: the spin-up runs the processes, so month 0 depends on their parameters by design)."""
    sc = small_scenario(spinup_months=0)
    a = qsim.Simulation(sc, seed=21)
    b = qsim.Simulation(sc.with_parameters({"mobility.base_move_rate": 0.05, "labour.job_loss": 0.03,
                                            "organisations.tie_decay": 0.2}), seed=21)
    for name in ("alive", "dwelling", "group", "labour", "skill", "children", "adults", "income"):
        assert np.array_equal(getattr(a.state.households, name), getattr(b.state.households, name)), name


# -------------------------------------------------------- slot re-ordering
def _households_by_uid(state) -> dict:
    """Every resident household's record keyed by uid: its fields, its dwelling and its ties as (uid, strength)."""
    h = state.households
    out = {}
    for i in np.flatnonzero(h.alive):
        ties = sorted((int(h.uid[j]), float(s)) for j, s in zip(h.tie_target[i], h.tie_strength[i]) if j >= 0)
        fields = tuple(getattr(h, name)[i].item() for name in (
            "rng_key", "dwelling", "group", "labour", "skill", "income", "trust_in", "participating", "tenure"))
        out[int(h.uid[i])] = (fields, ties, int(state.dwellings.occupant[h.dwelling[i]]) == i)
    return out


def test_sorting_the_slots_only_relabels_the_households(monkeypatch):
    """After moves the slots are out of dwelling order; sorting restores it and changes no household, tie or
    dwelling, only where each is stored (and the engine sorts every SORT_MONTHS months)."""
    monkeypatch.setattr(qsim.engine, "SORT_MIN_SLOTS", 0)  # sort this small city too
    sim = qsim.Simulation(small_scenario(years=3, parameters={"mobility.base_move_rate": 0.05}), seed=3)
    for _ in range(qsim.engine.SORT_MONTHS - 1):
        sim.step()
    h = sim.state.households
    alive = np.flatnonzero(h.alive)
    assert np.any(np.diff(h.dwelling[alive]) < 0), "the test needs slots out of dwelling order"
    before = _households_by_uid(sim.state)
    sorted_state = sim.state.copy()
    new_slot = sorted_state.sort_households()
    assert new_slot is not None and sorted(new_slot.tolist()) == list(range(len(h.alive)))
    hs = sorted_state.households
    n = int(hs.alive.sum())
    assert hs.alive[:n].all() and not hs.alive[n:].any(), "residents first, then the empty slots"
    assert np.all(np.diff(hs.dwelling[:n]) > 0), "residents in dwelling order"
    assert _households_by_uid(sorted_state) == before
    assert sorted_state.sort_households() is None, "a sorted state stays as it is"
    in_order = {}

    def record_order(sim, month):  # a hook: runs after the engine's sort, before the processes
        h = sim.state.households
        alive = np.flatnonzero(h.alive)
        in_order[month] = bool(np.array_equal(alive, np.arange(len(alive))) and np.all(np.diff(h.dwelling[alive]) > 0))

    sim.hooks.append(record_order)
    sim.step()
    sim.step()
    check_state(sim)
    assert in_order == {qsim.engine.SORT_MONTHS - 1: False, qsim.engine.SORT_MONTHS: True}
