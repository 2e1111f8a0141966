"""Scenario files (TOML): loading and strict validation into a typed ``Scenario``.

A scenario is the complete description of a run: the neighbourhood (one or
more areas, each from its marginals or from CSV tables of its buildings and
households), the processes switched on, parameter overrides, the macro
paths, the funding sources, the QM office, the measures and the allocation
policy. ``extends = "baseline.toml"`` inherits another file: TOML tables
are merged key by key, everything else (values and arrays, including
``[[areas]]`` and ``[[measures]]``) replaces the parent's. CSV paths
(``buildings_csv``, ``households_csv``) are relative to the file in which
they are written. Every malformed value is rejected with a message that
names the file, the field path and what was expected. A scenario that
validates runs: every number is finite and within its bounds (those of the
parameters are listed below), the scenario's name is safe as a file name and
figure title (letters, digits, spaces and ``. , ( ) + - @``), area and measure
names have no control characters, ``$`` or ``\\``, and ``extends`` and
table paths must name regular files (never anything under /proc, /sys or
/dev; at most 200 MB).

Time in scenario files: years are numbered from 1; ``start = 1`` is the
beginning of the first year, ``end = 4`` the end of the fourth year (month
48). Money is in EUR.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (ConfigDict, Field, PrivateAttr, ValidationError, WithJsonSchema, field_validator,
                      model_serializer, model_validator)

from .area_tables import AreaTables, read_tables
from .files import (AreaTableError, FieldError, SafeLabel, SafeName, ScenarioError, StrictModel, check_input_file,
                    read_toml)
from .city import CityAreas, CityError, expand_city, resolve_city_paths
from .levers import N_PROGRAMMES
from .measures.catalogue import CARRIERS, CATALOGUE
from .measures.timing import Timing
from .rng import MAX_SEED
from .parameters import PROCESSES, ModelParameters, ParameterError, check_value, to_monthly
from .state import GROUP_NAMES, LABOUR_STATES, LONG_TERM_UNEMPLOYED, ORG_KINDS, PLACE_KINDS, SHORT_TERM_UNEMPLOYED

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Money = Annotated[float, Field(ge=0.0, le=1e10, allow_inf_nan=False)]
MAX_CHILDREN = 4  # children under 15 a synthetic household has at most (qsim.population)
MAX_DWELLINGS = 20_000_000  # per area: a bound that keeps a mistyped number from exhausting memory


class Labelled(StrictModel):
    """Names for readers: ``label_en`` and ``label_de`` name a scenario (an option), a measure or a funding source
    in the report and the dashboard of that language; without one the name (or the catalogue's title) is used."""

    label_en: SafeLabel | None = Field(default=None, min_length=1, max_length=200, description="Name shown in English reports.")
    label_de: SafeLabel | None = Field(default=None, min_length=1, max_length=200, description="Name shown in German reports "
                                 "(Bericht, Dashboard).")

    def label_in(self, lang: str, default: str) -> str:
        """The label given for ``lang`` ('en' or 'de'), else ``default``."""
        given = self.label_de if lang == "de" else self.label_en
        return given if given is not None else default


class Meta(Labelled):
    name: SafeName = Field(min_length=1, description="Name of the scenario: letters, digits, spaces and . , ( ) + - @ "
                           "(it names output files and figure titles).")
    description: str = Field(default="", max_length=10_000)
    description_de: str | None = Field(default=None, min_length=1, description="The description in German "
                                       "(German reports; default: description).")
    years: int = Field(gt=0, le=200, description="Simulated horizon in years.")
    seed: int = Field(default=1, ge=0, le=MAX_SEED, description="Default seed of the run (0 to 2**64 - 1).")


class Processes(StrictModel):
    """Which processes run (all by default). Schelling runs with mobility alone."""

    labour: bool = True
    encounters: bool = True
    trust: bool = True
    participation: bool = True
    environment: bool = True
    mobility: bool = True
    organisations: bool = True


MacroYear = Annotated[float, Field(ge=-1000.0, le=1000.0, description="Year of a point (0 = the start of the run).")]
MacroLevel = Annotated[float, Field(gt=0.0, le=10.0, description="Level relative to today (1.0 = today's level).")]


class Macro(StrictModel):
    """Macro paths as [year, value] points, linear between points and flat outside."""

    labour_demand: list[tuple[MacroYear, MacroLevel]] = Field(default_factory=lambda: [(0.0, 1.0)], max_length=10_000)
    rent_pressure: list[tuple[MacroYear, MacroLevel]] = Field(default_factory=lambda: [(0.0, 1.0)], max_length=10_000)

    @field_validator("labour_demand", "rent_pressure")
    @classmethod
    def _path(cls, points):
        if not points:
            raise ValueError("needs at least one [year, value] point")
        years = [y for y, _ in points]
        if any(b <= a for a, b in zip(years, years[1:])):
            raise ValueError("years must increase strictly from point to point")
        return points


TABLE_KEYS = ("buildings_csv", "households_csv")
# marginals that an area from tables takes from its tables (writing them as well is an error)
FROM_TABLES = ("households", "grid", "buildings_per_block", "dwellings_per_building", "group_shares",
               "unemployment_rate", "long_term_unemployment_rate", "transfer_rate", "inactive_rate",
               "child_poverty_rate", "household_size", "two_adult_share", "building_quality")
MAX_BLOCKS = 1_000_000  # per area from tables: the grid spans 0 .. the largest block_x and block_y


class Thresholds(StrictModel):
    """Participation thresholds of an area's starting households (Granovetter 1978), in place of the
    logit-normal of the parameters ``participation.threshold_mean`` and ``threshold_concentration``.

    A threshold is the share of the area's households that must take part before this one does (0-1, as
    the model's other thresholds); one at or below zero belongs to an instigator, who takes part whatever
    others do, one above 1 to someone who never does. ``uniform``: between ``low`` and ``high``;
    ``normal``: ``mean`` and ``sd``, not clipped, so it puts mass below zero. ``spacing = "even"`` (uniform
    only) gives the N starting households exactly ``low + (high - low) k / N`` for k = 0 .. N-1 in random
    order: Granovetter's riot model (thresholds 0, 1, ..., N-1 people). In-movers draw their thresholds
    from the parameters' logit-normal.
    """

    distribution: Literal["uniform", "normal"] = Field(description="uniform (low, high) or normal (mean, sd).")
    low: float = Field(default=0.0, ge=-10.0, le=10.0, allow_inf_nan=False, description="uniform: lowest threshold.")
    high: float = Field(default=1.0, ge=-10.0, le=10.0, allow_inf_nan=False, description="uniform: upper end.")
    mean: float = Field(default=0.5, ge=-10.0, le=10.0, allow_inf_nan=False, description="normal: mean.")
    sd: float = Field(default=0.2, gt=0.0, le=10.0, allow_inf_nan=False, description="normal: standard deviation.")
    spacing: Literal["random", "even"] = Field(default="random", description="random: independent draws; even: "
                                               "the quantiles k / N of a uniform distribution (uniform only).")

    @property
    def own_fields(self) -> tuple[str, str]:
        """The two numbers the distribution takes."""
        return {"uniform": ("low", "high"), "normal": ("mean", "sd")}[self.distribution]

    @model_serializer(mode="wrap")
    def _dump(self, handler):
        """Written without the numbers of the other distribution (so that it validates again)."""
        data = handler(self)
        if isinstance(data, dict):
            for key in ("low", "high", "mean", "sd"):
                if key not in self.own_fields:
                    data.pop(key, None)
        return data

    @model_validator(mode="after")
    def _consistent(self):
        own = self.own_fields
        for key in ("low", "high", "mean", "sd"):
            if key in self.model_fields_set and key not in own:
                raise FieldError(key, f"not used by the {self.distribution} distribution (it takes "
                                 f"{' and '.join(own)})")
        if self.distribution == "uniform" and not self.low < self.high:
            raise FieldError("high", f"must be above low ({self.low:g}), got {self.high:g}")
        if self.spacing == "even" and self.distribution != "uniform":
            raise FieldError("spacing", "even spacing is defined for the uniform distribution only")
        return self


class Area(StrictModel):
    """One planning area, synthesised from its marginals or read from tables of buildings and households."""

    name: SafeLabel = Field(min_length=1)
    households: int | None = Field(default=None, gt=0, le=MAX_DWELLINGS, description="Resident households at the "
                                   "start (required unless the area comes from tables).")
    grid: tuple[int, int] | None = Field(default=None, description="Blocks as [columns, rows] (required unless the "
                                         "area comes from tables).")
    buildings_per_block: int = Field(default=4, gt=0, le=1000)
    dwellings_per_building: int = Field(default=16, gt=0, le=10_000)
    group_shares: tuple[Share, Share] = Field(default=(0.55, 0.45), description="Shares of group 0 and group 1.")
    unemployment_rate: Share = 0.12
    long_term_unemployment_rate: Share = 0.05
    transfer_rate: Share = 0.10
    inactive_rate: Share = 0.08
    child_poverty_rate: Share = 0.45
    household_size: float = Field(default=1.9, ge=1.0, le=8.0, description="Mean persons per household.")
    two_adult_share: Share = 0.35
    skill_mean: Share = Field(default=0.45, description="Median skill of the households (from tables: of those "
                              "whose skill is not given).")
    building_quality: Share = 0.55
    place_quality: Share = 0.5
    rent_level: float = Field(default=520.0, gt=0, le=100_000, description="Market rent of an average dwelling, "
                              "EUR/month (at most 100,000).")
    places: dict[str, int] = Field(default_factory=lambda: {"park": 1, "centre": 1, "playground": 3, "school": 2})
    organisations: dict[str, int] = Field(default_factory=lambda: {
        "municipality": 1, "housing_company": 2, "social_institution": 3, "association": 4, "business": 3})
    buildings_csv: str | None = Field(default=None, min_length=1, description="Table of the area's buildings (CSV, "
                                      "relative to the scenario file that names it); with households_csv it "
                                      "replaces households, grid, the building stock and the household "
                                      "marginals (see 'Areas from tables').")
    households_csv: str | None = Field(default=None, min_length=1, description="Table of the area's households "
                                       "(CSV, relative to the scenario file that names it); given together with "
                                       "buildings_csv.")
    thresholds: Thresholds | None = Field(default=None, description="Participation thresholds of the starting "
                                          "households (default: the parameters' logit-normal); see Thresholds.")
    _tables: AreaTables | None = PrivateAttr(default=None)

    @field_validator("grid")
    @classmethod
    def _grid(cls, grid):
        if grid is not None and not (1 <= grid[0] <= 10_000 and 1 <= grid[1] <= 10_000):
            raise ValueError("columns and rows must be between 1 and 10,000")
        return grid

    @field_validator("places")
    @classmethod
    def _places(cls, places):
        for kind, count in places.items():
            if kind not in PLACE_KINDS:
                raise ValueError(f"unknown place kind {kind!r}; expected one of {', '.join(PLACE_KINDS)}")
            if not 0 <= count <= 10_000:
                raise ValueError(f"count of {kind!r} must be between 0 and 10,000")
        return places

    @field_validator("organisations")
    @classmethod
    def _organisations(cls, orgs):
        for kind, count in orgs.items():
            if kind not in ORG_KINDS:
                raise ValueError(f"unknown organisation kind {kind!r}; expected one of {', '.join(ORG_KINDS)}")
            if not 0 <= count <= 1_000:
                raise ValueError(f"count of {kind!r} must be between 0 and 1,000")
        return orgs

    @property
    def tables(self) -> AreaTables | None:
        """The validated tables of an area from tables (None for an area from marginals)."""
        return self._tables

    @property
    def shape(self) -> tuple[int, int]:
        """Columns and rows of the block grid."""
        return self._tables.grid if self._tables is not None else self.grid

    @property
    def n_households(self) -> int:
        """Resident households at the start."""
        return self._tables.n_households if self._tables is not None else self.households

    @property
    def dwellings(self) -> int:
        """Dwellings of the area."""
        if self._tables is not None:
            return self._tables.n_dwellings
        return self.grid[0] * self.grid[1] * self.buildings_per_block * self.dwellings_per_building

    def group_share(self, group: int) -> float:
        """Share of households in ``group`` (0 or 1) at the start."""
        if self._tables is not None:
            return float(np.mean(self._tables.group == group))
        return self.group_shares[group]

    def head_shares(self) -> dict[str, float]:
        """Share of heads in each labour-market state at the start."""
        if self._tables is not None:
            counts = np.bincount(self._tables.labour, minlength=len(LABOUR_STATES))
            return dict(zip(LABOUR_STATES, (counts / counts.sum()).tolist()))
        return {"employed": 1 - self.unemployment_rate - self.transfer_rate - self.inactive_rate,
                "short_term_unemployed": self.unemployment_rate - self.long_term_unemployment_rate,
                "long_term_unemployed": self.long_term_unemployment_rate, "transfer": self.transfer_rate,
                "inactive": self.inactive_rate}

    def children_per_household(self) -> float:
        """Mean children (under 15) per household at the start."""
        if self._tables is not None:
            return float(self._tables.children.mean())
        return self.household_size - 1.0 - self.two_adult_share

    @model_serializer(mode="wrap")
    def _dump(self, handler):
        """An area from tables is written without the marginals its tables replace (so it validates again)."""
        data = handler(self)
        if self.buildings_csv is not None and isinstance(data, dict):
            for key in FROM_TABLES:
                data.pop(key, None)
        return data

    @model_validator(mode="after")
    def _consistent(self):
        if abs(sum(self.group_shares) - 1.0) > 1e-9:
            raise ValueError(f"group_shares must sum to 1, they sum to {sum(self.group_shares):g}")
        if self.buildings_csv is not None or self.households_csv is not None:
            return self._from_tables()
        for key in ("households", "grid"):
            if getattr(self, key) is None:
                raise FieldError(key, "required field is missing (or give buildings_csv and households_csv)")
        if self.dwellings > MAX_DWELLINGS:
            raise ValueError(f"{self.dwellings:,} dwellings (grid x buildings_per_block x dwellings_per_building); "
                             f"at most {MAX_DWELLINGS:,} per area")
        if self.households > self.dwellings:
            raise ValueError(f"{self.households} households do not fit into {self.dwellings} dwellings "
                             "(grid x buildings_per_block x dwellings_per_building)")
        if self.long_term_unemployment_rate > self.unemployment_rate:
            raise ValueError("long_term_unemployment_rate cannot exceed unemployment_rate")
        if self.unemployment_rate + self.transfer_rate + self.inactive_rate > 1.0:
            raise ValueError("unemployment_rate + transfer_rate + inactive_rate must not exceed 1")
        adults = 1.0 + self.two_adult_share
        if self.household_size < adults:
            raise ValueError(f"household_size {self.household_size:g} is below the mean number of adults {adults:g} "
                             "(1 + two_adult_share)")
        if self.household_size - adults > MAX_CHILDREN:
            raise ValueError(f"household_size {self.household_size:g} means {self.household_size - adults:g} children "
                             f"per household; at most {MAX_CHILDREN} (household_size up to {adults + MAX_CHILDREN:g})")
        return self

    def _from_tables(self):
        """Read the tables; the marginals they replace must not be written as well."""
        for key in TABLE_KEYS:
            if getattr(self, key) is None:
                other = TABLE_KEYS[1 - TABLE_KEYS.index(key)]
                raise FieldError(key, f"required field is missing: an area from tables needs both buildings_csv "
                                 f"and households_csv ({other} is given)")
        for key in FROM_TABLES:
            if key in self.model_fields_set:
                raise FieldError(key, "not allowed in an area from tables: the tables give it (households and "
                                 "their composition from households_csv, grid and building stock from "
                                 "buildings_csv); remove it")
        try:
            tables = read_tables(self.buildings_csv, self.households_csv)
        except AreaTableError as e:
            raise FieldError(e.field, str(e)) from None
        blocks = tables.grid[0] * tables.grid[1]
        if blocks > MAX_BLOCKS:
            raise FieldError("buildings_csv", f"{self.buildings_csv}: a grid of {tables.grid[0]} x {tables.grid[1]} "
                             f"blocks (block_x and block_y from 0 to their largest values); at most {MAX_BLOCKS:,}")
        if tables.n_dwellings > MAX_DWELLINGS:
            raise FieldError("buildings_csv", f"{self.buildings_csv}: {tables.n_dwellings:,} dwellings; at most "
                             f"{MAX_DWELLINGS:,} per area")
        self._tables = tables
        return self


class _Typed(StrictModel):
    """Strict models of the funding and measure tables: no type coercion ("5" is not 5, true is not 1)."""

    model_config = ConfigDict(strict=True)  # merged with StrictModel's


class Cut(_Typed):
    """A scheduled cut: from the start of ``year`` on, the source pays ``share`` less (cuts compound)."""

    year: int = Field(ge=1, description="Year (from 1) from whose start the cut applies.")
    share: float = Field(gt=0.0, le=1.0, description="Share of the amount cut, 0-1 (1 = the source stops).")


class FundingSource(_Typed, Labelled):
    """A funding source; the table key is its name (``[funding.soziale_stadt]``)."""

    kind: Literal["public_programme", "co_financing", "donation", "own_funds"] = Field(
        description="public_programme (Sozialer Zusammenhalt: federal, state, municipality), co_financing "
        "(e.g. EU regional funds, the district), donation (foundations, housing companies), own_funds "
        "(carriers' own money, volunteer hours valued in EUR).")
    amount_per_year: Money = Field(description="EUR paid in at the start of every budget year of the period.")
    start: int = Field(default=1, ge=1, description="First year (from 1) the source pays.")
    end: int | None = Field(default=None, ge=1, description="Last year the source pays (default: to the horizon "
                            "and beyond).")
    degression: Share = Field(default=0.0, description="Yearly reduction: the amount in year y is amount_per_year "
                              "* (1 - degression) ** (y - start).")
    carry_over: bool = Field(default=False, description="Unspent money carries over to the next year (otherwise it "
                             "lapses at the end of the budget year).")
    min_cofinancing: Share = Field(default=0.0, description="Share of each measure it funds that must come from "
                                   "other sources (co-financing rule; the source pays only alongside them).")
    cut_probability: Share = Field(default=0.0, description="Yearly probability of a random cut (drawn from the "
                                   "run's random numbers, stream BUDGET).")
    cut_size: Share = Field(default=0.0, description="Share of the amount lost when a random cut happens.")
    cuts: list[Cut] = Field(default_factory=list, description="Scheduled cuts.")
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self):
        if self.end is not None and self.end < self.start:
            raise FieldError("end", f"last year {self.end} is before the first year {self.start}")
        if (self.cut_probability > 0) != (self.cut_size > 0):
            raise FieldError("cut_probability", "a random cut needs both cut_probability > 0 and cut_size > 0")
        for k, cut in enumerate(self.cuts):
            if cut.year in [c.year for c in self.cuts[:k]]:
                raise FieldError(f"cuts.{k}.year", f"a second cut in year {cut.year}; combine the cuts of one year")
            if cut.year < self.start or (self.end is not None and cut.year > self.end):
                raise FieldError(f"cuts.{k}.year", f"year {cut.year} is outside the source's period "
                                 f"{self.start}-{self.end if self.end is not None else 'open'}")
        return self


