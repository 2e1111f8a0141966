"""Calibration: fit model parameters to target indicator values by approximate Bayesian computation.

Method (see docs/calibration.md): the chosen parameters get a uniform prior
between their bounds; ``draws`` points of a scrambled Sobol sequence cover
that box; every point runs ``replications`` times through the experiment
layer (plan, executors, the append-only resumable store, progress), each run
with its own random numbers. Each target is a statistic of the yearly
indicators (a value at a year, a mean over a period, or one value per year
of a trajectory) with an error sd: the target's own uncertainty or, if not
given, the simulator's run-to-run noise (the target read as one run). The
draws nearest to the targets are kept and regression-adjusted, with the
target error added draw by draw where the simulated means do not already
carry it (noisy ABC; :mod:`qsim.sensitivity.abc`). The weighted adjusted
sample is the posterior: its median is the calibrated value, its quantiles
the remaining uncertainty. A check runs the original and the calibrated
scenario side by side (common random numbers) and reports the fit, target
against simulated, with 10-90% bands.

Everything is seeded: the same file gives the same posterior bit for bit,
with any executor, and an interrupted calibration resumes where it stopped.
"""

from __future__ import annotations

import json
import math
import os
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

import numpy as np
import pandas as pd
from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from ..rng import MAX_SEED
from ..atomic import write_text
from ..errors import QsimError
from ..experiment.sweep import IndicatorName, scenario_file
from .. import indicators as registry
from ..files import CalibrationFileError, FieldError, StrictModel, describe, read_toml
from ..parameters import BY_NAME as PARAMETERS
from ..result import write_tables
from ..scenario import Scenario, load_scenario
from . import plots
from .abc import AbcPosterior, abc_posterior, weighted_quantile


class CalibrationError(QsimError, ValueError):
    """A calibration that cannot be run as given; the message names the setting."""


# ------------------------------------------------------------------ targets
@dataclass(frozen=True)
class Statistic:
    """One number a calibration matches: the mean of ``indicator`` in ``area`` over years ``first``..``last``
    (one year if equal), of replicate runs; ``value`` is the target, ``sd`` its uncertainty (None: the
    simulator's run-to-run noise)."""

    indicator: str
    area: str
    first: int
    last: int
    value: float
    sd: float | None
    source: str = ""

    @property
    def label(self) -> str:
        when = f"year {self.first}" if self.first == self.last else f"years {self.first}-{self.last}"
        return f"{self.indicator} {when}" + ("" if self.area == "all" else f" ({self.area})")


class Target(StrictModel):
    """A target: an indicator's value at a ``year``, its mean over a ``period`` [first, last] (years, inclusive),
    or its ``values`` at ``years`` (a trajectory); ``sd`` is the target's uncertainty in the indicator's unit
    (yearly values: stocks at December, rates per year); without it the simulator's own noise is used."""

    indicator: IndicatorName
    area: str = "all"
    value: float | None = None
    year: int | None = Field(default=None, ge=1)
    period: tuple[int, int] | None = None
    years: list[int] | None = Field(default=None, min_length=1)
    values: list[float] | None = Field(default=None, min_length=1)
    sd: float | None = Field(default=None, gt=0, description="Uncertainty of the target (indicator's unit).")
    source: str = Field(default="", description="Where the target value comes from.")


    @model_validator(mode="after")
    def _consistent(self):
        given = [k for k in ("year", "period", "years") if getattr(self, k) is not None]
        if len(given) != 1:
            raise FieldError("year", "give exactly one of year (a value at a year), period = [first, last] "
                             "(a mean) or years with values (a trajectory)")
        if self.years is not None:
            if self.values is None or len(self.values) != len(self.years):
                raise FieldError("values", "a trajectory needs one value per year in years")
            if self.value is not None:
                raise FieldError("value", "a trajectory has values, not value")
            if any(y < 1 for y in self.years):
                raise FieldError("years", "years are numbered from 1")
        else:
            if self.value is None:
                raise FieldError("value", "required field is missing")
            if self.values is not None:
                raise FieldError("values", "values go with years (a trajectory); a year or period has value")
        if self.period is not None and not 1 <= self.period[0] <= self.period[1]:
            raise FieldError("period", f"expected [first, last] with 1 <= first <= last, got {list(self.period)}")
        return self

    def statistics(self, horizon: int, clip: bool = False) -> list[Statistic]:
        """The statistics of this target; years beyond ``horizon`` raise ValueError, or with ``clip`` (quick
        runs) are read at the horizon (a trajectory drops them, keeping at least its first year)."""
        if self.year is not None:
            spans, values = [(self.year, self.year)], [self.value]
        elif self.period is not None:
            spans, values = [tuple(self.period)], [self.value]
        else:
            spans, values = [(y, y) for y in self.years], list(self.values)
        if clip and self.years is not None:  # a trajectory keeps its years within the horizon (at least one)
            kept = [(span, v) for span, v in zip(spans, values) if span[1] <= horizon] or [(spans[0], values[0])]
            spans, values = [span for span, _ in kept], [v for _, v in kept]
        out = []
        for (first, last), value in zip(spans, values):
            if last > horizon:
                if not clip:
                    raise ValueError(f"year {last} is beyond the horizon of {horizon} years")
                first, last = min(first, horizon), horizon
            out.append(Statistic(self.indicator, self.area, int(first), int(last), float(value), self.sd,
                                 self.source))
        return out


