"""One rule for a student id, applied by every command that takes one (roster import, zip_collect's and collect's
collectors, grade): an id names folders (submitted/<id>/, feedback/<id>/) and LMS rows, so it must be a plain,
safe file name. An unsafe id is refused at the first of them, with the reason, and never reaches the disk."""
from __future__ import annotations

import re

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")


def unsafe_id_reason(student: str, fix: str = "rename the folder in submitted/ and grade again") -> str | None:
    """Why `student` is not a safe id, ending with what to do (`fix`), or None when it is safe."""
    if SAFE_ID.fullmatch(student) and student not in (".", ".."):
        return None
    shown = student if len(student) <= 40 else student[:40] + f"... ({len(student)} characters)"
    return (f"student id {shown!r} is not a safe file name (letters, digits and ._@+- only, at most 64 "
            f"characters): {fix}")
