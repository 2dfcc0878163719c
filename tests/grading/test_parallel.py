"""Parallel grading gives exactly the results of sequential grading (scores, reasons, notes)."""
from dataclasses import asdict

import nbformat

from autograder.grading import course_folder
from autograder.grading.autograde import grade
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
