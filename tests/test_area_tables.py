"""Areas from tables: CSV files of buildings and households instead of marginals.

* the shipped example (scenarios/from_tables.toml) loads, and the built
  state holds exactly the tables' buildings and households;
* a run from tables keeps the state invariants (conftest.check_state);
* every kind of bad table is rejected with a ScenarioError that names the
  CSV file, the line and the column;
* paths are relative to the file that names them, also through ``extends``.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS, check_state

import qsim
from qsim.area_tables import read_tables
from qsim.cli import main as cli_main
from qsim.kernels.environment import market_rent
from qsim.parameters import ModelParameters
from qsim.population import build_state
from qsim.state import EMPLOYED, LABOUR_STATES, LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED, State

EXAMPLE = SCENARIOS / "from_tables.toml"
DATA = SCENARIOS / "data"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, comment="#", dtype={"building": str})


# ------------------------------------------------------------- the example
def _example() -> tuple[qsim.Scenario, State, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The example scenario, its state (seed 5), its tables and the slot of each household row.

    Placement as documented: buildings sorted into their blocks (row by
    row), as listed within a block; each building's households in its first
    dwellings, in table order.
    """
    sc = qsim.load_scenario(EXAMPLE)
    state = build_state(sc.areas, ModelParameters(sc.parameters), seed=5)
    b, hh = _read("example_buildings.csv"), _read("example_households.csv")
    nx = b.block_x.max() + 1
    b = b.iloc[np.argsort((b.block_y * nx + b.block_x).to_numpy(), kind="stable")].reset_index(drop=True)
    building = {bid: k for k, bid in enumerate(b.building)}
    slot = np.empty(len(hh), np.int64)
    for bid, rows in hh.groupby("building", sort=False):
        first = state.buildings.first_dwelling[building[bid]]
        slot[rows.index] = state.dwellings.occupant[first + np.arange(len(rows))]
    return sc, state, b, hh, slot


def test_example_state_matches_the_tables_exactly():
    sc, state, b, hh, slot = _example()
    area = sc.areas[0]
    assert area.n_households == len(hh) and area.dwellings == b.dwellings.sum()
    blk, bld, dw, h = state.blocks, state.buildings, state.dwellings, state.households
    nx, ny = b.block_x.max() + 1, b.block_y.max() + 1
    assert (state.areas.nx[0], state.areas.ny[0]) == (nx, ny) and len(blk) == nx * ny

    # buildings: position, size, quality; blocks without buildings hold no dwellings
    assert np.array_equal(blk.x[bld.block], b.block_x) and np.array_equal(blk.y[bld.block], b.block_y)
    assert np.array_equal(bld.n_dwellings, b.dwellings)
    assert np.array_equal(bld.quality, b.quality.astype(np.float32))
    empty = {(int(x), int(y)) for x, y in zip(blk.x, blk.y)} - set(zip(b.block_x, b.block_y))
    assert empty == {(2, 1), (4, 3)}
    assert all(blk.n_dwellings[y * nx + x] == 0 for x, y in empty)

    # households: every row in its building, with its attributes; no one else
    assert np.all(slot >= 0) and len(set(slot.tolist())) == len(hh) == h.alive.sum()
    assert np.array_equal(b.building.to_numpy()[dw.building[h.dwelling[slot]]], hh.building)
    assert np.array_equal(h.group[slot], hh.group)
    assert [LABOUR_STATES[v] for v in h.labour[slot]] == list(hh.labour)
    assert np.array_equal(h.adults[slot], hh.adults) and np.array_equal(h.children[slot], hh.children)
    for col, dtype in (("skill", np.float32), ("unemployed_months", np.int16), ("tenure", np.int16)):
        given = hh[col].notna().to_numpy()
        assert 0 < given.sum() < len(hh), col
        assert np.array_equal(getattr(h, col)[slot[given]], hh[col][given].astype(dtype)), col
    counts = np.bincount(bld.block[dw.building[h.dwelling[slot]]], minlength=len(blk))
    assert np.array_equal(blk.group_count.sum(axis=1), counts)
    assert np.array_equal(blk.group_count.sum(axis=0), np.bincount(hh.group, minlength=2))


