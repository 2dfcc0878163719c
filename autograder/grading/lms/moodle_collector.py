"""zip_collect for Moodle's "Download all submissions" archive.

Moodle puts each student's files in a folder  <Full Name>_<participant id>_assignsubmission_file/  (the default since
Moodle 3.1; real archives also end the folder's name with an underscore, `..._assignsubmission_file_/`), or, with
"Download submissions in folders" off, names each file
<Full Name>_<participant id>_assignsubmission_file_<file name>  (moodle, mod/assign/classes/downloader.php:
`clean_filename($prefix . '_' . $manager->get_uniqueid_for_user($student->id))`, then `$prefix . '_' . $subtype .
'_' . $type`). The number is a participant id Moodle draws per assignment (assign_user_mapping), not the user's id,
so the student is found by full name (first and last name in the roster); two students with one name are reported.
An online-text submission (`..._assignsubmission_onlinetext_/onlinetext.html`) is skipped, saying so.

    nbgrader zip_collect CHAPTER --collector=autograder.grading.lms.moodle_collector.MoodleCollector
"""
from __future__ import annotations

import re
from pathlib import PurePath

from autograder.grading.lms.collector_base import LmsCollector

# <plugin> is the submission type: `file` (uploads) or `onlinetext` (text typed into Moodle).
MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<participant>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?$")
MOODLE_FLAT = re.compile(r"^(?P<name>.+)_(?P<participant>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)$")


def _entry(m, file: str) -> dict:
    entry = {"lms": "Moodle", "lms_id": None, "name": m["name"], "participant": m["participant"], "file": file}
    if m["plugin"] != "file":
        entry["skip"] = f"Moodle's {m['plugin']} entry, not a file upload"
    return entry


def parse_moodle(path: str) -> dict | None:
    p = PurePath(path)
    m = MOODLE_FLAT.match(p.name)
    if m:
        return _entry(m, m["file"])
    for folder in p.parents:                  # the file may sit in a subfolder of the student's folder
        m = MOODLE_FOLDER.match(folder.name)
        if m:
            return _entry(m, p.name)
    return None


class MoodleCollector(LmsCollector):
    lms = "Moodle"

    def parse(self, path: str) -> dict | None:
        return parse_moodle(path)
