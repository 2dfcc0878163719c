"""A simulated asynchronous device: a host clock and a queue of kernels, with no GPU.

It shows, on any machine, the same timing mistakes as a real GPU: launching a kernel costs the host only
`launch_s`; the device runs the queued kernels one after another (one stream); `synchronize()` makes the host wait
until the queue is empty; `item()` is a hidden synchronisation (like `tensor.item()` or printing a CUDA tensor).

    dev = FakeDevice(launch_s=10e-6)
    work = dev.program(kernel_s=1e-3, cold_s=[50e-3])    # 1 ms of work per call; the first call costs 50 ms more
    t0 = dev.clock(); work(); print(dev.clock() - t0)    # 10 us: the launch, not the work
"""
from __future__ import annotations

from typing import Callable, Sequence


class FakeDevice:
    def __init__(self, launch_s: float = 10e-6):
        self.launch_s = launch_s
        self.now = 0.0        # host time, seconds
        self.done_at = 0.0    # when the device will have finished everything queued so far
        self.launches = 0
        self.syncs = 0

    def clock(self) -> float:
        """The host's clock (what time.perf_counter would read)."""
        return self.now

    def host_work(self, seconds: float) -> None:
        """The host computes something itself (Python code between launches)."""
        self.now += seconds

    def launch(self, seconds: float) -> None:
        """Queue a kernel that will run for `seconds` on the device; the host only pays the launch."""
        self.now += self.launch_s
        self.done_at = max(self.done_at, self.now) + seconds
        self.launches += 1

    def synchronize(self) -> None:
        """Wait until the device has finished all queued work (torch.cuda.synchronize)."""
        self.now = max(self.now, self.done_at)
        self.syncs += 1

    def item(self) -> float:
        """Copy a result to the host: a hidden synchronisation."""
        self.synchronize()
        return 0.0

    def busy(self) -> float:
        """Seconds of queued work the device has not finished yet, as seen by the host now."""
        return max(0.0, self.done_at - self.now)

    def program(self, kernel_s: float, kernels: int = 1, cold_s: Sequence[float] = (),
                jitter_s: Sequence[float] = (0.0,), outlier_every: int = 0, outlier_s: float = 0.0,
                host_s: float = 0.0) -> Callable[[], None]:
        """A callable that launches `kernels` kernels of `kernel_s` seconds each per call, plus, on its n-th call
        (from 0): `cold_s[n]` extra for the first calls (warm-up: context, handles, autotuning, allocator),
        `jitter_s[n % len(jitter_s)]`, and `outlier_s` on every `outlier_every`-th call (another process, a clock
        change). `host_s` is Python time spent on the host between launches."""
        calls = [0]

        def run() -> None:
            n = calls[0]
            calls[0] += 1
            extra = (cold_s[n] if n < len(cold_s) else 0.0) + jitter_s[n % len(jitter_s)]
            if outlier_every and (n + 1) % outlier_every == 0:
                extra += outlier_s
            for k in range(kernels):
                self.host_work(host_s)
                self.launch(kernel_s + (extra if k == 0 else 0.0))

        return run
