"""Chapter 1's references: the Elman network (Elman, 1990), whose memory holds the previous hidden state,

    H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)        X_t: (B, d_in), H_t: (B, h)
    O_t = H_t W_hq + b_q                              O_t: (B, q)

`torch.nn.RNN` computes the same recurrence with column-vector weights: weight_ih = W_xh^T, weight_hh = W_hh^T,
and two biases whose sum is b_h.

and the Jordan network (Jordan, 1986), whose memory holds the previous *output*:

    H_t = tanh(X_t W_xh + O_{t-1} W_qh + b_h)        O_{t-1}: (B, q), W_qh: (q, h)
    O_t = H_t W_hq + b_q

Jordan's state units also decayed with a self-connection; the course uses the common form above, in which the
state is exactly the previous output. PyTorch has no Jordan module, so the test suite checks this reference
against a case computed by hand.
"""
from __future__ import annotations

from autograder.lazy import lazy_import
from autograder.tensors import as_float64

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch


def elman_step(X_t, H_prev, W_xh, W_hh, b_h) -> torch.Tensor:
    """One step of the recurrence: (B, d_in), (B, h) -> (B, h)."""
    X_t, H_prev, W_xh, W_hh, b_h = as_float64(X_t, H_prev, W_xh, W_hh, b_h)
    return torch.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)


def elman_forward(X, W_xh, W_hh, b_h, H0=None) -> torch.Tensor:
    """All hidden states H_1..H_T, shape (T, B, h), for inputs X of shape (T, B, d_in); H0 defaults to zeros."""
    X, W_xh, W_hh, b_h = as_float64(X, W_xh, W_hh, b_h)
    T, B, _ = X.shape
    H = torch.zeros(B, W_hh.shape[0], dtype=torch.float64) if H0 is None else as_float64(H0)
    states = []
    for t in range(T):
        H = elman_step(X[t], H, W_xh, W_hh, b_h)
        states.append(H)
    return torch.stack(states) if states else torch.zeros(0, B, W_hh.shape[0], dtype=torch.float64)


def output_layer(H, W_hq, b_q) -> torch.Tensor:
    """O = H W_hq + b_q, applied to every step at once (works on (B, h) and (T, B, h))."""
    H, W_hq, b_q = as_float64(H, W_hq, b_q)
    return H @ W_hq + b_q


def elman_params_from_torch(rnn: torch.nn.RNN, layer: int = 0, direction: str = "") -> dict[str, torch.Tensor]:
    """W_xh, W_hh, b_h in the course's row-vector layout, read from a `torch.nn.RNN(nonlinearity='tanh')`.

    `direction` is "" for the forward direction and "_reverse" for the backward one of a bidirectional RNN.
    """
    if rnn.nonlinearity != "tanh":
        raise ValueError(f"the course's Elman step uses tanh, this RNN uses {rnn.nonlinearity}")
    suffix = f"_l{layer}{direction}"
    p = {name: getattr(rnn, name + suffix).detach().to(torch.float64) for name in ("weight_ih", "weight_hh")}
    if rnn.bias:
        b_h = getattr(rnn, "bias_ih" + suffix) + getattr(rnn, "bias_hh" + suffix)
    else:
        b_h = torch.zeros(rnn.hidden_size)
    return {"W_xh": p["weight_ih"].T.clone(), "W_hh": p["weight_hh"].T.clone(), "b_h": b_h.detach().to(torch.float64)}


def jordan_forward(X, W_xh, W_qh, b_h, W_hq, b_q, O0=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Hidden states H (T, B, h) and outputs O (T, B, q); O0, the output before the first step, defaults to 0."""
    X, W_xh, W_qh, b_h, W_hq, b_q = as_float64(X, W_xh, W_qh, b_h, W_hq, b_q)
    T, B, _ = X.shape
    O = torch.zeros(B, W_hq.shape[1], dtype=torch.float64) if O0 is None else as_float64(O0)
    hs, outs = [], []
    for t in range(T):
        H = torch.tanh(X[t] @ W_xh + O @ W_qh + b_h)
        O = H @ W_hq + b_q
        hs.append(H)
        outs.append(O)
    return torch.stack(hs), torch.stack(outs)
