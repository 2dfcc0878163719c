"""Grades out in the formats Canvas and Moodle import, each read back and checked column by column against the
gradebook and what each LMS's import reads (export_base.py, canvas_export.py, moodle_export.py), with the per-test
reasons in feedback_reasons.csv: blank cells where nothing was graded (unless asked for zeros), LMS ids only from the
roster's columns that hold them, a warning per student the LMS cannot match, every file under grading/."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_output
from nbgrader.api import Gradebook

from autograder.grading import course_folder
from autograder.grading.lms.canvas_export import CANVAS_COLUMNS
from autograder.grading.lms.moodle_export import MOODLE_COLUMNS
from autograder.grading.roster import import_roster
from autograder.layout import ROOT
from tests.helpers.small_class import ROSTER

CHAPTER = "elman_jordan"
UNGRADED = "bptt"          # released, nobody graded yet: its column must be blank, not zeros
BIN = Path(sys.executable).parent
FAILED_TEST = "test_elman_forward_hidden"
REASON = "CheckFailure: H is wrong from time step 1 on"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A graded class without running notebooks: s001 full marks, s002 loses one test and has a late penalty of 1,
    s003 did not submit. s002's autograded notebook shows the failure, as the grader leaves it."""
    course = course_folder.make_course(tmp_path_factory.mktemp("export") / "course", [CHAPTER, UNGRADED])
    (course / "roster.csv").write_text(ROSTER)
    import_roster(course, course / "roster.csv")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in ("s001", "s002"):
            gb.update_or_create_submission(CHAPTER, student)
            notebook = gb.find_submission_notebook(CHAPTER, CHAPTER, student)
            for grade in notebook.grades:
                grade.auto_score = 0.0 if (student, grade.name) == ("s002", FAILED_TEST) else grade.max_score
            if student == "s002":
                notebook.late_submission_penalty = 1.0
        gb.db.commit()
    nb = nbformat.read(ROOT / "exercises" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == FAILED_TEST:
            cell.outputs = [new_output("error", ename="CheckFailure", evalue=REASON[len("CheckFailure: "):],
                                       traceback=[])]
    (course / "autograded" / "s002" / CHAPTER).mkdir(parents=True)
    nbformat.write(nb, course / "autograded" / "s002" / CHAPTER / f"{CHAPTER}.ipynb")
    return course


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, capture_output=True, text=True, env=env,
                          timeout=300)


