"""qsim.mesa: the engine as a mesa.Model (one step = one month), agents as views, grid layers, batch_run."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

import qsim
from qsim.indicators import NAMES
from qsim.mesa import QsimModel
from qsim.engine import SORT_MONTHS
from qsim.state import LABOUR_STATES

from conftest import scenario_dict


def small():
    return qsim.scenario_from_dict(scenario_dict(years=1))


def test_steps_are_months_of_the_same_run_as_the_engine():
    """Same seed: the model's collected indicators are the engine's own monthly indicators, bit for bit."""
    model = QsimModel(small(), seed=4)
    for _ in range(6):
        model.step()
    collected = model.datacollector.get_model_vars_dataframe().iloc[1:].reset_index(drop=True)
    engine = qsim.Simulation(small(), seed=4).run(years=0.5).indicators
    engine = engine[engine["area"] == "all"].reset_index(drop=True)
    assert list(collected.columns) == list(NAMES)
    for name in NAMES:
        assert np.array_equal(collected[name].to_numpy(), engine[name].to_numpy()), name
    assert model.month == 6


def test_model_stops_at_the_horizon():
    model = QsimModel(small(), seed=1)
    while model.running:
        model.step()
    assert model.month == 12


def test_household_agents_are_views_of_the_arrays():
    model = QsimModel(small(), seed=2)
    model.step()
    h = model.simulation.state.households
    slot = int(np.flatnonzero(h.alive)[3])
    agent = model.household(slot)
    assert agent is model.household(slot), "one agent per slot"
    assert len(model.agents) == 1, "agents are created on demand only"
    assert agent.labour_state == LABOUR_STATES[h.labour[slot]]
    assert agent.income == float(h.income[slot]) and agent.group == int(h.group[slot])
    assert agent.ties == [int(j) for j in h.tie_target[slot] if j >= 0]
    model.step()
    assert agent.labour_state == LABOUR_STATES[h.labour[slot]], "the view follows the engine"


def test_grid_layers_match_a_recount():
    model = QsimModel(small(), seed=3)
    model.step()
    s = model.simulation.state
    nx, ny = int(s.areas.nx[0]), int(s.areas.ny[0])
    assert model.grid.households.data.shape == (nx, ny)
    for x in range(nx):
        for y in range(ny):
            residents = model.households_in_block(x, y)
            assert model.grid.households.data[x, y] == len(residents)
            if residents:
                minority = np.mean([a.group for a in residents])
                assert model.grid.minority_share.data[x, y] == minority
    assert model.grid.households.data.sum() == s.households.alive.sum()


def test_runs_under_mesa_batch_run():
    results = mesa.batch_run(QsimModel, parameters={"scenario": [small()], "seed": [1, 2],
                                                    "parameters": [{"labour.job_loss": 0.02}]},
                             iterations=1, max_steps=3, number_processes=1, display_progress=False)
    frame = pd.DataFrame(results)
    assert len(frame) == 2 and (frame["Step"] == 3).all()
    assert frame["unemployment_rate"].between(0, 1).all()
    assert frame.loc[frame["seed"] == 1, "unemployment_rate"].iloc[0] != frame.loc[frame["seed"] == 2,
                                                                                    "unemployment_rate"].iloc[0]


def test_household_agent_follows_its_household_when_the_engine_sorts_its_slots(monkeypatch):
    monkeypatch.setattr(qsim.engine, "SORT_MIN_SLOTS", 0)  # sort this small city too
    model = QsimModel(small(), seed=2, parameters={"mobility.base_move_rate": 0.05})
    for _ in range(SORT_MONTHS):
        model.step()
    h = model.simulation.state.households
    agents = [model.household(int(i)) for i in np.flatnonzero(h.alive)]
    uids = [agent.household_id for agent in agents]
    model.step()  # month SORT_MONTHS: the engine sorts the slots first
    old_slots = np.flatnonzero(h.alive)
    assert any(agent.slot != old for agent, old in zip(agents, old_slots)), "no slot changed: nothing tested"
    still_here = [(agent, uid) for agent, uid in zip(agents, uids) if agent.alive and agent.household_id == uid]
    assert len(still_here) > 0.8 * len(agents), "agents lost their households when the slots were sorted"
    assert all(model.household(agent.slot) is agent for agent in agents)
