"""Progress bars: building a scenario and writing a report show a bar over their stages on stderr when asked, and
nothing otherwise; the bars change no result.

World: the small city of tests/conftest.py (12 spin-up months), run for one month; the report of a comparison of
that city with itself (2 years, 2 paired replications, serial in this process).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import qsim
from conftest import only, scenario_dict, small_scenario
from qsim.progress import BUILD_NOTE
from qsim.report import write_report

SPIN_UP = 12


def test_construction_bar_names_the_stages_and_every_spin_up_month(capsys):
    qsim.Simulation(small_scenario(spinup_months=SPIN_UP), seed=3, progress=True)
    err = capsys.readouterr().err
    assert "build small" in err
    assert "households, dwellings and measures" in err and "neighbourhood" in err
    assert BUILD_NOTE in err
    for month in (1, SPIN_UP):
        assert f"spin-up month {month}/{SPIN_UP}" in err
    assert f"{SPIN_UP + 2}/{SPIN_UP + 2}" in err  # every stage counted: population, the months, neighbourhood


def test_construction_without_spin_up_has_no_spin_up_months(capsys):
    qsim.Simulation(small_scenario(spinup_months=0, processes=only("labour")), seed=3, progress=True)
    err = capsys.readouterr().err
    assert "spin-up month" not in err and "2/2" in err


def test_construction_is_silent_by_default_and_progress_changes_no_result(capsys):
    scenario = small_scenario(spinup_months=SPIN_UP)
    quiet = qsim.Simulation(scenario, seed=3).run(years=1 / 12)
    assert capsys.readouterr().err == ""
    shown = qsim.Simulation(scenario, seed=3, progress=True).run(years=1 / 12)
    capsys.readouterr()
    for column in quiet.indicators.select_dtypes("number"):
        np.testing.assert_array_equal(quiet.indicators[column].to_numpy(), shown.indicators[column].to_numpy(),
                                      err_msg=column)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    scenarios = [qsim.scenario_from_dict(scenario_dict(name=name, years=2, spinup_months=SPIN_UP), source=name)
                 for name in ("baseline", "same")]
    return qsim.compare(scenarios, replications=2, seed=5, executor=1,
                        store=tmp_path_factory.mktemp("progress") / "store", progress=False)


def test_report_bar_names_each_figure_and_counts_every_stage(comparison, tmp_path, capsys):
    write_report(comparison, tmp_path / "report.html", progress=True)
    err = capsys.readouterr().err
    assert "report report.html" in err
    for stage in ("summary", "figure: measures", "figure: ranking", "tables", "rendering the page", "writing"):
        assert stage in err, stage
    done = re.findall(r"(\d+)/(\d+) \[", err)[-1]
    assert "figure: residents" in err
    assert done[0] == done[1] == "12", err  # 4 stages and 8 figures (with residents'), none missed or counted twice


def test_report_is_silent_by_default_and_the_same_with_a_bar(comparison, tmp_path, capsys):
    quiet, = write_report(comparison, tmp_path / "quiet.html")
    assert capsys.readouterr().err == ""
    shown, = write_report(comparison, tmp_path / "shown.html", progress=True)
    generated = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")  # the time the page was generated
    assert generated.sub("", quiet.read_text()) == generated.sub("", shown.read_text())
