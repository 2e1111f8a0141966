#!/usr/bin/env python
"""Regenerate the generated tables of docs/model.md from the code.

The model description keeps its tables of parameters, indicators, levers,
random-number streams and initial organisation capacities between markers

    <!-- BEGIN GENERATED parameters:labour -->
    ...
    <!-- END GENERATED parameters:labour -->

and this script rewrites what lies between them from the code (the
parameter registry ``qsim.parameters``, ``qsim.indicators.CATALOGUE``,
``qsim.levers``, ``qsim.rng`` and ``qsim.population``). Everything outside
the markers is written by hand and left alone.

    python docs/generate.py            # rewrite docs/model.md in place
    python docs/generate.py --check    # exit 1 if docs/model.md is out of date

Regions: ``parameters:<process>`` (one per process of the registry, all
required), ``indicators`` and ``levers`` (required), ``streams``,
``base_capacity`` and ``channels`` (the measure channels of
``qsim.measures.channels``; optional).
"""

from __future__ import annotations

import argparse
import difflib
import io
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_FILE = ROOT / "docs" / "model.md"

REGION = re.compile(
    r"(?P<begin><!-- BEGIN GENERATED (?P<name>[A-Za-z0-9_:.-]+) -->\n)(?P<body>.*?)"
    r"(?P<end><!-- END GENERATED (?P=name) -->)",
    re.S,
)
ANY_MARKER = re.compile(r"<!-- (BEGIN|END) GENERATED ([A-Za-z0-9_:.-]+) -->")


class GenerateError(Exception):
    """The document or the code cannot be turned into the generated tables."""


def _cell(text: object) -> str:
    """Text for a Markdown table cell (no pipes, no line breaks)."""
    return " ".join(str(text).replace("|", "\\|").split())


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- parameters
def _processes() -> list[str]:
    """Processes of the registry, in the order of first appearance."""
    from qsim.parameters import PARAMETERS

    seen: list[str] = []
    for p in PARAMETERS:
        if p.process not in seen:
            seen.append(p.process)
    return seen


def parameters(process: str) -> str:
    from qsim.cli.catalogue import parameter_table_markdown
    from qsim.parameters import table

    rows = table(process)
    if not rows:
        raise GenerateError(f"region parameters:{process}: the registry has no parameters of process {process!r} "
                            f"(processes: {', '.join(_processes())})")
    return parameter_table_markdown(rows)


# ---------------------------------------------------------------- indicators
def indicators() -> str:
    from qsim.indicators import CATALOGUE

    rows = [[f"`{i.name}`", i.unit, i.kind, i.level, i.definition] for i in CATALOGUE]
    return _table(["indicator", "unit", "kind", "level", "definition"], rows)


# ---------------------------------------------------------------- levers
def _source(module) -> str:
    return Path(module.__file__).read_text(encoding="utf-8")


def _line_comments(source: str) -> dict[int, str]:
    """Trailing comment of each line (1-based line number -> text without '#')."""
    out = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def _kernel_sources() -> dict[str, str]:
    import qsim.kernels

    folder = Path(qsim.kernels.__file__).parent
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.py"))
            if path.stem not in ("__init__", "common")}


def levers() -> str:
    import ast

    from qsim import levers as lv

    source = _source(lv)
    comments = _line_comments(source)
    constants = {}
    for node in ast.parse(source).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, int)
                and node.targets[0].id.isupper() and node.targets[0].id.lower() in lv.NAMES):
            constants[node.targets[0].id] = (node.value.value, node.lineno)
    kernels = _kernel_sources()
    rows = []
    for index, name in enumerate(lv.NAMES):
        const = name.upper()
        if const not in constants or constants[const][0] != index:
            raise GenerateError(f"qsim/levers.py: lever {name!r} is number {index} in NAMES but has no constant "
                                f"{const} = {index}")
        comment = comments.get(constants[const][1], "")
        m = re.fullmatch(r"(?P<meaning>.+?)\s*\((?P<unit>[^()]+)\)", comment)
        if m is None:
            raise GenerateError(f"qsim/levers.py: the comment of {const} must read 'meaning (unit)', got {comment!r}")
        per_household, per_area = [], []
        for module, text in kernels.items():
            if re.search(r"\blever\([^()]*?\bL\." + const + r"\s*\)", text, re.S):
                per_household.append(module)
            elif re.search(r"\barea_levers\[[^\n]*?\bL\." + const + r"\s*\]", text):
                per_area.append(module)
        if per_household:
            scope = "area + programme"
        elif per_area:
            scope = "area"
        else:
            scope = "-"
        read_by = ", ".join(f"`{m}`" for m in sorted(set(per_household + per_area))) or "not read by any kernel"
        rows.append([index, f"`{name}`", m["unit"], m["meaning"], scope, read_by])
    return _table(["#", "lever", "unit", "meaning", "scope", "read by (kernels/)"], rows)


