"""What the formgrader's buttons call, in this process: nbgrader's API on a course folder with its own
nbgrader_config.py; and whether another process could take the course's grading lock now."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from autograder.grading.course_lock import LOCK_FILE


def formgrader_api(course: Path):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader
    config = Config(PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config())
    config.CourseDirectory.root = str(course)
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def lock_is_free(course: Path) -> bool:
    fd = os.open(course / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)      # another open file: conflicts even in this process
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
