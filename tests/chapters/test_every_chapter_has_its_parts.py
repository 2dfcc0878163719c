"""The chapter id is the key of everything a chapter owns (ARCHITECTURE.md): every chapter in _toc.yml has each part,
so the README's "Adding a chapter" recipe holds for all of them."""
import importlib

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
    ignored = (ROOT / ".gitignore").read_text().split()
    for path in ("/grading/", "/submitted/", "/autograded/", "/feedback/", "/downloaded/", "/gradebook.db",
                 "/release/", "/.venv", "/.grading.lock"):
        assert path in ignored, f".gitignore does not cover {path}"
