"""`qsim validation`: the model's pattern checks and docs/validation.md."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..atomic import write_text

EPILOG_VALIDATION = """examples:
  qsim validation                          full size (experiments/validation.toml [full]); writes docs/validation.md
  qsim validation --quick --out -          reduced size, the table printed only
  qsim validation --strict                 exit status 1 if any pattern fails
"""


def _validation(args) -> int:
    from ..validation import context, run_checks
    from ..validation.markdown import render

    ctx = context(args.config, quick=args.quick)
    started = time.perf_counter()

    def show(row) -> None:
        print(f"{'pass' if row.passed else 'FAIL'}  {row.pattern}: {row.value} (accepted {row.tolerance})",
              flush=True)

    rows = run_checks(ctx, progress=None if args.quiet else show)
    seconds = time.perf_counter() - started
    command = "qsim validation" + (" --quick" if args.quick else "")
    page = render(rows, ctx.sizes, command, seconds)
    if args.out == "-":
        sys.stdout.write(page)
    else:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text(out, page)
        print(f"wrote {out}")
    failed = sum(not r.passed for r in rows)
    print(f"{len(rows) - failed} of {len(rows)} patterns pass ({seconds:.0f} s)")
    return 1 if args.strict and failed else 0


def register(sub) -> None:
    """Add this module's command(s) to the `qsim` parser."""
    p = sub.add_parser("validation", help="run the model's pattern checks and write docs/validation.md",
                       epilog=EPILOG_VALIDATION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="experiments/validation.toml", help="validation file (default "
                   "experiments/validation.toml)")
    p.add_argument("--quick", action="store_true", help="the file's [quick] sizes (a smoke test)")
    p.add_argument("--out", default="docs/validation.md", help="Markdown page to write, '-' for standard output "
                   "(default docs/validation.md)")
    p.add_argument("--strict", action="store_true", help="exit status 1 if any pattern fails")
    p.add_argument("--quiet", action="store_true", help="no line per pattern while running")
    p.set_defaults(func=_validation)
