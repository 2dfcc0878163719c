"""The class roster: import a CSV into nbgrader's gradebook in one transaction.

    python -m autograder.grading.roster import roster.csv [--course DIR]
    python -m autograder.grading.roster list [--course DIR]

roster.csv has a header row; `id` is required, the rest optional:

    id,first_name,last_name,email,lms_user_id
    s001,Ada,Lovelace,ada@example.org,12345

`lms_user_id` is the student's numeric id in Canvas (the number in Canvas's submission file names and the ID column
of its gradebook); Moodle archives are matched by first and last name. Re-importing updates the students listed
and leaves the others alone. `nbgrader db student import` does the same one student (and one commit) at a time.
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
from pathlib import Path

from nbgrader.api import Gradebook, Student

from autograder.grading import gradebook_db
from autograder.grading.student_ids import unsafe_id_reason
from autograder.layout import ROOT

COLUMNS = ("id", "first_name", "last_name", "email", "lms_user_id")


def open_gradebook(course: Path, db_url: str | None = None) -> Gradebook:
    """The course's gradebook: `db_url`, else nbgrader's CourseDirectory.db_url (course/gradebook.db unless the
    config names another). nbgrader creates a missing SQLite one by running `alembic` from PATH: put the
    environment's bin/ there when the caller did not (a test, a plain `python -m`)."""
    bindir = str(Path(sys.executable).parent)
    if shutil.which("alembic") is None:
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    return Gradebook(db_url or gradebook_db.db_url(course))


class RosterError(Exception):
    """A problem with the CSV, said in one line."""


def read_roster(path: Path) -> list[dict[str, str | None]]:
    """The rows of roster.csv as dicts with the keys COLUMNS (empty cells as None)."""
    if not path.exists():
        raise RosterError(f"{path} does not exist (columns: {','.join(COLUMNS)}; only id is required)")
    with open(path, newline="", encoding="utf-8-sig") as f:     # -sig: a spreadsheet's byte-order mark
        reader = csv.DictReader(f)
        header = [h.strip() for h in reader.fieldnames or []]
        if "id" not in header:
            raise RosterError(f"{path}: the header has no `id` column (found: {','.join(header) or 'nothing'}; "
                              f"expected {','.join(COLUMNS)})")
        unknown = [h for h in header if h not in COLUMNS]
        if unknown:
            raise RosterError(f"{path}: unknown column(s) {','.join(unknown)} (expected {','.join(COLUMNS)})")
        rows, seen = [], {}
        for line, raw in enumerate(reader, start=2):
            row = {k: ((raw.get(k) or "").strip() or None) for k in COLUMNS}
            if not row["id"]:
                raise RosterError(f"{path}, line {line}: the id is empty")
            unsafe = unsafe_id_reason(row["id"], fix="change it in the roster and import again")
            if unsafe:
                raise RosterError(f"{path}, line {line}: {unsafe}")
            if row["id"] in seen:
                raise RosterError(f"{path}, line {line}: id {row['id']} is also on line {seen[row['id']]}")
            seen[row["id"]] = line
            rows.append(row)
    if not rows:
        raise RosterError(f"{path} lists no student")
    return rows


def import_roster(course: Path, path: Path) -> tuple[int, int]:
    """Add or update every student of the CSV in course/gradebook.db in one transaction; (added, updated)."""
    rows = read_roster(path)
    added = updated = 0
    with open_gradebook(course) as gb:
        existing = {s.id: s for s in gb.db.query(Student).all()}
        for row in rows:
            student = existing.get(row["id"])
            if student is None:
                gb.db.add(Student(**row))
                added += 1
            else:
                for key, value in row.items():
                    setattr(student, key, value)
                updated += 1
        gb.db.commit()
    return added, updated


def list_students(course: Path) -> list[dict[str, str | None]]:
    with open_gradebook(course) as gb:
        return [{k: getattr(s, k) for k in COLUMNS} for s in sorted(gb.students, key=lambda s: s.id)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 course.py roster", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--course", type=Path, default=ROOT)
    sub = p.add_subparsers(dest="action", required=True)
    imp = sub.add_parser("import", help="add or update the students of a CSV file")
    imp.add_argument("csv", type=Path)
    sub.add_parser("list", help="print the roster as CSV")
    a = p.parse_args(argv)
    course = a.course.resolve()
    if a.action == "import":
        try:
            added, updated = import_roster(course, a.csv)
        except RosterError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"roster: {added} students added, {updated} updated, in {course / 'gradebook.db'}")
        return 0
    students = list_students(course)
    if not students:
        print("the roster is empty: run `python3 course.py roster import roster.csv`", file=sys.stderr)
        return 1
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(students)
    return 0


if __name__ == "__main__":
    sys.exit(main())
