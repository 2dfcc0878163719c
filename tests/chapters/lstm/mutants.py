"""Mistakes learners make in the LSTM chapter. Each must make the named hidden test fail."""

_STEP = '''
def lstm_step(X_t, H_prev, C_prev, params):
    p = params
    pre = {g: X_t @ p["W_x" + g] + H_prev @ p["W_h" + g] + p["b_" + g] for g in "ifgo"}
    I, F, O = sigmoid(pre["i"]), sigmoid(pre["f"]), sigmoid(pre["o"])
    G = np.tanh(pre["g"])
    C_t = F * C_prev + I * G
    return O * np.tanh(C_t), C_t
'''

_FORWARD = '''
def lstm_forward(X, params, H0=None, C0=None, mask=None):
    T, B, _ = X.shape
    h = params["W_hf"].shape[0]
    H_t = np.zeros((B, h)) if H0 is None else H0
    C_t = np.zeros((B, h)) if C0 is None else C0
    H, C = np.empty((T, B, h)), np.empty((T, B, h))
    for t in range(T):
        H_new, C_new = lstm_step(X[t], H_t, C_t, params)
        if mask is not None:
            keep = mask[t][:, None]
            H_new = keep * H_new + (1 - keep) * H_t
            C_new = keep * C_new + (1 - keep) * C_t
        H_t, C_t = H_new, C_new
        H[t], C[t] = H_t, C_t
    return H, C
'''

_LOAD = '''
def lstm_params_from_torch(lstm, layer=0, direction=""):
    suffix = f"_l{layer}{direction}"
    h = lstm.hidden_size
    read = lambda name: getattr(lstm, name + suffix).detach().numpy().astype(np.float64)
    w_ih, w_hh = read("weight_ih"), read("weight_hh")
    b = read("bias_ih") + read("bias_hh") if lstm.bias else np.zeros(4 * h)
    params = {}
    for k, gate in enumerate("ifgo"):
        rows = slice(k * h, (k + 1) * h)
        params["W_x" + gate] = w_ih[rows].T
        params["W_h" + gate] = w_hh[rows].T
        params["b_" + gate] = b[rows]
    return params
'''

_STACKED = '''
def stacked_lstm_forward(X, layers, H0=None, C0=None, mask=None):
    T, B, _ = X.shape
    D = len(layers[0])
    m = np.ones((T, B)) if mask is None else np.asarray(mask, dtype=np.float64)
    inputs, h_n, c_n = X, [], []
    for l, directions in enumerate(layers):
        outs = []
        for d, params in enumerate(directions):
            h0 = None if H0 is None else H0[l * D + d]
            c0 = None if C0 is None else C0[l * D + d]
            if d == 0:
                H, C = lstm_forward(inputs, params, h0, c0, m)
            else:
                H, C = lstm_forward(inputs[::-1], params, h0, c0, m[::-1])
            h_n.append(H[-1])
            c_n.append(C[-1])
            outs.append((H if d == 0 else H[::-1]) * m[:, :, None])
        inputs = np.concatenate(outs, axis=-1)
    return inputs, (np.stack(h_n), np.stack(c_n))
'''

