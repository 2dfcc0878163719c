"""The one lock every grading route of a course takes: an flock on <course>/.grading.lock.

`course.py grade` holds it for its whole run (`course_lock`, waiting up to `--lock-wait`); `nbgrader autograde` and
the formgrader's Autograde button hold it for each submission, from before nbgrader records the submission to after
its grades are saved (`nbgrader_hooks`: nbgrader's pre- and post-convert hooks, set in nbgrader_config.py). So two
routes never write one gradebook at once (that ended in an IntegrityError and a grades.csv disagreeing with the
gradebook). nbgrader calls no hook when a conversion fails, so the course's exporter (`reading.SubmissionExporter`)
gives the lock back itself when converting a notebook raises (`release_held`): a failed notebook does not keep the
formgrader's server holding the course. A process never waits for a lock it holds itself.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

LOCK_FILE = ".grading.lock"
_HELD: dict[str, int] = {}            # lock files this process holds through nbgrader's hooks, and their fds
_HELD_LOCK = threading.Lock()


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)


def _mark_holder(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())


class course_lock:
    """One grading run per course at a time: the lock, waited for up to `wait_s`, then a refusal that says why."""

    def __init__(self, course: Path, wait_s: float, log=print):
        self.path, self.wait_s, self.log, self.fd = Path(course) / LOCK_FILE, wait_s, log, None

    def __enter__(self):
        if str(self.path) in _HELD:          # this process already holds it (an nbgrader conversion in it)
            return self
        self.fd = _open(self.path)
        deadline, told = time.monotonic() + self.wait_s, False
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(self.fd)
                    raise SystemExit(f"refusing to grade: another grading run holds {self.path} "
                                     f"(waited {self.wait_s:g} s; see --lock-wait)") from None
                if not told:
                    self.log(f"waiting for another grading run of this course to finish ({self.path})")
                    told = True
                time.sleep(0.5)
        _mark_holder(self.fd)
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def take(course: Path) -> None:
    """Hold the course's lock for this process until `release` (waiting as long as another route holds it)."""
    path = str(Path(course) / LOCK_FILE)
    with _HELD_LOCK:
        if path in _HELD:
            return
        fd = _open(Path(path))
        fcntl.flock(fd, fcntl.LOCK_EX)
        _mark_holder(fd)
        _HELD[path] = fd


def release(course: Path) -> None:
    path = str(Path(course) / LOCK_FILE)
    with _HELD_LOCK:
        fd = _HELD.pop(path, None)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def release_held() -> None:
    """Give back every lock this process took through nbgrader's hooks (a conversion failed: no post hook comes)."""
    with _HELD_LOCK:
        held = list(_HELD.items())
        _HELD.clear()
    for _, fd in held:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def nbgrader_hooks(course) -> tuple:
    """(pre_convert_hook, post_convert_hook) for nbgrader's Autograde: take the course's lock, give it back."""
    def pre(**_):
        take(Path(course))

    def post(**_):
        release(Path(course))
    return pre, post
