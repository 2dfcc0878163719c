"""The instructor demonstration: the full nbgrader cycle, offline, on the sample submissions.

    python -m autograder.grading.demo [--out _build/demo] [--timeout 10]

It makes a course folder (OUT/course) from the repo's config and solutions, releases the assignments
(generate_assignment), adds the sample students, places their notebooks in submitted/ (as `nbgrader collect` would),
grades them with the course's command (`autograder.grading.autograde`: sandboxed, parallel; feedback, class report) and
exports OUT/grades.csv, then prints each student's grade beside the grade
written down in advance (autograder/grading/samples.py) with the reasons for every lost point. It exits 1 if any grade
differs from the expected one, so it doubles as an end-to-end test.
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import nbformat

from autograder.grading import course_folder
from autograder.grading.autograde import grade
from autograder.grading.results import StudentResult
from autograder.grading.samples import SAMPLES, Sample
from autograder.layout import ROOT

_SOLUTION_BLOCK = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION[ \t]*\n?", re.M | re.S)


def answer_from_solution(source: str) -> str:
    """A solution cell's source as a student who solved it would have it: the delimiters gone, the answer kept."""
    return _SOLUTION_BLOCK.sub(lambda m: m.group(1), source)


def sample_notebook(chapter: str, sample: Sample) -> nbformat.NotebookNode:
    """The released notebook of `chapter`, filled in as `sample` describes."""
    release = nbformat.read(ROOT / "exercises" / chapter / f"{chapter}.ipynb", as_version=4)
    solution = {c.metadata.get("nbgrader", {}).get("grade_id"): c
                for c in nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4).cells}
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if gid in sample.cells:
            cell.source = sample.cells[gid].strip("\n")
        elif sample.base == "solution" and meta.get("solution"):
            cell.source = answer_from_solution(solution[gid].source)
        if gid in sample.strip:
            del cell.metadata["nbgrader"]
    release.cells = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in sample.delete]
    return release


def run_demo(out: Path, timeout: int = 10, samples: dict[str, dict[str, Sample]] | None = None,
             extra_submissions: dict[tuple[str, str], Path] | None = None, workers: int = 2) -> dict[str, dict]:
    """Grade every sample (and any extra (student, chapter) -> notebook) in a fresh course under `out`.

    Returns {chapter: {student: StudentResult}}.
    """
    samples = SAMPLES if samples is None else samples
    extra_submissions = extra_submissions or {}
    if out.exists():
        shutil.rmtree(out)
    chapters = sorted(set(samples) | {chapter for _, chapter in extra_submissions})
    course = course_folder.make_course(out / "course", chapters)
    students = sorted({s for ch in samples.values() for s in ch} | {s for s, _ in extra_submissions})
    course_folder.add_students(course, students)
    scratch = out / "notebooks"
    scratch.mkdir(parents=True)
    for chapter, by_student in samples.items():
        for student, sample in by_student.items():
            path = scratch / f"{student}-{chapter}.ipynb"
            nbformat.write(sample_notebook(chapter, sample), path)
            course_folder.submit(course, student, chapter, path)
    for (student, chapter), path in extra_submissions.items():
        course_folder.submit(course, student, chapter, path)
    run = grade(course, chapters, timeout=timeout, workers=workers, log=lambda *a: None)
    if run.integrity_problems:
        raise RuntimeError("grading changed course files: " + "; ".join(run.integrity_problems))
    shutil.copy2(course / "grading" / "grades.csv", out / "grades.csv")
    return {chapter: {s: o.as_student_result() for s, o in by_student.items()}
            for chapter, by_student in run.outcomes.items()}


def mismatches(chapter: str, student: str, sample: Sample, result: StudentResult) -> list[str]:
    """How a graded sample differs from the grade written down for it (empty when it matches)."""
    problems = []
    for cell in result.cells:
        if cell.grade_id in sample.lost:
            if cell.score != 0:
                problems.append(f"{cell.grade_id}: expected 0 points, got {cell.score}")
            elif sample.lost[cell.grade_id] not in cell.reason:
                problems.append(f"{cell.grade_id}: reason {cell.reason!r} lacks {sample.lost[cell.grade_id]!r}")
        elif cell.score != cell.max_score:
            problems.append(f"{cell.grade_id}: expected full marks, got {cell.score}/{cell.max_score} ({cell.reason})")
    return [f"{chapter}/{student}: {p}" for p in problems]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.grading.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "demo")
    parser.add_argument("--timeout", type=int, default=10, help="seconds a cell may run before it is interrupted")
    args = parser.parse_args(argv)
    results = run_demo(args.out.resolve(), args.timeout)
    problems = []
    for chapter, by_student in results.items():
        print(f"\n== {chapter} ==")
        for student, result in sorted(by_student.items()):
            sample = SAMPLES[chapter][student]
            expected = result.max_score - sum(c.max_score for c in result.cells if c.grade_id in sample.lost)
            print(f"{student:12s} {result.score:5.1f} / {result.max_score:.0f}   (expected {expected:.0f})   "
                  f"{sample.description}")
            for reason in result.reasons():
                print(f"{'':14s}- {reason}")
            problems += mismatches(chapter, student, sample, result)
    course = args.out.resolve() / "course"
    print(f"\nGrades: {args.out.resolve() / 'grades.csv'}\nFeedback: {course / 'feedback'}/<student>/<chapter>/"
          f"\nSubmissions: {course / 'submitted'}/<student>/<chapter>/")
    for problem in problems:
        print("MISMATCH", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
