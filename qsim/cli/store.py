"""`qsim store verify|repair DIR`: check a result store's batch files against their checksums, and redo the
damaged ones."""

from __future__ import annotations

import argparse
import sys

from .common import add_executor_options, store_folder

EPILOG_STORE = """examples:
  qsim store verify out/compare            (or out/compare/store)
  qsim store repair out/compare --workers 2

verify checks every batch file of the store against the size, SHA-256 and
row count recorded when it was written, and lists runs that failed or are
missing; it exits with 1 if a batch is damaged. repair takes the store's
lock, moves damaged batch files to DIR/quarantine/ and runs their batches
again (--no-rerun: only move them; a later resume runs them). Options of
repair: --workers N or --scheduler ADDRESS (as in qsim compare), --wait
(while another process writes to the store), --no-rerun, --quiet.
"""


def _verify(args) -> int:
    from ..experiment.store import Store, failure_summary

    store = Store(store_folder(args.folder), report=False)
    check = store.verification
    print(store.summary())
    print(f"{len(check.ok)} of {len(store.batches)} batches stored and verified (size, sha256, rows); "
          f"{len(check.damaged)} damaged")
    for line in check.lines():
        print(f"  {line}")
    failures = failure_summary(store.runs)
    if failures:
        print(failures)
    if check.damaged:
        print(f"qsim: {store.path}: damaged batches; `qsim store repair {args.folder}` redoes them",
              file=sys.stderr)
        return 1
    return 0


def _repair(args) -> int:
    from ..experiment.executors import execute
    from ..experiment.store import Store

    with Store.open_for_repair(store_folder(args.folder), wait=args.wait) as store:
        damaged = sorted(store.verification.damaged)
        for line in store.quarantine():
            print(f"moved aside: {line}")
        if not damaged:
            print(f"{store.path}: no damaged batches")
        elif not args.no_rerun:
            from .common import executor_for

            with executor_for(args) as executor:
                execute(store.plan(), store, executor, progress=not args.quiet, batches=damaged)
        check = store.verify()
        print(f"{len(check.ok)} of {len(store.batches)} batches stored and verified; {len(check.damaged)} damaged")
    return 0 if check.clean else 1


def register(sub) -> None:
    """Add this module's command(s) to the `qsim` parser."""
    store = sub.add_parser("store", help="verify a result store, or repair its damaged batches",
                           epilog=EPILOG_STORE, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = store.add_subparsers(dest="action", required=True)
    verify = what.add_parser("verify", help="check every batch against its recorded checksum")
    verify.add_argument("folder", metavar="DIR", help="a result store, or an --out folder holding store/")
    verify.set_defaults(func=_verify)
    repair = what.add_parser("repair", help="move damaged batches aside and run them again")
    repair.add_argument("folder", metavar="DIR", help="a result store, or an --out folder holding store/")
    add_executor_options(repair)
    repair.add_argument("--no-rerun", action="store_true", help="only move damaged batches aside")
    repair.add_argument("--wait", action="store_true", help="wait while another process writes to the store")
    repair.add_argument("--quiet", action="store_true", help="no progress bar")
    repair.set_defaults(func=_repair)
