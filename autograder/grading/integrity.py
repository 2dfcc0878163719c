"""Integrity: the course's files (config, sources, release, the course code) hashed before and after a grading run;
any change is reported and the command exits with status 3."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from autograder.grading.course_lock import LOCK_FILE

WORK_DIRS = ("submitted", "autograded", "feedback", "grading")
# Not hashed: nbgrader's and our outputs, what is regenerated or too big to matter, and what students and LMS
# archives add while grading runs.
UNHASHED = {*WORK_DIRS, "gradebook.db", LOCK_FILE, ".venv", ".git", "_build", "__pycache__", ".pytest_cache",
            ".nbgrader.log", ".ipynb_checkpoints", "exchange", "downloaded"}


def course_hashes(course: Path, also: list[Path] = ()) -> dict[str, str]:
    """sha256 of every course file a grading run must not change (config, sources, release, the course code)."""
    out = {}
    for base in [course, *also]:
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d not in UNHASHED]
            for name in filenames:
                if name in UNHASHED or name.endswith(".pyc"):
                    continue
                p = Path(dirpath) / name
                if p.is_file() and not p.is_symlink():
                    out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def compare_hashes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    problems = [f"changed during grading: {p}" for p in before if p in after and before[p] != after[p]]
    problems += [f"deleted during grading: {p}" for p in before if p not in after]
    problems += [f"created during grading: {p}" for p in after if p not in before]
    return problems
