"""The documentation site builds without warnings, its generated pages are current, every command has an example.

The site is built by MkDocs in strict mode (mkdocs.yml): a broken link, a
page missing from the navigation or an API reference mkdocstrings cannot
resolve is a warning, and a warning fails the build.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qsim.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
GENERATE_GUIDE = ROOT / "docs" / "generate_guide.py"


def _python() -> str:
    """The project's venv python if there is one, else the interpreter running the tests."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_python(), "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
                           "--site-dir", str(site)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert actions, "qsim has no subcommands"
    return dict(actions[0].choices)


def test_site_builds_without_warnings(tmp_path):
    done = _mkdocs_build(ROOT / "mkdocs.yml", tmp_path / "site")
    log = done.stdout + done.stderr
    warnings = [line for line in log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert done.returncode == 0 and not warnings, "mkdocs build --strict failed:\n" + "\n".join(warnings or [log[-3000:]])
    for page in ("index.html", "getting-started.html", "cli.html", "api.html", "notebooks/engine-tour.html"):
        assert (tmp_path / "site" / page).is_file(), f"{page} was not built"
    api = (tmp_path / "site" / "api.html").read_text(encoding="utf-8")
    for name in ("qsim.Simulation", "qsim.Result", "qsim.load_scenario", "qsim.experiment.compare.compare",
                 "qsim.experiment.sweep.sweep", "qsim.sensitivity.analysis.sensitivity", "qsim.mesa.QsimModel"):
        assert f'id="{name}"' in api, f"the API page does not document {name}"


def test_a_broken_link_fails_the_build(tmp_path):
    """The check above can fail: the same site with one link to a missing page does not build."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    index = docs / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + "\nSee [nothing](no-such-page.md).\n", encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^docs_dir: .*$", f"docs_dir: {docs}", text)
    text = text.replace("paths: [.]", f"paths: [{ROOT}]")
    config.write_text(text, encoding="utf-8")
    done = _mkdocs_build(config, tmp_path / "site")
    assert done.returncode != 0
    assert "no-such-page.md" in done.stdout + done.stderr


def test_generated_guide_pages_are_up_to_date():
    done = subprocess.run([_python(), str(GENERATE_GUIDE), "--check"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, (f"docs/cli.md or the indicator table of docs/concepts.md is out of date: run "
                                  f"`python docs/generate_guide.py`.\n{done.stdout}{done.stderr}")


def test_check_detects_a_stale_cli_page(tmp_path):
    stale = tmp_path / "cli.md"
    stale.write_text((ROOT / "docs" / "cli.md").read_text(encoding="utf-8").replace("## qsim run\n", ""),
                     encoding="utf-8")
    concepts = tmp_path / "concepts.md"
    shutil.copy(ROOT / "docs" / "concepts.md", concepts)
    args = [_python(), str(GENERATE_GUIDE), "--cli-file", str(stale), "--concepts-file", str(concepts)]
    done = subprocess.run([*args, "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "cli.md is out of date" in done.stdout
    subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert "## qsim run\n" in stale.read_text(encoding="utf-8")


def test_cli_page_lists_every_command_and_option():
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name, sub in _subcommands().items():
        assert f"## qsim {name}\n" in page, f"docs/cli.md has no section for `qsim {name}`"
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}" in page, f"docs/cli.md does not document {option} of `qsim {name}`"


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_command_help_has_an_example(name):
    sub = _subcommands()[name]
    text = sub.format_help()
    assert re.search(r"(?ms)^examples?:\n.*?^  qsim " + re.escape(name) + r"\b", text), (
        f"`qsim {name} --help` has no 'example:' section with a `qsim {name} ...` line; add an epilog "
        f"(formatter_class=argparse.RawDescriptionHelpFormatter) like qsim/cli/run.py")


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_help_examples_name_files_that_exist(name):
    """Scenario and experiment files named in the examples are shipped (outputs and globs aside)."""
    epilog = _subcommands()[name].epilog or ""
    for line in epilog.splitlines():
        if not line.strip().startswith("qsim "):
            continue
        for word in line.split():
            if re.fullmatch(r"(scenarios|experiments)/[\w./-]+\.(toml|csv)", word):
                assert (ROOT / word).is_file(), f"`qsim {name} --help` names {word}, which does not exist"


def _documented_commands() -> list[tuple[str, str]]:
    """(page, command line) of every `qsim ...` line in the shell blocks of docs/*.md and the README."""
    found = []
    for page in [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"```(?:bash|sh|console)\n(.*?)```", text, re.S):
            for line in block.replace("\\\n", " ").splitlines():
                line = re.split(r"\s#\s|\s{2,}#", line)[0].strip()  # drop trailing comments
                line = re.split(r"\s[>|]\s", line)[0]               # and redirections and pipes
                if line.startswith("qsim ") and not re.search(r"\s\[-", line):  # not a usage synopsis
                    found.append((page.relative_to(ROOT).as_posix(), line))
    return found


def test_documented_command_lines_are_accepted_by_the_parser(capsys):
    """Every `qsim ...` line shown in the docs parses: no option the command line has renamed or dropped."""
    commands = _documented_commands()
    assert len(commands) >= 20, "the docs show fewer qsim command lines than expected; is the extraction broken?"
    parser = build_parser()
    rejected = []
    for page, line in commands:
        try:
            parser.parse_args(shlex.split(line)[1:])
        except SystemExit as e:
            if e.code != 0:  # `qsim --help` exits with 0
                rejected.append(f"{page}: {line}\n    {capsys.readouterr().err.strip().splitlines()[-1]}")
    assert not rejected, "command lines in the docs that qsim rejects:\n" + "\n".join(rejected)
