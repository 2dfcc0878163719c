"""The GPU chapter's references: timing code for an asynchronous device, done right, and the cost and roofline
models of one recurrent layer.

Timing.

A CUDA call returns as soon as its kernel is queued; the GPU runs it later. So a host clock read around the call
measures the launch, not the work. `time_it` waits for the device before starting the clock and again before
stopping it, runs untimed warm-up calls first, and reports the median and interquartile range of the timed runs.

One API for the chapter's page, its exercise and the benchmarks:

    time_it(fn, clock=time.perf_counter, synchronize=no_sync, repeats=10, warmup=2)
        -> {"times": [seconds per run, in order], "median": seconds, "iqr": seconds}

(the exercise asks for exactly this function; the learner passes the clock and the synchronisation explicitly).
`time_cuda_events` and `time_torch_timer` return the same dict. The clock and the synchronisation are arguments so
that the same function can be tested with a simulated device (`autograder.simulated_gpu.FakeDevice`) without a GPU.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from autograder.notation import ELEMENTWISE_PER_UNIT


def no_sync() -> None:
    """Synchronisation for a synchronous device (the CPU): nothing to wait for."""


def summary(times: list[float]) -> dict:
    """{"times", "median", "iqr"} of a list of run times (seconds)."""
    q25, q75 = np.percentile(times, [25, 75])
    return {"times": list(times), "median": float(np.median(times)), "iqr": float(q75 - q25)}


def time_it(fn: Callable[[], object], clock: Callable[[], float] = time.perf_counter,
            synchronize: Callable[[], None] = no_sync, repeats: int = 10, warmup: int = 2) -> dict:
    """Time `fn()` `repeats` times after `warmup` untimed calls; returns {"times", "median", "iqr"}.

    For CUDA pass `synchronize=torch.cuda.synchronize`: the device is drained before each start (so earlier work is
    not counted) and before each stop (so this call's work is).
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        synchronize()
        start = clock()
        fn()
        synchronize()
        times.append(clock() - start)
    return summary(times)


def synchronizer(device) -> Callable[[], None]:
    """The synchronisation `time_it` needs for tensors on `device` (a no-op on the CPU)."""
    import torch
    device = torch.device(device)
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return no_sync


def time_cuda_events(fn: Callable[[], object], repeats: int = 10, warmup: int = 2,
                     before: Callable[[], None] | None = None) -> dict:
    """Time `fn()` on the current CUDA stream with CUDA events: the GPU itself stamps the start and the end.

    The events are recorded into the stream between the kernels, so the host's launch overhead is not counted when
    the GPU is busy; `elapsed_time` is in milliseconds and needs the end event to have completed (hence the sync).
    `before()`, if given, runs untimed before each run (e.g. flushing the L2 cache).
    """
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return summary(times)


def time_torch_timer(fn: Callable[[], object], *, min_run_time: float = 0.2) -> dict:
    """`torch.utils.benchmark.Timer`: synchronises CUDA itself, warms up, and picks how many calls make a block.

    Its times are per call, each the mean of one block of calls; we report their median and IQR like `time_it`.
    """
    from torch.utils import benchmark
    measurement = benchmark.Timer(stmt="fn()", globals={"fn": fn}).blocked_autorange(min_run_time=min_run_time)
    return summary(list(measurement.times))


# ----------------------------------------------------------------------------------------------------
# Cost models of one recurrent layer's forward pass, and the roofline bound they imply on a device.
#
# Counting convention (the chapter states it; the exercises grade it):
# - a matrix product (m, k) @ (k, n) costs 2 m k n FLOPs (one multiply and one add per term);
# - element-wise work costs one FLOP per +, -, * and per sigmoid or tanh, per element: 17 per (step, batch, unit)
#   for both the LSTM (after its two products) and SRU (autograder.notation.ELEMENTWISE_PER_UNIT);
# - "loop" means the part that must run step after step (the time loop); the input products of both layers, and
#   SRU's whole U = X [W, W_f, W_r], are done for all steps at once before it;
# - loop bytes are the minimum memory traffic of the loop when every operand is read from and every result written
#   to device memory once per step (no cache): per step the LSTM reads W_hh (h x 4h), its step of the input
#   projection (B x 4h), H_{t-1} and C_{t-1}, and writes H_t and C_t; fused SRU reads U_t (B x 3h) and x_t (B x h) and
#   writes h_t and c_t, keeping c_{t-1} on chip. Parameter vectors read once are neglected.


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
    loop_flops = T * (2 * B * h * 4 * h + ELEMENTWISE_PER_UNIT["lstm"] * B * h)
    loop_bytes = T * bytes_per_value * (4 * h * h + 4 * B * h + 2 * B * h + 2 * B * h)
    return {"matmul_flops": matmul, "loop_flops": loop_flops, "loop_bytes": loop_bytes,
            "loop_intensity": loop_flops / loop_bytes}


def sru_cost(T: int, B: int, d_in: int, h: int, bytes_per_value: int = 4) -> dict:
    """The same for an SRU layer; when d_in != h the highway input is X W_s, one more product of all steps."""
    matmul = 2 * T * B * d_in * 3 * h + (2 * T * B * d_in * h if d_in != h else 0)
    loop_flops = T * ELEMENTWISE_PER_UNIT["sru"] * B * h
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
