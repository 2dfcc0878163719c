"""Test cases for the scan exercises: random linear recurrences, minGRU and minLSTM layers in the course's layout,
expected values from the sequential float64 references (autograder.references.scan), torch.autograd and torch.nn's
own parameter counts.

spec keys: T, B, h (and d_in for the layers); `initial` (a given H0).
"""
from __future__ import annotations

import numpy as np

from autograder.cases.common import Case, dimensions, initial_state, normal
from autograder.checks import CheckFailure, check_close
from autograder.lazy import lazy_import
from autograder.references.scan import (
    MIN_GATES,
    combine,
    count_params,
    linear_recurrence,
    log_space_scan,
    mingru_forward,
    minlstm_forward,
)
from autograder.tensors import to_numpy

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch

# The chapter's worked example: a recurrence of T = 5 steps (not a power of two), B = 1, h = 2, from a non-zero
# H0; and the weights of a minGRU and a minLSTM with d_in = h = 2 that read the inputs X. Page and visible tests.
EXAMPLE = {
    "a": np.array([[[0.5, 0.9]], [[0.8, 0.2]], [[0.1, 0.7]], [[0.6, 0.5]], [[0.9, 0.3]]]),
    "b": np.array([[[1.0, -0.5]], [[0.2, 0.4]], [[-0.3, 1.0]], [[0.5, 0.0]], [[0.1, -0.2]]]),
    "H0": np.array([[2.0, -1.0]]),
    "X": np.array([[[1.0, 0.0]], [[0.5, -1.0]], [[-0.5, 0.5]], [[0.0, 1.0]], [[1.0, 1.0]]]),
    "mingru": {"W_xz": np.array([[0.5, -0.3], [0.8, 0.2]]), "b_z": np.array([0.1, -0.2]),
               "W_xn": np.array([[0.2, 0.4], [-0.6, 0.3]]), "b_n": np.array([0.0, 0.5])},
    "minlstm": {"W_xf": np.array([[0.5, -0.3], [0.8, 0.2]]), "b_f": np.array([1.0, 0.5]),
                "W_xi": np.array([[-0.3, 0.1], [0.6, -0.2]]), "b_i": np.array([0.0, -0.5]),
                "W_xn": np.array([[0.2, 0.4], [-0.6, 0.3]]), "b_n": np.array([0.0, 0.5])},
}


