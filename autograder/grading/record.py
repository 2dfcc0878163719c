"""The pipeline's record stage: one notebook's grades written to the gradebook in one transaction.

nbgrader's SaveAutoGrades commits once per graded cell and AssignLatePenalties, `update_or_create_student` and
`update_or_create_submission` once each, every one in a gradebook session of its own: about 33 commits per
chapter-1 notebook, each a disk sync or more on SQLite (198 for 6 notebooks under strace). Here nbgrader's own code
still does the recording, but inside `one_transaction` every `Gradebook` it opens is one shared session whose
commits only flush; the session commits once at the end, or rolls everything back: a notebook is recorded whole or
not at all. Only this module replaces nbgrader's name `Gradebook` in its preprocessors' modules, for the duration,
under a lock (the coordinator records one notebook at a time).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

from nbgrader import api
from nbgrader.preprocessors import latesubmissions, saveautogrades

_PATCHED_MODULES = (saveautogrades, latesubmissions)
_LOCK = threading.Lock()


class _Shared:
    """Stands for `Gradebook(url)` inside nbgrader's preprocessors: the one session, never closed by them."""

    def __init__(self, gb):
        self.gb = gb

    def __call__(self, *args, **kwargs):
        return self

    def __enter__(self):
        return self.gb

    def __exit__(self, *exc):
        return False

    def __getattr__(self, name):
        return getattr(self.gb, name)


@contextmanager
def one_transaction(db_url: str):
    """A Gradebook whose commits (and those of nbgrader's SaveAutoGrades and AssignLatePenalties run inside) are
    deferred to one commit at the end; any error rolls the whole notebook back."""
    gb = api.Gradebook(db_url)
    session = gb.db
    session.commit = session.flush          # nbgrader's per-row commits become flushes in one transaction
    with _LOCK:
        saved = [m.Gradebook for m in _PATCHED_MODULES]
        for m in _PATCHED_MODULES:
            m.Gradebook = _Shared(gb)
        try:
            yield gb
            del session.commit
            session.commit()
        except BaseException:
            vars(session).pop("commit", None)
            session.rollback()
            raise
        finally:
            for m, original in zip(_PATCHED_MODULES, saved):
                m.Gradebook = original
            gb.close()
