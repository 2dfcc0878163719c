"""The trusted judgement (autograder/grading/judge.py): one test per way of forging a grade named in issue 14.

Each hostile answer to chapter 1's `elman_step` is judged as a submission would be (test cells in this process, the
student's cells in the executor). Each test asserts the grade (the exercise's tests fail: no points for a wrong
answer), the reason shown, and that the hidden tests' source appears neither in what the student's process printed
nor anywhere it could read.
"""
from __future__ import annotations

import nbformat
import pytest

from autograder.grading.demo import answer_from_solution
from autograder.grading.judge import TrustedNotebook, judge_notebook
from autograder.layout import ROOT

CHAPTER = "elman_jordan"
TESTS = ("test_elman_step_visible", "test_elman_step_hidden")
HIDDEN_MARK = "elman_step_cases(seed=101"          # a line of the hidden test's source
WRONG = "    return np.zeros((X_t.shape[0], W_hh.shape[0]))\n"
LEAK_PROBE = '''
_probed = []
def _leaks():
    """Strings in a module or a frame of this process holding the hidden test's text (looked for once)."""
    import sys
    if _probed:
        return
    _probed.append(1)
    found = []
    def look(v):
        if isinstance(v, str) and "seed=101" in v:
            found.append(v[:80])
    for module in list(sys.modules.values()):
        for v in list(getattr(module, "__dict__", {}).values()):
            look(v)
    f = sys._getframe()
    while f:
        for v in list(f.f_locals.values()) + list(f.f_globals.values()):
            look(v)
        f = f.f_back
    print("LEAKS:", found)
'''


@pytest.fixture(scope="module")
def source():
    return nbformat.read(ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)


@pytest.fixture(scope="module")
def trusted(source):
    return TrustedNotebook.from_source_notebook(source)


def submission(source, elman_step: str, extra_cells=()):
    """The release with every answer right except elman_step's, replaced by `elman_step`; extra cells first."""
    nb = nbformat.read(ROOT / "exercises" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    answers = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in source.cells}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = elman_step if meta["grade_id"] == "elman_step" else answer_from_solution(
                answers[meta["grade_id"]])
    position = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "elman_step")
    for k, src in enumerate(extra_cells):
        nb.cells.insert(position + k, nbformat.v4.new_code_cell(src))
    return nb


