"""Residents or newcomers: Comparison.decomposition (issue 14, tests 5a-5c).

Each test compares a small world (one area, 700 households, 3 years, 12 months of spin-up; tests/conftest.py)
with a constructed option, 8 replications with common random numbers, serial in this process (seed 5).

(a) the parts add up to the total for every indicator, option, area, year and replication;
(b) an option that changes only the skills of households moving in (``mobility.in_mover_skill_mean``), with
    the channels by which newcomers reach residents' job finding switched off (job referrals over ties and
    the stigma of the area's reputation), has a residents' effect indistinguishable from zero and a
    composition equal to the total;
(c) an option that changes only residents' job finding (``labour.job_finding_max``) with mobility switched off
    has no composition at all (exactly zero).
"""

from __future__ import annotations

import numpy as np
import pytest

import qsim
from conftest import scenario_dict
from qsim.experiment.decomposition import PARTS

REPLICATIONS = 8
SEED = 5
YEARS = 3
MOVING = {"mobility.base_move_rate": 0.03, "mobility.vacancy_fill_rate": 0.5}
"""Brisk mobility, so that a third or more of the households change within three years."""
NO_SPILLOVER = {"labour.referral_strength": 0.0, "labour.stigma_strength": 0.0}
"""No channel from newcomers to residents' job finding: neither referrals by employed neighbours nor the
stigma of the area's reputation (which follows its unemployment)."""


def _scenario(name: str, parameters: dict, **top) -> qsim.Scenario:
    return qsim.scenario_from_dict(scenario_dict(name=name, years=YEARS, parameters=parameters, **top),
                                   source=f"<tests {name}>")


def _compare(*scenarios: qsim.Scenario) -> qsim.Comparison:
    return qsim.compare(list(scenarios), replications=REPLICATIONS, seed=SEED, executor=1, progress=False)


@pytest.fixture(scope="module")
def newcomers_only() -> qsim.Comparison:
    """(b): the option lets in households of higher skill (median 0.85 instead of 0.45); nothing else differs."""
    base = {**MOVING, **NO_SPILLOVER}
    # no spin-up: a parameter acts in the spin-up too, so that the option's skilled in-movers of the spin-up would
    # be original residents at month 0 (a measure, by contrast, starts at month 0)
    return _compare(_scenario("baseline", base, spinup_months=0),
                    _scenario("skilled_newcomers", {**base, "mobility.in_mover_skill_mean": 0.85}, spinup_months=0))


@pytest.fixture(scope="module")
def residents_only() -> qsim.Comparison:
    """(c): no mobility at all; the option raises the job-finding hazard of every unemployed head
    (job_finding_max 1.0 instead of the default 0.8)."""
    off = {"mobility": False}
    return _compare(_scenario("baseline", {}, processes=off),
                    _scenario("better_job_finding", {"labour.job_finding_max": 1.0}, processes=off))


def test_the_parts_add_up_to_the_total_in_every_replication(newcomers_only):
    """(a) total = residents + departures + arrivals and composition = departures + arrivals, for every option,
    area, indicator, year and replication. Tolerance: 1e-12 times the indicator's largest value (at least 1),
    which is a few units in the last place of three subtractions of values of that size (mean income, EUR,
    about 2e3: ulp 2e-13)."""
    c = newcomers_only
    pairs = c.decomposition_pairs()
    assert set(pairs["indicator"]) == set(c.by_cohort)
    assert {"unemployment_rate", "long_term_unemployment_rate", "transfer_rate", "child_poverty_rate", "mean_income",
            "households"} <= set(c.by_cohort), c.by_cohort
    assert set(pairs["area"]) == {"A", "all"} and set(pairs["year"]) == set(range(1, YEARS + 1))
    assert set(pairs["replicate"]) == set(range(REPLICATIONS))
    scale = pairs["indicator"].map(c.yearly[c.by_cohort].abs().max()).clip(lower=1.0)
    parts = pairs["residents"] + pairs["departures"] + pairs["arrivals"]
    assert np.all(np.abs(parts - pairs["total"]) <= 1e-12 * scale), "the parts do not add up to the total"
    assert np.all(np.abs(pairs["residents"] + pairs["composition"] - pairs["total"]) <= 1e-12 * scale)
    moved = pairs[pairs["indicator"] == "unemployment_rate"]
    assert (moved["departures"] != 0).any() and (moved["arrivals"] != 0).any(), "nobody moved: nothing was tested"

    # the total is the area's paired difference, as in Comparison.differences
    diff = c.differences().set_index(["option", "indicator", "year"])
    table = c.decomposition()
    total = table[(table["area"] == "all") & (table["part"] == "total")].set_index(["option", "indicator", "year"])
    assert np.allclose(total["mean"], diff.loc[total.index, "mean"], rtol=0, atol=1e-12)
    assert list(table["part"].unique()) == list(PARTS)


