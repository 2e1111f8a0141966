"""The model description docs/model.md is in step with the code.

Its tables of parameters, indicators, levers and random-number streams are
generated from the code by docs/generate.py; these tests fail when the
generated tables are stale or when something the code defines is not
documented.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from qsim import levers, state
from qsim.indicators import NAMES as INDICATOR_NAMES
from qsim.parameters import PARAMETERS

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "docs" / "model.md"
GENERATE = ROOT / "docs" / "generate.py"
HOW_TO_FIX = "run `python docs/generate.py` (from the repository root) and commit docs/model.md"


def _python() -> str:
    """The project's venv python if there is one, else the interpreter running the tests."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _generate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_python(), str(GENERATE), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def model_text() -> str:
    return MODEL.read_text(encoding="utf-8")


def test_generated_tables_are_up_to_date():
    done = _generate("--check")
    assert done.returncode == 0, (
        f"docs/model.md is out of date with the code (parameter, indicator, lever or stream tables): "
        f"{HOW_TO_FIX}.\n\n{done.stdout}{done.stderr}")


def test_check_detects_a_stale_table_and_generate_repairs_it(tmp_path, model_text):
    stale = tmp_path / "model.md"
    marker = "<!-- END GENERATED indicators -->"
    assert marker in model_text
    stale.write_text(model_text.replace(marker, "| `stale_row` | - | stock | household | gone |\n" + marker),
                     encoding="utf-8")
    done = _generate("--check", "--file", str(stale))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "python docs/generate.py" in done.stdout
    done = _generate("--file", str(stale))
    assert done.returncode == 0, done.stdout + done.stderr
    repaired = stale.read_text(encoding="utf-8")
    assert "stale_row" not in repaired
    assert repaired.count("<!-- BEGIN GENERATED") == model_text.count("<!-- BEGIN GENERATED")
    assert _generate("--check", "--file", str(stale)).returncode == 0


def test_check_fails_without_a_required_region(tmp_path, model_text):
    broken = tmp_path / "model.md"
    broken.write_text(model_text.replace("<!-- BEGIN GENERATED parameters:labour -->\n", "")
                      .replace("<!-- END GENERATED parameters:labour -->", ""), encoding="utf-8")
    done = _generate("--check", "--file", str(broken))
    assert done.returncode == 1
    assert "parameters:labour" in done.stderr


def test_every_parameter_is_documented(model_text):
    missing = [p.dotted for p in PARAMETERS if f"`{p.dotted}`" not in model_text]
    assert not missing, f"parameters missing from docs/model.md: {', '.join(missing)}; {HOW_TO_FIX}"


def test_every_indicator_is_documented(model_text):
    missing = [name for name in INDICATOR_NAMES if f"`{name}`" not in model_text]
    assert not missing, f"indicators missing from docs/model.md: {', '.join(missing)}; {HOW_TO_FIX}"


def test_every_lever_is_documented(model_text):
    missing = [name for name in levers.NAMES if f"`{name}`" not in model_text]
    assert not missing, f"levers missing from docs/model.md: {', '.join(missing)}; {HOW_TO_FIX}"


STATE_GROUPS = {"households": state.Households, "dwellings": state.Dwellings, "buildings": state.Buildings,
                "blocks": state.Blocks, "areas": state.Areas, "places": state.Places,
                "organisations": state.Organisations}


def test_every_state_variable_is_documented(model_text):
    """Section 2.2 lists every state variable as `group.field` (written by hand: add a row for a new one)."""
    missing = [f"{group}.{f.name}" for group, cls in STATE_GROUPS.items() for f in dataclasses.fields(cls)
               if f"`{group}.{f.name}`" not in model_text]
    missing += [f"State.{f.name}" for f in dataclasses.fields(state.State)
                if f.name not in STATE_GROUPS and f"`State.{f.name}`" not in model_text]
    assert not missing, ("state variables missing from section 2.2 of docs/model.md (add a row with type, unit "
                         f"and meaning by hand): {', '.join(missing)}")
