"""The layers of qsim, read from the source: no import cycle, the measure layer below the engine, the experiment
layer below the report, and no module that patches another module.

The imports are read with ``ast`` from every module in ``qsim/``: statements at module level and inside functions
(a function-level import is a dependency all the same), relative imports resolved. Imports under
``if TYPE_CHECKING:`` never run: they are left out of the cycle test (no cycle *at run time*; two classes that
name each other in annotations are fine), and they count for the layers (a layer that names another's types in
its signatures depends on it: the engine's ``Simulation`` in the measure layer's hooks is what the layering
removes). An edge goes to the module named; ``from pkg import name``
goes to ``pkg.name`` when that is a module, else to ``pkg`` (its ``__init__``, whose re-exports are its own
edges). The ancestors' ``__init__`` that Python runs first are not edges of their own: a package importing its
submodules is what a package does; a cycle through a package's re-exports still shows as one.
"""

from __future__ import annotations

import ast
import functools
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "qsim"


@dataclass(frozen=True)
class Import:
    target: str  # a qsim module, or the top-level name of another package
    line: int
    in_function: bool
    type_checking: bool  # under `if TYPE_CHECKING:`


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _type_checking(node: ast.AST) -> bool:
    """An ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``) statement."""
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Every import statement, with whether it is inside a function and whether under ``if TYPE_CHECKING:``."""
    def visit(node, in_function, typing_only):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function, typing_only
            elif _type_checking(child):
                yield from visit(ast.Module(body=child.body, type_ignores=[]), in_function, True)
                yield from visit(ast.Module(body=child.orelse, type_ignores=[]), in_function, typing_only)
            else:
                yield from visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                         ast.Lambda)), typing_only)
    yield from visit(tree, False, False)


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute name a ``from ... import`` statement imports from."""
    if node.level == 0:
        return node.module
    base = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


