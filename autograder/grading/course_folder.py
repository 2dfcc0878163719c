"""Scratch nbgrader course folders (demo, tests, benchmarks), made with nbgrader's own commands and layout.

make_course copies the repository's config and sources and records the assignments in a gradebook
(generate_assignment); add_students uses `nbgrader db student add`; submit places a notebook where
`nbgrader collect` would.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from autograder.grading.release import nbgrader
from autograder.layout import ROOT


def make_course(course: Path, chapters: list[str]) -> Path:
    """A fresh nbgrader course folder at `course` with the repo's config, sources and a gradebook of `chapters`."""
    course.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for chapter in chapters:
        shutil.copytree(ROOT / "solutions" / chapter, course / "solutions" / chapter, dirs_exist_ok=True)
        # generate_assignment records the assignment's cells (points, checksums) in the gradebook.
        nbgrader("generate_assignment", chapter, "--force", root=course)
    return course


def add_students(course: Path, students: list[str]) -> None:
    for student in students:
        nbgrader("db", "student", "add", student, f"--first-name={student}", "--last-name=Sample", root=course)


def submit(course: Path, student: str, chapter: str, notebook: Path) -> None:
    """Place a notebook where `nbgrader collect` would: submitted/<student>/<chapter>/<chapter>.ipynb."""
    target = course / "submitted" / student / chapter
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(notebook, target / f"{chapter}.ipynb")
