"""Where everything a chapter owns lives: the one authority for the course's paths, keyed by the chapter id.

Standard library only (the grader, the tests and `course.py`-launched tools all read it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def chapters(root: Path = ROOT) -> list[str]:
    """Chapter ids that have exercises: the folders of solutions/ that hold a notebook of the same name."""
    return sorted(p.parent.name for p in (root / "solutions").glob("*/*.ipynb") if p.stem == p.parent.name)


def toc_chapters(root: Path = ROOT) -> list[str]:
    """Chapter ids in reading order: the numbered `book/<id>` entries of _toc.yml (the back matter excluded)."""
    toc = (root / "_toc.yml").read_text()
    numbered = toc.split("numbered: true", 1)[1].split("- caption:", 1)[0]
    return re.findall(r"-\s*file:\s*book/(\w+)", numbered)


@dataclass(frozen=True)
class Chapter:
    """The parts of one chapter. `python3 course.py` and the tests find a chapter's files through this."""
    id: str
    root: Path = ROOT

    @property
    def page(self) -> Path:
        return self.root / "book" / f"{self.id}.md"

    @property
    def data(self) -> Path:
        """Results recorded by benchmarks/ that the page reads (present only where a page needs them)."""
        return self.root / "book" / "data" / self.id

    @property
    def source(self) -> Path:
        return self.root / "solutions" / self.id / f"{self.id}.ipynb"

    @property
    def release(self) -> Path:
        return self.root / "exercises" / self.id / f"{self.id}.ipynb"

    @property
    def references(self) -> Path:
        return self.root / "autograder" / "references" / f"{self.id}.py"

    @property
    def cases(self) -> Path:
        return self.root / "autograder" / "cases" / f"{self.id}.py"

    @property
    def tests(self) -> Path:
        return self.root / "tests" / "chapters" / self.id
