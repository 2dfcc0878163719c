"""Hostile and broken submissions, graded together in ONE run of the course's grading command
(autograder.grading.autograde), each notebook in its own bubblewrap sandbox, with another process holding the
gradebook's lock when the run starts. Each case asserts the grade, the reason, and that nothing was lost, leaked or
changed; the correct student's full marks show that no other student's result changed."""
import csv
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook, MissingEntry

from autograder.grading import course_folder, sandbox
from autograder.grading.autograde import grade
from autograder.grading.demo import answer_from_solution, sample_notebook
from autograder.grading.samples import Sample
from autograder.layout import ROOT
from tests.grading.hostile_samples import ALL, HOSTILE, LONG_NAME, MARKERS, STATUS

CHAPTER = "elman_jordan"
ROSTER_ONLY = ("absent", "no_notebook")          # on the roster, no notebook submitted
BUDGET = sandbox.Budget(wall_s=300, disk_bytes=64 * 2**20, output_bytes=2**20, cell_output_bytes=256 * 2**10)
pytestmark = pytest.mark.skipif(bool(sandbox.unavailable_reason()), reason=str(sandbox.unavailable_reason()))


def hostile_notebook(case, course):
    cells = {g: src.replace("COURSE", str(course)) for g, src in case.cells.items()}
    return sample_notebook(CHAPTER, dataclasses.replace(case, cells=cells))


def _special(name, nb, course):
    """What some cases do beyond their code: paste a test cell, break metadata, link files."""
    if name == "pasted_test":
        test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_elman_step_visible")
        nb.cells.append(nbformat.from_dict(json.loads(json.dumps(test))))
    if name == "bad_metadata":
        nb.cells.append(nbformat.v4.new_code_cell("print('hello')", metadata={"nbgrader": "x"}))
    return nb


def _link(name, course):
    folder = course / "submitted" / name / CHAPTER
    if name == "links_solution":
        (folder / f"{CHAPTER}.ipynb").unlink()
        (folder / f"{CHAPTER}.ipynb").symlink_to(course / "solutions" / CHAPTER / f"{CHAPTER}.ipynb")
    if name == "links_classmate":
        import shutil
        shutil.rmtree(course / "submitted" / name)
        (course / "submitted" / name).symlink_to(course / "submitted" / "correct")
    if name == "timestamp_shadow":
        (folder / "timestamp.txt").symlink_to("/etc/shadow")


@pytest.fixture(scope="session")
def hostile_run(tmp_path_factory):
    for m in MARKERS:
        if os.path.exists(m):
            os.remove(m)
    out = tmp_path_factory.mktemp("hostile")
    course = course_folder.make_course(out / "course", [CHAPTER])
    students = sorted(s for s in HOSTILE if s != LONG_NAME) + ["correct", *ROSTER_ONLY]
    course_folder.add_students(course, students)
    nbformat.write(sample_notebook(CHAPTER, Sample("right")), out / "correct.ipynb")
    course_folder.submit(course, "correct", CHAPTER, out / "correct.ipynb")
    for index, (name, case) in enumerate(HOSTILE.items()):
        path = out / f"case{index}.ipynb"
        if case.raw is not None:
            path.write_text(case.raw)
        else:
            nbformat.write(_special(name, hostile_notebook(case, course), course), path)
        course_folder.submit(course, name, CHAPTER, path)
        _link(name, course)
    (course / "submitted" / "no_notebook" / CHAPTER).mkdir(parents=True)
    config_before = (course / "nbgrader_config.py").read_bytes()
    # Another process holds the gradebook's write lock for the first seconds of the run.
    locker = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, time, sys; db = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(8); db.execute('COMMIT')"),
        str(course / "gradebook.db")], stdout=subprocess.PIPE, text=True)
    assert locker.stdout.readline().strip() == "locked"
    run = grade(course, [CHAPTER], workers=2, timeout=20, log=lambda *a: None, budget=BUDGET)
    locker.wait()
    time.sleep(5)            # the background process would have acted by now
    return course, run, config_before


def outcome(hostile_run, student):
    return hostile_run[1].outcomes[CHAPTER][student]


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_hostile_submission_is_graded_with_reasons(hostile_run, student):
    case, o = HOSTILE[student], outcome(hostile_run, student)
    assert o.status == STATUS.get(student, "graded"), (o.status, o.notes)
    if o.status == "not graded":
        assert not o.cells and any(case.lost[ALL] in n for n in o.notes), o.notes
        return
    assert o.cells, "every test has a recorded score"
    for cell in o.cells:
        phrase = case.lost.get(cell.grade_id, case.lost.get(ALL))
        if phrase is not None:          # "" : lost, for whatever reason the checks give
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
            if o.status in ("missing", "not graded"):      # nothing recorded for them
                with pytest.raises(MissingEntry):
                    gb.find_submission(CHAPTER, student)
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
    assert set(rows) == set(HOSTILE) - {LONG_NAME} | {"correct", *ROSTER_ONLY}
    for s in ROSTER_ONLY:
        assert rows[s]["status"] == "missing" and float(rows[s]["score"]) == 0
    assert rows["not_json"]["status"] == "invalid"
    assert float(rows["correct"]["score"]) == float(rows["correct"]["max_score"])


