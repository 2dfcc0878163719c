"""The instructor's tools: grade submissions with nbgrader's preprocessors and gradebook, student code in a sandbox.

`autograde` is the command (`python3 course.py grade`); `execute` and `sandbox` run one notebook's kernel;
`policy` holds the exercises' rules; `release` regenerates and checks `exercises/`; `feedback` is nbgrader's feedback
without hidden tests; `class_report` summarises a class; `results` and `course_folder` are the pieces they share;
`demo` and `samples` are the demonstration. Notebooks never import this package.
"""
