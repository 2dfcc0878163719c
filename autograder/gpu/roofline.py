"""Cost models of one recurrent layer's forward pass, and the roofline bound they imply on a device.

Counting convention (the chapter states it; the exercises grade it):
- a matrix product (m, k) @ (k, n) costs 2 m k n FLOPs (one multiply and one add per term);
- element-wise work costs one FLOP per +, -, * and per sigmoid or tanh, per element: 17 per (step, batch, unit)
  for both the LSTM (after its two products) and SRU (see ELEMENTWISE_FLOPS);
- "loop" means the part that must run step after step (the time loop); the input products of both layers, and
  SRU's whole U = X [W, W_f, W_r], are done for all steps at once before it;
- loop bytes are the minimum memory traffic of the loop when every operand is read from and every result written
  to device memory once per step (no cache): per step the LSTM reads W_hh (h x 4h), its step of the input
  projection (B x 4h), H_{t-1} and C_{t-1}, and writes H_t and C_t; fused SRU reads U_t (B x 3h) and x_t (B x h) and
  writes h_t and c_t, keeping c_{t-1} on chip. Parameter vectors read once are neglected.
"""
from __future__ import annotations

# LSTM, per (step, batch, unit), after the products: 4 gates x (2 adds: input part + recurrent part + bias),
# 4 activations, c = f*c + i*g (3), h = o*tanh(c) (2): 8 + 4 + 3 + 2.
# SRU: f and r: (1 mul + 2 adds + 1 sigmoid) each; c = f*c + (1-f)*u (4); h = r*c + (1-r)*(alpha*x) (5): 8 + 4 + 5.
ELEMENTWISE_FLOPS = {"lstm": 17, "sru": 17}

# Datasheet peaks (dense, no sparsity), for the roofline figures only: measured numbers come from the results file.
DEVICES = {
    "NVIDIA H100 SXM": {"bandwidth": 3.35e12, "fp32": 67e12, "tf32": 495e12, "fp16": 990e12},
    "NVIDIA H100 PCIe": {"bandwidth": 2.0e12, "fp32": 51e12, "tf32": 378e12, "fp16": 756e12},
    "NVIDIA H200": {"bandwidth": 4.8e12, "fp32": 67e12, "tf32": 495e12, "fp16": 990e12},
}


def device_peaks(name: str) -> dict | None:
    """Datasheet peaks for a device name as torch reports it ('NVIDIA H100 80GB HBM3' -> H100 SXM), or None."""
    name = name.upper()
    if "H200" in name:
        return DEVICES["NVIDIA H200"]
    if "H100" in name:
        return DEVICES["NVIDIA H100 PCIe"] if "PCIE" in name else DEVICES["NVIDIA H100 SXM"]
    return None


def lstm_cost(T: int, B: int, d_in: int, h: int, bytes_per_value: int = 4) -> dict:
    """FLOPs of all matrix products, and FLOPs, bytes and intensity of the sequential loop, of an LSTM layer."""
    matmul = 2 * T * B * d_in * 4 * h + 2 * T * B * h * 4 * h
    loop_flops = T * (2 * B * h * 4 * h + ELEMENTWISE_FLOPS["lstm"] * B * h)
    loop_bytes = T * bytes_per_value * (4 * h * h + 4 * B * h + 2 * B * h + 2 * B * h)
    return {"matmul_flops": matmul, "loop_flops": loop_flops, "loop_bytes": loop_bytes,
            "loop_intensity": loop_flops / loop_bytes}


def sru_cost(T: int, B: int, d_in: int, h: int, bytes_per_value: int = 4) -> dict:
    """The same for an SRU layer; when d_in != h the highway input is X W_s, one more product of all steps."""
    matmul = 2 * T * B * d_in * 3 * h + (2 * T * B * d_in * h if d_in != h else 0)
    loop_flops = T * ELEMENTWISE_FLOPS["sru"] * B * h
    loop_bytes = T * bytes_per_value * (3 * B * h + B * h + 2 * B * h)
    return {"matmul_flops": matmul, "loop_flops": loop_flops, "loop_bytes": loop_bytes,
            "loop_intensity": loop_flops / loop_bytes}


def roofline_time(flops: float, bytes_moved: float, peak_flops: float, bandwidth: float) -> dict:
    """The roofline lower bound on the time of a kernel: it can go no faster than its arithmetic at peak FLOP/s
    nor than its memory traffic at peak bandwidth. 'bound' says which of the two limits it."""
    compute_s, memory_s = flops / peak_flops, bytes_moved / bandwidth
    return {"time": max(compute_s, memory_s), "bound": "compute" if compute_s >= memory_s else "memory",
            "intensity": flops / bytes_moved, "ridge": peak_flops / bandwidth}


def attainable_flops(intensity: float, peak_flops: float, bandwidth: float) -> float:
    """The roof: the FLOP/s a kernel of this arithmetic intensity (FLOP/byte) can reach at best."""
    return min(peak_flops, intensity * bandwidth)


def launch_bound(T: int, kernels_per_step: int, launch_s: float) -> float:
    """A Python time loop cannot finish faster than its kernel launches: T x kernels x launch overhead."""
    return T * kernels_per_step * launch_s


def layer_time(kind: str, T: int, B: int, d_in: int, h: int, device: dict, precision: str = "fp32",
               bytes_per_value: int = 4) -> dict:
    """Roofline lower bounds on one layer's forward pass, split into the product done for all steps before the loop
    and the sequential recurrence: {"product": s, "recurrence": s, "total": s} (and each part's bound).

    kind "lstm": the product X W_ih (all steps) on `precision`'s peak ("fp32" or "tf32"), then T steps each bound by
    its own FLOPs (the H_{t-1} W_hh product also runs at `precision`'s peak) and bytes (W_hh streamed every step).
    kind "sru": the product X [W, W_f, W_r(, W_s)] on `precision`'s peak, then the fused element-wise recurrence,
    which no tensor core helps (fp32 peak). The product moves X, the weights and its result once.
    """
    if kind not in ("lstm", "sru"):
        raise ValueError("kind must be 'lstm' or 'sru'")
    s, peak, bw = bytes_per_value, device[precision], device["bandwidth"]
    k = 4 if kind == "lstm" else (3 if d_in == h else 4)
    product_flops = 2 * T * B * d_in * k * h
    product_bytes = s * (T * B * d_in + d_in * k * h + T * B * k * h)
    product = roofline_time(product_flops, product_bytes, peak, bw)
    cost = (lstm_cost if kind == "lstm" else sru_cost)(T, B, d_in, h, bytes_per_value)
    step_peak = peak if kind == "lstm" else device["fp32"]
    step = roofline_time(cost["loop_flops"] / T, cost["loop_bytes"] / T, step_peak, bw)
    return {"product": product["time"], "recurrence": T * step["time"], "total": product["time"] + T * step["time"],
            "product_bound": product["bound"], "recurrence_bound": step["bound"]}


def whole_layer_ratio(T: int, B: int, d_in: int, h: int, device: dict, precision: str = "fp32") -> float:
    """The model's predicted LSTM / SRU forward-time ratio of whole layers (product plus recurrence)."""
    return (layer_time("lstm", T, B, d_in, h, device, precision)["total"]
            / layer_time("sru", T, B, d_in, h, device, precision)["total"])
