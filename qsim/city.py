"""A whole city from a table of planning areas: one simulated area per row, from public data.

A scenario with a ``[city]`` table names a CSV file with one line per
planning area (the columns: :data:`CITY_COLUMNS`, documented in
docs/scenario-reference.md, "A city from a table"). When the scenario is
loaded, the table becomes the scenario's ``[[areas]]`` (marginals, one area
per planning area with status values) and measures written with
``areas = "<selection>"`` become one measure per area the selection picks
(``[city.selections.<name>]``, :class:`Selection`). The scenario that results
is an ordinary multi-area scenario.

How a row becomes an area (every number is a parameter of :class:`City`,
with its unit and source in docs/model.md, "A city from a table"):

* rows without status values (no z-values: too few inhabitants to publish)
  are not simulated; :attr:`CityTable.skipped` lists them;
* households = adults / adults per household, where the adults per
  household are the city's ``persons_per_household`` times its share of
  inhabitants 15 and over; so the city total is inhabitants /
  ``persons_per_household``, spread over the areas by their adults (areas
  with many children get fewer, larger households);
* the shares of unemployed heads (S1), transfer receipt (S3) and poor
  children (S4) are ``mean + z * spread``, where ``mean`` is set so that
  the city-wide share weighted by the indicator's population (inhabitants
  15-65, inhabitants, children under 15) is the published one; a spread
  not given is calibrated as the largest that keeps every share at or
  above zero (the area with the lowest z-value sits at share 0);
* building quality falls and rent falls with the status index, rent rises
  with density (inhabitants per km2, a proxy for centrality); the area's
  reputation then follows from its unemployment and building quality
  (the model initialises it from the area's condition);
* the minority share is the share of foreign citizens.

``scale`` multiplies the households (and dwellings) of every area, for
quick runs and tests; every area keeps at least ``min_households``.
"""

from __future__ import annotations

import csv
import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from .area_tables import Column, read_table
from .files import AreaTableError, FileError, StrictModel, check_input_file
from .measures.catalogue import CATALOGUE
from .mss import DYNAMICS_CLASSES, STATUS_CLASSES, status_classes, status_index

BERLIN = Path(__file__).parent / "data" / "berlin_mss_2021"
BERLIN_TABLE = BERLIN / "planning_areas.csv"
BERLIN_POLYGONS = BERLIN / "forecast_areas.geojson"
BERLIN_ATTRIBUTION = ("Data: Senatsverwaltung für Stadtentwicklung, Bauen und Wohnen Berlin, Monitoring Soziale "
                      "Stadtentwicklung 2021 and LOR 2021 (planning areas, forecast-area polygons); Amt für Statistik "
                      "Berlin-Brandenburg (inhabitants). Sources: qsim/data/berlin_mss_2021/README.md")
"""The attribution the shipped Berlin data asks for (its README): on every map and report that shows it."""
Z_COLUMNS = ("z_s1_unemployment", "z_s3_transfer_not_unemployed", "z_s4_child_poverty")
AGE_COLUMNS = ("age_under_6", "age_6_15", "age_15_18", "age_18_27", "age_27_45", "age_45_55", "age_55_65",
               "age_65_plus")
BLANK = ("", "–", "-", ".")  # empty cells; "–" is how the Berlin statistics office writes "not published"
Share = Annotated[float, Field(ge=0.0, le=1.0)]
DWELLINGS_PER_BLOCK = 64  # 4 buildings of 16 dwellings (the defaults of an area from marginals)


def _count(name: str, meaning: str, required: bool = False) -> Column:
    return Column(name, "int", required, meaning, 0, 100_000_000)


def _z(name: str, meaning: str) -> Column:
    return Column(name, "float", False, meaning + " as a z-value across the planning areas (empty: no status "
                  "values; the area is not simulated).", -50.0, 50.0)


