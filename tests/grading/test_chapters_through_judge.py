"""Every chapter judged the trusted way: the solution passes every test (visible and hidden, the torch-module
exercises through the stand-in, callables called back), and the blank release fails every visible test, so the
values typed into the visible tests are not stale."""
import nbformat
import pytest

from autograder.grading.demo import answer_from_solution
from autograder.grading.judge import TrustedNotebook, judge_notebook
from autograder.layout import ROOT, chapters


def outcomes(nb):
    return {c.metadata["nbgrader"]["grade_id"]: [o["ename"] for o in c.outputs if o.output_type == "error"]
            for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}


@pytest.mark.parametrize("chapter", chapters())
def test_solution_passes_and_blank_release_fails(chapter):
    source = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    trusted = TrustedNotebook.from_source_notebook(source)
    release = nbformat.read(ROOT / "exercises" / chapter / f"{chapter}.ipynb", as_version=4)
    answers = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in source.cells}
    solved = nbformat.reads(nbformat.writes(release), as_version=4)
    for cell in solved.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answer_from_solution(answers[cell.metadata["nbgrader"]["grade_id"]])
    extra = [p for p in (ROOT / "solutions" / chapter).glob("*") if p.suffix != ".ipynb"]
    assert judge_notebook(solved, trusted, extra_files=extra) == []
    failing = {g: e for g, e in outcomes(solved).items() if e}
    assert not failing, f"{chapter}: the solution fails {failing}"
    judge_notebook(release, trusted, extra_files=extra)
    passing = [g for g, e in outcomes(release).items() if g.endswith("_visible") and not e]
    assert not passing, f"{chapter}: visible tests pass on the blank release: {passing}"
