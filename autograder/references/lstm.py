"""The LSTM (Hochreiter & Schmidhuber, 1997; forget gate: Gers et al., 2000), in the course's notation.

    I_t = σ(X_t W_xi + H_{t-1} W_hi + b_i)          input gate            all gates and states: (B, h)
    F_t = σ(X_t W_xf + H_{t-1} W_hf + b_f)          forget gate
    G_t = tanh(X_t W_xg + H_{t-1} W_hg + b_g)       candidate cell ("C tilde")
    O_t = σ(X_t W_xo + H_{t-1} W_ho + b_o)          output gate
    C_t = F_t ⊙ C_{t-1} + I_t ⊙ G_t                 cell state
    H_t = O_t ⊙ tanh(C_t)                           hidden state

Parameters are a dict with the twelve keys of PARAM_KEYS: W_x* of shape (d_in, h), W_h* (h, h), b_* (h,).
`torch.nn.LSTM` stacks the four gates' matrices in the order i, f, g, o: weight_ih_l{k} is (4h, d_in) and equals
[W_xi | W_xf | W_xg | W_xo]^T; weight_hh_l{k} likewise; the two biases add up to [b_i, b_f, b_g, b_o].

Variants: peephole connections (Gers & Schmidhuber, 2000; extra keys w_ci, w_cf, w_co of shape (h,)) and coupled
input and forget gates (I_t = 1 - F_t; the input gate's parameters are not used).
"""
from __future__ import annotations

from autograder.lazy import lazy_import
from autograder.notation import LSTM_GATES
from autograder.tensors import as_float64

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch

GATES = LSTM_GATES          # PyTorch's order of the blocks in weight_ih / weight_hh / the biases
PARAM_KEYS = tuple(f"{kind}{gate}" for gate in GATES for kind in ("W_x", "W_h", "b_"))
PEEPHOLE_KEYS = ("w_ci", "w_cf", "w_co")


def _params(params: dict, keys=PARAM_KEYS) -> dict[str, torch.Tensor]:
    missing = [k for k in keys if k not in params]
    if missing:
        raise KeyError(f"LSTM parameters are missing {missing}")
    return {k: as_float64(params[k]) for k in keys}


def _pre(X_t, H_prev, p, gate):
    return X_t @ p["W_x" + gate] + H_prev @ p["W_h" + gate] + p["b_" + gate]


def _gates(X_t, H_prev, p):
    return {"i": torch.sigmoid(_pre(X_t, H_prev, p, "i")), "f": torch.sigmoid(_pre(X_t, H_prev, p, "f")),
            "g": torch.tanh(_pre(X_t, H_prev, p, "g")), "o": torch.sigmoid(_pre(X_t, H_prev, p, "o"))}


def _lstm_step(X_t, H_prev, C_prev, p):
    # On float64 tensors as they are (no detach), so that autograd can follow it.
    g = _gates(X_t, H_prev, p)
    C = g["f"] * C_prev + g["i"] * g["g"]
    return g["o"] * torch.tanh(C), C


