"""Grades out in the formats Canvas and Moodle import, each read back by the rules of that LMS's importer (written
from its source below: what each requires, what each ignores, how each reads a blank) and checked column by column
against the gradebook (export_base.py, canvas_export.py, moodle_export.py), with the per-test reasons in
feedback_reasons.csv: "no grade" where nothing was graded (unless asked for zeros), LMS ids only from the roster's
columns that hold them, a warning per student the LMS cannot match, every file under grading/."""
from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_output
from nbgrader.api import Gradebook

from autograder.grading import course_folder
from autograder.grading.lms.canvas_export import CANVAS_COLUMNS, CANVAS_IGNORES
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


# What each LMS takes from a file, written from its importer's source (the rules that decide a grade, nothing else).
# Canvas's users in this test: user id -> (name, sortable name).
CANVAS_USERS = {"12345": ("Ada Lovelace", "Lovelace, Ada"), "23456": ("Alan Turing", "Turing, Alan"),
                "34567": ("Grace Hopper", "Hopper, Grace")}


def canvas_reads(path: Path) -> tuple[dict[str, str], dict[str, dict[str, str | None]]]:
    """(points possible per assignment, Canvas user id -> assignment -> grade, None for "no grade"), as canvas-lms's
    GradebookImporter parses a file (app/models/gradebook_importer.rb: header?, update_column_count,
    strip_non_assignment_columns, check_for_non_student_row, process_student) and ProcessGradebookUpload posts it
    (a blank cell is posted as an empty grade)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1], "Canvas: invalid header row"
    student_columns = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        student_columns += 1
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        student_columns += 2
    assert "Section" in header[student_columns - 1], "Canvas: the last student column must be Section"
    assignments = [(i, h) for i, h in enumerate(header) if i >= student_columns and not CANVAS_IGNORES.search(h)]
    points, grades = {}, {}
    for row in rows[1:]:
        if "Points Possible" in row[0]:
            points = {h: row[i] for i, h in assignments}
            continue
        user = row[1] if row[1] in CANVAS_USERS else next(          # by ID, then (no SIS ids here) by name
            (u for u, names in CANVAS_USERS.items() if row[0] in names), None)
        assert user is not None, f"Canvas matches no user to {row[:2]}"
        grades[user] = {h: row[i].strip() or None for i, h in assignments}
    return points, grades


def moodle_reads(path: Path, map_from: str = "Email address") -> dict[str, dict[str, float | None]]:
    """email -> grade item -> grade (None for "no grade"), as Moodle's CSV grade import reads a file mapped from
    `map_from` to useremail (grade/import/csv/classes/load_data.php: prepare_import_grade_data, update_grade_item):
    the user is not reset between lines, so a row with a blank identifier would take the row above's user."""
    rows = read(path)
    grades, user = {}, None
    for row in rows:
        user = row[map_from] or user
        assert row[map_from], f"a row with no {map_from} ({row}) would go to {user or 'nobody: import aborted'}"
        grades[user] = {k: None if v.strip() in ("", "-") else float(v) for k, v in row.items()
                        if k not in MOODLE_COLUMNS}
    return grades


def test_canvas_export(course):
    result = nbgrader(course, "export", "--exporter=autograder.grading.lms.canvas_export.CanvasExport")
    assert result.returncode == 0, result.stderr
    path = course / "grading" / "canvas_grades.csv"
    assert list(read(path)[0]) == CANVAS_COLUMNS + [CHAPTER], "a chapter nobody's graded yet is left out"
    assert f"left out, nobody has a graded submission yet: {UNGRADED}" in result.stderr
    points, grades = canvas_reads(path)
    want = expected(course)
    assert points == {CHAPTER: str(want["s001"][1])}
    # Ada and Alan matched by ID (the roster's lms_user_id); Grace has none, so Canvas matches her by name only.
    canvas_id = {"s001": "12345", "s002": "23456", "s003": "34567"}
    for sid, (score, _) in want.items():
        got = grades[canvas_id[sid]][CHAPTER]
        assert (got is None) if score is None else float(got) == pytest.approx(score), (sid, got, score)
    assert grades["34567"][CHAPTER] is None, "no submission: no grade, never 0"
    rows = read(path)[1:]
    assert [(r["ID"], r["SIS User ID"], r["SIS Login ID"], r["Section"]) for r in rows] == [
        ("12345", "", "", ""), ("23456", "", "", ""), ("", "", "", "")], "SIS columns stay blank: no SIS ids"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        lost = gb.find_grade(FAILED_TEST, CHAPTER, CHAPTER, "s002").max_score
    assert want["s002"][0] == want["s001"][0] - lost - 1.0   # the failed test, and the late penalty
    warnings = [line for line in result.stderr.splitlines() if "has no lms_user_id" in line]
    assert len(warnings) == 1 and "s003 has no lms_user_id on the roster: Canvas can match the row only by the " \
        "name 'Hopper, Grace'" in warnings[0]
    assert (course / "grading" / "feedback_reasons.csv").exists()
    assert [p.name for p in course.glob("*.csv")] == ["roster.csv"], "exports go under grading/, not the course root"


def test_a_column_canvas_would_ignore_is_refused(course):
    result = nbgrader(course, "export", "--exporter=autograder.grading.lms.canvas_export.CanvasExport",
                      f"--LmsExport.assignment_columns={{'{CHAPTER}': 'Final Grade'}}", "--to=grading/x.csv")
    assert result.returncode == 1 and "Canvas ignores a column named 'Final Grade'" in result.stderr, result.stderr


def test_missing_as_zero_when_asked(course):
    result = nbgrader(course, "export", "--exporter=autograder.grading.lms.canvas_export.CanvasExport",
                      "--LmsExport.missing_as_zero=True", "--to=grading/zeros.csv")
    assert result.returncode == 0, result.stderr
    _, grades = canvas_reads(course / "grading" / "zeros.csv")
    assert (grades["34567"][CHAPTER], grades["34567"][UNGRADED]) == ("0.0", "0.0")


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
    assert list(rows[0]) == MOODLE_COLUMNS + [CHAPTER]
    # Moodle matches by Email address (mapped to useremail); its ID number is Moodle's own idnumber: blank.
    assert {r["ID number"] for r in rows} == {""}
    grades = moodle_reads(course / "out" / "moodle.csv")
    emails = {"s001": "ada@example.org", "s002": "alan@example.org", "s003": "grace@example.org"}
    for sid, (score, _) in expected(course).items():
        got = grades[emails[sid]][CHAPTER]
        assert (got is None) if score is None else got == pytest.approx(score), (sid, got, score)
    assert "has no email" not in result.stderr


def test_moodle_leaves_out_a_student_without_an_email(course, tmp_path):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_student("s002", email=None)
    try:
        result = nbgrader(course, "export", "--exporter=autograder.grading.lms.moodle_export.MoodleExport",
                          f"--to={tmp_path / 'moodle.csv'}")
    finally:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            gb.update_or_create_student("s002", email="alan@example.org")
    assert result.returncode == 0, result.stderr
    assert "s002 has no email on the roster: left out of the file" in result.stderr
    assert set(moodle_reads(tmp_path / "moodle.csv")) == {"ada@example.org", "grace@example.org"}


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
