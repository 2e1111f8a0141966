"""The indicator registry: an indicator added through the public path reaches every consumer.

The toy indicators recompute built-in ones with numpy (the path of an added indicator), so their values
must equal the numba-computed ones exactly: ``toy_unemployment`` is the share of households whose head is
unemployed (= ``unemployment_rate``: every household has one head; sums of 0/1 are exact in float64), and
``toy_vacancy`` is each area's vacant dwellings per dwelling (= ``vacancy_rate`` in the area rows; the city
row is the household-weighted mean of the areas). They are registered in this module only and
unregistered after it.
"""

from __future__ import annotations

import numpy as np
import pytest

import qsim
from qsim import indicators as registry
from qsim.errors import QsimError
from qsim.indicators import Indicator, IndicatorError, Mean, Text
from qsim.mesa.model import QsimModel
from qsim.report import html
from qsim.report.labels import indicator_explanation, indicator_label, indicator_unit, text
from qsim.state import LONG_TERM_UNEMPLOYED, SHORT_TERM_UNEMPLOYED
from conftest import small_scenario
from test_experiment_compare import named


def unemployed_households(state) -> np.ndarray:
    """1 for a household slot whose head is unemployed (short- or long-term), else 0."""
    return np.isin(state.households.labour, (SHORT_TERM_UNEMPLOYED, LONG_TERM_UNEMPLOYED)).astype(float)


def vacancy_per_area(state) -> np.ndarray:
    """Vacant dwellings per dwelling of each area."""
    n = len(state.areas)
    dwellings = np.bincount(state.dwellings.area, minlength=n)
    vacant = np.bincount(state.dwellings.area, weights=state.dwellings.occupant < 0, minlength=n)
    return vacant / dwellings


TOY_UNEMPLOYMENT = Indicator(
    name="toy_unemployment", unit="share", kind="stock", level="household", compute=unemployed_households,
    better=-1, per_household=True,
    definition="Households whose head is unemployed per household (a test's copy of unemployment_rate).",
    text={"en": Text("Toy unemployment", "Share of households with an unemployed head."),
          "de": Text("Spielzeug-Arbeitslosigkeit", "Anteil der Haushalte mit arbeitslosem Haushaltsvorstand.")})
TOY_VACANCY = Indicator(
    name="toy_vacancy", unit="vacant per dwelling", kind="stock", level="area", compute=vacancy_per_area,
    definition="Vacant dwellings per dwelling of the area.",
    unit_text={"en": "vacant per dwelling", "de": "leer je Wohnung"},
    text={"en": Text("Toy vacancy", "Share of empty dwellings."),
          "de": Text("Spielzeug-Leerstand", "Anteil leerer Wohnungen.")})


@pytest.fixture(scope="module", autouse=True)
def toys():
    """The toy indicators, registered for this module's tests only."""
    entries = [registry.register(TOY_UNEMPLOYMENT), registry.register(TOY_VACANCY)]
    try:
        yield entries
    finally:
        for entry in entries:
            registry.unregister(entry.name)


def three_areas() -> qsim.Scenario:
    areas = [dict(name=f"a{k}", households=60 + 15 * k, grid=[2, 2], buildings_per_block=2,
                  dwellings_per_building=12) for k in range(3)]
    return small_scenario(areas=areas, years=2, parameters={"mobility.base_move_rate": 0.1})


@pytest.fixture(scope="module")
def result() -> qsim.Result:
    return qsim.Simulation(three_areas(), seed=5).run()


def test_toys_are_registered_after_qsims_own():
    names = registry.names()
    assert names[-2:] == ("toy_unemployment", "toy_vacancy")
    assert names[:-2] == tuple(ind.name for ind in registry.CATALOGUE)
    assert "toy_unemployment" in qsim.INDICATOR_NAMES
    assert registry.get("toy_vacancy").unit_label("de") == "leer je Wohnung"


def test_added_indicators_equal_their_numba_twins_in_every_row(result):
    by_group = result.indicators_by_group
    np.testing.assert_array_equal(by_group["toy_unemployment"], by_group["unemployment_rate"])
    areas = by_group[by_group["area"] != "all"]
    np.testing.assert_array_equal(areas["toy_vacancy"], areas["vacancy_rate"])
    assert areas["toy_vacancy"].nunique() > 1  # the areas differ: the test could tell them apart


def test_area_indicator_of_the_city_is_the_household_weighted_mean(result):
    df = result.indicators
    areas, city = df[df["area"] != "all"], df[df["area"] == "all"].set_index("month")
    weighted = (areas["toy_vacancy"] * areas["households"]).groupby(areas["month"]).sum() \
        / areas.groupby("month")["households"].sum()
    np.testing.assert_allclose(city["toy_vacancy"], weighted, rtol=1e-12)  # summation order differs: rounding


def test_added_indicator_in_yearly_table_and_summary(result):
    yearly = result.yearly()
    december = result.indicators[result.indicators["month"] % 12 == 11]
    np.testing.assert_array_equal(yearly["toy_unemployment"], december["toy_unemployment"])  # a stock
    summary = result.summary(["toy_unemployment", "unemployment_rate"])
    assert summary.loc["toy_unemployment"].equals(summary.loc["unemployment_rate"])


@pytest.fixture(scope="module")
def comparison() -> qsim.Comparison:
    scenarios = [named("baseline"), named("coaching", [{"type": "job_coaching"}])]
    return qsim.compare(scenarios, replications=4, seed=3, executor=1, years=2, progress=False)


