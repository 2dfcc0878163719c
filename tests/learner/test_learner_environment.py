"""A learner who has only the website: each chapter's zip, taken from the built site, is unzipped into a private folder
and set up with the two commands of its START HERE.txt, as written, in a fresh virtual environment (pip's index gives
only NumPy and Jupyter; the course's package comes from the zip's wheel). There, with no torch and no nbgrader, the
notebook's first cell installs the package by itself when it is missing, a blank answer says "not answered yet",
and with the solutions' answers pasted in, every visible test of every chapter passes. Skips, saying why, when pip
cannot reach an index.
"""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import tempfile
import urllib.request
import venv
import zipfile
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import learner_setup
from autograder.book.sphinx_downloads import zip_path
from autograder.grading.demo import answer_from_solution
from autograder.layout import Chapter, chapters
from tests.helpers.servers import _stop, _wait_for_port, free_port

FIRST = "bptt"      # the chapter whose zip sets up the environment (any would do)


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    path, result = built_site
    if result.returncode != 0:
        pytest.fail(f"the site did not build, so its zips cannot be tried:\n{result.stdout[-3000:]}")
    return path


@pytest.fixture(scope="module")
def private(tmp_path_factory) -> Path:
    """A folder only its owner can enter, as many home folders are."""
    folder = Path(tempfile.mkdtemp(prefix="learner-", dir=tmp_path_factory.getbasetemp()))
    os.chmod(folder, 0o700)
    return folder


def unzip(site: Path, chapter: str, into: Path) -> Path:
    with zipfile.ZipFile(site / zip_path(chapter)) as archive:
        archive.extractall(into)
    return into / chapter


def learner_env(venv_dir: Path) -> dict[str, str]:
    """The environment of a shell where the learner has activated the venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return dict(env, PATH=f"{venv_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv_dir))


@pytest.fixture(scope="module")
def learner(site, private) -> tuple[Path, Path]:
    """(the venv, the unzipped FIRST chapter) after the zip's first command, run as START HERE.txt writes it."""
    folder = unzip(site, FIRST, private / "zips")
    install, _ = learner_setup.commands(FIRST)
    assert f"    {install}\n" in (folder / learner_setup.DOWNLOAD_TEXT).read_text()
    venv_dir = private / "venv"
    venv.EnvBuilder(with_pip=True).create(venv_dir)
    result = subprocess.run(["bash", "-c", install + " --quiet --retries 0 --timeout 30"], cwd=folder,
                            env=learner_env(venv_dir), capture_output=True, text=True)
    if result.returncode != 0 and "No matching distribution" in result.stderr + result.stdout:
        pytest.skip(f"pip could not reach an index for NumPy and Jupyter here: {result.stderr[-500:]}")
    assert result.returncode == 0, f"`{install}` failed in the unzipped folder:\n{result.stderr[-3000:]}"
    # A kernel spec that names this venv's own python (ipykernel's default says "python", found on PATH).
    subprocess.run([venv_dir / "bin" / "python", "-m", "ipykernel", "install", "--sys-prefix", "--name", "learner"],
                   check=True, capture_output=True)
    return venv_dir, folder


def run(venv_dir: Path, nb, cwd: Path) -> None:
    """Execute `nb` with the learner's kernel, in the unzipped folder (as Jupyter starts it beside the notebook)."""
    specs = KernelSpecManager(kernel_dirs=[str(venv_dir / "share" / "jupyter" / "kernels")])
    km = KernelManager(kernel_name="learner", kernel_spec_manager=specs)
    NotebookClient(nb, km=km, timeout=300, allow_errors=False, resources={"metadata": {"path": str(cwd)}}).execute()


def visible_only(nb):
    """The notebook without its hidden-test cells (they run only at grading)."""
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_hidden")]
    return nb


def test_the_zip_install_has_no_torch_and_no_nbgrader(learner):
    venv_dir, _ = learner
    code = "import importlib.util as u; print(u.find_spec('torch') is None, u.find_spec('nbgrader') is None)"
    out = subprocess.run([venv_dir / "bin" / "python", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"], "the learner's set-up must not pull in torch or nbgrader"
    result = subprocess.run([venv_dir / "bin" / "python", "-c", "import torch"], capture_output=True, text=True)
    assert result.returncode != 0 and "No module named 'torch'" in result.stderr


def test_the_second_command_opens_the_notebook(learner):
    """`jupyter lab CHAPTER.ipynb`, as written (plus no browser, a port and a token), serves the notebook."""
    venv_dir, folder = learner
    _, open_it = learner_setup.commands(FIRST)
    port, token = free_port(), "learner-test"
    cmd = shlex.split(open_it) + ["--no-browser", f"--port={port}", "--ip=127.0.0.1",
                                  f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")     # CI runs as root; Jupyter refuses root without it (a learner is not root)
    log = folder.parent / "jupyter-lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=folder, env=learner_env(venv_dir), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        try:
            _wait_for_port(port, proc, "jupyter lab", timeout=120)
        except RuntimeError as err:
            pytest.fail(f"`{open_it}` did not start: {err}\n{log.read_text()[-3000:]}")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/contents/{FIRST}.ipynb?content=0",
                                         headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
    finally:
        _stop(proc, signal.SIGTERM)


def test_the_first_cell_installs_the_package_from_the_wheel_beside_it(learner):
    """A learner who skipped the first command: the first cell installs the package from the zip's wheel."""
    venv_dir, folder = learner
    python = venv_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "uninstall", "--yes", "--quiet", learner_setup.DISTRIBUTION], check=True)
    first = nbformat.read(folder / f"{FIRST}.ipynb", as_version=4).cells[0].source
    result = subprocess.run([python, "-c", first], cwd=folder, capture_output=True, text=True,
                            env=learner_env(venv_dir))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Installing the course package from {learner_setup.wheel_name()}" in result.stdout
    subprocess.run([python, "-c", "import autograder.checks"], check=True)


def test_a_blank_answer_says_not_answered(learner):
    venv_dir, folder = learner
    nb = visible_only(nbformat.read(folder / f"{FIRST}.ipynb", as_version=4))
    with pytest.raises(CellExecutionError) as info:
        run(venv_dir, nb, folder)
    assert "not answered yet: replace this line with your code" in str(info.value)


@pytest.mark.parametrize("chapter", chapters())
def test_each_zip_passes_its_visible_tests_with_the_answers(site, private, learner, chapter):
    venv_dir, first_folder = learner
    folder = unzip(site, chapter, private / "zips")
    wheel = learner_setup.wheel_name()
    assert (folder / wheel).read_bytes() == (first_folder / wheel).read_bytes(), "every zip carries the same wheel"
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nbformat.read(Chapter(chapter).source, 4).cells
               if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    nb = visible_only(nbformat.read(folder / f"{chapter}.ipynb", as_version=4))
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answer_from_solution(answers[gid])
    try:
        run(venv_dir, nb, folder)
    except CellExecutionError as err:
        pytest.fail(f"{chapter}: a visible test fails in the learner's set-up (no torch):\n{str(err)[-3000:]}")
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    visible = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("_visible")]
    assert printed.count("visible tests passed") == len(visible), f"{chapter}: not every visible test said it passed"
