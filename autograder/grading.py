"""Instructor tooling on top of nbgrader: set up a course folder, take submissions, autograde, read the results.

Every step is nbgrader's own (its command-line apps for the work, `nbgrader.api.Gradebook` for the results); this
module only strings them together and turns the gradebook plus the autograded notebooks into readable reasons
("test_elman_forward_hidden: CheckFailure: H is wrong from time step 1 on ...").
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

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


def autograde(course: Path, chapter: str, *extra: str) -> None:
    result = nbgrader("autograde", chapter, "--force", *extra, root=course, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader autograde {chapter} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")


def generate_feedback(course: Path, chapter: str) -> None:
    nbgrader("generate_feedback", chapter, "--force", root=course)


def export_csv(course: Path, path: Path) -> Path:
    nbgrader("export", f"--to={path}", root=course)
    return path


def _error_reason(cell, limit: int = 600) -> str:
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


def _edited_locked_cells(submitted: Path, released: Path) -> list[str]:
    """grade_ids of locked cells whose source the student changed (autograde restores and grades the original)."""
    if not submitted.exists() or not released.exists():
        return []
    original = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
                for c in nbformat.read(released, as_version=4).cells if c.metadata.get("nbgrader", {}).get("locked")}
    edited = []
    for cell in nbformat.read(submitted, as_version=4).cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in original and cell.source.strip() != original[gid].strip():
            edited.append(gid)
    return edited


def results(course: Path, chapter: str) -> dict[str, StudentResult]:
    """Every student's score on `chapter`, per graded cell with the reason for lost points, from the gradebook."""
    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assignment = gb.find_assignment(chapter)
        for student in gb.students:
            try:
                submission = gb.find_submission(chapter, student.id)
            except Exception:  # MissingEntry: no submission from this student
                out[student.id] = StudentResult(student.id, 0.0, assignment.max_score, notes=["no submission"])
                continue
            graded = course / "autograded" / student.id / chapter / f"{chapter}.ipynb"
            cells_by_id = {}
            if graded.exists():
                cells_by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c
                               for c in nbformat.read(graded, as_version=4).cells}
            result = StudentResult(student.id, submission.score, submission.max_score)
            for notebook in submission.notebooks:
                for grade in sorted(notebook.grades, key=lambda g: g.name):
                    score = grade.score or 0.0
                    reason = _error_reason(cells_by_id[grade.name]) if (
                        score < grade.max_score and grade.name in cells_by_id) else ""
                    result.cells.append(CellResult(grade.name, score, grade.max_score, reason))
            edited = _edited_locked_cells(course / "submitted" / student.id / chapter / f"{chapter}.ipynb",
                                          course / "exercises" / chapter / f"{chapter}.ipynb")
            if edited:
                result.notes.append("locked cells edited (the originals were restored and graded): "
                                    + ", ".join(edited))
            out[student.id] = result
    return out
