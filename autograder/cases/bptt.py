"""Test cases for the BPTT chapter: random Elman networks and sequences, with gradients from torch.autograd.

Every expected value comes from PyTorch in float64: `torch.autograd` (through `autograder.references.bptt`),
`torch.nn.utils.clip_grad_norm_` / `clip_grad_value_`, and `torch.nn.RNN(num_layers=..., bidirectional=True)`.
"""
from __future__ import annotations

import numpy as np

from autograder.cases.common import WEIGHT_STD, Case, dimensions, initial_state, normal
from autograder.cases.elman_jordan import EXAMPLE as ELMAN_EXAMPLE
from autograder.lazy import lazy_import
from autograder.references.bptt import (
    birnn_params_from_torch,
    bptt_gradients,
    hidden_gradient_norms,
    hidden_gradient_sensitivity,
    step_backward,
)
from autograder.tensors import to_numpy

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch

# Chapter 1's worked example with targets: the chapter's and the notebook's fixed case for the loss
# L = sum_t 0.5 ||O_t - Y_t||^2.
EXAMPLE = {**ELMAN_EXAMPLE, "Y": np.array([[[0.5]], [[-0.5]], [[1.0]]])}

GRADIENT_KEYS = ("W_xh", "W_hh", "b_h", "W_hq", "b_q", "X", "H0")
TIME_KEYS = ("X",)


def _describe(spec: dict) -> str:
    extra = [f"spectral radius of W_hh {spec['rho']}"] if "rho" in spec else []
    return ", ".join([dimensions(spec), *extra, initial_state(spec, "H0")])


def _network(rng: np.random.Generator, spec: dict) -> dict:
    T, B, d_in, h, q = spec["T"], spec["B"], spec["d_in"], spec["h"], spec.get("q", 1)
    p = {"W_xh": normal(rng, d_in, h), "W_hh": normal(rng, h, h), "b_h": normal(rng, h),
         "W_hq": normal(rng, h, q), "b_q": normal(rng, q)}
    p["X"], p["Y"] = rng.normal(size=(T, B, d_in)), rng.normal(size=(T, B, q))
    p["H0"] = rng.normal(size=(B, h)) if spec.get("initial") else None
    return p


def _numpy_grads(g: dict) -> dict:
    return {k: to_numpy(g[k]) for k in GRADIENT_KEYS}


def step_backward_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs dH_t, X_t, H_prev, H_t, W_xh, W_hh; expected gradients "X_t", "H_prev", "W_xh", "W_hh", "b_h"."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        B, d_in, h = spec["B"], spec["d_in"], spec["h"]
        W_xh, W_hh, b_h = normal(rng, d_in, h), normal(rng, h, h), normal(rng, h)
        X_t, H_prev, dH_t = rng.normal(size=(B, d_in)), rng.normal(size=(B, h)), rng.normal(size=(B, h))
        ref = to_numpy(step_backward(dH_t, X_t, H_prev, W_xh, W_hh, b_h))
        inputs = {"dH_t": dH_t, "X_t": X_t, "H_prev": H_prev, "H_t": ref.pop("H_t"), "W_xh": W_xh, "W_hh": W_hh}
        cases.append(Case(f"B={B}, d_in={d_in}, h={h}", inputs, ref))
    return cases


def bptt_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, Y, W_xh, W_hh, b_h, W_hq, b_q, H0; expected: the gradients of the loss (keys GRADIENT_KEYS) and
    "by_length": the same gradients when the sequence (and the loss) is cut to its first 1, 2, ..., T steps."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        inputs = _network(rng, spec)
        by_length = []
        for n in range(1, spec["T"] + 1):
            cut = {**inputs, "X": inputs["X"][:n], "Y": inputs["Y"][:n]}
            by_length.append(_numpy_grads(bptt_gradients(**cut)))
        full = bptt_gradients(**inputs)
        cases.append(Case(_describe(spec), inputs, {**by_length[-1], "by_length": by_length, "H": to_numpy(full["H"]),
                                                    "S_W_hh": to_numpy(hidden_gradient_sensitivity(
                                                        inputs["X"], inputs["W_xh"], inputs["W_hh"], inputs["b_h"],
                                                        inputs["H0"]))}))
    return cases


def cut_sequence(inputs: dict, n: int) -> dict:
    """The inputs of a BPTT case with the sequence (X and Y) cut to its first n steps."""
    return {**inputs, "X": inputs["X"][:n], "Y": inputs["Y"][:n]}


def gradient_norm_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, W_xh, W_hh, b_h, G, H0, with W_hh scaled to spectral radius spec['rho']; expected "norms" (T,)
    of ||dL/dH_t|| for L = sum(G * H_T), by autograd."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        p = _network(rng, spec)
        W_hh = p["W_hh"] * spec["rho"] / np.max(np.abs(np.linalg.eigvals(p["W_hh"])))
        G = rng.normal(size=(spec["B"], spec["h"]))
        inputs = {"X": p["X"], "W_xh": p["W_xh"], "W_hh": W_hh, "b_h": p["b_h"], "G": G, "H0": p["H0"]}
        cases.append(Case(_describe(spec), inputs, {"norms": to_numpy(hidden_gradient_norms(**inputs))}))
    return cases


