"""Where the effects of a city-wide option are: differences to the baseline by area and by zone.

From the yearly values of a comparison (``Comparison.yearly``: one row per
scenario, replicate, year and area), the paired difference option minus
baseline (mean over the replicates both finished) of an indicator

* by area (:func:`area_differences`, for maps: ``qsim.maps.map_of_areas``);
* by zone (:func:`zone_effects`): the areas with the option's measures
  ("chosen"), their neighbours (the other areas of the same forecast areas:
  the city table has no adjacency), the rest of the city, and the city.
  Household-weighted means; for flows (e.g. displacements) sums.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from .atomic import atomic_write
from .city import CityTable
from .errors import QsimError
from . import indicators as registry

ZONES = ("chosen", "neighbours", "rest", "city")


def _paired_means(yearly: pd.DataFrame, baseline: str, option: str, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-area means over the replicates that both scenarios finished, in December of ``year``."""
    rows = yearly[(yearly["year"] == year) & yearly["scenario"].isin([baseline, option])]
    if rows.empty:
        raise QsimError(f"no year {year} for {baseline!r} and {option!r} in the comparison")
    both = set(rows.loc[rows["scenario"] == baseline, "replicate"]) & set(
        rows.loc[rows["scenario"] == option, "replicate"])
    rows = rows[rows["replicate"].isin(both)]
    means = rows.drop(columns=["replicate"]).groupby(["scenario", "area"], sort=False).mean(numeric_only=True)
    return means.loc[baseline], means.loc[option]


def area_differences(yearly: pd.DataFrame, baseline: str, option: str, indicator: str, year: int) -> pd.Series:
    """Option minus baseline of ``indicator`` in ``year`` by area (not the city row), paired replicate means."""
    base, opt = _paired_means(yearly, baseline, option, year)
    diff = (opt[indicator] - base[indicator]).drop("all", errors="ignore")
    return diff.rename(indicator)


def neighbours(chosen: Sequence[str], table: CityTable) -> list[str]:
    """The areas that share a forecast area with a chosen area, without the chosen ones."""
    pgr = dict(zip(table.name, table.pgr_id))
    zones = {pgr[a] for a in chosen if a in pgr}
    chosen_set = set(chosen)
    return [name for name, p in pgr.items() if p in zones and name not in chosen_set]


def zone_effects(yearly: pd.DataFrame, baseline: str, option: str, chosen: Sequence[str], table: CityTable,
                 indicators: Sequence[str], year: int) -> pd.DataFrame:
    """Option minus baseline of each indicator in each zone (chosen, neighbours, rest, city) in ``year``: one
    row per indicator, columns the zones (and the households of each zone in the baseline)."""
    base, opt = _paired_means(yearly, baseline, option, year)
    areas = [a for a in base.index if a != "all"]
    near = set(neighbours(chosen, table))
    members = {"chosen": [a for a in areas if a in set(chosen)], "neighbours": [a for a in areas if a in near]}
    members["rest"] = [a for a in areas if a not in set(chosen) and a not in near]
    out = {}
    for name in indicators:
        row = {}
        for zone, names in members.items():
            if not names:
                row[zone] = float("nan")
            elif registry.get(name).kind == "flow":
                row[zone] = float(opt.loc[names, name].sum() - base.loc[names, name].sum())
            else:
                w = base.loc[names, "households"]
                row[zone] = float(((opt.loc[names, name] - base.loc[names, name]) * w).sum() / w.sum())
        row["city"] = float(opt.loc["all", name] - base.loc["all", name])
        out[name] = row
    frame = pd.DataFrame(out).T[list(ZONES)]
    frame.index.name = "indicator"
    sizes = {zone: len(names) for zone, names in members.items()} | {"city": len(areas)}
    frame.attrs["areas"] = sizes
    return frame


def write_city_effects(comparison, definitions, folder, indicators: Sequence[str] = (
        "unemployment_rate", "child_poverty_rate", "out_group_trust", "collective_efficacy", "displacements",
        "move_out_rate", "mean_rent")) -> list:
    """For a comparison of city scenarios: per option a table of zone effects (CSV) and difference maps of
    unemployment and child poverty by forecast area in the last year; returns the files (none if the
    baseline is not a city with polygons)."""
    from pathlib import Path

    from .maps import map_of_areas

    base = definitions[0]
    city = base.city
    if city is None or city.polygons is None:
        return []
    folder = Path(folder)
    year = int(comparison.yearly["year"].max())
    indicators = [name for name in indicators if name in comparison.yearly.columns]
    written = []
    for option in definitions[1:]:
        chosen = sorted({m.target.area for m in option.all_measures() if m.target.area is not None})
        table = zone_effects(comparison.yearly, base.name, option.name, chosen, city.table, indicators, year)
        path = folder / f"city_effects_{option.name}.csv"
        atomic_write(path, table.to_csv)
        written.append(path)
        for name in ("unemployment_rate", "child_poverty_rate"):
            diff = area_differences(comparison.yearly, base.name, option.name, name, year)
            path = folder / f"map_difference_{option.name}_{name}.png"
            map_of_areas(diff, comparison.yearly.query("scenario == @base.name and year == @year and area != 'all'")
                         .groupby("area")["households"].mean(), title=f"{option.name} minus {base.name}: "
                         f"{name.replace('_', ' ')}, year {year}", label=registry.get(name).unit, diverging=True,
                         path=path, table=city.table, polygons=city.polygons)
            written.append(path)
    return written


__all__ = ["ZONES", "area_differences", "neighbours", "write_city_effects", "zone_effects"]
