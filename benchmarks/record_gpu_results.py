"""Record the GPU timing results the chapter `gpu_timing` shows: one command, on a machine with an NVIDIA GPU.

    python benchmarks/record_gpu_results.py            # writes book/data/gpu_timing/results.json (about 5-10 minutes)

Times forward and forward+backward passes versus sequence length, batch and hidden size for: an LSTM as a Python
loop of PyTorch ops, torch.nn.LSTM (cuDNN), SRU with its recurrence as a loop of PyTorch ops, SRU with the
recurrence fused in one Triton kernel, and the `sru` package's CUDA kernel where it imports. Also records each
timing pitfall measured wrong and right (no sync, first call, hidden syncs, TF32), and the fused kernel's achieved
memory bandwidth against a measured device copy and the datasheet. Every file states device, driver, versions,
date, shapes and dtype. `--device cpu --quick --out FILE` is a smoke test of this script (it refuses to write
CPU numbers to the GPU results file).

The chapter's predictions (autograder.references.gpu_timing.layer_time) are tested by the "predictions" section:
- each layer's input product and its recurrence timed apart, with TF32 off and on (the model: SRU's whole layer
  about 2.8x faster than the LSTM's at h = 512 in FP32, 7x or more with TF32, because TF32 speeds up the products
  and not SRU's memory-bound recurrence);
- the LSTM recurrence's time per step against the time to stream W_hh once, 4 h^2 s / (measured copy bandwidth),
  at the paper's sizes and at h = 2048, whose W_hh (64 MiB in float32) exceeds a 50 MB L2 (the model streams W_hh
  from memory every step; with W_hh in L2 a step should take less than that). A run with the L2 flushed before it
  is recorded too; it shows only the first step's cold read, since W_hh is back in L2 after step 1;
- the Python loop of the LSTM captured in a CUDA graph (launch overhead removed), against the same loop launched
  from Python and against cuDNN;
- the fused kernel's achieved bandwidth against B*h (the model: memory bound once B*h fills the device);
- torch.backends.cudnn.benchmark off and on for torch.nn.LSTM (expected: no change, ATen picks the cuDNN RNN
  algorithm by fixed rules and does not read the flag);
- the device's clocks (nvidia-smi) before and after, so that a throttled run can be recognised;
- the scan chapter's Triton kernel of h_t = a_t h_{t-1} + b_t (autograder.book.scan_triton): time per step against
  its memory bound, 3 numbers per step and column at the measured copy bandwidth (the "scan_kernel" section).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.book import gpu_layers as layers  # noqa: E402
from autograder.book.gpu_env import clocks, describe  # noqa: E402
from autograder.book.sru_triton import sru_recurrence  # noqa: E402
from autograder.references.gpu_timing import device_peaks, sru_cost, synchronizer, time_cuda_events, time_it  # noqa: E402

DEFAULT_OUT = ROOT / "book" / "data" / "gpu_timing" / "results.json"
PAPER = dict(B=32, hidden=(512, 1024), lengths=(32, 64, 128, 256, 512))
BATCH_SWEEP = dict(T=128, h=512, batches=(1, 4, 16, 32, 64, 128, 256))
HIDDEN_SWEEP = dict(T=128, B=32, hiddens=(128, 256, 512, 1024, 2048))
QUICK = dict(paper=dict(B=2, hidden=(16,), lengths=(4, 8)), batch=dict(T=4, h=16, batches=(1, 2)),
             hidden=dict(T=4, B=2, hiddens=(8, 16)))


def timer_for(device, repeats: int, warmup: int):
    if device.type == "cuda":
        return lambda fn, before=None: time_cuda_events(fn, repeats=repeats, warmup=warmup, before=before)
    return lambda fn, before=None: time_it(fn, repeats=repeats, warmup=warmup)


def measure(impl, T, B, h, backward, device, dtype, timer, modules):
    """One row of the results: the median and IQR of `impl` at this shape, or the reason it could not run."""
    row = {"impl": impl, "T": T, "B": B, "h": h, "mode": "forward_backward" if backward else "forward"}
    try:
        if (impl, h) not in modules:
            modules[(impl, h)] = layers.build(impl, h, device, dtype)
        X = torch.randn(T, B, h, device=device, dtype=dtype, requires_grad=backward)
        timing = timer(layers.runner(modules[(impl, h)], X, backward))
        row.update(median_ms=timing["median"] * 1e3, iqr_ms=timing["iqr"] * 1e3, repeats=len(timing["times"]))
    except Exception as err:  # record why (e.g. the sru package does not build), keep going
        row["error"] = f"{type(err).__name__}: {err}"[:300]
    print(json.dumps(row), flush=True)
    return row


def grid(cfg, device, dtype, timer, impls):
    modules, rows = {}, []
    paper, batch, hidden = cfg["paper"], cfg["batch"], cfg["hidden"]
    shapes = [("paper", T, paper["B"], h) for h in paper["hidden"] for T in paper["lengths"]]
    shapes += [("batch", batch["T"], B, batch["h"]) for B in batch["batches"]]
    shapes += [("hidden", hidden["T"], hidden["B"], h) for h in hidden["hiddens"]]
    for sweep, T, B, h in shapes:
        for backward in (False, True):
            for impl in impls:
                rows.append({"sweep": sweep, **measure(impl, T, B, h, backward, device, dtype, timer, modules)})
    return rows


def pitfalls(device, dtype, T, B, h):
    """Each classic mistake measured, then the correct measurement of the same thing."""
    sync = synchronizer(device)
    lstm = torch.nn.LSTM(h, h).to(device, dtype)
    X = torch.randn(T, B, h, device=device, dtype=dtype)
    out = {"shape": dict(T=T, B=B, h=h), "dtype": str(dtype).replace("torch.", "")}
    with torch.no_grad():
        start = time.perf_counter()
        lstm(X)
        sync()
        out["first_call_ms"] = (time.perf_counter() - start) * 1e3      # context, cuDNN handle, allocator growth
        start = time.perf_counter()
        lstm(X)
        out["no_sync_ms"] = (time.perf_counter() - start) * 1e3         # returns when the kernels are queued
        sync()
        out["sync_before_only_ms"] = time_it(lambda: (sync(), lstm(X)))["median"] * 1e3
        out["time_it_ms"] = time_it(lambda: lstm(X), synchronize=sync)["median"] * 1e3
        if device.type == "cuda":
            out["cuda_events_ms"] = time_cuda_events(lambda: lstm(X))["median"] * 1e3
        out["torch_timer_ms"] = _torch_timer_ms(lambda: lstm(X))
        small = torch.randn(B, h, device=device, dtype=dtype)

        def many_small(hidden_sync):
            acc = small
            for _ in range(200):
                acc = torch.tanh(acc * 0.5)
                if hidden_sync:
                    acc.sum().item()     # a copy to the host: waits for the GPU every iteration
        out["200_small_ops_ms"] = time_it(lambda: many_small(False), synchronize=sync)["median"] * 1e3
        out["200_small_ops_with_item_ms"] = time_it(lambda: many_small(True), synchronize=sync)["median"] * 1e3
        if device.type == "cuda" and dtype == torch.float32:
            a = torch.randn(4096, 4096, device=device)
            flags = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
            for tf32 in (False, True):
                torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
                key = "tf32" if tf32 else "fp32"
                out[f"matmul_4096_{key}_ms"] = time_cuda_events(lambda: a @ a)["median"] * 1e3
                out[f"lstm_{key}_ms"] = time_cuda_events(lambda: lstm(X))["median"] * 1e3
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = flags
    return out


def _torch_timer_ms(fn):
    from torch.utils import benchmark
    return benchmark.Timer(stmt="fn()", globals={"fn": fn}).blocked_autorange(min_run_time=0.5).median * 1e3


def bandwidth(device, dtype, shapes, info):
    """Achieved bandwidth of the fused recurrence (model bytes / time) vs a device-to-device copy and the datasheet."""
    sync = synchronizer(device)
    timer = time_cuda_events if device.type == "cuda" else time_it
    big = torch.empty(256 * 2**20 // 4, device=device, dtype=torch.float32)   # 256 MiB
    copy = timer(lambda: big.clone())
    out = {"copy_GBps": 2 * big.numel() * 4 / copy["median"] / 1e9, "fused": []}
    peaks = device_peaks(info.get("device", ""))
    out["datasheet_GBps"] = peaks["bandwidth"] / 1e9 if peaks else None
    size = torch.tensor([], dtype=dtype).element_size()
    backend = "triton" if device.type == "cuda" else "torch"
    for T, B, h in shapes:
        U = torch.randn(T, B, 3 * h, device=device, dtype=dtype)
        x = torch.randn(T, B, h, device=device, dtype=dtype)
        p = [torch.randn(h, device=device, dtype=dtype) * 0.5 for _ in range(4)]
        with torch.no_grad():
            timing = timer(lambda: sru_recurrence(U, x, *p, None, 3 ** 0.5, backend=backend))
        moved = sru_cost(T, B, h, h, size)["loop_bytes"]
        out["fused"].append(dict(T=T, B=B, h=h, Bh=B * h, median_ms=timing["median"] * 1e3, bytes=moved,
                                 GBps=moved / timing["median"] / 1e9, backend=backend))
        print(json.dumps(out["fused"][-1]), flush=True)
    sync()
    return out


def scan_kernel(device, dtype, copy_GBps, timer, quick=False):
    """The scan chapter's Triton kernel: measured time per step against its memory bound, 3 numbers per step and
    column moved at the measured copy bandwidth (the prediction: within a small factor once N = B h fills the
    device). On the CPU (the smoke test) the kernel would run under Triton's interpreter only: recorded as skipped."""
    from autograder.book.scan_triton import QUICK_SHAPES, TIMED_SHAPES, linear_scan_triton, memory_bound_seconds
    if device.type != "cuda":
        return {"skipped": "the Triton kernel runs on a CUDA device (on the CPU only under TRITON_INTERPRET=1)"}
    size = torch.tensor([], dtype=dtype).element_size()
    out = {"copy_GBps": copy_GBps, "bytes_per_number": size, "rows": []}
    shapes = QUICK_SHAPES if quick else TIMED_SHAPES          # the page predicts TIMED_SHAPES
    for T in shapes["T"]:
        for N in shapes["N"]:
            a = torch.rand(T, N, device=device, dtype=dtype)
            b = torch.randn(T, N, device=device, dtype=dtype)
            timing = timer(lambda: linear_scan_triton(a, b))
            bound = memory_bound_seconds(T, N, copy_GBps * 1e9, size)
            out["rows"].append(dict(T=T, N=N, median_ms=timing["median"] * 1e3, ns_per_step=timing["median"] / T * 1e9,
                                    bound_ms=bound * 1e3, bound_ns_per_step=bound / T * 1e9,
                                    time_over_bound=timing["median"] / bound))
            print(json.dumps(out["rows"][-1]), flush=True)
    return out


