"""The exercises' one remaining static rule, NumPy only, checked on the students' code (Python's `ast`, nothing run).

Grades do not depend on static rules for safety any more: test cells run in the grader's process (`judge`), the
student's code in a sandbox with no torch and nothing of the course but what notebooks import (`launch`,
`sandbox`). Patching NumPy, `check_close` or the tests' names, reading files, `getattr`, `eval` and the like can
only change the student's own process, which decides nothing, so the tampering rules that used to read the syntax
are gone. What remains is the course's teaching rule, reported with the grade so that the reason is clear:

  * an answer cell may import only NumPy, `math`, a few pure-Python helpers (ALLOWED_MODULES), and what the
    source notebook's own solution cells import (a chapter whose solution uses a module allows it). A module the
    sandbox also lacks (torch) fails at run time as well; one it has (`subprocess`, `sqlite3`, `glob`) is refused
    here. A violation costs the tests of that exercise; in a cell the student added, every test.

The rules are derived from the chapter's source notebook, so they fit every chapter and never fault the
instructor's own solution.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

ALLOWED_MODULES = {"numpy", "math", "warnings", "functools", "itertools", "typing", "dataclasses", "collections",
                   "__future__"}
NUMPY_ONLY = "NumPy-only rule"


@dataclass
class Violation:
    cell: str | None          # grade_id of the cell, None for a cell the student added
    kind: str                 # NUMPY_ONLY
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


@dataclass
class Rules:
    allowed_modules: set[str]
    torch_cells: frozenset = frozenset()      # answers whose solution imports torch (allowed there only)

    @classmethod
    def from_source(cls, source_nb) -> Rules:
        return cls.from_solutions({_meta(c).get("grade_id"): c.source for c in source_nb.cells
                                   if c.cell_type == "code" and _meta(c).get("solution")})

    @classmethod
    def from_solutions(cls, solutions: dict[str, str]) -> Rules:
        """The rules for the source's answer cells ({grade_id: source}, from the notebook or the gradebook)."""
        allowed, torch_cells = set(ALLOWED_MODULES), set()
        for grade_id, source in solutions.items():
            if (tree := _tree(source)) is None:
                continue
            imports = _imports(tree)
            allowed |= imports - {"torch"}
            if "torch" in imports:
                torch_cells.add(grade_id)
        return cls(allowed, frozenset(torch_cells))


# Every way of importing is one rule: a call of these imports its first argument, like an `import` statement.
IMPORT_CALLS = {"__import__", "import_module"}
# Code run from a string is checked as code when the string is written out; otherwise it cannot be checked.
CODE_CALLS = {"exec", "eval", "compile"}
# Names that reach the import machinery without an import statement (`getattr(builtins, "__import__")`,
# `__loader__`; `sys.modules` needs `import sys`, already read): a name the rule cannot follow is a violation.
IMPORT_MACHINERY = {"__import__", "import_module", "__builtins__", "__loader__", "__spec__", "find_spec",
                    "spec_from_file_location", "exec_module", "load_module", "run_module", "run_path"}


def _called(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _literal(node: ast.Call) -> str | None:
    arg = node.args[0] if node.args else None
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def _imported_names(tree, depth: int = 0) -> list[str]:
    """What a cell imports, however it does it: `import`, `from ... import`, `__import__("x")`,
    `importlib.import_module("x")`, code in a written-out string given to exec/eval/compile; "?" + the way, for
    an import whose module the rule cannot read (a computed name, the import machinery reached by name)."""
    names: list[str] = []
    read = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call) and _called(n) in IMPORT_CALLS}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            names.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module)
        elif isinstance(node, ast.Call) and _called(node) in IMPORT_CALLS:
            literal = _literal(node)
            names.append(literal if literal else f"?{_called(node)}(...) with a computed name")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CODE_CALLS:
            literal = _literal(node)
            try:
                inner = ast.parse(literal) if literal is not None and depth < 5 else None
            except SyntaxError:
                inner = ast.Module(body=[], type_ignores=[])      # fails at run time, with Python's message
            names += _imported_names(inner, depth + 1) if inner is not None else \
                [f"?{node.func.id}(...) of a computed string"]
        elif id(node) in read:
            continue
        elif isinstance(node, ast.Name) and node.id in IMPORT_MACHINERY:
            names.append(f"?{node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in IMPORT_MACHINERY:
            names.append(f"?.{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in IMPORT_MACHINERY:
            names.append(f"?{node.value!r}")
    return names


def check_cell(source: str, rules: Rules, cell: str | None) -> list[Violation]:
    tree = _tree(source)
    if tree is None:
        return []
    out: list[Violation] = []
    allowed = ", ".join(sorted(rules.allowed_modules - {"__future__"}))
    for name in _imported_names(tree):
        if name.startswith("?"):
            message = (f"an import the rule cannot read ({name[1:]}); import modules with `import numpy as np` "
                       f"(allowed: {allowed})")
        else:
            root = name.split(".")[0]
            if root in rules.allowed_modules or (root == "torch" and cell in rules.torch_cells):
                continue
            message = f"`import {name}` (allowed: {allowed})"
        v = Violation(cell, NUMPY_ONLY, message)
        if all(str(v) != str(o) for o in out):
            out.append(v)
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
    """{test grade_id: [reasons]} for the tests a set of violations costs: the exercise's own tests, or every test
    for a cell the student added (or an exercise without tests of its own)."""
    out: dict[str, list[str]] = {}
    for v in violations:
        own = [g for g in grade_ids if v.cell and (g == f"test_{v.cell}" or g.startswith(f"test_{v.cell}_"))]
        for g in own or grade_ids:
            out.setdefault(g, []).append(str(v))
    return out


def mark_tests(nb, violations: list[Violation]) -> None:
    """Write the reason into each test cell a violation costs, as an error output first, so that nbgrader's own
    scoring (SaveAutoGrades) gives it no points and its feedback shows why."""
    from nbformat.v4 import new_output
    graded = [_meta(c).get("grade_id") for c in nb.cells if _meta(c).get("grade") and _meta(c).get("grade_id")]
    zeroed = zeroed_tests(violations, graded)
    for cell in nb.cells:
        reasons = zeroed.get(_meta(cell).get("grade_id")) if cell.cell_type == "code" and _meta(cell).get("grade") \
            else None
        if reasons:
            cell.outputs.insert(0, new_output("error", ename="GradingPolicy", evalue=" | ".join(reasons),
                                              traceback=["GradingPolicy: " + " | ".join(reasons)]))
