"""The notebooks of docs/notebooks/ run from top to bottom at their small sizes (``QUICK = True``).

Each notebook is executed in a fresh Jupyter kernel (ipykernel, with the
interpreter running the tests) from the repository root, as a user would
run it; a cell that raises fails the test with the cell and its traceback.
The tests also check a few outputs that show the notebook did its job, and
that the stored notebooks match docs/notebooks/make_notebooks.py, which writes and executes them (the site
shows their stored outputs).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "docs" / "notebooks"
TIMEOUT = 300  # seconds per cell: generous for a cold numba cache on a slow machine


def _make_notebooks():
    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _execute(name: str, out: str | None = None) -> nbformat.NotebookNode:
    """Run the notebook ``name`` from the repository root; ``out``: its folder under out/, emptied first so that
    nothing is resumed from an earlier run."""
    if out is not None:
        shutil.rmtree(ROOT / "out" / out, ignore_errors=True)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return nb


def _text(cell) -> str:
    """Everything a code cell showed: printed text and the plain/HTML form of its results."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        for mime in ("text/plain", "text/html"):
            data = out.get("data", {}).get(mime)
            if data:
                parts.append(data if isinstance(data, str) else "".join(data))
    return "\n".join(parts)


def _cell_showing(nb, code: str):
    """The first code cell whose source contains ``code``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and code in cell.source:
            return cell
    raise AssertionError(f"no cell contains {code!r}")


def _images(nb) -> int:
    return sum("image/png" in out.get("data", {}) for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []))


@pytest.mark.parametrize("name", sorted(_make_notebooks().NOTEBOOKS))
def test_stored_notebooks_match_the_script_and_carry_their_outputs(name):
    """The site shows the stored notebooks as they are: their cells are the script's, and every code cell ran
    (in order, without error) when the script executed them."""
    stored = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    made = json.loads(nbformat.writes(_make_notebooks().notebook(_make_notebooks().NOTEBOOKS[name])))
    fix = "run python docs/notebooks/make_notebooks.py"
    assert [(c["cell_type"], c["source"]) for c in stored["cells"]] == \
        [(c["cell_type"], c["source"]) for c in made["cells"]], f"docs/notebooks/{name} differs from the script: {fix}"
    code = [c for c in stored["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), f"{name} was not executed: {fix}"
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"], f"{name} stored an error"
    assert sum(bool(c["outputs"]) for c in code) >= len(code) // 2, f"{name} shows too few outputs"
    code = "".join("".join(c["source"]) for c in stored["cells"] if c["cell_type"] == "code")
    text = "".join("".join(c["source"]) for c in stored["cells"] if c["cell_type"] == "markdown")
    assert "](../" not in text, f"{name}: a relative link works either on the site or in Jupyter, not both"
    assert "QUICK = True" in code, f"{name} must default to the small sizes (QUICK = True)"


def test_engine_tour_runs():
    nb = _execute("engine-tour.ipynb")
    state = _text(_cell_showing(nb, "household memory"))
    assert "household slots" in state and "bytes per household" in state
    history = _text(_cell_showing(nb, "history.iloc[::6]"))
    assert "labour" in history or "left the city" in history
    # the custom measure's differences table has rows for the two indicators it shows
    festivals = _text(_cell_showing(nb, 'register(MeasureType('))
    assert "encounters" in festivals  # the printed lever names
    table = _text(_cell_showing(nb, "comparison = qsim.compare([scenario, festivals]"))
    assert "inter_group_tie_share" in table and "out_group_trust" in table
    assert _images(nb) >= 2


def test_planner_comparison_runs():
    nb = _execute("planner-comparison.ipynb", out="planner-notebook")
    summary = _text(_cell_showing(nb, "comparison.summary()"))
    for option in ("employment", "social_cohesion", "integrated"):
        assert option in summary, f"the summary does not show {option}"
    saved = _text(_cell_showing(nb, "write_report(comparison"))
    assert "report.html" in saved
    assert (ROOT / "out" / "planner-notebook" / "report.html").is_file()
    assert _images(nb) >= 1


def test_researcher_notebook_runs():
    nb = _execute("researcher-sweep-sensitivity.ipynb", out="researcher-notebook")
    effects = _text(_cell_showing(nb, "unemployment = effects["))
    assert "labour.referral_strength" in effects and "ci_low" in effects
    ranking = _text(_cell_showing(nb, 'mu_star = indices[indices["index"] == "mu_star"]'))
    assert "labour.job_loss" in ranking and "dummy" in ranking and "unemployment_rate@20" in ranking
    assert (ROOT / "out" / "researcher-notebook" / "morris" / "sensitivity_indices.csv").is_file()
    assert _images(nb) >= 2
