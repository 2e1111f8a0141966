"""Sweeps: a design of points over factors, times replications, times scenarios, run as one plan.

Every point of every scenario becomes a scenario of its own (named
``<scenario>@<point>``); replicate r runs with the same (seed, r) at every
point and in every scenario (common random numbers), so differences between
points and between scenarios are paired. Execution, the result store,
resuming and progress are those of :func:`qsim.experiment.execute`.
Experiment files (TOML) describe a sweep; see docs/experiments.md.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import Executor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping, Sequence

import pandas as pd
from pydantic import AfterValidator, Field, PrivateAttr, ValidationError, model_validator

from ..rng import MAX_SEED
from .. import indicators as registry
from ..files import ExperimentFileError, FieldError, FileError, StrictModel, check_input_file, read_toml
from ..result import write_tables
from ..scenario import Scenario, load_scenario
from .compare import Comparison
from .design import DesignError, DesignKind, Factor, apply_point, check_measure_factors, design_points
from .executors import default_workers, execute
from .plan import as_scenario, replications_plan
from .store import Store

POINT_SEPARATOR = "@"


@dataclass
class SweepResult:
    """The runs of a sweep as tidy tables.

    ``points``: one row per point (index ``point``), one column per factor. ``yearly``: one row per point,
    scenario, replicate, year and area, with the factor values as columns, then the indicators and ledger
    totals. ``scenarios``: the scenario names, the first being the reference of :meth:`effects`. Statistics use
    the ``indicators`` in the ``years`` of ``area``.
    """

    points: pd.DataFrame
    scenarios: list[str]
    yearly: pd.DataFrame
    runs: pd.DataFrame
    indicators: list[str]
    years: list[int]
    area: str = "all"

    @property
    def factors(self) -> list[str]:
        return list(self.points.columns)

    def comparison(self, point: int) -> Comparison:
        """The scenarios at one point as a :class:`Comparison` (all indicators and years)."""
        yearly = self.yearly[self.yearly["point"] == point].drop(columns=["point", *self.factors])
        runs = self.runs[self.runs["point"] == point].drop(columns=["point"])
        return Comparison(self.scenarios, yearly.reset_index(drop=True), runs.reset_index(drop=True), area=self.area)

    def _per_point(self, table: str, key: str) -> pd.DataFrame:
        parts = []
        for point in self.points.index:
            frame = getattr(self.comparison(point), table)()
            frame = frame[frame["indicator"].isin(self.indicators) & frame["year"].isin(self.years)]
            parts.append(frame.assign(point=point))
        # every point, scenario (or option), indicator and year has a row; runs_missing counts the planned
        # replicates the statistics lack (failed or not run), so a point whose runs failed shows n = 0
        keys = self.scenarios if key == "scenario" else self.scenarios[1:]
        index = ["point", key, "indicator", "year"]
        full = pd.MultiIndex.from_product([self.points.index, keys, self.indicators, self.years], names=index)
        out = pd.concat(parts, ignore_index=True).set_index(index).reindex(full).reset_index()
        out["n"] = out["n"].fillna(0).astype("int64")
        out["runs_missing"] = self.runs["replicate"].nunique() - out["n"]
        if "significant" in out:
            out["significant"] = out["significant"].astype("boolean")
        out = out.join(self.points, on="point")
        first = ["point", *self.factors, key, "indicator", "year"]
        return out[first + [c for c in out.columns if c not in first]]

    def summary(self) -> pd.DataFrame:
        """Per point, scenario, output indicator and year: n, mean, median and the 10-90% band over
        replications, with the factor values; ``runs_missing``: planned replications not in n (failed runs)."""
        return self._per_point("bands", "scenario")

    def effects(self) -> pd.DataFrame:
        """Per point, option (every scenario after the first), output indicator and year: the paired difference
        to the first scenario (n, mean, sd, 95% interval, cohen_d, significant), with the factor values;
        ``runs_missing``: planned replications not paired (a run of either scenario failed)."""
        if len(self.scenarios) < 2:
            raise ValueError("effects need at least two scenarios (the first is the reference)")
        return self._per_point("differences", "option")

    def save(self, folder: str | Path) -> list[Path]:
        """Write points, yearly, summary (and effects) as Parquet and CSV into ``folder``; returns the files."""
        tables = {"points": self.points.reset_index(), "yearly": self.yearly, "summary": self.summary()}
        if len(self.scenarios) > 1:
            tables["effects"] = self.effects()
        return write_tables(folder, tables)


def _factors(factors: Sequence[Factor] | Mapping[str, Mapping[str, Any]] | None) -> list[Factor]:
    if factors is None:
        return []
    if isinstance(factors, Mapping):
        return [FactorSpec(**spec).factor(name) for name, spec in factors.items()]
    return list(factors)


def sweep(scenarios: Sequence[Scenario | str | Path], factors: Sequence[Factor] | Mapping[str, Mapping] | None = None,
          design: DesignKind = "grid", size: int | None = None, design_seed: int = 1,
          points: pd.DataFrame | str | Path | None = None, replications: int = 1, seed: int = 1,
          years: float | None = None, executor: Executor | int | None = None, store: str | Path | None = None,
          indicators: Sequence[str] | None = None, output_years: Sequence[int] | None = None, area: str = "all",
          batch_size: int | None = None, progress: bool = True, wait: bool | float = False,
          retry_failed: bool = False) -> SweepResult:
    """Run every scenario at every point of a design, ``replications`` times, with common random numbers.

    ``factors``: :class:`Factor` objects or ``{name: {"low": a, "high": b}}`` / ``{name: {"levels": [...]}}``
    (names: see :mod:`qsim.experiment.design`). ``design``, ``size``, ``design_seed``, ``points``: see
    :func:`design_points`. ``executor``, ``store``, ``batch_size``, ``wait``, ``retry_failed``: as in
    :func:`qsim.compare`. ``indicators`` (default: the key indicators), ``output_years`` (default: the last year)
    and ``area`` select what the summary shows.

    >>> r = qsim.sweep(["scenarios/baseline.toml", "scenarios/employment.toml"],        # doctest: +SKIP
    ...                {"labour.referral_strength": {"low": 0.2, "high": 1.2}}, design="lhs", size=8, years=5)
    """
    loaded = [as_scenario(s) for s in scenarios]
    if not loaded:
        raise ValueError("a sweep needs at least one scenario")
    indicators = registry.key_names() if indicators is None else indicators
    for name in indicators:
        known_indicator(name)
    factor_list = _factors(factors)
    table = design_points(factor_list, design, size, design_seed, points)
    check_measure_factors(list(table.columns), loaded)
    derived = [apply_point(s, row, f"{s.name}{POINT_SEPARATOR}{point}")
               for point, row in zip(table.index, table.to_dict("records")) for s in loaded]
    if batch_size is None:
        workers = executor if isinstance(executor, int) else default_workers()
        batch_size = max(1, min(16, len(derived) * replications // (4 * max(1, workers))))
    plan = replications_plan(derived, replications, seed, years, batch_size)
    folder = tempfile.TemporaryDirectory(prefix="qsim-sweep-") if store is None else nullcontext(store)
    with folder as path:
        with Store.for_plan(path, plan, wait=wait) as target:
            execute(plan, target, executor, progress, retry_failed=retry_failed)
            yearly, runs = target.yearly, target.runs
    names = [s.name for s in loaded]
    last = int(yearly["year"].max()) if len(yearly) else int(years or min(s.years for s in loaded))
    return SweepResult(table, names, _split(yearly, table), _split(runs, None), list(indicators),
                       [int(y) for y in output_years] if output_years is not None else [last], area)


def _split(frame: pd.DataFrame, points: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` with its derived scenario names split into point and scenario (and the point's factor values)."""
    parts = frame["scenario"].str.rsplit(POINT_SEPARATOR, n=1, expand=True)
    out = frame.assign(scenario=parts[0])
    out.insert(0, "point", parts[1].astype("int64"))
    if points is not None:
        values = points.loc[out["point"]].reset_index(drop=True)
        for k, column in enumerate(points.columns):
            out.insert(1 + k, column, values[column].to_numpy())
    return out


