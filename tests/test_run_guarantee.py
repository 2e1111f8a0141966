"""Validation that guarantees a run (issue 19, items 2, 3, 6).

1. The bad inputs of the issue, each now a clear QsimError naming the file and the field (or a run that works):
   ``encounters_per_month = 0``, seeds of 2**64 (file and --seed), ``rent_level = inf`` / ``1e300``, a NaN year
   in a macro path, a NUL byte or a too-long name in ``extends``, ``$\\frac{`` in a name, huge effect sizes.
2. Paths from files: special files (/dev, /proc, /sys) and folders are refused before anything is read, table
   errors name positions and do not echo the file's contents.
3. Memory checked before work: 8 areas of 20 M households are refused before any allocation; the override.
4. A hypothesis test: scenarios drawn across the whole schema, within its bounds, run a year with finite
   indicators.
"""

from __future__ import annotations

import copy
import math
import os
import resource
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import qsim
from qsim.cli import main
from qsim.errors import QsimError
from qsim.measures.runner import check_targets
from qsim.files import FileError, ScenarioError, check_input_file, read_toml
from qsim.parameters import BY_NAME, PARAMETERS
from qsim.resources import ResourceError, check_run, run_bytes
from qsim.rng import MAX_SEED, run_key
from qsim.scenario import scenario_from_dict

SMALL = {"scenario": {"name": "guard", "years": 1, "seed": 3}, "spinup_months": 2,
         "areas": [{"name": "Q", "households": 100, "grid": [3, 3], "buildings_per_block": 2,
                    "dwellings_per_building": 8}]}
OPTION = {**SMALL, "funding": {"p": {"kind": "public_programme", "amount_per_year": 300000.0}},
          "measures": [{"type": "neighbourhood_projects", "funding": "p", "effect": {"mixing": 0.3}},
                       {"type": "meeting_place", "funding": "p"}]}


def finite_run(data: dict, seed: int | None = None) -> None:
    """Validate ``data`` and run it for a year: no exception, finite indicators."""
    result = qsim.Simulation(scenario_from_dict(data, "t.toml"), seed=seed).run(years=1)
    values = result.indicators.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(values).all(), "NaN or inf in the indicators"


def rejected(data: dict, field: str) -> str:
    with pytest.raises(ScenarioError) as e:
        scenario_from_dict(data, "t.toml")
    message = str(e.value)
    assert message.startswith("t.toml") and field in message, message
    return message


def with_(base: dict, path: str, value) -> dict:
    data = copy.deepcopy(base)
    *parents, key = path.split(".")
    node = data
    for p in parents:
        node = node[int(p)] if p.isdigit() else node.setdefault(p, {})
    node[key] = value
    return data


# ------------------------------------------------------------------ 1. the examples
def test_encounters_per_month_zero_is_refused_and_its_lowest_value_runs_an_option():
    message = rejected({**OPTION, "parameters": {"encounters.encounters_per_month": 0}},
                       "encounters.encounters_per_month")
    assert "[0.01, 30]" in message
    finite_run({**OPTION, "parameters": {"encounters.encounters_per_month": 0.01}})


def test_seeds_up_to_2_64_minus_1_run_and_beyond_are_refused(capsys):
    finite_run(with_(SMALL, "scenario.seed", MAX_SEED))
    rejected(with_(SMALL, "scenario.seed", MAX_SEED + 1), "scenario.seed")
    with pytest.raises(QsimError, match="2\\*\\*64 - 1"):
        run_key(MAX_SEED + 1, 0)
    with pytest.raises(SystemExit):
        main(["run", "scenarios/baseline.toml", "--seed", str(2**64)])
    assert "at most 2**64 - 1" in capsys.readouterr().err


@pytest.mark.parametrize("value", [math.inf, 1e300, math.nan, -1.0])
def test_rent_level_must_be_a_finite_rent(value):
    rejected(with_(SMALL, "areas.0.rent_level", value), "areas.0.rent_level")


def test_rent_level_at_its_bound_runs():
    finite_run(with_(SMALL, "areas.0.rent_level", 100_000.0))


@pytest.mark.parametrize("points", [[[0, 1.0], [math.nan, 1.2]], [[0, 1.0], [math.inf, 1.2]], [[0, math.nan]],
                                    [[0, 1.0], [0, 1.1]], [[0, 1e300]]])
