"""Feedback returned to students, from one small graded course (chapter 1; three students): every graded cell is
named, the instructor's paths are gone, what student code printed or displayed is escaped (issue 14's `<script>`),
long messages wrap, and the math is typeset offline by the MathJax 3 the page carries (checked in a real browser
when one is installed). Unit tests for the pieces (names, paths, escaping) need no grading run."""
from __future__ import annotations

import html
import re
import sysconfig

import nbformat
import pytest

from autograder.grading import course_folder, feedback
from autograder.grading.autograde import grade
from autograder.grading.demo import sample_notebook
from autograder.grading.samples import Sample
from autograder.layout import ROOT

CHAPTER = "elman_jordan"

SHOUTY_STEP = '''
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return np.tanh(X_t @ W_xh + H_prev @ W_hh + b_h)

from IPython.display import HTML, Javascript, display
print("<script>alert('printed')</script>")
display(HTML("<script>alert('displayed')</script><b>bold</b>"))
display(Javascript("alert('javascript')"))
'''

WRONG_STEP = '''
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return np.tanh(X_t @ W_xh + b_h)           # the recurrent term is missing

np.linalg.inv(np.zeros((2, 2)))               # an error raised inside numpy: its traceback names numpy's files
'''


SCRIPT_MD = "<script>alert('markdown')</script>\n\n<img src=x onerror=\"alert('img')\">"
SCRIPT_ID = "<script>alert('id')</script>"


def scripty_cells():
    """A markdown cell the student added, a copy of a test cell under an id the source lacks (the grader's notes
    quote it) and an answer cell whose grade_id is markup (nbgrader's template writes grade_ids unescaped)."""
    return [nbformat.v4.new_markdown_cell(SCRIPT_MD),
            nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {
                "grade": True, "grade_id": SCRIPT_ID, "locked": True, "points": 1, "solution": False}}),
            nbformat.v4.new_markdown_cell("my answer", metadata={"nbgrader": {
                "grade": False, "grade_id": '"><img src=x onerror=alert(2)>', "locked": False, "solution": True,
                "task": False}})]


@pytest.fixture(scope="module")
def feedback_pages(tmp_path_factory) -> dict[str, str]:
    """Grade three students of chapter 1 with the course's command; their feedback pages' HTML by student."""
    out = tmp_path_factory.mktemp("feedback")
    course = course_folder.make_course(out / "course", [CHAPTER])
    samples = {"correct": Sample("right"),
               "shouty": Sample("prints and displays markup", cells={"elman_step": SHOUTY_STEP}),
               "wrong": Sample("forgets the recurrent term", cells={"elman_step": WRONG_STEP})}
    samples["scripty"] = Sample("adds markup of its own: a markdown cell, cell ids the grader's notes quote")
    course_folder.add_students(course, sorted(samples))
    for student, sample in samples.items():
        path = out / f"{student}.ipynb"
        nb = sample_notebook(CHAPTER, sample)
        if student == "scripty":
            nb.cells[1:1] = scripty_cells()
        nbformat.write(nb, path)
        course_folder.submit(course, student, CHAPTER, path)
    grade(course, [CHAPTER], workers=2, timeout=30, log=lambda *a: None, report=False)
    pages = {student: (course / "feedback" / student / CHAPTER / f"{CHAPTER}.html") for student in samples}
    missing = [str(p) for p in pages.values() if not p.is_file()]
    assert not missing, f"no feedback written: {missing}"
    not_run = [s for s, page in pages.items() if "the notebook could not be run" in page.read_text()]
    assert not not_run, f"the grader could not run the notebooks of {not_run}: the feedback has nothing to check"
    return {"course": str(course), **{student: page.read_text() for student, page in pages.items()}}


# ------------------------------------------------------------------------------------------- the pieces

def test_cell_titles_name_the_exercise_and_the_kind_of_test():
    assert feedback.cell_title("test_lstm_step_visible") == "lstm_step \N{EM DASH} visible tests"
    assert feedback.cell_title("test_count_params_hidden") == "count_params \N{EM DASH} hidden tests"
    assert feedback.cell_title("elman_step") == "elman_step \N{EM DASH} your answer"


def test_strip_paths_keeps_the_file_and_line_but_not_the_folders(tmp_path):
    purelib = sysconfig.get_paths()["purelib"]
    text = (f"File {ROOT}/autograder/checks.py:106, in check_close\n"
            f"File /srv/another/checkout/autograder/cases/lstm.py:7\n"
            f"File {purelib}/numpy/linalg/_linalg.py:104\n"
            f"File /home/someone/other-venv/lib/python3.11/site-packages/torch/nn/modules/module.py:12\n"
            f"open('{tmp_path}/course/gradebook.db')")
    clean = feedback.strip_paths(text, course=str(tmp_path / "course"))
    assert "autograder/checks.py:106" in clean and "numpy/linalg/_linalg.py:104" in clean
    assert "File autograder/cases/lstm.py:7" in clean
    assert "torch/nn/modules/module.py:12" in clean and "gradebook.db" in clean
    for private in (str(ROOT), purelib, "site-packages", "/home/someone", "/srv/another", str(tmp_path)):
        assert private not in clean, f"{private} left in {clean!r}"


