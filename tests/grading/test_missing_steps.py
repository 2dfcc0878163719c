"""A step the instructor skipped is said in one line with the command to run, not a traceback."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.grading.missing_steps import MissingStep, check
from autograder.layout import ROOT

CHAPTER = "elman_jordan"


@pytest.fixture
def course(tmp_path, empty_gradebook) -> Path:
    """A course folder whose gradebook knows elman_jordan (released) but not gru (whose source is there)."""
    shutil.copy(empty_gradebook, tmp_path / "gradebook.db")
    for chapter in (CHAPTER, "gru"):
        shutil.copytree(ROOT / "solutions" / chapter, tmp_path / "solutions" / chapter)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment(CHAPTER)
    return tmp_path


def submit(course: Path, student: str, chapter: str) -> None:
    folder = course / "submitted" / student / chapter
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "exercises" / chapter / f"{chapter}.ipynb", folder)


def message(course: Path, chapters) -> str:
    with pytest.raises(MissingStep) as err:
        check(course, chapters, log=lambda *a: None)
    text = str(err.value.code)
    assert "\n" not in text
    return text


def test_chapter_never_released(course):
    submit(course, "s1", "gru")
    assert message(course, ["gru"]) == ("error: gru was never released into the gradebook: run "
                                        "`python3 course.py nbgrader generate_assignment gru --force` first")
    assert "there is no chapter 'grue'" in message(course, ["grue"])


def test_nothing_released(tmp_path, empty_gradebook):
    shutil.copy(empty_gradebook, tmp_path / "gradebook.db")
    assert "no chapter was released into the gradebook: run `python3 course.py nbgrader generate_assignment" \
        in message(tmp_path, None)


def test_no_submissions(course):
    text = message(course, [CHAPTER])
    assert text.startswith(f"error: no submission of {CHAPTER} in ")
    assert f"python3 course.py nbgrader collect {CHAPTER}" in text and f"nbgrader zip_collect {CHAPTER}" in text
    assert "no submission in" in message(course, None)


def test_empty_roster_is_a_note(course):
    submit(course, "s1", CHAPTER)
    notes = []
    assert check(course, None, log=notes.append) == [CHAPTER]
    assert len(notes) == 1 and "python3 course.py roster import roster.csv" in notes[0]


def test_grading_command_prints_one_line(course):
    """The issue's case: `grade` on a chapter missing from the gradebook stopped with MissingEntry's traceback."""
    submit(course, "s1", "gru")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "autograder.grading.autograde", "gru", "--course", str(course)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: gru was never released into the gradebook: run "
        "`python3 course.py nbgrader generate_assignment gru --force` first"]
