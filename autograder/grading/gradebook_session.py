"""Gradebook access for the grading command: a session per call, retried while another process holds the database's
lock (nbgrader would abort the batch)."""
from __future__ import annotations

import sqlite3
import time

from nbgrader.api import Gradebook
from sqlalchemy.exc import OperationalError


def with_gradebook(db_url: str, fn, wait_s: float = 300.0):
    """Run fn(gb) in a gradebook session; while another process holds the database lock, wait and retry."""
    def session():
        gb = Gradebook(db_url)
        try:
            return fn(gb)
        finally:
            gb.close()
            gb.engine.dispose()     # each session's engine holds connections: a server would run out of them
    return retry_locked(session, wait_s)


def retry_locked(fn, wait_s: float = 300.0):
    """fn(), retried while the gradebook is locked by another process (nbgrader would abort the batch)."""
    deadline = time.monotonic() + wait_s
    delay = 0.2
    while True:
        try:
            return fn()
        except (OperationalError, sqlite3.OperationalError) as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
