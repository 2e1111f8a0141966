"""Calibration (approximate Bayesian computation): the ABC core on a toy model, recovery of known parameters
from data simulated with them, resuming and reproducibility, calibration files and their errors, and the
shipped calibration from the command line (--quick)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import qsim
from conftest import ROOT, run, small_scenario
from qsim.cli import main
from qsim.files import CalibrationFileError, ScenarioError
from qsim.sensitivity.abc import abc_posterior, weighted_quantile
from qsim.sensitivity.calibration import (CalibrationError, Target, calibrate, calibration_from_dict,
                                          load_calibration, target_scales)

EXPERIMENTS = ROOT / "experiments"


# ------------------------------------------------------------------ the ABC core
def test_abc_regression_adjustment_recovers_a_linear_gaussian_model():
    """Toy model s = A theta + N(0, 0.02^2) under a uniform prior on [0, 1]^2: the posterior is nearly normal
    around the truth with sd about 0.02 / |A| per direction. Seeded; the tolerance (truth inside the 90%
    interval, interval under a fifth of the prior width, median within 0.03) is several posterior sds wide
    for the median and leaves a large margin for the width, so only a broken adjustment fails it."""
    rng = np.random.default_rng(7)
    a = np.array([[1.0, 0.3], [-0.2, 0.8]])
    truth = np.array([0.3, 0.7])
    theta = rng.uniform(0, 1, size=(4000, 2))
    stats = theta @ a.T + rng.normal(0, 0.02, size=(4000, 2))
    observed = truth @ a.T + rng.normal(0, 0.02, size=2)
    post = abc_posterior(theta, stats, observed, np.array([0.02, 0.02]), np.zeros(2), np.ones(2), accepted=200)
    assert np.all((post.adjusted > 0) & (post.adjusted < 1)), "adjusted values left the prior's bounds"
    assert post.weight.sum() == pytest.approx(1.0) and np.all(post.weight > 0)
    for j in range(2):
        lo, med, hi = weighted_quantile(post.adjusted[:, j], post.weight, [0.05, 0.5, 0.95])
        assert lo <= truth[j] <= hi, f"parameter {j}: truth {truth[j]} outside the 90% interval {lo:.3f}-{hi:.3f}"
        assert hi - lo < 0.2, f"parameter {j}: interval {lo:.3f}-{hi:.3f} is not narrower than a fifth of the prior"
        assert abs(med - truth[j]) < 0.03
    # the adjustment narrows the posterior compared with plain rejection of the same draws
    plain = theta[post.index]
    assert np.std(post.adjusted[:, 0]) < np.std(plain[:, 0])


def test_target_scales_add_only_the_error_the_simulated_means_do_not_carry():
    # a target sd of 0.02 and simulator noise 0.01 in a mean of 4 runs: 0.005^2 is carried, the rest is added
    scale, extra = target_scales(np.array([0.02, 0.001, 0.02]), np.array([0.01, 0.01, 0.0]), 4)
    assert scale[0] == pytest.approx(0.02) and extra[0] == pytest.approx(np.sqrt(0.02 ** 2 - 0.005 ** 2))
    # noise above the target's sd: nothing added, the distance unit is the noise (a conservative posterior)
    assert extra[1] == 0 and scale[1] == pytest.approx(0.005)
    # unknown noise (one run per draw): the whole target error is added
    assert extra[2] == pytest.approx(0.02) and scale[2] == pytest.approx(0.02)


def test_abc_needs_more_accepted_draws_than_statistics():
    with pytest.raises(ValueError, match="more accepted draws"):
        abc_posterior(np.zeros((10, 1)) + 0.5, np.zeros((10, 3)), np.zeros(3), np.ones(3), np.zeros(1),
                      np.ones(1), accepted=4)


# ------------------------------------------------------------------ recovery on the simulator
TRUTH = {"labour.job_loss": 0.012, "mobility.base_move_rate": 0.006}
PRIORS = {"labour.job_loss": {"low": 0.004, "high": 0.02}, "mobility.base_move_rate": {"low": 0.002, "high": 0.014}}


@pytest.fixture(scope="module")
def recovery(tmp_path_factory):
    """Targets simulated with TRUTH: means of 4 runs with seed 99 (a seed the calibration does not use).
    Unemployment has its standard error as sd; move-outs have none, so the calibration uses the simulator's
    noise of one run (wider than a 4-run mean's error: conservative). Then a calibration of the two parameters
    from wide priors; the store is kept to test resuming."""
    scenario = small_scenario(years=3)
    observed = [run(scenario.with_parameters(TRUTH), seed=99, replicate=r).yearly() for r in range(4)]
    observed = pd.concat(observed, keys=range(4), names=["replicate"]).reset_index("replicate")
    observed = observed[observed["area"] == "all"]
    targets = []
    for indicator, (first, last) in (("unemployment_rate", (2, 3)), ("move_out_rate", (1, 3))):
        values = observed[observed["year"].between(first, last)].groupby("replicate")[indicator].mean()
        targets.append({"indicator": indicator, "period": [first, last], "value": float(values.mean())})
        if indicator == "unemployment_rate":
            targets[-1]["sd"] = float(values.std(ddof=1) / np.sqrt(len(values)))
    store = tmp_path_factory.mktemp("calibration") / "store"
    kwargs = dict(draws=64, replications=2, accept=0.25, seed=1, check_replications=2, interval=0.95,
                  executor=1, store=store, progress=False)
    return scenario, targets, kwargs, calibrate(scenario, PRIORS, targets, **kwargs)


def test_calibration_recovers_known_parameters_within_its_interval(recovery):
    """Fixed seeds. The check is the calibration's own 95% interval (so it fails if the posterior is biased or
    too narrow), and each interval must be under half the prior width (so a posterior that learnt nothing
    fails; with this noise, about 0.012 in S1 per run of 700 households, the interval is about 0.4 of it)."""
    _, _, _, result = recovery
    for name, value in TRUTH.items():
        lower, upper = result.intervals()[name]
        width = PRIORS[name]["high"] - PRIORS[name]["low"]
        assert lower <= value <= upper, f"{name}: truth {value} outside the 95% interval {lower:.4g}-{upper:.4g}"
        assert upper - lower < 0.5 * width, f"{name}: interval {lower:.4g}-{upper:.4g} barely narrower than prior"
        assert result.estimates.loc[name, "shrinkage"] > 0.5
    s = result.settings
    assert s["runs"] == 128 and s["accepted"] == 16 and len(result.posterior) == 16
    assert result.trials["accepted"].sum() == 16 and len(result.trials) == 64
    # the calibrated scenario carries the estimates and fits better than where the priors' midpoints would be
    assert result.calibrated.parameters["labour.job_loss"] == result.values["labour.job_loss"]
    fit = result.fit.set_index("statistic")
    assert (fit["calibrated_z"].abs() < 3).all(), fit


def test_calibration_resumes_from_its_store_and_is_bit_reproducible(recovery, capsys):
    scenario, targets, kwargs, first = recovery
    again = calibrate(scenario, PRIORS, targets, **{**kwargs, "progress": True})
    assert "0 runs done, 0 failed, 128 already in the store" in capsys.readouterr().err
    assert again.estimates.equals(first.estimates)
    assert again.posterior.equals(first.posterior)


def test_calibration_does_not_depend_on_the_executor(tmp_path):
    """The same calibration in this process and on a pool of two threads (other batching, other order of
    completion) gives the same posterior bit for bit."""
    from concurrent.futures import ThreadPoolExecutor

    scenario = small_scenario(years=1)
    targets = [{"indicator": "unemployment_rate", "year": 1, "value": 0.13, "sd": 0.01}]
    kwargs = {"draws": 16, "replications": 2, "accept": 0.5, "seed": 3, "check_replications": 1,
              "progress": False}
    serial = calibrate(scenario, {"labour.job_loss": PRIORS["labour.job_loss"]}, targets, executor=1,
                       store=tmp_path / "serial", **kwargs)
    with ThreadPoolExecutor(2) as pool:
        pooled = calibrate(scenario, {"labour.job_loss": PRIORS["labour.job_loss"]}, targets, executor=pool,
                           store=tmp_path / "pool", **kwargs)
    assert pooled.posterior.equals(serial.posterior) and pooled.estimates.equals(serial.estimates)


def test_calibration_result_saves_tables_and_plots(recovery, tmp_path):
    _, _, _, result = recovery
    files = result.save(tmp_path)
    names = {f.name for f in files}
    assert {"estimates.csv", "posterior.parquet", "trials.csv", "fit.csv", "posterior.png", "fit.png",
            "trials.png", "calibration.json"} <= names
    assert json.loads((tmp_path / "calibration.json").read_text())["runs"] == 128
    # a scenario built in Python has no file to extend: no scenario file, and a clear error when asked for one
    assert not any(f.suffix == ".toml" for f in files)
    with pytest.raises(CalibrationError, match="not read from a file"):
        result.write_scenario(tmp_path / "x.toml")


def test_calibrate_rejects_bad_settings():
    scenario = small_scenario()
    target = [{"indicator": "unemployment_rate", "year": 2, "value": 0.1, "sd": 0.01}]
    with pytest.raises(CalibrationError, match="power of two"):
        calibrate(scenario, PRIORS, target, draws=100)
    with pytest.raises(CalibrationError, match="not a model parameter"):
        calibrate(scenario, {"labour.nonsense": {"low": 0, "high": 1}}, target)
    with pytest.raises(CalibrationError, match="outside its bounds"):
        calibrate(scenario, {"labour.job_loss": {"low": 0.1, "high": 1.5}}, target)
    with pytest.raises(CalibrationError, match="beyond the horizon"):
        calibrate(scenario, PRIORS, [{"indicator": "unemployment_rate", "year": 9, "value": 0.1}])
    with pytest.raises(CalibrationError, match="targets.0.value: required"):
        calibrate(scenario, PRIORS, [{"indicator": "unemployment_rate", "year": 1}])
    with pytest.raises(CalibrationError, match="no area 'Nowhere'"):
        calibrate(scenario, PRIORS, [{**target[0], "area": "Nowhere"}])
    with pytest.raises(CalibrationError, match="needs at least"):
        calibrate(scenario, PRIORS, target, draws=16, accept=0.1)


def test_targets_expand_to_statistics():
    trajectory = Target(indicator="child_poverty_rate", years=[5, 10, 20], values=[0.4, 0.45, 0.5], sd=0.02)
    assert [s.label for s in trajectory.statistics(20)] == [f"child_poverty_rate year {y}" for y in (5, 10, 20)]
    assert [s.label for s in trajectory.statistics(8, clip=True)] == ["child_poverty_rate year 5"]
    period = Target(indicator="move_out_rate", period=(3, 20), value=0.06).statistics(5, clip=True)[0]
    assert (period.first, period.last, period.sd) == (3, 5, None)


# ------------------------------------------------------------------ calibration files
def _file(**changes) -> dict:
    data = {"calibration": {"name": "t", "scenario": "../scenarios/baseline.toml", "draws": 64},
            "parameters": {"labour.job_loss": {"low": 0.004, "high": 0.016}},
            "targets": [{"indicator": "unemployment_rate", "period": [3, 20], "value": 0.12, "sd": 0.015}]}
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            data[section] = {**data[section], field: value}
        else:
            data[section] = value
    return data


@pytest.mark.parametrize("changes, field, expected", [
    ({"calibration__draws": 100}, "calibration.draws", "power of two"),
    ({"calibration__method": "optuna"}, "calibration.method", "abc"),
    ({"calibration__scenario": "nope.toml"}, "calibration.scenario", "no such scenario file"),
    ({"calibration__replication": 3}, "calibration.replication", "unknown field"),
    ({"parameters": {"labour.job_los": {"low": 0.004, "high": 0.01}}}, "parameters.labour.job_los",
     "not a model parameter"),
    ({"parameters": {"labour.job_loss": {"low": 0.01, "high": 0.004}}}, "parameters.labour.job_loss", "below"),
    ({"targets": [{"indicator": "unemployment", "year": 3, "value": 0.1}]}, "targets.0.indicator",
     "unknown indicator"),
    ({"targets": [{"indicator": "unemployment_rate", "year": 30, "value": 0.1}]}, "targets.0", "beyond the horizon"),
    ({"targets": [{"indicator": "unemployment_rate", "years": [3, 5], "values": [0.1]}]}, "targets.0.values",
     "one value per year"),
    ({"targets": [{"indicator": "unemployment_rate", "year": 3, "period": [1, 3], "value": 0.1}]},
     "targets.0.year", "exactly one of"),
    ({"targets": [{"indicator": "unemployment_rate", "year": 3, "value": 0.1, "area": "Mitte"}]},
     "targets.0.area", "no area 'Mitte'"),
])
def test_calibration_file_errors_name_the_file_and_field(changes, field, expected):
    with pytest.raises(CalibrationFileError) as info:
        calibration_from_dict(_file(**changes), "cal.toml", EXPERIMENTS)
    message = str(info.value)
    assert not isinstance(info.value, ScenarioError), "a calibration file's error is of its own kind"
    assert message.startswith("cal.toml: invalid calibration"), message
    assert field in message and expected in message, message


def test_shipped_calibration_file_is_valid():
    exp = load_calibration(EXPERIMENTS / "calibrate_baseline.toml")
    assert exp.scenario.name == "baseline"
    # a real calibration, not a smoke test: at least 4 parameters and 256 full-size runs (the documented run
    # of docs/calibration.md keeps 25 draws, about 4 per parameter)
    assert len(exp.priors()) >= 4 and exp.calibration.draws * exp.calibration.replications >= 256


def test_shipped_calibration_runs_from_the_command_line_quick(tmp_path, capsys):
    """The shipped calibration end to end at its [quick] sizes: tables, plots and a calibrated scenario file
    that extends the baseline and loads with the fitted values."""
    out = tmp_path / "out"
    code = main(["calibrate", str(EXPERIMENTS / "calibrate_baseline.toml"), "--quick", "--workers", "1", "--quiet",
                 "--out", str(out), "--write-scenario", str(tmp_path / "elsewhere" / "calibrated.toml")])
    printed = capsys.readouterr().out
    assert code == 0
    assert "posterior median" in printed and "labour.job_finding_max" in printed
    estimates = json.loads((out / "calibration.json").read_text())["values"]
    for path in (out / "baseline_calibrated.toml", tmp_path / "elsewhere" / "calibrated.toml"):
        text = path.read_text()
        assert 'extends = "' in text
        scenario = qsim.load_scenario(path)
        assert scenario.name == "baseline_calibrated"
        assert scenario.areas == qsim.load_scenario(ROOT / "scenarios" / "baseline.toml").areas
        for name, value in estimates.items():
            assert scenario.parameters[name] == pytest.approx(value, rel=0, abs=0)
    assert (out / "fit.png").stat().st_size > 10_000 and (out / "store-quick" / "abc" / "manifest.json").exists()


def test_bad_calibration_file_fails_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[calibration]\nname = "x"\nscenario = "missing.toml"\n[parameters."labour.job_loss"]\n'
                   'low = 0.004\nhigh = 0.01\n[[targets]]\nindicator = "unemployment_rate"\nyear = 1\nvalue = 0.1\n')
    assert main(["calibrate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml: invalid calibration" in err and "calibration.scenario" in err and "Traceback" not in err


def test_help_has_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["calibrate", "--help"])
    assert "example:\n  qsim calibrate experiments/calibrate_baseline.toml" in capsys.readouterr().out


def test_a_scenario_or_sweep_file_given_to_calibrate_says_what_to_do(capsys):
    assert main(["calibrate", str(ROOT / "scenarios" / "baseline.toml")]) == 2
    assert "this is a scenario file, not a calibration" in capsys.readouterr().err
    assert main(["calibrate", str(EXPERIMENTS / "coaching_referrals_demand.toml")]) == 2
    assert "qsim sweep" in capsys.readouterr().err


def test_qsim_calibrate_is_exported_lazily():
    """In a fresh interpreter (the lazy export must not recurse into itself)."""
    import subprocess
    import sys

    code = "import qsim; assert qsim.calibrate.__module__ == 'qsim.sensitivity.calibration'; qsim.CalibrationResult"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]


def test_shipped_calibrated_scenario_extends_the_baseline_and_loads():
    """experiments/scenarios/baseline_calibrated.toml, written by the documented run (docs/calibration.md)."""
    path = EXPERIMENTS / "scenarios" / "baseline_calibrated.toml"
    scenario = qsim.load_scenario(path)
    baseline = qsim.load_scenario(ROOT / "scenarios" / "baseline.toml")
    assert 'extends = "../../scenarios/baseline.toml"' in path.read_text()
    assert scenario.areas == baseline.areas and scenario.years == baseline.years
    fitted = set(load_calibration(EXPERIMENTS / "calibrate_baseline.toml").parameters)
    assert set(scenario.parameters) == fitted | set(baseline.parameters)
    # the documented run's estimates: the registry's labour defaults and the baseline's in-mover shares are
    # set from them (docs/calibration.md), so the file repeats what the baseline already holds
    defaults = qsim.ModelParameters(baseline.parameters)
    for name, value in scenario.parameters.items():
        if name == "labour.job_finding_max":
            # calibrated with address stigma 0.2; the channel is off since, and the default keeps the calibrated
            # hazard at the baseline's reputation 0.549 (its source in qsim/parameters.py, docs/calibration.md)
            value = round(value * 0.910, 4)  # 0.910 = 1 - 0.2 (1 - 0.549), as its source gives it
        assert defaults[name] == value, name
