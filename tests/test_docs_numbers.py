"""The numbers quoted in the docs stay true: every command block followed by an output block is rerun.

A page quotes a command (a ```bash block) and what it prints (the ```text block right after it). This test
reruns the `qsim` commands of such pairs in a scratch folder laid out like the repository (scenarios/ and the
page's own `my-scenarios/*.toml` files, written from the page's ```toml blocks whose first line names them) and
compares every quoted output line with what the commands print now: a line must appear as printed (spaces
collapsed, run times ignored); a line with "..." is abridged, its part before "..." must start a printed line;
a line "..." stands for lines left out. A number that went stale fails the test with the line as printed now.
Runs are bit-identical for a seed, so the comparison is exact.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import shlex
from pathlib import Path

import pytest

from conftest import ROOT
from qsim.cli import main

PAGES = ("docs/getting-started.md", "docs/de/getting-started.md")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)
DURATION = re.compile(r"\b\d+(\.\d+)? s\b")


def blocks(page: str) -> list[tuple[str, str, int]]:
    """(language, text, end offset) of every fenced block of ``page``."""
    return [(m.group(1), m.group(2), m.end()) for m in FENCE.finditer(page)]


def quoted_runs(page: str) -> list[tuple[list[str], str]]:
    """(qsim commands, quoted output) of every bash block directly followed by a text block."""
    found = []
    for (lang, body, end), (next_lang, output, _) in zip(blocks(page), blocks(page)[1:]):
        if lang == "bash" and next_lang == "text" and page[end:].lstrip().startswith("```text"):
            commands = [line.split("#")[0].strip() for line in body.splitlines()]
            found.append(([c for c in commands if c.startswith("qsim ")], output))
    return found


def scenario_files(page: str) -> dict[str, str]:
    """The page's own scenario files: toml blocks whose first line is a comment naming my-scenarios/NAME.toml."""
    files = {}
    for lang, body, _ in blocks(page):
        first = re.match(r"#\s*(my-scenarios/[\w.-]+\.toml)", body)
        if lang == "toml" and first:
            files[first.group(1)] = body
    return files


PRINTED: dict[tuple[str, ...], str] = {}
"""What the commands printed, by command list: pages that quote the same commands (a translation) run them once."""


def run_commands(commands: list[str], folder: Path) -> str:
    """What the commands print (stdout), run in ``folder`` as `qsim ...` would."""
    if tuple(commands) in PRINTED:
        return PRINTED[tuple(commands)]
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            for command in commands:
                assert main(shlex.split(command)[1:]) == 0, command
    finally:
        os.chdir(cwd)
    PRINTED[tuple(commands)] = out.getvalue()
    return PRINTED[tuple(commands)]


def normal(line: str) -> str:
    return DURATION.sub("<time> s", " ".join(line.split()))


def stale_lines(quoted: str, printed: str) -> list[str]:
    """The quoted lines that the printed output does not contain, each with the printed line closest to it."""
    lines = [normal(line) for line in printed.splitlines() if line.strip()]
    stale = []
    for line in quoted.splitlines():
        q = normal(line)
        if not q or q == "...":
            continue
        if "..." in q:
            ok = any(p.startswith(q.split("...")[0].rstrip()) for p in lines)
        else:
            ok = q in lines
        if not ok:
            near = difflib.get_close_matches(q, lines, n=1, cutoff=0.5)
            stale.append(f"quoted:  {line.strip()}\n  printed: {near[0] if near else '(no such line)'}")
    return stale


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A folder laid out like the repository root: scenarios/ (and experiments/) of the repository."""
    folder = tmp_path_factory.mktemp("docs")
    for name in ("scenarios", "experiments"):
        (folder / name).symlink_to(ROOT / name)
    return folder


@pytest.mark.parametrize("page", PAGES)
def test_the_numbers_quoted_in_the_page_are_what_the_commands_print(page, workspace):
    text = (ROOT / page).read_text(encoding="utf-8")
    for name, body in scenario_files(text).items():  # a translation's files differ in their comments only
        (workspace / name).parent.mkdir(exist_ok=True)
        if not (workspace / name).exists():
            (workspace / name).write_text(body, encoding="utf-8")
    runs = quoted_runs(text)
    assert len(runs) >= 3, f"{page}: expected the quoted runs of getting started"
    stale = []
    for commands, quoted in runs:
        stale += stale_lines(quoted, run_commands(commands, workspace))
    assert not stale, f"{page}: numbers that went stale (rerun the commands and update the page):\n" + \
        "\n".join(stale)


def test_a_changed_number_is_found():
    """The test above can fail: a quoted number that differs from the printed one is reported."""
    printed = "baseline: 10.0 years, seed 1, 6,307 households at the end, 0.21 s\nunemployment_rate  0.124  0.124 -0.000\n"
    assert stale_lines("baseline: 10.0 years, seed 1, 6,307 households at the end, 0.20 s\n...\n"
                       "unemployment_rate     0.124     0.124  -0.000\n", printed) == []
    stale = stale_lines("unemployment_rate     0.121     0.124  -0.000\n", printed)
    assert stale == ["quoted:  unemployment_rate     0.121     0.124  -0.000\n"
                     "  printed: unemployment_rate 0.124 0.124 -0.000"]
