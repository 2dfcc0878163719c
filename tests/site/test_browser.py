"""The website as readers see it, in a real headless browser (Debian's chromium, see tests/helpers/browser.py) reading
the built site from a loopback server: on every page math renders from the site itself, links, images and figures
resolve, the console stays clean and titles are clean; every page reads on a phone (390 px) as on a desktop: it
never scrolls sideways as a whole, equations and tables stay in the column or scroll in their own box, every image
has alt text that describes it, and no escape shows as a literal backslash; every written chapter opens with what it
teaches and needs, ends with its notebook and a "check yourself" list, its download link and the header's download
menu yield the student notebook (and a zip of its folder); search finds the chapters; equations are referenced
across chapters; the bibliography and the preface's glossary hold what the course promises. Chapter pages that are
still stubs get only the page-level checks, and say so. One browser session reads both widths."""
from __future__ import annotations

import io
import re
import urllib.error
import urllib.request
import zipfile
from functools import cache
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
import yaml

from autograder import learner_setup
from autograder.grading import release
from autograder.layout import ROOT
from tests.helpers import browser

STUB_SENTENCE = "This chapter is being written."
TITLE_DASH = "\N{EM DASH}"                        # Sphinx joins page and book titles with it
SCREENSHOTS = ROOT / "_build" / "screenshots"
_TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
BOOK_TITLE = yaml.safe_load((ROOT / "_config.yml").read_text())["title"]
TOC_FILES = [_TOC["root"]] + [entry["file"] for part in _TOC["parts"] for entry in part["chapters"]]
# Chapters are the entries of every part but the back matter; their ids are their file names.
CHAPTERS = [Path(entry["file"]).name for part in _TOC["parts"] if part.get("caption") != "Back matter"
            for entry in part["chapters"]]
# Every HTML page the build writes (outside _static/): the TOC's pages plus Sphinx's own.
PAGES = [f"{file}.html" for file in TOC_FILES] + ["index.html", "search.html", "genindex.html"]


def stub_reason(chapter: str) -> str | None:
    source = ROOT / "book" / f"{chapter}.md"
    if STUB_SENTENCE in source.read_text():
        return f"book/{chapter}.md is still a stub ({STUB_SENTENCE!r}): the per-chapter checks wait for its text"
    return None


def skip_stub(chapter: str) -> None:
    reason = stub_reason(chapter)
    if reason:
        pytest.skip(reason)


# ----------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def site(built_site) -> Path:
    path, result = built_site
    if result.returncode != 0:
        pytest.fail(f"the site did not build, so it cannot be checked in a browser:\n{result.stdout[-3000:]}")
    return path


@pytest.fixture(scope="session")
def base_url(site):
    with browser.serve(site) as url:
        yield url


@pytest.fixture(scope="session")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def driver(tmp_path_factory, downloads):
    reason = browser.missing_reason()
    if reason:
        pytest.skip(reason)
    chrome = browser.start_chrome(tmp_path_factory.mktemp("chromium-profile"), downloads)
    yield chrome
    chrome.quit()


@pytest.fixture(scope="session")
def visits(site, base_url, driver) -> dict[str, browser.PageVisit]:
    """Every page of the built site, loaded once in the browser (math typeset, logs and requests recorded)."""
    return {page: browser.visit(driver, base_url, page) for page in PAGES}


@pytest.fixture(scope="session")
def phone_layouts(visits, base_url, driver) -> dict[str, dict]:
    """Every page laid out at a phone's width (after the desktop visits, in the same browser)."""
    layouts = {}
    with browser.phone_width(driver):
        for page in PAGES:
            driver.get(base_url + page)
            wait_error = driver.execute_async_script(browser._WAIT_FOR_MATH, browser.MATH_TIMEOUT_S * 1000)
            layouts[page] = dict(browser.layout(driver, browser.PHONE["width"]), wait_error=wait_error)
    return layouts


