"""Test cases for the GRU chapter: random inputs in the course's layout, expected outputs from `torch.nn.GRU`
(PyTorch's own, reset-after convention), the package's reference (the reset-before convention, which PyTorch has
no module for), `torch.autograd` (gradients) and `sum(p.numel())` of torch modules (parameter counts)."""
from __future__ import annotations

import numpy as np

from autograder.cases.common import WEIGHT_STD, Case, dimensions, initial_state, normal, sequence
from autograder.lazy import lazy_import
from autograder.references.gru import PARAM_KEYS, gru_forward, load_into_torch
from autograder.tensors import to_numpy

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch

# The worked example of the chapter (and the notebook's visible tests): d_in = 2, h = 2, T = 3, B = 1, H_0 = 0.
EXAMPLE = {
    "X": np.array([[[1.0, 0.0]], [[0.5, -1.0]], [[0.0, 1.0]]]),
    "params": {
        "W_xr": np.array([[0.5, -0.4], [0.3, 0.8]]), "W_hr": np.array([[0.6, -0.2], [0.1, 0.9]]),
        "W_xz": np.array([[-0.3, 0.7], [0.2, -0.5]]), "W_hz": np.array([[0.4, 0.3], [-0.7, 0.2]]),
        "W_xn": np.array([[0.9, -0.6], [-0.4, 0.5]]), "W_hn": np.array([[-0.8, 0.5], [0.6, 0.7]]),
        "b_r": np.array([0.1, -0.2]), "b_z": np.array([0.0, 0.3]),
        "b_xn": np.array([0.2, 0.0]), "b_hn": np.array([-0.5, 0.4]),
    },
}


def random_params(rng: np.random.Generator, d_in: int, h: int) -> dict[str, np.ndarray]:
    """The ten parameters, std 0.6 (gates and tanh leave their linear ranges); b_hn larger so that dropping it or
    moving it out of the reset product shows."""
    shapes = {"W_x": (d_in, h), "W_h": (h, h)}
    p = {k: normal(rng, *shapes[k[:3]]) for k in PARAM_KEYS if k.startswith("W")}
    p.update(b_r=normal(rng, h), b_z=normal(rng, h), b_xn=normal(rng, h), b_hn=normal(rng, h, std=1.0))
    return {k: p[k] for k in PARAM_KEYS}


def torch_gru_from(params: dict, rng: np.random.Generator) -> torch.nn.GRU:
    """A float64 `torch.nn.GRU` holding the parameters; b_r and b_z split at random over bias_ih and bias_hh."""
    d_in, h = params["W_xr"].shape
    gru = torch.nn.GRU(d_in, h, dtype=torch.float64)
    return load_into_torch(gru, params, split=normal(rng, 2 * h))


def _describe(spec: dict) -> str:
    dims = dimensions(spec)
    conv = "reset_after=True (PyTorch)" if spec.get("reset_after", True) else "reset_after=False (Cho et al.)"
    init = "" if "T" not in spec and "initial" not in spec else ", " + initial_state(spec, "H0")
    return f"{dims}{init}, {conv}"


def gru_step_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X_t, H_prev, params, reset_after; expected H (B, h): torch.nn.GRU for one step when reset_after,
    else the package's reference."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        B, d_in, h, after = spec["B"], spec["d_in"], spec["h"], spec.get("reset_after", True)
        params = random_params(rng, d_in, h)
        X_t, H_prev = rng.normal(size=(B, d_in)), rng.normal(size=(B, h))
        expected = _run(params, X_t[None], H_prev, after, rng)[0]
        cases.append(Case(_describe(spec), {"X_t": X_t, "H_prev": H_prev, "params": params, "reset_after": after},
                          {"H": expected}))
    return cases


def gru_forward_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, params, H0 (None unless spec['initial']), reset_after; expected H (T, B, h)."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        d_in, h, after = spec["d_in"], spec["h"], spec.get("reset_after", True)
        params = random_params(rng, d_in, h)
        X, H0 = sequence(rng, spec)
        expected = _run(params, X, H0, after, rng)
        cases.append(Case(_describe(spec), {"X": X, "params": params, "H0": H0, "reset_after": after},
                          {"H": expected}))
    return cases


