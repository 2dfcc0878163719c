"""SRU's element-wise recurrence, fused into one Triton kernel (forward and backward), with a PyTorch-loop fallback.

The SRU layer splits into one large matrix product, U = X [W, W_f, W_r] for all steps at once, and an element-wise
recurrence over time (row vectors, time-major; all products are element-wise):

    f_t = sigmoid(U_f[t] + v_f * c_{t-1} + b_f)
    r_t = sigmoid(U_r[t] + v_r * c_{t-1} + b_r)
    c_t = f_t * c_{t-1} + (1 - f_t) * U_x[t]
    h_t = r_t * c_t + (1 - r_t) * alpha * x_t          (x_t: the highway input, X[t] or X[t] W_s)

This module implements only the recurrence. Its inputs: U of shape (T, B, 3h) laid out as [U_x | U_f | U_r] along
the last axis (or a tuple of three (T, B, h) tensors), the highway input x (T, B, h), v_f, v_r, b_f, b_r (h,), the
initial state c0 (B, h) or None, and the highway scale alpha. It returns (H, C), both (T, B, h), C[t] = c_t.

Every (batch, unit) column is independent of the others; only time is sequential. So the kernel gives each program
a block of columns and walks through time in a loop, keeping c_{t-1} in registers: one launch for the whole
sequence, each input read once and each output written once. A Python loop of PyTorch operations launches about
a dozen kernels per step instead, and reads and writes every intermediate from memory.
"""
from __future__ import annotations

import os

import torch

BLOCK = 128


def _split(U):
    if isinstance(U, (tuple, list)):
        return torch.cat(list(U), dim=-1)
    return U


def sru_recurrence_torch(U, x, v_f, v_r, b_f, b_r, c0=None, alpha=1.0):
    """The recurrence as a loop of element-wise PyTorch operations (differentiable by autograd). Returns (H, C)."""
    U = _split(U)
    T, B, three_h = U.shape
    h = three_h // 3
    U_x, U_f, U_r = U[..., :h], U[..., h:2 * h], U[..., 2 * h:]
    c = U.new_zeros(B, h) if c0 is None else c0
    H, C = [], []
    for t in range(T):
        f = torch.sigmoid(U_f[t] + v_f * c + b_f)
        r = torch.sigmoid(U_r[t] + v_r * c + b_r)  # both gates read c_{t-1}
        c = f * c + (1 - f) * U_x[t]
        H.append(r * c + (1 - r) * (alpha * x[t]))
        C.append(c)
    return torch.stack(H), torch.stack(C)


def triton_usable(device: torch.device | str) -> bool:
    """Can the Triton kernel run on tensors of this device (a CUDA GPU, or the CPU under TRITON_INTERPRET=1)?"""
    device = torch.device(device)
    interpreting = os.environ.get("TRITON_INTERPRET") == "1"
    if device.type == "cpu" and not interpreting:
        return False
    try:
        import triton  # noqa: F401
    except Exception:  # not installed, or broken on this platform
        return False
    return device.type == "cuda" or interpreting


_KERNELS = None


