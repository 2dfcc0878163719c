"""The Jordan network (Jordan, 1986): the memory holds the previous *output*.

    H_t = tanh(X_t W_xh + O_{t-1} W_qh + b_h)        O_{t-1}: (B, q), W_qh: (q, h)
    O_t = H_t W_hq + b_q

Jordan's state units also decayed with a self-connection; the course uses the common form above, in which the
state is exactly the previous output. PyTorch has no Jordan module, so the test suite checks this reference
against a case computed by hand.
"""
from __future__ import annotations

import torch

from autograder.tensors import as_float64


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
