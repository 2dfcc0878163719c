"""The simple recurrent unit (SRU; Lei et al., EMNLP 2018), in the course's notation (row vectors, time-major, float64).

API (the GPU-timing chapter codes against it; keep it stable):

    sru_forward(X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0=None, W_s=None, scale_highway=True, activation=None)
        -> (H, C), both (T, B, h)
    sru_recurrence(P, x_hw, b_f, b_r, v_f, v_r, c0=None, scale_highway=True, activation=None) -> (H, C)
        the element-wise part alone, from the projections P (T, B, 3, h) and the highway input x_hw (T, B, h)
    sru2017_forward(X, W, W_f, W_r, b_f, b_r, c0=None, W_s=None) -> (H, C)     the 2017 version (no v_f, v_r; tanh)
    sru_backward(X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0, dH, W_s=None, scale_highway=True) -> dict of gradients
    sru_params_from_package(layer) -> dict of keyword arguments for sru_forward, read from an `sru.SRUCell`
    sru_init_params(d_in, h, generator, highway_bias=0.0) -> the package's initialisation, in the course layout
    sru_stacked_weight(W, W_f, W_r, W_s=None) -> (d_in, k h), the one matrix of the one big product

Shapes: X (T, B, d_in); W, W_f, W_r (d_in, h); b_f, b_r, v_f, v_r (h,); c0 (B, h), zeros when None; W_s (d_in, h),
given exactly when d_in != h (a ValueError otherwise: a projection where sizes are equal is a mistake, not an option).

The equations (t = 1..T; every product of X is taken for all steps at once, before the loop):

    U = X W,   F = X W_f,   R = X W_r                        (one product with [W, W_f, W_r]: see sru_stacked_weight)
    f_t = sigmoid(F_t + v_f * c_{t-1} + b_f)                  forget gate
    r_t = sigmoid(R_t + v_r * c_{t-1} + b_r)                  reset (highway) gate
    c_t = f_t * c_{t-1} + (1 - f_t) * U_t                     the only recurrence: element-wise
    h_t = r_t * g(c_t) + (1 - r_t) * alpha * x~_t             highway; x~_t = X_t (d_in == h) or X_t W_s (d_in != h)

g is the identity (the 2018 SRU; `activation=torch.tanh` gives the 2017 form). `*` is element-wise.

The scaling correction alpha (the paper's section on initialisation): alpha = sqrt(1 + 2 exp(b)), where b is the
value b_r is initialised to (the package's `highway_bias`, default 0, so alpha = sqrt(3)). It is a constant, not a
function of the trained b_r: the package computes it once (`scale_x`, a buffer) and multiplies the skip input x by it;
when d_in != h it multiplies the columns of W_s by alpha at initialisation instead and applies no factor at run time.
Here alpha always multiplies the highway input x~_t, so:
    scale_highway=True   alpha = sqrt(1 + 2 exp(b_r)) from the b_r given (element-wise; exact while b_r holds its
                         initial value; treated as a constant, no gradient flows through it)
    scale_highway=False  alpha = 1
    scale_highway=<number or (h,) tensor>   alpha given (what sru_params_from_package returns)

The package (`sru` 2.6.0) stores one weight of shape (d_in, h k) whose column j k + m holds unit j of matrix m, m =
0: W, 1: W_f, 2: W_r, 3: W_s (k = 3 or 4: the matrix index varies fastest); weight_c = [v_f, v_r]; bias = [b_f, b_r].
"""
from __future__ import annotations

import math

from autograder.lazy import lazy_import
from autograder.tensors import as_float64, f64

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch


def _alpha(scale_highway, b_r: torch.Tensor) -> torch.Tensor:
    if scale_highway is True:
        return torch.sqrt(1 + 2 * torch.exp(b_r.detach()))
    if scale_highway is False or scale_highway is None:
        return torch.ones_like(b_r)
    return f64(scale_highway).detach() * torch.ones_like(b_r)


def _check_projection(d_in: int, h: int, W_s) -> None:
    if d_in != h and W_s is None:
        raise ValueError(f"d_in = {d_in} != h = {h}: the highway term needs the projection W_s of shape ({d_in}, {h})")
    if d_in == h and W_s is not None:
        raise ValueError(f"d_in = h = {h}: the highway term is X_t itself; pass W_s=None")


def sru_stacked_weight(W, W_f, W_r, W_s=None) -> torch.Tensor:
    """[W, W_f, W_r(, W_s)] side by side, shape (d_in, 3h) or (d_in, 4h): X W_all gives every product at once."""
    mats = [W, W_f, W_r] + ([] if W_s is None else [W_s])
    return torch.cat(as_float64(*mats), dim=1)


