"""zip_collect's default for the course: recognizes Canvas's and Moodle's file names, so an archive from either
works without naming the LMS (the two layouts cannot be confused: Moodle's names contain `_assignsubmission_`)."""
from __future__ import annotations

from autograder.grading.lms.canvas_collector import parse_canvas
from autograder.grading.lms.collector_base import LmsCollector
from autograder.grading.lms.moodle_collector import parse_moodle


class AnyLmsCollector(LmsCollector):
    lms = "Canvas or Moodle"

    def parse(self, path: str) -> dict | None:
        return parse_moodle(path) or parse_canvas(path)
