"""The browser dashboard: a scenario in Mesa's SolaraViz (``qsim dashboard SCENARIO``).

The page shows the blocks of one area coloured by a chosen block layer, the
current values and monthly time series of the main indicators, and, in the
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


def scenario_controls(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """The dashboard's controls of a scenario, as Mesa user parameters keyed by setting.

    Keys: ``measures.<name>.on``, ``measures.<name>.capacity`` (in the type's unit),
    ``measures.<name>.budget_per_year`` (EUR, only where the scenario sets it) and
    ``funding.<source>.amount_per_year`` (EUR); each starts at the scenario's value.
    """
    params: dict[str, dict[str, Any]] = {}
    for m in scenario.measures:
        name, unit = m.label, CATALOGUE[m.type].unit
        params[f"measures.{name}.on"] = {"type": "Checkbox", "label": f"{name}: on", "value": True}
        units = float(m.units)
        step = 1.0 if units.is_integer() and units >= 2 else units / 4  # capacity must stay above 0
        params[f"measures.{name}.capacity"] = _slider(f"{name}: {unit}", units, step, 3 * units, step)
        if m.budget_per_year is not None:
            step = _money_step(m.budget_per_year)
            params[f"measures.{name}.budget_per_year"] = _slider(
                f"{name}: EUR/year", m.budget_per_year, 0, max(3 * m.budget_per_year, 20 * step), step)
    for source, f in scenario.funding.items():
        step = _money_step(f.amount_per_year)
        params[f"funding.{source}.amount_per_year"] = _slider(
            f"funding {source}: EUR/year", f.amount_per_year, 0, max(3 * f.amount_per_year, 20 * step), step)
    return params


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


def model_params(scenario: Scenario) -> dict[str, Any]:
    """SolaraViz's ``model_params`` for :class:`DashboardModel`: the scenario, seed, area and controls."""
    params: dict[str, Any] = {"scenario": scenario,
                              "seed": {"type": "SliderInt", "label": "seed", "value": scenario.scenario.seed,
                                       "min": 0, "max": max(100, scenario.scenario.seed), "step": 1}}
    areas = [a.name for a in scenario.areas]
    params["area"] = {"type": "Select", "label": "area shown", "value": areas[0], "values": areas} \
        if len(areas) > 1 else areas[0]
    return params | scenario_controls(scenario)


class DashboardModel(QsimModel):
    """A :class:`QsimModel` of ``scenario`` changed by the dashboard's controls (keys of :func:`scenario_controls`)."""

    # Mesa's SolaraViz accepts a catch-all of keyword arguments only under the name ``kwargs``
    def __init__(self, scenario: Scenario, seed: int | None = None, area: str | None = None, **kwargs: Any):
        super().__init__(apply_controls(scenario, kwargs), seed=seed, area=area)
        self.controls = dict(kwargs)


# ---------------------------------------------------------------- components
def _month_label(model: QsimModel) -> str:
    return f"Month {model.month} of {model.simulation.months} (year {max(1, -(-model.month // 12))})"


def _number(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if unit == "EUR" else f"{value:.3f}"


def _settings_text(model: DashboardModel) -> str:
    """The controls this run was built with, in words (what Reset applied)."""
    sc = model.simulation.scenario
    parts = [f"seed {model.simulation.seed}"]
    for m in sc.measures:
        money = f", {m.budget_per_year:,.0f} EUR/year" if m.budget_per_year is not None else ""
        parts.append(f"{m.label} {m.units:g} {CATALOGUE[m.type].unit}{money}")
    switched_off = [k.removeprefix("measures.").removesuffix(".on") for k, v in model.controls.items()
                    if k.endswith(".on") and not v]
    parts += [f"{name} off" for name in switched_off]
    parts += [f"funding {name} {f.amount_per_year:,.0f} EUR/year" for name, f in sc.funding.items()]
    return "This run: " + "; ".join(parts)


@solara.component
def BlockMap(model: DashboardModel):
    """The blocks of the shown area coloured by a chosen layer, the main indicators now and the run's settings."""
    update_counter.get()
    layer = solara.use_reactive("unemployment")
    grid = getattr(model.grid, layer.value).data
    nx, ny = grid.shape
    area = model.simulation.state.area_names[model.area_index]
    fig = Figure(figsize=(5.2, 4.2))
    ax = fig.add_subplot()
    low, high = LAYER_RANGES[layer.value] or (0.0, max(1.0, float(grid.max())))
    image = ax.imshow(grid.T, origin="lower", cmap="viridis", vmin=low, vmax=high)
    fig.colorbar(image, ax=ax, label=layer.value.replace("_", " "))
    ax.set_xticks(range(nx))
    ax.set_yticks(range(ny))
    ax.set_xlabel("block x")
    ax.set_ylabel("block y")
    ax.set_title(f"area {area}, month {model.month}", fontsize=10)
    values = {name: _number(model.indicator(name), registry.get(name).unit) if model.month > 0 else "–"
              for name in shown_indicators()}
    rows = "".join(f"<tr><td>{name.replace('_', ' ')}</td><td class='qsim-{name}'>{value}</td></tr>"
                   for name, value in values.items())
    with solara.Column(classes=["qsim-map"]):
        solara.Select("block layer", value=layer, values=list(BLOCK_LAYERS))
        solara.FigureMatplotlib(fig, format="png", dependencies=[model, model.month, layer.value])
        solara.Text(_month_label(model), classes=["qsim-month"])
        solara.HTML(tag="table", unsafe_innerHTML=f"<tr><th>indicator (all areas)</th><th>now</th></tr>{rows}",
                    classes=["qsim-now"])
        solara.Text(_settings_text(model), classes=["qsim-settings"])


@solara.component
def IndicatorPlots(model: QsimModel):
    """Monthly time series of the main indicators (all areas) since the start."""
    update_counter.get()
    frame = model.datacollector.get_model_vars_dataframe().iloc[1:]  # row 0: collected before the first month
    years = frame.index.to_numpy() / 12.0  # row k: after month k
    names = shown_indicators()
    rows = -(-len(names) // 2)
    fig = Figure(figsize=(6.4, 2.4 * rows))
    axes = fig.subplots(rows, 2, squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, names):
        ax.plot(years, frame[name].to_numpy(), color="tab:blue", lw=1.2)
        ax.set_xlim(0, model.simulation.months / 12)
        label_panel(ax, name, registry.get(name).unit)
    fig.suptitle(f"{model.simulation.scenario.name}: month {model.month}", fontsize=10)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.07, top=0.92, wspace=0.38, hspace=0.5)  # tight_layout: slow
    with solara.Column(classes=["qsim-plots"]):
        solara.FigureMatplotlib(fig, format="png", dependencies=[model, model.month])


def dashboard(scenario: Scenario) -> solara.Element:
    """The SolaraViz page of ``scenario`` (a fresh model per browser session)."""
    params = model_params(scenario)
    start = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    model = solara.use_memo(lambda: DashboardModel(**start), [])
    return SolaraViz(model, components=[(BlockMap, 0), (IndicatorPlots, 0)], model_params=params,
                     name=f"qsim dashboard: {scenario.name}")


@solara.component
def Page():
    """The page ``solara run qsim.mesa.dashboard`` serves: the scenario file named by ``QSIM_DASHBOARD_SCENARIO``."""
    path = os.environ.get(SCENARIO_ENV)
    if not path:
        raise DashboardError(f"no scenario: set {SCENARIO_ENV} to a scenario file (qsim dashboard does)")
    return dashboard(load_scenario(path))
