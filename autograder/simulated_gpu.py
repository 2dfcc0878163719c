"""A simulated asynchronous device: a host clock and a queue of kernels, with no GPU.

It shows, on any machine, the same timing mistakes as a real GPU: launching a kernel costs the host only
`launch_s`; the device runs the queued kernels one after another (one stream); `synchronize()` makes the host wait
until the queue is empty; `item()` is a hidden synchronisation (like `tensor.item()` or printing a CUDA tensor).
First-call costs (creating the CUDA context and library handles, autotuning, growing the allocator) are paid by the
host, which blocks until they are done: they are host time, not queued device time, so even a clock read without
synchronisation sees them.

    dev = FakeDevice(launch_s=10e-6)
    work = dev.program(kernel_s=1e-3, cold_s=[50e-3])    # 1 ms of work per call; the first call blocks 50 ms more
    t0 = dev.clock(); work(); print(dev.clock() - t0)    # 50.01 ms: the host's first-call cost and the launch
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
        """A callable that launches `kernels` kernels of `kernel_s` seconds each per call. On its n-th call (from 0)
        the host first blocks for `cold_s[n]` (the first calls' costs: context, handles, autotuning, allocator,
        all paid on the host); the first kernel of a call runs `jitter_s[n % len(jitter_s)]` longer, and
        `outlier_s` longer on every `outlier_every`-th call (another process, a clock change). `host_s` is Python
        time spent on the host before each launch."""
        calls = [0]

        def run() -> None:
            n = calls[0]
            calls[0] += 1
            if n < len(cold_s):
                self.host_work(cold_s[n])     # first-call set-up blocks the host; nothing is queued for it
            extra = jitter_s[n % len(jitter_s)]
            if outlier_every and (n + 1) % outlier_every == 0:
                extra += outlier_s
            for k in range(kernels):
                self.host_work(host_s)
                self.launch(kernel_s + (extra if k == 0 else 0.0))

        return run
