"""The gated recurrent unit (Cho et al., 2014) in the course's notation (row vectors, time-major, float64).

    R_t = sigma(X_t W_xr + H_{t-1} W_hr + b_r)                       reset gate     (B, h)
    Z_t = sigma(X_t W_xz + H_{t-1} W_hz + b_z)                       update gate    (B, h)
    reset after  (PyTorch, cuDNN, Keras reset_after=True):
        N_t = tanh(X_t W_xn + b_xn + R_t * (H_{t-1} W_hn + b_hn))
    reset before (Cho et al. 2014, d2l's from-scratch GRU, Keras reset_after=False):
        N_t = tanh(X_t W_xn + (R_t * H_{t-1}) W_hn + b_xn + b_hn)
    H_t = (1 - Z_t) * N_t + Z_t * H_{t-1}                            Z_t is the share of the old state kept

Parameters travel as one dict with keys PARAM_KEYS. In the reset-before form b_hn is outside the reset product, so
only b_xn + b_hn matters there. `torch.nn.GRU` stores weight_ih = [W_xr | W_xz | W_xn]^T, shape (3h, d_in), and
weight_hh = [W_hr | W_hz | W_hn]^T, (3h, h), gates in the order r, z, n; bias_ih = [b_ir, b_iz, b_in] and
bias_hh = [b_hr, b_hz, b_hn], so b_r = b_ir + b_hr, b_z = b_iz + b_hz, b_xn = b_in, and b_hn = bias_hh's n-part,
which must stay inside the reset product.
"""
from __future__ import annotations

from autograder.lazy import lazy_import
from autograder.notation import ELEMENTWISE_PER_UNIT, GRU_GATES
from autograder.tensors import as_float64, f64

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch

GATES = GRU_GATES   # PyTorch's order of the gates' blocks in weight_ih, weight_hh, bias_ih, bias_hh
PARAM_KEYS = ("W_xr", "W_xz", "W_xn", "W_hr", "W_hz", "W_hn", "b_r", "b_z", "b_xn", "b_hn")


def _params(params: dict) -> dict[str, torch.Tensor]:
    missing = set(PARAM_KEYS) - set(params)
    if missing:
        raise KeyError(f"GRU parameters missing: {sorted(missing)}")
    return {k: f64(params[k]) for k in PARAM_KEYS}


def gru_step(X_t, H_prev, params: dict, reset_after: bool = True) -> torch.Tensor:
    """One GRU step: (B, d_in), (B, h) -> (B, h). Differentiable in params when they are float64 tensors."""
    p = _params(params)
    X_t, H_prev = f64(X_t), f64(H_prev)
    R = torch.sigmoid(X_t @ p["W_xr"] + H_prev @ p["W_hr"] + p["b_r"])
    Z = torch.sigmoid(X_t @ p["W_xz"] + H_prev @ p["W_hz"] + p["b_z"])
    if reset_after:
        N = torch.tanh(X_t @ p["W_xn"] + p["b_xn"] + R * (H_prev @ p["W_hn"] + p["b_hn"]))
    else:
        N = torch.tanh(X_t @ p["W_xn"] + (R * H_prev) @ p["W_hn"] + p["b_xn"] + p["b_hn"])
    return (1 - Z) * N + Z * H_prev


def initial_state(B: int, h: int, H0=None) -> torch.Tensor:
    """H0 as a float64 tensor, or zeros of shape (B, h) when it is None."""
    if H0 is None:
        return torch.zeros(B, h, dtype=torch.float64)
    return f64(H0)


def gru_forward(X, params: dict, H0=None, reset_after: bool = True) -> torch.Tensor:
    """All hidden states H_1..H_T, shape (T, B, h), for X of shape (T, B, d_in); H0 defaults to zeros."""
    p = _params(params)
    X = f64(X)
    T, B, _ = X.shape
    h = p["W_hr"].shape[0]
    H = initial_state(B, h, H0)
    states = []
    for t in range(T):
        H = gru_step(X[t], H, p, reset_after)
        states.append(H)
    return torch.stack(states) if states else torch.zeros(0, B, h, dtype=torch.float64)


