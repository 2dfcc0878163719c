"""Comparisons that test cells call. A failure raises `CheckFailure` (an AssertionError) whose message says what is
wrong: which output, which time step and which element, got vs. expected, the maximum error, and both shapes,
with a hint when the mistake has a recognisable shape (transposed, off by one in time, a missing step).

    check_close(H, expected_H, "H", time_axis=0)
    check_close(W, expected_W, "dL/dW_hh", kind="weight", hint="dW_hh = H_prevᵀ @ dA")
    check_shape(H, (T, B, h), "H")

Every message's first line says what is wrong and the maximum error in under ~90 characters (nbgrader validate cuts
longer lines); the details (where, got vs. expected, shapes, the case) and hints follow on their own lines.
"""
from __future__ import annotations

import re
from contextlib import contextmanager

import numpy as np

from autograder.notation import LSTM_GATE_NAMES
from autograder.tensors import to_numpy

# float64 all the way: a correct NumPy answer agrees with the float64 reference to ~1e-15; 1e-7 leaves room for a
# different order of summation and nothing else.
RTOL = 1e-7
ATOL = 1e-9


class CheckFailure(AssertionError):
    """A check that failed; its message is written for the learner."""


def _as_array(got, name: str) -> np.ndarray:
    if got is None:
        raise CheckFailure(f"{name}: your function returned None. Did you forget a `return` statement?")
    if isinstance(got, tuple) and len(got) and all(hasattr(g, "shape") for g in got):
        raise CheckFailure(f"{name}: expected one array, got a tuple of {len(got)} arrays.")
    got = to_numpy(got)
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise CheckFailure(f"{name}: expected a NumPy array of numbers, got {type(got).__name__} ({err}).") from None
    return arr


def _precision_hint(got) -> str:
    """A hint when the answer is in single or half precision: the tests compare in float64, and a float32 result
    (about 7 significant digits) can miss their tolerance for no other reason."""
    dtype = getattr(got, "dtype", None)
    name = str(dtype).replace("torch.", "") if dtype is not None else ""
    if name not in ("float32", "float16", "bfloat16"):
        return ""
    return (f"your answer is {name}, and the tests compare in float64 (the references are computed in float64 and "
            f"the tolerance is float64's). Compute in float64, NumPy's default: look for astype(np.float32), "
            f"dtype=np.float32 or float32 inputs you did not convert.")


# What the axes of each kind of array mean, so that a message names them: "(row 0, column 1)" for a weight,
# "(time step 2, batch 0, unit 1)" for a sequence of states.
KINDS = ("state", "sequence", "weight", "vector", "per_step")
_WEIGHT_NAME = re.compile(r"W_|(^|[^A-Za-z])W")


def _axis_labels(ndim: int, time_axis: int | None, kind: str | None = None, name: str = "") -> list[str]:
    """Axis names for an array of this kind; kind None: guessed from the time axis, the shape and the name."""
    if kind is None:
        if time_axis == 0:
            kind = "sequence" if ndim == 3 else "per_step"
        elif ndim == 2:
            kind = "weight" if _WEIGHT_NAME.search(name) else "state"
        elif ndim == 1:
            kind = "vector"
    if kind == "per_step":   # one array per time step, stacked on axis 0: a per-step weight, bias or state
        rest = {1: ["element"], 2: ["row", "column"] if _WEIGHT_NAME.search(name) else ["batch", "unit"]}
        return ["time step", *rest.get(ndim - 1, [f"axis {i}" for i in range(1, ndim)])][:ndim]
    known = {("sequence", 3): ["time step", "batch", "unit"], ("state", 2): ["batch", "unit"],
             ("weight", 2): ["row", "column"], ("vector", 1): ["element"]}
    return known.get((kind, ndim), [f"axis {i}" for i in range(ndim)])


def _where(index: tuple[int, ...], labels: list[str]) -> str:
    return ", ".join(f"{label} {i}" for label, i in zip(labels, index))


def _shape_hint(got: tuple, want: tuple, time_axis: int | None) -> str:
    if got == tuple(reversed(want)) or (len(got) == len(want) >= 2 and got[:-2] + got[-2:][::-1] == want):
        return "\nHint: the shape is the transpose of the expected one. Check the order of a matrix product or a `.T`."
    if time_axis is not None and len(want) > 0 and got == want[1:]:
        return "\nHint: you returned a single step; the expected output stacks every time step."
    if time_axis is not None and len(got) == len(want) and got[1:] == want[1:] and abs(got[0] - want[0]) == 1:
        return "\nHint: one time step too many or too few (off by one in time? was the initial state included?)."
    return ""


