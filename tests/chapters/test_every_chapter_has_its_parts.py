"""The chapter id is the key of everything a chapter owns (ARCHITECTURE.md): every chapter in _toc.yml has each part,
so the README's "Adding a chapter" recipe holds for all of them."""
import importlib
import subprocess

import pytest

from autograder.layout import ROOT, Chapter, chapters, toc_chapters


@pytest.mark.parametrize("chapter_id", toc_chapters())
def test_chapter_has_every_part(chapter_id):
    chapter = Chapter(chapter_id)
    for part in ("page", "source", "release", "references", "cases"):
        assert getattr(chapter, part).is_file(), f"{chapter_id}: missing its {part} ({getattr(chapter, part)})"
    assert (chapter.tests / "test_references.py").is_file(), f"{chapter_id}: no {chapter.tests}/test_references.py"
    assert (chapter.tests / "mutants.py").is_file(), f"{chapter_id}: no {chapter.tests}/mutants.py"
    cases = importlib.import_module(f"autograder.cases.{chapter_id}")
    assert isinstance(getattr(cases, "EXAMPLE", None), dict), f"autograder.cases.{chapter_id} has no EXAMPLE dict"


def test_toc_and_solutions_name_the_same_chapters():
    assert sorted(toc_chapters()) == chapters(), "every chapter in _toc.yml has exercises, and only those"


def test_recorded_data_lives_under_its_chapter():
    """book/data/<id>/ only: a results file outside a chapter's folder belongs to nobody."""
    data = ROOT / "book" / "data"
    strays = [p.relative_to(ROOT) for p in data.rglob("*") if p.is_file() and p.parent.name not in toc_chapters()]
    assert not strays, f"recorded data outside book/data/<chapter id>/: {strays}"


def test_gitignore_covers_what_grading_writes():
    """Asked of git itself, for every path the grading cycle writes (grades, rosters and feedback are personal data)."""
    paths = ["grading/grades.csv", "grading/canvas_grades.csv", "grading/feedback_reasons.csv", "roster.csv",
             "canvas_grades.csv", "submitted/s1/gru/gru.ipynb", "submitted/s1/gru/lms.json", "autograded/s1/x",
             "feedback/s1/gru/gru.html", "downloaded/gru/archive/a.zip", "gradebook.db", "release/x", ".venv/x",
             ".grading.lock", "exchange/x", "build/lib/x.py", "nbgrader_autograde.log"]
    result = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=ROOT, input="\n".join(paths),
                            capture_output=True, text=True)
    missed = sorted(set(paths) - set(result.stdout.split()))
    assert not missed, f".gitignore does not cover {missed}"
