"""The ``qsim`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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
    result.plot(path=plot)
    import pandas as pd

    with pd.option_context("display.width", 120, "display.float_format", "{:,.3f}".format):
        print(f"\n{scenario.name}: {years} years, seed {sim.seed}, {int(result.indicators['households'].iloc[-1]):,} "
              f"households at the end, {sim.elapsed:.2f} s\n")
        print(result.summary().to_string())
    print(f"\nwrote {', '.join(str(f) for f in files)}, {plot}")
    return 0


def _validate(args) -> int:
    from .scenario import ScenarioError, load_scenario

    failed = 0
    for path in args.files:
        try:
            sc = load_scenario(path)
            print(f"{path}: ok ({sc.name}, {len(sc.areas)} area(s), {sc.years} years)")
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

    run = sub.add_parser("run", help="run one scenario and write indicators, flows and a plot",
                         epilog=EPILOG_RUN, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("scenario", help="scenario file (TOML)")
    run.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    run.add_argument("--replicate", type=int, default=0, help="replicate number (default 0)")
    run.add_argument("--years", type=float, default=None, help="years to simulate (default: the scenario's)")
    run.add_argument("--out", default=None, help="output folder (default out/<scenario name>)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=_run)

    val = sub.add_parser("validate", help="check scenario files",
                         epilog="example:\n  qsim validate scenarios/*.toml",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    val.add_argument("files", nargs="+", help="scenario files")
    val.set_defaults(func=_validate)

    sch = sub.add_parser("schema", help="print the JSON Schema of scenario files",
                         epilog="example:\n  qsim schema > scenario.schema.json",
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    sch.set_defaults(func=_schema)

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
    except (ScenarioError, ParameterError) as e:
        print(f"qsim: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
