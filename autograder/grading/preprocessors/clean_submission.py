"""`CleanSubmission`: the course's sanitizing before nbgrader's, in `nbgrader autograde` and the formgrader.

First of `c.Autograde.sanitize_preprocessors` (nbgrader_config.py): the repairs `course.py grade` makes
(`autograder.grading.sanitizing`: metadata that is not a mapping, a pasted copy of a test cell, nbgrader metadata
naming a cell the source lacks), and the notes saying what was repaired or restored, kept in the notebook's
metadata (`autograder.notes`, replacing whatever the student put there) until `TrustedExecute` shows them.
"""
from __future__ import annotations

from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.grading import sanitizing


def source_record(resources) -> tuple[list[str], dict[str, str], dict[str, str], dict[str, str]]:
    """(grade cells, {name: source} of every source cell, of the locked ones, of the answers), from the gradebook."""
    info = resources["nbgrader"]
    with Gradebook(info["db_url"]) as gb:
        record = gb.find_notebook(info["notebook"], info["assignment"])
        grades = sorted(c.name for c in record.grade_cells)
        solutions = {c.name for c in record.solution_cells}
        cells = {c.name: c.source for c in record.source_cells}
        locked = {c.name: c.source for c in record.source_cells if c.locked}
        answers = {c.name: c.source for c in record.source_cells if c.name in solutions and c.cell_type == "code"}
    return grades, cells, locked, answers


class CleanSubmission(NbGraderPreprocessor):

    def preprocess(self, nb, resources):
        grades, cells, locked, _ = source_record(resources)
        notes = sanitizing.clean_metadata(nb, set(grades) | set(cells))
        notes += sanitizing.missing_tests(nb, grades) + sanitizing.locked_edits(nb, locked)
        nb.metadata["autograder"] = {"notes": notes}
        return nb, resources