# ------------------------------------------------------------------ experiment files
def known_indicator(name: str) -> str:
    """``name`` if it is an indicator; else a ValueError that says where the names are listed."""
    if name not in registry.names():
        raise ValueError(f"unknown indicator {name!r}; `qsim.INDICATOR_NAMES` lists them")
    return name


IndicatorName = Annotated[str, AfterValidator(known_indicator)]
"""An indicator name in an experiment file (validated)."""


class ExperimentMeta(StrictModel):
    name: str = Field(min_length=1)
    description: str = ""
    scenarios: list[str] = Field(min_length=1, description="Scenario files (relative to the experiment file); "
                                 "effects are differences to the first.")
    replications: int = Field(default=10, ge=1, le=100_000)
    seed: int = Field(default=1, ge=0, le=MAX_SEED)
    years: float | None = Field(default=None, gt=0, le=200, description="Horizon (default: each scenario's).")


class FactorSpec(StrictModel):
    low: float | None = None
    high: float | None = None
    levels: list[float] | None = Field(default=None, min_length=1)

    def factor(self, name: str) -> Factor:
        """The factor ``name`` varied as this spec says (DesignError if it cannot be)."""
        return Factor(name, self.low, self.high, tuple(self.levels) if self.levels is not None else None)


class DesignSpec(StrictModel):
    kind: Literal["grid", "lhs", "sobol", "table"] = "grid"
    size: int | None = Field(default=None, ge=1, le=1_000_000, description="Points (lhs, sobol: a power of "
                             "two), or levels per factor with bounds (grid, default 3).")
    seed: int = Field(default=1, ge=0, le=MAX_SEED, description="Seed of the lhs and sobol points.")
    points: str | None = Field(default=None, min_length=1, description="CSV of points (table design), relative "
                               "to the experiment file.")

    @model_validator(mode="after")
    def _consistent(self):
        if (self.kind == "table") != (self.points is not None):
            raise FieldError("points", "a table design needs points (a CSV file), and only a table design")
        if self.kind in ("lhs", "sobol") and self.size is None:
            raise FieldError("size", f"a {self.kind} design needs a size")
        if self.kind == "sobol" and self.size & (self.size - 1):
            raise FieldError("size", f"a sobol design needs a power of two, got {self.size}")
        return self


