"""Real servers for the grading tests, on 127.0.0.1 and stopped after: a Dask cluster (the venv's `dask` CLI) and a
PostgreSQL server (Debian's `postgresql`, installed with apt-get when missing and we are root)."""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.layout import ROOT

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


def _stop(proc: subprocess.Popen, sig=signal.SIGTERM, wait: float = 15) -> None:
    """End the process and its session (started with start_new_session: nanny, worker, their children)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(wait)


# ---------------------------------------------------------------- Dask


@dataclass
class DaskCluster:
    address: str
    folder: Path
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)

    def add_worker(self, name: str, root: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.Popen:
        """A `dask worker` process (one thread) whose `autograder` package is the one in `root` (`env`: more
        environment variables)."""
        env = dict(os.environ, PYTHONPATH=str(root), OMP_NUM_THREADS="1", **(env or {}))
        local = self.folder / name
        local.mkdir(parents=True, exist_ok=True)
        cmd = [str(BIN / "dask"), "worker", self.address, "--name", name, "--nthreads", "1", "--nworkers", "1",
               "--host", "127.0.0.1", "--no-dashboard", "--memory-limit", "0", "--death-timeout", "60",
               "--local-directory", str(local)]
        with open(local / "worker.log", "ab") as log:
            proc = subprocess.Popen(cmd, cwd=local, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.workers.append(proc)
        return proc

    def wait_for_workers(self, n: int, timeout: float = 90) -> None:
        from distributed import Client
        with Client(self.address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(n, timeout=timeout)

    def kill_worker(self, proc: subprocess.Popen) -> None:
        """As if its machine were lost: SIGKILL to the worker's whole session (nanny, worker, notebooks)."""
        _stop(proc, signal.SIGKILL)

    def stop(self) -> None:
        for proc in self.workers:
            _stop(proc)
        _stop(self.scheduler)


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int = 2):
    """A scheduler and `workers` one-thread workers on loopback ports; yields the DaskCluster."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cmd = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
    with open(folder / "scheduler.log", "ab") as log:
        scheduler = subprocess.Popen(cmd, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    cluster = DaskCluster(f"tcp://127.0.0.1:{port}", folder, scheduler)
    try:
        _wait_for_port(port, scheduler, "dask scheduler")
        for i in range(workers):
            cluster.add_worker(f"w{i}")
        if workers:
            cluster.wait_for_workers(workers)
        yield cluster
    finally:
        cluster.stop()


# ---------------------------------------------------------------- PostgreSQL


class PostgresUnavailable(Exception):
    """Why no PostgreSQL server can be started here (the test skips with this reason)."""


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def ensure_postgres() -> Path:
    """The folder of PostgreSQL's server programs, installing Debian's `postgresql` when missing and root."""
    found = _postgres_bin()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise PostgresUnavailable("PostgreSQL's initdb is not installed, and installing it needs root and apt-get "
                                  "(apt-get install -y postgresql)")
    for cmd in (["apt-get", "-q", "update"], ["apt-get", "-q", "install", "-y", "--no-install-recommends",
                                             "postgresql"]):
        result = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ,
                                                                              DEBIAN_FRONTEND="noninteractive"))
        if result.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(cmd)} failed: {result.stderr.strip()[-300:]}")
    found = _postgres_bin()
    if not found:
        raise PostgresUnavailable("apt-get installed postgresql but no initdb was found")
    return found


@contextlib.contextmanager
def postgres_server(database: str = "gradebook"):
    """A throw-away PostgreSQL server on a free loopback port; yields the SQLAlchemy URL of a new database.

    The server refuses to run as root, so as root it runs as the `postgres` user the Debian package creates."""
    bindir = ensure_postgres()
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:
        import pwd
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError as err:
            raise PostgresUnavailable("running as root and there is no `postgres` user to run the server") from err
        as_user = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="course-postgres-"))
    if owner:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    data, port = base / "data", free_port()

    def run(*cmd: str) -> None:
        result = subprocess.run([*as_user, *cmd], capture_output=True, text=True, cwd=base)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{Path(cmd[0]).name} failed: {(result.stderr or result.stdout)[-500:]}")
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60", "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        try:
            run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", database)
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
        finally:
            subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, cwd=base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
