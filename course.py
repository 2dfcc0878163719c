#!/usr/bin/env python3
"""The course's one entry point. Standard library only, so it runs on a fresh machine with just Python 3.

    python3 course.py build       create .venv if needed, install, build the website into _build/html
    python3 course.py test        the same set-up (and the browser and bubblewrap, see ensure_packages), then the
                                  whole test suite
                                  (what .ci/run calls)
    python3 course.py exercises [CHAPTER …]  regenerate exercises/ from solutions/ (nbgrader generate_assignment),
                                  then the release check (delimiters, unmarked cells, leaks)
    python3 course.py exercises --check      only the release check (after `nbgrader generate_assignment`)
    python3 course.py setup       only create or update .venv (and install bubblewrap when root)
    python3 course.py demo        the instructor demonstration: autograde the sample submissions, write grades
    python3 course.py grade [CHAPTER …] [--workers N] [--timeout S] [--show-hidden-tests]
                                  grade submitted/ in a sandbox, in parallel; feedback, roster CSV, class report
    python3 course.py roster import roster.csv   add or update the class (columns id,first_name,last_name,email,
                                  lms_user_id) in the gradebook, in one transaction; `roster list` prints it
    python3 course.py export canvas|moodle [--missing-as-zero] [nbgrader export's options]
                                  grades in the LMS's import format, in grading/ (blank where nothing was graded)
    python3 course.py formgrader [--port N]  nbgrader's formgrader (manual grading) in a local Jupyter server
    python3 course.py nbgrader …  any nbgrader command, run in the course root with the environment on PATH

Every command first makes sure the virtual environment matches requirements.txt and pyproject.toml
(a stamp file records their hash, so an up-to-date environment costs nothing).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".course-install-stamp"


def _inputs_hash() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _env() -> dict[str, str]:
    """The environment for every tool: the venv's bin/ first on PATH (nbgrader runs `alembic` from there)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    env.pop("PYTHONHOME", None)
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def run(*cmd: str | Path, **kwargs) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=kwargs.pop("cwd", ROOT), env=_env(), **kwargs)


def ensure_venv() -> None:
    if STAMP.exists() and STAMP.read_text() == _inputs_hash():
        return
    if not (BIN / "python").exists():
        print(f"Creating the virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    py = BIN / "python"
    run(py, "-m", "pip", "install", "--disable-pip-version-check", "-r", ROOT / "requirements.txt")
    # The course's own package, editable, so notebooks `import autograder` without path hacks.
    run(py, "-m", "pip", "install", "--disable-pip-version-check", "--no-deps", "--no-build-isolation", "-e", ROOT)
    run(py, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3", "--display-name", "Python 3 (course)")
    STAMP.write_text(_inputs_hash())


def build() -> None:
    # -W: warnings are errors; --keep-going: report all of them. Execution is cached (see _config.yml).
    run(BIN / "jupyter-book", "build", ROOT, "--builder", "html", "-W", "--keep-going")
    print(f"\nThe website is in {ROOT / '_build' / 'html'} (open index.html).")


# The browser tests (tests/site/test_browser.py) drive Debian's chromium through its own chromedriver: a browser from
# the distribution, pinned by the distribution, and nothing downloaded when the tests run.
BROWSER_PACKAGES = {Path("/usr/bin/chromium"): "chromium", Path("/usr/bin/chromedriver"): "chromium-driver"}


# The grader runs each student's notebook in a bubblewrap sandbox (autograder/grading/sandbox.py): Debian's
# `bubblewrap`, installed the same way.
SANDBOX_PACKAGES = {Path("/usr/bin/bwrap"): "bubblewrap"}


def ensure_packages(packages: dict[Path, str], what: str) -> None:
    """Install the Debian packages whose binaries are missing, with apt-get, when this runs as root; otherwise say
    so and go on (the tests that need them then skip, naming what is missing)."""
    missing = [package for binary, package in packages.items() if not binary.exists()]
    if not missing:
        return
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"note: {' and '.join(missing)} missing; installing needs root and apt-get "
              f"(apt-get install -y {' '.join(missing)}). {what} will skip.", flush=True)
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "-q", "install", "-y", "--no-install-recommends", *missing]
    if subprocess.run(install, env=env, capture_output=True).returncode == 0:
        print("+", " ".join(install), flush=True)
        return
    for cmd in (["apt-get", "-q", "update"], install):
        print("+", " ".join(cmd), flush=True)
        if subprocess.run(cmd, env=env).returncode != 0:
            print(f"note: `{' '.join(cmd)}` failed; {what} will skip.", flush=True)
            return


def ensure_browser() -> None:
    ensure_packages(BROWSER_PACKAGES, "the browser tests")


def ensure_sandbox() -> None:
    ensure_packages(SANDBOX_PACKAGES, "grading student code (and its tests)")


def test(args: list[str]) -> None:
    ensure_browser()
    ensure_sandbox()
    run(BIN / "python", "-m", "pytest", *args)


def exercises(args: list[str]) -> None:
    action = ["check"] if "--check" in args else ["generate"]
    run(BIN / "python", "-m", "autograder.grading.release", *action, *(a for a in args if a != "--check"))


def demo(args: list[str]) -> None:
    run(BIN / "python", "-m", "autograder.grading.demo", *args)


def grade(args: list[str]) -> None:
    ensure_sandbox()
    run(BIN / "python", "-m", "autograder.grading.autograde", *args)


def roster(args: list[str]) -> None:
    run(BIN / "python", "-m", "autograder.grading.roster", *args)


EXPORTERS = {"canvas": "autograder.grading.lms.canvas_export.CanvasExport",
             "moodle": "autograder.grading.lms.moodle_export.MoodleExport"}


def export(args: list[str]) -> None:
    if not args or args[0] not in EXPORTERS:
        raise SystemExit(f"usage: python3 course.py export {{{'|'.join(EXPORTERS)}}} [--missing-as-zero] [--to=FILE]")
    rest = ["--LmsExport.missing_as_zero=True" if a == "--missing-as-zero" else a for a in args[1:]]
    run(BIN / "nbgrader", "export", f"--exporter={EXPORTERS[args[0]]}", *rest)


def formgrader(args: list[str]) -> None:
    """JupyterLab with nbgrader's formgrader on 127.0.0.1 (a port of your choice: --port N), opened at its page."""
    extra = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    run(BIN / "jupyter", "lab", "--ip=127.0.0.1", "--ServerApp.default_url=/formgrader", *extra, *args)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    commands = {
        "build": lambda: build(),
        "test": lambda: test(rest),
        "exercises": lambda: exercises(rest),
        "demo": lambda: demo(rest),
        "grade": lambda: grade(rest),
        "roster": lambda: roster(rest),
        "export": lambda: export(rest),
        "formgrader": lambda: formgrader(rest),
        "nbgrader": lambda: run(BIN / "nbgrader", *rest),
        "setup": lambda: ensure_sandbox(),           # make sure .venv (and the grader's sandbox) is ready
    }
    if command not in commands:
        print(f"unknown command {command!r}\n{__doc__}", file=sys.stderr)
        return 2
    ensure_venv()
    try:
        commands[command]()
    except subprocess.CalledProcessError as err:
        return err.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
