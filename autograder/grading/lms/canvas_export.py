"""Grades as Canvas's gradebook imports them (Grades > Import).

The columns are those of Canvas's own gradebook export: Student ("Last, First"), ID (Canvas's user id: the roster's
lms_user_id), SIS User ID, SIS Login ID, Section, then one column per assignment, plus a "Points Possible" row.
Canvas's importer finds the student by ID, then by SIS User ID, then by SIS Login ID, reads assignment columns named
"Name (assignment id)" or by title (a new title creates an assignment), and takes points possible from the row whose
first cell is "Points Possible" (canvas-lms, app/models/gradebook_importer.rb: process_student, parse_assignments,
process_pp; also Ohio State's guide "Import a CSV file to Carmen grades": Student Name or ID or SIS User ID, SIS Login
ID, Section, Assignment Name). The course has no SIS ids (its roster has no such column), so those cells stay blank:
Canvas matches each row by ID, and every student without an lms_user_id is named in a warning. A student without a
graded submission gets a blank cell (export_base.py).

    python3 course.py export canvas          (nbgrader export --exporter=...CanvasExport; grading/canvas_grades.csv)
"""
from __future__ import annotations

from autograder.grading.lms.export_base import LmsExport

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


class CanvasExport(LmsExport):
    default_to = "canvas_grades.csv"
    lms_key = ("lms_user_id", "Canvas cannot match the row (add the student's Canvas user id to roster.csv and run "
                              "`python3 course.py roster import roster.csv`)")

    def header(self, columns: list[str]) -> list[str]:
        return CANVAS_COLUMNS + columns

    def rows(self, gb, assignments: list[str], students: list) -> list[list]:
        points = ["Points Possible", "", "", "", ""] + [gb.find_assignment(a).max_score for a in assignments]
        rows = [points]
        for s in students:
            name = ", ".join(p for p in (s.last_name, s.first_name) if p) or s.id
            rows.append([name, s.lms_user_id or "", "", "", ""] + self.scores(gb, assignments, s))
        return rows
