"""The pipeline's record stage: one notebook's grades written to the gradebook in one transaction.

nbgrader's SaveAutoGrades commits once per graded cell and AssignLatePenalties, `update_or_create_student` and
`update_or_create_submission` once each, every one in a gradebook session of its own: about 33 commits per
chapter-1 notebook, each a disk sync or more on SQLite (198 for 6 notebooks under strace). Here nbgrader's own code
still does the recording, but inside `one_transaction` every `Gradebook` it opens is one shared session whose
commits only flush; the session commits once at the end, or rolls everything back: a notebook is recorded whole or
not at all. Only this module replaces nbgrader's name `Gradebook` in its preprocessors' modules, for the duration,
under a lock (the coordinator records one notebook at a time). `record_graded` records a worker's finished notebook
(and writes autograded/ and feedback/ as nbgrader's commands lay them out), `record_invalid` a notebook nbgrader
cannot read (a zero on every test).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbgrader import api
from nbgrader.preprocessors import AssignLatePenalties, LimitOutput, SaveAutoGrades, latesubmissions, saveautogrades
from nbgrader.utils import parse_utc

from autograder.grading import sandbox
from autograder.grading.gradebook_session import retry_locked
from autograder.grading.outcomes import outcome_from_gradebook
from autograder.grading.submission import Job, nbgrader_config, nbgrader_resources
from autograder.grading.worker import limit_outputs

_PATCHED_MODULES = (saveautogrades, latesubmissions)
_LOCK = threading.Lock()


class _Shared:
    """Stands for `Gradebook(url)` inside nbgrader's preprocessors: the one session, never closed by them.

    SaveAutoGrades looks up each cell's grade and comment row with a query of its own (a join over six tables, two
    per graded cell); here the submitted notebook's rows are read once, the same ORM objects of the same session,
    and a name not among them goes to nbgrader's own lookup (which raises MissingEntry as before)."""

    def __init__(self, gb):
        self.gb = gb
        self._rows: dict[tuple, tuple[dict, dict]] = {}

    def _submitted(self, notebook: str, assignment: str, student: str) -> tuple[dict, dict]:
        key = (notebook, assignment, student)
        if key not in self._rows:
            nb = self.gb.find_submission_notebook(notebook, assignment, student)
            self._rows[key] = ({g.name: g for g in nb.grades}, {c.name: c for c in nb.comments})
        return self._rows[key]

    def find_grade(self, grade_cell, notebook, assignment, student):
        found = self._submitted(notebook, assignment, student)[0].get(grade_cell)
        return found if found is not None else self.gb.find_grade(grade_cell, notebook, assignment, student)

    def find_comment(self, solution_cell, notebook, assignment, student):
        found = self._submitted(notebook, assignment, student)[1].get(solution_cell)
        return found if found is not None else self.gb.find_comment(solution_cell, notebook, assignment, student)

    def __call__(self, *args, **kwargs):
        return self

    def __enter__(self):
        return self.gb

    def __exit__(self, *exc):
        return False

    def __getattr__(self, name):
        return getattr(self.gb, name)


@contextmanager
def one_transaction(db_url: str):
    """A Gradebook whose commits (and those of nbgrader's SaveAutoGrades and AssignLatePenalties run inside) are
    deferred to one commit at the end; any error rolls the whole notebook back."""
    gb = api.Gradebook(db_url)
    session = gb.db
    session.commit = session.flush          # nbgrader's per-row commits become flushes in one transaction
    with _LOCK:
        saved = [m.Gradebook for m in _PATCHED_MODULES]
        for m in _PATCHED_MODULES:
            m.Gradebook = _Shared(gb)
        try:
            yield gb
            del session.commit
            session.commit()
        except BaseException:
            vars(session).pop("commit", None)
            session.rollback()
            raise
        finally:
            for m, original in zip(_PATCHED_MODULES, saved):
                m.Gradebook = original
            gb.close()


def record_graded(job: Job, course: Path, db_url: str, budget: sandbox.Budget | None = None,
           page: str | None = None) -> float:
    """Record a worker's finished notebook in one transaction (nbgrader's LimitOutput, SaveAutoGrades,
    AssignLatePenalties), then write autograded/ and, with `page`, feedback/ as nbgrader's commands lay them out.
    Returns the late penalty the gradebook gave."""
    nb = job.executed
    job.notes += limit_outputs(nb, budget or sandbox.Budget())     # the worker cut them already; a check, not a cost
    resources = nbgrader_resources(db_url, job.chapter, job.student)
    config = nbgrader_config(30)
    penalty = []

    def save():
        penalty.clear()
        with one_transaction(db_url) as gb:        # the notebook is recorded whole, or not at all
            _record_submission(gb, job, course)
            res = resources
            for pp in (LimitOutput, SaveAutoGrades, AssignLatePenalties):
                _, res = pp(config=config).preprocess(nb, res)
            penalty.append(gb.find_submission_notebook(job.chapter, job.chapter, job.student)
                           .late_submission_penalty or 0.0)
            job.outcome = outcome_from_gradebook(gb, course, job)
    retry_locked(save)
    folders = [course / "autograded" / job.student / job.chapter]
    if page is not None:
        folders.append(course / "feedback" / job.student / job.chapter)
    for dest in folders:
        dest.mkdir(parents=True, exist_ok=True)
        if job.timestamp is not None:         # the bytes read safely, never a copy of whatever the path points to
            (dest / "timestamp.txt").write_bytes(job.timestamp)
        # nbgrader's release_feedback files the feedback under the secret the student's `nbgrader submit` wrote.
        if job.secret is not None:
            (dest / "submission_secret.txt").write_bytes(job.secret)
    nbformat.write(nb, folders[0] / f"{job.chapter}.ipynb")
    if page is not None:
        (folders[1] / f"{job.chapter}.html").write_text(page, encoding="utf-8")
    return penalty[0] if penalty else 0.0


def _record_submission(gb, job: Job, course: Path) -> None:
    gb.update_or_create_student(job.student)
    kwargs = {}
    text = (job.timestamp or b"").decode("utf-8", "replace").strip()
    if text:
        try:
            kwargs["timestamp"] = parse_utc(text)
        except (ValueError, OverflowError):
            pass
    gb.update_or_create_submission(job.chapter, job.student, **kwargs)


def record_invalid(job: Job, course: Path, db_url: str) -> None:
    """A notebook nbgrader cannot read is a submission with zero on every test (not an empty row)."""
    def save():
        with one_transaction(db_url) as gb:
            _record_submission(gb, job, course)
            notebook = gb.find_submission_notebook(job.chapter, job.chapter, job.student)
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
            job.outcome = outcome_from_gradebook(gb, course, job)
    retry_locked(save)
