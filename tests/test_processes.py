"""The process records (qsim.processes) and the monthly schedule built from them."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from conftest import small_scenario

import qsim
from qsim import processes, rng
from qsim.parameters import PROCESSES as PARAMETER_GROUPS
from qsim.scenario import Processes


def _names(on: dict[str, bool]) -> list[str]:
    return [e.name for e in processes.schedule(lambda name: on.get(name, True))]


def test_every_process_has_a_record_a_switch_and_parameters():
    names = [p.name for p in processes.PROCESSES]
    assert sorted(names) == sorted(PARAMETER_GROUPS)
    assert sorted(names) == sorted(f for f in Processes.model_fields)


def test_streams_are_distinct_and_declared_in_rng():
    streams = [p.stream for p in processes.PROCESSES if p.stream is not None]
    assert len(streams) == len(set(streams))
    declared = {v for k, v in vars(rng).items() if k.startswith("STREAM_")}
    assert set(streams) <= declared


def test_declared_state_exists():
    sim = qsim.Simulation(small_scenario(), seed=1)
    for p in processes.PROCESSES:
        for name in p.writes + p.reads:
            group, _, array = name.partition(".")
            target = getattr(sim.state, group)
            if array and array != "*":
                assert array in {f.name for f in fields(target)}, f"{p.name}: {name} is not in the state"


def test_all_on_fuses_trust_and_participation():
    assert _names({}) == ["environment", "labour", "encounters", "trust+participation", "organisations", "mobility"]


@pytest.mark.parametrize("off, expected", [
    ("participation", ["environment", "labour", "encounters", "trust", "organisations", "mobility"]),
    ("trust", ["environment", "labour", "encounters", "trust (off)", "participation", "organisations", "mobility"]),
    ("environment", ["environment (off)", "labour", "encounters", "trust+participation", "organisations",
                     "mobility"]),
    ("mobility", ["environment", "labour", "encounters", "trust+participation", "organisations", "mobility (off)"]),
])
def test_a_process_switched_off(off, expected):
    assert _names({off: False}) == expected


def test_schedule_prints_the_run_s_steps():
    sim = qsim.Simulation(small_scenario(processes={"trust": False}), seed=1)
    table = sim.schedule()
    lines = table.splitlines()
    assert "hooks" in lines[1] and "indicators" in lines[-1]
    assert "trust (off)" in table and "participation_step" in table and "trust+participation" not in table


def test_cli_prints_the_schedule(capsys):
    from qsim.cli import main

    assert main(["schedule", str(qsim.__file__).replace("qsim/__init__.py", "scenarios/schelling.toml")]) == 0
    out = capsys.readouterr().out
    assert "mobility_step" in out and "labour_step" not in out


@pytest.mark.parametrize("off", ["trust", "participation", "environment", "mobility"])
def test_a_run_with_a_process_off_keeps_the_state_consistent(off):
    """The unfused kernels and the when_off steps run, and the state stays consistent."""
    from conftest import check_state

    sim = qsim.Simulation(small_scenario(processes={off: False}), seed=2)
    uid, trust_in = sim.state.households.uid.copy(), sim.state.households.trust_in.copy()
    sim.run(years=1)
    check_state(sim)
    h = sim.state.households
    stayed = h.alive & (h.uid == uid)  # in-movers draw new attitudes; the trust process changes the others'
    assert stayed.sum() > 100
    assert np.array_equal(h.trust_in[stayed], trust_in[stayed]) == (off == "trust")
    assert sim.result().indicators.notna().all().all()
