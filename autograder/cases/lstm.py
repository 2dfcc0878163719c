"""Test cases for the LSTM chapter: random inputs in the course's layout, expected outputs from `torch.nn.LSTM`,
`torch.autograd` and the package's references.

Every gate gets its own random block (std 0.6, and a different mean per gate), so that loading the blocks in the
wrong order, swapping two activations or using one gate in place of another changes the numbers.
"""
from __future__ import annotations

import numpy as np

from autograder.cases.common import WEIGHT_STD, Case, dimensions, normal
from autograder.lazy import lazy_import
from autograder.references.lstm import (
    GATES,
    PARAM_KEYS,
    PEEPHOLE_KEYS,
    lstm_forward,
    lstm_grads_per_step,
    lstm_layers_from_torch,
    peephole_lstm_forward,
)
from autograder.tensors import to_numpy

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch

# Per-gate offsets of the biases: gates that differ on average as well as element by element.
_GATE_SHIFT = {"i": 0.3, "f": 0.8, "g": -0.2, "o": -0.5}

# The chapter's worked example: d_in = 2, h = 2, B = 1, T = 3; small round numbers, every gate different.
EXAMPLE = {
    "X": np.array([[[1.0, 0.0]], [[0.5, -1.0]], [[0.0, 1.0]]]),
    "params": {
        "W_xi": np.array([[0.5, -0.3], [0.2, 0.4]]),
        "W_hi": np.array([[0.1, 0.2], [-0.3, 0.1]]), "b_i": np.array([0.0, 0.1]),
        "W_xf": np.array([[-0.2, 0.6], [0.3, -0.5]]),
        "W_hf": np.array([[0.4, 0.0], [0.1, -0.2]]), "b_f": np.array([1.0, 1.0]),
        "W_xg": np.array([[0.9, -0.4], [-0.7, 0.8]]),
        "W_hg": np.array([[-0.5, 0.3], [0.2, 0.6]]), "b_g": np.array([0.1, -0.1]),
        "W_xo": np.array([[0.3, 0.7], [-0.6, 0.2]]),
        "W_ho": np.array([[0.2, -0.1], [0.5, 0.3]]), "b_o": np.array([-0.2, 0.2]),
    },
}


def lstm_params(rng: np.random.Generator, d_in: int, h: int) -> dict[str, np.ndarray]:
    p = {}
    for gate in GATES:
        p["W_x" + gate] = normal(rng, d_in, h)
        p["W_h" + gate] = normal(rng, h, h)
        p["b_" + gate] = normal(rng, h, mean=_GATE_SHIFT[gate])
    return {k: p[k] for k in PARAM_KEYS}


def peephole_params(rng, d_in, h):
    return {**lstm_params(rng, d_in, h), **{k: normal(rng, h) for k in PEEPHOLE_KEYS}}


def _describe(spec: dict, extra: str = "") -> str:
    dims = dimensions(spec)
    if "initial" in spec:
        dims += ", given H0 and C0" if spec["initial"] else ", H0=C0=None (zeros)"
    if spec.get("bidirectional"):
        dims += ", bidirectional"
    if spec.get("lengths") is not None:
        dims += f", mask with lengths {list(spec['lengths'])}"
    return dims + extra


def torch_lstm_from(layers: list[list[dict]], rng: np.random.Generator, dtype=None) -> torch.nn.LSTM:
    """A `torch.nn.LSTM` holding course-layout parameters (layers[l][d]); each bias is split at random over two."""
    d_in, h = layers[0][0]["W_xi"].shape
    lstm = torch.nn.LSTM(d_in, h, num_layers=len(layers), bidirectional=len(layers[0]) == 2,
                         dtype=torch.float64 if dtype is None else dtype)
    with torch.no_grad():
        for l, directions in enumerate(layers):
            for d, p in enumerate(directions):
                suffix = f"_l{l}" + ("_reverse" if d else "")
                b = np.concatenate([p["b_" + g] for g in GATES])
                split = normal(rng, 4 * h)
                for kind, name in (("W_x", "weight_ih"), ("W_h", "weight_hh")):
                    stacked = np.concatenate([p[kind + g].T for g in GATES])
                    getattr(lstm, name + suffix).copy_(torch.from_numpy(stacked))
                getattr(lstm, "bias_ih" + suffix).copy_(torch.from_numpy(b - split))
                getattr(lstm, "bias_hh" + suffix).copy_(torch.from_numpy(split))
    return lstm.eval()


