"""The course's package, `autograder` (distribution `rnn-course`). Parts, by audience (ARCHITECTURE.md):

- learners' notebooks import `autograder.checks` (comparisons with messages that teach), `autograder.cases.<id>`
  (the chapter's worked example `EXAMPLE`) and, in the GPU chapter, `autograder.simulated_gpu`;
- the grader's oracles are `autograder.references.<id>` (PyTorch, float64) and the case generators in
  `autograder.cases.<id>`;
- the instructor's tools are `autograder.grading` (nbgrader preprocessors, sandbox, release check, feedback, report);
- book pages and benchmarks use `autograder.book`.

Shape convention, course-wide: sequences are time-major, `X` has shape (T, batch, d_in); one step `X_t` is a
(batch, d_in) matrix of row vectors; weights multiply on the right, `X_t @ W_xh` with `W_xh` of shape (d_in, h).
"""
__version__ = "0.1.0"
