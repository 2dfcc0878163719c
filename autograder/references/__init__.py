"""PyTorch reference implementations in the course's notation (row vectors, time-major, float64): the oracles.

One module per chapter id (`autograder.references.<id>`). Where PyTorch has a module (`torch.nn.RNN`, ...), the test
suite checks the reference against it; where it has none (the Jordan network), against a case computed by hand.
"""
