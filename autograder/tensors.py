"""Conversions between NumPy arrays and float64 tensors, shared by the references and the checks."""
from __future__ import annotations

import numpy as np

from autograder.lazy import lazy_import

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch


def as_float64(*arrays):
    """Each argument as a float64 torch tensor (from NumPy, lists or tensors). One argument in, one out."""
    out = tuple(a.detach().to(torch.float64) if isinstance(a, torch.Tensor)
                else torch.as_tensor(np.asarray(a, dtype=np.float64)) for a in arrays)
    return out[0] if len(out) == 1 else out


def f64(value):
    """One value as `as_float64` makes it, except that None and float64 tensors pass through untouched, so that
    autograd can differentiate a reference through them."""
    if value is None or (isinstance(value, torch.Tensor) and value.dtype == torch.float64):
        return value
    return as_float64(value)


def _is_tensor(value) -> bool:
    """Whether `value` is a torch tensor, asked without importing torch (a learner may not have it)."""
    return type(value).__module__.split(".")[0] == "torch" and isinstance(value, torch.Tensor)


def to_numpy(value):
    """A tensor as a float64 NumPy array; NumPy arrays and other values pass through (dicts and tuples recurse)."""
    if _is_tensor(value):
        return value.detach().cpu().to(torch.float64).numpy()
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(to_numpy(v) for v in value)
    return value
