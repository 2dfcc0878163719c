"""Mistakes learners make in the scan chapter. Each must make the named hidden test fail."""

_COMBINE = '''
def combine(a1, b1, a2, b2):
    return a2 * a1, a2 * b1 + b2
'''

# A correct Hillis-Steele scan whose lines the mutants edit one at a time.
_SCAN = '''
def linear_scan(a, b, H0=None, combine=combine):
    T = a.shape[0]
    if H0 is not None:
        b = np.concatenate([(a[0] * H0 + b[0])[None], b[1:]])
    step = 1
    while step < T:
        new_a, new_b = combine(a[:-step], b[:-step], a[step:], b[step:])
        a = np.concatenate([a[:step], new_a])
        b = np.concatenate([b[:step], new_b])
        step *= 2
    return b
'''

_LOG_SCAN = '''
def log_linear_scan(log_a, log_b, log_H0=None):
    a_star = np.cumsum(log_a, axis=0)
    terms = log_b - a_star
    if log_H0 is None:
        return a_star + np.logaddexp.accumulate(terms, axis=0)
    terms = np.concatenate([log_H0[None], terms])
    return a_star + np.logaddexp.accumulate(terms, axis=0)[1:]
'''

_MINGRU = '''
def mingru_forward(X, params, H0=None, scan=linear_scan):
    z = sigmoid(X @ params["W_xz"] + params["b_z"])
    n = X @ params["W_xn"] + params["b_n"]
    return scan(1 - z, z * n, H0)
'''

_BACKWARD = '''
def mingru_backward(X, params, H0, dH, scan=linear_scan):
    T, B, d_in = X.shape
    z = sigmoid(X @ params["W_xz"] + params["b_z"])
    n = X @ params["W_xn"] + params["b_n"]
    a = 1 - z
    H = scan(a, z * n, H0)
    H_prev = np.concatenate([H0[None], H[:-1]])
    a_next = np.concatenate([a[1:], np.zeros_like(a[:1])])
    G = scan(a_next[::-1], dH[::-1])[::-1]
    dn = G * z
    du = G * (n - H_prev) * z * (1 - z)
    rows_X = X.reshape(T * B, d_in)
    return {"W_xz": rows_X.T @ du.reshape(T * B, -1), "b_z": du.sum(axis=(0, 1)),
            "W_xn": rows_X.T @ dn.reshape(T * B, -1), "b_n": dn.sum(axis=(0, 1)),
            "X": du @ params["W_xz"].T + dn @ params["W_xn"].T, "H0": a[0] * G[0]}
'''

_MINLSTM = '''
def minlstm_forward(X, params, H0=None, scan=linear_scan):
    f = sigmoid(X @ params["W_xf"] + params["b_f"])
    i = sigmoid(X @ params["W_xi"] + params["b_i"])
    n = X @ params["W_xn"] + params["b_n"]
    return scan(f / (f + i), i / (f + i) * n, H0)
'''

_COUNT = '''
def count_params(kind, d_in, h):
    if kind in ("mingru", "minlstm"):
        return {"mingru": 2, "minlstm": 3}[kind] * (d_in * h + h)
    return {"gru": 3, "lstm": 4}[kind] * (d_in * h + h * h + 2 * h)
'''

BASE = {"combine": _COMBINE, "linear_scan": _SCAN, "log_linear_scan": _LOG_SCAN, "mingru_forward": _MINGRU,
        "mingru_backward": _BACKWARD, "minlstm_forward": _MINLSTM, "count_params": _COUNT}

# The sequential loop: correct values, T steps deep (the chapter's point is that it need not be).
SEQUENTIAL_SCAN = '''
def linear_scan(a, b, H0=None, combine=combine):
    h = np.zeros_like(b[0]) if H0 is None else H0
    H = []
    for t in range(a.shape[0]):
        h = a[t] * h + b[t]
        H.append(h)
    return np.stack(H)
'''

# The same loop through combine: one call per step, T - 1 in all (a scan takes about log2 T rounds).
STEPWISE_SCAN = '''
def linear_scan(a, b, H0=None, combine=combine):
    if H0 is not None:
        b = np.concatenate([(a[0] * H0 + b[0])[None], b[1:]])
    A, H = [a[0]], [b[0]]
    for t in range(1, a.shape[0]):
        new_a, new_b = combine(A[-1], H[-1], a[t], b[t])
        A.append(new_a)
        H.append(new_b)
    return np.stack(H)
'''


def _edit(gid: str, old: str, new: str) -> dict:
    assert old in BASE[gid], old
    return {gid: BASE[gid].replace(old, new)}