CITY_COLUMNS = (
    Column("plr_id", "id", True, "Key of the planning area (unique; compared as written, so keep leading zeros)."),
    Column("plr_name", "id", True, "Name of the planning area: the area's name in the scenario (a name used "
           "twice gets its key appended)."),
    Column("bzr_id", "id", False, "Key of the district region (Bezirksregion)."),
    Column("bzr_name", "id", False, "Name of the district region."),
    Column("pgr_id", "id", True, "Key of the forecast area (Prognoseraum): the unit of the maps."),
    Column("pgr_name", "id", True, "Name of the forecast area."),
    Column("district", "id", True, "Borough (Bezirk)."),
    Column("area_m2", "int", True, "Land area, m2 (for the density that sets the rent).", 1, 1e12),
    _count("inhabitants_2020", "Inhabitants at the date of the status values (31.12.2020 in Berlin).", True),
    _z("z_s1_unemployment", "S1: unemployed (SGB II) per inhabitant 15-65,"),
    _z("z_s3_transfer_not_unemployed", "S3: transfer recipients (SGB II and XII) who are not unemployed per "
       "inhabitant,"),
    _z("z_s4_child_poverty", "S4: children under 15 in SGB II households per child under 15,"),
    Column("status_index", "float", False, "The MSS status index (standardised sum of the three z-values; high = "
           "low status); qsim recomputes it from the z-values.", -50.0, 50.0),
    Column("status_class", "choice", False, "MSS status class.", choices=STATUS_CLASSES),
    Column("dynamics_index", "float", False, "The MSS dynamics index (standardised sum of the two-year changes; "
           "high = worsening), for the selection rule negative_dynamics.", -50.0, 50.0),
    Column("dynamics_class", "choice", False, "MSS dynamics class.", choices=DYNAMICS_CLASSES),
    _count("inhabitants_2022", "Inhabitants at the date of the age bands (the denominator of the age shares)."),
    *(_count(name, f"Inhabitants aged {name[4:].replace('_', '-').replace('under-', 'under ')}"
             .replace("-plus", " and over") + " (empty: the city's share).") for name in AGE_COLUMNS),
    _count("female", "Women (not used)."),
    _count("foreign_citizens", "Inhabitants with a foreign citizenship: the minority share (empty: the city's)."),
)


class CityError(FileError):
    """A city table or ``[city]`` section that cannot be used; the message names the file, line and column."""

    kind = "city table"


class Selection(StrictModel):
    """A rule choosing areas for measures (``[city.selections.<name>]``); measures use it by ``areas = "<name>"``."""

    rule: Literal["lowest_status", "largest", "negative_dynamics", "list"] = Field(
        description="lowest_status: the `count` areas with the highest status index (lowest status); largest: "
        "the `count` areas with the most inhabitants among those of `status_classes`; negative_dynamics: the areas "
        "of `status_classes` whose dynamics class is negative (needs the column dynamics_class), the `count` with "
        "the highest dynamics index if count is given; list: the areas named in `areas` (names or keys).")
    count: int | None = Field(default=None, ge=1, le=10_000, description="How many areas.")
    status_classes: list[Literal[STATUS_CLASSES]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["low", "very low"], min_length=1, description="Status classes an area may have "
        "(rules largest and negative_dynamics).")
    areas: list[str] | None = Field(default=None, min_length=1, description="Names or keys (rule list).")
    mss: str | None = Field(default=None, min_length=1, description="Rule negative_dynamics: a table written by "
                            "`qsim mss` (CSV, relative to the scenario file), e.g. year 4 of a baseline run, whose "
                            "status_class, dynamics_index and dynamics_class replace the city table's.")

    @model_validator(mode="after")
    def _consistent(self):
        if self.rule in ("lowest_status", "largest") and self.count is None:
            raise ValueError(f"rule {self.rule!r} needs count (how many areas)")
        if (self.rule == "list") != (self.areas is not None):
            raise ValueError("rule 'list' needs areas (names or keys), and only it takes them")
        if self.mss is not None and self.rule != "negative_dynamics":
            raise ValueError("only rule 'negative_dynamics' reads an mss table")
        return self