def test_markup_output_becomes_text():
    out = nbformat.v4.new_output("display_data", data={"text/html": "<script>x()</script>",
                                                        "application/javascript": "x()"})
    feedback.FeedbackForStudents._clean_output(out)
    assert set(out["data"]) == {"text/plain"} and out["data"]["text/plain"] == "<script>x()</script>"


# -------------------------------------------------------------------------------- a graded course's pages

def test_each_graded_cell_is_named_with_its_score(feedback_pages):
    page = feedback_pages["correct"]
    contents = re.findall(r'<li><a href="#([\w-]+)">([^<]+)</a> \(Score: ([\d.]+) / ([\d.]+)\)</li>', page)
    assert contents, "the feedback page has no list of graded cells with scores"
    for grade_id, title, _score, _points in contents:
        assert title == feedback.cell_title(grade_id), f"{grade_id} is listed as {title!r}"
    assert "elman_step \N{EM DASH} visible tests" in page and "elman_step \N{EM DASH} hidden tests" in page
    assert ">Test cell<" not in page and "Grade cell: <code>" not in page


def test_printed_and_displayed_markup_is_escaped(feedback_pages):
    """Issue 14: a `<script>` that student code prints or displays shows as text; nothing of it runs."""
    page = feedback_pages["shouty"]
    for raw in ("<script>alert('printed')</script>", "<script>alert('displayed')</script>", "<b>bold</b>"):
        assert raw not in page, f"{raw!r} reached the feedback page as markup"
    body = page.split("</head>", 1)[1]
    assert "<script>alert('printed')</script>" in html.unescape(re.sub(r"<[^>]+>", "", body)), (
        "the printed <script> is not shown as text")
    assert "<script" not in body.lower(), "a script tag reached the page's body"
    assert "application/javascript" not in page


def test_no_instructor_paths(feedback_pages):
    purelib = sysconfig.get_paths()["purelib"]
    page = feedback_pages["wrong"]
    assert "LinAlgError" in page, "the numpy error expected in this student's feedback is missing"
    for private in (str(ROOT), purelib, "site-packages", feedback_pages["course"]):
        assert private not in page, f"the feedback shows the instructor's path {private}"
    shown = html.unescape(re.sub(r"<[^>]+>", "", page.split("</head>", 1)[1]))
    absolute = re.findall(r"File /\S+", shown)
    assert not absolute, f"tracebacks in the feedback name absolute paths: {absolute[:3]}"


def test_math_and_style_are_inline_without_a_cdn(feedback_pages):
    page = feedback_pages["correct"]
    head = page.split("</head>", 1)[0]
    assert not re.search(r"<(script|link)\b[^>]*\b(src|href)=\"(https?:)?//", page), "the page loads from the web"
    assert "cdnjs" not in page and "MathJax.Hub" not in page, "nbconvert's MathJax 2 from a CDN is still there"
    assert "white-space: pre-wrap" in head, "long messages would not wrap"


def test_math_is_mathml_and_the_page_is_light(feedback_pages):
    """Issue 25: math is rendered when the page is made (MathML, no script), and a page is under 200 KB (it was
    2.2 MB, MathJax inlined)."""
    page = feedback_pages["correct"]
    assert "<math" in page and "<mfrac" in page or "<msub" in page, "the instructor's math is not MathML"
    assert "<script" not in page.lower(), "the feedback page carries a script"
    assert len(page.encode()) < 200_000, f"the feedback page is {len(page.encode()) / 1000:.0f} KB"


def test_math_renders_offline_in_a_browser(feedback_pages, tmp_path):
    """The page's math is MathML, which the browser renders itself: no script runs, nothing is fetched."""
    from tests.helpers import browser
    reason = browser.missing_reason()
    if reason:
        pytest.skip(reason)
    page = tmp_path / "feedback.html"
    page.write_text(feedback_pages["wrong"])
    driver = browser.start_chrome(tmp_path / "profile", tmp_path / "downloads")
    try:
        driver.get(page.as_uri())
        state = driver.execute_script("""
            const math = [...document.querySelectorAll("math")];
            return {math: math.length, scripts: document.scripts.length,
                    drawn: math.filter(m => m.getBoundingClientRect().width > 0).length};""")
        # The browser's own pages (chrome://) are not the feedback's; anything over the network would be.
        requests = [r for r in browser._network(driver)[0] if r.startswith(("http:", "https:", "ws:", "wss:"))]
    finally:
        driver.quit()
    assert state["math"] > 0 and state["drawn"] == state["math"] and state["scripts"] == 0, state
    assert not requests, f"the feedback page made network requests: {requests}"


def test_students_markup_is_text(feedback_pages):
    """Issue 25: a markdown cell the student added, and notes quoting a cell id the student chose, are shown as
    text; nothing of them runs. The instructor's own markdown still renders."""
    page = feedback_pages["scripty"]
    body = page.split("</head>", 1)[1]
    assert "<script" not in body.lower(), "a script tag reached the page's body"
    assert not re.search(r"<img[^>]*onerror", body), "an <img onerror> reached the page as markup"
    shown = html.unescape(re.sub(r"<[^>]+>", "", body))
    assert "<script>alert('markdown')</script>" in shown, "the student's markdown is not shown as text"
    assert "Grader's notes" in shown and "alert('id')" in shown, "the note quoting the cell id is missing"
    assert "<h1" in feedback_pages["correct"] or "<h2" in feedback_pages["correct"], (
        "the instructor's markdown no longer renders")
