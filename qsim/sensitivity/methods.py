"""Sampling and analysis with SALib's ProblemSpec: the pipeline every sensitivity analysis goes through.

:func:`run_pipeline` draws the sample of a method, evaluates it with a
callable (the model through the experiment layer, or a test function such
as Ishigami) and analyses it: indices with seeded bootstrap intervals, the
same analysis over growing sample sizes (convergence), and the share of
output variance that is replicate noise.

Methods: ``sobol`` (Saltelli/Sobol sampling; S1, ST and optionally S2),
``morris`` (elementary effects; mu*, mu, sigma), ``fast`` (eFAST; S1, ST),
and the given-data methods ``rbd_fast`` (S1), ``pawn`` (median KS
statistic) and ``delta`` (delta, S1), which work on any sample (here a
Latin hypercube, or the points of an existing sweep).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field, replace
from typing import Callable, Literal, Sequence

import numpy as np
import pandas as pd

Method = Literal["sobol", "morris", "fast", "rbd_fast", "pawn", "delta"]
SAMPLED = ("sobol", "morris", "fast")
"""Methods with their own sampling design."""
GIVEN_DATA = ("rbd_fast", "pawn", "delta")
"""Methods that analyse any sample (given data)."""
METHODS = SAMPLED + GIVEN_DATA
INDEX_COLUMNS = ["method", "output", "parameter", "index", "value", "ci_low", "ci_high"]
PAIR_SEPARATOR = " x "
"""Joins the two parameters of a second-order index in the ``parameter`` column."""
PAWN_RESAMPLES = 200
"""Bootstrap resamples for PAWN intervals (SALib gives none; each resample reruns the analysis)."""
DELTA_RESAMPLES = 30
"""Bootstrap resamples for delta intervals at most: SALib's delta bootstrap is slow (three binning modes per
resample); the interval is the normal approximation from these resamples."""


@dataclass(frozen=True)
class MethodSettings:
    """How to sample and analyse.

    ``n``: base sample size (sobol: rows per matrix, a power of two; morris: trajectories; fast: samples per
    parameter; given data: points). ``bootstrap`` resamples and ``confidence`` level for the intervals;
    ``seed`` seeds sampling and bootstrap; ``convergence``: smaller base sizes to analyse too (prefixes of the
    sample); ``also``: given-data methods run on the same sample as well.
    """

    method: Method = "sobol"
    n: int = 256
    second_order: bool = False
    levels: int = 4
    fast_m: int = 4
    bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 1
    convergence: tuple[int, ...] = ()
    also: tuple[str, ...] = ()

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; expected one of {', '.join(METHODS)}")
        unknown = [m for m in self.also if m not in GIVEN_DATA]
        if unknown:
            raise ValueError(f"also: {', '.join(unknown)} not given-data methods ({', '.join(GIVEN_DATA)})")


def block_rows(settings: MethodSettings, d: int) -> int | None:
    """Rows per base sample (the Saltelli block, the Morris trajectory, one point); None for eFAST, whose
    sample cannot be cut into smaller ones."""
    if settings.method == "sobol":
        return 2 * d + 2 if settings.second_order else d + 2
    if settings.method == "morris":
        return d + 1
    if settings.method == "fast":
        return None
    return 1


def problem_spec(problem: dict):
    """A SALib ProblemSpec of the problem (names, bounds, dists)."""
    from SALib import ProblemSpec

    return ProblemSpec({key: [list(v) if isinstance(v, (list, tuple)) else v for v in values]
                        if key == "bounds" else list(values) for key, values in problem.items()})


def draw_sample(problem: dict, settings: MethodSettings) -> np.ndarray:
    """The method's sample (rows: points, columns: parameters), seeded by ``settings.seed``."""
    sp = problem_spec(problem)
    s = settings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SALib's note on powers of two (checked by the caller)
        if s.method == "sobol":
            sp.sample_sobol(s.n, calc_second_order=s.second_order, seed=s.seed)
        elif s.method == "morris":
            sp.sample_morris(s.n, num_levels=s.levels, seed=s.seed)
        elif s.method == "fast":
            sp.sample_fast(s.n, M=s.fast_m, seed=s.seed)
        else:
            sp.sample_latin(s.n, seed=s.seed)
    return np.asarray(sp.samples, dtype=float)


def sample_blocks(settings: MethodSettings, n_rows: int, d: int) -> np.ndarray:
    """The sampling block of every row (rows of one Saltelli block or Morris trajectory share one)."""
    rows = block_rows(settings, d) or 1
    return np.arange(n_rows) // rows


