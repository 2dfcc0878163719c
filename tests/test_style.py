"""The style guide's one machine-checked part (CONTRIBUTING.md): ruff, configured in pyproject.toml."""
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.layout import ROOT


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is not installed (it is pinned in requirements.txt)"
    result = subprocess.run([ruff, "check", "--output-format", "concise", "."], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, f"ruff check found problems (fix them, or `ruff check --fix`):\n{result.stdout}"
