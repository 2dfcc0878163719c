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

# Students see these stubs in place of the solutions. A blank answer then fails with this sentence, not a bare
# "NotImplementedError: " (the grader's reasons keep the exception's name, autograder/grading/results.py).
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("not answered yet: replace this line with your code")'}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading: each cell gets 30 s (a correct solution needs well under one); a cell past that is interrupted and
# fails with CellTimeoutError, and the next cells still run.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True

# Every released notebook opens with the same set-up cell: what to install, and a clear failure without it.
from nbgrader.converters import GenerateAssignment  # noqa: E402

from autograder.grading.install_cell import InsertInstallCell  # noqa: E402

c.GenerateAssignment.preprocessors = [InsertInstallCell, *GenerateAssignment.class_traits()["preprocessors"].default()]

# Autograde judges the trusted way (autograder/grading/judge.py): test cells run in nbgrader's own process from the
# gradebook's source, the student's cells in a sandboxed process without torch. This replaces nbgrader's Execute,
# so `nbgrader autograde` and the formgrader's Autograde button grade as `course.py grade` does.
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from autograder.grading import course_lock  # noqa: E402
from autograder.grading.preprocessors import ApplyRules, CleanSubmission, TrustedExecute  # noqa: E402
from autograder.grading.reading import SubmissionExporter  # noqa: E402

c.TrustedExecute.timeout = 30
c.Autograde.autograde_preprocessors = [TrustedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
# ...and reads and sanitizes as `course.py grade` does (autograder/grading/reading.py, sanitizing.py, policy.py):
# regular files only (a submitted symlink is not followed), a BOM accepted, broken metadata repaired with a note,
# deleted test cells restored, the NumPy-only rule applied; under the one lock every grading route takes.
c.Autograde.exporter_class = SubmissionExporter
c.Autograde.sanitize_preprocessors = [CleanSubmission, ClearOutput, DeduplicateIds, OverwriteKernelspec,
                                      OverwriteCells, CheckCellMetadata, ApplyRules]
c.OverwriteCells.add_missing_cells = True
c.Autograde.pre_convert_hook, c.Autograde.post_convert_hook = course_lock.nbgrader_hooks(c.CourseDirectory.root)

# Feedback shows students what failed and why, not the hidden tests' source (autograder/grading/feedback.py).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

from autograder.grading import feedback  # noqa: E402

# ...and names each test, strips the instructor's paths, escapes what student code displayed, and carries MathJax 3
# and its style inline (works offline; the page alone is handed back).
c.GenerateFeedback.preprocessors = [GetGrades, feedback.HideHiddenTests, CSSHTMLHeaderPreprocessor,
                                    feedback.FeedbackForStudents]
# The page's template is set for the feedback step's own exporter only: the formgrader renders submissions with
# nbgrader's HTMLExporter and its formgrade template.
c.GenerateFeedback.exporter_class = feedback.CourseFeedbackExporter
# The formgrader's views show a student's markdown as text (the feedback's exporter has its own, stricter rule).
from autograder.grading.preprocessors.escape_student_markdown import EscapeStudentMarkdown  # noqa: E402

c.HTMLExporter.preprocessors = [EscapeStudentMarkdown]
c.CourseFeedbackExporter.preprocessors = []
c.CourseFeedbackExporter.template_name = feedback.TEMPLATE_NAME      # nbgrader's feedback page, the course's head
c.CourseFeedbackExporter.template_file = feedback.TEMPLATE_FILE
c.CourseFeedbackExporter.extra_template_basedirs = feedback.template_dirs()

# The exchange: release_assignment -> (students) fetch_assignment, submit -> collect. By default a folder in the course
# root, enough when instructor and students share one machine (nbgrader's release_assignment creates it, mode 0777;
# the course folder must then be traversable, chmod o+x). On a JupyterHub, point every account at the shared exchange
# with NBGRADER_EXCHANGE=/srv/nbgrader/exchange (or replace the line); students' own nbgrader_config.py needs the same
# c.Exchange.root and c.CourseDirectory.course_id (README, "For instructors").
import os  # noqa: E402

c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE") or os.path.join(c.CourseDirectory.root, "exchange")
# Created now rather than at the first release_assignment: the formgrader disables release and collect while the
# exchange does not exist (nbgrader/apps/api.py, exchange_missing). 0777 is the mode nbgrader's release sets.
if not os.path.isdir(c.Exchange.root):
    try:
        os.makedirs(c.Exchange.root)
        os.chmod(c.Exchange.root, 0o777)
    except OSError:
        pass  # not ours to create (a shared exchange): nbgrader says so when it is used

# release_feedback skips (and names) a student whose feedback the exchange cannot take, instead of stopping there.
c.ExchangeFactory.release_feedback = "autograder.grading.release_feedback.ReleaseFeedbackEachStudent"

# collect copies what students submitted, never what a symbolic link among it points to (a link to solutions/).
c.ExchangeFactory.collect = "autograder.grading.exchange_collect.CollectWithoutLinks"

# zip_collect: Canvas's and Moodle's archives out of the box (autograder/grading/lms/); one LMS only:
# --collector=autograder.grading.lms.canvas_collector.CanvasCollector (or moodle_collector.MoodleCollector).
c.ZipCollectApp.collector_plugin = "autograder.grading.lms.any_collector.AnyLmsCollector"
# ...and each submission's time as the archive records it (timestamp.txt: late penalties, release_feedback).
c.ZipCollectApp.extractor_plugin = "autograder.grading.lms.archive_extractor.ArchiveTimesExtractor"

# export: nbgrader's CSV by default; an LMS's import format with
# --exporter=autograder.grading.lms.canvas_export.CanvasExport (or moodle_export.MoodleExport), or here:
# c.ExportApp.plugin_class = "autograder.grading.lms.canvas_export.CanvasExport"
