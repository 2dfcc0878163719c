"""The four (five) implementations the chapter times, each a callable over a (T, B, d) input, same weights layout.

(a) "lstm_loop":  an LSTM as a Python loop of PyTorch operations (one input product for all steps, then per step
                  a product with W_hh and the gate arithmetic: about ten kernel launches per step);
(b) "lstm_cudnn": torch.nn.LSTM (cuDNN on a GPU, a C++ loop on the CPU);
(c) "sru_loop":   SRU: one product U = X [W, W_f, W_r], then the element-wise recurrence as a loop of PyTorch ops;
(d) "sru_fused":  the same, with the recurrence fused into one Triton kernel (autograder.book.sru_triton);
(e) "sru_package": the `sru` package's own CUDA kernel (only where it imports and builds).
"""
from __future__ import annotations

import math

import torch

from autograder.book.sru_triton import sru_recurrence

IMPLEMENTATIONS = ("lstm_loop", "lstm_cudnn", "sru_loop", "sru_fused", "sru_package")


class LSTMLoop(torch.nn.Module):
    """An LSTM written as a Python time loop, holding the parameters of a torch.nn.LSTM (gate order i, f, g, o)."""

    def __init__(self, lstm: torch.nn.LSTM):
        super().__init__()
        self.lstm = lstm

    def forward(self, X):
        w_ih, w_hh = self.lstm.weight_ih_l0, self.lstm.weight_hh_l0
        XW = X @ w_ih.T + (self.lstm.bias_ih_l0 + self.lstm.bias_hh_l0)   # all steps at once: (T, B, 4h)
        return lstm_recurrence(XW, w_hh)


def lstm_recurrence(XW: torch.Tensor, w_hh: torch.Tensor) -> torch.Tensor:
    """The LSTM's sequential part alone, as a Python loop: XW (T, B, 4h) is the input product (biases included)."""
    B, h = XW.shape[1], w_hh.shape[1]
    H_t = C_t = XW.new_zeros(B, h)
    out = []
    for t in range(XW.shape[0]):
        i, f, g, o = (XW[t] + H_t @ w_hh.T).chunk(4, dim=1)
        C_t = torch.sigmoid(f) * C_t + torch.sigmoid(i) * torch.tanh(g)
        H_t = torch.sigmoid(o) * torch.tanh(C_t)
        out.append(H_t)
    return torch.stack(out)


class SRULayer(torch.nn.Module):
    """One SRU layer with d_in == h (highway input x_t itself), alpha = sqrt(3) as in the SRU paper's scaling."""

    def __init__(self, h: int, backend: str):
        super().__init__()
        self.backend = backend
        self.W = torch.nn.Parameter(torch.randn(h, 3 * h) / math.sqrt(h))
        self.v = torch.nn.Parameter(torch.randn(2, h) * 0.5)
        self.b = torch.nn.Parameter(torch.zeros(2, h))
        self.alpha = math.sqrt(3.0)

    def forward(self, X):
        U = X @ self.W   # one product for every step: (T, B, 3h)
        H, _ = sru_recurrence(U, X, self.v[0], self.v[1], self.b[0], self.b[1], None, self.alpha,
                              backend=self.backend)
        return H


def build(impl: str, h: int, device, dtype) -> torch.nn.Module:
    """The module that computes `impl` with input and hidden size h; raises RuntimeError where it cannot run."""
    if impl == "lstm_cudnn":
        return torch.nn.LSTM(h, h).to(device, dtype)
    if impl == "lstm_loop":
        return LSTMLoop(torch.nn.LSTM(h, h)).to(device, dtype)
    if impl in ("sru_loop", "sru_fused"):
        layer = SRULayer(h, "torch" if impl == "sru_loop" else "triton")
        if impl == "sru_fused" and torch.device(device).type != "cuda":
            raise RuntimeError("the fused kernel is timed on a GPU only (Triton's CPU interpreter is not a speed)")
        return layer.to(device, dtype)
    if impl == "sru_package":
        try:
            from sru import SRU
        except Exception as err:  # not installed, or its CUDA extension fails to build
            raise RuntimeError(f"the sru package is not usable here: {err}") from None
        return SRU(h, h, num_layers=1).to(device, dtype)
    raise ValueError(f"unknown implementation {impl!r}")


def runner(module: torch.nn.Module, X: torch.Tensor, backward: bool):
    """A zero-argument callable: one forward (and, if `backward`, one backward) pass over X."""
    def output():
        out = module(X)
        return out[0] if isinstance(out, tuple) else out

    if not backward:
        def forward_only():
            with torch.no_grad():
                output()
        return forward_only

    def forward_backward():
        output().sum().backward()
        module.zero_grad(set_to_none=True)
    return forward_backward
