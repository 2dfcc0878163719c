"""nbgrader's configuration for the course. The course root is this folder.

solutions/<chapter>/<chapter>.ipynb  is nbgrader's *source* (complete answers and hidden tests);
exercises/<chapter>/<chapter>.ipynb  is its *release* (what `nbgrader generate_assignment` makes for students).
submitted/, autograded/, feedback/ and gradebook.db are created by the grading commands and never committed.
"""
c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.root = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
c.CourseDirectory.course_id = "rnn-elman-to-sru"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# Students see these stubs in place of the solutions.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading: each cell gets 30 s (a correct solution needs well under one); a cell past that is interrupted and
# fails with CellTimeoutError, and the next cells still run.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True

# Autograde judges the trusted way (autograder/grading/judge.py): test cells run in nbgrader's own process from the
# gradebook's source, the student's cells in a sandboxed process without torch. This replaces nbgrader's Execute,
# so `nbgrader autograde` and the formgrader's Autograde button grade as `course.py grade` does.
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

from autograder.grading.preprocessors import TrustedExecute  # noqa: E402

c.TrustedExecute.timeout = 30
c.Autograde.autograde_preprocessors = [TrustedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# Feedback shows students what failed and why, not the hidden tests' source (autograder/grading/feedback.py).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

from autograder.grading.feedback import HideHiddenTests  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
