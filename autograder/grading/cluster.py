"""Where notebooks run: this machine's worker processes, or the workers of a Dask distributed cluster.

    run_jobs(fn, jobs, scheduler=None, workers=2)  -> iterator of (job, result), each job exactly once

Both ways go through one `concurrent.futures` loop: locally a ProcessPoolExecutor (forked workers), on a cluster the
Client's own executor (`Client.get_executor`), so a class is graded by the same code either way. `fn` and each job
and result are plain data (a job is a dict with an "id"); only the caller (the coordinator) records results. On a
cluster every task is submitted with pure=False (two students' identical notebooks are two tasks) and retries=1; a
worker lost mid-task is Dask's job: the scheduler runs the task again on another worker. A result arrives once per
future, and results are deduplicated by job id all the same, so nothing is recorded twice.

Preflight: a worker grades with its own checkout and environment, so before the first job the coordinator sends
`CoursePreflight` (a Dask WorkerPlugin, set up on every worker now and on every worker that joins later) holding
the coordinator's fingerprint: a content hash of solutions/ and autograder/, the Python version and the installed
versions of every package pinned in requirements.txt. A worker must also make a test sandbox (a real one, not
"bwrap is on PATH") and must not carry the no-sandbox override in its environment: a cluster's workers run
untrusted code unattended. A worker that fails the preflight is left out (retired from the cluster, its job run
elsewhere) and named in the log; the run goes on while one good worker remains, and stops with an error naming
every worker and what differs when none does.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import contextmanager
from pathlib import Path

from autograder.layout import ROOT

PLUGIN_NAME = "course-preflight"
WINDOW = 2                    # jobs submitted ahead per slot: enough to keep every slot busy, few to hold
RETRIES = 1                   # a task that raised runs once more (on any worker); a lost worker's task always reruns
PREFLIGHT_RETRIES = 5         # a job sent back by workers that failed the preflight goes out again this many times


class PreflightError(RuntimeError):
    """A worker's checkout or environment is not the coordinator's."""


# ---------------------------------------------------------------- what a worker must share with the coordinator


def tree_hash(folder: Path) -> str:
    """sha256 over the relative paths and contents of every file under `folder` (bytecode caches left out)."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", ".ipynb_checkpoints"))
        for name in sorted(filenames):
            if name.endswith(".pyc"):
                continue
            path = Path(dirpath) / name
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def _pinned_packages(root: Path) -> list[str]:
    text = (root / "requirements.txt").read_text() if (root / "requirements.txt").exists() else ""
    return [m.group(1) for m in re.finditer(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==", text, re.M)]


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def fingerprint(root: Path = ROOT) -> dict[str, str]:
    """What must be equal on the coordinator and every worker, as {what: value}."""
    found = {"solutions/": tree_hash(root / "solutions"), "autograder/": tree_hash(root / "autograder"),
             "python": sys.version.split()[0]}
    found.update({f"package {name}": _version(name) for name in _pinned_packages(root)})
    return found


def differences(worker: str, expected: dict[str, str], found: dict[str, str], commit: str = "") -> list[str]:
    """One readable line per difference: 'worker tcp://...: solutions/ at a1b2c3, coordinator at d4e5f6'."""
    at = f" (checkout {commit})" if commit else ""
    return [f"worker {worker}{at}: {what} at {found.get(what, 'missing')}, coordinator at {value}"
            for what, value in expected.items() if found.get(what) != value]


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # dask is only needed for --scheduler; local grading runs without it
    WorkerPlugin = object


class CoursePreflight(WorkerPlugin):
    """Set up on each worker as it joins: compares its fingerprint with the coordinator's and keeps the differences
    (jobs on a worker with differences return them instead of running)."""
    name = PLUGIN_NAME

    def __init__(self, expected: dict[str, str]):
        self.expected = expected
        self.problems: list[str] = []

    def setup(self, worker):
        self.problems = differences(worker.address, self.expected, fingerprint(), _git_commit(ROOT))
        self.problems += sandbox_problems(worker.address)


def sandbox_problems(worker: str) -> list[str]:
    """Why this worker must not run student code: the no-sandbox override set, or no sandbox can be made here."""
    from autograder.grading import sandbox
    if os.environ.get(sandbox.UNSAFE_ENV) == "1":
        return [f"worker {worker}: {sandbox.UNSAFE_ENV}=1 in its environment (the no-sandbox override is refused "
                "on a cluster: unset it and restart the worker)"]
    reason = sandbox.unavailable_reason()
    return [f"worker {worker}: cannot make a test sandbox: {reason}"] if reason else []


def preflight_problems() -> list[str]:
    """On a Dask worker: the differences its CoursePreflight found; elsewhere (a local worker process): none."""
    try:
        from distributed import get_worker
        worker = get_worker()
    except (ImportError, ValueError):
        return []
    plugin = worker.plugins.get(PLUGIN_NAME)
    return plugin.problems if plugin is not None else [f"worker {worker.address}: no course preflight ran"]


def worker_name() -> str:
    """The Dask worker's address, or "local" in a worker process of the coordinator."""
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return "local"


def _worker_problems(dask_worker=None) -> list[str]:
    plugin = dask_worker.plugins.get(PLUGIN_NAME)
    return plugin.problems if plugin is not None else [f"worker {dask_worker.address}: no course preflight ran"]


# ---------------------------------------------------------------- running the jobs


_LOCAL_FN: list = []      # the job function a local worker process runs (inherited when it is forked)


def _run_local(job: dict) -> dict:
    return _LOCAL_FN[0](job)


@contextmanager
def local_processes(workers: int, fn: Callable[[dict], dict] | None = None):
    """`workers` processes of this machine, forked from this one (the grader's modules already imported, nothing to
    start again): each runs one notebook at a time, judges and scores it and renders its feedback in parallel with
    the others and with this process, which reads, sanitizes and records. Jobs and results are plain data."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=multiprocessing.get_context("fork")) as pool:
        yield pool


@contextmanager
def executor(scheduler: str | None, workers: int, log: Callable[[str], None] = print):
    """(a concurrent.futures Executor, how many jobs it runs at once): `workers` local processes, or the cluster at
    `scheduler` after preflight."""
    if scheduler is None:
        with local_processes(workers) as pool:
            yield pool, max(1, workers)
        return
    from distributed import Client
    with Client(scheduler, timeout="30s", set_as_default=False) as client:
        client.register_plugin(CoursePreflight(fingerprint()), name=PLUGIN_NAME)
        found = client.run(_worker_problems)
        bad = {worker: problems for worker, problems in found.items() if problems}
        if len(bad) == len(found):
            problems = [p for per_worker in bad.values() for p in per_worker] or ["no workers"]
            raise PreflightError("no worker passed the preflight:\n  " + "\n  ".join(problems))
        leave_out(client, bad, log)
        log(f"cluster {scheduler}: {len(found) - len(bad)} workers, checkout and environment equal to the "
            "coordinator's, sandboxes made")
        pool = client.get_executor(pure=False, retries=RETRIES)
        pool.leave_out = lambda worker, problems: leave_out(client, {worker: problems}, log)
        yield pool, max(1, sum(client.nthreads().values()))


def leave_out(client, bad: dict[str, list[str]], log) -> None:
    """Retire the workers that failed the preflight (the scheduler sends them no more tasks), saying why."""
    for worker, problems in bad.items():
        log(f"worker {worker} left out: " + "; ".join(problems))
    if bad:
        client.retire_workers(list(bad), close_workers=True)


def run_jobs(fn: Callable[[dict], dict], jobs: Iterable[dict], scheduler: str | None = None, workers: int = 2,
             log: Callable[[str], None] = print) -> Iterator[tuple[dict, dict]]:
    """Yield (job, fn(job)) for every job, in the order they finish, each job id exactly once.

    `jobs` is read lazily, a few per slot ahead of the workers (WINDOW): the caller's work making each job overlaps
    the workers' running the earlier ones. A job whose function raised (on its last try) yields
    {"id": ..., "error": "<reason>"}; a result {"preflight": [...]} (a worker that joined with another checkout,
    or cannot make a sandbox) leaves that worker out and sends the job again, to another worker.
    """
    submitted: set[str] = set()
    seen: set[str] = set()
    if scheduler is None:           # local processes are forked: they inherit `fn`, which need not be picklable
        _LOCAL_FN[:] = [fn]
        fn = _run_local
    with executor(scheduler, workers, log) as (pool, slots):
        source = iter(jobs)
        pending: dict = {}

        def top_up() -> None:
            while len(pending) < WINDOW * slots:
                job = next(source, None)
                if job is None:
                    return
                if job["id"] in submitted:
                    raise ValueError(f"job ids must be unique: {job['id']}")
                submitted.add(job["id"])
                pending[pool.submit(fn, job)] = job
        top_up()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                try:
                    result = future.result()
                except Exception as err:  # noqa: BLE001 - the job's own failure (after the retries), not the run's
                    result = {"id": job["id"], "error": f"{type(err).__name__}: {str(err)[:300]}"}
                if result.get("preflight"):     # a worker that joined mid-run and failed the preflight
                    retire = getattr(pool, "leave_out", None)
                    tries = job.setdefault("_preflight_tries", 0)
                    if retire is None or tries >= PREFLIGHT_RETRIES:
                        for other in pending:
                            other.cancel()
                        raise PreflightError("a worker differs from the coordinator:\n  "
                                             + "\n  ".join(result["preflight"]))
                    retire(result.get("worker", "?"), result["preflight"])
                    job["_preflight_tries"] = tries + 1
                    pending[pool.submit(fn, job)] = job           # the same job, on another worker
                    continue
                if job["id"] in seen:          # never expected from one future per job; kept as the rule's guard
                    log(f"duplicate result for {job['id']} ignored")
                    continue
                seen.add(job["id"])
                yield job, result
            top_up()
