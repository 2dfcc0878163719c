"""The LSTM references agree with torch.nn.LSTM / LSTMCell / autograd in float64, and with scalar cases by hand."""
import math

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from autograder.references.lstm import (
    PARAM_KEYS,
    coupled_lstm_forward,
    lstm_forward,
    lstm_grads_per_step,
    lstm_layers_from_torch,
    lstm_params_from_torch,
    lstm_step,
    peephole_lstm_forward,
    stacked_lstm_forward,
)

TOL = dict(rtol=1e-12, atol=1e-12)
SHAPES = [(5, 3, 4, 6), (7, 1, 3, 2), (1, 4, 2, 5), (4, 2, 3, 3), (1, 1, 1, 1)]  # (T, B, d_in, h)


def f64(*shape):
    return torch.randn(*shape, dtype=torch.float64)


def make_lstm(d_in, h, **kw):
    lstm = torch.nn.LSTM(d_in, h, dtype=torch.float64, **kw)
    with torch.no_grad():  # larger than the default init, so the gates leave their linear range
        for p in lstm.parameters():
            p.normal_(0, 0.6)
    return lstm.eval()


@pytest.mark.parametrize("T,B,d_in,h", SHAPES)
@pytest.mark.parametrize("given_states", [False, True])
def test_lstm_forward_matches_torch(T, B, d_in, h, given_states):
    torch.manual_seed(T * 100 + B * 10 + h)
    lstm = make_lstm(d_in, h)
    X = f64(T, B, d_in)
    H0, C0 = (f64(B, h), f64(B, h)) if given_states else (None, None)
    with torch.no_grad():
        out, (h_n, c_n) = lstm(X, None if H0 is None else (H0[None], C0[None]))
    H, C = lstm_forward(X, lstm_params_from_torch(lstm), H0, C0)
    torch.testing.assert_close(H, out, **TOL)
    torch.testing.assert_close(H[-1], h_n[0], **TOL)
    torch.testing.assert_close(C[-1], c_n[0], **TOL)


def test_step_matches_lstm_cell():
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(3, 4, dtype=torch.float64)
    x, h, c = f64(2, 3), f64(2, 4), f64(2, 4)
    h_ref, c_ref = cell(x, (h, c))
    w_ih, w_hh, b = cell.weight_ih.detach(), cell.weight_hh.detach(), (cell.bias_ih + cell.bias_hh).detach()
    params = {}
    for k, g in enumerate("ifgo"):
        rows = slice(4 * k, 4 * k + 4)
        params["W_x" + g], params["W_h" + g], params["b_" + g] = w_ih[rows].T, w_hh[rows].T, b[rows]
    H, C = lstm_step(x, h, c, params)
    torch.testing.assert_close(H, h_ref.detach(), **TOL)
    torch.testing.assert_close(C, c_ref.detach(), **TOL)


def test_gate_blocks_in_torch_order():
    """A gate block's bias alone decides what the gate is: push b_f to -50, and the old cell is forgotten."""
    torch.manual_seed(1)
    lstm = make_lstm(2, 3)
    with torch.no_grad():
        lstm.bias_ih_l0[3:6] = -50.0  # block 1 = forget gate
    p = lstm_params_from_torch(lstm)
    assert torch.all(p["b_f"] < -40) and not torch.any(p["b_i"] < -40)
    X, C0 = f64(1, 1, 2), 100 * torch.ones(1, 3, dtype=torch.float64)
    _, C = lstm_forward(X, p, torch.zeros(1, 3, dtype=torch.float64), C0)
    assert C.abs().max() < 1.0  # C_1 = F ⊙ 100 + I ⊙ G with F ≈ 0


@pytest.mark.parametrize("num_layers,bidirectional", [(1, True), (2, False), (2, True), (3, True)])
@pytest.mark.parametrize("given_states", [False, True])
def test_stacked_and_bidirectional(num_layers, bidirectional, given_states):
    torch.manual_seed(7 + num_layers)
    T, B, d_in, h = 6, 3, 4, 5
    lstm = make_lstm(d_in, h, num_layers=num_layers, bidirectional=bidirectional)
    D = 2 if bidirectional else 1
    X = f64(T, B, d_in)
    states = (f64(num_layers * D, B, h), f64(num_layers * D, B, h)) if given_states else None
    with torch.no_grad():
        out, (h_n, c_n) = lstm(X, states)
    got, (gh, gc) = stacked_lstm_forward(X, lstm_layers_from_torch(lstm), *(states or (None, None)))
    torch.testing.assert_close(got, out, **TOL)
    torch.testing.assert_close(gh, h_n, **TOL)
    torch.testing.assert_close(gc, c_n, **TOL)


