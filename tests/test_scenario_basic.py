"""Scenario files: good files load, bad inputs give a qsim.ScenarioError naming the file and the field;
the synthetic population matches the area marginals; the [processes] table and macro paths act."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

import qsim
from conftest import SCENARIOS, only, scenario_dict, small_scenario
from qsim.state import INACTIVE, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, TRANSFER

GOOD = """
[scenario]
name = "tiny"
years = 2
seed = 4

[processes]
organisations = false

[parameters]
"labour.job_loss" = 0.01
"mobility.base_move_rate" = { per_year = 0.09 }
"encounters.tie_decay" = { per_month = 0.05 }

[[areas]]
name = "Kiez"
households = 150
grid = [3, 2]
buildings_per_block = 2
dwellings_per_building = 14
"""


def _write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------- good files
def test_a_good_file_loads_with_its_values(tmp_path):
    sc = qsim.load_scenario(_write(tmp_path, GOOD))
    assert isinstance(sc, qsim.Scenario)
    assert sc.name == "tiny" and sc.years == 2 and sc.scenario.seed == 4
    assert [a.name for a in sc.areas] == ["Kiez"]
    area = sc.areas[0]
    assert area.households == 150 and tuple(area.grid) == (3, 2) and area.dwellings == 3 * 2 * 2 * 14
    assert sc.processes.organisations is False and sc.processes.labour is True
    assert sc.parameters["labour.job_loss"] == 0.01


def test_rates_per_year_are_converted_to_monthly_probabilities(tmp_path):
    """A yearly probability p becomes 1 - (1 - p) ** (1/12): twelve monthly trials, same chance of an event."""
    sc = qsim.load_scenario(_write(tmp_path, GOOD))
    p = sc.parameters["mobility.base_move_rate"]
    assert p == pytest.approx(1 - (1 - 0.09) ** (1 / 12), rel=1e-12)
    assert 1 - (1 - p) ** 12 == pytest.approx(0.09, rel=1e-12)
    assert sc.parameters["encounters.tie_decay"] == 0.05


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_scenarios_load(path):
    sc = qsim.load_scenario(path)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    if "scenario" in raw:
        assert sc.name == raw["scenario"].get("name", sc.name)
    assert len(sc.areas) >= 1


def test_baseline_and_schelling_read_as_written():
    for name in ("baseline.toml", "schelling.toml"):
        path = SCENARIOS / name
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        sc = qsim.load_scenario(path)
        assert sc.name == raw["scenario"]["name"] and sc.years == raw["scenario"]["years"]
        assert [a.name for a in sc.areas] == [a["name"] for a in raw["areas"]]
        for area, raw_area in zip(sc.areas, raw["areas"]):
            assert area.households == raw_area["households"] and list(area.grid) == raw_area["grid"]
        for process, on in raw.get("processes", {}).items():
            assert getattr(sc.processes, process) is on
        for name_, value in raw.get("parameters", {}).items():
            if isinstance(value, (int, float)):  # rates given per year/month are converted (tested above)
                assert sc.parameters[name_] == value


def test_simulation_accepts_a_path(tmp_path):
    path = _write(tmp_path, GOOD)
    a = qsim.Simulation(str(path), seed=2).run(years=1).indicators
    b = qsim.Simulation(qsim.load_scenario(path), seed=2).run(years=1).indicators
    assert a.equals(b)


def test_with_parameters_returns_a_changed_copy():
    sc = small_scenario(parameters={"labour.job_loss": 0.01})
    changed = sc.with_parameters({"labour.job_loss": 0.02, "mobility.selectivity": 0.5})
    assert changed.parameters["labour.job_loss"] == 0.02 and changed.parameters["mobility.selectivity"] == 0.5
    assert sc.parameters == {"labour.job_loss": 0.01}, "with_parameters changed the original scenario"
    assert qsim.Simulation(changed).params["mobility.selectivity"] == 0.5


def test_scenario_from_dict_matches_the_file_shape():
    sc = qsim.scenario_from_dict(scenario_dict(households=123))
    assert sc.areas[0].households == 123


# -------------------------------------------------------------- bad files
BAD = [
    # (label, text replacing part of GOOD: (old, new), substrings the message must contain)
    ("unknown top-level field", ("[processes]", "[proceses]"), ["proceses", "unknown field"]),
    ("unknown area field", ("households = 150", "househlds = 150"), ["areas.0.househlds"]),
    ("wrong type", ("households = 150", 'households = "many"'), ["areas.0.households"]),
    ("too many households", ("households = 150", "households = 1500"), ["areas.0", "do not fit"]),
    ("unknown parameter", ('"labour.job_loss" = 0.01', '"labour.jobloss" = 0.01'), ["parameters", "labour.jobloss"]),
    ("parameter out of range", ('"labour.job_loss" = 0.01', '"labour.job_loss" = 1.5'),
     ["parameters", "labour.job_loss"]),
    ("yearly rate above 1", ("{ per_year = 0.09 }", "{ per_year = 1.09 }"), ["parameters", "mobility.base_move_rate"]),
    ("rate with a bad unit", ("{ per_year = 0.09 }", "{ per_week = 0.09 }"), ["parameters", "mobility.base_move_rate"]),
    ("parameter not a number", ('"labour.job_loss" = 0.01', '"labour.job_loss" = "high"'),
     ["parameters", "labour.job_loss"]),
    ("zero years", ("years = 2", "years = 0"), ["scenario.years"]),
    ("missing name", ('name = "tiny"\n', ""), ["scenario.name", "missing"]),
    ("unknown process", ("organisations = false", "schelling = false"), ["processes.schelling"]),
    ("negative grid", ("grid = [3, 2]", "grid = [3, -2]"), ["areas.0.grid"]),
    ("group shares not summing to 1", ("grid = [3, 2]", "grid = [3, 2]\ngroup_shares = [0.5, 0.6]"),
     ["areas.0", "group_shares"]),
    ("unemployment above 1", ("grid = [3, 2]", "grid = [3, 2]\nunemployment_rate = 1.2"),
     ["areas.0.unemployment_rate"]),
    ("long-term above all unemployment", ("grid = [3, 2]", "grid = [3, 2]\nlong_term_unemployment_rate = 0.3"),
     ["areas.0", "long_term_unemployment_rate"]),
    ("unknown place kind", ("grid = [3, 2]", 'grid = [3, 2]\nplaces = { swimming_pool = 1 }'),
     ["areas.0.places", "swimming_pool"]),
    ("macro years not increasing", ("[processes]", "[macro]\nlabour_demand = [[5, 1.0], [2, 0.9]]\n\n[processes]"),
     ["macro.labour_demand"]),
    ("no areas", ("[[areas]]", "[[zones]]"), ["zones"]),
]


@pytest.mark.parametrize("label,change,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_files_give_an_error_naming_file_and_field(tmp_path, label, change, expected):
    old, new = change
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1), "bad scenario.toml")
    with pytest.raises(qsim.ScenarioError) as info:
        qsim.load_scenario(path)
    message = str(info.value)
    assert str(path) in message, f"the message does not name the file:\n{message}"
    for text in expected:
        assert text in message, f"the message does not mention {text!r}:\n{message}"


def test_duplicate_area_names_are_rejected(tmp_path):
    text = GOOD + GOOD[GOOD.index("[[areas]]"):]
    path = _write(tmp_path, text)
    with pytest.raises(qsim.ScenarioError, match="unique") as info:
        qsim.load_scenario(path)
    assert str(path) in str(info.value)


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(qsim.ScenarioError) as info:
        qsim.load_scenario(path)
    assert str(path) in str(info.value)


def test_invalid_toml_is_named_with_its_position(tmp_path):
    path = _write(tmp_path, GOOD.replace("years = 2", "years = = 2"))
    with pytest.raises(qsim.ScenarioError) as info:
        qsim.load_scenario(path)
    assert str(path) in str(info.value) and "line" in str(info.value)


def test_scenario_from_dict_names_its_source():
    data = scenario_dict()
    data["areas"][0]["households"] = -5
    with pytest.raises(qsim.ScenarioError) as info:
        qsim.scenario_from_dict(data, source="my sweep, row 7")
    assert "my sweep, row 7" in str(info.value) and "areas.0.households" in str(info.value)


@pytest.mark.parametrize("overrides", [{"labour.jobloss": 0.01}, {"labour.job_loss": 2.0}, {"labour.job_loss": "x"}])
def test_with_parameters_rejects_bad_values_with_a_scenario_error(overrides):
    """Public API: a bad override is a bad scenario, reported like one (qsim.ScenarioError naming the
    parameter), not as a raw pydantic ValidationError."""
    sc = small_scenario()
    with pytest.raises(qsim.ScenarioError) as info:
        sc.with_parameters(overrides)
    assert next(iter(overrides)) in str(info.value)


# ------------------------------------------------- the synthetic population
AREA_A = dict(name="north", households=500, grid=[4, 3], buildings_per_block=3, dwellings_per_building=16,
              group_shares=[0.6, 0.4], unemployment_rate=0.14, long_term_unemployment_rate=0.06,
              transfer_rate=0.11, inactive_rate=0.07, household_size=2.0, two_adult_share=0.4)
AREA_B = dict(name="south", households=333, grid=[3, 3], buildings_per_block=2, dwellings_per_building=20,
              group_shares=[0.3, 0.7], unemployment_rate=0.09, long_term_unemployment_rate=0.03,
              transfer_rate=0.05, inactive_rate=0.1, household_size=1.7, two_adult_share=0.3)


@pytest.mark.parametrize("seed", [1, 2])
def test_initial_population_matches_area_marginals_exactly_in_counts(seed):
    """qsim.population: groups and labour states match the marginals exactly in counts (round(share * n)),
    in each area; children total round((household_size - 1 - two_adult_share) * n). The synthetic draw, so
    without the spin-up (which moves the population to the model's steady state)."""
    sc = small_scenario(areas=[AREA_A, AREA_B], spinup_months=0)
    sim = qsim.Simulation(sc, seed=seed)
    h, dw = sim.state.households, sim.state.dwellings
    for a, spec in enumerate((AREA_A, AREA_B)):
        ids = np.flatnonzero(h.alive)
        ids = ids[dw.area[h.dwelling[ids]] == a]
        n = spec["households"]
        assert len(ids) == n
        assert (h.group[ids] == 1).sum() == round(spec["group_shares"][1] * n)
        lab = h.labour[ids]
        assert np.isin(lab, (SHORT_TERM_UNEMPLOYED, LONG_TERM_UNEMPLOYED)).sum() == round(spec["unemployment_rate"] * n)
        assert (lab == LONG_TERM_UNEMPLOYED).sum() == round(spec["long_term_unemployment_rate"] * n)
        assert (lab == TRANSFER).sum() == round(spec["transfer_rate"] * n)
        assert (lab == INACTIVE).sum() == round(spec["inactive_rate"] * n)
        assert h.children[ids].sum() == round((spec["household_size"] - 1 - spec["two_adult_share"]) * n)
        assert np.all(h.children[ids] <= 4)
        # disadvantage concentrates on low skill
        assert h.skill[ids][lab == LONG_TERM_UNEMPLOYED].mean() < h.skill[ids][lab == 0].mean()


def test_population_is_the_same_for_the_same_seed_and_differs_by_seed():
    sc = small_scenario()
    a, b, c = (qsim.Simulation(sc, seed=s) for s in (5, 5, 6))
    assert np.array_equal(a.state.households.dwelling, b.state.households.dwelling)
    assert np.array_equal(a.state.households.skill, b.state.households.skill)
    assert not np.array_equal(a.state.households.dwelling, c.state.households.dwelling)


# ------------------------------------------------ processes and macro paths
def test_switched_off_processes_do_nothing():
    sc = small_scenario(years=1, processes=only("labour"))
    sim = qsim.Simulation(sc, seed=3)
    dwelling = sim.state.households.dwelling.copy()
    quality = sim.state.buildings.quality.copy()
    sim.run()
    h = sim.state.households
    assert np.array_equal(h.dwelling, dwelling), "households moved with mobility switched off"
    assert np.array_equal(sim.state.buildings.quality, quality), "buildings changed with environment off"
    assert (h.tie_target == -1).all(), "ties formed with encounters switched off"
    assert (h.participating == 0).all()
    flows = sim.result().flows
    assert (flows[["out_moves", "in_moves", "internal_moves"]] == 0).all().all()


def test_labour_demand_path_moves_unemployment():
    """A recession path (labour demand 0.6 from year 1) raises unemployment above the same world at 1.0."""
    normal = small_scenario(years=3)
    recession = small_scenario(years=3, macro={"labour_demand": [[0.0, 1.0], [1.0, 0.6]]})
    u = {}
    for label, sc in (("normal", normal), ("recession", recession)):
        y = qsim.Simulation(sc, seed=2).run().yearly()
        u[label] = y[(y["area"] == "A") & (y["year"] == 3)]["unemployment_rate"].iloc[0]
    assert u["recession"] > u["normal"] + 0.02, u
