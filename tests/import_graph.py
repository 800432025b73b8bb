"""The import graph of collectsim, read from the source with ``ast`` (nothing is imported).

Every import counts, also one inside a function or under ``if TYPE_CHECKING``: an
import moved into a function to dodge a circle still is one. An edge goes to the
module named (``from collectsim import metrics`` names ``collectsim.metrics``),
not to the parent packages Python also initialises on the way.

Run it to see how the engine's rooms depend on each other::

    PYTHONPATH=src python tests/import_graph.py
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = "collectsim"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE
ENGINE = f"{PACKAGE}.engine"
# The engine's rooms, lowest first: a room imports only rooms below it (and itself).
ROOMS = ("accounts", "contact", "operations", "daily")


def module_name(path: Path, src: Path = SRC) -> str:
    parts = (src.name, *path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(src: Path = SRC) -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {module_name(p, src): p for p in sorted(src.rglob("*.py"))}


def _resolve(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


def imports(src: Path = SRC) -> dict[str, set[str]]:
    """module -> the package's modules it imports, anywhere in its body."""
    mods = modules(src)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                named = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node, mod, path.name == "__init__.py")
                # "from pkg import name": the submodule pkg.name if there is one, else pkg itself.
                named = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            graph[mod] |= {n for n in named if n in mods and n != mod}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def room(module: str) -> str | None:
    """The engine room a module lives in (None outside the rooms, e.g. ``collectsim.engine`` itself)."""
    parts = module.split(".")
    if module.startswith(ENGINE + ".") and len(parts) > 2 and parts[2] in ROOMS:
        return parts[2]
    return None


def room_graph(graph: dict[str, set[str]]) -> dict[str, dict[str, list[str]]]:
    """room -> other room -> the imports behind that edge, as "importer -> imported"."""
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for mod, targets in graph.items():
        a = room(mod)
        for t in sorted(targets):
            b = room(t)
            if a and b and a != b:
                edges[a][b].append(f"{mod.removeprefix(ENGINE + '.')} -> {t.removeprefix(ENGINE + '.')}")
    return {a: dict(bs) for a, bs in edges.items()}


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Imports from a lower room into a higher one."""
    rank = {r: k for k, r in enumerate(ROOMS)}
    return [edge for a, bs in room_graph(graph).items() for b, es in bs.items() if rank[b] > rank[a] for edge in es]


if __name__ == "__main__":
    g = imports()
    rg = room_graph(g)
    for a in reversed(ROOMS):
        for b, es in sorted(rg.get(a, {}).items(), key=lambda kv: ROOMS.index(kv[0]), reverse=True):
            sys.stdout.write(f"{a:>10} -> {b:<10} {len(es):2d} imports: {', '.join(es)}\n")
    sys.stdout.write(f"cycles: {cycles(g) or 'none'}\n")
