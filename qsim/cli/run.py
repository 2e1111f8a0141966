"""`qsim run`: one scenario, its indicators and ledger (a city's maps; with --plot, the indicators' figure)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import add_threads_option, load_scenario_file, positive_years, safe_name, seed_number


EPILOG_RUN = """example:
  qsim run scenarios/baseline.toml --seed 2 --years 10 --out out/baseline --plot
"""


def _run(args) -> int:
    from ..engine import Simulation

    scenario = load_scenario_file(args.scenario)
    sim = Simulation(scenario, seed=args.seed, replicate=args.replicate, progress=not args.quiet, threads=args.threads)
    years = args.years if args.years is not None else scenario.years
    result = sim.run(years=years, progress=not args.quiet)
    out = Path(args.out or f"out/{safe_name(scenario.name)}")
    files = result.save(out)
    figures = []
    if args.plot:  # matplotlib and the figure take about half a second: only when asked
        from ..measures.runner import measure_periods, union_of_periods

        figures.append(out / "indicators.png")
        result.plot(path=figures[0], marks=union_of_periods(measure_periods(scenario)))
    figures += city_maps(scenario, result, out)  # a city's maps always: small beside a city's run
    import pandas as pd

    with pd.option_context("display.width", 120, "display.float_format", "{:,.3f}".format):
        print(f"\n{scenario.name}: {years} years, seed {sim.seed}, {int(result.indicators['households'].iloc[-1]):,} "
              f"households at the end, {sim.elapsed:.2f} s\n")
        print(result.summary().to_string())
    print(budget_summary(result.ledger))
    print(f"\nwrote {', '.join(str(f) for f in [*files, *figures])}")
    return 0


def city_maps(scenario, result, out: Path) -> list[Path]:
    """For a city scenario with polygons, run for a year or more: maps of the status classes and of unemployment by forecast
    area (qsim.maps); none otherwise."""
    city = scenario.city
    if city is None or city.polygons is None or result.indicators["month"].max() < 11:
        return []
    paths = [out / "map_status_class.png", out / "map_unemployment_rate.png"]
    for path in paths:
        result.plot_map(path.stem.removeprefix("map_"), path=path, table=city.table, polygons=city.polygons,
                        attribution=city.attribution)
    return paths


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


def register(sub) -> None:
    """Add this module's command(s) to the `qsim` parser."""
    run = sub.add_parser("run", help="run one scenario and write indicators, flows, the budget ledger (and plots)",
                         epilog=EPILOG_RUN, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("scenario", help="scenario file (TOML)")
    run.add_argument("--seed", type=seed_number, default=None, help="random seed (default: the scenario's)")
    run.add_argument("--replicate", type=seed_number, default=0, help="replicate number (default 0)")
    run.add_argument("--years", type=positive_years, default=None, help="years to simulate (default: the scenario's)")
    run.add_argument("--out", default=None, help="output folder (default out/<scenario name>)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--plot", action="store_true", help="also draw indicators.png (key indicators over time; "
                     "a city scenario with polygons always gets its maps)")
    add_threads_option(run, "all cores, one per 50,000 households")
    run.set_defaults(func=_run)
