"""Timing code that runs on an asynchronous device, done right.

A CUDA call returns as soon as its kernel is queued; the GPU runs it later. So a host clock read around the call
measures the launch, not the work. `time_it` waits for the device before starting the clock and again before
stopping it, runs untimed warm-up calls first, and reports the median and interquartile range of the timed runs.

The clock and the synchronisation are arguments so that the same function can be tested with a simulated device
(`autograder.gpu.fake.FakeDevice`) on a machine with no GPU.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np


def _no_sync() -> None:
    """Synchronisation for a synchronous device (the CPU): nothing to wait for."""


@dataclass
class Timing:
    """Seconds per run of the timed (not warm-up) calls, and their median and interquartile range."""
    times: list[float]
    median: float
    iqr: float

    @classmethod
    def of(cls, times: list[float]) -> "Timing":
        q25, q75 = np.percentile(times, [25, 75])
        return cls(list(times), float(statistics.median(times)), float(q75 - q25))

    def __str__(self) -> str:
        return f"{self.median * 1e3:.3f} ms (IQR {self.iqr * 1e3:.3f} ms, {len(self.times)} runs)"


def time_it(fn: Callable[[], object], *, repeats: int = 20, warmup: int = 3,
            clock: Callable[[], float] = time.perf_counter,
            synchronize: Callable[[], None] = _no_sync) -> Timing:
    """Time `fn()` `repeats` times after `warmup` untimed calls; returns a `Timing`.

    For CUDA pass `synchronize=torch.cuda.synchronize`: the device is drained before each start (so earlier work is
    not counted) and before each stop (so this call's work is).
    """
    for _ in range(warmup):
        fn()
    synchronize()
    times = []
    for _ in range(repeats):
        synchronize()
        start = clock()
        fn()
        synchronize()
        times.append(clock() - start)
    return Timing.of(times)


def synchronizer(device) -> Callable[[], None]:
    """The synchronisation `time_it` needs for tensors on `device` (a no-op on the CPU)."""
    import torch
    device = torch.device(device)
    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return _no_sync


def time_cuda_events(fn: Callable[[], object], *, repeats: int = 20, warmup: int = 3) -> Timing:
    """Time `fn()` on the current CUDA stream with CUDA events: the GPU itself stamps the start and the end.

    The events are recorded into the stream between the kernels, so the host's launch overhead is not counted when
    the GPU is busy; `elapsed_time` is in milliseconds and needs the end event to have completed (hence the sync).
    """
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return Timing.of(times)


def time_torch_timer(fn: Callable[[], object], *, min_run_time: float = 0.2) -> Timing:
    """`torch.utils.benchmark.Timer`: synchronises CUDA itself, warms up, and picks how many calls make a block.

    Its times are per call, each the mean of one block of calls; we report their median and IQR like `time_it`.
    """
    from torch.utils import benchmark
    measurement = benchmark.Timer(stmt="fn()", globals={"fn": fn}).blocked_autorange(min_run_time=min_run_time)
    return Timing.of(list(measurement.times))
