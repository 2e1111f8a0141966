"""Hooks receive a HookContext (state, month, params, set_parameters), not the Simulation."""

from __future__ import annotations

import pytest

import qsim
from conftest import small_scenario
from qsim.errors import QsimError
from qsim.hooks import HookContext, HookError


def test_a_hook_sees_the_state_and_changes_parameters_through_its_context():
    seen = []

    def hook(context, month):
        assert isinstance(context, HookContext)
        seen.append((month, context.month, context.params["labour.job_loss"]))
        if month == 2:
            context.set_parameters({"labour.job_loss": 0.05})

    sim = qsim.Simulation(small_scenario(years=1), seed=1, hooks=[hook])
    before = sim.params["labour.job_loss"]
    sim.run(years=0.5)
    assert [m for m, _, _ in seen] == [m for _, m, _ in seen] == list(range(6))
    assert [p for _, _, p in seen] == [before] * 3 + [0.05] * 3
    assert sim.params["labour.job_loss"] == 0.05


def test_a_hook_that_asks_for_the_simulation_gets_a_clear_error():
    def old_hook(sim, month):
        sim.step()

    sim = qsim.Simulation(small_scenario(years=1), seed=1, hooks=[old_hook])
    with pytest.raises(HookError, match="a hook receives a HookContext .* not the Simulation: it has no 'step'"):
        sim.step()
    assert issubclass(HookError, QsimError) and not hasattr(sim.hook_context, "ledger")


def test_a_hook_must_be_callable():
    with pytest.raises(QsimError, match=r"hooks\[0\]: 3 is not callable"):
        qsim.Simulation(small_scenario(years=1), seed=1, hooks=[3])


def test_the_measure_layer_imports_neither_the_engine_nor_the_result():
    """qsim/measures/, qsim/budget.py and qsim/hooks.py sit below the engine (also in type-only imports)."""
    import ast
    from pathlib import Path

    package = Path(qsim.__file__).parent
    files = [*sorted((package / "measures").glob("*.py")), package / "budget.py", package / "hooks.py"]
    above = {"engine", "result"}
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module or ''}.{a.name}".lstrip(".") for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            if any(part in above for name in names for part in name.split(".")):
                found.append(f"{path.relative_to(package)}:{node.lineno}")
    assert len(files) >= 6 and not found, f"imports of the engine or the result: {found}"
