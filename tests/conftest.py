"""Shared, expensive fixtures: each runs once per test session."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.layout import ROOT, chapters


@pytest.fixture(scope="session")
def demo_results(tmp_path_factory):
    """One nbgrader course holding every demo sample plus, for each chapter, the source notebook itself
    (student 'solution') and the released notebook unmodified (student 'release'), autograded in one pass."""
    from autograder.grading.demo import run_demo
    extra = {}
    for chapter in chapters():
        extra[("solution", chapter)] = ROOT / "solutions" / chapter / f"{chapter}.ipynb"
        extra[("release", chapter)] = ROOT / "exercises" / chapter / f"{chapter}.ipynb"
    out = tmp_path_factory.mktemp("demo")
    return out, run_demo(out, timeout=10, extra_submissions=extra)


@pytest.fixture(scope="session")
def built_site():
    """The website, built exactly as the README's first command builds it (warnings are errors, cache reused)."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               MPLBACKEND="Agg")
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--builder", "html", "-W",
           "--keep-going"]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    return ROOT / "_build" / "html", result
