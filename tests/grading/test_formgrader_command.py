"""`python3 course.py formgrader`, as the README says to start it: a Jupyter server on 127.0.0.1 with nbgrader's
formgrader extension, serving the formgrader's page and its API for this course."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

from autograder.layout import ROOT
from tests.helpers.servers import _stop, _wait_for_port, free_port


def test_course_py_formgrader_serves_the_formgrader(tmp_path):
    port, token = free_port(), "formgrader-test"
    log = tmp_path / "formgrader.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "course.py"), "formgrader", f"--port={port}",
                                 "--no-browser", f"--IdentityProvider.token={token}"], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            _wait_for_port(port, proc, "python3 course.py formgrader", timeout=120)
        except RuntimeError as err:
            raise AssertionError(f"{err}:\n{log.read_text()[-3000:]}") from None

        def get(path: str):
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                             headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()

        status, page = get("/formgrader")
        assert status == 200 and "formgrader" in page.lower()
        status, body = get("/formgrader/api/assignments")
        assert status == 200 and isinstance(json.loads(body), list)
    finally:
        _stop(proc, signal.SIGTERM)
