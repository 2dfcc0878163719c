"""The pipeline's second stage, sanitize, in the course's part: what nbgrader's own sanitizing preprocessors
(ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata) need repaired first, and the
notes that say what was repaired. `course.py grade` calls these functions; `nbgrader autograde` and the formgrader
run them as the preprocessors `CleanSubmission` and `ApplyRules` (nbgrader_config.py), so every route sanitizes
alike. The NumPy-only rule itself is `policy`.
"""
from __future__ import annotations


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
