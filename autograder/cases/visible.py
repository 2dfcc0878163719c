"""The visible tests' inputs and expected values, computed by the references (PyTorch, float64) and written out.

A learner's environment has no torch, so a visible test cannot ask a reference; it reads the values this module
computed, from `autograder/cases/visible_values.py` (generated, NumPy only). Regenerate after changing a worked
example or a visible test's inputs:

    PYTHONPATH=$PWD .venv/bin/python -m autograder.cases.visible          # rewrites visible_values.py
    PYTHONPATH=$PWD .venv/bin/python -m autograder.cases.visible --check  # fails when the file is out of date

tests/learner/test_messages.py runs the check (with a tolerance: see stale_values). Each chapter's inputs start
from a non-zero state where a state is involved, so that the recurrent terms are exercised.
"""
from __future__ import annotations

import argparse
import pprint
import sys
from pathlib import Path

import numpy as np

from autograder.lazy import lazy_import

torch = lazy_import("torch")

TARGET = Path(__file__).with_name("visible_values.py")

# Inputs that the visible tests share with this generator (plain numbers: they are written out as they are).
H0 = [[0.5, -0.5]]            # a non-zero initial state for the worked examples (B=1, h=2)
C0 = [[1.0, -1.0]]            # and a non-zero initial cell state (LSTM)