def test_comparison_tables_use_the_declared_better_direction(comparison):
    assert "toy_unemployment" in comparison.indicators
    diff = comparison.differences().set_index(["option", "indicator", "year"])
    np.testing.assert_array_equal(diff.xs("toy_unemployment", level="indicator")["mean"],
                                  diff.xs("unemployment_rate", level="indicator")["mean"])
    summary = comparison.summary(indicators=["toy_unemployment", "unemployment_rate"])
    numbers = summary.drop(columns="practical")  # practical depends on each one's minimum important difference
    np.testing.assert_array_equal(numbers.loc["toy_unemployment"].to_numpy(dtype=float),
                                  numbers.loc["unemployment_rate"].to_numpy(dtype=float))
    # better = -1: the scenario with the lower value is best (with +1 or 0 the ranking would differ or be absent)
    ranking = comparison.ranking().set_index(["indicator", "scenario"])["share_best"]
    yearly = comparison.yearly
    last = yearly[(yearly["year"] == yearly["year"].max()) & (yearly["area"] == "all")]
    values = last.pivot(index="replicate", columns="scenario", values="toy_unemployment")
    lowest = values.eq(values.min(axis=1), axis=0)
    expected = lowest.div(lowest.sum(axis=1), axis=0).mean()
    for scenario in comparison.scenarios:
        assert ranking[("toy_unemployment", scenario)] == pytest.approx(expected[scenario], abs=1e-12)
    # on the area's values: the toy indicator (a function of the state) is not recorded by cohort, so on the
    # default basis (the original residents) only unemployment_rate would be counted among the original residents
    cost = comparison.cost_effectiveness(basis="area").set_index("indicator")
    assert cost.loc["toy_unemployment", "household_years"] == cost.loc["unemployment_rate", "household_years"]
    assert "toy_vacancy" not in cost.index  # no better direction: no cost per unit


def test_report_reads_labels_units_and_direction_from_the_registry(comparison):
    assert indicator_label("toy_unemployment", "de") == "Spielzeug-Arbeitslosigkeit"
    assert indicator_explanation("toy_unemployment", "en") == "Share of households with an unemployed head."
    assert indicator_unit("toy_vacancy", "de") == "leer je Wohnung"
    table = html._indicator_table(comparison.indicators, "de")
    row = next(r for r in table.rows if r[1][0] == "toy_unemployment")
    assert [cell[0] for cell in row] == ["Spielzeug-Arbeitslosigkeit", "toy_unemployment", "Anteil (0-1)",
                                        "Anteil der Haushalte mit arbeitslosem Haushaltsvorstand.",
                                        text("de")["lower"], ""]  # no minimum important difference given


def test_mesa_data_collector_and_dashboard_show_added_indicators():
    from qsim.mesa.dashboard import MAIN_INDICATORS, shown_indicators

    assert shown_indicators() == [*MAIN_INDICATORS, "toy_unemployment", "toy_vacancy"]
    model = QsimModel(three_areas(), seed=5)
    model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame["toy_unemployment"].iloc[-1] == frame["unemployment_rate"].iloc[-1]


def test_registering_during_a_run_is_an_error_not_a_silent_gap():
    sim = qsim.Simulation(three_areas(), seed=5)
    sim.step()
    late = registry.register(Indicator(
        name="toy_late", unit="share", kind="stock", level="household", compute=unemployed_households,
        definition="Registered too late.", text={"en": Text("Late", "Late."), "de": Text("Spät", "Spät.")}))
    try:
        with pytest.raises(QsimError, match="toy_late registered since.*before building a Simulation"):
            sim.result()
    finally:
        registry.unregister(late.name)


@pytest.mark.parametrize("change, message", [
    ({"name": "unemployment_rate"}, "registered already"),
    ({"name": "Toy Name"}, "field name"),
    ({"kind": "yearly"}, "field kind is 'yearly'; expected stock or flow or rate"),
    ({"level": "block"}, "field level"),
    ({"better": 2}, "field better"),
    ({"text": {"en": Text("Toy", "Toy.")}}, "field text"),
    ({"unit": "widgets"}, "field unit_text"),
    ({"compute": Mean("no_such_sum")}, "field compute"),
    ({"compute": 3.0}, "field compute"),
    ({"low": 1.0, "high": 0.0}, "low"),
    ({"level": "area", "per_household": True}, "field per_household"),
])
def test_invalid_entries_are_refused_with_a_clear_error(change, message):
    from dataclasses import replace

    with pytest.raises(IndicatorError, match=message):
        registry.register(replace(TOY_UNEMPLOYMENT, **{"name": "toy_bad", **change}))
    assert "toy_bad" not in registry.names()
    assert issubclass(IndicatorError, QsimError)


def test_registering_a_name_twice_and_removing_qsims_own_are_errors():
    with pytest.raises(IndicatorError, match="'toy_unemployment' is registered already"):
        registry.register(TOY_UNEMPLOYMENT)
    with pytest.raises(IndicatorError, match="one of qsim's own"):
        registry.unregister("unemployment_rate")
    with pytest.raises(IndicatorError, match="did you mean 'toy_unemployment'"):
        registry.get("toy_unemploymnt")


def test_a_compute_of_the_wrong_shape_is_named_in_the_error():
    bad = registry.register(Indicator(
        name="toy_wrong_shape", unit="share", kind="stock", level="household", compute=lambda state: np.zeros(3),
        definition="Wrong.", text={"en": Text("Wrong", "Wrong."), "de": Text("Falsch", "Falsch.")}))
    try:
        with pytest.raises(IndicatorError, match="'toy_wrong_shape'.*one value per household slot"):
            qsim.Simulation(three_areas(), seed=5).step()
    finally:
        registry.unregister(bad.name)
