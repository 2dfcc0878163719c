"""Start the student's process (the executor) in the sandbox: `autograder.grading.sandbox.start` where it exists.

The agreed interface (issue 14; the bubblewrap sandbox is built separately):

    sandbox.start(argv, workdir, budget) -> Sandboxed   (.stdin, .stdout binary pipes; .wait(timeout); .kill();
                                                          .peak_memory_bytes(); a context manager that kills and
                                                          cleans up on exit)
    sandbox.Budget(wall_s, cpu_s, memory_bytes, disk_bytes, output_bytes)
    sandbox.unavailable_reason() -> str | None

Until `sandbox.start` lands, `_StandIn` below runs the command with subprocess: resource limits, a new session and,
as root, the workdir owner's unprivileged user; NO namespaces (the network and whatever that user may read are
reachable). It is a stand-in for development and tests only.
"""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.grading import sandbox
from autograder.layout import ROOT

EXECUTOR = ROOT / "autograder" / "grading" / "executor.py"


def executor_argv() -> list[str]:
    """The student's process: the venv's interpreter, isolated mode (no PYTHON* variables, no user site)."""
    return [sys.executable, "-I", "-B", str(EXECUTOR)]


@dataclass
class _Budget:
    """Stand-in for sandbox.Budget (same fields)."""
    wall_s: float = 600.0
    cpu_s: float = 300.0
    memory_bytes: int = 2 * 2**30
    disk_bytes: int = 256 * 2**20
    output_bytes: int = 16 * 2**20


Budget = getattr(sandbox, "Budget", _Budget)


class _StandIn:
    """STAND-IN, NOT A SANDBOX: a child process with rlimits in its own session. Same interface as sandbox.start's."""

    def __init__(self, argv: list[str], workdir: Path, budget):
        limits = [(resource.RLIMIT_AS, int(budget.memory_bytes)), (resource.RLIMIT_CPU, int(budget.cpu_s) + 1),
                  (resource.RLIMIT_FSIZE, int(budget.disk_bytes)), (resource.RLIMIT_CORE, 0)]

        # Run as the owner of `workdir` when the grader is root and gave the folder to an unprivileged user (the
        # per-slot users of the old sandbox), so the stand-in is no weaker than what it replaces.
        owner = os.stat(workdir)
        drop = os.geteuid() == 0 and owner.st_uid != 0

        def preexec():
            for res, value in limits:
                resource.setrlimit(res, (value, value))
            if drop:
                os.setgroups([])
                os.setgid(owner.st_gid)
                os.setuid(owner.st_uid)
            os.umask(0o077)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir), "TMPDIR": str(workdir),
               "LANG": os.environ.get("LANG", "C.UTF-8"), "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, start_new_session=True,
                                     preexec_fn=preexec, close_fds=True)
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout

    def wait(self, timeout=None):
        return self.proc.wait(timeout)

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def peak_memory_bytes(self):
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for pipe in (self.stdin, self.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        self.kill()
        return False


def start(argv: list[str], workdir: Path, budget):
    """The sandbox's start where it exists, else the stand-in."""
    real = getattr(sandbox, "start", None)
    if real is not None:
        return real(argv, workdir, budget)
    return _StandIn(argv, workdir, budget)


def isolated() -> bool:
    """Whether student code runs in the real sandbox (False: the stand-in, with no isolation)."""
    return getattr(sandbox, "start", None) is not None
