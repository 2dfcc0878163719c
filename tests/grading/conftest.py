"""Fixtures the grading tests share: the small class graded locally (threads, SQLite), the reference that the
cluster and PostgreSQL runs must equal."""
import pytest

from autograder.grading.autograde import grade
from tests.helpers.small_class import CHAPTER, grades, make_class


@pytest.fixture(scope="session")
def local_grades(tmp_path_factory):
    course = make_class(tmp_path_factory.mktemp("local-class"))
    run = grade(course, [CHAPTER], workers=2, timeout=10, feedback=False, report=False, log=lambda *a: None)
    return grades(run)
