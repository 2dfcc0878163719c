"""Before grading: a step the instructor skipped is said in one line, with the command that does it, instead of a
traceback from deep inside nbgrader (MissingEntry: No such notebook ...)."""
from __future__ import annotations

from pathlib import Path

from autograder.grading.roster import open_gradebook

RELEASE = "python3 course.py nbgrader generate_assignment {chapter} --force"
COLLECT = ("python3 course.py nbgrader collect {chapter} (from the exchange) or "
           "python3 course.py nbgrader zip_collect {chapter} (an LMS archive in downloaded/{chapter}/archive/)")
ROSTER = "python3 course.py roster import roster.csv"


class MissingStep(SystemExit):
    """Exits with status 1 and prints the message (one line, no traceback)."""

    def __init__(self, message: str):
        super().__init__(f"error: {message}")


def has_submissions(course: Path, chapter: str) -> bool:
    return any((course / "submitted").glob(f"*/{chapter}/{chapter}.ipynb"))


def check(course: Path, chapters: list[str] | None, log=print) -> list[str]:
    """The chapters to grade (by default every released chapter with a submission), or MissingStep."""
    with open_gradebook(course) as gb:
        released = sorted(a.name for a in gb.assignments)
        roster_size = len(gb.students)
    for chapter in chapters or []:
        if chapter not in released:
            if not (course / "solutions" / chapter).is_dir() and not (course / "source" / chapter).is_dir():
                known = sorted(p.name for p in (course / "solutions").glob("*") if p.is_dir())
                raise MissingStep(f"there is no chapter {chapter!r} (chapters: {', '.join(known)})")
            raise MissingStep(f"{chapter} was never released into the gradebook: run "
                              f"`{RELEASE.format(chapter=chapter)}` first")
        if not has_submissions(course, chapter):
            raise MissingStep(f"no submission of {chapter} in {course / 'submitted'}: run "
                              f"{COLLECT.format(chapter=chapter)}")
    if not chapters:
        if not released:
            raise MissingStep(f"no chapter was released into the gradebook: run `{RELEASE.format(chapter='CHAPTER')}`")
        chapters = [c for c in released if has_submissions(course, c)]
        if not chapters:
            raise MissingStep(f"no submission in {course / 'submitted'} for any released chapter "
                              f"({', '.join(released)}): run {COLLECT.format(chapter='CHAPTER')}")
    if roster_size == 0:
        log(f"note: the roster is empty, so only students who submitted are listed; run `{ROSTER}` "
            "to list the others as missing")
    return chapters