def sru_forward(X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0=None, W_s=None, scale_highway=True, activation=None):
    """Hidden states H and cell states C of one SRU layer, both (T, B, h); differentiable (float64 torch)."""
    X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0, W_s = map(f64, (X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0, W_s))
    T, B, d_in = X.shape
    h = W.shape[1]
    _check_projection(d_in, h, W_s)
    k = 3 if W_s is None else 4
    # The one big product: (T*B, d_in) @ (d_in, k h), outside the recurrence.
    W_all = torch.cat([W, W_f, W_r] + ([] if W_s is None else [W_s]), dim=1)
    P = (X.reshape(T * B, d_in) @ W_all).reshape(T, B, k, h)
    return sru_recurrence(P[:, :, :3], X if W_s is None else P[:, :, 3], b_f, b_r, v_f, v_r, c0=c0,
                          scale_highway=scale_highway, activation=activation)


def sru_recurrence(P, x_hw, b_f, b_r, v_f, v_r, c0=None, scale_highway=True, activation=None):
    """The element-wise part of eq-sru, given the projections only (what the authors' kernel receives): P (T, B, 3, h)
    holds U = X W, X W_f, X W_r; x_hw (T, B, h) is the highway input (X, or X W_s when d_in != h), before alpha.
    Returns (H, C), both (T, B, h); differentiable (float64 torch). No weight matrix reaches this function."""
    P, x_hw, b_f, b_r, v_f, v_r, c0 = map(f64, (P, x_hw, b_f, b_r, v_f, v_r, c0))
    T, B, _, h = P.shape
    U, F, R = P[:, :, 0], P[:, :, 1], P[:, :, 2]
    skip = x_hw * _alpha(scale_highway, b_r)
    g = (lambda c: c) if activation is None else activation
    c = torch.zeros(B, h, dtype=torch.float64) if c0 is None else c0
    H, C = [], []
    for t in range(T):                       # element-wise only: B*h independent scalar recurrences
        f = torch.sigmoid(F[t] + v_f * c + b_f)
        r = torch.sigmoid(R[t] + v_r * c + b_r)
        c = f * c + (1 - f) * U[t]
        H.append(r * g(c) + (1 - r) * skip[t])
        C.append(c)
    if T == 0:
        empty = torch.zeros(0, B, h, dtype=torch.float64)
        return empty, empty.clone()
    return torch.stack(H), torch.stack(C)


def sru2017_forward(X, W, W_f, W_r, b_f, b_r, c0=None, W_s=None):
    """Lei et al. (2017), "Training RNNs as fast as CNNs": gates see only X_t, and
    h_t = r g(c_t) + (1 - r) x~_t with g = tanh."""
    h = as_float64(W).shape[1]
    zeros = torch.zeros(h, dtype=torch.float64)
    return sru_forward(X, W, W_f, W_r, b_f, b_r, zeros, zeros, c0=c0, W_s=W_s, scale_highway=False,
                       activation=torch.tanh)