_BACKWARD = '''
def lstm_backward(X, params, H0, C0, dH, mask=None):
    T, B, _ = X.shape
    h = params["W_hf"].shape[0]
    m = np.ones((T, B)) if mask is None else np.asarray(mask, dtype=np.float64)
    H_prev = np.zeros((B, h)) if H0 is None else H0
    C_prev = np.zeros((B, h)) if C0 is None else C0
    cache = []
    for t in range(T):
        pre = {g: X[t] @ params["W_x" + g] + H_prev @ params["W_h" + g] + params["b_" + g] for g in "ifgo"}
        I, F, O, G = sigmoid(pre["i"]), sigmoid(pre["f"]), sigmoid(pre["o"]), np.tanh(pre["g"])
        C = F * C_prev + I * G
        cache.append((H_prev, C_prev, I, F, G, O, C))
        keep = m[t][:, None]              # a padded step (0) carries H and C over unchanged
        H_prev, C_prev = keep * O * np.tanh(C) + (1 - keep) * H_prev, keep * C + (1 - keep) * C_prev
    grads = {k: np.zeros((T,) + np.shape(params[k])) for k in KEYS}
    dX = np.zeros(X.shape)
    dH_from_next, dC_from_next, F_next = np.zeros((B, h)), np.zeros((B, h)), np.zeros((B, h))
    for t in reversed(range(T)):
        H_p, C_p, I, F, G, O, C = cache[t]
        real = m[t][:, None]
        dH_total = dH[t] + dH_from_next
        dH_t = real * dH_total            # the part that reaches the step's new state
        tanh_C = np.tanh(C)
        dC_t = dH_t * O * (1 - tanh_C ** 2) + real * dC_from_next
        dA = {"i": dC_t * G * I * (1 - I), "f": dC_t * C_p * F * (1 - F),
              "g": dC_t * I * (1 - G ** 2), "o": dH_t * tanh_C * O * (1 - O)}
        dH_from_next = (1 - real) * dH_total                  # a padded step passes the gradient by
        for g in "ifgo":
            grads["W_x" + g][t] = X[t].T @ dA[g]
            grads["W_h" + g][t] = H_p.T @ dA[g]
            grads["b_" + g][t] = dA[g].sum(axis=0)
            dX[t] += dA[g] @ params["W_x" + g].T
            if RECURRENT_PATH:
                dH_from_next += dA[g] @ params["W_h" + g].T
        dC_from_next = dC_t * F + (1 - real) * dC_from_next
        F_next = F
    grads.update(X=dX, H0=dH_from_next, C0=dC_from_next)
    return grads
'''

_PEEPHOLE = '''
def peephole_lstm_forward(X, params, H0=None, C0=None):
    T, B, _ = X.shape
    p = params
    h = p["W_hf"].shape[0]
    H_t = np.zeros((B, h)) if H0 is None else H0
    C_t = np.zeros((B, h)) if C0 is None else C0
    H, C = np.empty((T, B, h)), np.empty((T, B, h))
    for t in range(T):
        pre = {g: X[t] @ p["W_x" + g] + H_t @ p["W_h" + g] + p["b_" + g] for g in "ifgo"}
        I = sigmoid(pre["i"] + C_t * p["w_ci"])
        F = sigmoid(pre["f"] + C_t * p["w_cf"])
        C_t = F * C_t + I * np.tanh(pre["g"])
        O = sigmoid(pre["o"] + C_t * p["w_co"])
        H_t = O * np.tanh(C_t)
        H[t], C[t] = H_t, C_t
    return H, C
'''


def _sub(source: str, old: str, new: str) -> str:
    assert old in source, f"mutant template out of date: {old!r}"
    return source.replace(old, new)


def _step(old, new):
    return ("test_lstm_step_hidden", {"lstm_step": _sub(_STEP, old, new)})


def _forward(old, new):
    return ("test_lstm_forward_hidden", {"lstm_forward": _sub(_FORWARD, old, new)})


def _load(old, new):
    return ("test_lstm_params_from_torch_hidden", {"lstm_params_from_torch": _sub(_LOAD, old, new)})


def _stacked(old, new):
    return ("test_stacked_lstm_forward_hidden", {"stacked_lstm_forward": _sub(_STACKED, old, new)})


def _backward(old, new, recurrent="ifgo"):
    source = _sub(_BACKWARD, old, new).replace("if RECURRENT_PATH:", f"if g in {recurrent!r}:")
    return ("test_lstm_backward_hidden", {"lstm_backward": source})


def _peephole(old, new):
    return ("test_peephole_lstm_forward_hidden", {"peephole_lstm_forward": _sub(_PEEPHOLE, old, new)})


_GATES = 'I, F, O = sigmoid(pre["i"]), sigmoid(pre["f"]), sigmoid(pre["o"])\n    G = np.tanh(pre["g"])'

