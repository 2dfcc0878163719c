"""The shape of a grading result, and the reason a failed graded cell lost its points.

error_reason turns a failed graded cell into one readable line
("CheckFailure: H is wrong from time step 1 on ... | Hint: ...").
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CellResult:
    grade_id: str
    score: float
    max_score: float
    reason: str = ""          # why points were lost: the error the test cell raised, first line


@dataclass
class StudentResult:
    student: str
    score: float
    max_score: float
    cells: list[CellResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # e.g. "locked cell edited: the original was graded"

    def reasons(self) -> list[str]:
        return self.notes + [f"{c.grade_id}: {c.reason}" for c in self.cells if c.score < c.max_score]


def error_reason(cell, limit: int = 600) -> str:
    """The error a graded cell raised, as one readable line (the check's whole message, hints included)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            name, value = out.get("ename"), " | ".join((out.get("evalue") or "").split("\n")).strip()
            # Under autograde nobody presses Ctrl-C: an interrupt is nbgrader stopping a cell at its time limit.
            if name in ("KeyboardInterrupt", "CellTimeoutError"):
                return "Timeout: the cell did not finish within the time limit and was interrupted (an endless loop?)"
            if name == "NotImplementedError" and not value:
                return "NotImplementedError: not answered (the cell still raises NotImplementedError)"
            text = f"{name}: {value}" if value else str(name)
            return text if len(text) <= limit else text[:limit] + " ..."
    return "no error output (scored by hand?)"
