"""Grading through a real Dask cluster (a `dask scheduler` and `dask worker` processes on 127.0.0.1): the same grades
as a local run, every submission recorded exactly once even when a worker dies mid-run, a worker whose checkout
differs from the coordinator's, or that carries the no-sandbox override, is left out while the run goes on, and a
cluster with no good worker stops the run with an error naming each and what differs."""
import shutil
import threading
import time

import psutil
import pytest

from autograder.grading import cluster
from autograder.grading.autograde import grade
from autograder.layout import ROOT
from tests.helpers.servers import dask_cluster
from tests.helpers.small_class import CHAPTER, STUDENTS, copy_class, grades


def _grade_logged(course, scheduler):
    lines = []
    run = grade(course, [CHAPTER], timeout=10, feedback=False, report=False, log=lines.append, scheduler=scheduler)
    ran = [line.split()[1] for line in lines if line.strip().startswith("ran ")]
    return run, ran, lines


def test_cluster_grades_equal_local_grades(tmp_path, small_class, local_grades):
    course = copy_class(small_class, tmp_path)
    with dask_cluster(tmp_path / "dask", workers=2) as dc:
        run, ran, lines = _grade_logged(course, dc.address)
    assert grades(run) == local_grades
    assert sorted(ran) == sorted(f"{CHAPTER}/{s}" for s in STUDENTS)
    assert not any(" on local" in line for line in lines), "a notebook ran in the coordinator, not on a worker"


def _notebook_started(proc) -> bool:
    """Whether a worker's session runs a notebook (the student's process: autograder/grading/executor.py)."""
    try:
        tree = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return False
    for p in tree:
        try:
            if "executor.py" in " ".join(p.cmdline()):
                return True
        except psutil.Error:
            continue
    return False


def test_worker_killed_mid_run_every_submission_graded_once(tmp_path, small_class, local_grades):
    course = copy_class(small_class, tmp_path)
    with dask_cluster(tmp_path / "dask", workers=2) as dc:
        victim = dc.workers[0]
        killed = threading.Event()

        def kill_after_first_task_starts():
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not _notebook_started(victim):
                time.sleep(0.05)
            if _notebook_started(victim):
                dc.kill_worker(victim)
                killed.set()
        killer = threading.Thread(target=kill_after_first_task_starts)
        killer.start()
        run, ran, lines = _grade_logged(course, dc.address)
        killer.join()
    assert killed.is_set(), "the worker never started a notebook, so the test killed nothing"
    assert grades(run) == local_grades
    expected = sorted(f"{CHAPTER}/{s}" for s in STUDENTS)
    assert sorted(ran) == expected, f"each submission must be recorded exactly once: {lines}"
    assert not any("duplicate" in line for line in lines)


def _checkout_copy(dest, change_solution: bool):
    for name in ("autograder", "solutions"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "requirements.txt", dest / "requirements.txt")
    if change_solution:
        notebook = dest / "solutions" / CHAPTER / f"{CHAPTER}.ipynb"
        notebook.write_text(notebook.read_text().replace("tanh", "tanh ", 1))


def test_cluster_without_a_good_worker_stops_the_run(tmp_path, small_class):
    course = copy_class(small_class, tmp_path)
    other = tmp_path / "other-checkout"
    _checkout_copy(other, change_solution=True)
    with dask_cluster(tmp_path / "dask", workers=0) as dc:
        dc.add_worker("stale", root=other)
        dc.wait_for_workers(1)
        with pytest.raises(cluster.PreflightError) as err:
            grade(course, [CHAPTER], timeout=10, feedback=False, report=False, log=lambda *a: None,
                  scheduler=dc.address)
    message = str(err.value)
    assert "worker tcp://127.0.0.1:" in message and "solutions/ at " in message, message
    assert "autograder/" not in message and "package" not in message, message   # only what differs is named


def test_differences_name_what_differs():
    expected = {"solutions/": "a1b2c3", "python": "3.11.7", "bubblewrap": "available"}
    found = {"solutions/": "d4e5f6", "python": "3.11.7", "bubblewrap": "absent"}
    assert cluster.differences("tcp://10.0.0.7:40000", expected, found) == [
        "worker tcp://10.0.0.7:40000: solutions/ at d4e5f6, coordinator at a1b2c3",
        "worker tcp://10.0.0.7:40000: bubblewrap at absent, coordinator at available"]


