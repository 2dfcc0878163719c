"""`EscapeStudentMarkdown`: the formgrader shows a student's markdown as text, never as live markup.

The formgrader renders a submission with nbconvert's HTMLExporter; configured there (`c.HTMLExporter.preprocessors`
in nbgrader_config.py), this escapes every markdown cell that is not one of the source's locked cells, which
nbgrader's OverwriteCells restored from the gradebook when the notebook was autograded (their text is the
instructor's). A `<script>` or `<img onerror>` in a cell the student added or in a written answer shows as text.
The feedback page has its own, stricter rule (`autograder.grading.feedback.FeedbackForStudents`).
"""
from __future__ import annotations

import html

from nbconvert.preprocessors import Preprocessor


class EscapeStudentMarkdown(Preprocessor):

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        instructors = isinstance(meta, dict) and meta.get("locked") and not meta.get("solution") \
            and isinstance(meta.get("grade_id"), str)
        if cell.cell_type == "markdown" and not instructors:
            cell.source = html.escape(cell.source, quote=False)
        return cell, resources
