"""`TrustedExecute`: nbgrader's Execute step, done the trusted way (`autograder.grading.judge`).

Configured as the first of `c.Autograde.autograde_preprocessors` in nbgrader_config.py, so that plain
`nbgrader autograde` and the formgrader's Autograde button grade as `course.py grade` does: test cells run in the
grader's process from the gradebook's source, the student's cells in a process of their own in a bubblewrap sandbox
without torch. Where no sandbox can run here it refuses, as `course.py grade` does.
"""
from __future__ import annotations

import os
from pathlib import Path

from nbformat.v4 import new_markdown_cell
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Integer

from autograder.grading import judge, launch, nbgrader_speedups, policy, sandbox

_DEFAULT = sandbox.Budget()


class TrustedExecute(NbGraderPreprocessor):
    timeout = Integer(30, help="seconds a cell (a test cell's calls included) may run").tag(config=True)
    notebook_wall_s = Float(_DEFAULT.wall_s, help="seconds the whole notebook may run").tag(config=True)
    memory_bytes = Integer(_DEFAULT.memory_bytes, help="memory of the student's process tree").tag(config=True)
    cpu_s = Integer(_DEFAULT.cpu_s, help="CPU seconds of each of the student's processes").tag(config=True)
    disk_bytes = Integer(_DEFAULT.disk_bytes, help="bytes the student's process may write").tag(config=True)
    output_bytes = Integer(_DEFAULT.output_bytes, help="bytes of output per notebook").tag(config=True)

    def preprocess(self, nb, resources):
        reason = sandbox.unavailable_reason()
        if reason and os.environ.get(sandbox.UNSAFE_ENV) != "1":
            raise RuntimeError(f"refusing to run student code: {reason} (set {sandbox.UNSAFE_ENV}=1 to run it "
                               "unconfined, never on untrusted code)")
        nbgrader_speedups.apply()
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            trusted = judge.TrustedNotebook.from_gradebook(gb, info["notebook"], info["assignment"])
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        # Data files nbgrader copied from the source folder next to the notebook go into the private folder.
        extra = [p for p in folder.glob("*") if p.is_file() and not p.is_symlink() and p.suffix != ".ipynb"]
        budget = launch.Budget(wall_s=self.notebook_wall_s, cpu_s=self.cpu_s, memory_bytes=self.memory_bytes,
                               disk_bytes=self.disk_bytes, output_bytes=self.output_bytes)
        events = judge.judge_notebook(nb, trusted, timeout=self.timeout, budget=budget, extra_files=extra)
        for event in events:
            self.log.warning("%s: %s", info.get("student"), event)
        # What the sanitizing preprocessors found (CleanSubmission, ApplyRules), shown as `course.py grade` does.
        state = nb.metadata.pop("autograder", None)
        state = state if isinstance(state, dict) else {}
        violations = [policy.Violation(**v) for v in state.get("violations", [])]
        policy.mark_tests(nb, violations)
        notes = [*state.get("notes", []), *(f"kernel: {e}" for e in events), *(f"rule broken: {v}" for v in violations)]
        if notes:
            nb.cells.insert(0, new_markdown_cell("**Grader's notes**\n\n" + "\n".join(f"* {n}" for n in notes)))
        return nb, resources
