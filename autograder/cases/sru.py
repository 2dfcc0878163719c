"""Test cases for the SRU exercises: random inputs in the course's layout, expected values from the SRU reference
(itself cross-checked against the `sru` package in tests/chapters/sru/test_references.py), torch.autograd, and
FLOPs counted by torch.utils.flop_counter on real PyTorch computations.

The exercises are split as the authors' kernel is: the products (`sru_projections`, rows of all steps at once) and a
recurrence that receives only the projections, so the structure the chapter teaches is graded by the functions'
arguments: no weight matrix reaches the time loop, forward or backward.

spec keys: T, B, d_in, h; `initial` (a given c0); `scale` (scale_highway: True, False or a number).
"""
from __future__ import annotations

import numpy as np

from autograder.cases.common import Case, dimensions, initial_state, normal, sequence
from autograder.lazy import lazy_import
from autograder.notation import ELEMENTWISE_PER_UNIT
from autograder.references.sru import sru_forward, sru_recurrence
from autograder.tensors import to_numpy

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch

# The chapter's worked example (T=3, B=1, d_in=h=2), used by the page and by the visible tests.
EXAMPLE = {
    "X": np.array([[[1.0, 0.0]], [[0.5, -1.0]], [[-0.5, 0.5]]]),
    "W": np.array([[0.5, -0.3], [0.8, 0.2]]),
    "W_f": np.array([[0.2, 0.4], [-0.1, 0.3]]),
    "W_r": np.array([[-0.3, 0.1], [0.6, -0.2]]),
    "b_f": np.array([0.5, 0.0]),
    "b_r": np.array([0.0, -0.5]),
    "v_f": np.array([0.4, -0.6]),
    "v_r": np.array([-0.5, 0.3]),
}



def sru_params(rng: np.random.Generator, d_in: int, h: int) -> dict[str, np.ndarray]:
    p = {name: normal(rng, d_in, h) for name in ("W", "W_f", "W_r")}
    p.update({name: normal(rng, h) for name in ("b_f", "b_r", "v_f", "v_r")})
    if d_in != h:
        p["W_s"] = normal(rng, d_in, h)
    return p


def _describe(spec: dict) -> str:
    dims, c0 = dimensions(spec), initial_state(spec, "c0")
    proj = ", projection W_s" if spec["d_in"] != spec["h"] else ""
    return f"{dims}, {c0}, scale_highway={spec.get('scale', True)}{proj}"


def sru_forward_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0, W_s, scale_highway; expected H and C (T, B, h)."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        d_in, h = spec["d_in"], spec["h"]
        p = sru_params(rng, d_in, h)
        p.setdefault("W_s", None)
        X, c0 = sequence(rng, spec)
        scale = spec.get("scale", True)
        H, C = sru_forward(X, **p, c0=c0, scale_highway=scale)
        cases.append(Case(_describe(spec), {"X": X, **p, "c0": c0, "scale_highway": scale},
                          {"H": to_numpy(H), "C": to_numpy(C)}))
    return cases


GRAD_NAMES = ("X", "W", "W_f", "W_r", "b_f", "b_r", "v_f", "v_r", "c0")


def sru_backward_cases(seed: int, specs: list[dict]) -> list[Case]:
    """d_in == h (no projection). Inputs X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0, dH, alpha; expected the gradients of
    L = sum(dH * H) from torch.autograd through the reference sru_forward(..., scale_highway=alpha)."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        T, B, h = spec["T"], spec["B"], spec["h"]
        p = sru_params(rng, h, h)
        X, c0, dH = rng.normal(size=(T, B, h)), rng.normal(size=(B, h)), rng.normal(size=(T, B, h))
        alpha = float(spec.get("alpha", np.sqrt(1 + 2 * np.exp(rng.normal(0, 0.5)))))
        leaves = {name: torch.tensor(value, requires_grad=True) for name, value in {**p, "X": X, "c0": c0}.items()}
        H, _ = sru_forward(**leaves, scale_highway=alpha)
        (H * torch.from_numpy(dH)).sum().backward()
        desc = f"T={T}, B={B}, d_in=h={h}, alpha={alpha:.4g}"
        cases.append(Case(desc, {"X": X, **p, "c0": c0, "dH": dH, "alpha": alpha},
                          {name: to_numpy(leaves[name].grad) for name in GRAD_NAMES}))
    return cases


def _projections(rng: np.random.Generator, spec: dict) -> tuple[np.ndarray, np.ndarray, dict]:
    """Random projections P (T, B, 3, h) and highway input x_hw (T, B, h), as an SRU layer's product would give them,
    with the vectors b_f, b_r, v_f, v_r."""
    T, B, h = spec["T"], spec["B"], spec["h"]
    p = {name: normal(rng, h) for name in ("b_f", "b_r", "v_f", "v_r")}
    return rng.normal(size=(T, B, 3, h)), rng.normal(size=(T, B, h)), p


def _describe_recurrence(spec: dict) -> str:
    c0 = initial_state(spec, "c0")
    return f"T={spec['T']}, B={spec['B']}, h={spec['h']}, {c0}, scale_highway={spec.get('scale', True)}"


def sru_recurrence_cases(seed: int, specs: list[dict]) -> list[Case]:
    """spec keys T, B, h, initial, scale. Inputs P, x_hw, b_f, b_r, v_f, v_r, c0, scale_highway; expected H, C."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        P, x_hw, p = _projections(rng, spec)
        c0 = rng.normal(size=(spec["B"], spec["h"])) if spec.get("initial") else None
        scale = spec.get("scale", True)
        H, C = sru_recurrence(P, x_hw, **p, c0=c0, scale_highway=scale)
        cases.append(Case(_describe_recurrence(spec), {"P": P, "x_hw": x_hw, **p, "c0": c0, "scale_highway": scale},
                          {"H": to_numpy(H), "C": to_numpy(C)}))
    return cases


