"""The package's layering: no module imports itself back, not even through a function.

Every import of every module is read from its source with ``ast``, those inside
functions too (the lazy ones that keep start-up cheap), and the graph must have no
cycle, neither between modules nor between the step packages (collect, cache, render,
publish) and the top-level modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import feedpub

PACKAGE = Path(feedpub.__file__).parent


def modules(root: Path) -> dict[str, Path]:
    """Every module under ``root`` (a package folder) by dotted name, packages by their own name."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that module ``name`` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # "from a.b import c" imports a.b, and a.b.c when c is a module.
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        out.update(t for t in targets if t in known and t != name)
    return out


def graph(root: Path) -> dict[str, set[str]]:
    found = modules(root)
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def step_of(module: str) -> str:
    """The node of a module in the package graph: its step package, or itself when top-level."""
    parts = module.split(".")
    return ".".join(parts[:2])


def package_graph(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for source, targets in edges.items():
        node = out.setdefault(step_of(source), set())
        node.update(step_of(t) for t in targets if step_of(t) != step_of(source))
    return out


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_imports_inside_functions_are_seen(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "low.py").write_text("def f():\n    from pkg.sub import high\n    return high\n")
    (pkg / "sub" / "high.py").write_text("from .. import low\n")
    edges = graph(pkg)
    assert edges["pkg.low"] == {"pkg.sub", "pkg.sub.high"}
    assert "pkg.low" in edges["pkg.sub.high"]  # a relative import, resolved
    assert cycle(edges) == ["pkg.low", "pkg.sub.high", "pkg.low"]
    # feedpub's own lazy imports are in its graph too.
    real = graph(PACKAGE)
    assert "feedpub.collect.article" in real["feedpub.collect.read"]  # inside read_article
    assert "feedpub.cli" in real["feedpub.entry"]  # inside main


def test_no_module_imports_itself_back() -> None:
    found = cycle(graph(PACKAGE))
    assert found is None, "import cycle: " + " -> ".join(found or [])


def test_the_steps_are_layered_one_way() -> None:
    edges = package_graph(graph(PACKAGE))
    found = cycle(edges)
    assert found is None, "packages import each other: " + " -> ".join(found or [])
    # The parse cache sits above collect (it stores and re-reads parse results); the
    # collect step knows it only as the interface it is handed.
    assert "feedpub.collect" in edges["feedpub.cache"]
    assert "feedpub.cache" not in edges["feedpub.collect"]
