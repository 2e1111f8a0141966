"""`qsim sweep`: an experiment file over its design."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..resources import check_scenarios
from .common import (add_experiment_file_options, add_store_options, executor_for, load_experiment_file,
                     report_failures, safe_name)


EPILOG_SWEEP = """example:
  qsim sweep experiments/coaching_referrals_demand.toml --out out/coaching_referrals_demand
  qsim sweep experiments/coaching_referrals_demand.toml --quick

Runs every scenario of the experiment file at every point of its design,
with common random numbers. Writes points, yearly, summary and effects
(Parquet and CSV) to DIR and keeps the runs in DIR/store (a repeated call
resumes there; --quick uses DIR/store-quick). --scheduler tcp://host:8786
runs them on a Dask cluster (pip install 'qsim[dask]'). Runs that fail are
listed with their error and the exit code is 1; --retry-failed runs them
again. Another sweep writing to DIR/store stops this one (--wait: waits).
"""


def _sweep(args) -> int:
    from ..experiment.sweep import run_experiment

    experiment = load_experiment_file(args.experiment)
    if args.scheduler is None:  # local workers: their memory is this machine's
        check_scenarios(experiment.scenarios, args.workers, f"{args.experiment}: the sweep")
    out = Path(args.out or f"out/{safe_name(experiment.experiment.name)}")
    with executor_for(args) as executor:
        result = run_experiment(experiment, quick=args.quick, executor=executor,
                                store=out / ("store-quick" if args.quick else "store"), progress=not args.quiet,
                                wait=args.wait, retry_failed=args.retry_failed)
    again = f"qsim sweep {args.experiment}{' --quick' if args.quick else ''}"
    if not result.runs["status"].eq("ok").any():
        return report_failures(result.runs, again)
    files = result.save(out)
    paired = len(result.scenarios) > 1
    table = result.effects() if paired else result.summary()
    key, low, high = ("option", "ci_low", "ci_high") if paired else ("scenario", "q10", "q90")
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_rows", 500, "display.float_format", "{:.4g}".format):
        what = f"paired differences to {result.scenarios[0]}, 95% intervals" if paired else "means, 10-90% bands"
        print(f"\n{experiment.experiment.name}: {len(result.points)} points x {result.runs['replicate'].nunique()} "
              f"replications x {len(result.scenarios)} scenarios; {what} (area {result.area!r})\n")
        print(table[["point", *result.factors, key, "indicator", "year", "mean", low, high]].to_string(index=False))
    print(f"\nwrote {len(files)} files to {out}/; runs in {out}/store{'-quick' if args.quick else ''}")
    return report_failures(result.runs, again)


def register(sub) -> None:
    """Add this module's command(s) to the `qsim` parser."""
    swp = sub.add_parser("sweep", help="run an experiment file: scenarios at every point of a design over "
                         "parameters and measure settings", epilog=EPILOG_SWEEP,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    add_experiment_file_options(swp, "experiment")
    add_store_options(swp)
    swp.set_defaults(func=_sweep)
