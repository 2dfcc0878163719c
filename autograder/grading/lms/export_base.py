"""The part of the LMS exporters that does not depend on the LMS: which students and chapters, the one-line
messages for a missing step, the CSV and the per-test reasons file beside it.

A cell is blank where nothing was graded (no submission, a chapter released but not graded yet): importing a zero
there would overwrite the LMS's grade. `--LmsExport.missing_as_zero=True` (or `python3 course.py export ...
--missing-as-zero`) writes 0 instead, as nbgrader's own CSV does. Files go under grading/ (git-ignored) unless
`--to` says otherwise.
"""
from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.plugins import ExportPlugin
from traitlets import Bool, Dict, Unicode

from autograder.grading.lms.common import final_score, write_reasons


class LmsExport(ExportPlugin):
    """Subclasses set `default_to` and implement header(columns) and rows(gb, assignments, students, columns)."""

    default_to = "grades.csv"
    assignment_columns = Dict(
        {}, help="LMS column name per chapter, e.g. {'gru': 'GRU (4321)'} (Canvas's 'Name (assignment id)' updates "
                 "that assignment; a new name creates one). Default: the chapter id.").tag(config=True)
    reasons_to = Unicode(
        "", help="where the per-test reasons go (default: feedback_reasons.csv beside the grades)").tag(config=True)
    missing_as_zero = Bool(
        False, help="0 for a student with no graded submission (default: a blank cell, which leaves the LMS's "
                    "grade as it is)").tag(config=True)
    # The roster column an LMS needs to match a row to its user, and what to say when a student lacks it.
    lms_key: tuple[str, str] = ("lms_user_id", "")

    def fail(self, message: str) -> None:
        self.log.error(message)
        raise SystemExit(1)

    def course_root(self) -> Path:
        parent = getattr(self, "parent", None)
        return Path(parent.coursedir.root) if parent is not None and hasattr(parent, "coursedir") else Path.cwd()

    def export(self, gradebook) -> None:
        assignments = sorted(a.name for a in gradebook.assignments if not self.assignment or a.name in self.assignment)
        students = sorted((s for s in gradebook.students if not self.student or s.id in self.student),
                          key=lambda s: s.id)
        if not assignments:
            self.fail("no chapter in the gradebook: run `python3 course.py nbgrader generate_assignment CHAPTER "
                      "--force`, then grade it, before exporting")
        if not students:
            self.fail("the roster is empty: run `python3 course.py roster import roster.csv` before exporting")
        columns = [self.assignment_columns.get(a, a) for a in assignments]
        dest = Path(self.to) if self.to else self.course_root() / "grading" / self.default_to
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(self.header(columns))
            writer.writerows(self.rows(gradebook, assignments, students))
        reasons = Path(self.reasons_to) if self.reasons_to else dest.with_name("feedback_reasons.csv")
        write_reasons(gradebook, self.course_root(), reasons, assignments, students)
        field, how = self.lms_key
        for s in students:
            if not getattr(s, field, None):
                self.log.warning("%s has no %s on the roster: %s", s.id, field, how)
        self.log.info("Grades of %d students on %s written to %s; the reasons per test to %s",
                      len(students), ", ".join(assignments), dest, reasons)

    def scores(self, gb, assignments: list[str], student) -> list[float | str]:
        """The student's score per chapter; blank (or 0 with missing_as_zero) where nothing was graded."""
        out = []
        for a in assignments:
            score = final_score(gb, a, student.id)[0]
            out.append(round(score, 4) if score is not None else 0.0 if self.missing_as_zero else "")
        return out

    def header(self, columns: list[str]) -> list[str]:
        raise NotImplementedError

    def rows(self, gb, assignments: list[str], students: list) -> list[list]:
        raise NotImplementedError