def test_macro_paths_need_finite_increasing_years_and_bounded_levels(points):
    rejected(with_(SMALL, "macro.labour_demand", points), "macro.labour_demand")


@pytest.mark.parametrize("name", ["a\0b.toml", "x" * 5000 + ".toml"])
def test_unusable_extends_names_are_file_errors(name):
    message = rejected({**SMALL, "extends": name}, "extends")
    assert "not a usable file path" in message


@pytest.mark.parametrize("name", ["$\\frac{", "../../X", "a/b", ".hidden", "x" * 121, "tab\tname"])
def test_scenario_names_must_be_safe_as_file_names_and_labels(name):
    rejected(with_(SMALL, "scenario.name", name), "scenario.name")


def test_labels_refuse_mathtext_and_control_characters():
    rejected(with_(SMALL, "areas.0.name", "$\\frac{"), "areas.0.name")
    rejected(with_(OPTION, "measures.0.name", "a\0b"), "measures.0.name")
    finite_run(with_(SMALL, "areas.0.name", "Spandauer Str./Rathaus (Mitte)"))


def test_effect_sizes_are_bounded():
    rejected(with_(OPTION, "measures.0.effect", {"mixing": 1e300}), "measures.0.effect.mixing")


def test_every_parameter_has_finite_bounds_and_runs_at_both():
    overrides_low = {p.dotted: p.low for p in PARAMETERS}
    overrides_high = {p.dotted: p.high for p in PARAMETERS}
    assert all(math.isfinite(v) for v in [*overrides_low.values(), *overrides_high.values()])
    for overrides in (overrides_low, overrides_high):
        finite_run({**OPTION, "parameters": overrides})


# ------------------------------------------------------------------ 2. paths from files
@pytest.mark.parametrize("path", ["/dev/zero", "/proc/self/environ", "/sys/kernel", "/tmp"])
def test_special_files_are_refused_before_reading(path):
    with pytest.raises(FileError, match="not a regular file"):
        check_input_file(path)
    with pytest.raises(ScenarioError, match="not a regular file"):
        read_toml(path, ScenarioError)
    rejected({**SMALL, "extends": path}, "extends")
    table_area = {"name": "Q", "buildings_csv": path, "households_csv": path}
    message = rejected({**SMALL, "areas": [table_area]}, "areas.0.buildings_csv")
    assert "not a regular file" in message


def test_table_errors_name_positions_not_contents(tmp_path):
    secret = "TOKEN_abc123=very-secret-value"
    (tmp_path / "b.csv").write_text(f"{secret},other\n1,2\n", encoding="utf-8")
    (tmp_path / "h.csv").write_text("building\n1\n", encoding="utf-8")
    area = {"name": "Q", "buildings_csv": str(tmp_path / "b.csv"), "households_csv": str(tmp_path / "h.csv")}
    message = rejected({**SMALL, "areas": [area]}, "areas.0.buildings_csv")
    assert "line 1" in message and "unknown column(s) at position 1, 'other'" in message
    assert "secret" not in message and "TOKEN" not in message


def test_symlink_to_a_special_file_is_refused(tmp_path):
    (tmp_path / "link.toml").symlink_to("/dev/zero")
    with pytest.raises(FileError, match="not a regular file"):
        read_toml(tmp_path / "link.toml")


# ------------------------------------------------------------------ 3. memory before work
HUGE = {"scenario": {"name": "huge", "years": 1},
        "areas": [{"name": f"A{k}", "households": 20_000_000, "grid": [1000, 1000], "buildings_per_block": 2,
                   "dwellings_per_building": 10} for k in range(8)]}


def test_eight_areas_of_20_million_households_are_refused_before_allocation(monkeypatch):
    monkeypatch.setenv("QSIM_MEMORY_CHECK", "1")
    scenario = scenario_from_dict(HUGE, "huge.toml")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ResourceError, match="GiB of memory"):
        qsim.Simulation(scenario)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 200, f"the refusal allocated {grown_mib:.0f} MiB first"


def test_the_memory_check_can_be_switched_off(monkeypatch):
    scenario = scenario_from_dict(HUGE, "huge.toml")
    monkeypatch.setenv("QSIM_MEMORY_CHECK", "0")
    check_run(scenario.areas, scenario.tie_slots)  # no error: the check is off
    monkeypatch.setenv("QSIM_MEMORY_CHECK", "1")
    monkeypatch.setattr("qsim.resources.available_bytes", lambda: 1000)
    small = scenario_from_dict(SMALL)
    with pytest.raises(ResourceError):
        check_run(small.areas, small.tie_slots)


