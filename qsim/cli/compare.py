"""`qsim compare`: options against a baseline over paired replications."""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

from .common import (add_executor_options, add_store_options, add_threads_option, executor_for, load_scenario_file,
                     positive_int, positive_years, report_failures, seed_number)
from .report import add_report_language


EPILOG_COMPARE = """example:
  qsim compare scenarios/baseline.toml scenarios/employment.toml scenarios/integrated.toml -r 20 --out out/compare
  qsim compare scenarios/baseline.toml scenarios/employment.toml --out out/compare --report --lang de

Replicate r of every scenario uses the same random numbers (seed, r), so the
differences to the baseline (the first file) are paired. Runs are kept in
DIR/store and a repeated call with the same arguments resumes there.
--scheduler tcp://host:8786 runs them on a Dask cluster instead of local
processes (pip install 'qsim[dask]'; see docs/experiments.md). --report
also writes the planner's report (DIR/report.html, or FILE; see `qsim report`).
Runs that fail are listed with their error and the exit code is 1;
--retry-failed runs them again.
"""


def _compare(args) -> int:
    from ..experiment import compare

    for name, value in (("--replications", args.replications), ("--workers", args.workers)):
        if value is not None and value < 1:
            print(f"qsim: {name} must be at least 1, got {value}", file=sys.stderr)
            return 2
    scenarios = [load_scenario_file(p) for p in [args.baseline, *args.options]]
    names = [s.name for s in scenarios]
    if len(set(names)) < len(names):
        print(f"qsim: scenario names must differ to compare them ([scenario] name); got {', '.join(names)}",
              file=sys.stderr)
        return 2
    out = Path(args.out or "out/compare")
    with executor_for(args) as executor:
        comparison = compare(scenarios, replications=args.replications, seed=args.seed, executor=executor,
                             years=args.years, store=out / "store", progress=not args.quiet, wait=args.wait,
                             retry_failed=args.retry_failed, goal=args.goal, threads=args.threads)
    if args.basis is not None:
        comparison = dataclasses.replace(comparison, basis=args.basis)
    again = f"qsim compare {' '.join([args.baseline, *args.options])}"
    if set(comparison.yearly["scenario"]) != set(names):  # a scenario without a finished run: no comparison
        return report_failures(comparison.runs, again)
    files = comparison.save(out)
    from ..city_effects import write_city_effects

    files += write_city_effects(comparison, scenarios, out)  # city scenarios: effects by zone, difference maps
    year = int(comparison.yearly["year"].max())
    print(f"\n{len(scenarios) - 1} option(s) against {comparison.baseline}: {args.replications} replications, "
          f"seed {args.seed}, year {year}, area 'all'\n")
    print(comparison_table(comparison.summary(year)))
    print(cost_lines(comparison.cost_effectiveness(year)))
    print(decision_lines(comparison, args.replications))
    if comparison.by_cohort:
        print(residents_lines(comparison, year))
    print(f"\nwrote {len(files)} files to {out}/ (tables as Parquet and CSV"
          f"{', decomposition: residents or newcomers' if comparison.by_cohort else ''}, trajectories.png, "
          f"differences.png"
          f"{'; effects by zone and difference maps of the city' if scenarios[0].city is not None else ''}); "
          f"runs in {out / 'store'}")
    if args.report is not None:
        report = Path(args.report) if args.report else out / "report.html"
        from ..report import write_report

        written = write_report(comparison, report, lang=args.lang, progress=not args.quiet)
        print("wrote " + ", ".join(str(f) for f in written))
    return report_failures(comparison.runs, again)


def comparison_table(summary) -> str:
    """The summary of a comparison as aligned text: mean and band, paired difference with interval, effect size
    against the natural spread, practical significance (important, tiny, unclear), best share."""
    def num(x: float) -> str:
        return "" if math.isnan(x) else f"{x:.4g}"

    lines = [f"{'indicator':28s} {'scenario':20s} {'mean':>10s} {'10-90% band':>21s} {'difference':>11s} "
             f"{'95% interval':>23s} {'size':>6s} {'matters':>9s} {'best':>5s}"]
    for (indicator, scenario), row in summary.iterrows():
        band = f"{num(row['q10'])} - {num(row['q90'])}"
        ci = "" if math.isnan(row["ci_low"]) else f"{num(row['ci_low'])} .. {num(row['ci_high'])}"
        best = "" if math.isnan(row["share_best"]) else f"{row['share_best']:.0%}"
        size = "" if math.isnan(row["effect_size"]) else f"{row['effect_size']:+.1f}"
        matters = row["practical"] if isinstance(row["practical"], str) else ""
        lines.append(f"{indicator:28s} {scenario:20s} {num(row['mean']):>10s} {band:>21s} "
                     f"{num(row['difference']):>11s} {ci:>23s} {size:>6s} {matters:>9s} {best:>5s}")
    return "\n".join(lines)


