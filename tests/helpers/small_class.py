"""A small class of sample submissions (demo samples of one chapter) in a fresh course folder, and its grades as
plain data, so that two ways of grading (threads or a cluster, SQLite or PostgreSQL) can be compared exactly."""
from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path

import nbformat

from autograder.grading import course_folder
from autograder.grading.autograde import with_gradebook
from autograder.grading.demo import sample_notebook
from autograder.grading.gradebook_db import db_url
from autograder.grading.samples import SAMPLES

CHAPTER = "elman_jordan"
STUDENTS = ("correct", "partial")


def make_class(folder: Path, students=STUDENTS, chapter: str = CHAPTER) -> Path:
    """A course at folder/course with `students` on the roster, each having submitted their sample notebook
    (`students`: sample names, or {student id: sample name})."""
    samples = students if isinstance(students, dict) else {s: s for s in students}
    course = course_folder.make_course(folder / "course", [chapter])
    add_students(course, list(samples))
    for student, sample in samples.items():
        path = folder / f"{student}.ipynb"
        nbformat.write(sample_notebook(chapter, SAMPLES[chapter][sample]), path)
        course_folder.submit(course, student, chapter, path)
    return course


def add_students(course: Path, students: list[str], url: str | None = None) -> None:
    """As `nbgrader db student add`, through nbgrader's API in this process (one command costs seconds)."""
    def add(gb):
        for s in students:
            gb.update_or_create_student(s, first_name=s, last_name="Sample")
    with_gradebook(url or db_url(course), add)


def copy_class(course: Path, dest: Path) -> Path:
    """A copy of an ungraded course folder (gradebook included) at dest/course."""
    return Path(shutil.copytree(course, dest / "course", symlinks=True))


def grades(run, chapter: str = CHAPTER) -> dict[str, dict]:
    """{student: the outcome as a dict}: scores, per-cell scores and reasons, notes."""
    return {s: asdict(o) for s, o in run.outcomes[chapter].items()}


# A roster in the format `python3 course.py roster import` reads (README), one student without an LMS id.
ROSTER = """id,first_name,last_name,email,lms_user_id
s001,Ada,Lovelace,ada@example.org,12345
s002,Alan,Turing,alan@example.org,23456
s003,Grace,Hopper,grace@example.org,
"""
