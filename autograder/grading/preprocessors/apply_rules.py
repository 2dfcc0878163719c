"""`ApplyRules`: the NumPy-only rule (`autograder.grading.policy`) in `nbgrader autograde` and the formgrader.

Last of `c.Autograde.sanitize_preprocessors`, on the sanitized notebook (locked and test cells restored), as
`course.py grade` checks it: the violations are kept in the notebook's metadata (`autograder.violations`) and
`TrustedExecute` writes each into the test cells it costs, so both routes give the same grade for the same code.
"""
from __future__ import annotations

from dataclasses import asdict

from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.grading import policy
from autograder.grading.preprocessors.clean_submission import source_record


class ApplyRules(NbGraderPreprocessor):

    def preprocess(self, nb, resources):
        _, _, _, answers = source_record(resources)
        rules = policy.Rules.from_solutions(answers)
        state = nb.metadata.setdefault("autograder", {})
        try:
            state["violations"] = [asdict(v) for v in policy.check_notebook(nb, rules)]
        except (RecursionError, MemoryError, SyntaxError, ValueError) as err:
            state["violations"] = [asdict(policy.Violation(None, policy.NUMPY_ONLY,
                                                           f"a cell the rules cannot read ({type(err).__name__})"))]
        return nb, resources
