"""Global sensitivity analysis of the model and decision robustness: :func:`sensitivity` and
:class:`SensitivityResult`.

A sensitivity experiment (file or :class:`~qsim.sensitivity.spec.SensitivityExperiment`) names scenarios, a
method, uncertain parameters and outputs. :func:`sensitivity` draws the method's sample
(:mod:`qsim.sensitivity.methods`), turns every point of every scenario into a scenario of its own (named
``<scenario>@<point>``, as in a sweep), runs them ``replications`` times through the experiment layer
(executors, result store, resume, progress), reduces each run to the outputs and analyses the replicate means.
Replicates are paired across scenarios (common random numbers), so differences between an option and the
baseline are paired too. With ``crn = "replicates"`` replicate r uses the same random numbers at every point
(the indices are those of the model given the seeds); with ``crn = "blocks"`` the points of one sampling block
(a Saltelli block, a Morris trajectory) share random numbers and blocks differ, so that noise enters the sample
like an extra factor while the differences within a block stay paired.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import Executor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import QsimError
from ..experiment.design import apply_point
from ..experiment.executors import execute, executor_workers
from ..experiment.plan import Plan
from ..experiment.runs import RunSpec
from ..experiment.store import Store
from ..experiment.sweep import POINT_SEPARATOR
from ..result import write_tables
from ..scenario import Scenario
from . import plots
from .methods import MethodSettings, PipelineOutput, run_pipeline, sample_blocks
from .robustness import deciders, win_rates
from .spec import (
    OutputSpec,
    SensitivityExperiment,
    SweepSensitivityExperiment,
    load_sensitivity_experiment,
)
from .uncertainty import is_dummy, salib_problem

PLOT_KINDS = ("indices", "convergence", "morris", "robustness")


class SensitivityError(QsimError, ValueError):
    """Runs of a sensitivity analysis that failed, or outputs that cannot be formed."""


@dataclass
class SensitivityResult:
    """The sample, outputs and indices of a sensitivity analysis.

    ``indices``: tidy, one row per method, output, parameter and index (S1, ST, S2, mu_star, mu, sigma, delta,
    pawn_median) with ``value``, ``ci_low`` and ``ci_high`` (the bootstrap interval at ``confidence``; NaN where
    the method gives none). ``convergence``: the same at growing base sample sizes (column ``n``).
    ``noise``: per output, the share of the variance of single runs that lies between replicates of one point.
    ``samples``: one row per point, one column per parameter. ``outputs``: one row per point, replicate and
    output. ``outcomes``: per point, scenario and robustness outcome, the replicate mean.
    """

    name: str
    method: str
    settings: MethodSettings
    parameters: list[str]
    output_names: list[str]
    scenarios: list[str]
    samples: pd.DataFrame
    outputs: pd.DataFrame
    indices: pd.DataFrame
    convergence: pd.DataFrame
    noise: pd.DataFrame
    outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    replications: int = 1
    runs: int = 0
    seconds: float = 0.0
    quick: bool = False
    runs_executed: int | None = None
    run_seconds: float | None = None

    def robustness(self) -> pd.DataFrame:
        """How often each option beats the baseline and each other option, per outcome (see
        :func:`qsim.sensitivity.robustness.win_rates`); empty without a ``[robustness]`` table."""
        if self.outcomes.empty:
            return pd.DataFrame()
        return win_rates(self.outcomes, self.scenarios)

    def deciders(self) -> pd.DataFrame:
        """Which parameters decide the ranking (KS distance between the samples where an option wins and where
        it does not; Spearman correlation with its advantage); empty without a ``[robustness]`` table."""
        if self.outcomes.empty:
            return pd.DataFrame()
        return deciders(self.outcomes, self.samples, self.scenarios)

    def info(self) -> pd.DataFrame:
        """One row: experiment, method, base size, points, replications, scenarios, model runs, the runs executed
        by this call (the rest came from the store) and the time they took, and the seconds of the whole call."""
        return pd.DataFrame([{"experiment": self.name, "method": self.method, "n": self.settings.n,
                              "parameters": len(self.parameters), "points": len(self.samples),
                              "replications": self.replications, "scenarios": len(self.scenarios),
                              "runs": self.runs, "runs_executed": self.runs_executed,
                              "run_seconds": None if self.run_seconds is None else round(self.run_seconds, 1),
                              "seconds": round(self.seconds, 1), "quick": self.quick}])

    def plot(self, kind: str = "indices", path: str | Path | None = None):
        """``indices`` (bars with intervals), ``convergence`` (total index over base sample size), ``morris``
        (sigma against mu*) or ``robustness`` (how often each option wins); saved to ``path`` if given."""
        title = f"{self.name}: {self.method}, n={self.settings.n}, {self.replications} replication(s)"
        if kind == "indices":
            return plots.plot_indices(self.indices, self.method, title, path)
        if kind == "convergence":
            if self.method == "fast":
                raise ValueError("an eFAST sample cannot be cut into smaller samples: no convergence plot")
            return plots.plot_convergence(self.convergence, self.method, title, path)
        if kind == "morris":
            if self.method != "morris":
                raise ValueError(f"a morris plot needs a Morris analysis, this is {self.method}")
            return plots.plot_morris(self.indices, title, path)
        if kind == "robustness":
            table = self.robustness()
            if table.empty:
                raise ValueError("no robustness outcomes: add a [robustness] table to the experiment")
            return plots.plot_robustness(table, f"{self.name}: decision robustness over {len(self.samples)} "
                                         "parameter samples", path)
        raise ValueError(f"unknown plot kind {kind!r}; expected one of {', '.join(PLOT_KINDS)}")

    def plot_kinds(self) -> list[str]:
        """The plots this result can draw."""
        kinds = ["indices"] + (["convergence"] if self.method != "fast" else [])
        kinds += ["morris"] if self.method == "morris" else []
        return kinds + (["robustness"] if not self.outcomes.empty else [])

    def save(self, folder: str | Path) -> list[Path]:
        """Write the tables (``sensitivity_indices``, ``sensitivity_convergence``, ``sensitivity_noise``,
        ``sensitivity_samples``, ``sensitivity_outputs``, ``sensitivity_info``, and with robustness outcomes
        ``robustness``, ``robustness_deciders``, ``robustness_outcomes``) as CSV and Parquet, and every plot as
        PNG (``sensitivity_<kind>.png``) into ``folder``; returns the files."""
        tables = {"sensitivity_indices": self.indices, "sensitivity_convergence": self.convergence,
                  "sensitivity_noise": self.noise, "sensitivity_samples": self.samples.reset_index(),
                  "sensitivity_outputs": self.outputs, "sensitivity_info": self.info()}
        if not self.outcomes.empty:
            tables |= {"robustness": self.robustness(), "robustness_deciders": self.deciders(),
                       "robustness_outcomes": self.outcomes}
        files = write_tables(folder, tables)
        for kind in self.plot_kinds():
            path = Path(folder) / f"sensitivity_{kind}.png"
            self.plot(kind, path)
            files.append(path)
        return files


# ------------------------------------------------------------------ runs through the experiment layer
def points_plan(scenarios: Sequence[Scenario], samples: pd.DataFrame, replications: int, seed: int,
                years: float | None = None, blocks: np.ndarray | None = None, batch_size: int = 8) -> Plan:
    """A plan with every scenario at every point of ``samples`` (dummy factors left out), ``replications``
    times. Replicate r of a point uses replicate number ``block * replications + r`` (``block`` = 0 for every
    point if ``blocks`` is None), the same in every scenario. Batches hold up to ``batch_size`` runs."""
    factors = [c for c in samples.columns if not is_dummy(c)]
    derived, runs = [], []
    for point, row in zip(samples.index, samples[factors].to_dict("records")):
        block = 0 if blocks is None else int(blocks[point])
        for scenario in scenarios:
            derived.append(apply_point(scenario, row, f"{scenario.name}{POINT_SEPARATOR}{point}"))
            first = len(runs)
            runs += [RunSpec(first + r, len(derived) - 1, int(seed), block * replications + r)
                     for r in range(replications)]
    batches = [tuple(range(b, min(b + batch_size, len(runs)))) for b in range(0, len(runs), batch_size)]
    return Plan(tuple(derived), tuple(runs), tuple(batches), years)


def output_values(yearly: pd.DataFrame, outputs: Sequence[OutputSpec], baseline: str, n_points: int,
                  replications: int) -> np.ndarray:
    """Points x outputs x replications from the yearly rows of a plan's runs (scenario ``<name>@<point>``)."""
    parts = yearly["scenario"].str.rsplit(POINT_SEPARATOR, n=1, expand=True)
    frame = yearly.assign(base=parts[0], point=parts[1].astype("int64"),
                          slot=yearly["replicate"].to_numpy() % replications)
    Y = np.full((n_points, len(outputs), replications), np.nan)
    for j, out in enumerate(outputs):
        rows = frame[(frame["area"] == out.area) & frame["year"].isin(out.years)]
        series = rows.groupby(["base", "point", "slot"])[out.indicator].agg(out.stat if out.period else "mean")

        value = _grid(series, out.option or baseline, n_points, replications)
        if out.difference:
            value = value - _grid(series, baseline, n_points, replications)
        Y[:, j, :] = value
    return Y


