"""Designs over factors: model parameters, macro paths and measure settings.

A factor is named by a path:

* a model parameter by its dotted name (``labour.referral_strength``), checked
  against the registry and its bounds (``qsim parameters``);
* ``macro.labour_demand`` or ``macro.rent_pressure``: a factor (> 0) that
  scales every point of the scenario's macro path (1 = unchanged);
* ``measures.<name>.capacity`` or ``measures.<name>.budget_per_year``: a
  setting of the measure of that name (its ``name``, else its type) in every
  scenario that has it; at least one scenario must have it.
* ``measures.<name>.effect_scale``: a factor (>= 0) on every effect size of
  that measure (the catalogue's, or the scenario's ``effect`` overrides;
  1 = unchanged), and ``measures.<name>.effect.<effect>``: one effect size
  (``qsim measures`` lists them), set to the value. A point may give both:
  the scale applies first, then the single effect sizes.

A design is a table of points: one row per point, one column per factor.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy.stats import qmc

from ..files import FileError, check_input_file
from ..measures.catalogue import CATALOGUE
from ..parameters import BY_NAME, ParameterError, check_value
from ..scenario import MAX_EFFECT, Scenario, scenario_from_dict

DesignKind = Literal["grid", "lhs", "sobol", "table"]
MACRO_PATHS = ("labour_demand", "rent_pressure")
MEASURE_SETTINGS = {"capacity": (0.0, 1e6), "budget_per_year": (0.0, 1e10)}
"""Measure settings a factor may vary, with their bounds (the scenario's own)."""
EFFECT_SCALE_BOUNDS = (0.0, 100.0)
"""Bounds of ``measures.<name>.effect_scale`` (a factor on the measure's effect sizes)."""
EFFECT_BOUNDS = (0.0, MAX_EFFECT)
"""Bounds of ``measures.<name>.effect.<effect>`` (an effect size; the scenario requires >= 0)."""


class DesignError(ValueError):
    """A factor or design that cannot be used; the message names the factor."""


@dataclass(frozen=True)
class Factor:
    """A factor and where it varies: between ``low`` and ``high``, or over the given ``levels``."""

    name: str
    low: float | None = None
    high: float | None = None
    levels: tuple[float, ...] | None = None

    def __post_init__(self):
        if (self.levels is None) == (self.low is None or self.high is None):
            raise DesignError(f"factor {self.name!r}: give either low and high, or levels")
        if self.levels is not None and len(self.levels) == 0:
            raise DesignError(f"factor {self.name!r}: levels must not be empty")
        if self.levels is None and not self.low < self.high:
            raise DesignError(f"factor {self.name!r}: low ({self.low:g}) must be below high ({self.high:g})")
        for value in self.levels if self.levels is not None else (self.low, self.high):
            check_factor_value(self.name, value)


def factor_bounds(name: str) -> tuple[float, float, bool]:
    """(low, high, open_low) allowed for a factor path; an unknown path raises DesignError."""
    parts = name.split(".")
    if parts[0] == "macro":
        if len(parts) != 2 or parts[1] not in MACRO_PATHS:
            raise DesignError(f"unknown factor {name!r}: macro paths are "
                              f"{', '.join('macro.' + m for m in MACRO_PATHS)}")
        return 0.0, 100.0, True
    if parts[0] == "measures":
        if len(parts) == 3 and parts[2] == "effect_scale":
            return EFFECT_SCALE_BOUNDS[0], EFFECT_SCALE_BOUNDS[1], False
        if len(parts) == 4 and parts[2] == "effect" and parts[3]:
            return EFFECT_BOUNDS[0], EFFECT_BOUNDS[1], False
        if len(parts) != 3 or parts[2] not in MEASURE_SETTINGS:
            raise DesignError(f"unknown factor {name!r}: a measure setting is measures.<name>."
                              f"{'|'.join([*MEASURE_SETTINGS, 'effect_scale', 'effect.<effect>'])}")
        low, high = MEASURE_SETTINGS[parts[2]]
        return low, high, parts[2] == "capacity"
    if name not in BY_NAME:
        try:
            check_value(name, 0.0)  # raises, naming a close parameter if there is one
        except ParameterError as e:
            raise DesignError(f"unknown factor {name!r}: not a model parameter ({e}), macro.<path> or "
                              "measures.<name>.<setting>") from None
    return BY_NAME[name].low, BY_NAME[name].high, False


def check_factor_value(name: str, value: float) -> float:
    """``value`` as float if it lies within the bounds of factor ``name``; DesignError otherwise."""
    low, high, open_low = factor_bounds(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise DesignError(f"factor {name!r}: expected a number, got {value!r}")
    if not (low < value if open_low else low <= value) or value > high:
        raise DesignError(f"factor {name!r}: {value:g} is outside its bounds {'(' if open_low else '['}"
                          f"{low:g}, {high:g}]")
    return float(value)


def design_points(factors: Sequence[Factor], kind: DesignKind = "grid", size: int | None = None, seed: int = 1,
                  table: pd.DataFrame | str | Path | None = None) -> pd.DataFrame:
    """The points of a design: one row per point (index ``point``), one column per factor.

    grid: every combination of the factors' levels (factors with bounds get ``size`` evenly spaced levels,
    default 3); lhs: a Latin hypercube of ``size`` points; sobol: the first ``size`` (a power of two) points of
    a scrambled Sobol sequence; lhs and sobol are seeded and scaled to the bounds. table: the rows of ``table``
    (a DataFrame or CSV file) whose columns are the factors' names.
    """
    names = [f.name for f in factors]
    if len(set(names)) != len(names):
        raise DesignError("each factor may be given once")
    if kind == "table":
        return _table_points(names, table)
    if not factors:
        raise DesignError("a design needs at least one factor")
    if size is not None and size < 1:
        raise DesignError(f"size must be at least 1, got {size}")
    if kind == "grid":
        levels = [f.levels if f.levels is not None else tuple(np.linspace(f.low, f.high, size or 3).tolist())
                  for f in factors]
        values = np.array(list(itertools.product(*levels)), dtype=float)
    elif kind in ("lhs", "sobol"):
        with_levels = [f.name for f in factors if f.levels is not None]
        if with_levels:
            raise DesignError(f"a {kind} design needs low and high for every factor, not levels: "
                              f"{', '.join(with_levels)}")
        if size is None:
            raise DesignError(f"a {kind} design needs a size")
        d = len(factors)
        if kind == "lhs":
            unit = qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(size)
        else:
            m = int(round(math.log2(size)))
            if 2 ** m != size:
                raise DesignError(f"a sobol design needs a power of two as its size (e.g. {2 ** max(m, 1)}), "
                                  f"got {size}")
            unit = qmc.Sobol(d=d, scramble=True, seed=np.random.default_rng(seed)).random_base2(m)
        values = qmc.scale(unit, [f.low for f in factors], [f.high for f in factors])
    else:
        raise DesignError(f"unknown design kind {kind!r}; expected grid, lhs, sobol or table")
    return pd.DataFrame(values, columns=names).rename_axis("point")


def _table_points(names: list[str], table: pd.DataFrame | str | Path | None) -> pd.DataFrame:
    if table is None:
        raise DesignError("a table design needs a table of points (CSV)")
    if not isinstance(table, pd.DataFrame):
        try:
            table = pd.read_csv(check_input_file(table, FileError))
        except FileError as e:
            raise DesignError(f"table of points {table}: {e.reason}") from None
        except (OSError, ValueError) as e:
            raise DesignError(f"table of points {table}: cannot be read ({e})") from None
    if table.empty or len(table.columns) == 0:
        raise DesignError("the table of points has no rows")
    if names and sorted(names) != sorted(table.columns):
        raise DesignError(f"the table's columns ({', '.join(table.columns)}) must be the factors "
                          f"({', '.join(names)})")
    for column in table.columns:
        for k, value in enumerate(table[column].tolist()):
            try:
                check_factor_value(str(column), value)
            except DesignError as e:
                raise DesignError(f"table of points, row {k + 1}: {e}") from None
    return table.astype(float).reset_index(drop=True).rename_axis("point")


def apply_point(scenario: Scenario, values: dict[str, float], name: str | None = None) -> Scenario:
    """A copy of ``scenario`` with the factor values of one point (and renamed to ``name`` if given).

    Measure settings apply to the scenario's measure of that name; a scenario without it is left as it is.
    """
    data = scenario.model_dump()
    ordered = sorted(values.items(), key=lambda item: item[0].split(".")[2:3] != ["effect_scale"])
    for factor, value in ordered:  # effect scales before single effect sizes
        parts = factor.split(".")
        if factor in BY_NAME:
            data["parameters"][factor] = value
        elif parts[0] == "macro":
            data["macro"][parts[1]] = [(year, level * value) for year, level in data["macro"][parts[1]]]
        elif parts[2] in ("effect_scale", "effect"):
            for measure in data["measures"]:
                if (measure["name"] or measure["type"]) == parts[1]:
                    effects = {**CATALOGUE[measure["type"]].effects, **(measure["effect"] or {})}
                    if parts[2] == "effect_scale":
                        measure["effect"] = {key: size * value for key, size in effects.items()}
                    else:
                        measure["effect"] = {**(measure["effect"] or {}), parts[3]: value}
        else:
            for measure in data["measures"]:
                if (measure["name"] or measure["type"]) == parts[1]:
                    measure[parts[2]] = value
    if name is not None:
        data["scenario"]["name"] = name
    return scenario_from_dict(data, scenario.source)


def check_measure_factors(names: Sequence[str], scenarios: Sequence[Scenario]) -> None:
    """Every measure factor names a measure of at least one scenario; DesignError otherwise."""
    labels = {m.label for s in scenarios for m in s.measures}
    for name in names:
        parts = name.split(".")
        if parts[0] == "measures" and parts[1] not in labels:
            raise DesignError(f"factor {name!r}: no scenario has a measure named {parts[1]!r}; measures: "
                              f"{', '.join(sorted(labels)) or '(none)'}")
        if parts[0] == "measures" and len(parts) == 4 and parts[2] == "effect":
            kinds = {m.type for s in scenarios for m in s.measures if m.label == parts[1]}
            known = sorted({key for kind in kinds for key in CATALOGUE[kind].effects})
            if parts[3] not in known:
                raise DesignError(f"factor {name!r}: measure {parts[1]!r} has no effect {parts[3]!r}; expected "
                                  f"one of {', '.join(known)}")
