"""A measure type added through the public path (qsim.measures.register) is known everywhere and acts.

The toy type is registered by a fixture and removed afterwards, so the
catalogue the other tests see is the shipped one.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import pytest

import qsim
from qsim import levers
from qsim.errors import QsimError
from qsim.measures import CATALOGUE, CatalogueError, MeasureType, register, unregister

TOY = MeasureType(
    name="toy_mediation", title="Toy mediation", delivery="area", domain="safety", unit="mediators", default_capacity=2,
    cost_per_unit=12_000.0, effects={"conflict_reduction": 0.4}, mechanism="A test's own measure type.",
    evidence="None: a test.", reference=0.5, ramp_months=2, half_life_months=6.0, network_dependence=0.0)
COST_PER_YEAR = 2 * 12_000.0  # default capacity x cost per unit (EUR a year)


@pytest.fixture
def toy():
    entry = register(TOY)
    yield entry
    unregister(TOY.name)


def scenario_data(years: int = 1) -> dict:
    return {
        "scenario": {"name": "toy", "years": years, "seed": 2},
        "spinup_months": 3,
        "areas": [{"name": "Q", "households": 120, "grid": [2, 2], "buildings_per_block": 2,
                   "dwellings_per_building": 16, "places": {"park": 1, "centre": 1, "playground": 1, "school": 1}},
                  {"name": "R", "households": 120, "grid": [2, 2], "buildings_per_block": 2,
                   "dwellings_per_building": 16}],
        "funding": {"city": {"kind": "own_funds", "amount_per_year": 100_000.0}},
        "measures": [{"type": TOY.name, "funding": "city", "target": {"area": "R"}}],
    }


def test_a_registered_type_is_validated_run_and_paid(toy):
    scenario = qsim.scenario_from_dict(scenario_data(), source="toy (test)")
    sim = qsim.Simulation(scenario, seed=2)
    result = sim.run()
    lever = levers.INDEX["conflict_reduction"]
    assert sim.state.area_levers[1, lever] > 0.0, "the toy's lever does not act in its target area"
    assert sim.state.area_levers[0, lever] == 0.0, "the toy's lever acts outside its target area"
    paid = result.ledger[(result.ledger["entry"] == "payment") & (result.ledger["measure"] == TOY.name)]
    assert paid["amount_cents"].sum() == round(COST_PER_YEAR * 100), "the ledger did not pay the toy's cost"
    assert set(paid["area"]) == {"R"}


def test_a_registered_type_is_known_to_validation_cli_docs_and_report(toy, capsys):
    from qsim.cli import main
    from qsim.report.data import measure_table

    with pytest.raises(qsim.ScenarioError, match="no effect 'mixing'"):
        data = scenario_data()
        data["measures"][0]["effect"] = {"mixing": 0.1}
        qsim.scenario_from_dict(data, source="toy (test)")
    assert main(["measures"]) == 0 and TOY.name in capsys.readouterr().out
    assert main(["measures", TOY.name]) == 0 and "conflict_reduction = 0.4" in capsys.readouterr().out
    spec = importlib.util.spec_from_file_location(
        "generate_measures", Path(__file__).resolve().parents[1] / "docs" / "generate_measures.py")
    docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(docs)
    assert f"\n## {TOY.name}\n" in docs.measures_page()
    table = measure_table(qsim.scenario_from_dict(scenario_data(years=2), source="toy (test)"), horizon=2)
    assert table.loc[0, "type"] == TOY.name and table.loc[0, "domain"] == "safety"
    assert (table.loc[0, "start"], table.loc[0, "end"]) == (0.0, 2.0)


def test_an_unregistered_type_is_unknown_again():
    register(TOY)
    unregister(TOY.name)
    assert TOY.name not in CATALOGUE
    with pytest.raises(qsim.ScenarioError, match="unknown measure type 'toy_mediation'"):
        qsim.scenario_from_dict(scenario_data(), source="toy (test)")
    with pytest.raises(CatalogueError, match="no measure type 'toy_mediation'"):
        unregister(TOY.name)


@pytest.mark.parametrize("change, message", [
    ({"delivery": "airdrop"}, "delivery 'airdrop': expected one of area, programme, construction, office"),
    ({"effects": {"happiness": 0.1}}, "effect 'happiness' is neither a lever nor a state effect of area measures"),
    ({"effects": {"place_quality": 0.1}}, "effect 'place_quality' is neither a lever nor a state effect of area"),
    ({"effects": {"encounters": -0.1}}, "effect 'encounters': expected a finite number >= 0"),
    ({"domain": "weather"}, "domain 'weather': expected one of cohesion"),
    ({"lag_months": 12}, "lag_months is for construction measures, not area"),
    ({"delivery": "construction"}, "lag_months must be > 0"),
    ({"delivery": "programme"}, "course_months must be > 0"),
    ({"targets": ("street",)}, "targets 'street': expected some of blocks"),
    ({"reference": 0.0}, "reference: expected a number > 0"),
    ({"name": "Toy Mediation"}, "name must be lower-case letters"),
    ({"name": "job_coaching"}, "a measure type 'job_coaching' exists already"),
])
def test_a_bad_registration_says_what_is_wrong(change, message):
    bad = dataclasses.replace(TOY, **change)
    with pytest.raises(CatalogueError, match="measure type '.*': .*" + message.replace("(", r"\(")) as info:
        register(bad)
    assert isinstance(info.value, QsimError)
    assert bad.name not in CATALOGUE or CATALOGUE[bad.name] is not bad


def test_registering_something_else_is_refused():
    with pytest.raises(CatalogueError, match="expected a qsim.measures.MeasureType, got dict"):
        register({"name": "toy"})