def test_the_estimate_covers_a_measured_run():
    """The estimate is at least the state's arrays (measured: about 160 bytes per household of the baseline)."""
    scenario = scenario_from_dict(SMALL)
    sim = qsim.Simulation(scenario)
    h = sim.state.households
    state_bytes = sum(getattr(h, name).nbytes for name in vars(h) if isinstance(getattr(h, name), np.ndarray))
    assert run_bytes(scenario.areas, scenario.tie_slots) >= state_bytes


# ------------------------------------------------------------------ 4. any valid scenario runs
def bounded(low, high):
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def scenarios(draw) -> dict:
    """A scenario drawn across the schema within its documented bounds (small areas)."""
    unemployment = draw(bounded(0.0, 0.5))
    transfer = draw(bounded(0.0, 1.0 - unemployment))
    inactive = draw(bounded(0.0, 1.0 - unemployment - transfer))
    two_adult = draw(bounded(0.0, 1.0))
    minority = draw(bounded(0.0, 1.0))
    area = {"name": draw(st.sampled_from(["Q", "Kiez am Kanal", "Nord/Süd (1)"])),
            "households": draw(st.integers(1, 120)), "grid": [draw(st.integers(2, 4)), draw(st.integers(2, 4))],
            "buildings_per_block": 2, "dwellings_per_building": 8, "group_shares": [1.0 - minority, minority],
            "unemployment_rate": unemployment, "long_term_unemployment_rate": draw(bounded(0.0, unemployment)),
            "transfer_rate": transfer, "inactive_rate": inactive, "child_poverty_rate": draw(bounded(0, 1)),
            "two_adult_share": two_adult, "household_size": draw(bounded(1.0 + two_adult, 8.0)),
            "skill_mean": draw(bounded(0, 1)), "building_quality": draw(bounded(0, 1)),
            "place_quality": draw(bounded(0, 1)), "rent_level": draw(bounded(1e-3, 100_000.0)),
            "places": {"park": 1, "centre": draw(st.integers(0, 3)), "playground": 1, "school": draw(st.integers(0, 2))}}
    if draw(st.booleans()):
        low = draw(bounded(-10, 9))
        area["thresholds"] = {"distribution": "uniform", "low": low, "high": draw(bounded(low + 0.01, 10))}
    names = draw(st.lists(st.sampled_from([p.dotted for p in PARAMETERS]), max_size=12, unique=True))
    parameters = {name: draw(bounded(BY_NAME[name].low, BY_NAME[name].high)) for name in names}
    years = sorted(set(draw(st.lists(bounded(-1000, 1000), min_size=1, max_size=4))))
    macro = {"labour_demand": [[y, draw(bounded(0.01, 10))] for y in years],
             "rent_pressure": [[draw(bounded(-1000, 1000)), draw(bounded(0.01, 10))]]}
    processes = {p: draw(st.booleans()) for p in ("labour", "encounters", "trust", "participation", "environment",
                                                  "mobility", "organisations")}
    data = {"scenario": {"name": "drawn", "years": 1, "seed": draw(st.integers(0, MAX_SEED))},
            "spinup_months": draw(st.integers(0, 6)), "tie_slots": draw(st.integers(1, 32)), "areas": [area],
            "macro": macro, "parameters": parameters, "processes": processes}
    if draw(st.booleans()):
        data["funding"] = {"p": {"kind": "public_programme", "amount_per_year": draw(bounded(0, 1e10)),
                                 "degression": draw(bounded(0, 1))}}
        data["qm_office"] = {"carrier": "non_profit", "staff": draw(bounded(0.1, 50)), "funding": "p"}
        types = draw(st.lists(st.sampled_from(["neighbourhood_projects", "meeting_place", "resident_council",
                                               "mediation", "green_space", "building_renovation", "action_fund"]),
                              max_size=3, unique=True))
        data["measures"] = [{"type": t, "funding": "p", "capacity": draw(bounded(0.01, 1e6)),
                             "effect": {}} for t in types]
        data["allocation"] = {"policy": draw(st.sampled_from(["priority", "pro_rata", "participatory"]))}
    return data


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
def test_any_valid_scenario_runs_a_year_with_finite_indicators(data):
    try:  # what `qsim validate` checks: the file, then the initial city it builds
        scenario = scenario_from_dict(data, "drawn.toml")
        check_targets(scenario)
    except ScenarioError:
        assume(False)  # a combination validation refuses (e.g. a target that selects nobody)
    result = qsim.Simulation(scenario).run(years=1)
    values = result.indicators.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(values).all(), "NaN or inf in the indicators"


