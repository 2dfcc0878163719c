"""The instructor's tools: grade submissions with nbgrader's preprocessors and gradebook, student code in a sandbox.

`autograde` is the command (`python3 course.py grade`); `judge` decides the grade in the grader's process (test
cells here, the student's functions called in `executor`, a process started by `launch` in the `sandbox`; values
cross as `wire` says); `preprocessors.TrustedExecute` is the same judgement inside `nbgrader autograde`;
`policy` holds the exercises' rules; `release` regenerates and checks `exercises/`; `feedback` is nbgrader's feedback
without hidden tests; `class_report` summarises a class; `results` and `course_folder` are the pieces they share;
`demo` and `samples` are the demonstration. Notebooks never import this package.
"""
import sys as _sys

# jsonschema (under nbformat) compiles rfc3987_syntax's IRI grammars at import when that package is installed: 2.6 s
# of every grading process's start, for an "iri" format check no notebook schema uses. Skipped in processes that
# import this package before jsonschema (the grading command, its workers); a server that has jsonschema already
# (the formgrader) keeps its checks.
if "jsonschema" not in _sys.modules:
    _sys.modules.setdefault("rfc3987_syntax", None)