class Target(_Typed):
    """Whom a measure reaches. Keys other than ``area`` narrow it; each measure type accepts some of them."""

    area: str | None = Field(default=None, description="Area name (required when the scenario has several).")
    blocks: list[Annotated[list[int], Field(min_length=2, max_length=2)]] | None = Field(
        default=None, min_length=1, description="Blocks as [column, row] pairs (from 0) in the area's grid.")
    groups: list[Literal["majority", "minority"]] | None = Field(default=None, min_length=1)
    employment: list[Literal[LABOUR_STATES]] | None = Field(  # type: ignore[valid-type]
        default=None, min_length=1, description="Labour-market states of the head: " + ", ".join(LABOUR_STATES))
    children: bool | None = Field(default=None, description="true: only households with children under 15.")

    def keys(self) -> list[str]:
        """The narrowing keys that are set."""
        return [k for k in ("blocks", "groups", "employment", "children") if getattr(self, k) is not None]


class _Timed(_Typed, Labelled):
    """Timing, funding and priority shared by measures and the QM office."""

    start: float = Field(default=1.0, ge=1.0, le=201.0, allow_inf_nan=False,
                         description="Year it starts (1 = the beginning of the run; 2.5 = the middle of year 2).")
    duration: float | None = Field(default=None, gt=0.0, le=200.0, allow_inf_nan=False,
                                   description="Years it runs (or give end).")
    end: float | None = Field(default=None, ge=1.0, le=200.0, allow_inf_nan=False,
                              description="Last year it runs, to that year's end (or give duration; neither: "
                              "to the end of the run).")
    funding: Annotated[dict[str, Share], WithJsonSchema({
        "anyOf": [{"type": "string"}, {"type": "object", "additionalProperties": {
            "type": "number", "minimum": 0, "maximum": 1}}]})] = Field(
        default_factory=dict, description="Funding source name, or {source = share, ...} with shares summing to 1.")
    priority: int = Field(default=5, ge=0, le=1000, description="Allocation priority: lower is funded first.")
    minimum_funding: Share = Field(default=0.0, description="Below this funded share of its cost the measure "
                                   "does not run that year (and gets no money).")
    effect: dict[str, float] = Field(default_factory=dict, description="Overrides of the type's effect sizes "
                                     "(`qsim measures` lists them).")

    @field_validator("funding", mode="before")
    @classmethod
    def _one_source(cls, value):
        return {value: 1.0} if isinstance(value, str) else value

    @property
    def funding_shares(self) -> dict[str, float]:
        return dict(self.funding)

    @property
    def start_month(self) -> int:
        return int(round((self.start - 1.0) * 12))

    @property
    def end_month(self) -> int | None:
        """First month after the end (None: runs to the end of the run; construction ends when built)."""
        if self.duration is not None:
            return self.start_month + max(1, int(round(self.duration * 12)))
        if self.end is not None:
            return int(round(self.end * 12))
        return None

    @model_validator(mode="after")
    def _timing(self):
        if self.duration is not None and self.end is not None:
            raise FieldError("end", "give either duration or end, not both")
        if self.end is not None and self.end_month <= self.start_month:
            raise FieldError("end", f"ends (end of year {self.end:g}) before it starts (year {self.start:g})")
        shares = self.funding_shares
        if shares and abs(sum(shares.values()) - 1.0) > 1e-9:
            raise FieldError("funding", f"shares must sum to 1, they sum to {sum(shares.values()):g}")
        return self



