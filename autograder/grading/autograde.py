"""The instructor's grading command: nbgrader's autograde, with student code in a sandbox, in parallel, and checked.

    python -m autograder.grading.autograde [CHAPTER ...] [--course DIR] [--workers N] [--timeout S] [--student ID ...]
                               [--show-hidden-tests] [--no-feedback] [--scheduler tcp://HOST:8786] [--db URL]

It follows nbgrader's own Autograde step for step, with nbgrader's preprocessors and its gradebook
(ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells with add_missing_cells, CheckCellMetadata; then
LimitOutput, SaveAutoGrades, AssignLatePenalties), and changes three things:

* execution: each notebook is judged the trusted way (`autograder.grading.judge`): its test cells run in this
  process from the gradebook's source, the student's cells in a sandboxed process without torch (`executor`,
  `launch`); a dead or stuck process costs its cell only;
* the rules: `autograder.grading.policy` (NumPy only, no tampering) zeroes the tests a violation affects, with the
  reason
  written into the test cell, so nbgrader's own scoring and feedback show it;
* the bookkeeping: all gradebook writes happen here, one student at a time, retried while another process holds
  the database lock; invalid notebooks get a graded zero; the export lists the whole roster, missing ones marked;
  the course's files (config, sources, release) are hashed before and after and any change is reported.

Notebooks are executed `--workers` at a time on this machine, or by the workers of the Dask cluster at
`--scheduler` (`autograder.grading.cluster`: the same job function either way, a notebook's result recorded once),
and everything else runs in a fixed order, so the results equal a sequential run's. The gradebook is nbgrader's
`CourseDirectory.db_url` (`autograder.grading.gradebook_db`: SQLite by default, PostgreSQL by config or `--db`).
Outputs: autograded/ and feedback/ (nbgrader's), grading/<chapter>/<student>.json (scores and reasons),
grading/grades.csv, and the class report grading/report.{md,csv,png}.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell, new_output
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

from autograder.grading import cluster, gradebook_db, judge, launch, missing_steps, policy, sandbox
from autograder.grading.release import nbgrader
from autograder.grading.results import CellResult, StudentResult, error_reason
from autograder.layout import ROOT

WORK_DIRS = ("submitted", "autograded", "feedback", "grading")
# Not hashed: nbgrader's and our outputs, and what is regenerated or too big to matter.
UNHASHED = {*WORK_DIRS, "gradebook.db", ".venv", ".git", "_build", "__pycache__", ".pytest_cache",
            ".nbgrader.log", ".ipynb_checkpoints"}
UNHASHED |= {"exchange", "downloaded"}      # students submit and LMS archives arrive while grading runs


@dataclass
class Outcome:
    """One student's result on one chapter, as written to grading/<chapter>/<student>.json."""
    student: str
    chapter: str
    status: str                      # graded | missing | invalid
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

    def ok(self) -> bool:
        return not self.integrity_problems


# ---------------------------------------------------------------- integrity


def course_hashes(course: Path, also: list[Path] = ()) -> dict[str, str]:
    """sha256 of every course file a grading run must not change (config, sources, release, the course code)."""
    out = {}
    for base in [course, *also]:
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d not in UNHASHED and not d.startswith("course-sandbox")]
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


def private_paths(course: Path) -> list[Path]:
    """What the sandbox users must not read: the gradebook, sources, submissions, config, history, builds."""
    paths = [course / n for n in ("solutions", "source", *WORK_DIRS, "gradebook.db", "nbgrader_config.py",
                                  ".git", "_build")]
    paths += [ROOT / n for n in ("solutions", ".git", "_build", "tests", "submitted", "autograded", "feedback",
                                 "grading", "gradebook.db")]
    parent = course.parent
    while parent != parent.parent and parent != Path("/"):   # a course inside a build folder: close that too
        if parent.name in ("_build",):
            paths.append(parent)
        parent = parent.parent
    return list(dict.fromkeys(paths))


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


