"""Run a script under Triton's interpreter (TRITON_INTERPRET=1, which Triton reads when it is imported, hence a fresh
process), so that a kernel is checked on the CPU; the script prints one JSON line last, which is returned."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from autograder.layout import ROOT


def run_interpreted(script: str, timeout: float = 600):
    env = dict(os.environ, TRITON_INTERPRET="1")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, f"the kernel check crashed:\n{out.stderr[-3000:]}"
    return json.loads(out.stdout.strip().splitlines()[-1])
