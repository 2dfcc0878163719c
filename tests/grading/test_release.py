"""The release check fails on what nbgrader releases silently: a mistyped delimiter, an unmarked helper cell,
delimiter-like text or solution lines in a student-facing file."""
import shutil

import nbformat
from nbformat.v4 import new_code_cell

from autograder.grading.release import release_problems, source_problems, student_facing_problems
from autograder.layout import ROOT

CHAPTER = "elman_jordan"


def _copy(tmp_path):
    for d in ("solutions", "exercises"):
        shutil.copytree(ROOT / d / CHAPTER, tmp_path / d / CHAPTER)
    return tmp_path / "solutions" / CHAPTER / f"{CHAPTER}.ipynb"


def test_repository_release_is_clean():
    assert release_problems(ROOT) == []


def test_mistyped_hidden_test_delimiter_fails(tmp_path):
    src = _copy(tmp_path)
    nb = nbformat.read(src, as_version=4)
    cell = next(c for c in nb.cells if "### BEGIN HIDDEN TESTS" in c.source)
    cell.source = cell.source.replace("### BEGIN HIDDEN TESTS", "### BEGIN HIDDEN TEST")
    nbformat.write(nb, src)
    problems = source_problems(tmp_path)
    assert any("malformed delimiter '### BEGIN HIDDEN TEST'" in p for p in problems), problems
    assert any("'### END HIDDEN TESTS'" in p for p in problems), problems


def test_misspelled_delimiter_keyword_fails(tmp_path):
    """A typo in the keyword itself ('SOLUTON') also leaves the answer in the student version."""
    src = _copy(tmp_path)
    nb = nbformat.read(src, as_version=4)
    cell = next(c for c in nb.cells if "### BEGIN SOLUTION" in c.source)
    cell.source = cell.source.replace("### BEGIN SOLUTION", "### BEGIN SOLUTON")
    nbformat.write(nb, src)
    problems = source_problems(tmp_path)
    assert any("malformed delimiter '### BEGIN SOLUTON'" in p for p in problems), problems


def test_unmarked_helper_cell_fails(tmp_path):
    src = _copy(tmp_path)
    nb = nbformat.read(src, as_version=4)
    nb.cells.insert(3, new_code_cell("def _step(X_t, H_prev, W_xh, W_hh, b_h):\n"
                                     "    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)"))
    nbformat.write(nb, src)
    assert any("without nbgrader metadata" in p for p in source_problems(tmp_path))


def test_leaked_hidden_test_in_exercises_fails(tmp_path):
    _copy(tmp_path)
    released = tmp_path / "exercises" / CHAPTER / f"{CHAPTER}.ipynb"
    nb = nbformat.read(released, as_version=4)
    solution = nbformat.read(tmp_path / "solutions" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    hidden = next(c for c in solution.cells if "### BEGIN HIDDEN TESTS" in c.source)
    nb.cells.append(new_code_cell(hidden.source.replace("### BEGIN HIDDEN TESTS", "### BEGIN HIDDEN TEST")))
    nbformat.write(nb, released)
    problems = student_facing_problems(tmp_path)
    assert any("delimiter-like line" in p for p in problems), problems
    assert any("secret line" in p for p in problems), problems
