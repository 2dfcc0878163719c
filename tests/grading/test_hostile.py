"""Hostile and broken submissions, graded together in ONE run of the course's grading command
(autograder.grading.autograde),
with another process holding the gradebook's lock when the run starts. Each case asserts the grade, the reason,
and that nothing was lost, leaked or changed."""
import csv
import dataclasses
import json
import os
import subprocess
import sys
import time

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.grading import course_folder, sandbox
from autograder.grading.autograde import grade
from autograder.grading.demo import answer_from_solution, sample_notebook
from autograder.grading.samples import Sample
from autograder.layout import ROOT
from tests.grading.hostile_samples import ALL, HOSTILE, MARKERS

CHAPTER = "elman_jordan"
ROSTER_ONLY = ("absent", "no_notebook")          # on the roster, no notebook submitted
needs_root = pytest.mark.skipif(not sandbox.can_switch_user(),
                                reason="the sandbox switches to an unprivileged user, which needs root")


def hostile_notebook(case, course):
    cells = {g: src.replace("COURSE", str(course)) for g, src in case.cells.items()}
    return sample_notebook(CHAPTER, dataclasses.replace(case, cells=cells))


@pytest.fixture(scope="session")
def hostile_run(tmp_path_factory):
    for m in MARKERS:
        if os.path.exists(m):
            os.remove(m)
    out = tmp_path_factory.mktemp("hostile")
    course = course_folder.make_course(out / "course", [CHAPTER])
    students = sorted(HOSTILE) + ["correct", *ROSTER_ONLY]
    course_folder.add_students(course, students)
    for name, case in HOSTILE.items():
        path = out / f"{name}.ipynb"
        if case.raw is not None:
            path.write_text(case.raw)
        else:
            nbformat.write(hostile_notebook(case, course), path)
        course_folder.submit(course, name, CHAPTER, path)
    nbformat.write(sample_notebook(CHAPTER, Sample("right")), out / "correct.ipynb")
    course_folder.submit(course, "correct", CHAPTER, out / "correct.ipynb")
    (course / "submitted" / "no_notebook" / CHAPTER).mkdir(parents=True)
    config_before = (course / "nbgrader_config.py").read_bytes()
    # Another process holds the gradebook's write lock for the first seconds of the run.
    locker = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, time, sys; db = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(8); db.execute('COMMIT')"),
        str(course / "gradebook.db")], stdout=subprocess.PIPE, text=True)
    assert locker.stdout.readline().strip() == "locked"
    run = grade(course, [CHAPTER], workers=2, timeout=5, log=lambda *a: None)
    locker.wait()
    time.sleep(5)            # the background process would have acted by now
    return course, run, config_before


def outcome(hostile_run, student):
    return hostile_run[1].outcomes[CHAPTER][student]


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_hostile_submission_is_graded_with_reasons(hostile_run, student):
    case, o = HOSTILE[student], outcome(hostile_run, student)
    assert o.status == ("invalid" if case.raw is not None else "graded")
    assert o.cells, "every test has a recorded score"
    for cell in o.cells:
        phrase = case.lost.get(cell.grade_id, case.lost.get(ALL))
        if phrase:
            assert cell.score == 0, (cell.grade_id, cell.score)
            assert phrase.lower() in cell.reason.lower(), (cell.grade_id, cell.reason)
        else:
            assert cell.score == cell.max_score, (cell.grade_id, cell.reason)
    if case.note:
        assert any(case.note in n for n in o.notes), o.notes


def test_recorded_in_gradebook_and_json(hostile_run):
    course, run, _ = hostile_run
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, o in run.outcomes[CHAPTER].items():
            if o.status == "missing":
                continue
            sub = gb.find_submission(CHAPTER, student)
            assert sub.score == o.score, student
            assert all(g.manual_score is None for nb in sub.notebooks for g in nb.grades), student
    saved = json.loads((course / "grading" / CHAPTER / "exits.json").read_text())
    assert saved["score"] == outcome(hostile_run, "exits").score


def test_correct_student_is_unaffected(hostile_run):
    o = outcome(hostile_run, "correct")
    assert o.score == o.max_score > 0, o.reasons()


def test_export_lists_the_whole_roster(hostile_run):
    course = hostile_run[0]
    with open(course / "grading" / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(HOSTILE) | {"correct", *ROSTER_ONLY}
    for s in ROSTER_ONLY:
        assert rows[s]["status"] == "missing" and float(rows[s]["score"]) == 0
    assert rows["not_json"]["status"] == "invalid"
    assert float(rows["correct"]["score"]) == float(rows["correct"]["max_score"])


@needs_root
def test_nothing_changed_or_left_running(hostile_run):
    course, run, config_before = hostile_run
    assert run.integrity_problems == []
    assert (course / "nbgrader_config.py").read_bytes() == config_before
    for m in MARKERS:
        assert not os.path.exists(m), f"{m}: a student's process ran after its notebook"
    for slot in range(2):
        uid = sandbox.ensure_user(slot)[0]
        assert sandbox.user_pids(uid) == []


@needs_root
def test_hidden_tests_and_other_students_not_leaked(hostile_run):
    course = hostile_run[0]
    secret = next(line for line in answer_from_solution(
        (ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb").read_text()).splitlines() if "torch_rnn_cases" in line)
    graded = (course / "autograded" / "reads_solutions" / CHAPTER / f"{CHAPTER}.ipynb").read_text()
    output = "".join(o.get("text", "") for c in nbformat.reads(graded, as_version=4).cells
                     if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade_id") == "elman_step"
                     for o in c.outputs)
    assert "could not read" in output and "PermissionError" in output, output
    assert "BEGIN HIDDEN TESTS" not in output and "torch_rnn_cases" not in output
    assert "def elman_step" not in output, "another student's notebook was readable"
    feedback = (course / "feedback" / "reads_solutions" / CHAPTER / f"{CHAPTER}.html").read_text()
    assert "BEGIN HIDDEN TESTS" not in feedback and secret.strip() not in feedback


@needs_root
def test_sandbox_user_cannot_reach_course_files(hostile_run):
    course = hostile_run[0]
    from autograder.grading.autograde import private_paths
    assert sandbox.probe(private_paths(course), sandbox.ensure_user(0)) == []


def test_feedback_says_why_without_hidden_source(hostile_run):
    course = hostile_run[0]
    html = (course / "feedback" / "allclose" / CHAPTER / f"{CHAPTER}.html").read_text()
    assert "GradingPolicy" in html and "np.allclose" in html
    assert "BEGIN HIDDEN TESTS" not in html


def test_class_report(hostile_run):
    folder = hostile_run[0] / "grading"
    md = (folder / "report.md").read_text()
    assert "Most common failure messages" in md and "test_jordan_forward_hidden" in md
    assert (folder / "report.png").stat().st_size > 5000
    with open(folder / "report.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["test"] for r in rows} >= {"test_elman_step_visible", "test_concat_hidden"}
