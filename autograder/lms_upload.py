"""Feedback through the exchange for a notebook submitted on an LMS (Canvas, Moodle) instead of `nbgrader submit`.

nbgrader's `fetch_feedback` finds a student's feedback through the record `nbgrader submit` leaves in the student's
cache (`<cache>/<course>/<student>+<chapter>+<time>/`, with the notebook and `submission_secret.txt`); the exchange
holds the page under a hash of that secret. A notebook uploaded to an LMS leaves no such record, so this module gives
both sides the same secret without sending one: it is derived from the bytes of the uploaded file and the student's
id, which only the student and the instructor have.

    python -m autograder.lms_upload elman_jordan       # the student: writes elman_jordan-upload.ipynb, to upload
    nbgrader fetch_feedback elman_jordan               # later, once the instructor has released feedback

The upload copy carries a random mark in its metadata, so that even an unchanged release notebook (which everyone
has) gives a secret nobody else can compute. On the instructor's side the LMS collectors
(autograder/grading/lms/collector_base.py) write the same secret beside each collected notebook, and nbgrader's
`release_feedback` files the page under it. A file uploaded without this command works too, as long as the student
records the exact bytes the LMS received (Canvas and Moodle let a student download their submission):
`python -m autograder.lms_upload elman_jordan --record downloaded.ipynb`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import sys
from pathlib import Path

_DOMAIN = b"rnn-course lms upload v1\0"    # keeps these hashes apart from any other use of the same bytes
MARK = "lms_upload"                         # the notebook-level metadata key of the random mark


def upload_secret(student: str, notebook: bytes) -> str:
    """The submission secret both sides derive from the uploaded file's bytes and the student's id."""
    return hashlib.sha256(_DOMAIN + student.encode() + b"\0" + notebook).hexdigest()


def marked_copy(notebook: bytes) -> bytes:
    """The notebook with a random mark in its metadata (the rest unchanged), as bytes to upload."""
    nb = json.loads(notebook.decode("utf-8-sig"))
    nb.setdefault("metadata", {})[MARK] = {"mark": secrets.token_hex(32)}
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode()


def _exchange():
    """nbgrader's student-side settings (course id, cache, assignment folder), read as `nbgrader` reads them."""
    try:
        from nbgrader.apps.baseapp import NbGrader
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.exchange.default.exchange import Exchange
    except ImportError:
        sys.exit("nbgrader is not installed: install the package with its `exchange` extra "
                 "(pip install \"rnn_course-<version>-py3-none-any.whl[exchange]\"), as fetch_feedback needs it too")
    app = NbGrader()
    app.initialize([])
    coursedir = CourseDirectory(parent=app)
    if not coursedir.course_id:
        sys.exit("no course id: set c.CourseDirectory.course_id in ~/.jupyter/nbgrader_config.py (README, step 3)")
    return coursedir, Exchange(coursedir=coursedir, parent=app)


def record(chapter: str, uploaded: bytes, student: str, cache: Path, course_id: str, stamp: str) -> Path:
    """The cache entry nbgrader's fetch_feedback looks for, as `nbgrader submit` would have left it."""
    entry = cache / course_id / f"{student}+{chapter}+{stamp}"
    entry.mkdir(parents=True)
    (entry / f"{chapter}.ipynb").write_bytes(uploaded)
    (entry / "submission_secret.txt").write_text(upload_secret(student, uploaded))
    return entry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder.lms_upload", description=__doc__.split("\n\n")[0])
    parser.add_argument("chapter", help="the chapter id, e.g. elman_jordan")
    parser.add_argument("--notebook", type=Path, help="the notebook to upload (default: CHAPTER/CHAPTER.ipynb, "
                        "where nbgrader fetch_assignment puts it, else CHAPTER.ipynb)")
    parser.add_argument("--record", type=Path, metavar="UPLOADED",
                        help="record a file already uploaded (its exact bytes, e.g. downloaded back from the LMS) "
                        "instead of making a copy to upload")
    parser.add_argument("--student", help="your student id in the course (default: your login, as nbgrader's)")
    args = parser.parse_args(argv)
    coursedir, exchange = _exchange()
    from nbgrader.utils import get_username
    student = args.student or get_username()
    cache = Path(exchange.cache)
    exchange.set_timestamp()                # the entry's name carries the time, in nbgrader's format
    if args.record:
        entry = record(args.chapter, args.record.read_bytes(), student, cache, coursedir.course_id, exchange.timestamp)
        print(f"recorded {args.record} for {student}'s feedback ({entry}); "
              f"once feedback is released: nbgrader fetch_feedback {args.chapter}")
        return
    candidates = [args.notebook] if args.notebook else [Path(args.chapter) / f"{args.chapter}.ipynb",
                                                          Path(f"{args.chapter}.ipynb")]
    source = next((p for p in candidates if p.is_file()), None)
    if source is None:
        sys.exit(f"no notebook at {' or '.join(map(str, candidates))}: name it with --notebook")
    upload = source.resolve().with_name(f"{args.chapter}-upload.ipynb")
    tmp = upload.with_suffix(".tmp")
    tmp.write_bytes(marked_copy(source.read_bytes()))
    shutil.move(tmp, upload)
    os.chmod(upload, 0o644)
    entry = record(args.chapter, upload.read_bytes(), student, cache, coursedir.course_id, exchange.timestamp)
    print(f"upload this file to the LMS, unchanged: {upload}\n"
          f"(recorded for {student}'s feedback in {entry}; once feedback is released: "
          f"nbgrader fetch_feedback {args.chapter})")


if __name__ == "__main__":
    main()