MAX_EFFECT = 1e6  # an effect size above this is no longer a measure's effect (1e300 overflowed rents and qualities)


def _check_effects(kind: str, effect: dict[str, float]) -> None:
    """Effect overrides must name effects of the measure type and be finite numbers in [0, MAX_EFFECT]."""
    entry = CATALOGUE[kind]
    for key, value in effect.items():
        if key not in entry.effects:
            raise FieldError(f"effect.{key}", f"{kind} has no effect {key!r}; expected one of "
                             f"{', '.join(entry.effects)}")
        if not 0 <= value <= MAX_EFFECT:
            raise FieldError(f"effect.{key}", f"must be a number from 0 to {MAX_EFFECT:g}")

class Measure(_Timed):
    """One measure: a catalogue type with timing, target, capacity, budget and funding."""

    type: str = Field(description="Measure type from the catalogue (`qsim measures`).")
    name: SafeLabel | None = Field(default=None, min_length=1, description="Unique name (default: the type).")
    description: str = Field(default="", max_length=10_000)
    target: Target = Field(default_factory=Target)
    capacity: float | None = Field(default=None, gt=0.0, le=1e6, allow_inf_nan=False,
                                   description="Capacity in the type's unit (default: the catalogue's).")
    budget_per_year: Money | None = Field(default=None, description="EUR per year (default: the catalogue's cost "
                                          "model); not for construction.")
    one_off: Money | None = Field(default=None, description="EUR in total, for construction measures, paid over the "
                                  "construction lag (default: the catalogue's cost model).")

    @field_validator("type")
    @classmethod
    def _type(cls, name):
        if name not in CATALOGUE:
            types = ", ".join(t for t in CATALOGUE if t != "qm_office")
            raise ValueError(f"unknown measure type {name!r}; expected one of {types}")
        if name == "qm_office":
            raise ValueError("the QM office is set up in the [qm_office] table, not as a measure")
        return name

    @model_validator(mode="after")
    def _consistent(self):
        entry = CATALOGUE[self.type]
        _check_effects(self.type, self.effect)
        if entry.one_off:
            if self.budget_per_year is not None:
                raise FieldError("budget_per_year", f"{self.type} is a construction measure: give one_off (EUR in "
                                 "total), not budget_per_year")
            if self.duration is not None or self.end is not None:
                raise FieldError("duration" if self.duration is not None else "end",
                                 f"{self.type} is a construction measure: it ends when it is built "
                                 f"({entry.lag_months} months at full funding); give no duration or end")
        elif self.one_off is not None:
            raise FieldError("one_off", f"{self.type} runs per year: give budget_per_year, not one_off")
        for key in self.target.keys():
            if key not in entry.targets:
                accepted = ", ".join(("area",) + entry.targets)
                raise FieldError(f"target.{key}", f"{self.type} cannot be targeted by {key}; it accepts {accepted}")
        return self

    @property
    def label(self) -> str:
        return self.name or self.type

    def title(self, lang: str) -> str:
        """The measure's name for readers in ``lang``: its ``label_<lang>``, else its name, else the catalogue's
        title of its type."""
        return self.label_in(lang, self.name if self.name not in (None, self.type) else
                             CATALOGUE[self.type].title_de if lang == "de" else CATALOGUE[self.type].title)

    @property
    def units(self) -> float:
        """Capacity in the type's unit."""
        return self.capacity if self.capacity is not None else CATALOGUE[self.type].default_capacity

    @property
    def cost(self) -> float:
        """EUR per year, or in total for construction."""
        given = self.one_off if CATALOGUE[self.type].one_off else self.budget_per_year
        return given if given is not None else CATALOGUE[self.type].default_cost(self.units)


