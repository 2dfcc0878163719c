"""The chapter's worked example, in one place: the book's table and the notebook's visible tests both use it.

2 inputs, 2 hidden units, 1 output, tanh, 3 time steps, batch of 1. The numbers are small and round so that the
first step can be done by hand.
"""
import numpy as np

WORKED_EXAMPLE = {
    "X": np.array([[[1.0, 0.0]], [[0.5, -1.0]], [[0.0, 1.0]]]),   # (T=3, B=1, d_in=2)
    "W_xh": np.array([[0.5, -0.3], [0.8, 0.2]]),                 # (d_in=2, h=2)
    "W_hh": np.array([[0.1, 0.4], [-0.6, 0.3]]),                 # (h=2, h=2)
    "b_h": np.array([0.0, 0.1]),                                 # (h=2,)
    "W_hq": np.array([[1.0], [-1.0]]),                           # (h=2, q=1)
    "b_q": np.array([0.2]),                                      # (q=1,)
}
