"""Mutation tests: every known learner mistake makes the hidden test of its exercise fail, with a message.

Also: the solutions pass every test cell in-process (a fast guard before the nbgrader runs of test_pipeline).
"""
import importlib

import pytest

from autograder.layout import chapters
from tests.helpers import notebook_cells

MUTANTS = [(chapter, name, spec) for chapter in chapters()
           for name, spec in importlib.import_module(f"tests.chapters.{chapter}.mutants").MUTANTS.items()]


@pytest.mark.parametrize("chapter", chapters())
def test_solution_passes_every_test_cell(chapter):
    failures = {gid: err for gid, err in notebook_cells.run(chapter).items() if err is not None}
    assert not failures, f"the solution of {chapter} fails: {failures}"


@pytest.mark.parametrize("chapter,name,spec", MUTANTS, ids=[f"{c}: {n}" for c, n, _ in MUTANTS])
def test_hidden_test_catches(chapter, name, spec):
    hidden_test, replacement = spec
    outcome = notebook_cells.run(chapter, replacement)
    error = outcome[hidden_test]
    assert error is not None, f"the mistake '{name}' passes {hidden_test}"
    assert str(error).strip() or isinstance(error, (NameError, TypeError)), \
        f"'{name}' fails {hidden_test} without a message: {error!r}"


def test_every_exercise_has_mutants():
    """Each hidden test is exercised by at least one known mistake."""
    for chapter in chapters():
        hidden = {gid for meta, _ in notebook_cells.load(chapter)
                  if (gid := meta.get("grade_id", "")).endswith("_hidden")}
        covered = {spec[0] for c, _, spec in MUTANTS if c == chapter}
        assert hidden <= covered, f"{chapter}: no mutant targets {sorted(hidden - covered)}"