def _torch_clip(grads: list[np.ndarray], how: str, limit: float):
    params = []
    for g in grads:
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.from_numpy(np.array(g, dtype=np.float64))
        params.append(p)
    if how == "norm":
        total = torch.nn.utils.clip_grad_norm_(params, limit).item()
    else:
        torch.nn.utils.clip_grad_value_(params, limit)
        total = None
    return [p.grad.numpy().copy() for p in params], total


def clip_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs grads (a list of arrays) and a limit; expected "norm" (clip_grad_norm_: the clipped grads and the
    total norm before clipping) and "value" (clip_grad_value_). spec: shapes (list of tuples), scale (std of the
    gradients), limit."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        grads = [rng.normal(0.0, spec["scale"], size=s) for s in spec["shapes"]]
        by_norm, total = _torch_clip(grads, "norm", spec["limit"])
        by_value, _ = _torch_clip(grads, "value", spec["limit"])
        desc = f"shapes {spec['shapes']}, global norm {total:.3g}, limit {spec['limit']}"
        cases.append(Case(desc, {"grads": grads, "limit": spec["limit"]},
                          {"by_norm": by_norm, "total_norm": total, "by_value": by_value}))
    return cases


def birnn_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, layers (list of {"forward": params, "backward": params}, NumPy), H0; expected "output" and "h_n"
    from torch.nn.RNN(num_layers=spec['layers'], bidirectional=True), weights drawn with std WEIGHT_STD."""
    cases = []
    for i, spec in enumerate(specs):
        torch.manual_seed(seed + i)
        T, B, d_in, h, L = spec["T"], spec["B"], spec["d_in"], spec["h"], spec["layers"]
        rnn = torch.nn.RNN(d_in, h, num_layers=L, bidirectional=True, dtype=torch.float64)
        with torch.no_grad():
            for p in rnn.parameters():
                p.normal_(0.0, WEIGHT_STD)
        X = torch.randn(T, B, d_in, dtype=torch.float64)
        H0 = torch.randn(2 * L, B, h, dtype=torch.float64) if spec.get("initial") else None
        with torch.no_grad():
            out, h_n = rnn(X, H0)
        layers = [{d: to_numpy(p) for d, p in layer.items()} for layer in birnn_params_from_torch(rnn)]
        inputs = {"X": X.numpy(), "layers": layers, "H0": None if H0 is None else H0.numpy()}
        cases.append(Case(_describe(spec), inputs, {"output": to_numpy(out), "h_n": to_numpy(h_n)}))
    return cases


def numerical_gradient_cases(seed: int) -> list[Case]:
    """Scalar functions f of one float64 array, with their gradients from autograd. Inputs f (NumPy in, float out)
    and x; expected "grad". One case hands x over in float32: the checker must work on a float64 copy."""
    rng = np.random.default_rng(seed)
    cases = []

    A = rng.normal(size=(4, 4))
    c = rng.normal(size=(3, 4))

    def smooth(x):
        return float(np.sum(np.sin(x) * c) + 0.5 * np.sum((x @ A) * x) + np.sum(np.exp(0.3 * x)))

    def smooth_t(x):
        return (torch.sin(x) * torch.from_numpy(c)).sum() + 0.5 * ((x @ torch.from_numpy(A)) * x).sum() \
            + torch.exp(0.3 * x).sum()

    p = _network(rng, dict(T=4, B=2, d_in=3, h=3, q=2))

    def loss_of_W_hh(W):
        H, loss = p["H0"] if p["H0"] is not None else np.zeros((2, 3)), 0.0
        for t in range(4):
            H = np.tanh(p["X"][t] @ p["W_xh"] + H @ W + p["b_h"])
            loss += 0.5 * float(np.sum((H @ p["W_hq"] + p["b_q"] - p["Y"][t]) ** 2))
        return loss

    x1 = rng.normal(size=(3, 4))
    x2 = p["W_hh"].copy()
    x3 = rng.normal(size=(3, 4)).astype(np.float32)
    for desc, f, x, grad in [
        ("f(x) = sum(c sin x) + x A x^T / 2 + sum(exp(0.3 x)), x of shape (3, 4)", smooth, x1, _autograd(smooth_t, x1)),
        ("the chapter's loss as a function of W_hh (3, 3)", loss_of_W_hh, x2,
         to_numpy(bptt_gradients(**p)["W_hh"])),
        ("the smooth f with x given in float32 (check in float64!)", smooth, x3,
         _autograd(smooth_t, x3.astype(np.float64))),
    ]:
        cases.append(Case(desc, {"f": f, "x": x}, {"grad": grad}))
    return cases


def _autograd(f_torch, x: np.ndarray) -> np.ndarray:
    xt = torch.from_numpy(np.array(x, dtype=np.float64)).requires_grad_(True)
    f_torch(xt).backward()
    return xt.grad.numpy()
