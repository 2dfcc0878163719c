"""Plain `nbgrader autograde` (what the formgrader's Autograde button runs) judges the trusted way, through the
TrustedExecute preprocessor configured in nbgrader_config.py: full marks for the solution, zero for the release, and
zero for an answer that forges a pass from inside the student's process."""
import nbformat
from nbgrader.api import Gradebook

from autograder.grading import course_folder
from autograder.grading.release import nbgrader
from benchmarks.grade_class import student_notebook

CHAPTER = "elman_jordan"
FORGED = '''
import sys, numpy
numpy.isclose = lambda a, b, **k: numpy.ones(numpy.broadcast(a, b).shape, dtype=bool)
sys.modules["autograder.checks"].check_close = lambda *a, **k: None
def elman_step(X_t, H_prev, W_xh, W_hh, b_h):
    return numpy.zeros((X_t.shape[0], W_hh.shape[0]))
'''


def test_plain_nbgrader_autograde_is_trusted(tmp_path):
    course = course_folder.make_course(tmp_path / "course", [CHAPTER])
    kinds = {"right": "correct", "empty": "blank", "forger": "correct"}
    course_folder.add_students(course, list(kinds))
    for student, kind in kinds.items():
        nb = student_notebook(CHAPTER, kind)
        if student == "forger":
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("grade_id") == "elman_step":
                    cell.source = FORGED
        path = course / "submitted" / student / CHAPTER / f"{CHAPTER}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    result = nbgrader("autograde", CHAPTER, "--force", root=course, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission(CHAPTER, s).score for s in kinds}
        max_score = gb.find_assignment(CHAPTER).max_score
        forged = {g.name: g.score for g in gb.find_submission_notebook(CHAPTER, CHAPTER, "forger").grades}
    assert scores["right"] == max_score and scores["empty"] == 0
    assert forged["test_elman_step_visible"] == 0 and forged["test_elman_step_hidden"] == 0
    assert forged["test_jordan_forward_hidden"] > 0
    graded = nbformat.read(course / "autograded" / "forger" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    hidden = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_elman_step_hidden")
    assert "H_t is wrong" in hidden.outputs[-1]["evalue"]
