"""The instructor's grading command: nbgrader's autograde, with student code in a sandbox, in parallel, and checked.

    python -m autograder.grading.autograde [CHAPTER ...] [--course DIR] [--workers N] [--timeout S] [--student ID ...]
                               [--show-hidden-tests] [--no-feedback] [--scheduler tcp://HOST:8786] [--db URL]

It follows nbgrader's own Autograde step for step, with nbgrader's preprocessors and its gradebook
(ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells with add_missing_cells, CheckCellMetadata; then
LimitOutput, SaveAutoGrades, AssignLatePenalties), and changes three things:

* execution: each notebook is judged the trusted way (`autograder.grading.judge`): its test cells run in this
  process from the gradebook's source, the student's cells in a process of their own in a bubblewrap sandbox
  without torch (`executor`, `launch`, `sandbox`), within the submission's budgets; a dead or stuck process costs
  its cell only;
* the rule: `autograder.grading.policy` (NumPy only) zeroes the tests a violation affects, with the reason written
  into the test cell, so nbgrader's own scoring and feedback show it;
* the bookkeeping: all gradebook writes happen here, one student at a time, retried while another process holds
  the database lock; invalid notebooks get a graded zero; the export lists the whole roster, missing ones marked;
  the course's files (config, sources, release) are hashed before and after and any change is reported.

One student's failure is that student's alone: an error of the grader's own while reading, sanitizing, running or
recording a submission marks it "not graded: <reason>" (nothing is written to the gradebook for it; a rerun grades
it) and the command exits with status 4, listing them. Submissions and timestamps are opened without following
symlinks and only as regular files; student ids that are not safe file names are refused. Two runs on one course
wait for each other (a lock file, `--lock-wait`); two runs on different courses share nothing (each notebook has a
sandbox of its own: `autograder.grading.sandbox`).

The stages it runs live in modules of their own, shared with `nbgrader autograde` and the formgrader
(ARCHITECTURE.md, *The grading pipeline*): `reading`, `sanitizing` + `policy`, `judge`, `validate` (a worker's
result against the gradebook), `record` (one transaction per notebook), `course_lock`, `progress`.

Notebooks are executed `--workers` at a time on this machine, or by the workers of the Dask cluster at
`--scheduler` (`autograder.grading.cluster`: the same job function either way, a notebook's result recorded once).
This process reads and sanitizes each submission as the workers need more, and records each result as it arrives,
so its serial work overlaps theirs; no grade depends on the order, and the results equal a sequential run's (a
test compares them). The gradebook is nbgrader's
`CourseDirectory.db_url` (`autograder.grading.gradebook_db`: SQLite by default, PostgreSQL by config or `--db`).
Outputs: autograded/ and feedback/ (nbgrader's), grading/<chapter>/<student>.json (scores and reasons),
grading/grades.csv, and the class report grading/report.{md,csv,png}.
"""
from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
import os
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)
from nbgrader.utils import parse_utc
from sqlalchemy.exc import OperationalError
from traitlets.config import Config

from autograder.grading import (
    cluster,
    feedback,
    gradebook_db,
    judge,
    missing_steps,
    nbgrader_speedups,
    policy,
    sandbox,
    sanitizing,
    scoring,
    validate,
    worker,
)
from autograder.grading.course_lock import LOCK_FILE, course_lock
from autograder.grading.progress import Progress
from autograder.grading.reading import read_submission, read_timestamp
from autograder.grading.record import one_transaction
from autograder.grading.results import CellResult, StudentResult
from autograder.grading.student_ids import unsafe_id_reason
from autograder.grading.worker import limit_outputs, run_notebook_job
from autograder.layout import ROOT

WORK_DIRS = ("submitted", "autograded", "feedback", "grading")
# Not hashed: nbgrader's and our outputs, and what is regenerated or too big to matter.
UNHASHED = {*WORK_DIRS, "gradebook.db", LOCK_FILE, ".venv", ".git", "_build", "__pycache__", ".pytest_cache",
            ".nbgrader.log", ".ipynb_checkpoints"}
