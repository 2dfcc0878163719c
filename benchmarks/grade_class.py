"""Grading throughput: stock `nbgrader autograde` against the course's command, side by side.

    .venv/bin/python benchmarks/grade_class.py [--students 40] [--workers 2] [--chapters elman_jordan ...]

Generates a class of STUDENTS students for every chapter in solutions/ (a quarter each: every answer right,
every other answer right, the release unmodified, a file that is not a notebook), puts it in two identical course
folders, grades one with `nbgrader autograde CHAPTER` (sequential, as the instructor, no sandbox) and the other
with `python -m autograder.grading.autograde` (sandboxed, WORKERS in parallel), and prints notebooks per minute for
each.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nbformat  # noqa: E402
from nbgrader.api import Gradebook  # noqa: E402

from autograder.grading import course_folder  # noqa: E402
from autograder.grading.autograde import grade  # noqa: E402
from autograder.grading.demo import answer_from_solution  # noqa: E402
from autograder.grading.release import nbgrader  # noqa: E402
from autograder.layout import (
    ROOT,
    chapters,  # noqa: E402
)

KINDS = ("correct", "half", "blank", "broken")


def student_notebook(chapter: str, kind: str) -> str | nbformat.NotebookNode:
    if kind == "broken":
        return "{ this is not a notebook"
    release = nbformat.read(ROOT / "exercises" / chapter / f"{chapter}.ipynb", as_version=4)
    solution = {c.metadata.get("nbgrader", {}).get("grade_id"): c
                for c in nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4).cells}
    answered = 0
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and kind != "blank":
            if kind == "correct" or answered % 2 == 0:
                cell.source = answer_from_solution(solution[meta["grade_id"]].source)
            answered += 1
    return release


def make_class(root: Path, chapter_ids: list[str], n: int) -> Path:
    course = course_folder.make_course(root / "course", chapter_ids)
    students = [f"s{i:03d}" for i in range(n)]
    course_folder.add_students(course, students)
    for i, student in enumerate(students):
        for chapter in chapter_ids:
            nb = student_notebook(chapter, KINDS[i % len(KINDS)])
            path = course / "submitted" / student / chapter / f"{chapter}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(nb) if isinstance(nb, str) else nbformat.write(nb, path)
    return course


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=40)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    p.add_argument("--chapters", nargs="*", default=None)
    p.add_argument("--timeout", type=int, default=30)
    a = p.parse_args(argv)
    chapter_ids = a.chapters or chapters()
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
        stock = make_class(Path(tmp) / "stock", chapter_ids, a.students)
        ours = make_class(Path(tmp) / "ours", chapter_ids, a.students)
        n = a.students * len(chapter_ids)
        t = time.perf_counter()
        for chapter in chapter_ids:
            nbgrader("autograde", chapter, "--force", f"--Execute.timeout={a.timeout}", root=stock, check=False)
        stock_s = time.perf_counter() - t
        t = time.perf_counter()
        run = grade(ours, chapter_ids, workers=a.workers, timeout=a.timeout, feedback=False, log=lambda *x: None)
        ours_s = time.perf_counter() - t
        with Gradebook(f"sqlite:///{stock / 'gradebook.db'}") as gb:
            stock_scored = sum(1 for ch in chapter_ids for s in gb.students
                               for sub in [next((x for x in s.submissions if x.assignment.name == ch), None)]
                               if sub is not None and sub.score is not None)
    ours_scored = sum(o.status != "missing" for by in run.outcomes.values() for o in by.values())
    print(f"class: {a.students} students x {len(chapter_ids)} chapter(s) ({', '.join(chapter_ids)}) = {n} "
          f"notebooks; kinds {'/'.join(KINDS)} in turn; {os.cpu_count()} CPUs")
    print(f"{'grader':44s} {'seconds':>8s} {'notebooks/min':>14s} {'with a score':>13s}")
    print(f"{'stock nbgrader autograde (sequential)':44s} {stock_s:8.1f} {60 * n / stock_s:14.1f} "
          f"{stock_scored:>13d}")
    print(f"{f'autograder.grading.autograde (sandbox, {a.workers} workers)':44s} {ours_s:8.1f} {60 * n / ours_s:14.1f} "
          f"{ours_scored:>13d}")
    print("(ours also writes the roster CSV and the class report; feedback generation is off for both)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