def _np(value):
    """Tensors, arrays and numbers as NumPy float64 arrays (nested dicts/lists kept)."""
    if isinstance(value, dict):
        return {k: _np(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (dict, list, tuple)) \
            and not isinstance(value[0], (int, float)) and not _is_numeric_nested(value):
        return [_np(v) for v in value]
    if hasattr(value, "detach"):
        value = value.detach().numpy()
    return np.asarray(value, dtype=np.float64)


def _is_numeric_nested(value) -> bool:
    try:
        np.asarray(value, dtype=np.float64)
        return True
    except (TypeError, ValueError):
        return False


def _module(cls, sizes: tuple, weights: dict) -> torch.nn.Module:
    """A torch.nn.RNN/LSTM/GRU of these sizes whose tensors are set to `weights` (every tensor, so no seed matters)."""
    module = cls(*sizes)
    with torch.no_grad():
        for name, value in weights.items():
            getattr(module, name).copy_(torch.tensor(value, dtype=module.weight_ih_l0.dtype))
    return module


def elman_jordan() -> dict:
    from autograder.cases.elman_jordan import EXAMPLE as EX
    from autograder.references.elman_jordan import elman_forward, elman_params_from_torch, jordan_forward
    W_qh = [[0.7, -0.5]]
    rnn_weights = {"weight_ih_l0": [[1.0], [2.0]], "weight_hh_l0": [[0.3, 0.4], [0.5, 0.6]],
                   "bias_ih_l0": [0.1, 0.2], "bias_hh_l0": [1.0, 2.0]}
    p = {k: EX[k] for k in ("W_xh", "W_hh", "b_h")}
    H_jordan, O_jordan = jordan_forward(EX["X"], EX["W_xh"], np.array(W_qh), EX["b_h"], EX["W_hq"], EX["b_q"])
    return {
        "H0": H0, "W_qh": W_qh, "rnn_weights": rnn_weights,
        "H": elman_forward(EX["X"], **p),                            # (3, 1, 2): H[0] = H_1, H[1] = H_2
        "H_from_H0": elman_forward(EX["X"], **p, H0=np.array(H0)),
        "W_concat": np.concatenate([EX["W_xh"], EX["W_hh"]], axis=0),
        "jordan_H": H_jordan, "jordan_O": O_jordan,
        "rnn_params": elman_params_from_torch(_module(torch.nn.RNN, (1, 2), rnn_weights)),
    }


def bptt() -> dict:
    from autograder.cases.bptt import EXAMPLE as EX
    from autograder.references.bptt import (
        birnn_forward,
        bptt_gradients,
        hidden_gradient_norms,
        rtrl_gradients,
        step_backward,
    )
    from autograder.references.elman_jordan import elman_forward
    net = {k: EX[k] for k in ("W_xh", "W_hh", "b_h", "W_hq", "b_q")}
    H = elman_forward(EX["X"], EX["W_xh"], EX["W_hh"], EX["b_h"])
    step = step_backward(np.ones((1, 2)), EX["X"][1], H[0], EX["W_xh"], EX["W_hh"], EX["b_h"])
    grads = bptt_gradients(EX["X"], EX["Y"], **net)
    grads_H0 = bptt_gradients(EX["X"], EX["Y"], **net, H0=np.array(H0))
    rtrl = rtrl_gradients(EX["X"], EX["Y"], **net)
    one = lambda w_x, w_h, b: {"W_xh": w_x, "W_hh": [[w_h]], "b_h": [b]}
    birnn_layers = [{"forward": one([[0.5]], -0.8, 0.1), "backward": one([[1.0]], 0.6, -0.2)},
                    {"forward": one([[0.3], [-0.4]], 0.9, 0.0), "backward": one([[-0.7], [0.2]], 0.5, 0.3)}]
    birnn_X = [[[1.0]], [[-2.0]]]
    output, h_n = birnn_forward(np.array(birnn_X), [{d: _np(p) for d, p in layer.items()} for layer in birnn_layers])
    checker_x = [[1.0, 2.0], [-0.5, 0.25]]     # handed over in float32 by the visible test
    xt = torch.tensor(checker_x, dtype=torch.float32).double().requires_grad_(True)
    (xt ** 3).sum().backward()
    clip = {}
    for name, grads_in, limit in [("large", [[3.0, 4.0], [[12.0]]], 1.0),
                                  ("small", [[3e-4, 4e-4], [[1.2e-3]]], 1e-4),   # PyTorch's + 1e-6 shows here
                                  ("below", [[3.0, 4.0], [[12.0]]], 100.0)]:
        leaves = [torch.zeros(np.shape(g), dtype=torch.float64, requires_grad=True) for g in grads_in]
        for leaf, g in zip(leaves, grads_in):
            leaf.grad = torch.tensor(g, dtype=torch.float64)
        norm = torch.nn.utils.clip_grad_norm_(leaves, limit)
        clip[name] = {"grads": [np.array(g, dtype=np.float64) for g in grads_in], "limit": limit, "norm": norm,
                      "clipped": [leaf.grad.clone() for leaf in leaves]}
        for leaf, g in zip(leaves, grads_in):
            leaf.grad = torch.tensor(g, dtype=torch.float64)
        torch.nn.utils.clip_grad_value_(leaves, 3.5)
        clip[name]["by_value_3.5"] = [leaf.grad.clone() for leaf in leaves]
    return {
        "H0": H0,
        "step": {k: step[k] for k in ("X_t", "H_prev", "W_xh", "W_hh", "b_h")},
        "bptt": {k: grads[k] for k in ("W_xh", "W_hh", "b_h", "W_hq", "b_q", "X", "H0")},
        "bptt_from_H0": {k: grads_H0[k] for k in ("W_xh", "W_hh", "b_h", "W_hq", "b_q", "X", "H0")},
        "rtrl": {"W_xh": rtrl["W_xh"], "W_hh": rtrl["W_hh"], "b_h": rtrl["b_h"], "S_W_hh": rtrl["S_W_hh"]},
        "norms": hidden_gradient_norms(EX["X"], EX["W_xh"], EX["W_hh"], EX["b_h"], np.array([[1.0, 0.0]])),
        "checker_x": checker_x, "checker_grad": xt.grad,
        "clip": clip,
        "birnn_layers": birnn_layers, "birnn_X": birnn_X, "birnn_output": output, "birnn_h_n": h_n,
    }


def lstm() -> dict:
    from autograder.cases.lstm import EXAMPLE as EX
    from autograder.references.lstm import (
        lstm_forward,
        lstm_grads_per_step,
        lstm_params_from_torch,
        peephole_lstm_forward,
    )
    H, C = lstm_forward(EX["X"], EX["params"])
    H_given, C_given = lstm_forward(EX["X"], EX["params"], np.array(H0), np.array(C0))
    X2, mask = np.concatenate([EX["X"], EX["X"]], axis=1), [[1, 1], [1, 0], [1, 0]]
    H_pad, C_pad = lstm_forward(X2, EX["params"], mask=np.array(mask, dtype=np.float64))
    lstm_weights = {"weight_ih_l0": [[1.0], [2.0], [3.0], [4.0]], "weight_hh_l0": [[5.0], [6.0], [7.0], [8.0]],
                    "bias_ih_l0": [0.1, 0.2, 0.3, 0.4], "bias_hh_l0": [1.0, 2.0, 3.0, 4.0]}
    grads = lstm_grads_per_step(EX["X"], EX["params"], None, None, np.ones((3, 1, 2)))
    grads_given = lstm_grads_per_step(EX["X"], EX["params"], np.array(H0), np.array(C0), np.ones((3, 1, 2)))
    peep = dict(EX["params"], w_ci=np.array([0.5, -0.5]), w_cf=np.array([0.3, 0.2]), w_co=np.array([-0.4, 0.6]))
    H_peep, C_peep = peephole_lstm_forward(EX["X"], peep, np.zeros((1, 2)), np.array(C0))
    keys = ["W_xi", "W_hi", "b_i", "W_xf", "W_hf", "b_f", "W_xg", "W_hg", "b_g", "W_xo", "W_ho", "b_o"]
    return {
        "H0": H0, "C0": C0, "H": H, "C": C, "H_given": H_given, "C_given": C_given,
        "mask": mask, "H_pad": H_pad, "C_pad": C_pad,
        "lstm_weights": lstm_weights,
        "lstm_params": lstm_params_from_torch(_module(torch.nn.LSTM, (1, 1), lstm_weights)),
        "grads": {k: grads[k] for k in [*keys, "X", "H0", "C0"]},
        "grads_given": {k: grads_given[k] for k in [*keys, "X", "H0", "C0"]},
        "peephole": {"w_ci": [0.5, -0.5], "w_cf": [0.3, 0.2], "w_co": [-0.4, 0.6]}, "H_peep": H_peep,
        "C_peep": C_peep,
    }


def _gru_mistakes(X_t, H_prev, p: dict) -> dict:
    """One reset-after GRU step as three known mistakes compute it (values for the visible test's hints)."""
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    pre = lambda g: X_t @ p["W_x" + g] + H_prev @ p["W_h" + g] + p["b_" + g]
    R, Z = sig(pre("r")), sig(pre("z"))
    N = np.tanh(X_t @ p["W_xn"] + p["b_xn"] + R * (H_prev @ p["W_hn"] + p["b_hn"]))
    N_outside = np.tanh(X_t @ p["W_xn"] + p["b_xn"] + p["b_hn"] + R * (H_prev @ p["W_hn"]))
    R_t, Z_t = np.tanh(pre("r")), np.tanh(pre("z"))
    N_s = sig(X_t @ p["W_xn"] + p["b_xn"] + R_t * (H_prev @ p["W_hn"] + p["b_hn"]))
    return {"sigmoid and tanh swapped": (1 - Z_t) * N_s + Z_t * H_prev,
            "b_hn outside the reset product": (1 - Z) * N_outside + Z * H_prev,
            "z-interpolation reversed": Z * N + (1 - Z) * H_prev}


def gru() -> dict:
    from autograder.cases.gru import EXAMPLE as EX
    from autograder.references.gru import count_params, gru_forward, gru_params_from_torch, gru_step
    gru_weights = {"weight_ih_l0": [[1.0], [2.0], [3.0]], "weight_hh_l0": [[4.0], [5.0], [6.0]],
                   "bias_ih_l0": [0.1, 0.2, 0.3], "bias_hh_l0": [1.0, 2.0, 3.0]}
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in EX["params"].items()}
    X = torch.tensor(EX["X"], requires_grad=True)
    H0_t = torch.tensor(np.array(H0), requires_grad=True)
    gru_forward(X, leaves, H0=H0_t).sum().backward()
    grads = {"X": X.grad, "H0": H0_t.grad, **{k: v.grad for k, v in leaves.items()}}
    counts = []
    for kind, d_in, h, layers, bidirectional in [("rnn", 10, 20, 1, False), ("gru", 10, 20, 1, False),
                                                 ("lstm", 10, 20, 1, False), ("lstm", 10, 20, 2, False),
                                                 ("gru", 3, 4, 2, True)]:
        module = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind](
            d_in, h, num_layers=layers, bidirectional=bidirectional)
        n = count_params(kind, d_in, h, num_layers=layers, bidirectional=bidirectional)
        assert n == sum(p.numel() for p in module.parameters()), (kind, d_in, h, layers, bidirectional)
        counts.append({"args": [kind, d_in, h], "kwargs": {"num_layers": layers, "bidirectional": bidirectional},
                       "count": n})
    return {
        "H0": H0,
        "step": gru_step(EX["X"][0], np.array(H0), EX["params"], reset_after=True),
        "step_mistakes": _gru_mistakes(EX["X"][0], np.array(H0), EX["params"]),
        "step_reset_before": gru_step(EX["X"][0], np.array(H0), EX["params"], reset_after=False),
        "H": gru_forward(EX["X"], EX["params"]),
        "H_reset_before": gru_forward(EX["X"], EX["params"], reset_after=False),
        "H_from_H0": gru_forward(EX["X"], EX["params"], H0=np.array(H0)),
        "gru_weights": gru_weights,
        "gru_params": gru_params_from_torch(_module(torch.nn.GRU, (1, 1), gru_weights)),
        "grads_from_H0": grads,   # L = sum of all hidden states, from H0
        "counts": counts,
    }


