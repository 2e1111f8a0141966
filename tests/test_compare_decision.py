"""The decision statistics of a comparison on constructed data (no simulation): practical significance, the
natural-spread effect size, cost-effectiveness intervals, the replications needed and the goal.

World: a baseline and three options over 2 years and 12 replications; every indicator is baseline noise
(fixed seed), and the options shift the unemployment rate in year 2 by a known amount: ``large`` by 2
percentage points (twice the minimum important difference of 1), ``tiny`` by 0.2 pp with almost no paired
noise, ``none`` by pure paired noise around 0. Each option spends 100,000 EUR more than the baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qsim import indicators as registry
from qsim.experiment.compare import (MIN_REPLICATIONS, Comparison, GoalError, bootstrap_ratio, checked_goal,
                                     practical_significance, replications_for)

REPLICATIONS = 12
SHIFT = {"baseline": 0.0, "large": -0.02, "tiny": -0.002, "none": 0.0}
PAIRED_NOISE = {"baseline": 0.0, "large": 0.002, "tiny": 0.0001, "none": 0.004}


@pytest.fixture(scope="module")
def constructed() -> Comparison:
    rng = np.random.default_rng(7)
    base = {n: rng.normal(0.5, 0.01, size=(REPLICATIONS, 2)) for n in registry.names()}
    base["households"] = np.full((REPLICATIONS, 2), 1000.0)
    base["unemployment_rate"] = rng.normal(0.12, 0.005, size=(REPLICATIONS, 2))
    rows = []
    for scenario, shift in SHIFT.items():
        noise = rng.normal(0.0, PAIRED_NOISE[scenario], size=REPLICATIONS)
        for r in range(REPLICATIONS):
            for y in (1, 2):
                row = {"scenario": scenario, "replicate": r, "year": y, "area": "all"}
                row.update({n: base[n][r, y - 1] for n in registry.names()})
                row["cumulative_cost"] = 0.0 if scenario == "baseline" else 50_000.0 * y
                if y == 2:
                    row["unemployment_rate"] += shift + noise[r]
                rows.append(row)
    return Comparison(list(SHIFT), pd.DataFrame(rows), pd.DataFrame(), goal={"unemployment_rate": 1})


def test_practical_significance_has_three_classes():
    got = practical_significance(mean=[0.02, 0.002, 0.001, -0.03, 0.02],
                                 ci_low=[0.01, 0.001, -0.001, -0.04, 0.01],
                                 ci_high=[0.03, 0.003, 0.003, -0.02, 0.03],
                                 important=[0.01, 0.01, 0.01, 0.01, np.nan])
    assert list(got) == ["important", "tiny", "unclear", "important", "important"]


def test_differences_classify_and_standardise_against_the_natural_spread(constructed):
    d = constructed.differences().set_index(["option", "indicator", "year"])
    rows = d.xs(("unemployment_rate", 2), level=["indicator", "year"])
    assert rows["practical"].to_dict() == {"large": "important", "tiny": "tiny", "none": "unclear"}
    base = constructed.yearly.query("scenario == 'baseline' and year == 2")["unemployment_rate"]
    # the effect size divides by the baseline's spread between replications, not by the paired spread
    assert rows.loc["large", "natural_sd"] == pytest.approx(base.std(ddof=1), rel=1e-12)
    assert rows.loc["large", "effect_size"] == pytest.approx(rows.loc["large", "mean"] / base.std(ddof=1), rel=1e-12)
    assert abs(rows.loc["tiny", "cohen_d"]) > 5 * abs(rows.loc["tiny", "effect_size"])  # the paired d inflates


def test_cost_effectiveness_is_not_meaningful_where_the_gain_interval_includes_zero(constructed):
    ce = constructed.cost_effectiveness().set_index(["option", "indicator"])
    large, none = ce.loc[("large", "unemployment_rate")], ce.loc[("none", "unemployment_rate")]
    assert large["meaningful"] and large["gain_low"] > 0
    assert not none["meaningful"] and none["gain_low"] <= 0 <= none["gain_high"]
    assert large["extra_cost_eur"] == pytest.approx(100_000.0)
    # the point estimate lies in its bootstrap interval; household-years: 1,000 households x the gain in year 2
    assert large["eur_per_unit_low"] <= large["eur_per_unit"] <= large["eur_per_unit_high"]
    assert large["household_years"] == pytest.approx(1000 * large["gain"], rel=1e-9)
    assert large["eur_per_household_year_low"] <= large["eur_per_household_year"] <= large[
        "eur_per_household_year_high"]


def test_bootstrap_interval_is_reproducible_with_its_fixed_seed():
    rng = np.random.default_rng(3)
    cost, gain = rng.normal(1000, 50, 15), rng.normal(2.0, 0.4, 15)
    first, again = bootstrap_ratio(cost, gain), bootstrap_ratio(cost, gain)
    assert first == again  # bit-identical, not only close
    assert bootstrap_ratio(cost, gain, seed=4) != first  # the seed is what fixes it
    assert first[0] < cost.mean() / gain.mean() < first[1]


def test_replications_needed_is_the_smallest_n_meeting_the_rule():
    from scipy import stats

    sd, important = 0.004, 0.002
    n = replications_for(sd, important)

    def half(k):
        return stats.t.ppf(0.975, k - 1) * sd / np.sqrt(k)

    assert half(n) <= important / 2 < half(n - 1)
    assert replications_for(1e-6, 0.01) == MIN_REPLICATIONS  # the bootstrap floor


def test_decision_recommends_the_option_that_clearly_meets_the_goal(constructed):
    decision = constructed.decision().set_index("option")
    assert decision.index[0] == "large" and decision.loc["large", "recommended"]
    assert not decision.loc["none", "recommended"] and not decision.loc["tiny", "recommended"]
    # score: the mean gain in minimum important differences (1 pp) = about 2
    assert decision.loc["large", "score"] == pytest.approx(2.0, abs=0.1)
    assert decision.loc["large", "share_wins"] == 1.0
    assert constructed.replications_needed() >= MIN_REPLICATIONS


def test_goal_is_parsed_and_checked():
    assert checked_goal("unemployment_rate=2, out_group_trust") == {"unemployment_rate": 2.0, "out_group_trust": 1.0}
    default = checked_goal(None)
    assert default and all(registry.better(n) != 0 and registry.get(n).key for n in default)
    with pytest.raises(GoalError, match="did you mean 'unemployment_rate'"):
        checked_goal("unemployment_rat=1")
    with pytest.raises(GoalError, match="no better direction"):
        checked_goal({"households": 1})
    with pytest.raises(GoalError, match="positive number"):
        checked_goal({"unemployment_rate": 0})
    with pytest.raises(GoalError, match="expected a number"):
        checked_goal("unemployment_rate=two")


def test_every_indicator_has_a_minimum_important_difference_with_a_reason():
    for ind in registry.indicators():
        assert ind.important and ind.important > 0 and ind.important_reason.strip(), ind.name


def test_the_table_of_minimum_important_differences_in_the_docs_is_up_to_date(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    script = root / "docs" / "generate_report.py"
    done = subprocess.run([sys.executable, str(script), "--check"], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, f"run `python docs/generate_report.py`: {done.stdout}{done.stderr}"
    stale = tmp_path / "report.md"
    page = (root / "docs" / "report.md").read_text(encoding="utf-8")
    stale.write_text(page.replace("| `unemployment_rate` | 0.01 |", "| `unemployment_rate` | 0.5 |"), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), "--check", "--file", str(stale)], cwd=root,
                          capture_output=True, text=True)
    assert done.returncode == 1, "the check must notice a stale threshold"
