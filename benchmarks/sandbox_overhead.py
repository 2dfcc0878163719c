"""What one bubblewrap sandbox costs: CPU (core-milliseconds) and wall time of starting `python -c pass` in a sandbox,
against starting it directly, averaged over N runs.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/sandbox_overhead.py [N]

CPU is read from a cpuacct (cgroup v1) or cpu.stat (cgroup v2) counter of a cgroup made for this process where it
can make one (as root), because the sandboxed program is not a child this process waits for; otherwise from
getrusage of waited children, which undercounts the sandboxed program.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.grading import sandbox


def cpu_counter():
    """A function returning core-seconds used by this process and its descendants, and how it counts."""
    for root, read in ((Path("/sys/fs/cgroup/cpuacct"), lambda g: int((g / "cpuacct.usage").read_text()) / 1e9),
                       (Path("/sys/fs/cgroup"), lambda g: int(dict(line.split() for line in (
                           g / "cpu.stat").read_text().splitlines())["usage_usec"]) / 1e6)):
        group = root / f"sandbox-overhead-{os.getpid()}"
        try:
            group.mkdir()
            (group / "cgroup.procs").write_text(str(os.getpid()))
            read(group)
            return (lambda: read(group)), f"cgroup {group}", lambda: _leave(root, group)
        except (OSError, KeyError, ValueError):
            continue
    r = lambda: sum(getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f) for f in ("ru_utime", "ru_stime"))
    return r, "getrusage (undercounts the sandboxed program)", lambda: None


def _leave(root: Path, group: Path) -> None:
    (root / "cgroup.procs").write_text(str(os.getpid()))
    group.rmdir()


def main(n: int = 20) -> None:
    reason = sandbox.unavailable_reason()
    if reason:
        sys.exit(f"no sandbox here: {reason}")
    cpu, how, leave = cpu_counter()
    work = Path(tempfile.gettempdir()) / "sandbox-overhead" / "w"
    walls = {"direct": [], "sandbox": []}
    used = {"direct": 0.0, "sandbox": 0.0}
    for _ in range(n):
        for kind in ("direct", "sandbox"):
            c, t = cpu(), time.perf_counter()
            if kind == "direct":
                subprocess.run([sys.executable, "-c", "pass"], check=True)
            else:
                with sandbox.start([sys.executable, "-c", "pass"], work, sandbox.Budget()) as box:
                    box.wait(60)
            walls[kind].append(time.perf_counter() - t)
            used[kind] += cpu() - c
    leave()
    print(sandbox.limits_in_force())
    print(f"CPU counted by {how}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {n} runs each")
    for kind in walls:
        print(f"python -c pass, {kind:7s}: {1000 * used[kind] / n:6.1f} core-ms, "
              f"median wall {1000 * statistics.median(walls[kind]):6.1f} ms")
    print(f"sandbox overhead per start: {1000 * (used['sandbox'] - used['direct']) / n:.1f} core-ms, "
          f"{1000 * (statistics.median(walls['sandbox']) - statistics.median(walls['direct'])):.1f} ms wall")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