def read_submission(path: Path):
    """The notebook, or the reason it cannot be graded."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        return nb, None
    except Exception as err:  # not JSON, not a notebook, an nbformat nobody reads
        return None, f"invalid notebook ({type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''})"


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


def sanitize(job: Job, course: Path, db_url: str, timeout: int, rules: policy.Rules) -> None:
    """nbgrader's sanitizing steps, plus the report of what they repaired and of rule violations."""
    nb, problem = read_submission(job.submitted)
    if problem:
        job.invalid = problem
        return
    expected = with_gradebook(db_url, lambda gb: sorted(
        [c.name for c in gb.find_notebook(job.chapter, job.chapter).grade_cells]))
    present = _grade_cells_in(nb)
    missing = [g for g in expected if g not in present or not present[g].metadata.get("nbgrader", {}).get("grade")]
    if missing:
        job.notes.append("test cells deleted or stripped of their metadata (restored from the source and graded): "
                         + ", ".join(missing))
    released = course / "release" / job.chapter / f"{job.chapter}.ipynb"
    if not released.exists():
        released = course / "exercises" / job.chapter / f"{job.chapter}.ipynb"
    if released.exists():
        original = {g: c.source for g, c in _grade_cells_in(nbformat.read(released, as_version=4)).items()
                    if c.metadata["nbgrader"].get("locked")}
        edited = [g for g, c in present.items() if g in original and c.source.strip() != original[g].strip()]
        if edited:
            job.notes.append("locked cells edited (the originals were restored and graded): " + ", ".join(edited))
    resources = _resources(db_url, job.chapter, job.student)
    config = _config(timeout)
    try:
        for pp in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
            nb, resources = retry_locked(lambda: pp(config=config).preprocess(nb, resources))
    except Exception as err:
        job.invalid = f"invalid notebook ({type(err).__name__}: {str(err)[:200]})"
        return
    job.violations = policy.check_notebook(nb, rules)
    job.nb = nb


def execute(job: Job, run_dir: Path, slot: int, timeout: int, memory_mb: int, extra_files: list[Path],
            trusted: judge.TrustedNotebook) -> None:
    """Judge the job's notebook the trusted way (autograder.grading.judge): its test cells run in this process
    from the gradebook's source, the student's cells in a sandboxed process without torch."""
    n_code = sum(c.cell_type == "code" for c in job.nb.cells)
    budget = launch.Budget(wall_s=timeout * (n_code + 4) + 120, cpu_s=600, memory_bytes=memory_mb * 2**20,
                           disk_bytes=256 * 2**20, output_bytes=16 * 2**20)
    # Until the bubblewrap sandbox's start() exists (launch.isolated()), the stand-in runs the student's process as
    # the slot's unprivileged user, in a folder that user owns, and its processes and files are removed after.
    legacy = not launch.isolated() and hasattr(sandbox, "ensure_user")
    ids = sandbox.ensure_user(slot) if legacy else None
    if legacy:
        work = sandbox.make_workdir(run_dir / "sandbox", f"{job.student}-{job.chapter}", ids)
    else:
        work = run_dir / "sandbox" / f"{job.student}-{job.chapter}"
        work.mkdir(parents=True, exist_ok=True)
    try:
        events = judge.judge_notebook(job.nb, trusted, timeout=timeout, budget=budget, extra_files=extra_files,
                                      workdir=work)
        job.notes += [f"kernel: {e}" for e in events]
    except Exception as err:  # the grader's own failure: every test 0 with the reason, the class goes on
        job.notes.append(f"execution failed, every test scored 0: {type(err).__name__}: {err}")
        for cell in job.nb.cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
                cell.outputs = [new_output("error", ename="GradingError", evalue="the notebook could not be run",
                                           traceback=[])]
    finally:
        if ids:
            sandbox.kill_user_processes(ids[0])
            sandbox.remove_user_files(ids[0])
        shutil.rmtree(work, ignore_errors=True)
    job.executed = job.nb


def trusted_notebook(db_url: str, chapter: str) -> judge.TrustedNotebook:
    """The chapter's trusted cells, from the gradebook (what nbgrader's OverwriteCells restores), read once by the
    coordinator and handed to every worker with its jobs."""
    return with_gradebook(db_url, lambda gb: judge.TrustedNotebook.from_gradebook(gb, chapter, chapter))


def notebook_job(job: Job, timeout: int, memory_mb: int, extra_files: list[Path],
                 trusted: judge.TrustedNotebook) -> dict:
    """What a worker needs to judge one sanitized notebook (it reads nothing of the course folder): the notebook, the
    chapter's data files and its trusted cells, which the worker's trusted process runs."""
    return {"id": f"{job.chapter}/{job.student}", "student": job.student, "chapter": job.chapter,
            "notebook": nbformat.writes(job.nb), "extra": {f.name: f.read_bytes() for f in extra_files},
            "timeout": timeout, "memory_mb": memory_mb, "trusted": trusted}


