"""The linear recurrence h_t = a_t * h_{t-1} + b_t of the scan chapter as one Triton kernel, by a parallel scan.

Inputs a, b of shape (T, B, h) (or (T, N) with N = B h columns), an optional h_0 of shape (B, h); output H of shape
(T, B, h), H[t] = h_{t+1}. Every column is independent. Each program takes a tile of BLOCK_N columns and walks through
time in chunks of BLOCK_T steps: within a chunk, `tl.associative_scan` composes the affine maps with the chapter's
combine, (a_1, b_1) . (a_2, b_2) = (a_2 a_1, a_2 b_1 + b_2), in log2(BLOCK_T) rounds; the state carried from the
previous chunk is then applied, h = A_prefix * carry + B_prefix. Steps past T are padded with the identity map
(a = 1, b = 0), so the tile's last row is the state at the chunk's last step, the next chunk's carry.

Memory: each (step, column) reads a and b and writes h once: 3 numbers, 12 bytes in float32. At a memory bandwidth of
M bytes/s the kernel cannot take less than 12 T N / M seconds (`memory_bound_seconds`); the GPU chapter's
`benchmarks/record_gpu_results.py` is where such predictions are measured on a GPU.

The kernel runs on a CUDA GPU, or on the CPU under Triton's interpreter (TRITON_INTERPRET=1, set before triton is
imported): tests/chapters/scan/test_triton_scan.py checks it that way against the sequential reference.
"""
from __future__ import annotations

import torch

BLOCK_T = 64
BLOCK_N = 32
# The shapes benchmarks/record_gpu_results.py times the kernel at ("scan_kernel" section), and the GPU chapter's page
# predicts: T steps of N = B h columns. QUICK_SHAPES: its --quick smoke test.
TIMED_SHAPES = {"T": (1024, 8192), "N": (1024, 16384, 131072)}
QUICK_SHAPES = {"T": (64,), "N": (256,)}

_KERNEL = None
_combine = None     # the jitted combine, a module global: Triton resolves the names a kernel calls in its globals


def _kernel():
    """Define the kernel on first use, so importing this module never needs triton."""
    global _KERNEL, _combine
    if _KERNEL is not None:
        return _KERNEL
    import triton
    import triton.language as tl

    @triton.jit
    def combine(a1, b1, a2, b2):
        return a2 * a1, a2 * b1 + b2

    _combine = combine

    @triton.jit
    def linear_scan_kernel(A, Bv, H0, H, T, N, HAS_H0: tl.constexpr, BLOCK_T: tl.constexpr,
                           BLOCK_N: tl.constexpr):
        cols = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
        col_ok = cols < N
        if HAS_H0:
            carry = tl.load(H0 + cols, mask=col_ok, other=0.0)
        else:
            carry = tl.zeros([BLOCK_N], dtype=H.dtype.element_ty)
        steps = tl.arange(0, BLOCK_T)
        last = (steps == BLOCK_T - 1)[:, None]
        for t0 in range(0, T, BLOCK_T):
            rows = t0 + steps
            offsets = rows[:, None] * N + cols[None, :]
            ok = (rows[:, None] < T) & col_ok[None, :]
            a = tl.load(A + offsets, mask=ok, other=1.0)       # identity maps past the end
            b = tl.load(Bv + offsets, mask=ok, other=0.0)
            a_prefix, b_prefix = tl.associative_scan((a, b), 0, _combine)
            h = a_prefix * carry[None, :] + b_prefix
            tl.store(H + offsets, h, mask=ok)
            carry = tl.sum(tl.where(last, h, 0.0), axis=0)     # the state after the chunk's last step

    _KERNEL = (triton, linear_scan_kernel)
    return _KERNEL


def linear_scan_triton(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None,
                       block_t: int = BLOCK_T, block_n: int = BLOCK_N) -> torch.Tensor:
    """All states of h_t = a_t * h_{t-1} + b_t by the Triton kernel. a, b: (T, B, h) or (T, N). Returns H like a."""
    triton, kernel = _kernel()
    shape = a.shape
    T = shape[0]
    a2, b2 = a.reshape(T, -1).contiguous(), b.reshape(T, -1).contiguous()
    N = a2.shape[1]
    out = torch.empty_like(a2)
    h0_flat = (h0.reshape(-1).contiguous().to(a2.dtype) if h0 is not None else a2.new_zeros(1))
    grid = (triton.cdiv(N, block_n),)
    kernel[grid](a2, b2, h0_flat, out, T, N, HAS_H0=h0 is not None, BLOCK_T=block_t, BLOCK_N=block_n)
    return out.reshape(shape)


def memory_bound_seconds(T: int, N: int, bandwidth_bytes_per_s: float, bytes_per_number: int = 4) -> float:
    """The least time the kernel can take when limited by memory traffic: it reads a and b and writes h, once each,
    for every step and column."""
    return 3 * bytes_per_number * T * N / bandwidth_bytes_per_s


def programs(N: int, block_n: int = BLOCK_N) -> int:
    """How many programs the kernel launches for N columns: one per tile of block_n columns, each walking all T steps
    (in ceil(T / BLOCK_T) chunks, one after another)."""
    return -(-N // block_n)
