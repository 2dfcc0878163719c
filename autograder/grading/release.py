"""Releasing the exercises: regenerate `exercises/` from `solutions/` with nbgrader, and check for leaks.

    python -m autograder.grading.release generate [CHAPTER ...]   # nbgrader generate_assignment, then leak check
    python -m autograder.grading.release check      # only the leak check of exercises/

`exercises/` is nbgrader's release folder and is committed; this module is the one command that writes it. The
gradebook used while generating is a throw-away one, so regenerating never touches an instructor's gradebook.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder.layout import ROOT, chapters

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
SECRET_BLOCK = re.compile(r"^[ \t]*### BEGIN (SOLUTION|HIDDEN TESTS)[ \t]*\n(.*?)^[ \t]*### END \1", re.M | re.S)
# A secret line shorter than this is too generic to be evidence of a leak (`return H`, `T, B, _ = X.shape`).
MIN_SECRET_LEN = 24
# A loop header alone (`for t in reversed(range(T)):`) gives no answer away, and pages use the same idioms.
_LOOP_HEADER = re.compile(r"^(for|while)\b[^#]*:$")


def nbgrader_env() -> dict[str, str]:
    """nbgrader 0.9 runs `alembic` from the environment's bin/, so that folder goes first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def nbgrader(*args: str, root: Path, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={root}"]
    return subprocess.run(cmd, cwd=root, env=nbgrader_env(), check=check, capture_output=True, text=True)


def generate(root: Path = ROOT, chapter_ids: list[str] | None = None) -> None:
    """Run `nbgrader generate_assignment` for each chapter in `root`, with a throw-away gradebook."""
    with tempfile.TemporaryDirectory() as tmp:
        db = f"--CourseDirectory.db_url=sqlite:///{tmp}/gradebook.db"
        for chapter in chapter_ids or chapters(root):
            result = nbgrader("generate_assignment", chapter, "--force", db, root=root, check=False)
            if result.returncode != 0:
                raise SystemExit(f"nbgrader generate_assignment {chapter} failed:\n{result.stdout}\n{result.stderr}")


