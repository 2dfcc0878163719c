"""Importing a class roster: `nbgrader db student import` against the course's `roster import`, side by side.

    .venv/bin/python benchmarks/roster_import.py [--students 200]

Writes a roster of STUDENTS students, imports it into two fresh gradebooks, one with nbgrader's command (one
process; one query and one commit per student) and one with `python -m autograder.grading.roster import` (one
transaction), and prints wall and CPU seconds (of the child processes) for each, and per student.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.grading.roster import open_gradebook  # noqa: E402
from autograder.layout import ROOT  # noqa: E402

BIN = Path(sys.executable).parent


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONPATH=str(ROOT))
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=200)
    n = p.parse_args().students
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        roster = tmp / "roster.csv"
        roster.write_text("id,first_name,last_name,email,lms_user_id\n" + "".join(
            f"s{i:04d},First{i},Last{i},s{i}@example.org,{10000 + i}\n" for i in range(n)))
        results = {}
        for name, cmd in (
                ("nbgrader db student import", [str(BIN / "nbgrader"), "db", "student", "import", str(roster)]),
                ("course.py roster import", [sys.executable, "-m", "autograder.grading.roster", "--course", ".",
                                             "import", str(roster)])):
            course = tmp / name.split()[0]
            course.mkdir()
            with open_gradebook(course):          # both start from an existing, empty gradebook
                pass
            results[name] = timed(cmd, course)
            with open_gradebook(course) as gb:
                assert len(gb.students) == n, (name, len(gb.students))
    print(f"{n} students, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, (wall, cpu) in results.items():
        print(f"{name:28s} wall {wall:7.2f} s  cpu {cpu:7.2f} s  ({1000 * wall / n:6.1f} ms per student wall)")


if __name__ == "__main__":
    main()
