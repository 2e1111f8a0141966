"""The browser dashboard: a scenario in Mesa's SolaraViz (``qsim dashboard SCENARIO``).

The page shows the blocks of one area coloured by a chosen block layer, the
current values and monthly time series of the main indicators, for a city
with polygons a map of a chosen indicator by forecast area and its difference
to the same city without measures (:func:`city_figure`), and, in the
side bar, Mesa's play / step / reset buttons and the scenario's controls: each
measure on or off, its capacity (and its budget if the scenario sets one) and
each funding source's yearly amount. A changed control takes effect at the
next Reset, which rebuilds the model from the changed scenario.

``solara run qsim.mesa.dashboard`` serves :func:`Page`; the scenario file is
read from the environment variable ``QSIM_DASHBOARD_SCENARIO`` (the ``qsim
dashboard`` command sets it).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import solara
from matplotlib.figure import Figure

# Mesa's SolaraViz trips solara's rules-of-hooks check, which warns at length on import; the page works
warnings.filterwarnings("ignore", message=r".*mesa[/\\]visualization[/\\]solara_viz\.py", category=UserWarning)
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from ..errors import QsimError
from ..experiment.design import apply_point
from .. import indicators as registry
from ..measures.catalogue import CATALOGUE
from ..plots import label_panel
from ..scenario import Scenario, load_scenario, scenario_from_dict
from .model import BLOCK_LAYERS, QsimModel

SCENARIO_ENV = "QSIM_DASHBOARD_SCENARIO"
LANG_ENV = "QSIM_DASHBOARD_LANG"
WORDS: dict[str, dict[str, str]] = {
    "en": {"on": "on", "capacity": "capacity", "eur_year": "EUR a year", "funding": "funding", "seed": "seed",
           "area_shown": "area shown", "block_layer": "block layer", "month": "Month {month} of {months} (year {year})",
           "block_x": "block x", "block_y": "block y", "map_title": "area {area}, month {month}",
           "indicator": "indicator (all areas)", "option": "this option", "baseline": "without measures (same seed)",
           "this_run": "This run", "off": "off", "start_hint": "Press Step or Play: the time series of this option and "
           "of the same neighbourhood without measures (same seed) appear after the first month.",
           "title": "qsim dashboard: {name}", "year": "year", "map_indicator": "indicator on the map",
           "city_option": "this option, month {month}", "city_difference": "difference to without measures",
           "outline": "black outline: forecast areas with this option's measures ({n} planning areas)"},
    "de": {"on": "an", "capacity": "Umfang", "eur_year": "EUR im Jahr", "funding": "Förderung", "seed": "Zufallsstart",
           "area_shown": "gezeigtes Gebiet", "block_layer": "Kartenebene", "month": "Monat {month} von {months} "
           "(Jahr {year})", "block_x": "Block x", "block_y": "Block y", "map_title": "Gebiet {area}, Monat {month}",
           "indicator": "Indikator (alle Gebiete)", "option": "diese Option",
           "baseline": "ohne Maßnahmen (gleicher Zufallsstart)", "this_run": "Dieser Lauf", "off": "aus",
           "start_hint": "Auf Step oder Play drücken: die Zeitreihen dieser Option und desselben Quartiers ohne "
           "Maßnahmen (gleicher Zufallsstart) erscheinen nach dem ersten Monat.",
           "title": "qsim-Dashboard: {name}", "year": "Jahr", "map_indicator": "Indikator auf der Karte",
           "city_option": "diese Option, Monat {month}", "city_difference": "Unterschied zu ohne Maßnahmen",
           "outline": "schwarz umrandet: Prognoseräume mit Maßnahmen dieser Option ({n} Planungsräume)"},
}
"""The dashboard's own words in each language (indicator names come from the registry, measure and funding names
from the scenario's ``label_<lang>`` or the catalogue)."""
LAYER_WORDS = {"households": "Haushalte", "minority_share": "Anteil Minderheit", "unemployment": "Arbeitslosigkeit",
               "disorder": "Verwahrlosung", "collective_efficacy": "kollektive Wirksamkeit",
               "building_quality": "Gebäudezustand"}
