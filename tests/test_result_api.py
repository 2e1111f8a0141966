"""The notebook-facing API around a run: Result tables, summary, plot, save; hooks; set_parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import qsim
from conftest import small_scenario
from qsim.errors import QsimError
from qsim.parameters import ParameterError
from qsim.indicators import key_names


@pytest.fixture(scope="module")
def result():
    return qsim.Simulation(small_scenario(years=3), seed=2).run()


def test_tables_are_tidy(result):
    ind = result.indicators
    assert list(ind.columns[:3]) == ["month", "year", "area"]
    assert set(qsim.INDICATOR_NAMES) <= set(ind.columns)
    assert sorted(ind["area"].unique()) == ["A", "all"]
    assert ind["month"].tolist() == sorted(ind["month"].tolist())
    assert (ind["year"] == ind["month"] // 12 + 1).all()
    assert len(ind) == 36 * 2
    by_group = result.indicators_by_group
    assert set(by_group["group"]) == {"majority", "minority", "all"} and len(by_group) == 36 * 2 * 3
    flows = result.flows
    assert {"month", "year", "area", "group", "out_moves", "in_moves", "out_mover_income"} <= set(flows.columns)
    assert len(flows) == 36 * 1 * 2  # months x simulated areas x groups


def test_yearly_at_and_summary_agree(result):
    yearly = result.yearly()
    assert len(yearly) == 3 * 2
    at2 = result.at(2, "A")
    row = yearly[(yearly["year"] == 2) & (yearly["area"] == "A")].iloc[0]
    for name in qsim.INDICATOR_NAMES:
        assert at2[name] == row[name]
    summary = result.summary(area="A")
    assert list(summary.columns) == ["year 1", "year 3", "change"]
    assert list(summary.index) == list(key_names())
    first = yearly[(yearly["year"] == 1) & (yearly["area"] == "A")].iloc[0]
    last = yearly[(yearly["year"] == 3) & (yearly["area"] == "A")].iloc[0]
    for name in key_names():
        assert summary.loc[name, "year 1"] == first[name] and summary.loc[name, "year 3"] == last[name]
        assert summary.loc[name, "change"] == pytest.approx(last[name] - first[name], abs=1e-12)
    with pytest.raises(KeyError):
        result.at(9)


def test_plot_writes_a_png(result, tmp_path):
    path = tmp_path / "plot.png"
    result.plot(["unemployment_rate", "out_group_trust"], path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_round_trips(result, tmp_path):
    files = result.save(tmp_path / "saved")
    names = {f.name for f in files}
    assert {"indicators.parquet", "indicators.csv", "flows.parquet", "flows.csv"} <= names
    assert all(f.is_file() for f in files)
    back = pd.read_parquet(tmp_path / "saved" / "indicators.parquet")
    pd.testing.assert_frame_equal(back, result.indicators_by_group, check_exact=True, check_dtype=False)


def test_hooks_are_called_every_month_before_the_processes():
    calls = []

    def hook(sim, month):
        calls.append((month, sim.month))

    qsim.Simulation(small_scenario(years=1), seed=1, hooks=[hook]).run()
    assert calls == [(m, m) for m in range(12)]


def test_set_parameters_acts_from_now_on_and_checks_names():
    sc = small_scenario(years=2)
    sim = qsim.Simulation(sc, seed=3)
    sim.run(years=1)
    sim.set_parameters({"labour.job_loss": 0.2})
    assert sim.params["labour.job_loss"] == 0.2
    changed = sim.run(years=1).indicators
    same = qsim.Simulation(sc, seed=3).run(years=2).indicators
    first = changed["month"] < 12
    pd.testing.assert_frame_equal(changed[first], same[first], check_exact=True)
    u_changed = changed[(~first) & (changed["area"] == "A")]["unemployment_rate"].iloc[-1]
    u_same = same[(~first) & (same["area"] == "A")]["unemployment_rate"].iloc[-1]
    assert u_changed > u_same + 0.1
    with pytest.raises(ParameterError):
        sim.set_parameters({"labour.jobloss": 0.1})
    with pytest.raises(ParameterError):
        sim.set_parameters({"labour.job_loss": 3.0})


def test_progress_and_callback(capsys):
    seen = []
    qsim.Simulation(small_scenario(years=1), seed=1).run(progress=True, callback=lambda s: seen.append(s.month))
    assert seen == list(range(1, 13))
    assert np.all(np.diff(seen) == 1)


def test_plot_and_summary_name_a_wrong_indicator_or_area(result, tmp_path):
    """Mistakes a notebook user makes get a message that says what to do, not a pandas KeyError."""
    with pytest.raises(QsimError, match="did you mean 'unemployment_rate'"):
        result.summary(["unemploymnet_rate"])
    with pytest.raises(QsimError, match="pass it as path="):
        result.plot(str(tmp_path / "figure.png"))
    with pytest.raises(QsimError, match="no area 'north'.*'all'"):
        result.plot(area="north")
    assert list(result.summary("tie_density").index) == ["tie_density"], "one indicator may be given as a string"