class QmOffice(_Timed):
    """The QM office (team): carrier, staff and cost; it runs as a measure of type ``qm_office``.

    A scenario has one office (``[qm_office]``) or one per area served (``[[qm_offices]]``, each with its
    ``area``); in a city, ``[qm_office]`` with ``areas = "<selection>"`` becomes one office per chosen area.
    """

    carrier: Literal["municipality", "non_profit", "private"] = Field(
        description="Who runs the office; scales its delivery (" + ", ".join(f"{k} {v:g}" for k, v in
                                                                       CARRIERS.items()) + ").")
    staff: float = Field(gt=0.0, le=50.0, allow_inf_nan=False, description="Full-time staff (FTE).")
    cost_per_year: Money | None = Field(default=None, description="EUR per year (default: 75,000 per FTE + 30,000).")
    area: str | None = Field(default=None, description="Area served (required when the scenario has several).")
    priority: int = Field(default=0, ge=0, le=1000, description="Allocation priority: lower is funded first.")

    @model_validator(mode="after")
    def _effects(self):
        _check_effects("qm_office", self.effect)
        return self

    def as_measure(self, name: str = "qm_office") -> Measure:
        """The office as a measure of type ``qm_office`` named ``name``."""
        cost = self.cost_per_year if self.cost_per_year is not None else CATALOGUE["qm_office"].default_cost(
            self.staff)
        data = self.model_dump(exclude={"carrier", "staff", "cost_per_year", "area"})
        return Measure.model_construct(**data, type="qm_office", name=name, target=Target(area=self.area),
                                       capacity=self.staff, budget_per_year=cost, one_off=None, description="")


