"""zip_collect on archives laid out as Canvas and Moodle make them, with the course's collectors
(autograder/grading/lms/): each file lands in submitted/<roster id>/<chapter>/<chapter>.ipynb, unknown students are
skipped with the reason."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.grading import course_folder
from autograder.grading.lms.canvas_collector import parse_canvas
from autograder.grading.lms.moodle_collector import parse_moodle
from autograder.grading.roster import import_roster
from autograder.layout import ROOT
from tests.helpers.small_class import ROSTER

CHAPTER = "elman_jordan"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = course_folder.make_course(tmp_path_factory.mktemp("zip") / "course", [CHAPTER])
    roster = course / "roster.csv"
    roster.write_text(ROSTER)
    import_roster(course, roster)
    return course


def notebook_bytes(who: str) -> bytes:
    """The released notebook, marked with who sent it, so the test can tell where each file landed."""
    nb = nbformat.read(ROOT / "exercises" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    nb.metadata["sent_by"] = who
    return nbformat.writes(nb).encode()


# The time an LMS's archive records for a file (zip entries carry one), for the entries the tests do not time.
ARCHIVE_TIME = (2026, 3, 2, 14, 5, 6)


def zip_collect(course: Path, archive: dict[str, bytes] | None, *args: str,
                times: dict[str, tuple] | None = None) -> subprocess.CompletedProcess:
    """nbgrader's zip_collect on one archive with these entries (None: no archive at all)."""
    folder = course / "downloaded" / CHAPTER / "archive"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    if archive is not None:
        with zipfile.ZipFile(folder / "submissions.zip", "w") as z:
            for name, data in archive.items():
                z.writestr(zipfile.ZipInfo(name, date_time=(times or {}).get(name, ARCHIVE_TIME)), data)
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    return subprocess.run([str(BIN / "nbgrader"), "zip_collect", CHAPTER, "--force", *args], cwd=course,
                          capture_output=True, text=True, env=env, timeout=300)


def sent_by(course: Path, student: str) -> str | None:
    path = course / "submitted" / student / CHAPTER / f"{CHAPTER}.ipynb"
    return nbformat.read(path, as_version=4).metadata.get("sent_by") if path.exists() else None


def test_file_name_patterns():
    assert parse_canvas("/x/lovelaceada_12345_9001_elman_jordan.ipynb") == {
        "lms": "Canvas", "lms_id": "12345", "name": "lovelaceada", "late": False, "file": "elman_jordan.ipynb"}
    assert parse_canvas("turingalan_late_23456_9002_elman_jordan-1.ipynb")["late"] is True
    assert parse_canvas("turing--alan-late_23456_9002_x.ipynb")["lms_id"] == "23456"   # older Canvas
    assert parse_canvas("elman_jordan.ipynb") is None
    flat = parse_moodle("/x/Ada Lovelace_501_assignsubmission_file_elman_jordan.ipynb")
    assert (flat["name"], flat["participant"], flat["file"]) == ("Ada Lovelace", "501", "elman_jordan.ipynb")
    nested = parse_moodle("/x/Alan Turing_502_assignsubmission_file/sub/mine.ipynb")
    assert (nested["name"], nested["file"]) == ("Alan Turing", "mine.ipynb")
    underscore = parse_moodle("/x/Grace Hopper_503_assignsubmission_file_/elman_jordan.ipynb")   # as real archives
    assert (underscore["name"], underscore["file"], underscore.get("skip")) == ("Grace Hopper", "elman_jordan.ipynb",
                                                                                 None)
    assert "onlinetext" in parse_moodle("/x/Ada Lovelace_501_assignsubmission_onlinetext_/onlinetext.html")["skip"]
    assert parse_moodle("/x/lovelaceada_12345_9001_elman_jordan.ipynb") is None


def test_canvas_archive(course):
    result = zip_collect(course, {
        "lovelaceada_12345_9001_elman_jordan.ipynb": notebook_bytes("ada-canvas"),
        "turingalan_late_23456_9002_elman_jordan-1.ipynb": notebook_bytes("alan-canvas"),   # renamed upload
        "hoppergrace_34567_9003_my_answers.ipynb": notebook_bytes("grace-canvas"),   # no lms_user_id: by name
        "strangerbob_99999_9004_elman_jordan.ipynb": notebook_bytes("bob-canvas"),   # not on the roster
    }, "--collector=autograder.grading.lms.canvas_collector.CanvasCollector")
    assert result.returncode == 0, result.stderr
    assert [sent_by(course, s) for s in ("s001", "s002", "s003")] == ["ada-canvas", "alan-canvas", "grace-canvas"]
    assert not (course / "submitted" / "strangerbob").exists()
    assert "nobody on the roster has LMS id '99999'" in result.stderr