def sru_backward(X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0, dH, W_s=None, scale_highway=True) -> dict[str, torch.Tensor]:
    """Gradients of L = sum(dH * H) by hand (g = identity): the element-wise recurrence backwards in time, then the
    gradients of the one big product. Keys: X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0 (and W_s when given)."""
    X, W, W_f, W_r, b_f, b_r, v_f, v_r, dH = as_float64(X, W, W_f, W_r, b_f, b_r, v_f, v_r, dH)
    T, B, d_in = X.shape
    h = W.shape[1]
    _check_projection(d_in, h, W_s)
    c0 = torch.zeros(B, h, dtype=torch.float64) if c0 is None else as_float64(c0)
    alpha = _alpha(scale_highway, b_r)
    with torch.no_grad():
        _, C = sru_forward(X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0, W_s, alpha)
        W_all = sru_stacked_weight(W, W_f, W_r, W_s)
        k = W_all.shape[1] // h
        P = (X.reshape(T * B, d_in) @ W_all).reshape(T, B, k, h)
        U, F, R = P[:, :, 0], P[:, :, 1], P[:, :, 2]
        skip = X if W_s is None else P[:, :, 3]
        C_prev = torch.cat([c0[None], C[:-1]])
        dP = torch.zeros_like(P)
        d_skip = torch.zeros(T, B, h, dtype=torch.float64)
        grads = {name: torch.zeros(h, dtype=torch.float64) for name in ("b_f", "b_r", "v_f", "v_r")}
        dc = torch.zeros(B, h, dtype=torch.float64)           # dL/dc_t through c_{t+1} and the gates at t+1
        for t in reversed(range(T)):
            f = torch.sigmoid(F[t] + v_f * C_prev[t] + b_f)
            r = torch.sigmoid(R[t] + v_r * C_prev[t] + b_r)
            dc = dc + dH[t] * r                                 # h_t = r c_t + ...
            da_r = dH[t] * (C[t] - alpha * skip[t]) * r * (1 - r)
            da_f = dc * (C_prev[t] - U[t]) * f * (1 - f)
            dP[t, :, 0] = dc * (1 - f)
            dP[t, :, 1] = da_f
            dP[t, :, 2] = da_r
            d_skip[t] = dH[t] * (1 - r) * alpha
            for name, val in (("b_f", da_f), ("b_r", da_r), ("v_f", da_f * C_prev[t]), ("v_r", da_r * C_prev[t])):
                grads[name] += val.sum(0)
            dc = dc * f + da_f * v_f + da_r * v_r              # to c_{t-1}: the cell path and both gates
        if W_s is None:
            P_rows = dP.reshape(T * B, 3 * h)
        else:
            P_rows = torch.cat([dP[:, :, :3], d_skip[:, :, None]], 2).reshape(T * B, 4 * h)
        dW_all = X.reshape(T * B, d_in).T @ P_rows            # the gradients of the one big product
        dX = (P_rows @ W_all.T).reshape(T, B, d_in) + (d_skip if W_s is None else 0)
    names = ["W", "W_f", "W_r"] + ([] if W_s is None else ["W_s"])
    grads.update({name: dW_all[:, i * h:(i + 1) * h] for i, name in enumerate(names)})
    grads.update(X=dX, c0=dc)
    return grads


def sru_params_from_package(layer) -> dict:
    """Keyword arguments for sru_forward from an `sru.SRUCell` (sru 2.6.0): W, W_f, W_r (, W_s), b_f, b_r, v_f, v_r,
    scale_highway, all float64. Supports unidirectional cells without n_proj, layer_norm or custom_m."""
    if layer.bidirectional or layer.projection_size or layer.layer_norm is not None or layer.custom_m is not None:
        raise ValueError("only unidirectional SRUCells without n_proj, layer_norm or custom_m are supported")
    if not layer.has_skip_term:
        raise ValueError("sru_forward always has the highway term (has_skip_term=True)")
    d_in, h, k = layer.input_size, layer.hidden_size, layer.num_matrices
    w = layer.weight.detach().to(torch.float64).reshape(d_in, h, k)   # column j*k + m -> [.., j, m]
    p = {name: w[:, :, m].clone() for m, name in enumerate(["W", "W_f", "W_r", "W_s"][:k])}
    p["v_f"], p["v_r"] = layer.weight_c.detach().to(torch.float64).reshape(2, h).clone()
    p["b_f"], p["b_r"] = layer.bias.detach().to(torch.float64).reshape(2, h).clone()
    # The package applies its constant scale_x to x only when k == 3; with W_s it was folded into W_s at init.
    p["scale_highway"] = float(layer.scale_x.item()) if (layer.rescale and k == 3) else False
    if layer.activation_type == 1:
        p["activation"] = torch.tanh
    return p


def sru_init_params(d_in: int, h: int, generator: torch.Generator, highway_bias: float = 0.0) -> dict:
    """The package's initialisation in the course layout (float64): W ~ U with Var 1/d_in; W_f, W_r the same times
    sqrt(1/2); v_f, v_r ~ U with Var 1/2; b_f = 0, b_r = highway_bias; W_s (when d_in != h) scaled by alpha."""
    def uniform(*shape, var):
        bound = math.sqrt(3 * var)
        return (torch.rand(*shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound
    alpha = math.sqrt(1 + 2 * math.exp(highway_bias))
    p = {"W": uniform(d_in, h, var=1 / d_in), "W_f": uniform(d_in, h, var=0.5 / d_in),
         "W_r": uniform(d_in, h, var=0.5 / d_in), "v_f": uniform(h, var=0.5), "v_r": uniform(h, var=0.5),
         "b_f": torch.zeros(h, dtype=torch.float64), "b_r": torch.full((h,), float(highway_bias), dtype=torch.float64)}
    if d_in != h:
        p["W_s"] = uniform(d_in, h, var=1 / d_in) * alpha
        p["scale_highway"] = False
    else:
        p["scale_highway"] = alpha
    return p
