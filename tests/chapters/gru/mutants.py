"""Mistakes learners make in the GRU chapter. Each must make the named hidden test fail."""

_STEP = '''
def gru_step(X_t, H_prev, params, reset_after=True):
    p = params
    R = {gate_act}(X_t @ p["W_xr"] + H_prev @ p["W_hr"] + p["b_r"])
    Z = {gate_act}(X_t @ p["W_xz"] + H_prev @ p["W_hz"] + p["b_z"])
    if {after}:
        N = {cand_act}(X_t @ p["W_xn"] + p["b_xn"] + {after_inner})
    else:
        N = {cand_act}(X_t @ p["W_xn"] + (R * H_prev) @ p["W_hn"] + p["b_xn"] + p["b_hn"])
    return {update}
'''
_GOOD_STEP = dict(gate_act="sigmoid", cand_act="np.tanh", after="reset_after",
                  after_inner='R * (H_prev @ p["W_hn"] + p["b_hn"])', update="(1 - Z) * N + Z * H_prev")


def _step(**change):
    return {"gru_step": _STEP.format(**{**_GOOD_STEP, **change})}


_FORWARD = '''
def gru_forward(X, params, H0=None, reset_after=True):
    T, B, _ = X.shape
    H_t = np.zeros((B, params["W_hr"].shape[0])) if H0 is None else H0
    H = []
    for t in range(T):
{body}
    return np.stack(H)
'''

_LOAD = '''
def gru_params_from_torch(gru):
    h = gru.hidden_size
    w_ih = gru.weight_ih_l0.detach().numpy().astype(float)
    w_hh = gru.weight_hh_l0.detach().numpy().astype(float)
    b_ih = gru.bias_ih_l0.detach().numpy().astype(float) if gru.bias else np.zeros(3 * h)
    b_hh = gru.bias_hh_l0.detach().numpy().astype(float) if gru.bias else np.zeros(3 * h)
    r, z, n = {order}
    W = {transpose}
    return {{"W_xr": W(w_ih[r]), "W_xz": W(w_ih[z]), "W_xn": W(w_ih[n]),
            "W_hr": W(w_hh[r]), "W_hz": W(w_hh[z]), "W_hn": W(w_hh[n]),
            "b_r": b_ih[r] + b_hh[r], "b_z": b_ih[z] + b_hh[z], {n_biases}}}
'''
_GOOD_LOAD = dict(order="slice(0, h), slice(h, 2 * h), slice(2 * h, 3 * h)", transpose="lambda w: w.T",
                  n_biases='"b_xn": b_ih[n], "b_hn": b_hh[n]')


def _load(**change):
    return {"gru_params_from_torch": _LOAD.format(**{**_GOOD_LOAD, **change})}


_BACKWARD = '''
def gru_backward(X, params, dH, H0=None):
    p = params
    T, B, _ = X.shape
    h = p["W_hr"].shape[0]
    H_prev = np.zeros((B, h)) if H0 is None else H0
    saved = []
    for t in range(T):
        R = sigmoid(X[t] @ p["W_xr"] + H_prev @ p["W_hr"] + p["b_r"])
        Z = sigmoid(X[t] @ p["W_xz"] + H_prev @ p["W_hz"] + p["b_z"])
        M = H_prev @ p["W_hn"] + p["b_hn"]
        N = np.tanh(X[t] @ p["W_xn"] + p["b_xn"] + R * M)
        saved.append((H_prev, R, Z, M, N))
        H_prev = (1 - Z) * N + Z * H_prev
    g = {{k: np.zeros_like(v) for k, v in p.items()}}
    dX = np.zeros(X.shape)
    carried = np.zeros((B, h))
    for t in reversed(range(T)):
        H_prev, R, Z, M, N = saved[t]
        G = {G}
        dA_n = G * (1 - Z) * {dtanh}
        dA_z = G * {dZ} * Z * (1 - Z)
        dM = dA_n * R
        dA_r = dA_n * M * R * (1 - R)
        g["W_xr"] += X[t].T @ dA_r
        g["W_xz"] += X[t].T @ dA_z
        g["W_xn"] += X[t].T @ dA_n
        g["W_hr"] += H_prev.T @ dA_r
        g["W_hz"] += H_prev.T @ dA_z
        g["W_hn"] += H_prev.T @ dM
        g["b_r"] += dA_r.sum(axis=0)
        g["b_z"] += dA_z.sum(axis=0)
        g["b_xn"] += dA_n.sum(axis=0)
        g["b_hn"] += {db_hn}
        dX[t] = dA_r @ p["W_xr"].T + dA_z @ p["W_xz"].T + dA_n @ p["W_xn"].T
        carried = {carried}
    g["X"] = dX
    g["H0"] = carried
    return g
'''
_GOOD_BACKWARD = dict(G="dH[t] + carried", dtanh="(1 - N ** 2)", dZ="(H_prev - N)", db_hn="dM.sum(axis=0)",
                      carried='G * Z + dA_r @ p["W_hr"].T + dA_z @ p["W_hz"].T + dM @ p["W_hn"].T')