# ------------------------------------------------------------------ parameters
@dataclass(frozen=True)
class Prior:
    """A uniform prior of a model parameter between ``low`` and ``high`` (its unit as in ``qsim parameters``)."""

    name: str
    low: float
    high: float

    def __post_init__(self):
        if self.name not in PARAMETERS:
            raise CalibrationError(f"parameter {self.name!r}: not a model parameter (`qsim parameters` lists them)")
        from ..experiment.design import DesignError, Factor

        try:
            Factor(self.name, self.low, self.high)  # numbers, order and the registry's bounds
        except DesignError as e:
            raise CalibrationError(str(e)) from None


def _priors(parameters: Sequence[Prior] | Mapping[str, Mapping[str, float]]) -> list[Prior]:
    if isinstance(parameters, Mapping):
        out = []
        for name, spec in parameters.items():
            unknown = set(spec) - {"low", "high"}
            if unknown or set(spec) != {"low", "high"}:
                raise CalibrationError(f"parameter {name!r}: expected low and high, got {', '.join(sorted(spec))}")
            out.append(Prior(name, spec["low"], spec["high"]))
        return out
    return list(parameters)


def _targets(targets: Sequence[Target | Mapping[str, Any]]) -> list[Target]:
    out = []
    for k, t in enumerate(targets):
        if isinstance(t, Target):
            out.append(t)
            continue
        try:
            out.append(Target.model_validate(dict(t)))
        except ValidationError as e:
            raise CalibrationError("invalid target\n" + describe(e, prefix=f"targets.{k}")) from None
    return out


