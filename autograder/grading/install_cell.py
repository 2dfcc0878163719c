"""An nbgrader preprocessor for `generate_assignment`: every released notebook opens with the same set-up cell,
which says in one line what to install (and from where) and fails with that instruction when the package is missing.

Inserted at release rather than written into each source notebook, so every chapter gets the same cell and the
text lives in one place (`autograder.learner_setup.first_cell`). It runs first, so nbgrader locks it, checksums it
and records it in the gradebook like any other cell of the source.
"""
from __future__ import annotations

from nbformat.v4 import new_code_cell
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.learner_setup import first_cell

GRADE_ID = "install"


class InsertInstallCell(NbGraderPreprocessor):
    """Put the set-up cell first (once: a notebook that already has it is left as it is)."""

    def preprocess(self, nb, resources):
        if any(c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == GRADE_ID for c in nb.cells):
            return nb, resources
        chapter = resources["nbgrader"]["assignment"]
        cell = new_code_cell(first_cell(chapter), id=GRADE_ID)   # a fixed id: the release is reproducible
        cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True, "task": False,
                                     "grade_id": GRADE_ID, "schema_version": 3}
        cell.metadata["deletable"] = cell.metadata["editable"] = False
        nb.cells.insert(0, cell)
        return nb, resources