def check_shape(got, shape: tuple, name: str = "output") -> None:
    """`got` is an array of exactly this shape."""
    arr = _as_array(got, name)
    if arr.shape != tuple(shape):
        raise CheckFailure(f"{name} has the wrong shape: got {arr.shape}, expected {tuple(shape)}."
                           + _shape_hint(arr.shape, tuple(shape), None))


def check_close(got, expected, name: str = "output", *, time_axis: int | None = None, rtol: float = RTOL,
                atol: float = ATOL, context: str = "", kind: str | None = None, hint: str = "",
                backward: bool = False, likely: dict | None = None) -> None:
    """`got` equals `expected` element-wise within `rtol`/`atol`, or a `CheckFailure` says where and how not.

    time_axis: the axis that indexes time steps (0 for (T, B, h) sequences), so the message names the first wrong
    step and can spot an answer shifted in time. context: a description of the case (shapes, initial state).
    kind: what the axes mean ("state" (B, h), "sequence" (T, B, h), "weight", "vector", "per_step"); guessed
    when None. hint: what the caller knows about this test (which mistake it is built to catch), added last.
    backward: the array is computed from the last step back (a gradient through time), so the first wrong step
    is searched from the end and the message says which later steps are right.
    likely: {hint: the value that a known mistake gives}; an answer equal to one of them gets that hint.
    """
    want = np.asarray(to_numpy(expected), dtype=np.float64)
    arr = _as_array(got, name)
    where_case = f" [case: {context}]" if context else ""
    if arr.shape != want.shape:
        raise CheckFailure(f"{name} has the wrong shape: got {arr.shape}, expected {want.shape}{where_case}."
                           + _shape_hint(arr.shape, want.shape, time_axis) + (f"\nHint: {hint}" if hint else ""))
    labels = _axis_labels(arr.ndim, time_axis, kind, name)
    nonfinite = ~np.isfinite(arr)
    if nonfinite.any():
        first = tuple(int(i) for i in np.argwhere(nonfinite)[0])
        raise CheckFailure(f"{name} contains NaN or inf ({int(nonfinite.sum())} elements).\n"
                           f"First at {name}{list(first)} ({_where(first, labels)}){where_case}.")
    bad = ~np.isclose(arr, want, rtol=rtol, atol=atol)
    if not bad.any():
        return
    err = np.abs(arr - want)
    order = np.argwhere(bad)   # C order: earliest time step first
    if backward and time_axis is not None:
        order = order[np.argsort(-order[:, time_axis], kind="stable")]
    first = tuple(int(i) for i in order[0])
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape))
    lines = []
    if time_axis is not None and arr.ndim > 0:
        t, T = first[time_axis], arr.shape[time_axis]
        if backward:
            ok = " (the last step)" if t == T - 1 else \
                (f" (step {T - 1} is right)" if t == T - 2 else f" (steps {t + 1}..{T - 1} are right)")
            lines.append(f"{name} is wrong at time step {t}{ok}; max error {err[worst]:.3g}.")
        else:
            ok = "" if t == 0 else " (step 0 matches)" if t == 1 else f" (steps 0..{t - 1} match)"
            lines.append(f"{name} is wrong from time step {t} on{ok}; max error {err[worst]:.3g}.")
    else:
        lines.append(f"{name} is wrong: max error {err[worst]:.3g}.")
    lines.append(f"First wrong element {name}{list(first)} ({_where(first, labels)}): got {arr[first]:.8g}, "
                 f"expected {want[first]:.8g}.")
    lines.append(f"Max abs error {err[worst]:.3g} at {name}{list(worst)}; {int(bad.sum())} of {bad.size} elements "
                 f"differ (rtol={rtol:g}, atol={atol:g}). Shapes: got {arr.shape}, expected {want.shape}{where_case}.")
    found = next((text for text, value in (likely or {}).items()
                  if np.shape(value) == arr.shape and np.allclose(arr, np.asarray(value, dtype=np.float64),
                                                                   rtol=rtol, atol=atol)), "")
    found = found or _precision_hint(got) or _value_hint(arr, want, time_axis, rtol, atol)
    if backward and time_axis is not None and arr.ndim > 0 and first[time_axis] < arr.shape[time_axis] - 1:
        lines.append(f"Hint: only steps after {first[time_axis]} are right: each step's own terms are; what flows "
                     f"back from step {first[time_axis] + 1} to step {first[time_axis]} (through the state) is not.")
    for text in (found, hint):
        if text:
            lines.append("Hint: " + text)
    raise CheckFailure("\n".join(lines))


