"""Mistakes learners make in chapter 1. Each must make the named hidden test fail; those in VISIBLE, the visible
test too."""

_STEP = '''
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return {expr}
'''

_FORWARD = '''
def elman_forward(X, W_xh, W_hh, b_h, H0=None):
    T, B, _ = X.shape
    H_t = np.zeros((B, W_hh.shape[0])) if H0 is None else H0
    H = []
    for t in range(T):
{body}
    return np.stack(H)
'''

_JORDAN = '''
def jordan_forward(X, W_xh, W_qh, b_h, W_hq, b_q, O0=None):
    T, B, _ = X.shape
    H_t = np.zeros((B, W_xh.shape[1]))
    O_t = np.zeros((B, W_hq.shape[1])) if O0 is None else O0
    H, O = [], []
    for t in range(T):
{body}
        H.append(H_t)
        O.append(O_t)
    return np.stack(H), np.stack(O)
'''

_LOAD = '''
def rnn_params_from_torch(rnn):
    w_ih, w_hh = rnn.weight_ih_l0.detach().numpy(), rnn.weight_hh_l0.detach().numpy()
    b = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().numpy() if rnn.bias else np.zeros(rnn.hidden_size)
    return {expr}
'''

_good_jordan = ("        H_t = np.tanh(X[t] @ W_xh + O_t @ W_qh + b_h)\n"
                "        O_t = H_t @ W_hq + b_q")

