"""The instructor's grading command: nbgrader's autograde, with student code in a sandbox, in parallel, and checked.

    python -m autograder.grading.autograde [CHAPTER ...] [--course DIR] [--workers N] [--timeout S] [--student ID ...]
                               [--show-hidden-tests] [--no-feedback] [--scheduler tcp://HOST:8786] [--db URL]

It follows nbgrader's own Autograde step for step, with nbgrader's preprocessors and its gradebook
(ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells with add_missing_cells, CheckCellMetadata; then
LimitOutput, SaveAutoGrades, AssignLatePenalties), and changes three things:

* execution: each notebook is judged the trusted way (`autograder.grading.judge`): its test cells run in the
  worker's process from the gradebook's source, the student's cells in a process of their own in a bubblewrap sandbox
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

The command parses its arguments and runs the stages, each a module of its own, shared with `nbgrader autograde` and
the formgrader where they have a counterpart (ARCHITECTURE.md, *The grading pipeline*): `reading` and `sanitizing`
(+ `policy`) here, then on a worker (`worker`: a local process forked from this one, or a Dask worker, chosen by
`cluster`) `judge`, `scoring` and `feedback`, returning plain data; back here `validate` (the result against the
gradebook), `record` (one transaction per notebook, under `course_lock`), `outcomes` (grades.csv, the per-student
JSON, the summary), `integrity` and `progress`.

Notebooks run `--workers` at a time on this machine, or on the workers of the Dask cluster at `--scheduler` (the same
job function either way, a notebook's result recorded once). This process reads and sanitizes each submission as the
workers need more, and records each result as it arrives, so its serial work overlaps theirs; no grade depends on
the order, and the results equal a sequential run's (a test compares them). The gradebook is nbgrader's
`CourseDirectory.db_url` (`autograder.grading.gradebook_db`: SQLite by default, PostgreSQL by config or `--db`).
Outputs: autograded/ and feedback/ (nbgrader's layout), grading/<chapter>/<student>.json (scores and reasons),
grading/grades.csv, and the class report grading/report.{md,csv,png}.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat

from autograder.grading import (
    cluster,
    feedback,
    gradebook_db,
    judge,
    missing_steps,
    nbgrader_speedups,
    policy,
    sandbox,
    scoring,
    validate,
    worker,
)
from autograder.grading.course_lock import course_lock
from autograder.grading.gradebook_session import retry_locked, with_gradebook
from autograder.grading.gradebook_snapshot import GradebookSnapshot
from autograder.grading.integrity import compare_hashes, course_hashes
from autograder.grading.outcomes import (
    NOT_GRADED,
    GradingRun,
    Outcome,
    export_roster_csv,
    outcome_from_gradebook,
    print_summary,
    write_outcome,
)
from autograder.grading.progress import Progress
from autograder.grading.reading import read_submission, read_timestamp
from autograder.grading.record import record_graded, record_invalid
from autograder.grading.sanitizing import sanitize
from autograder.grading.student_ids import unsafe_id_reason
from autograder.grading.submission import Job, grade_cells_in, guard
from autograder.grading.worker import run_notebook_job
from autograder.layout import ROOT

# Names other modules and tests import from here, the command's module.
__all__ = ["NOT_GRADED", "course_lock", "grade", "main", "read_submission", "read_timestamp", "run_notebook_job",
           "with_gradebook"]


def trusted_notebook(db_url: str, chapter: str) -> judge.TrustedNotebook:
    """The chapter's trusted cells, from the gradebook (what nbgrader's OverwriteCells restores), read once by the
    coordinator and handed to every worker with its jobs."""
    return with_gradebook(db_url, lambda gb: judge.TrustedNotebook.from_gradebook(gb, chapter, chapter))


def submitted_chapters(course: Path, db_url: str) -> list[str]:
    return with_gradebook(db_url, lambda gb: sorted(a.name for a in gb.assignments))


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
    snapshots = {ch: with_gradebook(db_url, lambda gb, ch=ch: GradebookSnapshot.read(gb, ch, ch)) for ch in chapters}
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
            guard(job, "recording", lambda j: record_invalid(j, course, db_url))
        elif not job.not_graded:
            guard(job, "recording", lambda j: _record_page(j, page))
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
        penalty = record_graded(job, course, db_url, budget, page)
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
            source_ids = set(grade_cells_in(source))
            for student in wanted:
                path = course / "submitted" / student / chapter / f"{chapter}.ipynb"
                if not os.path.lexists(path):
                    continue                       # missing: listed in the export, nothing recorded
                started_job, cpu_job = time.perf_counter(), time.thread_time()
                job = Job(student, chapter, path)
                guard(job, "reading and sanitizing", sanitize, course, db_url, timeout, rules, source_ids, budget,
                       sorted(records[chapter].points), snapshots[chapter])
                if job.invalid or job.not_graded:
                    record(job)
                    serial[0] += time.perf_counter() - started_job
                    serial[1] += time.thread_time() - cpu_job
                    continue
                runnable[f"{chapter}/{student}"] = job
                payload = worker.job_for(student, chapter, job.nb, job.notes, job.violations, timeout, budget,
                                         extra[chapter], trusted[chapter], records[chapter].points, pages[chapter])
                serial[0] += time.perf_counter() - started_job
                serial[1] += time.thread_time() - cpu_job
                yield payload

    # Execute: each notebook is a job of plain data, run by a local thread or a cluster's worker (each in a sandbox
    # of its own); each result comes back here once and is recorded as it arrives. Grades do not depend on the order.
    serial = [0.0, 0.0]        # wall and CPU seconds of this process's part per notebook
    for payload, result in cluster.run_jobs(run_notebook_job, payloads(), scheduler, workers, log):
        started_job, cpu_job = time.perf_counter(), time.thread_time()
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
        serial[1] += time.thread_time() - cpu_job
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
                      sum(1 for j in runnable.values() if j.executed is not None), limits, serial[0], serial[1])


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