def _mask(T, B, lengths):
    return (np.arange(T)[:, None] < np.asarray(lengths)[None, :]).astype(np.float64)


def lstm_step_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X_t, H_prev, C_prev, params; expected H and C after one step of `torch.nn.LSTM`."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        B, d_in, h = spec["B"], spec["d_in"], spec["h"]
        params = lstm_params(rng, d_in, h)
        X_t, H_prev, C_prev = rng.normal(size=(B, d_in)), rng.normal(size=(B, h)), 2 * rng.normal(size=(B, h))
        lstm = torch_lstm_from([[params]], rng)
        with torch.no_grad():
            state = (torch.from_numpy(H_prev)[None], torch.from_numpy(C_prev)[None])
            _, (H, C) = lstm(torch.from_numpy(X_t)[None], state)
        cases.append(Case(_describe(spec), {"X_t": X_t, "H_prev": H_prev, "C_prev": C_prev, "params": params},
                          {"H": to_numpy(H[0]), "C": to_numpy(C[0])}))
    return cases


def lstm_forward_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, params, H0, C0, mask; expected H, C (T, B, h) each.

    Without a mask the oracle is `torch.nn.LSTM`; with one (spec['lengths'] for right padding, or spec['mask'] as
    given) it is the reference, whose agreement with packed sequences tests/chapters/lstm/test_references.py checks.
    Padded inputs are random numbers, not zeros, so reading them shows.
    """
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        T, B, d_in, h = spec["T"], spec["B"], spec["d_in"], spec["h"]
        params = lstm_params(rng, d_in, h)
        X = rng.normal(size=(T, B, d_in))
        H0, C0 = (rng.normal(size=(B, h)), 2 * rng.normal(size=(B, h))) if spec.get("initial") else (None, None)
        mask = _mask(T, B, spec["lengths"]) if spec.get("lengths") is not None else spec.get("mask")
        if mask is None:
            lstm = torch_lstm_from([[params]], rng)
            with torch.no_grad():
                state = None if H0 is None else (torch.from_numpy(H0)[None], torch.from_numpy(C0)[None])
                H, _ = lstm(torch.from_numpy(X), state)
            _, C = lstm_forward(X, params, H0, C0)
        else:
            mask = np.asarray(mask, dtype=np.float64)
            H, C = lstm_forward(X, params, H0, C0, mask)
        mask_text = "" if spec.get("mask") is None else f", mask {np.asarray(spec['mask']).T.tolist()} (per sequence)"
        desc = _describe(spec, mask_text)
        cases.append(Case(desc, {"X": X, "params": params, "H0": H0, "C0": C0, "mask": mask},
                          {"H": to_numpy(H), "C": to_numpy(C)}))
    return cases


def _random_torch_lstm(spec: dict, seed: int) -> torch.nn.LSTM:
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(spec["d_in"], spec["h"], num_layers=spec.get("num_layers", 1), bias=spec.get("bias", True),
                         bidirectional=spec.get("bidirectional", False), dtype=spec.get("dtype", torch.float32))
    with torch.no_grad():
        for name, p in lstm.named_parameters():  # gate blocks that differ in scale and mean, not only by chance
            h = spec["h"]
            for k, gate in enumerate(GATES):
                p[k * h:(k + 1) * h].normal_(_GATE_SHIFT[gate] if name.startswith("bias") else 0.0, WEIGHT_STD)
    return lstm.eval()


def torch_lstm_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs lstm (a `torch.nn.LSTM`) and X; expected: `layers` (the course-layout parameters, float64, from the
    reference converter) and `output` = lstm(X) computed in float64.

    spec keys: d_in, h, T, B, and optionally num_layers, bidirectional, bias, dtype (default torch.float32).
    """
    cases = []
    for i, spec in enumerate(specs):
        lstm = _random_torch_lstm(spec, seed + i)
        X = torch.randn(spec["T"], spec["B"], spec["d_in"], dtype=torch.float64)
        twin = torch.nn.LSTM(lstm.input_size, lstm.hidden_size, num_layers=lstm.num_layers, bias=lstm.bias,
                             bidirectional=lstm.bidirectional, dtype=torch.float64).eval()
        twin.load_state_dict({k: v.double() for k, v in lstm.state_dict().items()})
        with torch.no_grad():
            out, _ = twin(X)
        layers = [[to_numpy(p) for p in directions] for directions in lstm_layers_from_torch(lstm)]
        desc = (_describe(spec) + f", bias={spec.get('bias', True)}, dtype={spec.get('dtype', torch.float32)}")
        cases.append(Case(desc, {"lstm": lstm, "X": X.numpy()}, {"layers": layers, "output": to_numpy(out)}))
    return cases