def test_experiment_seeds_are_bounded_by_what_uses_them():
    """Sweep and calibration seeds key runs (up to 2**64 - 1); a sensitivity seed reaches np.random.seed in
    SALib's delta and PAWN analyses (up to 2**32 - 1)."""
    from pydantic import ValidationError

    from qsim.experiment.sweep import DesignSpec
    from qsim.rng import MAX_SAMPLER_SEED
    from qsim.sensitivity.spec import SensitivitySettings

    assert DesignSpec.model_validate({"seed": MAX_SEED}).seed == MAX_SEED
    with pytest.raises(ValidationError):
        DesignSpec.model_validate({"seed": MAX_SEED + 1})
    assert SensitivitySettings.model_validate({"n": 8, "seed": MAX_SAMPLER_SEED}).seed == MAX_SAMPLER_SEED
    with pytest.raises(ValidationError):
        SensitivitySettings.model_validate({"n": 8, "seed": MAX_SAMPLER_SEED + 1})
    np.random.seed(MAX_SAMPLER_SEED)
    with pytest.raises(ValueError):
        np.random.seed(MAX_SAMPLER_SEED + 1)


def test_the_command_line_refuses_a_huge_scenario_and_has_the_override(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QSIM_MEMORY_CHECK", "1")
    lines = ['[scenario]\nname = "huge"\nyears = 1\n']
    lines += [f'[[areas]]\nname = "A{k}"\nhouseholds = 20000000\ngrid = [1000, 1000]\nbuildings_per_block = 2\n'
              f'dwellings_per_building = 10\n' for k in range(8)]
    (tmp_path / "huge.toml").write_text("\n".join(lines), encoding="utf-8")
    assert main(["validate", str(tmp_path / "huge.toml")]) == 1
    err = capsys.readouterr().err
    assert "GiB of memory" in err and "--no-memory-check" in err and "Traceback" not in err
    assert main(["--no-memory-check", "parameters", "--process", "labour"]) == 0
    assert os.environ["QSIM_MEMORY_CHECK"] == "0"  # inherited by worker processes (monkeypatch restores it)


def test_design_and_mss_tables_are_checked_before_reading():
    from qsim.city import CityError, _mss_columns
    from qsim.experiment.design import DesignError, _table_points

    with pytest.raises(DesignError, match="/dev/zero: not a regular file"):
        _table_points(["labour.job_loss"], "/dev/zero")
    with pytest.raises(CityError, match="/proc/self/environ: not a regular file"):
        _mss_columns("/proc/self/environ", ["A"], "city.selections.x")


def test_fuzzer_findings_in_experiment_files_are_file_errors(tmp_path):
    """Found by tools/fuzz.py: a huge output period overflowed range(); a too-long scenario path raised OSError."""
    from pydantic import ValidationError

    from qsim.experiment.sweep import experiment_scenarios
    from qsim.files import ExperimentFileError
    from qsim.sensitivity.spec import OutputSpec

    with pytest.raises(ValidationError):
        OutputSpec.model_validate({"indicator": "unemployment_rate", "period": [1, 10**30]})
    with pytest.raises(ExperimentFileError, match="experiment.scenarios.0: .*not a usable file path"):
        experiment_scenarios(["x" * 5000], tmp_path, "e.toml")
    with pytest.raises(ExperimentFileError, match="no such scenario file 'none.toml'"):
        experiment_scenarios(["none.toml"], tmp_path, "e.toml")


def test_a_too_long_scenarios_folder_in_a_validation_file_is_a_file_error(tmp_path):
    """Found by tools/fuzz.py (mutant 17713 of seed 1): the folder check raised OSError."""
    from qsim.validation import ValidationFileError, read_settings

    text = (Path("experiments/validation.toml").read_text(encoding="utf-8")
            .replace('scenarios = "../scenarios"', 'scenarios = "' + "x" * 5000 + '"'))
    assert "x" * 5000 in text
    (tmp_path / "v.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ValidationFileError, match="no such folder"):
        read_settings(tmp_path / "v.toml")
