"""The coordinator's check of what a worker returned, against its own record (the gradebook), before recording.

A worker's notebook is trusted only as far as the gradebook confirms it: the graded cells must be exactly the
gradebook's (same ids, each once), each test cell's source the gradebook's own, and each cell's points are set from
the gradebook's max score, never taken from the returned notebook (nbgrader's SaveAutoGrades reads them there). A
result that does not match is the grader's own failure, not the student's: "not graded", nothing recorded.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GradebookRecord:
    """What the gradebook says of one notebook: {grade cell: max points} and {test cell: source}."""
    points: dict[str, float]
    test_sources: dict[str, str]

    @classmethod
    def read(cls, gb, notebook: str, assignment: str) -> GradebookRecord:
        record = gb.find_notebook(notebook, assignment)
        points = {c.name: float(c.max_score) for c in record.grade_cells}
        solutions = {c.name for c in record.solution_cells}
        tests = {c.name: c.source for c in record.source_cells
                 if c.name in points and c.name not in solutions and c.cell_type == "code"}
        return cls(points, tests)


def check_result(nb, record: GradebookRecord) -> list[str]:
    """Problems with the returned notebook `nb` (none: it may be recorded); its points are set from `record`."""
    problems, seen = [], set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if not isinstance(meta, dict) or not meta.get("grade"):
            continue
        gid = meta.get("grade_id")
        if gid not in record.points:
            problems.append(f"a graded cell {str(gid)[:60]!r} the gradebook does not have")
            continue
        if gid in seen:
            problems.append(f"{gid} graded twice")
        seen.add(gid)
        meta["points"] = record.points[gid]
        if gid in record.test_sources and not _same_test(cell.source, record.test_sources[gid]):
            problems.append(f"{gid}: the test's source is not the gradebook's")
    missing = sorted(set(record.points) - seen)
    if missing:
        problems.append("graded cells missing: " + ", ".join(missing))
    return problems


def _same_test(source: str, recorded: str) -> bool:
    """The gradebook's test source, as it is or as nbgrader's OverwriteCells restores a deleted test: behind a
    comment that says so."""
    if source == recorded:
        return True
    head = source[:len(source) - len(recorded)]
    return source.endswith(recorded) and all(line.startswith("#") or not line.strip() for line in head.splitlines())


def check_worker_result(result, record: GradebookRecord) -> list[str]:
    """Problems with the shape of a worker's result (plain data of JSON's types, the fields the coordinator reads)."""
    problems = []
    if not isinstance(result.get("executed"), str):
        problems.append("no notebook text")
    grades = result.get("grades")
    if not isinstance(grades, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and len(v) == 2
            and all(x is None or type(x) in (int, float) for x in v) for k, v in grades.items()):
        problems.append("no scores of plain numbers")
    if result.get("feedback") is not None and not isinstance(result["feedback"], str):
        problems.append("a feedback page that is not text")
    return problems


def check_scores(nb, claimed: dict, record: GradebookRecord) -> list[str]:
    """Problems with the scores a worker claims (its feedback page shows them): each must be what nbgrader's scoring
    of the returned notebook gives with the gradebook's points (`scoring.cell_scores`), the points the gradebook's."""
    from autograder.grading.scoring import cell_scores
    ours = cell_scores(nb, record.points)
    if ours == claimed:
        return []
    differ = sorted(set(ours) | set(claimed), key=str)
    return ["scores differ from the gradebook's scoring: " + ", ".join(
        f"{g}: {claimed.get(g)} != {ours.get(g)}" for g in differ if claimed.get(g) != ours.get(g))[:300]]
