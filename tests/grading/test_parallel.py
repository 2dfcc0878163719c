"""Parallel grading gives exactly the results of sequential grading (scores, reasons, notes); two grading runs at
once never touch each other."""
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

import nbformat
import pytest

from autograder.grading import course_folder
from autograder.grading.autograde import course_lock, grade
from autograder.grading.demo import sample_notebook
from autograder.grading.samples import SAMPLES

CHAPTER = "elman_jordan"
STUDENTS = ("correct", "partial", "raises")


def _graded(tmp_path, workers):
    course = course_folder.make_course(tmp_path / f"w{workers}" / "course", [CHAPTER])
    course_folder.add_students(course, list(STUDENTS))
    for s in STUDENTS:
        path = tmp_path / f"{s}.ipynb"
        nbformat.write(sample_notebook(CHAPTER, SAMPLES[CHAPTER][s]), path)
        course_folder.submit(course, s, CHAPTER, path)
    run = grade(course, [CHAPTER], workers=workers, timeout=10, feedback=False, report=False, log=lambda *a: None)
    return {s: asdict(o) for s, o in run.outcomes[CHAPTER].items()}


def test_parallel_equals_sequential(tmp_path):
    parallel, sequential = _graded(tmp_path, 2), _graded(tmp_path, 1)
    assert parallel == sequential
    assert parallel["correct"]["score"] == parallel["correct"]["max_score"]


def _one_course(tmp_path, name, students=("correct",)):
    course = course_folder.make_course(tmp_path / name / "course", [CHAPTER])
    course_folder.add_students(course, list(students))
    for s in students:
        path = tmp_path / name / f"{s}.ipynb"
        nbformat.write(sample_notebook(CHAPTER, SAMPLES[CHAPTER][s]), path)
        course_folder.submit(course, s, CHAPTER, path)
    return course


def test_two_runs_at_once(tmp_path):
    """Two courses graded at the same moment on one machine, one of them first held by another run's lock:
    both grade correctly (nothing shared), the held one waits; a run that cannot get the lock refuses clearly."""
    a, b = _one_course(tmp_path, "a", ("correct", "raises")), _one_course(tmp_path, "b", ("correct", "partial"))
    logs: list[str] = []
    with ThreadPoolExecutor(2) as pool:
        with course_lock(b, 10, log=lambda *x: None):            # "another run" holds b for a moment
            runs = [pool.submit(grade, c, [CHAPTER], workers=1, timeout=20, feedback=False, report=False,
                                log=lambda *x: logs.append(" ".join(map(str, x)))) for c in (a, b)]
            time.sleep(3)
        ra, rb = runs[0].result(), runs[1].result()
    for run in (ra, rb):
        assert run.ok(), run.integrity_problems
        o = run.outcomes[CHAPTER]["correct"]
        assert o.score == o.max_score > 0, o.reasons()
    assert ra.outcomes[CHAPTER]["raises"].score < ra.outcomes[CHAPTER]["raises"].max_score
    assert any("waiting for another grading run" in line for line in logs)
    with course_lock(a, 10, log=lambda *x: None):
        with pytest.raises(SystemExit, match="another grading run holds"):
            grade(a, [CHAPTER], lock_wait=0.5, feedback=False, report=False, log=lambda *x: None)
