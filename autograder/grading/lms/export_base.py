"""The part of the LMS exporters that does not depend on the LMS: which students and chapters, the one-line
messages for a missing step, the CSV and the per-test reasons file beside it.

A cell is blank where the student has no graded submission: both LMSs read a blank as "no grade", not 0 (Canvas
posts it as an empty grade, canvas-lms ProcessGradebookUpload; Moodle stores finalgrade null, gradeimport_csv
load_data::update_grade_item), so a student without a grade keeps none, while a grade typed into the LMS by hand for
that student is cleared; both show the changes before applying them. A chapter nobody has a graded submission for yet
is left out of the file with a line saying so: as a column, Canvas would create an assignment of that name, or clear
the grades of the one it names. `--LmsExport.missing_as_zero=True` (or `python3 course.py export ... --missing-as-zero`)
writes 0 in both cases instead, as nbgrader's own CSV does. Files go under grading/ (git-ignored) unless `--to` says
otherwise.
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
        False, help="0 for a student with no graded submission, and a column of zeros for a chapter nobody has "
                    "one for (default: a blank cell, 'no grade' to the LMS; such a chapter left out)").tag(config=True)
    # The roster column an LMS needs to match a row to its user, and what to say when a student lacks it.
    lms_key: tuple[str, str] = ("lms_user_id", "")
    # Whether a row the LMS cannot match must be left out (Moodle would give its grades to another student).
    leave_out_unmatched = False

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
        if not self.missing_as_zero:
            ungraded = [a for a in assignments if not any(final_score(gradebook, a, s.id)[0] is not None
                                                          for s in students)]
            if ungraded:
                self.log.warning("left out, nobody has a graded submission yet: %s (run `python3 course.py grade "
                                 "CHAPTER`; --missing-as-zero exports zeros instead)", ", ".join(ungraded))
            assignments = [a for a in assignments if a not in ungraded]
            if not assignments:
                self.fail("nothing graded yet: run `python3 course.py grade CHAPTER` before exporting")
        field, how = self.lms_key
        unmatched = [s for s in students if not getattr(s, field, None)]
        for s in unmatched:
            self.log.warning("%s has no %s on the roster: %s", s.id, field, how(s) if callable(how) else how)
        everyone = students
        if self.leave_out_unmatched:
            students = [s for s in students if s not in unmatched]
        columns = [self.assignment_columns.get(a, a) for a in assignments]
        dest = Path(self.to) if self.to else self.course_root() / "grading" / self.default_to
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(self.header(columns))
            writer.writerows(self.rows(gradebook, assignments, students))
        reasons = Path(self.reasons_to) if self.reasons_to else dest.with_name("feedback_reasons.csv")
        write_reasons(gradebook, self.course_root(), reasons, assignments, everyone)
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
