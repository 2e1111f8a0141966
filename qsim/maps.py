"""Maps of a city run: choropleths by forecast area (planning areas aggregated up), drawn with matplotlib.

The polygons are the city's forecast areas (GeoJSON, WGS84; Berlin's 58
"Prognoseräume" ship with qsim). The values of a run are per planning area;
a forecast area shows the mean of its planning areas weighted by their
resident households (for the status classes: the class of the weighted mean
status index). Planning areas are matched to forecast areas through the city
table (columns plr_name and pgr_id; docs/scenario-reference.md).

:func:`map_of_areas` draws any values by planning area (also differences
between two runs, :func:`difference_by_area`); :func:`result_map` is behind
``Result.plot_map``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .city import BERLIN_POLYGONS, BERLIN_TABLE, CityTable, data_attribution, read_city_table
from .errors import QsimError
from .mss import STATUS_CLASSES, mss_indices, status_classes

MSS_MAPS = ("status_index", "status_class", "dynamics_index")
CLASS_COLOURS = {"high": "#1a9641", "medium": "#ffffbf", "low": "#fdae61", "very low": "#d7191c"}
NO_DATA = "#dddddd"
PANEL_SIZE = (5.2, 4.6)  # inches per map


@functools.lru_cache(maxsize=4)
def forecast_polygons(path: str | Path = BERLIN_POLYGONS) -> dict[str, list[np.ndarray]]:
    """The rings (arrays of lon, lat) of each forecast area of a GeoJSON file, by ``pgr_id``."""
    try:
        features = json.loads(Path(path).read_text(encoding="utf-8"))["features"]
        out: dict[str, list[np.ndarray]] = {}
        for f in features:
            geometry = f["geometry"]
            polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
            out[str(f["properties"]["pgr_id"])] = [np.asarray(ring, float) for poly in polygons for ring in poly]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise QsimError(f"{path}: cannot be read as GeoJSON polygons of forecast areas with a property pgr_id "
                        f"({type(e).__name__}: {e})") from None
    return out


def by_forecast_area(values: pd.Series, weights: pd.Series, table: CityTable) -> pd.Series:
    """Weighted means of ``values`` (by planning-area name) per forecast area (``pgr_id``); NaN values are left
    out. Raises QsimError if an area is not in the table."""
    pgr = dict(zip(table.name, table.pgr_id))
    unknown = [a for a in values.index if a not in pgr]
    if unknown:
        raise QsimError(f"area(s) {', '.join(map(repr, unknown[:5]))} are not in the city table {table.path}; "
                        "maps need a run of a city scenario and its table")
    frame = pd.DataFrame({"value": values.astype(float), "weight": weights.reindex(values.index).astype(float)})
    frame = frame[frame["value"].notna()]
    frame["pgr"] = [pgr[a] for a in frame.index]
    frame["product"] = frame["value"] * frame["weight"]
    sums = frame.groupby("pgr")[["product", "weight"]].sum()
    return sums["product"] / sums["weight"]


def difference_by_area(option: pd.DataFrame, baseline: pd.DataFrame, indicator: str, year: int) -> pd.Series:
    """Option minus baseline of an indicator in December of ``year``, by area (from two ``Result.indicators``
    frames, or frames of replicate means in the same columns)."""
    month = 12 * year - 1

    def at(frame: pd.DataFrame) -> pd.Series:
        rows = frame[(frame["month"] == month) & (frame["area"] != "all")]
        if rows.empty:
            raise QsimError(f"no December of year {year} in the results")
        return rows.set_index("area")[indicator]

    return at(option) - at(baseline)


@dataclass(frozen=True)
class Panel:
    """One map of a figure: values by planning area (a Series indexed by area name), aggregated to forecast areas
    weighted by ``weights`` (e.g. households; equal weights if None). ``diverging``: a colour scale centred on 0
    (differences); ``classes``: the values are status indices, drawn as MSS status classes; ``label``: the
    colour bar's label (the unit)."""

    values: pd.Series
    title: str = ""
    label: str = ""
    weights: pd.Series | None = None
    diverging: bool = False
    classes: bool = False