def _backward(**change):
    return {"gru_backward": _BACKWARD.format(**{**_GOOD_BACKWARD, **change})}


_COUNT = '''
def count_params(kind, d_in, h, num_layers=1, bias=True, bidirectional=False):
    G = {gates}[kind]
    D = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d = d_in if layer == 0 else {upper_input}
        total += {dirs} * (G * h * d + G * h * h + ({bias_term} if bias else 0))
    return total
'''
_GOOD_COUNT = dict(gates='{"rnn": 1, "gru": 3, "lstm": 4}', upper_input="h * D", dirs="D", bias_term="2 * G * h")


def _count(**change):
    return {"count_params": _COUNT.format(**{**_GOOD_COUNT, **change})}


MUTANTS = {
    # gru_step
    "step: reset gate always applied before the product (ignores reset_after)": (
        "test_gru_step_hidden", _step(after="False")),
    "step: reset gate always applied after the product (ignores reset_after)": (
        "test_gru_step_hidden", _step(after="True")),
    "step: update gate interpolates the wrong way round": (
        "test_gru_step_hidden", _step(update="Z * N + (1 - Z) * H_prev")),
    "step: missing b_hn": ("test_gru_step_hidden", _step(after_inner='R * (H_prev @ p["W_hn"])')),
    "step: b_hn outside the reset product": (
        "test_gru_step_hidden", _step(after_inner='R * (H_prev @ p["W_hn"]) + p["b_hn"]')),
    "step: sigmoid and tanh swapped": ("test_gru_step_hidden", _step(gate_act="np.tanh", cand_act="sigmoid")),
    "step: tanh for the gates": ("test_gru_step_hidden", _step(gate_act="np.tanh")),
    "step: reset and update gates swapped": ("test_gru_step_hidden", {"gru_step": _STEP.format(**_GOOD_STEP)
        .replace('Z = sigmoid', 'Z_ = sigmoid').replace('R = sigmoid', 'Z = sigmoid')
        .replace('Z_ = sigmoid', 'R = sigmoid')}),
    "step: W_hn transposed (square)": (
        "test_gru_step_hidden", _step(after_inner='R * (H_prev @ p["W_hn"].T + p["b_hn"])')),
    "step: reset gate multiplies the candidate's input term too": (
        "test_gru_step_hidden",
        _step(after_inner='R * (H_prev @ p["W_hn"] + p["b_hn"]) + (R - 1) * (X_t @ p["W_xn"])')),
    # gru_forward
    "forward: stores the state before the step (off by one)": ("test_gru_forward_hidden", {"gru_forward":
        _FORWARD.format(body="        H.append(H_t)\n        H_t = gru_step(X[t], H_t, params, reset_after)")}),
    "forward: reads the previous input X[t-1] (off by one)": ("test_gru_forward_hidden", {"gru_forward":
        _FORWARD.format(body="        H_t = gru_step(X[max(t - 1, 0)], H_t, params, reset_after)\n"
                             "        H.append(H_t)")}),
    "forward: returns H0 too (T+1 states)": ("test_gru_forward_hidden", {"gru_forward":
        _FORWARD.format(body="        if t == 0:\n            H.append(H_t)\n"
                             "        H_t = gru_step(X[t], H_t, params, reset_after)\n        H.append(H_t)")}),
    "forward: ignores a given H0": ("test_gru_forward_hidden", {"gru_forward":
        _FORWARD.format(body="        H_t = H_t * 0 if t == 0 else H_t\n"
                             "        H_t = gru_step(X[t], H_t, params, reset_after)\n        H.append(H_t)")}),
    "forward: does not pass reset_after on": ("test_gru_forward_hidden", {"gru_forward":
        _FORWARD.format(body="        H_t = gru_step(X[t], H_t, params)\n        H.append(H_t)")}),
    "forward: state never carried over": ("test_gru_forward_hidden", {"gru_forward":
        _FORWARD.format(body="        H.append(gru_step(X[t], H_t, params, reset_after))")}),
    # loading torch.nn.GRU
    "load: gate order r, z swapped (read as z, r, n)": (
        "test_gru_params_from_torch_hidden", _load(order="slice(h, 2 * h), slice(0, h), slice(2 * h, 3 * h)")),
    "load: gate order read as n, z, r": (
        "test_gru_params_from_torch_hidden", _load(order="slice(2 * h, 3 * h), slice(h, 2 * h), slice(0, h)")),
    "load: missing b_hn": ("test_gru_params_from_torch_hidden", _load(n_biases='"b_xn": b_ih[n], "b_hn": 0 * b_hh[n]')),
    "load: b_hn merged into b_xn (outside the reset product)": (
        "test_gru_params_from_torch_hidden", _load(n_biases='"b_xn": b_ih[n] + b_hh[n], "b_hn": 0 * b_hh[n]')),
    "load: weights not transposed (square)": (
        "test_gru_params_from_torch_hidden", _load(transpose="lambda w: w if w.shape[0] == w.shape[1] else w.T")),
    "load: only bias_ih for r and z": ("test_gru_params_from_torch_hidden", {"gru_params_from_torch": _LOAD.format(
        **_GOOD_LOAD).replace('b_ih[r] + b_hh[r]', 'b_ih[r]').replace('b_ih[z] + b_hh[z]', 'b_ih[z]')}),
    # gru_backward
    "backward: outside gradient dH[t] dropped after the last step": (
        "test_gru_backward_hidden", _backward(G="(dH[t] if t == T - 1 else carried)")),
    "backward: no gradient through the update gate's direct path (G * Z)": (
        "test_gru_backward_hidden",
        _backward(carried='dA_r @ p["W_hr"].T + dA_z @ p["W_hz"].T + dM @ p["W_hn"].T')),
    "backward: tanh derivative written as 1 - N": ("test_gru_backward_hidden", _backward(dtanh="(1 - N)")),
    "backward: update-gate derivative with the wrong sign": ("test_gru_backward_hidden", _backward(dZ="(N - H_prev)")),
    "backward: b_hn gradient taken outside the reset product": (
        "test_gru_backward_hidden", _backward(db_hn="dA_n.sum(axis=0)")),
    "backward: uses dH of the next step (off by one in time)": (
        "test_gru_backward_hidden", _backward(G="dH[min(t + 1, T - 1)] + carried")),
    "backward: recurrent matrix not transposed": (
        "test_gru_backward_hidden",
        _backward(carried='G * Z + dA_r @ p["W_hr"] + dA_z @ p["W_hz"].T + dM @ p["W_hn"].T')),
    # count_params
    "count: forgets the bidirectional factor": ("test_count_params_hidden", _count(dirs="1")),
    "count: upper layers read h, not h * directions": ("test_count_params_hidden", _count(upper_input="h")),
    "count: one bias vector instead of two": ("test_count_params_hidden", _count(bias_term="G * h")),
    "count: GRU with four gates like the LSTM": (
        "test_count_params_hidden", _count(gates='{"rnn": 1, "gru": 4, "lstm": 4}')),
    "count: layers above the first read d_in": ("test_count_params_hidden", _count(upper_input="d_in")),
}

