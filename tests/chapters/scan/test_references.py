"""The scan chapter's references: every scan equals the sequential loop, the log-space scan equals the loop where the
loop can be computed, the gradient of a linear recurrence is the reverse recurrence, minGRU and minLSTM built of
torch.nn.Linear agree, and the work and depth of the scans are what the page says."""
import math

import pytest
import torch

from autograder.references.scan import (
    blelloch_scan,
    combine,
    count_params,
    g,
    hillis_steele_scan,
    linear_recurrence,
    log_g,
    log_space_scan,
    mingru_coefficients,
    mingru_forward,
    minlstm_forward,
)


def _recurrence(T, B=2, h=3, seed=0, signed=False):
    gen = torch.Generator().manual_seed(seed)
    A = torch.rand(T, B, h, generator=gen, dtype=torch.float64)
    if signed:
        A = 2.4 * A - 1.2
    return A, torch.randn(T, B, h, generator=gen, dtype=torch.float64), torch.randn(B, h, generator=gen,
                                                                                      dtype=torch.float64)


@pytest.mark.parametrize("T", [1, 2, 3, 5, 8, 13, 16, 31, 100])
@pytest.mark.parametrize("scan", [hillis_steele_scan, blelloch_scan])
def test_scans_equal_the_loop(scan, T):
    A, Bv, H0 = _recurrence(T, seed=T, signed=T % 2 == 1)
    for initial in (None, H0):
        assert torch.allclose(scan(A, Bv, initial), linear_recurrence(A, Bv, initial), rtol=0, atol=1e-12)


def test_combine_is_associative_and_composes_maps():
    gen = torch.Generator().manual_seed(1)
    maps = [(torch.randn(4, generator=gen, dtype=torch.float64), torch.randn(4, generator=gen, dtype=torch.float64))
            for _ in range(3)]
    (a1, b1), (a2, b2), (a3, b3) = maps
    left = combine(*combine(a1, b1, a2, b2), a3, b3)
    right = combine(a1, b1, *combine(a2, b2, a3, b3))
    assert all(torch.allclose(x, y, rtol=0, atol=1e-14) for x, y in zip(left, right))
    x = torch.randn(4, generator=gen, dtype=torch.float64)
    a, b = combine(a1, b1, a2, b2)
    assert torch.allclose(a * x + b, a2 * (a1 * x + b1) + b2, rtol=0, atol=1e-14)


@pytest.mark.parametrize("T", [2, 5, 8, 100, 1000])
def test_work_and_depth(T):
    A, Bv, _ = _recurrence(T, B=1, h=1)
    hs, bl = {}, {}
    hillis_steele_scan(A, Bv, counts=hs)
    blelloch_scan(A, Bv, counts=bl)
    rounds = math.ceil(math.log2(T))
    n = 2 ** rounds
    assert hs == {"work": sum(T - 2 ** k for k in range(rounds)), "depth": rounds}
    assert bl == {"work": 2 * n - 2 - rounds, "depth": 2 * rounds - 1}


def test_log_space_scan_equals_the_loop():
    A, Bv, H0 = _recurrence(50, seed=3)
    Bv, H0 = Bv.abs() + 0.01, H0.abs() + 0.01
    for initial in (None, H0):
        got = log_space_scan(A.log(), Bv.log(), None if initial is None else initial.log()).exp()
        assert torch.allclose(got, linear_recurrence(A, Bv, initial), rtol=1e-12, atol=0)


def test_log_space_scan_where_products_underflow():
    """Gates of 0.01 over 400 steps: their product (1e-800) is 0 in float64, the states are not; the log-space scan
    keeps them, and agrees with the loop."""
    T = 400
    A = torch.full((T, 1, 2), 0.01, dtype=torch.float64)
    Bv = torch.full((T, 1, 2), 0.5, dtype=torch.float64)
    assert torch.cumprod(A, 0)[-1].max().item() == 0.0
    got = log_space_scan(A.log(), Bv.log()).exp()
    assert torch.allclose(got, linear_recurrence(A, Bv), rtol=1e-12, atol=0)