UNHASHED |= {"exchange", "downloaded"}      # students submit and LMS archives arrive while grading runs

NOT_GRADED = "not graded"


class NotGraded(Exception):
    """The grader's own failure on one submission (never the student's fault, never a zero)."""


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

    def not_graded(self) -> list[Outcome]:
        return [o for by in self.outcomes.values() for o in by.values() if o.status == NOT_GRADED]

    def ok(self) -> bool:
        return not self.integrity_problems and not self.not_graded()


# ---------------------------------------------------------------- integrity


def course_hashes(course: Path, also: list[Path] = ()) -> dict[str, str]:
    """sha256 of every course file a grading run must not change (config, sources, release, the course code)."""
    out = {}
    for base in [course, *also]:
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d not in UNHASHED]
            for name in filenames:
                if name in UNHASHED or name.endswith(".pyc"):
                    continue
                p = Path(dirpath) / name
                if p.is_file() and not p.is_symlink():
                    out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def compare_hashes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    problems = [f"changed during grading: {p}" for p in before if p in after and before[p] != after[p]]
    problems += [f"deleted during grading: {p}" for p in before if p not in after]
    problems += [f"created during grading: {p}" for p in after if p not in before]
    return problems


# ---------------------------------------------------------------- gradebook access, retried while locked


def with_gradebook(db_url: str, fn, wait_s: float = 300.0):
    """Run fn(gb) in a gradebook session; while another process holds the database lock, wait and retry."""
    def session():
        gb = Gradebook(db_url)
        try:
            return fn(gb)
        finally:
            gb.close()
            gb.engine.dispose()     # each session's engine holds connections: a server would run out of them
    return retry_locked(session, wait_s)


def retry_locked(fn, wait_s: float = 300.0):
    """fn(), retried while the gradebook is locked by another process (nbgrader would abort the batch)."""
    deadline = time.monotonic() + wait_s
    delay = 0.2
    while True:
        try:
            return fn()
        except (OperationalError, sqlite3.OperationalError) as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)


# ---------------------------------------------------------------- one notebook


def _config(timeout: int) -> Config:
    c = Config()
    c.OverwriteCells.add_missing_cells = True
    c.Execute.timeout = timeout
    return c


def _resources(db_url: str, chapter: str, student: str) -> dict:
    return {"nbgrader": {"db_url": db_url, "assignment": chapter, "notebook": chapter, "student": student},
            "unique_key": chapter, "output_files_dir": f"{chapter}_files"}


def _grade_cells_in(nb) -> dict[str, dict]:
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")}


@dataclass
class Job:
    student: str
    chapter: str
    submitted: Path
    nb: object = None                   # sanitized notebook, ready to run
    notes: list[str] = field(default_factory=list)
    violations: list[policy.Violation] = field(default_factory=list)
    executed: object = None
    invalid: str | None = None
    invalid_status: str = "invalid"     # "graded" when refused for a budget (a zero with the reason)
    not_graded: str | None = None       # the grader's own failure: no grade recorded
    timestamp: bytes | None = None
    secret: bytes | None = None
    outcome: object = None              # what the gradebook recorded, read back in the recording's transaction


@functools.lru_cache(maxsize=64)
def _locked_sources(course: Path, chapter: str) -> dict[str, str]:
    """{grade_id: source} of the released notebook's locked cells (read once per chapter and run)."""
    released = course / "release" / chapter / f"{chapter}.ipynb"
    if not released.exists():
        released = course / "exercises" / chapter / f"{chapter}.ipynb"
    if not released.exists():
        return {}
    return {g: c.source for g, c in _grade_cells_in(nbformat.read(released, as_version=4)).items()
            if c.metadata["nbgrader"].get("locked")}


