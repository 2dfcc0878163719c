"""The visible tests catch the common mistakes before grading: each mistake in a chapter's `mutants.VISIBLE` makes
the named visible test fail with a message that contains the given phrase (and the hint in `VISIBLE_HINTS`), and
the message's first line fits in what `nbgrader validate` shows (about 90 characters).
"""
import importlib

import pytest

from autograder.layout import chapters
from tests.helpers import notebook_cells

FIRST_LINE_MAX = 90


def _mutants(chapter):
    return importlib.import_module(f"tests.chapters.{chapter}.mutants")


CASES = [(chapter, name, test_id, phrase) for chapter in chapters()
         for name, (test_id, phrase) in getattr(_mutants(chapter), "VISIBLE", {}).items()]


@pytest.mark.parametrize("chapter,name,test_id,phrase", CASES, ids=[f"{c}: {n}" for c, n, _, _ in CASES])
def test_visible_test_catches(chapter, name, test_id, phrase):
    module = _mutants(chapter)
    _, replacement = module.MUTANTS[name]
    error = notebook_cells.run(chapter, replacement)[test_id]
    assert error is not None, f"the mistake '{name}' passes {test_id}"
    message = str(error)
    assert phrase in message, f"'{name}': {test_id}'s message lacks {phrase!r}:\n{message}"
    hint = getattr(module, "VISIBLE_HINTS", {}).get(name)
    assert hint is None or hint in message, f"'{name}': the message lacks the hint {hint!r}:\n{message}"
    first = message.splitlines()[0]
    assert len(first) <= FIRST_LINE_MAX, f"first line longer than {FIRST_LINE_MAX} characters: {first!r}"


def test_the_listed_mistakes_are_caught_visibly():
    """The mistakes issue 18 found passing every visible test are all in a VISIBLE list."""
    listed = {
        "elman_jordan": ["step: previous state ignored", "step: W_hh transposed", "forward: ignores a given H0",
                         "load: only bias_ih"],
        "bptt": ["clip: without PyTorch's epsilon", "checker: works in the input's dtype (float32)"],
        "lstm": ["step: ignores C_prev (no forget term)", "step: ReLU forget gate",
                 "forward: padding keeps H but updates C", "forward: ignores a given C0"],
        "gru": ["load: gate order r, z swapped (read as z, r, n)",
                "load: b_hn merged into b_xn (outside the reset product)",
                "count: upper layers read h, not h * directions", "forward: ignores a given H0"],
    }
    for chapter, names in listed.items():
        missing = set(names) - set(getattr(_mutants(chapter), "VISIBLE", {}))
        assert not missing, f"{chapter}: not in VISIBLE: {sorted(missing)}"
