"""One pipeline, every route (issue 25, item 1): the same class, honest and hostile submissions, graded by
`course.py grade`'s function, by plain `nbgrader autograde` and by the formgrader's Autograde (nbgrader's API in
this process) gets the same score on every test cell. The class holds what the routes used to disagree on: a
submitted symlink to the solutions, `__import__` and `import subprocess` (the NumPy-only rule), a notebook saved
with a byte-order mark, a pasted test cell and a deleted one (metadata repaired, cells restored)."""
from __future__ import annotations

import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.grading import course_folder
from autograder.grading.autograde import grade
from autograder.grading.release import nbgrader
from tests.grading.test_isolation import notebook

CHAPTER = "elman_jordan"


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def submissions() -> dict[str, bytes | str]:
    """{student: notebook bytes}, or the string "link" for a symlink to the solutions."""
    out = {"correct": nbformat.writes(notebook(False)).encode(), "link": "link"}
    nb = notebook(False)
    _cell(nb, "elman_step").source = ('sp = __import__("sympy")\ndef elman_step(X_t, H_prev, W_xh, W_hh, b_h):\n'
                                      '    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)\n')
    out["dunder_import"] = nbformat.writes(nb).encode()
    nb = notebook(False)
    _cell(nb, "jordan_forward").source = "import subprocess\n" + _cell(nb, "jordan_forward").source
    out["subprocess"] = nbformat.writes(nb).encode()
    out["bom"] = b"\xef\xbb\xbf" + nbformat.writes(notebook(False)).encode()
    nb = notebook(False)
    original = _cell(nb, "test_elman_step_visible")
    nb.cells.insert(nb.cells.index(original) + 1, nbformat.from_dict(original))
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_concat_hidden"]
    out["metadata"] = nbformat.writes(nb).encode()
    return out


@pytest.fixture(scope="module")
def routes_class(tmp_path_factory):
    course = course_folder.make_course(tmp_path_factory.mktemp("routes") / "course", [CHAPTER])
    subs = submissions()
    course_folder.add_students(course, sorted(subs))
    for student, data in subs.items():
        path = course / "submitted" / student / CHAPTER / f"{CHAPTER}.ipynb"
        path.parent.mkdir(parents=True)
        if data == "link":
            path.symlink_to(course / "solutions" / CHAPTER / f"{CHAPTER}.ipynb")
        else:
            path.write_bytes(data)
    return course


def cell_scores(course, students) -> dict[str, dict[str, float]]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s: {g.name: g.score for g in gb.find_submission_notebook(CHAPTER, CHAPTER, s).grades}
                for s in students}


@pytest.fixture(scope="module")
def by_grade(routes_class, tmp_path_factory):
    course = shutil.copytree(routes_class, tmp_path_factory.mktemp("by-grade") / "course", symlinks=True)
    run = grade(course, [CHAPTER], workers=1, timeout=20, feedback=False, report=False, log=lambda *a: None)
    assert run.not_graded() == []
    return cell_scores(course, submissions())


def test_grade_command_grades_as_written_down(by_grade):
    full = by_grade["correct"]
    assert all(score == full_score for score, full_score in zip(by_grade["bom"].values(), full.values()))
    assert sum(by_grade["link"].values()) == 0, "a symlink to the solutions was followed"
    assert by_grade["dunder_import"]["test_elman_step_visible"] == 0, "__import__('sympy') passed the rule"
    assert by_grade["subprocess"]["test_jordan_forward_hidden"] == 0
    assert by_grade["subprocess"]["test_elman_step_hidden"] > 0
    assert by_grade["metadata"] == full


def test_nbgrader_autograde_agrees(routes_class, by_grade, tmp_path):
    course = shutil.copytree(routes_class, tmp_path / "course", symlinks=True)
    result = nbgrader("autograde", CHAPTER, "--force", root=course, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert cell_scores(course, by_grade) == by_grade
    graded = (course / "autograded" / "link" / CHAPTER / f"{CHAPTER}.ipynb").read_text()
    assert "a symbolic link (not followed)" in graded and "### BEGIN SOLUTION" not in graded
    policy_note = str(_cell(nbformat.reads((course / "autograded" / "subprocess" / CHAPTER / f"{CHAPTER}.ipynb")
                                           .read_text(), as_version=4), "test_jordan_forward_hidden").outputs)
    assert "GradingPolicy" in policy_note and "subprocess" in policy_note


def test_formgrader_autograde_agrees(routes_class, by_grade, tmp_path):
    """The formgrader's Autograde button: nbgrader's API, in this (long-lived) process, one student at a time."""
    from tests.helpers.formgrader_api import formgrader_api, lock_is_free

    course = shutil.copytree(routes_class, tmp_path / "course", symlinks=True)
    api = formgrader_api(course)
    for student in sorted(by_grade):
        result = api.autograde(CHAPTER, student, force=True, create=True)
        assert result["success"], result.get("log", "")[-3000:]
    assert cell_scores(course, by_grade) == by_grade
    assert not (course / ".grading.lock").exists() or lock_is_free(course)


def test_dask_workers_agree(routes_class, by_grade, tmp_path):
    """The same class on a Dask cluster's worker (one, so that every notebook runs in one long-lived process)."""
    from tests.helpers.servers import dask_cluster
    course = shutil.copytree(routes_class, tmp_path / "course", symlinks=True)
    with dask_cluster(tmp_path / "dask", workers=1) as dc:
        run = grade(course, [CHAPTER], timeout=20, feedback=False, report=False, log=lambda *a: None,
                    scheduler=dc.address)
    assert run.not_graded() == []
    assert cell_scores(course, by_grade) == by_grade