def sanitize(job: Job, course: Path, db_url: str, timeout: int, rules: policy.Rules,
             source_ids: set[str] | None = None, budget: sandbox.Budget | None = None,
             expected: list[str] | None = None) -> None:
    """nbgrader's sanitizing steps, plus the report of what they repaired and of rule violations."""
    job.timestamp, note = read_timestamp(course, job.student, job.chapter)
    if note:
        job.notes.append(note)
    job.secret, note = read_timestamp(course, job.student, job.chapter, "submission_secret.txt")
    if note:
        job.notes.append(note)
    nb, problem = read_submission(course, job.student, job.chapter)
    if problem:
        job.invalid = problem
        job.invalid_status = "graded" if problem.startswith("over budget") else "invalid"
        return
    if expected is None:        # the graded cells' ids (the coordinator reads them once per chapter)
        expected = with_gradebook(db_url, lambda gb: sorted(
            [c.name for c in gb.find_notebook(job.chapter, job.chapter).grade_cells]))
    original = _locked_sources(course, job.chapter)
    job.notes += sanitizing.clean_metadata(nb, set(expected) | (source_ids or set()) | set(original))
    job.notes += sanitizing.missing_tests(nb, expected) + sanitizing.locked_edits(nb, original)
    resources = _resources(db_url, job.chapter, job.student)
    config = _config(timeout)
    try:
        for pp in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
            nb, resources = retry_locked(lambda: pp(config=config).preprocess(nb, resources))
    except Exception as err:
        job.invalid = f"invalid notebook ({type(err).__name__}: {str(err)[:200]})"
        return
    try:
        job.violations = policy.check_notebook(nb, rules)
    except (RecursionError, MemoryError, SyntaxError, ValueError) as err:
        # The rules cannot read it; neither can Python (a 100,000-character expression): a zero, with why.
        job.invalid = (f"the rules could not read a cell ({type(err).__name__}: {str(err)[:120]}); "
                       "a cell this deeply nested cannot be graded")
        job.invalid_status = "graded"
        return
    job.nb = nb


def trusted_notebook(db_url: str, chapter: str) -> judge.TrustedNotebook:
    """The chapter's trusted cells, from the gradebook (what nbgrader's OverwriteCells restores), read once by the
    coordinator and handed to every worker with its jobs."""
    return with_gradebook(db_url, lambda gb: judge.TrustedNotebook.from_gradebook(gb, chapter, chapter))


def finish(job: Job, course: Path, db_url: str, budget: sandbox.Budget | None = None,
           page: str | None = None) -> float:
    """Record a worker's finished notebook in one transaction (nbgrader's LimitOutput, SaveAutoGrades,
    AssignLatePenalties), then write autograded/ and, with `page`, feedback/ as nbgrader's commands lay them out.
    Returns the late penalty the gradebook gave."""
    nb = job.executed
    job.notes += limit_outputs(nb, budget or sandbox.Budget())     # the worker cut them already; a check, not a cost
    resources = _resources(db_url, job.chapter, job.student)
    config = _config(30)
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


# ---------------------------------------------------------------- results


def outcome_from_gradebook(gb, course: Path, job: Job) -> Outcome:
    submission = gb.find_submission(job.chapter, job.student)
    outcome = Outcome(job.student, job.chapter, job.invalid_status if job.invalid else "graded",
                      submission.score, submission.max_score, notes=list(job.notes))
    if job.invalid:
        outcome.notes.insert(0, job.invalid)
    cells = _grade_cells_in(job.executed) if job.executed is not None and not job.invalid else {}
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


# ---------------------------------------------------------------- the run


def submitted_chapters(course: Path, db_url: str) -> list[str]:
    return with_gradebook(db_url, lambda gb: sorted(a.name for a in gb.assignments))


def _guard(job: Job, stage: str, fn, *args) -> None:
    """Run one stage for one submission; the grader's own failure there becomes "not graded", for it alone."""
    if job.not_graded:
        return
    try:
        fn(job, *args)
    except NotGraded as err:
        job.not_graded = f"{stage}: {err}"
    except Exception as err:  # noqa: BLE001 — whatever it is, it is this submission's and the grader's problem
        job.not_graded = f"{stage}: {type(err).__name__}: {str(err)[:300]}"


