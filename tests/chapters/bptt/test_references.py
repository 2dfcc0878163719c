"""The BPTT chapter's references agree with torch.autograd, torch.nn.RNN, torch.nn.utils and hand computations."""
import math

import numpy as np
import pytest
import torch

from autograder.references.bptt import (
    PARAMS,
    birnn_forward,
    birnn_params_from_torch,
    bptt_gradients,
    hidden_gradient_norms,
    hidden_gradient_sensitivity,
    rtrl_gradients,
    sequence_loss,
    step_backward,
)
from autograder.references.elman_jordan import elman_forward

SHAPES = [(5, 3, 4, 6, 2), (1, 1, 2, 3, 1), (6, 1, 3, 3, 3), (4, 2, 1, 1, 1)]  # T, B, d_in, h, q


def _net(seed, T, B, d_in, h, q, given_h0=True):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64) * 0.6
    p = dict(W_xh=r(d_in, h), W_hh=r(h, h), b_h=r(h), W_hq=r(h, q), b_q=r(q))
    return r(T, B, d_in) / 0.6, r(T, B, q) / 0.6, p, (r(B, h) if given_h0 else None)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("given_h0", [False, True])
def test_per_step_shares_add_up_to_autograd(shape, given_h0):
    X, Y, p, H0 = _net(1, *shape, given_h0=given_h0)
    g = bptt_gradients(X, Y, **p, H0=H0)
    for name in PARAMS:
        torch.testing.assert_close(g["per_step"][name].sum(0), g[name], rtol=1e-12, atol=1e-12)
    # The loss is the same as through torch.nn.RNN.
    H = elman_forward(X, p["W_xh"], p["W_hh"], p["b_h"], H0)
    assert g["loss"].item() == pytest.approx(sequence_loss(H, Y, p["W_hq"], p["b_q"]).item(), rel=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_bptt_recursion_by_hand_in_torch(shape):
    """dH_t = dO_t W_hq^T + dA_{t+1} W_hh^T, dA_t = dH_t (1 - H_t^2), dX_t = dA_t W_xh^T, dH_0 = dA_1 W_hh^T."""
    X, Y, p, H0 = _net(2, *shape)
    g = bptt_gradients(X, Y, **p, H0=H0)
    H = elman_forward(X, p["W_xh"], p["W_hh"], p["b_h"], H0)
    dO = H @ p["W_hq"] + p["b_q"] - Y
    carry = torch.zeros_like(H[0])
    for t in reversed(range(X.shape[0])):
        dH = dO[t] @ p["W_hq"].T + carry
        torch.testing.assert_close(dH, g["H"][t], rtol=1e-12, atol=1e-12)
        dA = dH * (1 - H[t] ** 2)
        torch.testing.assert_close(dA @ p["W_xh"].T, g["X"][t], rtol=1e-12, atol=1e-12)
        carry = dA @ p["W_hh"].T
    torch.testing.assert_close(carry, g["H0"], rtol=1e-12, atol=1e-12)


def test_step_backward_matches_rnn_cell():
    torch.manual_seed(0)
    cell = torch.nn.RNNCell(3, 4, dtype=torch.float64)
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    h = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    up = torch.randn(2, 4, dtype=torch.float64)
    cell(x, h).backward(up)
    got = step_backward(up, x.detach(), h.detach(), cell.weight_ih.T.detach(), cell.weight_hh.T.detach(),
                        (cell.bias_ih + cell.bias_hh).detach())
    torch.testing.assert_close(got["X_t"], x.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(got["H_prev"], h.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(got["W_xh"], cell.weight_ih.grad.T, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(got["W_hh"], cell.weight_hh.grad.T, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(got["b_h"], cell.bias_ih.grad, rtol=1e-12, atol=1e-12)


def test_scalar_bptt_by_hand():
    """d_in = h = q = 1, T = 2, H0 = 0: every derivative written out with math.tanh."""
    wx, wh, b, wq, c = 0.7, -1.2, 0.1, 1.5, -0.2
    x1, x2, y1, y2 = 1.0, -0.5, 0.3, 0.8
    h1 = math.tanh(wx * x1 + b)
    h2 = math.tanh(wx * x2 + wh * h1 + b)
    e1, e2 = wq * h1 + c - y1, wq * h2 + c - y2
    dh2 = e2 * wq
    da2 = dh2 * (1 - h2 ** 2)
    dh1 = e1 * wq + da2 * wh
    da1 = dh1 * (1 - h1 ** 2)
    expected = {"W_xh": da1 * x1 + da2 * x2, "W_hh": da2 * h1, "b_h": da1 + da2, "W_hq": e1 * h1 + e2 * h2,
                "b_q": e1 + e2}
    g = bptt_gradients([[[x1]], [[x2]]], [[[y1]], [[y2]]], [[wx]], [[wh]], [b], [[wq]], [c])
    for name, value in expected.items():
        assert g[name].item() == pytest.approx(value, abs=1e-15), name


@pytest.mark.parametrize("shape", SHAPES)
def test_rtrl_equals_autograd(shape):
    X, Y, p, H0 = _net(3, *shape)
    g = bptt_gradients(X, Y, **p, H0=H0)
    r = rtrl_gradients(X, Y, **p, H0=H0)
    for name in ("W_xh", "W_hh", "b_h"):
        torch.testing.assert_close(r[name], g[name], rtol=1e-11, atol=1e-12)
    S = hidden_gradient_sensitivity(X, p["W_xh"], p["W_hh"], p["b_h"], H0)
    torch.testing.assert_close(r["S_W_hh"], S, rtol=1e-11, atol=1e-12)


def test_hidden_gradient_norms_by_hand():
    """Product of Jacobians: dL/dH_{t-1} = (dL/dH_t * (1 - H_t^2)) W_hh^T."""
    X, _, p, H0 = _net(4, 6, 2, 3, 4, 1)
    G = torch.randn(2, 4, dtype=torch.float64)
    H = elman_forward(X, p["W_xh"], p["W_hh"], p["b_h"], H0)
    d, norms = G, []
    for t in reversed(range(6)):
        norms.append(torch.linalg.norm(d))
        d = (d * (1 - H[t] ** 2)) @ p["W_hh"].T
    torch.testing.assert_close(hidden_gradient_norms(X, p["W_xh"], p["W_hh"], p["b_h"], G, H0),
                               torch.stack(norms[::-1]), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("given_h0", [False, True])
def test_birnn_matches_torch(bidirectional, given_h0):
    torch.manual_seed(5)
    rnn = torch.nn.RNN(3, 4, num_layers=2, bidirectional=bidirectional, dtype=torch.float64)
    X = torch.randn(5, 2, 3, dtype=torch.float64)
    H0 = torch.randn(2 * (1 + bidirectional), 2, 4, dtype=torch.float64) if given_h0 else None
    out, h_n = rnn(X, H0)
    got_out, got_hn = birnn_forward(X, birnn_params_from_torch(rnn), H0)
    torch.testing.assert_close(got_out, out.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(got_hn, h_n.detach(), rtol=1e-12, atol=1e-12)


def test_clip_grad_norm_formula():
    """torch's rule: scale by min(1, max_norm / (total_norm + 1e-6)), one global norm over all tensors."""
    g = [torch.tensor([3.0, 4.0], dtype=torch.float64), torch.tensor([[12.0]], dtype=torch.float64)]
    params = [torch.zeros_like(x, requires_grad=True) for x in g]
    for p_, x in zip(params, g):
        p_.grad = x.clone()
    total = torch.nn.utils.clip_grad_norm_(params, 1.0)
    assert total.item() == 13.0
    for p_, x in zip(params, g):
        np.testing.assert_allclose(p_.grad.numpy(), x.numpy() / (13.0 + 1e-6), rtol=1e-15)