def _grid(series: pd.Series, scenario: str, n_points: int, replications: int) -> np.ndarray:
    """Points x replications of ``series`` (indexed by base scenario, point, slot) for one scenario; NaN where
    a run is missing."""
    table = np.full((n_points, replications), np.nan)
    if scenario in series.index.get_level_values(0):
        values = series.xs(scenario, level="base")
        idx = values.index
        table[idx.get_level_values("point"), idx.get_level_values("slot")] = values.to_numpy()
    return table


def outcome_values(yearly: pd.DataFrame, outcomes: Sequence[OutputSpec]) -> pd.DataFrame:
    """Per point, scenario and outcome: the mean over replicates (columns point, scenario, outcome, indicator,
    value)."""
    parts = yearly["scenario"].str.rsplit(POINT_SEPARATOR, n=1, expand=True)
    frame = yearly.assign(scenario=parts[0], point=parts[1].astype("int64"))
    tables = []
    for out in outcomes:
        rows = frame[(frame["area"] == out.area) & frame["year"].isin(out.years)]
        per_run = rows.groupby(["point", "scenario", "replicate"], sort=False)[out.indicator].agg(
            out.stat if out.period else "mean")
        mean = per_run.groupby(level=["point", "scenario"], sort=False).mean().rename("value").reset_index()
        tables.append(mean.assign(outcome=out.label, indicator=out.indicator))
    return pd.concat(tables, ignore_index=True)[["point", "scenario", "outcome", "indicator", "value"]]


