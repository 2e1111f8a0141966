"""The ``qsim`` command line. Each command lives in its own module with a ``register(sub)`` function."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from .. import resources
from ..errors import QsimError

# one module per command (group); each has register(subparsers)
COMMAND_MODULES = ("run", "compare", "sweep", "sensitivity", "calibrate", "report", "dashboard", "catalogue",
                   "validation", "mss", "store", "schedule")

EPILOG = """examples:
  qsim run scenarios/baseline.toml --years 10
  qsim compare scenarios/baseline.toml scenarios/employment.toml -r 10 --report out/compare/report.html
  qsim COMMAND --help        (every command's options, with an example)

Documentation: docs/getting-started.md, or `make docs` for the website.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qsim", description="Agent-based simulation of neighbourhood "
                                     "intervention scenarios (Quartiersmanagement).", epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-memory-check", action="store_true", help="run even when the memory estimate "
                        "exceeds what the machine has (as QSIM_MEMORY_CHECK=0; docs/cli.md)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    """Warnings meant for the user (a damaged store, a lock taken over) as ``qsim: warning: ...``; others as
    Python prints them."""
    if not caught:  # the usual case: nothing to import (the store module loads the experiment package, scipy)
        return
    from ..experiment.store import StoreWarning

    for w in caught:
        sys.stderr.write(f"qsim: warning: {w.message}\n" if issubclass(w.category, StoreWarning)
                         else warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.no_memory_check:  # in the environment, so that worker processes inherit it
        os.environ[resources.ENVIRONMENT] = "0"
    try:
        with warnings.catch_warnings(record=True) as caught:  # printed when the command ends
            try:
                return args.func(args)
            finally:
                _print_warnings(caught)
    except QsimError as e:  # every error a user can fix (qsim.errors)
        print(f"qsim: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a folder that cannot be written, a full disk, ...
        print(f"qsim: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qsim: interrupted", file=sys.stderr)
        return 130
