"""nbgrader's release_feedback, one student at a time: a student whose feedback folder lacks what the exchange needs
(timestamp.txt, submission_secret.txt: a submission collected from an LMS archive or copied by hand has no secret)
is skipped with a line saying so, and everyone after still gets their feedback. nbgrader's own stops at the first
with a traceback.

    c.ExchangeFactory.release_feedback = "autograder.grading.release_feedback.ReleaseFeedbackEachStudent"
"""
from __future__ import annotations

import glob
import os

from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback


class ReleaseFeedbackEachStudent(ExchangeReleaseFeedback):

    def copy_files(self):
        every_student = self.src_path          # feedback/*/<chapter> (or one student's folder)
        skipped = []
        try:
            for folder in sorted(glob.glob(every_student)):
                self.src_path = folder
                try:
                    super().copy_files()
                except OSError as err:
                    student = os.path.basename(os.path.dirname(folder))
                    missing = os.path.basename(getattr(err, "filename", "") or "") or str(err)
                    skipped.append(student)
                    self.log.warning("skipped %s's feedback: no %s in %s (a submission collected from an LMS "
                                     "archive or copied by hand has none): hand %s/*.html to the student",
                                     student, missing, folder, folder)
        finally:
            self.src_path = every_student
        if skipped:
            self.log.warning("feedback released to everyone but %d student(s): %s", len(skipped), ", ".join(skipped))
