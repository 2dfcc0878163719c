"""nbgrader preprocessors of the course, configured in nbgrader_config.py (one per file)."""
from autograder.grading.preprocessors.trusted_execute import TrustedExecute

__all__ = ["TrustedExecute"]