def generate_into(target: Path) -> Path:
    """Generate the release of the current solutions into a scratch course at `target`; returns its exercises/."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "nbgrader_config.py", target / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions", target / "solutions", dirs_exist_ok=True)
    generate(target)
    return target / "exercises"


def secret_lines(root: Path = ROOT) -> set[str]:
    """Distinctive lines of every solution and hidden test: none may appear in a student-facing file."""
    lines, public = set(), set()
    for notebook in sorted((root / "solutions").glob("*/*.ipynb")):
        nb = nbformat.read(notebook, as_version=4)
        for cell in nb.cells:
            secret = "".join(m.group(2) for m in SECRET_BLOCK.finditer(cell.source + "\n"))
            lines.update(s for s in (line.strip() for line in secret.splitlines())
                         if len(s) >= MIN_SECRET_LEN and not _LOOP_HEADER.match(s))
            public.update(line.strip() for line in SECRET_BLOCK.sub("", cell.source + "\n").splitlines())
    return lines - public  # a line students are shown on purpose (a visible test's) is no leak


def leaks_in_text(text: str, secrets: set[str]) -> list[str]:
    """What of `secrets` (and of nbgrader's delimiters) appears in `text`."""
    found = [f"delimiter '{m}'" for m in MARKERS if m in text]
    return found + [f"secret line {s!r}" for s in sorted(secrets) if s in text]


def check_release(root: Path = ROOT) -> list[str]:
    """Leaks in every file of exercises/, as 'path: what' strings (empty when clean)."""
    secrets = secret_lines(root)
    problems = []
    for path in sorted((root / "exercises").rglob("*")):
        if path.is_file():
            text = path.read_text(errors="replace")
            if path.suffix == ".ipynb":  # compare sources, not JSON-escaped text
                text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
            problems += [f"{path.relative_to(root)}: {leak}" for leak in leaks_in_text(text, secrets)]
    return problems


# ---- Stricter checks: what nbgrader would release silently ----

# Anything that looks like an nbgrader delimiter, spelled right or not: "### BEGIN HIDDEN TEST", "## end solution",
# "### BEGIN SOLUTON", "### END HIDEN TESTS".
_DELIMITER_LIKE = re.compile(r"^[ \t]*#+[ \t]*(BEGIN|END)[ \t]+(SOL\w*|HID\w*([ \t]*TESTS?)?)\b.*$", re.M | re.I)
_EXACT = {f"### {m}" for m in MARKERS}


def source_problems(root: Path = ROOT) -> list[str]:
    """Mistakes in solutions/ that nbgrader releases silently: a mistyped or unbalanced delimiter (its block is
    handed to students as is), and a code cell without nbgrader metadata or an unlocked, ungraded non-solution
    cell (an unmarked helper: its code, perhaps the answer, goes to students)."""
    problems = []
    for notebook in sorted((root / "solutions").glob("*/*.ipynb")):
        rel = notebook.relative_to(root)
        for i, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
            meta = cell.metadata.get("nbgrader", {})
            where = f"{rel} cell {i} ({meta.get('grade_id', 'no grade_id')})"
            for m in _DELIMITER_LIKE.finditer(cell.source):
                if m.group(0).strip() not in _EXACT:
                    problems.append(f"{where}: malformed delimiter {m.group(0).strip()!r} (nbgrader will not "
                                    f"strip this block)")
            for kind in ("SOLUTION", "HIDDEN TESTS"):
                begins = len(re.findall(rf"^[ \t]*### BEGIN {kind}[ \t]*$", cell.source, re.M))
                ends = len(re.findall(rf"^[ \t]*### END {kind}[ \t]*$", cell.source, re.M))
                if begins != ends:
                    problems.append(f"{where}: {begins} '### BEGIN {kind}' but {ends} '### END {kind}'")
            if cell.cell_type == "code" and cell.source.strip():
                if not meta:
                    problems.append(f"{where}: code cell without nbgrader metadata (released as is, editable)")
                elif not (meta.get("solution") or meta.get("grade") or meta.get("locked")):
                    problems.append(f"{where}: code cell that is neither a solution, a test nor locked "
                                    f"(released as is, editable)")
    return problems


def student_facing_problems(root: Path = ROOT, extra_dirs: tuple[str, ...] = ()) -> list[str]:
    """check_release, plus delimiter-like text in any student-facing file (exercises/ and `extra_dirs`, e.g. the
    built website)."""
    problems = check_release(root)
    for folder in ("exercises", *extra_dirs):
        for path in sorted((root / folder).rglob("*")):
            if not path.is_file() or path.suffix not in (".ipynb", ".html", ".md", ".py", ".txt", ".json"):
                continue
            text = path.read_text(errors="replace")
            if path.suffix == ".ipynb":
                text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
            for m in _DELIMITER_LIKE.finditer(text):
                problems.append(f"{path.relative_to(root)}: delimiter-like line {m.group(0).strip()!r}")
    return sorted(set(problems))


def release_problems(root: Path = ROOT) -> list[str]:
    """Everything that should stop a release: source mistakes and leaks in student-facing files."""
    return source_problems(root) + student_facing_problems(root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.grading.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["generate", "check"])
    parser.add_argument("chapters", nargs="*", help="chapter ids to regenerate (default: all)")
    parser.add_argument("--course", type=Path, default=ROOT, help="course root (default: this repository)")
    args = parser.parse_args(argv)
    if args.action == "generate":
        generate(args.course, chapter_ids=args.chapters or None)
        print(f"Regenerated exercises/ for: {', '.join(args.chapters or chapters(args.course))}")
    problems = release_problems(args.course)
    for problem in problems:
        print("RELEASE PROBLEM", problem, file=sys.stderr)
    if problems:
        return 1
    print("Release check: delimiters well formed, every cell marked, no solution code or hidden test in exercises/.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
