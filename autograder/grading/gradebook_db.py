"""Which gradebook a course uses: nbgrader's own `CourseDirectory.db_url`, resolved as nbgrader resolves it.

    db_url(course, override=None) -> "sqlite:///COURSE/gradebook.db" | "postgresql+psycopg://user@host:5432/db" | ...

The order is nbgrader's: the `nbgrader_config.py` files in Jupyter's config path, then the course's own, then the
command line (`--db URL`, passed here as `override`); with none of them set, nbgrader's default, the embedded SQLite
file `gradebook.db` in the course root. PostgreSQL goes through SQLAlchemy's psycopg (3) driver, pinned in
requirements.txt: `c.CourseDirectory.db_url = "postgresql+psycopg://grader@db.example.org/rnn_course"`.
"""
from __future__ import annotations

from pathlib import Path

from jupyter_core.paths import jupyter_config_path
from nbgrader.coursedir import CourseDirectory
from sqlalchemy.engine import make_url
from traitlets.config import Config
from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader


def course_config(course: Path) -> Config:
    """nbgrader's configuration for the course folder `course`, merged as nbgrader's apps merge it."""
    config = Config()
    # Lowest priority first, as nbgrader's apps load them (Jupyter's config path lists the user's folder first).
    for folder in [*reversed(jupyter_config_path()), str(course)]:
        try:
            config.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
        except ConfigFileNotFound:
            continue
    return config


def db_url(course: Path, override: str | None = None) -> str:
    """The gradebook's SQLAlchemy URL for the course folder `course`."""
    if override:
        return override
    config = course_config(course)
    config.CourseDirectory.root = str(course)      # the folder being graded, whatever the file says
    return CourseDirectory(config=config).db_url


def shown(url: str) -> str:
    """The URL with any password masked, for logs."""
    return make_url(url).render_as_string(hide_password=True)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"