# ---------------------------------------------------------------- streams
def streams() -> str:
    import qsim
    from qsim import rng

    package = Path(qsim.__file__).parent
    sources = {path.relative_to(package).as_posix(): path.read_text(encoding="utf-8")
               for path in sorted(package.rglob("*.py")) if path.name != "rng.py"}
    rows = []
    for name in sorted((n for n in dir(rng) if n.startswith("STREAM_")), key=lambda n: getattr(rng, n)):
        users = [path for path, text in sources.items() if re.search(r"\b" + name + r"\b", text)]
        rows.append([getattr(rng, name), f"`{name[len('STREAM_'):].lower()}`",
                     ", ".join(f"`{u}`" for u in users) or "reserved (not used yet)"])
    return _table(["stream", "name", "used in (qsim/)"], rows)


# ---------------------------------------------------------------- base capacity
def base_capacity() -> str:
    from qsim.population import BASE_CAPACITY
    from qsim.state import ORG_KINDS

    missing = [k for k in ORG_KINDS if k not in BASE_CAPACITY]
    if missing:
        raise GenerateError(f"qsim/population.py: BASE_CAPACITY has no value for {', '.join(missing)}")
    return _table(["organisation kind", "base capacity (0-1)", "source"],
                  [[f"`{k}`", f"{BASE_CAPACITY[k]:g}", "assumption"] for k in ORG_KINDS])


# ---------------------------------------------------------------- measure channels
def channels() -> str:
    from qsim.measures.channels import table_markdown

    return table_markdown().rstrip("\n")


# ---------------------------------------------------------------- driver
def generators() -> dict[str, object]:
    out = {f"parameters:{p}": (lambda p=p: parameters(p)) for p in _processes()}
    out.update({"indicators": indicators, "levers": levers, "streams": streams, "base_capacity": base_capacity,
                "channels": channels})
    return out


REQUIRED_FIXED = ("indicators", "levers")


def render(text: str, where: str = "docs/model.md") -> tuple[str, list[str]]:
    """The document with every generated region rewritten, and the names of the regions that changed."""
    gens = generators()
    found = [m["name"] for m in REGION.finditer(text)]
    markers = [(m.group(1), m.group(2)) for m in ANY_MARKER.finditer(text)]
    begins = [n for kind, n in markers if kind == "BEGIN"]
    ends = [n for kind, n in markers if kind == "END"]
    if sorted(begins) != sorted(found) or sorted(ends) != sorted(found):
        broken = sorted(set(begins) ^ set(found) | set(ends) ^ set(found))
        raise GenerateError(f"{where}: unmatched or nested GENERATED markers for {', '.join(broken) or '?'} "
                            "(each region is '<!-- BEGIN GENERATED name -->' ... '<!-- END GENERATED name -->')")
    duplicates = sorted({n for n in found if found.count(n) > 1})
    if duplicates:
        raise GenerateError(f"{where}: region(s) {', '.join(duplicates)} appear more than once")
    unknown = [n for n in found if n not in gens]
    if unknown:
        raise GenerateError(f"{where}: unknown generated region(s) {', '.join(unknown)}; known: {', '.join(gens)}")
    required = [n for n in gens if n.startswith("parameters:")] + list(REQUIRED_FIXED)
    missing = [n for n in required if n not in found]
    if missing:
        raise GenerateError(f"{where}: missing generated region(s) {', '.join(missing)}; add "
                            + ", ".join(f"'<!-- BEGIN GENERATED {n} -->' + '<!-- END GENERATED {n} -->'"
                                        for n in missing))
    changed: list[str] = []

    def replace(m: re.Match) -> str:
        body = gens[m["name"]]().rstrip("\n") + "\n"
        if body != m["body"]:
            changed.append(m["name"])
        return m["begin"] + body + m["end"]

    return REGION.sub(replace, text), changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite the generated tables of docs/model.md from the code.")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the file is out of date (for tests and CI)")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the model description (default: %(default)s)")
    args = parser.parse_args(argv)
    path: Path = args.file
    try:
        shown = path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        shown = str(path)
    try:
        old = path.read_text(encoding="utf-8")
    except OSError as e:
        print(f"generate.py: cannot read {shown}: {e}", file=sys.stderr)
        return 1 if args.check else 2
    try:
        new, changed = render(old, shown)
    except GenerateError as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 1 if args.check else 2
    if args.check:
        if new == old:
            print(f"{shown} is up to date")
            return 0
        diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), f"{shown} (file)",
                                         f"{shown} (from the code)", lineterm="", n=1))
        print(f"{shown} is out of date in region(s): {', '.join(changed)}.\n"
              f"Run `python docs/generate.py` to update it.\n")
        print("\n".join(diff[:80]) + ("\n..." if len(diff) > 80 else ""))
        return 1
    if new != old:
        path.write_text(new, encoding="utf-8")
        print(f"updated {shown}: {', '.join(changed)}")
    else:
        print(f"{shown} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