class Outputs(StrictModel):
    indicators: list[IndicatorName] = Field(default_factory=lambda: list(registry.key_names()), min_length=1)
    years: list[int] | None = Field(default=None, min_length=1, description="Years to summarise (default: the "
                                    "last).")
    area: str = "all"


class Quick(StrictModel):
    """Smaller settings for a fast run (``--quick``); output years beyond the quick horizon are left out."""

    size: int | None = Field(default=None, ge=1, le=1_000_000)
    replications: int | None = Field(default=None, ge=1, le=100_000)
    years: float | None = Field(default=None, gt=0, le=200)


class Experiment(StrictModel):
    """A validated experiment file. Build one with :func:`load_experiment`."""

    experiment: ExperimentMeta
    design: DesignSpec = Field(default_factory=DesignSpec)
    factors: dict[str, FactorSpec] = Field(default_factory=dict)
    outputs: Outputs = Field(default_factory=Outputs)
    quick: Quick = Field(default_factory=Quick)
    _source: str = PrivateAttr(default="<dict>")
    _scenarios: list[Scenario] = PrivateAttr(default_factory=list)
    _points: pd.DataFrame | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _factors_given(self):
        if not self.factors and self.design.kind != "table":
            raise FieldError("factors", "a design needs at least one factor")
        if self.quick.size is not None and self.design.kind == "sobol" and self.quick.size & (self.quick.size - 1):
            raise FieldError("quick.size", "a sobol design needs a power of two")
        return self

    @property
    def scenarios(self) -> list[Scenario]:
        return self._scenarios

    @property
    def points(self) -> pd.DataFrame:
        return self._points


