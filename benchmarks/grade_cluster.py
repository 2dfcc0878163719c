"""Grading on a Dask cluster: the serial part's wall time per notebook (the coordinator and the scheduler), the
gradebook transactions per notebook, on SQLite and on PostgreSQL, and from measured wall times the projected time of
1,000 students x 6 chapters on machines of 8 cores.

    .venv/bin/python benchmarks/grade_cluster.py [--students 24] [--workers 2] [--db sqlite postgres]

Generates a class (the demo's samples `correct`, `partial` and `raises`, in turn), starts a real `dask scheduler`
and one-thread `dask worker` processes on 127.0.0.1 (the programs an instructor starts by hand) and, for each
gradebook (SQLite, the default file; PostgreSQL, a throw-away server on a loopback port, as
tests/grading/test_postgres.py starts one), grades the class through them with `autograde.grade(...,
scheduler=...)`, feedback included (no class report), and measures:

* the serial part's wall time per notebook: what the coordinator spends reading, sanitizing, checking and recording
  each notebook (`GradingRun.serial_seconds`, wall clock; beside it that part's CPU time, and the CPU of the whole
  coordinator process per notebook, the Dask client's threads included), and the scheduler's wall time per task
  (1,000 no-op tasks submitted at once, on the same cluster);
* the same serial part with the coordinator alone ("alone"): the class graded again, each worker's result of the
  first run handed back the moment the coordinator asks, with no worker or scheduler running on the machine, as
  on a coordinator with a machine of its own (beside the workers, their sandboxes' kernel work slows its own
  system calls down: wall time two to three times its CPU time here);
* a worker's wall time per notebook (judging, scoring and rendering the feedback, as it reports it);
* gradebook transactions per notebook: the commits the coordinator's process makes (SQLAlchemy's commit events; all
  gradebook writes happen there), set-up and export included (nbgrader's Gradebook() commits once when opened, with
  nothing written: benchmarks/gradebook_syncs.py counts the disk syncs).

The coordinator and the scheduler run on one core, the workers on the others (`pin`), as on a cluster where the
coordinator has a machine of its own.

The projection: the serial part runs notebook after notebook (it overlaps the workers, not itself), the workers run
side by side, so the class takes the longer of N x (coordinator alone + scheduler per notebook) and N x worker wall
per notebook / worker slots, from the same runs (the figure with the coordinator beside the workers is printed too).
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from unittest import mock  # noqa: E402

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from autograder.grading import cluster  # noqa: E402
from autograder.grading.autograde import grade  # noqa: E402
from autograder.grading.release import nbgrader  # noqa: E402
from tests.helpers.servers import PostgresUnavailable, dask_cluster, postgres_server  # noqa: E402
from tests.helpers.small_class import CHAPTER, add_students, make_class  # noqa: E402

SAMPLE_CYCLE = ("correct", "partial", "raises")
CLASS_STUDENTS, CLASS_CHAPTERS, MACHINES, CORES_PER_MACHINE = 1000, 6, 4, 8


def _noop(i):
    return i


def scheduler_per_task(address: str) -> float:
    """Wall seconds per task of 1,000 no-op tasks submitted at once (after a warm-up)."""
    from distributed import Client
    with Client(address, set_as_default=False) as client:
        for i in range(5):
            client.submit(_noop, i, pure=False).result()
        t = time.perf_counter()
        futures = client.map(_noop, range(1000), pure=False)
        client.gather(futures)
        return (time.perf_counter() - t) / len(futures)


def _process_cpu() -> float:
    """user+sys seconds of this process, every thread (the Dask client's too)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def pin(dc) -> None:
    """On a machine of 2 cores or more: the coordinator (this process) and the scheduler on core 0, the workers (and
    the sandboxes they start) on the others, so that the serial part's wall time is measured as on a machine of its
    own, not while it waits for a core the workers hold."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return
    _set_affinity(dc.scheduler.pid, cores[:1])
    for worker in dc.workers:
        _set_affinity(worker.pid, cores[1:])


def _set_affinity(pid: int, cores: list[int]) -> None:
    import psutil
    try:
        root = psutil.Process(pid)
        for p in [root, *root.children(recursive=True)]:
            for thread in p.threads():
                os.sched_setaffinity(thread.id, cores)
    except (psutil.Error, OSError):
        pass


def run(pristine: Path, tmp: Path, db: str, workers: int, students: list[str]) -> dict:
    """The class graded through the Dask workers, then again with the coordinator alone (`alone`)."""
    server = postgres_server() if db == "postgres" else nullcontext(None)
    with server as url:
        course = _course(pristine, tmp / f"course-{db}", url, students)
        with dask_cluster(tmp / f"dask-{db}", workers=workers) as dc:
            pin(dc)
            per_task = scheduler_per_task(dc.address)
            results = {}
            real_run_jobs = cluster.run_jobs

            def keeping(fn, jobs, *args, **kwargs):
                for payload, result in real_run_jobs(fn, jobs, *args, **kwargs):
                    results[payload["id"]] = result
                    yield payload, result
            with mock.patch.object(cluster, "run_jobs", keeping):
                measured = _measure(course, students, scheduler=dc.address)
        measured["scheduler"] = per_task
    # The same class again, each worker's result handed back the moment the coordinator asks (no worker running on
    # this machine, no scheduler): the serial part's wall time as on a coordinator with a machine of its own. On the
    # machine the workers share, their sandboxes' set-up (namespaces, mounts: kernel time, 50% of the CPU here) slows
    # the coordinator's own system calls down, which no real cluster's coordinator shares.
    server = postgres_server() if db == "postgres" else nullcontext(None)
    with server as url:
        course = _course(pristine, tmp / f"course-{db}-alone", url, students)

        def replaying(fn, jobs, *args, **kwargs):
            for payload in jobs:
                yield payload, results[payload["id"]]
        with mock.patch.object(cluster, "run_jobs", replaying):
            alone = _measure(course, students, scheduler=None)
    measured.update(db=db, workers=workers, alone=alone["serial"], alone_cpu=alone["serial_cpu"])
    return measured


def _course(pristine: Path, course: Path, url: str | None, students: list[str]) -> Path:
    shutil.copytree(pristine, course, symlinks=True)
    if url:                        # as test_postgres.py: the same class, its gradebook moved to PostgreSQL
        config = course / "nbgrader_config.py"
        config.write_text(config.read_text() + f"\nc.CourseDirectory.db_url = {url!r}\n")
        nbgrader("generate_assignment", CHAPTER, "--force", root=course)
        add_students(course, students)
        (course / "gradebook.db").unlink()
    return course


def _measure(course: Path, students: list[str], scheduler: str | None) -> dict:
    commits, lines = [], []
    on_commit = lambda conn: commits.append(1)          # noqa: E731
    event.listen(Engine, "commit", on_commit)
    t0, cpu0 = time.perf_counter(), _process_cpu()
    try:
        result = grade(course, [CHAPTER], timeout=30, feedback=True, report=False, log=lines.append,
                       scheduler=scheduler)
    finally:
        event.remove(Engine, "commit", on_commit)
    wall, process_cpu = time.perf_counter() - t0, _process_cpu() - cpu0
    n = result.notebooks_executed
    assert n == len(students), (n, result.not_graded())
    took = [float(m.group(1)) for line in lines if (m := re.search(r"^\s*ran \S+ on \S+ in ([\d.]+) s", line))]
    return {"n": n, "wall": wall, "serial": result.serial_seconds / n, "serial_cpu": result.serial_cpu_seconds / n,
            "process_cpu": process_cpu / n, "worker": sum(took) / max(1, len(took)), "commits": len(commits) / n}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=24)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--db", nargs="*", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    a = p.parse_args(argv)
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) > 1:
        os.sched_setaffinity(0, cores[:1])     # this process (the coordinator) and the threads it starts: see pin()
    rows = []
    with tempfile.TemporaryDirectory(prefix="grade-cluster-bench-") as name:
        tmp = Path(name)
        students = {f"s{i:03d}": SAMPLE_CYCLE[i % len(SAMPLE_CYCLE)] for i in range(a.students)}
        pristine = make_class(tmp / "class", students)
        for db in a.db:
            try:
                rows.append(run(pristine, tmp, db, a.workers, list(students)))
            except PostgresUnavailable as why:
                print(f"{db}: skipped ({why})")
    print(f"class: {a.students} notebooks of {CHAPTER} ({', '.join(SAMPLE_CYCLE)} in turn), feedback included; "
          f"{a.workers} one-thread Dask workers on this machine ({os.cpu_count()} cores); load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    print(f"{'gradebook':>9} {'wall s':>7} {'nb/min':>7} {'coordinator ms/nb':>18} {'(its CPU)':>10} "
          f"{'(process CPU)':>14} {'alone ms/nb':>12} {'(its CPU)':>10} {'scheduler ms/nb':>16} "
          f"{'worker s/nb':>12} {'commits/nb':>11}")
    for r in rows:
        print(f"{r['db']:>9} {r['wall']:>7.1f} {60 * r['n'] / r['wall']:>7.1f} {1e3 * r['serial']:>18.1f} "
              f"{1e3 * r['serial_cpu']:>10.1f} {1e3 * r['process_cpu']:>14.1f} {1e3 * r['alone']:>12.1f} "
              f"{1e3 * r['alone_cpu']:>10.1f} {1e3 * r['scheduler']:>16.2f} {r['worker']:>12.2f} "
              f"{r['commits']:>11.2f}")
    if not rows:
        return 1
    n = CLASS_STUDENTS * CLASS_CHAPTERS
    slots = MACHINES * CORES_PER_MACHINE
    print(f"\nProjected for {CLASS_STUDENTS:,} students x {CLASS_CHAPTERS} chapters ({n:,} notebooks) on {MACHINES} "
          f"machines x {CORES_PER_MACHINE} cores ({slots} one-thread workers) and a coordinator on a machine of its "
          f"own, from the wall times above (serial part: the coordinator alone + the scheduler per task):")
    for r in rows:
        serial = n * (r["alone"] + r["scheduler"])
        workers = n * r["worker"] / slots
        shared = n * (r["serial"] + r["scheduler"])
        print(f"  {r['db']}: serial part {serial / 60:.1f} min ({1e3 * (r['alone'] + r['scheduler']):.0f} ms x "
              f"{n:,}), workers {workers / 60:.1f} min ({r['worker']:.2f} s x {n:,} / {slots}): "
              f"{max(serial, workers) / 60:.1f} min (with the coordinator sharing a machine with workers, as "
              f"measured here: {max(shared, workers) / 60:.1f} min)")
    print("Assumptions: every notebook costs what this class's did; a worker's wall time here is measured with "
          "the other workers sharing their cores (pessimistic for a core of its own); the coordinator's serial part "
          "overlaps the workers' (it sanitizes the next submissions while they run, and records each result as it "
          "arrives). Not included: starting the machines, the class report, and slower chapters "
          "(benchmarks/grade_class.py gives each chapter's cost).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
