"""The gradebook in PostgreSQL: a real server (Debian's `postgresql`, started here on a loopback port) holds the
small class's grades, equal to the SQLite run's; `nbgrader export` reads them back. The gradebook is found where
nbgrader finds it (CourseDirectory.db_url in nbgrader_config.py), and `--db` overrides it."""
import csv

import pytest
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from autograder.grading import gradebook_db
from autograder.grading.autograde import grade
from autograder.grading.release import nbgrader
from tests.helpers.servers import PostgresUnavailable, postgres_server
from tests.helpers.small_class import CHAPTER, STUDENTS, add_students, copy_class, grades


@pytest.fixture(scope="module")
def postgres_url():
    try:
        with postgres_server() as url:
            yield url
    except PostgresUnavailable as why:
        pytest.skip(f"no PostgreSQL server here: {why}")


def test_db_url_is_nbgraders(tmp_path):
    assert gradebook_db.db_url(tmp_path) == f"sqlite:///{tmp_path / 'gradebook.db'}"
    url = "postgresql+psycopg://grader:secret@db.example.org/rnn"
    (tmp_path / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.db_url = {url!r}\n")
    assert gradebook_db.db_url(tmp_path) == url
    assert gradebook_db.db_url(tmp_path, "sqlite:////elsewhere.db") == "sqlite:////elsewhere.db"
    assert "secret" not in gradebook_db.shown(url)


def _export(course, *db):
    result = nbgrader("export", "--to", str(course / "export.csv"), *db, root=course)
    assert result.returncode == 0, result.stderr
    with open(course / "export.csv", newline="") as f:
        return {r["student_id"]: (float(r["score"]), float(r["max_score"])) for r in csv.DictReader(f)}


def test_postgres_gradebook_equals_sqlite(tmp_path, postgres_url, small_class, local_grades):
    course = copy_class(small_class, tmp_path)        # released and recorded in SQLite, then moved to PostgreSQL:
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.CourseDirectory.db_url = {postgres_url!r}\n")
    assert gradebook_db.db_url(course) == postgres_url
    nbgrader("generate_assignment", CHAPTER, "--force", root=course)
    add_students(course, list(STUDENTS))
    (course / "gradebook.db").unlink()                # nothing may fall back to the SQLite file
    run = grade(course, [CHAPTER], timeout=10, feedback=True, report=True, log=lambda *a: None)
    assert grades(run) == local_grades
    assert not (course / "gradebook.db").exists()
    expected = {s: (g["score"], g["max_score"]) for s, g in local_grades.items()}
    assert _export(course) == expected
    config = gradebook_db.course_config(course)       # the formgrader's view: nbgrader's API on the course config
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    assert {s["student"]: (s["score"], s["max_score"]) for s in api.get_submissions(CHAPTER)} == expected
    with open(course / "grading" / "grades.csv", newline="") as f:
        assert {r["student_id"] for r in csv.DictReader(f)} == set(STUDENTS)
    assert (course / "grading" / "report.md").exists()
    assert (course / "feedback" / "partial" / CHAPTER / f"{CHAPTER}.html").exists()


def test_command_line_passes_scheduler_and_db(monkeypatch):
    from autograder.grading import autograde
    seen = {}

    class Run:
        def ok(self):
            return True

        def not_graded(self):
            return []
    monkeypatch.setattr(autograde, "grade", lambda *a, **kw: seen.update(kw) or Run())
    monkeypatch.setattr(autograde, "print_summary", lambda run: None)
    assert autograde.main(["elman_jordan", "--db", "postgresql+psycopg://g@127.0.0.1/x",
                           "--scheduler", "tcp://127.0.0.1:8786"]) == 0
    assert seen["db"] == "postgresql+psycopg://g@127.0.0.1/x" and seen["scheduler"] == "tcp://127.0.0.1:8786"