def test_nothing_changed_or_left_running(hostile_run):
    course, run, config_before = hostile_run
    assert run.integrity_problems == []
    assert (course / "nbgrader_config.py").read_bytes() == config_before
    for m in MARKERS:
        assert not os.path.exists(m), f"{m}: a student's process ran after its notebook"
    # The background case's command line names the course; other runs' sandboxes (other tests) do not.
    left = [p for p in os.listdir("/proc") if p.isdigit() and str(course).encode() in _cmdline(p)]
    assert left == [], "a sandbox's process outlived the run"


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_not_graded_listed_and_command_fails(hostile_run):
    run = hostile_run[1]
    assert [o.student for o in run.not_graded()] == [LONG_NAME]
    assert not run.ok()


def test_hidden_tests_and_other_students_not_leaked(hostile_run):
    course = hostile_run[0]
    secret = next(line for line in answer_from_solution(
        (ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb").read_text()).splitlines() if "torch_rnn_cases" in line)
    for student in ("reads_solutions", "links_solution", "links_classmate"):
        graded = course / "autograded" / student / CHAPTER / f"{CHAPTER}.ipynb"
        if not graded.exists():
            continue
        output = "".join(o.get("text", "") for c in nbformat.reads(graded.read_text(), as_version=4).cells
                         if c.cell_type == "code" for o in c.outputs)
        assert "BEGIN HIDDEN TESTS" not in output and "torch_rnn_cases" not in output
        assert "def elman_step" not in output, "another student's notebook was readable"
        if student == "reads_solutions":
            assert "could not read" in output and "FileNotFoundError" in output, output
        feedback = (course / "feedback" / student / CHAPTER / f"{CHAPTER}.html")
        if feedback.exists():
            assert "BEGIN HIDDEN TESTS" not in feedback.read_text() and secret.strip() not in feedback.read_text()
    assert outcome(hostile_run, "links_classmate").score == 0


def test_symlinked_timestamp_not_copied(hostile_run):
    course = hostile_run[0]
    for folder in ("autograded", "feedback"):
        assert not (course / folder / "timestamp_shadow" / CHAPTER / "timestamp.txt").exists()


def test_output_cut_and_disk_capped(hostile_run):
    course = hostile_run[0]
    graded = course / "autograded" / "prints_a_lot" / CHAPTER / f"{CHAPTER}.ipynb"
    assert graded.stat().st_size < 4 * BUDGET.output_bytes
    text = graded.read_text()
    assert "over the output budget" in text
    filled = (course / "autograded" / "fills_disk" / CHAPTER / f"{CHAPTER}.ipynb").read_text()
    assert "No space left on device" in filled or "File too large" in filled


def test_feedback_says_why_without_hidden_source(hostile_run):
    course = hostile_run[0]
    html = (course / "feedback" / "background" / CHAPTER / f"{CHAPTER}.html").read_text()
    assert "GradingPolicy" in html and "import subprocess" in html
    assert "BEGIN HIDDEN TESTS" not in html


def test_class_report(hostile_run):
    folder = hostile_run[0] / "grading"
    md = (folder / "report.md").read_text()
    assert "Most common failure messages" in md and "test_jordan_forward_hidden" in md
    assert (folder / "report.png").stat().st_size > 5000
    with open(folder / "report.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["test"] for r in rows} >= {"test_elman_step_visible", "test_concat_hidden"}


def test_submissions_read_safely_and_within_budget(tmp_path):
    """Without running anything: symlinks refused, sizes and cell counts checked, unsafe ids named."""
    from autograder.grading.autograde import read_submission, read_timestamp
    from autograder.grading.student_ids import unsafe_id_reason
    folder = tmp_path / "submitted" / "s1" / CHAPTER
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1") for _ in range(401)])
    nbformat.write(nb, folder / f"{CHAPTER}.ipynb")
    assert read_submission(tmp_path, "s1", CHAPTER)[1].startswith("over budget: the notebook has 401 cells")
    assert "over the 0 MiB budget" in read_submission(tmp_path, "s1", CHAPTER, max_bytes=1000)[1]
    (folder / f"{CHAPTER}.ipynb").unlink()
    os.mkfifo(folder / f"{CHAPTER}.ipynb")
    assert "not a regular file" in read_submission(tmp_path, "s1", CHAPTER)[1]
    (folder / "timestamp.txt").symlink_to("/etc/hostname")
    assert read_timestamp(tmp_path, "s1", CHAPTER)[0] is None
    assert "ignored" in read_timestamp(tmp_path, "s1", CHAPTER)[1]
    assert unsafe_id_reason("s" * 247) and unsafe_id_reason("../x") and unsafe_id_reason("a b")
    assert unsafe_id_reason("alice.smith-2") is None