def grade(course: Path, chapters: list[str] | None = None, students: list[str] | None = None, workers: int = 2,
          timeout: int = 30, memory_mb: int = sandbox.Budget.memory_bytes // 2**20, feedback: bool = True,
          show_hidden: bool = False, report: bool = True, log=print, scheduler: str | None = None,
          db: str | None = None, budget: sandbox.Budget | None = None, lock_wait: float = 600.0,
          unsafe_no_sandbox: bool = False) -> GradingRun:
    course = course.resolve()
    nbgrader_speedups.apply()
    if unsafe_no_sandbox and scheduler:
        raise SystemExit("refusing --unsafe-no-sandbox with --scheduler: a cluster's workers run student code "
                         "unattended, always in a sandbox (a worker that cannot make one is left out)")
    reason = sandbox.unavailable_reason()
    if reason and not unsafe_no_sandbox:
        raise SystemExit(f"refusing to run student code: {reason} (--unsafe-no-sandbox overrides this)")
    budget = budget or sandbox.Budget(memory_bytes=memory_mb * 2**20)
    if unsafe_no_sandbox and reason:
        os.environ[sandbox.UNSAFE_ENV] = "1"
        limits = f"NO SANDBOX (--unsafe-no-sandbox; {reason}): student code runs as this user, with limits only"
    else:
        limits = sandbox.limits_in_force()
    with course_lock(course, lock_wait, log):
        return _grade(course, chapters, students, workers, timeout, feedback, show_hidden, report, log, scheduler,
                      gradebook_db.db_url(course, db), budget, limits)


