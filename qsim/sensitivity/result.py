"""What a sensitivity analysis returns (:class:`SensitivityResult`) and the outputs it analyses, formed from the
yearly rows of runs at the points of a sample (scenarios named ``<scenario>@<point>``).

Both the analysis of new runs (:mod:`qsim.sensitivity.analysis`) and the given-data analysis of a sweep
(:mod:`qsim.sensitivity.given_data`) build on this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import QsimError
from ..experiment.sweep import POINT_SEPARATOR
from ..result import write_tables
from . import plots
from .methods import MethodSettings
from .robustness import deciders, win_rates
from .spec import OutputSpec

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

    def __repr__(self) -> str:
        return (f"SensitivityResult({self.name!r}, {self.method}, {len(self.parameters)} parameters, "
                f"{len(self.output_names)} output(s), {self.runs} runs)")

    def _repr_html_(self) -> str:
        """A notebook's display: per output the parameters with the largest main index (S1, ST, mu_star or
        delta, whichever the method gives) and its interval."""
        from ..display import table

        shown = [i for i in ("ST", "S1", "mu_star", "delta") if i in set(self.indices["index"])][:1]
        rows = []
        for output in self.output_names:
            part = self.indices[(self.indices["output"] == output) & self.indices["index"].isin(shown)]
            for _, r in part.sort_values("value", ascending=False).head(3).iterrows():
                rows.append([output, r["parameter"], r["index"], r["value"], r["ci_low"], r["ci_high"]])
        return table(repr(self), ["output", "parameter", "index", "value", "ci low", "ci high"], rows,
                     "the three parameters with the largest index per output")

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
                raise SensitivityError("an eFAST sample cannot be cut into smaller samples: no convergence plot")
            return plots.plot_convergence(self.convergence, self.method, title, path)
        if kind == "morris":
            if self.method != "morris":
                raise SensitivityError(f"a morris plot needs a Morris analysis, this is {self.method}")
            return plots.plot_morris(self.indices, title, path)
        if kind == "robustness":
            table = self.robustness()
            if table.empty:
                raise SensitivityError("no robustness outcomes: add a [robustness] table to the experiment")
            return plots.plot_robustness(table, f"{self.name}: decision robustness over {len(self.samples)} "
                                         "parameter samples", path)
        raise SensitivityError(f"unknown plot kind {kind!r}; expected one of {', '.join(PLOT_KINDS)}")

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
