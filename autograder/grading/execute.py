"""Judge one notebook the trusted way, from the command line (for a look at one submission without a gradebook).

    python -m autograder.grading.execute SUBMISSION.ipynb OUT.ipynb --source solutions/<id>/<id>.ipynb [--timeout S]

The test cells and set-up come from the SOURCE notebook and run in this process; the submission's other cells run
in the student's process (`autograder.grading.judge`, `executor`, `launch`). OUT is the executed notebook, with the
events (timeouts, a process that died) in its metadata. The graders (`autograde`, nbgrader's Autograde through
`preprocessors.TrustedExecute`) call `judge` directly.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from autograder.grading import judge


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.grading.execute", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebook", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--source", type=Path, required=True, help="the chapter's source notebook (solutions/)")
    p.add_argument("--timeout", type=int, default=30, help="seconds a cell may wait for the student's process")
    a = p.parse_args(argv)
    nb = nbformat.read(a.notebook, as_version=4)
    trusted = judge.TrustedNotebook.from_source_notebook(nbformat.read(a.source, as_version=4))
    extra = [f for f in a.source.parent.glob("*") if f.suffix != ".ipynb"]
    events = judge.judge_notebook(nb, trusted, timeout=a.timeout, extra_files=extra)
    nb.metadata.setdefault("autograder", {})["events"] = events
    nbformat.write(nb, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