# ------------------------------------------------------------------ result
@dataclass
class CalibrationResult:
    """What a calibration found.

    ``estimates``: per parameter its prior, calibrated value (posterior median), mean, sd, credible interval
    (``lower``, ``upper`` at ``settings['interval']``) and shrinkage (1 - posterior sd / prior sd).
    ``posterior``: the accepted draws with their weights and adjusted values. ``trials``: every draw with its
    statistics, distance and whether it was accepted. ``fit``: per target statistic, the target and the
    original and calibrated scenarios' mean and 10-90% band over the check runs. ``trajectories``: the check
    runs' yearly values. ``calibrated``: the calibrated scenario.
    """

    name: str
    scenario: Scenario
    calibrated: Scenario
    priors: list[Prior]
    statistics: list[Statistic]
    estimates: pd.DataFrame
    posterior: pd.DataFrame
    trials: pd.DataFrame
    fit: pd.DataFrame
    trajectories: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, float]:
        """The calibrated parameter values (as written to the scenario file)."""
        return {p.name: float(self.estimates.loc[p.name, "estimate"]) for p in self.priors}

    def intervals(self) -> dict[str, tuple[float, float]]:
        """The credible interval of every parameter."""
        return {p.name: (float(self.estimates.loc[p.name, "lower"]), float(self.estimates.loc[p.name, "upper"]))
                for p in self.priors}

    def summary(self) -> pd.DataFrame:
        """The estimates table."""
        return self.estimates

    def __repr__(self) -> str:
        return (f"CalibrationResult({self.name!r}, {len(self.priors)} parameters, {len(self.statistics)} target "
                f"statistics, {len(self.posterior)} accepted draws)")

    def _repr_html_(self) -> str:
        """A notebook's display: each parameter's calibrated value and credible interval, and the shrinkage."""
        from ..display import table

        e = self.estimates
        rows = [[p.name, e.loc[p.name, "estimate"], e.loc[p.name, "lower"], e.loc[p.name, "upper"],
                 e.loc[p.name, "shrinkage"]] for p in self.priors]
        return table(repr(self), ["parameter", "calibrated", "lower", "upper", "shrinkage"], rows,
                     "calibrated: posterior median; lower-upper: the credible interval")

    # ---------------------------------------------------------- scenario file
    def scenario_toml(self, path: str | Path) -> str:
        """The calibrated scenario as TOML that extends the original file, for writing at ``path``."""
        source = self.scenario.source
        if not source or source.startswith("<") or not Path(source).is_file():
            raise CalibrationError(f"scenario {self.scenario.name!r} was not read from a file ({source}); a "
                                   "calibrated scenario file needs one to extend")
        parent = os.path.relpath(Path(source).resolve(), Path(path).resolve().parent).replace(os.sep, "/")
        s = self.settings
        level = f"{100 * s['interval']:g}%"
        lines = [f"# {self.calibrated.name}: {self.scenario.name} with parameters calibrated by `qsim calibrate` "
                 f"({self.name}).",
                 f"# Approximate Bayesian computation: {s['draws']} Sobol draws, {s['replications']} run(s) each, "
                 f"{s['runs']} runs, {s['accepted']} accepted,",
                 "# regression-adjusted. Values are posterior medians; the comments give the "
                 f"{level} credible interval and the prior.",
                 "", f"extends = {json.dumps(parent)}", "", "[scenario]",
                 f"name = {json.dumps(self.calibrated.name)}",
                 f"description = {json.dumps(self.calibrated.scenario.description)}", "", "[parameters]"]
        for p in self.priors:
            row = self.estimates.loc[p.name]
            lines.append(f"{json.dumps(p.name)} = {float(row['estimate'])!r:<12}  # {row['unit']}; {level} interval "
                         f"{row['lower']:.4g}-{row['upper']:.4g}; prior {p.low:g}-{p.high:g}")
        return "\n".join(lines) + "\n"

    def write_scenario(self, path: str | Path) -> Path:
        """Write the calibrated scenario file (it ``extends`` the original, by a path relative to ``path``)."""
        path = Path(path)
        text = self.scenario_toml(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, text)
        return path

    # ---------------------------------------------------------- plots
    def plot(self, kind: Literal["posterior", "fit", "trials"] = "posterior", path: str | Path | None = None):
        """A figure: ``posterior`` (pairs of the posterior over the prior box), ``fit`` (trajectories of the
        original and calibrated scenario against the targets) or ``trials`` (distance of every draw against
        each parameter). Saved to ``path`` (and closed) if given."""
        if kind == "posterior":
            return plots.plot_posterior(self, path)
        if kind == "fit":
            return plots.plot_fit(self, path)
        if kind == "trials":
            return plots.plot_trials(self, path)
        raise CalibrationError(f"unknown plot kind {kind!r}; expected posterior, fit or trials")

    def save(self, folder: str | Path, scenario_file: bool = True) -> list[Path]:
        """Write estimates, posterior, trials, fit and trajectories (Parquet and CSV), the three plots (PNG),
        calibration.json (settings, runs, seconds) and, if the scenario came from a file, the calibrated
        scenario ``<name>.toml``; returns the files."""
        folder = Path(folder)
        files = write_tables(folder, {"estimates": self.estimates.reset_index(), "posterior": self.posterior,
                                      "trials": self.trials, "fit": self.fit, "trajectories": self.trajectories})
        for kind in ("posterior", "fit", "trials"):
            files.append(folder / f"{kind}.png")
            self.plot(kind, files[-1])
        files.append(folder / "calibration.json")
        write_text(files[-1], json.dumps({"name": self.name, **self.settings,
                                          "values": self.values, "intervals": self.intervals()}, indent=1))
        if scenario_file and not self.scenario.source.startswith("<"):
            files.append(self.write_scenario(folder / f"{self.calibrated.name}.toml"))
        return files


