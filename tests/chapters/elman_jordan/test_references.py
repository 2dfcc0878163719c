"""The PyTorch references agree with torch.nn where PyTorch has a module, and with hand-computed cases otherwise."""
import math

import numpy as np
import pytest
import torch

from autograder.cases.elman_jordan import EXAMPLE as EX
from autograder.references.elman_jordan import (
    elman_forward,
    elman_params_from_torch,
    elman_step,
    jordan_forward,
    output_layer,
)

SHAPES = [  # (T, B, d_in, h): general, batch 1, one time step, square, both edge cases at once
    (5, 3, 4, 6), (7, 1, 3, 2), (1, 4, 2, 5), (4, 2, 3, 3), (1, 1, 1, 1)]


@pytest.mark.parametrize("T,B,d_in,h", SHAPES)
@pytest.mark.parametrize("given_h0", [False, True])
def test_elman_matches_torch_rnn(T, B, d_in, h, given_h0):
    torch.manual_seed(T * 100 + B * 10 + h)
    rnn = torch.nn.RNN(d_in, h, dtype=torch.float64)
    X = torch.randn(T, B, d_in, dtype=torch.float64)
    H0 = torch.randn(B, h, dtype=torch.float64) if given_h0 else None
    expected, h_n = rnn(X, None if H0 is None else H0[None])
    got = elman_forward(X, **elman_params_from_torch(rnn), H0=H0)
    torch.testing.assert_close(got, expected.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(got[-1], h_n[0].detach(), rtol=1e-12, atol=1e-12)


def test_elman_step_matches_rnn_cell():
    torch.manual_seed(0)
    cell = torch.nn.RNNCell(3, 4, dtype=torch.float64)
    x, h = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    got = elman_step(x, h, cell.weight_ih.T, cell.weight_hh.T, cell.bias_ih + cell.bias_hh)
    torch.testing.assert_close(got, cell(x, h).detach(), rtol=1e-12, atol=1e-12)


def test_params_from_torch_without_bias_and_reverse_direction():
    torch.manual_seed(1)
    rnn = torch.nn.RNN(3, 2, bias=False, bidirectional=True, dtype=torch.float64)
    X = torch.randn(4, 2, 3, dtype=torch.float64)
    out, _ = rnn(X)
    fwd = elman_forward(X, **elman_params_from_torch(rnn))
    bwd = elman_forward(X.flip(0), **elman_params_from_torch(rnn, direction="_reverse")).flip(0)
    torch.testing.assert_close(torch.cat([fwd, bwd], -1), out.detach(), rtol=1e-12, atol=1e-12)


def test_worked_example_first_step_by_hand():
    """H_1 = tanh([1, 0] W_xh + 0 + b_h) = tanh([0.5, -0.2]); O_1 = H_1 [1, -1]^T + 0.2."""
    H = elman_forward(EX["X"], EX["W_xh"], EX["W_hh"], EX["b_h"])
    h1 = [math.tanh(0.5), math.tanh(-0.2)]
    assert H[0, 0].tolist() == pytest.approx(h1, abs=1e-15)
    O = output_layer(H, EX["W_hq"], EX["b_q"])
    assert O[0, 0, 0].item() == pytest.approx(h1[0] - h1[1] + 0.2, abs=1e-15)


def test_jordan_by_hand_scalar_case():
    """d_in = h = q = 1, computed with math.tanh line by line: h_t = tanh(a x_t + c o_{t-1} + b), o_t = w h_t + d."""
    a, c, b, w, d = 0.9, -0.4, 0.1, 1.5, -0.3
    xs, o = [1.0, -2.0, 0.5], 0.25
    hs, os_ = [], []
    for x in xs:
        h = math.tanh(a * x + c * o + b)
        o = w * h + d
        hs.append(h)
        os_.append(o)
    H, O = jordan_forward(np.array(xs).reshape(3, 1, 1), [[a]], [[c]], [b], [[w]], [d], O0=[[0.25]])
    assert H.flatten().tolist() == pytest.approx(hs, abs=1e-15)
    assert O.flatten().tolist() == pytest.approx(os_, abs=1e-15)


def test_jordan_by_hand_worked_example():
    """The chapter's Jordan numbers (W_qh = [[0.7, -0.5]]): step 2 uses O_1, not H_1."""
    W_qh = np.array([[0.7, -0.5]])
    H, O = jordan_forward(EX["X"], EX["W_xh"], W_qh, EX["b_h"], EX["W_hq"], EX["b_q"])
    h1 = np.tanh(np.array([0.5, -0.2]))
    o1 = h1 @ EX["W_hq"][:, 0] + 0.2
    a2 = np.array([0.5, -1.0]) @ EX["W_xh"] + o1 * W_qh[0] + EX["b_h"]
    np.testing.assert_allclose(H[1, 0].numpy(), np.tanh(a2), rtol=0, atol=1e-15)
    np.testing.assert_allclose(O[:, 0, 0].numpy(), [0.85949248, 0.84295327, 1.20406831], atol=1e-8)


def test_empty_sequence():
    assert elman_forward(np.zeros((0, 2, 3)), np.zeros((3, 4)), np.zeros((4, 4)), np.zeros(4)).shape == (0, 2, 4)
