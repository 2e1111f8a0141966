"""Common mistakes on the command line end in one line that says how to fix them, never in a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from qsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT = "experiments/coaching_referrals_demand.toml"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def _fails(capsys, *argv: str) -> str:
    """Run `qsim argv` and return what it printed to stderr; it must exit with status 2 (argparse or qsim)."""
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse rejects the arguments
        code = e.code
    err = capsys.readouterr().err
    assert code == 2, f"qsim {' '.join(argv)} exited with {code}; stderr: {err}"
    assert "Traceback" not in err
    return err


def test_a_misspelled_path_suggests_the_file(capsys):
    err = _fails(capsys, "run", "scenarios/baseline.tml")
    assert "no such scenario file" in err and "did you mean scenarios/baseline.toml?" in err


def test_a_missing_folder_says_where_to_run_from(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = _fails(capsys, "run", "scenarios/baseline.toml")
    assert "there is no folder scenarios" in err and "repository root" in err


def test_a_folder_instead_of_a_file(capsys):
    err = _fails(capsys, "compare", "scenarios", "scenarios/employment.toml")
    assert "scenarios: is a folder" in err and "scenarios/baseline.toml" in err


def test_an_experiment_file_given_to_run_points_to_sweep(capsys):
    err = _fails(capsys, "run", EXPERIMENT)
    assert "experiment file" in err and f"qsim sweep {EXPERIMENT}" in err


def test_a_scenario_file_given_to_sweep_points_to_run_and_compare(capsys):
    err = _fails(capsys, "sweep", "scenarios/baseline.toml")
    assert "scenario file" in err and "qsim run scenarios/baseline.toml" in err and "qsim compare" in err


@pytest.mark.parametrize("argv, expected", [
    (("run", "scenarios/baseline.toml", "--years", "-1"), "--years: must be more than 0"),
    (("run", "scenarios/baseline.toml", "--years", "ten"), "--years: expected a number of years"),
    (("run", "scenarios/baseline.toml", "--seed", "-3"), "--seed: must be 0 or more"),
    (("compare", "scenarios/baseline.toml", "scenarios/employment.toml", "-r", "0"), "--replications: must be at least 1"),
    (("compare", "scenarios/baseline.toml", "scenarios/employment.toml", "--workers", "0"), "--workers: must be at least 1"),
])
def test_numbers_out_of_range_are_rejected_before_running(capsys, argv, expected):
    assert expected in _fails(capsys, *argv)


def test_a_misspelled_measure_type_suggests_the_right_one(capsys):
    assert "did you mean job_coaching?" in _fails(capsys, "measures", "job_coachin")


def test_a_misspelled_process_suggests_the_right_one(capsys):
    assert "did you mean labour?" in _fails(capsys, "parameters", "--process", "labr")


def test_a_misspelled_field_names_file_and_field(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'extends = "{(ROOT / "scenarios" / "baseline.toml").as_posix()}"\n[scenario]\nname = "bad"\n'
                   f'yeras = 5\n', encoding="utf-8")
    err = _fails(capsys, "run", str(bad))
    assert str(bad) in err and "scenario.yeras: unknown field" in err and "qsim schema" in err


def test_validate_reports_a_missing_file_and_goes_on(capsys):
    code = main(["validate", "scenarios/baseline.tml", "scenarios/employment.toml"])
    captured = capsys.readouterr()
    assert code == 1
    assert "did you mean scenarios/baseline.toml?" in captured.err
    assert "scenarios/employment.toml: ok" in captured.out


def test_an_unparsable_scheduler_address(capsys):
    err = _fails(capsys, "compare", "scenarios/baseline.toml", "scenarios/employment.toml", "-r", "1",
                 "--scheduler", "host:port")
    assert "not a scheduler address" in err and "tcp://host:8786" in err