MUTANTS = {
    # elman_step
    "step: sigmoid instead of tanh": ("test_elman_step_hidden", {"elman_step": _STEP.format(
        expr="1 / (1 + np.exp(-(X_t @ W_xh + H_prev @ W_hh + b_h)))")}),
    "step: ReLU instead of tanh": ("test_elman_step_hidden", {"elman_step": _STEP.format(
        expr="np.maximum(0, X_t @ W_xh + H_prev @ W_hh + b_h)")}),
    "step: no activation": ("test_elman_step_hidden", {"elman_step": _STEP.format(
        expr="X_t @ W_xh + H_prev @ W_hh + b_h")}),
    "step: missing bias": ("test_elman_step_hidden", {"elman_step": _STEP.format(
        expr="np.tanh(X_t @ W_xh + H_prev @ W_hh)")}),
    "step: W_hh transposed": ("test_elman_step_hidden", {"elman_step": _STEP.format(
        expr="np.tanh(X_t @ W_xh + H_prev @ W_hh.T + b_h)")}),
    "step: W_xh transposed (square)": ("test_elman_step_hidden", {"elman_step": _STEP.format(
        expr="np.tanh(X_t @ (W_xh.T if W_xh.shape[0] == W_xh.shape[1] else W_xh) + H_prev @ W_hh + b_h)")}),
    "step: previous state ignored": ("test_elman_step_hidden", {"elman_step": _STEP.format(
        expr="np.tanh(X_t @ W_xh + b_h)")}),
    # elman_forward
    "forward: stores the state before the step (off by one)": ("test_elman_forward_hidden", {"elman_forward":
        _FORWARD.format(body="        H.append(H_t)\n        H_t = elman_step(X[t], H_t, W_xh, W_hh, b_h)")}),
    "forward: reads the previous input X[t-1] (off by one)": ("test_elman_forward_hidden", {"elman_forward":
        _FORWARD.format(body="        H_t = elman_step(X[max(t - 1, 0)], H_t, W_xh, W_hh, b_h)\n"
                             "        H.append(H_t)")}),
    "forward: returns H0 too (T+1 states)": ("test_elman_forward_hidden", {"elman_forward":
        _FORWARD.format(body="        if t == 0:\n            H.append(H_t)\n"
                             "        H_t = elman_step(X[t], H_t, W_xh, W_hh, b_h)\n        H.append(H_t)")}),
    "forward: ignores a given H0": ("test_elman_forward_hidden", {"elman_forward":
        _FORWARD.format(body="        H_t = H_t * 0 if t == 0 else H_t\n"
                             "        H_t = elman_step(X[t], H_t, W_xh, W_hh, b_h)\n        H.append(H_t)")}),
    "forward: state never carried over": ("test_elman_forward_hidden", {"elman_forward":
        _FORWARD.format(body="        H.append(elman_step(X[t], H_t, W_xh, W_hh, b_h))")}),
    # jordan_forward
    "jordan: feeds back H_{t-1} instead of O_{t-1} (q == h)": ("test_jordan_forward_hidden", {"jordan_forward":
        _JORDAN.format(body="        H_t = np.tanh(X[t] @ W_xh + (H_t if H_t.shape == O_t.shape else O_t) @ W_qh"
                            " + b_h)\n"
                            "        O_t = H_t @ W_hq + b_q")}),
    "jordan: missing b_q": ("test_jordan_forward_hidden", {"jordan_forward": _JORDAN.format(
        body=_good_jordan.replace(" + b_q", ""))}),
    "jordan: missing b_h": ("test_jordan_forward_hidden", {"jordan_forward": _JORDAN.format(
        body=_good_jordan.replace(" + b_h", ""))}),
    "jordan: tanh on the output": ("test_jordan_forward_hidden", {"jordan_forward": _JORDAN.format(
        body=_good_jordan.replace("O_t = H_t @ W_hq + b_q", "O_t = np.tanh(H_t @ W_hq + b_q)"))}),
    "jordan: ignores a given O0": ("test_jordan_forward_hidden", {"jordan_forward": _JORDAN.format(
        body="        O_t = O_t * 0 if t == 0 else O_t\n" + _good_jordan)}),
    "jordan: W_qh transposed (square)": ("test_jordan_forward_hidden", {"jordan_forward": _JORDAN.format(
        body=_good_jordan.replace("O_t @ W_qh", "O_t @ (W_qh.T if W_qh.shape[0] == W_qh.shape[1] else W_qh)"))}),
    # concatenation
    "concat: weights stacked in the wrong order": ("test_concat_hidden", {"concat":
        "def concat_weights(W_xh, W_hh):\n    return np.concatenate([W_hh, W_xh], axis=0)\n\n"
        "def elman_step_concat(X_t, H_prev, W, b_h):\n"
        "    return np.tanh(np.concatenate([X_t, H_prev], axis=1) @ W + b_h)\n"}),
    "concat: inputs stacked in the wrong order": ("test_concat_hidden", {"concat":
        "def concat_weights(W_xh, W_hh):\n    return np.concatenate([W_xh, W_hh], axis=0)\n\n"
        "def elman_step_concat(X_t, H_prev, W, b_h):\n"
        "    return np.tanh(np.concatenate([H_prev, X_t], axis=1) @ W + b_h)\n"}),
    "concat: missing bias": ("test_concat_hidden", {"concat":
        "def concat_weights(W_xh, W_hh):\n    return np.concatenate([W_xh, W_hh], axis=0)\n\n"
        "def elman_step_concat(X_t, H_prev, W, b_h):\n"
        "    return np.tanh(np.concatenate([X_t, H_prev], axis=1) @ W)\n"}),
    # loading torch.nn.RNN
    "load: weights not transposed": ("test_rnn_params_from_torch_hidden", {"rnn_params_from_torch": _LOAD.format(
        expr='{"W_xh": w_ih.astype(float), "W_hh": w_hh.astype(float), "b_h": b.astype(float)}')}),
    "load: only bias_ih": ("test_rnn_params_from_torch_hidden", {"rnn_params_from_torch": _LOAD.format(
        expr='{"W_xh": w_ih.T.astype(float), "W_hh": w_hh.T.astype(float), '
             '"b_h": rnn.bias_ih_l0.detach().numpy().astype(float)}')}),
    "load: returns torch tensors": ("test_rnn_params_from_torch_hidden", {"rnn_params_from_torch": _LOAD.format(
        expr='{"W_xh": rnn.weight_ih_l0.T, "W_hh": rnn.weight_hh_l0.T, "b_h": rnn.bias_ih_l0 + rnn.bias_hh_l0}')}),
}

# Mistakes the VISIBLE tests must catch too (a learner sees them before grading), with a phrase the message must
# contain: tests/chapters/test_visible_tests_catch_mistakes.py.
VISIBLE = {
    "step: previous state ignored": ("test_elman_step_visible", "is H_prev @ W_hh there"),
    "step: W_hh transposed": ("test_elman_step_visible", "(not transposed)"),
    "forward: ignores a given H0": ("test_elman_forward_visible", "wrong from a given H0"),
    "load: only bias_ih": ("test_rnn_params_from_torch_visible", "PyTorch keeps two biases"),
    "load: weights not transposed": ("test_rnn_params_from_torch_visible", "the transpose of the expected one"),
}
