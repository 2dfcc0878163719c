"""Messages that teach: axes named by the kind of array, first lines short enough for `nbgrader validate`, hints for
known mistakes, backward quantities searched from the last step, an earlier exercise's failure named as such; and
the generated texts (visible tests' values, the install lines) kept current."""
import shutil
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from autograder import learner_setup
from autograder.checks import CheckFailure, after_exercise, check_close, check_equal, check_grads_per_step
from autograder.layout import ROOT, Chapter, chapters

rng = np.random.default_rng(1)


def message(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailure) as info:
        fn(*args, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("got_shape,name,kwargs,where", [
    ((2, 3), "W_xg", {}, "(row 0, column 1)"),                             # a weight, by its name
    ((2, 3), "dL/dW_hh", {}, "(row 0, column 1)"),
    ((2, 3), "H_t", {}, "(batch 0, unit 1)"),                              # a state
    ((2, 3), "M", {"kind": "weight"}, "(row 0, column 1)"),                # the caller says the kind
    ((3, 2), "grads['b_o']", {"time_axis": 0}, "(time step 0, element 1)"),   # a per-step bias: time first
    ((3, 2, 2), "grads['W_xi']", {"time_axis": 0, "kind": "per_step"}, "(time step 0, row 0, column 1)"),
    ((3, 1, 2), "H", {"time_axis": 0}, "(time step 0, batch 0, unit 1)"),
    ((4,), "b_h", {}, "(element 1)"),
])
def test_axes_are_named_by_kind(got_shape, name, kwargs, where):
    want = np.zeros(got_shape)
    got = want.copy()
    got[(0,) * (len(got_shape) - 1) + (1,)] = 1.0
    assert where in message(check_close, got, want, name, **kwargs)


def test_first_line_is_short_and_says_the_error():
    want = rng.normal(size=(6, 5, 7))
    got = want.copy()
    got[3, 4, 6] += 0.25
    first = message(check_close, got, want, "H (given H0, C0)", time_axis=0).splitlines()[0]
    assert len(first) <= 90 and "max error 0.25" in first and "time step 3" in first


def test_backward_quantities_are_searched_from_the_last_step():
    want = rng.normal(size=(4, 1, 2))
    got = want.copy()
    got[:2] += 1.0                      # steps 2 and 3 right, the earlier ones wrong: what flows back is wrong
    msg = message(check_close, got, want, "dL/dX", time_axis=0, backward=True)
    assert msg.startswith("dL/dX is wrong at time step 1 (steps 2..3 are right)")
    assert "what flows back from step 2 to step 1" in msg


def test_caller_hint_and_likely_mistakes():
    want = np.array([[0.1, 0.2]])
    assert "Hint: is the bias there?" in message(check_close, want + 1, want, "H_t", hint="is the bias there?")
    wrong = np.array([[0.3, 0.4]])
    msg = message(check_close, wrong, want, "H_t", likely={"Z keeps the old state.": wrong}, hint="generic")
    assert "Hint: Z keeps the old state." in msg and "Hint: generic" in msg
    assert "Hint: use 2 layers" in message(check_equal, 3, 4, "count", hint="use 2 layers")


def test_an_earlier_exercise_failing_is_named():
    def earlier():
        raise NotImplementedError("not answered yet: replace this line with your code")

    with pytest.raises(CheckFailure) as info:
        with after_exercise("lstm_forward (exercise 2)", earlier):
            np.ones((2, 3)) + np.ones((3, 2))          # what the earlier mistake causes downstream
    first, second = str(info.value).splitlines()[:2]
    assert first == "lstm_forward (exercise 2) fails: fix it first (this test uses it)."
    assert "not answered yet" in second
    with pytest.raises(ValueError):                    # the earlier exercise works: the test's own error shows
        with after_exercise("lstm_forward (exercise 2)", lambda: None):
            np.ones((2, 3)) + np.ones((3, 2))


def _per_step(T=3, h=2):
    keys = ["W_xi", "W_hi", "b_i", "W_xf", "W_hf", "b_f", "W_xg", "W_hg", "b_g", "W_xo", "W_ho", "b_o"]
    return keys, {k: rng.normal(size=(T, h, h) if k.startswith("W") else (T, h)) for k in keys}


def test_lstm_backward_names_gate_step_and_the_forget_gate_hint():
    keys, want = _per_step()
    got = {k: v.copy() for k, v in want.items()}
    for k in ("W_xf", "W_hf", "b_f"):
        got[k][2] += 0.5
    msg = message(check_grads_per_step, got, want, keys)
    assert msg.startswith("dL/dW_xf (forget gate F) is wrong at time step 2 (the last step).")
    assert "time step 2, row 0, column 0" in msg and "the previous CELL state C_(t-1)" in msg


def test_lstm_backward_recurrent_weights_at_step_0_point_at_H0():
    keys, want = _per_step()
    got = {k: v.copy() for k, v in want.items()}
    for k in ("W_hi", "W_hf", "W_hg", "W_ho"):
        got[k][0] = 0.0
    msg = message(check_grads_per_step, got, want, keys)
    assert "is wrong at time step 0 (steps 1..2 are right)" in msg
    assert "only the recurrent weights' gradients are wrong" in msg and "the given initial state H0" in msg


def test_blank_answer_stub_says_what_to_do():
    for chapter in chapters():
        text = Chapter(chapter).release.read_text()
        assert 'raise NotImplementedError(\\"not answered yet: replace this line with your code\\")' in text
        assert "raise NotImplementedError()" not in text.replace("`raise NotImplementedError()`", "")


def test_visible_values_are_current():
    result = subprocess.run([sys.executable, "-m", "autograder.cases.visible", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_staleness_ignores_rounding_and_names_what_drifted():
    """Machines round float64 differently in the last bit (BLAS kernels, OPENBLAS_CORETYPE): that is not staleness;
    a change a visible test could notice is, and the message names the value, the element and the difference."""
    from autograder.cases.visible import stale_values
    saved = {"lstm": {"H": np.array([[0.4621171572600098, -0.19737532022490398]]), "mask": [[1, 1], [1, 0]]}}
    ulp = {"lstm": {"H": np.array([[0.46211715726000974, -0.19737532022490398]]), "mask": [[1, 1], [1, 0]]}}
    assert stale_values(saved, ulp) == []
    moved = {"lstm": {"H": np.array([[0.4621171572600098, -0.1974]]), "mask": [[1, 1], [1, 0]]}}
    (line,) = stale_values(saved, moved)
    assert line.startswith("VALUES['lstm']['H'][0, 1]: saved -0.19737532022490398, computed -0.1974"), line
    assert "max abs difference 2.47e-05" in line, line
    assert stale_values(saved, {"lstm": {"H": np.zeros((2, 2)), "mask": [[1, 1], [1, 0]]}}) \
        == ["VALUES['lstm']['H']: saved shape (1, 2), computed shape (2, 2)"]
    assert stale_values(saved, {"lstm": {"H": saved["lstm"]["H"]}}) == ["VALUES['lstm']['mask']: only saved"]


# What a placeholder address looked like: a learner who copies it gets pip's "Invalid requirement".
PLACEHOLDERS = ("<the course repository", "git+<", "@ git+ ", "@ git+\"")


def test_install_lines_are_current_and_quote_the_two_commands():
    """One source for the learner's commands: the README, the preface, every released notebook's first cell (and the
    zip's START HERE.txt, tests/site) quote learner_setup's, and none shows a placeholder address."""
    assert learner_setup.main(["--check"]) == 0, "run python -m autograder.learner_setup"
    install, open_it = learner_setup.commands("CHAPTER")
    for name in learner_setup.DOCS:
        text = (ROOT / name).read_text()
        assert f"{install}\n" in text and open_it in text, f"{name} does not quote the learner's two commands"
    for chapter in chapters():
        first = nbformat.read(Chapter(chapter).release, as_version=4).cells[0]
        assert first.source == learner_setup.first_cell(chapter), f"{chapter}: regenerate exercises/"
        assert install in first.source
    for path in [ROOT / "README.md", ROOT / "book" / "preface.md", *sorted((ROOT / "exercises").rglob("*.ipynb"))]:
        text = path.read_text()
        assert not [p for p in PLACEHOLDERS if p in text], f"{path.relative_to(ROOT)} shows a placeholder address"


@pytest.mark.parametrize("config, expected", [
    ("", "download this chapter's zip"),
    ("repository:\n  url: \"https://example.org/it's/course\"\n", "\"git+https://example.org/it's/course\""),
    ("html:\n  baseurl: https://course.example.org/rnn\nrepository:\n  url: https://example.org/c\n",
     "'https://course.example.org/rnn/_downloads/exercises/rnn_course-"),
])
def test_install_cell_falls_back_to_the_site_then_the_repository(tmp_path, config, expected):
    """The first cell installs the wheel beside the notebook; without one, the site's copy when _config.yml names the
    site, else the repository; with neither, it says where to get the zip. It compiles for any address."""
    (tmp_path / "_config.yml").write_text("title: x\n" + config)
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    cell = learner_setup.first_cell("bptt", tmp_path)
    compile(cell, "<install>", "exec")
    assert expected in cell, cell
    assert not [p for p in PLACEHOLDERS if p in cell]
