"""Mistakes learners make in the SRU chapter. Each must make the named hidden test fail."""

# A correct forward pass (products for all steps before the loop) whose lines the mutants edit one at a time.
_FORWARD = '''
def sru_forward(X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0=None, W_s=None, scale_highway=True):
    T, B, d_in = X.shape
    h = W.shape[1]
    sig = lambda z: 1 / (1 + np.exp(-z))
    if scale_highway is True:
        alpha = np.sqrt(1 + 2 * np.exp(b_r))
    elif scale_highway is False:
        alpha = 1.0
    else:
        alpha = scale_highway
    U, F, R = X @ W, X @ W_f, X @ W_r
    skip = alpha * (X if W_s is None else X @ W_s)
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
def sru_backward(X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0, dH, alpha):
    T, B, d = X.shape
    h = W.shape[1]
    sig = lambda z: 1 / (1 + np.exp(-z))
    U, F, R = X @ W, X @ W_f, X @ W_r
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
        dR[t] = dH[t] * (C[t] - alpha * X[t]) * r * (1 - r)
        dF[t] = dc * (Cp[t] - U[t]) * f * (1 - f)
        dU[t] = dc * (1 - f)
        dXs[t] = dH[t] * (1 - r) * alpha
        g["b_f"] += dF[t].sum(0)
        g["b_r"] += dR[t].sum(0)
        g["v_f"] += (dF[t] * Cp[t]).sum(0)
        g["v_r"] += (dR[t] * Cp[t]).sum(0)
        dc = dc * f + dF[t] * v_f + dR[t] * v_r
    Xr = X.reshape(T * B, d)
    rows = lambda A: A.reshape(T * B, h)
    g["W"], g["W_f"], g["W_r"] = Xr.T @ rows(dU), Xr.T @ rows(dF), Xr.T @ rows(dR)
    g["X"] = (rows(dU) @ W.T + rows(dF) @ W_f.T + rows(dR) @ W_r.T).reshape(T, B, d) + dXs
    g["c0"] = dc
    return g
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
    # sru_forward: the must-catch list first
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
    "forward: scaling correction only on x, not on x W_s": ("test_sru_forward_hidden", _fwd(
        "skip = alpha * (X if W_s is None else X @ W_s)", "skip = alpha * X if W_s is None else X @ W_s")),
    "forward: projection applied where sizes are equal (x W as highway)": ("test_sru_forward_hidden", _fwd(
        "(X if W_s is None else X @ W_s)", "(X @ W if W_s is None else X @ W_s)")),
    "forward: projection missing where sizes differ (x cut or padded to h)": ("test_sru_forward_hidden", _fwd(
        "(X if W_s is None else X @ W_s)",
        "(X if W_s is None else np.concatenate([X, np.zeros(X.shape[:2] + (max(h - d_in, 0),))], 2)[..., :h])")),
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
    "forward: W_f used for the candidate, W for the forget gate": ("test_sru_forward_hidden", _fwd(
        "U, F, R = X @ W, X @ W_f, X @ W_r", "U, F, R = X @ W_f, X @ W, X @ W_r")),
    "forward: W transposed (square)": ("test_sru_forward_hidden", _fwd(
        "U, F, R = X @ W,", "U, F, R = X @ (W.T if W.shape[0] == W.shape[1] else W),")),
    "forward: products of X taken inside the time loop (X[t] @ W_f at every step)": ("test_sru_forward_hidden", _fwd(
        "f = sig(F[t] + v_f * c + b_f)", "f = sig(X[t] @ W_f + v_f * c + b_f)")),
    "forward: every projection taken step by step": ("test_sru_forward_hidden", _fwd(
        "U, F, R = X @ W, X @ W_f, X @ W_r", "U, F, R = (np.stack([x @ M for x in X]) for M in (W, W_f, W_r))")),
    # sru_backward
    "backward: c_{t-1} reaches the loss only through c_t (gate paths v_f, v_r dropped)": (
        "test_sru_backward_hidden", _bwd("dc = dc * f + dF[t] * v_f + dR[t] * v_r", "dc = dc * f")),
    "backward: reset-gate path to c_{t-1} dropped": ("test_sru_backward_hidden", _bwd(
        "dc = dc * f + dF[t] * v_f + dR[t] * v_r", "dc = dc * f + dF[t] * v_f")),
    "backward: gradient not carried back through f (no memory path)": ("test_sru_backward_hidden", _bwd(
        "dc = dc * f + dF[t] * v_f", "dc = dF[t] * v_f")),
    "backward: dL/dh_t not added into dL/dc_t": ("test_sru_backward_hidden", _bwd("dc = dc + dH[t] * r", "dc = dc")),
    "backward: reset gate's derivative without the alpha on x": ("test_sru_backward_hidden", _bwd(
        "(C[t] - alpha * X[t])", "(C[t] - X[t])")),
    "backward: highway gradient to X without alpha": ("test_sru_backward_hidden", _bwd(
        "dXs[t] = dH[t] * (1 - r) * alpha", "dXs[t] = dH[t] * (1 - r)")),
    "backward: highway gradient to X uses r instead of (1 - r)": ("test_sru_backward_hidden", _bwd(
        "dXs[t] = dH[t] * (1 - r) * alpha", "dXs[t] = dH[t] * r * alpha")),
    "backward: sigmoid derivative f instead of f (1 - f)": ("test_sru_backward_hidden", _bwd(
        "* f * (1 - f)", "* f")),
    "backward: dv_f without the factor c_{t-1}": ("test_sru_backward_hidden", _bwd(
        "(dF[t] * Cp[t]).sum(0)", "dF[t].sum(0)")),
    "backward: dv_f uses c_t instead of c_{t-1} (off by one in time)": ("test_sru_backward_hidden", _bwd(
        "(dF[t] * Cp[t]).sum(0)", "(dF[t] * C[t]).sum(0)")),
    "backward: weight gradient transposed (dU^T X)": ("test_sru_backward_hidden", _bwd(
        "Xr.T @ rows(dU),", "rows(dU).T @ Xr,")),
    "backward: dX misses the products' path (highway only)": ("test_sru_backward_hidden", _bwd(
        "g[\"X\"] = (rows(dU) @ W.T + rows(dF) @ W_f.T + rows(dR) @ W_r.T).reshape(T, B, d) + dXs",
        "g[\"X\"] = dXs")),
    "backward: weight gradients as one product per step (X[t].T @ dF[t] summed)": ("test_sru_backward_hidden", _bwd(
        "g[\"W\"], g[\"W_f\"], g[\"W_r\"] = Xr.T @ rows(dU), Xr.T @ rows(dF), Xr.T @ rows(dR)",
        "g[\"W\"], g[\"W_f\"], g[\"W_r\"] = (sum(X[t].T @ A[t] for t in range(T)) for A in (dU, dF, dR))")),
    "backward: dX as one product per step": ("test_sru_backward_hidden", _bwd(
        "g[\"X\"] = (rows(dU) @ W.T + rows(dF) @ W_f.T + rows(dR) @ W_r.T).reshape(T, B, d) + dXs",
        "g[\"X\"] = np.stack([dU[t] @ W.T + dF[t] @ W_f.T + dR[t] @ W_r.T for t in range(T)]) + dXs")),
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
