"""The part of zip_collect's collector plugins that does not depend on the LMS: find the student on the roster, name
the file as the chapter's notebook, pass on the archive's time, say why each other file is skipped, and end with a
count (a collection that collects nothing, or finds no archive, fails with one line saying what to do), and give
each submission the secret that lets its feedback through the exchange (autograder/lms_upload.py)."""
from __future__ import annotations

import json
import os

from nbgrader.plugins import FileNameCollectorPlugin

from autograder.grading.lms.common import Roster
from autograder.grading.student_ids import unsafe_id_reason
from autograder.lms_upload import upload_secret

LMS_RECORD = "lms.json"        # beside timestamp.txt: what the LMS said of the submission (its file, LATE flag)


class LmsCollector(FileNameCollectorPlugin):
    """Subclasses set `lms` and implement parse(path) -> {"lms_id", "name", "file", "late"?, "skip"?} or None."""

    lms = "LMS"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.skipped: list[str] = []
        self.records: dict[str, dict] = {}
        app = self.parent
        if app is not None and hasattr(app, "_transfer_files"):
            self._check_archive(app)
            self._watch_transfer(app)

    # -- what nbgrader calls for each extracted file

    def parse(self, path: str) -> dict | None:
        raise NotImplementedError

    @property
    def roster(self) -> Roster:
        if getattr(self, "_roster", None) is None:
            self._roster = Roster(self.parent.coursedir.db_url)
        return self._roster

    def skip(self, name: str, why: str) -> None:
        self.skipped.append(name)
        self.log.warning("skipped %s: %s", name, why)

    def collect(self, submitted_file: str) -> dict | None:
        name = os.path.basename(submitted_file)
        info = self.parse(submitted_file)
        if info is not None and info.get("skip"):
            return self.skip(name, info["skip"])
        if os.path.splitext(submitted_file)[1] not in self.valid_ext:
            return self.skip(name, f"not a notebook ({', '.join(self.valid_ext)})")
        if info is None:
            return self.skip(name, f"not a {self.lms} file name")
        student, why = self.roster.find(info.get("lms_id"), info.get("name", ""))
        if student is None:
            return self.skip(name, why)
        unsafe = unsafe_id_reason(student, fix="change it in roster.csv and import it again")
        if unsafe:          # a roster imported before the rule, or edited by hand: never a folder of that name
            return self.skip(name, unsafe)
        if info.get("late"):
            self.log.info("%s marked %s's submission late (kept in %s)", info.get("lms", self.lms), student, LMS_RECORD)
        # Each chapter has one notebook; an LMS renames uploads ("gru-1.ipynb" on a second upload), so the file
        # becomes the chapter's notebook whatever the student called it.
        chapter = self.parent.coursedir.assignment_id
        collected = {"student_id": student, "file_id": f"{chapter}.ipynb"}
        extractor = getattr(self.parent, "extractor_plugin_inst", None)
        when = extractor.time_of(submitted_file) if hasattr(extractor, "time_of") else None
        if when is not None:
            collected["timestamp"] = when.isoformat()
        record = {"lms": info.get("lms", self.lms), "file": name, "late": bool(info.get("late")),
                  "archive_time": when.isoformat() if when else None}
        if student not in self.records or (when and (self.records[student]["archive_time"] or "") <= when.isoformat()):
            self.records[student] = record
        return collected

    # -- around nbgrader's ZipCollectApp (it has no hook before extracting or after collecting; 0.9.6 is pinned)

    def _check_archive(self, app) -> None:
        archive = app._format_collect_path(app.archive_directory)
        if not os.path.isdir(archive) or not any(files for _, _, files in os.walk(archive)):
            chapter = app.coursedir.assignment_id
            app.fail(f"no archive in {archive}: download the submissions from the LMS (Canvas: Download "
                     f"Submissions; Moodle: Download all submissions), put the zip there and run "
                     f"`python3 course.py nbgrader zip_collect {chapter} --force`")

    def _watch_transfer(self, app) -> None:
        transfer = app._transfer_files

        def transfer_and_count(collected_data):
            if not collected_data:
                app.fail(f"collected nothing: {len(self.skipped)} file(s) skipped, for the reasons above")
            transfer(collected_data)
            for student, record in self.records.items():
                folder = app.coursedir.format_path(app.coursedir.submitted_directory, student,
                                                   app.coursedir.assignment_id)
                with open(os.path.join(folder, LMS_RECORD), "w") as f:
                    json.dump(record, f, indent=1)
                _write_secret(folder, student, app.coursedir.assignment_id)
            app.log.info("collected %d submission(s); %d file(s) skipped", len(collected_data), len(self.skipped))

        app._transfer_files = transfer_and_count


def _write_secret(folder: str, student: str, chapter: str) -> None:
    """submission_secret.txt from the collected bytes (autograder/lms_upload.py): release_feedback files the page
    under it, and the student's `python -m autograder.lms_upload` derived the same one when uploading."""
    with open(os.path.join(folder, f"{chapter}.ipynb"), "rb") as f:
        secret = upload_secret(student, f.read())
    with open(os.path.join(folder, "submission_secret.txt"), "w") as f:
        f.write(secret)