def test_no_bias():
    torch.manual_seed(3)
    lstm = make_lstm(3, 3, bias=False, num_layers=2, bidirectional=True)
    X = f64(4, 2, 3)
    with torch.no_grad():
        out, _ = lstm(X)
    torch.testing.assert_close(stacked_lstm_forward(X, lstm_layers_from_torch(lstm))[0], out, **TOL)


@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True)])
@pytest.mark.parametrize("given_states", [False, True])
def test_mask_matches_packed_sequences(num_layers, bidirectional, given_states):
    torch.manual_seed(11)
    T, B, d_in, h = 7, 4, 3, 4
    D = 2 if bidirectional else 1
    lstm = make_lstm(d_in, h, num_layers=num_layers, bidirectional=bidirectional)
    lengths = torch.tensor([7, 3, 1, 5])
    X = f64(T, B, d_in)
    mask = (torch.arange(T)[:, None] < lengths[None, :]).to(torch.float64)
    states = (f64(num_layers * D, B, h), f64(num_layers * D, B, h)) if given_states else None
    with torch.no_grad():
        packed, (h_n, c_n) = lstm(pack_padded_sequence(X, lengths, enforce_sorted=False), states)
    out, _ = pad_packed_sequence(packed, total_length=T)
    got, (gh, gc) = stacked_lstm_forward(X, lstm_layers_from_torch(lstm), *(states or (None, None)), mask=mask)
    torch.testing.assert_close(got, out, **TOL)
    torch.testing.assert_close(gh, h_n, **TOL)
    torch.testing.assert_close(gc, c_n, **TOL)


def test_mask_leaves_state_unchanged_anywhere():
    """Padding in the middle: the states equal those of the sequence with the padded steps cut out."""
    torch.manual_seed(5)
    lstm = make_lstm(2, 3)
    p = lstm_params_from_torch(lstm)
    X, H0, C0 = f64(5, 1, 2), f64(1, 3), f64(1, 3)
    mask = torch.tensor([[1.0], [0.0], [1.0], [0.0], [1.0]])
    H, C = lstm_forward(X, p, H0, C0, mask)
    H_cut, C_cut = lstm_forward(X[[0, 2, 4]], p, H0, C0)
    torch.testing.assert_close(H[[0, 2, 4]], H_cut, **TOL)
    torch.testing.assert_close(C[-1], C_cut[-1], **TOL)
    torch.testing.assert_close(H[1], H[0], **TOL)  # a padded step repeats the last real state
    torch.testing.assert_close(C[3], C[2], **TOL)


@pytest.mark.parametrize("T,B,d_in,h", [(5, 3, 4, 6), (1, 1, 2, 2), (4, 2, 3, 3)])
def test_per_step_grads_sum_to_autograd_of_torch_lstm(T, B, d_in, h):
    torch.manual_seed(T + B + h)
    lstm = make_lstm(d_in, h)
    X, H0, C0, dH = f64(T, B, d_in), f64(B, h), f64(B, h), f64(T, B, h)
    X.requires_grad_(True)
    H0.requires_grad_(True)
    C0.requires_grad_(True)
    out, _ = lstm(X, (H0[None], C0[None]))
    (out * dH).sum().backward()
    got = lstm_grads_per_step(X.detach(), lstm_params_from_torch(lstm), H0.detach(), C0.detach(), dH)
    g_ih, g_hh = lstm.weight_ih_l0.grad, lstm.weight_hh_l0.grad
    g_b = lstm.bias_ih_l0.grad  # equal to bias_hh_l0.grad: both enter the same sum
    torch.testing.assert_close(lstm.bias_hh_l0.grad, g_b, **TOL)
    for k, gate in enumerate("ifgo"):
        rows = slice(k * h, (k + 1) * h)
        torch.testing.assert_close(got["W_x" + gate].sum(0), g_ih[rows].T, **TOL)
        torch.testing.assert_close(got["W_h" + gate].sum(0), g_hh[rows].T, **TOL)
        torch.testing.assert_close(got["b_" + gate].sum(0), g_b[rows], **TOL)
        assert got["W_x" + gate].shape == (T, d_in, h)
    torch.testing.assert_close(got["X"], X.grad, **TOL)
    torch.testing.assert_close(got["H0"], H0.grad, **TOL)
    torch.testing.assert_close(got["C0"], C0.grad, **TOL)