class City(StrictModel):
    """The ``[city]`` section: the table and how its rows become areas."""

    table: str = Field(min_length=1, description="CSV table of planning areas (relative to the scenario file).")
    polygons: str | None = Field(default=None, min_length=1, description="GeoJSON of the forecast areas (property "
                                 "pgr_id) for maps (relative to the scenario file; none: no maps).")
    attribution: str | None = Field(default=None, min_length=1, max_length=1000, description="The data's sources, "
                                    "printed below every map and in reports (default: Berlin's for the shipped "
                                    "Berlin table, none for another).")
    scale: float = Field(default=1.0, gt=0.0, le=1.0, description="Share of the households simulated (1 = all; "
                         "0.02 for quick runs and tests).")
    min_households: int = Field(default=10, ge=1, le=1000, description="Households of an area at least (matters "
                                "only when scaled down).")
    persons_per_household: float = Field(default=1.8, ge=1.0, le=6.0, description="Persons per household in the "
                                         "city (Berlin about 1.8: docs/sources.md section 1).")
    shares: tuple[Share, Share, Share] = Field(default=(0.053, 0.118, 0.27), description="City-wide shares of S1, S3 "
                                               "and S4 at the date of the status values (Berlin 31.12.2020: MSS 2021).")
    spreads: tuple[Share | None, Share | None, Share | None] = Field(
        default=(None, None, None), description="Standard deviations of the shares of S1, S3, S4 across areas "
        "(share points; None: calibrated so that the area with the lowest z-value sits at share 0).")
    defaults: tuple[Share, Share, Share] = Field(default=(0.14, 0.67, 0.23), description="Shares of children under "
                                                 "15, inhabitants 15-65 and foreign citizens for a table without "
                                                 "age bands or citizenship (Berlin 2022 from the shipped table, "
                                                 "rounded).")
    long_term_share: float = Field(default=0.42, ge=0.0, le=1.0, description="Long-term unemployed per unemployed "
                                   "(assumption: the baseline's 0.05 / 0.12).")
    inactive_rate: float = Field(default=0.08, ge=0.0, le=0.5, description="Inactive heads (assumption, as the "
                                 "baseline).")
    vacancy: float = Field(default=0.02, ge=0.0, le=0.5, description="Vacant dwellings per dwelling at the start "
                           "(assumption: Berlin's market is tight).")
    quality_mean: float = Field(default=0.67, ge=0.0, le=1.0, description="Building quality at status index 0.")
    quality_per_status: float = Field(default=0.06, ge=0.0, le=0.3, description="Fall of building quality per "
                                      "unit of status index (assumption: 0.55 at index 2, the baseline QM area).")
    rent_mean: float = Field(default=560.0, gt=0.0, le=10_000, description="Market rent of an average dwelling at "
                             "status index 0 and median density, EUR/month (assumption, warm).")
    rent_per_status: float = Field(default=0.04, ge=0.0, le=0.2, description="Relative fall of rent per unit of "
                                   "status index (assumption: 515 EUR at index 2, near the baseline's 520).")
    rent_density_elasticity: float = Field(default=0.1, ge=0.0, le=1.0, description="Rent rises with (density / "
                                           "median density, clipped to 0.25-4) ** elasticity (assumption: "
                                           "density as a proxy for centrality).")
    organisations: dict[str, int] = Field(default_factory=lambda: {"housing_company": 1, "social_institution": 1,
                                          "association": 1}, description="Organisations per area (few: their ties "
                                          "grow with the square of their number).")
    selections: dict[str, Selection] = Field(default_factory=dict, description="Named area selections for measures.")


@dataclass(frozen=True)
class CityTable:
    """The validated rows of a city table (all rows, in file order); NaN where a value is not given."""

    path: str
    key: tuple[str, ...]
    name: tuple[str, ...]          # the area name in the scenario
    pgr_id: tuple[str, ...]
    pgr_name: tuple[str, ...]
    district: tuple[str, ...]
    area_m2: np.ndarray
    inhabitants: np.ndarray        # at the date of the status values
    z: np.ndarray                  # (rows, 3): S1, S3, S4
    status_index: np.ndarray       # as given (NaN: not given)
    status_class: tuple[str | None, ...]
    dynamics_index: np.ndarray
    dynamics_class: tuple[str | None, ...]
    child_share: np.ndarray        # children under 15 per inhabitant (NaN: not known)
    working_age_share: np.ndarray  # inhabitants 15-65 per inhabitant (NaN: not known)
    foreign_share: np.ndarray      # foreign citizens per inhabitant (NaN: not known)
    line: np.ndarray

    @property
    def simulated(self) -> np.ndarray:
        """Rows with status values (bool): the areas that are simulated."""
        return ~np.isnan(self.z[:, 0])

    @property
    def skipped(self) -> list[str]:
        """Rows without status values, as 'name (key, N inhabitants)'."""
        return [f"{self.name[k]} ({self.key[k]}, {int(self.inhabitants[k])} inhabitants)"
                for k in np.flatnonzero(~self.simulated)]