def test_gradient_is_a_reverse_linear_recurrence():
    A, Bv, H0 = _recurrence(9, seed=4)
    leaves = [t.clone().requires_grad_() for t in (A, Bv, H0)]
    dH = torch.randn(9, 2, 3, dtype=torch.float64)
    (linear_recurrence(*leaves) * dH).sum().backward()
    A_next = torch.cat([A[1:], torch.zeros_like(A[:1])])
    G = linear_recurrence(A_next.flip(0), dH.flip(0)).flip(0)       # G_t = a_{t+1} G_{t+1} + dH_t
    H = linear_recurrence(A, Bv, H0)
    H_prev = torch.cat([H0[None], H[:-1]])
    assert torch.allclose(leaves[1].grad, G, rtol=0, atol=1e-12)
    assert torch.allclose(leaves[0].grad, G * H_prev, rtol=0, atol=1e-12)
    assert torch.allclose(leaves[2].grad, A[0] * G[0], rtol=0, atol=1e-12)


def _linear(d_in, h, gen):
    layer = torch.nn.Linear(d_in, h).double()
    with torch.no_grad():
        layer.weight.copy_(torch.randn(h, d_in, generator=gen, dtype=torch.float64))
        layer.bias.copy_(torch.randn(h, generator=gen, dtype=torch.float64))
    return layer


def test_min_cells_against_torch_linear_layers():
    """The cells written with torch.nn.Linear (weights transposed, as PyTorch stores them) and a plain loop."""
    gen = torch.Generator().manual_seed(5)
    T, B, d_in, h = 6, 2, 3, 4
    X, H0 = torch.randn(T, B, d_in, generator=gen, dtype=torch.float64), torch.randn(B, h, generator=gen,
                                                                                      dtype=torch.float64)
    lin = {k: _linear(d_in, h, gen) for k in ("z", "f", "i", "n")}
    p = {f"W_x{k}": m.weight.detach().T for k, m in lin.items()}
    p.update({f"b_{k}": m.bias.detach() for k, m in lin.items()})
    h_gru, h_lstm = H0, H0
    for t in range(T):
        z = torch.sigmoid(lin["z"](X[t]))
        h_gru = (1 - z) * h_gru + z * lin["n"](X[t])
        f, i = torch.sigmoid(lin["f"](X[t])), torch.sigmoid(lin["i"](X[t]))
        h_lstm = f / (f + i) * h_lstm + i / (f + i) * lin["n"](X[t])
    assert torch.allclose(mingru_forward(X, p, H0)[-1], h_gru.detach(), rtol=0, atol=1e-12)
    assert torch.allclose(minlstm_forward(X, p, H0)[-1], h_lstm.detach(), rtol=0, atol=1e-12)


def test_g_is_positive_and_continuous():
    x = torch.linspace(-30, 30, 601, dtype=torch.float64)
    assert (g(x) > 0).all()
    assert torch.allclose(log_g(x), g(x).log(), rtol=0, atol=1e-12)
    assert abs(g(torch.tensor(0.0)).item() - 0.5) < 1e-15 and abs(g(torch.tensor(-1e-12)).item() - 0.5) < 1e-12


def test_log_space_mingru_equals_its_loop():
    gen = torch.Generator().manual_seed(6)
    X = torch.randn(40, 2, 3, generator=gen, dtype=torch.float64)
    p = {"W_xz": torch.randn(3, 4, generator=gen, dtype=torch.float64), "b_z": torch.randn(4, generator=gen,
                                                                                            dtype=torch.float64),
         "W_xn": torch.randn(3, 4, generator=gen, dtype=torch.float64), "b_n": torch.randn(4, generator=gen,
                                                                                           dtype=torch.float64)}
    A, Bv = mingru_coefficients(X, p, log_space=True)
    got = log_space_scan(A.log(), Bv.log()).exp()
    assert torch.allclose(got, mingru_forward(X, p, log_space=True), rtol=1e-12, atol=0)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_counts_match_torch(kind):
    module = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind](7, 5)
    assert count_params(kind, 7, 5) == sum(p.numel() for p in module.parameters())
