"""PyTorch reference implementations, in the course's notation (row vectors, time-major, float64).

These are the grader's oracles. Where PyTorch has a module (`torch.nn.RNN`, ...), the test suite checks the
reference against it; where it has none (the Jordan network), against a case computed by hand.
"""
from autograder.references.elman import elman_forward, elman_params_from_torch, elman_step, output_layer
from autograder.references.jordan import jordan_forward

__all__ = ["elman_step", "elman_forward", "elman_params_from_torch", "output_layer", "jordan_forward"]