def map_figure(panels: list[Panel], *, table: str | Path | CityTable = BERLIN_TABLE,
               polygons: str | Path = BERLIN_POLYGONS, title: str = "", attribution: str | None = None,
               outline: tuple[str, ...] | list[str] = (), outline_note: str = "black outline: forecast areas with "
               "the chosen areas ({n})", path: str | Path | None = None, plain: bool = False):
    """Choropleths by forecast area, three to a row, with the data's attribution below (``attribution``; default:
    Berlin's for the shipped Berlin table, none for another table). ``outline``: area names whose forecast areas
    get a black outline (e.g. the areas with QM), explained by ``outline_note`` ({n}: their number). ``plain``: a
    matplotlib Figure without pyplot (for reports and the dashboard; a figure for ``path`` is always plain). Returns the figure (saved to ``path`` if given)."""
    from matplotlib.figure import Figure

    from .plots import small_multiples

    table = table if isinstance(table, CityTable) else read_city_table(table)
    attribution = data_attribution(table.path, attribution)
    shapes = forecast_polygons(str(polygons))
    cols, rows = min(3, len(panels)), -(-len(panels) // 3)
    if path is None and not plain:
        fig, axes = small_multiples(len(panels), None, panel=PANEL_SIZE)
    else:
        fig = Figure(figsize=(PANEL_SIZE[0] * cols, PANEL_SIZE[1] * rows))
        axes = fig.subplots(rows, cols, squeeze=False)
    pgr = dict(zip(table.name, table.pgr_id))
    marked = {pgr[a] for a in outline if a in pgr}
    for ax, panel in zip(axes.flat, panels):
        weights = panel.weights if panel.weights is not None else pd.Series(1.0, index=panel.values.index)
        _draw(fig, ax, by_forecast_area(panel.values, weights, table), shapes, panel, marked)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    notes = ([outline_note.format(n=len(outline))] if marked else []) + \
        ([attribution] if attribution else [])
    fig.tight_layout(rect=(0, 0.03 * len(notes) / rows, 1, 0.97))
    for k, note in enumerate(notes):
        fig.text(0.01, 0.005 + 0.03 * k / rows, note, fontsize=6.5, color="0.3", ha="left", va="bottom")
    if path is not None:
        fig.savefig(path, dpi=110)
        if fig.canvas.manager is not None:  # a pyplot figure: release it
            import matplotlib.pyplot as plt

            plt.close(fig)
    return fig


def _draw(fig, ax, means: pd.Series, shapes: dict[str, list[np.ndarray]], panel: Panel, marked: set[str]) -> None:
    """One choropleth of ``means`` by forecast area on ``ax``, with its legend or colour bar."""
    import matplotlib
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize, TwoSlopeNorm
    from matplotlib.patches import Patch, PathPatch
    from matplotlib.path import Path as MplPath

    finite = means[np.isfinite(means)]
    if panel.classes:
        colour = {p: CLASS_COLOURS[c] for p, c in zip(finite.index, status_classes(finite.to_numpy()))}
    else:
        low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        if panel.diverging:
            bound = max(abs(low), abs(high), 1e-12)
            norm, cmap = TwoSlopeNorm(0.0, -bound, bound), "RdBu_r"
        else:
            norm, cmap = Normalize(low, high if high > low else low + 1e-12), "viridis"
        colour = dict(zip(finite.index, matplotlib.colormaps[cmap](norm(finite.to_numpy()))))
    for key, rings in shapes.items():
        compound = MplPath.make_compound_path(*(MplPath(ring, closed=True) for ring in rings))
        ax.add_patch(PathPatch(compound, facecolor=colour.get(key, NO_DATA), edgecolor="white", linewidth=0.6))
    for key in marked & set(shapes):  # on top, so that no neighbour's white edge covers the outline
        compound = MplPath.make_compound_path(*(MplPath(ring, closed=True) for ring in shapes[key]))
        ax.add_patch(PathPatch(compound, facecolor="none", edgecolor="black", linewidth=1.4))
    points = np.concatenate([r for rings in shapes.values() for r in rings])
    ax.set_xlim(points[:, 0].min(), points[:, 0].max())
    ax.set_ylim(points[:, 1].min(), points[:, 1].max())
    ax.set_aspect(1.0 / np.cos(np.radians(points[:, 1].mean())))  # degrees of longitude are shorter
    ax.set_axis_off()
    ax.set_title(panel.title, fontsize=9)
    if panel.classes:
        ax.legend(handles=[Patch(color=CLASS_COLOURS[c], label=c) for c in STATUS_CLASSES] +
                  [Patch(color=NO_DATA, label="no data")], title="status", loc="lower left", fontsize=7,
                  title_fontsize=7)
    else:
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7)
        bar.set_label(panel.label, fontsize=8)
        bar.ax.tick_params(labelsize=7)


def map_of_areas(values: pd.Series, weights: pd.Series | None = None, *, title: str = "", label: str = "",
                 diverging: bool = False, path: str | Path | None = None, table: str | Path | CityTable = BERLIN_TABLE,
                 polygons: str | Path = BERLIN_POLYGONS, classes: bool = False, attribution: str | None = None):
    """A choropleth of values by planning area (a Series indexed by area name), aggregated to forecast areas:
    one :class:`Panel` of :func:`map_figure` (see there). Returns the figure (saved to ``path`` if given)."""
    return map_figure([Panel(values, "", label, weights, diverging, classes)], table=table, polygons=polygons,
                      title=title, attribution=attribution, path=path)


def result_map(result, indicator: str, year: int | None = None, path: str | Path | None = None,
               table: str | Path | CityTable = BERLIN_TABLE, polygons: str | Path = BERLIN_POLYGONS,
               attribution: str | None = None):
    """The map behind ``Result.plot_map``: an indicator (December of ``year``, default the last) or an MSS
    index (status_index, status_class, dynamics_index) by forecast area; ``attribution``: see
    :func:`map_figure`."""
    from . import indicators as registry

    ind = result.indicators
    ind = ind[ind["area"] != "all"]
    last = int((ind["month"].max() + 1) // 12)
    year = last if year is None else year
    if not 1 <= year <= last:
        raise QsimError(f"no December of year {year} in this run: it has {last} complete year(s)")
    december = ind[ind["month"] == 12 * year - 1].set_index("area")
    households = december["households"]
    if indicator in MSS_MAPS:
        mss = mss_indices(result.indicators, year).set_index("area")
        column = "status_index" if indicator == "status_class" else indicator
        return map_of_areas(mss[column], households, title=f"{result.scenario}: {indicator.replace('_', ' ')}, "
                            f"year {year}", label=column.replace("_", " "), classes=indicator == "status_class",
                            diverging=indicator == "dynamics_index", path=path, table=table, polygons=polygons,
                            attribution=attribution)
    registry.checked_names(indicator)
    unit = registry.get(indicator).unit
    return map_of_areas(december[indicator], households, title=f"{result.scenario}: {indicator.replace('_', ' ')}, "
                        f"year {year}", label=unit, path=path, table=table, polygons=polygons,
                        attribution=attribution)


__all__ = ["Panel", "by_forecast_area", "difference_by_area", "forecast_polygons", "map_figure", "map_of_areas",
           "result_map"]