def _gates(rng: np.random.Generator, T: int, B: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients a in (0, 1) (gates), offsets b ~ N(0, 1)."""
    a = 1 / (1 + np.exp(-rng.normal(0, 1.5, size=(T, B, h))))
    return a, rng.normal(size=(T, B, h))


def _describe(spec: dict, name: str = "H0") -> str:
    return f"{dimensions(spec)}, {initial_state(spec, name)}"


def combine_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs a1, b1, a2, b2 (B, h); expected (a, b) of 'first (a1, b1), then (a2, b2)'."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        shape = (spec["B"], spec["h"])
        a1, a2 = rng.uniform(-1.5, 1.5, size=shape), rng.uniform(-1.5, 1.5, size=shape)
        b1, b2 = rng.normal(size=shape), rng.normal(size=shape)
        a, b = combine(*(torch.from_numpy(x) for x in (a1, b1, a2, b2)))
        cases.append(Case(dimensions(spec), {"a1": a1, "b1": b1, "a2": a2, "b2": b2},
                          {"a": to_numpy(a), "b": to_numpy(b)}))
    return cases


def scan_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs a, b (T, B, h), H0 (B, h) or None; expected H (T, B, h) from the sequential loop."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        a, b = _gates(rng, spec["T"], spec["B"], spec["h"])
        if spec.get("signed"):
            a = a * rng.choice([-1.0, 1.0], size=a.shape) * 1.2     # any real coefficients, not only gates
        H0 = rng.normal(size=(spec["B"], spec["h"])) if spec.get("initial") else None
        cases.append(Case(_describe(spec), {"a": a, "b": b, "H0": H0},
                          {"H": to_numpy(linear_recurrence(a, b, H0))}))
    return cases


def log_scan_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs log_a, log_b (T, B, h), log_H0 (B, h) or None; expected log H from the reference log-space scan,
    checked against the sequential loop in the tests. spec `small`: gates near 0.01 (products of a few hundred
    of them underflow float64); `tiny`: offsets and H0 near e^-800, states no float64 can hold."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        T, B, h = spec["T"], spec["B"], spec["h"]
        if spec.get("small"):
            log_a = np.log(rng.uniform(0.005, 0.02, size=(T, B, h)))
        else:
            log_a = -np.logaddexp(0, -rng.normal(0, 1.5, size=(T, B, h)))      # log sigmoid
        shift = -800.0 if spec.get("tiny") else 0.0      # e^-800: below the smallest float64 (about e^-745)
        log_b = rng.normal(shift - 1.0, 1.0, size=(T, B, h))
        log_H0 = rng.normal(shift, 1.0, size=(B, h)) if spec.get("initial") else None
        expected = to_numpy(log_space_scan(log_a, log_b, log_H0))
        desc = _describe(spec, "log_H0") + (", gates about 0.01 (their products underflow)" if spec.get("small")
                                            else ", states about e^-800 (below float64)" if spec.get("tiny") else "")
        cases.append(Case(desc, {"log_a": log_a, "log_b": log_b, "log_H0": log_H0}, {"log_H": expected}))
    return cases


def min_params(rng: np.random.Generator, kind: str, d_in: int, h: int) -> dict[str, np.ndarray]:
    p = {}
    for gate in MIN_GATES[kind]:
        p[f"W_x{gate}"], p[f"b_{gate}"] = normal(rng, d_in, h), normal(rng, h)
    return p


def min_forward_cases(seed: int, kind: str, specs: list[dict]) -> list[Case]:
    """kind 'mingru' or 'minlstm'. Inputs X (T, B, d_in), params, H0; expected H (T, B, h) from the loop."""
    forward = {"mingru": mingru_forward, "minlstm": minlstm_forward}[kind]
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        p = min_params(rng, kind, spec["d_in"], spec["h"])
        X = rng.normal(size=(spec["T"], spec["B"], spec["d_in"]))
        H0 = rng.normal(size=(spec["B"], spec["h"])) if spec.get("initial") else None
        cases.append(Case(_describe(spec), {"X": X, "params": p, "H0": H0}, {"H": to_numpy(forward(X, p, H0))}))
    return cases


MINGRU_GRAD_NAMES = ("X", "W_xz", "b_z", "W_xn", "b_n", "H0")


def mingru_backward_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs X, params, H0 (always given), dH; expected the gradients of L = sum(dH * H) from torch.autograd
    through the sequential reference."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        T, B, d_in, h = spec["T"], spec["B"], spec["d_in"], spec["h"]
        p = min_params(rng, "mingru", d_in, h)
        X, H0, dH = rng.normal(size=(T, B, d_in)), rng.normal(size=(B, h)), rng.normal(size=(T, B, h))
        leaves = {name: torch.tensor(value, requires_grad=True) for name, value in {**p, "X": X, "H0": H0}.items()}
        H = mingru_forward(leaves["X"], {k: leaves[k] for k in p}, leaves["H0"])
        (H * torch.from_numpy(dH)).sum().backward()
        cases.append(Case(f"{dimensions(spec)}, given H0", {"X": X, "params": p, "H0": H0, "dH": dH},
                          {name: to_numpy(leaves[name].grad) for name in MINGRU_GRAD_NAMES}))
    return cases


def _torch_count(kind: str, d_in: int, h: int) -> int:
    """Parameters counted by torch: nn.GRU / nn.LSTM, or the minimal cells built of one nn.Linear per gate."""
    if kind in ("gru", "lstm"):
        module = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind](d_in, h)
    else:
        module = torch.nn.ModuleList(torch.nn.Linear(d_in, h) for _ in MIN_GATES[kind])
    return sum(p.numel() for p in module.parameters())


def count_cases(specs: list[dict]) -> list[Case]:
    """Inputs kind, d_in, h; expected the count torch's modules report (and the reference's, which must agree)."""
    cases = []
    for spec in specs:
        counted = _torch_count(spec["kind"], spec["d_in"], spec["h"])
        assert counted == count_params(spec["kind"], spec["d_in"], spec["h"]), spec
        cases.append(Case(f"{spec['kind']}, d_in={spec['d_in']}, h={spec['h']}",
                          {"kind": spec["kind"], "d_in": spec["d_in"], "h": spec["h"]}, {"count": counted}))
    return cases


class Counted:
    """A function a test hands to a learner's function, counting its calls. When the notebook is graded the learner's
    code runs in another process and calls it back over the grader's pipe (autograder/grading/wire.py), so the count
    is kept in the grader, out of the learner's code's reach: the exercises are graded by their structure (which
    function they call, how often), not by anything measured in the learner's process."""

    def __init__(self, fn, name: str):
        self.fn, self.__name__, self.calls = fn, name, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