def _analyse_one(problem: dict, settings: MethodSettings, method: str, X: np.ndarray, y: np.ndarray) -> list[tuple]:
    """Rows (parameter, index, value, ci_low, ci_high) of one method on one output."""
    sp = problem_spec(problem).set_samples(X).set_results(y)
    names = problem["names"]
    common = dict(num_resamples=settings.bootstrap, conf_level=settings.confidence, seed=settings.seed)
    rows: list[tuple] = []

    def add(index: str, values, conf=None):
        for k, name in enumerate(names):
            v = float(values[k])
            c = float(conf[k]) if conf is not None else np.nan
            rows.append((name, index, v, v - c, v + c))

    if method == "sobol":
        r = sp.analyze_sobol(calc_second_order=settings.second_order, **common).analysis
        add("S1", r["S1"], r["S1_conf"])
        add("ST", r["ST"], r["ST_conf"])
        if settings.second_order:
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    v, c = float(r["S2"][i, j]), float(r["S2_conf"][i, j])
                    rows.append((names[i] + PAIR_SEPARATOR + names[j], "S2", v, v - c, v + c))
    elif method == "morris":
        r = sp.analyze_morris(num_levels=settings.levels, **common).analysis
        add("mu_star", r["mu_star"], r["mu_star_conf"])
        add("mu", r["mu"])
        add("sigma", r["sigma"])
    elif method == "fast":
        with warnings.catch_warnings():  # SALib's caveat on bootstrap intervals for FAST: see docs/sensitivity.md
            warnings.simplefilter("ignore", UserWarning)
            r = sp.analyze_fast(M=settings.fast_m, **common).analysis
        add("S1", r["S1"], r["S1_conf"])
        add("ST", r["ST"], r["ST_conf"])
    elif method == "rbd_fast":
        r = sp.analyze_rbd_fast(M=settings.fast_m, **common).analysis
        add("S1", r["S1"], r["S1_conf"])
    elif method == "delta":
        # SALib prints notes on its bins and warns through filters it resets itself: keep all of it local
        # (record=True: whatever passes the filters is recorded in a list that is dropped, not shown)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings(record=True):
            r = sp.analyze_delta(**{**common, "num_resamples": min(settings.bootstrap, DELTA_RESAMPLES)}).analysis
        add("delta", r["delta_raw"], r["delta_raw_conf"])
        add("S1", r["S1"], r["S1_conf"])
    elif method == "pawn":
        slices = max(2, min(10, len(y) // 10))
        r = sp.analyze_pawn(S=slices, seed=settings.seed).analysis
        rng = np.random.default_rng(settings.seed)
        boot = []
        for _ in range(min(settings.bootstrap, PAWN_RESAMPLES)):
            pick = rng.integers(0, len(y), len(y))
            rs = problem_spec(problem).set_samples(X[pick]).set_results(y[pick])
            boot.append(np.asarray(rs.analyze_pawn(S=slices, seed=settings.seed).analysis["median"], dtype=float))
        tail = (1 - settings.confidence) / 2
        low, high = np.quantile(np.array(boot), [tail, 1 - tail], axis=0)
        for k, name in enumerate(names):
            rows.append((name, "pawn_median", float(r["median"][k]), float(low[k]), float(high[k])))
    else:
        raise ValueError(f"unknown method {method!r}")
    return rows


def analyse(problem: dict, settings: MethodSettings, X: np.ndarray, Y: np.ndarray,
            outputs: Sequence[str], n_base: int | None = None) -> pd.DataFrame:
    """Indices of every output (columns of ``Y``, one value per row of ``X``) by the method and the ``also``
    methods: a tidy table with :data:`INDEX_COLUMNS` and ``n`` (the base sample size)."""
    methods = [settings.method] + [m for m in settings.also if m != settings.method]
    records = []
    for j, output in enumerate(outputs):
        y = np.asarray(Y[:, j], dtype=float)
        if not np.all(np.isfinite(y)):
            raise ValueError(f"output {output!r}: {int((~np.isfinite(y)).sum())} of {len(y)} values are missing "
                             "or not finite (failed runs?)")
        for method in methods:
            for row in _analyse_one(problem, settings, method, X, y):
                records.append((method, output, *row))
    frame = pd.DataFrame(records, columns=INDEX_COLUMNS)
    frame["n"] = n_base if n_base is not None else len(X)
    return frame


def convergence_sizes(settings: MethodSettings, n_rows: int, d: int) -> list[int]:
    """Base sizes below ``settings.n`` to analyse, each a whole number of blocks (none for eFAST)."""
    rows = block_rows(settings, d)
    if rows is None:
        return []
    return sorted({int(n) for n in settings.convergence if 0 < n < settings.n and n * rows <= n_rows})


def convergence(problem: dict, settings: MethodSettings, X: np.ndarray, Y: np.ndarray,
                outputs: Sequence[str]) -> pd.DataFrame:
    """Indices over growing base sample sizes (prefixes of the sample: whole Saltelli blocks, Morris
    trajectories or points), up to the full size; columns as :func:`analyse`. The ``also`` methods appear at
    the full size only."""
    d = X.shape[1]
    rows = block_rows(settings, d)
    sizes = convergence_sizes(settings, len(X), d)
    main_only = replace(settings, also=())  # the ``also`` methods at the full size only (delta is slow)
    parts = [analyse(problem, main_only, X[:n * rows], Y[:n * rows], outputs, n) for n in sizes]
    parts.append(analyse(problem, settings, X, Y, outputs, settings.n))
    return pd.concat(parts, ignore_index=True)


def noise_share(Y_runs: np.ndarray, outputs: Sequence[str]) -> pd.DataFrame:
    """Per output: replications, total variance of single runs, mean within-point (replicate) variance, and
    their ratio ``noise_share`` (NaN with one replication). ``Y_runs``: points x outputs x replications."""
    n_points, _, reps = Y_runs.shape
    records = []
    for j, output in enumerate(outputs):
        runs = Y_runs[:, j, :]
        total = float(np.var(runs, ddof=1)) if runs.size > 1 else np.nan
        within = float(np.mean(np.var(runs, axis=1, ddof=1))) if reps > 1 else np.nan
        share = within / total if reps > 1 and total > 0 else (0.0 if reps > 1 else np.nan)
        records.append((output, reps, n_points, total, within, share, float(np.var(runs.mean(axis=1), ddof=1))))
    return pd.DataFrame(records, columns=["output", "replications", "points", "variance_runs", "variance_within",
                                          "noise_share", "variance_of_means"])


@dataclass
class PipelineOutput:
    """A sample, its evaluations and their analysis.

    ``X``: points x parameters; ``Y_runs``: points x outputs x replications; ``indices``, ``convergence``
    (indices at every base size, including the full one), ``noise`` as returned by :func:`analyse`,
    :func:`convergence` and :func:`noise_share`.
    """

    X: np.ndarray
    Y_runs: np.ndarray
    indices: pd.DataFrame
    convergence: pd.DataFrame
    noise: pd.DataFrame
    extra: dict = field(default_factory=dict)

    @property
    def Y(self) -> np.ndarray:
        """The replicate means: points x outputs."""
        return self.Y_runs.mean(axis=2)


def analyse_runs(problem: dict, settings: MethodSettings, X: np.ndarray, Y_runs: np.ndarray,
                 outputs: Sequence[str]) -> PipelineOutput:
    """Analyse evaluated runs: the replicate means for indices and convergence, the replicates for noise."""
    Y = Y_runs.mean(axis=2)
    conv = convergence(problem, settings, X, Y, outputs)
    full = conv[conv["n"] == settings.n].drop(columns="n").reset_index(drop=True)
    return PipelineOutput(X, Y_runs, full, conv, noise_share(Y_runs, outputs))


def run_pipeline(problem: dict, settings: MethodSettings, evaluate: Callable[[np.ndarray], np.ndarray],
                 outputs: Sequence[str]) -> PipelineOutput:
    """Draw the sample, evaluate it and analyse it.

    ``evaluate(X)`` returns points x outputs x replications (or points x outputs, or points for one output).
    """
    X = draw_sample(problem, settings)
    Y_runs = np.asarray(evaluate(X), dtype=float)
    if Y_runs.ndim == 1:
        Y_runs = Y_runs[:, None]
    if Y_runs.ndim == 2:
        Y_runs = Y_runs[:, :, None]
    if Y_runs.shape[:2] != (len(X), len(outputs)):
        raise ValueError(f"evaluate returned shape {Y_runs.shape}, expected ({len(X)}, {len(outputs)}, replications)")
    return analyse_runs(problem, settings, X, Y_runs, outputs)