MUTANTS = {
    # lstm_step
    "step: tanh and sigmoid swapped": _step(_GATES, 'I, F, O = np.tanh(pre["i"]), np.tanh(pre["f"]), '
                                                    'np.tanh(pre["o"])\n'
                                                    '    G = sigmoid(pre["g"])'),
    "step: ReLU gates (the seed article's mistake)": _step(
        _GATES, 'I, F, O = [np.maximum(0, pre[g]) for g in "ifo"]\n    G = np.tanh(pre["g"])'),
    "step: forget gate on the candidate, input gate on the old cell": _step(
        "C_t = F * C_prev + I * G", "C_t = I * C_prev + F * G"),
    "step: ignores C_prev (no forget term)": _step("C_t = F * C_prev + I * G", "C_t = I * G"),
    "step: ReLU forget gate": _step(_GATES, 'I, O = sigmoid(pre["i"]), sigmoid(pre["o"])\n'
                                            '    F = np.maximum(0, pre["f"])\n    G = np.tanh(pre["g"])'),
    "step: H from the old cell": _step("return O * np.tanh(C_t), C_t", "return O * np.tanh(C_prev), C_t"),
    "step: H without tanh of the cell": _step("return O * np.tanh(C_t), C_t", "return O * C_t, C_t"),
    "step: missing biases": _step(' + p["b_" + g]', ""),
    "step: W_h transposed (square)": _step('H_prev @ p["W_h" + g]', 'H_prev @ p["W_h" + g].T'),
    "step: returns (C, H)": _step("return O * np.tanh(C_t), C_t", "return C_t, O * np.tanh(C_t)"),
    # lstm_forward
    "forward: stores the states before the step (off by one)": _forward(
        "        H_t, C_t = H_new, C_new\n        H[t], C[t] = H_t, C_t",
        "        H[t], C[t] = H_t, C_t\n        H_t, C_t = H_new, C_new"),
    "forward: reads X[t-1] (off by one)": _forward("lstm_step(X[t],", "lstm_step(X[max(t - 1, 0)],"),
    "forward: returns (B, T, h) arrays (batch first)": _forward(
        "    return H, C", "    return H.transpose(1, 0, 2), C.transpose(1, 0, 2)"),
    "forward: mask ignored": _forward("if mask is not None:", "if False:"),
    "forward: padding resets the states to zero": _forward(
        "            H_new = keep * H_new + (1 - keep) * H_t\n            C_new = keep * C_new + (1 - keep) * C_t",
        "            H_new = keep * H_new\n            C_new = keep * C_new"),
    "forward: padding keeps H but updates C": _forward("            C_new = keep * C_new + (1 - keep) * C_t\n", ""),
    "forward: ignores a given C0": _forward("C_t = np.zeros((B, h)) if C0 is None else C0", "C_t = np.zeros((B, h))"),
    "forward: C0 used as H0 and H0 as C0": _forward(
        "H_t = np.zeros((B, h)) if H0 is None else H0\n    C_t = np.zeros((B, h)) if C0 is None else C0",
        "H_t = np.zeros((B, h)) if C0 is None else C0\n    C_t = np.zeros((B, h)) if H0 is None else H0"),
    # lstm_params_from_torch
    "load: gate order i, f, o, g instead of i, f, g, o": _load('enumerate("ifgo")', 'enumerate("ifog")'),
    "load: gate order i, g, f, o": _load('enumerate("ifgo")', 'enumerate("igfo")'),
    "load: only bias_ih (a missing bias)": _load('read("bias_ih") + read("bias_hh")', 'read("bias_ih")'),
    "load: only bias_hh (a missing bias)": _load('read("bias_ih") + read("bias_hh")', 'read("bias_hh")'),
    "load: weights not transposed (reshaped instead)": _load(
        'params["W_h" + gate] = w_hh[rows].T', 'params["W_h" + gate] = w_hh[rows]'),
    "load: ignores the layer": _load('suffix = f"_l{layer}{direction}"', 'suffix = f"_l0{direction}"'),
    "load: ignores the direction": _load('suffix = f"_l{layer}{direction}"', 'suffix = f"_l{layer}"'),
    "load: columns instead of rows": _load("w_ih[rows].T", "w_ih.T[:, :h] if w_ih.shape[1] >= h else w_ih[rows].T"),
    # stacked_lstm_forward
    "stacked: reverse output not flipped back": _stacked(
        "outs.append((H if d == 0 else H[::-1]) * m[:, :, None])", "outs.append(H * m[:, :, None])"),
    "stacked: reverse direction reads the input forward": _stacked(
        "lstm_forward(inputs[::-1], params, h0, c0, m[::-1])", "lstm_forward(inputs, params, h0, c0, m)"),
    "stacked: reverse direction without flipping the mask": _stacked(
        "lstm_forward(inputs[::-1], params, h0, c0, m[::-1])", "lstm_forward(inputs[::-1], params, h0, c0, m)"),
    "stacked: padded outputs not zeroed": _stacked(
        "outs.append((H if d == 0 else H[::-1]) * m[:, :, None])", "outs.append(H if d == 0 else H[::-1])"),
    "stacked: initial states indexed by direction first (d*L + l)": _stacked(
        "h0 = None if H0 is None else H0[l * D + d]", "h0 = None if H0 is None else H0[d * len(layers) + l]"),
    "stacked: h_n of the reverse direction is its state at the last time step": _stacked(
        "            h_n.append(H[-1])", "            h_n.append(H[-1] if d == 0 else H[0])"),
    "stacked: every layer reads X": _stacked("        inputs = np.concatenate(outs, axis=-1)",
                                             "        inputs = np.concatenate(outs, axis=-1) if l < 0 else X"),
    # lstm_backward
    "backward: the seed's wrong dC term (dL/dH_t ⊙ F_(t+1) instead of dL/dC_(t+1) ⊙ F_(t+1))": _backward(
        "dC_t = dH_t * O * (1 - tanh_C ** 2) + real * dC_from_next",
        "dC_t = dH_t * O * (1 - tanh_C ** 2) + dH_t * F_next"),
    "backward: dL/dH_t misses the path through the output gate at t+1": _backward("", "", recurrent="ifg"),
    "backward: dL/dH_t only through the candidate at t+1": _backward("", "", recurrent="g"),
    "backward: no gradient from C_(t+1)": _backward("dC_from_next = dC_t * F", "dC_from_next = 0 * F"),
    "backward: dC passed back without the forget gate": _backward("dC_from_next = dC_t * F", "dC_from_next = dC_t"),
    "backward: sigmoid derivative used for the candidate": _backward(
        '"g": dC_t * I * (1 - G ** 2)', '"g": dC_t * I * G * (1 - G)'),
    "backward: forget gate gradient with the new cell": _backward(
        '"f": dC_t * C_p * F * (1 - F)', '"f": dC_t * C * F * (1 - F)'),
    "backward: forget gate gradient with H_(t-1) instead of C_(t-1)": _backward(
        '"f": dC_t * C_p * F * (1 - F)', '"f": dC_t * H_p * F * (1 - F)'),
    "backward: dW_h at step 0 with zeros instead of the given H0": _backward(
        'grads["W_h" + g][t] = H_p.T @ dA[g]', 'grads["W_h" + g][t] = (H_p if t > 0 else 0 * H_p).T @ dA[g]'),
    "backward: dL/dC_t without tanh' (dH ⊙ O)": _backward(
        "dC_t = dH_t * O * (1 - tanh_C ** 2) + real", "dC_t = dH_t * O + real"),
    "backward: the mask ignored (padding read as steps)": _backward(
        "m = np.ones((T, B)) if mask is None else np.asarray(mask, dtype=np.float64)", "m = np.ones((T, B))"),
    "backward: padding masked in the forward pass only": _backward(
        "        real = m[t][:, None]", "        real = np.ones((B, 1))"),
    "backward: dL/dH does not pass a padded step by": _backward(
        "dH_from_next = (1 - real) * dH_total", "dH_from_next = 0 * dH_total"),
    "backward: dL/dC does not pass a padded step by": _backward(
        "dC_from_next = dC_t * F + (1 - real) * dC_from_next", "dC_from_next = dC_t * F"),
    "backward: a padded step still contributes to the weight gradients": _backward(
        "        dH_t = real * dH_total", "        dH_t = dH_total"),
    "backward: recurrent weight gradient with H_t instead of H_(t-1)": _backward(
        'grads["W_h" + g][t] = H_p.T @ dA[g]', 'grads["W_h" + g][t] = (O * tanh_C).T @ dA[g]'),
    "backward: dL/dH0 and dL/dC0 not returned correctly": _backward(
        "grads.update(X=dX, H0=dH_from_next, C0=dC_from_next)",
        "grads.update(X=dX, H0=0 * dH_from_next, C0=dC_from_next)"),
    # peephole_lstm_forward
    "peephole: output gate sees the old cell": _peephole(
        '        C_t = F * C_t + I * np.tanh(pre["g"])\n        O = sigmoid(pre["o"] + C_t * p["w_co"])',
        '        O = sigmoid(pre["o"] + C_t * p["w_co"])\n        C_t = F * C_t + I * np.tanh(pre["g"])'),
    "peephole: no peephole on the forget gate": _peephole('sigmoid(pre["f"] + C_t * p["w_cf"])', 'sigmoid(pre["f"])'),
    "peephole: input and forget peepholes swapped": _peephole(
        'sigmoid(pre["i"] + C_t * p["w_ci"])', 'sigmoid(pre["i"] + C_t * p["w_cf"])'),
    "peephole: peephole inside the tanh of the candidate": _peephole(
        'np.tanh(pre["g"])', 'np.tanh(pre["g"] + C_t * p["w_ci"])'),
}

