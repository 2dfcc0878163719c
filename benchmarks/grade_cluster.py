"""Grading on a Dask cluster: throughput with 1 and 2 workers, the cost per notebook, the scheduler's overhead per
task, and from them the projected wall time of a large class on 1, 4 and 16 machines.

    .venv/bin/python benchmarks/grade_cluster.py [--students 24] [--chapter elman_jordan] [--workers 1 2]

Generates a class (the demo's samples `correct`, `partial` and `raises`, in turn), starts a real `dask scheduler`
and N one-thread `dask worker` processes on 127.0.0.1 (the same programs an instructor starts by hand), grades the
class through them with `autograde.grade(..., scheduler=...)` (no feedback, no class report), and measures:

* notebooks per minute (wall time of the whole grading call, as the instructor waits for it);
* worker core-seconds per notebook: the CPU of every worker process and all it starts (the trusted judgement in
  the worker, the student's process in its sandbox), from a cpuacct cgroup the workers are moved into
  (`cpu_accounting.CpuGroup`; psutil, which misses the sandboxed processes, where no group can be made);
* coordinator core-seconds per notebook: user+sys of this process and its children during the call (reading and
  sanitizing each submission, nbgrader's gradebook writes): the serial part;
* the scheduler's overhead per task: the round trip of a no-op task submitted alone, and the time per task of
  1,000 no-op tasks submitted at once, on the same cluster.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil  # noqa: E402
from cpu_accounting import CpuGroup  # noqa: E402

from autograder.grading.autograde import grade  # noqa: E402
from tests.helpers.servers import dask_cluster  # noqa: E402
from tests.helpers.small_class import CHAPTER, make_class  # noqa: E402

SAMPLE_CYCLE = ("correct", "partial", "raises")
CLASS_STUDENTS, CLASS_CHAPTERS, CORES_PER_MACHINE = 1000, 6, 8


def tree_cpu(pids: list[int]) -> float:
    """user+sys seconds of these processes, their live descendants, and the children they have waited for."""
    total, seen = 0.0, set()
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for p in procs:
            if p.pid in seen:
                continue
            seen.add(p.pid)
            try:
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                continue
    return total


def own_cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _noop(i):
    return i


def scheduler_overhead(address: str) -> tuple[float, float]:
    """(seconds for one no-op task's round trip, submitted alone; seconds per task of 1,000 submitted at once)."""
    from distributed import Client
    with Client(address, set_as_default=False) as client:
        for i in range(5):                              # warm up: the function is sent once
            client.submit(_noop, i, pure=False).result()
        t = time.perf_counter()
        n = 100
        for i in range(n):
            client.submit(_noop, i, pure=False).result()
        alone = (time.perf_counter() - t) / n
        t = time.perf_counter()
        futures = client.map(_noop, range(1000), pure=False)
        client.gather(futures)
        bulk = (time.perf_counter() - t) / len(futures)
    return alone, bulk


def run(pristine: Path, tmp: Path, workers: int, n_notebooks: int) -> dict:
    course = tmp / f"course-{workers}w"
    shutil.copytree(pristine, course, symlinks=True)
    with dask_cluster(tmp / f"dask-{workers}w", workers=workers) as dc:
        alone, bulk = scheduler_overhead(dc.address) if workers == 1 else (None, None)
        pids = [w.pid for w in dc.workers]
        group = CpuGroup.make()
        for pid in pids if group else ():          # each worker and what it has started already (a nanny's
            for p in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:    # worker process)
                group.add(p.pid)
        counter = group.seconds if group else (lambda: tree_cpu(pids))
        w0, c0, t0 = counter(), own_cpu(), time.perf_counter()
        result = grade(course, [CHAPTER], timeout=30, feedback=False, report=False, log=lambda *a: None,
                       scheduler=dc.address)
        wall, worker_cpu, coordinator_cpu = time.perf_counter() - t0, counter() - w0, own_cpu() - c0
        if group:
            group.remove()
    assert result.notebooks_executed == n_notebooks, result.notebooks_executed
    return {"workers": workers, "wall": wall, "counted_by": "cpuacct cgroup" if group else "psutil (undercounts)",
            "per_min": 60 * n_notebooks / wall,
            "worker_cpu": worker_cpu / n_notebooks, "coordinator_cpu": coordinator_cpu / n_notebooks,
            "alone": alone, "bulk": bulk}


def projection(worker_cpu: float, coordinator_cpu: float, per_task: float) -> list[tuple[int, float, float]]:
    """[(machines, projected hours, the serial part's hours)] for CLASS_STUDENTS × CLASS_CHAPTERS notebooks (the
    model is in the printed notes): the coordinator's serial work overlaps the workers', so the longer of the two
    sets the pace."""
    n = CLASS_STUDENTS * CLASS_CHAPTERS
    serial = n * (coordinator_cpu + per_task)
    return [(m, max(serial, n * worker_cpu / (m * CORES_PER_MACHINE)) / 3600, serial / 3600) for m in (1, 4, 16)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=24)
    p.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="grade-cluster-bench-") as name:
        tmp = Path(name)
        students = {f"s{i:03d}": SAMPLE_CYCLE[i % len(SAMPLE_CYCLE)] for i in range(a.students)}
        pristine = make_class(tmp / "class", students)
        rows = [run(pristine, tmp, w, a.students) for w in a.workers]
    print(f"class: {a.students} notebooks of {CHAPTER} ({', '.join(SAMPLE_CYCLE)} in turn); machine: "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end; one-thread workers; worker CPU "
          f"counted by {rows[0]['counted_by']}")
    print(f"{'workers':>7} {'wall s':>8} {'notebooks/min':>14} {'worker core-s/nb':>17} {'coordinator core-s/nb':>22}")
    for r in rows:
        print(f"{r['workers']:>7} {r['wall']:>8.1f} {r['per_min']:>14.1f} {r['worker_cpu']:>17.2f} "
              f"{r['coordinator_cpu']:>22.2f}")
    first = rows[0]
    print(f"scheduler overhead per task: {1e3 * first['alone']:.1f} ms for a no-op task's round trip alone, "
          f"{1e3 * first['bulk']:.2f} ms per task for 1,000 submitted at once")
    worker_cpu = max(r["worker_cpu"] for r in rows)
    coordinator_cpu = max(r["coordinator_cpu"] for r in rows)
    print(f"\nProjected wall time for {CLASS_STUDENTS:,} students × {CLASS_CHAPTERS} chapters "
          f"({CLASS_STUDENTS * CLASS_CHAPTERS:,} notebooks), machines of {CORES_PER_MACHINE} cores:")
    print("| machines | cores | projected wall time | the serial part (coordinator and scheduler) |\n"
          "| ---: | ---: | ---: | ---: |")
    for machines, hours, serial in projection(worker_cpu, coordinator_cpu, first["bulk"]):
        print(f"| {machines} | {machines * CORES_PER_MACHINE} | {hours:.2f} h ({60 * hours:.0f} min) | "
              f"{60 * serial:.0f} min |")
    print(f"Assumptions: every notebook costs what this class's did ({worker_cpu:.2f} worker core-s, the larger of "
          f"the runs), and one worker thread per core runs one notebook at a time without slowing the others; "
          f"the coordinator's part ({coordinator_cpu:.2f} core-s per notebook: reading, sanitizing, recording "
          f"in the gradebook) is serial but overlaps the workers' (the command sanitizes the next submissions while "
          f"the workers run the earlier ones, and records each result as it arrives), so the projected time is the "
          f"longer of the two; the scheduler, one process, spends what a no-op task "
          f"costs it in bulk ({1e3 * first['bulk']:.2f} ms) per notebook, serially (the round trip of a task "
          f"alone is latency, paid once per worker slot, not per notebook). Not included: feedback and the class "
          f"report (serial, after grading), starting the machines, and slower notebooks of other chapters.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
