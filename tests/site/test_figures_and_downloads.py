"""The site's build-time pieces, without building it: a figure too wide or too finely typed for a phone is refused
when the page draws it (autograder.book.diagrams.show), and the exercise zip the header offers holds the released
folder, byte for byte, the same on every build (autograder.book.sphinx_downloads)."""
import zipfile

import matplotlib.pyplot as plt
import pytest

from autograder.book import diagrams, sphinx_downloads
from autograder.layout import ROOT, chapters


def test_a_wide_row_of_panels_is_refused_for_phones():
    fig, axes = plt.subplots(1, 3, figsize=(11, 3))
    for ax in axes:
        ax.plot([1, 2, 3], [3, 1, 2], label="a line")
        ax.legend(fontsize=8)
    size, text = diagrams.phone_text_px(fig)
    assert size < diagrams.MIN_PHONE_TEXT_PX
    with pytest.raises(diagrams.IllegibleFigure, match="CSS px on a phone"):
        diagrams.show(fig)


def test_the_course_diagrams_are_legible_on_phones():
    fig, _ = diagrams.draw_unrolled(steps=3)
    assert diagrams.phone_text_px(fig)[0] >= diagrams.MIN_PHONE_TEXT_PX
    plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.6))
    diagrams.draw_folded("jordan", ax=axes[0], title="Jordan (1986)")
    diagrams.draw_folded("elman", ax=axes[1], title="Elman (1990)")
    assert diagrams.phone_text_px(fig)[0] >= diagrams.MIN_PHONE_TEXT_PX
    plt.close(fig)


@pytest.mark.parametrize("chapter", chapters())
def test_exercise_zip_holds_the_release(tmp_path, chapter):
    first = sphinx_downloads.write_zip(chapter, tmp_path / "a.zip").read_bytes()
    second = sphinx_downloads.write_zip(chapter, tmp_path / "b.zip").read_bytes()
    assert first == second, "the zip differs between two builds of the same release"
    folder = ROOT / "exercises" / chapter
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        for path in (p for p in folder.rglob("*") if p.is_file()):
            assert archive.read(f"{chapter}/{path.relative_to(folder).as_posix()}") == path.read_bytes()
