"""Global sensitivity analysis of the model and decision robustness: :func:`sensitivity` (its result,
:class:`~qsim.sensitivity.result.SensitivityResult`, is in ``result.py``).

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
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..experiment.design import apply_point
from ..experiment.executors import execute, executor_workers
from ..experiment.plan import Plan
from ..experiment.runs import RunSpec
from ..experiment.store import Store
from ..experiment.sweep import POINT_SEPARATOR
from ..scenario import Scenario
from .methods import PipelineOutput, run_pipeline, sample_blocks
from .result import SensitivityError, SensitivityResult, outcome_values, output_values
from .spec import (
    SensitivityExperiment,
    SweepSensitivityExperiment,
    load_sensitivity_experiment,
)
from .uncertainty import is_dummy, salib_problem


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
            target = Store.for_plan(path, plan)
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
