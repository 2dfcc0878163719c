"""What every chapter's cases share: the `Case` record, how weights are drawn, and how a case describes itself.

A hidden test picks shapes and seeds; the chapter's module (`autograder.cases.<id>`) draws the numbers and asks the
oracle (a `torch.nn` module where PyTorch has one, else `autograder.references.<id>`). A check message quotes the
case's description, so a learner reads which case failed (e.g. "T=1, B=1, d_in=3, h=3, given H0").
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Large enough to push tanh and the sigmoids out of their linear ranges, so that a wrong activation, a missing
# bias or a transposed matrix cannot pass by accident.
WEIGHT_STD = 0.6

# The dimensions a description names, in this order, when a spec has them.
DIMENSIONS = ("T", "B", "d_in", "h", "q", "layers", "num_layers")


@dataclass
class Case:
    description: str
    inputs: dict = field(default_factory=dict)     # keyword arguments for the learner's function (NumPy)
    expected: dict = field(default_factory=dict)   # expected outputs (NumPy, float64)


def normal(rng: np.random.Generator, *shape: int, std: float = WEIGHT_STD, mean: float = 0.0) -> np.ndarray:
    """Weights (or inputs) of the given shape, drawn from N(mean, std²)."""
    return rng.normal(mean, std, size=shape)


def dimensions(spec: dict) -> str:
    """'T=5, B=3, d_in=4, h=6': the spec's sizes, in the course's order."""
    return ", ".join(f"{k}={spec[k]}" for k in DIMENSIONS if k in spec)


def initial_state(spec: dict, name: str) -> str:
    """'given H0' when the case passes an initial state, else 'H0=None (zeros)'."""
    return f"given {name}" if spec.get("initial") else f"{name}=None (zeros)"


def sequence(rng: np.random.Generator, spec: dict,
             state_size: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Inputs X (T, B, d_in) ~ N(0, 1), then an initial state (B, state_size or h) ~ N(0, 1) when spec['initial'],
    else None: drawn in this order, so every chapter's cases stay what their seeds made them."""
    X = rng.normal(size=(spec["T"], spec["B"], spec["d_in"]))
    state = rng.normal(size=(spec["B"], state_size or spec["h"])) if spec.get("initial") else None
    return X, state
