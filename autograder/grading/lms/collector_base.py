"""The part of zip_collect's collector plugins that does not depend on the LMS: find the student on the roster and
name the file as the chapter's notebook."""
from __future__ import annotations

import os

from nbgrader.plugins import FileNameCollectorPlugin

from autograder.grading.lms.common import Roster


class LmsCollector(FileNameCollectorPlugin):
    """Subclasses set `lms` and implement parse(path) -> {"lms_id": ..., "name": ..., "late": bool} or None."""

    lms = "LMS"

    def parse(self, path: str) -> dict | None:
        raise NotImplementedError

    @property
    def roster(self) -> Roster:
        if getattr(self, "_roster", None) is None:
            self._roster = Roster(self.parent.coursedir.db_url)
        return self._roster

    def collect(self, submitted_file: str) -> dict | None:
        if os.path.splitext(submitted_file)[1] not in self.valid_ext:
            return None
        info = self.parse(submitted_file)
        if info is None:
            self.log.warning("skipped, not a %s file name: %s", self.lms, os.path.basename(submitted_file))
            return None
        student, why = self.roster.find(info.get("lms_id"), info.get("name", ""))
        if student is None:
            self.log.warning("skipped %s: %s", os.path.basename(submitted_file), why)
            return None
        if info.get("late"):
            self.log.info("%s marked %s's submission late", self.lms, student)
        # Each chapter has one notebook; an LMS renames uploads ("gru-1.ipynb" on a second upload), so the file
        # becomes the chapter's notebook whatever the student called it.
        chapter = self.parent.coursedir.assignment_id
        return {"student_id": student, "file_id": f"{chapter}.ipynb"}
