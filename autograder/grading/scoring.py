"""Scores of a finished notebook, as nbgrader's SaveAutoGrades computes them (`nbgrader.utils.determine_grade`), with
each cell's points from the gradebook and the reason a cell lost points. A worker scores where the notebook ran (its
feedback page shows these); the coordinator scores the returned notebook again against its own gradebook record and
records it only where both agree (`validate.check_scores`)."""
from __future__ import annotations

from nbgrader.utils import determine_grade

from autograder.grading.results import error_reason


def _grade_meta(cell) -> dict | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) and meta.get("grade") and isinstance(meta.get("grade_id"), str) else None


def all_errors(cell) -> str:
    """Every error a graded cell shows (a rule broken and a timeout, say), each as one readable line."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return error_reason(cell)
    return " // ".join(dict.fromkeys(error_reason({"outputs": [e]}) for e in errors))


def cell_scores(nb, points: dict[str, float]) -> dict[str, list]:
    """{grade_id: [score, max points]} of every graded cell the record `points` knows (its points, not the cell's)."""
    scores = {}
    for cell in nb.cells:
        meta = _grade_meta(cell)
        if meta is None or meta["grade_id"] not in points:
            continue
        meta["points"] = points[meta["grade_id"]]
        score, max_score = determine_grade(cell)
        scores[meta["grade_id"]] = [None if score is None else float(score), float(max_score)]
    return scores


def cell_reasons(nb, scores: dict[str, list]) -> dict[str, str]:
    """{grade_id: why points were lost} for each graded cell scored below its points."""
    return {meta["grade_id"]: all_errors(cell) for cell in nb.cells
            if (meta := _grade_meta(cell)) and meta["grade_id"] in scores
            and (scores[meta["grade_id"]][0] or 0.0) < scores[meta["grade_id"]][1]}
