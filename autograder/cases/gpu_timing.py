"""Cases for the GPU-timing exercises: simulated devices with known timings, layer shapes with their costs, and
results tables, each with the expected answer from autograder.references.gpu_timing (the chapter's references)."""
from __future__ import annotations

import numpy as np

from autograder.cases.common import Case
from autograder.checks import CheckFailure
from autograder.references.gpu_timing import lstm_cost, roofline_time, sru_cost, time_it
from autograder.simulated_gpu import FakeDevice

# The chapter's worked example: a simulated device whose kernel takes 10 ms, with a 1 ms launch overhead, a first
# call 500 ms slower (context creation, autotuning) and some jitter; and a small layer whose costs can be counted by
# hand (T=10, B=2, d_in=3, h=4, float32).
EXAMPLE = {
    "device": {"launch_s": 1e-3},
    "work": {"kernel_s": 0.010, "cold_s": [0.5], "jitter_s": [0.0, 0.002, 0.001, 0.004]},
    "layer": {"T": 10, "B": 2, "d_in": 3, "h": 4},
}


def _device_and_work(spec: dict, jitter: list[float]):
    device = FakeDevice(launch_s=spec.get("launch_us", 10) * 1e-6)
    work = device.program(kernel_s=spec["kernel_ms"] * 1e-3, kernels=spec.get("kernels", 1),
                          cold_s=[c * 1e-3 for c in spec.get("cold_ms", ())], jitter_s=jitter,
                          outlier_every=spec.get("outlier_every", 0), outlier_s=spec.get("outlier_ms", 0) * 1e-3)
    return device, work


def timing_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs fn, clock, synchronize, repeats, warmup on a fresh simulated device; expected times/median/iqr from
    the reference `time_it` run on an identical twin device. Spec keys: kernel_ms, kernels, cold_ms, outlier_every,
    outlier_ms, launch_us, repeats, warmup."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        jitter = list(rng.uniform(0, 0.3, size=7) * spec["kernel_ms"] * 1e-3)
        device, work = _device_and_work(spec, jitter)
        twin, twin_work = _device_and_work(spec, jitter)
        ref = time_it(twin_work, twin.clock, twin.synchronize, repeats=spec["repeats"], warmup=spec["warmup"])
        desc = (f"{spec.get('kernels', 1)} kernel(s) of {spec['kernel_ms']} ms, first calls +{spec.get('cold_ms', [])}"
                f" ms, outlier every {spec.get('outlier_every', 0)} calls, repeats={spec['repeats']}, "
                f"warmup={spec['warmup']}")
        inputs = dict(fn=work, clock=device.clock, synchronize=device.synchronize, repeats=spec["repeats"],
                      warmup=spec["warmup"])
        cases.append(Case(desc, inputs, {"times": np.array(ref["times"]), "median": ref["median"], "iqr": ref["iqr"]}))
    return cases


def check_time_it_on_cuda(time_it_fn) -> str:
    """Where CUDA exists, the learner's time_it with torch.cuda.synchronize must agree with CUDA events within a
    factor of 1.5 on a large product. Returns what was done (a skip where there is no GPU)."""
    import time

    import torch
    if not torch.cuda.is_available():
        return "no CUDA device here: the real-GPU check was skipped"
    from autograder.references.gpu_timing import time_cuda_events
    a = torch.randn(4096, 4096, device="cuda")
    events = time_cuda_events(lambda: a @ a, repeats=10, warmup=3)["median"]
    got = time_it_fn(lambda: a @ a, time.perf_counter, torch.cuda.synchronize, repeats=10, warmup=3)["median"]
    if not events / 1.5 <= got <= events * 1.5:
        raise CheckFailure(f"On the GPU your time_it reports {got * 1e3:.3f} ms for a 4096x4096 product; CUDA events "
                           f"measure {events * 1e3:.3f} ms. Do you synchronise before reading the clock?")
    return "checked on the GPU against CUDA events"


# The exercise's results table: ILLUSTRATIVE, not measured. Rows with B = 32 are the chapter's FP32 whole-layer
# roofline predictions for an H100 SXM (roofline.layer_time, forward, d_in = h), rounded to the microsecond; the two
# small shapes are invented latency-bound rows, where the model's bounds (microseconds) are far below the latency
# of a launch or of a step's dependent operations, so it predicts nothing there. tests/test_references_gpu_timing.py
# checks the model rows against the model.
ILLUSTRATIVE_MODEL_ROWS = [(32, 32, 512), (256, 32, 512), (256, 32, 1024)]


def cost_cases(seed: int, kind: str, specs: list[dict]) -> list[Case]:
    """Inputs T, B, d_in, h, bytes_per_value; expected the reference cost dict of an LSTM or SRU layer."""
    reference = {"lstm": lstm_cost, "sru": sru_cost}[kind]
    cases = []
    for spec in specs:
        inputs = {k: spec[k] for k in ("T", "B", "d_in", "h")}
        inputs["bytes_per_value"] = spec.get("bytes_per_value", 4)
        desc = ", ".join(f"{k}={v}" for k, v in inputs.items())
        cases.append(Case(desc, inputs, reference(**inputs)))
    return cases


def roofline_cases(seed: int, n: int) -> list[Case]:
    """Random kernels on random devices, both sides of the ridge point."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        peak, bandwidth = 10 ** rng.uniform(12, 15), 10 ** rng.uniform(11, 12.7)
        ridge = peak / bandwidth
        intensity = ridge * (10 ** rng.uniform(-2, -0.2) if i % 2 == 0 else 10 ** rng.uniform(0.2, 2))
        bytes_moved = 10 ** rng.uniform(6, 10)
        inputs = dict(flops=intensity * bytes_moved, bytes_moved=bytes_moved, peak_flops=peak, bandwidth=bandwidth)
        desc = f"intensity {intensity:.3g} FLOP/B, ridge {ridge:.3g} FLOP/B"
        cases.append(Case(desc, inputs, roofline_time(**inputs)))
    return cases


def speedup_reference(rows: list[dict]) -> dict:
    """Speed-up of the fused SRU over cuDNN's LSTM per shape, the shapes where SRU wins, and the best one."""
    speedup = {(r["T"], r["B"], r["h"]): r["lstm_cudnn_ms"] / r["sru_fused_ms"] for r in rows}
    wins = sorted(shape for shape, s in speedup.items() if s > 1)
    best = max(speedup.items(), key=lambda kv: kv[1])
    return {"speedup": speedup, "wins": wins, "best": best}


def table_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Random results tables (spec: lengths, batches, hiddens); one row has equal times (speed-up exactly 1)."""
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        rows = []
        for T in spec["lengths"]:
            for B in spec["batches"]:
                for h in spec["hiddens"]:
                    sru = float(np.round(rng.uniform(0.05, 5), 3))
                    rows.append({"T": T, "B": B, "h": h, "lstm_cudnn_ms": float(np.round(sru * rng.uniform(0.3, 9), 3)),
                                 "sru_fused_ms": sru})
        rng.shuffle(rows)
        rows[0]["lstm_cudnn_ms"] = rows[0]["sru_fused_ms"]   # a tie is not a win
        desc = f"{len(rows)} rows, T in {spec['lengths']}, B in {spec['batches']}, h in {spec['hiddens']}"
        cases.append(Case(desc, {"rows": rows}, speedup_reference(rows)))
    return cases
