"""The SRU reference agrees with the independent `sru` package (2.6.0), with torch.autograd, and with a hand-computed
case; the hand-written backward pass agrees with autograd."""
import math
import os
import sys
import warnings

import pytest
import torch

from autograder.references.sru import (
    sru2017_forward,
    sru_backward,
    sru_forward,
    sru_init_params,
    sru_params_from_package,
    sru_stacked_weight,
)


def _import_sru():
    """Import the package (its first import compiles a C++ op with ninja, which pip installs into the venv's bin/)."""
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # "compiling the CUDA kernels was unsuccessful": expected on a CPU build
        try:
            import sru
        except Exception as err:            # noqa: BLE001 - any failure to build or import is a reason to skip
            pytest.skip(f"the sru package cannot be imported here ({type(err).__name__}: {err}); "
                        "install it with `pip install sru==2.6.0` (needs ninja and a C++ compiler)")
    return sru


def _params(d_in, h, seed, projection=None):
    g = torch.Generator().manual_seed(seed)
    rnd = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64) * 0.6
    p = {"W": rnd(d_in, h), "W_f": rnd(d_in, h), "W_r": rnd(d_in, h), "b_f": rnd(h), "b_r": rnd(h), "v_f": rnd(h),
         "v_r": rnd(h)}
    if projection if projection is not None else d_in != h:
        p["W_s"] = rnd(d_in, h)
    return p


PACKAGE_CASES = [  # d_in, h, T, B, SRUCell options
    (5, 5, 7, 3, {}), (4, 6, 5, 2, {}), (3, 3, 1, 1, {"highway_bias": -1.0}), (6, 2, 4, 1, {"rescale": False}),
    (4, 4, 6, 2, {"rescale": False}), (3, 3, 5, 2, {"v1": True, "use_tanh": True, "rescale": False})]


