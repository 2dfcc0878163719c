"""The pipeline's second stage, sanitize, in the course's part: what nbgrader's own sanitizing preprocessors
(ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata) need repaired first, and the
notes that say what was repaired. `course.py grade` calls these functions; `nbgrader autograde` and the formgrader
run them as the preprocessors `CleanSubmission` and `ApplyRules` (nbgrader_config.py), so every route sanitizes
alike. The NumPy-only rule itself is `policy`. `sanitize` is the whole stage for one submission in `course.py grade`:
read it (`reading`), repair it, run nbgrader's sanitizing preprocessors, and find the rules it breaks.
"""
from __future__ import annotations

import functools
from contextlib import nullcontext
from pathlib import Path

import nbformat
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    OverwriteCells,
    OverwriteKernelspec,
)

from autograder.grading import policy, sandbox
from autograder.grading.gradebook_session import retry_locked, with_gradebook
from autograder.grading.gradebook_snapshot import GradebookSnapshot, standing_for_gradebook
from autograder.grading.reading import read_submission, read_timestamp
from autograder.grading.submission import Job, grade_cells_in, nbgrader_config, nbgrader_resources


def clean_metadata(nb, grade_ids: set[str]) -> list[str]:
    """Repair nbgrader metadata a student's editor (or a student) broke, so that nbgrader's preprocessors can run:
    metadata that is not a mapping, a pasted copy of a test cell (a grade_id seen before), nbgrader metadata without
    a grade_id or naming a cell the source does not have. Returns a note per repair."""
    notes, seen = [], set()
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {})
        if not isinstance(meta, dict):
            cell["metadata"] = {}
            notes.append(f"cell {index}: its metadata was not a mapping and was dropped")
            continue
        if "nbgrader" not in meta:
            continue
        nbg = meta["nbgrader"]
        gid = nbg.get("grade_id") if isinstance(nbg, dict) else None
        if not isinstance(nbg, dict) or not isinstance(gid, str):
            del meta["nbgrader"]
            notes.append(f"cell {index}: malformed nbgrader metadata ignored")
        elif gid in seen:
            del meta["nbgrader"]
            notes.append(f"cell {index}: a pasted copy of {gid} was ignored (the original cell was graded)")
        elif gid not in grade_ids:      # a test or an answer the source does not have: never scored
            del meta["nbgrader"]
            notes.append(f"cell {index}: nbgrader metadata naming {gid[:60]!r}, which the source does not have, "
                         "was ignored")
        else:
            seen.add(gid)
    return notes


def locked_edits(nb, original: dict[str, str]) -> list[str]:
    """A note naming the locked cells whose source the student changed (nbgrader restores them), or none."""
    present = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells
               if isinstance(c.metadata.get("nbgrader"), dict)}
    edited = [g for g, c in present.items() if g in original and c.source.strip() != original[g].strip()]
    return ["locked cells edited (the originals were restored and graded): " + ", ".join(edited)] if edited else []


def missing_tests(nb, expected) -> list[str]:
    present = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells
               if isinstance(c.metadata.get("nbgrader"), dict)}
    missing = [g for g in expected if g not in present or not present[g].metadata["nbgrader"].get("grade")]
    return ["test cells deleted or stripped of their metadata (restored from the source and graded): "
            + ", ".join(missing)] if missing else []


@functools.lru_cache(maxsize=64)
def _locked_sources(course: Path, chapter: str) -> dict[str, str]:
    """{grade_id: source} of the released notebook's locked cells (read once per chapter and run)."""
    released = course / "release" / chapter / f"{chapter}.ipynb"
    if not released.exists():
        released = course / "exercises" / chapter / f"{chapter}.ipynb"
    if not released.exists():
        return {}
    return {g: c.source for g, c in grade_cells_in(nbformat.read(released, as_version=4)).items()
            if c.metadata["nbgrader"].get("locked")}


def sanitize(job: Job, course: Path, db_url: str, timeout: int, rules: policy.Rules,
             source_ids: set[str] | None = None, budget: sandbox.Budget | None = None,
             expected: list[str] | None = None, snapshot: GradebookSnapshot | None = None) -> None:
    """nbgrader's sanitizing steps, plus the report of what they repaired and of rule violations. With `snapshot`
    (the chapter's source record, read once), nbgrader's preprocessors read it instead of the gradebook."""
    job.timestamp, note = read_timestamp(course, job.student, job.chapter)
    if note:
        job.notes.append(note)
    job.secret, note = read_timestamp(course, job.student, job.chapter, "submission_secret.txt")
    if note:
        job.notes.append(note)
    nb, problem = read_submission(course, job.student, job.chapter)
    if problem:
        job.invalid = problem
        job.invalid_status = "graded" if problem.startswith("over budget") else "invalid"
        return
    if expected is None:        # the graded cells' ids (the coordinator reads them once per chapter)
        expected = with_gradebook(db_url, lambda gb: sorted(
            [c.name for c in gb.find_notebook(job.chapter, job.chapter).grade_cells]))
    original = _locked_sources(course, job.chapter)
    job.notes += clean_metadata(nb, set(expected) | (source_ids or set()) | set(original))
    job.notes += missing_tests(nb, expected) + locked_edits(nb, original)
    resources = nbgrader_resources(db_url, job.chapter, job.student)
    config = nbgrader_config(timeout)
    try:
        with standing_for_gradebook(snapshot) if snapshot is not None else nullcontext():
            for pp in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
                nb, resources = retry_locked(lambda: pp(config=config).preprocess(nb, resources))
    except Exception as err:
        job.invalid = f"invalid notebook ({type(err).__name__}: {str(err)[:200]})"
        return
    try:
        job.violations = policy.check_notebook(nb, rules)
    except (RecursionError, MemoryError, SyntaxError, ValueError) as err:
        # The rules cannot read it; neither can Python (a 100,000-character expression): a zero, with why.
        job.invalid = (f"the rules could not read a cell ({type(err).__name__}: {str(err)[:120]}); "
                       "a cell this deeply nested cannot be graded")
        job.invalid_status = "graded"
        return
    job.nb = nb