def scenario_file(name: str, base: Path, source: str, field: str, error: type[FileError]) -> Path:
    """The scenario file ``name`` (relative to ``base``) named by ``field`` of the file ``source``, checked as an
    input file (:func:`qsim.files.check_input_file`); else ``error`` naming the file and the field."""
    path = base / name
    try:
        return check_input_file(path, error)
    except FileError as e:
        shown = repr(name) if len(name) <= 200 and "\0" not in name else "(this path)"
        what = f"{e.reason} {shown} (looked for {path})" if e.reason.startswith("no such") else f"{shown}: {e.reason}"
        raise error.invalid(source, field, what.replace(f"no such {error.kind} file", "no such scenario file")) \
            from None


def experiment_scenarios(files: Sequence[str], base: Path, source: str,
                         error: type[FileError] = ExperimentFileError) -> list[Scenario]:
    """The scenario files of an experiment (``[experiment] scenarios``, relative to ``base``), loaded; they must
    exist and their names differ. Errors (``error``, the kind of the file ``source``) name the file and the field;
    a bad scenario file raises its own ScenarioError."""
    scenarios = [load_scenario(scenario_file(name, base, source, f"experiment.scenarios.{k}", error))
                 for k, name in enumerate(files)]
    names = [s.name for s in scenarios]
    if len(set(names)) < len(names):
        raise error.invalid(source, "experiment.scenarios", f"scenario names must differ; got {', '.join(names)}")
    return scenarios


def experiment_from_dict(data: dict, source: str = "<dict>", base_dir: str | Path = ".") -> Experiment:
    """Validate an experiment given as a dict (paths relative to ``base_dir``): the fields, the scenario files,
    the factors and the design; errors (ExperimentFileError) name ``source`` and the field."""
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as e:
        raise ExperimentFileError.from_validation(source, e) from None
    base = Path(base_dir)
    scenarios = experiment_scenarios(exp.experiment.scenarios, base, source)
    factors = []
    for name, spec in exp.factors.items():
        try:
            factors.append(spec.factor(name))
            check_measure_factors([name], scenarios)
        except DesignError as e:
            raise ExperimentFileError.invalid(source, f"factors.{name}", str(e)) from None
    try:
        points = design_points(factors, exp.design.kind, exp.design.size, exp.design.seed,
                               base / exp.design.points if exp.design.points else None)
        check_measure_factors(list(points.columns), scenarios)
    except DesignError as e:
        raise ExperimentFileError.invalid(source, "design", str(e)) from None
    horizon = exp.experiment.years or min(s.years for s in scenarios)
    late = [y for y in exp.outputs.years or () if not 1 <= y <= horizon]
    if late:
        raise ExperimentFileError.invalid(source, "outputs.years", f"year(s) {', '.join(map(str, late))} outside the "
                                          f"horizon 1..{horizon:g}")
    exp._source, exp._scenarios, exp._points = source, scenarios, points
    return exp


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file (TOML)."""
    path = Path(path)
    return experiment_from_dict(read_toml(path, ExperimentFileError), str(path), path.parent)


def run_experiment(experiment: Experiment | str | Path, quick: bool = False, executor: Executor | int | None = None,
                   store: str | Path | None = None, progress: bool = True, wait: bool | float = False,
                   retry_failed: bool = False) -> SweepResult:
    """Run an experiment (file or :class:`Experiment`); ``quick`` uses its ``[quick]`` sizes; ``wait``,
    ``retry_failed``: as in :func:`qsim.compare`."""
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    meta, design, q = exp.experiment, exp.design, exp.quick
    size = q.size if quick and q.size is not None else design.size
    replications = q.replications if quick and q.replications is not None else meta.replications
    years = q.years if quick and q.years is not None else meta.years
    points = exp.points if design.kind == "table" else None
    output_years = exp.outputs.years
    if quick and output_years is not None and years is not None:
        output_years = [y for y in output_years if y <= years] or None
    factors = [spec.factor(name) for name, spec in exp.factors.items()]
    return sweep(exp.scenarios, factors, design.kind, size, design.seed, points, replications, meta.seed, years,
                 executor, store, exp.outputs.indicators, output_years, exp.outputs.area, progress=progress,
                 wait=wait, retry_failed=retry_failed)
