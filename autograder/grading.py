"""Course folders for grading, and the shape of a result: the pieces `autograder.grade` builds on.

make_course / add_students / submit use nbgrader's own commands (generate_assignment, db student add) and its
folder layout. error_reason turns a failed graded cell into one readable line
("CheckFailure: H is wrong from time step 1 on ... | Hint: ...").
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from autograder.release import ROOT, nbgrader


@dataclass
class CellResult:
    grade_id: str
    score: float
    max_score: float
    reason: str = ""          # why points were lost: the error the test cell raised, first line


@dataclass
class StudentResult:
    student: str
    score: float
    max_score: float
    cells: list[CellResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # e.g. "locked cell edited: the original was graded"

    def reasons(self) -> list[str]:
        return self.notes + [f"{c.grade_id}: {c.reason}" for c in self.cells if c.score < c.max_score]


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


def error_reason(cell, limit: int = 600) -> str:
    """The error a graded cell raised, as one readable line (the check's whole message, hints included)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            name, value = out.get("ename"), " | ".join((out.get("evalue") or "").split("\n")).strip()
            # Under autograde nobody presses Ctrl-C: an interrupt is nbgrader stopping a cell at its time limit.
            if name in ("KeyboardInterrupt", "CellTimeoutError"):
                return "Timeout: the cell did not finish within the time limit and was interrupted (an endless loop?)"
            if name == "NotImplementedError" and not value:
                return "NotImplementedError: not answered (the cell still raises NotImplementedError)"
            text = f"{name}: {value}" if value else str(name)
            return text if len(text) <= limit else text[:limit] + " ..."
    return "no error output (scored by hand?)"