def test_example_fills_the_gaps_as_the_synthetic_population_does():
    sc, state, b, hh, slot = _example()
    h = state.households
    lta = ModelParameters(sc.parameters)["labour.long_term_after"]
    um, lab = h.unemployed_months[slot], h.labour[slot]
    assert np.all(um[lab == SHORT_TERM_UNEMPLOYED] < lta) and np.all(um[lab == LONG_TERM_UNEMPLOYED] >= lta)
    assert np.all(um[(lab != SHORT_TERM_UNEMPLOYED) & (lab != LONG_TERM_UNEMPLOYED)] == 0)
    assert np.all(h.income[slot] > 0) and np.all((h.skill[slot] > 0) & (h.skill[slot] < 1))
    # drawn skills are dealt to the labour states by rank: the long-term unemployed get the lowest
    drawn = hh.skill.isna().to_numpy()
    low = h.skill[slot[drawn & (lab == LONG_TERM_UNEMPLOYED)]]
    high = h.skill[slot[drawn & (lab == EMPLOYED)]]
    assert len(low) >= 3 and low.max() < np.median(high)
    # starting rents: the market rent at the building's rent level (or the area's), less the tenure discount
    ep = ModelParameters(sc.parameters).environment
    level = b.rent_level.fillna(sc.areas[0].rent_level).to_numpy()
    d = h.dwelling[slot]
    k = state.dwellings.building[d]
    expected = [market_rent(ep, level[j], 1.0, state.buildings.quality[j], 0.5) * (1 - 0.15 * min(1.0, t / 120))
                for j, t in zip(k, h.tenure[slot])]
    assert np.allclose(state.dwellings.rent[d], expected, rtol=1e-6)


def test_example_runs_and_keeps_the_invariants():
    sim = qsim.Simulation(qsim.load_scenario(EXAMPLE), seed=3)
    check_state(sim)
    for _ in range(24):
        sim.step()
        check_state(sim)


