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
