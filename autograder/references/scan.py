"""First-order linear recurrences and their parallel scans, in the course's notation (row vectors, time-major, float64).

The recurrence, element-wise, for t = 1..T (code counts steps from 0):

    h_t = a_t * h_{t-1} + b_t            A, Bv: (T, B, h); h_0 = H0 (B, h), zeros when None

Step t is the affine map h -> a_t h + b_t; applying (a_1, b_1) and then (a_2, b_2) is the affine map

    combine((a_1, b_1), (a_2, b_2)) = (a_2 a_1, a_2 b_1 + b_2)

which is associative, so the prefix compositions (the inclusive scan) can be computed in O(log T) rounds.

API (the page, the cases and the tests code against it):

    linear_recurrence(A, Bv, H0=None) -> H (T, B, h)          the sequential loop: the oracle
    combine(a1, b1, a2, b2) -> (a, b)                          first (a1, b1), then (a2, b2)
    hillis_steele_scan(A, Bv, H0=None, counts=None) -> H       O(T log T) combines, ceil(log2 T) rounds
    blelloch_scan(A, Bv, H0=None, counts=None) -> H            O(T) combines, two sweeps of ceil(log2 T) rounds
    log_space_scan(log_A, log_Bv, log_H0=None) -> log H        Heinsen (2023): cumsum and logcumsumexp (b, h0 > 0)
    mingru_forward(X, params, H0=None, log_space=False) -> H   Feng et al. (2024); params W_xz, b_z, W_xn, b_n
    minlstm_forward(X, params, H0=None, log_space=False) -> H  params W_xf, b_f, W_xi, b_i, W_xn, b_n
    mingru_coefficients / minlstm_coefficients(X, params) -> (A, Bv): the recurrence's a_t, b_t
    g(x), log_g(x)                                             the paper's positive activation for the log space
    count_params(kind, d_in, h) -> int                         "mingru", "minlstm", "gru", "lstm" (one layer)

`counts`, when a dict, receives "work" (the number of element-wise combines of whole (B, h) slices) and "depth"
(the number of rounds, each a set of combines that can run at the same time).
"""
from __future__ import annotations

import math

from autograder.lazy import lazy_import
from autograder.tensors import as_float64, f64

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch


def _initial(H0, B: int, h: int):
    return torch.zeros(B, h, dtype=torch.float64) if H0 is None else f64(H0)


def linear_recurrence(A, Bv, H0=None):
    """h_t = a_t * h_{t-1} + b_t for every step, by the sequential loop. Returns H (T, B, h), without h_0."""
    A, Bv = f64(A), f64(Bv)
    T, B, h = A.shape
    state, H = _initial(H0, B, h), []
    for t in range(T):
        state = A[t] * state + Bv[t]
        H.append(state)
    return torch.stack(H) if T else torch.zeros(0, B, h, dtype=torch.float64)


def combine(a1, b1, a2, b2):
    """The affine map 'first h -> a1 h + b1, then h -> a2 h + b2', as (a, b) with h -> a h + b."""
    return a2 * a1, a2 * b1 + b2


def _fold_initial(A, Bv, H0):
    """Fold h_0 into the first step's offset: h_1 = a_1 h_0 + b_1, so the scan itself can start from zero."""
    if H0 is None:
        return Bv
    Bv = Bv.clone()
    Bv[0] = A[0] * f64(H0) + Bv[0]
    return Bv


def hillis_steele_scan(A, Bv, H0=None, counts: dict | None = None):
    """Inclusive scan by Hillis and Steele: in round k every element i >= 2^k combines with element i - 2^k.
    ceil(log2 T) rounds; T - 2^k combines in round k. Returns H (T, B, h)."""
    A, Bv = f64(A), f64(Bv)
    T = A.shape[0]
    a, b = A.clone(), _fold_initial(A, Bv, H0).clone()
    work = depth = 0
    step = 1
    while step < T:
        # element i takes (a, b)[i - step] as the earlier map and itself as the later one
        new_a, new_b = combine(a[:-step], b[:-step], a[step:], b[step:])
        a = torch.cat([a[:step], new_a])
        b = torch.cat([b[:step], new_b])
        work, depth, step = work + (T - step), depth + 1, 2 * step
    if counts is not None:
        counts.update(work=work, depth=depth)
    return b


def blelloch_scan(A, Bv, H0=None, counts: dict | None = None):
    """Inclusive scan by Blelloch's two sweeps over a tree (the length padded to a power of two with identity maps
    a = 1, b = 0): the up-sweep builds the compositions of blocks of 2, 4, ... steps, the down-sweep hands each
    block the composition of everything before it. About 2T combines, 2 log2 T rounds. Returns H (T, B, h)."""
    A, Bv = f64(A), f64(Bv)
    T = A.shape[0]
    if T == 0:
        return Bv.clone()
    n = 1 << max(T - 1, 0).bit_length()
    pad = n - T
    a = torch.cat([A, torch.ones(pad, *A.shape[1:], dtype=torch.float64)])
    b = torch.cat([_fold_initial(A, Bv, H0), torch.zeros(pad, *A.shape[1:], dtype=torch.float64)])
    work = depth = 0
    # up-sweep: node i (the last step of its block) becomes the composition of its block
    step = 1
    while step < n:
        right = torch.arange(2 * step - 1, n, 2 * step)
        a[right], b[right] = combine(a[right - step], b[right - step], a[right], b[right])
        work, depth, step = work + len(right), depth + 1, 2 * step
    # down-sweep (inclusive form): the left child's last step in each block receives everything before the block
    step = n // 4
    while step >= 1:
        target = torch.arange(3 * step - 1, n, 2 * step)
        a[target], b[target] = combine(a[target - step], b[target - step], a[target], b[target])
        work, depth, step = work + len(target), depth + 1, step // 2
    if counts is not None:
        counts.update(work=work, depth=depth)
    return b[:T]