# Mistakes the VISIBLE tests must catch too, with a phrase the message must contain.
VISIBLE = {
    "step: ignores C_prev (no forget term)": ("test_lstm_step_visible", "C_t = F_t ⊙ C_prev + I_t ⊙ G_t"),
    "step: ReLU forget gate": ("test_lstm_step_visible", "(a sigmoid: ReLU or tanh would pass at C_prev = 0)"),
    "step: ReLU gates (the seed article's mistake)": ("test_lstm_step_visible", "C_1 (step 1, from C_0 = 0) is wrong"),
    "step: W_h transposed (square)": ("test_lstm_step_visible", "H_prev @ W_h<g> in every gate"),
    "forward: padding keeps H but updates C": ("test_lstm_forward_visible", "must hold the cell state C as well"),
    "forward: ignores a given C0": ("test_lstm_forward_visible", "wrong from a given H0 and C0"),
    "forward: mask ignored": ("test_lstm_forward_visible", "the state stays what it was"),
    "forward: returns (B, T, h) arrays (batch first)": ("test_stacked_lstm_forward_visible",
                                                        "lstm_forward (exercise 2) fails: fix it first"),
    "load: only bias_ih (a missing bias)": ("test_lstm_params_from_torch_visible", "PyTorch keeps two biases"),
    "load: gate order i, f, o, g instead of i, f, g, o": ("test_lstm_params_from_torch_visible", "order i, f, g, o"),
    "backward: forget gate gradient with H_(t-1) instead of C_(t-1)": ("test_lstm_backward_visible",
                                                                       "(forget gate F) is wrong at time step 2"),
    "backward: dW_h at step 0 with zeros instead of the given H0": ("test_lstm_backward_visible",
                                                                    "the given initial state H0 (not zeros)"),
    "backward: the mask ignored (padding read as steps)": ("test_lstm_backward_visible",
                                                            "padded batch: lengths 3 and 1"),
    "backward: dL/dH does not pass a padded step by": ("test_lstm_backward_visible", "padded batch"),
}
# The hints that the visible test's message must carry for these (checked beside the phrase above).
VISIBLE_HINTS = {
    "backward: forget gate gradient with H_(t-1) instead of C_(t-1)": "the previous CELL state C_(t-1)",
}
