"""Global sensitivity analysis: the SALib pipeline on the Ishigami function (analytic indices), noise share,
decision robustness on synthetic data, experiment files and their errors, measure effect factors, and the
pipeline on the model (a dummy factor the model never reads) through the command line.

Model world: a 400-household area over 3 years (a scenario written to tmp_path that extends the baseline),
runs serial in this process.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qsim.cli import main
from qsim.experiment.design import (
    DesignError,
    Factor,
    apply_point,
    check_measure_factors,
)
from qsim.files import SensitivityFileError
from qsim.measures import CATALOGUE
from qsim.scenario import load_scenario
from qsim.sensitivity.methods import MethodSettings, run_pipeline
from qsim.sensitivity.robustness import deciders, win_rates
from qsim.sensitivity.spec import load_sensitivity_experiment
from qsim.sensitivity.uncertainty import parse_uncertain, salib_problem

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"

# ------------------------------------------------------------------ Ishigami (a = 7, b = 0.1)
A, B = 7.0, 0.1
VARIANCE = A ** 2 / 8 + B * np.pi ** 4 / 5 + B ** 2 * np.pi ** 8 / 18 + 0.5
V1 = 0.5 * (1 + B * np.pi ** 4 / 5) ** 2
V2 = A ** 2 / 8
V13 = B ** 2 * np.pi ** 8 * (1 / 18 - 1 / 50)
ANALYTIC = {  # Ishigami & Homma (1990); Saltelli et al. (2008) Global Sensitivity Analysis, p. 179
    ("x1", "S1"): V1 / VARIANCE, ("x2", "S1"): V2 / VARIANCE, ("x3", "S1"): 0.0,
    ("x1", "ST"): (V1 + V13) / VARIANCE, ("x2", "ST"): V2 / VARIANCE, ("x3", "ST"): V13 / VARIANCE,
    ("dummy", "S1"): 0.0, ("dummy", "ST"): 0.0,
}
PROBLEM = {"names": ["x1", "x2", "x3", "dummy"], "bounds": [[-np.pi, np.pi]] * 3 + [[0.0, 1.0]],
           "dists": ["unif"] * 4}


def ishigami(X: np.ndarray) -> np.ndarray:
    """The Ishigami function of the first three columns; the fourth (dummy) is never read."""
    return np.sin(X[:, 0]) + A * np.sin(X[:, 1]) ** 2 + B * X[:, 2] ** 4 * np.sin(X[:, 0])


def test_sobol_recovers_analytic_ishigami_indices_within_their_intervals():
    # N = 2048 base rows (12,288 evaluations), 99% intervals from 1,000 seeded bootstrap resamples: each
    # analytic index must lie inside its interval; the interval widths (about +-0.05) also bound the error
    settings = MethodSettings(method="sobol", n=2048, bootstrap=1000, confidence=0.99, seed=5,
                              convergence=(256, 1024))
    out = run_pipeline(PROBLEM, settings, ishigami, ["y"])
    table = out.indices.set_index(["parameter", "index"])
    for (parameter, index), expected in ANALYTIC.items():
        row = table.loc[(parameter, index)]
        assert row["ci_low"] <= expected <= row["ci_high"], (parameter, index, expected, row.to_dict())
        assert row["ci_high"] - row["ci_low"] < 0.2, (parameter, index)  # an interval that says something
    # convergence: the prefixes are real smaller samples, and the intervals shrink as n grows
    conv = out.convergence[(out.convergence["parameter"] == "x1") & (out.convergence["index"] == "ST")]
    assert sorted(conv["n"]) == [256, 1024, 2048]
    widths = conv.sort_values("n").eval("ci_high - ci_low").to_numpy()
    assert widths[0] > widths[-1]
    assert len(out.X) == 2048 * (4 + 2)


def test_sobol_second_order_finds_the_x1_x3_interaction():
    # Ishigami's only interaction is x1-x3 (S13 = V13 / V = 0.244); 99% intervals, N = 1024 (10,240 evaluations)
    settings = MethodSettings(method="sobol", n=1024, second_order=True, bootstrap=500, confidence=0.99, seed=6)
    out = run_pipeline(PROBLEM, settings, ishigami, ["y"])
    s2 = out.indices[out.indices["index"] == "S2"].set_index("parameter")
    assert len(s2) == 6  # every pair of the four factors once
    for pair, expected in [("x1 x x3", V13 / VARIANCE), ("x1 x x2", 0.0), ("x2 x x3", 0.0), ("x1 x dummy", 0.0)]:
        assert s2.loc[pair, "ci_low"] <= expected <= s2.loc[pair, "ci_high"], (pair, s2.loc[pair].to_dict())
    assert s2.loc["x1 x x3", "ci_low"] > 0.05


def test_noise_share_is_the_within_point_share_of_run_variance():
    # Ishigami plus independent normal noise of sd 2 in each of 4 replications: the noise share of single-run
    # variance is 4 / (Var f + 4) = 0.224; with 6,144 points the estimate is within 0.02 (about 5 standard errors)
    rng = np.random.default_rng(3)
    settings = MethodSettings(method="sobol", n=1024, bootstrap=100, seed=2)

    def noisy(X):
        return ishigami(X)[:, None, None] + rng.normal(0.0, 2.0, (len(X), 1, 4))

    out = run_pipeline(PROBLEM, settings, noisy, ["y"])
    share = out.noise.loc[0, "noise_share"]
    assert share == pytest.approx(4 / (VARIANCE + 4), abs=0.02)
    # the indices are those of the replicate mean, whose noise variance is 4 / 4 = 1: first-order indices are
    # shares of Var f + 1; independent noise at every point adds its whole share to every total index, even
    # the dummy's (why the model runs use common random numbers)
    table = out.indices.set_index(["parameter", "index"])
    for key, expected in [(("x2", "S1"), V2 / (VARIANCE + 1)), (("dummy", "ST"), 1 / (VARIANCE + 1))]:
        assert table.loc[key, "ci_low"] <= expected <= table.loc[key, "ci_high"], key
    assert table.loc[("dummy", "ST"), "ci_low"] > 0


@pytest.mark.parametrize("method, n, bootstrap", [("morris", 40, 100), ("fast", 600, 100), ("rbd_fast", 1000, 100),
                                                  ("delta", 80, 10), ("pawn", 400, 50)])
def test_other_methods_rank_ishigami_and_leave_the_dummy_out(method, n, bootstrap):
    settings = MethodSettings(method=method, n=n, bootstrap=bootstrap, seed=4)  # delta, pawn: slow bootstraps
    out = run_pipeline(PROBLEM, settings, ishigami, ["y"])
    main_index = {"morris": "mu_star", "fast": "ST", "rbd_fast": "S1", "delta": "S1", "pawn": "pawn_median"}[method]
    values = out.indices[out.indices["index"] == main_index].set_index("parameter")["value"]
    # x1 and x2 matter most for every method; the dummy least (estimators of given-data methods are biased
    # upwards by a few hundredths for a factor without effect, so only the ordering is asserted for them)
    assert min(values["x1"], values["x2"]) > values["dummy"]
    if method in ("fast", "rbd_fast"):  # first-order indices of x1, x2 within 0.06 of the analytic ones
        assert values["x2"] == pytest.approx(ANALYTIC[("x2", "S1" if method == "rbd_fast" else "ST")], abs=0.06)
    if method == "morris":  # a factor the function never reads has no elementary effect at all
        assert values["dummy"] == 0.0


# ------------------------------------------------------------------ decision robustness
def test_robustness_counts_wins_and_finds_the_parameter_that_decides():
    # option "a" beats the baseline (lower unemployment) exactly where parameter p > 0.3; q is irrelevant
    rng = np.random.default_rng(8)
    samples = pd.DataFrame({"p": rng.uniform(0, 1, 200), "q": rng.uniform(0, 1, 200)}).rename_axis("point")
    base = 0.12 + 0.01 * rng.normal(size=200)
    option = base - 0.02 * (samples["p"].to_numpy() - 0.3)
    rows = [(k, s, "u@20", "unemployment_rate", v) for s, values in (("baseline", base), ("a", option))
            for k, v in enumerate(values)]
    values = pd.DataFrame(rows, columns=["point", "scenario", "outcome", "indicator", "value"])
    rates = win_rates(values, ["baseline", "a"]).set_index(["option", "versus"])
    assert rates.loc[("a", "baseline"), "share_better"] == pytest.approx(np.mean(samples["p"] > 0.3))
    assert rates.loc[("a", "baseline"), "direction"] == "lower is better"
    found = deciders(values, samples, ["baseline", "a"]).set_index("parameter")
    assert found.loc["p", "ks_distance"] == pytest.approx(1.0)  # the groups do not overlap in p
    assert found.loc["q", "ks_distance"] < 0.25 and found.loc["q", "p_value"] > 0.01
    assert found.loc["p", "spearman"] > 0.9
    assert found.loc["p", "p_adjusted"] < 1e-6 and found.loc["q", "p_adjusted"] >= found.loc["q", "p_value"]


# ------------------------------------------------------------------ uncertainty and factors
def test_uncertain_parameters_become_a_salib_problem_and_bad_ones_name_the_field():
    params = parse_uncertain({"labour.referral_strength": {"low": 0.2, "high": 1.2},
                              "labour.job_loss": {"dist": "triangular", "low": 0.004, "high": 0.012, "peak": 0.006},
                              "dummy": {"low": 0, "high": 1}}, "x.toml")
    problem = salib_problem(params)
    assert problem["dists"] == ["unif", "triang", "unif"]
    assert problem["bounds"][1] == pytest.approx([0.004, 0.012, 0.25])
    for table, field in [({"labour.job_loss": {"low": 0.1}}, "parameters.labour.job_loss.high"),
                         ({"labour.job_loss": {"low": 0.1, "high": 2.0}}, "parameters.labour.job_loss"),
                         ({"labour.job_loss": {"dist": "normal", "mean": 0.1, "sd": 0.1}}, "truncnorm"),
                         ({"labour.no_such": {"low": 0, "high": 1}}, "parameters.labour.no_such")]:
        with pytest.raises(SensitivityFileError, match=re.escape(field)) as info:
            parse_uncertain(table, "x.toml")
        assert str(info.value).startswith("x.toml")


def test_measure_effect_factors_scale_and_set_effect_sizes():
    scenario = load_scenario(ROOT / "scenarios" / "employment.toml")
    point = {"measures.job_coaching.effect_scale": 0.5, "measures.qualification.effect.job_finding": 0.3}
    changed = {m.label: m.effect for m in apply_point(scenario, point).measures}
    assert changed["job_coaching"] == pytest.approx({k: 0.5 * v for k, v in CATALOGUE["job_coaching"].effects.items()})
    assert changed["qualification"] == {"job_finding": 0.3}
    Factor("measures.job_coaching.effect_scale", 0.0, 2.0)
    with pytest.raises(DesignError, match="has no effect 'speed'"):
        check_measure_factors(["measures.job_coaching.effect.speed"], [scenario])


def test_shipped_experiments_load():
    for name in ("morris_core", "sobol_year20", "robustness_options"):
        exp = load_sensitivity_experiment(EXPERIMENTS / f"{name}.toml")
        assert exp.quick.n is not None and exp.settings(quick=True).n < exp.settings().n


# ------------------------------------------------------------------ the model, through the command line
TINY = """
extends = "{baseline}"
[scenario]
name = "tiny"
years = 3
[[areas]]
name = "Quartier"
households = 400
grid = [4, 3]
buildings_per_block = 3
dwellings_per_building = 12
group_shares = [0.55, 0.45]
unemployment_rate = 0.12
long_term_unemployment_rate = 0.05
transfer_rate = 0.10
inactive_rate = 0.08
child_poverty_rate = 0.45
household_size = 1.9
two_adult_share = 0.35
skill_mean = 0.45
building_quality = 0.55
place_quality = 0.5
rent_level = 520.0
[areas.places]
park = 1
[areas.organisations]
municipality = 1
association = 1
"""

EXPERIMENT = """
[experiment]
name = "tiny_sobol"
scenarios = ["tiny.toml"]
replications = 2
seed = 3
[sensitivity]
method = "sobol"
n = 16
bootstrap = 200
seed = 4
convergence = [8]
crn = "{crn}"
[parameters."mobility.base_move_rate"]
low = 0.004
high = 0.03
[parameters."labour.referral_strength"]
low = 0.2
high = 1.2
[parameters.dummy]
low = 0
high = 1
[[outputs]]
indicator = "move_out_rate"
period = [2, 3]
[[outputs]]
indicator = "unemployment_rate"
year = 3
[quick]
n = 8
"""


@pytest.mark.parametrize("crn", ["blocks", "replicates"])
def test_model_dummy_factor_gets_a_total_index_whose_interval_includes_zero(tmp_path, crn, capsys):
    (tmp_path / "tiny.toml").write_text(TINY.format(baseline=ROOT / "scenarios" / "baseline.toml"))
    (tmp_path / "exp.toml").write_text(EXPERIMENT.format(crn=crn))
    out = tmp_path / "out"
    if crn == "blocks":  # the command line
        assert main(["sensitivity", str(tmp_path / "exp.toml"), "--workers", "1", "--quiet", "--out", str(out)]) == 0
        assert "tiny_sobol: sobol, 80 points x 2 replication(s)" in capsys.readouterr().out
    else:  # the Python entry point (callable also after qsim.sensitivity, the package, has been imported)
        import qsim
        import qsim.sensitivity.methods

        result = qsim.sensitivity(tmp_path / "exp.toml", executor=1, store=out / "store", progress=False)
        result.save(out)
    indices = pd.read_csv(out / "sensitivity_indices.csv")
    st = indices[indices["index"] == "ST"].set_index(["output", "parameter"])
    for output in ("move_out_rate@2-3:mean", "unemployment_rate@3"):
        assert st.loc[(output, "dummy"), "ci_low"] <= 0.0 <= st.loc[(output, "dummy"), "ci_high"]
    # the move hazard drives move-outs: its total index is clearly above zero
    assert st.loc[("move_out_rate@2-3:mean", "mobility.base_move_rate"), "ci_low"] > 0.2
    info = pd.read_csv(out / "sensitivity_info.csv").iloc[0]
    assert info["runs"] == info["runs_executed"] == 16 * (3 + 2) * 2 and info["points"] == 16 * 5
    noise = pd.read_csv(out / "sensitivity_noise.csv").set_index("output")
    # move-outs over two years of 400 households: about a tenth of their run-to-run variance is noise
    assert 0.0 < noise.loc["move_out_rate@2-3:mean", "noise_share"] < 0.5
    for name in ("indices", "convergence"):
        assert (out / f"sensitivity_{name}.png").stat().st_size > 5_000
    # a second call resumes from the store: no run is repeated
    assert main(["sensitivity", str(tmp_path / "exp.toml"), "--workers", "1", "--out", str(out)]) == 0
    assert "0 runs done, 0 failed, 160 already in the store" in capsys.readouterr().err
    assert pd.read_csv(out / "sensitivity_info.csv").loc[0, "runs_executed"] == 0


def test_experiment_file_errors_name_the_file_and_field(tmp_path, capsys):
    (tmp_path / "tiny.toml").write_text(TINY.format(baseline=ROOT / "scenarios" / "baseline.toml"))
    cases = [("n = 16", "n = 12", "sensitivity.n: a sobol sample needs a power of two"),
             ('indicator = "move_out_rate"', 'indicator = "move_rate"', "outputs.0.indicator: unknown indicator"),
             ("year = 3", "year = 30", "outputs.1: year 30 is beyond the horizon"),
             ("[parameters.dummy]", '[parameters."labour.nope"]', "parameters.labour.nope: unknown factor")]
    for old, new, message in cases:
        path = tmp_path / "bad.toml"
        path.write_text(EXPERIMENT.format(crn="blocks").replace(old, new, 1))
        assert main(["sensitivity", str(path), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"qsim: {path}: invalid experiment") and message in err, err
        assert "Traceback" not in err


def test_cli_help_has_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["sensitivity", "--help"])
    assert "example:\n  qsim sensitivity experiments/" in capsys.readouterr().out


def test_given_data_methods_analyse_an_existing_sweep(tmp_path):
    import qsim
    from qsim.sensitivity.given_data import sweep_sensitivity

    (tmp_path / "tiny.toml").write_text(TINY.format(baseline=ROOT / "scenarios" / "baseline.toml"))
    sweep = qsim.sweep([tmp_path / "tiny.toml"], {"mobility.base_move_rate": {"low": 0.004, "high": 0.03},
                                                  "labour.referral_strength": {"low": 0.2, "high": 1.2}},
                       design="lhs", size=24, replications=1, years=2, executor=1, progress=False)
    result = sweep_sensitivity(sweep, [{"indicator": "move_out_rate", "period": [1, 2]}], methods=["rbd_fast"],
                               bootstrap=200, seed=2)
    s1 = result.indices.set_index("parameter")["value"]
    assert result.runs == 24 and len(result.samples) == 24
    # the move hazard explains most of the move-outs; the referral strength hardly any
    assert s1["mobility.base_move_rate"] > 0.5 > s1["labour.referral_strength"]


SWEEP = """
[experiment]
name = "tiny_sweep"
scenarios = ["tiny.toml"]
replications = 2
years = 2
[design]
kind = "lhs"
size = 24
seed = 2
[factors."mobility.base_move_rate"]
low = 0.004
high = 0.03
[factors."labour.referral_strength"]
low = 0.2
high = 1.2
"""

GIVEN_DATA = """
[experiment]
name = "tiny_given_data"
sweep = "sweep.toml"
[sensitivity]
method = "rbd_fast"
also = ["pawn"]
bootstrap = 100
[[outputs]]
indicator = "move_out_rate"
period = [1, 2]
"""


def test_a_sweep_file_is_analysed_from_its_store_by_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.toml").write_text(TINY.format(baseline=ROOT / "scenarios" / "baseline.toml"))
    (tmp_path / "sweep.toml").write_text(SWEEP)
    (tmp_path / "given.toml").write_text(GIVEN_DATA)
    assert main(["sweep", "sweep.toml", "--workers", "1", "--quiet"]) == 0  # the runs, in out/tiny_sweep/store
    capsys.readouterr()
    assert main(["sensitivity", "given.toml", "--workers", "1"]) == 0
    assert "0 runs done, 0 failed, 48 already in the store" in capsys.readouterr().err  # no new run
    indices = pd.read_csv(tmp_path / "out" / "tiny_given_data" / "sensitivity_indices.csv")
    assert set(indices["method"]) == {"rbd_fast", "pawn"}
    s1 = indices[indices["index"] == "S1"].set_index("parameter")["value"]
    assert s1["mobility.base_move_rate"] > 0.5 > s1["labour.referral_strength"]
    (tmp_path / "bad.toml").write_text(GIVEN_DATA.replace("period = [1, 2]", "period = [1, 5]"))
    assert main(["sensitivity", "bad.toml"]) == 2
    assert "bad.toml: invalid experiment\n  outputs.0: year 5 is beyond the horizon (2 years)" in capsys.readouterr().err


def test_the_wrong_kind_of_file_says_what_to_do(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    for path, message in [("experiments/sobol_yaer20.toml", "did you mean experiments/sobol_year20.toml?"),
                          ("scenarios/baseline.toml", "this is a scenario file, not a sensitivity experiment"),
                          ("experiments/coaching_referrals_demand.toml", "this is a sweep experiment file; run it "
                           "with `qsim sweep experiments/coaching_referrals_demand.toml`")]:
        assert main(["sensitivity", path]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"qsim: {path}: ") and message in err, err
