"""Sweeps: designs over factors, runs through the store with common random numbers, experiment files.

World: tests/test_measures.py's BASE (600 households, 4 x 4 grid), baseline
against job coaching at its catalogue defaults; runs are serial in this process.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import qsim
from qsim.cli import main
from qsim.experiment import DesignError, Factor, Store, design_points, load_experiment
from qsim.files import ExperimentFileError
from test_experiment_compare import named

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "experiments" / "coaching_referrals_demand.toml"
REFERRAL = Factor("labour.referral_strength", 0.2, 1.2)
DEMAND = Factor("macro.labour_demand", 0.8, 1.2)


# ------------------------------------------------------------------ designs
@pytest.mark.parametrize("kind, size, expected", [("grid", 3, 9), ("grid", None, 9), ("lhs", 7, 7), ("sobol", 8, 8)])
def test_designs_have_their_size_and_stay_within_bounds(kind, size, expected):
    points = design_points([REFERRAL, DEMAND], kind, size, seed=5)
    assert list(points.columns) == [REFERRAL.name, DEMAND.name]
    assert len(points) == expected and not points.duplicated().any()
    for f in (REFERRAL, DEMAND):
        assert points[f.name].between(f.low, f.high).all()
    if kind != "grid":
        pd.testing.assert_frame_equal(points, design_points([REFERRAL, DEMAND], kind, size, seed=5))
        assert not points.equals(design_points([REFERRAL, DEMAND], kind, size, seed=6))
    if kind == "lhs":  # one point in each of the `size` strata of every factor
        for f in (REFERRAL, DEMAND):
            strata = np.floor((points[f.name] - f.low) / (f.high - f.low) * size)
            assert sorted(strata.astype(int)) == list(range(size))


def test_grid_with_levels_and_table_designs():
    grid = design_points([Factor("labour.job_finding_max", levels=(0.5, 0.8)), REFERRAL], "grid", 2)
    assert grid.values.tolist() == [[0.5, 0.2], [0.5, 1.2], [0.8, 0.2], [0.8, 1.2]]
    table = pd.DataFrame({"labour.referral_strength": [0.1, 0.9], "measures.job_coaching.capacity": [20, 80]})
    assert design_points([], "table", table=table).values.tolist() == [[0.1, 20.0], [0.9, 80.0]]


@pytest.mark.parametrize("factor, message", [
    (lambda: Factor("labour.referal_strength", 0, 1), "unknown parameter 'labour.referal_strength'"),
    (lambda: Factor("labour.referral_strength", 0.5, 6.0), "outside its bounds [0, 5]"),
    (lambda: Factor("macro.labour_demand", 0.0, 1.0), "outside its bounds (0, 100]"),
    (lambda: Factor("macro.wages", 0.5, 1.0), "unknown factor 'macro.wages'"),
    (lambda: Factor("measures.job_coaching.places", 1, 2), "measures.<name>.capacity|budget_per_year"),
    (lambda: Factor("labour.job_loss", 0.1, 0.01), "low (0.1) must be below high (0.01)"),
    (lambda: design_points([REFERRAL], "sobol", 6), "power of two"),
    (lambda: design_points([Factor("labour.job_loss", levels=(0.01,))], "lhs", 4), "needs low and high"),
])
def test_bad_factors_and_designs_are_clear_errors(factor, message):
    with pytest.raises(DesignError, match=re.escape(message)):
        factor()


# ------------------------------------------------------------------ sweeps
def coaching() -> list[qsim.Scenario]:
    return [named("baseline"), named("coaching", [{"type": "job_coaching"}])]


def test_sweep_runs_through_the_store_pairs_points_and_resumes(tmp_path):
    factors = {"labour.referral_strength": {"levels": [0.2, 1.2]}, "measures.job_coaching.capacity": {"levels": [60]}}
    kwargs = dict(replications=2, seed=4, years=2, executor=1, store=tmp_path, progress=False,
                  indicators=["unemployment_rate", "mean_income"], output_years=[1, 2])
    result = qsim.sweep(coaching(), factors, **kwargs)
    y = result.yearly
    assert len(result.points) == 2 and result.scenarios == ["baseline", "coaching"]
    assert list(y.columns[:6]) == ["point", "labour.referral_strength", "measures.job_coaching.capacity",
                                   "scenario", "replicate", "seed"]
    assert len(y[y["area"] == "all"]) == 2 * 2 * 2 * 2  # points x scenarios x replications x years
    assert set(y["labour.referral_strength"]) == {0.2, 1.2}
    # common random numbers: replicate r has the same seed at every point; the first month is the same draw
    assert y.groupby("replicate")["seed"].nunique().eq(1).all()
    # the measure setting reached the option: 60 coaching places cost 3,000 EUR each
    spent = y[(y["area"] == "all") & (y["year"] == 1)].groupby("scenario")["spent_eur"].max()
    assert spent["baseline"] == 0 and spent["coaching"] == pytest.approx(60 * 3000, rel=0.01)
    summary, effects = result.summary(), result.effects()
    assert len(summary) == 2 * 2 * 2 * 2 and summary["q10"].le(summary["mean"]).all()
    assert summary["mean"].le(summary["q90"]).all()
    assert set(effects["option"]) == {"coaching"} and len(effects) == 2 * 2 * 2
    # a second call runs only the batch that is missing from the store, and gives the same results
    batches = sorted((tmp_path / "batches").glob("*.parquet"))
    assert len(batches) > 1
    batches[1].unlink()
    stamps = [p.stat().st_mtime_ns for p in batches if p.exists()]
    again = qsim.sweep(coaching(), factors, **kwargs)
    assert batches[1].exists() and [p.stat().st_mtime_ns for p in batches if p != batches[1]] == stamps
    pd.testing.assert_frame_equal(again.yearly, y)
    assert Store(tmp_path).runs["status"].eq("ok").all()
    written = result.save(tmp_path / "out")
    assert {p.name for p in written} >= {"points.csv", "yearly.parquet", "summary.csv", "effects.parquet"}


def test_a_parameter_factor_changes_results_and_a_macro_factor_scales_the_path():
    from qsim.experiment.design import apply_point

    base = named("baseline")
    changed = apply_point(base, {"macro.labour_demand": 0.5, "labour.job_loss": 0.02}, "b@0")
    assert changed.name == "b@0" and changed.parameters["labour.job_loss"] == 0.02
    assert [v for _, v in changed.macro.labour_demand] == [0.5 * v for _, v in base.macro.labour_demand]
    with pytest.raises(DesignError, match="no scenario has a measure named 'job_coaching'"):
        qsim.sweep([base], {"measures.job_coaching.capacity": {"low": 10, "high": 20}}, size=2, years=1,
                   executor=1, progress=False)


# ------------------------------------------------------------------ experiment files
def write_experiment(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exp.toml"
    path.write_text(f'[experiment]\nname = "x"\nscenarios = ["{ROOT}/scenarios/baseline.toml", '
                    f'"{ROOT}/scenarios/employment.toml"]\n' + text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, field, message", [
    ('[design]\nkind = "lhs"\n[factors."labour.referral_strength"]\nlow = 0.1\nhigh = 1\n', "design.size",
     "needs a size"),
    ('[design]\nkind = "sobol"\nsize = 12\n[factors."labour.referral_strength"]\nlow = 0.1\nhigh = 1\n',
     "design.size", "power of two"),
    ('[factors."labour.referral_strength"]\nlow = 0.1\nhigh = 9\n', "factors.labour.referral_strength",
     "outside its bounds"),
    ('[factors."labour.nothing"]\nlevels = [1]\n', "factors.labour.nothing", "unknown parameter"),
    ('[factors."measures.street_party.capacity"]\nlevels = [1]\n', "factors.measures.street_party.capacity",
     "no scenario has a measure named 'street_party'"),
    ('[factors."labour.referral_strength"]\nlow = 0.1\nhigh = 1\nstep = 2\n',
     "factors.labour.referral_strength.step", "unknown field"),
    ('[factors."labour.referral_strength"]\nlevels = [1]\n[outputs]\nindicators = ["happiness"]\n',
     "outputs.indicators.0", "unknown indicator 'happiness'"),
    ('[factors."labour.referral_strength"]\nlevels = [1]\n[outputs]\nyears = [30]\n', "outputs.years",
     "outside the horizon 1..20"),
    ('', "factors", "at least one factor"),
])
def test_bad_experiment_files_name_the_file_and_the_field(tmp_path, text, field, message):
    path = write_experiment(tmp_path, text)
    with pytest.raises(ExperimentFileError) as info:
        load_experiment(path)
    assert str(path) in str(info.value) and f"{field}: " in str(info.value) and message in str(info.value)


def test_a_missing_scenario_file_is_named_with_its_field(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text('[experiment]\nname = "x"\nscenarios = ["nowhere.toml"]\n[factors."labour.job_loss"]\n'
                    'levels = [0.01]\n', encoding="utf-8")
    with pytest.raises(ExperimentFileError, match=r"exp\.toml: invalid experiment\n  experiment\.scenarios\.0: no "
                       r"such scenario file 'nowhere\.toml'"):
        load_experiment(path)


def test_the_shipped_experiment_validates_and_runs_quick_from_the_cli(tmp_path, capsys):
    exp = load_experiment(SHIPPED)
    assert [s.name for s in exp.scenarios] == ["baseline", "coaching_only"]
    assert len(exp.points) == tomllib.loads(SHIPPED.read_text())["design"]["size"]
    out = tmp_path / "out"
    assert main(["sweep", str(SHIPPED), "--quick", "--workers", "1", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "coaching_referrals_demand: 2 points x 2 replications x 2 scenarios" in printed
    effects = pd.read_csv(out / "effects.csv")
    assert set(effects["option"]) == {"coaching_only"} and set(effects["year"]) == {2}
    assert Store(out / "store-quick").runs["status"].eq("ok").all()


def test_a_bad_experiment_file_fails_on_the_cli_with_the_field(tmp_path, capsys):
    path = write_experiment(tmp_path, '[factors."labour.referral_strength"]\nlow = 0.1\nhigh = 9\n')
    assert main(["sweep", str(path), "--out", str(tmp_path / "never"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "factors.labour.referral_strength" in err
