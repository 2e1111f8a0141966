"""The ``qsim`` command line."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from pathlib import Path

from .errors import QsimError

EPILOG_RUN = """example:
  qsim run scenarios/baseline.toml --seed 2 --years 10 --out out/baseline
"""


def _run(args) -> int:
    from .engine import Simulation
    from .scenario import load_scenario

    scenario = load_scenario(args.scenario)
    sim = Simulation(scenario, seed=args.seed, replicate=args.replicate)
    years = args.years if args.years is not None else scenario.years
    result = sim.run(years=years, progress=not args.quiet)
    out = Path(args.out or f"out/{scenario.name}")
    files = result.save(out)
    plot = out / "indicators.png"
    from .measures.runner import measure_periods, union_of_periods

    result.plot(path=plot, marks=union_of_periods(measure_periods(scenario)))
    import pandas as pd

    with pd.option_context("display.width", 120, "display.float_format", "{:,.3f}".format):
        print(f"\n{scenario.name}: {years} years, seed {sim.seed}, {int(result.indicators['households'].iloc[-1]):,} "
              f"households at the end, {sim.elapsed:.2f} s\n")
        print(result.summary().to_string())
    print(budget_summary(result.ledger))
    print(f"\nwrote {', '.join(str(f) for f in files)}, {plot}")
    return 0


EPILOG_COMPARE = """example:
  qsim compare scenarios/baseline.toml scenarios/employment.toml scenarios/integrated.toml -r 20 --out out/compare

Replicate r of every scenario uses the same random numbers (seed, r), so the
differences to the baseline (the first file) are paired. Runs are kept in
DIR/store and a repeated call with the same arguments resumes there.
--scheduler tcp://host:8786 runs them on a Dask cluster instead of local
processes (pip install 'qsim[dask]'; see docs/experiments.md).
"""


@contextlib.contextmanager
def _executor(args):
    """What runs the runs: --workers N local processes (default all cores) or the Dask cluster at --scheduler."""
    if args.scheduler is None:
        yield args.workers
        return
    from .experiment import dask_executor

    try:
        executor = dask_executor(args.scheduler)
    except ImportError as e:
        raise SetupError(str(e)) from None
    try:
        yield executor
    finally:
        executor.shutdown()


class SetupError(QsimError):
    """Something the command needs is not installed or reachable."""


def _add_executor_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="local worker processes (default: all cores; 1: in this process)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on the Dask cluster at ADDRESS, e.g. tcp://host:8786 (needs qsim[dask])")


def _compare(args) -> int:
    from .experiment import compare
    from .scenario import load_scenario

    for name, value in (("--replications", args.replications), ("--workers", args.workers)):
        if value is not None and value < 1:
            print(f"qsim: {name} must be at least 1, got {value}", file=sys.stderr)
            return 2
    scenarios = [load_scenario(p) for p in [args.baseline, *args.options]]
    names = [s.name for s in scenarios]
    if len(set(names)) < len(names):
        print(f"qsim: scenario names must differ to compare them ([scenario] name); got {', '.join(names)}",
              file=sys.stderr)
        return 2
    out = Path(args.out or "out/compare")
    with _executor(args) as executor:
        comparison = compare(scenarios, replications=args.replications, seed=args.seed, executor=executor,
                             years=args.years, store=out / "store", progress=not args.quiet)
    files = comparison.save(out)
    year = int(comparison.yearly["year"].max())
    print(f"\n{len(scenarios) - 1} option(s) against {comparison.baseline}: {args.replications} replications, "
          f"seed {args.seed}, year {year}, area 'all'\n")
    print(comparison_table(comparison.summary(year)))
    print(cost_lines(comparison.cost_effectiveness(year)))
    print(f"\nwrote {len(files)} files to {out}/ (tables as Parquet and CSV, trajectories.png, differences.png); "
          f"runs in {out / 'store'}")
    return 0


EPILOG_SWEEP = """example:
  qsim sweep experiments/coaching_referrals_demand.toml --out out/coaching_referrals_demand
  qsim sweep experiments/coaching_referrals_demand.toml --quick

