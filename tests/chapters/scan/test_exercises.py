"""Guards for the scan mutants: the unmutated answers they are made from pass every test, and a correct answer that
loops over the time steps fails both the visible and the hidden test with the message that teaches the scan
(autograder.cases.scan.check_log_depth counts the NumPy operations a function takes for T = 16 and T = 256)."""
from tests.chapters.scan import mutants
from tests.helpers import notebook_cells


def _failures(replacement):
    return {gid: err for gid, err in notebook_cells.run("scan", replacement).items() if err is not None}


def test_mutants_base_answers_pass():
    assert not _failures(mutants.BASE), "the unmutated answers of tests/chapters/scan/mutants.py must pass every test"


def test_a_loop_over_time_fails_with_a_message():
    failures = _failures({"linear_scan": mutants.SEQUENTIAL_SCAN})
    # every exercise that builds on linear_scan inherits its depth
    assert {"test_linear_scan_visible", "test_linear_scan_hidden", "test_mingru_forward_visible",
            "test_mingru_backward_hidden", "test_minlstm_forward_hidden"} <= set(failures), failures
    for gid in ("test_linear_scan_visible", "test_linear_scan_hidden"):
        message = str(failures[gid])
        assert "grows like T, not log T" in message and len(message.splitlines()[0]) <= 90, message


def test_the_depth_check_works_through_the_grader():
    """In the grader the student's functions run in another process (autograder.grading.wire): the counting arrays
    cross as registered types and their counts come back, so a loop over time still fails there."""
    import nbformat

    from autograder.grading.judge import TrustedNotebook, judge_notebook
    from autograder.layout import Chapter

    source = nbformat.read(Chapter("scan").source, as_version=4)
    notebook = nbformat.read(Chapter("scan").release, as_version=4)
    answers = {**mutants.BASE, "linear_scan": mutants.SEQUENTIAL_SCAN}
    for cell in notebook.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[gid]
    assert judge_notebook(notebook, TrustedNotebook.from_source_notebook(source)) == []
    errors = {c.metadata["nbgrader"]["grade_id"]: [o.get("evalue", "") for o in c.outputs if o.output_type == "error"]
              for c in notebook.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    assert not errors["test_combine_hidden"], errors
    assert any("grows like T, not log T" in e for e in errors["test_linear_scan_hidden"]), errors
