"""The validation machinery (qsim/validation, `qsim validation`) at reduced size.

These tests check that the instrument works: every check yields a measured
value, a target, a source and an accepted interval; a check fails when the
model is deliberately broken; Granovetter's cascade reproduces from the
shipped scenario file. They do not assert that the model passes the
patterns it fails today (docs/validation.md shows those): that is for the
model fixes the table measures.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import qsim
from conftest import ROOT, SCENARIOS
from qsim.cli import main
from qsim.validation import CHECKS, Context, ValidationFileError, context, read_settings, run_checks
from qsim.validation.patterns import granovetter_scenario

CONFIG = ROOT / "experiments" / "validation.toml"


@pytest.fixture(scope="module")
def quick():
    return context(CONFIG, quick=True)


@pytest.fixture(scope="module")
def rows(quick):
    return run_checks(quick)


def test_every_check_gives_a_complete_row(rows):
    assert len(rows) == len(CHECKS) >= 30
    assert len({r.pattern for r in rows}) == len(rows), "pattern names must be unique"
    for r in rows:
        assert r.target and r.source and r.detail and r.unit, r
        assert math.isfinite(r.measured), f"{r.pattern}: not measured ({r.detail})"
        assert r.low <= r.high and r.tolerance, r
        assert r.passed == (r.low <= r.measured <= r.high)


def test_rates_are_measured_not_quoted(rows, quick):
    """The transition rows count state changes: their measured values are not the parameter values, and the
    counts behind them are large enough to mean something (>= 1,000 household-months at risk each)."""
    t = quick.transitions()
    for name, n in t.at_risk.items():
        assert n >= 1000, (name, n)
    params = qsim.ModelParameters(quick.baseline.parameters)
    assert t.rate("transfer_exit") != params["labour.transfer_exit"]
    assert t.rate("job_loss") != params["labour.job_loss"]


def test_a_check_fails_when_job_finding_is_switched_off(quick):
    """A baseline whose unemployed never find work: the job-finding rows measure almost 0 (only a succession,
    a grown child taking over the household, still turns an unemployed head into an employed one: about 0.15%
    a month) and fail, and the baseline no longer starts at the area's values: the spin-up takes its
    unemployment to the broken model's steady state (above 30%) before month 0."""
    broken = Context(quick.sizes, quick.seed, quick.folder,
                     baseline=quick.baseline.with_parameters({"labour.job_finding_max": 0.0}))
    by_name = {c.__name__: c for c in CHECKS}
    short = by_name["transition_short_term_finding"](broken)
    long_ = by_name["transition_long_term_finding"](broken)
    assert short.measured < 0.005 and not short.passed, short
    assert long_.measured < 0.005 and not long_.passed, long_
    start = by_name["start_at_steady_state"](broken)
    assert start.measured > 1.0 and not start.passed, start


def test_schelling_check_fails_without_unhappy_moves(quick):
    """Another broken input: unhappy households never move, so the similar-neighbour share stays at the random
    start's 50% and the threshold-0.3 row fails."""
    by_name = {c.__name__: c for c in CHECKS}
    frozen = Context(quick.sizes, quick.seed, quick.folder)
    shipped = frozen.scenario

    def no_moves(name):
        sc = shipped(name)
        return sc.with_parameters({"mobility.unhappy_move_probability": 0.0}) if name == "schelling.toml" else sc

    frozen.scenario = no_moves
    row = by_name["schelling_0_3"](frozen)
    assert row.measured == pytest.approx(0.5, abs=0.03) and not row.passed, row


def test_granovetter_cascade_reproduces(quick):
    """Granovetter (1978): thresholds 0, 1, ..., N-1 (in households) and everyone joins, one a month; raise
    every threshold by one household (no instigator) and nobody does. Exact: the model is deterministic here."""
    with_instigator = granovetter_scenario(quick, True)
    sim = qsim.Simulation(with_instigator, seed=1)
    n = with_instigator.areas[0].households
    thresholds = np.sort(sim.state.households.threshold[sim.state.households.alive])
    assert np.array_equal(thresholds, (np.arange(n) / n).astype(np.float32))
    shares = []
    for _ in range(n + 2):
        sim.step()
        shares.append(sim.state.areas.participation_share[0])
    assert shares[0] == pytest.approx(1 / n) and shares[9] == pytest.approx(10 / n)  # one more a month
    assert shares[-1] == 1.0
    without = qsim.Simulation(granovetter_scenario(quick, False), seed=1).run()
    assert without.indicators["participation_rate"].max() == 0.0


