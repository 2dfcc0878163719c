"""Hostile and broken submissions, as the code each student wrote (cells by grade_id, on top of the released
chapter 1 notebook with every answer right unless replaced). COURSE is replaced by the course folder's path.
`lost` maps test grade_ids to the phrase their reason must contain ("*" = every test); every other test must
get full marks."""
from __future__ import annotations

from autograder.grading.samples import Sample

ALL = "*"


JORDAN = ("test_jordan_forward_visible", "test_jordan_forward_hidden")
PARAMS = ("test_rnn_params_from_torch_visible", "test_rnn_params_from_torch_hidden")
STEP = ("test_elman_step_visible", "test_elman_step_hidden")
CONCAT = ("test_concat_visible", "test_concat_hidden")
FORWARD = ("test_elman_forward_visible", "test_elman_forward_hidden")     # they call elman_step

HOSTILE = {
    "sigint_loop": Sample(
        "jordan_forward ignores SIGINT and loops forever",
        cells={"jordan_forward": '''
import signal
def jordan_forward(X, W_xh, W_qh, b_h, W_hq, b_q, O0=None):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass
'''}, lost={g: "Timeout" for g in JORDAN}),
    "exits": Sample(
        "rnn_params_from_torch calls os._exit(1): the kernel dies",
        cells={"rnn_params_from_torch": '''
import os
def rnn_params_from_torch(rnn):
    os._exit(1)
'''}, lost={g: "kernel died" for g in PARAMS}),
    "deletes_tests": Sample(
        "deletes a visible test cell and strips the metadata of a hidden one; answers right",
        delete=("test_elman_step_visible",), strip=("test_concat_hidden",),
        note="test_concat_hidden, test_elman_step_visible"),
    "reads_solutions": Sample(
        "prints the source notebook (hidden tests), a classmate's notebook, the gradebook; answers right",
        cells={"elman_step": '''
for p in ["../../solutions/elman_jordan/elman_jordan.ipynb", "COURSE/solutions/elman_jordan/elman_jordan.ipynb",
          "COURSE/submitted/correct/elman_jordan/elman_jordan.ipynb", "COURSE/gradebook.db", "/etc/shadow"]:
    try:
        print(open(p).read())
    except Exception as err:
        print("could not read", p, type(err).__name__)

def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)
'''}),
    "writes_gradebook": Sample(
        "gives itself full marks in gradebook.db",
        cells={"concat": '''
import sqlite3
try:
    db = sqlite3.connect("COURSE/gradebook.db")
    db.execute("UPDATE grade SET manual_score = 100")
    db.commit()
except Exception as err:
    print("no:", err)

def concat_weights(W_xh, W_hh):
    raise NotImplementedError()
'''}, lost={g: "NumPy-only" for g in CONCAT}),
    "background": Sample(
        "leaves a detached process that edits the gradebook and drops a marker after the kernel has ended",
        cells={"elman_step": '''
import subprocess
subprocess.Popen(["/bin/sh", "-c", "sleep 4; touch /tmp/hostile-background-marker; "
                  "sqlite3 COURSE/gradebook.db 'UPDATE grade SET manual_score = 100'"], start_new_session=True)

def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)
'''}, lost={g: "NumPy-only" for g in STEP}),
    "appends_config": Sample(
        "appends code to nbgrader_config.py (not there to write); answers right",
        cells={"elman_step": '''
try:
    with open("COURSE/nbgrader_config.py", "a") as f:
        f.write("\\nimport os; os.system('touch /tmp/hostile-config-ran')\\n")
except Exception as err:
    print("no:", err)

def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)
'''}),
    "allclose": Sample(
        "np.allclose made always true in its own process (the grader's NumPy is untouched), and a wrong answer",
        cells={"elman_step": '''
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None

def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return np.maximum(0, X_t @ W_xh + H_prev @ W_hh + b_h)
'''}, lost={**{g: "is wrong" for g in STEP}, **{g: "" for g in FORWARD}}),
    "patches_checks": Sample(
        "replaces autograder.checks.check_close in its own process, and a wrong answer",
        cells={"elman_step": '''
import autograder.checks
autograder.checks.check_close = lambda *a, **k: None
check_close = lambda *a, **k: None

def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return X_t @ W_xh
'''}, lost={**{g: "NumPy-only" for g in STEP}, **{g: "" for g in FORWARD}}),
    "warns": Sample(
        "a correct answer that writes a warning to stderr",
        cells={"elman_step": '''
import warnings
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    warnings.warn("this is only a warning")
    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)
'''}),
    "torch_answer": Sample(
        "elman_step computed with torch and converted back to NumPy",
        cells={"elman_step": '''
import torch
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    t = lambda a: torch.as_tensor(a)
    return torch.tanh(t(X_t) @ t(W_xh) + t(H_prev) @ t(W_hh) + t(b_h)).numpy()
'''}, lost={**{g: "NumPy-only" for g in STEP},
            # torch is not importable where the student's code runs: the cell fails, elman_step is never defined,
            # and elman_forward (which calls it) fails too.
            **{g: "elman_step" for g in ("test_elman_forward_visible", "test_elman_forward_hidden")}}),
    "not_json": Sample("the file is not JSON", raw="this is not a notebook {", lost={ALL: "invalid notebook"}),
    "wrong_nbformat": Sample("JSON, but nbformat 99", raw='{"nbformat": 99, "nbformat_minor": 0, "cells": []}',
                              lost={ALL: "invalid notebook"}),
}