@contextmanager
def after_exercise(name: str, works) -> None:
    """Report an earlier exercise's failure as such: if the block fails and `works()` (a check of the exercise this
    test builds on, e.g. lstm_forward on the worked example) fails too, say so first instead of showing what the
    earlier mistake caused downstream (a broadcasting error, wrong values).

        with after_exercise("lstm_forward (exercise 2)", lambda: check_close(lstm_forward(X, p)[0], H, "H")):
            output, (h_n, c_n) = stacked_lstm_forward(X, [[p]])
            ...
    """
    try:
        yield
    except Exception as failure:
        try:
            works()
        except Exception as earlier:   # the earlier exercise is wrong (or not answered): that is the news
            first_line = (str(earlier).strip().splitlines() or [type(earlier).__name__])[0]
            raise CheckFailure(f"{name} fails: fix it first (this test uses it).\n"
                               f"{name}: {type(earlier).__name__}: {first_line}") from failure
        raise


def _value_hint(arr: np.ndarray, want: np.ndarray, time_axis: int | None, rtol: float, atol: float) -> str:
    close = lambda a, b: a.shape == b.shape and a.size > 0 and np.allclose(a, b, rtol=rtol, atol=atol)
    if time_axis == 0 and arr.shape[0] > 1:
        if close(arr[1:], want[:-1]):
            return "your step t equals the expected step t-1: your sequence lags one step behind (off by one in time)."
        if close(arr[:-1], want[1:]):
            return "your step t equals the expected step t+1: your sequence is one step ahead (off by one in time)."
    if arr.ndim >= 2 and arr.shape[-1] == arr.shape[-2] and close(np.swapaxes(arr, -1, -2), want):
        return "your answer is the transpose of the expected one."
    if close(-arr, want):
        return "your answer has the wrong sign."
    return ""


def check_keys(got, keys, name: str = "result", *, exact: bool = True) -> None:
    """`got` is a dict with exactly these keys (exact=False: at least these keys)."""
    if not isinstance(got, dict):
        raise CheckFailure(f"{name}: expected a dict with keys {sorted(keys)}, got {type(got).__name__}.")
    missing, extra = set(keys) - set(got), (set(got) - set(keys)) if exact else set()
    if missing or extra:
        raise CheckFailure(f"{name}: keys are wrong: missing {sorted(missing) or 'none'}, unexpected "
                           f"{sorted(extra) or 'none'}; expected {'exactly' if exact else 'at least'} {sorted(keys)}.")


def check_numpy(got, name: str = "output") -> None:
    """`got` is a NumPy array (the exercises are NumPy only: not a torch tensor, not a list)."""
    if not isinstance(got, np.ndarray):
        raise CheckFailure(f"{name}: expected a NumPy array, got {type(got).__module__}.{type(got).__name__}.")


def check_gradients_through_time(run, expected_by_length: list[dict], keys, *, time_keys=(), context: str = "",
                                 rtol: float = RTOL, atol: float = ATOL) -> None:
    """BPTT gradients, compared so that a failure names the first time step and the gradient that disagree.

    run(n): the learner's gradients (a dict) for the sequence and its loss cut to the first n steps;
    expected_by_length[n - 1]: the expected dict for that cut. The full sequence is compared first; if any gradient
    differs, the cuts n = 1, 2, ... are compared in turn, and the first cut with a wrong gradient names the step
    (n) at which the mistake shows and which gradient shows it. keys in time_keys are per-step arrays (T, B, ...).
    """
    def first_problem(n: int):
        got = run(n)
        check_keys(got, keys, "the returned gradients")
        for key in keys:
            try:
                check_close(got[key], expected_by_length[n - 1][key], f"dL/d{key}",
                            time_axis=0 if key in time_keys else None, rtol=rtol, atol=atol, context=context)
            except CheckFailure as err:
                return key, err
        return None

    T = len(expected_by_length)
    problem = first_problem(T)
    if problem is None:
        return
    for n in range(1, T + 1):
        found = problem if n == T else first_problem(n)
        if found is not None:
            key, err = found
            shorter = "" if n == 1 else (
                f" With the sequence cut to its first {n - 1} step(s) every gradient is right, so the mistake is in "
                f"what step {n} adds: its own terms, or the gradient it sends back to step {n - 1} through H_{n - 1}.")
            raise CheckFailure(f"dL/d{key} is the first gradient that disagrees, at time step {n} (the loss "
                               f"covering steps 1..{n}; code index {n - 1}).{shorter}\n{err}")


# --- LSTM chapter: per-step gradients ----------------------------------------------------------------------------
_LSTM_KINDS = {"W_x": "input weights", "W_h": "recurrent weights", "b_": "bias"}
# What each gate's pre-activation gradient dA is made of (dC: dL/dC_t; dH: dL/dH_t), for the hint at a wrong gate.
_LSTM_LOCAL = {
    "i": "dA_i = dC ⊙ G_t ⊙ I_t(1 - I_t)",
    "f": "dA_f = dC ⊙ C_(t-1) ⊙ F_t(1 - F_t): the previous CELL state C_(t-1), not H_(t-1) or C_t",
    "g": "dA_g = dC ⊙ I_t ⊙ (1 - G_t²) (tanh's derivative, not the sigmoid's)",
    "o": "dA_o = dH ⊙ tanh(C_t) ⊙ O_t(1 - O_t)",
}