class Allocation(_Typed):
    """How money is shared out when it does not cover every measure (planned at the start of each year)."""

    policy: Literal["priority", "pro_rata", "participatory"] = Field(
        default="priority", description="priority: in order of priority, each funded fully while money lasts; "
        "pro_rata: every measure gets the same share of its cost; participatory: in order of residents' "
        "priorities (the resident council weighs the needs of residents, those taking part count three times; "
        "the QM office and network coordination first).")


class Scenario(StrictModel):
    """A validated scenario. Build one with :func:`load_scenario` or ``Scenario.model_validate(dict)``."""

    scenario: Meta
    areas: list[Area] = Field(min_length=1)
    processes: Processes = Field(default_factory=Processes)
    macro: Macro = Field(default_factory=Macro)
    parameters: dict[str, Any] = Field(default_factory=dict, description="Overrides by dotted name, e.g. "
                                       "'labour.job_loss' = 0.008 or {per_year = 0.09}.")
    tie_slots: int = Field(default=6, ge=1, le=32, description="Tie slots per household.")
    spinup_months: int = Field(default=48, ge=0, le=240, description="Months (unit: months) of spin-up before month "
                               "0: the whole model runs, unrecorded and without measures, to its own steady state "
                               "(assumption: 48 months bring ties, spells and long-term unemployment there; "
                               "docs/model.md 3.2).")
    extends: str | None = Field(default=None, description="Another scenario file (relative to this one) to inherit "
                                "and override; resolved when the file is loaded.")
    funding: dict[str, FundingSource] = Field(default_factory=dict, description="Funding sources by name.")
    qm_office: QmOffice | None = Field(default=None, description="The QM office (none: no office; a city: "
                                       "areas = \"<selection>\" for one office per chosen area).")
    qm_offices: list[QmOffice] = Field(default_factory=list, description="Several QM offices, one per area served "
                                       "(each its own team, carrier and budget), instead of [qm_office].")
    measures: list[Measure] = Field(default_factory=list, description="The measures of the programme.")
    allocation: Allocation = Field(default_factory=Allocation)
    _source: str = PrivateAttr(default="<dict>")  # the file it was read from (for error messages)
    _city: CityAreas | None = PrivateAttr(default=None)  # the [city] table its areas came from (qsim.city)

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, values):
        out = {}
        for name, value in values.items():
            if isinstance(value, dict):
                if set(value) not in ({"per_year"}, {"per_month"}):
                    raise FieldError(name, "a rate is written as {per_year = p} or {per_month = p}")
                per, amount = next(iter(value.items()))
                try:
                    value = to_monthly(check_value(name, amount) if per == "per_month" else amount, per[4:])
                except ParameterError as e:
                    raise FieldError(name, str(e)) from None
            try:
                out[name] = check_value(name, value)
            except ParameterError as e:
                raise FieldError(name, str(e)) from None
        return out

    @model_validator(mode="after")
    def _one_kind_of_office(self):
        if self.qm_office is not None and self.qm_offices:
            raise FieldError("qm_offices", "give one office ([qm_office]) or one per area ([[qm_offices]]), not both")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler):
        """Written without an empty ``qm_offices`` (so that a scenario without it dumps, and hashes, as before)."""
        data = handler(self)
        if not self.qm_offices:
            data.pop("qm_offices", None)
        return data

    @model_validator(mode="after")
    def _names(self):
        names = [a.name for a in self.areas]
        if len(set(names)) != len(names):
            raise ValueError("area names must be unique")
        return self

    @model_validator(mode="after")
    def _spells(self):
        """Unemployment spells given in households tables fit the scenario's ``labour.long_term_after``."""
        if all(area.tables is None for area in self.areas):
            return self
        long_term_after = ModelParameters(self.parameters)["labour.long_term_after"]
        for k, area in enumerate(self.areas):
            t = area.tables
            if t is None:
                continue
            for state, months, line in zip(t.labour, t.unemployed_months, t.line):
                if months < 0:
                    continue
                if state == SHORT_TERM_UNEMPLOYED and months >= long_term_after:
                    expected = f"below labour.long_term_after = {long_term_after:g} for a short-term unemployed head"
                elif state == LONG_TERM_UNEMPLOYED and months < long_term_after:
                    expected = f"at least labour.long_term_after = {long_term_after:g} for a long-term unemployed head"
                else:
                    continue
                raise FieldError(f"areas.{k}.households_csv", f"{t.households_file}: line {line}, column "
                                 f"'unemployed_months': expected {expected}, got {months}")
        return self

    @model_validator(mode="after")
    def _programme(self):
        """Measures and the office refer to existing areas and sources, fit the horizon and select someone."""
        horizon = self.years * 12
        labels: set[str] = set()
        programmes = 0
        paths = self.measure_paths()
        for k, m in enumerate(self.all_measures()):
            path = paths[k]
            if m.label in labels:
                raise FieldError(f"{path}.name", f"measure name {m.label!r} is used twice; give each measure a "
                                 "unique name")
            labels.add(m.label)
            if m.start_month >= horizon:
                raise FieldError(f"{path}.start", f"starts in year {m.start:g}, after the horizon of {self.years} "
                                 "years")
            if m.end_month is not None and m.end_month > horizon:
                raise FieldError(f"{path}.{'end' if m.end is not None else 'duration'}",
                                 f"runs to month {m.end_month}, beyond the horizon of {self.years} years "
                                 f"({horizon} months)")
            area = self._target_area(m.target.area, f"{path}.{'area' if m.type == 'qm_office' else 'target.area'}")
            self._check_target(m, area, path)
            programmes += CATALOGUE[m.type].kind.per_participant
            self._check_funding(m, path)
        if programmes > N_PROGRAMMES:
            raise FieldError("measures", f"{programmes} person programmes; at most {N_PROGRAMMES} can run in one "
                             "scenario")
        return self

    def _target_area(self, name: str | None, path: str) -> Area:
        if name is None:
            if len(self.areas) > 1:
                raise FieldError(path, "required: the scenario has several areas (" +
                                 ", ".join(a.name for a in self.areas) + ")")
            return self.areas[0]
        for area in self.areas:
            if area.name == name:
                return area
        raise FieldError(path, f"unknown area {name!r}; expected one of {', '.join(a.name for a in self.areas)}")

    def _check_target(self, m: "Measure", area: Area, path: str) -> None:
        entry = CATALOGUE[m.type]
        t = m.target
        columns, rows = area.shape
        for k, (x, y) in enumerate(t.blocks or ()):
            if not (0 <= x < columns and 0 <= y < rows):
                raise FieldError(f"{path}.target.blocks.{k}", f"block [{x}, {y}] is outside area {area.name!r}'s "
                                 f"grid of {columns} x {rows} (columns and rows from 0)")
        nobody = f"{path}.target"
        groups = t.groups or ()
        if groups and all(area.group_share(GROUP_NAMES.index(g)) == 0 for g in groups):
            raise FieldError(f"{nobody}.groups", f"selects nobody: area {area.name!r} has no households of "
                             f"group(s) {', '.join(groups)}")
        employment = t.employment or entry.default_target.get("employment") or ()
        rates = area.head_shares()
        if employment and sum(rates[e] for e in employment) * area.n_households < 0.5:
            raise FieldError(f"{nobody}.employment", f"selects nobody: area {area.name!r} has no heads in state(s) "
                             f"{', '.join(employment)}")
        children = t.children if t.children is not None else entry.default_target.get("children", False)
        if children and area.children_per_household() * area.n_households < 0.5:
            raise FieldError(f"{nobody}.children", f"selects nobody: area {area.name!r} has no children "
                             "(household_size = 1 + two_adult_share, or no children in its households table)")
        if entry.place_kind is not None and area.places.get(entry.place_kind, 0) == 0:
            raise FieldError(f"{nobody}.area", f"{m.type} improves places of kind {entry.place_kind!r}, and area "
                             f"{area.name!r} has none (areas.places.{entry.place_kind})")

    def _check_funding(self, m: "Measure", path: str) -> None:
        shares = m.funding_shares
        if not shares:
            if m.cost > 0:
                raise FieldError(f"{path}.funding", f"costs {m.cost:,.0f} EUR and names no funding source; expected "
                                 f"one of {', '.join(self.funding) or '(none defined: add [funding.<name>])'}")
            return
        entry = CATALOGUE[m.type]
        end = Timing.of(m, entry).planned_end(self.years * 12)
        for name, share in shares.items():
            source = self.funding.get(name)
            if source is None:
                key = f"{path}.funding" + ("" if any(c.isspace() for c in name) else f".{name}")  # a path, no spaces
                raise FieldError(key, f"unknown funding source {name!r}; expected one of "
                                 f"{', '.join(self.funding) or '(none defined: add [funding.<name>])'}")
            first = (source.start - 1) * 12
            last = source.end * 12 if source.end is not None else math.inf
            if share > 0 and (first > m.start_month or last < end):
                period = f"{source.start}-{source.end}" if source.end is not None else f"{source.start} on"
                raise FieldError(f"{path}.funding", f"source {name!r} pays in years {period}, which does not cover "
                                 f"the measure's period (months {m.start_month}-{end - 1}"
                                 f"{', the construction time' if entry.one_off else ''}); change the dates or the "
                                 "source")
            others = sum(v for k, v in shares.items() if k != name)
            if share > 0 and others + 1e-9 < source.min_cofinancing:
                raise FieldError(f"{path}.funding", f"source {name!r} requires co-financing of at least "
                                 f"{source.min_cofinancing:g} of the cost from other sources; the others pay "
                                 f"{others:g}")

    @property
    def offices(self) -> list[QmOffice]:
        """The QM offices: none, the one of ``[qm_office]``, or those of ``[[qm_offices]]``."""
        return ([self.qm_office] if self.qm_office is not None else []) + list(self.qm_offices)

    def all_measures(self) -> list[Measure]:
        """The QM offices (first; named ``qm_office``, of ``[[qm_offices]]`` ``qm_office @ <area>``) and the
        measures."""
        offices = [self.qm_office.as_measure()] if self.qm_office is not None else []
        offices += [o.as_measure(f"qm_office @ {o.area}" if o.area is not None else "qm_office")
                    for o in self.qm_offices]
        return offices + list(self.measures)

    def measure_paths(self) -> list[str]:
        """The field path of each of :meth:`all_measures` in the scenario file (for error messages)."""
        return (["qm_office"] if self.qm_office is not None else []) + \
            [f"qm_offices.{k}" for k in range(len(self.qm_offices))] + \
            [f"measures.{k}" for k in range(len(self.measures))]

    def area_index(self, name: str | None) -> int:
        """Index of a target's area (the only area when ``name`` is None)."""
        return 0 if name is None else [a.name for a in self.areas].index(name)

    @property
    def name(self) -> str:
        return self.scenario.name

    def title(self, lang: str) -> str:
        """The scenario's (option's) name for readers in ``lang``: ``[scenario] label_<lang>``, else its name."""
        return self.scenario.label_in(lang, self.name)

    def description_in(self, lang: str) -> str:
        """The scenario's description in ``lang`` (German: ``description_de`` if given)."""
        return self.scenario.description_de or self.scenario.description if lang == "de" else \
            self.scenario.description

    def funding_title(self, source: str, lang: str) -> str:
        """A funding source's name for readers in ``lang``: its ``label_<lang>``, else its key."""
        spec = self.funding.get(source)
        return spec.label_in(lang, source) if spec is not None else source

    @property
    def city(self) -> CityAreas | None:
        """The city table the areas were made from (None: the areas were written out)."""
        return self._city

    @property
    def source(self) -> str:
        """The file the scenario was read from ('<dict>' if built in Python)."""
        return self._source

    @property
    def years(self) -> int:
        return self.scenario.years

    def __repr__(self) -> str:
        households = sum(a.n_households for a in self.areas)
        return (f"Scenario({self.name!r}, {self.years} years, {len(self.areas)} area(s), {households:,} households, "
                f"{len(self.all_measures())} measure(s))")

    def _repr_html_(self) -> str:
        """A notebook's display: the funding sources and the measures with their period and cost."""
        from .display import eur, table

        rows = [[f"funding: {self.funding_title(name, 'en')}", s.kind.replace("_", " "),
                 f"{s.start}-{s.end if s.end is not None else self.years}", eur(s.amount_per_year) + " a year"]
                for name, s in self.funding.items()]
        for m in self.all_measures():
            end = m.end_month / 12 if m.end_month is not None else self.years
            cost = eur(m.cost) + (" one-off" if CATALOGUE[m.type].one_off else " a year")
            rows.append([m.title("en"), m.type, f"{m.start:g}-{end:g}", cost])
        return table(repr(self), ["", "kind", "years", "EUR"], rows, self.scenario.description)

    def with_parameters(self, overrides: dict[str, float]) -> "Scenario":
        """A copy with further parameter overrides (a bad override raises ScenarioError)."""
        data = self.model_dump()
        data["parameters"] = {**self.parameters, **overrides}
        return scenario_from_dict(data, self._source)


