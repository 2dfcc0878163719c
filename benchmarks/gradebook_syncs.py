"""Gradebook disk syncs and wall time per notebook of `course.py grade`, under strace.

    .venv/bin/python benchmarks/gradebook_syncs.py [--students 10] [--workers 2]

Makes a class of STUDENTS correct chapter-1 notebooks in a private folder (mode 700), grades it with `python -m
autograder.grading.autograde elman_jordan` (feedback included; `--no-feedback` leaves it out) under `strace -f -y -e
trace=fsync,fdatasync` (SQLite's default durability: journal_mode=delete, synchronous=full), and prints the syncs on
the gradebook's files (gradebook.db and its journal) per notebook, with the grading command's wall time per
notebook. Needs strace.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nbformat  # noqa: E402

from autograder.grading import course_folder  # noqa: E402
from autograder.grading.release import nbgrader_env  # noqa: E402
from benchmarks.grade_class import student_notebook  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=10)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-feedback", action="store_true")
    a = p.parse_args(argv)
    if not shutil.which("strace"):
        raise SystemExit("strace is not installed (apt-get install strace)")
    with tempfile.TemporaryDirectory(prefix="gradebook-syncs-") as tmp:
        os.chmod(tmp, 0o700)
        course = course_folder.make_course(Path(tmp) / "course", ["elman_jordan"])
        students = [f"s{i:03d}" for i in range(a.students)]
        course_folder.add_students(course, students)
        correct = student_notebook("elman_jordan", "correct")
        for student in students:
            path = course / "submitted" / student / "elman_jordan" / "elman_jordan.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(correct, path)
        trace = Path(tmp) / "strace.out"
        cmd = ["strace", "-f", "-y", "-e", "trace=fsync,fdatasync", "-o", str(trace), sys.executable, "-m",
               "autograder.grading.autograde", "elman_jordan", f"--course={course}", f"--workers={a.workers}",
               *(["--no-feedback"] if a.no_feedback else [])]
        started = time.monotonic()
        result = subprocess.run(cmd, cwd=Path(__file__).resolve().parent.parent, env=nbgrader_env(),
                                capture_output=True, text=True)
        wall = time.monotonic() - started
        if result.returncode != 0:
            print(result.stdout[-3000:], result.stderr[-3000:])
            return result.returncode
        lines = trace.read_text().splitlines()
        syncs = [line for line in lines if re.search(r"f(data)?sync\(\d+<[^>]*gradebook\.db", line)]
        print(f"{a.students} correct chapter-1 notebooks, --workers {a.workers}, "
              f"{'no feedback' if a.no_feedback else 'feedback included'}: wall {wall:.1f} s "
              f"({wall / a.students:.2f} s per notebook, strace attached)")
        print(f"gradebook syncs: {len(syncs)} in all, {len(syncs) / a.students:.1f} per notebook "
              "(the run's own set-up included)")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
