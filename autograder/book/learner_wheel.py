"""The learner's wheel: the course package (pure Python, NumPy its one dependency) built for the website, so that each
chapter's zip carries it beside the notebook and a learner needs neither a repository address nor torch.

Built with pip and setuptools from the environment that builds the site (`pip wheel --no-build-isolation`: offline),
from a copy of the package's files, so the checkout gets no build/ or *.egg-info. Entry times are fixed
(SOURCE_DATE_EPOCH) so that the same sources give the same bytes.

It leaves out what only instructors and the site use (`grading/`: the grader, its demo samples; `book/`: the pages'
helpers) and the generator of the visible values (`cases/visible.py`, which needs torch); notebooks import none of
them (ARCHITECTURE.md). `references/` stays: the case generators import it (lazily needing torch).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.layout import ROOT
from autograder.learner_setup import wheel_name

_FIXED_TIME = "1767225600"      # 2026-01-01, for reproducible zip entries
_SOURCES = ("pyproject.toml", "README.md", "autograder")
LEFT_OUT = ("grading", "book", "visible.py")        # names under autograder/ (see above)


def build_wheel(target: Path, root: Path = ROOT) -> Path:
    """Build the wheel into the folder `target`; returns its path."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "rnn-course"
        source.mkdir()
        for name in _SOURCES:
            path = root / name
            if path.is_dir():
                shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *LEFT_OUT))
            else:
                shutil.copy2(path, source / name)
        env = dict(os.environ, SOURCE_DATE_EPOCH=_FIXED_TIME, PIP_DISABLE_PIP_VERSION_CHECK="1")
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                                 "--wheel-dir", str(target), str(source)], capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise RuntimeError(f"building the learner's wheel failed:\n{result.stdout}\n{result.stderr}")
    wheel = target / wheel_name(root)
    if not wheel.is_file():
        raise RuntimeError(f"pip wheel did not write {wheel.name} into {target}: {sorted(os.listdir(target))}")
    return wheel
