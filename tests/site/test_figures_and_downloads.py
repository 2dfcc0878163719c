"""The site's build-time pieces, without building it: a figure too wide or too finely typed for a phone is refused
when the page draws it (autograder.book.diagrams.show), and the exercise zip the header offers holds the released
folder, byte for byte, the same on every build (autograder.book.sphinx_downloads)."""
import zipfile

import matplotlib.pyplot as plt
import pytest

from autograder import learner_setup
from autograder.book import diagrams, learner_wheel, sphinx_downloads
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


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    """The learner's wheel built twice, as two builds of the site would."""
    return [learner_wheel.build_wheel(tmp_path_factory.mktemp(f"wheel{i}")) for i in (1, 2)]


def test_learner_wheel_is_reproducible_and_pure_python(wheels):
    first, second = wheels
    assert first.read_bytes() == second.read_bytes(), "two builds of the same sources give different wheels"
    assert first.name == learner_setup.wheel_name() and first.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "autograder/cases/visible_values.py" in names and "autograder/checks.py" in names
    assert not [n for n in names if n.endswith((".so", ".pyd", ".pyc"))], "the learner's wheel must be pure Python"
    assert not [n for n in names if n.startswith(("autograder/grading/", "autograder/book/"))
                or n == "autograder/cases/visible.py"], "the wheel carries instructors' or the site's modules"
    required = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert required == ["Requires-Dist: numpy>=1.24"], f"the package itself must need NumPy only: {required}"


@pytest.mark.parametrize("chapter", chapters())
def test_exercise_zip_holds_the_release_the_wheel_and_the_commands(tmp_path, wheels, chapter):
    first = sphinx_downloads.write_zip(chapter, tmp_path / "a.zip", wheels[0]).read_bytes()
    second = sphinx_downloads.write_zip(chapter, tmp_path / "b.zip", wheels[1]).read_bytes()
    assert first == second, "the zip differs between two builds of the same release"
    folder = ROOT / "exercises" / chapter
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        for path in (p for p in folder.rglob("*") if p.is_file()):
            assert archive.read(f"{chapter}/{path.relative_to(folder).as_posix()}") == path.read_bytes()
        assert archive.read(f"{chapter}/{wheels[0].name}") == wheels[0].read_bytes()
        text = archive.read(f"{chapter}/{learner_setup.DOWNLOAD_TEXT}").decode()
    for command in learner_setup.commands(chapter):
        assert f"    {command}\n" in text, f"START HERE.txt does not quote {command!r}:\n{text}"
