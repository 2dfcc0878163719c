"""A small class of sample submissions (demo samples of one chapter) in a fresh course folder, and its grades as
plain data, so that two ways of grading (threads or a cluster, SQLite or PostgreSQL) can be compared exactly."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import nbformat

from autograder.grading import course_folder
from autograder.grading.demo import sample_notebook
from autograder.grading.samples import SAMPLES

CHAPTER = "elman_jordan"
STUDENTS = ("correct", "partial", "raises")


def make_class(folder: Path, students=STUDENTS, chapter: str = CHAPTER) -> Path:
    """A course at folder/course with `students` on the roster, each having submitted their sample notebook
    (`students`: sample names, or {student id: sample name})."""
    samples = students if isinstance(students, dict) else {s: s for s in students}
    course = course_folder.make_course(folder / "course", [chapter])
    course_folder.add_students(course, list(samples))
    for student, sample in samples.items():
        path = folder / f"{student}.ipynb"
        nbformat.write(sample_notebook(chapter, SAMPLES[chapter][sample]), path)
        course_folder.submit(course, student, chapter, path)
    return course


def grades(run, chapter: str = CHAPTER) -> dict[str, dict]:
    """{student: the outcome as a dict}: scores, per-cell scores and reasons, notes."""
    return {s: asdict(o) for s, o in run.outcomes[chapter].items()}