@pytest.mark.parametrize("folder", ["assignsubmission_file", "assignsubmission_file_"])
def test_moodle_archive_every_layout(course, folder):
    """Folders with and without the trailing underscore real archives have, flat names, subfolders; online text
    and stray files skipped with their reason."""
    result = zip_collect(course, {   # the course's default collector (nbgrader_config.py) recognizes both LMSs
        f"Ada Lovelace_501_{folder}/elman_jordan.ipynb": notebook_bytes("ada-moodle"),
        "Alan Turing_502_assignsubmission_file_elman_jordan.ipynb": notebook_bytes("alan-moodle"),
        f"Grace Hopper_503_{folder}/work/final.ipynb": notebook_bytes("grace-moodle"),
        f"Bob Stranger_504_{folder}/elman_jordan.ipynb": notebook_bytes("bob-moodle"),
        f"Ada Lovelace_501_{folder}/notes.txt": b"not a notebook",
        "Alan Turing_502_assignsubmission_onlinetext_/onlinetext.html": b"<p>see my notebook</p>",
    })
    assert result.returncode == 0, result.stderr
    assert [sent_by(course, s) for s in ("s001", "s002", "s003")] == ["ada-moodle", "alan-moodle", "grace-moodle"]
    assert "the name 'Bob Stranger'" in result.stderr
    assert "skipped onlinetext.html: Moodle's onlinetext entry, not a file upload" in result.stderr
    assert "skipped notes.txt: not a notebook (.ipynb)" in result.stderr
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["s001", "s002", "s003"]
    assert "collected 3 submission(s); 3 file(s) skipped" in result.stderr


def test_each_submission_gets_the_archives_time_and_the_late_flag(course):
    """timestamp.txt from the time the archive records (late penalties and release_feedback read it); Canvas's LATE
    flag kept in lms.json beside it."""
    late = "turingalan_late_23456_9002_elman_jordan.ipynb"
    result = zip_collect(course, {"lovelaceada_12345_9001_elman_jordan.ipynb": notebook_bytes("ada"),
                                  late: notebook_bytes("alan")},
                         times={late: (2026, 3, 9, 23, 59, 30)})
    assert result.returncode == 0, result.stderr
    folder = course / "submitted"
    assert (folder / "s001" / CHAPTER / "timestamp.txt").read_text() == "2026-03-02 14:05:06"   # UTC, naive
    assert (folder / "s002" / CHAPTER / "timestamp.txt").read_text() == "2026-03-09 23:59:30"
    record = json.loads((folder / "s002" / CHAPTER / "lms.json").read_text())
    assert record == {"lms": "Canvas", "file": late, "late": True, "archive_time": "2026-03-09T23:59:30+00:00"}
    assert json.loads((folder / "s001" / CHAPTER / "lms.json").read_text())["late"] is False


def test_nothing_collected_or_no_archive_fails_with_one_line(course):
    result = zip_collect(course, {"strangerbob_99999_9004_elman_jordan.ipynb": notebook_bytes("bob"),
                                  "README.txt": b"hello"})
    assert result.returncode != 0
    assert "collected nothing: 2 file(s) skipped, for the reasons above" in result.stderr
    result = zip_collect(course, None)
    assert result.returncode != 0
    assert "no archive in " in result.stderr and "zip_collect elman_jordan --force" in result.stderr
    assert "WARNING" not in result.stderr, "one line, not nbgrader's warnings"


def test_an_unsafe_id_on_the_roster_never_becomes_a_folder(course):
    """A roster that predates the safe-id rule (written straight into the gradebook): zip_collect skips the file with
    the reason instead of writing submitted/pat/../x/."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_student("pat/../x", first_name="Pat", last_name="Smith", lms_user_id="77777")
    try:
        result = zip_collect(course, {"smithpat_77777_9005_elman_jordan.ipynb": notebook_bytes("pat"),
                                      "lovelaceada_12345_9001_elman_jordan.ipynb": notebook_bytes("ada")})
    finally:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            gb.remove_student("pat/../x")
    assert result.returncode == 0, result.stderr
    assert "student id 'pat/../x' is not a safe file name" in result.stderr
    assert not (course / "submitted" / "pat").exists() and not (course / "submitted" / "x").exists()
