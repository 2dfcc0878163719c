"""Training an Elman network: gradients by torch.autograd (the oracle), RTRL, and stacked / bidirectional RNNs.

The loss of the chapter, summed over time steps and over the batch (no mean):

    L = sum_t sum_b 0.5 * || O_t[b] - Y_t[b] ||^2,     O_t = H_t W_hq + b_q,   H_t = tanh(a_t),
    a_t = X_t W_xh + H_{t-1} W_hh + b_h.

Everything is float64. `bptt_gradients` differentiates with autograd and also returns each step's share of every
parameter gradient, written with the chapter's formulas (e.g. H_{t-1}^T dL/da_t for W_hh); the test suite checks
that these shares add up to autograd's totals.
"""
from __future__ import annotations

from autograder.lazy import lazy_import
from autograder.references.elman_jordan import elman_forward, elman_params_from_torch
from autograder.tensors import as_float64

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch

PARAMS = ("W_xh", "W_hh", "b_h", "W_hq", "b_q")


def _leaves(*arrays):
    """float64 copies that collect gradients (always a list, even of one)."""
    return [as_float64(a).clone().requires_grad_(True) for a in arrays]


def sequence_loss(H, Y, W_hq, b_q) -> torch.Tensor:
    """L = sum over steps and batch of 0.5 ||O_t - Y_t||^2, a scalar."""
    O = H @ W_hq + b_q
    return 0.5 * ((O - Y) ** 2).sum()


def bptt_gradients(X, Y, W_xh, W_hh, b_h, W_hq, b_q, H0=None) -> dict:
    """dL/d(everything) by autograd.

    Keys: the five parameters (totals); "X" (T, B, d_in); "H0" (B, h); "H" (T, B, h), the total dL/dH_t (through
    O_t and through H_{t+1}); "A" (T, B, h), dL/da_t; "loss"; and "per_step": {parameter: (T, *shape)}, the term
    that step t adds to the parameter's gradient.
    """
    X, Y, W_xh, W_hh, b_h, W_hq, b_q = _leaves(X, Y, W_xh, W_hh, b_h, W_hq, b_q)
    T, B, _ = X.shape
    h = W_hh.shape[0]
    H_init = _leaves(torch.zeros(B, h, dtype=torch.float64) if H0 is None else H0)[0]
    states, pre, outs, prev = [], [], [], H_init
    for t in range(T):
        a_t = X[t] @ W_xh + prev @ W_hh + b_h
        H_t = torch.tanh(a_t)
        O_t = H_t @ W_hq + b_q
        for v in (a_t, H_t, O_t):
            v.retain_grad()
        pre.append(a_t), states.append(H_t), outs.append(O_t)
        prev = H_t
    loss = sum(0.5 * ((O_t - Y[t]) ** 2).sum() for t, O_t in enumerate(outs))
    loss.backward()
    dA = torch.stack([a.grad for a in pre])
    dO = torch.stack([o.grad for o in outs])
    H = torch.stack([s.detach() for s in states])
    H_before = torch.cat([H_init.detach()[None], H[:-1]])          # H_{t-1} for every step
    per_step = {
        "W_xh": torch.einsum("tbi,tbj->tij", X.detach(), dA),
        "W_hh": torch.einsum("tbi,tbj->tij", H_before, dA),
        "b_h": dA.sum(1),
        "W_hq": torch.einsum("tbi,tbj->tij", H, dO),
        "b_q": dO.sum(1),
    }
    grads = {name: p.grad for name, p in zip(PARAMS, (W_xh, W_hh, b_h, W_hq, b_q))}
    return {**grads, "X": X.grad, "H0": H_init.grad, "H": torch.stack([s.grad for s in states]), "A": dA,
            "loss": loss.detach(), "per_step": per_step}


def step_backward(dH_t, X_t, H_prev, W_xh, W_hh, b_h) -> dict:
    """Backward of one step H_t = tanh(X_t W_xh + H_prev W_hh + b_h) for an upstream gradient dH_t = dL/dH_t.

    Keys: "X_t", "H_prev", "W_xh", "W_hh", "b_h" (gradients of L = sum(dH_t * H_t)), and "H_t" (the forward value).
    """
    X_t, H_prev, W_xh, W_hh, b_h = _leaves(X_t, H_prev, W_xh, W_hh, b_h)
    H_t = torch.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)
    H_t.backward(as_float64(dH_t))
    return {"X_t": X_t.grad, "H_prev": H_prev.grad, "W_xh": W_xh.grad, "W_hh": W_hh.grad, "b_h": b_h.grad,
            "H_t": H_t.detach()}


def hidden_gradient_norms(X, W_xh, W_hh, b_h, G, H0=None) -> torch.Tensor:
    """For L = sum(G * H_T) (an upstream gradient G at the last step only): ||dL/dH_t||_F over the batch, shape (T,).

    Entry t belongs to the state after reading X[t], so the last entry is ||G||.
    """
    X, W_xh, W_hh, b_h = _leaves(X, W_xh, W_hh, b_h)      # leaves, so that the states are part of a graph
    T, B, _ = X.shape
    prev = torch.zeros(B, W_hh.shape[0], dtype=torch.float64) if H0 is None else as_float64(H0)
    states = []
    for t in range(T):
        prev = torch.tanh(X[t] @ W_xh + prev @ W_hh + b_h)
        prev.retain_grad()
        states.append(prev)
    (states[-1] * as_float64(G)).sum().backward()
    return torch.stack([torch.linalg.norm(s.grad) for s in states])


