"""`qsim schedule`: the monthly schedule of a scenario's run, built from the process records."""

from __future__ import annotations

import argparse

from .common import load_scenario_file

EPILOG_SCHEDULE = """example:
  qsim schedule scenarios/schelling.toml
"""


def _schedule(args) -> int:
    from ..engine import Simulation

    print(Simulation(load_scenario_file(args.scenario)).schedule())
    return 0


def register(sub) -> None:
    """Add this module's command(s) to the `qsim` parser."""
    sch = sub.add_parser("schedule", help="print the monthly schedule of a scenario's run: steps, kernels, ODD "
                         "sections", epilog=EPILOG_SCHEDULE, formatter_class=argparse.RawDescriptionHelpFormatter)
    sch.add_argument("scenario", help="scenario file (TOML)")
    sch.set_defaults(func=_schedule)
