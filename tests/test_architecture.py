"""The package keeps its shape: no import cycles, one-way layers, small modules.

The import graph is built from the source with :mod:`ast` (every ``import`` and
``from ... import`` of a ``clusterloc`` module, also those inside functions and under
``TYPE_CHECKING``): a deferred import is still a dependency.

Layers (a package may import only the ones listed for it; ``constants``, ``errors`` and
``hashing``, ``jsonsafe`` sit at the bottom)::

    network   model            data flows scenario → network → model → outputs;
        \\    /   \\             the scenario stage assembles model inputs from the
       scenario   bench         network, the model never sees a road graph, and
           |                    nothing below outputs knows outputs exist.
        outputs
           |
          api  →  cli

Size limits: a module at most :data:`MAX_MODULE_LINES` lines, a function at most
:data:`MAX_FUNCTION_LINES` lines (docstring included). :data:`KNOWN_LARGE` lists the
few that are over today with their current size as a ceiling: they may shrink, not grow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "clusterloc"

MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 120

#: Over the limits today (path relative to src/clusterloc, or ``path:function``) → ceiling.
KNOWN_LARGE: dict[str, int] = {
    "model/speedups/twostage.py": 1381,
    "outputs/staticmap.py:static_map": 277,
    "outputs/htmlmap.py:html_map": 211,
    "model/validation.py:validate_inputs": 137,
    "model/formulation.py:from_cost_matrix": 124,
}

BOTTOM = {"constants", "errors", "hashing", "jsonsafe"}
#: Which top-level parts of the package each part may import.
ALLOWED: dict[str, set[str]] = {
    "constants": set(),
    "errors": set(),
    "hashing": set(),
    "jsonsafe": set(),
    "network": BOTTOM,
    "model": BOTTOM,
    "bench": BOTTOM | {"model"},
    "scenario": BOTTOM | {"network", "model"},
    "outputs": BOTTOM | {"network", "model", "scenario"},
    "api": BOTTOM | {"network", "model", "scenario", "outputs"},
    "sweep": BOTTOM | {"network", "model", "scenario", "outputs", "api"},
    "cli": BOTTOM | {"network", "model", "scenario", "outputs", "bench", "api", "sweep"},
    "": {"api"},  # clusterloc/__init__.py: the lazy facade
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    """clusterloc modules imported by one file (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "clusterloc")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module.split(".")[0] != "clusterloc":
                continue
            out.add(module)
            # ``from clusterloc.model import formulation`` imports a submodule
            for alias in node.names:
                if (
                    (PACKAGE.parent / (module + "." + alias.name).replace(".", "/"))
                    .with_suffix(".py")
                    .exists()
                ):
                    out.add(f"{module}.{alias.name}")
    return out


def import_graph() -> dict[str, set[str]]:
    """``module → modules it imports`` for every module of the package."""
    files = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        deps = {d for d in _imports(path, name) if d in files and d != name}
        graph[name] = deps
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules, or [] (a package's ``__init__`` importing
    its own submodules is not a cycle by itself; a submodule importing its package's
    ``__init__`` while that imports it back is)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_graph_is_real() -> None:
    graph = import_graph()
    assert "clusterloc.model.formulation" in graph
    assert "clusterloc.model.constraints" in graph["clusterloc.model.formulation"]
    assert len(graph) > 50


def test_no_import_cycles() -> None:
    cycle = find_cycle(import_graph())
    assert not cycle, "import cycle: " + " → ".join(cycle)


def test_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_layers_are_one_way() -> None:
    wrong = [
        f"{module} imports {dep}"
        for module, deps in sorted(import_graph().items())
        for dep in sorted(deps)
        if _part(dep) != _part(module) and _part(dep) not in ALLOWED[_part(module)]
    ]
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_formulation_does_not_reach_for_diagnosis_or_speedups() -> None:
    graph = import_graph()
    core = [
        m
        for m in graph
        if m.startswith("clusterloc.model.")
        and m.split(".")[2] in ("formulation", "constraints", "variables", "objective", "frame")
    ]
    for module in core:
        for dep in graph[module]:
            assert not dep.startswith(
                ("clusterloc.model.diagnostics", "clusterloc.model.pipeline",
                 "clusterloc.model.speedups")
            ), f"{module} imports {dep}"  # fmt: skip


def _sizes() -> list[tuple[str, int, int]]:
    """``(key, lines, limit)`` of every module and function."""
    out: list[tuple[str, int, int]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        text = path.read_text(encoding="utf-8")
        out.append((rel, len(text.splitlines()), MAX_MODULE_LINES))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                out.append((f"{rel}:{node.name}", lines, MAX_FUNCTION_LINES))
    return out


def test_modules_and_functions_stay_small() -> None:
    over = []
    for key, lines, limit in _sizes():
        ceiling = KNOWN_LARGE.get(key, limit)
        if lines > ceiling:
            over.append(f"{key}: {lines} lines (limit {ceiling})")
    assert not over, "too large:\n" + "\n".join(over)


@pytest.mark.parametrize("key", sorted(KNOWN_LARGE))
def test_known_large_entries_still_exist(key: str) -> None:
    sizes = {k: lines for k, lines, _ in _sizes()}
    assert key in sizes, f"{key} is gone: remove it from KNOWN_LARGE"
    limit = MAX_MODULE_LINES if ":" not in key else MAX_FUNCTION_LINES
    assert sizes[key] > limit, f"{key} is within the limit now: remove it from KNOWN_LARGE"


def test_public_modules_declare_all() -> None:
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if any(p.startswith("_") and p != "__init__.py" for p in rel.parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not tree.body:
            continue  # an empty package marker
        names = {
            t.id
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Name)
        }
        if "__all__" not in names:
            missing.append(rel.as_posix())
    assert not missing, "modules without __all__:\n" + "\n".join(missing)


def test_package_ships_py_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()