RECURRENCE_GRAD_NAMES = ("P", "x_hw", "b_f", "b_r", "v_f", "v_r", "c0")


def sru_recurrence_backward_cases(seed: int, specs: list[dict]) -> list[Case]:
    """spec keys T, B, h, alpha. Inputs P, x_hw, b_f, b_r, v_f, v_r, c0, dH, alpha; expected the gradients of
    L = sum(dH * H) from torch.autograd through the reference sru_recurrence, keys RECURRENCE_GRAD_NAMES."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        P, x_hw, p = _projections(rng, spec)
        c0, dH = rng.normal(size=(spec["B"], spec["h"])), rng.normal(size=(spec["T"], spec["B"], spec["h"]))
        alpha = float(spec.get("alpha", np.sqrt(1 + 2 * np.exp(rng.normal(0, 0.5)))))
        leaves = {name: torch.tensor(value, requires_grad=True) for name, value in
                  {"P": P, "x_hw": x_hw, **p, "c0": c0}.items()}
        H, _ = sru_recurrence(**leaves, scale_highway=alpha)
        (H * torch.from_numpy(dH)).sum().backward()
        desc = f"T={spec['T']}, B={spec['B']}, h={spec['h']}, alpha={alpha:.4g}"
        cases.append(Case(desc, {"P": P, "x_hw": x_hw, **p, "c0": c0, "dH": dH, "alpha": alpha},
                          {name: to_numpy(leaves[name].grad) for name in RECURRENCE_GRAD_NAMES}))
    return cases


def sru_projections_cases(seed: int, specs: list[dict]) -> list[Case]:
    """spec keys N (rows: T*B), d_in, k, h. Inputs X (N, d_in), W (d_in, k h) and dP (N, k h); expected P = X W (torch)
    and, for L = sum(dP * P), dX and dW from torch.autograd."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        N, d_in, kh = spec["N"], spec["d_in"], spec["k"] * spec["h"]
        X, W, dP = rng.normal(size=(N, d_in)), rng.normal(size=(d_in, kh)), rng.normal(size=(N, kh))
        Xt, Wt = torch.tensor(X, requires_grad=True), torch.tensor(W, requires_grad=True)
        P = Xt @ Wt
        (P * torch.from_numpy(dP)).sum().backward()
        desc = f"N={N} rows, d_in={d_in}, k={spec['k']}, h={spec['h']}"
        cases.append(Case(desc, {"X": X, "W": W, "dP": dP},
                          {"P": to_numpy(P), "X": to_numpy(Xt.grad), "W": to_numpy(Wt.grad)}))
    return cases


def _measured_flops(fn) -> int:
    from torch.utils.flop_counter import FlopCounterMode  # imported here: torch loads only when cases are made

    with FlopCounterMode(display=False) as counter:
        with torch.no_grad():
            fn()
    return int(counter.get_total_flops())


def measured_sru_flops(T: int, B: int, d_in: int, h: int) -> dict[str, int]:
    """Matrix-product FLOPs counted by torch while the reference SRU runs; element-wise FLOPs from the convention."""
    p = {k: (torch.zeros(*v.shape, dtype=torch.float64) if v is not None else None)
         for k, v in sru_params(np.random.default_rng(0), d_in, h).items()}
    parallel = _measured_flops(lambda: sru_forward(torch.zeros(T, B, d_in, dtype=torch.float64), **p))
    return {"parallel": parallel, "sequential": 0, "elementwise": ELEMENTWISE_PER_UNIT["sru"] * T * B * h}


def measured_lstm_flops(T: int, B: int, d_in: int, h: int) -> dict[str, int]:
    """An LSTM layer written as in the LSTM chapter: X W_x for all steps at once, then H_{t-1} W_h in the loop."""
    X, W_x = torch.zeros(T * B, d_in), torch.zeros(d_in, 4 * h)
    H, W_h = torch.zeros(B, h), torch.zeros(h, 4 * h)
    parallel = _measured_flops(lambda: X @ W_x)
    sequential = _measured_flops(lambda: [H @ W_h for _ in range(T)])
    return {"parallel": parallel, "sequential": sequential, "elementwise": ELEMENTWISE_PER_UNIT["lstm"] * T * B * h}


def cost_cases(specs: list[dict]) -> list[Case]:
    """Inputs T, B, d_in, h; expected {"sru": {...}, "lstm": {...}} with keys parallel, sequential, elementwise."""
    cases = []
    for spec in specs:
        dims = {k: spec[k] for k in ("T", "B", "d_in", "h")}
        desc = ", ".join(f"{k}={v}" for k, v in dims.items())
        cases.append(Case(desc, dims, {"sru": measured_sru_flops(**dims), "lstm": measured_lstm_flops(**dims)}))
    return cases
