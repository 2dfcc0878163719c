"""What the student's process sends is the student's responsibility (issue 25, item 3): a reply the grader cannot
decode (a malformed value, an error sent as a list, JSON nested thousands deep, not a JSON object), text UTF-8
cannot carry (a lone surrogate, scrubbed) and a notebook saved with a byte-order mark cost the cell concerned, with
a reason, or nothing at all; never "not graded", which is for the grader's own faults.

The student's code forges the executor's next reply by replacing its channel's `send` (it runs in that process).
"""
from __future__ import annotations

import shutil

import nbformat
import pytest

from autograder.grading import course_folder
from autograder.grading.autograde import grade
from autograder.grading.judge import TrustedNotebook, judge_notebook
from autograder.layout import ROOT
from tests.grading.test_isolation import failures, notebook

CHAPTER = "elman_jordan"
STEP = ("test_elman_step_visible", "test_elman_step_hidden")

FORGER = '''
import sys as _sys
_ex = _sys.modules["__main__"]
_send = _ex.Channel.send
def _forge(text):
    def send(self, message, blob=b""):
        _ex.Channel.send = _send
        self.w.write(b"AGW1" + _ex.wire.HEADER.pack(len(text), 0) + text)
    _ex.Channel.send = send

def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    _forge(PAYLOAD)
    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)
'''

PAYLOADS = {
    "malformed value": (b'{"op": "result", "value": {"$": "list"}}', "ReturnTypeError"),
    "error sent as a list": (b'{"op": "error", "error": ["x", 1]}', "malformed error"),
    "nested JSON": (b'{"op": "result", "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deep"),
    "not an object": (b"[1, 2, 3]", "not an object"),
    "not JSON": (b"\xff\xfe{", "unreadable reply"),
    "a bigint of 5000 digits": (b'{"op": "result", "value": {"$": "bigint", "v": "' + b"9" * 5000 + b'"}}',
                                "ReturnTypeError"),
}


@pytest.fixture(scope="module")
def trusted():
    return TrustedNotebook.from_source_notebook(
        nbformat.read(ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4))


def forged(payload: bytes) -> nbformat.NotebookNode:
    nb = notebook(hostile=False)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "elman_step")
    cell.source = f"PAYLOAD = {payload!r}\n" + FORGER
    return nb


@pytest.mark.parametrize("kind", list(PAYLOADS))
def test_an_unreadable_reply_costs_its_cell(trusted, kind):
    payload, reason = PAYLOADS[kind]
    nb = forged(payload)
    judge_notebook(nb, trusted, timeout=20)          # raises nothing: the grader's own state is fine
    lost = failures(nb)
    assert set(lost) >= set(STEP), f"{kind}: elman_step's tests passed on a forged reply: {lost}"
    assert any(reason in lost[t] for t in STEP), f"{kind}: the reason does not say {reason!r}: {lost}"
    others = {g: why for g, why in lost.items() if "elman_step" not in g and "elman_forward" not in g}
    assert others == {}, f"{kind}: other exercises lost points: {others}"


def test_malformed_error_of_a_cell_costs_that_cell(trusted):
    nb = notebook(hostile=False)
    nb.cells.insert(3, nbformat.v4.new_code_cell(
        'import sys as _s\n_ex = _s.modules["__main__"]\n_send = _ex.Channel.send\n'
        'def send(self, message, blob=b""):\n    _ex.Channel.send = _send\n'
        '    _send(self, {"ok": False, "error": "a string, not an object", "stdout": ["a", "list"]})\n'
        '_ex.Channel.send = send\n'))
    judge_notebook(nb, trusted, timeout=20)
    assert "ProtocolError" in str(nb.cells[3].outputs), nb.cells[3].outputs
    assert failures(nb) == {}


SURROGATE = '''
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    print("\\ud800 a lone surrogate")
    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)
print("\\udfff")
'''


@pytest.fixture(scope="module")
def replies_class(tmp_path_factory):
    """Three students: one prints lone surrogates, one saved with a BOM, one sends JSON nested too deep."""
    course = course_folder.make_course(tmp_path_factory.mktemp("replies") / "course", [CHAPTER])
    students = ("bom", "nested", "surrogate")
    course_folder.add_students(course, list(students))
    for student in students:
        nb = notebook(hostile=False)
        if student == "surrogate":
            cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "elman_step")
            cell.source = SURROGATE
        elif student == "nested":
            nb = forged(PAYLOADS["nested JSON"][0])
        path = course / "submitted" / student / CHAPTER / f"{CHAPTER}.ipynb"
        path.parent.mkdir(parents=True)
        text = nbformat.writes(nb)
        if student == "surrogate":       # also a lone surrogate escaped in the notebook's own JSON
            text = text.replace('"cells": [', '"cells": [{"cell_type": "markdown", "metadata": {}, '
                                              '"source": "\\ud800 in the file"}, ', 1)
        path.write_bytes((b"\xef\xbb\xbf" if student == "bom" else b"") + text.encode("utf-8"))
    return course


def test_the_grade_command_grades_them_all(replies_class, tmp_path):
    course = shutil.copytree(replies_class, tmp_path / "course", symlinks=True)
    run = grade(course, [CHAPTER], workers=1, timeout=20, feedback=True, report=False, log=lambda *a: None)
    assert run.not_graded() == [], [o.notes[:1] for o in run.not_graded()]
    by = run.outcomes[CHAPTER]
    assert by["bom"].status == "graded" and by["bom"].score == by["bom"].max_score, by["bom"].reasons()
    assert by["surrogate"].status == "graded" and by["surrogate"].score == by["surrogate"].max_score, \
        by["surrogate"].reasons()
    assert by["nested"].status == "graded" and 0 < by["nested"].score < by["nested"].max_score
    assert any("nested too deep" in r for r in by["nested"].reasons()), by["nested"].reasons()
    graded = (course / "autograded" / "surrogate" / CHAPTER / f"{CHAPTER}.ipynb").read_text("utf-8")
    assert "\ufffd a lone surrogate" in graded or "\\ufffd a lone surrogate" in graded
    assert (course / "feedback" / "surrogate" / CHAPTER / f"{CHAPTER}.html").is_file()


def test_output_is_kept_within_its_budget_as_it_arrives(trusted):
    """A notebook printing 40 MiB in small pieces keeps at most the notebook's output budget (here 256 KiB) while
    it runs: what the judge holds and a worker ships back is bounded, with a note where output was cut."""
    from autograder.grading.launch import Budget
    nb = notebook(hostile=False)
    for _ in range(4):
        nb.cells.insert(3, nbformat.v4.new_code_cell("for _ in range(100_000):\n    print('x' * 99)\n"))
    judge_notebook(nb, trusted, timeout=60, budget=Budget(wall_s=240, output_bytes=256 * 2**10,
                                                          cell_output_bytes=128 * 2**10))
    kept = sum(len(o.get("text", "")) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert kept < 256 * 2**10 + 4096, f"{kept} characters of output kept"
    assert "over the output budget" in str(nb.cells[3].outputs)
    assert failures(nb) == {}