# Mistakes the VISIBLE tests must catch too, with a phrase the message must contain.
VISIBLE = {
    "step: sigmoid and tanh swapped": ("test_gru_step_visible", "(they are swapped)"),
    "step: b_hn outside the reset product": ("test_gru_step_visible", "b_hn is inside the reset product"),
    "step: update gate interpolates the wrong way round": ("test_gru_step_visible", "the interpolation is reversed"),
    "forward: ignores a given H0": ("test_gru_forward_visible", "wrong from a given H0"),
    "forward: does not pass reset_after on": ("test_gru_forward_visible", "pass reset_after on"),
    "load: gate order r, z swapped (read as z, r, n)": ("test_gru_params_from_torch_visible", "order r, z, n"),
    "load: b_hn merged into b_xn (outside the reset product)": ("test_gru_params_from_torch_visible",
                                                                 "b_hn (bias_hh's n block) stays apart"),
    "load: only bias_ih for r and z": ("test_gru_params_from_torch_visible", "b_r = bias_ih + bias_hh"),
    "backward: no gradient through the update gate's direct path (G * Z)": (
        "test_gru_backward_visible", "dL/dX is wrong at time step 1 (step 2 is right)"),
    "count: upper layers read h, not h * directions": ("test_count_params_visible", "h * directions inputs"),
    "count: layers above the first read d_in": ("test_count_params_visible", "h * directions inputs"),
}
VISIBLE_HINTS = {
    "backward: no gradient through the update gate's direct path (G * Z)": "G_t ⊙ Z_t",
}
