"""A read-only copy of one notebook's source record in the gradebook (its cells, points and kernelspec), read once
per chapter and run, that stands for `Gradebook(url)` inside nbgrader's sanitizing preprocessors.

nbgrader's OverwriteCells and OverwriteKernelspec open the gradebook for every notebook and query it two or three
times per cell (`find_source_cell`, `find_graded_cell`, `find_notebook`): most of the coordinator's serial time per
notebook. What they read is the instructor's source record, which does not change while a run holds the course's
lock, so `course.py grade` reads it once and `standing_for_gradebook` hands the copy to nbgrader's own preprocessors,
which run unchanged. Only this module replaces nbgrader's name `Gradebook` in those two modules, for the duration,
under a lock.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace

from nbgrader.api import MissingEntry
from nbgrader.preprocessors import overwritecells, overwritekernelspec

_PATCHED_MODULES = (overwritecells, overwritekernelspec)
_LOCK = threading.Lock()
_SOURCE = ("name", "cell_type", "locked", "checksum", "source")


@dataclass
class GradebookSnapshot:
    notebook: str
    assignment: str
    record: SimpleNamespace              # what find_notebook returns: the attributes nbgrader's sanitizers read
    source: dict[str, SimpleNamespace]
    graded: dict[str, SimpleNamespace]   # grade and task cells, as find_graded_cell finds them

    @classmethod
    def read(cls, gb, notebook: str, assignment: str) -> GradebookSnapshot:
        nb = gb.find_notebook(notebook, assignment)
        copy = lambda cell, names: SimpleNamespace(**{n: getattr(cell, n) for n in names})  # noqa: E731
        source = [copy(c, _SOURCE) for c in nb.source_cells]
        grade = [copy(c, ("name", "max_score", "cell_type")) for c in nb.grade_cells]
        task = [copy(c, ("name", "max_score", "cell_type")) for c in nb.task_cells]
        record = SimpleNamespace(name=nb.name, kernelspec=nb.kernelspec, source_cells=source, grade_cells=grade,
                                 task_cells=task, solution_cells=[SimpleNamespace(name=c.name)
                                                                  for c in nb.solution_cells])
        return cls(notebook, assignment, record, {c.name: c for c in source}, {c.name: c for c in grade + task})

    # the part of nbgrader's Gradebook the sanitizers use
    def __call__(self, *args, **kwargs):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self) -> None:
        pass

    def _check(self, notebook: str, assignment: str) -> None:
        if (notebook, assignment) != (self.notebook, self.assignment):
            raise MissingEntry()

    def find_notebook(self, notebook, assignment):
        self._check(notebook, assignment)
        return self.record

    def find_source_cell(self, name, notebook, assignment):
        self._check(notebook, assignment)
        if name not in self.source:
            raise MissingEntry()
        return self.source[name]

    def find_graded_cell(self, name, notebook, assignment):
        self._check(notebook, assignment)
        if name not in self.graded:
            raise MissingEntry()
        return self.graded[name]


@contextmanager
def standing_for_gradebook(snapshot: GradebookSnapshot):
    """nbgrader's OverwriteCells and OverwriteKernelspec read `snapshot` instead of opening the gradebook."""
    with _LOCK:
        saved = [m.Gradebook for m in _PATCHED_MODULES]
        for m in _PATCHED_MODULES:
            m.Gradebook = snapshot
        try:
            yield snapshot
        finally:
            for m, original in zip(_PATCHED_MODULES, saved):
                m.Gradebook = original