MARKERS = ("/tmp/hostile-background-marker", "/tmp/hostile-config-ran")

# Submissions that are more than a notebook's code. STATUS: the outcome's status where it is not "graded";
# SETUP (in test_hostile's fixture): what is done to the submitted files.
_RIGHT_STEP = '''
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)
'''
LONG_NAME = "s" * 247
OUTPUT_BYTES = 2**30               # 1 GiB printed on one line: the executor keeps 1 MiB of it
HOSTILE.update({
    "links_solution": Sample("the submitted notebook is a symlink to solutions/ (hidden tests in the feedback?)",
                             lost={ALL: "symbolic link"}),
    "links_classmate": Sample("the student's folder is a symlink to a classmate's (their grade?)",
                              lost={ALL: "symbolic link"}),
    "timestamp_shadow": Sample("timestamp.txt is a symlink to /etc/shadow; answers right",
                               note="timestamp.txt ignored"),
    "pasted_test": Sample("a test cell pasted twice (Jupyter copies its metadata); answers right",
                          note="a pasted copy of test_elman_step_visible was ignored"),
    "bad_metadata": Sample('"nbgrader": "x" in a cell\'s metadata; answers right',
                           note="malformed nbgrader metadata ignored"),
    "deep_expression": Sample("a 100,000-character expression",
                              cells={"elman_step": "x = " + "1+" * 50_000 + "1\n" + _RIGHT_STEP},
                              lost={ALL: "the rules could not read a cell"}),
    "fills_disk": Sample("writes until its folder is full; answers right",
                         cells={"elman_step": '''
try:
    with open("filler", "wb") as f:
        while True:
            f.write(b"x" * 2**20)
except OSError as err:
    print("stopped:", err)
''' + _RIGHT_STEP}),
    "prints_a_lot": Sample("prints 1 GiB on one line; answers right", note="output cut at the output budget",
                           cells={"elman_step": f'print("x" * {OUTPUT_BYTES})\n' + _RIGHT_STEP}),
    LONG_NAME: Sample("a 247-character student folder name; answers right", lost={ALL: "not a safe file name"}),
})
STATUS = {"links_solution": "invalid", "links_classmate": "invalid", LONG_NAME: "not graded",
          "not_json": "invalid", "wrong_nbformat": "invalid"}
