"""Given-data sensitivity analysis of an existing sweep: RBD-FAST, PAWN and delta on the sweep's points and runs.

A sweep (``qsim sweep``, :func:`qsim.sweep`) already holds model runs at the points of a design (a Latin
hypercube or a Sobol sequence is best; a grid works but is coarse). :func:`sweep_sensitivity` analyses them
without new runs: the parameters are the sweep's factors, taken as uniform over the range the points cover.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..experiment.sweep import POINT_SEPARATOR, SweepResult
from .result import SensitivityError, SensitivityResult, output_values
from .methods import GIVEN_DATA, MethodSettings, analyse_runs
from .spec import OutputSpec


def sweep_sensitivity(sweep: SweepResult, outputs: Sequence[OutputSpec | Mapping],
                      methods: Sequence[str] = GIVEN_DATA, bootstrap: int = 1000, confidence: float = 0.95,
                      seed: int = 1, convergence: Sequence[int] = (), fast_m: int = 4) -> SensitivityResult:
    """Indices of ``outputs`` (:class:`OutputSpec` or dicts such as ``{"indicator": "unemployment_rate",
    "year": 10}``; ``option`` and ``difference`` refer to the sweep's scenarios) by the given-data ``methods``
    over the sweep's points and runs (replicate means; the noise share from its replications). ``fast_m``: the
    RBD-FAST harmonics (the sweep needs more than ``4 fast_m`` points)."""
    specs = [o if isinstance(o, OutputSpec) else OutputSpec.model_validate(dict(o)) for o in outputs]
    unknown = [m for m in methods if m not in GIVEN_DATA]
    if not methods or unknown:
        raise ValueError(f"methods must be given-data methods ({', '.join(GIVEN_DATA)}), got {list(methods)}")
    for spec in specs:
        if spec.option is not None and spec.option not in sweep.scenarios:
            raise ValueError(f"output {spec.label!r}: no scenario {spec.option!r} in the sweep "
                             f"({', '.join(sweep.scenarios)})")
    points = sweep.points
    if len(points.columns) < 2:
        raise SensitivityError("a sensitivity analysis needs a sweep over at least two factors")
    if "rbd_fast" in methods and len(points) <= 4 * fast_m:
        raise SensitivityError(f"RBD-FAST needs more than 4 fast_m = {4 * fast_m} points; the sweep has "
                               f"{len(points)}")
    problem = {"names": list(points.columns),
               "bounds": [[float(points[c].min()), float(points[c].max())] for c in points.columns],
               "dists": ["unif"] * len(points.columns)}
    replicates = sorted(sweep.yearly["replicate"].unique())
    yearly = sweep.yearly.assign(scenario=sweep.yearly["scenario"] + POINT_SEPARATOR
                                 + sweep.yearly["point"].astype(str),
                                 replicate=sweep.yearly["replicate"].map({r: k for k, r in enumerate(replicates)}))
    Y_runs = output_values(yearly, specs, sweep.scenarios[0], len(points), len(replicates))
    missing = [spec.label for j, spec in enumerate(specs) if not np.isfinite(Y_runs[:, j, :]).all()]
    if missing:
        raise SensitivityError(f"output(s) {', '.join(missing)}: some runs have no value (a year beyond the "
                               f"sweep's horizon, {int(sweep.yearly['year'].max())} years, or failed runs)")
    settings = MethodSettings(method=methods[0], n=len(points), fast_m=fast_m, bootstrap=bootstrap,
                              confidence=confidence, seed=seed,
                              convergence=tuple(c for c in convergence if c < len(points)), also=tuple(methods[1:]))
    labels = [s.label for s in specs]
    pipe = analyse_runs(problem, settings, points.to_numpy(dtype=float), Y_runs, labels)
    n_points, n_out, reps = Y_runs.shape
    tidy = pd.DataFrame({"point": np.repeat(np.arange(n_points), n_out * reps),
                         "output": np.tile(np.repeat(labels, reps), n_points),
                         "replicate": np.tile(np.arange(reps), n_points * n_out), "value": Y_runs.reshape(-1)})
    return SensitivityResult(name="sweep", method=methods[0], settings=settings, parameters=problem["names"],
                             output_names=labels, scenarios=list(sweep.scenarios), samples=points, outputs=tidy,
                             indices=pipe.indices, convergence=pipe.convergence, noise=pipe.noise,
                             replications=len(replicates), runs=int((sweep.runs["status"] == "ok").sum())
                             if "status" in sweep.runs else len(sweep.runs))
