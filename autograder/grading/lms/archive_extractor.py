"""zip_collect's extractor for LMS archives: nbgrader's own (which unpacks each zip into a folder named after it),
then the time the archive records for each file, kept for the collector, which hands it to nbgrader as the
submission's timestamp (nbgrader writes it to timestamp.txt, which late penalties and release_feedback read).

A zip entry stores a local time without a time zone; it is read as UTC, as nbgrader reads timestamps without one.
An entry at the zip format's earliest date (1980-01-01) records no time, and gets none.

    c.ZipCollectApp.extractor_plugin = "autograder.grading.lms.archive_extractor.ArchiveTimesExtractor"
"""
from __future__ import annotations

import os
import zipfile
from datetime import datetime, timezone

from nbgrader.plugins import ExtractorPlugin

_NO_TIME = (1980, 1, 1)


class ArchiveTimesExtractor(ExtractorPlugin):
    """nbgrader's extractor, remembering {extracted file: the archive's time for it}."""

    def extract(self, archive_path: str, extracted_path: str) -> None:
        super().extract(archive_path, extracted_path)
        self.times: dict[str, datetime] = {}
        for root, _, files in os.walk(archive_path):
            extract_to = os.path.normpath(os.path.join(extracted_path, os.path.relpath(root, archive_path)))
            for name in files:
                stem, ext = os.path.splitext(name)
                if ext != ".zip" or not zipfile.is_zipfile(os.path.join(root, name)):
                    continue
                with zipfile.ZipFile(os.path.join(root, name)) as archive:
                    for info in archive.infolist():
                        if info.is_dir() or tuple(info.date_time[:3]) <= _NO_TIME:
                            continue
                        path = os.path.normpath(os.path.join(extract_to, stem, info.filename))
                        if os.path.isfile(path):
                            self.times[path] = datetime(*info.date_time, tzinfo=timezone.utc)

    def time_of(self, path: str) -> datetime | None:
        return getattr(self, "times", {}).get(os.path.normpath(path))