def check_grads_per_step(got, expected, keys, name: str = "grads", context: str = "") -> None:
    """Per-step parameter gradients (each key: shape (T, *param.shape)), compared in the order backpropagation
    computes them: from the last step back to the first, and within a step gate by gate. The failure names the
    first gate and step that disagree, and says whether the mistake is local to a step or arrives through time.
    """
    check_keys(got, keys, name, exact=False)
    where_case = f" [case: {context}]" if context else ""
    T = np.asarray(to_numpy(expected[keys[0]])).shape[0]
    for key in keys:
        want = np.asarray(to_numpy(expected[key]), dtype=np.float64)
        arr = _as_array(got[key], f"{name}['{key}']")
        if arr.shape != want.shape:
            raise CheckFailure(f"{name}['{key}'] has the wrong shape: got {arr.shape}, expected {want.shape}.\n"
                               f"One gradient per time step, stacked on axis 0{where_case}."
                               + _shape_hint(arr.shape, want.shape, 0))
    for t in reversed(range(T)):
        wrong = []
        for key in keys:
            want = np.asarray(to_numpy(expected[key]), dtype=np.float64)[t]
            arr = np.asarray(to_numpy(got[key]), dtype=np.float64)[t]
            if not (np.allclose(arr, want, rtol=RTOL, atol=ATOL) and np.isfinite(arr).all()):
                wrong.append((key, arr, want))
        if not wrong:
            continue
        key, arr, want = wrong[0]
        gate = LSTM_GATE_NAMES.get(key[-1], key)
        kind = next((v for k, v in _LSTM_KINDS.items() if key.startswith(k)), "parameter")
        err = np.abs(arr - want)
        flat = np.nanargmax(np.where(np.isfinite(err), err, np.inf))
        worst = tuple(int(i) for i in np.unravel_index(flat, err.shape))
        labels = ["row", "column"] if arr.ndim == 2 else ["element"]
        later = "the last step" if t == T - 1 else \
            (f"step {t + 1} is right" if t + 1 == T - 1 else f"steps {t + 1}..{T - 1} are right")
        lines = [f"dL/d{key} ({gate}) is wrong at time step {t} ({later}).",
                 f"{name}['{key}'] holds the {kind} of the {gate}, one gradient per time step.",
                 f"At {name}['{key}'][{t}, {', '.join(map(str, worst))}] (time step {t}, {_where(worst, labels)}): "
                 f"got {arr[worst]:.8g}, expected {want[worst]:.8g}; max abs error {err[worst]:.3g}{where_case}."]
        wrong_keys = {k for k, _, _ in wrong}
        if wrong_keys and all(k.startswith("W_h") for k in wrong_keys):
            state = "the given initial state H0 (not zeros)" if t == 0 else f"H_{t - 1} (the state before step {t})"
            lines.append(f"Hint: at step {t} only the recurrent weights' gradients are wrong, the biases' are right: "
                         f"dL/dW_h<g> at step {t} = H_(t-1)ᵀ @ dA_<g>, with H_(t-1) = {state}.")
        elif t == T - 1:
            lines.append(f"Hint: the error is local to a step (no gradient from later steps is involved at the last "
                         f"one): check the {gate}'s {_LSTM_LOCAL.get(key[-1], 'derivative')}, and dL/dC_T = dL/dH_T "
                         f"⊙ O_T ⊙ (1 - tanh²(C_T)).")
        else:
            lines.append(f"Hint: step {T - 1} is right, so each step's local terms are; check the {gate}'s "
                         f"{_LSTM_LOCAL.get(key[-1], 'derivative')}, and what flows back from step {t + 1}: dL/dC_t "
                         f"must add dL/dC_(t+1) ⊙ F_(t+1), and dL/dH_t the paths through all four gates of step "
                         f"{t + 1} (the output gate included).")
        raise CheckFailure("\n".join(lines))


def check_equal(got, expected, name: str = "result", context: str = "", hint: str = "") -> None:
    """`got == expected` for a non-numeric answer (a label, a count), or a message saying both (and the hint)."""
    if got != expected:
        where_case = f" [case: {context}]" if context else ""
        raise CheckFailure(f"{name} is wrong: got {got!r}, expected {expected!r}{where_case}."
                           + (f"\nHint: {hint}" if hint else ""))
