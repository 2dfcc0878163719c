"""Grades as Canvas's gradebook imports them (Grades > Import).

The columns are those of Canvas's own gradebook export: Student ("Last, First"), ID (Canvas's user id: the roster's
lms_user_id), SIS User ID (the course's student id), SIS Login ID, Section, then one column per assignment, plus a
"Points Possible" row. Canvas's importer finds the student by ID, then by SIS User ID, then by SIS Login ID, reads
assignment columns named "Name (assignment id)" or by title (a new title creates an assignment), and takes points
possible from the row whose first cell is "Points Possible" (canvas-lms, app/models/gradebook_importer.rb:
process_student, parse_assignments, process_pp; also Ohio State's guide "Import a CSV file to Carmen grades":
Student Name or ID or SIS User ID, SIS Login ID, Section, Assignment Name). A student without a submission gets 0,
as in nbgrader's own CSV.

    nbgrader export --exporter=autograder.grading.lms.canvas_export.CanvasExport --to=canvas_grades.csv
"""
from __future__ import annotations

from autograder.grading.lms.export_base import LmsExport

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


class CanvasExport(LmsExport):
    default_to = "canvas_grades.csv"

    def header(self, columns: list[str]) -> list[str]:
        return CANVAS_COLUMNS + columns

    def rows(self, gb, assignments: list[str], students: list) -> list[list]:
        points = ["Points Possible", "", "", "", ""] + [gb.find_assignment(a).max_score for a in assignments]
        rows = [points]
        for s in students:
            name = ", ".join(p for p in (s.last_name, s.first_name) if p) or s.id
            rows.append([name, s.lms_user_id or "", s.id, "", ""] + self.scores(gb, assignments, s))
        return rows
