"""Uncertain parameters: which factors are uncertain and how, as a SALib problem.

A table of uncertain parameters maps a factor path (as in
:mod:`qsim.experiment.design`: a model parameter by dotted name, ``macro.*``,
``measures.<name>.capacity|budget_per_year|effect_scale|effect.<effect>``)
to a distribution::

    [parameters."labour.referral_strength"]      # uniform between low and high
    low = 0.2
    high = 1.2

    [parameters."labour.job_loss"]
    dist = "truncnorm"                              # normal, cut to [low, high]
    low = 0.004
    high = 0.012
    mean = 0.008
    sd = 0.002

Distributions: ``uniform`` (low, high), ``loguniform`` (low > 0, high),
``triangular`` (low, high, peak), ``truncnorm`` (low, high, mean, sd) and
``normal`` (mean, sd; only for factors without bounds). Every value a
distribution can give must lie within the factor's bounds: nothing is
clipped.

A factor named ``dummy`` or ``dummy_<anything>`` is a *dummy*: it is sampled
and analysed like the others but never reaches the model, so its indices
show what the estimator gives a parameter without any effect (SALib's
dummy-parameter check). Calibration can reuse :func:`parse_uncertain`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Mapping

from pydantic import Field, TypeAdapter, ValidationError, model_validator

from ..experiment.design import DesignError, check_factor_value, factor_bounds
from ..files import FieldError, SensitivityFileError, StrictModel

Distribution = Literal["uniform", "loguniform", "triangular", "truncnorm", "normal"]
SALIB_DISTS = {"uniform": "unif", "loguniform": "logunif", "triangular": "triang", "truncnorm": "truncnorm",
               "normal": "norm"}


def is_dummy(name: str) -> bool:
    """True for a dummy factor (``dummy`` or ``dummy_...``), which the model never reads."""
    return name == "dummy" or name.startswith("dummy_")


class UncertainSpec(StrictModel):
    """How one factor is uncertain (one entry of a ``[parameters]`` table)."""

    dist: Distribution = Field(default="uniform", description="uniform, loguniform, triangular, truncnorm or normal.")
    low: float | None = Field(default=None, allow_inf_nan=False, description="Lower bound.")
    high: float | None = Field(default=None, allow_inf_nan=False, description="Upper bound.")
    peak: float | None = Field(default=None, allow_inf_nan=False, description="Mode of a triangular distribution.")
    mean: float | None = Field(default=None, allow_inf_nan=False, description="Mean of a (truncated) normal.")
    sd: float | None = Field(default=None, gt=0, allow_inf_nan=False, description="Standard deviation of a "
                             "(truncated) normal.")
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self):
        needs = {"uniform": ("low", "high"), "loguniform": ("low", "high"), "triangular": ("low", "high", "peak"),
                 "truncnorm": ("low", "high", "mean", "sd"), "normal": ("mean", "sd")}[self.dist]
        for key in needs:
            if getattr(self, key) is None:
                raise FieldError(key, f"a {self.dist} distribution needs {', '.join(needs)}")
        for key in ("low", "high", "peak", "mean", "sd"):
            if key not in needs and getattr(self, key) is not None:
                raise FieldError(key, f"a {self.dist} distribution takes only {', '.join(needs)}")
        if self.low is not None and not self.low < self.high:
            raise FieldError("high", f"must be above low ({self.low:g}), got {self.high:g}")
        if self.dist == "loguniform" and self.low <= 0:
            raise FieldError("low", f"a loguniform distribution needs low > 0, got {self.low:g}")
        if self.dist == "triangular" and not self.low <= self.peak <= self.high:
            raise FieldError("peak", f"must lie within [low, high] = [{self.low:g}, {self.high:g}]")
        return self


_SPECS = TypeAdapter(dict[str, UncertainSpec])


@dataclass(frozen=True)
class UncertainParameter:
    """A factor path and its distribution (``spec``)."""

    name: str
    spec: UncertainSpec

    @property
    def dummy(self) -> bool:
        return is_dummy(self.name)

    @property
    def salib_bounds(self) -> list[float]:
        """The distribution's parameters as SALib's ``bounds`` entry."""
        s = self.spec
        if s.dist == "triangular":
            return [s.low, s.high, (s.peak - s.low) / (s.high - s.low)]
        if s.dist == "truncnorm":
            return [s.low, s.high, s.mean, s.sd]
        if s.dist == "normal":
            return [s.mean, s.sd]
        return [s.low, s.high]


def uncertain_parameter(name: str, spec: UncertainSpec | Mapping) -> UncertainParameter:
    """Check ``spec`` against the factor's bounds (DesignError naming the factor if it cannot be used)."""
    spec = spec if isinstance(spec, UncertainSpec) else UncertainSpec.model_validate(spec)
    if not is_dummy(name):
        low, high, _ = factor_bounds(name)
        if spec.dist == "normal" and (math.isfinite(low) or math.isfinite(high)):
            raise DesignError(f"factor {name!r}: a normal distribution is unbounded, but the factor must lie in "
                              f"[{low:g}, {high:g}]; use truncnorm with low and high")
        for value in (spec.low, spec.high):
            if value is not None:
                check_factor_value(name, value)
    return UncertainParameter(name, spec)


def parse_uncertain(table: Mapping[str, Mapping], source: str = "<dict>",
                    field: str = "parameters") -> list[UncertainParameter]:
    """The uncertain parameters of a TOML table ``{factor path: {dist, low, high, ...}}``; errors
    (SensitivityFileError) name ``source``, the field and what was expected."""
    if not isinstance(table, Mapping):
        raise SensitivityFileError.invalid(source, field, "expected a table of factors")
    try:
        specs = _SPECS.validate_python(dict(table))
    except ValidationError as e:
        raise SensitivityFileError.from_validation(source, e, prefix=field) from None
    out = []
    for name, spec in specs.items():
        try:
            out.append(uncertain_parameter(name, spec))
        except DesignError as e:
            raise SensitivityFileError.invalid(source, f"{field}.{name}", str(e)) from None
    return out


def salib_problem(parameters: list[UncertainParameter]) -> dict:
    """The SALib problem (names, bounds, dists) of the parameters."""
    return {"names": [p.name for p in parameters], "bounds": [p.salib_bounds for p in parameters],
            "dists": [SALIB_DISTS[p.spec.dist] for p in parameters]}
