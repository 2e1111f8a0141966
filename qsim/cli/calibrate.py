"""`qsim calibrate`: fit parameters of a scenario to target indicators (a calibration file)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import add_experiment_file_options, executor_for, safe_name

EPILOG_CALIBRATE = """example:
  qsim calibrate experiments/calibrate_baseline.toml --out out/calibrate_baseline
  qsim calibrate experiments/calibrate_baseline.toml --quick

Draws the calibration file's parameters from their priors (Sobol points),
runs every draw through the experiment layer, keeps the draws nearest to the
targets and adjusts them by regression (approximate Bayesian computation).
Prints the calibrated values with credible intervals and the fit (target
against simulated). Writes estimates, posterior, trials, fit, trajectories
(Parquet and CSV), posterior.png, fit.png, trials.png, calibration.json and
the calibrated scenario <scenario>_calibrated.toml (it extends the original)
to DIR, and keeps the runs in DIR/store (a repeated call resumes there;
--quick uses DIR/store-quick). --write-scenario PATH writes the calibrated
scenario there too. --scheduler tcp://host:8786 runs on a Dask cluster.
"""


def _calibration_file(path: str) -> Path:
    """``path`` if it is a calibration file; a UsageError that says what to do with a scenario or sweep file."""
    from .common import UsageError, check_file, toml_tables

    p = check_file(path, "calibration")
    keys = toml_tables(p)
    if keys is not None and "calibration" not in keys:  # None: the loader says what is wrong with it
        if "experiment" in keys:
            raise UsageError(f"{path}: this is a sweep experiment file, not a calibration; run it with "
                             f"`qsim sweep {path}`; a calibration file has a [calibration] table "
                             "(see experiments/calibrate_baseline.toml and docs/calibration.md)")
        if "scenario" in keys or "extends" in keys:
            raise UsageError(f"{path}: this is a scenario file, not a calibration; a calibration file names it "
                             "in its [calibration] table (see experiments/calibrate_baseline.toml)")
    return p


def _calibrate(args) -> int:
    from ..sensitivity.calibration import load_calibration, run_calibration

    experiment = load_calibration(_calibration_file(args.experiment))
    out = Path(args.out or f"out/{safe_name(experiment.calibration.name)}")
    with executor_for(args) as executor:
        result = run_calibration(experiment, quick=args.quick, executor=executor,
                                 store=out / ("store-quick" if args.quick else "store"), progress=not args.quiet)
    files = result.save(out)
    if args.write_scenario:
        files.append(result.write_scenario(args.write_scenario))
    import pandas as pd

    s = result.settings
    with pd.option_context("display.width", 180, "display.max_rows", 200, "display.max_colwidth", 40,
                           "display.float_format", "{:.4g}".format):
        print(f"\n{experiment.calibration.name}: {s['draws']} draws x {s['replications']} run(s) = "
              f"{s['runs']} runs (+ {s['check_runs']} check runs), {s['accepted']} accepted (effective "
              f"{s['effective_size']:.1f}), {s['seconds_this_call']:.0f} s (runs already in the store are not "
              "run again)\n")
        print(result.estimates[["unit", "default", "prior_low", "prior_high", "estimate", "lower", "upper",
                                "shrinkage"]].to_string())
        print(f"(estimate: posterior median; lower-upper: {100 * s['interval']:g}% credible interval)")
        for name, note in result.estimates["note"].items():
            if note:
                print(f"  note {name}: {note}")
        print()
        print(result.fit[["statistic", "target", "tolerance", "original_mean", "calibrated_mean", "calibrated_q10",
                          "calibrated_q90", "calibrated_z"]].to_string(index=False))
    print(f"\nwrote {len(files)} files to {out}/ (calibrated scenario: {files[-1]}); runs in {out}/store"
          f"{'-quick' if args.quick else ''}")
    return 0


def register(sub) -> None:
    """Add this module's command(s) to the `qsim` parser."""
    cal = sub.add_parser("calibrate", help="fit parameters of a scenario to target indicator values "
                         "(approximate Bayesian computation)", epilog=EPILOG_CALIBRATE,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    add_experiment_file_options(cal, "calibration")
    cal.add_argument("--write-scenario", default=None, metavar="PATH",
                     help="also write the calibrated scenario file to PATH")
    cal.set_defaults(func=_calibrate)
