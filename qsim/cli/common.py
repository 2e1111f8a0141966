"""What several commands share: executor options, checked argument types, the files commands are given, errors."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import re
import sys
from pathlib import Path

from ..errors import QsimError
from ..files import FileError, read_toml


@contextlib.contextmanager
def executor_for(args):
    """What runs the runs: --workers N local processes (default all cores) or the Dask cluster at --scheduler."""
    if args.scheduler is None:
        yield args.workers
        return
    from ..experiment import dask_executor

    try:
        executor = dask_executor(args.scheduler)
    except ImportError as e:
        raise SetupError(str(e)) from None
    except ValueError as e:  # not an address dask can parse
        raise SetupError(f"--scheduler {args.scheduler}: not a scheduler address ({e}); expected e.g. "
                         f"tcp://host:8786") from None
    except OSError as e:  # nothing listens there
        raise SetupError(f"--scheduler {args.scheduler}: {e}; is a Dask scheduler running there? Start one with "
                         f"`dask scheduler` and workers with `dask worker {args.scheduler}` "
                         f"(docs/experiments.md, 'How to run on a Dask cluster')") from None
    try:
        yield executor
    finally:
        executor.shutdown()


class SetupError(QsimError):
    """Something the command needs is not installed or reachable."""


class UsageError(QsimError):
    """A command was given the wrong kind of file, or a file that is not there."""


# ------------------------------------------------------------------ checked argument types
def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = _number(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def non_negative_int(text: str) -> int:
    """An argparse type: a whole number of at least 0 (seeds)."""
    value = _number(text, int, "a whole number")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def seed_number(text: str) -> int:
    """An argparse type: a seed or replicate, a whole number from 0 to 2**64 - 1."""
    from ..rng import MAX_SEED

    value = non_negative_int(text)
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be at most 2**64 - 1 = {MAX_SEED}, got {text}")
    return value


def positive_years(text: str) -> float:
    """An argparse type: a horizon in years, more than 0 and at most 200."""
    value = _number(text, float, "a number of years")
    if not 0 < value <= 200:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 200 years, got {text}")
    return value


def _number(text: str, kind: type, what: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


# ------------------------------------------------------------------ files given on the command line
def check_file(path: str | Path, what: str) -> Path:
    """``path`` as a Path if it is a file; else a UsageError that says how to fix the path."""
    p = Path(path)
    if p.is_dir():
        examples = sorted(p.glob("*.toml"))
        hint = f", e.g. {examples[0]}" if examples else ""
        raise UsageError(f"{path}: is a folder; give a {what} file{hint}")
    if p.is_file():
        return p
    folder = p.parent
    if not folder.is_dir():
        raise UsageError(f"{path}: no such {what} file: there is no folder {folder} in {Path.cwd()}; run qsim from "
                         f"the repository root (where scenarios/ and experiments/ are) or give the full path")
    close = difflib.get_close_matches(p.name, [f.name for f in folder.iterdir() if f.is_file()], n=1, cutoff=0.6)
    hint = f"did you mean {folder / close[0]}?" if close else f"the {what} files there: {_listing(folder)}"
    raise UsageError(f"{path}: no such {what} file; {hint}")


def _listing(folder: Path) -> str:
    names = sorted(f.name for f in folder.glob("*.toml"))
    return ", ".join(names[:12]) + (", ..." if len(names) > 12 else "") if names else "none (no .toml files)"


def toml_tables(path: Path) -> set[str] | None:
    """The top-level keys of a TOML file, or None if it cannot be read (the loader then says why)."""
    try:
        return set(read_toml(path))
    except FileError:
        return None


def load_scenario_file(path: str):
    """:func:`qsim.load_scenario` with hints for the usual mistakes: a wrong path, a folder, an experiment file;
    prints the warnings on implausible amounts (:mod:`qsim.plausibility`) to stderr."""
    from ..plausibility import amount_warnings
    from ..scenario import load_scenario

    p = check_file(path, "scenario")
    keys = toml_tables(p)
    if keys is not None and "experiment" in keys and "scenario" not in keys:
        raise UsageError(f"{path}: this is an experiment file (it has an [experiment] table), not a scenario; "
                         f"run it with `qsim sweep {path}`")
    scenario = load_scenario(p)
    for warning in amount_warnings(scenario):
        print(warning, file=sys.stderr)
    return scenario


def load_experiment_file(path: str):
    """:func:`qsim.experiment.load_experiment` with hints for a wrong path, a folder or a scenario file."""
    from ..experiment.sweep import load_experiment

    p = check_file(path, "experiment")
    keys = toml_tables(p)
    if keys is not None and "experiment" not in keys and ("scenario" in keys or "extends" in keys):
        raise UsageError(f"{path}: this is a scenario file, not an experiment; `qsim run {path}` runs it and "
                         f"`qsim compare BASELINE {path}` compares it; a sweep needs an experiment file with an "
                         f"[experiment] table (see experiments/ and docs/experiments.md)")
    return load_experiment(p)


def add_experiment_file_options(parser: argparse.ArgumentParser, what: str = "experiment") -> None:
    """The options of the commands that run an experiment file: the file, executor, --out, --quick, --quiet."""
    parser.add_argument("experiment", metavar="EXPERIMENT", help=f"{what} file (TOML), see experiments/")
    add_executor_options(parser)
    parser.add_argument("--out", default=None, metavar="DIR", help=f"output folder (default out/<{what} name>)")
    parser.add_argument("--quick", action="store_true", help=f"the {what} file's small [quick] sizes")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_threads_option(parser: argparse.ArgumentParser, default: str) -> None:
    """``--threads N``: the kernels' threads within one run (results do not depend on it; qsim.threads)."""
    parser.add_argument("--threads", type=positive_int, default=None, metavar="N",
                        help=f"threads of the compiled kernels within one run (default: {default}; at most "
                        "NUMBA_NUM_THREADS; results are the same for any number)")


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, default=None, metavar="N",
                       help="local worker processes (default: all cores; 1: in this process)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on the Dask cluster at ADDRESS, e.g. tcp://host:8786 (needs qsim[dask])")


# ------------------------------------------------------------------ output folders and result stores
def safe_name(name: str, limit: int = 80) -> str:
    """``name`` (from a file) as one safe path component: letters, digits, '.', '-' and '_' kept, anything else
    (slashes, '..', control characters) replaced by '_', at most ``limit`` characters, never empty or dots
    only, so that an output folder named after it stays inside its parent."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:limit].strip(".")
    return cleaned or "unnamed"


def store_folder(folder: str | Path) -> Path:
    """The result store in ``folder``: the folder itself, or its ``store/`` (an --out folder)."""
    folder = Path(folder)
    if not (folder / "manifest.json").exists() and (folder / "store" / "manifest.json").exists():
        return folder / "store"
    return folder


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """--wait and --retry-failed: how a command that writes a result store treats other writers and old
    failures."""
    parser.add_argument("--wait", action="store_true",
                        help="if another process writes to the same result store, wait for it to finish "
                        "(default: stop with an error naming it)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="run again the runs that failed before (a resume otherwise keeps them as failed)")


def report_failures(runs, command: str) -> int:
    """Print what failed and why (stderr) and return the exit code: 1 if any run failed or is missing, else 0."""
    from ..experiment.store import failure_summary

    text = failure_summary(runs)
    if not text:
        return 0
    print(f"\nqsim: {text}\n(the tables leave these runs out and count them in 'runs_missing'; "
          f"`{command} --retry-failed` runs the failed ones again)", file=sys.stderr)
    return 1
