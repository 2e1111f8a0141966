"""What several commands share: the executor options and errors of set-up."""

from __future__ import annotations

import argparse
import contextlib

from ..errors import QsimError


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
    try:
        yield executor
    finally:
        executor.shutdown()


class SetupError(QsimError):
    """Something the command needs is not installed or reachable."""


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="local worker processes (default: all cores; 1: in this process)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on the Dask cluster at ADDRESS, e.g. tcp://host:8786 (needs qsim[dask])")
