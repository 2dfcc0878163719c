"""Grading cost: stock `nbgrader autograde`, nbgrader with the course's trusted judge, and the course's command,
side by side in one run, chapter by chapter.

    .venv/bin/python benchmarks/grade_class.py [--students 8] [--workers 2] [--chapters elman_jordan ...]

Generates a class of STUDENTS students for every chapter (in turn: every answer right, every other answer right, the
release unmodified, a file that is not a notebook) in three identical course folders, and grades each chapter with
  * stock: `nbgrader autograde CHAPTER` with nbgrader's own configuration (the course's nbgrader_config.py replaced
    by one naming the folders only: nbgrader's Execute, a Jupyter kernel, no sandbox; its own feedback);
  * nbgrader+judge: `nbgrader autograde CHAPTER` with this course's nbgrader_config.py (TrustedExecute);
  * course: `python -m autograder.grading.autograde CHAPTER` (WORKERS in parallel, class report; no feedback).
With --feedback, end to end: nbgrader's two routes add `nbgrader generate_feedback` (timed with autograde) and the
course's command writes its feedback.
Each runs as a child process; core-seconds are the CPU of all its processes, sandboxed ones included
(`cpu_accounting.measured`: a cpuacct cgroup, else the machine's busy time), printed per notebook with wall time,
and the grades are compared student by student.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cpu_accounting  # noqa: E402
import nbformat  # noqa: E402
from nbgrader.api import Gradebook  # noqa: E402

from autograder.grading import course_folder  # noqa: E402
from autograder.grading.demo import answer_from_solution  # noqa: E402
from autograder.grading.release import nbgrader_env  # noqa: E402
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


def make_class(root: Path, chapter_ids: list[str], n: int, kinds: tuple[str, ...] = KINDS) -> Path:
    course = course_folder.make_course(root / "course", chapter_ids)
    students = [f"s{i:03d}" for i in range(n)]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:     # the roster at once (not a process each)
        for student in students:
            gb.update_or_create_student(student, first_name=student, last_name="Sample")
    for i, student in enumerate(students):
        for chapter in chapter_ids:
            nb = student_notebook(chapter, kinds[i % len(kinds)])
            path = course / "submitted" / student / chapter / f"{chapter}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(nb) if isinstance(nb, str) else nbformat.write(nb, path)
    return course


STOCK_CONFIG = """# Benchmark only: stock nbgrader, as shipped. Nothing of the course's (no exporter, preprocessors,
# hooks or feedback steps): nbgrader's own Execute (a Jupyter kernel per notebook) and its own generate_feedback.
c = get_config()
c.CourseDirectory.course_id = "rnn-elman-to-sru"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.Execute.timeout = {timeout}
"""


def measured(cmd: list[str], cwd: Path) -> tuple[float, float, str, subprocess.CompletedProcess]:
    """(core-seconds of the command and all it started, wall seconds, how CPU was counted, the result)."""
    cpu, _, wall, how, result = cpu_accounting.measured(cmd, cwd=cwd, env=dict(nbgrader_env(), PYTHONPATH=str(ROOT)))
    return cpu, wall, how, result


def scores(course: Path, chapter: str) -> dict[str, float | None]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        out = {}
        for student in gb.students:
            sub = next((x for x in student.submissions if x.assignment.name == chapter), None)
            out[student.id] = None if sub is None else sub.score
        return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=8)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    p.add_argument("--chapters", nargs="*", default=None)
    p.add_argument("--graders", nargs="*", default=["stock", "nbgrader+judge", "course"],
                   choices=["stock", "nbgrader+judge", "course"])
    p.add_argument("--kinds", nargs="*", default=list(KINDS), choices=list(KINDS),
                   help="the students' notebooks, in turn (issue 25's measurement: --kinds correct)")
    p.add_argument("--timeout", type=int, default=30)
    p.add_argument("--feedback", action="store_true",
                   help="end to end: nbgrader's routes also run `nbgrader generate_feedback`, the course's command "
                        "writes its feedback (issue 25's comparison)")
    a = p.parse_args(argv)
    chapter_ids = a.chapters or chapters()
    kinds = tuple(a.kinds)
    py = sys.executable
    print(f"class: {a.students} students per chapter (kinds {'/'.join(kinds)} in turn; a 'broken' file is not a "
          f"notebook); {os.cpu_count()} CPUs; core-seconds = CPU of every process a grader started, sandboxes included")
    print(f"{'chapter':13s} {'grader':16s} {'core-s':>8s} {'core-s/nb':>10s} {'wall s':>8s} {'nb/min':>8s}  grades")
    totals: dict[str, list[float]] = {}
    how = ""
    for chapter in chapter_ids:
        with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
            # tempfile's folder is private (mode 700), as a course folder holding submissions is.
            first = make_class(Path(tmp) / "first", [chapter], a.students, kinds)
            courses = {}
            for name in a.graders:                         # identical copies: one release, one roster
                courses[name] = Path(tmp) / name / "course"
                shutil.copytree(first, courses[name], symlinks=True)
            if "stock" in courses:
                (courses["stock"] / "nbgrader_config.py").write_text(STOCK_CONFIG.format(timeout=a.timeout))
            n = a.students
            runs = {name: cmd for name, cmd in {
                "stock": [py, "-m", "nbgrader", "autograde", chapter, "--force", f"--Execute.timeout={a.timeout}",
                          f"--CourseDirectory.root={courses.get('stock')}"],
                "nbgrader+judge": [py, "-m", "nbgrader", "autograde", chapter, "--force",
                                   f"--TrustedExecute.timeout={a.timeout}",
                                   f"--CourseDirectory.root={courses.get('nbgrader+judge')}"],
                "course": [py, "-m", "autograder.grading.autograde", chapter, "--course", str(courses.get("course")),
                           "--workers", str(a.workers), "--timeout", str(a.timeout), "--no-feedback"],
            }.items() if name in courses}
            if a.feedback:
                runs["course"].remove("--no-feedback")
            graded = {}
            for name, cmd in runs.items():
                cpu, wall, how, result = measured(cmd, courses[name])
                if a.feedback and name != "course":        # nbgrader's second step, timed with the first
                    more = measured([py, "-m", "nbgrader", "generate_feedback", chapter, "--force",
                                     f"--CourseDirectory.root={courses[name]}"], courses[name])
                    cpu, wall = cpu + more[0], wall + more[1]
                graded[name] = scores(courses[name], chapter)
                totals.setdefault(name, [0.0, 0.0, 0])
                totals[name][0] += cpu
                totals[name][1] += wall
                totals[name][2] += n
                same = "" if name == "stock" or "stock" not in graded else (
                    "same as stock" if all(graded[name].get(s) == v for s, v in graded["stock"].items()
                                           if v is not None) else
                    "DIFFER: " + ", ".join(f"{s} {v}->{graded[name].get(s)}" for s, v in graded["stock"].items()
                                           if v is not None and graded[name].get(s) != v))
                status = "" if result.returncode in (0, 3) else f" (exit {result.returncode})"
                print(f"{chapter:13s} {name:16s} {cpu:8.1f} {cpu / n:10.2f} {wall:8.1f} {60 * n / wall:8.1f}  "
                      f"{same}{status}".rstrip(), flush=True)
    print(f"CPU counted by: {how}")
    print("all chapters:")
    for name, (cpu, wall, n) in totals.items():
        print(f"{'':13s} {name:16s} {cpu:8.1f} {cpu / n:10.2f} {wall:8.1f} {60 * n / wall:8.1f}")
    if "stock" in totals:
        for name in totals:
            if name != "stock":
                print(f"{name} / stock: {totals[name][1] / totals['stock'][1]:.3f}x the wall time, "
                      f"{totals[name][0] / totals['stock'][0]:.3f}x the core-seconds")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
