"""nbgrader's whole cycle through the course's exchange, with a separate student account: the instructor releases,
the student fetches and submits, the instructor collects, grades with the course's command and releases feedback,
which the student fetches."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.grading import course_folder
from autograder.grading.autograde import grade
from autograder.grading.demo import sample_notebook
from autograder.grading.roster import import_roster
from autograder.grading.samples import SAMPLES

CHAPTER = "elman_jordan"
STUDENT = "course-learner"          # the student's login is their nbgrader student id
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser"),
    reason="the exchange cycle needs a second account: run as root (useradd, runuser) to create it")


def ensure_student() -> None:
    try:
        pwd.getpwnam(STUDENT)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", STUDENT],
                       check=True)


def as_student(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": f"{BIN}:/usr/bin:/bin", "USER": STUDENT, "LANG": "C.UTF-8"}
    return subprocess.run(["runuser", "-u", STUDENT, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()),
                           *args], cwd=home, capture_output=True, text=True, timeout=120)


def instructor(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, capture_output=True, text=True, env=env,
                          timeout=300)


def test_release_fetch_submit_collect_grade_feedback():
    ensure_student()
    # The course folder must be traversable by the student (the exchange lives inside it by default);
    # pytest's tmp_path is private to root, so the course goes in a folder of its own.
    base = Path(tempfile.mkdtemp(prefix="course-exchange-"))
    try:
        base.chmod(0o755)
        course = course_folder.make_course(base / "course", [CHAPTER])
        course.chmod(0o755)
        home = base / "home"
        home.mkdir(mode=0o700)
        shutil.chown(home, STUDENT, STUDENT)
        if as_student(home, "test", "-x", str(BIN / "nbgrader")).returncode != 0:
            pytest.skip(f"the student account cannot run {BIN / 'nbgrader'}: this checkout is in a private folder "
                        "(mode 700, as `mktemp -d` makes). Students share the instructor's environment only where "
                        "they can reach it (README, 'The exchange'); run from a traversable folder to test this.")

        released = instructor(course, "release_assignment", CHAPTER)
        assert released.returncode == 0, released.stderr
        exchange = course / "exchange"
        assert (exchange / "rnn-elman-to-sru" / "outbound" / CHAPTER / f"{CHAPTER}.ipynb").exists()
        assert oct(exchange.stat().st_mode & 0o777) == "0o777"

        # The student's own configuration: the course id and the exchange, as a JupyterHub image would set them.
        config = home / ".jupyter" / "nbgrader_config.py"
        as_student(home, "mkdir", "-p", str(config.parent))
        as_student(home, "sh", "-c", f"printf '%s\\n' 'c = get_config()' "
                                     f"'c.CourseDirectory.course_id = \"rnn-elman-to-sru\"' "
                                     f"'c.Exchange.root = \"{exchange}\"' > {config}")
        fetched = as_student(home, str(BIN / "nbgrader"), "fetch_assignment", CHAPTER)
        assert fetched.returncode == 0, fetched.stderr
        work = home / CHAPTER / f"{CHAPTER}.ipynb"
        assert work.exists() and work.stat().st_uid == pwd.getpwnam(STUDENT).pw_uid

        # The student answers every exercise (the demonstration's correct sample), then submits.
        answered = base / "answered.ipynb"
        nbformat.write(sample_notebook(CHAPTER, SAMPLES[CHAPTER]["correct"]), answered)
        answered.chmod(0o644)
        as_student(home, "cp", str(answered), str(work))
        submitted = as_student(home, str(BIN / "nbgrader"), "submit", CHAPTER)
        assert submitted.returncode == 0, submitted.stderr
        inbound = list((exchange / "rnn-elman-to-sru" / "inbound").iterdir())
        assert len(inbound) == 1 and inbound[0].name.startswith(f"{STUDENT}+{CHAPTER}+")

        collected = instructor(course, "collect", CHAPTER)
        assert collected.returncode == 0, collected.stderr
        assert (course / "submitted" / STUDENT / CHAPTER / f"{CHAPTER}.ipynb").exists()
        assert (course / "submitted" / STUDENT / CHAPTER / "timestamp.txt").exists()

        roster = base / "roster.csv"
        roster.write_text(f"id,first_name,last_name,email\n{STUDENT},Course,Learner,learner@example.org\n")
        import_roster(course, roster)
        run = grade(course, [CHAPTER], workers=1, timeout=10, report=False, log=lambda *a: None)
        outcome = run.outcomes[CHAPTER][STUDENT]
        assert outcome.status == "graded" and outcome.score == outcome.max_score > 0, outcome.reasons()
        assert run.ok(), run.integrity_problems
        assert (course / "feedback" / STUDENT / CHAPTER / f"{CHAPTER}.html").exists()

        feedback = instructor(course, "release_feedback", CHAPTER)
        assert feedback.returncode == 0, feedback.stderr
        fetched_feedback = as_student(home, str(BIN / "nbgrader"), "fetch_feedback", CHAPTER)
        assert fetched_feedback.returncode == 0, fetched_feedback.stderr
        assert list((home / CHAPTER / "feedback").glob(f"*/{CHAPTER}.html"))
    finally:
        shutil.rmtree(base, ignore_errors=True)