def test_example_validates_and_runs_from_the_command_line(tmp_path, capsys):
    assert cli_main(["validate", str(EXAMPLE)]) == 0
    assert cli_main(["run", str(EXAMPLE), "--years", "1", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "indicators.csv").is_file()


def test_scenario_from_tables_round_trips():
    sc = qsim.load_scenario(EXAMPLE)
    again = sc.with_parameters({"labour.job_loss": 0.01})
    assert again.areas[0].tables == sc.areas[0].tables
    assert pickle.loads(pickle.dumps(sc)) == sc
    a, b = (build_state(s.areas, ModelParameters(), seed=2) for s in (sc, pickle.loads(pickle.dumps(sc))))
    assert np.array_equal(a.households.skill, b.households.skill)


def test_marginal_and_table_areas_mix_in_one_city():
    data = {"scenario": {"name": "mixed", "years": 1}, "spinup_months": 0,  # the draw (the spin-up lets movers in)
            "areas": [{"name": "synthetic", "households": 100, "grid": [2, 2], "buildings_per_block": 2,
                       "dwellings_per_building": 15},
                      {"name": "tables", "buildings_csv": str(DATA / "example_buildings.csv"),
                       "households_csv": str(DATA / "example_households.csv")}]}
    sim = qsim.Simulation(qsim.scenario_from_dict(data), seed=1)
    check_state(sim)
    assert np.bincount(sim.state.dwellings.area[sim.state.households.dwelling[sim.state.households.alive]]).tolist() \
        == [100, 293]
    for _ in range(12):
        sim.step()
        check_state(sim)


# ---------------------------------------------------------- paths, extends
def _write_example(folder: Path) -> None:
    (folder / "data").mkdir(parents=True)
    for name in ("example_buildings.csv", "example_households.csv"):
        shutil.copy(DATA / name, folder / "data" / name)
    (folder / "parent.toml").write_text(
        '[scenario]\nname = "p"\nyears = 1\n\n[[areas]]\nname = "K"\n'
        'buildings_csv = "data/example_buildings.csv"\nhouseholds_csv = "data/example_households.csv"\n')


def test_paths_are_relative_to_the_file_that_names_them(tmp_path, monkeypatch):
    _write_example(tmp_path / "base")
    child = tmp_path / "options" / "child.toml"
    child.parent.mkdir()
    child.write_text('extends = "../base/parent.toml"\n\n[scenario]\nname = "c"\n')
    monkeypatch.chdir(tmp_path / "options")
    sc = qsim.load_scenario("child.toml")
    assert sc.areas[0].tables.n_households == 293
    assert sc.areas[0].buildings_csv == str(tmp_path / "base" / "data" / "example_buildings.csv")
    # an [[areas]] array written in the child replaces the parent's, and its paths are the child's
    child.write_text('extends = "../base/parent.toml"\n\n[[areas]]\nname = "K"\n'
                     'buildings_csv = "data/b.csv"\nhouseholds_csv = "data/h.csv"\n')
    with pytest.raises(qsim.ScenarioError, match=r"options/data/b\.csv: no such area table file"):
        qsim.load_scenario("child.toml")


# ------------------------------------------------------------- bad tables
BUILDINGS = "building,block_x,block_y,dwellings,quality\nA,0,0,3,0.5\nB,1,0,2,0.6\n"
HOUSEHOLDS = ("building,group,labour,adults,children\nA,0,employed,1,0\nA,1,transfer,2,3\n"
              "B,0,long_term_unemployed,1,0\n")


def _load(tmp_path: Path, buildings: str = BUILDINGS, households: str = HOUSEHOLDS, extra: str = "",
          parameters: str = "") -> qsim.Scenario:
    (tmp_path / "b.csv").write_text(buildings, encoding="utf-8")
    (tmp_path / "h.csv").write_text(households, encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text(f'[scenario]\nname = "t"\nyears = 1\n{parameters}\n[[areas]]\nname = "K"\n'
                    f'buildings_csv = "b.csv"\nhouseholds_csv = "h.csv"\n{extra}')
    return qsim.load_scenario(path)


def test_good_small_tables_load(tmp_path):
    area = _load(tmp_path).areas[0]
    assert area.shape == (2, 1) and area.n_households == 3 and area.dwellings == 5


BAD = {  # name: (buildings, households, file, line, column, words of the message)
    "missing column": (BUILDINGS, HOUSEHOLDS.replace(",labour", "").replace(",employed", "").replace(
        ",transfer", "").replace(",long_term_unemployed", ""), "h.csv", 1, "labour", "missing"),
    "unknown column": (BUILDINGS.replace("quality\n", "quality,colour\n").replace("0.5\n", "0.5,red\n").replace(
        "0.6\n", "0.6,blue\n"), HOUSEHOLDS, "b.csv", 1, "colour", "unknown column"),
    "wrong type": (BUILDINGS, HOUSEHOLDS.replace("A,1,transfer,2,3", "A,1,transfer,two,3"), "h.csv", 3,
                   "adults", "whole number"),
    "count written as decimal": (BUILDINGS.replace("A,0,0,3", "A,0,0,3.0"), HOUSEHOLDS, "b.csv", 2, "dwellings",
                                 "whole number"),
    "quality above 1": (BUILDINGS.replace("0.6", "1.4"), HOUSEHOLDS, "b.csv", 3, "quality", "from 0 to 1"),
    "decimal comma": (BUILDINGS.replace("0.6", '"0,6"'), HOUSEHOLDS, "b.csv", 3, "quality", "a number"),
    "negative block": (BUILDINGS.replace("B,1,0", "B,-1,0"), HOUSEHOLDS, "b.csv", 3, "block_x", "from 0"),
    "no dwellings": (BUILDINGS.replace("B,1,0,2", "B,1,0,0"), HOUSEHOLDS, "b.csv", 3, "dwellings", "from 1"),
    "too many children": (BUILDINGS, HOUSEHOLDS.replace("2,3", "2,5"), "h.csv", 3, "children", "from 0 to 4"),
    "group 2": (BUILDINGS, HOUSEHOLDS.replace("A,1,", "A,2,"), "h.csv", 3, "group", "from 0 to 1"),
    "unknown labour state": (BUILDINGS, HOUSEHOLDS.replace("transfer", "unemployed"), "h.csv", 3, "labour",
                             "one of employed"),
    "empty required cell": (BUILDINGS, HOUSEHOLDS.replace("A,0,employed,1,0", "A,0,employed,,0"), "h.csv", 2,
                            "adults", "missing value"),
    "skill out of range": (BUILDINGS, HOUSEHOLDS.replace("children\n", "children,skill\n").replace(
        ",0\n", ",0,\n").replace(",3\n", ",3,1.5\n"), "h.csv", 3, "skill", "from 0 to 1"),
    "duplicate building": (BUILDINGS.replace("B,1,0", "A,1,0"), HOUSEHOLDS, "b.csv", 3, "building", "duplicate"),
    "unknown building": (BUILDINGS, HOUSEHOLDS.replace("B,0,long", "C,0,long"), "h.csv", 4, "building",
                         "unknown building 'C'"),
    "building overfull": (BUILDINGS, HOUSEHOLDS + "B,0,employed,1,0\nB,1,employed,1,0\n", "h.csv", 6, "building",
                          "has 2 dwellings"),
    "spell for the employed": (BUILDINGS, HOUSEHOLDS.replace("children\n", "children,unemployed_months\n").replace(
        ",0\n", ",0,\n").replace(",3\n", ",3,\n").replace("employed,1,0,\n", "employed,1,0,4\n", 1), "h.csv", 2,
        "unemployed_months", "only the unemployed"),
    "long-term spell too short": (BUILDINGS, HOUSEHOLDS.replace("children\n", "children,unemployed_months\n")
                                  .replace(",0\n", ",0,\n").replace(",3\n", ",3,\n")
                                  .replace("long_term_unemployed,1,0,", "long_term_unemployed,1,0,5"), "h.csv", 4,
                                  "unemployed_months", "at least labour.long_term_after"),
    "tenure negative": (BUILDINGS, HOUSEHOLDS.replace("children\n", "children,tenure\n").replace(
        ",0\n", ",0,-3\n", 1).replace(",3\n", ",3,\n").replace(",0\n", ",0,\n"), "h.csv", 2, "tenure", "from 0"),
    "rent level zero": (BUILDINGS.replace("quality\n", "quality,rent_level\n").replace("0.5\n", "0.5,0\n").replace(
        "0.6\n", "0.6,\n"), HOUSEHOLDS, "b.csv", 2, "rent_level", "> 0"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_tables_name_file_line_and_column(tmp_path, case):
    buildings, households, file, line, column, words = BAD[case]
    with pytest.raises(qsim.ScenarioError) as err:
        _load(tmp_path, buildings, households)
    message = str(err.value)
    assert str(tmp_path / "s.toml") in message, message
    assert f"{tmp_path / file}: line {line}" in message, message
    assert f"'{column}'" in message and words in message, message


@pytest.mark.parametrize("buildings, households, words", [
    ("", HOUSEHOLDS, "b.csv: empty"),
    ("building;block_x;block_y;dwellings;quality\nA;0;0;3;0.5\n", HOUSEHOLDS, "separated by ';'"),
    (BUILDINGS, "building,group,labour,adults,children\n", "h.csv: no data"),
    (BUILDINGS.replace("B,1,0,2,0.6", "B,1,0,2,0.6,9"), HOUSEHOLDS, "b.csv: line 3: 6 cells; expected 5"),
    (BUILDINGS, HOUSEHOLDS.replace("building,", "building,building,", 1), "column(s) 'building' appear twice"),
])
def test_bad_files_are_rejected_clearly(tmp_path, buildings, households, words):
    with pytest.raises(qsim.ScenarioError) as err:
        _load(tmp_path, buildings, households)
    assert words in str(err.value), str(err.value)


def test_a_file_that_is_not_utf8_is_rejected(tmp_path):
    (tmp_path / "b.csv").write_bytes(b"building,block_x\n\xff\xfe,0\n")
    with pytest.raises(ValueError, match=r"b\.csv: cannot be read as a CSV file in UTF-8"):
        read_tables(tmp_path / "b.csv", tmp_path / "h.csv")


def test_changed_tables_are_read_again(tmp_path):
    assert _load(tmp_path).areas[0].n_households == 3
    (tmp_path / "h.csv").write_text(HOUSEHOLDS + "B,0,employed,1,0\n")
    assert qsim.load_scenario(tmp_path / "s.toml").areas[0].n_households == 4


def test_several_problems_are_listed_together(tmp_path):
    households = HOUSEHOLDS.replace("A,0,employed,1,0", "A,0,employd,1,9")
    with pytest.raises(qsim.ScenarioError) as err:
        _load(tmp_path, BUILDINGS, households)
    assert "line 2, column 'labour'" in str(err.value) and "line 2, column 'children'" in str(err.value)


@pytest.mark.parametrize("extra, field, words", [
    ("grid = [2, 2]\n", "areas.0.grid", "not allowed in an area from tables"),
    ("households = 3\n", "areas.0.households", "not allowed in an area from tables"),
    ("unemployment_rate = 0.1\n", "areas.0.unemployment_rate", "not allowed in an area from tables"),
    ("dwellings_per_building = 3\n", "areas.0.dwellings_per_building", "not allowed"),
])
def test_marginals_replaced_by_the_tables_must_not_be_given(tmp_path, extra, field, words):
    with pytest.raises(qsim.ScenarioError) as err:
        _load(tmp_path, extra=extra)
    assert f"{field}: {words}" in str(err.value), str(err.value)


def test_both_tables_or_marginals_are_required(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[scenario]\nname = "t"\nyears = 1\n[[areas]]\nname = "K"\nbuildings_csv = "b.csv"\n')
    with pytest.raises(qsim.ScenarioError, match=r"areas\.0\.households_csv: required field is missing"):
        qsim.load_scenario(path)
    path.write_text('[scenario]\nname = "t"\nyears = 1\n[[areas]]\nname = "K"\ngrid = [2, 2]\n')
    with pytest.raises(qsim.ScenarioError, match=r"areas\.0\.households: required field is missing \(or give "
                       r"buildings_csv and households_csv\)"):
        qsim.load_scenario(path)


def test_spells_follow_the_scenarios_long_term_after(tmp_path):
    households = HOUSEHOLDS.replace("children\n", "children,unemployed_months\n").replace(",0\n", ",0,\n").replace(
        ",3\n", ",3,\n").replace("long_term_unemployed,1,0,", "long_term_unemployed,1,0,8")
    with pytest.raises(qsim.ScenarioError, match="line 4, column 'unemployed_months'"):
        _load(tmp_path, BUILDINGS, households)
    sc = _load(tmp_path, BUILDINGS, households, parameters='[parameters]\n"labour.long_term_after" = 6\n')
    assert sc.areas[0].tables.unemployed_months.tolist() == [-1, -1, 8]


def test_measure_targets_are_checked_against_the_tables(tmp_path):
    extra = ('\n[funding.f]\nkind = "own_funds"\namount_per_year = 100000\n\n[[measures]]\ntype = "homework_help"\n'
             'funding = "f"\ntarget = {blocks = [[2, 0]]}\n')
    with pytest.raises(qsim.ScenarioError, match=r"block \[2, 0\] is outside area 'K'.* grid of 2 x 1"):
        _load(tmp_path, extra=extra)
    no_children = HOUSEHOLDS.replace("2,3", "2,0")
    with pytest.raises(qsim.ScenarioError, match="selects nobody"):
        _load(tmp_path, BUILDINGS, no_children, extra=extra.replace("[[2, 0]]", "[[1, 0]]"))


def test_read_tables_directly_raises_a_value_error(tmp_path):
    (tmp_path / "b.csv").write_text(BUILDINGS)
    with pytest.raises(ValueError, match="no such area table file"):
        read_tables(tmp_path / "b.csv", tmp_path / "missing.csv")
