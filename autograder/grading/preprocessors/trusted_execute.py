"""`TrustedExecute`: nbgrader's Execute step, done the trusted way (`autograder.grading.judge`).

Configured as the first of `c.Autograde.autograde_preprocessors` in nbgrader_config.py, so that plain
`nbgrader autograde` and the formgrader's Autograde button grade as `course.py grade` does: test cells run in the
grader's process from the gradebook's source, the student's cells in a sandboxed process without torch.
"""
from __future__ import annotations

from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Integer

from autograder.grading import judge, launch


class TrustedExecute(NbGraderPreprocessor):
    timeout = Integer(30, help="seconds a cell (a test cell's calls included) may run").tag(config=True)
    notebook_wall_s = Float(600.0, help="seconds the whole notebook may run").tag(config=True)
    memory_bytes = Integer(2 * 2**30, help="memory of the student's process tree").tag(config=True)
    cpu_s = Float(300.0, help="CPU seconds of the student's process").tag(config=True)
    disk_bytes = Integer(256 * 2**20, help="bytes the student's process may write").tag(config=True)
    output_bytes = Integer(16 * 2**20, help="bytes of output per notebook").tag(config=True)

    def preprocess(self, nb, resources):
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
        return nb, resources
