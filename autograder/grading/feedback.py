"""What students get back from `nbgrader generate_feedback`: nbgrader preprocessors and the feedback page's template.

nbgrader's feedback shows each autograded cell as it ran, hidden tests included, and tracebacks quote their
lines. In a cell that held hidden tests `HideHiddenTests` keeps what the student needs, the visible part and the
error's message (which says which case, step and element failed), and drops the hidden source and traceback frames.
Set `c.HideHiddenTests.enabled = False` in nbgrader_config.py to show everything.

`FeedbackForStudents` makes the page readable anywhere and safe to open: it names each graded cell after its
grade_id ("lstm_step — visible tests"), removes the instructor's paths (course root, virtual environment, Python's
installation) from outputs and tracebacks, turns what student code displayed as HTML, JavaScript, SVG or Markdown into
plain text (nbconvert escapes text; a printed `<script>` shows as text), shows every markdown cell that is not the
instructor's own as text, turns the instructor's TeX into MathML when the page is made (latex2mathml: browsers
render it with no script, offline) and puts the course's style (long messages wrap) into the page itself:
nbgrader's `release_feedback` hands back the HTML file alone. The page carries no MathJax (it was 2 MB of each
2.2 MB page). The template (feedback_templates/course_feedback) drops nbgrader's CDN MathJax 2 and puts the names
in place.
"""
from __future__ import annotations

import functools
import html
import os
import re
import sys
import sysconfig
import threading
from functools import cache
from pathlib import Path

import latex2mathml.converter
from jinja2 import pass_context as contextfilter
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from autograder.grading.release import SECRET_BLOCK
from autograder.layout import ROOT

PLACEHOLDER = "# (hidden tests: their source is not shown; the result and the message below are)"

# nbconvert's template settings for the feedback page (nbgrader_config.py sets them on CourseFeedbackExporter).
TEMPLATE_NAME = "course_feedback"
TEMPLATE_FILE = "feedback_page.html.j2"   # not index.html.j2: it extends nbgrader's, found next on the path


def template_dirs() -> list[str]:
    """nbgrader's template folder (the page extends its feedback template) and the course's."""
    import nbgrader
    nbgrader_templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
    return [str(nbgrader_templates), str(Path(__file__).parent / "feedback_templates")]


SAFE_MIME = {"text/plain", "image/png", "image/jpeg"}
STYLE = """
/* Long messages and tracebacks wrap instead of scrolling sideways. */
div.output_subarea pre, div.output_text pre, div.output_area pre, div.output_stderr pre, div.output_error pre {
  white-space: pre-wrap; overflow-wrap: anywhere; word-break: normal;
}
div.input_area pre { white-space: pre-wrap; overflow-wrap: anywhere; }
mjx-container[display="true"] { max-width: 100%; overflow-x: auto; overflow-y: hidden; }
"""
# Math in the instructor's markdown, TeX between $...$, $$...$$, \(...\) or \[...\] (a `$` escaped as \$ is text).
_MATH = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$|\\\((.+?)\\\)", re.S)
_CODE = re.compile(r"(`+)(?:.+?)\1", re.S)


def _mathml(match: re.Match) -> str:
    display, display2, inline, inline2 = match.groups()
    tex = display or display2 or inline or inline2
    try:
        return latex2mathml.converter.convert(tex.strip(), display="block" if display or display2 else "inline")
    except Exception:  # noqa: BLE001 (TeX the converter does not know is shown as TeX, not dropped)
        return f"<code>{html.escape(match.group(0))}</code>"


@functools.lru_cache(maxsize=4096)
def math_to_mathml(markdown: str) -> str:
    """`markdown` with its TeX turned into MathML (latex2mathml), outside code spans: the page shows math with no
    script at all (browsers render MathML), offline and light."""
    parts, last = [], 0
    for code in _CODE.finditer(markdown):
        parts += [_MATH.sub(_mathml, markdown[last:code.start()]), code.group(0)]
        last = code.end()
    parts.append(_MATH.sub(_mathml, markdown[last:]))
    return "".join(parts)


@cache
def page_head() -> str:
    """What the feedback page's head gets: the course's style (math is MathML already: no script)."""
    return f"<style type=\"text/css\">{STYLE}</style>"


def cell_title(grade_id: str) -> str:
    """A graded cell's name in words: `test_lstm_step_visible` -> "lstm_step — visible tests"."""
    match = re.fullmatch(r"test_(.+)_(visible|hidden)", grade_id)
    if match:
        return f"{match.group(1)} \N{EM DASH} {match.group(2)} tests"
    return f"{grade_id} \N{EM DASH} your answer"


@cache
def _private_prefixes(course: str) -> tuple[str, ...]:
    """Folders whose names must not reach students, longest first (a nested one is replaced before its parent)."""
    found = {str(ROOT), course, sys.prefix, sys.base_prefix, sys.exec_prefix}
    found |= {path for key, path in sysconfig.get_paths().items() if key in {"purelib", "platlib", "stdlib"}}
    found = {p.rstrip("/") for p in found if p and p not in {"/", ""}}
    return tuple(sorted(found, key=len, reverse=True))


