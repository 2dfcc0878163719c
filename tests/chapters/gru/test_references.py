"""The GRU references agree with torch.nn.GRU (reset-after), with a hand computation (reset-before, which PyTorch
has no module for), and the counting helpers with sum(p.numel()) of the torch modules."""
import math

import numpy as np
import pytest
import torch

from autograder.cases.gru import EXAMPLE, count_cases, gru_backward_cases, random_params, torch_gru_from
from autograder.references.gru import (
    PARAM_KEYS,
    count_params,
    gru_forward,
    gru_params_from_torch,
    gru_step,
    step_flops,
)

SHAPES = [(5, 3, 4, 6), (7, 1, 3, 2), (1, 4, 2, 5), (4, 2, 3, 3), (1, 1, 1, 1)]   # (T, B, d_in, h)


@pytest.mark.parametrize("T,B,d_in,h", SHAPES)
@pytest.mark.parametrize("given_h0", [False, True])
def test_forward_matches_torch_gru(T, B, d_in, h, given_h0):
    torch.manual_seed(T * 100 + B * 10 + h)
    gru = torch.nn.GRU(d_in, h, dtype=torch.float64)
    with torch.no_grad():
        for p in gru.parameters():
            p.normal_(0, 0.8)
    X = torch.randn(T, B, d_in, dtype=torch.float64)
    H0 = torch.randn(B, h, dtype=torch.float64) if given_h0 else None
    expected, h_n = gru(X, None if H0 is None else H0[None])
    got = gru_forward(X, gru_params_from_torch(gru), H0=H0)
    torch.testing.assert_close(got, expected.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(got[-1], h_n[0].detach(), rtol=1e-12, atol=1e-12)


def test_step_matches_gru_cell_batch_one():
    torch.manual_seed(0)
    cell = torch.nn.GRUCell(3, 4, dtype=torch.float64)
    x, h = torch.randn(1, 3, dtype=torch.float64), torch.randn(1, 4, dtype=torch.float64)
    torch.testing.assert_close(gru_step(x, h, gru_params_from_torch(cell)), cell(x, h).detach(), rtol=1e-12, atol=1e-12)


def test_without_bias_and_reverse_direction():
    torch.manual_seed(1)
    gru = torch.nn.GRU(3, 2, bias=False, bidirectional=True, dtype=torch.float64)
    X = torch.randn(4, 2, 3, dtype=torch.float64)
    out, _ = gru(X)
    fwd = gru_forward(X, gru_params_from_torch(gru))
    bwd = gru_forward(X.flip(0), gru_params_from_torch(gru, direction="_reverse")).flip(0)
    torch.testing.assert_close(torch.cat([fwd, bwd], -1), out.detach(), rtol=1e-12, atol=1e-12)


def test_load_into_torch_round_trip():
    rng = np.random.default_rng(3)
    params = random_params(rng, 3, 4)
    gru = torch_gru_from(params, rng)
    back = gru_params_from_torch(gru)
    for k in PARAM_KEYS:
        np.testing.assert_allclose(back[k].numpy(), params[k], rtol=0, atol=1e-14, err_msg=k)


def _sig(a):
    return 1 / (1 + math.exp(-a))


def test_scalar_by_hand_both_conventions():
    """d_in = h = 1, computed with math.* line by line; the two candidates differ exactly by (1 - r) * b_hn."""
    wxr, wxz, wxn, whr, whz, whn = 0.5, -0.3, 0.9, 0.6, 0.4, -0.8
    br, bz, bxn, bhn = 0.1, 0.2, 0.3, -0.7
    x, hp = 1.5, -0.4
    r, z = _sig(x * wxr + hp * whr + br), _sig(x * wxz + hp * whz + bz)
    n_after = math.tanh(x * wxn + bxn + r * (hp * whn + bhn))
    n_before = math.tanh(x * wxn + (r * hp) * whn + bxn + bhn)
    params = dict(W_xr=[[wxr]], W_xz=[[wxz]], W_xn=[[wxn]], W_hr=[[whr]], W_hz=[[whz]], W_hn=[[whn]],
                  b_r=[br], b_z=[bz], b_xn=[bxn], b_hn=[bhn])
    for after, n in ((True, n_after), (False, n_before)):
        got = gru_step([[x]], [[hp]], params, reset_after=after).item()
        assert got == pytest.approx((1 - z) * n + z * hp, abs=1e-15)
    assert math.atanh(n_after) - math.atanh(n_before) == pytest.approx((r - 1) * bhn, abs=1e-12)


def test_worked_example_reset_before_by_hand():
    """Step 1 from H_0 = 0 is the same in both conventions except for b_hn: R * (0 W_hn + b_hn) vs b_hn."""
    p = {k: np.asarray(v) for k, v in EXAMPLE["params"].items()}
    x = EXAMPLE["X"][0, 0]
    r = 1 / (1 + np.exp(-(x @ p["W_xr"] + p["b_r"])))
    z = 1 / (1 + np.exp(-(x @ p["W_xz"] + p["b_z"])))
    n_before = np.tanh(x @ p["W_xn"] + p["b_xn"] + p["b_hn"])
    n_after = np.tanh(x @ p["W_xn"] + p["b_xn"] + r * p["b_hn"])
    for after, n in ((False, n_before), (True, n_after)):
        H = gru_forward(EXAMPLE["X"], p, reset_after=after)
        np.testing.assert_allclose(H[0, 0].numpy(), (1 - z) * n, rtol=0, atol=1e-15)
    # Step 2 of the reset-before form, by hand from H_1.
    h1 = (1 - z) * n_before
    x2 = EXAMPLE["X"][1, 0]
    r2 = 1 / (1 + np.exp(-(x2 @ p["W_xr"] + h1 @ p["W_hr"] + p["b_r"])))
    z2 = 1 / (1 + np.exp(-(x2 @ p["W_xz"] + h1 @ p["W_hz"] + p["b_z"])))
    n2 = np.tanh(x2 @ p["W_xn"] + (r2 * h1) @ p["W_hn"] + p["b_xn"] + p["b_hn"])
    H = gru_forward(EXAMPLE["X"], p, reset_after=False)
    np.testing.assert_allclose(H[1, 0].numpy(), (1 - z2) * n2 + z2 * h1, rtol=0, atol=1e-15)


def test_conventions_differ():
    rng = np.random.default_rng(7)
    p = random_params(rng, 3, 4)
    X = rng.normal(size=(5, 2, 3))
    diff = (gru_forward(X, p, reset_after=True) - gru_forward(X, p, reset_after=False)).abs().max().item()
    assert diff > 1e-2


def test_empty_sequence():
    p = random_params(np.random.default_rng(0), 3, 4)
    assert gru_forward(np.zeros((0, 2, 3)), p).shape == (0, 2, 4)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("num_layers,bias,bidirectional", [(1, True, False), (1, False, False), (3, True, True),
                                                           (2, False, True), (2, True, False)])
def test_count_params_matches_torch(kind, num_layers, bias, bidirectional):
    (case,) = count_cases([dict(kind=kind, d_in=5, h=7, num_layers=num_layers, bias=bias,
                                bidirectional=bidirectional)])
    assert count_params(**case.inputs) == case.expected["count"], case.description


def test_flops_ratios():
    f = {k: step_flops(k, 64, 64, B=8) for k in ("rnn", "gru", "lstm")}
    assert f["gru"]["matmul"] == 3 * f["rnn"]["matmul"] and 4 * f["gru"]["matmul"] == 3 * f["lstm"]["matmul"]
    assert f["gru"]["matmul"] == 2 * 8 * 3 * 64 * 128


def test_backward_cases_match_torch_gru_autograd():
    """The backward oracle (autograd through the reference) equals autograd through torch.nn.GRU itself."""
    (case,) = gru_backward_cases(11, [dict(T=4, B=2, d_in=3, h=3, initial=True)])
    gru = torch_gru_from(case.inputs["params"], np.random.default_rng(0))
    X = torch.tensor(case.inputs["X"], requires_grad=True)
    H0 = torch.tensor(case.inputs["H0"][None], requires_grad=True)
    out, _ = gru(X, H0)
    (out * torch.from_numpy(case.inputs["dH"])).sum().backward()
    np.testing.assert_allclose(X.grad.numpy(), case.expected["X"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(H0.grad[0].numpy(), case.expected["H0"], rtol=1e-10, atol=1e-12)
    h = 3
    np.testing.assert_allclose(gru.weight_hh_l0.grad[2 * h:].T.numpy(), case.expected["W_hn"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gru.bias_hh_l0.grad[2 * h:].numpy(), case.expected["b_hn"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gru.bias_ih_l0.grad[:h].numpy(), case.expected["b_r"], rtol=1e-10, atol=1e-12)


def test_recall_task_targets_are_the_first_symbol():
    from autograder.book.recall import Recaller, RecallTask
    for task in (RecallTask(keys=5), RecallTask(keys=4, distractors=3)):
        X, y = task.batch(B=16, N=7, generator=torch.Generator().manual_seed(0))
        assert X.shape == (8, 16, task.inputs) and y.shape == (16,)
        assert torch.equal(X[0].argmax(dim=1), y) and torch.all(X.sum(dim=2) == 1)
        assert torch.all(y < task.keys)
    fb1 = Recaller("lstm", RecallTask(keys=5), h=4, forget_bias=1.0).rnn
    assert torch.all(fb1.bias_ih_l0[4:8] + fb1.bias_hh_l0[4:8] == 1.0)