def gru_params_from_torch(gru: torch.nn.GRU | torch.nn.GRUCell, layer: int = 0,
                          direction: str = "") -> dict[str, torch.Tensor]:
    """The course's ten GRU parameters (float64) from a `torch.nn.GRU` (or `GRUCell`).

    `direction` is "" for the forward direction and "_reverse" for the backward one of a bidirectional GRU.
    """
    suffix = "" if isinstance(gru, torch.nn.GRUCell) else f"_l{layer}{direction}"
    h = gru.hidden_size
    w_ih = getattr(gru, "weight_ih" + suffix).detach().to(torch.float64)
    w_hh = getattr(gru, "weight_hh" + suffix).detach().to(torch.float64)
    if gru.bias:
        b_ih = getattr(gru, "bias_ih" + suffix).detach().to(torch.float64)
        b_hh = getattr(gru, "bias_hh" + suffix).detach().to(torch.float64)
    else:
        b_ih = b_hh = torch.zeros(3 * h, dtype=torch.float64)
    block = {g: slice(i * h, (i + 1) * h) for i, g in enumerate(GATES)}
    p = {}
    for g in GATES:
        p[f"W_x{g}"] = w_ih[block[g]].T.clone()
        p[f"W_h{g}"] = w_hh[block[g]].T.clone()
    p["b_r"] = b_ih[block["r"]] + b_hh[block["r"]]
    p["b_z"] = b_ih[block["z"]] + b_hh[block["z"]]
    p["b_xn"] = b_ih[block["n"]].clone()
    p["b_hn"] = b_hh[block["n"]].clone()
    return {k: p[k] for k in PARAM_KEYS}


def load_into_torch(gru: torch.nn.GRU, params: dict, split=None) -> torch.nn.GRU:
    """Write course-layout parameters into a one-layer `torch.nn.GRU` (layer 0, forward direction).

    b_r and b_z are sums of two PyTorch biases; `split` (a (2h,) vector, default zeros) is the part of [b_r, b_z]
    put into bias_hh, the rest going to bias_ih. b_xn and b_hn go to their own places (they cannot be merged).
    """
    p = _params(params)
    h = p["W_hr"].shape[0]
    split = torch.zeros(2 * h, dtype=torch.float64) if split is None else as_float64(split)
    with torch.no_grad():
        gru.weight_ih_l0.copy_(torch.cat([p["W_xr"], p["W_xz"], p["W_xn"]], dim=1).T)
        gru.weight_hh_l0.copy_(torch.cat([p["W_hr"], p["W_hz"], p["W_hn"]], dim=1).T)
        if gru.bias:
            rz = torch.cat([p["b_r"], p["b_z"]])
            gru.bias_ih_l0.copy_(torch.cat([rz - split, p["b_xn"]]))
            gru.bias_hh_l0.copy_(torch.cat([split, p["b_hn"]]))
    return gru


# ---- sizes and costs ---------------------------------------------------------------------------------------------

GATE_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}   # how many (·, h) blocks each weight matrix stacks


def count_params(kind: str, d_in: int, h: int, num_layers: int = 1, bias: bool = True,
                 bidirectional: bool = False) -> int:
    """Number of parameters of `torch.nn.RNN` / `GRU` / `LSTM` (PyTorch's layout: two bias vectors per layer).

    Each layer and direction holds weight_ih (G h, d), weight_hh (G h, h) and, with bias, two (G h,) vectors,
    where G = 1, 3, 4 and d is d_in for layer 0 and h * directions for the layers above (they read the
    concatenated states of both directions).
    """
    G, dirs = GATE_BLOCKS[kind], 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d = d_in if layer == 0 else h * dirs
        total += dirs * (G * h * d + G * h * h + (2 * G * h if bias else 0))
    return total


def step_flops(kind: str, d_in: int, h: int, B: int = 1) -> dict[str, int]:
    """Floating-point operations of one step of one layer for a batch of B: matrix products (a multiply and an add
    per multiply-add, so 2 B G h (d_in + h)) and element-wise work (ELEMENTWISE_PER_UNIT * B h)."""
    G = GATE_BLOCKS[kind]
    matmul = 2 * B * G * h * (d_in + h)
    elementwise = ELEMENTWISE_PER_UNIT[kind] * B * h
    return {"matmul": matmul, "elementwise": elementwise, "total": matmul + elementwise}