def scenario_from_dict(data: dict, source: str = "<dict>", base_dir: str | Path = ".") -> Scenario:
    """Validate a scenario given as a dict; errors name ``source``.

    An ``extends`` entry and the areas' table paths are resolved against ``base_dir`` (the folder of the file).
    """
    chain = [source]
    data = _resolve_tables(data, Path(base_dir))
    if isinstance(data, dict) and data.get("extends") is not None:
        data = _extend(data, source, Path(base_dir), chain)
    via = f" (extends {' -> '.join(chain[1:])})" if len(chain) > 1 else ""
    try:
        data, city = expand_city(data)
    except CityError as e:
        raise ScenarioError(f"{source}{via}: invalid scenario\n{e}") from None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        via = f" (extends {' -> '.join(chain[1:])})" if len(chain) > 1 else ""
        raise ScenarioError.from_validation(source, e, via=via) from None
    scenario._source = source
    scenario._city = city
    return scenario


def _resolve_tables(data: Any, base_dir: Path) -> Any:
    """``data`` with the areas' table paths made absolute against ``base_dir`` (the folder of the file naming them)."""
    if isinstance(data, dict) and isinstance(data.get("city"), dict):
        data = {**data, "city": resolve_city_paths(data["city"], base_dir)}
    if not isinstance(data, dict) or not isinstance(data.get("areas"), list):
        return data
    areas = [{k: os.path.abspath(base_dir / v) if k in TABLE_KEYS and isinstance(v, str) and v else v
              for k, v in area.items()} if isinstance(area, dict) else area for area in data["areas"]]
    return {**data, "areas": areas}


