"""exercises/ is exactly what nbgrader makes from solutions/, and the source notebooks are well formed.

That nothing leaks (and that delimiters are spelled right) is asserted by
tests/grading/test_release.py::test_repository_release_is_clean, with the release check's own tests."""
import filecmp
import re

import nbformat
import pytest

from autograder.grading import release
from autograder.layout import ROOT, chapters

GRADE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def test_exercises_are_up_to_date(tmp_path):
    fresh = release.generate_into(tmp_path / "course")
    committed = ROOT / "exercises"
    stale = []
    for path in sorted(fresh.rglob("*")):
        if path.is_file():
            twin = committed / path.relative_to(fresh)
            if not twin.exists() or not filecmp.cmp(path, twin, shallow=False):
                stale.append(str(path.relative_to(fresh)))
    extra = [str(p.relative_to(committed)) for p in committed.rglob("*")
             if p.is_file() and not (fresh / p.relative_to(committed)).exists()]
    assert not stale and not extra, (
        f"exercises/ is stale (changed: {stale}, not generated: {extra}); run `python3 course.py exercises`")


def test_leak_check_detects_a_leak(tmp_path):
    secrets = release.secret_lines()
    assert secrets, "no secret lines found: the leak check would pass vacuously"
    line = sorted(secrets)[0]
    assert release.leaks_in_text(f"x = 1\n{line}\n", secrets)
    assert release.leaks_in_text("### BEGIN HIDDEN TESTS", set())


@pytest.mark.parametrize("chapter", chapters())
def test_source_notebook_metadata(chapter):
    """Meaningful unique grade_ids; every test cell is graded, locked, has points; every answer cell has tests."""
    nb = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    metas = [c.metadata.get("nbgrader") for c in nb.cells]
    assert all(metas), "every cell carries nbgrader metadata (unmarked cells would be released unchecked)"
    ids = [m["grade_id"] for m in metas]
    assert len(ids) == len(set(ids)), "grade_ids are unique"
    assert all(GRADE_ID.match(i) for i in ids), f"grade_ids are snake_case: {ids}"
    for cell, meta in zip(nb.cells, metas):
        if meta["grade"]:
            assert meta["locked"] and meta["points"] > 0 and meta["grade_id"].startswith("test_")
            kind = "hidden" if meta["grade_id"].endswith("_hidden") else "visible"
            assert ("### BEGIN HIDDEN TESTS" in cell.source) == (kind == "hidden"), meta["grade_id"]
        if meta["solution"]:
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, meta["grade_id"]
    answers = {m["grade_id"] for m in metas if m["solution"]}
    tests = [m["grade_id"] for m in metas if m["grade"]]
    for answer in answers:
        assert any(t.startswith(f"test_{answer}") for t in tests), answer
    assert any(t.endswith("_visible") for t in tests) and any(t.endswith("_hidden") for t in tests)
