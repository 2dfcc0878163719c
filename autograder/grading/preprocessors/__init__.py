"""nbgrader preprocessors of the course, configured in nbgrader_config.py (one per file)."""
from autograder.grading.preprocessors.apply_rules import ApplyRules
from autograder.grading.preprocessors.clean_submission import CleanSubmission
from autograder.grading.preprocessors.trusted_execute import TrustedExecute

__all__ = ["ApplyRules", "CleanSubmission", "TrustedExecute"]