_protected = False


def run_notebook_job(payload: dict) -> dict:
    """The unit of work a worker runs (a local thread or a Dask worker): one notebook, in a sandbox slot of that
    machine. Returns the executed notebook and notes as plain data, which only the coordinator records."""
    global _protected
    problems = cluster.preflight_problems()
    if problems:
        return {"id": payload["id"], "preflight": problems}
    if not _protected:          # on a worker machine, its own checkout's private parts
        sandbox.protect(private_paths(ROOT))
        _protected = True
    job = Job(payload["student"], payload["chapter"], Path(payload["chapter"]),
              nb=nbformat.reads(payload["notebook"], as_version=4))
    run_dir = sandbox.SANDBOX_BASE / f"job-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    try:
        (run_dir / "extra").mkdir(parents=True)
        extra = []
        for name, data in payload["extra"].items():
            extra.append(run_dir / "extra" / Path(name).name)
            extra[-1].write_bytes(data)
        with cluster.sandbox_slot() as slot:
            execute(job, run_dir, slot, payload["timeout"], payload["memory_mb"], extra, payload["trusted"])
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    return {"id": payload["id"], "executed": nbformat.writes(job.executed), "notes": job.notes,
            "worker": cluster.worker_name()}


def finish(job: Job, course: Path, db_url: str) -> None:
    """Trusted post-processing: rules, stderr, then nbgrader's LimitOutput/SaveAutoGrades/AssignLatePenalties."""
    nb = job.executed
    graded = [g for g, c in _grade_cells_in(nb).items() if c.metadata["nbgrader"].get("grade")]
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        # nbgrader fails a cell that wrote to stderr: a warning from a correct answer must not cost the points.
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                out["name"] = "stdout"
                out["text"] = "".join(f"[stderr] {line}\n" for line in out["text"].splitlines())
        zeroed = policy.zeroed_tests(job.violations, graded).get(meta.get("grade_id"))
        if meta.get("grade") and zeroed:
            cell.outputs.insert(0, new_output("error", ename="GradingPolicy", evalue=" | ".join(zeroed),
                                           traceback=["GradingPolicy: " + " | ".join(zeroed)]))
    for v in job.violations:
        job.notes.append(f"rule broken: {v}")
    nb.metadata.pop("autograder", None)
    if job.notes:
        nb.cells.insert(0, new_markdown_cell("**Grader's notes**\n\n" + "\n".join(f"* {n}" for n in job.notes)))
    resources = _resources(db_url, job.chapter, job.student)
    config = _config(30)

    def save(gb):
        _record_submission(gb, job, course)
        res = resources
        for pp in (LimitOutput, SaveAutoGrades, AssignLatePenalties):
            _, res = pp(config=config).preprocess(nb, res)
    with_gradebook(db_url, save)
    dest = course / "autograded" / job.student / job.chapter
    dest.mkdir(parents=True, exist_ok=True)
    for f in job.submitted.parent.glob("timestamp.txt"):
        shutil.copy2(f, dest / f.name)
    # nbgrader's release_feedback files the feedback under the secret the student's `nbgrader submit` wrote.
    for f in job.submitted.parent.glob("submission_secret.txt"):
        shutil.copy2(f, dest / f.name)
    nbformat.write(nb, dest / f"{job.chapter}.ipynb")


def _record_submission(gb, job: Job, course: Path) -> None:
    gb.update_or_create_student(job.student)
    stamp = job.submitted.parent / "timestamp.txt"
    kwargs = {}
    if stamp.exists() and stamp.read_text().strip():
        try:
            kwargs["timestamp"] = parse_utc(stamp.read_text().strip())
        except ValueError:
            pass
    gb.update_or_create_submission(job.chapter, job.student, **kwargs)


def record_invalid(job: Job, course: Path, db_url: str) -> None:
    """A notebook nbgrader cannot read is a submission with zero on every test (not an empty row)."""
    def save(gb):
        _record_submission(gb, job, course)
        notebook = gb.find_submission_notebook(job.chapter, job.chapter, job.student)
        for grade in notebook.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        gb.db.commit()
    with_gradebook(db_url, save)


# ---------------------------------------------------------------- results


