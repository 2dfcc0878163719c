"""What the LMS plugins share: the roster's lookup tables, name normalization, and the per-test reasons file."""
from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from autograder.grading.results import error_reason


def name_key(text: str) -> str:
    """A name reduced to lowercase letters and digits: LMSs strip accents' neighbours, spaces and punctuation
    differently (Canvas keeps only word characters, Moodle's clean_filename drops a few), so compare this."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return re.sub(r"[\W_]+", "", text)


class Roster:
    """The gradebook's students, looked up by LMS user id (the roster's lms_user_id column) and by name."""

    def __init__(self, db_url: str):
        self.by_lms_id: dict[str, str] = {}
        self.by_name: dict[str, list[str]] = {}
        with Gradebook(db_url) as gb:
            for s in gb.students:
                if s.lms_user_id:
                    self.by_lms_id[str(s.lms_user_id).strip()] = s.id
                first, last = s.first_name or "", s.last_name or ""
                # Moodle writes "First Last" (fullname()); Canvas "lastfirst" (its sortable name, stripped).
                for key in {name_key(first + last), name_key(last + first)} - {""}:
                    self.by_name.setdefault(key, []).append(s.id)
        self.empty = not self.by_lms_id and not self.by_name

    def find(self, lms_id: str | None, name: str) -> tuple[str | None, str]:
        """(student id, "") or (None, why not)."""
        if lms_id and lms_id in self.by_lms_id:
            return self.by_lms_id[lms_id], ""
        matches = sorted(set(self.by_name.get(name_key(name), [])))
        if len(matches) == 1:
            return matches[0], ""
        if len(matches) > 1:
            return None, f"the name {name!r} matches several students ({', '.join(matches)}): fill in lms_user_id"
        hint = "run `python3 course.py roster import roster.csv`" if self.empty else \
            "add the student (with lms_user_id) to roster.csv and run `python3 course.py roster import roster.csv`"
        return None, f"nobody on the roster has LMS id {lms_id!r} or the name {name!r}: {hint}"


def final_score(gb, assignment: str, student: str) -> tuple[float | None, str]:
    """(score after the late penalty, submission timestamp) as nbgrader's own CSV export computes them; (None, "")
    when nothing of the student's was graded (no submission, or the chapter not graded yet)."""
    try:
        sub = gb.find_submission(assignment, student)
    except MissingEntry:
        return None, ""
    return max(0.0, sub.score - (sub.late_submission_penalty or 0.0)), str(sub.timestamp or "")


def write_reasons(gb, course_root: Path, dest: Path, assignments: list[str], students: list) -> Path:
    """feedback_reasons.csv: one row per student x test, with the score and, where points were lost, why (the
    error the test cell showed in autograded/, one line)."""
    rows = []
    for assignment in assignments:
        for student in students:
            try:
                notebook = gb.find_submission_notebook(assignment, assignment, student.id)
            except MissingEntry:
                rows.append([student.id, assignment, "", 0.0, gb.find_assignment(assignment).max_score,
                             "no submission"])
                continue
            path = course_root / "autograded" / student.id / assignment / f"{assignment}.ipynb"
            cells = {}
            if path.exists():
                nb = nbformat.read(path, as_version=4)
                cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
            for grade in sorted(notebook.grades, key=lambda g: g.name):
                score = grade.score or 0.0
                reason = ""
                if score < grade.max_score:
                    reason = error_reason(cells[grade.name]) if grade.name in cells else "not graded"
                rows.append([student.id, assignment, grade.name, score, grade.max_score, reason])
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "assignment", "test", "score", "max_score", "reason"])
        writer.writerows(rows)
    return dest
