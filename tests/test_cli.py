"""The `qsim` command line: run, validate, schema, parameters (in process via qsim.cli.main, and once
through a real subprocess to check the entry point)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pandas as pd
import pytest

import qsim
from conftest import SCENARIOS
from qsim.cli import main
from qsim.parameters import PARAMETERS

SMALL = """
[scenario]
name = "cli-small"
years = 3
seed = 5

[[areas]]
name = "Kiez"
households = 200
grid = [3, 3]
buildings_per_block = 2
dwellings_per_building = 12
"""


@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_run_writes_tables_plot_and_prints_a_summary(small_file, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(small_file), "--seed", "2", "--years", "1", "--out", str(out), "--quiet", "--plot"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    for name in ("indicators.parquet", "indicators.csv", "flows.parquet", "flows.csv", "indicators.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert (out / "indicators.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the summary: scenario name, seed, key indicators, first and last year
    assert "cli-small" in captured.out and "seed 2" in captured.out
    for word in ("unemployment_rate", "child_poverty_rate", "year 1", "change"):
        assert word in captured.out, word
    # the files hold exactly what the Python API computes for the same seed
    expected = qsim.Simulation(qsim.load_scenario(small_file), seed=2).run(years=1)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "indicators.parquet"), expected.indicators_by_group,
                                  check_exact=True, check_dtype=False)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "flows.parquet"), expected.flows, check_exact=True,
                                  check_dtype=False)
    csv = pd.read_csv(out / "indicators.csv")
    assert list(csv.columns) == list(expected.indicators_by_group.columns)
    assert len(csv) == len(expected.indicators_by_group) == 12 * 2 * 3  # months x (area, all) x groups
    pd.testing.assert_series_equal(csv["unemployment_rate"], expected.indicators_by_group["unemployment_rate"],
                                   check_exact=False, rtol=1e-12)


def test_run_uses_the_scenario_seed_and_horizon_by_default(small_file, tmp_path, capsys):
    out = tmp_path / "default"
    assert main(["run", str(small_file), "--out", str(out), "--quiet"]) == 0
    assert "seed 5" in capsys.readouterr().out
    df = pd.read_parquet(out / "indicators.parquet")
    assert df["year"].max() == 3


def test_run_of_a_bad_scenario_fails_with_a_clear_message(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.replace("households = 200", "households = 2000"), encoding="utf-8")
    code = main(["run", str(bad), "--out", str(tmp_path / "never"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert str(bad) in err and "areas.0" in err
    assert not (tmp_path / "never").exists()


def test_validate_good_and_bad_files(small_file, tmp_path, capsys):
    assert main(["validate", str(small_file), str(SCENARIOS / "baseline.toml")]) == 0
    out = capsys.readouterr().out
    assert str(small_file) in out and "ok" in out
    bad = tmp_path / "typo.toml"
    bad.write_text(SMALL.replace("grid", "gird"), encoding="utf-8")
    assert main(["validate", str(small_file), str(bad)]) == 1
    captured = capsys.readouterr()
    assert str(bad) in captured.err and "gird" in captured.err
    assert str(small_file) in captured.out


def test_schema_is_valid_json_describing_the_file(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object"
    for branch in ("then", "else"):  # files that extend another, and files that stand alone
        assert {"scenario", "areas", "city", "processes", "parameters", "qm_office"} <= set(schema[branch]["properties"])


def test_schema_accepts_every_shipped_scenario_and_rejects_bad_files(capsys):
    """Checked with jsonschema (draft 2020-12): every file in scenarios/ as written (extends, [city], areas =
    selection), and five files with one mistake each."""
    from jsonschema import Draft202012Validator

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    files = sorted(SCENARIOS.glob("*.toml"))
    assert len(files) > 10 and any(f.name == "berlin_qm.toml" for f in files)
    for path in files:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(tomllib.loads(path.read_text(encoding="utf-8")))]
        assert not errors, f"{path.name}: {errors[:3]}"
    meta = {"name": "x", "years": 1}
    bad = [{"scenario": meta},  # neither areas nor a city
           {"scenario": meta, "city": {"table": "t.csv"}, "areas": [{"name": "A", "households": 10}]},  # both
           {"scenario": meta, "city": {"tabel": "t.csv"}},  # a misspelt field
           {"extends": "b.toml", "city": {"scale": 2.0}},  # out of range, also in a file that extends
           {"extends": "b.toml", "measures": [{"type": "action_fund", "areas": 3}]}]  # a selection is a name
    for data in bad:
        assert not validator.is_valid(data), data


def test_parameters_markdown_lists_every_parameter(capsys):
    assert main(["parameters", "--markdown"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("| parameter |") and set(lines[1]) <= set("|- ")
    rows = [line for line in lines[2:] if line.startswith("| `")]
    assert len(rows) == len(PARAMETERS) == len(lines) - 2
    names = [row.split("`")[1] for row in rows]
    assert names == [p.dotted for p in PARAMETERS]
    assert all(row.count("|") >= 6 for row in rows)


def test_parameters_of_one_process(capsys):
    assert main(["parameters", "--process", "labour"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == sum(p.process == "labour" for p in PARAMETERS)
    assert all(line.startswith("labour.") for line in lines)


def test_unknown_command_exits_with_usage(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "usage" in capsys.readouterr().err


def test_entry_point_runs_as_a_program(small_file):
    """The installed command (python -m qsim.cli) as a user runs it: validate and schema."""
    done = subprocess.run([sys.executable, "-m", "qsim.cli", "validate", str(small_file)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout
    done = subprocess.run([sys.executable, "-m", "qsim.cli", "schema"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and json.loads(done.stdout)["type"] == "object"
