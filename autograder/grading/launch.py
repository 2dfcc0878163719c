"""Start the student's process (the executor) in its own bubblewrap sandbox (`autograder.grading.sandbox`).

What the sandbox shows besides the system's libraries and the virtualenv (read-only): the course package, because
the notebooks import `autograder.checks` and `autograder.cases.<id>` and the executor needs `grading.wire`. Of the
instructor's side it shows only the three modules the executor runs (`grading/__init__`, `executor`, `wire`); the
rest of `autograder/grading/` and the page helpers in `autograder/book/` are empty folders there. Torch is hidden by
the sandbox itself. Solutions, the gradebook, submissions and the rest of the checkout are simply not mounted.
"""
from __future__ import annotations

import sys
from pathlib import Path

from autograder.grading import sandbox
from autograder.layout import ROOT

PACKAGE = ROOT / "autograder"
EXECUTOR = PACKAGE / "grading" / "executor.py"
HIDDEN = (PACKAGE / "grading", PACKAGE / "book")
EXPOSED = tuple(PACKAGE / "grading" / n for n in ("__init__.py", "executor.py", "wire.py"))

Budget = sandbox.Budget


def executor_argv() -> list[str]:
    """The student's process: the venv's interpreter, isolated mode (no PYTHON* variables, no user site)."""
    return [sys.executable, "-I", "-B", str(EXECUTOR)]


def start(workdir: Path, budget: Budget, seed: dict[str, bytes] | None = None) -> sandbox.Sandboxed:
    """The executor in a fresh sandbox whose writable folder is `workdir`, holding the files in `seed`."""
    return sandbox.start(executor_argv(), workdir, budget, read_only=[PACKAGE], hide=list(HIDDEN),
                         expose=list(EXPOSED), seed=seed, hide_torch=True)