def test_thresholds_may_put_mass_below_zero():
    """A normal distribution of thresholds is not clipped: instigators (threshold <= 0) exist and take part in
    the first month; the default logit-normal has none."""
    sc = qsim.load_scenario(SCENARIOS / "granovetter.toml")
    data = sc.model_dump()
    data["areas"][0]["thresholds"] = {"distribution": "normal", "mean": 0.3, "sd": 0.3}
    sim = qsim.Simulation(qsim.scenario_from_dict(data), seed=2)
    t = sim.state.households.threshold
    instigators = int((t <= 0).sum())
    assert 5 <= instigators <= 35  # 100 households, P(Z <= -1) = 0.16: 16 expected, +-5 s.d.
    sim.step()
    assert sim.state.areas.participation_share[0] >= instigators / 100
    data["areas"][0].pop("thresholds")
    default = qsim.Simulation(qsim.scenario_from_dict(data), seed=2).state.households.threshold
    assert default.min() > 0


@pytest.mark.parametrize("thresholds, field, words", [
    ({"distribution": "normal", "low": 0.0}, "thresholds.low", "not used by the normal distribution"),
    ({"distribution": "uniform", "low": 1.0, "high": 0.5}, "thresholds.high", "must be above low"),
    ({"distribution": "normal", "spacing": "even"}, "thresholds.spacing", "uniform distribution only"),
    ({"distribution": "beta"}, "thresholds.distribution", "'uniform' or 'normal'"),
])
def test_bad_thresholds_are_rejected_with_file_and_field(thresholds, field, words):
    data = qsim.load_scenario(SCENARIOS / "granovetter.toml").model_dump()
    data["areas"][0]["thresholds"] = thresholds
    with pytest.raises(qsim.ScenarioError) as e:
        qsim.scenario_from_dict(data, "crowd.toml")
    assert "crowd.toml" in str(e.value) and f"areas.0.{field}" in str(e.value) and words in str(e.value)


def test_bad_validation_file_names_file_and_field(tmp_path):
    path = tmp_path / "v.toml"
    path.write_text(CONFIG.read_text().replace("schelling_years = 5", "schelling_years = 5\nschelling_yaers = 5"))
    with pytest.raises(ValidationFileError, match=r"v\.toml.*\n.*full\.schelling_yaers: unknown field"):
        read_settings(path)
    path.write_text(CONFIG.read_text().replace('scenarios = "../scenarios"', 'scenarios = "nowhere"'))
    with pytest.raises(ValidationFileError, match=r"validation\.scenarios: no such folder 'nowhere'"):
        read_settings(path)
    assert main(["validation", "--config", str(tmp_path / "missing.toml")]) == 2


def test_cli_writes_the_table(tmp_path, capsys):
    """The command on a validation file of its own, with smaller quick sizes (one replication)."""
    config = tmp_path / "validation.toml"
    config.write_text(CONFIG.read_text().replace('scenarios = "../scenarios"', f'scenarios = "{SCENARIOS}"')
                      .replace("replications = 2", "replications = 1").replace("schelling_grid = 30",
                                                                              "schelling_grid = 20"))
    out = tmp_path / "validation.md"
    assert main(["validation", "--config", str(config), "--quick", "--quiet", "--out", str(out)]) == 0
    page = out.read_text()
    table = [line for line in page.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(table) == len(CHECKS)
    assert "qsim validation --quick" in page and "logical cores" in page
    assert f"of {len(CHECKS)} patterns pass" in capsys.readouterr().out


def test_the_shipped_table_has_a_row_for_every_check():
    """docs/validation.md is regenerated when checks are added (by `qsim validation`)."""
    page = (ROOT / "docs" / "validation.md").read_text()
    table = [line for line in page.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(table) == len(CHECKS)
    assert "Command:** `qsim validation`" in page
