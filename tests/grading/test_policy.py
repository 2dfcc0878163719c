"""The exercises' rules (autograder/grading/policy.py) never fault an instructor's own solution, and what one exercise's
solution may use (torch, getattr) is allowed in that exercise only."""
import nbformat
import pytest

from autograder.grading.demo import answer_from_solution
from autograder.grading.policy import Rules, check_cell, check_notebook
from autograder.layout import ROOT, chapters


def _source(chapter):
    return nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)


@pytest.mark.parametrize("chapter", chapters())
def test_every_solution_passes_the_rules(chapter):
    nb = _source(chapter)
    rules = Rules.from_source(nb)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answer_from_solution(cell.source)
    assert check_notebook(nb, rules) == [], f"{chapter}: the instructor's own answers break the rules"


def test_allowances_are_per_exercise():
    rules = Rules.from_source(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import torch\ndef load(m):\n    return torch.as_tensor(m)", metadata={
            "nbgrader": {"solution": True, "grade_id": "load", "grade": False, "locked": False}}),
        nbformat.v4.new_code_cell("import bisect\ndef step(x):\n    return x", metadata={
            "nbgrader": {"solution": True, "grade_id": "step", "grade": False, "locked": False}}),
    ]))
    assert check_cell("import torch\ndef load(m):\n    return m", rules, "load") == []
    assert [v.kind for v in check_cell("import torch\ndef step(x):\n    return torch.tanh(x)", rules, "step")]
    assert check_cell("import bisect", rules, "load") == [], "a module one solution imports is allowed everywhere"


@pytest.mark.parametrize("source, bad", [
    ("import subprocess", "subprocess"), ("from sqlite3 import connect", "sqlite3"), ("import os.path", "os.path"),
    ("from . import x", "."), ("import numpy as np\nimport math", None), ("!ls", None), ("x = 1 +", None),
])
def test_only_imports_are_ruled(source, bad):
    """Everything else a cell does (patching np, reading files, getattr) changes only the student's own process."""
    rules = Rules.from_source(nbformat.v4.new_notebook())
    found = check_cell(source + "\nnp.allclose = print\ngetattr(np, 'x')\nopen('f')", rules, "step")
    assert [bad in v.message for v in found] == ([True] if bad else []), found


@pytest.mark.parametrize("source, said", [
    ('sp = __import__("sympy")', "`import sympy`"),
    ('import numpy as np\nsp = np.__builtins__["__import__"]("sympy")', "cannot read"),
    ('import importlib\nsp = importlib.import_module("sympy")', "`import importlib`"),
    ('from importlib import import_module\nsp = import_module("sympy")', "`import sympy`"),
    ('m = __import__("sub" + "process")', "computed name"),
    ('exec("import subprocess")', "`import subprocess`"),
    ('eval(compile("__import__(\\"os\\")", "x", "eval"))', "`import os`"),
    ('code = "import os"\nexec(code)', "computed string"),
    ('f = getattr(__builtins__, "__import__")', "cannot read"),
    ('import builtins as b\nf = vars(b)["__imp" "ort__"]', "`import builtins`"),
])
def test_every_way_of_importing_is_ruled_alike(source, said):
    """`__import__("sympy")` costs what `import sympy` costs (issue 25): a call, a string run as code, or the
    import machinery reached by name."""
    rules = Rules.from_source(nbformat.v4.new_notebook())
    found = check_cell(source, rules, "step")
    assert found and any(said in v.message for v in found), found


def test_allowed_modules_are_allowed_however_imported():
    rules = Rules.from_source(nbformat.v4.new_notebook())
    assert check_cell('np = __import__("numpy")\nexec("import math")', rules, "step") == []