# ------------------------------------------------------------------ the calibration
def _statistic_table(yearly: pd.DataFrame, statistics: Sequence[Statistic], keys: Sequence[str]) -> pd.DataFrame:
    """Per ``keys`` (e.g. point and replicate): the value of every statistic (columns = labels)."""
    columns = {}
    for s in statistics:
        rows = yearly[(yearly["area"] == s.area) & yearly["year"].between(s.first, s.last)]
        columns[s.label] = rows.groupby(list(keys))[s.indicator].mean()
    return pd.DataFrame(columns)


def calibrate(scenario: Scenario | str | Path, parameters: Sequence[Prior] | Mapping[str, Mapping[str, float]],
              targets: Sequence[Target | Mapping[str, Any]], draws: int = 256, replications: int = 2,
              accept: float = 0.1, seed: int = 1, years: int | None = None, check_replications: int = 10,
              interval: float = 0.9, name: str = "calibration", executor: Executor | int | None = None,
              store: str | Path | None = None, progress: bool = True, clip_targets: bool = False
              ) -> CalibrationResult:
    """Fit ``parameters`` (uniform priors ``{name: {"low": a, "high": b}}``) of ``scenario`` to ``targets``.

    ``targets``: :class:`Target` objects or dicts (``indicator``, ``value`` with ``year`` or ``period``, or
    ``values`` with ``years``; ``sd``; ``area``). ``draws``: prior draws (a power of two; model runs = draws x
    ``replications``); ``accept``: share of draws kept; ``seed``: seeds the draws, the runs and the target
    errors; ``years``: horizon (default: the scenario's); ``check_replications``: runs of the original and the
    calibrated scenario for the fit; ``interval``: level of the credible intervals; ``clip_targets``: read target
    years beyond the horizon at its last year (quick runs). ``executor``, ``store`` (resumed if it holds this
    calibration; default: a temporary folder), ``progress``: as in :func:`qsim.compare`.

    >>> r = qsim.calibrate("scenarios/baseline.toml",                                     # doctest: +SKIP
    ...     {"labour.job_loss": {"low": 0.004, "high": 0.014}},
    ...     [{"indicator": "unemployment_rate", "period": [3, 10], "value": 0.12, "sd": 0.01}], years=10)
    >>> r.estimates; r.plot("posterior"); r.save("out/calibration")
    """
    import tempfile
    from contextlib import nullcontext

    from ..experiment import compare
    from ..experiment.plan import as_scenario

    started = time.perf_counter()
    base = as_scenario(scenario)
    priors, target_list = _priors(parameters), _targets(targets)
    if not priors:
        raise CalibrationError("parameters: give at least one parameter to calibrate")
    if len({p.name for p in priors}) < len(priors):
        raise CalibrationError("parameters: each parameter may be given once")
    if not target_list:
        raise CalibrationError("targets: give at least one target")
    if draws < 2 or draws & (draws - 1):
        raise CalibrationError(f"draws: expected a power of two (Sobol points), e.g. 256 or 512; got {draws}")
    if replications < 1 or check_replications < 1:
        raise CalibrationError("replications and check_replications must be at least 1")
    if not 0 < accept <= 1:
        raise CalibrationError(f"accept: expected a share in (0, 1], got {accept}")
    if not 0 < interval < 1:
        raise CalibrationError(f"interval: expected a level in (0, 1), e.g. 0.9; got {interval}")
    horizon = int(years) if years is not None else base.years
    areas = {"all", *(a.name for a in base.areas)}
    statistics = []
    for k, t in enumerate(target_list):
        if t.area not in areas:
            raise CalibrationError(f"targets.{k}.area: no area {t.area!r} in scenario {base.name!r}; areas: "
                                   f"{', '.join(sorted(areas))}")
        try:
            statistics += t.statistics(horizon, clip_targets)
        except ValueError as e:
            raise CalibrationError(f"targets.{k}: {e}") from None
    labels = [s.label for s in statistics]
    if len(set(labels)) < len(labels):
        raise CalibrationError(f"targets: a statistic is given twice ({', '.join(sorted(labels))})")
    accepted = math.ceil(accept * draws)
    if accepted < len(statistics) + 2:
        raise CalibrationError(f"accept x draws = {accepted} accepted draws; the regression adjustment needs at "
                               f"least {len(statistics) + 2} (statistics + 2): raise draws or accept")
    if any(s.sd is None for s in statistics) and replications < 2:
        raise CalibrationError("replications: targets without sd use the simulator's noise, which needs at least "
                               "2 replications")

    folder = tempfile.TemporaryDirectory(prefix="qsim-calibrate-") if store is None else nullcontext(store)
    with folder as root:
        root = Path(root)
        indicators = sorted({s.indicator for s in statistics})
        points, yearly = _run_draws(base, priors, draws, replications, seed, horizon, executor, root / "abc",
                                    progress)
        per_run = _statistic_table(yearly, statistics, ["point", "replicate"])
        means = per_run.groupby(level="point").mean().reindex(points.index)
        noise = np.sqrt(per_run.groupby(level="point").var(ddof=1).mean()) if replications > 1 \
            else pd.Series(0.0, index=labels)
        finite = means.notna().all(axis=1).to_numpy()
        if finite.sum() < accepted + 1:
            raise CalibrationError(f"only {int(finite.sum())} of {draws} draws ran without failure; see the store "
                                   f"{root / 'abc'} (`qsim.open_store(...).runs`)")
        target = np.array([s.value for s in statistics])
        tolerance = np.array([s.sd if s.sd is not None else noise[s.label] for s in statistics])
        scale, extra = target_scales(tolerance, noise[labels].to_numpy(), replications)
        if not np.all(scale > 0):
            zero = [s.label for s, v in zip(statistics, scale) if not v > 0]
            raise CalibrationError(f"targets: no sd and no simulator noise for {', '.join(zero)}; give an sd")
        theta = points[[p.name for p in priors]].to_numpy()
        low, high = np.array([p.low for p in priors]), np.array([p.high for p in priors])
        rows = np.flatnonzero(finite)
        # noisy ABC: each draw meets its own draw of the target error the simulated means do not carry
        perturbation = np.random.default_rng([seed, 1]).normal(0.0, 1.0, size=(draws, len(labels))) * extra
        post = abc_posterior(theta[rows], means.to_numpy()[rows], target, scale, low, high, accepted,
                             perturbation=perturbation[rows])
        estimates = _estimates(base, priors, post, interval)
        calibrated = _calibrated(base, estimates)
        check = compare([base, calibrated], check_replications, seed, executor, horizon, root / "check",
                        progress=progress)
    fit = _fit(check.yearly, statistics, tolerance, [base.name, calibrated.name])
    trials = points.reset_index().join(means.reset_index(drop=True))
    trials["distance"] = np.nan
    trials.loc[rows, "distance"] = post.distances
    trials["accepted"] = False
    trials.loc[rows[post.index], "accepted"] = True
    posterior = pd.DataFrame({"point": rows[post.index], "distance": post.distance, "weight": post.weight})
    for j, p in enumerate(priors):
        posterior[p.name] = post.adjusted[:, j]
        posterior[f"{p.name} (draw)"] = theta[rows[post.index], j]
    settings = {"method": "abc-rejection-regression", "scenario": base.name, "source": base.source,
                "draws": draws, "replications": replications, "runs": draws * replications,
                "check_runs": 2 * check_replications, "accept": accept, "accepted": accepted,
                "failed_draws": int((~finite).sum()), "effective_size": post.effective_size,
                "bandwidth": post.delta, "seed": seed, "years": horizon, "interval": interval,
                "targets": [{"statistic": s.label, "value": s.value, "sd": s.sd, "noise": float(noise[s.label]),
                             "scale": float(c), "noise_dominated": bool(e == 0 and c > 0)}
                            for s, c, e in zip(statistics, scale, extra)],
                "seconds_this_call": time.perf_counter() - started}
    trajectories = check.yearly[["scenario", "replicate", "year", "area", *indicators]]
    return CalibrationResult(name, base, calibrated, priors, statistics, estimates, posterior, trials, fit,
                             trajectories.reset_index(drop=True), settings)


