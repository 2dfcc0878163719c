"""Chapter 1's worked example and test cases: random inputs in the course's layout, expected outputs from PyTorch.

A hidden test picks the shapes and seeds; this module draws the numbers and asks the oracle (a `torch.nn` module
where PyTorch has one, else the package's reference). Each `Case` carries a description that check messages quote,
so a learner reads which case failed (e.g. "T=1, B=1, d_in=3, h=3, given H0").

Weights are drawn large enough (std 0.6) to push tanh out of its linear range, so that a wrong activation, a
missing bias or a transposed matrix cannot pass by accident.
"""
from __future__ import annotations

import numpy as np

from autograder.cases.common import Case, dimensions, initial_state, normal, sequence
from autograder.lazy import lazy_import
from autograder.references.elman_jordan import jordan_forward
from autograder.tensors import to_numpy

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch

# The chapter's worked example, in one place: the book's table and the notebook's visible tests both use it.
# 2 inputs, 2 hidden units, 1 output, tanh, 3 time steps, batch of 1: small round numbers, so that the first step
# can be done by hand.
EXAMPLE = {
    "X": np.array([[[1.0, 0.0]], [[0.5, -1.0]], [[0.0, 1.0]]]),   # (T=3, B=1, d_in=2)
    "W_xh": np.array([[0.5, -0.3], [0.8, 0.2]]),                 # (d_in=2, h=2)
    "W_hh": np.array([[0.1, 0.4], [-0.6, 0.3]]),                 # (h=2, h=2)
    "b_h": np.array([0.0, 0.1]),                                 # (h=2,)
    "W_hq": np.array([[1.0], [-1.0]]),                           # (h=2, q=1)
    "b_q": np.array([0.2]),                                      # (q=1,)
}


def _describe(spec: dict, initial: str) -> str:
    return f"{dimensions(spec)}, {initial_state(spec, initial)}"


def _elman_params(rng: np.random.Generator, d_in: int, h: int) -> dict[str, np.ndarray]:
    return {"W_xh": normal(rng, d_in, h), "W_hh": normal(rng, h, h), "b_h": normal(rng, h)}


def torch_rnn_from(params: dict[str, np.ndarray], rng: np.random.Generator, dtype=None) -> torch.nn.RNN:
    """A `torch.nn.RNN` holding the course-layout parameters; b_h is split at random over its two biases."""
    d_in, h = params["W_xh"].shape
    rnn = torch.nn.RNN(d_in, h, nonlinearity="tanh", dtype=torch.float64 if dtype is None else dtype)
    split = normal(rng, h)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(params["W_xh"].T.copy()))
        rnn.weight_hh_l0.copy_(torch.from_numpy(params["W_hh"].T.copy()))
        rnn.bias_ih_l0.copy_(torch.from_numpy(params["b_h"] - split))
        rnn.bias_hh_l0.copy_(torch.from_numpy(split))
    return rnn


def elman_step_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X_t, H_prev, W_xh, W_hh, b_h; expected H (one step), from `torch.nn.RNN` run for one step."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        B, d_in, h = spec["B"], spec["d_in"], spec["h"]
        params = _elman_params(rng, d_in, h)
        X_t, H_prev = rng.normal(size=(B, d_in)), rng.normal(size=(B, h))
        rnn = torch_rnn_from(params, rng)
        with torch.no_grad():
            out, _ = rnn(torch.from_numpy(X_t)[None], torch.from_numpy(H_prev)[None])
        desc = f"B={B}, d_in={d_in}, h={h}"
        cases.append(Case(desc, {"X_t": X_t, "H_prev": H_prev, **params}, {"H": to_numpy(out[0])}))
    return cases


def elman_forward_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, W_xh, W_hh, b_h, H0 (None unless spec['initial']); expected H (T, B, h) from `torch.nn.RNN`."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        d_in, h = spec["d_in"], spec["h"]
        params = _elman_params(rng, d_in, h)
        X, H0 = sequence(rng, spec)
        rnn = torch_rnn_from(params, rng)
        with torch.no_grad():
            out, _ = rnn(torch.from_numpy(X), None if H0 is None else torch.from_numpy(H0)[None])
        cases.append(Case(_describe(spec, "H0"), {"X": X, **params, "H0": H0}, {"H": to_numpy(out)}))
    return cases


def jordan_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, W_xh, W_qh, b_h, W_hq, b_q, O0; expected H and O from the package's Jordan reference."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        d_in, h, q = spec["d_in"], spec["h"], spec["q"]
        params = {"W_xh": normal(rng, d_in, h), "W_qh": normal(rng, q, h), "b_h": normal(rng, h),
                  "W_hq": normal(rng, h, q), "b_q": normal(rng, q)}
        X, O0 = sequence(rng, spec, state_size=q)
        H, O = jordan_forward(X, **params, O0=O0)
        cases.append(Case(_describe(spec, "O0"), {"X": X, **params, "O0": O0}, {"H": to_numpy(H), "O": to_numpy(O)}))
    return cases


def torch_rnn_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs rnn (a fresh `torch.nn.RNN`, default initialisation) and X; expected H = rnn(X) in float64.

    spec keys: d_in, h, T, B, and optionally bias (default True) and dtype (default torch.float32).
    """
    cases = []
    for i, spec in enumerate(specs):
        torch.manual_seed(seed + i)
        dtype = spec.get("dtype", torch.float32)
        rnn = torch.nn.RNN(spec["d_in"], spec["h"], bias=spec.get("bias", True), dtype=dtype)
        X = torch.randn(spec["T"], spec["B"], spec["d_in"], dtype=torch.float64)
        with torch.no_grad():
            out, _ = rnn.double()(X) if dtype == torch.float64 else _run_in_float64(rnn, X)
        desc = f"d_in={spec['d_in']}, h={spec['h']}, bias={spec.get('bias', True)}, dtype={dtype}"
        cases.append(Case(desc, {"rnn": rnn, "X": X.numpy()}, {"H": to_numpy(out)}))
    return cases


def _run_in_float64(rnn: torch.nn.RNN, X: torch.Tensor):
    """Run a float32 module in float64 on a copy, so expected values carry no float32 rounding."""
    twin = torch.nn.RNN(rnn.input_size, rnn.hidden_size, bias=rnn.bias, dtype=torch.float64)
    twin.load_state_dict({k: v.double() for k, v in rnn.state_dict().items()})
    return twin(X)
