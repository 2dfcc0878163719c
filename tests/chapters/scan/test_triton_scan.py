"""The scan chapter's Triton kernel (autograder/book/scan_triton.py) against the sequential reference, on the CPU
under Triton's interpreter (TRITON_INTERPRET=1 in a fresh process, so no GPU is needed): lengths that are not
multiples of the time chunk, several chunks, a column count that does not fill the last tile, with and without h_0,
in float64 (to rounding) and float32 (to float32 precision)."""

from autograder.book.scan_triton import BLOCK_N, TIMED_SHAPES, memory_bound_seconds, programs
from tests.helpers.triton_interpreter import run_interpreted

_KERNEL_VS_REFERENCE = """
import json, torch
from autograder.book.scan_triton import linear_scan_triton
from autograder.references.scan import linear_recurrence
errors = {}
g = torch.Generator().manual_seed(0)
for dtype in (torch.float64, torch.float32):
    worst = 0.0
    for T, B, h in ((1, 1, 1), (5, 2, 3), (70, 3, 7)):
        a = torch.rand(T, B, h, generator=g, dtype=torch.float64)
        b = torch.randn(T, B, h, generator=g, dtype=torch.float64)
        h0 = torch.randn(B, h, generator=g, dtype=torch.float64)
        for initial in (None, h0):
            got = linear_scan_triton(a.to(dtype), b.to(dtype), None if initial is None else initial.to(dtype),
                                     block_t=32, block_n=16)
            worst = max(worst, (got.double() - linear_recurrence(a, b, initial)).abs().max().item())
    errors[str(dtype)] = worst
print(json.dumps(errors))
"""


def test_triton_scan_matches_the_loop_under_the_interpreter():
    errors = run_interpreted(_KERNEL_VS_REFERENCE)
    assert errors["torch.float64"] < 1e-12 and errors["torch.float32"] < 1e-5, errors


def test_memory_bound():
    # 3 numbers of 4 bytes per step and column: T = 8192, N = 4096 at 3.35e12 bytes/s is about 120 microseconds
    assert abs(memory_bound_seconds(8192, 4096, 3.35e12) - 12 * 8192 * 4096 / 3.35e12) < 1e-15
    assert memory_bound_seconds(1, 1, 1.0, bytes_per_number=8) == 24


def test_programs_cover_every_column_once():
    # one program per tile of BLOCK_N columns, the last one partly masked; the GPU page quotes these for its shapes
    assert programs(1) == 1 and programs(BLOCK_N) == 1 and programs(BLOCK_N + 1) == 2
    assert all(programs(N) * BLOCK_N >= N > (programs(N) - 1) * BLOCK_N for N in TIMED_SHAPES["N"])
