"""Progress of a long grading run, in the log: how many notebooks are recorded of how many, the rate, and the time
left at that rate ("graded 120/6000 notebooks (41.3/min), about 2 h 22 min left"), every `every_s` seconds and at
the end."""
from __future__ import annotations

import time


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


class Progress:
    def __init__(self, total: int, log=print, every_s: float = 10.0, clock=time.monotonic):
        self.total, self.log, self.every_s, self.clock = total, log, every_s, clock
        self.count = 0
        self.started = self.last = clock()

    def line(self) -> str:
        elapsed = self.clock() - self.started
        rate = self.count / elapsed if elapsed > 0 else 0.0
        text = f"graded {self.count}/{self.total} notebooks ({60 * rate:.1f}/min)"
        if 0 < self.count < self.total and rate > 0:
            text += f", about {duration((self.total - self.count) / rate)} left"
        return text

    def done(self, n: int = 1) -> None:
        self.count += n
        now = self.clock()
        if now - self.last >= self.every_s or self.count >= self.total:
            self.last = now
            self.log(self.line())
