"""Grades as Canvas's gradebook imports them (Grades > Import).

The columns are those of Canvas's own gradebook export: Student ("Last, First"), ID (Canvas's user id: the roster's
lms_user_id), SIS User ID, SIS Login ID, Section, then one column per assignment, plus a "Points Possible" row.
Canvas's importer finds the student by ID, then by SIS User ID, then by SIS Login ID, reads assignment columns named
"Name (assignment id)" or by title (a new title creates an assignment), and takes points possible from the row whose
first cell is "Points Possible" (canvas-lms, app/models/gradebook_importer.rb: process_student, parse_assignments,
process_pp; also Ohio State's guide "Import a CSV file to Carmen grades": Student Name or ID or SIS User ID, SIS Login
ID, Section, Assignment Name). The course has no SIS ids (its roster has no such column), so those cells stay blank:
Canvas matches each row by ID; a row without one (a student without an lms_user_id, named in a warning) Canvas can
match only by its name, against each user's name or sortable name ("Last, First"). The header must read Student, ID,
then optional SIS columns, with Section last (gradebook_importer.rb: row_has_student_headers?, update_column_count);
columns named like Canvas's computed ones (Current Score, Final Grade, ...) are ignored, so no chapter column may be
named so (tests/grading/test_export.py reads the file back by these rules). A student without a graded submission gets
a blank cell (export_base.py).

    python3 course.py export canvas          (nbgrader export --exporter=...CanvasExport; grading/canvas_grades.csv)
"""
from __future__ import annotations

import re

from autograder.grading.lms.export_base import LmsExport

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
# Columns Canvas's importer drops as its own computed ones (gradebook_importer.rb: NON_ASSIGNMENT_COLUMN_HEADERS,
# matched anywhere in the name, "Unposted ..." included).
CANVAS_IGNORES = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
                            "Override Score|Override Grade|Override Status")


class CanvasExport(LmsExport):
    default_to = "canvas_grades.csv"
    lms_key = ("lms_user_id", lambda s: f"Canvas can match the row only by the name {canvas_name(s)!r} (add the "
                              "student's Canvas user id to roster.csv and run `python3 course.py roster import "
                              "roster.csv`)")

    def header(self, columns: list[str]) -> list[str]:
        for column in columns:
            if CANVAS_IGNORES.search(column):
                self.fail(f"Canvas ignores a column named {column!r} (it takes it for one of its computed ones): "
                          f"rename it in c.LmsExport.assignment_columns")
        return CANVAS_COLUMNS + columns

    def rows(self, gb, assignments: list[str], students: list) -> list[list]:
        points = ["Points Possible", "", "", "", ""] + [gb.find_assignment(a).max_score for a in assignments]
        rows = [points]
        for s in students:
            rows.append([canvas_name(s), s.lms_user_id or "", "", "", ""] + self.scores(gb, assignments, s))
        return rows


def canvas_name(student) -> str:
    """The Student column: Canvas's sortable name, "Last, First" (the roster's id where it has no name)."""
    return ", ".join(p for p in (student.last_name, student.first_name) if p) or student.id