def _tf32(on: bool) -> None:
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = on


def _l2_flusher(device):
    """A callable that evicts the L2 cache (writes a buffer twice its size), or None on the CPU."""
    if device.type != "cuda":
        return None
    size = getattr(torch.cuda.get_device_properties(device), "L2_cache_size", 50 * 2**20) or 50 * 2**20
    scratch = torch.empty(2 * size // 4, device=device, dtype=torch.float32)
    return lambda: scratch.fill_(1.0)


def predictions(device, dtype, shapes, timer, copy_GBps=None):
    """What the chapter predicts and what it could not measure: see the module's docstring. copy_GBps: the measured
    device copy bandwidth, for the per-step bound of streaming W_hh once."""
    out = {"parts": [], "l2": [], "graph": [], "cudnn_benchmark": []}
    flush = _l2_flusher(device)
    backend = "triton" if device.type == "cuda" else "torch"
    for T, B, h in shapes:
        lstm = torch.nn.LSTM(h, h).to(device, dtype)
        sru = layers.SRULayer(h, backend).to(device, dtype)
        loop = layers.LSTMLoop(lstm)
        X = torch.randn(T, B, h, device=device, dtype=dtype)
        W_ih = lstm.weight_ih_l0.detach()
        with torch.no_grad():
            XW = X @ W_ih.T
            U = X @ sru.W
            parts = {
                "lstm_product": lambda: X @ W_ih.T,
                "lstm_recurrence_loop": lambda: layers.lstm_recurrence(XW, lstm.weight_hh_l0),
                "lstm_cudnn_whole": lambda: lstm(X),
                "sru_product": lambda: X @ sru.W,
                "sru_recurrence_fused": lambda: sru_recurrence(U, X, sru.v[0], sru.v[1], sru.b[0], sru.b[1], None,
                                                               sru.alpha, backend=backend),
            }
            for tf32 in (False, True):
                _tf32(tf32)
                for name, fn in parts.items():
                    t = timer(fn)
                    out["parts"].append(dict(T=T, B=B, h=h, part=name, tf32=tf32, median_ms=t["median"] * 1e3,
                                             iqr_ms=t["iqr"] * 1e3, backend=backend if "fused" in name else None))
                    print(json.dumps(out["parts"][-1]), flush=True)
            _tf32(False)
            if flush is not None:
                for name in ("lstm_cudnn_whole", "lstm_recurrence_loop", "sru_recurrence_fused"):
                    warm, cold = timer(parts[name]), timer(parts[name], before=flush)
                    w_bytes = lstm.weight_hh_l0.numel() * lstm.weight_hh_l0.element_size()
                    bound = (w_bytes / (copy_GBps * 1e9) * 1e6) if copy_GBps and "lstm" in name else None
                    out["l2"].append(dict(T=T, B=B, h=h, part=name, warm_ms=warm["median"] * 1e3,
                                          flushed_ms=cold["median"] * 1e3, W_hh_MiB=w_bytes / 2**20,
                                          per_step_us=warm["median"] * 1e6 / T, stream_bound_us=bound))
            else:
                out["l2"].append(dict(T=T, B=B, h=h, skipped="no L2 to flush on the CPU"))
            out["graph"].append(dict(T=T, B=B, h=h, **_graph_baseline(device, loop, lstm, X, timer)))
            for flag in (False, True):
                torch.backends.cudnn.benchmark = flag
                t = timer(lambda: lstm(X))
                out["cudnn_benchmark"].append(dict(T=T, B=B, h=h, benchmark=flag, median_ms=t["median"] * 1e3))
            torch.backends.cudnn.benchmark = False
    return out


def _graph_baseline(device, loop, lstm, X, timer) -> dict:
    """The Python-loop LSTM launched from Python, replayed from a CUDA graph, and cuDNN's, in ms."""
    with torch.no_grad():
        row = {"python_loop_ms": timer(lambda: loop(X))["median"] * 1e3,
               "cudnn_ms": timer(lambda: lstm(X))["median"] * 1e3}
        if device.type != "cuda":
            row["graph_skipped"] = "CUDA graphs need a GPU"
            return row
        static = X.clone()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                loop(static)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            loop(static)
        row["cuda_graph_ms"] = timer(graph.replay)["median"] * 1e3
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny shapes (a smoke test of this script)")
    args = parser.parse_args(argv)
    device, dtype = torch.device(args.device), getattr(torch, args.dtype)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("No CUDA device here: run this on a machine with an NVIDIA GPU.")
    if device.type != "cuda" and args.out.resolve() == DEFAULT_OUT.resolve():
        raise SystemExit(f"Refusing to write CPU timings to {DEFAULT_OUT}: pass --out for a smoke test.")
    # Plain fp32 arithmetic in every implementation; the TF32 effect is recorded separately under "pitfalls".
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    info = describe(device)
    info["clocks_before"] = clocks() if device.type == "cuda" else None
    print(json.dumps(info), flush=True)
    cfg = QUICK if args.quick else dict(paper=PAPER, batch=BATCH_SWEEP, hidden=HIDDEN_SWEEP)
    impls = [i for i in layers.IMPLEMENTATIONS if device.type == "cuda" or i != "sru_fused"]
    results = {"schema": 2, "env": info, "dtype": args.dtype,
               "timer": ("CUDA events" if device.type == "cuda" else "time.perf_counter")
               + f", median and IQR of {args.repeats} runs after {args.warmup} warm-up runs",
               "flags": {"tf32": False, "cudnn_benchmark": False}, "config": cfg}
    p = cfg["paper"]
    results["pitfalls"] = pitfalls(device, dtype, p["lengths"][-1], p["B"], p["hidden"][-1])
    results["runs"] = grid(cfg, device, dtype, timer_for(device, args.repeats, args.warmup), impls)
    shapes = [(T, p["B"], h) for h in p["hidden"] for T in (p["lengths"][-1],)]
    shapes.append((p["lengths"][-1], cfg["batch"]["batches"][-1], cfg["batch"]["h"]))
    # the fused kernel's bandwidth against B*h, at the longest length: does it reach the memory roof?
    T_long, h_b = p["lengths"][-1], cfg["batch"]["h"]
    shapes += [(T_long, B, h_b) for B in cfg["batch"]["batches"] if (T_long, B, h_b) not in shapes]
    results["bandwidth"] = bandwidth(device, dtype, list(dict.fromkeys(shapes)), info)
    # h = 2048 as well: its W_hh (64 MiB in float32) exceeds the L2, so each step must stream it from memory
    pred_hidden = sorted(set(p["hidden"]) | ({2048} if not args.quick else set()))
    results["predictions"] = predictions(device, dtype, [(T_long, p["B"], h) for h in pred_hidden],
                                         timer_for(device, args.repeats, args.warmup),
                                         copy_GBps=results["bandwidth"].get("copy_GBps"))
    results["scan_kernel"] = scan_kernel(device, dtype, results["bandwidth"]["copy_GBps"],
                                         timer_for(device, args.repeats, args.warmup), quick=args.quick)
    info["clocks_after"] = clocks() if device.type == "cuda" else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
