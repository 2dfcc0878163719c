"""The part of the LMS exporters that does not depend on the LMS: which students and chapters, the one-line
messages for a missing step, the CSV and the per-test reasons file beside it."""
from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.plugins import ExportPlugin
from traitlets import Dict, Unicode

from autograder.grading.lms.common import final_score, write_reasons


class LmsExport(ExportPlugin):
    """Subclasses set `default_to` and implement header(columns) and rows(gb, assignments, students, columns)."""

    default_to = "grades.csv"
    assignment_columns = Dict(
        {}, help="LMS column name per chapter, e.g. {'gru': 'GRU (4321)'} (Canvas's 'Name (assignment id)' updates "
                 "that assignment; a new name creates one). Default: the chapter id.").tag(config=True)
    reasons_to = Unicode(
        "", help="where the per-test reasons go (default: feedback_reasons.csv beside the grades)").tag(config=True)

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
        dest = Path(self.to or self.default_to)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(self.header(columns))
            writer.writerows(self.rows(gradebook, assignments, students))
        reasons = Path(self.reasons_to) if self.reasons_to else dest.with_name("feedback_reasons.csv")
        write_reasons(gradebook, self.course_root(), reasons, assignments, students)
        self.log.info("Grades of %d students on %s written to %s; the reasons per test to %s",
                      len(students), ", ".join(assignments), dest, reasons)

    @staticmethod
    def scores(gb, assignments: list[str], student) -> list[float]:
        return [round(final_score(gb, a, student.id)[0], 4) for a in assignments]

    def header(self, columns: list[str]) -> list[str]:
        raise NotImplementedError

    def rows(self, gb, assignments: list[str], students: list) -> list[list]:
        raise NotImplementedError
