"""The course's grading package.

- `autograder.references`: PyTorch reference implementations (float64), the oracles of every hidden test.
- `autograder.checks`: comparisons that test cells call; a failure says what is wrong, where, and by how much.
- `autograder.cases`: random and edge-case inputs with their expected outputs, for hidden tests.
- `autograder.release`: regenerate `exercises/` with nbgrader and check that nothing secret leaks.
- `autograder.demo`: the instructor demonstration (autograde sample submissions, export grades).

Shape convention, course-wide: sequences are time-major, `X` has shape (T, batch, d_in); one step `X_t` is a
(batch, d_in) matrix of row vectors; weights multiply on the right, `X_t @ W_xh` with `W_xh` of shape (d_in, h).
"""
__version__ = "0.1.0"
