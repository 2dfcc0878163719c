"""A downloaded notebook runs in the learner's set-up alone: a fresh virtual environment with the course package (its
base dependency, NumPy) and a kernel, no torch, no nbgrader. The released notebook of a chapter without torch
exercises is run there with nbclient: its install cell and setup pass, a blank answer says "not answered yet", and
with the solution's answers every visible test passes. Skips, saying why, when pip cannot install.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder.grading.demo import answer_from_solution
from autograder.layout import ROOT, Chapter

CHAPTER = "bptt"   # its exercises need no torch module


@pytest.fixture(scope="module")
def learner_python(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("learner")
    source = tmp / "rnn-course"          # a copy, so that building the package leaves nothing in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "autograder", source / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    result = subprocess.run([python, "-m", "pip", "install", "--quiet", "--retries", "0", "--timeout", "20",
                             str(source), "ipykernel"], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"pip could not install the learner's set-up here (offline?): {result.stderr[-500:]}")
    subprocess.run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "learner"], check=True,
                   capture_output=True)
    return python


def _run(python: Path, nb) -> None:
    """Execute `nb` with the kernel of the learner's environment (found there, not in the one running the tests)."""
    specs = KernelSpecManager(kernel_dirs=[str(python.parent.parent / "share" / "jupyter" / "kernels")])
    km = KernelManager(kernel_name="learner", kernel_spec_manager=specs)
    NotebookClient(nb, km=km, timeout=120, allow_errors=False,
                   resources={"metadata": {"path": str(python.parent.parent)}}).execute()


def _released(chapter: str):
    return nbformat.read(Chapter(chapter).release, as_version=4)


def _visible_only(nb):
    """The notebook without its hidden-test cells (they run only at grading)."""
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_hidden")]
    return nb


def test_learner_set_up_has_no_torch_and_no_nbgrader(learner_python):
    code = "import importlib.util as u; print(u.find_spec('torch') is None, u.find_spec('nbgrader') is None)"
    out = subprocess.run([learner_python, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True"], "the learner's set-up must not pull in torch or nbgrader"
    # What the notebooks import, without torch:
    code = ("import autograder.cases.lstm, autograder.cases.gru, autograder.cases.elman_jordan, autograder.checks; "
            "from autograder.cases.visible_values import VALUES; print(sorted(VALUES))")
    out = subprocess.run([learner_python, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]


def test_released_notebook_blank_answer_says_not_answered(learner_python):
    nb = _visible_only(_released(CHAPTER))
    with pytest.raises(CellExecutionError) as info:
        _run(learner_python, nb)
    assert "not answered yet: replace this line with your code" in str(info.value)
    ran = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.get("outputs") or c.get("execution_count")]
    assert ran[:2] == ["install", "setup"], f"the install and setup cells must run first, ran: {ran}"


def test_released_notebook_with_answers_passes_its_visible_tests(learner_python):
    source = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nbformat.read(Chapter(CHAPTER).source, 4).cells
              if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    nb = _visible_only(_released(CHAPTER))
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in source:
            cell.source = answer_from_solution(source[gid])
    _run(learner_python, nb)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert printed.count("visible tests passed") == sum(1 for c in nb.cells if c.metadata.get("nbgrader", {})
                                                        .get("grade_id", "").endswith("_visible"))


def test_install_cell_fails_with_the_command_when_the_package_is_missing():
    install = _released(CHAPTER).cells[0]
    assert install.metadata["nbgrader"]["grade_id"] == "install"
    assert 'pip install "rnn-course[learner]' in install.source.splitlines()[1]
    blocker = ("import importlib.abc, sys\n"
               "class Block(importlib.abc.MetaPathFinder):\n"
               "    def find_spec(self, name, path, target=None):\n"
               "        if name.split('.')[0] == 'autograder':\n"
               "            raise ModuleNotFoundError(name)\n"
               "sys.meta_path.insert(0, Block())\n")
    result = subprocess.run([sys.executable, "-c", blocker + install.source], capture_output=True, text=True)
    assert result.returncode != 0
    assert 'The course package is missing. Run:  %pip install "rnn-course[learner] @ git+' in result.stderr