def _scan(a, b, H0=None):
    """Every state of h_t = a_t h_(t-1) + b_t by the sequential loop, in NumPy (what the tests hand over)."""
    h = np.zeros_like(b[0]) if H0 is None else np.asarray(H0, dtype=np.float64)
    H = np.empty_like(b)
    for t in range(len(b)):
        h = a[t] * h + b[t]
        H[t] = h
    return H


def rounds(T: int) -> int:
    """ceil(log2 T): the rounds of a Hillis-Steele scan over T steps."""
    return max(T - 1, 0).bit_length()


def _depth_inputs(kind: str, T: int) -> dict:
    rng = np.random.default_rng(11)
    B, h, d_in = 2, 3, 2
    a, b = _gates(rng, T, B, h)
    H0 = rng.normal(size=(B, h))
    if kind == "scan":
        return {"a": a, "b": b, "H0": H0}
    X = rng.normal(size=(T, B, d_in))
    if kind == "mingru_backward":
        return {"X": X, "params": min_params(rng, "mingru", d_in, h), "H0": H0, "dH": rng.normal(size=(T, B, h))}
    return {"X": X, "params": min_params(rng, kind.replace("_forward", ""), d_in, h), "H0": H0}


def check_rounds(linear_scan, lengths=(16, 100)) -> None:
    """The learner's linear_scan, handed a counting `combine`, must call it in rounds over whole arrays: at least
    once, and at most 2 ceil(log2 T) + 1 times (Hillis-Steele takes ceil(log2 T) rounds, Blelloch's two sweeps about
    twice that); a loop over the time steps calls it T - 1 times, or not at all."""
    rng = np.random.default_rng(11)
    for T in lengths:
        a, b = _gates(rng, T, 2, 3)
        counting = Counted(combine, "combine")   # the reference's combine (NumPy arrays work)
        H = linear_scan(a, b, None, combine=counting)
        most = 2 * rounds(T) + 1
        if counting.calls == 0:
            raise CheckFailure(
                f"linear_scan never called the combine it was given (T = {T}).\nCombine the maps with the function "
                "passed as `combine` (the tests hand over their own and count the rounds), in rounds over whole "
                "arrays: step 1, 2, 4, ...")
        if counting.calls > most:
            raise CheckFailure(
                f"linear_scan called combine {counting.calls} times for T = {T}: that is a loop over time.\nA scan "
                f"combines whole arrays in ceil(log2 T) = {rounds(T)} rounds (Blelloch's two sweeps: about twice "
                f"that, at most {most} calls here): combine a[s:] with a[:-s] for s = 1, 2, 4, ..., not step by step.")
        check_close(H, _scan(a, b), "H (with the combine the test hands over)", time_axis=0,
                    context=f"T = {T}, B = 2, h = 3, H0 = None")


# How often each layer function may call the scan it is given: once for the states (the backward pass: once more,
# in reverse, for the gradients).
SCAN_CALLS = {"mingru_forward": (1, 1), "minlstm_forward": (1, 1), "mingru_backward": (2, 2)}


def check_uses_scan(fn, kind: str) -> None:
    """The learner's minGRU/minLSTM function, handed a counting `scan`, must compute its recurrences with it: a loop
    over time calls it never (or once per step)."""
    T = 16
    scan = Counted(_scan, "scan")
    fn(**_depth_inputs(kind, T), scan=scan)
    least, most = SCAN_CALLS[kind]
    if least <= scan.calls <= most:
        return
    what = ("the states H, and once more, backwards in time, the gradients G" if kind == "mingru_backward" else
            "every state at once")
    expected = f"{least} time{'s' if least > 1 else ''}"
    raise CheckFailure(
        f"{kind} called the scan it was given {scan.calls} time{'' if scan.calls == 1 else 's'} for T = {T}, not "
        f"{expected}.\nCompute {what} with the function passed as `scan` (the tests hand over their own and count "
        "the calls): a loop over the time steps is the sequential recurrence the scan replaces.")