@cache
def _fetch(url: str) -> tuple[int, str]:
    """HTTP status and (for HTML) text of a URL on the loopback server; cached across pages."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read()
            is_html = response.headers.get_content_type() == "text/html"
            return response.status, body.decode("utf-8", "replace") if is_html else ""
    except urllib.error.HTTPError as err:
        return err.code, ""


def _internal(url: str, base_url: str) -> bool:
    return url.startswith(base_url)


# ----------------------------------------------------------------------------------- every page of the site

def test_every_built_page_is_checked(site):
    built = sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if "_static" not in p.parts)
    assert built == sorted(PAGES), (f"pages built but not checked: {sorted(set(built) - set(PAGES))}; "
                                    f"pages checked but not built: {sorted(set(PAGES) - set(built))}")


def test_no_page_loads_math_or_scripts_from_a_cdn(site):
    """Static: no HTML page points its MathJax, or any script or stylesheet, at another host."""
    problems = []
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(errors="replace")
        for match in re.finditer(r"<(script|link)\b[^>]*\b(src|href)=\"(https?:)?//[^\"]+\"", text):
            problems.append(f"{page.relative_to(site)}: {match.group(0)}")
        problems += [f"{page.relative_to(site)}: MathJax from {m}" for m in
                     re.findall(r"(?:https?:)?//[^\"' ]*mathjax[^\"' ]*", text, flags=re.IGNORECASE)]
    assert not problems, "the site needs the internet:\n" + "\n".join(problems)
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax is not served from _static/mathjax"


@pytest.mark.parametrize("page", PAGES)
def test_math_renders_offline(visits, base_url, page):
    visit = visits[page]
    report = visit.report
    assert visit.math_wait_error is None, f"{page}: {visit.math_wait_error}"
    outside = browser.off_site(visit.requests, base_url)
    assert not outside, f"{page} made requests off the local server (the site must work offline): {outside}"
    if report["math_nodes"]:
        mathjax_url = base_url + "_static/mathjax/tex-chtml.js"
        assert any(urldefrag(url)[0].split("?")[0] == mathjax_url for url in visit.requests), (
            f"{page} has math but did not load MathJax from {mathjax_url}")
        assert (report["mathjax"] or "").startswith("3."), f"{page}: MathJax version {report['mathjax']!r}"
    assert not report["math_unrendered"], (
        f"{page}: {len(report['math_unrendered'])} of {report['math_nodes']} formulas were not typeset, e.g. "
        f"{report['math_unrendered'][:3]}")
    assert not report["math_errors"], f"{page}: MathJax reported TeX errors: {report['math_errors'][:5]}"
    assert not report["raw_tex"], f"{page}: raw TeX delimiters {report['raw_tex']} left in the text outside code"


@pytest.mark.parametrize("page", PAGES)
def test_no_broken_internal_link_or_image(visits, base_url, page):
    """Every href/src on the page that points into the site resolves (HTTP 200), fragments included, and nothing
    the browser requested for the page (stylesheets, fonts, scripts, images) failed."""
    visit = visits[page]
    broken = list(visit.failed_requests)
    for item in visit.report["urls"]:
        url, fragment = urldefrag(item["url"])
        if not _internal(url, base_url):
            continue
        status, text = _fetch(url)
        if status != 200:
            broken.append(f"<{item['tag']}> {item['url']} (HTTP {status})")
        elif fragment and item["tag"] == "a" and urlsplit(url).path.endswith(".html"):
            same_page = url == urldefrag(visit.report["url"])[0]
            ids = visit.report["ids"] if same_page else re.findall(r'id="([^"]+)"', text)
            if fragment not in ids:
                broken.append(f"<a> {item['url']} (no element with id {fragment!r} there)")
    assert not broken, f"{page}: broken internal links or resources:\n" + "\n".join(broken)


@pytest.mark.parametrize("page", PAGES)
def test_no_console_error(visits, page):
    errors = [entry["message"] for entry in visits[page].console if entry["level"] == "SEVERE"]
    assert not errors, f"{page}: the browser console shows errors:\n" + "\n".join(errors)


@pytest.mark.parametrize("page", PAGES)
def test_figures_and_images_are_displayed(visits, page):
    report = visits[page].report
    missing = [f"img {img['src']} (complete={img['complete']}, natural size {img['width']}x{img['height']})"
               for img in report["images"] if not (img["complete"] and img["width"] > 0 and img["height"] > 0)]
    missing += [f"svg of size {svg['width']}x{svg['height']}" for svg in report["svgs"]
                if not (svg["width"] > 0 and svg["height"] > 0)]
    missing += [f"figure #{fig['id']} shows no loaded image" for fig in report["figures"] if not fig["loaded"]]
    assert not missing, f"{page}: images or figures not displayed:\n" + "\n".join(missing)
    if page.startswith("book/"):
        # Every figure the page's source names ({figure} or a code cell's `mystnb: figure: name:`) is on the page.
        source = (ROOT / page).with_suffix(".md").read_text()
        # docutils turns a label into an id by lower-casing it and joining words with '-' (fig-a_b -> fig-a-b).
        named = {re.sub(r"[^a-z0-9]+", "-", name.lower())
                 for name in re.findall(r"^\s*:?name:\s*(fig-[\w-]+)", source, flags=re.MULTILINE)}
        shown = {fig["id"] for fig in report["figures"] if fig["loaded"]}
        assert named <= shown, f"{page}: figures named in the source but not shown: {sorted(named - shown)}"


# ------------------------------------------------------------------------------ every page, phone and desktop

def _both_widths(visits, phone_layouts, page) -> dict[str, dict]:
    return {f"desktop ({browser.DESKTOP_WIDTH} px)": visits[page].layout,
            f"phone ({browser.PHONE['width']} px)": phone_layouts[page]}


@pytest.mark.parametrize("page", PAGES)
def test_page_fits_the_width(visits, phone_layouts, page):
    """Nothing makes the page scroll sideways as a whole; a display or inline equation and a table either fit the
    text column or scroll inside a box of their own that does."""
    problems = []
    for width, layout in _both_widths(visits, phone_layouts, page).items():
        if layout.get("wait_error"):
            problems.append(f"{width}: {layout['wait_error']} (the layout was read anyway)")
        if layout["scroll_width"] > layout["width"] or layout["inner_width"] > layout["width"]:
            problems.append(f"{width}: the page is {max(layout['scroll_width'], layout['inner_width'])} px wide, "
                            f"wider than the window; too wide: {layout['wide_elements']}")
        problems += [f"{width}: equation {m['what']!r} ({m['width']} px) sticks out of the {m['column']} px column "
                     f"without a scroll box" for m in layout["math_overflow"]]
        problems += [f"{width}: table {m['what']!r} ({m['width']} px) sticks out of the {m['column']} px column "
                     f"without a scroll box" for m in layout["table_overflow"]]
    assert not problems, f"{page}:\n" + "\n".join(problems)


_FILE_NAME = re.compile(r"(^|/)[\w.-]+\.(svg|png|jpe?g|gif|webp)$|^[0-9a-f]{16,}", re.IGNORECASE)


@pytest.mark.parametrize("page", PAGES)
def test_images_have_descriptive_alt_text(visits, page):
    """Every image says what it shows: alt text of a few words, not its file name (myst-nb's default)."""
    bad = [f"{img['src']}: alt {img['alt']!r}" for img in visits[page].layout["images"]
           if not img["alt"] or _FILE_NAME.search(img["alt"].strip()) or len(img["alt"].split()) < 5]
    assert not bad, (f"{page}: images without a description (give a figure cell `mystnb: image: alt:` in its "
                     f"metadata):\n" + "\n".join(bad))


@pytest.mark.parametrize("page", PAGES)
def test_no_literal_backslash_before_an_underscore(visits, page):
    """An escaped underscore (`\\_` in a code span or in \\text{}) shows its backslash: none may be visible."""
    shown = visits[page].layout["backslashes"]
    assert not shown, f"{page}: visible text shows a literal backslash: {shown[:5]}"


# ------------------------------------------------------------------------------------------ titles

@pytest.mark.parametrize("page", PAGES)
def test_title_is_clean(visits, page):
    report = visits[page].report
    title = report["title"]
    assert title.strip() == title and title, f"{page}: empty or padded <title> {title!r}"
    assert not re.search(r"[$\\{}<>¶#]|&#|None|Untitled|\.md|\.ipynb", title), f"{page}: markup in <title> {title!r}"
    assert title.endswith(BOOK_TITLE), f"{page}: the title {title!r} does not name the course"
    if page.startswith("book/"):
        assert report["h1"], f"{page}: no <h1>"
        # The title is the page's heading (with its chapter number when the TOC numbers chapters) and the course's.
        expected = rf"(\d+(\.\d+)*\. )?{re.escape(report['h1'])} {TITLE_DASH} {re.escape(BOOK_TITLE)}"
        assert re.fullmatch(expected, title), f"{page}: <title> {title!r} does not match <h1> {report['h1']!r}"


def test_titles_are_unique(visits):
    titles = [visit.report["title"] for visit in visits.values() if visit.path != "index.html"]  # index redirects
    assert len(titles) == len(set(titles)), f"duplicate page titles: {sorted(titles)}"


def test_index_opens_the_preface(visits, base_url):
    assert visits["index.html"].report["url"] == base_url + f"{_TOC['root']}.html"


# ------------------------------------------------------------------------------------------ every chapter

def _sections(outline: list[dict]) -> list[dict]:
    return [block for block in outline if block["kind"] == "section"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_opens_with_aims_and_ends_with_exercises(visits, chapter):
    skip_stub(chapter)
    outline = visits[f"book/{chapter}.html"].report["outline"]
    blocks = [(b["kind"], b["title"]) for b in outline if b["kind"] not in {"h1", "span"}]
    assert blocks[:2] == [("admonition", "What you will learn"), ("admonition", "What you need")], (
        f"{chapter}: the page must open with the admonitions 'What you will learn' and 'What you need'; it opens "
        f"with {blocks[:2]}")
    sections = _sections(outline)
    assert sections and sections[-1]["title"] == "Exercises", (
        f"{chapter}: the last section must be 'Exercises', not {sections[-1]['title'] if sections else None!r}")
    exercises = sections[-1]
    assert any(url.endswith(f"/{chapter}.ipynb") for url in exercises["downloads"]), (
        f"{chapter}: the Exercises section has no download link to {chapter}.ipynb ({exercises['downloads']})")
    subsections = _sections(exercises["children"])
    assert subsections and subsections[-1]["title"] == "Check yourself", (
        f"{chapter}: Exercises must end with a 'Check yourself' subsection, found {[s['title'] for s in subsections]}")
    check = subsections[-1]["children"]
    questions = sum(block["list_items"] for block in check)
    assert questions >= 3, f"{chapter}: 'Check yourself' has {questions} questions, expected a short list (>= 3)"
    assert any(block["dropdown"] for block in check), f"{chapter}: 'Check yourself' has no dropdown with the answers"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_download_link_yields_the_student_notebook(visits, driver, base_url, downloads, chapter):
    skip_stub(chapter)
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url = base_url + f"book/{chapter}.html"
    driver.get(url)

    def download_links(d):
        if d.current_url != url:     # the previous chapter's download, still starting, can swallow a navigation
            d.get(url)
        return [a for a in d.find_elements(By.CSS_SELECTOR, "#exercises a.download")
                if a.get_attribute("href").endswith(f"/{chapter}.ipynb")]
    try:
        links = WebDriverWait(driver, browser.PAGE_TIMEOUT_S, ignored_exceptions=(
            StaleElementReferenceException,)).until(download_links)
    except TimeoutException:
        links = []
    assert links, f"{chapter}: no download link to {chapter}.ipynb in its Exercises section"
    target = downloads / f"{chapter}.ipynb"
    target.unlink(missing_ok=True)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", links[0])
    links[0].click()
    got = browser.wait_for_download(downloads, f"{chapter}.ipynb")
    assert got is not None, f"{chapter}: clicking the download link produced no file in 20 s"
    student = ROOT / "exercises" / chapter / f"{chapter}.ipynb"
    assert got.read_bytes() == student.read_bytes(), (
        f"{chapter}: the downloaded notebook is not byte-equal to exercises/{chapter}/{chapter}.ipynb")
    leaks = release.leaks_in_text(got.read_text(), release.secret_lines())
    assert not leaks, f"{chapter}: the downloaded notebook contains solution or hidden-test text: {leaks[:5]}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_header_download_offers_the_exercise_notebook(visits, base_url, chapter):
    """The page header's download menu offers the chapter's student notebook and a zip of its exercise folder, not
    the page's Markdown source."""
    skip_stub(chapter)
    offered = visits[f"book/{chapter}.html"].layout["header_downloads"]
    notebooks = [url for url in offered if url.endswith(f"/{chapter}.ipynb")]
    zips = [url for url in offered if url.endswith(f"/{chapter}.zip")]
    assert notebooks and zips, f"{chapter}: the header's download menu offers {offered}, not the notebook and zip"
    assert not [url for url in offered if url.endswith(".md")], f"{chapter}: the header still offers {offered}"
    student = ROOT / "exercises" / chapter / f"{chapter}.ipynb"
    with urllib.request.urlopen(notebooks[0], timeout=10) as response:
        assert response.read() == student.read_bytes(), f"{chapter}: the header's notebook is not the release"
    with urllib.request.urlopen(zips[0], timeout=10) as response:
        archive = zipfile.ZipFile(io.BytesIO(response.read()))
    folder = ROOT / "exercises" / chapter
    expected = sorted([f"{chapter}/{p.relative_to(folder).as_posix()}" for p in folder.rglob("*") if p.is_file()]
                      + [f"{chapter}/{learner_setup.wheel_name()}", f"{chapter}/{learner_setup.DOWNLOAD_TEXT}"])
    assert sorted(archive.namelist()) == expected, f"{chapter}: the zip holds {archive.namelist()}, not {expected}"
    assert archive.read(f"{chapter}/{chapter}.ipynb") == student.read_bytes()


def _search(driver, base_url, query: str) -> list[str]:
    """Run Sphinx's client-side search from search.html and return the result links once it has finished."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base_url + "search.html?q=" + urllib.request.quote(query))
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        "const s = document.querySelector('#search-results .search-summary, #search-results p');"
        "return s && /found|did not match|no /i.test(s.textContent);"))
    return driver.execute_script(
        "return [...document.querySelectorAll('#search-results ul.search li a')].map((a) => a.href);")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_search_finds_the_chapter_by_its_title(visits, driver, base_url, chapter):
    title = visits[f"book/{chapter}.html"].report["h1"]
    results = _search(driver, base_url, title)
    assert any(urlsplit(url).path.endswith(f"/book/{chapter}.html") for url in results), (
        f"searching for {title!r} does not find book/{chapter}.html; results: {results}")


def test_search_finds_a_term_from_the_text(driver, base_url):
    results = _search(driver, base_url, "concatenation")
    pages = {urlsplit(url).path.rsplit("/", 1)[-1] for url in results}
    assert {"elman_jordan.html", "preface.html"} <= pages, f"searching 'concatenation' finds only {pages}"


def test_equations_are_referenced_across_chapters(visits, base_url):
    """An {eq} reference on one page to an equation on another resolves to that equation, with its number."""
    by_url = {visit.report["url"]: visit for visit in visits.values()}
    cross = []
    for visit in visits.values():
        for ref in visit.report["eqrefs"]:
            url, fragment = urldefrag(ref["url"])
            if url == urldefrag(visit.report["url"])[0]:
                continue
            cross.append((visit.path, ref))
            target = by_url.get(url)
            assert target is not None, f"{visit.path}: {ref['text']!r} points to {url}, which is not a book page"
            number = target.report["eqnos"].get(fragment)
            assert number is not None, f"{visit.path}: {ref['text']!r} points to #{fragment}, missing on {url}"
            assert re.findall(r"\d+(?:\.\d+)*", ref["text"]) == re.findall(r"\d+(?:\.\d+)*", number), (
                f"{visit.path}: the reference {ref['text']!r} and the equation's number {number!r} differ")
    assert cross, "no page refers to an equation of another page (the preface's glossary should)"


# ------------------------------------------------------------------------------- preface and bibliography

NINE_WORKS = {  # the works the course cites: surnames that must appear in one entry, and the year
    "Elman 1990": (["Elman"], "1990"),
    "Jordan 1986": (["Jordan"], "1986"),
    "Hochreiter & Schmidhuber 1997": (["Hochreiter", "Schmidhuber"], "1997"),
    "Gers et al. 2000": (["Gers", "Cummins"], "2000"),
    "Cho et al. 2014": (["Cho", "Bengio"], "2014"),
    "Lei et al. 2018": (["Lei", "Artzi"], "2018"),
    "Werbos 1990": (["Werbos"], "1990"),
    "Williams & Zipser 1989": (["Williams", "Zipser"], "1989"),
    "Pascanu et al. 2013": (["Pascanu", "Mikolov", "Bengio"], "2013"),
}


def _plain(html_text: str) -> str:
    import html
    return html.unescape(re.sub(r"<[^>]+>", " ", html_text))


def test_bibliography_lists_the_nine_works(site):
    page = (site / "book" / "bibliography.html").read_text()
    entries = [_plain(e) for e in re.findall(r'<div class="citation"[^>]*>(.*?)</div>', page, flags=re.DOTALL)]
    missing = [work for work, (names, year) in NINE_WORKS.items()
               if not any(all(name in entry for name in names) and year in entry for entry in entries)]
    assert not missing, f"the bibliography lacks {missing}; it has {len(entries)} entries"


GLOSSARY = {"forget gate": "遗忘门", "input gate": "输入门", "output gate": "输出门",
            "memory cell": "记忆细胞",
            "update gate": "更新门", "reset gate": "重置门", "hidden state": "隐藏状态",
            "recurrent neural network": "循环神经网络", "backpropagation through time": "随时间反向传播",
            "vanishing gradient": "梯度消失"}


def test_preface_states_notation_once_and_has_a_glossary(site):
    preface = (site / "book" / "preface.html").read_text()
    rows = [[_plain(cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.DOTALL)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", preface, flags=re.DOTALL)]
    missing = [f"{en} / {zh}" for en, zh in GLOSSARY.items()
               if not any(len(row) >= 2 and row[0].startswith(en) and zh in row[1] for row in rows)]
    assert not missing, f"the preface's glossary lacks these rows (English | 中文): {missing}"
    assert 'id="notation-and-shapes"' in preface or 'id="notation"' in preface, "the preface has no notation section"
    for shape in ("(B, d_{in})", "(T, B, d_{in})", "(B, h)"):
        assert shape in preface, f"the preface's notation table does not give the shape {shape}"
    elsewhere = [p.name for p in (site / "book").glob("*.html")
                 if p.name != "preface.html" and re.search(r"<h2>Notation( and shapes)?<", p.read_text())]
    assert not elsewhere, f"the notation is stated again (not only in the preface) on {elsewhere}"


# -------------------------------------------------------------------------------------------- screenshots

SHOTS = {  # two pages a reader meets first, at a place with math, a table and a figure
    "preface-notation.png": ("book/preface.html", "notation"),
    "elman_jordan-figure.png": ("book/elman_jordan.html", "fig-trajectories"),
}


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("name", SHOTS)
def test_screenshot(driver, base_url, visits, name, width):
    """Kept as artefacts in _build/screenshots/ (NAME-desktop.png, NAME-phone.png at 390 px): the place shown is on
    screen, its math typeset, its figure loaded."""
    if width == "phone":
        with browser.phone_width(driver):
            _screenshot(driver, base_url, name.replace(".png", "-phone.png"), *SHOTS[name])
    else:
        _screenshot(driver, base_url, name.replace(".png", "-desktop.png"), *SHOTS[name])


def _screenshot(driver, base_url, name: str, page: str, anchor: str) -> None:
    driver.get(base_url + page)
    error = driver.execute_async_script(browser._WAIT_FOR_MATH, browser.MATH_TIMEOUT_S * 1000)
    assert error is None, error
    shown = driver.execute_script("""
        const el = document.getElementById(arguments[0]);
        if (!el) return null;
        el.scrollIntoView({block: arguments[0].startsWith("fig-") ? "center" : "start"});
        const box = el.getBoundingClientRect();
        return {top: box.top, bottom: box.bottom, height: innerHeight,
                math: document.querySelectorAll("mjx-container").length,
                images: [...el.querySelectorAll("img")].every((img) => img.complete && img.naturalWidth > 0)};
    """, anchor)
    assert shown is not None, f"{page} has no element #{anchor}"
    assert 0 <= shown["top"] < shown["height"], f"#{anchor} is not on screen: {shown}"
    assert shown["math"] > 0 and shown["images"], f"{page}: math or images missing at #{anchor}: {shown}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    assert driver.save_screenshot(str(path)), f"could not save {path}"
    assert path.stat().st_size > 20_000, f"{path} is suspiciously small ({path.stat().st_size} bytes): a blank page?"
