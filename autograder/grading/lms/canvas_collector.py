"""zip_collect for Canvas's "Download Submissions" archive.

Canvas names each file  <sortable name>[ LATE]_<user id>_<attachment id>_<uploaded file name>  with the name reduced
to lowercase word characters, e.g. `smithjohn_12345_67890_gru.ipynb`, `smithjohn_late_12345_67891_gru-1.ipynb`
(canvas-lms, lib/content_zipper.rb, zip_assignment: `users_name + (submission.late? ? " LATE_" : "_") +
submission.user_id.to_s`, then `"_" + attachment.id.to_s + "_" + attachment.display_name`). The user id is Canvas's
numeric id: the roster's lms_user_id column maps it to the course's student id (the name is the fallback).

    nbgrader zip_collect CHAPTER --collector=autograder.grading.lms.canvas_collector.CanvasCollector
"""
from __future__ import annotations

import os
import re

from autograder.grading.lms.collector_base import LmsCollector

CANVAS_NAME = re.compile(r"^(?P<name>[^_]+?)(?:[-_ ](?P<late>late))?_(?P<lms_id>\d+)_(?P<attachment>\d+)_(?P<file>.+)$",
                         re.IGNORECASE)


def parse_canvas(path: str) -> dict | None:
    m = CANVAS_NAME.match(os.path.basename(path))
    if not m:
        return None
    return {"lms": "Canvas", "lms_id": m["lms_id"], "name": m["name"], "late": bool(m["late"]), "file": m["file"]}


class CanvasCollector(LmsCollector):
    lms = "Canvas"

    def parse(self, path: str) -> dict | None:
        return parse_canvas(path)