def stacked_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, layers (course layout, layers[l][d]), H0, C0 ((L*D, B, h) or None), mask ((T, B) or None);
    expected output, h_n, c_n from `torch.nn.LSTM` (through pack_padded_sequence when there is a mask)."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        T, B, d_in, h, L = spec["T"], spec["B"], spec["d_in"], spec["h"], spec["num_layers"]
        D = 2 if spec.get("bidirectional") else 1
        layers = [[lstm_params(rng, d_in if l == 0 else D * h, h) for _ in range(D)] for l in range(L)]
        X = rng.normal(size=(T, B, d_in))
        H0, C0 = None, None
        if spec.get("initial"):
            H0, C0 = rng.normal(size=(L * D, B, h)), 2 * rng.normal(size=(L * D, B, h))
        lstm = torch_lstm_from(layers, rng)
        states = None if H0 is None else (torch.from_numpy(H0), torch.from_numpy(C0))
        lengths = spec.get("lengths")
        with torch.no_grad():
            if lengths is None:
                out, (h_n, c_n) = lstm(torch.from_numpy(X), states)
                mask = None
            else:
                packed = torch.nn.utils.rnn.pack_padded_sequence(torch.from_numpy(X), torch.tensor(lengths),
                                                                 enforce_sorted=False)
                out, (h_n, c_n) = lstm(packed, states)
                out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=T)
                mask = _mask(T, B, lengths)
        cases.append(Case(_describe(spec), {"X": X, "layers": layers, "H0": H0, "C0": C0, "mask": mask},
                          {"output": to_numpy(out), "h_n": to_numpy(h_n), "c_n": to_numpy(c_n)}))
    return cases


def lstm_backward_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, params, H0, C0, dH (dL/dH_t from above for L = sum(H * dH)) and, with spec["masked"] ("end" or
    "start": where the padding goes), a mask (sequences of different lengths, at least one step each); expected:
    each parameter's gradient per step (shape (T, *param.shape)) and dL/dX, dL/dH0, dL/dC0, from torch.autograd."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        T, B, d_in, h = spec["T"], spec["B"], spec["d_in"], spec["h"]
        params = lstm_params(rng, d_in, h)
        X, dH = rng.normal(size=(T, B, d_in)), rng.normal(size=(T, B, h))
        if spec.get("last_only"):  # a loss on the final state only: every earlier gradient arrives through time
            dH[:-1] = 0.0
        H0, C0 = (rng.normal(size=(B, h)), 2 * rng.normal(size=(B, h))) if spec.get("initial") else (None, None)
        inputs = {"X": X, "params": params, "H0": H0, "C0": C0, "dH": dH}
        extra = ", loss on H_T only" if spec.get("last_only") else ""
        if spec.get("masked"):      # lengths from 1 to T, the longest first: padding after each sequence's end,
            lengths = np.sort(rng.integers(1, T + 1, size=B))[::-1]     # or before its start (as the reverse
            lengths[0] = T                                                # direction of a bidirectional LSTM reads)
            mask = (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)
            inputs["mask"] = mask[::-1].copy() if spec["masked"] == "start" else mask
            where = "before the start" if spec["masked"] == "start" else "after the end"
            extra += f", padded {where} (lengths {', '.join(map(str, lengths))})"
        grads = lstm_grads_per_step(X, params, H0, C0, dH, mask=inputs.get("mask"))
        cases.append(Case(_describe(spec, extra), inputs, to_numpy(grads)))
    return cases


def peephole_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, params (the twelve LSTM keys and w_ci, w_cf, w_co), H0, C0; expected H, C from the reference."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        T, B, d_in, h = spec["T"], spec["B"], spec["d_in"], spec["h"]
        params = peephole_params(rng, d_in, h)
        X = rng.normal(size=(T, B, d_in))
        H0, C0 = (rng.normal(size=(B, h)), 2 * rng.normal(size=(B, h))) if spec.get("initial") else (None, None)
        H, C = peephole_lstm_forward(X, params, H0, C0)
        cases.append(Case(_describe(spec), {"X": X, "params": params, "H0": H0, "C0": C0},
                          {"H": to_numpy(H), "C": to_numpy(C)}))
    return cases


__all__ = ["EXAMPLE", "lstm_params", "torch_lstm_from", "lstm_step_cases", "lstm_forward_cases",
           "torch_lstm_cases", "stacked_cases", "lstm_backward_cases", "peephole_cases"]