CHAPTERS = {"elman_jordan": elman_jordan, "bptt": bptt, "lstm": lstm, "gru": gru}


def _literal(value, indent: int = 0) -> str:
    """Python source for `value`: arrays as np.array([...]) with every digit a float64 has."""
    if isinstance(value, dict):
        inner = ",\n".join(f"{' ' * (indent + 4)}{k!r}: {_literal(v, indent + 4)}" for k, v in value.items())
        return "{\n" + inner + "\n" + " " * indent + "}"
    if isinstance(value, list) and value and not _is_numeric_nested(value):
        inner = ",\n".join(" " * (indent + 4) + _literal(v, indent + 4) for v in value)
        return "[\n" + inner + "\n" + " " * indent + "]"
    if isinstance(value, (str, bool, int)) and not isinstance(value, float):
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "detach"):
        value = value.detach().numpy()
    array = np.asarray(value, dtype=np.float64)
    body = pprint.pformat(array.tolist(), width=100, compact=True)
    return f"np.array({body})".replace("\n", "\n" + " " * (indent + 9))


def render() -> str:
    parts = ['"""Expected values of the visible tests, computed by the references (PyTorch, float64).\n\n'
             'GENERATED by `python -m autograder.cases.visible` (autograder/cases/visible.py): do not edit.\n'
             'NumPy only, so that a learner\'s notebook needs no torch to read them.\n"""',
             "import numpy as np", "", "VALUES = {"]
    for chapter, make in CHAPTERS.items():
        parts.append(f"    {chapter!r}: {_literal(make(), 4)},")
    parts.append("}")
    return "\n".join(parts) + "\n"


