"""Progress on long runs (issue 25, item 6): counts, rate and time left, every few seconds and at the end."""
from autograder.grading.progress import Progress, duration


def test_progress_says_count_rate_and_time_left():
    now, lines = [0.0], []
    progress = Progress(6000, lines.append, every_s=10, clock=lambda: now[0])
    for _ in range(150):
        now[0] += 0.125
        progress.done()
    assert lines == ["graded 80/6000 notebooks (480.0/min), about 12 min left"]
    assert duration(8520) == "2 h 22 min" and duration(59) == "59 s"


def test_progress_ends_with_the_total():
    lines = []
    progress = Progress(2, lines.append, every_s=1e9)
    progress.done()
    progress.done()
    assert lines and lines[-1].startswith("graded 2/2 notebooks") and "left" not in lines[-1]
