"""`qsim validate`, `qsim schema`, `qsim measures`, `qsim parameters`: checking files and looking things up."""

from __future__ import annotations

import argparse
import difflib
import json
import sys


def _measures(args) -> int:
    from ..measures import CATALOGUE

    if args.type is not None:
        if args.type not in CATALOGUE:
            close = difflib.get_close_matches(args.type, list(CATALOGUE), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            print(f"qsim: unknown measure type {args.type!r}; {hint}expected one of {', '.join(CATALOGUE)}",
                  file=sys.stderr)
            return 2
        e = CATALOGUE[args.type]
        print(f"{e.name}: {e.title} (German: {e.title_de})\n\n{e.mechanism}\n\nEvidence: {e.evidence}\n")
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
    from ..errors import QsimError
    from ..measures.runner import check_targets
    from .common import load_scenario_file

    failed = 0
    for path in args.files:
        try:
            sc = load_scenario_file(path)
            check_targets(sc)  # builds the initial city: what only the households drawn can show (and memory)
            print(f"{path}: ok ({sc.name}, {len(sc.areas)} area(s), {sc.years} years, {len(sc.measures)} measures)")
        except QsimError as e:
            print(str(e), file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def _schema(args) -> int:
    from ..schema import file_schema

    print(json.dumps(file_schema(), indent=2, ensure_ascii=False))
    return 0


def _parameters(args) -> int:
    from ..parameters import PARAMETERS, table

    rows = table(args.process)
    if not rows:
        processes = list(dict.fromkeys(p.process for p in PARAMETERS))
        close = difflib.get_close_matches(args.process, processes, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        print(f"qsim: unknown process {args.process!r}; {hint}expected one of {', '.join(processes)}", file=sys.stderr)
        return 2
    if args.markdown:
        print(parameter_table_markdown(rows))
        return 0
    for p in rows:
        print(f"{p.dotted:48s} {p.default:>10g} {p.unit:10s} {p.range:>14s}  {p.description}")
    return 0


def parameter_table_markdown(rows) -> str:
    """The parameter table of docs/model.md, generated from the registry."""
    lines = ["| parameter | default | unit | range | meaning | source |", "|---|---|---|---|---|---|"]
    for p in rows:
        lines.append(f"| `{p.dotted}` | {p.default:g} | {p.unit} | {p.range} | {p.description} | {p.source} |")
    return "\n".join(lines)


def register(sub) -> None:
    """Add this module's command(s) to the `qsim` parser."""
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