Runs every scenario of the experiment file at every point of its design,
with common random numbers. Writes points, yearly, summary and effects
(Parquet and CSV) to DIR and keeps the runs in DIR/store (a repeated call
resumes there; --quick uses DIR/store-quick). --scheduler tcp://host:8786
runs them on a Dask cluster (pip install 'qsim[dask]').
"""


def _sweep(args) -> int:
    from .experiment.sweep import load_experiment, run_experiment

    if args.workers is not None and args.workers < 1:
        print(f"qsim: --workers must be at least 1, got {args.workers}", file=sys.stderr)
        return 2
    experiment = load_experiment(args.experiment)
    out = Path(args.out or f"out/{experiment.experiment.name}")
    with _executor(args) as executor:
        result = run_experiment(experiment, quick=args.quick, executor=executor,
                                store=out / ("store-quick" if args.quick else "store"), progress=not args.quiet)
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
    return 0


def comparison_table(summary) -> str:
    """The summary of a comparison as aligned text: mean and band, paired difference with interval, best share."""
    def num(x: float) -> str:
        return "" if math.isnan(x) else f"{x:.4g}"

    lines = [f"{'indicator':28s} {'scenario':20s} {'mean':>10s} {'10-90% band':>21s} {'difference':>11s} "
             f"{'95% interval':>23s} {'d':>7s} {'best':>5s}"]
    for (indicator, scenario), row in summary.iterrows():
        band = f"{num(row['q10'])} - {num(row['q90'])}"
        ci = "" if math.isnan(row["ci_low"]) else f"{num(row['ci_low'])} .. {num(row['ci_high'])}"
        best = "" if math.isnan(row["share_best"]) else f"{row['share_best']:.0%}"
        lines.append(f"{indicator:28s} {scenario:20s} {num(row['mean']):>10s} {band:>21s} "
                     f"{num(row['difference']):>11s} {ci:>23s} {num(row['cohen_d']):>7s} {best:>5s}")
    return "\n".join(lines)


def cost_lines(table) -> str:
    """Extra cost of each option and the cost per household-year of S1-S3 avoided."""
    lines = ["\ncost-effectiveness (extra cost against the baseline; EUR per household-year avoided, "
             "December stocks):"]
    for option, rows in table.groupby("option", sort=False):
        per_year = rows.set_index("indicator")["eur_per_household_year"]
        parts = [f"{name} {per_year[name]:,.0f}" for name in
                 ("unemployment_rate", "long_term_unemployment_rate", "transfer_rate")
                 if name in per_year.index and not math.isnan(per_year[name])]  # NaN: nothing avoided
        lines.append(f"  {option:24s} {rows['extra_cost_eur'].iloc[0]:>14,.0f} EUR"
                     + (f"; {', '.join(parts)}" if parts else "; no household-years avoided"))
    return "\n".join(lines)


def budget_summary(ledger) -> str:
    """A few lines on the money: paid in, spent by measure, and the years measures were short of money."""
    if ledger.empty:
        return "\nbudget: no funding sources or measures"
    pay = ledger[ledger["entry"] == "payment"]
    lines = [f"\nbudget: {ledger.loc[ledger['entry'] == 'inflow', 'amount_cents'].sum() / 100:,.0f} EUR paid in, "
             f"{pay['amount_cents'].sum() / 100:,.0f} EUR spent, "
             f"{ledger.loc[ledger['entry'] == 'lapse', 'amount_cents'].sum() / 100:,.0f} EUR lapsed"]
    for name, rows in pay.groupby("measure", sort=False):
        short = sorted(set(rows.loc[rows["status"] != "funded", "year"]))
        note = f"  (short of money in year(s) {', '.join(map(str, short))})" if short else ""
        lines.append(f"  {name:32s} {rows['amount_cents'].sum() / 100:>14,.0f} EUR{note}")
    return "\n".join(lines)


def _measures(args) -> int:
    from .measures import CATALOGUE

    if args.type is not None:
        if args.type not in CATALOGUE:
            print(f"qsim: unknown measure type {args.type!r}; expected one of {', '.join(CATALOGUE)}",
                  file=sys.stderr)
            return 2
        e = CATALOGUE[args.type]
        print(f"{e.name}: {e.title}\n\n{e.mechanism}\n\nEvidence: {e.evidence}\n")
        print(f"delivery: {e.delivery}; capacity in {e.unit} (default {e.default_capacity:g})")
        cost = "one-off" if e.one_off else "per year"
        print(f"cost: {e.cost_per_unit:,.0f} EUR per unit {cost}" + (f" + {e.fixed_cost:,.0f} EUR" if e.fixed_cost
                                                                     else ""))
        print(f"lag: {e.lag_months} months; ramp-up: {e.ramp_months} months; after the end: {e.after_end}")
        print(f"targets: area{''.join(', ' + t for t in e.targets)}; network dependence {e.network_dependence:g}")
        print("effects: " + ", ".join(f"{k} = {v:g}" for k, v in e.effects.items()))
        return 0
    print(f"{'type':24s} {'delivery':12s} {'EUR per unit':>12s}  {'paid':8s} unit")
    for e in CATALOGUE.values():
        print(f"{e.name:24s} {e.delivery:12s} {e.cost_per_unit:>12,.0f}  {'one-off' if e.one_off else 'per year':8s} "
              f"{e.unit}")
    print("\n`qsim measures TYPE` shows one type in full; docs/measures.md documents them all.")
    return 0


def _validate(args) -> int:
    from .measures.runner import check_targets
    from .scenario import ScenarioError, load_scenario

    failed = 0
    for path in args.files:
        try:
            sc = load_scenario(path)
            if sc.measures:
                check_targets(sc)
            print(f"{path}: ok ({sc.name}, {len(sc.areas)} area(s), {sc.years} years, {len(sc.measures)} measures)")
        except ScenarioError as e:
            print(str(e), file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def _schema(args) -> int:
    from .scenario import Scenario

    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0


def _parameters(args) -> int:
    from .parameters import table

    rows = table(args.process)
    if args.markdown:
        print(parameter_table_markdown(rows))
        return 0
    for p in rows:
        print(f"{p.dotted:48s} {p.default:>10g} {p.unit:10s} {p.description}")
    return 0


def parameter_table_markdown(rows) -> str:
    """The parameter table of docs/model.md, generated from the registry."""
    lines = ["| parameter | default | unit | meaning | source |", "|---|---|---|---|---|"]
    for p in rows:
        lines.append(f"| `{p.dotted}` | {p.default:g} | {p.unit} | {p.description} | {p.source} |")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qsim", description="Agent-based simulation of neighbourhood "
                                     "intervention scenarios (Quartiersmanagement).")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one scenario and write indicators, flows, the budget ledger and a plot",
                         epilog=EPILOG_RUN, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("scenario", help="scenario file (TOML)")
    run.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    run.add_argument("--replicate", type=int, default=0, help="replicate number (default 0)")
    run.add_argument("--years", type=float, default=None, help="years to simulate (default: the scenario's)")
    run.add_argument("--out", default=None, help="output folder (default out/<scenario name>)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=_run)

    cmp = sub.add_parser("compare", help="compare intervention options with a baseline over replications "
                         "(common random numbers)", epilog=EPILOG_COMPARE,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    cmp.add_argument("baseline", metavar="BASELINE", help="baseline scenario file (TOML)")
    cmp.add_argument("options", nargs="+", metavar="OPTION", help="option scenario files")
    cmp.add_argument("-r", "--replications", type=int, default=10, metavar="R",
                     help="replications per scenario (default 10)")
    cmp.add_argument("--seed", type=int, default=1, metavar="S",
                     help="random seed shared by all scenarios (default 1)")
    _add_executor_options(cmp)
    cmp.add_argument("--years", type=float, default=None, metavar="Y",
                     help="years to simulate (default: each scenario's)")
    cmp.add_argument("--out", default=None, metavar="DIR", help="output folder (default out/compare)")
    cmp.add_argument("--quiet", action="store_true", help="no progress bar")
    cmp.set_defaults(func=_compare)

    swp = sub.add_parser("sweep", help="run an experiment file: scenarios at every point of a design over "
                         "parameters and measure settings", epilog=EPILOG_SWEEP,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    swp.add_argument("experiment", metavar="EXPERIMENT", help="experiment file (TOML), see experiments/")
    _add_executor_options(swp)
    swp.add_argument("--out", default=None, metavar="DIR", help="output folder (default out/<experiment name>)")
    swp.add_argument("--quick", action="store_true", help="the experiment's small [quick] sizes")
    swp.add_argument("--quiet", action="store_true", help="no progress bar")
    swp.set_defaults(func=_sweep)

    val = sub.add_parser("validate", help="check scenario files (and that every measure's target selects someone)",
                         epilog="example:\n  qsim validate scenarios/*.toml",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    val.add_argument("files", nargs="+", help="scenario files")
    val.set_defaults(func=_validate)

    sch = sub.add_parser("schema", help="print the JSON Schema of scenario files",
                         epilog="example:\n  qsim schema > scenario.schema.json",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    sch.set_defaults(func=_schema)

    mea = sub.add_parser("measures", help="list the measure catalogue (types, delivery, cost)",
                         epilog="examples:\n  qsim measures\n  qsim measures job_coaching",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    mea.add_argument("type", nargs="?", default=None, help="show one measure type in full")
    mea.set_defaults(func=_measures)

    par = sub.add_parser("parameters", help="list model parameters with defaults, units and meaning",
                         epilog="example:\n  qsim parameters --process labour",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    par.add_argument("--process", default=None, help="only this process (labour, encounters, ...)")
    par.add_argument("--markdown", action="store_true", help="as a Markdown table with sources")
    par.set_defaults(func=_parameters)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .parameters import ParameterError
    from .scenario import ScenarioError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ScenarioError, ParameterError, QsimError) as e:
        print(f"qsim: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a folder that cannot be written, a full disk, ...
        print(f"qsim: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