@pytest.mark.parametrize("d_in,h,T,B,options", PACKAGE_CASES)
def test_reference_matches_sru_package(d_in, h, T, B, options):
    """The package runs in float32, so the tolerance is float32's; its weights are randomised beyond the init."""
    sru = _import_sru()
    torch.manual_seed(100 * d_in + h)
    cell = sru.SRUCell(d_in, h, **options).eval()
    with torch.no_grad():
        cell.bias.uniform_(-1.0, 1.0)
        if not options.get("v1"):
            cell.weight_c.uniform_(-1.0, 1.0)
        X, c0 = torch.randn(T, B, d_in), torch.randn(B, h)
        H_pkg, c_pkg = cell(X, c0)
        H_pkg0, _ = cell(X)                                   # c0 = None means zeros in both
    p = sru_params_from_package(cell)
    assert ("W_s" in p) == (d_in != h), "the package uses a projection exactly when d_in != h"
    H, C = sru_forward(X, **p, c0=c0)
    torch.testing.assert_close(H, H_pkg.double(), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(C[-1], c_pkg.double(), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(sru_forward(X, **p)[0], H_pkg0.double(), rtol=1e-5, atol=1e-5)


def test_package_scale_is_the_papers_alpha_of_the_initial_bias():
    sru = _import_sru()
    for bias in (0.0, -2.0, 1.0):
        cell = sru.SRUCell(4, 4, highway_bias=bias)
        assert cell.scale_x.item() == pytest.approx(math.sqrt(1 + 2 * math.exp(bias)), rel=1e-6)
        assert torch.all(cell.bias[4:] == bias) and torch.all(cell.bias[:4] == 0)
        # scale_highway=True (alpha from b_r) is the package's constant while b_r holds its initial value
        p = sru_params_from_package(cell)
        X = torch.randn(3, 2, 4)
        torch.testing.assert_close(sru_forward(X, **{**p, "scale_highway": True})[0], sru_forward(X, **p)[0],
                                   rtol=1e-6, atol=1e-6)


def test_package_weight_layout_interleaves_the_matrices():
    """Column j*k + m of the package's weight is unit j of matrix m (m = 0: W, 1: W_f, 2: W_r, 3: W_s)."""
    sru = _import_sru()
    cell = sru.SRUCell(3, 2)                                  # d_in != h: k = 4
    p = sru_params_from_package(cell)
    w = cell.weight.detach().double()
    for m, name in enumerate(["W", "W_f", "W_r", "W_s"]):
        for j in range(2):
            assert torch.equal(w[:, j * 4 + m], p[name][:, j])


def test_init_matches_package_statistics():
    """sru_init_params follows the package's reset_parameters: same variances, same biases, same alpha."""
    sru = _import_sru()
    torch.manual_seed(0)
    d_in, h = 64, 128
    ours = sru_init_params(d_in, h, torch.Generator().manual_seed(0), highway_bias=-1.0)
    theirs = sru_params_from_package(sru.SRUCell(d_in, h, highway_bias=-1.0))
    for name in ("W", "W_f", "W_r", "W_s", "v_f", "v_r"):
        assert ours[name].var().item() == pytest.approx(theirs[name].var().item(), rel=0.15), name
    for name in ("b_f", "b_r"):
        assert torch.equal(ours[name], theirs[name])
    assert ours["scale_highway"] is False and theirs["scale_highway"] is False


@pytest.mark.parametrize("d_in,h,T,B,scale", [(4, 4, 6, 3, True), (3, 5, 5, 2, False), (4, 4, 1, 1, 0.7),
                                              (2, 2, 4, 1, True), (5, 3, 3, 2, True)])
def test_backward_matches_autograd(d_in, h, T, B, scale):
    p = {k: v.requires_grad_() for k, v in _params(d_in, h, seed=T * 10 + h).items()}
    g = torch.Generator().manual_seed(7)
    X = torch.randn(T, B, d_in, generator=g, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(B, h, generator=g, dtype=torch.float64, requires_grad=True)
    dH = torch.randn(T, B, h, generator=g, dtype=torch.float64)
    H, _ = sru_forward(X, **p, c0=c0, scale_highway=scale)
    (H * dH).sum().backward()
    got = sru_backward(X, **p, c0=c0, dH=dH, scale_highway=scale)
    for name, tensor in [*p.items(), ("X", X), ("c0", c0)]:
        torch.testing.assert_close(got[name], tensor.grad, rtol=1e-10, atol=1e-12, msg=f"gradient of {name}")


def test_one_step_by_hand():
    """d_in = h = 1, one step, with math.exp: f = s(wf x + vf c0 + bf), c = f c0 + (1-f) w x, h = r c + (1-r) a x."""
    s = lambda z: 1 / (1 + math.exp(-z))
    x, c0, w, wf, wr, bf, br, vf, vr = 0.8, -0.5, 1.2, -0.7, 0.4, 0.3, -0.2, 0.9, -1.1
    f, r = s(wf * x + vf * c0 + bf), s(wr * x + vr * c0 + br)
    c = f * c0 + (1 - f) * w * x
    alpha = math.sqrt(1 + 2 * math.exp(br))
    t = lambda v: torch.tensor([[v]], dtype=torch.float64)
    v = lambda v: torch.tensor([v], dtype=torch.float64)
    X = torch.tensor([[[x]]], dtype=torch.float64)
    H, C = sru_forward(X, t(w), t(wf), t(wr), v(bf), v(br), v(vf), v(vr), c0=t(c0))
    assert C.item() == pytest.approx(c, abs=1e-15)
    assert H.item() == pytest.approx(r * c + (1 - r) * alpha * x, abs=1e-15)


def test_2017_version_has_no_state_in_the_gates_and_tanh():
    p = _params(3, 3, seed=3)
    X = torch.randn(4, 2, 3, dtype=torch.float64)
    H, C = sru2017_forward(X, p["W"], p["W_f"], p["W_r"], p["b_f"], p["b_r"])
    f = torch.sigmoid(X @ p["W_f"] + p["b_f"])           # the gates depend on X only: computable for all t at once
    r = torch.sigmoid(X @ p["W_r"] + p["b_r"])
    c, U = torch.zeros(2, 3, dtype=torch.float64), X @ p["W"]
    for t_ in range(4):
        c = f[t_] * c + (1 - f[t_]) * U[t_]
        torch.testing.assert_close(C[t_], c, rtol=0, atol=1e-14)
        torch.testing.assert_close(H[t_], r[t_] * torch.tanh(c) + (1 - r[t_]) * X[t_], rtol=0, atol=1e-14)


def test_one_big_product_and_projection_rules():
    p = _params(3, 4, seed=5)
    assert sru_stacked_weight(p["W"], p["W_f"], p["W_r"], p["W_s"]).shape == (3, 16)
    X = torch.randn(2, 1, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="projection"):
        sru_forward(X, **{k: v for k, v in p.items() if k != "W_s"})
    q = _params(3, 3, seed=6, projection=True)
    with pytest.raises(ValueError, match="W_s=None"):
        sru_forward(X, **q)
    H, C = sru_forward(torch.zeros(0, 2, 3), **_params(3, 3, seed=1))
    assert H.shape == C.shape == (0, 2, 3)
