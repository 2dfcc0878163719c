"""nbgrader's own routes (`nbgrader autograde`, the formgrader's Autograde button: nbgrader's Autograde converter in
one process) record each notebook's grades in one gradebook commit, not one per cell, and a conversion that fails
gives the course's lock back (issue 25)."""
from __future__ import annotations

import fcntl
import os

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from autograder.grading.course_lock import LOCK_FILE
from tests.helpers.small_class import CHAPTER, copy_class


MAX_COMMITS = 10      # measured: see the test (it was one per graded cell and more before: about 33)


def _api(course):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader
    config = Config(PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config())
    config.CourseDirectory.root = str(course)
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def _lock_is_free(course) -> bool:
    fd = os.open(course / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)      # another open file: conflicts even in this process
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_nbgrader_autograde_saves_a_notebooks_grades_in_one_commit(tmp_path, small_class):
    course = copy_class(small_class, tmp_path)
    api = _api(course)
    commits = []
    grades_saved = []

    def on_commit(conn):
        commits.append(1)

    from nbgrader.preprocessors import SaveAutoGrades
    real = SaveAutoGrades.preprocess

    def counted(self, nb, resources):
        before = len(commits)
        out = real(self, nb, resources)
        grades_saved.append(len(commits) - before)          # inside the transaction: no commit yet
        return out
    event.listen(Engine, "commit", on_commit)
    try:
        SaveAutoGrades.preprocess = counted
        result = api.autograde(CHAPTER, "partial", force=True, create=True)
    finally:
        SaveAutoGrades.preprocess = real
        event.remove(Engine, "commit", on_commit)
    assert result["success"], result.get("log", "")[-3000:]
    assert grades_saved == [0], f"SaveAutoGrades committed {grades_saved} times inside the notebook's transaction"
    # nbgrader's own set-up of the submission commits a few times; the grades and the late penalty add one.
    assert len(commits) <= MAX_COMMITS, f"{len(commits)} commits for one notebook"
    assert _lock_is_free(course)


def test_a_failed_conversion_gives_the_course_lock_back(tmp_path, small_class, monkeypatch):
    from autograder.grading.preprocessors import TrustedExecute
    course = copy_class(small_class, tmp_path)

    def broken(self, nb, resources):
        raise RuntimeError("the grader's own failure")
    monkeypatch.setattr(TrustedExecute, "preprocess", broken)
    result = _api(course).autograde(CHAPTER, "correct", force=True, create=True)
    assert not result["success"]
    assert _lock_is_free(course), "a failed notebook kept the course's lock held"


@pytest.fixture(autouse=True)
def _no_held_locks():
    yield
    from autograder.grading import course_lock
    course_lock.release_held()
