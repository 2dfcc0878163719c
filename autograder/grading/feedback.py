"""Feedback without the hidden tests' source: a preprocessor for `nbgrader generate_feedback`.

nbgrader's feedback shows each autograded cell as it ran, hidden tests included, and tracebacks quote their
lines. In a cell that held hidden tests this keeps what the student needs, the visible part and the error's
message (which says which case, step and element failed), and drops the hidden source and traceback frames.
Set `c.HideHiddenTests.enabled = False` in nbgrader_config.py to show everything.
"""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from autograder.grading.release import SECRET_BLOCK

PLACEHOLDER = "# (hidden tests: their source is not shown; the result and the message below are)"


class HideHiddenTests(NbGraderPreprocessor):
    enabled = Bool(True, help="Hide the source of hidden tests in feedback").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if not self.enabled or cell.cell_type != "code" or "### BEGIN HIDDEN TESTS" not in cell.source:
            return cell, resources
        cell.source = SECRET_BLOCK.sub(PLACEHOLDER + "\n", cell.source + "\n").rstrip("\n")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [f"{out.get('ename')}: {out.get('evalue')}"]
        return cell, resources
