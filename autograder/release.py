"""Releasing the exercises: regenerate `exercises/` from `solutions/` with nbgrader, and check for leaks.

    python -m autograder.release generate [CHAPTER ...]   # nbgrader generate_assignment, then leak check
    python -m autograder.release check      # only the leak check of exercises/

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

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_BLOCK = re.compile(r"^[ \t]*### BEGIN (SOLUTION|HIDDEN TESTS)[ \t]*\n(.*?)^[ \t]*### END \1", re.M | re.S)
# A secret line shorter than this is too generic to be evidence of a leak (`return H`, `T, B, _ = X.shape`).
MIN_SECRET_LEN = 24
# A loop header alone (`for t in reversed(range(T)):`) gives no answer away, and pages use the same idioms.
_LOOP_HEADER = re.compile(r"^(for|while)\b[^#]*:$")


def chapters(root: Path = ROOT) -> list[str]:
    """Chapter ids: the folders of solutions/ that hold a notebook of the same name."""
    return sorted(p.parent.name for p in (root / "solutions").glob("*/*.ipynb") if p.stem == p.parent.name)


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


def secret_blocks(notebook: Path) -> list[str]:
    """The text between nbgrader's solution and hidden-test delimiters, from a source notebook."""
    nb = nbformat.read(notebook, as_version=4)
    return [m.group(2) for cell in nb.cells for m in _BLOCK.finditer(cell.source + "\n")]


def secret_lines(root: Path = ROOT) -> set[str]:
    """Distinctive lines of every solution and hidden test: none may appear in a student-facing file."""
    lines, public = set(), set()
    for notebook in sorted((root / "solutions").glob("*/*.ipynb")):
        nb = nbformat.read(notebook, as_version=4)
        for cell in nb.cells:
            secret = "".join(m.group(2) for m in _BLOCK.finditer(cell.source + "\n"))
            lines.update(s for s in (line.strip() for line in secret.splitlines())
                         if len(s) >= MIN_SECRET_LEN and not _LOOP_HEADER.match(s))
            public.update(line.strip() for line in _BLOCK.sub("", cell.source + "\n").splitlines())
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["generate", "check"])
    parser.add_argument("chapters", nargs="*", help="chapter ids to regenerate (default: all)")
    args = parser.parse_args(argv)
    if args.action == "generate":
        generate(chapter_ids=args.chapters or None)
        print(f"Regenerated exercises/ for: {', '.join(args.chapters or chapters())}")
    problems = check_release()
    for problem in problems:
        print("LEAK", problem, file=sys.stderr)
    if problems:
        return 1
    print("Release check: no solution code or hidden test in exercises/.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
