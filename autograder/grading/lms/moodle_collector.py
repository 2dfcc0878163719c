"""zip_collect for Moodle's "Download all submissions" archive.

Moodle puts each student's files in a folder  <Full Name>_<participant id>_assignsubmission_file/  (the default since
Moodle 3.1), or, with "Download submissions in folders" off, names each file
<Full Name>_<participant id>_assignsubmission_file_<file name>  (moodle, mod/assign/classes/downloader.php:
`clean_filename($prefix . '_' . $manager->get_uniqueid_for_user($student->id))`, then `$prefix . '_' . $subtype .
'_' . $type`). The number is a participant id Moodle draws per assignment (assign_user_mapping), not the user's id,
so the student is found by full name (first and last name in the roster); two students with one name are reported.

    nbgrader zip_collect CHAPTER --collector=autograder.grading.lms.moodle_collector.MoodleCollector
"""
from __future__ import annotations

import re
from pathlib import PurePath

from autograder.grading.lms.collector_base import LmsCollector

MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<participant>\d+)_assignsubmission_file$")
MOODLE_FLAT = re.compile(r"^(?P<name>.+)_(?P<participant>\d+)_assignsubmission_file_(?P<file>.+)$")


def parse_moodle(path: str) -> dict | None:
    p = PurePath(path)
    m = MOODLE_FLAT.match(p.name)
    if m:
        return {"lms_id": None, "name": m["name"], "participant": m["participant"], "file": m["file"]}
    for folder in p.parents:                  # the file may sit in a subfolder of the student's folder
        m = MOODLE_FOLDER.match(folder.name)
        if m:
            return {"lms_id": None, "name": m["name"], "participant": m["participant"], "file": p.name}
    return None


class MoodleCollector(LmsCollector):
    lms = "Moodle"

    def parse(self, path: str) -> dict | None:
        return parse_moodle(path)
