"""The GPU chapter's SRU recurrence (the fused Triton kernel and its PyTorch loop) agrees with the SRU chapter's
reference, `autograder.references.sru.sru_forward`: the chain that makes the timed kernel the same SRU as the
graded one. The kernel runs under Triton's interpreter (TRITON_INTERPRET=1) in a fresh process, so no GPU is needed.
"""
import math

import pytest
import torch

from autograder.book.sru_triton import sru_recurrence
from autograder.references.sru import sru_forward
from tests.helpers.triton_interpreter import run_interpreted


def _case(T, B, d_in, h, seed, given_c0):
    g = torch.Generator().manual_seed(seed)
    n = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64) * 0.6
    p = {"W": n(d_in, h), "W_f": n(d_in, h), "W_r": n(d_in, h), "b_f": n(h), "b_r": n(h), "v_f": n(h), "v_r": n(h)}
    if d_in != h:
        p["W_s"] = n(d_in, h)
    X = torch.randn(T, B, d_in, generator=g, dtype=torch.float64)
    c0 = n(B, h) if given_c0 else None
    return X, p, c0


# The scaling correction as the `sru` package applies it: one constant, sqrt(1 + 2 exp(highway_bias)), with the
# default highway_bias 0. The fused kernel takes it as a scalar.
ALPHA = math.sqrt(3.0)


def _recurrence_inputs(X, p):
    """What the fused kernel takes: the one big product split in three, the highway input, alpha."""
    U = torch.cat([X @ p["W"], X @ p["W_f"], X @ p["W_r"]], dim=-1)
    highway = X @ p["W_s"] if "W_s" in p else X
    return U, highway, ALPHA


CASES = [(5, 3, 4, 4, 0, False), (1, 1, 3, 3, 1, True), (6, 2, 5, 3, 2, True), (3, 1, 2, 6, 3, False)]


@pytest.mark.parametrize("T,B,d_in,h,seed,given_c0", CASES)
def test_torch_loop_matches_reference(T, B, d_in, h, seed, given_c0):
    X, p, c0 = _case(T, B, d_in, h, seed, given_c0)
    H_ref, C_ref = sru_forward(X, **p, c0=c0, scale_highway=ALPHA)
    U, highway, alpha = _recurrence_inputs(X, p)
    H, C = sru_recurrence(U, highway, p["v_f"], p["v_r"], p["b_f"], p["b_r"], c0, alpha, backend="torch")
    torch.testing.assert_close(H, H_ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(C, C_ref, rtol=1e-12, atol=1e-12)


_KERNEL_VS_REFERENCE = """
import json, torch
from tests.chapters.sru.test_fused_vs_reference import ALPHA, CASES, _case, _recurrence_inputs
from autograder.book.sru_triton import sru_recurrence
from autograder.references.sru import sru_forward
errors = []
for T, B, d_in, h, seed, given_c0 in CASES:
    X, p, c0 = _case(T, B, d_in, h, seed, given_c0)
    H_ref, C_ref = sru_forward(X, **p, c0=c0, scale_highway=ALPHA)
    U, highway, alpha = _recurrence_inputs(X, p)
    H, C = sru_recurrence(U, highway, p["v_f"], p["v_r"], p["b_f"], p["b_r"], c0, alpha, backend="triton")
    errors.append(max((H - H_ref).abs().max().item(), (C - C_ref).abs().max().item()))
print(json.dumps(errors))
"""


def test_triton_kernel_matches_reference_under_the_interpreter():
    errors = run_interpreted(_KERNEL_VS_REFERENCE)
    assert max(errors) < 1e-12, f"fused kernel vs SRU reference, max error per case: {errors}"
