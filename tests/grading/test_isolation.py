"""Each notebook judged alone (issue 25, item 2): an answer that writes into every argument, global, cached module
and class attribute it can reach is graded first; honest students graded after it, in the same long-lived process,
get full marks and the right expected values. Routes: the judge itself, `course.py grade`'s function, and
nbgrader's Autograde converter in-process (what `nbgrader autograde` and the formgrader's button run).
"""
from __future__ import annotations

import copy

import nbformat
import numpy as np
import pytest

from autograder.grading import course_folder
from autograder.grading.autograde import grade
from autograder.grading.demo import answer_from_solution
from autograder.grading.judge import TrustedNotebook, judge_notebook
from autograder.layout import ROOT

CHAPTER = "elman_jordan"

# Appended after the last answer: every function of the chapter still returns the right value, then spoils
# whatever it was given and whatever it can reach in its own process.
SPOILER = '''
import copy as _copy, sys as _sys
def _spoil(v, depth=0):
    if depth > 6:
        return
    if isinstance(v, np.ndarray):
        try:
            v[...] = 7
        except (ValueError, TypeError):
            pass
    elif isinstance(v, dict):
        for k in list(v):
            _spoil(v[k], depth + 1)
        v["spoiled"] = 7
    elif isinstance(v, list):
        for x in v:
            _spoil(x, depth + 1)
        v.append(7)
    elif isinstance(v, tuple):
        for x in v:
            _spoil(x, depth + 1)

def _spoil_everything():
    for name, module in list(_sys.modules.items()):
        if not name.startswith(("autograder", "numpy")):
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, (np.ndarray, dict, list)) and not attr.startswith("__"):
                _spoil(value)
            elif isinstance(value, type) and name.startswith("autograder"):
                try:
                    setattr(value, "spoiled", 7)
                except (TypeError, AttributeError):
                    pass
            elif callable(value) and name.startswith("autograder.checks"):
                setattr(module, attr, lambda *a, **k: None)
    np.random.seed(7)

def _hostile(fn):
    def wrapper(*args, **kwargs):
        result = _copy.deepcopy(fn(*args, **kwargs))
        for a in (*args, *kwargs.values()):
            _spoil(a)
        _spoil_everything()
        return result
    wrapper.__name__ = fn.__name__
    wrapper.hostile = True
    return wrapper

for _name in ("elman_step", "elman_forward", "jordan_forward", "concat_weights", "elman_step_concat",
              "rnn_params_from_torch"):
    if _name in globals() and not getattr(globals()[_name], "hostile", False):
        globals()[_name] = _hostile(globals()[_name])
_spoil_everything()
'''


def notebook(hostile: bool) -> nbformat.NotebookNode:
    """The release with every answer right; the hostile one wraps each in SPOILER right after its cell."""
    nb = nbformat.read(ROOT / "exercises" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    source = nbformat.read(ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    answers = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in source.cells}
    cells = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        cells.append(cell)
        if meta.get("solution"):
            cell.source = answer_from_solution(answers[meta["grade_id"]])
            if hostile:
                cells.append(nbformat.v4.new_code_cell(SPOILER))
    nb.cells = cells
    return nb


def failures(nb) -> dict[str, str]:
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if meta.get("grade") and errors:
            out[meta["grade_id"]] = f"{errors[0]['ename']}: {errors[0]['evalue'][:300]}"
    return out


@pytest.fixture(scope="module")
def trusted():
    return TrustedNotebook.from_source_notebook(
        nbformat.read(ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4))


def test_the_judge_keeps_no_state_between_notebooks(trusted):
    from autograder.cases import elman_jordan, visible_values
    before = copy.deepcopy((elman_jordan.EXAMPLE, visible_values.VALUES[CHAPTER]))
    judge_notebook(notebook(hostile=True), trusted, timeout=20)
    for _ in range(2):
        honest = notebook(hostile=False)
        judge_notebook(honest, trusted, timeout=20)
        assert failures(honest) == {}, "an honest student lost points after a hostile one"
    after = (elman_jordan.EXAMPLE, visible_values.VALUES[CHAPTER])
    for name in before[0]:
        np.testing.assert_array_equal(after[0][name], before[0][name], err_msg=f"EXAMPLE[{name!r}] changed")
    assert set(after[1]) == set(before[1]), "the visible values gained or lost keys"


def test_in_place_changes_still_reach_what_the_test_built(trusted):
    """A function meant to work in place (char_lm's adam_step) still updates the test's own objects: only shared
    fixtures are protected from write-back."""
    from autograder.grading import fixtures, wire
    mine, shared = {"w": np.zeros(2)}, {"w": np.zeros(2)}
    fixtures.freeze(shared)
    new = {"w": np.ones(2), "step": 1}
    wire.write_back(mine, copy.deepcopy(new), skip=fixtures.is_frozen)
    wire.write_back(shared, copy.deepcopy(new), skip=fixtures.is_frozen)
    assert mine["step"] == 1 and mine["w"].tolist() == [1, 1]
    assert shared == {"w": shared["w"]} and shared["w"].tolist() == [0, 0]


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """A course where 'a_hostile' (graded first) is followed by two honest students."""
    course = course_folder.make_course(tmp_path_factory.mktemp("isolation") / "course", [CHAPTER])
    students = {"a_hostile": True, "b_honest": False, "c_honest": False}
    course_folder.add_students(course, list(students))
    for student, hostile in students.items():
        path = course / "submitted" / student / CHAPTER / f"{CHAPTER}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook(hostile), path)
    return course


def test_grade_command_keeps_no_state_between_notebooks(hostile_class, tmp_path):
    import shutil
    course = shutil.copytree(hostile_class, tmp_path / "course", symlinks=True)
    run = grade(course, [CHAPTER], workers=1, timeout=20, feedback=False, report=False, log=lambda *a: None)
    for student in ("b_honest", "c_honest"):
        o = run.outcomes[CHAPTER][student]
        assert o.status == "graded" and o.score == o.max_score, o.reasons()


def test_nbgrader_autograde_in_one_process_keeps_no_state(hostile_class, tmp_path):
    """nbgrader's own Autograde converter, three students in one process (the formgrader's server is one)."""
    import shutil

    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    course = shutil.copytree(hostile_class, tmp_path / "course", symlinks=True)
    config = Config(PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config())
    config.CourseDirectory.root = str(course)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    for student in ("a_hostile", "b_honest", "c_honest"):
        result = api.autograde(CHAPTER, student, force=True, create=True)
        assert result["success"], result.get("log", "")[-3000:]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in ("b_honest", "c_honest"):
            submission = gb.find_submission(CHAPTER, student)
            lost = {g.name: g.score for g in gb.find_submission_notebook(CHAPTER, CHAPTER, student).grades
                    if g.score < g.max_score}
            assert submission.score == submission.max_score, f"{student} lost points: {lost}"


def test_a_dask_worker_keeps_no_state_between_notebooks(hostile_class, tmp_path):
    """One worker, so the hostile notebook and the honest ones after it run in the same long-lived process."""
    import shutil

    from tests.helpers.servers import dask_cluster
    course = shutil.copytree(hostile_class, tmp_path / "course", symlinks=True)
    with dask_cluster(tmp_path / "dask", workers=1) as dc:
        run = grade(course, [CHAPTER], timeout=20, feedback=False, report=False, log=lambda *a: None,
                    scheduler=dc.address)
    for student in ("b_honest", "c_honest"):
        o = run.outcomes[CHAPTER][student]
        assert o.status == "graded" and o.score == o.max_score, o.reasons()
