"""`qsim sensitivity`: a sensitivity experiment file (Sobol, Morris, eFAST, given-data methods, robustness)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import (UsageError, add_experiment_file_options, check_file, executor_for, safe_name,
                     toml_tables)

EPILOG_SENSITIVITY = """example:
  qsim sensitivity experiments/sobol_year20.toml --out out/sobol_year20
  qsim sensitivity experiments/morris_core.toml --quick

Draws the experiment's sample (Sobol/Saltelli, Morris trajectories, eFAST or
a Latin hypercube for the given-data methods), runs every scenario at every
point with common random numbers, and writes to DIR: sensitivity_indices
(method, output, parameter, index, value, ci_low, ci_high), _convergence,
_noise, _samples, _outputs, _info (and robustness, robustness_deciders with
a [robustness] table) as CSV and Parquet, and the plots as PNG. The runs
stay in DIR/store (a repeated call resumes there; --quick uses the file's
[quick] sizes and DIR/store-quick). A file with `sweep = "FILE"` in its
[experiment] table analyses that sweep's runs with RBD-FAST, PAWN or delta,
resuming the sweep's store out/<sweep name>/store. See docs/sensitivity.md.
"""


def _check_kind(path: str) -> Path:
    """``path`` if it is a sensitivity experiment file; a UsageError that says what it is otherwise."""
    p = check_file(path, "sensitivity experiment")
    keys = toml_tables(p)
    if keys is None:
        return p  # the loader says why it cannot be read
    if "experiment" not in keys and ("scenario" in keys or "extends" in keys):
        raise UsageError(f"{path}: this is a scenario file, not a sensitivity experiment; see experiments/ and "
                         "docs/sensitivity.md for the format")
    if "sensitivity" not in keys and ({"design", "factors"} & keys):
        raise UsageError(f"{path}: this is a sweep experiment file; run it with `qsim sweep {path}`, or analyse its "
                         f"runs with a sensitivity file whose [experiment] table has sweep = \"{p.name}\" "
                         "(docs/sensitivity.md)")
    return p


def _sensitivity(args) -> int:
    from ..sensitivity.analysis import sensitivity
    from ..sensitivity.spec import (
        SweepSensitivityExperiment,
        load_sensitivity_experiment,
    )

    experiment = load_sensitivity_experiment(_check_kind(args.experiment))
    out = Path(args.out or f"out/{safe_name(experiment.name)}")
    store_name = "store-quick" if args.quick else "store"
    # a given-data analysis of a sweep resumes the sweep's own store, where `qsim sweep` keeps its runs
    runs = (Path(f"out/{safe_name(experiment.sweep.experiment.name)}")
            if isinstance(experiment, SweepSensitivityExperiment)
            else out) / store_name
    with executor_for(args) as executor:
        result = sensitivity(experiment, quick=args.quick, executor=executor, store=runs, progress=not args.quiet)
    files = result.save(out)
    import pandas as pd

    main = {"sobol": ["S1", "ST"], "fast": ["S1", "ST"], "morris": ["mu_star", "sigma"], "rbd_fast": ["S1"],
            "delta": ["delta"], "pawn": ["pawn_median"]}[result.method]
    table = result.indices[(result.indices["method"] == result.method) & result.indices["index"].isin(main)]
    with pd.option_context("display.width", 160, "display.max_rows", 500, "display.float_format", "{:.3g}".format):
        print(f"\n{result.name}: {result.method}, {len(result.samples)} points x {result.replications} "
              f"replication(s) x {len(result.scenarios)} scenario(s) = {result.runs} runs, "
              f"{result.seconds:.0f} s; {int(result.settings.confidence * 100)}% bootstrap intervals\n")
        print(table[["output", "parameter", "index", "value", "ci_low", "ci_high"]].to_string(index=False))
        noise = result.noise.dropna(subset=["noise_share"])
        if len(noise):
            print("\nshare of output variance that is replicate noise:")
            print(noise[["output", "replications", "noise_share"]].to_string(index=False))
        robustness = result.robustness()
        if len(robustness):
            print("\nhow often each option is better (share of parameter samples):")
            print(robustness[["outcome", "option", "versus", "share_better", "share_worse",
                              "mean_advantage"]].to_string(index=False))
    print(f"\nwrote {len(files)} files to {out}/; runs in {runs}")
    return 0


def register(sub) -> None:
    """Add this module's command(s) to the `qsim` parser."""
    sen = sub.add_parser("sensitivity", help="global sensitivity analysis (Sobol, Morris, eFAST, RBD-FAST, PAWN, "
                         "delta) and decision robustness of an experiment file", epilog=EPILOG_SENSITIVITY,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    add_experiment_file_options(sen, "sensitivity experiment")
    sen.set_defaults(func=_sensitivity)