def expected(course: Path) -> dict[str, tuple[float | None, float]]:
    """student -> (score after the late penalty or None where nothing was graded, max score), from the gradebook."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        max_score = gb.find_assignment(CHAPTER).max_score
        out = {s.id: (None, max_score) for s in gb.students}
        for sub in gb.find_assignment(CHAPTER).submissions:
            out[sub.student.id] = (max(0.0, sub.score - sub.late_submission_penalty), max_score)
    return out


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def cell(value: str, score: float | None) -> bool:
    return value == "" if score is None else float(value) == pytest.approx(score)


def test_canvas_export(course):
    result = nbgrader(course, "export", "--exporter=autograder.grading.lms.canvas_export.CanvasExport")
    assert result.returncode == 0, result.stderr
    rows = read(course / "grading" / "canvas_grades.csv")
    assert list(rows[0]) == CANVAS_COLUMNS + [UNGRADED, CHAPTER]
    points, students = rows[0], {r["Student"]: r for r in rows[1:]}
    want = expected(course)
    assert points["Student"] == "Points Possible" and float(points[CHAPTER]) == want["s001"][1]
    assert set(students) == {"Lovelace, Ada", "Turing, Alan", "Hopper, Grace"}
    # ID: Canvas's user id from the roster's lms_user_id; the course has no SIS ids, so those stay blank.
    assert [(r["ID"], r["SIS User ID"], r["SIS Login ID"], r["Section"]) for r in rows[1:]] == [
        ("12345", "", "", ""), ("23456", "", "", ""), ("", "", "", "")]
    by_id = dict(zip(["s001", "s002", "s003"], rows[1:]))
    for sid, (score, _) in want.items():
        assert cell(by_id[sid][CHAPTER], score), (sid, by_id[sid][CHAPTER], score)
        assert by_id[sid][UNGRADED] == "", "a chapter nobody's graded yet is blank, not 0"
    assert by_id["s003"][CHAPTER] == "", "no submission: blank, which leaves Canvas's grade as it is"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        lost = gb.find_grade(FAILED_TEST, CHAPTER, CHAPTER, "s002").max_score
    assert want["s002"][0] == want["s001"][0] - lost - 1.0   # the failed test, and the late penalty
    warnings = [line for line in result.stderr.splitlines() if "has no lms_user_id" in line]
    assert len(warnings) == 1 and "s003 has no lms_user_id on the roster: Canvas cannot match the row" in warnings[0]
    assert (course / "grading" / "feedback_reasons.csv").exists()
    assert [p.name for p in course.glob("*.csv")] == ["roster.csv"], "exports go under grading/, not the course root"


def test_missing_as_zero_when_asked(course):
    result = nbgrader(course, "export", "--exporter=autograder.grading.lms.canvas_export.CanvasExport",
                      "--LmsExport.missing_as_zero=True", "--to=grading/zeros.csv")
    assert result.returncode == 0, result.stderr
    by_name = {r["Student"]: r for r in read(course / "grading" / "zeros.csv")[1:]}
    assert (by_name["Hopper, Grace"][CHAPTER], by_name["Hopper, Grace"][UNGRADED]) == ("0.0", "0.0")


def test_moodle_export_selected_in_the_config(course):
    config = (course / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(
        config + '\nc.ExportApp.plugin_class = "autograder.grading.lms.moodle_export.MoodleExport"\n')
    try:
        result = nbgrader(course, "export", "--to=out/moodle.csv")
    finally:
        (course / "nbgrader_config.py").write_text(config)
    assert result.returncode == 0, result.stderr
    rows = read(course / "out" / "moodle.csv")
    assert list(rows[0]) == MOODLE_COLUMNS + [UNGRADED, CHAPTER]
    # Moodle matches by Email address (mapped to useremail); its ID number is Moodle's own idnumber: blank.
    students = {r["Email address"]: r for r in rows}
    assert (students["alan@example.org"]["First name"], students["alan@example.org"]["ID number"]) == ("Alan", "")
    emails = {"s001": "ada@example.org", "s002": "alan@example.org", "s003": "grace@example.org"}
    for sid, (score, _) in expected(course).items():
        assert cell(students[emails[sid]][CHAPTER], score) and students[emails[sid]][UNGRADED] == ""
    assert "has no email" not in result.stderr


def test_reasons_file(course):
    if not (course / "grading" / "feedback_reasons.csv").exists():
        exporter = "--exporter=autograder.grading.lms.canvas_export.CanvasExport"
        assert nbgrader(course, "export", exporter).returncode == 0
    rows = [r for r in read(course / "grading" / "feedback_reasons.csv") if r["assignment"] == CHAPTER]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        tests = sorted(g.name for g in gb.find_notebook(CHAPTER, CHAPTER).grade_cells)
        for row in rows:
            if row["test"]:
                grade = gb.find_grade(row["test"], CHAPTER, CHAPTER, row["student_id"])
                assert float(row["score"]) == grade.score and float(row["max_score"]) == grade.max_score
    assert sorted(r["test"] for r in rows if r["student_id"] == "s001") == tests
    lost = [r for r in rows if r["student_id"] == "s002" and float(r["score"]) < float(r["max_score"])]
    assert [(r["test"], r["reason"]) for r in lost] == [(FAILED_TEST, REASON)]
    assert [(r["test"], r["reason"]) for r in rows if r["student_id"] == "s003"] == [("", "no submission")]


def test_export_with_an_empty_roster_says_what_to_run(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text())
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment(CHAPTER)
    result = nbgrader(course, "export", "--exporter=autograder.grading.lms.moodle_export.MoodleExport")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "the roster is empty: run `python3 course.py roster import roster.csv`" in result.stderr