"""The block layers in German (in English their names)."""
MAIN_INDICATORS = ("unemployment_rate", "out_group_trust", "collective_efficacy", "participation_rate",
                   "segregation_index", "cumulative_cost")
"""qsim's indicators plotted over time and listed under the map (with every indicator registered beyond
qsim's own: :func:`shown_indicators`)."""
LAYER_RANGES = {"households": None, "minority_share": (0.0, 1.0), "unemployment": (0.0, 1.0),
                "disorder": (0.0, 1.0), "collective_efficacy": (0.0, 1.0), "building_quality": (0.0, 1.0)}
"""Fixed colour ranges of the block layers so that colours compare across months (None: 0 to the maximum)."""


class DashboardError(QsimError):
    """A control the scenario does not have."""


def shown_indicators() -> list[str]:
    """The indicators the dashboard shows: MAIN_INDICATORS and those registered beyond qsim's own."""
    own = {ind.name for ind in registry.CATALOGUE}
    return list(MAIN_INDICATORS) + [n for n in registry.names() if n not in own]


# ------------------------------------------------------------------ controls
def _slider(label: str, value: float, low: float, high: float, step: float) -> dict[str, Any]:
    """A Mesa user parameter: an integer slider when value and step are whole numbers."""
    whole = float(value).is_integer() and float(step).is_integer()
    kind, cast = ("SliderInt", int) if whole else ("SliderFloat", float)
    return {"type": kind, "label": label, "value": cast(value), "min": cast(low), "max": cast(high),
            "step": cast(step)}


def _money_step(amount: float) -> float:
    """A round slider step for an amount in EUR: about a twentieth of it, at least 1,000."""
    return float(max(1000, round(amount / 20, -3)))


def scenario_controls(scenario: Scenario, lang: str = "en") -> dict[str, dict[str, Any]]:
    """The dashboard's controls of a scenario, as Mesa user parameters keyed by setting, labelled in ``lang``
    with the scenario's names for readers and the value they start at.

    Keys: ``measures.<name>.on``, ``measures.<name>.capacity`` (in the type's unit),
    ``measures.<name>.budget_per_year`` (EUR, only where the scenario sets it) and
    ``funding.<source>.amount_per_year`` (EUR); each starts at the scenario's value.
    """
    w = WORDS[lang]
    params: dict[str, dict[str, Any]] = {}
    for m in scenario.measures:
        name, title, unit = m.label, m.title(lang), CATALOGUE[m.type].unit
        params[f"measures.{name}.on"] = {"type": "Checkbox", "label": f"{title}: {w['on']}", "value": True}
        units = float(m.units)
        step = 1.0 if units.is_integer() and units >= 2 else units / 4  # capacity must stay above 0
        params[f"measures.{name}.capacity"] = _slider(f"{title}: {w['capacity']} ({unit}; {units:g} {unit} at the "
                                                      f"start)" if lang == "en" else f"{title}: {w['capacity']} "
                                                      f"(Start {_de(units)})", units, step, 3 * units, step)
        if m.budget_per_year is not None:
            step = _money_step(m.budget_per_year)
            params[f"measures.{name}.budget_per_year"] = _slider(
                f"{title}: {w['eur_year']} ({_money(m.budget_per_year, lang)})", m.budget_per_year, 0,
                max(3 * m.budget_per_year, 20 * step), step)
    for source, f in scenario.funding.items():
        step = _money_step(f.amount_per_year)
        params[f"funding.{source}.amount_per_year"] = _slider(
            f"{w['funding']} {scenario.funding_title(source, lang)}: {w['eur_year']} "
            f"({_money(f.amount_per_year, lang)})", f.amount_per_year, 0, max(3 * f.amount_per_year, 20 * step), step)
    return params


def _de(x: float) -> str:
    """A number in German notation (decimal comma, thousands dot)."""
    return f"{x:,.6g}".replace(",", "_").replace(".", ",").replace("_", ".")