def _kernels():
    """Compile (define) the kernels on first use, so importing this module never needs triton."""
    global _KERNELS
    if _KERNELS is not None:
        return _KERNELS
    import triton
    import triton.language as tl

    @triton.jit
    def sru_fwd(U, X, VF, VR, BF, BR, CF, H, T, N, HID, alpha, BLOCK: tl.constexpr):
        # CF is (T+1, N): CF[0] = c0 on entry, the kernel writes CF[t+1] = c_t. Column n = b * HID + j.
        n = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = n < N
        j = n % HID
        u_col = (n // HID) * 3 * HID + j  # column n's U_x in row t is at t * 3N + u_col
        vf = tl.load(VF + j, mask=mask, other=0.0)
        vr = tl.load(VR + j, mask=mask, other=0.0)
        bf = tl.load(BF + j, mask=mask, other=0.0)
        br = tl.load(BR + j, mask=mask, other=0.0)
        c = tl.load(CF + n, mask=mask, other=0.0)
        for t in range(T):
            u = U + t * 3 * N + u_col
            ux = tl.load(u, mask=mask, other=0.0)
            uf = tl.load(u + HID, mask=mask, other=0.0)
            ur = tl.load(u + 2 * HID, mask=mask, other=0.0)
            x = tl.load(X + t * N + n, mask=mask, other=0.0)
            f = 1.0 / (1.0 + tl.exp(-(uf + vf * c + bf)))
            r = 1.0 / (1.0 + tl.exp(-(ur + vr * c + br)))
            c = f * c + (1.0 - f) * ux
            tl.store(CF + (t + 1) * N + n, c, mask=mask)
            tl.store(H + t * N + n, r * c + (1.0 - r) * (alpha * x), mask=mask)

    @triton.jit
    def sru_bwd(U, X, VF, VR, BF, BR, CF, dH, dC, dU, dX, dCF, dP, T, N, HID, alpha, BLOCK: tl.constexpr):
        # Walks time backwards carrying dc = dL/dc_t. dC holds the gradients arriving at the outputs C[t];
        # dCF[0] receives dL/dc0; dP (4, N) the per-column sums for v_f, v_r, b_f, b_r (summed over batch later).
        n = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = n < N
        j = n % HID
        u_col = (n // HID) * 3 * HID + j
        vf = tl.load(VF + j, mask=mask, other=0.0)
        vr = tl.load(VR + j, mask=mask, other=0.0)
        bf = tl.load(BF + j, mask=mask, other=0.0)
        br = tl.load(BR + j, mask=mask, other=0.0)
        dc = tl.zeros([BLOCK], dtype=CF.dtype.element_ty)
        g_vf = tl.zeros([BLOCK], dtype=CF.dtype.element_ty)
        g_vr = tl.zeros([BLOCK], dtype=CF.dtype.element_ty)
        g_bf = tl.zeros([BLOCK], dtype=CF.dtype.element_ty)
        g_br = tl.zeros([BLOCK], dtype=CF.dtype.element_ty)
        for i in range(T):
            t = T - 1 - i
            u = U + t * 3 * N + u_col
            ux = tl.load(u, mask=mask, other=0.0)
            uf = tl.load(u + HID, mask=mask, other=0.0)
            ur = tl.load(u + 2 * HID, mask=mask, other=0.0)
            x = tl.load(X + t * N + n, mask=mask, other=0.0)
            c_prev = tl.load(CF + t * N + n, mask=mask, other=0.0)
            c = tl.load(CF + (t + 1) * N + n, mask=mask, other=0.0)
            f = 1.0 / (1.0 + tl.exp(-(uf + vf * c_prev + bf)))
            r = 1.0 / (1.0 + tl.exp(-(ur + vr * c_prev + br)))
            dh = tl.load(dH + t * N + n, mask=mask, other=0.0)
            dc_t = dc + tl.load(dC + t * N + n, mask=mask, other=0.0) + dh * r
            dr_pre = dh * (c - alpha * x) * r * (1.0 - r)
            df_pre = dc_t * (c_prev - ux) * f * (1.0 - f)
            du = dU + t * 3 * N + u_col
            tl.store(du, dc_t * (1.0 - f), mask=mask)
            tl.store(du + HID, df_pre, mask=mask)
            tl.store(du + 2 * HID, dr_pre, mask=mask)
            tl.store(dX + t * N + n, dh * (1.0 - r) * alpha, mask=mask)
            dc = dc_t * f + df_pre * vf + dr_pre * vr
            g_vf += df_pre * c_prev
            g_vr += dr_pre * c_prev
            g_bf += df_pre
            g_br += dr_pre
        tl.store(dCF + n, dc, mask=mask)
        tl.store(dP + n, g_vf, mask=mask)
        tl.store(dP + N + n, g_vr, mask=mask)
        tl.store(dP + 2 * N + n, g_bf, mask=mask)
        tl.store(dP + 3 * N + n, g_br, mask=mask)

    _KERNELS = (triton, sru_fwd, sru_bwd)
    return _KERNELS


class _SRURecurrence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, U, x, v_f, v_r, b_f, b_r, c0, alpha):
        triton, fwd, _ = _kernels()
        T, B, three_h = U.shape
        h = three_h // 3
        N = B * h
        U, x = U.contiguous(), x.contiguous()
        params = [p.contiguous() for p in (v_f, v_r, b_f, b_r)]
        CF = U.new_empty(T + 1, B, h)
        CF[0] = c0
        H = U.new_empty(T, B, h)
        grid = (triton.cdiv(N, BLOCK),)
        fwd[grid](U, x, *params, CF, H, T, N, h, float(alpha), BLOCK=BLOCK)
        ctx.save_for_backward(U, x, *params, CF)
        ctx.alpha = float(alpha)
        return H, CF[1:]

    @staticmethod
    def backward(ctx, dH, dC):
        triton, _, bwd = _kernels()
        U, x, v_f, v_r, b_f, b_r, CF = ctx.saved_tensors
        T, B, h = x.shape
        N = B * h
        dH = torch.zeros_like(x) if dH is None else dH.contiguous()
        dC = torch.zeros_like(x) if dC is None else dC.contiguous()
        dU, dX = torch.empty_like(U), torch.empty_like(x)
        dc0, dP = U.new_empty(B, h), U.new_empty(4, B, h)
        grid = (triton.cdiv(N, BLOCK),)
        bwd[grid](U, x, v_f, v_r, b_f, b_r, CF, dH, dC, dU, dX, dc0, dP, T, N, h, ctx.alpha, BLOCK=BLOCK)
        d_vf, d_vr, d_bf, d_br = dP.sum(dim=1)
        return dU, dX, d_vf, d_vr, d_bf, d_br, dc0, None


def sru_recurrence(U, x, v_f, v_r, b_f, b_r, c0=None, alpha=1.0, backend: str = "auto"):
    """SRU's element-wise recurrence; returns (H, C), both (T, B, h). Differentiable with either backend.

    backend: "triton" (the fused kernel), "torch" (the loop of PyTorch operations), or "auto": the kernel where it
    can run (a CUDA tensor, or any tensor under TRITON_INTERPRET=1), else the loop.
    """
    U = _split(U)
    if backend == "auto":
        backend = "triton" if triton_usable(U.device) else "torch"
    if backend == "torch":
        return sru_recurrence_torch(U, x, v_f, v_r, b_f, b_r, c0, alpha)
    if backend != "triton":
        raise ValueError(f"unknown backend {backend!r}: use 'auto', 'triton' or 'torch'")
    T, B, three_h = U.shape
    c0 = U.new_zeros(B, three_h // 3) if c0 is None else c0
    return _SRURecurrence.apply(U, x, v_f, v_r, b_f, b_r, c0, alpha)