# Any other installation's packages folder (a second virtual environment, a system Python's).
_PACKAGES = re.compile(r"(?:/[^\s/'\"():]+)+/(?:site|dist)-packages/")
_PYTHON_LIB = re.compile(r"(?:/[^\s/'\"():]+)+/lib/python3\.\d+/")
# The course package wherever the grader's kernel imported it from (another checkout, an editable install).
_COURSE_PACKAGE = re.compile(r"(?:/[^\s/'\"():]+)+/(?=autograder/)")


def strip_paths(text: str, course: str | None = None) -> str:
    """`text` with the instructor's absolute paths shortened: the course's files to their path in the course
    (`autograder/checks.py`), installed packages' to their path in site-packages (`numpy/...`), Python's to its
    library's."""
    for prefix in _private_prefixes(course or os.getcwd()):
        for variant in (prefix + "/site-packages/", prefix + "/"):
            text = text.replace(variant, "")
        text = text.replace(prefix, ".")
    return _COURSE_PACKAGE.sub("", _PYTHON_LIB.sub("", _PACKAGES.sub("", text)))


def _as_text(data: dict) -> str:
    """The text a student would have seen for an output that will not be rendered as markup."""
    if "text/plain" in data:
        return data["text/plain"]
    return next((value for key, value in data.items() if key.startswith("text/") or key.endswith(("json", "xml"))),
                "(an output that is not shown in feedback)")


_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)")


class CourseFeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter under a name of its own, so that the course's feedback template is configured for
    `GenerateFeedback` alone (`c.CourseFeedbackExporter...` in nbgrader_config.py). Set on `HTMLExporter`, it was
    also the formgrader's template, and every submission view failed with HTTP 500.

    Two costs of nbconvert's are cut, without changing the page: its HTMLExporter parses each finished page with
    BeautifulSoup (60% of a page's time, the MathML is thousands of tags) only to add an `alt` to images that lack
    one and `tabindex` to the lab template's cells (this page uses the classic template: none there), so images get
    their `alt` from a regular expression instead; and markdown (the instructor's text, the same on every page) and
    highlighted code are rendered once per process per distinct source."""

    def from_notebook_node(self, nb, resources=None, **kw):
        langinfo = nb.metadata.get("language_info", {})
        self.register_filter("highlight_code", _cached(Highlight2HTML(
            pygments_lexer=langinfo.get("pygments_lexer", langinfo.get("name")), parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _IMG_WITHOUT_ALT.sub('<img alt="No description has been provided for this image"', page), resources

    @contextfilter
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        if cell.get("attachments"):
            return super().markdown2html(context, source)
        return _markdown_html(self, source)


@functools.lru_cache(maxsize=4096)
def _markdown_html(exporter, source: str) -> str:
    return HTMLExporter.markdown2html(exporter, {}, source)


def _cached(highlight):
    """Highlight2HTML with its pages' code (the same test cells on every page) highlighted once per source (of the
    cell's metadata it reads only `magics_language`)."""
    @functools.lru_cache(maxsize=4096)
    def by_source(source, language, magics):
        return highlight(source, language, {"magics_language": magics} if magics else None)
    return lambda source, language=None, metadata=None: by_source(
        source, language, (metadata or {}).get("magics_language"))


class HideHiddenTests(NbGraderPreprocessor):
    enabled = Bool(True, help="Hide the source of hidden tests in feedback").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if not self.enabled or cell.cell_type != "code" or "### BEGIN HIDDEN TESTS" not in cell.source:
            return cell, resources
        cell.source = SECRET_BLOCK.sub(PLACEHOLDER + "\n", cell.source + "\n").rstrip("\n")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [f"{out.get('ename')}: {out.get('evalue')}"]
        return cell, resources


_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.-]")


def instructor_markdown(gb, notebook: str) -> dict[str, str]:
    """{grade_id: source} of the source notebook's locked markdown cells, in the gradebook `gb`."""
    record = gb.find_notebook(notebook, notebook)
    return {c.name: c.source for c in record.source_cells if c.cell_type == "markdown" and c.locked}


def _instructor_markdown(info: dict) -> dict[str, str]:
    """instructor_markdown, read for nbgrader's feedback route (empty when the gradebook cannot be read: then every
    markdown cell is shown as text)."""
    from nbgrader.api import Gradebook
    try:
        with Gradebook(info["db_url"]) as gb:
            record = gb.find_notebook(info["notebook"], info["assignment"])
            return {c.name: c.source for c in record.source_cells if c.cell_type == "markdown" and c.locked}
    except Exception:  # noqa: BLE001 (no gradebook, no record: nothing is trusted as markup)
        return {}


class FeedbackForStudents(NbGraderPreprocessor):
    """Names, paths, escaping and the page's head (see the module's docstring). Runs after nbconvert's
    CSSHTMLHeaderPreprocessor."""

    def preprocess(self, nb, resources):
        given = resources.setdefault("course_feedback", {})
        given["head"] = page_head()
        # A worker is handed the instructor's markdown with its job (it reads no gradebook); nbgrader's route reads it.
        self._instructors = given.get("instructor_markdown")
        if self._instructors is None:
            self._instructors = _instructor_markdown(resources.get("nbgrader", {}))
        self._course = given.get("course")
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str):
            # nbgrader's template writes grade_ids into attributes unescaped; a student may have chosen one.
            meta["grade_id"] = _UNSAFE_ID.sub("_", meta["grade_id"])[:100]
        if meta.get("grade") or meta.get("task"):
            cell.metadata["course_feedback"] = {"title": cell_title(meta.get("grade_id", ""))}
        # Markdown is rendered as markup only where it is the instructor's own text (a locked cell of the source,
        # unchanged); a student's answer, a cell they added and the grader's notes (which quote what students
        # chose: cell ids, file names) are text.
        if cell.cell_type == "markdown" and self._instructors.get(meta.get("grade_id")) != cell.source:
            cell.source = html.escape(cell.source, quote=False)
        elif cell.cell_type == "markdown":
            cell.source = math_to_mathml(cell.source)
        for out in cell.get("outputs", []):
            self._clean_output(out, self._course)
        return cell, resources

    @staticmethod
    def _clean_output(out, course: str | None = None) -> None:
        strip = functools.partial(strip_paths, course=course)
        kind = out.get("output_type")
        if kind == "stream":
            out["text"] = strip(out.get("text", ""))
        elif kind == "error":
            out["evalue"] = strip(out.get("evalue", ""))
            out["traceback"] = [strip(line) for line in out.get("traceback", [])]
        elif kind in {"display_data", "execute_result"}:
            data = out.get("data", {})
            if set(data) - SAFE_MIME:
                text = _as_text(data)
                for key in list(data):
                    if key not in SAFE_MIME:
                        del data[key]
                data["text/plain"] = text
            if "text/plain" in data:
                data["text/plain"] = strip(data["text/plain"])


