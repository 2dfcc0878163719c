"""One submission as it goes through the stages (`Job`), what nbgrader's preprocessors are given for it, and the
rule that an error of the grader's own in a stage marks that submission alone "not graded" (`guard`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from traitlets.config import Config

from autograder.grading import policy


class NotGraded(Exception):
    """The grader's own failure on one submission (never the student's fault, never a zero)."""


@dataclass
class Job:
    student: str
    chapter: str
    submitted: Path
    nb: object = None                   # sanitized notebook, ready to run
    notes: list[str] = field(default_factory=list)
    violations: list[policy.Violation] = field(default_factory=list)
    executed: object = None
    invalid: str | None = None
    invalid_status: str = "invalid"     # "graded" when refused for a budget (a zero with the reason)
    not_graded: str | None = None       # the grader's own failure: no grade recorded
    timestamp: bytes | None = None
    secret: bytes | None = None
    outcome: object = None              # what the gradebook recorded, read back in the recording's transaction


def nbgrader_config(timeout: int) -> Config:
    c = Config()
    c.OverwriteCells.add_missing_cells = True
    c.Execute.timeout = timeout
    return c


def nbgrader_resources(db_url: str, chapter: str, student: str) -> dict:
    return {"nbgrader": {"db_url": db_url, "assignment": chapter, "notebook": chapter, "student": student},
            "unique_key": chapter, "output_files_dir": f"{chapter}_files"}


def grade_cells_in(nb) -> dict[str, dict]:
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id")}


def guard(job: Job, stage: str, fn, *args) -> None:
    """Run one stage for one submission; the grader's own failure there becomes "not graded", for it alone."""
    if job.not_graded:
        return
    try:
        fn(job, *args)
    except NotGraded as err:
        job.not_graded = f"{stage}: {err}"
    except Exception as err:  # noqa: BLE001 — whatever it is, it is this submission's and the grader's problem
        job.not_graded = f"{stage}: {type(err).__name__}: {str(err)[:300]}"
