"""Sample submissions, as the code each sample student wrote: the one type of the demonstration's samples and the
test suite's hostile ones (tests/grading/hostile_samples.py).

A sample starts from the released notebook with every answer filled in from the solutions (base="solution") or
left as the stub (base="release"), then replaces the cells named in `cells` (by nbgrader grade_id) with what the
student wrote, including, for one sample, a locked test cell. `lost` lists the graded cells that must lose their
points, with a phrase the reason must contain: the grade a human would give, written down before grading ("*" for
every graded cell). A broken submission can instead be raw bytes, or lose cells or their nbgrader metadata.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Sample:
    description: str
    base: str = "solution"                        # "solution" or "release"
    cells: dict[str, str] = field(default_factory=dict)
    lost: dict[str, str] = field(default_factory=dict)   # grade_id -> phrase expected in the reason
    note: str = ""                      # phrase one of the grader's notes must contain
    raw: str | None = None              # the file's text instead of a notebook
    delete: tuple[str, ...] = ()        # grade_ids of cells removed from the notebook
    strip: tuple[str, ...] = ()         # grade_ids of cells whose nbgrader metadata is removed


ELMAN_JORDAN = {
    "correct": Sample("every exercise right"),
    "blank": Sample("the released notebook, unmodified", base="release", lost={
        g: "not answered yet" for g in (   # the stub's message, however a test reaches it
            "test_elman_step_visible", "test_elman_step_hidden", "test_elman_forward_visible",
            "test_elman_forward_hidden", "test_jordan_forward_visible", "test_jordan_forward_hidden",
            "test_concat_visible", "test_concat_hidden", "test_rnn_params_from_torch_visible",
            "test_rnn_params_from_torch_hidden")}),
    "partial": Sample(
        "step and concatenation right; forward off by one in time; Jordan without b_q; one of PyTorch's biases lost",
        cells={
            "elman_forward": '''
def elman_forward(X, W_xh, W_hh, b_h, H0=None):
    T, B, _ = X.shape
    H_t = np.zeros((B, W_hh.shape[0])) if H0 is None else H0
    H = np.empty((T, B, W_hh.shape[0]))
    for t in range(T):
        H[t] = H_t                      # stores the state before the step
        H_t = elman_step(X[t], H_t, W_xh, W_hh, b_h)
    return H
''',
            "jordan_forward": '''
def jordan_forward(X, W_xh, W_qh, b_h, W_hq, b_q, O0=None):
    T, B, _ = X.shape
    O_t = np.zeros((B, W_hq.shape[1])) if O0 is None else O0
    H, O = [], []
    for t in range(T):
        H_t = np.tanh(X[t] @ W_xh + O_t @ W_qh + b_h)
        O_t = H_t @ W_hq                 # b_q forgotten
        H.append(H_t)
        O.append(O_t)
    return np.stack(H), np.stack(O)
''',
            "rnn_params_from_torch": '''
def rnn_params_from_torch(rnn):
    return {"W_xh": rnn.weight_ih_l0.detach().numpy().T.astype(float),
            "W_hh": rnn.weight_hh_l0.detach().numpy().T.astype(float),
            "b_h": rnn.bias_ih_l0.detach().numpy().astype(float)}   # bias_hh_l0 forgotten
''',
        },
        lost={"test_elman_forward_visible": "off by one in time", "test_elman_forward_hidden": "time step 0",
              "test_jordan_forward_visible": "H is wrong from time step 1", "test_jordan_forward_hidden": "is wrong",
              "test_rnn_params_from_torch_visible": "PyTorch keeps two biases",
              "test_rnn_params_from_torch_hidden": "H computed with your parameters is wrong"}),
    "raises": Sample(
        "the Jordan cell raises NameError when run, so jordan_forward is never defined; the rest is right",
        cells={"jordan_forward": '''
O_prev = np.zeros((B, q))       # B and q do not exist outside the function

def jordan_forward(X, W_xh, W_qh, b_h, W_hq, b_q, O0=None):
    return None, None
'''},
        lost={"test_jordan_forward_visible": "NameError", "test_jordan_forward_hidden": "NameError"}),
    "loops": Sample(
        "elman_forward never increments t and loops forever; the rest is right",
        cells={"elman_forward": '''
def elman_forward(X, W_xh, W_hh, b_h, H0=None):
    T, B, _ = X.shape
    H_t = np.zeros((B, W_hh.shape[0])) if H0 is None else H0
    H = np.empty((T, B, W_hh.shape[0]))
    t = 0
    while t < T:                        # t is never incremented
        H_t = elman_step(X[t], H_t, W_xh, W_hh, b_h)
        H[t] = H_t
    return H
'''},
        lost={"test_elman_forward_visible": "Timeout", "test_elman_forward_hidden": "Timeout"}),
    "edits_tests": Sample(
        "Jordan with ReLU instead of tanh, and the locked visible test edited to print 'passed'",
        cells={
            "jordan_forward": '''
def jordan_forward(X, W_xh, W_qh, b_h, W_hq, b_q, O0=None):
    T, B, _ = X.shape
    O_t = np.zeros((B, W_hq.shape[1])) if O0 is None else O0
    H, O = [], []
    for t in range(T):
        H_t = np.maximum(0, X[t] @ W_xh + O_t @ W_qh + b_h)
        O_t = H_t @ W_hq + b_q
        H.append(H_t)
        O.append(O_t)
    return np.stack(H), np.stack(O)
''',
            "test_jordan_forward_visible": 'print("jordan_forward: visible tests passed.")',
        },
        lost={"test_jordan_forward_visible": "H is wrong", "test_jordan_forward_hidden": "H is wrong"}),
}

SAMPLES = {"elman_jordan": ELMAN_JORDAN}
