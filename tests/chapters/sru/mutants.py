"""Mistakes learners make in the SRU chapter. Each must make the named hidden test fail."""

# A correct forward pass (the products of all steps in sru_projections, the recurrence from the projections only)
# whose lines the mutants edit one at a time.
_FORWARD = '''
def sru_projections(X, W):
    return X @ W


def sru_recurrence(P, x_hw, b_f, b_r, v_f, v_r, c0=None, scale_highway=True):
    T, B, _, h = P.shape
    sig = lambda z: 1 / (1 + np.exp(-z))
    if scale_highway is True:
        alpha = np.sqrt(1 + 2 * np.exp(b_r))
    elif scale_highway is False:
        alpha = 1.0
    else:
        alpha = scale_highway
    U, F, R = P[:, :, 0], P[:, :, 1], P[:, :, 2]
    skip = alpha * x_hw
    c = np.zeros((B, h)) if c0 is None else c0
    H, C = [], []
    for t in range(T):
        f = sig(F[t] + v_f * c + b_f)
        r = sig(R[t] + v_r * c + b_r)
        c_new = f * c + (1 - f) * U[t]
        H.append(r * c_new + (1 - r) * skip[t])
        C.append(c_new)
        c = c_new
    return np.stack(H), np.stack(C)
'''


def _fwd(old: str, new: str) -> dict:
    assert old in _FORWARD, old
    return {"sru_forward": _FORWARD.replace(old, new)}


_BACKWARD = '''
def sru_recurrence_backward(P, x_hw, b_f, b_r, v_f, v_r, c0, dH, alpha):
    T, B, _, h = P.shape
    sig = lambda z: 1 / (1 + np.exp(-z))
    U, F, R = P[:, :, 0], P[:, :, 1], P[:, :, 2]
    c, C, Cp = c0, [], []
    for t in range(T):
        Cp.append(c)
        c = sig(F[t] + v_f * c + b_f) * c + (1 - sig(F[t] + v_f * c + b_f)) * U[t]
        C.append(c)
    dU, dF, dR, dXs = (np.zeros((T, B, h)) for _ in range(4))
    g = {k: np.zeros(h) for k in ("b_f", "b_r", "v_f", "v_r")}
    dc = np.zeros((B, h))
    for t in reversed(range(T)):
        f = sig(F[t] + v_f * Cp[t] + b_f)
        r = sig(R[t] + v_r * Cp[t] + b_r)
        dc = dc + dH[t] * r
        dR[t] = dH[t] * (C[t] - alpha * x_hw[t]) * r * (1 - r)
        dF[t] = dc * (Cp[t] - U[t]) * f * (1 - f)
        dU[t] = dc * (1 - f)
        dXs[t] = dH[t] * (1 - r) * alpha
        g["b_f"] += dF[t].sum(0)
        g["b_r"] += dR[t].sum(0)
        g["v_f"] += (dF[t] * Cp[t]).sum(0)
        g["v_r"] += (dR[t] * Cp[t]).sum(0)
        dc = dc * f + dF[t] * v_f + dR[t] * v_r
    g["P"] = np.stack([dU, dF, dR], axis=2)
    g["x_hw"] = dXs
    g["c0"] = dc
    return g


def sru_projections_backward(X, W, dP):
    return dP @ W.T, X.T @ dP
'''


def _bwd(old: str, new: str) -> dict:
    assert old in _BACKWARD, old
    return {"sru_backward": _BACKWARD.replace(old, new)}


_COST = '''
def sru_flops(T, B, d_in, h):
    k = 3 if d_in == h else 4
    return {{"parallel": {sru_par}, "sequential": {sru_seq}, "elementwise": 17 * T * B * h}}


def lstm_flops(T, B, d_in, h):
    return {{"parallel": {lstm_par}, "sequential": {lstm_seq}, "elementwise": {lstm_el}}}
'''
_GOOD_COST = dict(sru_par="2 * T * B * d_in * k * h", sru_seq="0", lstm_par="2 * T * B * d_in * 4 * h",
                  lstm_seq="2 * T * B * h * 4 * h", lstm_el="17 * T * B * h")


def _cost(**change) -> dict:
    return {"cost_model": _COST.format(**{**_GOOD_COST, **change})}


