"""What a grading run reports: each student's outcome on a chapter (read back from the gradebook in the recording's
transaction), grading/<chapter>/<student>.json, grading/grades.csv (every student on the roster, with status and
reasons) and the summary the command prints."""
from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nbgrader.api import MissingEntry

from autograder.grading import gradebook_db, scoring
from autograder.grading.gradebook_session import with_gradebook
from autograder.grading.results import CellResult, StudentResult
from autograder.grading.submission import Job, grade_cells_in

NOT_GRADED = "not graded"


@dataclass
class Outcome:
    """One student's result on one chapter, as written to grading/<chapter>/<student>.json."""
    student: str
    chapter: str
    status: str                      # graded | missing | invalid | not graded
    score: float = 0.0
    max_score: float = 0.0
    cells: list[CellResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_student_result(self) -> StudentResult:
        return StudentResult(self.student, self.score, self.max_score, self.cells, self.notes)

    def reasons(self) -> list[str]:
        return self.as_student_result().reasons()


@dataclass
class GradingRun:
    course: Path
    outcomes: dict[str, dict[str, Outcome]]          # chapter -> student -> outcome
    integrity_problems: list[str]
    seconds: float
    notebooks_executed: int
    limits: str = ""
    serial_seconds: float = 0.0     # wall time this process spent reading, sanitizing and recording (the serial part)
    serial_cpu_seconds: float = 0.0  # ...and its CPU time (thread_time)

    def not_graded(self) -> list[Outcome]:
        return [o for by in self.outcomes.values() for o in by.values() if o.status == NOT_GRADED]

    def ok(self) -> bool:
        return not self.integrity_problems and not self.not_graded()


def outcome_from_gradebook(gb, course: Path, job: Job) -> Outcome:
    submission = gb.find_submission(job.chapter, job.student)
    outcome = Outcome(job.student, job.chapter, job.invalid_status if job.invalid else "graded",
                      submission.score, submission.max_score, notes=list(job.notes))
    if job.invalid:
        outcome.notes.insert(0, job.invalid)
    cells = grade_cells_in(job.executed) if job.executed is not None and not job.invalid else {}
    for notebook in submission.notebooks:
        for grade in sorted(notebook.grades, key=lambda g: g.name):
            score = grade.score or 0.0
            reason = ""
            if score < grade.max_score:
                reason = scoring.all_errors(cells[grade.name]) if grade.name in cells else (job.invalid or "not graded")
            outcome.cells.append(CellResult(grade.name, score, grade.max_score, reason))
    return outcome


def write_outcome(course: Path, outcome: Outcome) -> None:
    folder = course / "grading" / outcome.chapter
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{outcome.student}.json").write_text(json.dumps(asdict(outcome), indent=1))


def export_roster_csv(course: Path, outcomes: dict[str, dict[str, Outcome]], path: Path,
                      db_url: str | None = None) -> Path:
    """nbgrader's export columns for every (roster student, chapter), plus status and the reasons."""
    db_url = db_url or gradebook_db.db_url(course)
    rows = []

    def collect(gb):
        for chapter in sorted(outcomes):
            assignment = gb.find_assignment(chapter)
            for student in sorted(gb.students, key=lambda s: s.id):
                o = outcomes[chapter].get(student.id) or Outcome(student.id, chapter, "missing",
                                                                 0.0, assignment.max_score, notes=["no submission"])
                timestamp = penalty = ""
                if o.status not in ("missing", NOT_GRADED):
                    try:
                        sub = gb.find_submission(chapter, student.id)
                        timestamp, penalty = sub.timestamp or "", sub.late_submission_penalty
                    except MissingEntry:
                        pass
                rows.append({"assignment": chapter, "duedate": assignment.duedate or "", "timestamp": timestamp,
                             "student_id": student.id, "last_name": student.last_name or "",
                             "first_name": student.first_name or "", "email": student.email or "",
                             "raw_score": "" if o.status == NOT_GRADED else o.score,
                             "late_submission_penalty": penalty, "score": "" if o.status == NOT_GRADED else o.score,
                             "max_score": o.max_score, "status": o.status, "reasons": " || ".join(o.reasons())})
    with_gradebook(db_url, collect)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["assignment", "student_id", "status"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def print_summary(run: GradingRun, log=print) -> None:
    for chapter, by_student in sorted(run.outcomes.items()):
        log(f"\n== {chapter} ==")
        for student, o in sorted(by_student.items()):
            log(f"{student:16s} {o.status:8s} {o.score:5.1f} / {o.max_score:.0f}")
            for reason in o.reasons():
                log(f"{'':18s}- {reason[:300]}")
    log(f"\n{run.notebooks_executed} notebooks in {run.seconds:.1f} s "
        f"({60 * run.notebooks_executed / max(run.seconds, 1e-9):.1f} notebooks/min)")
    log(f"Grades (every student on the roster): {run.course / 'grading' / 'grades.csv'}")
    log(f"Class report: {run.course / 'grading' / 'report.md'} and report.png; feedback: {run.course / 'feedback'}")
    if run.integrity_problems:
        for p in run.integrity_problems:
            log(f"INTEGRITY {p}")
    else:
        log("Integrity: course files and config unchanged.")
    log(run.limits)
    if run.not_graded():
        log(f"\nNOT GRADED ({len(run.not_graded())}; the grader's failure, not the students': grade them again):")
        for o in run.not_graded():
            log(f"  {o.chapter}/{o.student}: {o.notes[0][:300] if o.notes else ''}")