def _grade(course, chapters, students, workers, timeout, feedback_wanted, show_hidden, report, log, scheduler, db_url,
           budget, limits) -> GradingRun:
    started = time.monotonic()
    log(limits)
    # A skipped step: one line, no traceback (waiting, as every gradebook access here, while another process
    # holds the gradebook's lock).
    chapters = retry_locked(lambda: missing_steps.check(course, chapters, log, db_url))
    before = course_hashes(course, [ROOT / "autograder"] if (ROOT / "autograder") not in course.parents else [])
    # Roster: the gradebook's students, plus anyone with a submission folder (nbgrader autograde adds them too),
    # except ids that are not safe file names: those are refused with the reason.
    on_disk = sorted(p.name for p in (course / "submitted").glob("*") if p.is_dir() and not p.is_symlink())
    roster = with_gradebook(db_url, lambda gb: sorted(s.id for s in gb.students))
    refused = {s: r for s in {*on_disk, *roster} if (r := unsafe_id_reason(s))}
    for s in on_disk:
        if s not in roster and s not in refused and (students is None or s in students):
            with_gradebook(db_url, lambda gb: gb.update_or_create_student(s))
            roster.append(s)
    wanted = sorted((set(roster) if students is None else set(students)) - set(refused))
    outcomes: dict[str, dict[str, Outcome]] = {c: {} for c in chapters}
    src_dir = lambda ch: course / "solutions" / ch if (course / "solutions" / ch).exists() else course / "source" / ch
    extra = {ch: {p.name: p.read_bytes() for p in src_dir(ch).glob("*")
                  if p.is_file() and not p.is_symlink() and p.suffix != ".ipynb"} for ch in chapters}
    trusted = {ch: trusted_notebook(db_url, ch) for ch in chapters}
    if scheduler is None:
        worker.prepare(list(trusted.values()))      # before the local workers fork: loaded once, shared
    records = {ch: with_gradebook(db_url, lambda gb, ch=ch: validate.GradebookRecord.read(gb, ch, ch))
               for ch in chapters}
    # Feedback is rendered by the worker that ran the notebook, from the instructor's markdown sent with the job.
    pages = {ch: {"instructor_markdown": with_gradebook(db_url, lambda gb, ch=ch: feedback.instructor_markdown(gb, ch)),
                  "show_hidden": show_hidden, "course": str(course)} if feedback_wanted else None for ch in chapters}
    runnable: dict[str, Job] = {}
    submitted = sum(1 for ch in chapters for s in wanted
                    if os.path.lexists(course / "submitted" / s / ch / f"{ch}.ipynb"))
    progress = Progress(submitted, log)

    def record(job: Job, page: str | None = None) -> None:
        """Record one submission (this trusted process only), and its outcome."""
        progress.done()
        if job.invalid:
            _guard(job, "recording", lambda j: record_invalid(j, course, db_url))
        elif not job.not_graded:
            _guard(job, "recording", lambda j: _record_page(j, page))
        outcome = job.outcome
        if not job.not_graded and outcome is None:
            try:
                outcome = with_gradebook(db_url, lambda gb: outcome_from_gradebook(gb, course, job))
            except Exception as err:  # noqa: BLE001
                job.not_graded = f"reading back the grade: {type(err).__name__}: {str(err)[:300]}"
        if job.not_graded:
            outcome = Outcome(job.student, job.chapter, NOT_GRADED,
                              notes=[f"not graded: {job.not_graded} (the grader's failure, not the student's: "
                                     "grade again)", *job.notes])
        outcomes[job.chapter][job.student] = outcome
        write_outcome(course, outcome)

    def _record_page(job: Job, page: str | None) -> None:
        penalty = finish(job, course, db_url, budget, page)
        if penalty and page is not None:        # the worker's page could not know the late penalty: made again here
            grades = scoring.cell_scores(job.executed, records[job.chapter].points)
            page = feedback.render_page(nbformat.from_dict(job.executed), job.chapter, job.student, grades,
                                        pages[job.chapter]["instructor_markdown"], show_hidden, penalty, str(course))
            (course / "feedback" / job.student / job.chapter / f"{job.chapter}.html").write_text(page, "utf-8")

    def payloads():
        """Each submission read and sanitized as the workers ask for more (so that this serial part overlaps their
        work); one that cannot run is recorded at once."""
        for chapter in chapters:
            for s, why in refused.items():
                if students is None or s in students:
                    outcomes[chapter][s] = Outcome(s, chapter, NOT_GRADED, notes=[why])
            source = nbformat.read(src_dir(chapter) / f"{chapter}.ipynb", as_version=4)
            rules = policy.Rules.from_source(source)
            source_ids = set(_grade_cells_in(source))
            for student in wanted:
                path = course / "submitted" / student / chapter / f"{chapter}.ipynb"
                if not os.path.lexists(path):
                    continue                       # missing: listed in the export, nothing recorded
                started_job = time.perf_counter()
                job = Job(student, chapter, path)
                _guard(job, "reading and sanitizing", sanitize, course, db_url, timeout, rules, source_ids, budget,
                       sorted(records[chapter].points))
                if job.invalid or job.not_graded:
                    record(job)
                    serial[0] += time.perf_counter() - started_job
                    continue
                runnable[f"{chapter}/{student}"] = job
                payload = worker.job_for(student, chapter, job.nb, job.notes, job.violations, timeout, budget,
                                         extra[chapter], trusted[chapter], records[chapter].points, pages[chapter])
                serial[0] += time.perf_counter() - started_job
                yield payload

    # Execute: each notebook is a job of plain data, run by a local thread or a cluster's worker (each in a sandbox
    # of its own); each result comes back here once and is recorded as it arrives. Grades do not depend on the order.
    serial = [0.0]
    for payload, result in cluster.run_jobs(run_notebook_job, payloads(), scheduler, workers, log):
        started_job = time.perf_counter()
        job = runnable[payload["id"]]
        page = None
        if "error" in result:       # the grader's failure, not the student's: nothing recorded, a rerun grades it
            job.not_graded = f"running: {result['error']}"
        else:
            problems = validate.check_worker_result(result, records[job.chapter])
            if not problems:
                job.executed = nbformat.reads(result["executed"], as_version=4)
                # Scores come from the gradebook's cells and points, never from what the worker's notebook says,
                # and the worker's own scores (on its feedback page) must be those.
                problems = validate.check_result(job.executed, records[job.chapter]) or validate.check_scores(
                    job.executed, result["grades"], records[job.chapter])
            if problems:
                job.not_graded = f"the result from {result.get('worker')} does not match the gradebook: " \
                                 + "; ".join(problems)[:500]
            job.notes = [str(n) for n in result["notes"]] if isinstance(result.get("notes"), list) else job.notes
            page = result.get("feedback") if feedback_wanted and isinstance(result.get("feedback"), str) else None
            took = result.get("seconds")
            log(f"  ran {payload['id']} on {result.get('worker')}"
                + (f" in {took:.2f} s" if isinstance(took, (int, float)) else ""))
        record(job, page)
        serial[0] += time.perf_counter() - started_job
    for chapter in chapters:
        for student in wanted:
            if student not in outcomes[chapter]:
                max_score = with_gradebook(db_url, lambda gb: gb.find_assignment(chapter).max_score)
                outcomes[chapter][student] = Outcome(student, chapter, "missing", 0.0, max_score,
                                                     notes=["no submission"])
                write_outcome(course, outcomes[chapter][student])
        for s, o in outcomes[chapter].items():
            if s in refused:
                o.max_score = with_gradebook(db_url, lambda gb: gb.find_assignment(chapter).max_score)
    export_roster_csv(course, outcomes, course / "grading" / "grades.csv", db_url)
    if report:
        from autograder.grading.class_report import write_report
        write_report({c: {s: o for s, o in by.items() if o.status != NOT_GRADED} for c, by in outcomes.items()},
                     course / "grading")
    after = course_hashes(course, [ROOT / "autograder"] if (ROOT / "autograder") not in course.parents else [])
    problems = compare_hashes(before, after)
    return GradingRun(course, outcomes, problems, time.monotonic() - started,
                      sum(1 for j in runnable.values() if j.executed is not None), limits, serial[0])


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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.grading.autograde", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("chapters", nargs="*", help="assignments to grade (default: every one in the gradebook)")
    p.add_argument("--course", type=Path, default=ROOT)
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    p.add_argument("--timeout", type=int, default=30, help="seconds a cell may run")
    b = sandbox.Budget()
    p.add_argument("--memory-mb", type=int, default=b.memory_bytes // 2**20,
                   help="memory of one notebook's whole process tree (a cgroup where available)")
    p.add_argument("--notebook-timeout", type=float, default=b.wall_s, help="wall seconds for a whole notebook")
    p.add_argument("--disk-mb", type=int, default=b.disk_bytes // 2**20, help="the notebook's writable folder")
    p.add_argument("--output-kb", type=int, default=b.output_bytes // 2**10, help="output kept per notebook")
    p.add_argument("--lock-wait", type=float, default=600.0,
                   help="seconds to wait for another grading run of this course before refusing")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run student code without the sandbox where bubblewrap cannot run (never on untrusted code)")
    p.add_argument("--show-hidden-tests", action="store_true", help="feedback shows the hidden tests' source")
    p.add_argument("--no-feedback", action="store_true")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help="run the notebooks on this Dask cluster's workers (default: --workers threads here)")
    p.add_argument("--db", metavar="URL", help="the gradebook (default: nbgrader's CourseDirectory.db_url, "
                                               "from nbgrader_config.py; else COURSE/gradebook.db)")
    a = p.parse_args(argv)
    budget = sandbox.Budget(wall_s=a.notebook_timeout, memory_bytes=a.memory_mb * 2**20,
                            disk_bytes=a.disk_mb * 2**20, output_bytes=a.output_kb * 2**10)
    run = grade(a.course, a.chapters or None, a.student, a.workers, a.timeout, feedback=not a.no_feedback,
                show_hidden=a.show_hidden_tests, scheduler=a.scheduler, db=a.db, budget=budget,
                lock_wait=a.lock_wait, unsafe_no_sandbox=a.unsafe_no_sandbox)
    print_summary(run)
    if run.not_graded():
        return 4
    return 0 if run.ok() else 3


if __name__ == "__main__":
    sys.exit(main())