def log_space_scan(log_A, log_Bv, log_H0=None):
    """log h_t for h_t = a_t h_{t-1} + b_t with a_t, b_t (and h_0) > 0, from their logarithms (Heinsen 2023):

        a*_t = sum_{s<=t} log a_s,   log h_t = a*_t + logsumexp_{s=0..t}(log b_s - a*_s)   (b_0 = h_0, a*_0 = 0)

    Returns log H (T, B, h). Nothing in it multiplies many gates, so nothing underflows."""
    log_A, log_Bv = f64(log_A), f64(log_Bv)
    a_star = torch.cumsum(log_A, dim=0)
    terms = log_Bv - a_star
    if log_H0 is not None:
        terms = torch.cat([f64(log_H0)[None], terms])
        return a_star + torch.logcumsumexp(terms, dim=0)[1:]
    return a_star + torch.logcumsumexp(terms, dim=0)


def g(x):
    """Feng et al.'s activation for the log-space minGRU and minLSTM: x + 1/2 for x >= 0, sigmoid(x) below; positive
    and continuous (both are 1/2 at 0)."""
    x = f64(x)
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def log_g(x):
    """log g(x), computed without forming g for x < 0: log sigmoid(x) (torch's logsigmoid; -softplus(-x) is the
    same function, but torch's softplus returns its argument above its threshold of 20, an error of e^-20 there)."""
    x = f64(x)
    return torch.where(x >= 0, torch.log(torch.relu(x) + 0.5), torch.nn.functional.logsigmoid(x))


def _linear(X, W, b):
    X = f64(X)
    T, B, d_in = X.shape
    return (X.reshape(T * B, d_in) @ f64(W) + f64(b)).reshape(T, B, -1)


def mingru_coefficients(X, params, log_space: bool = False):
    """a_t = 1 - z_t and b_t = z_t * n_t of minGRU, with z_t = sigmoid(X_t W_xz + b_z) and the candidate
    n_t = X_t W_xn + b_n (g(...) of it with log_space=True). Returns (A, Bv), each (T, B, h)."""
    z = torch.sigmoid(_linear(X, params["W_xz"], params["b_z"]))
    n = _linear(X, params["W_xn"], params["b_n"])
    if log_space:
        n = g(n)
    return 1 - z, z * n


def mingru_forward(X, params, H0=None, log_space: bool = False):
    """minGRU (Feng et al. 2024): h_t = (1 - z_t) * h_{t-1} + z_t * n_t; the gates read X_t only, so every product
    is taken for all steps at once. log_space=True: n_t = g(X_t W_xn + b_n), as in the paper's log-space version
    (then a given H0 must be positive). Returns H (T, B, h), by the sequential loop."""
    A, Bv = mingru_coefficients(X, params, log_space)
    return linear_recurrence(A, Bv, H0)


def minlstm_coefficients(X, params, log_space: bool = False):
    """a_t = f'_t, b_t = i'_t * n_t of minLSTM: f_t = sigmoid(X_t W_xf + b_f), i_t = sigmoid(X_t W_xi + b_i),
    normalised f'_t = f_t / (f_t + i_t), i'_t = i_t / (f_t + i_t); candidate n_t = X_t W_xn + b_n (g of it with
    log_space=True). Returns (A, Bv), each (T, B, h)."""
    f = torch.sigmoid(_linear(X, params["W_xf"], params["b_f"]))
    i = torch.sigmoid(_linear(X, params["W_xi"], params["b_i"]))
    n = _linear(X, params["W_xn"], params["b_n"])
    if log_space:
        n = g(n)
    return f / (f + i), i / (f + i) * n


def minlstm_forward(X, params, H0=None, log_space: bool = False):
    """minLSTM (Feng et al. 2024, with the normalised gates): h_t = f'_t * h_{t-1} + i'_t * n_t. Returns H."""
    A, Bv = minlstm_coefficients(X, params, log_space)
    return linear_recurrence(A, Bv, H0)


MIN_GATES = {"mingru": ("z", "n"), "minlstm": ("f", "i", "n")}


def count_params(kind: str, d_in: int, h: int) -> int:
    """Parameters of one layer: minGRU and minLSTM as written here (one weight (d_in, h) and one bias (h,) per gate
    or candidate); GRU and LSTM as torch.nn.GRU and torch.nn.LSTM count them (two biases per gate)."""
    if kind in MIN_GATES:
        return len(MIN_GATES[kind]) * (d_in * h + h)
    blocks = {"gru": 3, "lstm": 4}[kind]
    return blocks * (d_in * h + h * h + 2 * h)


def sequential_depth(T: int) -> int:
    """Rounds of the loop: one per step."""
    return T


def scan_depth(T: int) -> int:
    """Rounds of Hillis and Steele's scan: ceil(log2 T) (0 for T <= 1)."""
    return math.ceil(math.log2(T)) if T > 1 else 0


def as_tensors(*arrays):
    """The arguments as float64 tensors (a convenience for pages and tests)."""
    return as_float64(*arrays)
