"""Grades as Moodle's CSV grade import reads them (Grades > Import > CSV file).

Moodle maps one identifying column to its users ("Map from" Email address to useremail, or ID number to
useridnumber) and each other column to a grade item, chosen on the import's preview page (MoodleDocs, "Grade
import": CSV import, Grade mapping). The columns are named as in Moodle's own export: First name, Last name,
ID number (the course's student id), Email address, then one column per chapter. A student without a submission
gets 0, as in nbgrader's own CSV.

    nbgrader export --exporter=autograder.grading.lms.moodle_export.MoodleExport --to=moodle_grades.csv
"""
from __future__ import annotations

from autograder.grading.lms.export_base import LmsExport

MOODLE_COLUMNS = ["First name", "Last name", "ID number", "Email address"]


class MoodleExport(LmsExport):
    default_to = "moodle_grades.csv"

    def header(self, columns: list[str]) -> list[str]:
        return MOODLE_COLUMNS + columns

    def rows(self, gb, assignments: list[str], students: list) -> list[list]:
        return [[s.first_name or "", s.last_name or "", s.id, s.email or ""] + self.scores(gb, assignments, s)
                for s in students]
