"""Run a source notebook's cells in this process, with chosen answer cells replaced (for mutation tests).

Executing in-process costs milliseconds per run instead of a kernel start and a torch import per notebook, so every
known mistake can be tried against every hidden test.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.grading.demo import answer_from_solution
from autograder.layout import ROOT


def load(chapter: str) -> list[tuple[dict, str]]:
    """(nbgrader metadata, source) of each code cell of the chapter's source notebook, answers un-delimited."""
    nb = nbformat.read(Path(ROOT, "solutions", chapter, f"{chapter}.ipynb"), as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            meta = cell.metadata.get("nbgrader", {})
            source = answer_from_solution(cell.source) if meta.get("solution") else cell.source
            cells.append((meta, source.replace("### BEGIN HIDDEN TESTS", "").replace("### END HIDDEN TESTS", "")))
    return cells


def run(chapter: str, replace: dict[str, str] | None = None) -> dict[str, BaseException | None]:
    """Execute the notebook top to bottom in one namespace; returns {test grade_id: the exception it raised or None}."""
    replace = replace or {}
    namespace: dict = {"__name__": "__notebook__"}
    outcome: dict[str, BaseException | None] = {}
    for meta, source in load(chapter):
        gid = meta.get("grade_id")
        source = replace.get(gid, source)
        try:
            exec(compile(source, f"<{chapter}:{gid}>", "exec"), namespace)
            error = None
        except Exception as err:  # a failing cell is an outcome, not a crash of the runner
            error = err
        if meta.get("grade"):
            outcome[gid] = error
        elif error is not None and not meta.get("solution"):
            raise RuntimeError(f"setup cell {gid} failed") from error
    return outcome
