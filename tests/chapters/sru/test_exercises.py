"""Guards for the SRU mutants: the unmutated answers they are made from pass every hidden test, and a correct
answer that keeps its matrix products inside the loop fails: the chapter teaches the products of all steps before the
loop, and the tests count the products a function takes (autograder.cases.sru.check_products_before_the_loop)."""
from tests.chapters.sru import mutants
from tests.helpers import notebook_cells

_PRODUCTS_IN_THE_LOOP = '''
def sru_forward(X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0=None, W_s=None, scale_highway=True):
    T, B, _ = X.shape
    if scale_highway is True:
        alpha = np.sqrt(1 + 2 * np.exp(b_r))
    else:
        alpha = 1.0 if scale_highway is False else scale_highway
    c, H, C = (np.zeros((B, W.shape[1])) if c0 is None else c0), [], []
    for t in range(T):
        x = X[t]
        f = 1 / (1 + np.exp(-(x @ W_f + v_f * c + b_f)))
        r = 1 / (1 + np.exp(-(x @ W_r + v_r * c + b_r)))
        c = f * c + (1 - f) * (x @ W)
        H.append(r * c + (1 - r) * alpha * (x if W_s is None else x @ W_s))
        C.append(c)
    return np.array(H), np.array(C)
'''


def _failures(replacement):
    return {gid: err for gid, err in notebook_cells.run("sru", replacement).items() if err is not None}


def test_mutants_base_answers_pass():
    base = {"sru_forward": mutants._FORWARD, "sru_backward": mutants._BACKWARD,
            "cost_model": mutants._COST.format(**mutants._GOOD_COST)}
    assert not _failures(base), "the unmutated answers of tests/chapters/sru/mutants.py must pass every test"


def test_products_inside_the_loop_fail_visible_and_hidden_tests_with_a_message():
    failures = _failures({"sru_forward": _PRODUCTS_IN_THE_LOOP})
    # the backward tests fail too: the solution's sru_backward calls the learner's sru_forward, whose products count
    assert {"test_sru_forward_visible", "test_sru_forward_hidden"} <= set(failures), failures
    for error in failures.values():
        assert isinstance(error, AssertionError) and "grows with the sequence length" in str(error)
