"""The formgrader works on the course's configuration (issue 25, item 5), through its HTTP API on a real Jupyter
server (127.0.0.1, stopped after): a graded submission's view renders (it was HTTP 500 while the feedback template
was set for every HTMLExporter), and a manual grade is saved to the gradebook."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import urllib.request

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.grading import course_folder
from autograder.grading.autograde import grade
from tests.grading.test_isolation import notebook
from tests.helpers.servers import BIN, _stop, _wait_for_port, free_port

CHAPTER = "elman_jordan"


@pytest.fixture(scope="module")
def formgrader(tmp_path_factory):
    """(base URL, token, course) of a formgrader serving a graded course of one student."""
    course = course_folder.make_course(tmp_path_factory.mktemp("formgrader") / "course", [CHAPTER])
    course_folder.add_students(course, ["s1"])
    path = course / "submitted" / "s1" / CHAPTER / f"{CHAPTER}.ipynb"
    path.parent.mkdir(parents=True)
    nb = notebook(hostile=False)
    nb.cells.insert(2, nbformat.v4.new_markdown_cell("<script>alert('formgrader')</script>"))
    nbformat.write(nb, path)
    run = grade(course, [CHAPTER], workers=1, timeout=20, feedback=False, report=False, log=lambda *a: None)
    assert run.outcomes[CHAPTER]["s1"].status == "graded"
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(course / ".jupyter-config"),
           "JUPYTER_RUNTIME_DIR": str(course / ".jupyter-runtime")}
    log = open(course.parent / "server.log", "wb")
    proc = subprocess.Popen(
        [str(BIN / "jupyter"), "server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--ServerApp.root_dir={course}", f"--IdentityProvider.token={token}", "--allow-root",
         '--ServerApp.jpserver_extensions={"nbgrader.server_extensions.formgrader": True}'],
        cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_port(port, proc, "jupyter server")
        yield f"http://127.0.0.1:{port}", token, course
    finally:
        _stop(proc)
        log.close()
        shutil.copy(course.parent / "server.log", course.parent / "server.log.kept")


def request(formgrader, path: str, body: dict | None = None):
    base, token, _ = formgrader
    req = urllib.request.Request(base + path, method="PUT" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def submission_id(formgrader) -> str:
    status, text = request(formgrader, f"/formgrader/api/submitted_notebooks/{CHAPTER}/{CHAPTER}")
    assert status == 200, text[-2000:]
    return json.loads(text)[0]["id"]


def test_submission_view_renders(formgrader):
    status, page = request(formgrader, f"/formgrader/submissions/{submission_id(formgrader)}/")
    assert status == 200, f"the submission view answered HTTP {status}: {page[-2000:]}"
    assert "elman_step" in page and "nbgrader" in page.lower()
    assert "<script>alert('formgrader')" not in page, "the student's markdown reached the formgrader as markup"
    assert "&lt;script&gt;alert(&#x27;formgrader&#x27;)" in page or "&lt;script&gt;alert('formgrader')" in page


def test_manual_grade_is_saved(formgrader):
    sid = submission_id(formgrader)
    status, text = request(formgrader, f"/formgrader/api/grades?submission_id={sid}")
    assert status == 200, text[-2000:]
    grade_record = next(g for g in json.loads(text) if g["name"] == "test_elman_step_visible")
    status, text = request(formgrader, f"/formgrader/api/grade/{grade_record['id']}", {"manual_score": 0.5})
    assert status == 200, text[-2000:]
    assert json.loads(text)["manual_score"] == 0.5
    course = formgrader[2]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grades = {g.name: g for g in gb.find_submission_notebook(CHAPTER, CHAPTER, "s1").grades}
        assert grades["test_elman_step_visible"].manual_score == 0.5
