"""The website builds with warnings as errors, links each chapter's *student* notebook, and leaks nothing."""
import filecmp
import html
import re
import zipfile
from pathlib import Path

from autograder.grading import release
from autograder.layout import ROOT, chapters
from tests.learner.test_messages import PLACEHOLDERS


def test_book_builds_with_warnings_as_errors(built_site):
    site, result = built_site
    assert result.returncode == 0, f"jupyter-book build -W failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    assert (site / "index.html").exists()


TEXT_SUFFIXES = {".html", ".ipynb", ".md", ".txt", ".js", ".py"}


def site_texts(site):
    """(name, text) of every text file of the site, and of every text file inside its zips and the wheel."""
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            yield str(path.relative_to(site)), html.unescape(path.read_text(errors="replace"))
        elif path.is_file() and path.suffix in {".zip", ".whl"}:
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    if Path(name).suffix in TEXT_SUFFIXES or name.endswith("METADATA"):
                        yield f"{path.relative_to(site)}:{name}", archive.read(name).decode(errors="replace")


# The chapters' PyTorch oracles: the case generators import them, so the learner's wheel carries them (as the public
# repository does); the wheel leaves out the grader, its samples and the pages' helpers (autograder/book/learner_wheel).
ORACLES = ".whl:autograder/references/"


def test_no_solution_or_hidden_test_in_site(built_site):
    """Nor in the chapters' zips or the learner's wheel they carry (but for its references, see ORACLES)."""
    site, _ = built_site
    secrets = release.secret_lines()
    leaks = []
    for name, text in site_texts(site):
        if ORACLES not in name:
            leaks += [f"{name}: {leak}" for leak in release.leaks_in_text(text, secrets)]
    assert not leaks, leaks


def test_no_placeholder_address_anywhere_on_the_site(built_site):
    """A learner who copies an install line from the site gets a command that works, never `git+<address>`."""
    site, _ = built_site
    found = [name for name, text in site_texts(site) if any(p in text for p in PLACEHOLDERS)]
    assert not found, f"placeholder addresses in: {found}"


def test_chapter_links_download_the_student_notebook(built_site):
    site, _ = built_site
    for chapter in chapters():
        page = (site / "book" / f"{chapter}.html").read_text()
        links = re.findall(r'href="([^"]*_downloads/[^"]*\.ipynb)"', page)
        assert links, f"{chapter}.html has no download link to its notebook"
        target = (site / "book" / links[0]).resolve()
        assert filecmp.cmp(target, ROOT / "exercises" / chapter / f"{chapter}.ipynb", shallow=False), \
            f"{chapter}: the downloaded notebook is not the committed student version"