def decision_lines(comparison, replications: int) -> str:
    """The goal, the options' goal scores (in minimum important differences) with intervals and shares of wins,
    which are recommended, and a warning if the replications are too few (see docs/report.md)."""
    goal = ", ".join(f"{name}={weight:g}" for name, weight in comparison.goal.items())
    lines = [f"\ndecision for the goal {goal} (score: minimum important differences better than the baseline):"]
    for _, row in comparison.decision().iterrows():
        lines.append(f"  {row['option']:24s} {row['score']:+8.2f} [{row['ci_low']:+.2f} .. {row['ci_high']:+.2f}]  "
                     f"best in {row['share_wins']:.0%}{'  recommended' if row['recommended'] else ''}")
    needed = comparison.replications_needed()
    if replications < needed:
        lines.append(f"  too few replications for these intervals: {replications} run, {needed} needed (-r {needed})")
    return "\n".join(lines)


RESIDENTS_LINES = ("unemployment_rate", "transfer_rate", "mean_income")
"""The indicators whose split into residents and composition `qsim compare` prints."""


def residents_lines(comparison, year: int) -> str:
    """Per option: the change of a few key indicators of the area in ``year`` split into the original residents'
    own change and composition (who moved in and out), and the share of composition (decomposition.csv)."""
    d = comparison.decomposition()
    d = d[(d["area"] == comparison.area) & (d["year"] == year)].set_index(["option", "indicator", "part"])
    lines = [f"\nresidents or newcomers (year {year}; change of the area = residents' own change + composition, "
             "decomposition.csv):"]
    for option in comparison.scenarios[1:]:
        parts = []
        for name in RESIDENTS_LINES:
            if (option, name, "total") not in d.index:
                continue
            total, residents, composition = (d.loc[(option, name, p), "mean"] for p in
                                             ("total", "residents", "composition"))
            share = d.loc[(option, name, "composition"), "share_of_total"]
            parts.append(f"{name} {total:+.4g} = {residents:+.4g} {composition:+.4g}"
                         + ("" if math.isnan(share) else f" ({share:.0%} composition)"))
        lines.append(f"  {option:24s} " + "; ".join(parts))
    basis = "original residents" if comparison.basis == "residents" else "the area's figures"
    lines.append(f"  the decision and the cost per household-year judge {basis}")
    return "\n".join(lines)


def cost_lines(table) -> str:
    """Extra cost of each option and the cost per household-year of S1-S3 avoided."""
    basis = table["basis"].iloc[0] if "basis" in table and len(table) else "area"
    among = "among the original residents" if basis == "residents" else "in the area"
    lines = [f"\ncost-effectiveness (extra cost against the baseline; EUR per household-year avoided {among}, "
             "December stocks):"]
    for option, rows in table.groupby("option", sort=False):
        per_year = rows.set_index("indicator")["eur_per_household_year"]
        parts = [f"{name} {per_year[name]:,.0f}" for name in
                 ("unemployment_rate", "long_term_unemployment_rate", "transfer_rate")
                 if name in per_year.index and not math.isnan(per_year[name])]  # NaN: nothing avoided
        lines.append(f"  {option:24s} {rows['extra_cost_eur'].iloc[0]:>14,.0f} EUR"
                     + (f"; {', '.join(parts)}" if parts else "; no household-years avoided"))
    return "\n".join(lines)


def register(sub) -> None:
    """Add this module's command(s) to the `qsim` parser."""
    cmp = sub.add_parser("compare", help="compare intervention options with a baseline over replications "
                         "(common random numbers)", epilog=EPILOG_COMPARE,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    cmp.add_argument("baseline", metavar="BASELINE", help="baseline scenario file (TOML)")
    cmp.add_argument("options", nargs="+", metavar="OPTION", help="option scenario files")
    cmp.add_argument("-r", "--replications", type=positive_int, default=10, metavar="R",
                     help="replications per scenario (default 10)")
    cmp.add_argument("--seed", type=seed_number, default=1, metavar="S",
                     help="random seed shared by all scenarios (default 1)")
    add_executor_options(cmp)
    add_threads_option(cmp, "all cores with --workers 1, else 1 per worker")
    add_store_options(cmp)
    cmp.add_argument("--years", type=positive_years, default=None, metavar="Y",
                     help="years to simulate (default: each scenario's)")
    cmp.add_argument("--out", default=None, metavar="DIR", help="output folder (default out/compare)")
    cmp.add_argument("--quiet", action="store_true", help="no progress bar")
    cmp.add_argument("--report", nargs="?", const="", default=None, metavar="FILE",
                     help="also write the planner's report (HTML; default DIR/report.html)")
    add_report_language(cmp)
    cmp.set_defaults(func=_compare)
