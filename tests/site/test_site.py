"""The website builds with warnings as errors, links each chapter's *student* notebook, and leaks nothing."""
import filecmp
import html
import re

from autograder.grading import release
from autograder.layout import ROOT, chapters


def test_book_builds_with_warnings_as_errors(built_site):
    site, result = built_site
    assert result.returncode == 0, f"jupyter-book build -W failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    assert (site / "index.html").exists()


def test_no_solution_or_hidden_test_in_site(built_site):
    site, _ = built_site
    secrets = release.secret_lines()
    leaks = []
    for page in site.rglob("*"):
        if page.is_file() and page.suffix in {".html", ".ipynb", ".md", ".txt", ".js", ".py"}:
            text = html.unescape(page.read_text(errors="replace"))
            leaks += [f"{page.relative_to(site)}: {leak}" for leak in release.leaks_in_text(text, secrets)]
    assert not leaks, leaks


def test_chapter_links_download_the_student_notebook(built_site):
    site, _ = built_site
    for chapter in chapters():
        page = (site / "book" / f"{chapter}.html").read_text()
        links = re.findall(r'href="([^"]*_downloads/[^"]*\.ipynb)"', page)
        assert links, f"{chapter}.html has no download link to its notebook"
        target = (site / "book" / links[0]).resolve()
        assert filecmp.cmp(target, ROOT / "exercises" / chapter / f"{chapter}.ipynb", shallow=False), \
            f"{chapter}: the downloaded notebook is not the committed student version"