MUTANTS = {
    # combine
    "combine: maps applied in the wrong order": ("test_combine_hidden", _edit(
        "combine", "return a2 * a1, a2 * b1 + b2", "return a1 * a2, a1 * b2 + b1")),
    "combine: first offset not scaled by the second map": ("test_combine_hidden", _edit(
        "combine", "a2 * b1 + b2", "b1 + b2")),
    "combine: offsets multiplied by the first coefficient": ("test_combine_hidden", _edit(
        "combine", "a2 * b1 + b2", "a1 * b1 + b2")),
    # linear_scan
    "scan: a sequential loop over t (right values, T rounds deep)": ("test_linear_scan_hidden",
                                                                     {"linear_scan": SEQUENTIAL_SCAN}),
    "scan: combine called once per step (T - 1 calls)": ("test_linear_scan_hidden", {"linear_scan": STEPWISE_SCAN}),
    "scan: only powers of two (rounds stop while 2 * step <= T)": ("test_linear_scan_hidden", _edit(
        "linear_scan", "while step < T:", "while 2 * step <= T:")),
    "scan: rounds of log2(T) rounded down": ("test_linear_scan_hidden", _edit(
        "linear_scan", "while step < T:", "while step < 2 ** int(np.log2(T)):")),
    "scan: ignores a given H0": ("test_linear_scan_hidden", _edit(
        "linear_scan", "if H0 is not None:", "if False:")),
    "scan: H0 added to b_1 without the factor a_1": ("test_linear_scan_hidden", _edit(
        "linear_scan", "(a[0] * H0 + b[0])", "(H0 + b[0])")),
    "scan: combine's arguments swapped (later map first)": ("test_linear_scan_hidden", _edit(
        "linear_scan", "combine(a[:-step], b[:-step], a[step:], b[step:])",
        "combine(a[step:], b[step:], a[:-step], b[:-step])")),
    "scan: exclusive scan (returns h_{t-1})": ("test_linear_scan_hidden", _edit(
        "linear_scan", "    return b\n",
        "    return np.concatenate([(np.zeros_like(b[0]) if H0 is None else H0)[None], b[:-1]])\n")),
    "scan: a updated before b is read in a round": ("test_linear_scan_hidden", _edit(
        "linear_scan", "        a = np.concatenate([a[:step], new_a])\n        b = np.concatenate([b[:step], new_b])\n",
        "        a = np.concatenate([a[:step], new_a])\n"
        "        b = np.concatenate([b[:step], a[step:] * b[:-step] + b[step:]])\n")),
    "scan: shifts by one instead of doubling (step += 1)": ("test_linear_scan_hidden", _edit(
        "linear_scan", "step *= 2", "step += 1")),
    # log_linear_scan
    "log scan: leaves log space (cumulative products underflow)": ("test_log_linear_scan_hidden", _edit(
        "log_linear_scan", "    a_star = np.cumsum(log_a, axis=0)\n",
        "    A = np.cumprod(np.exp(log_a), axis=0)\n"
        "    h = A * ((0 if log_H0 is None else np.exp(log_H0)) + np.cumsum(np.exp(log_b) / A, axis=0))\n"
        "    return np.log(h)\n    a_star = np.cumsum(log_a, axis=0)\n")),
    "log scan: exp, the linear scan, then log (states below float64)": ("test_log_linear_scan_hidden", _edit(
        "log_linear_scan", "    a_star = np.cumsum(log_a, axis=0)\n",
        "    return np.log(linear_scan(np.exp(log_a), np.exp(log_b), None if log_H0 is None else np.exp(log_H0)))\n"
        "    a_star = np.cumsum(log_a, axis=0)\n")),
    "log scan: ignores a given log_H0": ("test_log_linear_scan_hidden", _edit(
        "log_linear_scan", "if log_H0 is None:", "if True:")),
    "log scan: cumulative sum instead of log-sum-exp": ("test_log_linear_scan_hidden", _edit(
        "log_linear_scan", "return a_star + np.logaddexp.accumulate(terms, axis=0)\n",
        "return a_star + np.cumsum(terms, axis=0)\n")),
    "log scan: a* excludes the current step": ("test_log_linear_scan_hidden", _edit(
        "log_linear_scan", "a_star = np.cumsum(log_a, axis=0)",
        "a_star = np.cumsum(log_a, axis=0) - log_a")),
    # mingru_forward
    "mingru: z and 1 - z swapped": ("test_mingru_forward_hidden", _edit(
        "mingru_forward", "scan(1 - z, z * n, H0)", "scan(z, (1 - z) * n, H0)")),
    "mingru: candidate not gated (b_t = n_t)": ("test_mingru_forward_hidden", _edit(
        "mingru_forward", "scan(1 - z, z * n, H0)", "scan(1 - z, n, H0)")),
    "mingru: tanh on the candidate (the GRU's)": ("test_mingru_forward_hidden", _edit(
        "mingru_forward", 'n = X @ params["W_xn"] + params["b_n"]', 'n = np.tanh(X @ params["W_xn"] + params["b_n"])')),
    "mingru: ignores a given H0": ("test_mingru_forward_hidden", _edit(
        "mingru_forward", "z * n, H0)", "z * n)")),
    "mingru: a loop over the time steps": ("test_mingru_forward_hidden", _edit(
        "mingru_forward", "    return scan(1 - z, z * n, H0)\n",
        "    h, H = (np.zeros_like(z[0]) if H0 is None else H0), []\n"
        "    for t in range(X.shape[0]):\n        h = (1 - z[t]) * h + z[t] * n[t]\n        H.append(h)\n"
        "    return np.stack(H)\n")),
    "mingru: the global linear_scan, not the scan it is given": ("test_mingru_forward_hidden", _edit(
        "mingru_forward", "    return scan(1 - z", "    return linear_scan(1 - z")),
    # mingru_backward
    "backward: gradient not carried back in time (G = dH)": ("test_mingru_backward_hidden", _edit(
        "mingru_backward", "G = scan(a_next[::-1], dH[::-1])[::-1]", "G = dH")),
    "backward: reverse recurrence with a_t instead of a_{t+1}": ("test_mingru_backward_hidden", _edit(
        "mingru_backward", "G = scan(a_next[::-1], dH[::-1])[::-1]",
        "G = scan(a[::-1], dH[::-1])[::-1]")),
    "backward: scan forwards in time over dH": ("test_mingru_backward_hidden", _edit(
        "mingru_backward", "G = scan(a_next[::-1], dH[::-1])[::-1]", "G = scan(a_next, dH)")),
    "backward: dz uses h_t instead of h_{t-1}": ("test_mingru_backward_hidden", _edit(
        "mingru_backward", "(n - H_prev)", "(n - H)")),
    "backward: sigmoid derivative missing": ("test_mingru_backward_hidden", _edit(
        "mingru_backward", "du = G * (n - H_prev) * z * (1 - z)", "du = G * (n - H_prev)")),
    "backward: dH0 without the factor a_1": ("test_mingru_backward_hidden", _edit(
        "mingru_backward", '"H0": a[0] * G[0]', '"H0": G[0]')),
    "backward: weight gradient transposed (du^T X)": ("test_mingru_backward_hidden", _edit(
        "mingru_backward", '"W_xz": rows_X.T @ du.reshape(T * B, -1)', '"W_xz": du.reshape(T * B, -1).T @ rows_X')),
    "backward: dX misses the candidate's path": ("test_mingru_backward_hidden", _edit(
        "mingru_backward", '"X": du @ params["W_xz"].T + dn @ params["W_xn"].T', '"X": du @ params["W_xz"].T')),
    # minlstm_forward
    "minlstm: gates not normalised": ("test_minlstm_forward_hidden", _edit(
        "minlstm_forward", "scan(f / (f + i), i / (f + i) * n, H0)", "scan(f, i * n, H0)")),
    "minlstm: f' and i' swapped": ("test_minlstm_forward_hidden", _edit(
        "minlstm_forward", "scan(f / (f + i), i / (f + i) * n, H0)",
        "scan(i / (f + i), f / (f + i) * n, H0)")),
    "minlstm: coupled gate 1 - f instead of i'": ("test_minlstm_forward_hidden", _edit(
        "minlstm_forward", "scan(f / (f + i), i / (f + i) * n, H0)", "scan(f, (1 - f) * n, H0)")),
    "minlstm: ignores a given H0": ("test_minlstm_forward_hidden", _edit(
        "minlstm_forward", "* n, H0)", "* n)")),
    # count_params
    "count: min cells without biases": ("test_count_params_hidden", _edit(
        "count_params", "* (d_in * h + h)\n", "* (d_in * h)\n")),
    "count: GRU and LSTM with one bias per block": ("test_count_params_hidden", _edit(
        "count_params", "h * h + 2 * h", "h * h + h")),
    "count: recurrent weights forgotten": ("test_count_params_hidden", _edit(
        "count_params", "h * h + 2 * h", "2 * h")),
    "count: minGRU with three blocks like the GRU": ("test_count_params_hidden", _edit(
        "count_params", '{"mingru": 2, "minlstm": 3}', '{"mingru": 3, "minlstm": 4}')),
}

# Mistakes the VISIBLE tests must catch too, with a phrase the message must contain.
VISIBLE = {
    "combine: maps applied in the wrong order": ("test_combine_visible", "applied in the wrong order"),
    "scan: a sequential loop over t (right values, T rounds deep)": ("test_linear_scan_visible",
                                                                     "never called the combine it was given"),
    "scan: combine called once per step (T - 1 calls)": ("test_linear_scan_visible", "that is a loop over time"),
    "scan: only powers of two (rounds stop while 2 * step <= T)": ("test_linear_scan_visible",
                                                                  "wrong from time step 4 on"),
    "scan: ignores a given H0": ("test_linear_scan_visible", "a given H0 enters through the first step"),
    "mingru: z and 1 - z swapped": ("test_mingru_forward_visible", "z weighs the candidate"),
    "mingru: a loop over the time steps": ("test_mingru_forward_visible", "called the scan it was given 0 times"),
    "mingru: the global linear_scan, not the scan it is given": ("test_mingru_forward_visible",
                                                                 "with the function passed as `scan`"),
    "backward: gradient not carried back in time (G = dH)": ("test_mingru_backward_visible",
                                                             "what flows back from step"),
}
