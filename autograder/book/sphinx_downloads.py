"""A Sphinx extension: on a chapter's page, the header's download button offers the chapter's exercise notebook
and a zip of its exercise folder (the notebook with whatever files it needs, the course's package as a wheel and a
START HERE.txt with the learner's two commands), not the page's Markdown source.

The zip, `_downloads/exercises/<id>.zip`, is written into the site at the end of every build from
`exercises/<id>/` (the release) and the wheel built then (`learner_wheel`, also served at
`_downloads/exercises/<wheel>`), so it never goes stale. The notebook link is the same file the page's own
`{download}` link serves (Sphinx copies it to `_downloads/<hash>/<id>.ipynb`).

Enabled in `_config.yml` (`sphinx: extra_extensions`); it needs sphinx-book-theme, whose header buttons it edits.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from autograder.book.learner_wheel import build_wheel
from autograder.layout import ROOT, chapters
from autograder.learner_setup import DOWNLOAD_TEXT, WHEEL_FOLDER, download_text

ZIP_FOLDER = WHEEL_FOLDER                     # in the built site: the zips beside the wheel
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)             # fixed entry times: the same release gives the same bytes


def _chapter_of(pagename: str) -> str | None:
    """The chapter id of a chapter page (`book/<id>`) whose exercise notebook is released, else None."""
    folder, _, name = pagename.rpartition("/")
    if folder == "book" and name in chapters() and (ROOT / "exercises" / name / f"{name}.ipynb").is_file():
        return name
    return None


def zip_path(chapter: str) -> str:
    """Where the chapter's zip lies in the built site, relative to the site's root."""
    return f"{ZIP_FOLDER}/{chapter}.zip"


def write_zip(chapter: str, target: Path, wheel: Path) -> Path:
    """Zip `exercises/<chapter>/` (every file), the wheel and START HERE.txt, under a folder named after the chapter,
    into `target`."""
    folder = ROOT / "exercises" / chapter
    files = {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*")
             if path.is_file() and ".ipynb_checkpoints" not in path.parts}
    files[wheel.name] = wheel.read_bytes()
    files[DOWNLOAD_TEXT] = download_text(chapter).encode()
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{chapter}/{name}", date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compress_type=zipfile.ZIP_DEFLATED)
    return target


def _notebook_url(app, chapter: str, pathto) -> str | None:
    """The URL of the chapter's notebook as the page's `{download}` role copied it, if the page links it."""
    wanted = f"exercises/{chapter}/{chapter}.ipynb"
    for source, (_docnames, dest) in app.env.dlfiles.items():
        if Path(source).as_posix().endswith(wanted):
            return pathto(f"_downloads/{dest}", 1)
    return None


def offer_exercises(app, pagename, templatename, context, doctree) -> None:
    """Replace the page's source download (.md) in the header's download menu by the notebook and the zip."""
    chapter = _chapter_of(pagename)
    if chapter is None:
        return
    pathto = context["pathto"]
    for button in context.get("header_buttons", []):
        if button.get("label") != "download-buttons":
            continue
        offered = []
        notebook = _notebook_url(app, chapter, pathto)
        if notebook:
            offered.append({"type": "link", "url": notebook, "text": f"{chapter}.ipynb", "icon": "fas fa-code",
                            "tooltip": "Download the exercise notebook", "label": "download-exercise-notebook"})
        offered.append({"type": "link", "url": pathto(zip_path(chapter), 1), "text": f"{chapter}.zip",
                        "icon": "fas fa-file-zipper", "label": "download-exercise-zip",
                        "tooltip": "Download the exercise folder (notebook and data) as a zip"})
        rest = [b for b in button["buttons"] if b.get("label") not in {"download-source-button",
                                                                        "download-notebook-button"}]
        button["buttons"] = offered + rest
        button["tooltip"] = "Download the exercises"


def write_zips(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        wheel = build_wheel(Path(app.outdir) / WHEEL_FOLDER)
        for chapter in chapters():
            if (ROOT / "exercises" / chapter / f"{chapter}.ipynb").is_file():
                write_zip(chapter, Path(app.outdir) / zip_path(chapter), wheel)


def setup(app):
    # sphinx-book-theme fills the header buttons at priority 501; edit them after it.
    app.connect("html-page-context", offer_exercises, priority=900)
    app.connect("build-finished", write_zips)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
