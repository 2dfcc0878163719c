"""Grades as Moodle's CSV grade import reads them (Grades > Import > CSV file).

Moodle maps one identifying column to its users ("Map from" Email address to useremail, or ID number to
useridnumber) and each other column to a grade item, chosen on the import's preview page (MoodleDocs, "Grade
import": CSV import, Grade mapping). The columns are named as in Moodle's own export: First name, Last name,
ID number, Email address, then one column per chapter. Moodle's ID number is the user's idnumber field, which the
course does not know, so it stays blank: map Email address to useremail. A student without an email is named in a
warning and left out of the file: Moodle's importer does not reset the matched user between lines, so a row with a
blank identifier would give its grades to the row above, or abort the import on the first line
(gradeimport_csv_load_data::prepare_import_grade_data). A student without a graded submission gets a blank cell,
which Moodle imports as "no grade" (export_base.py).

    python3 course.py export moodle          (nbgrader export --exporter=...MoodleExport; grading/moodle_grades.csv)
"""
from __future__ import annotations

from autograder.grading.lms.export_base import LmsExport

MOODLE_COLUMNS = ["First name", "Last name", "ID number", "Email address"]


class MoodleExport(LmsExport):
    default_to = "moodle_grades.csv"
    lms_key = ("email", "left out of the file, as Moodle cannot match a row without one (add it to roster.csv and "
                        "run `python3 course.py roster import roster.csv`)")
    leave_out_unmatched = True

    def header(self, columns: list[str]) -> list[str]:
        return MOODLE_COLUMNS + columns

    def rows(self, gb, assignments: list[str], students: list) -> list[list]:
        return [[s.first_name or "", s.last_name or "", "", s.email or ""] + self.scores(gb, assignments, s)
                for s in students]