def read_city_table(path: str | Path) -> CityTable:
    """Read and check a city table (raises :class:`CityError` naming the file, line and column)."""
    path = Path(path)
    try:
        return _read_city_table(str(path), *_stamp(path))
    except AreaTableError as e:
        raise CityError(str(e)) from None


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except (OSError, ValueError):  # ValueError: a NUL in the path; read_table refuses it with a clear message
        return 0, 0
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=4)
def _read_city_table(path: str, _mtime: int, _size: int) -> CityTable:
    v, lines = read_table(path, "city.table", CITY_COLUMNS, blank=BLANK)
    missing = [c for c in Z_COLUMNS if all(x is None for x in v[c]) and c not in _header(path)]
    if missing:
        raise CityError(f"{path}: line 1: required column(s) {', '.join(map(repr, missing))} missing (its cells may "
                        "be empty for areas without status values); `qsim.city.CITY_COLUMNS` lists the columns")

    def fail(line: int, column: str, message: str) -> CityError:
        return CityError(f"{path}: line {line}, column {column!r}: {message}")

    first: dict[str, int] = {}
    for key, n in zip(v["plr_id"], lines):
        if key in first:
            raise fail(n, "plr_id", f"duplicate key {key!r} (first on line {first[key]}); expected unique keys")
        first[key] = n
    floats = lambda name: np.array([np.nan if x is None else x for x in v[name]], float)  # noqa: E731
    z = np.column_stack([floats(c) for c in Z_COLUMNS])
    inhabitants = np.array(v["inhabitants_2020"], float)
    for k, n in enumerate(lines):
        given = ~np.isnan(z[k])
        if given.any() and not given.all():
            column = Z_COLUMNS[int(np.flatnonzero(~given)[0])]
            raise fail(n, column, "missing value; expected a number (the z-values of a row are all given, or all "
                       "empty for an area without status values)")
        if given.all() and inhabitants[k] == 0:
            raise fail(n, "inhabitants_2020", "0 inhabitants in an area with status values; expected a whole "
                       "number >= 1 (or empty z-values: an area without status values is not simulated)")
    if not (~np.isnan(z[:, 0])).any():
        raise CityError(f"{path}: no row has status values (z_s1_unemployment, ...); expected at least one area")
    per_2022 = floats("inhabitants_2022")
    per_2022[per_2022 == 0] = np.nan

    def share(*columns: str) -> np.ndarray:
        return sum(floats(c) for c in columns) / per_2022

    names = list(v["plr_name"])
    twice = {name for name in names if names.count(name) > 1}
    names = [f"{name} ({key})" if name in twice else name for name, key in zip(names, v["plr_id"])]
    return CityTable(
        path=path, key=tuple(v["plr_id"]), name=tuple(names), pgr_id=tuple(v["pgr_id"]),
        pgr_name=tuple(v["pgr_name"]), district=tuple(v["district"]), area_m2=floats("area_m2"),
        inhabitants=inhabitants, z=z, status_index=floats("status_index"),
        status_class=tuple(None if c is None else STATUS_CLASSES[c] for c in v["status_class"]),
        dynamics_index=floats("dynamics_index"),
        dynamics_class=tuple(None if c is None else DYNAMICS_CLASSES[c] for c in v["dynamics_class"]),
        child_share=share("age_under_6", "age_6_15"),
        working_age_share=share("age_15_18", "age_18_27", "age_27_45", "age_45_55", "age_55_65"),
        foreign_share=floats("foreign_citizens") / per_2022, line=np.array(lines))


