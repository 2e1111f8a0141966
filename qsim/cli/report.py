"""`qsim report`: the planner's report of a comparison results folder."""

from __future__ import annotations

import argparse
from pathlib import Path

EPILOG_REPORT = """example:
  qsim compare scenarios/baseline.toml scenarios/employment.toml scenarios/integrated.toml -r 20 --out out/compare
  qsim report out/compare -o out/compare/report.html --lang de --pdf

Writes one self-contained HTML file (figures embedded, no internet needed to
open it) that a planner can mail around: a first page with the decision for a
goal (--goal; default: the goal saved by `qsim compare`, else every key
indicator), the options' measures and budgets,
the outcomes with uncertainty bands, paired differences to the baseline, time
to effect and persistence, cost-effectiveness, how robust the ranking is, the
sensitivity indices if an analysis exists (RESULTS_DIR/sensitivity_indices.csv
or --sensitivity DIR), and what the model can and cannot say. --pdf also
prints a PDF next to it with headless Chromium (if installed).
"""


def _report(args) -> int:
    from ..report import report_from_folder

    out = Path(args.output) if args.output else Path(args.results) / "report.html"
    files = report_from_folder(args.results, out, lang=args.lang, sensitivity=args.sensitivity, pdf=args.pdf,
                               area=args.area, goal=args.goal, progress=not args.quiet, basis=args.basis)
    print("wrote " + ", ".join(str(f) for f in files))
    return 0


def add_report_language(parser: argparse.ArgumentParser) -> None:
    """The --lang, --goal and --basis options (shared with `qsim compare --report`)."""
    parser.add_argument("--lang", choices=("en", "de"), default="en",
                        help="language of the report: en (English, default) or de (German)")
    parser.add_argument("--goal", default=None, metavar="NAME=W,...",
                        help="the indicators the decision weighs and their weights, e.g. "
                             "unemployment_rate=2,out_group_trust=1 (default: every key indicator with a better "
                             "direction, weight 1; see docs/report.md)")
    parser.add_argument("--basis", choices=("residents", "area"), default=None,
                        help="what the decision and the cost per household-year judge: residents (the original "
                             "residents wherever they live now; the default where the runs recorded cohorts) or "
                             "area (the area's figures, newcomers included)")


def register(sub) -> None:
    """Add this module's command(s) to the `qsim` parser."""
    rep = sub.add_parser("report", help="write the planner's report (self-contained HTML, optional PDF) of a "
                         "comparison results folder", epilog=EPILOG_REPORT,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    rep.add_argument("results", metavar="RESULTS_DIR", help="the --out folder of `qsim compare` (holding store/)")
    rep.add_argument("-o", "--output", default=None, metavar="FILE",
                     help="the HTML file to write (default RESULTS_DIR/report.html)")
    add_report_language(rep)
    rep.add_argument("--pdf", action="store_true", help="also write FILE.pdf with headless Chromium")
    rep.add_argument("--sensitivity", default=None, metavar="DIR",
                     help="folder with sensitivity_indices.csv from `qsim sensitivity` (default: RESULTS_DIR's, "
                          "if it has one)")
    rep.add_argument("--area", default="all", metavar="NAME",
                     help="area whose results are reported (default 'all': the whole city)")
    rep.add_argument("--quiet", action="store_true", help="no progress bar")
    rep.set_defaults(func=_report)