@functools.cache
def imports_of(module: str) -> list[Import]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    out = []
    for node, in_function, typing_only in _import_nodes(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            source = _resolve(module, node)
            names = [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names]
        for name in names:
            target = name if name.split(".")[0] == "qsim" else name.split(".")[0]
            while target.startswith("qsim") and target not in MODULES:  # `import qsim.x.y` of an attribute
                target = target.rpartition(".")[0]
            out.append(Import(target, node.lineno, in_function, typing_only))
    return out


# every dependency (for the layers), and the imports that run (for cycles); the first statement of each edge
GRAPH = {m: {i.target: i for i in reversed(imports_of(m)) if i.target in MODULES and i.target != m}
         for m in MODULES}
RUN_TIME = {m: {i.target: i for i in reversed(imports_of(m))
                if i.target in MODULES and i.target != m and not i.type_checking} for m in MODULES}


def _where(a: str, b: str, graph: dict) -> str:
    edge = graph[a][b]
    how = ", in a function" if edge.in_function else ""
    how += ", under TYPE_CHECKING" if edge.type_checking else ""
    return f"{a} -> {b} ({MODULES[a].relative_to(PACKAGE.parent)}:{edge.line}{how})"


def _path(graph: dict, start: str, goal, within=None) -> list[str] | None:
    """The shortest import path from ``start`` (excluded from the goal test) to a module for which ``goal`` holds."""
    seen, queue = {start: None}, deque([start])
    while queue:
        node = queue.popleft()
        for nxt in graph[node]:
            if within is not None and nxt not in within:
                continue
            if goal(nxt):
                path = [nxt, node]
                while seen[path[-1]] is not None:
                    path.append(seen[path[-1]])
                return path[::-1]
            if nxt not in seen:
                seen[nxt] = node
                queue.append(nxt)
    return None


def strongly_connected(graph: dict[str, dict]) -> list[set[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _describe_path(path: list[str], graph: dict) -> str:
    return "\n    ".join(_where(a, b, graph) for a, b in zip(path, path[1:]))


def test_the_import_graph_is_read_from_the_source():
    """The walk finds the imports it must (so that the tests below can fail)."""
    assert "qsim.engine" in GRAPH["qsim"] and "qsim.scenario" in GRAPH["qsim.engine"]
    assert "qsim.files" in GRAPH["qsim.scenario"]  # relative `from .files import ...`
    assert "qsim.experiment" in GRAPH["qsim"]  # a function-level import (qsim.__getattr__)
    assert "qsim.experiment.compare" in GRAPH["qsim.report.html"]  # `from ..experiment.compare import ...`
    # imports only under `if TYPE_CHECKING:` are dependencies, not run-time imports
    typing_only = {(m, i.target) for m in MODULES for i in imports_of(m) if i.type_checking and i.target in MODULES}
    run = {(m, i.target) for m in MODULES for i in imports_of(m) if not i.type_checking}
    assert typing_only - run, "qsim has imports under TYPE_CHECKING"
    assert all(t in GRAPH[m] and t not in RUN_TIME[m] for m, t in typing_only - run)
    # a cycle in a made-up graph is found with its path
    toy = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert strongly_connected(toy) == [{"a", "b", "c"}]


def test_no_import_cycle_among_qsim_modules():
    cycles = []
    for component in strongly_connected(RUN_TIME):
        start = min(component)
        path = _path(RUN_TIME, start, lambda m, s=start: m == s, within=component)
        cycles.append(_describe_path(path, RUN_TIME) + f"\n    (all modules of this cycle: {', '.join(sorted(component))})")
    assert not cycles, f"{len(cycles)} import cycle(s) in qsim/:\n  " + "\n  ".join(cycles)


@pytest.mark.parametrize("layer, forbidden", [("qsim.measures", "qsim.engine"), ("qsim.experiment", "qsim.report")])
def test_a_lower_layer_never_imports_a_higher_one(layer, forbidden):
    """Not directly, and not through another module (import statements anywhere in a module count, also those
    under ``if TYPE_CHECKING:``)."""
    found = []
    for module in MODULES:
        if module == layer or module.startswith(layer + "."):
            path = _path(GRAPH, module, lambda m: m == forbidden or m.startswith(forbidden + "."))
            if path is not None:
                found.append(_describe_path(path, GRAPH))
    assert not found, f"{layer} imports {forbidden}:\n  " + "\n  ".join(found)


def _root(node: ast.AST) -> str | None:
    """The name an attribute or subscript chain starts from (``sys`` in ``sys.modules[m].__class__``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


def patches_in(path: Path) -> list[str]:
    """Attribute assignments (``x.attr = ...``, ``setattr(x, ...)``, ``del x.attr``) onto a module or an object
    that the module at ``path`` imported from elsewhere."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node, _, _ in _import_nodes(tree):
        for alias in node.names:
            imported.add((alias.asname or alias.name).split(".")[0])
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr"):
            if node.args and _root(node.args[0]) in imported:
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
            continue
        for target in targets:
            for t in (target.elts if isinstance(target, ast.Tuple) else [target]):
                if isinstance(t, ast.Attribute) and _root(t) in imported:
                    found.append(f"{path.name}:{node.lineno}: {ast.unparse(t)} = ...")
    return found


def test_the_patch_finder_finds_patches(tmp_path):
    """What the next test looks for, shown on a made-up module (so that it can fail)."""
    source = ("import sys\nfrom numba.np import arrayobj as _a\nimport numpy as np\n\n"
              "def install():\n    _a.fix_integer_index = None\n\n"
              "sys.modules[__name__].__class__ = object\nsetattr(np, 'x', 1)\nlocal = object()\nlocal.x = 1\n")
    (tmp_path / "toy.py").write_text(source)
    found = sorted(patches_in(tmp_path / "toy.py"))
    assert len(found) == 3, found
    assert "_a.fix_integer_index" in found[0] and "__class__" in found[1] and "setattr(np" in found[2], found


def test_no_module_patches_another_module():
    found = [f"{module}: {line}" for module, path in MODULES.items() for line in patches_in(path)]
    assert not found, "qsim assigns attributes onto modules or objects it imported (use their supported API):\n  " + \
        "\n  ".join(found)