def test_run_jobs_locally_yields_each_job_once():
    jobs = [{"id": str(i), "x": i} for i in range(20)]
    out = dict((job["id"], result) for job, result in cluster.run_jobs(lambda j: {"y": j["x"] ** 2}, jobs,
                                                                     workers=4, log=lambda *a: None))
    assert out == {str(i): {"y": i * i} for i in range(20)}
    with pytest.raises(ValueError, match="unique"):
        list(cluster.run_jobs(lambda j: {}, [{"id": "a"}, {"id": "a"}]))


def test_a_failing_job_is_reported_not_fatal():
    def fn(job):
        if job["id"] == "bad":
            raise OSError("disk full")
        return {"ok": True}
    out = dict((job["id"], r) for job, r in cluster.run_jobs(fn, [{"id": "a"}, {"id": "bad"}], log=lambda *a: None))
    assert out["a"] == {"ok": True} and out["bad"] == {"id": "bad", "error": "OSError: disk full"}


def test_bad_workers_are_left_out_and_the_run_goes_on(tmp_path, small_class, local_grades):
    """Issue 25: a worker with another checkout, and one started with the no-sandbox override in its environment
    (which used to run student code unsandboxed and pass the preflight), take no notebook; the good one grades
    them all."""
    from autograder.grading import sandbox
    course = copy_class(small_class, tmp_path)
    other = tmp_path / "other-checkout"
    _checkout_copy(other, change_solution=True)
    with dask_cluster(tmp_path / "dask", workers=1) as dc:
        dc.add_worker("stale", root=other)
        dc.add_worker("unsafe", env={sandbox.UNSAFE_ENV: "1"})
        dc.wait_for_workers(3)
        run, ran, lines = _grade_logged(course, dc.address)
    assert grades(run) == local_grades
    left_out = [line for line in lines if " left out: " in line]
    assert any("solutions/ at " in line for line in left_out), lines
    assert any(sandbox.UNSAFE_ENV in line for line in left_out), lines
    assert sorted(ran) == sorted(f"{CHAPTER}/{s}" for s in STUDENTS)


def test_no_sandbox_override_is_refused_on_a_worker_and_with_a_scheduler(monkeypatch, tmp_path):
    from autograder.grading import sandbox
    monkeypatch.setenv(sandbox.UNSAFE_ENV, "1")
    assert "override is refused" in " ".join(cluster.sandbox_problems("tcp://10.0.0.7:1"))
    with pytest.raises(SystemExit, match="unsafe-no-sandbox"):
        grade(tmp_path, ["x"], scheduler="tcp://127.0.0.1:1", unsafe_no_sandbox=True, log=lambda *a: None)


def test_a_mismatched_worker_joining_mid_run_is_left_out_and_the_run_finishes(tmp_path, small_class,
                                                                              local_grades):
    """Issue 25: a worker with another checkout joins after the first notebook was recorded. The run goes on, that
    worker records nothing, every notebook is graded and grades.csv is written."""
    course = copy_class(small_class, tmp_path)
    other = tmp_path / "other-checkout"
    _checkout_copy(other, change_solution=True)
    with dask_cluster(tmp_path / "dask", workers=1) as dc:
        lines, joined = [], []

        def log(line):
            lines.append(line)
            if line.strip().startswith("ran ") and not joined:      # mid-run: one notebook recorded, one to go
                joined.append(dc.add_worker("stale", root=other))
                dc.wait_for_workers(2)
        run = grade(course, [CHAPTER], timeout=10, feedback=False, report=False, log=log, scheduler=dc.address)
    assert joined, "no notebook was recorded before the end"
    assert grades(run) == local_grades
    assert (course / "grading" / "grades.csv").read_text().count("\n") == 1 + len(STUDENTS)
    stale = [line for line in lines if " left out: " in line]
    ran_on = {line.split(" on ")[-1].split()[0] for line in lines if line.strip().startswith("ran ")}
    assert all("solutions/ at " in line for line in stale), stale
    assert not any(line.split()[1].rstrip(":") in ran_on for line in stale), (stale, ran_on)