def _run(params, X, H0, reset_after, rng) -> np.ndarray:
    if reset_after:   # PyTorch's own module is the oracle for its own convention
        gru = torch_gru_from(params, rng)
        with torch.no_grad():
            out, _ = gru(torch.from_numpy(X), None if H0 is None else torch.from_numpy(H0)[None])
        return to_numpy(out)
    return to_numpy(gru_forward(X, params, H0=H0, reset_after=False))


def torch_gru_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs gru (a fresh one-layer `torch.nn.GRU`, default initialisation, biases made larger so that a missing
    or misplaced one shows) and X; expected H = gru(X) computed in float64.

    spec keys: d_in, h, T, B, and optionally bias (default True) and dtype (default torch.float32)."""
    cases = []
    for i, spec in enumerate(specs):
        torch.manual_seed(seed + i)
        dtype = spec.get("dtype", torch.float32)
        gru = torch.nn.GRU(spec["d_in"], spec["h"], bias=spec.get("bias", True), dtype=dtype)
        with torch.no_grad():
            for name, p in gru.named_parameters():
                p.normal_(0.0, WEIGHT_STD if name.startswith("weight") else 1.0)
        X = torch.randn(spec["T"], spec["B"], spec["d_in"], dtype=torch.float64)
        twin = torch.nn.GRU(spec["d_in"], spec["h"], bias=spec.get("bias", True), dtype=torch.float64)
        twin.load_state_dict({k: v.double() for k, v in gru.state_dict().items()})
        with torch.no_grad():
            out, _ = twin(X)
        desc = f"d_in={spec['d_in']}, h={spec['h']}, T={spec['T']}, B={spec['B']}, bias={spec.get('bias', True)}, " \
               f"dtype={dtype}"
        cases.append(Case(desc, {"gru": gru, "X": X.numpy()}, {"H": to_numpy(out)}))
    return cases


def gru_backward_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, params, dH (T, B, h), H0 (None unless spec['initial']); the loss is L = sum(dH * H) with H the
    reset-after forward pass. Expected: torch.autograd's gradients of L, keys "X", "H0" and the ten parameters."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        T, B, d_in, h = spec["T"], spec["B"], spec["d_in"], spec["h"]
        params = random_params(rng, d_in, h)
        X, H0 = sequence(rng, spec)
        dH = rng.normal(size=(T, B, h))
        leaves = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        X_t = torch.tensor(X, requires_grad=True)
        H0_t = torch.tensor(np.zeros((B, h)) if H0 is None else H0, requires_grad=True)
        # Cross-checked: the reference forward equals torch.nn.GRU (tests/chapters/gru/test_references.py).
        H = gru_forward(X_t, leaves, H0=H0_t, reset_after=True)
        (H * torch.from_numpy(dH)).sum().backward()
        expected = {"X": to_numpy(X_t.grad), "H0": to_numpy(H0_t.grad)}
        expected.update({k: to_numpy(v.grad) for k, v in leaves.items()})
        cases.append(Case(_describe({**spec, "reset_after": True}), {"X": X, "params": params, "dH": dH, "H0": H0},
                          expected))
    return cases


def count_cases(specs: list[dict]) -> list[Case]:
    """Inputs kind ("rnn", "gru", "lstm"), d_in, h, num_layers, bias, bidirectional; expected "count": the sum of
    p.numel() over the parameters of the corresponding torch.nn module."""
    modules = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}
    cases = []
    for spec in specs:
        kw = {"num_layers": spec.get("num_layers", 1), "bias": spec.get("bias", True),
              "bidirectional": spec.get("bidirectional", False)}
        module = modules[spec["kind"]](spec["d_in"], spec["h"], **kw)
        count = sum(p.numel() for p in module.parameters())
        inputs = {"kind": spec["kind"], "d_in": spec["d_in"], "h": spec["h"], **kw}
        desc = ", ".join(f"{k}={v!r}" for k, v in inputs.items())
        cases.append(Case(desc, inputs, {"count": count}))
    return cases
