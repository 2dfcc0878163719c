"""Fixtures the grading tests share: the small class, released once, and its grades from a local run (threads,
SQLite), the reference that the cluster and PostgreSQL runs must equal."""
from pathlib import Path

import pytest

from autograder.grading.autograde import grade
from autograder.grading.roster import open_gradebook
from tests.helpers.small_class import CHAPTER, copy_class, grades, make_class


@pytest.fixture(scope="session")
def small_class(tmp_path_factory):
    """The small class, ungraded: copy it (copy_class) before grading."""
    return make_class(tmp_path_factory.mktemp("small-class"))


@pytest.fixture(scope="session")
def local_grades(small_class, tmp_path_factory):
    course = copy_class(small_class, tmp_path_factory.mktemp("local-class"))
    run = grade(course, [CHAPTER], workers=2, timeout=10, feedback=False, report=False, log=lambda *a: None)
    return grades(run)


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory) -> Path:
    """An empty gradebook made once: creating one runs nbgrader's database migrations (seconds)."""
    folder = tmp_path_factory.mktemp("gradebook")
    with open_gradebook(folder):
        pass
    return folder / "gradebook.db"
