"""nbgrader's whole cycle through the course's exchange, with separate student accounts: the instructor releases,
the student fetches and submits, the instructor collects, grades with the course's command and releases feedback,
which the student fetches. And the same for a student who submits on Canvas instead: zip_collect, grade,
release_feedback, and that student's `nbgrader fetch_feedback` (autograder/lms_upload.py)."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import zipfile
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
LMS_STUDENT = "course-lms-learner"  # submits on Canvas
CHECKOUT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser")
    or not shutil.which("unshare"),
    reason="the exchange cycle needs second accounts: run as root (useradd, runuser, unshare) to create them")


class Student:
    """A separate account with its own home, running the course's environment as a hub's image would give it.

    The checkout may sit in a private folder (mode 700, as `mktemp -d` makes and many home folders are), which
    another account cannot traverse; so each of the student's commands runs in a mount namespace of its own where
    the checkout and its environment are bound under the test's traversable folder (`unshare`, `mount --bind`).
    """

    def __init__(self, base: Path, login: str):
        self.login = login
        try:
            pwd.getpwnam(login)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", login],
                           check=True)
        self.home = base / login
        self.home.mkdir(mode=0o700)
        shutil.chown(self.home, login, login)
        self.binds = [(CHECKOUT, base / "view" / "checkout"), (Path(sys.prefix).resolve(), base / "view" / "venv")]
        for _, view in self.binds:
            view.mkdir(parents=True, exist_ok=True)
        self.python = str(base / "view" / "venv" / "bin" / "python")
        probe = self.run(self.python, "-c", "import nbgrader, autograder")
        if probe.returncode != 0:
            pytest.skip(f"the student account cannot use the course's environment through a bind mount: "
                        f"{probe.stderr.strip()[-300:]}")

    def run(self, *args: str) -> subprocess.CompletedProcess:
        env = {"HOME": str(self.home), "PATH": "/usr/bin:/bin", "USER": self.login, "LANG": "C.UTF-8",
               "PYTHONPATH": str(self.binds[0][1])}
        mounts = " && ".join(f'mount --bind "${2 * i + 1}" "${2 * i + 2}"' for i in range(len(self.binds)))
        return subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             f'{mounts} && shift {2 * len(self.binds)} && exec "$@"', "sh",
             *(str(p) for pair in self.binds for p in pair),
             "runuser", "-u", self.login, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), *args],
            cwd=self.home, capture_output=True, text=True, timeout=120)

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        return self.run(self.python, "-m", "nbgrader", *args)

    def configure(self, exchange: Path) -> None:
        """The student's own configuration: the course id and the exchange, as a JupyterHub image would set them."""
        config = self.home / ".jupyter" / "nbgrader_config.py"
        self.run("mkdir", "-p", str(config.parent))
        self.run("sh", "-c", f"printf '%s\\n' 'c = get_config()' 'c.CourseDirectory.course_id = \"rnn-elman-to-sru\"' "
                             f"'c.Exchange.root = \"{exchange}\"' > {config}")


def instructor(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    return subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, capture_output=True, text=True, env=env,
                          timeout=300)


def traversable_course(base: Path) -> Path:
    # The course folder must be traversable by the students (the exchange lives inside it by default);
    # pytest's tmp_path is private to root, so the course goes in a folder of its own.
    base.chmod(0o755)
    course = course_folder.make_course(base / "course", [CHAPTER])
    course.chmod(0o755)
    return course


def answered_notebook(base: Path) -> Path:
    """The demonstration's correct sample: every exercise answered, readable by the students."""
    answered = base / "answered.ipynb"
    nbformat.write(sample_notebook(CHAPTER, SAMPLES[CHAPTER]["correct"]), answered)
    answered.chmod(0o644)
    return answered