def target_scales(tolerance: np.ndarray, noise: np.ndarray, replications: int) -> tuple[np.ndarray, np.ndarray]:
    """(scale, extra) per statistic: a draw's mean of ``replications`` runs carries noise^2 / R of simulator
    variance; the target's error has variance tolerance^2. ``extra`` = sqrt(max(tolerance^2 - noise^2 / R, 0))
    is the error still to be added to the target (noisy ABC); ``scale`` = sqrt(noise^2 / R + extra^2) is the sd
    of a draw's discrepancy at the true parameters, the unit of the distance. (Noise of 0: unknown, R = 1.)"""
    carried = np.asarray(noise, float) ** 2 / replications
    extra = np.sqrt(np.maximum(np.asarray(tolerance, float) ** 2 - carried, 0.0))
    return np.sqrt(carried + extra ** 2), extra


def _run_draws(base: Scenario, priors: Sequence[Prior], draws: int, replications: int, seed: int, horizon: int,
               executor, store: Path, progress: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every Sobol draw ``replications`` times through the experiment layer; returns the points and the
    yearly rows (with a ``point`` column). Unlike a sweep, the draws do not share random numbers: run r of
    draw k is replicate k * R + r, so that the simulator's noise is independent between draws, as the
    posterior's spread needs."""
    from ..experiment.design import Factor, apply_point, design_points
    from ..experiment.executors import execute, executor_workers
    from ..experiment.plan import Plan
    from ..experiment.runs import RunSpec
    from ..experiment.store import Store

    points = design_points([Factor(p.name, p.low, p.high) for p in priors], "sobol", draws, seed)
    scenarios = tuple(apply_point(base, row, f"{base.name}@{k}")
                      for k, row in zip(points.index, points.to_dict("records")))
    n = draws * replications
    runs = tuple(RunSpec(k * replications + r, k, int(seed), k * replications + r)
                 for k in range(draws) for r in range(replications))
    size = max(1, min(16, n // (4 * executor_workers(executor))))
    plan = Plan(scenarios, runs, tuple(tuple(range(b, min(b + size, n))) for b in range(0, n, size)), horizon)
    with Store.for_plan(store, plan) as target:
        execute(plan, target, executor, progress)
        yearly = target.yearly
    yearly.insert(0, "point", yearly["run"] // replications)
    return points, yearly


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def _estimates(base: Scenario, priors: Sequence[Prior], post: AbcPosterior, interval: float) -> pd.DataFrame:
    rows = []
    tail = (1 - interval) / 2
    for j, p in enumerate(priors):
        x = post.adjusted[:, j]
        mean = float(np.sum(post.weight * x))
        sd = float(np.sqrt(np.sum(post.weight * (x - mean) ** 2)))
        lower, median, upper = weighted_quantile(x, post.weight, [tail, 0.5, 1 - tail])
        prior_sd = (p.high - p.low) / math.sqrt(12)
        tenth = 0.1 * (p.high - p.low)
        near = {"lowest": float(post.weight[x < p.low + tenth].sum()),
                "highest": float(post.weight[x > p.high - tenth].sum())}
        end, share = max(near.items(), key=lambda item: item[1])
        notes = []
        if 1 - sd / prior_sd < 0.2:
            notes.append("barely identified by these targets (posterior sd close to the prior's)")
        if share > 0.3:
            notes.append(f"{share:.0%} of the posterior in the {end} tenth of the prior: the targets may want a "
                         "value beyond it; widen the prior if the parameter's bounds allow")
        note = "; ".join(notes)
        parameter = PARAMETERS[p.name]
        rows.append({"parameter": p.name, "unit": parameter.unit,
                     "default": float(base.parameters.get(p.name, parameter.default)),
                     "prior_low": p.low, "prior_high": p.high, "estimate": _round(median), "mean": mean, "sd": sd,
                     "lower": float(lower), "upper": float(upper), "shrinkage": 1 - sd / prior_sd, "note": note})
    return pd.DataFrame(rows).set_index("parameter")


def _calibrated(base: Scenario, estimates: pd.DataFrame) -> Scenario:
    data_name = f"{base.name}_calibrated"
    calibrated = base.with_parameters({name: float(v) for name, v in estimates["estimate"].items()})
    data = calibrated.model_dump()
    data["scenario"]["name"] = data_name
    data["scenario"]["description"] = (f"{base.scenario.description or base.name}; parameters calibrated "
                                       f"({', '.join(estimates.index)})")
    from ..scenario import scenario_from_dict

    return scenario_from_dict(data, base.source)


def _fit(yearly: pd.DataFrame, statistics: Sequence[Statistic], tolerance: np.ndarray,
         scenarios: Sequence[str]) -> pd.DataFrame:
    table = _statistic_table(yearly, statistics, ["scenario", "replicate"])
    rows = []
    for s, tol in zip(statistics, tolerance):
        row = {"statistic": s.label, "indicator": s.indicator, "area": s.area, "first_year": s.first,
               "last_year": s.last, "target": s.value, "tolerance": float(tol),
               "tolerance_from": "target sd" if s.sd is not None else "simulator noise"}
        for name, key in zip(scenarios, ("original", "calibrated")):
            v = table.loc[name, s.label]
            row |= {f"{key}_mean": float(v.mean()), f"{key}_sd": float(v.std(ddof=1)) if len(v) > 1 else np.nan,
                    f"{key}_q10": float(v.quantile(0.1)),
                    f"{key}_q90": float(v.quantile(0.9)), f"{key}_z": float((v.mean() - s.value) / tol)}
        rows.append(row)
    return pd.DataFrame(rows)


from .. import indicators as registry
# ------------------------------------------------------------------ experiment files
class CalibrationMeta(StrictModel):
    name: str = Field(min_length=1)
    description: str = ""
    scenario: str = Field(min_length=1, description="The scenario file to calibrate (relative to this file).")
    method: Literal["abc"] = Field(default="abc", description="abc: rejection with regression adjustment.")
    draws: int = Field(default=256, ge=2, le=1_048_576, description="Prior draws (Sobol points, a power of two).")
    replications: int = Field(default=2, ge=1, le=1000, description="Runs per draw (each with its own random numbers).")
    accept: float = Field(default=0.1, gt=0, le=1, description="Share of draws kept (nearest to the targets).")
    seed: int = Field(default=1, ge=0, le=MAX_SEED)
    years: int | None = Field(default=None, ge=1, le=200, description="Horizon (default: the scenario's).")
    check_replications: int = Field(default=10, ge=1, le=10_000, description="Runs of the original and the "
                                    "calibrated scenario for the fit table.")
    interval: float = Field(default=0.9, gt=0, lt=1, description="Level of the credible intervals.")

    @field_validator("draws")
    @classmethod
    def _power_of_two(cls, n):
        if n & (n - 1):
            raise ValueError(f"expected a power of two (Sobol points), e.g. 256 or 512; got {n}")
        return n


class PriorSpec(StrictModel):
    low: float
    high: float


class CalibrationQuick(StrictModel):
    """Smaller settings for a fast run (``--quick``); targets beyond the quick horizon are read at its last year."""

    draws: int | None = Field(default=None, ge=2, le=1_048_576)
    replications: int | None = Field(default=None, ge=1, le=1000)
    accept: float | None = Field(default=None, gt=0, le=1)
    years: int | None = Field(default=None, ge=1, le=200)
    check_replications: int | None = Field(default=None, ge=1, le=10_000)

    @field_validator("draws")
    @classmethod
    def _power_of_two(cls, n):
        if n is not None and n & (n - 1):
            raise ValueError(f"expected a power of two (Sobol points), e.g. 16 or 32; got {n}")
        return n


class CalibrationExperiment(StrictModel):
    """A validated calibration file. Build one with :func:`load_calibration`."""

    calibration: CalibrationMeta
    parameters: dict[str, PriorSpec] = Field(min_length=1)
    targets: list[Target] = Field(min_length=1)
    quick: CalibrationQuick = Field(default_factory=CalibrationQuick)
    _source: str = PrivateAttr(default="<dict>")
    _scenario: Scenario | None = PrivateAttr(default=None)

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    @property
    def source(self) -> str:
        return self._source

    def priors(self) -> list[Prior]:
        return [Prior(name, spec.low, spec.high) for name, spec in self.parameters.items()]


_invalid = CalibrationFileError.invalid  # (file, field, message): the error naming both


def calibration_from_dict(data: dict, source: str = "<dict>", base_dir: str | Path = ".") -> CalibrationExperiment:
    """Validate a calibration given as a dict (paths relative to ``base_dir``): fields, scenario file, parameters
    (bounds in the registry) and targets (areas, years within the horizon); errors name ``source`` and the field."""
    try:
        exp = CalibrationExperiment.model_validate(data)
    except ValidationError as e:
        raise CalibrationFileError.from_validation(source, e) from None
    scenario = load_scenario(scenario_file(exp.calibration.scenario, Path(base_dir), source, "calibration.scenario",
                                           CalibrationFileError))
    for name, spec in exp.parameters.items():
        try:
            Prior(name, spec.low, spec.high)
        except CalibrationError as e:
            raise _invalid(source, f"parameters.{name}", str(e)) from None
    horizon = exp.calibration.years or scenario.years
    areas = {"all", *(a.name for a in scenario.areas)}
    for k, target in enumerate(exp.targets):
        if target.area not in areas:
            raise _invalid(source, f"targets.{k}.area", f"no area {target.area!r} in scenario {scenario.name!r}; "
                           f"areas: {', '.join(sorted(areas))}")
        try:
            target.statistics(horizon)
        except ValueError as e:
            raise _invalid(source, f"targets.{k}", str(e)) from None
    quick_horizon = exp.quick.years or horizon
    for where, draws, accept, n_stats in (
            ("calibration", exp.calibration.draws, exp.calibration.accept,
             sum(len(t.statistics(horizon)) for t in exp.targets)),
            ("quick", exp.quick.draws or exp.calibration.draws, exp.quick.accept or exp.calibration.accept,
             sum(len(t.statistics(quick_horizon, clip=True)) for t in exp.targets))):
        if math.ceil(draws * accept) < n_stats + 2:
            raise _invalid(source, f"{where}.accept", f"draws x accept = {math.ceil(draws * accept)} accepted draws; "
                           f"the regression adjustment needs at least {n_stats + 2} (statistics + 2)")
    exp._source, exp._scenario = source, scenario
    return exp


def load_calibration(path: str | Path) -> CalibrationExperiment:
    """Read and validate a calibration file (TOML)."""
    path = Path(path)
    return calibration_from_dict(read_toml(path, CalibrationFileError), str(path), path.parent)


def run_calibration(experiment: CalibrationExperiment | str | Path, quick: bool = False,
                    executor: Executor | int | None = None, store: str | Path | None = None,
                    progress: bool = True) -> CalibrationResult:
    """Run a calibration file (or :class:`CalibrationExperiment`); ``quick`` uses its ``[quick]`` sizes."""
    exp = experiment if isinstance(experiment, CalibrationExperiment) else load_calibration(experiment)
    meta, q = exp.calibration, exp.quick

    def pick(name):
        value = getattr(q, name) if quick else None
        return value if value is not None else getattr(meta, name)

    return calibrate(exp.scenario, exp.priors(), exp.targets, draws=pick("draws"), replications=pick("replications"),
                     accept=pick("accept"), seed=meta.seed, years=pick("years"),
                     check_replications=pick("check_replications"), interval=meta.interval, name=meta.name,
                     executor=executor, store=store, progress=progress, clip_targets=quick)


__all__ = ["calibrate", "CalibrationResult", "CalibrationError", "Target", "Prior", "Statistic",
           "load_calibration", "calibration_from_dict", "run_calibration"]
