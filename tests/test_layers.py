"""The package's layers stay one-way and free of import cycles.

Layers, top to bottom: cli/api -> experiments/reports/validation -> runner/runlength -> analysis/execution
-> model -> scenario, with `iopsim` (the version) and `iopsim.files` at the bottom. A
module may import its own layer or lower ones, never a higher one; and no modules may import each
other in a circle, deferred imports included (imports under `if TYPE_CHECKING:` only name types
and are left out of the cycle check, not out of the layer check).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "iopsim"

LAYERS: list[tuple[str, ...]] = [  # bottom first
    ("iopsim", "iopsim.files", "iopsim.versions"),
    ("iopsim.scenario",),
    ("iopsim.model",),
    ("iopsim.analysis", "iopsim.execution"),
    ("iopsim.runner", "iopsim.runlength"),
    ("iopsim.experiments", "iopsim.reports", "iopsim.validation"),
    ("iopsim.cli", "iopsim.api"),  # api: the Python face of what cli does, for scripts and notebooks
]

KNOWN: set[tuple[str, str]] = set()
"""Edges that break the rules today, each with why; an entry that no longer occurs fails the test."""

Graph = dict[str, set[str]]


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, typing_only: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement with whether it sits under `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, typing_only
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), True)
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]), typing_only)
        else:
            yield from _imports(node, typing_only)


def import_graphs(root: Path) -> tuple[Graph, Graph]:
    """(every import, runtime imports only) between the modules of the package at `root`."""
    files = {_module_name(root, p): p for p in sorted(root.rglob("*.py"))}
    every: Graph = {m: set() for m in files}
    runtime: Graph = {m: set() for m in files}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node, typing_only in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                candidates = [target] + [f"{target}.{alias.name}" for alias in node.names]
            for target in candidates:
                if target in files and target != module:
                    every[module].add(target)
                    if not typing_only:
                        runtime[module].add(target)
    return every, runtime


def layer_of(module: str) -> int:
    """Index in LAYERS of the longest prefix that names `module` or a package holding it."""
    best, best_length = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or (prefix != "iopsim" and module.startswith(prefix + "."))
            if matches and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    if best < 0:
        raise AssertionError(f"{module} belongs to no layer; add it to LAYERS")
    return best


def upward_imports(graph: Graph) -> set[tuple[str, str]]:
    return {(m, t) for m, targets in graph.items() for t in targets if layer_of(t) > layer_of(m)}


def cycles(graph: Graph) -> list[list[str]]:
    """Groups of modules that import each other in a circle (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _without_known(graph: Graph) -> Graph:
    return {m: {t for t in targets if (m, t) not in KNOWN} for m, targets in graph.items()}


@pytest.fixture(scope="module")
def graphs() -> tuple[Graph, Graph]:
    return import_graphs(PACKAGE)


def test_every_module_belongs_to_a_layer(graphs):
    for module in graphs[0]:
        layer_of(module)


def test_no_module_imports_a_higher_layer(graphs):
    assert sorted(upward_imports(_without_known(graphs[0]))) == []


def test_no_modules_import_each_other_in_a_circle(graphs):
    assert cycles(_without_known(graphs[1])) == []


def test_every_known_exception_still_occurs(graphs):
    assert {edge for edge in KNOWN if edge[1] in graphs[0][edge[0]]} == KNOWN


def test_the_graph_sees_deferred_relative_and_type_only_imports(graphs):
    every, runtime = graphs
    assert "iopsim.scenario.loader" in every["iopsim.cli.common"]  # deferred, relative, two levels
    assert "iopsim.cli.common" in every["iopsim.cli"]  # from .common import main, in a package
    assert "iopsim.model.clinic" in every["iopsim.model.groups"]  # under TYPE_CHECKING
    assert "iopsim.model.clinic" not in runtime["iopsim.model.groups"]


def test_an_upward_import_and_a_cycle_are_caught(tmp_path):
    root = tmp_path / "iopsim"
    for folder in ("scenario", "model", "cli"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "scenario" / "a.py").write_text("def f():\n    from ..model import b\n")
    (root / "model" / "b.py").write_text("from ..scenario.a import f\n")
    (root / "model" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..cli import d\n"
    )
    (root / "cli" / "d.py").write_text("import iopsim.model.c\n")
    every, runtime = import_graphs(root)
    assert upward_imports(every) == {  # `from ..model import b` runs the package's __init__ too
        ("iopsim.scenario.a", "iopsim.model"),
        ("iopsim.scenario.a", "iopsim.model.b"),
        ("iopsim.model.c", "iopsim.cli"),
        ("iopsim.model.c", "iopsim.cli.d"),
    }
    assert cycles(runtime) == [["iopsim.model.b", "iopsim.scenario.a"]]  # the type-only circle is no cycle