def test_release_fetch_submit_collect_grade_feedback():
    base = Path(tempfile.mkdtemp(prefix="course-exchange-"))
    try:
        course = traversable_course(base)
        student = Student(base, STUDENT)
        released = instructor(course, "release_assignment", CHAPTER)
        assert released.returncode == 0, released.stderr
        exchange = course / "exchange"
        assert (exchange / "rnn-elman-to-sru" / "outbound" / CHAPTER / f"{CHAPTER}.ipynb").exists()
        assert oct(exchange.stat().st_mode & 0o777) == "0o777"

        student.configure(exchange)
        fetched = student.nbgrader("fetch_assignment", CHAPTER)
        assert fetched.returncode == 0, fetched.stderr
        work = student.home / CHAPTER / f"{CHAPTER}.ipynb"
        assert work.exists() and work.stat().st_uid == pwd.getpwnam(STUDENT).pw_uid

        student.run("cp", str(answered_notebook(base)), str(work))
        submitted = student.nbgrader("submit", CHAPTER)
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
        fetched_feedback = student.nbgrader("fetch_feedback", CHAPTER)
        assert fetched_feedback.returncode == 0, fetched_feedback.stderr
        assert list((student.home / CHAPTER / "feedback").glob(f"*/{CHAPTER}.html"))
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_student_who_submits_on_canvas_fetches_feedback_through_the_exchange():
    base = Path(tempfile.mkdtemp(prefix="course-exchange-lms-"))
    try:
        course = traversable_course(base)
        student = Student(base, LMS_STUDENT)
        assert instructor(course, "release_assignment", CHAPTER).returncode == 0
        student.configure(course / "exchange")

        # The student works on the hub but hands in on Canvas: the course's command makes the copy to upload and
        # records it where nbgrader's fetch_feedback looks.
        assert student.nbgrader("fetch_assignment", CHAPTER).returncode == 0
        student.run("cp", str(answered_notebook(base)), str(student.home / CHAPTER / f"{CHAPTER}.ipynb"))
        made = student.run(student.python, "-m", "autograder.lms_upload", CHAPTER)
        assert made.returncode == 0, made.stderr
        upload = student.home / CHAPTER / f"{CHAPTER}-upload.ipynb"
        assert str(upload) in made.stdout, made.stdout

        # Canvas's archive: the file renamed (name, user id, submission id), its bytes as uploaded.
        archive = course / "downloaded" / CHAPTER / "archive"
        archive.mkdir(parents=True)
        with zipfile.ZipFile(archive / "submissions.zip", "w") as z:
            z.writestr(zipfile.ZipInfo("learnerlms_31337_9001_elman_jordan-upload.ipynb",
                                       date_time=(2026, 3, 2, 14, 5, 6)), upload.read_bytes())
        roster = base / "roster.csv"
        roster.write_text(f"id,first_name,last_name,email,lms_user_id\n{LMS_STUDENT},Lms,Learner,lms@example.org,"
                          "31337\n")
        import_roster(course, roster)
        collected = instructor(course, "zip_collect", CHAPTER, "--force")
        assert collected.returncode == 0, collected.stderr
        assert (course / "submitted" / LMS_STUDENT / CHAPTER / "submission_secret.txt").exists(), collected.stderr

        run = grade(course, [CHAPTER], workers=1, timeout=10, report=False, log=lambda *a: None)
        outcome = run.outcomes[CHAPTER][LMS_STUDENT]
        assert outcome.status == "graded" and outcome.score == outcome.max_score > 0, outcome.reasons()
        released = instructor(course, "release_feedback", CHAPTER)
        assert released.returncode == 0 and "skipped" not in released.stderr, released.stderr

        fetched = student.nbgrader("fetch_feedback", CHAPTER)
        assert fetched.returncode == 0, fetched.stderr
        pages = list((student.home / CHAPTER / "feedback").glob(f"*/{CHAPTER}.html"))
        page = course / "feedback" / LMS_STUDENT / CHAPTER / f"{CHAPTER}.html"
        assert len(pages) == 1 and pages[0].read_bytes() == page.read_bytes(), (fetched.stderr, pages)
    finally:
        shutil.rmtree(base, ignore_errors=True)
