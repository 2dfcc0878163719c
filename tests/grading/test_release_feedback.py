"""release_feedback never stops at one student: a feedback folder without timestamp.txt or submission_secret.txt
(a zip_collected or hand-copied submission) is skipped with a line that names the student, and the students after
it get their feedback in the exchange (autograder/grading/release_feedback.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nbgrader.utils import notebook_hash

from autograder.layout import ROOT

CHAPTER = "elman_jordan"
BIN = Path(sys.executable).parent


def test_release_feedback_skips_one_student_and_releases_the_rest(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text())
    for student, files in {"s1": ("timestamp.txt", "submission_secret.txt"), "s2": (),   # s2: from an LMS archive
                           "s3": ("timestamp.txt", "submission_secret.txt")}.items():
        folder = course / "feedback" / student / CHAPTER
        folder.mkdir(parents=True)
        (folder / f"{CHAPTER}.html").write_text(f"<p>feedback for {student}</p>")
        if "timestamp.txt" in files:
            (folder / "timestamp.txt").write_text("2026-03-02 14:05:06")
        if "submission_secret.txt" in files:
            (folder / "submission_secret.txt").write_text(f"secret-{student}")
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    env.pop("NBGRADER_EXCHANGE", None)
    result = subprocess.run([str(BIN / "nbgrader"), "release_feedback", CHAPTER], cwd=course, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "skipped s2's feedback: no timestamp.txt" in result.stderr
    assert "feedback released to everyone but 1 student(s): s2" in result.stderr
    released = course / "exchange" / "rnn-elman-to-sru" / "feedback"
    for student in ("s1", "s3"):
        page = released / f"{notebook_hash(secret=f'secret-{student}', notebook_id=CHAPTER)}.html"
        assert page.read_text() == f"<p>feedback for {student}</p>", f"{student}'s feedback was not released"
