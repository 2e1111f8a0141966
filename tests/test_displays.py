"""Rich displays in notebooks (``_repr_html_``) and short ``__repr__`` of results, comparisons, scenarios and the
sensitivity and calibration results: HTML with the key numbers, rounded to three significant digits.

World: the small scenario of tests/conftest.py (700 households, 2 years), one run and a comparison of it with a
job-coaching option (2 replications, serial). The sensitivity and calibration results are built from small
hand-made tables: their displays read only those tables.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import qsim
from conftest import scenario_dict, small_scenario
from qsim import indicators as registry
from qsim.display import number, sparkline


def test_numbers_keep_three_significant_digits():
    assert [number(x) for x in (0.123456, 12.3456, 1943.828, -0.0004567, 0.0, float("nan"), 2_500_000)] == \
        ["0.123", "12.3", "1,944", "-0.000457", "0", "", "2,500,000"]
    assert sparkline([1.0]) == "" and sparkline([1.0, 2.0, 1.5]).startswith("<svg")


@pytest.fixture(scope="module")
def option() -> qsim.Scenario:
    data = scenario_dict(name="coaching", years=2)
    data["funding"] = {"jobcentre": {"kind": "public_programme", "amount_per_year": 250_000, "label_de": "Jobcenter"}}
    data["measures"] = [{"type": "job_coaching", "capacity": 60, "funding": "jobcentre"}]
    return qsim.scenario_from_dict(data, "<displays option>")


def test_a_scenario_shows_its_funding_and_measures(option):
    assert repr(option) == "Scenario('coaching', 2 years, 1 area(s), 700 households, 1 measure(s))"
    page = option._repr_html_()
    assert "funding: jobcentre" in page and "250,000 EUR a year" in page
    assert "Job coaching" in page and f"{option.measures[0].cost:,.0f} EUR a year" in page


def test_a_result_shows_the_key_indicators_rounded(option):
    result = qsim.Simulation(small_scenario(years=2), seed=1).run()
    assert repr(result) == "Result('small', seed 1, replicate 0, 2 years, 1 area(s))"
    page = result._repr_html_()
    y = result.yearly()
    last = y[(y["area"] == "all") & (y["year"] == 2)].iloc[0]
    for name in ("unemployment_rate", "mean_income"):
        assert registry.get(name).label("en") in page
        assert f"<td>{number(last[name])}</td>" in page  # the year-2 value, rounded
    assert "<svg" in page  # the trend
    assert not re.search(r"\d\.0*[1-9]\d{3,}", page)  # no more than three significant digits


def test_a_comparison_shows_the_differences_with_intervals(option):
    comparison = qsim.compare([small_scenario(years=2), option], replications=2, seed=2, executor=1,
                              progress=False)
    assert repr(comparison) == "Comparison('small' and 1 option(s), 2 replications, 2 years, area 'all')"
    page = comparison._repr_html_()
    d = comparison.differences()
    row = d[(d["year"] == 2) & (d["option"] == "coaching") & (d["indicator"] == "unemployment_rate")].iloc[0]
    assert f"{number(row['mean'])} [{number(row['ci_low'])}; {number(row['ci_high'])}]" in page
    assert "coaching - small" in page and "95% interval" in page


def test_sensitivity_and_calibration_results_show_their_main_numbers():
    indices = pd.DataFrame({"method": "sobol", "output": "unemployment_rate", "parameter": ["a", "b", "c", "d"],
                            "index": "ST", "value": [0.61234, 0.2, 0.05, 0.01], "ci_low": [0.5, 0.1, 0.0, 0.0],
                            "ci_high": [0.7, 0.3, 0.1, 0.02]})
    empty = pd.DataFrame()
    s = qsim.SensitivityResult("demo", "sobol", None, ["a", "b", "c", "d"], ["unemployment_rate"], ["baseline"],
                               empty, empty, indices, empty, empty, runs=96)
    assert repr(s) == "SensitivityResult('demo', sobol, 4 parameters, 1 output(s), 96 runs)"
    page = s._repr_html_()
    assert "0.612" in page and ">a<" in page and ">d<" not in page  # the three largest only

    estimates = pd.DataFrame({"estimate": [0.0081234], "lower": [0.007], "upper": [0.0093], "shrinkage": [0.456]},
                             index=["labour.job_loss"])
    c = qsim.CalibrationResult("cal", None, None, [SimpleNamespace(name="labour.job_loss")], [object()], estimates,
                               pd.DataFrame(np.zeros((40, 1))), empty, empty, empty)
    assert repr(c) == "CalibrationResult('cal', 1 parameters, 1 target statistics, 40 accepted draws)"
    page = c._repr_html_()
    assert "labour.job_loss" in page and "0.00812" in page and "0.456" in page


def test_the_progress_bar_of_a_run_says_that_the_first_month_compiles(capsys):
    from qsim.progress import COMPILE_NOTE, months

    assert list(months("run", 2)) == [0, 1]
    shown = capsys.readouterr().err.split("\r")
    assert any(COMPILE_NOTE in line for line in shown[:-1]) and COMPILE_NOTE not in shown[-1]  # until month 1 is done