# ---------------------------------------------------------------- the page, made where the notebook ran


class GradesFromResult(NbGraderPreprocessor):
    """nbgrader's GetGrades, from the scores the worker computed instead of the gradebook (a worker reads none):
    `resources["course_feedback"]["grades"]` is {grade_id: [score, max_score]}. The coordinator records a notebook
    only where the gradebook gives the same scores (`validate.check_scores`)."""

    def preprocess(self, nb, resources):
        grades = resources["course_feedback"]["grades"]
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and meta.get("grade_id") in grades:
                meta["score"], meta["points"] = grades[meta["grade_id"]]
            if meta.get("solution") or meta.get("grade"):
                meta["comment"] = None          # no grader has commented yet: the page shows none
        penalty = float(resources["course_feedback"].get("late_penalty") or 0.0)
        info = resources["nbgrader"]
        info["score"] = sum(score or 0.0 for score, _ in grades.values()) - penalty
        info["max_score"] = sum(points for _, points in grades.values())
        info["late_penalty"] = penalty
        return nb, resources


def _exporter_config(show_hidden: bool):
    """The configuration nbgrader_config.py gives `nbgrader generate_feedback`, with GradesFromResult for GetGrades
    (nbgrader's own GenerateFeedback adds bootstrap's folder, which its page template includes)."""
    import nbgrader
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from traitlets.config import Config
    c = Config()
    c.CourseFeedbackExporter.preprocessors = [GradesFromResult, HideHiddenTests, CSSHTMLHeaderPreprocessor,
                                              FeedbackForStudents]
    c.CourseFeedbackExporter.template_name = TEMPLATE_NAME
    c.CourseFeedbackExporter.template_file = TEMPLATE_FILE
    c.CourseFeedbackExporter.extra_template_basedirs = template_dirs()
    c.CourseFeedbackExporter.extra_template_paths = [str(Path(nbgrader.__file__).parent / "server_extensions" /
                                                         "formgrader" / "static" / "node_modules" / "bootstrap" /
                                                         "dist" / "css")]
    c.HideHiddenTests.enabled = not show_hidden
    return c


_exporters = threading.local()       # an exporter registers filters as it renders: one per thread


def render_page(nb, notebook: str, student: str, grades: dict[str, list], instructor_markdown: dict[str, str],
                show_hidden: bool = False, late_penalty: float = 0.0, course: str | None = None) -> str:
    """The feedback page of one graded notebook, as `nbgrader generate_feedback` makes it with the course's
    configuration, from plain data: no gradebook, no files (a worker renders it where the notebook ran)."""
    key = bool(show_hidden)
    cache = getattr(_exporters, "by_key", None)
    if cache is None:
        cache = _exporters.by_key = {}
    if key not in cache:
        cache[key] = CourseFeedbackExporter(config=_exporter_config(show_hidden))
    resources = {"nbgrader": {"notebook": notebook, "assignment": notebook, "student": student},
                 "course_feedback": {"grades": grades, "instructor_markdown": instructor_markdown,
                                     "late_penalty": late_penalty, "course": course}}
    page, _ = cache[key].from_notebook_node(nb, resources=resources)
    return page
