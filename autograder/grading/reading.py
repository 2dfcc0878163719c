"""The pipeline's first stage, read: a submission's bytes, from regular files only, within its size, decoded.

Every route reads through here: `course.py grade` (`read_submission`, `read_timestamp`), and `nbgrader autograde`
and the formgrader's Autograde button (`SubmissionExporter`, nbgrader's exporter class for Autograde, set in
nbgrader_config.py). Paths are opened one component at a time without following a symbolic link (a link to
`solutions/` or to a classmate's notebook is refused with the reason), only a regular file of at most
MAX_NOTEBOOK_BYTES is read, a byte-order mark is accepted and a lone surrogate escaped in the JSON becomes U+FFFD
(it could never be written back as UTF-8). What cannot be read is the student's: a zero with the reason, never
"not graded".
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter
from nbformat.v4 import new_markdown_cell, new_notebook

from autograder.grading import wire

MAX_NOTEBOOK_BYTES = 8 * 2**20
MAX_CELLS = 400


def read_regular(base: Path, parts: list[str], limit: int) -> bytes:
    """The bytes of base/parts[0]/.../parts[-1], following no symlink on the way and accepting only a regular
    file of at most `limit` bytes (OSError otherwise: ELOOP for a symlink, EFBIG for a big file)."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            flags = os.O_RDONLY | os.O_NOFOLLOW | (os.O_NONBLOCK if last else os.O_DIRECTORY)
            try:
                new = os.open(part, flags, dir_fd=fd)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.ENOTDIR) and stat.S_ISLNK(os.lstat(part, dir_fd=fd).st_mode):
                    raise OSError(errno.ELOOP, f"{part} is a symbolic link") from None
                raise
            os.close(fd)
            fd = new
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{'/'.join(parts)} is not a regular file")
        if info.st_size > limit:
            raise OSError(f"the file is {info.st_size / 2**20:.1f} MiB, over the {limit / 2**20:.0f} MiB budget")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise OSError(f"the file is over the {limit / 2**20:.0f} MiB budget")
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_notebook(raw: bytes):
    """The notebook in `raw` (UTF-8, with or without a byte-order mark), validated; lone surrogates scrubbed."""
    nb = nbformat.reads(raw.decode("utf-8-sig"), as_version=4)
    text = nbformat.writes(nb)
    if not text.isascii() and wire.scrub_text(text) != text:
        nb = nbformat.reads(wire.scrub_text(text), as_version=4)
    nbformat.validate(nb)
    return nb


def read_submission(course: Path, student: str, chapter: str, max_bytes: int = MAX_NOTEBOOK_BYTES,
                    max_cells: int = MAX_CELLS):
    """The notebook, or the reason it cannot be graded (a symlink, not a file, over budget, not a notebook)."""
    try:
        raw = read_regular(course / "submitted", [student, chapter, f"{chapter}.ipynb"], max_bytes)
    except OSError as err:
        why = "a symbolic link (not followed)" if err.errno == errno.ELOOP else (err.strerror or str(err))
        return None, f"invalid submission: {chapter}.ipynb could not be opened as a regular file: {why}"
    try:
        nb = parse_notebook(raw)
    except Exception as err:  # not JSON, not a notebook, an nbformat nobody reads
        return None, f"invalid notebook ({type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''})"
    if len(nb.cells) > max_cells:
        return None, f"over budget: the notebook has {len(nb.cells)} cells (at most {max_cells})"
    return nb, None


def read_timestamp(course: Path, student: str, chapter: str, name: str = "timestamp.txt"
                   ) -> tuple[bytes | None, str | None]:
    """The bytes of the small file `name` beside the submission (timestamp.txt, submission_secret.txt), or a note
    why it was ignored (a symlink, not a regular file, too big)."""
    try:
        return read_regular(course / "submitted", [student, chapter, name], 4096), None
    except FileNotFoundError:
        return None, None
    except OSError as err:
        return None, f"{name} ignored: not a regular file of at most 4 KiB ({err.strerror or err})"


def unreadable_notebook(why: str, release: Path | None = None):
    """What stands for a submission that cannot be read, in nbgrader's routes: the released notebook (no answers)
    with the reason on top, so that every test fails: a graded zero with the reason, as `course.py grade` records
    one. Without a release, the reason alone."""
    note = new_markdown_cell(f"**Grader's notes**\n\n* {why}")
    try:
        nb = nbformat.read(release, as_version=4) if release else None
    except (OSError, ValueError):
        nb = None
    if nb is None:
        return new_notebook(cells=[note])
    nb.cells.insert(0, note)
    return nb


class SubmissionExporter(NotebookExporter):
    """nbconvert's notebook exporter reading as `read_submission` does: configured as `c.Autograde.exporter_class`,
    so that nbgrader's Autograde (the command and the formgrader's button) never follows a submitted link.

    Two more things only the exporter can do inside nbgrader's converter: the pass that saves the grades runs in
    one gradebook transaction (`record.one_transaction`: one commit per notebook, not one per cell, as the course's
    command records), and a conversion that raises gives the course's lock back (`course_lock.release_held`)."""

    def from_filename(self, filename, resources=None, **kw):
        try:
            return self._from_filename(filename, resources, **kw)
        except BaseException:
            from autograder.grading import course_lock
            course_lock.release_held()
            raise

    def from_notebook_node(self, nb, resources=None, **kw):
        from nbgrader.preprocessors import SaveAutoGrades
        db_url = ((resources or {}).get("nbgrader") or {}).get("db_url")
        if db_url is None or not any(isinstance(p, SaveAutoGrades) for p in self._preprocessors):
            return super().from_notebook_node(nb, resources, **kw)
        from autograder.grading.record import one_transaction
        with one_transaction(db_url):
            return super().from_notebook_node(nb, resources, **kw)

    def _from_filename(self, filename, resources=None, **kw):
        path = Path(filename).absolute()
        coursedir = getattr(self.parent, "coursedir", None)
        root = Path(getattr(coursedir, "root", None) or path.parent)
        info = (resources or {}).get("nbgrader", {})
        release = Path(coursedir.format_path(coursedir.release_directory, ".", info["assignment"])) / path.name \
            if coursedir is not None and "assignment" in info else None
        try:
            parts = list(path.relative_to(root).parts)
        except ValueError:
            root, parts = path.parent, [path.name]
        resources = self._init_resources(resources)
        resources.setdefault("metadata", {})
        resources["metadata"].setdefault("name", path.stem)
        resources["metadata"].setdefault("path", str(path.parent))
        try:
            nb = parse_notebook(read_regular(root, parts, MAX_NOTEBOOK_BYTES))
            if len(nb.cells) > MAX_CELLS:
                nb = unreadable_notebook(f"over budget: the notebook has {len(nb.cells)} cells (at most {MAX_CELLS})",
                                         release)
        except OSError as err:
            why = "a symbolic link (not followed)" if err.errno == errno.ELOOP else (err.strerror or str(err))
            self.log.warning("%s: %s", filename, why)
            nb = unreadable_notebook(f"invalid submission: {path.name} could not be opened as a regular file: "
                                     f"{why}", release)
        except Exception as err:  # noqa: BLE001 (not JSON, not a notebook: the student's file)
            first = (str(err).splitlines() or [""])[0][:200]
            nb = unreadable_notebook(f"invalid notebook ({type(err).__name__}: {first})", release)
        return self.from_notebook_node(nb, resources=resources, **kw)