def _money(eur: float, lang: str) -> str:
    """An amount in EUR as written in ``lang`` (``320,000 EUR``, ``320.000 EUR``)."""
    text = f"{eur:,.0f}"
    return (text.replace(",", ".") if lang == "de" else text) + " EUR"


def baseline_of(scenario: Scenario) -> Scenario:
    """The same neighbourhood without measures, QM office or funding: what the dashboard draws beside the option."""
    data = scenario.model_dump()
    data.update(measures=[], qm_office=None, qm_offices=[], funding={})
    return scenario_from_dict(data, scenario.source, Path(scenario.source).parent)


def apply_controls(scenario: Scenario, controls: dict[str, Any]) -> Scenario:
    """A copy of ``scenario`` with the settings of :func:`scenario_controls` (measures switched off removed)."""
    known = scenario_controls(scenario)
    unknown = [key for key in controls if key not in known]
    if unknown:
        raise DashboardError(f"scenario {scenario.source}: no control {', '.join(unknown)}; controls: "
                             f"{', '.join(known) or '(none)'}")
    measure_settings = {k: float(v) for k, v in controls.items() if k.startswith("measures.") and
                        not k.endswith(".on")}
    changed = apply_point(scenario, measure_settings) if measure_settings else scenario
    data = changed.model_dump()
    for key, value in controls.items():
        if key.startswith("funding."):
            name, _, setting = key.removeprefix("funding.").rpartition(".")
            data["funding"][name][setting] = float(value)
    data["measures"] = [m for m in data["measures"] if controls.get(f"measures.{m['name'] or m['type']}.on", True)]
    return scenario_from_dict(data, scenario.source, Path(scenario.source).parent)


def model_params(scenario: Scenario, lang: str = "en") -> dict[str, Any]:
    """SolaraViz's ``model_params`` for :class:`DashboardModel`: the scenario, language, seed, area and controls."""
    w = WORDS[lang]
    params: dict[str, Any] = {"scenario": scenario, "lang": lang,
                              "seed": {"type": "SliderInt", "label": f"{w['seed']} ({scenario.scenario.seed} at "
                                       "the start)" if lang == "en" else f"{w['seed']} (Start "
                                       f"{scenario.scenario.seed})", "value": scenario.scenario.seed,
                                       "min": 0, "max": max(100, scenario.scenario.seed), "step": 1}}
    areas = [a.name for a in scenario.areas]
    params["area"] = {"type": "Select", "label": w["area_shown"], "value": areas[0], "values": areas} \
        if len(areas) > 1 else areas[0]
    return params | scenario_controls(scenario, lang)


class DashboardModel(QsimModel):
    """A :class:`QsimModel` of ``scenario`` changed by the dashboard's controls (keys of :func:`scenario_controls`),
    stepped together with ``baseline``: the same neighbourhood without measures and with the same seed (so that
    the difference between the two is the option's effect, not chance). ``lang``: the language of its texts."""

    # Mesa's SolaraViz accepts a catch-all of keyword arguments only under the name ``kwargs``
    def __init__(self, scenario: Scenario, seed: int | None = None, area: str | None = None, lang: str = "en",
                 **kwargs: Any):
        super().__init__(apply_controls(scenario, kwargs), seed=seed, area=area)
        self.city = scenario.city  # the controls' copy of the scenario has the areas, not the table
        self.controls = dict(kwargs)
        self.lang = lang
        self.baseline = QsimModel(baseline_of(scenario), seed=seed, area=area) if scenario.all_measures() else None

    def step(self) -> None:
        super().step()
        if self.baseline is not None:
            self.baseline.step()


