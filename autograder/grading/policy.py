"""The exercises' rules, checked on the students' code before it counts (static: Python's `ast`, nothing is run).

Grades no longer depend on these rules for safety: test cells run in the grader's process and the student's
process has no torch (`judge`, `executor`), so tampering cannot make a test pass and `import torch` fails there with
ModuleNotFoundError (the reason shown). They remain as the course's stated rules, reported with the grade.

The rules are derived from the chapter's source notebook, so they fit every chapter and never fault the
instructor's own solution:

NumPy only (costs the exercise whose cell breaks it; in a cell the student added, the whole notebook):
  * a student cell may import only NumPy, `math`, a few pure-Python helpers (ALLOWED_MODULES), and what the
    source notebook's own solution cells import;
  * the name `torch` may not appear in a student cell unless the source's solution cells use it. Using a torch
    module *passed in as an argument* (chapter 1's `rnn_params_from_torch(rnn)` reads `rnn.weight_ih_l0`) is
    allowed: that is attribute access on a parameter, not the torch namespace.

No tampering (costs the whole notebook: it can make any test pass):
  * rebinding, or assigning into, a name the locked cells define (`np`, `check_close`, `EX`, ...), e.g.
    `np.allclose = lambda *a, **k: True`, `check_close = print`, `EX["X"][0] = 0`;
  * assigning attributes of an imported module, `global` on a locked name;
  * exec/eval/compile/__import__/getattr/setattr/delattr/globals/locals/vars/open/get_ipython/breakpoint;
  * dunder attributes other than a few harmless ones (`__class__.__mro__`, `__globals__`, `__builtins__`, ...);
  * shell escapes and magics (`!cat ...`, `%run ...`: IPython turns them into get_ipython() calls).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

ALLOWED_MODULES = {"numpy", "math", "warnings", "functools", "itertools", "typing", "dataclasses", "collections",
                   "__future__"}
FORBIDDEN_CALLS = {"exec", "eval", "compile", "__import__", "getattr", "setattr", "delattr", "globals", "locals",
                   "vars", "open", "get_ipython", "breakpoint", "input", "memoryview"}
HARMLESS_DUNDERS = {"__init__", "__name__", "__doc__", "__call__", "__len__", "__repr__"}
NUMPY_ONLY, TAMPERING = "NumPy-only rule", "tampering"


@dataclass
class Violation:
    cell: str | None          # grade_id of the cell, None for a cell the student added
    kind: str                 # NUMPY_ONLY or TAMPERING
    message: str

    def __str__(self):
        return f"{self.kind}: {self.message} (cell {self.cell or 'added by the student'})"


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _tree(source: str) -> ast.Module | None:
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None                # a syntax error fails at run time, with Python's own message


def _imports(tree) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def _bound(tree) -> set[str]:
    """Names a cell binds at top level (imports, defs, assignments)."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                elts = t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]
                names |= {e.id for e in elts if isinstance(e, ast.Name)}
    return names


@dataclass
class Rules:
    allowed_modules: set[str]
    protected: set[str]                 # names bound by the locked set-up cells (imports, EX, ...)
    # Per answer cell (grade_id): what that exercise's own solution uses, so it is allowed there and only there.
    torch_cells: frozenset = frozenset()      # answers whose solution names `torch`
    calls_by_cell: dict = None                # FORBIDDEN_CALLS an answer's solution makes (e.g. getattr)

    @classmethod
    def from_source(cls, source_nb) -> "Rules":
        allowed, protected, torch_cells, calls = set(ALLOWED_MODULES), set(), set(), {}
        for cell in source_nb.cells:
            if cell.cell_type != "code" or (tree := _tree(cell.source)) is None:
                continue
            meta = _meta(cell)
            if meta.get("solution"):
                gid = meta.get("grade_id")
                imports = _imports(tree)
                allowed |= imports - {"torch"}
                if "torch" in imports or any(isinstance(n, ast.Name) and n.id == "torch" for n in ast.walk(tree)):
                    torch_cells.add(gid)
                calls[gid] = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
                              and isinstance(n.func, ast.Name) and n.func.id in FORBIDDEN_CALLS}
            elif meta.get("locked") and not meta.get("grade"):
                protected |= _bound(tree)
        return cls(allowed, protected, frozenset(torch_cells), calls)


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def check_cell(source: str, rules: Rules, cell: str | None) -> list[Violation]:
    tree = _tree(source)
    if tree is None:
        return []
    out: list[Violation] = []

    def add(kind, msg):
        v = Violation(cell, kind, msg)
        if all(str(v) != str(o) for o in out):
            out.append(v)

    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or "."]
            for name in names:
                root = name.split(".")[0]
                if isinstance(node, ast.ImportFrom) and node.level:
                    add(TAMPERING, "relative import")
                elif root not in rules.allowed_modules and not (root == "torch" and cell in rules.torch_cells):
                    allowed = ", ".join(sorted(rules.allowed_modules - {"__future__"}))
                    add(NUMPY_ONLY, f"`import {name}` (allowed: {allowed})")
            if isinstance(node, ast.Import):
                modules |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Name) and node.id == "torch" and cell not in rules.torch_cells:
            add(NUMPY_ONLY, "uses torch: the answer must be computed with NumPy")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS \
                and node.func.id not in (rules.calls_by_cell or {}).get(cell, ()):
            add(TAMPERING, f"calls {node.func.id}()")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("__") and node.attr not in HARMLESS_DUNDERS:
            add(TAMPERING, f"touches {node.attr}")
        elif isinstance(node, ast.Global):
            for name in set(node.names) & rules.protected:
                add(TAMPERING, f"`global {name}`: {name} belongs to the notebook's locked cells")
    top = _bound(tree)
    for name in sorted(top & rules.protected):
        add(TAMPERING, f"redefines `{name}`, which the locked cells define and the tests use")
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for t in targets:
            # The assigned objects only (`np.isclose = ...`, `EX["X"][0] = ...`), not names used inside an index
            # (`grad[np.arange(B), y] -= 1` changes grad, not np).
            for sub in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                if isinstance(sub, ast.Starred):
                    sub = sub.value
                if isinstance(sub, (ast.Attribute, ast.Subscript)):
                    root = _root(sub)
                    if root in rules.protected or root in modules:
                        add(TAMPERING, f"changes `{ast.unparse(sub)}`, which belongs to {root}")
                elif isinstance(sub, ast.Name) and isinstance(node, ast.Delete) and sub.id in rules.protected:
                    add(TAMPERING, f"deletes `{sub.id}`")
    return out


def check_notebook(nb, rules: Rules) -> list[Violation]:
    """Violations in every cell a student could have written: all code cells but the locked and graded ones
    (which autograding restores from the source)."""
    found = []
    for cell in nb.cells:
        meta = _meta(cell)
        if cell.cell_type == "code" and not (meta.get("locked") or meta.get("grade")):
            found += check_cell(cell.source, rules, meta.get("grade_id"))
    return found


def zeroed_tests(violations: list[Violation], grade_ids: list[str]) -> dict[str, list[str]]:
    """{test grade_id: [reasons]} for the tests a set of violations costs."""
    out: dict[str, list[str]] = {}
    for v in violations:
        own = [g for g in grade_ids if v.cell and (g == f"test_{v.cell}" or g.startswith(f"test_{v.cell}_"))]
        targets = own if v.kind == NUMPY_ONLY and own else grade_ids
        for g in targets:
            out.setdefault(g, []).append(str(v))
    return out
