"""Guards for the SRU exercises, which are graded by their structure: the products of all steps are taken by
`sru_projections` (rows of all steps at once, no time axis), and the recurrences, forward and backward, receive only
the projections, so no weight matrix reaches a time loop. The unmutated answers of mutants.py pass every test, and an
answer that takes a product per step (however it is written: a learner's own `sru_forward`, or products hidden in
the functions it may write) gets no points."""
from tests.chapters.sru import mutants
from tests.helpers import notebook_cells

# A complete, correct SRU written the old way, with its products inside the time loop, as a learner might write it
# in place of the two functions: the notebook's given `sru_forward`/`sru_backward` (after the answer cell) replace
# it, and the unimplemented functions fail every test.
_PER_STEP_FORWARD = '''
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


def sru_projections(X, W):
    raise NotImplementedError()


def sru_recurrence(P, x_hw, b_f, b_r, v_f, v_r, c0=None, scale_highway=True):
    raise NotImplementedError()
'''


def _failures(replacement):
    return {gid: err for gid, err in notebook_cells.run("sru", replacement).items() if err is not None}


def test_mutants_base_answers_pass():
    base = {"sru_forward": mutants._FORWARD, "sru_backward": mutants._BACKWARD,
            "cost_model": mutants._COST.format(**mutants._GOOD_COST)}
    assert not _failures(base), "the unmutated answers of tests/chapters/sru/mutants.py must pass every test"


def test_a_per_step_forward_pass_gets_no_points():
    failures = _failures({"sru_forward": _PER_STEP_FORWARD})
    assert {"test_sru_forward_visible", "test_sru_forward_hidden"} <= set(failures), failures


def test_the_recurrences_receive_no_weight_matrix():
    """The structure itself: the arguments of the functions with a time loop are projections, vectors and states."""
    import inspect
    namespace = {}
    exec(mutants._FORWARD + mutants._BACKWARD, {"np": __import__("numpy")}, namespace)
    for name in ("sru_recurrence", "sru_recurrence_backward"):
        params = set(inspect.signature(namespace[name]).parameters)
        assert not params & {"X", "W", "W_f", "W_r", "W_s"}, (name, params)
    # and the notebook's signatures are those of mutants.py's answers
    source = "\n".join(src for meta, src in notebook_cells.load("sru") if meta.get("solution"))
    for line in ("def sru_recurrence(P, x_hw, b_f, b_r, v_f, v_r, c0=None, scale_highway=True):",
                 "def sru_recurrence_backward(P, x_hw, b_f, b_r, v_f, v_r, c0, dH, alpha):",
                 "def sru_projections(X, W):", "def sru_projections_backward(X, W, dP):"):
        assert line in source, line


_PER_STEP_BACKWARD = mutants._BACKWARD.replace(
    "def sru_projections_backward(X, W, dP):\n    return dP @ W.T, X.T @ dP\n", "") + '''

def sru_projections_backward(X, W, dP):
    raise NotImplementedError()


def sru_backward(X, W, W_f, W_r, b_f, b_r, v_f, v_r, c0, dH, alpha):
    """A learner's own complete backward pass with the weight gradients taken step by step."""
    raise AssertionError("never called: the notebook's given sru_backward replaces this one")
'''


def test_a_learners_own_sru_backward_is_replaced_by_the_given_one():
    failures = _failures({"sru_backward": _PER_STEP_BACKWARD})
    assert {"test_sru_backward_visible", "test_sru_backward_hidden"} <= set(failures), failures
    assert not any("never called" in str(err) for err in failures.values()), failures


def test_in_grading_the_composed_functions_are_the_notebooks_not_the_learners():
    """The judge calls a learner's functions only for the names the answer cells define and no locked cell does:
    sru_forward and sru_backward are defined by locked cells, so a learner's versions are never what is graded."""
    import nbformat

    from autograder.grading.judge import TrustedNotebook
    from autograder.layout import ROOT
    nb = nbformat.read(ROOT / "solutions" / "sru" / "sru.ipynb", as_version=4)
    names = TrustedNotebook.from_source_notebook(nb).student_names
    assert names == {"sru_projections", "sru_recurrence", "sru_recurrence_backward", "sru_projections_backward",
                     "sru_flops", "lstm_flops"}, names