def _batch_size(runs: int, executor) -> int:
    return max(1, min(16, runs // (4 * executor_workers(executor))))


def sensitivity(experiment: SensitivityExperiment | str | Path, quick: bool = False,
                executor: Executor | int | None = None, store: str | Path | None = None,
                progress: bool = True) -> SensitivityResult:
    """Run a sensitivity experiment (file or :class:`SensitivityExperiment`) and analyse it.

    ``quick`` uses the file's ``[quick]`` sizes. A file with ``sweep`` in its ``[experiment]`` table analyses
    that sweep's points and runs with given-data methods (running them first, or resuming from ``store``). ``executor`` and ``store`` as in :func:`qsim.compare`: runs go
    to the store folder as they finish, and a repeated call with the same store resumes (a different sample
    needs another folder).

    >>> r = qsim.sensitivity("experiments/sobol_year20.toml", quick=True)    # doctest: +SKIP
    >>> r.indices.query("index == 'ST'"); r.save("out/sobol_year20")        # doctest: +SKIP
    """
    exp = (experiment if isinstance(experiment, (SensitivityExperiment, SweepSensitivityExperiment))
           else load_sensitivity_experiment(experiment))
    started = time.perf_counter()
    if isinstance(exp, SweepSensitivityExperiment):
        return _sweep_given_data(exp, quick, executor, store, progress, started)
    settings = exp.settings(quick)
    replications = exp.replications(quick)
    problem = salib_problem(exp.uncertain)
    names = problem["names"]
    outputs = list(exp.outputs)
    outcomes = list(exp.robustness.outcomes) if exp.robustness else []
    baseline = exp.scenarios[0].name
    captured: dict = {}

    def evaluate(X: np.ndarray) -> np.ndarray:
        samples = pd.DataFrame(X, columns=names).rename_axis("point")
        blocks = sample_blocks(settings, len(X), len(names)) if exp.sensitivity.crn == "blocks" else None
        total = len(X) * len(exp.scenarios) * replications
        plan = points_plan(exp.scenarios, samples, replications, exp.experiment.seed, exp.experiment.years,
                           blocks, _batch_size(total, executor))
        folder = tempfile.TemporaryDirectory(prefix="qsim-sensitivity-") if store is None else nullcontext(store)
        with folder as path:
            with Store.for_plan(path, plan) as target:
                report = execute(plan, target, executor, progress)
                yearly, runs = target.yearly, target.runs
        failed = runs[runs["status"] != "ok"]
        if len(failed):
            first = failed.iloc[0]
            raise SensitivityError(f"{exp.source}: {len(failed)} of {len(runs)} runs failed or are missing; the "
                                   f"first ({first['scenario']}, replicate {first['replicate']}): "
                                   f"{str(first['error']).splitlines()[0] if first['error'] else first['status']}")
        captured.update(yearly=yearly, runs=len(runs), executed=report.done, run_seconds=report.seconds)
        return output_values(yearly, outputs, baseline, len(X), replications)

    pipe: PipelineOutput = run_pipeline(problem, settings, evaluate, [o.label for o in outputs])
    samples = pd.DataFrame(pipe.X, columns=names).rename_axis("point")
    n_points, n_out, reps = pipe.Y_runs.shape
    tidy = pd.DataFrame({
        "point": np.repeat(np.arange(n_points), n_out * reps),
        "output": np.tile(np.repeat([o.label for o in outputs], reps), n_points),
        "replicate": np.tile(np.arange(reps), n_points * n_out),
        "value": pipe.Y_runs.reshape(-1)})
    return SensitivityResult(
        name=exp.name, method=settings.method, settings=settings, parameters=names,
        output_names=[o.label for o in outputs], scenarios=[s.name for s in exp.scenarios], samples=samples,
        outputs=tidy, indices=pipe.indices, convergence=pipe.convergence, noise=pipe.noise,
        outcomes=outcome_values(captured["yearly"], outcomes) if outcomes else pd.DataFrame(),
        replications=replications, runs=captured["runs"], seconds=time.perf_counter() - started, quick=quick,
        runs_executed=captured["executed"], run_seconds=captured["run_seconds"])


def _sweep_given_data(exp: SweepSensitivityExperiment, quick: bool, executor, store, progress: bool,
                      started: float) -> SensitivityResult:
    """Run (or resume) the sweep of ``exp`` and analyse it with given-data methods."""
    from ..experiment.sweep import run_experiment
    from .given_data import sweep_sensitivity

    sweep = run_experiment(exp.sweep, quick=quick, executor=executor, store=store, progress=progress)
    s = exp.sensitivity
    try:
        result = sweep_sensitivity(sweep, exp.outputs, [s.method, *[m for m in s.also if m != s.method]],
                                   s.bootstrap, s.confidence, s.seed, s.convergence, s.fast_m)
    except SensitivityError as e:
        raise SensitivityError(f"{exp.source}: {e}") from None
    result.name, result.quick, result.seconds = exp.name, quick, time.perf_counter() - started
    return result
