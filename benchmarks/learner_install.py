"""What a learner's set-up costs: disk and time of each install the README offers, measured in fresh virtual
environments in a private temporary folder.

    .venv/bin/python benchmarks/learner_install.py [--torch]

1. the course's package alone, from the wheel a chapter's zip carries (it brings NumPy);
2. the learner's set-up, `pip install "./<wheel>[learner]"` (adds JupyterLab and a kernel), as START HERE.txt says;
3. with --torch: torch added by `pip install torch==2.13.0` (the CPU build this machine's index resolves; a learner
   uses the CPU-only index the README names: PyPI's default on Linux brings the CUDA packages, several GB).

Prints, per install: the venv's size in MB (du of its files, the venv's own pip included), the packages added, and
the wall and CPU seconds of the pip command, with the load average. Where pip takes packages from a local mirror (as
on the course machines) the times measure installing, not downloading.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.book.learner_wheel import build_wheel  # noqa: E402


def size_mb(folder: Path) -> float:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def pip(python: Path, *args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one pip command in the venv."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"pip install {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def packages(python: Path) -> int:
    out = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
                         capture_output=True, text=True, check=True).stdout
    return len(out.split())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--torch", action="store_true", help="also measure adding torch (CPU build)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.chmod(tmp, 0o700)
        wheel = build_wheel(tmp / "zip")
        empty = tmp / "empty"
        venv.EnvBuilder(with_pip=True).create(empty)
        base_mb, base_n = size_mb(empty), packages(empty / "bin" / "python")
        print(f"load average before: {os.getloadavg()[0]:.2f}; an empty venv: {base_mb:.0f} MB, {base_n} packages")
        print(f"{'install':58} {'venv MB':>8} {'added MB':>9} {'packages':>9} {'wall s':>7} {'CPU s':>6}")
        steps = [("the package alone (NumPy)", "numpy", [str(wheel)]),
                 ("the learner's set-up ([learner]: + JupyterLab)", "learner", [f"{wheel}[learner]"])]
        if args.torch:
            steps.append(("the learner's set-up + torch 2.13.0 (CPU build)", "torch", [f"{wheel}[learner]",
                                                                                       "torch==2.13.0"]))
        for label, name, requirement in steps:
            env_dir = tmp / name
            venv.EnvBuilder(with_pip=True).create(env_dir)
            python = env_dir / "bin" / "python"
            wall, cpu = pip(python, *requirement)
            mb = size_mb(env_dir)
            print(f"{label:58} {mb:8.0f} {mb - base_mb:9.0f} {packages(python) - base_n:9d} {wall:7.1f} {cpu:6.1f}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