# Staleness is decided with a tolerance, not by comparing printed digits: float64 results of the same references
# differ in the last bit between machines (BLAS kernels, CPU features, OPENBLAS_CORETYPE). The tolerance is a
# thousand times tighter than the visible tests' own (checks.RTOL = 1e-7, ATOL = 1e-9), so a value that a
# learner's test would judge differently is always reported, and rounding noise never is.
STALE_RTOL = 1e-10
STALE_ATOL = 1e-12


def _evaluate(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, str(TARGET), "exec"), namespace)   # our own generated file: NumPy literals only
    return namespace["VALUES"]


def stale_values(saved, fresh, path: str = "VALUES") -> list[str]:
    """Where `saved` differs from `fresh` beyond rounding: one line per value (its path, and what differs)."""
    if isinstance(fresh, dict) or isinstance(saved, dict):
        if not (isinstance(fresh, dict) and isinstance(saved, dict)):
            return [f"{path}: a {type(saved).__name__} is saved, a {type(fresh).__name__} is computed"]
        lines = [f"{path}[{k!r}]: {'only saved' if k in saved else 'not saved'}" for k in saved.keys() ^ fresh.keys()]
        for key in saved.keys() & fresh.keys():
            lines += stale_values(saved[key], fresh[key], f"{path}[{key!r}]")
        return lines
    if isinstance(fresh, list) and not _is_numeric_nested(fresh) or isinstance(saved, list) \
            and not _is_numeric_nested(saved):
        if not (isinstance(saved, list) and isinstance(fresh, list)) or len(saved) != len(fresh):
            return [f"{path}: the saved list and the computed one differ in length or kind"]
        return [line for i, (s, f) in enumerate(zip(saved, fresh)) for line in stale_values(s, f, f"{path}[{i}]")]
    if isinstance(fresh, (str, bool)) or isinstance(saved, (str, bool)):
        return [] if saved == fresh else [f"{path}: saved {saved!r}, computed {fresh!r}"]
    a, b = np.asarray(saved, dtype=np.float64), np.asarray(fresh, dtype=np.float64)
    if a.shape != b.shape:
        return [f"{path}: saved shape {a.shape}, computed shape {b.shape}"]
    if np.allclose(a, b, rtol=STALE_RTOL, atol=STALE_ATOL, equal_nan=True):
        return []
    diff = np.abs(a - b)
    worst = tuple(int(i) for i in np.unravel_index(int(np.nanargmax(diff)), diff.shape)) if diff.ndim else ()
    where = f"[{', '.join(map(str, worst))}]" if worst else ""
    return [f"{path}{where}: saved {float(a[worst])!r}, computed {float(b[worst])!r} "
            f"(max abs difference {np.nanmax(diff):.3g}; tolerance rtol {STALE_RTOL:g}, atol {STALE_ATOL:g})"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when visible_values.py is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        drift = stale_values(_evaluate(TARGET.read_text()), _evaluate(text))
        if drift:
            print(f"{TARGET} is out of date (run python -m autograder.cases.visible):", *drift, sep="\n  ",
                  file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
