"""Guards for the scan mutants: the unmutated answers they are made from pass every test, and a correct answer that
loops over the time steps fails both the visible and the hidden test with the message that teaches the scan
(autograder.cases.scan.check_rounds and check_uses_scan hand the learner's functions a counting combine or scan and
count the calls; when graded, in the grader's own process)."""
from tests.chapters.scan import mutants
from tests.helpers import notebook_cells


def _failures(replacement):
    return {gid: err for gid, err in notebook_cells.run("scan", replacement).items() if err is not None}


def test_mutants_base_answers_pass():
    assert not _failures(mutants.BASE), "the unmutated answers of tests/chapters/scan/mutants.py must pass every test"


def test_a_loop_over_time_fails_with_a_message():
    failures = _failures({"linear_scan": mutants.SEQUENTIAL_SCAN})
    # Only linear_scan's own tests: each later exercise is graded by its own structure (it gets the tests' scan).
    assert set(failures) == {"test_linear_scan_visible", "test_linear_scan_hidden"}, failures
    for gid in ("test_linear_scan_visible", "test_linear_scan_hidden"):
        message = str(failures[gid])
        assert "never called the combine it was given" in message, message


def test_the_round_count_is_kept_by_the_grader():
    """In the grader the student's functions run in another process (autograder.grading.wire): the counting combine
    and scan are the grader's own callables, called back over the pipe, so the count is the grader's and a loop over
    time fails there; nothing in the student's process is counted (no registered array types are left)."""
    from autograder.grading import wire
    assert wire.REGISTERED == {}
    import nbformat

    from autograder.grading.judge import TrustedNotebook, judge_notebook
    from autograder.layout import Chapter

    source = nbformat.read(Chapter("scan").source, as_version=4)
    notebook = nbformat.read(Chapter("scan").release, as_version=4)
    answers = {**mutants.BASE, "linear_scan": mutants.STEPWISE_SCAN}
    for cell in notebook.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[gid]
    assert judge_notebook(notebook, TrustedNotebook.from_source_notebook(source)) == []
    errors = {c.metadata["nbgrader"]["grade_id"]: [o.get("evalue", "") for o in c.outputs if o.output_type == "error"]
              for c in notebook.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    assert not errors["test_combine_hidden"], errors
    assert any("that is a loop over time" in e for e in errors["test_linear_scan_hidden"]), errors
