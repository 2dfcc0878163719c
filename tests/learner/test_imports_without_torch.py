"""What a learner's notebook imports works without torch (the learner's set-up and the grader's sandbox have none):
torch loads lazily, only when a case generator or a reference runs (autograder/lazy.py)."""
import subprocess
import sys

from autograder.layout import ROOT, chapters

_BLOCK_TORCH = """
import importlib.abc, sys
class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, NoTorch())
"""


def test_learner_modules_import_without_torch():
    imports = "\n".join(f"from autograder.cases.{c} import EXAMPLE" for c in chapters())
    code = _BLOCK_TORCH + imports + """
import numpy as np
from autograder.checks import check_close
from autograder.simulated_gpu import FakeDevice
check_close(np.ones((2, 2)), [[1, 1], [1, 1]], "H")
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_a_case_generator_says_it_needs_torch():
    code = _BLOCK_TORCH + """
from autograder.cases.lstm import lstm_step_cases
try:
    lstm_step_cases(seed=1, specs=[dict(B=1, d_in=1, h=1)])
except ModuleNotFoundError as err:
    print(err)
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert "this part of the course needs it" in result.stdout, result.stdout + result.stderr[-2000:]