def _merge(base: dict, override: dict) -> dict:
    """Tables merged key by key; any other value (including arrays) replaces the parent's."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _extend(data: dict, source: str, base_dir: Path, chain: list[str]) -> dict:
    """``data`` merged over the file it extends (recursively); ``chain`` collects the files read."""
    parent = data["extends"]
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(f"{source}: extends: expected the name of a scenario file, got {parent!r}")
    try:
        path = check_input_file(base_dir / parent, ScenarioError, "extends").resolve()
    except ScenarioError as e:
        shown = repr(parent) if len(parent) <= 200 and "\0" not in parent else "(this path)"
        what = f"{e.reason} {shown} (looked for {e.source})" if e.reason.startswith("no such") else \
            f"{shown}: {e.reason}"
        raise ScenarioError(f"{source}: extends: {what}", source, "extends") from None
    if str(path) in {str(Path(c).resolve()) for c in chain}:
        raise ScenarioError(f"{source}: extends: cycle {' -> '.join(chain + [parent])}")
    chain.append(str(path))
    parent_data = _resolve_tables(read_toml(path, ScenarioError), path.parent)
    if parent_data.get("extends") is not None:
        parent_data = _extend(parent_data, str(path), path.parent, chain)
    merged = _merge(parent_data, {k: v for k, v in data.items() if k != "extends"})
    merged.pop("extends", None)
    return merged


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (TOML), resolving ``extends``."""
    path = Path(path)
    return scenario_from_dict(read_toml(path, ScenarioError), str(path), path.parent)


def macro_path(points: list[tuple[float, float]], months: int) -> list[float]:
    """Monthly values of a macro path (linear between [year, value] points, flat outside)."""
    import numpy as np

    years = [p[0] for p in points]
    values = [p[1] for p in points]
    return list(np.interp(np.arange(months) / 12.0, years, values))


__all__ = ["Scenario", "ScenarioError", "load_scenario", "scenario_from_dict", "PROCESSES"]