def all_errors(cell) -> str:
    """Every error a graded cell shows (a rule broken and a timeout, say), each as one readable line."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return error_reason(cell)
    return " // ".join(dict.fromkeys(error_reason({"outputs": [e]}) for e in errors))


def outcome_from_gradebook(gb, course: Path, job: Job) -> Outcome:
    submission = gb.find_submission(job.chapter, job.student)
    outcome = Outcome(job.student, job.chapter, "invalid" if job.invalid else "graded",
                      submission.score, submission.max_score, notes=list(job.notes))
    if job.invalid:
        outcome.notes.insert(0, job.invalid)
    graded = course / "autograded" / job.student / job.chapter / f"{job.chapter}.ipynb"
    cells = _grade_cells_in(nbformat.read(graded, as_version=4)) if graded.exists() and not job.invalid else {}
    for notebook in submission.notebooks:
        for grade in sorted(notebook.grades, key=lambda g: g.name):
            score = grade.score or 0.0
            reason = ""
            if score < grade.max_score:
                reason = all_errors(cells[grade.name]) if grade.name in cells else (job.invalid or "not graded")
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
                if o.status != "missing":
                    try:
                        sub = gb.find_submission(chapter, student.id)
                        timestamp, penalty = sub.timestamp or "", sub.late_submission_penalty
                    except MissingEntry:
                        pass
                rows.append({"assignment": chapter, "duedate": assignment.duedate or "", "timestamp": timestamp,
                             "student_id": student.id, "last_name": student.last_name or "",
                             "first_name": student.first_name or "", "email": student.email or "",
                             "raw_score": o.score, "late_submission_penalty": penalty, "score": o.score,
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


def grade(course: Path, chapters: list[str] | None = None, students: list[str] | None = None, workers: int = 2,
          timeout: int = 30, memory_mb: int = sandbox.Limits.memory_bytes // 2**20, feedback: bool = True,
          show_hidden: bool = False, report: bool = True, log=print, scheduler: str | None = None,
          db: str | None = None) -> GradingRun:
    started = time.monotonic()
    course = course.resolve()
    db_url = gradebook_db.db_url(course, db)
    # A skipped step: one line, no traceback (waiting, as every gradebook access here, while another process
    # holds the gradebook's lock).
    chapters = retry_locked(lambda: missing_steps.check(course, chapters, log, db_url))
    before = course_hashes(course, [ROOT / "autograder"] if (ROOT / "autograder") not in course.parents else [])
    sandbox.protect(private_paths(course))
    slots = list(range(max(1, workers)))
    ids = sandbox.ensure_user(0)
    readable = sandbox.probe(private_paths(course), ids)
    if readable:
        raise SystemExit(f"refusing to grade: the sandbox user can read {readable}")
    if not ids:
        log("warning: not root, so student code runs as this user (limits and a private folder only)")
    # Roster: the gradebook's students, plus anyone with a submission folder (nbgrader autograde adds them too).
    on_disk = sorted(p.name for p in (course / "submitted").glob("*") if p.is_dir())
    roster = with_gradebook(db_url, lambda gb: sorted(s.id for s in gb.students))
    for s in on_disk:
        if s not in roster and (students is None or s in students):
            with_gradebook(db_url, lambda gb: gb.update_or_create_student(s))
            roster.append(s)
    wanted = sorted(set(roster) if students is None else set(students))
    outcomes: dict[str, dict[str, Outcome]] = {c: {} for c in chapters}
    jobs: list[Job] = []
    for chapter in chapters:
        source = nbformat.read(course / "solutions" / chapter / f"{chapter}.ipynb", as_version=4) \
            if (course / "solutions" / chapter).exists() else \
            nbformat.read(course / "source" / chapter / f"{chapter}.ipynb", as_version=4)
        rules = policy.Rules.from_source(source)
        for student in wanted:
            path = course / "submitted" / student / chapter / f"{chapter}.ipynb"
            if not path.exists():
                continue                       # missing: listed in the export, nothing recorded
            job = Job(student, chapter, path)
            sanitize(job, course, db_url, timeout, rules)
            jobs.append(job)
    # Execute: each notebook is a job of plain data, run by a local thread or a cluster's worker (each in a sandbox
    # slot of its machine); the results come back here, once per notebook.
    src_dir = lambda ch: course / "solutions" / ch if (course / "solutions" / ch).exists() else course / "source" / ch
    extra = {ch: [p for p in src_dir(ch).glob("*") if p.is_file() and p.suffix != ".ipynb"] for ch in chapters}
    runnable = {f"{j.chapter}/{j.student}": j for j in jobs if not j.invalid}
    trusted = {ch: trusted_notebook(db_url, ch) for ch in chapters}
    payloads = (notebook_job(j, timeout, memory_mb, extra[j.chapter], trusted[j.chapter]) for j in runnable.values())
    failed = []
    for payload, result in cluster.run_jobs(run_notebook_job, payloads, scheduler, len(slots), log):
        if "error" in result:
            failed.append(f"{payload['id']}: {result['error']}")
            continue
        job = runnable[payload["id"]]
        job.executed = nbformat.reads(result["executed"], as_version=4)
        job.notes += result["notes"]
        log(f"  ran {payload['id']} on {result['worker']}")
    if failed:      # the grader's failure, not the students': nothing recorded, a rerun grades them
        raise RuntimeError("notebooks could not be run:\n  " + "\n  ".join(failed))
    # Record, in a fixed order, from this (trusted) process only.
    for job in sorted(jobs, key=lambda j: (j.chapter, j.student)):
        if job.invalid:
            record_invalid(job, course, db_url)
        else:
            finish(job, course, db_url)
        outcome = with_gradebook(db_url, lambda gb: outcome_from_gradebook(gb, course, job))
        outcomes[job.chapter][job.student] = outcome
        write_outcome(course, outcome)
    for chapter in chapters:
        for student in wanted:
            if student not in outcomes[chapter]:
                max_score = with_gradebook(db_url, lambda gb: gb.find_assignment(chapter).max_score)
                outcomes[chapter][student] = Outcome(student, chapter, "missing", 0.0, max_score,
                                                     notes=["no submission"])
                write_outcome(course, outcomes[chapter][student])
    if feedback:
        for chapter in chapters:
            args = ["generate_feedback", chapter, "--force"]
            if db:              # else nbgrader finds the same gradebook in the config (a password stays off `ps`)
                args.append(f"--CourseDirectory.db_url={db_url}")
            if show_hidden:
                args.append("--HideHiddenTests.enabled=False")
            result = nbgrader(*args, root=course, check=False)
            if result.returncode != 0:
                log(f"warning: nbgrader generate_feedback {chapter} failed:\n{result.stderr[-2000:]}")
    export_roster_csv(course, outcomes, course / "grading" / "grades.csv", db_url)
    if report:
        from autograder.grading.class_report import write_report
        write_report(outcomes, course / "grading")
    after = course_hashes(course, [ROOT / "autograder"] if (ROOT / "autograder") not in course.parents else [])
    problems = compare_hashes(before, after)
    leftover = [s for s in slots if (i := sandbox.ensure_user(s)) and sandbox.user_pids(i[0])]
    problems += [f"processes of {sandbox.user_name(s)} still running after grading" for s in leftover]
    return GradingRun(course, outcomes, problems, time.monotonic() - started,
                      sum(1 for j in jobs if not j.invalid))


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
        log("Integrity: course files and config unchanged; no sandbox process left.")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.grading.autograde", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("chapters", nargs="*", help="assignments to grade (default: every one in the gradebook)")
    p.add_argument("--course", type=Path, default=ROOT)
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    p.add_argument("--timeout", type=int, default=30, help="seconds a cell may run")
    p.add_argument("--memory-mb", type=int, default=sandbox.Limits.memory_bytes // 2**20)
    p.add_argument("--show-hidden-tests", action="store_true", help="feedback shows the hidden tests' source")
    p.add_argument("--no-feedback", action="store_true")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help="run the notebooks on this Dask cluster's workers (default: --workers threads here)")
    p.add_argument("--db", metavar="URL", help="the gradebook (default: nbgrader's CourseDirectory.db_url, "
                                               "from nbgrader_config.py; else COURSE/gradebook.db)")
    a = p.parse_args(argv)
    run = grade(a.course, a.chapters or None, a.student, a.workers, a.timeout, a.memory_mb,
                feedback=not a.no_feedback, show_hidden=a.show_hidden_tests, scheduler=a.scheduler, db=a.db)
    print_summary(run)
    return 0 if run.ok() else 3


if __name__ == "__main__":
    sys.exit(main())