def _header(path: str) -> list[str]:
    """The column names of a table (its first line that is not a comment)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.reader(line for line in f if not line.lstrip().startswith("#")):
            return [name.strip() for name in row]
    return []


def _filled(values: np.ndarray, weights: np.ndarray, default: float) -> np.ndarray:
    """``values`` with NaN replaced by their mean weighted by ``weights`` (the city's value; ``default`` if the
    table gives none)."""
    known = ~np.isnan(values)
    mean = float(np.average(values[known], weights=weights[known])) if weights[known].sum() > 0 else default
    return np.where(known, values, mean)


@dataclass(frozen=True)
class CityAreas:
    """What a city table gives a scenario: the area entries (dicts) and the data behind them."""

    table: CityTable
    rows: np.ndarray               # table rows of the simulated areas
    areas: list[dict]
    spreads: tuple[float, float, float]
    target_households: float       # inhabitants of the simulated areas / persons_per_household * scale
    polygons: str | None           # GeoJSON of the forecast areas (None: no maps)
    status_index: np.ndarray       # recomputed from the z-values (per simulated area)
    settings: City                 # the [city] section it was made from

    @property
    def attribution(self) -> str | None:
        """The data's sources for maps and reports (``[city] attribution``; Berlin's for the shipped table)."""
        return data_attribution(self.table.path, self.settings.attribution)


def data_attribution(table: str | Path, given: str | None = None) -> str | None:
    """The attribution of a city table's data: ``given`` if not None, else Berlin's for the shipped Berlin
    table, else None."""
    if given is not None:
        return given
    return BERLIN_ATTRIBUTION if Path(table).resolve() == BERLIN_TABLE.resolve() else None


def city_areas(city: City, table: CityTable) -> CityAreas:
    """The ``[[areas]]`` entries of a city: one per row with status values (see the module docstring)."""
    rows = np.flatnonzero(table.simulated)
    inhabitants = table.inhabitants[rows]
    z = table.z[rows]
    child = _filled(table.child_share[rows], inhabitants, city.defaults[0])
    working = _filled(table.working_age_share[rows], inhabitants, city.defaults[1])
    foreign = _filled(table.foreign_share[rows], inhabitants, city.defaults[2])
    adults = inhabitants * (1.0 - child)
    adults_per_household = city.persons_per_household * adults.sum() / inhabitants.sum()
    households = adults / adults_per_household * city.scale
    n_households = np.maximum(city.min_households, np.round(households)).astype(int)
    children_per_household = inhabitants * child / (adults / adults_per_household)
    two_adult_share = min(1.0, adults_per_household - 1.0)
    weights = (inhabitants * working, inhabitants, inhabitants * child)  # the populations of S1, S3, S4
    shares, spreads = [], []
    for k in range(3):
        wz = float(np.average(z[:, k], weights=weights[k]))
        spread = city.spreads[k]
        if spread is None:  # the lowest z-value at share 0: B - sd * wz + sd * z_min = 0
            if wz - z[:, k].min() <= 0:
                raise CityError(f"{table.path}: column {Z_COLUMNS[k]!r}: the z-values do not vary, so its spread "
                                "cannot be calibrated; give [city] spreads")
            spread = city.shares[k] / (wz - z[:, k].min())
        spreads.append(float(spread))
        shares.append(np.clip(city.shares[k] + spread * (z[:, k] - wz), 0.0, 0.95))
    s1, s3, s4 = shares
    index = status_index(z)
    density = inhabitants / table.area_m2[rows]
    centrality = np.clip(density / np.median(density), 0.25, 4.0)  # parks and forests are not cheap
    rent = city.rent_mean * (1.0 - city.rent_per_status * index) * centrality ** city.rent_density_elasticity
    quality = np.clip(city.quality_mean - city.quality_per_status * index, 0.05, 0.95)
    areas = []
    for k, row in enumerate(rows):
        n = int(n_households[k])
        nx, ny, per_building = _grid(n, city.vacancy)
        unemployment = float(s1[k])
        transfer = float(min(s3[k], 1.0 - unemployment - city.inactive_rate))
        areas.append({
            "name": table.name[row], "households": n, "grid": [nx, ny], "buildings_per_block": 4,
            "dwellings_per_building": per_building,
            "group_shares": [1.0 - float(foreign[k]), float(foreign[k])],
            "unemployment_rate": unemployment, "long_term_unemployment_rate": unemployment * city.long_term_share,
            "transfer_rate": transfer, "inactive_rate": city.inactive_rate, "child_poverty_rate": float(s4[k]),
            "household_size": 1.0 + two_adult_share + float(children_per_household[k]),
            "two_adult_share": two_adult_share, "building_quality": float(quality[k]),
            "rent_level": float(max(rent[k], 1.0)),
            "places": {"park": 1, "centre": 1, "playground": 1, "school": 1},
            "organisations": dict(city.organisations)})
    target = float(inhabitants.sum() / city.persons_per_household * city.scale)
    return CityAreas(table, rows, areas, tuple(spreads), target, city.polygons, index, city)


def _grid(households: int, vacancy: float) -> tuple[int, int, int]:
    """Columns, rows and dwellings per building (4 buildings a block) for ``households`` at about ``vacancy``."""
    dwellings = math.ceil(households / (1.0 - vacancy))
    blocks = max(1, round(dwellings / DWELLINGS_PER_BLOCK))
    nx = math.ceil(math.sqrt(blocks))
    ny = math.ceil(blocks / nx)
    return nx, ny, math.ceil(dwellings / (nx * ny * 4))


def select_areas(selection: Selection, table: CityTable, where: str = "selection") -> list[str]:
    """The names of the simulated areas a selection picks (in the order of the rule)."""
    rows = np.flatnonzero(table.simulated)
    index = status_index(table.z[rows])
    classes = status_classes(index)
    if selection.rule == "list":
        by_key = {table.key[r]: table.name[r] for r in rows} | {table.name[r]: table.name[r] for r in rows}
        chosen = []
        for k, given in enumerate(selection.areas):
            if given not in by_key:
                raise CityError(f"{where}.areas.{k}: {given!r} is not a simulated area of {table.path} (a name or "
                                "key of a row with status values)")
            chosen.append(by_key[given])
        return chosen
    if selection.rule == "lowest_status":
        order = np.argsort(-index, kind="stable")
        return [table.name[rows[k]] for k in order[:selection.count]]
    allowed = np.isin(classes, selection.status_classes)
    if selection.rule == "largest":
        order = [k for k in np.argsort(-table.inhabitants[rows], kind="stable") if allowed[k]]
        return [table.name[rows[k]] for k in order[:selection.count]]
    names = [table.name[r] for r in rows]
    if selection.mss is not None:
        classes, dynamics, dynamics_class = _mss_columns(selection.mss, names, f"{where}.mss")
        allowed = np.isin(classes, selection.status_classes)
    else:
        dynamics, dynamics_class = table.dynamics_index[rows], [table.dynamics_class[r] for r in rows]
        if all(c is None for c in dynamics_class):
            raise CityError(f"{where}: rule 'negative_dynamics' needs the column dynamics_class in {table.path} "
                            "(and dynamics_index to rank by it), or mss = a table written by `qsim mss`; the table "
                            "has none")
    negative = [k for k in range(len(rows)) if allowed[k] and dynamics_class[k] == "negative"]
    negative.sort(key=lambda k: -np.nan_to_num(dynamics[k], nan=-np.inf))
    return [names[k] for k in negative[:selection.count]]


def _mss_columns(path: str, names: list[str], where: str) -> tuple[np.ndarray, np.ndarray, list]:
    """Status classes, dynamics indices and dynamics classes of ``names`` from a table of ``qsim mss``."""
    import pandas as pd

    try:
        frame = pd.read_csv(check_input_file(path, CityError))
    except CityError as e:
        raise CityError(f"{where}: {path}: {e.reason}") from None
    except (OSError, ValueError) as e:
        raise CityError(f"{where}: {path}: cannot be read as a CSV table of `qsim mss` ({e})") from None
    columns = ("area", "status_class", "dynamics_index", "dynamics_class")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CityError(f"{where}: {path}: line 1: column(s) {', '.join(map(repr, missing))} missing; expected a "
                        "table written by `qsim mss`")
    frame = frame.set_index("area")
    absent = [n for n in names if n not in frame.index]
    if absent:
        raise CityError(f"{where}: {path}: no row for area(s) {', '.join(map(repr, absent[:5]))}; expected the MSS "
                        "of a run of this city")
    rows = frame.loc[names]
    return (rows["status_class"].to_numpy(object), rows["dynamics_index"].to_numpy(float),
            [c if isinstance(c, str) else None for c in rows["dynamics_class"]])


def resolve_city_paths(city: dict, base_dir: Path) -> dict:
    """The ``[city]`` section with its file paths (table, polygons, the selections' mss) made absolute against
    ``base_dir`` (the folder of the scenario file that writes them)."""
    def absolute(value):
        return os.path.abspath(base_dir / value) if isinstance(value, str) and value else value

    out = {k: absolute(v) if k in ("table", "polygons") else v for k, v in city.items()}
    if isinstance(out.get("selections"), dict):
        out["selections"] = {name: {**sel, "mss": absolute(sel["mss"])} if isinstance(sel, dict) and "mss" in sel
                             else sel for name, sel in out["selections"].items()}
    return out


def expand_city(data: dict) -> tuple[dict, CityAreas | None]:
    """Scenario data with its ``[city]`` turned into ``[[areas]]`` and its selections into measures, and the
    areas made (None without ``[city]``).

    The table path must already be absolute (see ``scenario._resolve_tables``). Raises :class:`CityError` whose
    message is one line per problem, ``  field.path: what is wrong`` (the scenario loader puts the file first).
    """
    if not isinstance(data, dict) or "city" not in data:
        return data, None
    try:
        city = City.model_validate(data["city"])
    except ValidationError as e:
        raise CityError("\n".join(f"  city.{'.'.join(map(str, err['loc']))}: "
                                  f"{err['msg'].removeprefix('Value error, ')}" for err in e.errors())) from None
    if data.get("areas"):
        raise CityError("  areas: a scenario with a [city] table takes its areas from the table; remove the "
                        "[[areas]] entries")
    try:
        made = city_areas(city, read_city_table(city.table))
    except CityError as e:
        raise CityError(f"  city.table: {e}") from None
    try:
        chosen = {name: select_areas(sel, made.table, f"city.selections.{name}")
                  for name, sel in city.selections.items()}
    except CityError as e:
        raise CityError(f"  {e}") from None
    given = data.get("measures")
    measures = []
    for k, m in enumerate(given if isinstance(given, list) else []):
        if not isinstance(m, dict) or "areas" not in m:
            measures.append(m)
            continue
        target = m.get("target", {})
        if not isinstance(target, dict):
            raise CityError(f"  measures.{k}.target: expected a table such as {{ employment = [...] }}")
        label = m.get("name") or m.get("type", "measure")
        entry = CATALOGUE.get(m["type"]) if isinstance(m.get("type"), str) else None  # others: refused later
        titles = {"label_en": m.get("label_en"), "label_de": m.get("label_de") or (entry and entry.title_de)}
        for area in _chosen(chosen, m["areas"], f"measures.{k}.areas"):
            readable = {k: f"{v} @ {area}" for k, v in titles.items() if isinstance(v, str)}  # for reports
            measures.append({kk: vv for kk, vv in m.items() if kk != "areas"} | readable |
                            {"name": f"{label} @ {area}", "target": target | {"area": area}})
    out = {k: v for k, v in data.items() if k != "city"}
    out["areas"] = made.areas
    if isinstance(given, list):
        out["measures"] = measures
    office = data.get("qm_office")
    if isinstance(office, dict) and "areas" in office:  # one office (team, budget) per chosen area
        if "area" in office:
            raise CityError("  qm_office.area: give area (one office) or areas (one office per chosen area), "
                            "not both")
        out["qm_offices"] = [{k: v for k, v in office.items() if k != "areas"} | {"area": area}
                             for area in _chosen(chosen, office["areas"], "qm_office.areas")]
        del out["qm_office"]
    return out, made


def _chosen(chosen: dict[str, list[str]], name, path: str) -> list[str]:
    """The areas of selection ``name`` (a CityError naming ``path`` if there is no such selection)."""
    if not isinstance(name, str) or name not in chosen:
        raise CityError(f"  {path}: unknown selection {name!r}; expected one of "
                        f"{', '.join(chosen) or '(none: add [city.selections.<name>])'}")
    return chosen[name]


__all__ = ["BERLIN_ATTRIBUTION", "BERLIN_POLYGONS", "BERLIN_TABLE", "CITY_COLUMNS", "City", "CityError", "CityAreas",
           "CityTable", "Selection",
           "city_areas", "data_attribution", "expand_city", "read_city_table", "resolve_city_paths", "select_areas"]
