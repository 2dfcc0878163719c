"""Test cases for the SRU exercises: random inputs in the course's layout, expected values from the SRU reference
(itself cross-checked against the `sru` package in tests/chapters/sru/test_references.py), torch.autograd, and
FLOPs counted by torch.utils.flop_counter on real PyTorch computations.

spec keys: T, B, d_in, h; `initial` (a given c0); `scale` (scale_highway: True, False or a number).
"""
from __future__ import annotations

import numpy as np

from autograder.cases.common import Case, dimensions, initial_state, normal, sequence
from autograder.lazy import lazy_import
from autograder.notation import ELEMENTWISE_PER_UNIT
from autograder.references.sru import sru_forward
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


class ProductCounter(np.ndarray):
    """An ndarray that counts the matrix products it, or any array computed from it, takes part in.

    Every result of an operation on a ProductCounter is one too, so products of derived arrays (a gradient times a
    weight) are counted as well. `@`, np.matmul, np.dot, np.einsum, np.tensordot and np.inner are counted; an
    implementation may count one product twice (einsum calling tensordot), which does not depend on T.
    """
    products = 0
    COUNTED = {np.dot, np.einsum, np.tensordot, np.inner, np.vdot, np.matmul}

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc is np.matmul:
            ProductCounter.products += 1
        plain = tuple(x.view(np.ndarray) if isinstance(x, ProductCounter) else x for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, ProductCounter) else o for o in kwargs["out"])
        return _counting(getattr(ufunc, method)(*plain, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        if func in ProductCounter.COUNTED:
            ProductCounter.products += 1
        return _counting(super().__array_function__(func, types, args, kwargs))


def _counting(result):
    if isinstance(result, tuple):
        return tuple(_counting(r) for r in result)
    if isinstance(result, np.ndarray) and not isinstance(result, ProductCounter):
        return result.view(ProductCounter)
    return result


def count_products(fn, inputs: dict, watched=("X", "W", "W_f", "W_r", "W_s")) -> int:
    """The number of matrix products `fn(**inputs)` takes with the watched arrays or anything computed from them."""
    args = {k: v.view(ProductCounter) if k in watched and isinstance(v, np.ndarray) else v for k, v in inputs.items()}
    ProductCounter.products = 0
    fn(**args)
    return ProductCounter.products


def _structure_inputs(kind: str, T: int, projection: bool) -> dict:
    rng = np.random.default_rng(7)
    d_in, h = (4, 3) if projection else (3, 3)
    p = sru_params(rng, d_in, h)
    X = rng.normal(size=(T, 2, d_in))
    if kind == "forward":
        return {"X": X, **p, "c0": rng.normal(size=(2, h)), "W_s": p.get("W_s"), "scale_highway": True}
    return {"X": X, **p, "c0": rng.normal(size=(2, h)), "dH": rng.normal(size=(T, 2, h)), "alpha": 1.5}


def check_products_before_the_loop(fn, kind: str = "forward", projection: bool = False) -> None:
    """Fail, with a message that teaches, when `fn` (the learner's sru_forward or sru_backward) takes matrix products
    inside its time loop: the number of products it takes must not grow with the sequence length T."""
    counts = {T: count_products(fn, _structure_inputs(kind, T, projection)) for T in (2, 7)}
    if counts[7] <= counts[2]:
        return
    if kind == "forward":
        where = ("a product of the inputs is taken at every step (for example X[t] @ W_f inside the loop). The "
                 "chapter's forward pass computes X @ [W, W_f, W_r" + (", W_s" if projection else "") + "] for all T "
                 "steps at once, before the loop, and uses only element-wise operations inside it")
    else:
        where = ("a product is taken at every step (for example X[t].T @ dF[t] accumulated in the loop, or "
                 "dF[t] @ W_f.T). The chapter's backward pass collects the gradients of the pre-activations of all "
                 "steps in the loop, which is element-wise, and takes each weight's gradient and dL/dX as one product "
                 "over all T*B rows after it (the count includes the functions it calls: if it calls your "
                 "sru_forward, make that pass its own check first)")
    sizes = "d_in != h" if projection else "d_in == h"
    raise AssertionError(f"sru_{kind} takes {counts[2]} matrix products for T = 2 steps and {counts[7]} for T = 7 "
                         f"({sizes}): the number grows with the sequence length, so {where}.")


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