def lstm_step(X_t, H_prev, C_prev, params) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step: (B, d_in), (B, h), (B, h) -> (H_t, C_t), each (B, h)."""
    return _lstm_step(*as_float64(X_t, H_prev, C_prev), _params(params))


def _initial(state, B, h):
    return torch.zeros(B, h, dtype=torch.float64) if state is None else as_float64(state)


def _run(step, keys, X, params, H0, C0, mask):
    """The loop shared by every variant. mask (T, B): 1 reads the step, 0 (padding) keeps H and C unchanged."""
    X = as_float64(X)
    params = _params(params, keys)
    T, B, _ = X.shape
    h = params["W_hf"].shape[0]
    H, C = _initial(H0, B, h), _initial(C0, B, h)
    m = None if mask is None else as_float64(mask)
    Hs, Cs = [], []
    for t in range(T):
        H_new, C_new = step(X[t], H, C, params)
        if m is None:
            H, C = H_new, C_new
        else:
            keep = m[t][:, None]
            H, C = keep * H_new + (1 - keep) * H, keep * C_new + (1 - keep) * C
        Hs.append(H)
        Cs.append(C)
    if not Hs:
        empty = torch.zeros(0, B, h, dtype=torch.float64)
        return empty, empty.clone()
    return torch.stack(Hs), torch.stack(Cs)


def lstm_forward(X, params, H0=None, C0=None, mask=None) -> tuple[torch.Tensor, torch.Tensor]:
    """All states H_1..H_T and C_1..C_T, each (T, B, h), for X of shape (T, B, d_in).

    H0, C0: (B, h), zeros when None. mask: (T, B) of 0/1; where it is 0 the step is padding and H, C are carried
    over unchanged (so H[t] at a padded step repeats the last real state, and H[-1] is each sequence's final state).
    """
    return _run(_lstm_step, PARAM_KEYS, X, params, H0, C0, mask)


def lstm_params_from_torch(lstm: torch.nn.LSTM, layer: int = 0, direction: str = "") -> dict[str, torch.Tensor]:
    """The twelve course-layout parameters of one layer and direction of a `torch.nn.LSTM` (float64 copies).

    direction: "" (forward) or "_reverse" (the backward direction of a bidirectional LSTM).
    """
    if getattr(lstm, "proj_size", 0):
        raise ValueError("LSTMs with proj_size > 0 are not covered by the course")
    suffix = f"_l{layer}{direction}"
    h = lstm.hidden_size
    w_ih = getattr(lstm, "weight_ih" + suffix).detach().to(torch.float64)
    w_hh = getattr(lstm, "weight_hh" + suffix).detach().to(torch.float64)
    if lstm.bias:
        b = sum(getattr(lstm, name + suffix).detach().to(torch.float64) for name in ("bias_ih", "bias_hh"))
    else:
        b = torch.zeros(4 * h, dtype=torch.float64)
    params = {}
    for k, gate in enumerate(GATES):
        rows = slice(k * h, (k + 1) * h)
        params["W_x" + gate] = w_ih[rows].T.clone()
        params["W_h" + gate] = w_hh[rows].T.clone()
        params["b_" + gate] = b[rows].clone()
    return {key: params[key] for key in PARAM_KEYS}


def lstm_layers_from_torch(lstm: torch.nn.LSTM) -> list[list[dict[str, torch.Tensor]]]:
    """layers[l][d]: the parameters of layer l, direction d (0 forward, 1 reverse) of a `torch.nn.LSTM`."""
    directions = ["", "_reverse"] if lstm.bidirectional else [""]
    return [[lstm_params_from_torch(lstm, layer, d) for d in directions] for layer in range(lstm.num_layers)]


def stacked_lstm_forward(X, layers, H0=None, C0=None, mask=None):
    """What `torch.nn.LSTM` (eval mode, batch_first=False) computes, from course-layout parameters.

    layers: as returned by `lstm_layers_from_torch`. H0, C0: (L*D, B, h) like torch's h_0, c_0 (zeros when None).
    mask (T, B): right padding, as a packed sequence; padded positions of `output` are 0, as pad_packed_sequence
    returns them. Returns (output (T, B, D*h), (h_n, c_n) each (L*D, B, h)).
    Dropout (between layers only, in training) is not applied: it never acts inside the recurrence.
    """
    X = as_float64(X)
    T, B, _ = X.shape
    D = len(layers[0])
    m = torch.ones(T, B, dtype=torch.float64) if mask is None else as_float64(mask)
    inputs, h_n, c_n = X, [], []
    for l, directions in enumerate(layers):
        outs = []
        for d, params in enumerate(directions):
            k = l * D + d
            h0 = None if H0 is None else as_float64(H0)[k]
            c0 = None if C0 is None else as_float64(C0)[k]
            if d == 0:
                H, C = lstm_forward(inputs, params, h0, c0, m)
            else:  # the reverse direction reads each sequence from its end; padding at the end comes first: skipped
                H, C = lstm_forward(inputs.flip(0), params, h0, c0, m.flip(0))
            h_n.append(H[-1])
            c_n.append(C[-1])
            if d == 1:
                H = H.flip(0)
            outs.append(H * m[:, :, None])
        inputs = torch.cat(outs, dim=-1)
    return inputs, (torch.stack(h_n), torch.stack(c_n))


def _peephole_step(X_t, H_prev, C_prev, p):
    """LSTM step with diagonal peephole connections (Gers & Schmidhuber, 2000):

        I_t = σ(X_t W_xi + H_{t-1} W_hi + C_{t-1} ⊙ w_ci + b_i)
        F_t = σ(X_t W_xf + H_{t-1} W_hf + C_{t-1} ⊙ w_cf + b_f)
        C_t = F_t ⊙ C_{t-1} + I_t ⊙ G_t                      (G_t as in the plain LSTM)
        O_t = σ(X_t W_xo + H_{t-1} W_ho + C_t ⊙ w_co + b_o)   the output gate sees the NEW cell
        H_t = O_t ⊙ tanh(C_t)
    """
    I = torch.sigmoid(_pre(X_t, H_prev, p, "i") + C_prev * p["w_ci"])
    F = torch.sigmoid(_pre(X_t, H_prev, p, "f") + C_prev * p["w_cf"])
    G = torch.tanh(_pre(X_t, H_prev, p, "g"))
    C = F * C_prev + I * G
    O = torch.sigmoid(_pre(X_t, H_prev, p, "o") + C * p["w_co"])
    return O * torch.tanh(C), C


def peephole_lstm_forward(X, params, H0=None, C0=None, mask=None):
    """The peephole LSTM over a sequence; same conventions as `lstm_forward`."""
    return _run(_peephole_step, PARAM_KEYS + PEEPHOLE_KEYS, X, params, H0, C0, mask)


COUPLED_KEYS = tuple(k for k in PARAM_KEYS if not k.endswith("i"))


def _coupled_step(X_t, H_prev, C_prev, p):
    """Coupled input and forget gates: C_t = F_t ⊙ C_{t-1} + (1 - F_t) ⊙ G_t (keys W_xi, W_hi, b_i unused)."""
    F = torch.sigmoid(_pre(X_t, H_prev, p, "f"))
    G = torch.tanh(_pre(X_t, H_prev, p, "g"))
    O = torch.sigmoid(_pre(X_t, H_prev, p, "o"))
    C = F * C_prev + (1 - F) * G
    return O * torch.tanh(C), C


def coupled_lstm_forward(X, params, H0=None, C0=None, mask=None):
    """The coupled-gate LSTM over a sequence; same conventions as `lstm_forward`."""
    return _run(_coupled_step, COUPLED_KEYS, X, params, H0, C0, mask)


def lstm_grads_per_step(X, params, H0, C0, dH, variant: str = "lstm", mask=None):
    """Per-step gradients by torch.autograd, for the loss L = sum(H * dH) (dH: (T, B, h), dL/dH_t from above).

    Each step gets its own copy of the parameters, so autograd returns each step's contribution: a dict with,
    for every parameter key, a tensor of shape (T, *param.shape) whose sum over the first axis is dL/dparam;
    and "X" (T, B, d_in), "H0" (B, h), "C0" (B, h). mask (T, B): as in lstm_forward, a padded step (0) carries H
    and C over unchanged, so the gradient passes it by (and its step contributes nothing).
    """
    step, keys = {"lstm": (_lstm_step, PARAM_KEYS), "peephole": (_peephole_step, PARAM_KEYS + PEEPHOLE_KEYS),
                  "coupled": (_coupled_step, COUPLED_KEYS)}[variant]
    X, dH = as_float64(X, dH)
    T, B, _ = X.shape
    copies = [{k: as_float64(params[k]).clone().requires_grad_(True) for k in keys} for _ in range(T)]
    h = as_float64(params["W_hf"]).shape[0]
    X = X.clone().requires_grad_(True)
    H = _initial(H0, B, h).clone().requires_grad_(True)
    C = _initial(C0, B, h).clone().requires_grad_(True)
    leaves_h0, leaves_c0 = H, C
    m = None if mask is None else as_float64(mask)
    loss = torch.zeros((), dtype=torch.float64)
    for t in range(T):
        H_new, C_new = step(X[t], H, C, copies[t])
        if m is None:
            H, C = H_new, C_new
        else:
            keep = m[t][:, None]
            H, C = keep * H_new + (1 - keep) * H, keep * C_new + (1 - keep) * C
        loss = loss + (H * dH[t]).sum()
    flat = [copies[t][k] for t in range(T) for k in keys]
    grads = torch.autograd.grad(loss, flat + [X, leaves_h0, leaves_c0], allow_unused=True)
    out = {}
    for j, k in enumerate(keys):
        per = [grads[t * len(keys) + j] for t in range(T)]
        out[k] = torch.stack([torch.zeros_like(copies[0][k]) if g is None else g for g in per])
    out["X"], out["H0"], out["C0"] = grads[-3], grads[-2], grads[-1]
    return out