def test_an_option_that_changes_only_newcomers_has_no_residents_effect(newcomers_only):
    """(b) Unemployment (S1) in the last year: the area's change is clear (interval below zero), the
    residents' part is indistinguishable from zero (its paired interval covers 0) and the composition equals
    the total within the residents' interval (composition - total = -residents)."""
    d = newcomers_only.decomposition()
    d = d[(d["area"] == "all") & (d["year"] == YEARS) & (d["indicator"] == "unemployment_rate")].set_index("part")
    total, residents, composition = d.loc["total"], d.loc["residents"], d.loc["composition"]
    assert total["ci_high"] < 0, f"the skilled newcomers should lower the area's unemployment: {total.to_dict()}"
    assert residents["ci_low"] <= 0 <= residents["ci_high"], f"residents affected: {residents.to_dict()}"
    assert composition["ci_high"] < 0
    assert composition["mean"] == pytest.approx(total["mean"] - residents["mean"], abs=1e-12)
    assert abs(residents["mean"]) < 0.25 * abs(total["mean"]), "the residents' part is not small beside the total"
    parts = newcomers_only.goal_parts().set_index("part")
    assert parts.loc["total", "mostly_composition"], "the option's area effect is composition, but not flagged"


def test_without_mobility_there_is_no_composition(residents_only):
    """(c) No one moves: departures and arrivals are exactly zero for every indicator, year and replication,
    and the residents' part is the whole change, which is clear for unemployment."""
    pairs = residents_only.decomposition_pairs()
    for part in ("composition", "departures", "arrivals"):
        assert (pairs[part] == 0.0).all(), f"{part} is not zero without mobility"
    assert (pairs["residents"] == pairs["total"]).all()
    d = residents_only.decomposition()
    s1 = d[(d["area"] == "all") & (d["year"] == YEARS) & (d["indicator"] == "unemployment_rate")
           & (d["part"] == "total")].iloc[0]
    assert s1["ci_high"] < 0, f"better job finding should lower unemployment: {s1.to_dict()}"
    parts = residents_only.goal_parts().set_index("part")
    assert parts.loc["composition", "mean"] == 0.0 and not parts.loc["total", "mostly_composition"]


def test_the_ranking_judges_the_original_residents(newcomers_only):
    """The decision scores the original residents' outcomes where recorded; on the area's figures the option
    that only changes who moves in scores clearly better than on its residents'."""
    c = newcomers_only
    assert c.basis == "residents"
    residents = c.goal_scores("residents")
    area = c.goal_scores("area")
    last = lambda s: s[s["year"] == YEARS]["score"].mean()  # noqa: E731
    assert last(area) > last(residents) + 0.2, (last(area), last(residents))
    cost = c.tables()["cost_effectiveness"]
    assert set(cost["basis"]) == {"residents", "area"}


def test_older_results_without_cohorts_fall_back_to_the_area(newcomers_only):
    c = newcomers_only
    plain = c.yearly[[col for col in c.yearly.columns if ":" not in col]]
    old = qsim.Comparison(c.scenarios, plain, c.runs, c.periods, definitions=c.definitions)
    assert old.basis == "area" and old.by_cohort == []
    with pytest.raises(qsim.errors.QsimError, match="no indicators by cohort"):
        old.decomposition()
    with pytest.raises(qsim.errors.QsimError, match="basis 'residents'"):
        qsim.Comparison(c.scenarios, plain, c.runs, c.periods, basis="residents")
    with pytest.raises(qsim.errors.QsimError, match="expected one of residents, area"):
        qsim.Comparison(c.scenarios, c.yearly, c.runs, c.periods, basis="people")


def test_save_writes_the_decomposition_and_the_basis(newcomers_only, tmp_path):
    import dataclasses
    import json

    from qsim.report.html import _saved_goal

    newcomers_only.save(tmp_path)
    for name in ("decomposition", "goal_parts", "leavers", "cost_effectiveness"):
        assert (tmp_path / f"{name}.csv").exists() and (tmp_path / f"{name}.parquet").exists(), name
    assert json.loads((tmp_path / "goal.json").read_text())["basis"] == "residents"
    area = dataclasses.replace(newcomers_only, basis="area")
    area.save(tmp_path)
    assert _saved_goal(tmp_path / "goal.json")[1] == "area"
    decision = area.decision().set_index("option")
    assert decision.loc["skilled_newcomers", "score"] > newcomers_only.decision().set_index("option").loc[
        "skilled_newcomers", "score"]