def _sig(z):
    return 1 / (1 + math.exp(-z))


def _scalar_params(**extra):
    vals = dict(W_xi=0.5, W_hi=-0.4, b_i=0.1, W_xf=-0.3, W_hf=0.8, b_f=1.0,
                W_xg=0.9, W_hg=0.2, b_g=-0.2, W_xo=0.7, W_ho=-0.6, b_o=0.3, **extra)
    return vals, {k: torch.tensor([[v]] if k.startswith("W") else [v], dtype=torch.float64) for k, v in vals.items()}


def test_peephole_by_hand_scalar_case():
    v, p = _scalar_params(w_ci=0.6, w_cf=-0.7, w_co=1.1)
    xs, h, c = [1.0, -2.0, 0.5], 0.3, -0.4
    hs, cs = [], []
    for x in xs:
        i = _sig(v["W_xi"] * x + v["W_hi"] * h + v["w_ci"] * c + v["b_i"])
        f = _sig(v["W_xf"] * x + v["W_hf"] * h + v["w_cf"] * c + v["b_f"])
        g = math.tanh(v["W_xg"] * x + v["W_hg"] * h + v["b_g"])
        c = f * c + i * g
        o = _sig(v["W_xo"] * x + v["W_ho"] * h + v["w_co"] * c + v["b_o"])
        h = o * math.tanh(c)
        hs.append(h)
        cs.append(c)
    H, C = peephole_lstm_forward(torch.tensor(xs, dtype=torch.float64).reshape(3, 1, 1), p,
                                 torch.tensor([[0.3]], dtype=torch.float64),
                                 torch.tensor([[-0.4]], dtype=torch.float64))
    assert H.flatten().tolist() == pytest.approx(hs, abs=1e-15)
    assert C.flatten().tolist() == pytest.approx(cs, abs=1e-15)


def test_peephole_with_zero_peepholes_is_the_lstm():
    torch.manual_seed(8)
    p = lstm_params_from_torch(make_lstm(3, 4))
    zeros = {k: torch.zeros(4, dtype=torch.float64) for k in ("w_ci", "w_cf", "w_co")}
    X = f64(5, 2, 3)
    for a, b in zip(peephole_lstm_forward(X, {**p, **zeros}), lstm_forward(X, p)):
        torch.testing.assert_close(a, b, **TOL)


def test_coupled_by_hand_scalar_case():
    v, p = _scalar_params()
    xs, h, c = [0.4, 1.5, -1.0], -0.2, 0.5
    hs = []
    for x in xs:
        f = _sig(v["W_xf"] * x + v["W_hf"] * h + v["b_f"])
        g = math.tanh(v["W_xg"] * x + v["W_hg"] * h + v["b_g"])
        o = _sig(v["W_xo"] * x + v["W_ho"] * h + v["b_o"])
        c = f * c + (1 - f) * g
        h = o * math.tanh(c)
        hs.append(h)
    H, _ = coupled_lstm_forward(torch.tensor(xs, dtype=torch.float64).reshape(3, 1, 1), p,
                                torch.tensor([[-0.2]], dtype=torch.float64), torch.tensor([[0.5]], dtype=torch.float64))
    assert H.flatten().tolist() == pytest.approx(hs, abs=1e-15)


def test_param_keys_and_shapes():
    p = lstm_params_from_torch(make_lstm(3, 5))
    assert tuple(p) == PARAM_KEYS
    assert p["W_xg"].shape == (3, 5) and p["W_hg"].shape == (5, 5) and p["b_g"].shape == (5,)
