"""`nbgrader collect` with the course's configuration copies what the student submitted, never a symbolic link's
target (issue 25): a notebook left in the exchange as a link to the solutions arrives as nothing, with a warning,
and grading then finds no submission; the student's regular files arrive as before."""
from __future__ import annotations

import os

from autograder.grading import course_folder
from autograder.grading.release import nbgrader, nbgrader_env

CHAPTER = "elman_jordan"
COURSE_ID = "rnn-elman-to-sru"


def test_collect_does_not_follow_links(tmp_path, monkeypatch):
    course = course_folder.make_course(tmp_path / "course", [CHAPTER])
    exchange = tmp_path / "exchange"
    monkeypatch.setenv("NBGRADER_EXCHANGE", str(exchange))
    stamp = "2026-01-01 10:00:00.000000 UTC"
    inbound = exchange / COURSE_ID / "inbound"
    for student, link in (("linker", True), ("honest", False), ("linked_folder", None)):
        folder = inbound / f"{student}+{CHAPTER}+{stamp}"
        if link is None:             # the submission folder itself is a link to the solutions' folder
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.symlink_to(course / "solutions" / CHAPTER, target_is_directory=True)
            continue
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(stamp)
        notebook = folder / f"{CHAPTER}.ipynb"
        if link:
            notebook.symlink_to(course / "solutions" / CHAPTER / f"{CHAPTER}.ipynb")
            (folder / "notes.txt").symlink_to("/etc/passwd")
        else:
            notebook.write_text((course / "exercises" / CHAPTER / f"{CHAPTER}.ipynb").read_text())
    os.chmod(exchange, 0o777)
    assert "NBGRADER_EXCHANGE" in nbgrader_env()
    result = nbgrader("collect", CHAPTER, root=course, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    submitted = course / "submitted"
    assert (submitted / "honest" / CHAPTER / f"{CHAPTER}.ipynb").is_file()
    linker = submitted / "linker" / CHAPTER
    assert not (linker / f"{CHAPTER}.ipynb").exists() and not os.path.lexists(linker / f"{CHAPTER}.ipynb"), \
        "the link's target (the solutions) was collected"
    assert not os.path.lexists(linker / "notes.txt")
    assert not os.path.lexists(submitted / "linked_folder" / CHAPTER / f"{CHAPTER}.ipynb")
    assert "is a symbolic link" in result.stderr + result.stdout


def test_collect_refuses_unsafe_ids_and_says_when_nothing_was_released(tmp_path, monkeypatch):
    """A folder in inbound/ whose student id breaks the course's rule (any account can write there; the id names
    folders and LMS rows) is left out with the reason. Collecting before release says what to run, in one line."""
    course = course_folder.make_course(tmp_path / "course", [CHAPTER])
    exchange = tmp_path / "exchange"
    monkeypatch.setenv("NBGRADER_EXCHANGE", str(exchange))
    exchange.mkdir()
    result = nbgrader("collect", CHAPTER, root=course, check=False)
    assert result.returncode != 0
    assert f"release_assignment {CHAPTER}` first" in result.stderr and "Traceback" not in result.stderr
    stamp = "2026-01-01 10:00:00.000000 UTC"
    for student in ("pat smith;x", "honest"):
        folder = exchange / COURSE_ID / "inbound" / f"{student}+{CHAPTER}+{stamp}"
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(stamp)
        (folder / f"{CHAPTER}.ipynb").write_text((course / "exercises" / CHAPTER / f"{CHAPTER}.ipynb").read_text())
    os.chmod(exchange, 0o777)
    result = nbgrader("collect", CHAPTER, root=course, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (course / "submitted" / "honest" / CHAPTER / f"{CHAPTER}.ipynb").is_file()
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["honest"]
    assert "student id 'pat smith;x' is not a safe file name" in result.stderr + result.stdout
