"""The package's import graph: no cycle, and no module importing upward into the layers above it.

The graph is built from the source with ``ast``: every ``import`` / ``from ... import`` of a
``harness`` module, at module level or inside a function. Imports under ``if TYPE_CHECKING:`` never
run, so they do not count for cycles; they do count for the layer rules (a type is a dependency).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

import harness

ROOT = Path(harness.__file__).parent

# Layers from the top down; a module may import its own layer and the ones below, never one above.
# Every module not named here is in the bottom layer ("everything else": engine, methods, data,
# protocols, metrics, results, reports, ...).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("entry points", ("harness.cli", "harness.__main__", "harness.api")),
    ("orchestration", ("harness.runner", "harness.pipeline")),
]
# The layers of the package diagram in docs/architecture.md, top down: a listed package imports (at
# run time) only its own package and packages of lower layers, or a package its layer's drawn arrows
# allow. A package not listed here (a new one) is not checked by this rule (the ones above still hold
# for it); list it here and in the diagram.
DIAGRAM: list[tuple[str, ...]] = [
    ("cli", "__main__", "api"),
    ("runner", "pipeline"),
    ("regression", "text"),
    ("reports",),
    ("reported",),
    ("results",),
    ("protocols", "engine"),
    ("data", "cache", "methods", "weights", "profiling"),
    ("metrics", "models", "checkpoints", "stats"),
    (
        "registry",
        "errors",
        "atomic",
        "paths",
        "resources",
        "hashing",
        "seeding",
        "provenance",
        "escaping",
        "safepaths",
        "yamlio",
        "extras",
    ),
]
DIAGRAM_EDGES_WITHIN_A_LAYER = {
    ("__main__", "cli"),
    ("api", "cli"),
    ("runner", "pipeline"),
    ("methods", "weights"),
    ("weights", "methods"),
}
"""Arrows inside one layer that the diagram draws (the base modules may also import each other)."""
_ABOVE_ENGINE = ("harness.results", "harness.protocols", "harness.reports", "harness.text")
_TOP = ("harness.runner", "harness.pipeline", "harness.cli")
MUST_NOT_IMPORT: dict[str, tuple[str, ...]] = {
    # the engine embeds manifests with method adapters; it knows no protocol, record or report
    "harness.engine": (*_ABOVE_ENGINE, *_TOP),
    # datasets are the bottom of the domain: no protocol, method, engine, metric or record above them
    "harness.data": (
        "harness.protocols",
        "harness.methods",
        "harness.models",
        "harness.engine",
        "harness.metrics",
        *_ABOVE_ENGINE,
        *_TOP,
    ),
}


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if package else parts), package


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, package: bool) -> list[tuple[str, bool]]:
    """``(imported name, runtime)`` for every import in ``tree``; names may be ``module.attr``."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, runtime: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, False)
            for child in node.orelse:
                visit(child, runtime)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, runtime) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = (module if package else module.rpartition(".")[0]).split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            found.append((source, runtime))
            found.extend((f"{source}.{alias.name}", runtime) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child, runtime)

    visit(tree, True)
    return found


@functools.cache
def _graph() -> tuple[set[str], dict[str, set[str]], dict[str, set[str]]]:
    """Modules, runtime edges and all edges (TYPE_CHECKING included) between harness modules."""
    sources = {}
    for path in sorted(ROOT.rglob("*.py")):
        name, package = _module_name(path)
        sources[name] = (path, package)
    runtime: dict[str, set[str]] = {name: set() for name in sources}
    every: dict[str, set[str]] = {name: set() for name in sources}
    for name, (path, package) in sources.items():
        for target, at_runtime in _imports(ast.parse(path.read_text(), str(path)), name, package):
            if target in sources and target != name:
                every[name].add(target)
                if at_runtime:
                    runtime[name].add(target)
    return set(sources), runtime, every


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _layer(module: str) -> int:
    for depth, (_, prefixes) in enumerate(LAYERS):
        if _within(module, prefixes):
            return depth
    return len(LAYERS)


def test_the_graph_sees_every_module_and_its_function_level_imports() -> None:
    modules, runtime, _ = _graph()
    assert {"harness.runner", "harness.pipeline.phases", "harness.engine.encoder"} <= modules
    assert "harness.pipeline.phases" in runtime["harness.runner"]  # module level
    assert "harness.methods.open" in runtime["harness.pipeline.phases"]  # inside a function


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_import_graph_is_acyclic() -> None:
    _, runtime, _ = _graph()
    assert _cycles(runtime) == []


def test_no_module_imports_a_layer_above_its_own() -> None:
    _, _, every = _graph()
    upward = [
        f"{module} imports {target} ({LAYERS[_layer(target)][0]})"
        for module, targets in every.items()
        for target in sorted(targets)
        if module != "harness" and _layer(target) < _layer(module)
    ]
    assert upward == []


def _diagram_layer(module: str) -> tuple[str, int] | None:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else None
    for depth, names in enumerate(DIAGRAM):
        if top in names:
            return top, depth
    return None


def test_packages_follow_the_layers_of_the_architecture_diagram() -> None:
    _, runtime, _ = _graph()
    wrong = []
    for module, targets in runtime.items():
        for target in sorted(targets):
            source, dest = _diagram_layer(module), _diagram_layer(target)
            if source is None or dest is None or source[0] == dest[0]:
                continue
            drawn = (source[0], dest[0]) in DIAGRAM_EDGES_WITHIN_A_LAYER
            same_layer = dest[1] == source[1] and source[1] < len(DIAGRAM) - 1
            if dest[1] < source[1] or (same_layer and not drawn):
                wrong.append(f"{module} imports {target}")
    assert wrong == []


@pytest.mark.parametrize("package", sorted(MUST_NOT_IMPORT))
def test_package_stays_below_the_packages_it_must_not_import(package: str) -> None:
    _, _, every = _graph()
    bad = [
        f"{module} imports {target}"
        for module, targets in every.items()
        if _within(module, (package,))
        for target in sorted(targets)
        if _within(target, MUST_NOT_IMPORT[package])
    ]
    assert bad == []
