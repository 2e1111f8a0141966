"""Scenario files (TOML): loading and strict validation into a typed ``Scenario``.

A scenario is the complete description of a run: the neighbourhood (one or
more areas from their marginals), the processes switched on, parameter
overrides, and the macro paths. Every malformed value is rejected with a
message that names the file, the field path and what was expected.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .parameters import PROCESSES, ParameterError, check_value, to_monthly
from .state import ORG_KINDS, PLACE_KINDS

Share = Annotated[float, Field(ge=0.0, le=1.0)]


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    years: int = Field(gt=0, le=200, description="Simulated horizon in years.")
    seed: int = Field(default=1, ge=0, description="Default seed of the run.")


class Processes(_Strict):
    """Which processes run (all by default). Schelling runs with mobility alone."""

    labour: bool = True
    encounters: bool = True
    trust: bool = True
    participation: bool = True
    environment: bool = True
    mobility: bool = True
    organisations: bool = True


class Macro(_Strict):
    """Macro paths as [year, value] points, linear between points and flat outside."""

    labour_demand: list[tuple[float, float]] = Field(default_factory=lambda: [(0.0, 1.0)])
    rent_pressure: list[tuple[float, float]] = Field(default_factory=lambda: [(0.0, 1.0)])

    @field_validator("labour_demand", "rent_pressure")
    @classmethod
    def _path(cls, points):
        if not points:
            raise ValueError("needs at least one [year, value] point")
        years = [y for y, _ in points]
        if any(b <= a for a, b in zip(years, years[1:])):
            raise ValueError("years must increase strictly from point to point")
        if any(v <= 0 or not math.isfinite(v) for _, v in points):
            raise ValueError("values must be positive numbers (1.0 = today's level)")
        return points


class Area(_Strict):
    """One planning area, synthesised from its marginals."""

    name: str = Field(min_length=1)
    households: int = Field(gt=0, description="Resident households at the start.")
    grid: tuple[int, int] = Field(description="Blocks as [columns, rows].")
    buildings_per_block: int = Field(default=4, gt=0)
    dwellings_per_building: int = Field(default=16, gt=0)
    group_shares: tuple[Share, Share] = Field(default=(0.55, 0.45), description="Shares of group 0 and group 1.")
    unemployment_rate: Share = 0.12
    long_term_unemployment_rate: Share = 0.05
    transfer_rate: Share = 0.10
    inactive_rate: Share = 0.08
    child_poverty_rate: Share = 0.45
    household_size: float = Field(default=1.9, ge=1.0, le=8.0, description="Mean persons per household.")
    two_adult_share: Share = 0.35
    skill_mean: Share = 0.45
    building_quality: Share = 0.55
    place_quality: Share = 0.5
    rent_level: float = Field(default=520.0, gt=0, description="Market rent of an average dwelling, EUR/month.")
    places: dict[str, int] = Field(default_factory=lambda: {"park": 1, "centre": 1, "playground": 3, "school": 2})
    organisations: dict[str, int] = Field(default_factory=lambda: {
        "municipality": 1, "housing_company": 2, "social_institution": 3, "association": 4, "business": 3})

    @field_validator("grid")
    @classmethod
    def _grid(cls, grid):
        if grid[0] < 1 or grid[1] < 1:
            raise ValueError("columns and rows must be at least 1")
        return grid

    @field_validator("places")
    @classmethod
    def _places(cls, places):
        for kind, count in places.items():
            if kind not in PLACE_KINDS:
                raise ValueError(f"unknown place kind {kind!r}; expected one of {', '.join(PLACE_KINDS)}")
            if count < 0:
                raise ValueError(f"count of {kind!r} must be >= 0")
        return places

    @field_validator("organisations")
    @classmethod
    def _organisations(cls, orgs):
        for kind, count in orgs.items():
            if kind not in ORG_KINDS:
                raise ValueError(f"unknown organisation kind {kind!r}; expected one of {', '.join(ORG_KINDS)}")
            if count < 0:
                raise ValueError(f"count of {kind!r} must be >= 0")
        return orgs

    @property
    def dwellings(self) -> int:
        return self.grid[0] * self.grid[1] * self.buildings_per_block * self.dwellings_per_building

    @model_validator(mode="after")
    def _consistent(self):
        if abs(sum(self.group_shares) - 1.0) > 1e-9:
            raise ValueError(f"group_shares must sum to 1, they sum to {sum(self.group_shares):g}")
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
        return self


class Scenario(_Strict):
    """A validated scenario. Build one with :func:`load_scenario` or ``Scenario.model_validate(dict)``."""

    scenario: Meta
    areas: list[Area] = Field(min_length=1)
    processes: Processes = Field(default_factory=Processes)
    macro: Macro = Field(default_factory=Macro)
    parameters: dict[str, Any] = Field(default_factory=dict, description="Overrides by dotted name, e.g. "
                                       "'labour.job_loss' = 0.008 or {per_year = 0.09}.")
    tie_slots: int = Field(default=8, ge=1, le=32, description="Tie slots per household.")
    spinup_months: int = Field(default=24, ge=0, le=240, description="Months of tie formation before month 0.")

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, values):
        out = {}
        for name, value in values.items():
            if isinstance(value, dict):
                if set(value) not in ({"per_year"}, {"per_month"}):
                    raise ValueError(f"{name}: a rate is written as {{per_year = p}} or {{per_month = p}}")
                per, amount = next(iter(value.items()))
                try:
                    value = to_monthly(check_value(name, amount) if per == "per_month" else amount, per[4:])
                except ParameterError as e:
                    raise ValueError(str(e)) from None
            try:
                out[name] = check_value(name, value)
            except ParameterError as e:
                raise ValueError(str(e)) from None
        return out

    @model_validator(mode="after")
    def _names(self):
        names = [a.name for a in self.areas]
        if len(set(names)) != len(names):
            raise ValueError("area names must be unique")
        return self

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def years(self) -> int:
        return self.scenario.years

    def with_parameters(self, overrides: dict[str, float]) -> "Scenario":
        """A copy with further parameter overrides."""
        data = self.model_dump()
        data["parameters"] = {**self.parameters, **overrides}
        return Scenario.model_validate(data)


def _describe(error: ValidationError) -> str:
    lines = []
    for e in error.errors():
        path = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; `qsim schema` lists the fields)"
        elif e["type"] == "missing":
            msg = "required field is missing"
        lines.append(f"  {path}: {msg}")
    return "\n".join(lines)


def scenario_from_dict(data: dict, source: str = "<dict>") -> Scenario:
    """Validate a scenario given as a dict; errors name ``source``."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(f"{source}: invalid scenario\n{_describe(e)}") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (TOML)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{path}: cannot be read ({e})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: not valid TOML: {e}") from None
    return scenario_from_dict(data, str(path))


def macro_path(points: list[tuple[float, float]], months: int) -> list[float]:
    """Monthly values of a macro path (linear between [year, value] points, flat outside)."""
    import numpy as np

    years = [p[0] for p in points]
    values = [p[1] for p in points]
    return list(np.interp(np.arange(months) / 12.0, years, values))


__all__ = ["Scenario", "ScenarioError", "load_scenario", "scenario_from_dict", "PROCESSES"]
