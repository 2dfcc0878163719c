"""nbgrader's own routes (`nbgrader autograde`, the formgrader's Autograde button: nbgrader's Autograde converter in
one process) record each notebook's grades in one gradebook commit, not one per cell, and a conversion that fails
gives the course's lock back (issue 25)."""
from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.helpers.formgrader_api import formgrader_api, lock_is_free
from tests.helpers.small_class import CHAPTER, copy_class


def test_nbgrader_autograde_saves_a_notebooks_grades_in_one_commit(tmp_path, small_class, local_grades):
    """nbgrader's SaveAutoGrades and AssignLatePenalties commit once per graded cell and more (about 33 commits, a
    disk sync each, per chapter-1 notebook); in the course's exporter they commit nothing themselves, and the
    notebook's grades are committed together when the pass ends."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
    course = copy_class(small_class, tmp_path)
    commits, inside = [], []

    def on_commit(conn):
        commits.append(1)

    def counted(cls):
        real = cls.preprocess

        def preprocess(self, nb, resources):
            before = len(commits)
            out = real(self, nb, resources)
            inside.append((cls.__name__, len(commits) - before))
            return out
        return real, preprocess
    patched = {cls: counted(cls) for cls in (SaveAutoGrades, AssignLatePenalties)}
    event.listen(Engine, "commit", on_commit)
    try:
        for cls, (_, wrapper) in patched.items():
            cls.preprocess = wrapper
        result = formgrader_api(course).autograde(CHAPTER, "partial", force=True, create=True)
    finally:
        for cls, (real, _) in patched.items():
            cls.preprocess = real
        event.remove(Engine, "commit", on_commit)
    assert result["success"], result.get("log", "")[-3000:]
    assert inside == [("SaveAutoGrades", 0), ("AssignLatePenalties", 0)], inside
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:      # committed, all of it
        assert gb.find_submission(CHAPTER, "partial").score == local_grades["partial"]["score"]
    assert lock_is_free(course)


def test_a_failed_conversion_gives_the_course_lock_back(tmp_path, small_class, monkeypatch):
    from autograder.grading.preprocessors import TrustedExecute
    course = copy_class(small_class, tmp_path)

    def broken(self, nb, resources):
        raise RuntimeError("the grader's own failure")
    monkeypatch.setattr(TrustedExecute, "preprocess", broken)
    result = formgrader_api(course).autograde(CHAPTER, "correct", force=True, create=True)
    assert not result["success"]
    assert lock_is_free(course), "a failed notebook kept the course's lock held"


@pytest.fixture(autouse=True)
def _no_held_locks():
    yield
    from autograder.grading import course_lock
    course_lock.release_held()