def hidden_gradient_sensitivity(X, W_xh, W_hh, b_h, H0=None) -> torch.Tensor:
    """dH_T/dW_hh by autograd's Jacobian, shape (B, h, h, h): entry [b, k, i, j] = d H_T[b, k] / d W_hh[i, j]."""
    X, W_xh, W_hh, b_h = as_float64(X, W_xh, W_hh, b_h)
    start = torch.zeros(X.shape[1], W_hh.shape[0], dtype=torch.float64) if H0 is None else as_float64(H0)

    def last_state(W):  # not elman_forward: its inputs are detached, and the Jacobian needs the graph through W
        H = start
        for x in X:
            H = torch.tanh(x @ W_xh + H @ W + b_h)
        return H

    return torch.autograd.functional.jacobian(last_state, W_hh)


def rtrl_gradients(X, Y, W_xh, W_hh, b_h, W_hq, b_q, H0=None) -> dict:
    """Real-time recurrent learning: carry dH_t/dθ forward with the states and add each step's loss term at once.

    Sensitivities, for each sequence b of the batch: S[b, k, ...] = d H_t[b, k] / d θ[...], for θ in W_xh, W_hh, b_h.
    The recursion (a_t = X_t W_xh + H_{t-1} W_hh + b_h, D_t = 1 - H_t^2):
        d a_t[b, k]/dθ = (direct term) + sum_m S_{t-1}[b, m] W_hh[m, k],    S_t = D_t[b, k] * d a_t[b, k]/dθ.
    Keys: "W_xh", "W_hh", "b_h" (the loss gradients, equal to BPTT's) and "S_W_hh" (the last step's dH_T/dW_hh).
    """
    X, Y, W_xh, W_hh, b_h, W_hq, b_q = as_float64(X, Y, W_xh, W_hh, b_h, W_hq, b_q)
    T, B, d_in = X.shape
    h = W_hh.shape[0]
    eye = torch.eye(h, dtype=torch.float64)
    H = torch.zeros(B, h, dtype=torch.float64) if H0 is None else as_float64(H0)
    S = {"W_xh": torch.zeros(B, h, d_in, h, dtype=torch.float64), "W_hh": torch.zeros(B, h, h, h, dtype=torch.float64),
         "b_h": torch.zeros(B, h, h, dtype=torch.float64)}
    total = {name: torch.zeros_like(s[0, 0]) for name, s in S.items()}
    for t in range(T):
        # Direct terms: d a_t[b, k] / d W[i, j] = (input of row i) * [j == k]; for the bias, [j == k].
        direct = {"W_xh": torch.einsum("bi,kj->bkij", X[t], eye), "W_hh": torch.einsum("bi,kj->bkij", H, eye),
                  "b_h": eye.expand(B, h, h)}
        H = torch.tanh(X[t] @ W_xh + H @ W_hh + b_h)
        D = 1 - H ** 2
        for name in S:
            carried = torch.einsum("bm...,mk->bk...", S[name], W_hh)
            S[name] = D.reshape(B, h, *[1] * (S[name].dim() - 2)) * (direct[name] + carried)
        dH_now = (H @ W_hq + b_q - Y[t]) @ W_hq.T          # this step's loss, through O_t only
        for name in S:
            total[name] = total[name] + torch.einsum("bk,bk...->...", dH_now, S[name])
    return {**total, "S_W_hh": S["W_hh"]}


def birnn_params_from_torch(rnn: torch.nn.RNN) -> list[dict]:
    """[{"forward": {W_xh, W_hh, b_h}, "backward": {...}} for each layer] in the course's layout (float64 tensors).

    For a unidirectional RNN, each layer has only "forward".
    """
    layers = []
    for layer in range(rnn.num_layers):
        entry = {"forward": elman_params_from_torch(rnn, layer)}
        if rnn.bidirectional:
            entry["backward"] = elman_params_from_torch(rnn, layer, "_reverse")
        layers.append(entry)
    return layers


def birnn_forward(X, layers: list[dict], H0=None):
    """A stacked (bidirectional) Elman network, as torch.nn.RNN(num_layers=len(layers), bidirectional=...).

    Layer l reads the outputs of layer l-1 (both directions concatenated, forward first). The backward direction
    runs the Elman recurrence over the reversed sequence and its states are flipped back, so output[t] = [H_fwd_t,
    H_bwd_t]. H0: (num_layers * directions, B, h) in PyTorch's order (layer 0 fwd, layer 0 bwd, layer 1 fwd, ...).
    Returns (output (T, B, directions * h), h_n (num_layers * directions, B, h)).
    """
    inputs = as_float64(X)
    finals = []
    for l, layer in enumerate(layers):
        outs = []
        for d, name in enumerate(("forward", "backward")):
            if name not in layer:
                continue
            init = None if H0 is None else as_float64(H0)[l * len(layer) + d]
            seq = inputs if name == "forward" else inputs.flip(0)
            H = elman_forward(seq, **layer[name], H0=init)
            finals.append(H[-1])
            outs.append(H if name == "forward" else H.flip(0))
        inputs = torch.cat(outs, dim=-1)
    return inputs, torch.stack(finals)
