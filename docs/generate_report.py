#!/usr/bin/env python
"""Regenerate the table of minimum important differences in docs/report.md from the indicator registry.

    python docs/generate_report.py            # rewrite docs/report.md in place
    python docs/generate_report.py --check    # exit 1 if docs/report.md is out of date

The table lies between ``<!-- BEGIN GENERATED important_differences -->`` and ``<!-- END GENERATED
important_differences -->``; everything else in the page is written by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "docs"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from generate import REGION, _table  # noqa: E402  (docs/generate.py, after the path is set)

REPORT_FILE = ROOT / "docs" / "report.md"
NAME = "important_differences"


def important_differences() -> str:
    """Markdown: every indicator's minimum important difference with its unit, better direction and reason."""
    from qsim import indicators as registry

    direction = {1: "higher", -1: "lower", 0: "-"}
    rows = [[f"`{i.name}`", f"{i.important:g}", i.unit, direction[i.better], i.important_reason]
            for i in registry.indicators()]
    return _table(["indicator", "minimum important difference", "unit", "better", "why"], rows)


def render(text: str) -> str:
    """``text`` with the region rewritten; SystemExit if the page has no such region."""
    found = [m for m in REGION.finditer(text) if m["name"] == NAME]
    if len(found) != 1:
        raise SystemExit(f"docs/report.md: expected one region <!-- BEGIN GENERATED {NAME} --> ... "
                         f"<!-- END GENERATED {NAME} -->, found {len(found)}")
    m = found[0]
    return text[:m.start()] + m["begin"] + important_differences() + "\n" + m["end"] + text[m.end():]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite the generated table of docs/report.md from the code.")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the page is out of date")
    parser.add_argument("--file", type=Path, default=REPORT_FILE, help="the page (default: %(default)s)")
    args = parser.parse_args(argv)
    old = args.file.read_text(encoding="utf-8")
    new = render(old)
    if args.check:
        if new != old:
            print(f"{args.file} is out of date: run `python docs/generate_report.py`")
            return 1
        return 0
    if new != old:
        args.file.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