def judged(nb, trusted):
    events = judge_notebook(nb, trusted, timeout=20)
    results = {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if cell.metadata.get("nbgrader", {}).get("grade"):
            results[gid] = None if not errors else f"{errors[0]['ename']}: {errors[0]['evalue']}"
    text = "\n".join(str(o) for c in nb.cells for o in c.get("outputs", []))   # what the feedback shows
    return results, text, events


def assert_forgery_fails(nb, trusted, reason: str):
    results, text, _ = judged(nb, trusted)
    for test in TESTS:
        assert results[test] is not None, f"{test} passed for a forged answer"
        assert reason in results[test], f"{test}: {results[test]!r} does not say {reason!r}"
    # The other exercises are unaffected: their tests still pass.
    assert results["test_jordan_forward_hidden"] is None and results["test_concat_hidden"] is None, results
    assert HIDDEN_MARK not in text.replace(f"'{HIDDEN_MARK}", ""), "the hidden test's source reached the output"
    return results, text


def test_correct_answer_passes_and_hidden_source_is_out_of_reach(source, trusted):
    nb = submission(source, "def elman_step(X_t, H_prev, W_xh, W_hh, b_h):\n    if X_t.shape[0] == 4:\n"
                            "        _leaks()\n"
                            "    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)\n", [LEAK_PROBE])
    results, text, events = judged(nb, trusted)
    assert all(r is None for r in results.values()), results
    assert "LEAKS: []" in text and "LEAKS: ['" not in text
    assert events == []


def test_returning_the_hidden_loops_case_expected(source, trusted):
    nb = submission(source, "def elman_step(X_t, H_prev, W_xh, W_hh, b_h):\n"
                            "    return globals()['case'].expected['H']\n")
    assert_forgery_fails(nb, trusted, "KeyError")


def test_array_protocol_reading_the_callers_frame(source, trusted):
    nb = submission(source, '''
import warnings
class Forged:
    def __array__(self, dtype=None, copy=None):
        f = warnings.sys._getframe(1)
        while f and "expected" not in f.f_locals and "want" not in f.f_locals:
            f = f.f_back
        return f.f_locals.get("want") if f else np.zeros(1)
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return Forged()
''')
    assert_forgery_fails(nb, trusted, "elman_step returned a __main__.Forged")


def test_array_subclass_is_refused(source, trusted):
    nb = submission(source, '''
class Always(np.ndarray):
    def __eq__(self, other):
        return True
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return np.zeros((X_t.shape[0], W_hh.shape[0])).view(Always)
''')
    assert_forgery_fails(nb, trusted, "returned a __main__.Always")


def test_profile_hook_copying_expected(source, trusted):
    nb = submission(source, '''
import sys
def _hook(frame, event, arg):
    if "expected" in frame.f_locals and "got" in frame.f_locals:
        frame.f_locals["got"][...] = frame.f_locals["expected"]
sys.setprofile(_hook)
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
''' + WRONG)
    assert_forgery_fails(nb, trusted, "wrong")


def test_numpy_aliasing_and_setattr_routes(source, trusted):
    nb = submission(source, '''
import functools, typing
N = np
N.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, dtype=bool)
functools.partial(setattr, np, "allclose", lambda *a, **k: True)()
def annotated(x: "setattr(__import__('numpy'), 'array_equal', lambda *a, **k: True)"): pass
try:
    typing.get_type_hints(annotated)
except Exception:
    pass
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
''' + WRONG)
    assert_forgery_fails(nb, trusted, "wrong")


def test_pickle_through_tofile_and_load(source, trusted):
    nb = submission(source, '''
import pickle
class Sneaky:
    def __reduce__(self):
        return (print, ("unpickled in the grader",))
with open("payload.npy", "wb") as f:
    np.save(f, np.array([Sneaky()], dtype=object), allow_pickle=True)
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return np.load("payload.npy", allow_pickle=True)
''')
    assert_forgery_fails(nb, trusted, "an array of dtype object")    # refused before anything is unpickled


def test_ctypes_running_code_in_the_interpreter(source, trusted):
    nb = submission(source, '''
import ctypes
ctypes.pythonapi.PyRun_SimpleString(
    b"import numpy; numpy.isclose = lambda a, b, **k: numpy.ones(numpy.broadcast(a, b).shape, bool)")
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
''' + WRONG)
    assert_forgery_fails(nb, trusted, "wrong")


def test_input_transformer_through_sys_modules(source, trusted):
    nb = submission(source, '''
import sys
ip = sys.modules.get("IPython")
try:
    ip.get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
    print("transformer installed")
except Exception as err:
    print("no IPython shell here:", type(err).__name__)
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
''' + WRONG)
    _, text = assert_forgery_fails(nb, trusted, "wrong")
    assert "transformer installed" not in text


def test_fake_case_module_in_sys_modules(source, trusted):
    nb = submission(source, '''
import sys, types
fake = types.ModuleType("autograder.cases.elman_jordan")
class C:
    description, inputs, expected = "fake", {}, {"H": 0}
fake.elman_step_cases = lambda **k: []
fake.EXAMPLE = {}
sys.modules["autograder.cases.elman_jordan"] = fake
import autograder.checks
autograder.checks.check_close = lambda *a, **k: None
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
''' + WRONG)
    assert_forgery_fails(nb, trusted, "wrong")


def test_torch_references_are_not_importable(source, trusted):
    nb = submission(source, '''
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    import torch
    return torch.tanh(torch.tensor(X_t @ W_xh + H_prev @ W_hh + b_h)).numpy()
''')
    assert_forgery_fails(nb, trusted, "ModuleNotFoundError: elman_step: No module named 'torch'")
    nb = submission(source, '''
from autograder.references.elman_jordan import elman_step as reference
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return reference(X_t, H_prev, W_xh, W_hh, b_h).numpy()
''')
    assert_forgery_fails(nb, trusted, "torch")


def test_print_in_history_shows_no_test_source(source, trusted):
    nb = submission(source, "def elman_step(X_t, H_prev, W_xh, W_hh, b_h):\n    print(In[-1])\n" + WRONG)
    assert_forgery_fails(nb, trusted, "NameError: elman_step: name 'In' is not defined")


def test_output_too_large_is_a_reason(source, trusted):
    nb = submission(source, "def elman_step(X_t, H_prev, W_xh, W_hh, b_h):\n    return np.zeros(9 * 2**20)\n")
    assert_forgery_fails(nb, trusted, "output too large")


def test_endless_loop_costs_its_test_only(source, trusted):
    nb = submission(source, "def elman_step(X_t, H_prev, W_xh, W_hh, b_h):\n    while X_t.shape[0] == 4:\n"
                            "        pass\n    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)\n")
    judge_notebook(nb, trusted, timeout=3)
    results = {c.metadata["nbgrader"]["grade_id"]: [o.get("ename") for o in c.outputs if o.output_type == "error"]
               for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert results["test_elman_step_hidden"] == ["Timeout"], results
    assert results["test_elman_step_visible"] == []
    assert results["test_elman_forward_visible"] == [] and results["test_jordan_forward_hidden"] == [], \
        "later cells run in a fresh process, the answers replayed"


RIGHT = "def elman_step(X_t, H_prev, W_xh, W_hh, b_h):\n    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)\n"


def test_sleep_padding_meets_the_notebook_budget(source, trusted):
    """Added cells that each stay under the cell limit cannot stretch the notebook past its own budget."""
    from autograder.grading.sandbox import Budget
    nb = submission(source, RIGHT, extra_cells=["import time\ntime.sleep(1.5)"] * 10)
    events = judge_notebook(nb, trusted, timeout=5, budget=Budget(wall_s=6))
    results = {c.metadata["nbgrader"]["grade_id"]: [f"{o.ename}: {o.evalue}" for o in c.outputs
                                                    if o.output_type == "error"]
               for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    for test in (*TESTS, "test_jordan_forward_hidden"):
        assert results[test] and "time budget" in results[test][0], results[test]
    assert any("time budget" in e for e in events), events


def test_memory_over_budget_is_named(source, trusted):
    """An answer that allocates past the notebook's memory budget: its tests fail saying so; the others pass."""
    from autograder.grading.sandbox import Budget
    hog = ("def elman_step(X_t, H_prev, W_xh, W_hh, b_h):\n    block = np.ones(2**29)\n"
           "    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h) + 0 * block[0]\n")
    nb = submission(source, hog)
    judge_notebook(nb, trusted, timeout=20, budget=Budget(memory_bytes=512 * 2**20))
    results = {c.metadata["nbgrader"]["grade_id"]: [f"{o.ename}: {o.evalue}" for o in c.outputs
                                                    if o.output_type == "error"]
               for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    for test in TESTS:
        assert results[test] and ("memory" in results[test][0] or "MemoryError" in results[test][0]), results[test]
    assert results["test_jordan_forward_hidden"] == [] and results["test_concat_hidden"] == [], results