MUTANTS = {
    # sru_projections and sru_recurrence
    "forward: v_f and v_r swapped": ("test_sru_forward_hidden", _fwd(
        "F[t] + v_f * c + b_f)\n        r = sig(R[t] + v_r * c",
        "F[t] + v_r * c + b_f)\n        r = sig(R[t] + v_f * c")),
    "forward: highway term uses c instead of x": ("test_sru_forward_hidden", _fwd(
        "(1 - r) * skip[t]", "(1 - r) * c_new")),
    "forward: (1 - f) missing": ("test_sru_forward_hidden", _fwd("(1 - f) * U[t]", "U[t]")),
    "forward: scaling correction missing": ("test_sru_forward_hidden", _fwd(
        "alpha = np.sqrt(1 + 2 * np.exp(b_r))", "alpha = 1.0")),
    "forward: scaling correction sqrt(1 + exp(b_r)) (factor 2 missing)": ("test_sru_forward_hidden", _fwd(
        "np.sqrt(1 + 2 * np.exp(b_r))", "np.sqrt(1 + np.exp(b_r))")),
    "forward: a given scaling correction ignored (a number read as True)": ("test_sru_forward_hidden", _fwd(
        "if scale_highway is True:", "if scale_highway is not False:")),
    "forward: reset gate reads c_t instead of c_{t-1} (off by one in time)": ("test_sru_forward_hidden", _fwd(
        "        r = sig(R[t] + v_r * c + b_r)\n        c_new = f * c + (1 - f) * U[t]\n",
        "        c_new = f * c + (1 - f) * U[t]\n        r = sig(R[t] + v_r * c_new + b_r)\n")),
    "forward: stores c_{t-1} in C (off by one in time)": ("test_sru_forward_hidden", _fwd(
        "C.append(c_new)", "C.append(c)")),
    "forward: output uses c_{t-1}": ("test_sru_forward_hidden", _fwd("r * c_new +", "r * c +")),
    "forward: state not carried over": ("test_sru_forward_hidden", _fwd("        c = c_new\n", "")),
    "forward: ignores a given c0": ("test_sru_forward_hidden", _fwd(
        "c = np.zeros((B, h)) if c0 is None else c0", "c = np.zeros((B, h))")),
    "forward: missing b_r": ("test_sru_forward_hidden", _fwd("v_r * c + b_r)", "v_r * c)")),
    "forward: tanh gates instead of sigmoid": ("test_sru_forward_hidden", _fwd(
        "sig = lambda z: 1 / (1 + np.exp(-z))", "sig = np.tanh")),
    "forward: the 2017 cell (tanh on c in the highway)": ("test_sru_forward_hidden", _fwd(
        "r * c_new +", "r * np.tanh(c_new) +")),
    "forward: gates without the v terms (2017 gates)": ("test_sru_forward_hidden", _fwd(
        "F[t] + v_f * c + b_f)\n        r = sig(R[t] + v_r * c", "F[t] + b_f)\n        r = sig(R[t]")),
    "forward: blocks of P read in the wrong order (X W_f as the candidate)": ("test_sru_forward_hidden", _fwd(
        "U, F, R = P[:, :, 0], P[:, :, 1], P[:, :, 2]", "F, U, R = P[:, :, 0], P[:, :, 1], P[:, :, 2]")),
    "forward: blocks of P read along the wrong axis (P[t, 0] is sequence 0)": ("test_sru_forward_hidden", _fwd(
        "f = sig(F[t] + v_f * c + b_f)", "f = sig(P[t, 1] + v_f * c + b_f)")),
    "forward: projections with W transposed where it is square": ("test_sru_forward_hidden", _fwd(
        "    return X @ W\n", "    return X @ (W.T if W.shape[0] == W.shape[1] else W)\n")),
    "forward: projections of the first row only, broadcast": ("test_sru_forward_hidden", _fwd(
        "    return X @ W\n", "    return np.broadcast_to(X[:1] @ W, (X.shape[0], W.shape[1]))\n")),
    # sru_recurrence_backward and sru_projections_backward
    "backward: c_{t-1} reaches the loss only through c_t (gate paths v_f, v_r dropped)": (
        "test_sru_backward_hidden", _bwd("dc = dc * f + dF[t] * v_f + dR[t] * v_r", "dc = dc * f")),
    "backward: reset-gate path to c_{t-1} dropped": ("test_sru_backward_hidden", _bwd(
        "dc = dc * f + dF[t] * v_f + dR[t] * v_r", "dc = dc * f + dF[t] * v_f")),
    "backward: gradient not carried back through f (no memory path)": ("test_sru_backward_hidden", _bwd(
        "dc = dc * f + dF[t] * v_f", "dc = dF[t] * v_f")),
    "backward: dL/dh_t not added into dL/dc_t": ("test_sru_backward_hidden", _bwd("dc = dc + dH[t] * r", "dc = dc")),
    "backward: reset gate's derivative without the alpha on x": ("test_sru_backward_hidden", _bwd(
        "(C[t] - alpha * x_hw[t])", "(C[t] - x_hw[t])")),
    "backward: highway gradient without alpha": ("test_sru_backward_hidden", _bwd(
        "dXs[t] = dH[t] * (1 - r) * alpha", "dXs[t] = dH[t] * (1 - r)")),
    "backward: highway gradient uses r instead of (1 - r)": ("test_sru_backward_hidden", _bwd(
        "dXs[t] = dH[t] * (1 - r) * alpha", "dXs[t] = dH[t] * r * alpha")),
    "backward: sigmoid derivative f instead of f (1 - f)": ("test_sru_backward_hidden", _bwd(
        "* f * (1 - f)", "* f")),
    "backward: dv_f without the factor c_{t-1}": ("test_sru_backward_hidden", _bwd(
        "(dF[t] * Cp[t]).sum(0)", "dF[t].sum(0)")),
    "backward: dv_f uses c_t instead of c_{t-1} (off by one in time)": ("test_sru_backward_hidden", _bwd(
        "(dF[t] * Cp[t]).sum(0)", "(dF[t] * C[t]).sum(0)")),
    "backward: blocks of dP stacked in the wrong order": ("test_sru_backward_hidden", _bwd(
        "np.stack([dU, dF, dR], axis=2)", "np.stack([dF, dU, dR], axis=2)")),
    "backward: dP stacked along the wrong axis": ("test_sru_backward_hidden", _bwd(
        "np.stack([dU, dF, dR], axis=2)", "np.stack([dU, dF, dR], axis=2).reshape(T, 3, B, h).transpose(0, 2, 1, 3)")),
    "backward: weight gradient transposed (dP^T X)": ("test_sru_backward_hidden", _bwd(
        "X.T @ dP", "dP.T @ X if dP.shape[1] == X.shape[1] else X.T @ dP")),
    "backward: dX without the transpose of W (square W)": ("test_sru_backward_hidden", _bwd(
        "return dP @ W.T,", "return dP @ (W if W.shape[0] == W.shape[1] else W.T),")),
    "backward: dX misses the products' path (zero)": ("test_sru_backward_hidden", _bwd(
        "return dP @ W.T,", "return 0 * X,")),
    "backward: dc0 left at zero": ("test_sru_backward_hidden", _bwd('g["c0"] = dc', 'g["c0"] = 0 * dc')),
    # cost model
    "cost: LSTM with 3 gate blocks (3h) instead of 4": ("test_cost_model_hidden", _cost(
        lstm_par="2 * T * B * d_in * 3 * h", lstm_seq="2 * T * B * h * 3 * h")),
    "cost: a multiply-add counted as 1 FLOP": ("test_cost_model_hidden", _cost(
        sru_par="T * B * d_in * k * h", lstm_par="T * B * d_in * 4 * h", lstm_seq="T * B * h * 4 * h")),
    "cost: LSTM recurrent product counted as parallel": ("test_cost_model_hidden", _cost(
        lstm_par="2 * T * B * (d_in + h) * 4 * h", lstm_seq="0")),
    "cost: LSTM recurrent product forgotten": ("test_cost_model_hidden", _cost(lstm_seq="0")),
    "cost: SRU projection counted where sizes are equal": ("test_cost_model_hidden", _cost(
        sru_par="2 * T * B * d_in * 4 * h")),
    "cost: SRU projection forgotten where sizes differ": ("test_cost_model_hidden", _cost(
        sru_par="2 * T * B * d_in * 3 * h")),
    "cost: recurrent product counted once, not once per step": ("test_cost_model_hidden", _cost(
        lstm_seq="2 * B * h * 4 * h")),
    "cost: element-wise FLOPs per step only (batch forgotten)": ("test_cost_model_hidden", _cost(
        lstm_el="17 * T * h")),
}
