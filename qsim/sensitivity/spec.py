"""Sensitivity experiment files (TOML): scenarios, method, uncertain parameters, outputs, robustness.

::

    [experiment]                 # as in a sweep file: name, scenarios (the first is the baseline), replications,
    name = "sobol_year20"        # seed, years
    scenarios = ["scenarios/small_area.toml"]
    replications = 2

    [sensitivity]
    method = "sobol"             # sobol | morris | fast | rbd_fast | pawn | delta
    n = 256                      # base sample size (sobol: a power of two; morris: trajectories)
    second_order = false
    bootstrap = 1000             # resamples for the intervals
    confidence = 0.95
    seed = 7                     # sampling and bootstrap
    convergence = [32, 64, 128]  # smaller base sizes analysed too
    crn = "replicates"           # or "blocks": common random numbers within each sampling block only
    also = ["delta"]             # given-data methods on the same runs

    [parameters."labour.referral_strength"]    # see qsim.sensitivity.uncertainty
    low = 0.2
    high = 1.2

    [[outputs]]
    indicator = "unemployment_rate"
    year = 20                    # or period = [16, 20] with stat = "mean" | "sum" | "min" | "max"
    # option = "employment"      # the value in that scenario (default: the baseline) ...
    # difference = true          # ... minus the baseline's, paired (same seeds)

    [robustness]                 # with two or more scenarios: how often each option wins
    outcomes = [{indicator = "unemployment_rate", year = 20}]

    [quick]                      # --quick: smaller sizes
    n = 16
    replications = 1
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from ..rng import MAX_SAMPLER_SEED
from ..experiment.design import DesignError, check_measure_factors
from ..experiment.sweep import ExperimentMeta, IndicatorName, experiment_scenarios
from ..files import FieldError, SensitivityFileError, StrictModel, read_toml
from ..scenario import Scenario
from .methods import GIVEN_DATA, METHODS, MethodSettings
from .uncertainty import UncertainParameter, UncertainSpec, parse_uncertain

_invalid = SensitivityFileError.invalid  # (file, field, message): the error naming both


class SensitivitySettings(StrictModel):
    """The ``[sensitivity]`` table: method, sample size, intervals, convergence, random numbers."""

    method: Literal["sobol", "morris", "fast", "rbd_fast", "pawn", "delta"] = "sobol"
    n: int = Field(ge=2, le=1_000_000, description="Base sample size: sobol rows per matrix (a power of two), "
                   "morris trajectories, fast samples per parameter, given data points.")
    second_order: bool = Field(default=False, description="Sobol: second-order indices too (2D+2 runs per row "
                               "instead of D+2).")
    levels: int = Field(default=4, ge=2, le=20, description="Morris: grid levels.")
    fast_m: int = Field(default=4, ge=1, le=20, description="eFAST: interference factor M (n > 4 M^2); RBD-FAST: "
                        "harmonics M (n > 4 M, its bootstrap uses half the points).")
    bootstrap: int = Field(default=1000, ge=10, le=100_000, description="Bootstrap resamples for the intervals.")
    confidence: float = Field(default=0.95, gt=0, lt=1, description="Level of the intervals.")
    seed: int = Field(default=1, ge=0, le=MAX_SAMPLER_SEED, description="Seed of the sample and of the bootstrap "
                      "(0 to 2**32 - 1: SALib's delta and PAWN analyses seed numpy's legacy generator).")
    convergence: list[int] = Field(default_factory=list, description="Smaller base sizes to analyse as well "
                                   "(prefixes of the sample).")
    crn: Literal["replicates", "blocks"] = Field(default="replicates", description="replicates: replicate r "
                                                 "uses the same random numbers at every point; blocks: the points of "
                                                 "one sampling block share random numbers, blocks differ.")
    also: list[Literal["rbd_fast", "pawn", "delta"]] = Field(default_factory=list, description="Given-data "
                                                              "methods to apply to the same runs.")

    @model_validator(mode="after")
    def _consistent(self):
        check_sizes(self.method, self.n, self.fast_m, "n")
        for k, size in enumerate(self.convergence):
            if not 2 <= size <= self.n:
                raise FieldError(f"convergence.{k}", f"must lie between 2 and n ({self.n}), got {size}")
            if self.method == "rbd_fast":
                check_sizes(self.method, size, self.fast_m, f"convergence.{k}")
        return self


def check_sizes(method: str, n: int, fast_m: int, field: str) -> None:
    """A sample size the method can use; FieldError naming ``field`` otherwise."""
    if method == "sobol" and n & (n - 1):
        raise FieldError(field, f"a sobol sample needs a power of two, got {n}")
    if method == "fast" and n <= 4 * fast_m ** 2:
        raise FieldError(field, f"eFAST needs n > 4 fast_m^2 = {4 * fast_m ** 2}, got {n}")
    if method == "rbd_fast" and n <= 4 * fast_m:
        raise FieldError(field, f"RBD-FAST needs n > 4 fast_m = {4 * fast_m}, got {n}")


class OutputSpec(StrictModel):
    """One output: an indicator at a year or over a period, in a scenario or as a paired difference."""

    indicator: IndicatorName
    year: int | None = Field(default=None, ge=1, le=200)
    period: list[Annotated[int, Field(ge=1, le=200)]] | None = Field(
        default=None, min_length=2, max_length=2, description="[first, last] year, both included (1-200).")
    stat: Literal["mean", "sum", "min", "max"] = Field(default="mean", description="How a period is summarised.")
    area: str = "all"
    option: str | None = Field(default=None, min_length=1, description="Scenario name (default: the first).")
    difference: bool = Field(default=False, description="The option minus the baseline (first scenario), paired.")
    name: str | None = Field(default=None, min_length=1, description="Label (default: built from the fields).")


    @model_validator(mode="after")
    def _consistent(self):
        if (self.year is None) == (self.period is None):
            raise FieldError("year", "give either year or period = [first, last]")
        if self.period is not None and not 1 <= self.period[0] <= self.period[1]:
            raise FieldError("period", f"expected [first, last] with 1 <= first <= last, got {self.period}")
        if self.difference and self.option is None:
            raise FieldError("option", "a difference needs the option (scenario name) to compare with the baseline")
        return self

    @property
    def years(self) -> list[int]:
        return [self.year] if self.year is not None else list(range(self.period[0], self.period[1] + 1))

    @property
    def last_year(self) -> int:
        return self.years[-1]

    @property
    def label(self) -> str:
        """``name``, else e.g. ``unemployment_rate@20``, ``trust@16-20:mean``, ``... [employment-baseline]``."""
        if self.name:
            return self.name
        when = str(self.year) if self.year is not None else f"{self.period[0]}-{self.period[1]}:{self.stat}"
        text = f"{self.indicator}@{when}" + ("" if self.area == "all" else f"/{self.area}")
        if self.option is not None:
            text += f" [{self.option}-baseline]" if self.difference else f" [{self.option}]"
        return text


class RobustnessSpec(StrictModel):
    """The ``[robustness]`` table: outcomes compared between all scenarios at every sample point."""

    outcomes: list[OutputSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _plain(self):
        for k, outcome in enumerate(self.outcomes):
            if outcome.option is not None or outcome.difference:
                raise FieldError(f"outcomes.{k}", "an outcome is compared between all scenarios: give no option or "
                                 "difference")
        return self


class QuickSettings(StrictModel):
    """Smaller settings for ``--quick``; convergence sizes above the quick n are left out."""

    n: int | None = Field(default=None, ge=2, le=1_000_000)
    replications: int | None = Field(default=None, ge=1, le=100_000)
    bootstrap: int | None = Field(default=None, ge=10, le=100_000)


class SensitivityExperiment(StrictModel):
    """A validated sensitivity experiment file. Build one with :func:`load_sensitivity_experiment`."""

    experiment: ExperimentMeta
    sensitivity: SensitivitySettings
    parameters: dict[str, UncertainSpec] = Field(min_length=2, description="Uncertain factors (at least two).")
    outputs: list[OutputSpec] = Field(min_length=1)
    robustness: RobustnessSpec | None = None
    quick: QuickSettings = Field(default_factory=QuickSettings)
    _source: str = PrivateAttr(default="<dict>")
    _scenarios: list[Scenario] = PrivateAttr(default_factory=list)
    _uncertain: list[UncertainParameter] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _quick(self):
        if self.quick.n is not None:
            check_sizes(self.sensitivity.method, self.quick.n, self.sensitivity.fast_m, "quick.n")
        return self

    @property
    def name(self) -> str:
        return self.experiment.name

    @property
    def source(self) -> str:
        return self._source

    @property
    def scenarios(self) -> list[Scenario]:
        return self._scenarios

    @property
    def uncertain(self) -> list[UncertainParameter]:
        return self._uncertain

    def settings(self, quick: bool = False) -> MethodSettings:
        """The method settings (with the ``[quick]`` sizes if ``quick``)."""
        s, q = self.sensitivity, self.quick
        n = q.n if quick and q.n is not None else s.n
        return MethodSettings(method=s.method, n=n, second_order=s.second_order, levels=s.levels, fast_m=s.fast_m,
                              bootstrap=q.bootstrap if quick and q.bootstrap is not None else s.bootstrap,
                              confidence=s.confidence, seed=s.seed,
                              convergence=tuple(c for c in s.convergence if c < n),
                              also=tuple(m for m in s.also if m != s.method))

    def replications(self, quick: bool = False) -> int:
        q = self.quick.replications
        return q if quick and q is not None else self.experiment.replications


def _check_outputs(source: str, groups: list[tuple[str, list[OutputSpec]]], scenarios: list[Scenario],
                   horizon: float) -> None:
    """Outputs within the horizon, naming scenarios and areas that exist, each label once (SensitivityFileError)."""
    names = [s.name for s in scenarios]
    areas = {"all"} | {a.name for s in scenarios for a in s.areas}
    labelled: dict[str, str] = {}
    for field, outputs in groups:
        for k, out in enumerate(outputs):
            where = f"{field}.{k}"
            if out.last_year > horizon:
                raise _invalid(source, where, f"year {out.last_year} is beyond the horizon ({horizon:g} years)")
            if out.option is not None and out.option not in names:
                raise _invalid(source, f"{where}.option", f"no scenario named {out.option!r}; scenarios: "
                               f"{', '.join(names)}")
            if out.difference and out.option == names[0]:
                raise _invalid(source, f"{where}.option", f"{out.option!r} is the baseline; a difference needs another "
                               "scenario")
            if out.area not in areas:
                raise _invalid(source, f"{where}.area", f"no area {out.area!r}; areas: {', '.join(sorted(areas))}")
            if field == "outputs":
                if out.label in labelled:
                    raise _invalid(source, where, f"output {out.label!r} is given twice (also {labelled[out.label]})")
                labelled[out.label] = where


def sensitivity_experiment_from_dict(data: dict, source: str = "<dict>",
                                     base_dir: str | Path = ".") -> SensitivityExperiment:
    """Validate a sensitivity experiment given as a dict (paths relative to ``base_dir``); errors
    (SensitivityFileError) name ``source`` and the field."""
    try:
        exp = SensitivityExperiment.model_validate(data)
    except ValidationError as e:
        raise SensitivityFileError.from_validation(source, e) from None
    scenarios = experiment_scenarios(exp.experiment.scenarios, Path(base_dir), source, SensitivityFileError)
    uncertain = parse_uncertain({k: v.model_dump(exclude_defaults=True) for k, v in exp.parameters.items()},
                                source)
    for p in uncertain:
        if not p.dummy:
            try:
                check_measure_factors([p.name], scenarios)
            except DesignError as e:
                raise _invalid(source, f"parameters.{p.name}", str(e)) from None
    horizon = exp.experiment.years or min(s.years for s in scenarios)
    groups = [("outputs", exp.outputs)] + ([("robustness.outcomes", exp.robustness.outcomes)]
                                           if exp.robustness else [])
    _check_outputs(source, groups, scenarios, horizon)
    if exp.robustness is not None and len(scenarios) < 2:
        raise _invalid(source, "robustness", "robustness compares options with the baseline: give at least two "
                       "scenarios")
    exp._source, exp._scenarios, exp._uncertain = source, scenarios, uncertain
    return exp


class SweepMeta(StrictModel):
    """The ``[experiment]`` table of a given-data analysis of a sweep."""

    name: str = Field(min_length=1)
    description: str = ""
    sweep: str = Field(min_length=1, description="Sweep experiment file (relative to this file) whose points and "
                       "runs are analysed (run, or resumed from the store, first).")


class GivenDataSettings(StrictModel):
    """The ``[sensitivity]`` table of a given-data analysis of a sweep."""

    method: Literal["rbd_fast", "pawn", "delta"] = "rbd_fast"
    also: list[Literal["rbd_fast", "pawn", "delta"]] = Field(default_factory=list)
    fast_m: int = Field(default=4, ge=1, le=20, description="RBD-FAST harmonics M (points > 4 M).")
    bootstrap: int = Field(default=1000, ge=10, le=100_000)
    confidence: float = Field(default=0.95, gt=0, lt=1)
    seed: int = Field(default=1, ge=0, le=MAX_SAMPLER_SEED)
    convergence: list[int] = Field(default_factory=list)


class SweepSensitivityExperiment(StrictModel):
    """A given-data sensitivity analysis of the points and runs of a sweep experiment (``[experiment] sweep``)."""

    experiment: SweepMeta
    sensitivity: GivenDataSettings = Field(default_factory=GivenDataSettings)
    outputs: list[OutputSpec] = Field(min_length=1)
    _source: str = PrivateAttr(default="<dict>")
    _sweep: object = PrivateAttr(default=None)

    @property
    def name(self) -> str:
        return self.experiment.name

    @property
    def source(self) -> str:
        return self._source

    @property
    def sweep(self):
        """The sweep experiment (:class:`qsim.experiment.Experiment`)."""
        return self._sweep


def sweep_sensitivity_experiment_from_dict(data: dict, source: str = "<dict>",
                                           base_dir: str | Path = ".") -> SweepSensitivityExperiment:
    """Validate a given-data analysis of a sweep given as a dict; errors (SensitivityFileError) name ``source`` and the
    field (or the sweep file and its field)."""
    from ..experiment.sweep import load_experiment

    try:
        exp = SweepSensitivityExperiment.model_validate(data)
    except ValidationError as e:
        raise SensitivityFileError.from_validation(source, e) from None
    path = Path(base_dir) / exp.experiment.sweep
    if not path.is_file():
        raise _invalid(source, "experiment.sweep", f"no such sweep experiment file {exp.experiment.sweep!r} (looked "
                       f"for {path})")
    sweep = load_experiment(path)
    if len(sweep.points.columns) < 2:
        raise _invalid(source, "experiment.sweep", "a sensitivity analysis needs a sweep over at least two factors")
    horizon = sweep.experiment.years or min(s.years for s in sweep.scenarios)
    _check_outputs(source, [("outputs", exp.outputs)], sweep.scenarios, horizon)
    exp._source, exp._sweep = source, sweep
    return exp


def load_sensitivity_experiment(path: str | Path) -> SensitivityExperiment | SweepSensitivityExperiment:
    """Read and validate a sensitivity experiment file (TOML); with ``sweep`` in its ``[experiment]`` table, a
    given-data analysis of that sweep."""
    path = Path(path)
    data = read_toml(path, SensitivityFileError)
    meta = data.get("experiment")
    if isinstance(meta, dict) and "sweep" in meta:
        return sweep_sensitivity_experiment_from_dict(data, str(path), path.parent)
    return sensitivity_experiment_from_dict(data, str(path), path.parent)


__all__ = [
    "GIVEN_DATA",
    "METHODS",
    "OutputSpec",
    "QuickSettings",
    "RobustnessSpec",
    "SensitivityExperiment",
    "SensitivitySettings",
    "load_sensitivity_experiment",
    "sensitivity_experiment_from_dict",
]
