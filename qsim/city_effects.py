"""Where the effects of a city-wide option are: differences to the baseline by area, by zone, and on maps.

From the yearly values of a comparison (``Comparison.yearly``: one row per
scenario, replicate, year and area), the paired difference option minus
baseline of an indicator

* by area (:func:`area_differences`: the mean over the replicates both
  finished; for maps, :func:`effects_figure`);
* by zone (:func:`zone_effects`): the areas with the option's measures
  ("chosen"), their neighbours (the other planning areas of the same forecast
  areas: the city table has no adjacency), the rest of the city, and the city.
  Per replicate the household-weighted mean of the areas' differences (weights:
  the baseline's households), or for flows (e.g. displacements) and the
  households themselves the sum; then the mean over the replicates with a
  t-interval. An effect in the rest of the city or the neighbours that the
  chosen areas lack (e.g. more displacements, more households) is displacement.

``qsim compare`` writes these tables and maps for city scenarios, and the
``[city]`` section of the baseline (``city.json``), from which ``qsim report``
draws the same maps later (:func:`load_city`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .atomic import atomic_write
from . import indicators as registry
from .city import City, CityAreas, CityTable, city_areas, read_city_table
from .errors import QsimError
from .mss import standardised, status_index

if TYPE_CHECKING:
    from .scenario import Scenario

ZONES = ("chosen", "neighbours", "rest", "city")
ZONE_INDICATORS = ("unemployment_rate", "child_poverty_rate", "transfer_rate", "out_group_trust",
                   "collective_efficacy", "displacements", "move_out_rate", "in_move_rate", "households", "mean_rent")
"""The indicators of the zone table (those a comparison has)."""
MAP_INDICATORS = ("unemployment_rate", "child_poverty_rate")
"""The differences drawn on the maps of every option (beside the baseline's status classes)."""
CITY_FILE = "city.json"
"""The baseline's [city] section in a comparison's results folder (paths absolute)."""
SUMMED = ("households",)
"""Stocks that add up over areas (like flows): their zone value is a sum, not a mean."""


def chosen_areas(option: "Scenario") -> list[str]:
    """The areas an option's measures (and QM offices) target, in the order of the scenario's areas."""
    targeted = {m.target.area for m in option.all_measures() if m.target.area is not None}
    return [a.name for a in option.areas if a.name in targeted]


def _paired(yearly: pd.DataFrame, baseline: str, option: str, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of ``year`` of both scenarios, indexed by (replicate, area), for the replicates both finished."""
    rows = yearly[(yearly["year"] == year) & yearly["scenario"].isin([baseline, option])]
    if rows.empty:
        raise QsimError(f"no year {year} for {baseline!r} and {option!r} in the comparison")
    base = rows[rows["scenario"] == baseline].set_index(["replicate", "area"])
    opt = rows[rows["scenario"] == option].set_index(["replicate", "area"])
    both = sorted(set(base.index.get_level_values(0)) & set(opt.index.get_level_values(0)))
    if not both:
        raise QsimError(f"no replicate of year {year} finished for both {baseline!r} and {option!r}")
    return base.loc[both], opt.loc[both]


def area_differences(yearly: pd.DataFrame, baseline: str, option: str, indicator: str, year: int) -> pd.Series:
    """Option minus baseline of ``indicator`` in ``year`` by area (not the city row), mean over the paired
    replicates."""
    base, opt = _paired(yearly, baseline, option, year)
    diff = (opt[indicator] - base[indicator].reindex(opt.index)).groupby(level="area", sort=False).mean()
    return diff.drop("all", errors="ignore").rename(indicator)


def neighbours(chosen: Sequence[str], table: CityTable) -> list[str]:
    """The areas that share a forecast area with a chosen area, without the chosen ones."""
    pgr = dict(zip(table.name, table.pgr_id))
    zones = {pgr[a] for a in chosen if a in pgr}
    chosen_set = set(chosen)
    return [name for name, p in pgr.items() if p in zones and name not in chosen_set]


def zones_of(areas: Sequence[str], chosen: Sequence[str], table: CityTable) -> dict[str, list[str]]:
    """The areas of each zone but the city: chosen, neighbours, rest."""
    chosen_set, near = set(chosen), set(neighbours(chosen, table))
    return {"chosen": [a for a in areas if a in chosen_set], "neighbours": [a for a in areas if a in near],
            "rest": [a for a in areas if a not in chosen_set and a not in near]}


def zone_effects(yearly: pd.DataFrame, baseline: str, option: str, chosen: Sequence[str], table: CityTable,
                 indicators: Sequence[str], year: int, level: float = 0.95) -> pd.DataFrame:
    """Option minus baseline of each indicator in each zone (chosen, neighbours, rest, city) in ``year``.

    One row per indicator and zone: indicator, zone, areas (how many), difference (mean over the paired
    replicates), ci_low, ci_high (t-interval at ``level``; NaN with one replicate), replicates.
    """
    base, opt = _paired(yearly, baseline, option, year)
    replicates = sorted(set(base.index.get_level_values(0)))
    areas = [a for a in dict.fromkeys(base.index.get_level_values(1)) if a != "all"]
    members = zones_of(areas, chosen, table)
    rows = []
    for name in indicators:
        summed = registry.get(name).kind == "flow" or name in SUMMED
        change = opt[name] - base[name].reindex(opt.index)
        for zone in ZONES:
            names = ["all"] if zone == "city" else members[zone]
            per_replicate = []
            for r in replicates:
                d = change.loc[r].reindex(names)
                if zone == "city" or not summed:
                    w = base.loc[r, "households"].reindex(names) if zone != "city" else pd.Series(1.0, index=names)
                    per_replicate.append(float((d * w).sum() / w.sum()) if len(names) else np.nan)
                else:
                    per_replicate.append(float(d.sum()) if len(names) else np.nan)
            values = np.array(per_replicate)
            low, high = _t_interval(values, level)
            rows.append({"indicator": name, "zone": zone, "areas": len(areas) if zone == "city" else len(names),
                         "difference": float(values.mean()), "ci_low": low, "ci_high": high,
                         "replicates": len(values)})
    return pd.DataFrame(rows, columns=["indicator", "zone", "areas", "difference", "ci_low", "ci_high",
                                       "replicates"])


def _t_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    """The t-interval of the mean of ``values`` (NaN, NaN with fewer than two or any NaN)."""
    if len(values) < 2 or np.isnan(values).any():
        return float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean() - half), float(values.mean() + half)


def status_of(yearly: pd.DataFrame, scenario: str, year: int) -> pd.Series:
    """The MSS status index by area of ``scenario`` in ``year`` from the replicates' mean shares (S1, S3, S4)."""
    rows = yearly[(yearly["scenario"] == scenario) & (yearly["year"] == year) & (yearly["area"] != "all")]
    shares = rows.groupby("area", sort=False)[["unemployment_rate", "transfer_rate", "child_poverty_rate"]].mean()
    return pd.Series(status_index(standardised(shares.to_numpy(float))), index=shares.index, name="status_index")


def effects_figure(yearly: pd.DataFrame, baseline: "Scenario", options: Sequence["Scenario"], city: CityAreas,
                   year: int, lang: str = "en", path: str | Path | None = None):
    """Maps by forecast area: the baseline's status classes in ``year``, then for each option its difference
    to the baseline of each of :data:`MAP_INDICATORS` (household-weighted by the baseline), the forecast areas
    with its chosen areas outlined. Returns the figure (plain matplotlib; saved to ``path`` if given)."""
    from .maps import Panel, map_figure
    from .report.labels import indicator_label, text

    t = text(lang)
    households = yearly[(yearly["scenario"] == baseline.name) & (yearly["year"] == year) &
                        (yearly["area"] != "all")].groupby("area")["households"].mean()
    panels = [Panel(status_of(yearly, baseline.name, year), t["map_status"].format(
        scenario=baseline.title(lang), year=year), weights=households, classes=True)]
    outline: list[str] = []
    for option in options:
        chosen = chosen_areas(option)
        outline += [a for a in chosen if a not in outline]
        for name in MAP_INDICATORS:
            factor = 100.0 if registry.get(name).unit == "share" else 1.0
            diff = area_differences(yearly, baseline.name, option.name, name, year) * factor
            panels.append(Panel(diff, t["map_difference"].format(option=option.title(lang),
                                indicator=indicator_label(name, lang)), t["pp"] if factor == 100.0 else
                                registry.get(name).unit, households, diverging=True))
    return map_figure(panels, table=city.table, polygons=city.polygons, attribution=city.attribution,
                      outline=outline, outline_note=t["map_outline"], path=path, plain=True)


def write_city_effects(comparison, definitions: Sequence["Scenario"], folder: str | Path) -> list[Path]:
    """For a comparison of city scenarios: the baseline's [city] section (:data:`CITY_FILE`), per option a table
    of zone effects (CSV) in the last year, and one figure of maps (:func:`effects_figure`); returns the files
    (none if the baseline is not a city with polygons)."""
    base = definitions[0]
    city = base.city
    if city is None or city.polygons is None:
        return []
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    year = int(comparison.yearly["year"].max())
    indicators = [name for name in ZONE_INDICATORS if name in comparison.yearly.columns]
    written = [save_city(city, folder)]
    for option in definitions[1:]:
        table = zone_effects(comparison.yearly, base.name, option.name, chosen_areas(option), city.table,
                             indicators, year)
        path = folder / f"city_effects_{option.name}.csv"
        atomic_write(path, lambda tmp: table.to_csv(tmp, index=False))
        written.append(path)
    path = folder / "map_differences.png"
    effects_figure(comparison.yearly, base, definitions[1:], city, year, path=path)
    written.append(path)
    return written


def save_city(city: CityAreas, folder: str | Path) -> Path:
    """Write the [city] section a scenario was made from to ``folder/city.json`` (for :func:`load_city`)."""
    path = Path(folder) / CITY_FILE
    path.write_text(json.dumps({"city": city.settings.model_dump(mode="json")}, indent=1) + "\n", encoding="utf-8")
    return path


def load_city(folder: str | Path) -> CityAreas | None:
    """The city written by :func:`save_city` into ``folder`` (None if there is none); a QsimError naming the
    file if it cannot be used (e.g. its table has moved)."""
    path = Path(folder) / CITY_FILE
    if not path.exists():
        return None
    try:
        settings = City.model_validate(json.loads(path.read_text(encoding="utf-8"))["city"])
        return city_areas(settings, read_city_table(settings.table))
    except (OSError, ValueError, KeyError, TypeError, QsimError) as e:
        raise QsimError(f"{path}: cannot rebuild the city for maps ({e}); delete the file to report without "
                        "maps") from None


__all__ = ["CITY_FILE", "MAP_INDICATORS", "ZONES", "ZONE_INDICATORS", "area_differences", "chosen_areas",
           "effects_figure", "load_city", "neighbours", "save_city", "status_of", "write_city_effects",
           "zone_effects", "zones_of"]
