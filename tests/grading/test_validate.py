"""The coordinator trusts a worker's result only as far as the gradebook confirms it (issue 25, item 4): points come
from the gradebook, a returned notebook whose graded cells or test sources differ from the gradebook's is "not
graded" (the grader's failure), and a worker that inflates its points changes nothing."""
from __future__ import annotations

import nbformat

from autograder.grading import autograde
from autograder.grading.validate import GradebookRecord, check_result
from tests.helpers.small_class import CHAPTER, copy_class


def _graded(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def test_check_result_names_each_mismatch():
    record = GradebookRecord({"t1": 1.0, "t2": 2.0}, {"t1": "check(f())", "t2": "check(g())"})
    meta = lambda gid, points: {"nbgrader": {"grade": True, "grade_id": gid, "points": points, "solution": False}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("check(f())", metadata=meta("t1", 100)),
                                         nbformat.v4.new_code_cell("pass", metadata=meta("t2", 2)),
                                         nbformat.v4.new_code_cell("x", metadata=meta("t9", 5))])
    problems = check_result(nb, record)
    assert _graded(nb)[0].metadata["nbgrader"]["points"] == 1.0, "points must come from the gradebook"
    assert any("t2: the test's source" in p for p in problems) and any("'t9'" in p for p in problems), problems
    nb.cells = nb.cells[:1]
    assert check_result(nb, record) == ["graded cells missing: t2"]


def test_a_worker_that_inflates_points_or_drops_a_test(tmp_path, small_class, local_grades, monkeypatch):
    real = autograde.run_notebook_job

    def tampering_worker(payload):
        result = real(payload)
        nb = nbformat.reads(result["executed"], as_version=4)
        for cell in _graded(nb):
            cell.metadata["nbgrader"]["points"] = 100            # every cell claims 100 points
        if payload["student"] == "partial":                      # and one result loses a test cell
            nb.cells.remove(_graded(nb)[-1])
        result["executed"] = nbformat.writes(nb)
        return result
    monkeypatch.setattr(autograde, "run_notebook_job", tampering_worker)
    course = copy_class(small_class, tmp_path)
    run = autograde.grade(course, [CHAPTER], workers=1, timeout=10, feedback=False, report=False,
                          log=lambda *a: None)
    correct, partial = run.outcomes[CHAPTER]["correct"], run.outcomes[CHAPTER]["partial"]
    assert correct.score == local_grades["correct"]["score"] and correct.max_score == local_grades["correct"][
        "max_score"], "the worker's points reached the grade"
    assert partial.status == autograde.NOT_GRADED and "does not match the gradebook" in partial.notes[0]


def test_a_restored_test_keeps_its_note():
    record = GradebookRecord({"t1": 1.0}, {"t1": "check(f())"})
    meta = {"nbgrader": {"grade": True, "grade_id": "t1", "points": 1, "solution": False}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "# This cell (id=t1) was missing from the submission. It was added back by nbgrader.\n\ncheck(f())",
        metadata=meta)])
    assert check_result(nb, record) == []
    nb.cells[0].source = "pass\ncheck(f())"
    assert check_result(nb, record) == ["t1: the test's source is not the gradebook's"]


def test_a_worker_returns_plain_data_with_its_scores_and_feedback(tmp_path, small_class, local_grades, monkeypatch):
    """Issue 25: a worker's result is JSON's types only (no pickled objects): the notebook as text, its scores,
    the reasons and the feedback page, all of which survive json.dumps/loads unchanged."""
    import json
    real = autograde.run_notebook_job
    seen = []

    def checked(payload):
        result = real(payload)
        if json.loads(json.dumps(result)) != result:
            raise TypeError("not plain data")
        seen.append(payload["id"])
        return result
    monkeypatch.setattr(autograde, "run_notebook_job", checked)
    course = copy_class(small_class, tmp_path)
    run = autograde.grade(course, [CHAPTER], workers=1, timeout=10, feedback=True, report=False,
                          log=lambda *a: None)
    assert all(o.status == "graded" for o in run.outcomes[CHAPTER].values()), run.outcomes
    assert {s: o.score for s, o in run.outcomes[CHAPTER].items()} == {
        s: g["score"] for s, g in local_grades.items()}
    for student in run.outcomes[CHAPTER]:
        page = (course / "feedback" / student / CHAPTER / f"{CHAPTER}.html").read_text()
        assert f"Score: {run.outcomes[CHAPTER][student].score}" in page


def test_a_worker_claiming_other_scores_is_not_recorded(tmp_path, small_class, monkeypatch):
    """The scores a worker puts on its feedback page must be the gradebook's scoring of its notebook."""
    real = autograde.run_notebook_job

    def boasting(payload):
        result = real(payload)
        result["grades"] = {gid: [points, points] for gid, (_, points) in result["grades"].items()}
        return result
    monkeypatch.setattr(autograde, "run_notebook_job", boasting)
    course = copy_class(small_class, tmp_path)
    run = autograde.grade(course, [CHAPTER], workers=1, timeout=10, feedback=True, report=False,
                          log=lambda *a: None)
    partial = run.outcomes[CHAPTER]["partial"]
    assert partial.status == autograde.NOT_GRADED and "scores differ" in partial.notes[0], partial.notes
    assert not (course / "feedback" / "partial").exists()