# ---------------------------------------------------------------- components
def _month_label(model: DashboardModel) -> str:
    return WORDS[model.lang]["month"].format(month=model.month, months=model.simulation.months,
                                             year=max(1, -(-model.month // 12)))


def _number(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if unit == "EUR" else f"{value:.3f}"


def _settings_text(model: DashboardModel) -> str:
    """The controls this run was built with, in words (what Reset applied)."""
    sc, lang = model.simulation.scenario, model.lang
    w = WORDS[lang]
    parts = [f"{w['seed']} {model.simulation.seed}"]
    for m in sc.measures:
        money = f", {_money(m.budget_per_year, lang)}/{w['eur_year'].split()[-1]}" if m.budget_per_year is not None \
            else ""
        parts.append(f"{m.title(lang)} {m.units:g} {CATALOGUE[m.type].unit}{money}")
    switched_off = [k.removeprefix("measures.").removesuffix(".on") for k, v in model.controls.items()
                    if k.endswith(".on") and not v]
    parts += [f"{name} {w['off']}" for name in switched_off]
    parts += [f"{w['funding']} {sc.funding_title(name, lang)} {_money(f.amount_per_year, lang)}"
              for name, f in sc.funding.items()]
    return f"{w['this_run']}: " + "; ".join(parts)


@solara.component
def BlockMap(model: DashboardModel):
    """The blocks of the shown area coloured by a chosen layer, the main indicators now and the run's settings."""
    update_counter.get()
    w, lang = WORDS[model.lang], model.lang
    layer = solara.use_reactive("unemployment")
    grid = getattr(model.grid, layer.value).data
    nx, ny = grid.shape
    area = model.simulation.state.area_names[model.area_index]
    fig = Figure(figsize=(5.2, 4.2))
    ax = fig.add_subplot()
    low, high = LAYER_RANGES[layer.value] or (0.0, max(1.0, float(grid.max())))
    image = ax.imshow(grid.T, origin="lower", cmap="viridis", vmin=low, vmax=high)
    fig.colorbar(image, ax=ax, label=_layer_label(layer.value, lang))
    ax.set_xticks(range(nx))
    ax.set_yticks(range(ny))
    ax.set_xlabel(w["block_x"])
    ax.set_ylabel(w["block_y"])
    ax.set_title(w["map_title"].format(area=area, month=model.month), fontsize=10)
    values = {name: _number(model.indicator(name), registry.get(name).unit) if model.month > 0 else "–"
              for name in shown_indicators()}
    rows = "".join(f"<tr><td>{registry.get(name).label(lang)}</td><td class='qsim-{name}'>{value}</td></tr>"
                   for name, value in values.items())
    with solara.Column(classes=["qsim-map"]):
        solara.Select(w["block_layer"], value=layer, values=list(BLOCK_LAYERS))
        solara.FigureMatplotlib(fig, format="png", dependencies=[model, model.month, layer.value])
        solara.Text(_month_label(model), classes=["qsim-month"])
        solara.HTML(tag="table", unsafe_innerHTML=f"<tr><th>{w['indicator']}</th><th>{w['option']}</th></tr>{rows}",
                    classes=["qsim-now"])
        solara.Text(_settings_text(model), classes=["qsim-settings"])


def _layer_label(layer: str, lang: str) -> str:
    return LAYER_WORDS[layer] if lang == "de" else layer.replace("_", " ")


def indicator_figure(model: DashboardModel) -> Figure:
    """Monthly time series of the main indicators (all areas): the option, and beside it the same neighbourhood
    without measures and with the same seed (grey)."""
    w, lang = WORDS[model.lang], model.lang
    frame = model.datacollector.get_model_vars_dataframe().iloc[1:]  # row 0: collected before the first month
    years = frame.index.to_numpy() / 12.0  # row k: after month k
    base = model.baseline.datacollector.get_model_vars_dataframe().iloc[1:] if model.baseline is not None else None
    names = shown_indicators()
    rows = -(-len(names) // 2)
    fig = Figure(figsize=(6.4, 2.4 * rows + 0.4))
    axes = fig.subplots(rows, 2, squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, names):
        if base is not None:
            ax.plot(base.index.to_numpy() / 12.0, base[name].to_numpy(), color="0.55", lw=1.2, label=w["baseline"])
        ax.plot(years, frame[name].to_numpy(), color="tab:blue", lw=1.4, label=w["option"])
        ax.set_xlim(0, model.simulation.months / 12)
        label_panel(ax, name, registry.get(name).unit_label(lang))
        ax.set_title(registry.get(name).label(lang), fontsize=8)
        ax.set_xlabel(w["year"], fontsize=8)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=2, fontsize=8, frameon=False, bbox_to_anchor=(0.5, 0.995))
    fig.suptitle(f"{model.simulation.scenario.title(lang)}: {_month_label(model)}", fontsize=10, y=0.955)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.07, top=0.88, wspace=0.38, hspace=0.6)  # tight_layout: slow
    return fig


@solara.component
def IndicatorPlots(model: DashboardModel):
    """The indicator time series (:func:`indicator_figure`); before the first month a hint instead of empty axes."""
    update_counter.get()
    with solara.Column(classes=["qsim-plots"]):
        if model.month == 0:
            solara.Info(WORDS[model.lang]["start_hint"], classes=["qsim-start-hint"])
        else:
            solara.FigureMatplotlib(indicator_figure(model), format="png", dependencies=[model, model.month])


def city_figure(model: DashboardModel, indicator: str) -> Figure:
    """Maps by forecast area of a city with polygons: ``indicator`` now in this option and its difference to the
    same city without measures (same seed), the forecast areas with measures outlined, the data's sources
    below."""
    from ..city_effects import chosen_areas
    from ..maps import Panel, map_figure

    w, lang, city = WORDS[model.lang], model.lang, model.city
    entry = registry.get(indicator)
    now = pd.Series(model.indicator_by_area(indicator), dtype=float)
    households = pd.Series(model.indicator_by_area("households"), dtype=float)
    panels = [Panel(now, w["city_option"].format(month=model.month), entry.unit_label(lang), households)]
    if model.baseline is not None:
        difference = now - pd.Series(model.baseline.indicator_by_area(indicator), dtype=float)
        panels.append(Panel(difference, w["city_difference"], entry.unit_label(lang), households, diverging=True))
    return map_figure(panels, table=city.table, polygons=city.polygons, attribution=city.attribution,
                      title=entry.label(lang), outline=chosen_areas(model.simulation.scenario),
                      outline_note=w["outline"], plain=True)


@solara.component
def CityMap(model: DashboardModel):
    """A chosen indicator by forecast area (:func:`city_figure`); before the first month the start hint."""
    update_counter.get()
    w = WORDS[model.lang]
    indicator = solara.use_reactive("unemployment_rate")
    with solara.Column(classes=["qsim-city-map"]):
        solara.Select(w["map_indicator"], value=indicator, values=list(registry.names()))
        if model.month == 0:
            solara.Info(w["start_hint"])
        else:
            solara.FigureMatplotlib(city_figure(model, indicator.value), format="png",
                                    dependencies=[model, model.month, indicator.value])


def dashboard(scenario: Scenario, lang: str = "en") -> solara.Element:
    """The SolaraViz page of ``scenario`` in ``lang`` ('en' or 'de'; a fresh model per browser session)."""
    params = model_params(scenario, lang)
    start = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    model = solara.use_memo(lambda: DashboardModel(**start), [])
    components = [(BlockMap, 0), (IndicatorPlots, 0)]
    if scenario.city is not None and scenario.city.polygons is not None:
        components.append((CityMap, 0))
    return SolaraViz(model, components=components, model_params=params,
                     name=WORDS[lang]["title"].format(name=scenario.title(lang)))


@solara.component
def Page():
    """The page ``solara run qsim.mesa.dashboard`` serves: the scenario file named by ``QSIM_DASHBOARD_SCENARIO``."""
    path = os.environ.get(SCENARIO_ENV)
    if not path:
        raise DashboardError(f"no scenario: set {SCENARIO_ENV} to a scenario file (qsim dashboard does)")
    return dashboard(load_scenario(path), os.environ.get(LANG_ENV, "en"))
