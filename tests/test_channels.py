"""Measure channels (qsim/measures/channels.py): every route from a measure to an outcome has a source and a
size, or is an assumption and off by default; the channels that are off do not act; in-movers sort by income."""

from __future__ import annotations

import numpy as np
import pytest

import qsim
from qsim import levers
from qsim.kernels.labour import C_EDUCATION, C_FIND, N_CONSTANTS, area_constants
from qsim.kernels.mobility import in_mover_median_skill
from qsim.measures import CATALOGUE
from qsim.measures.catalogue import MeasureType
from qsim.measures.channels import CHANNELS, Channel, problems, table_markdown
from qsim.parameters import BY_NAME, ModelParameters


def test_the_shipped_channels_keep_the_rules():
    assert problems() == []


def test_an_assumption_switched_on_is_caught():
    on = Channel("guess", "job finding", "-", "assumption: none", "stops", parameter="labour.job_loss")
    assert BY_NAME["labour.job_loss"].default > 0
    found = problems(CHANNELS + (on,))
    assert len(found) == 1 and "'guess'" in found[0] and "off by default" in found[0]


def test_an_effect_in_no_channel_or_in_two_is_caught():
    twice = Channel("again", "ties", "-", "Pettigrew & Tropp 2006", "fades", effects=("mixing",))
    found = problems(CHANNELS + (twice,))
    assert found and all("mixing: in 2 channels" in f for f in found)
    without = tuple(c for c in CHANNELS if "safety" not in c.effects)
    found = problems(without)
    assert any("infrastructure.safety: in 0 channels" in f for f in found)


def test_an_effect_channel_is_off_when_every_type_sets_it_to_zero():
    access = next(c for c in CHANNELS if c.name == "job access")
    assert access.is_assumption and access.size == 0 and access.default.endswith("(off)")
    assert CATALOGUE["infrastructure"].effects["job_finding"] == 0


def test_the_table_has_a_row_per_channel_with_its_source():
    text = table_markdown()
    for c in CHANNELS:
        row = next(line for line in text.splitlines() if f"**{c.name}**" in line)
        assert c.source.split(" (")[0].split(":")[0] in row


def test_no_lever_effect_lasts_for_ever():
    """An effect that outlasts its funding for good needs a mechanism: construction's state changes decay
    with the places and buildings; a lever effect must fade (half-life) or stop."""
    lasting = [f"{e.name}.{k}" for e in CATALOGUE.values() if e.half_life_months is None
               for k, v in e.lever_effects.items() if v > 0]
    assert lasting == []


def _constants(overrides, reputation, place_quality):
    lp = ModelParameters(overrides).labour
    n_areas = len(reputation)
    table = np.zeros((n_areas, 1 + levers.N_PROGRAMMES, levers.N_LEVERS))
    c = area_constants(lp, 1.0, np.asarray(reputation, float), np.asarray(place_quality, float), table)
    return c.reshape(n_areas, 1 + levers.N_PROGRAMMES, N_CONSTANTS)[:, 0]


def test_address_stigma_is_off_by_default_and_can_be_switched_on():
    off = _constants({}, [0.1, 0.9], [0.5, 0.5])
    assert off[0, C_FIND] == off[1, C_FIND]
    on = _constants({"labour.stigma_strength": 0.2}, [0.1, 0.9], [0.5, 0.5])
    assert on[0, C_FIND] == pytest.approx(on[1, C_FIND] * (1 - 0.2 * 0.9) / (1 - 0.2 * 0.1))


def test_place_quality_reaches_childrens_education_only_when_switched_on():
    off = _constants({}, [0.5, 0.5], [0.1, 0.9])
    assert off[0, C_EDUCATION] == off[1, C_EDUCATION]
    full = _constants({"labour.child_education_place_effect": 1.0}, [0.5, 0.5], [0.1, 0.9])
    half_rest = (1 - BY_NAME["labour.child_education_parent_weight"].default) / 2
    assert full[:, C_EDUCATION] == pytest.approx(half_rest * np.array([0.1, 0.9]))


def test_in_movers_sort_by_the_areas_relative_income():
    p = ModelParameters().mobility
    base = in_mover_median_skill(p, 0.5, 1800.0, 1800.0)
    assert base == pytest.approx(p.in_mover_skill_mean)  # one area: the city is the area, no shift
    assert in_mover_median_skill(p, 0.5, 0.0, 1800.0) == pytest.approx(base)  # an empty area: no shift
    richer = in_mover_median_skill(p, 0.5, 1.2 * 1800.0, 1800.0)
    assert richer - base == pytest.approx(p.in_mover_skill_income * 0.2)
    q = ModelParameters({"mobility.in_mover_skill_income": 0.0}).mobility
    assert in_mover_median_skill(q, 0.5, 1.2 * 1800.0, 1800.0) == pytest.approx(base)


def test_a_registered_type_with_an_unowned_state_effect_is_reported():
    entry = MeasureType("odd", "Odd", "construction", "housing", "things", 1, 1.0, {"rent_levy": 1.0}, "m", "e")
    catalogue = {"odd": entry}
    without = tuple(c for c in CHANNELS if "rent_levy" not in c.effects)
    assert problems(without, catalogue) == ["odd.rent_levy: in 0 channels (none), expected exactly one"]


@pytest.mark.slow
def test_sorting_of_in_movers_by_income_keeps_the_areas_of_a_city_apart():
    """scenarios/city_persistence.toml with 48 months of spin-up, 3 runs of 10 years (seed 1): with in-movers
    sorted by income the spread of area unemployment holds (accepted: shrinks by less than 15%, the validation
    bound); without it the areas converge (accepted: at least 15 points more shrinkage). Six runs of 22,560
    households."""
    from pathlib import Path

    from qsim.validation.patterns import Context, _persistence
    from qsim.validation.settings import read_settings

    settings, folder = read_settings(Path(__file__).resolve().parents[1] / "experiments" / "validation.toml")
    spread = {}
    for income in (0.0, 1.0):
        ctx = Context(sizes=settings.quick.model_copy(update={"replications": 3, "persistence_years": 10}),
                      seed=1, folder=folder)
        city = ctx.scenario("city_persistence.toml").with_parameters({"mobility.in_mover_skill_income": income})
        # from the file's starting figures after the default spin-up: the file's 20 years of spin-up let the
        # areas converge (or sort) before year 1, which would hide what this test measures
        city = qsim.scenario_from_dict({**city.model_dump(), "spinup_months": 48}, city.source)
        ctx.scenario = lambda name, city=city, load=ctx.scenario: city if name == "city_persistence.toml" else load(name)
        spread[income] = _persistence(ctx, False)[1]
    assert spread[1.0] > -0.15, spread
    assert spread[0.0] < spread[1.0] - 0.15, spread
