"""Timing code that runs on an asynchronous device, done right.

A CUDA call returns as soon as its kernel is queued; the GPU runs it later. So a host clock read around the call
measures the launch, not the work. `time_it` waits for the device before starting the clock and again before
stopping it, runs untimed warm-up calls first, and reports the median and interquartile range of the timed runs.

One API for the chapter's page, its exercise and the benchmarks:

    time_it(fn, clock=time.perf_counter, synchronize=no_sync, repeats=10, warmup=2)
        -> {"times": [seconds per run, in order], "median": seconds, "iqr": seconds}

(the exercise asks for exactly this function; the learner passes the clock and the synchronisation explicitly).
`time_cuda_events` and `time_torch_timer` return the same dict. The clock and the synchronisation are arguments so
that the same function can be tested with a simulated device (`autograder.gpu.fake.FakeDevice`) without a GPU.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np


def no_sync() -> None:
    """Synchronisation for a synchronous device (the CPU): nothing to wait for."""


def summary(times: list[float]) -> dict:
    """{"times", "median", "iqr"} of a list of run times (seconds)."""
    q25, q75 = np.percentile(times, [25, 75])
    return {"times": list(times), "median": float(np.median(times)), "iqr": float(q75 - q25)}


def describe_timing(timing: dict) -> str:
    return f"{timing['median'] * 1e3:.3f} ms (IQR {timing['iqr'] * 1e3:.3f} ms, {len(timing['times'])} runs)"


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
