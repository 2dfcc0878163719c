"""The grader's shared fixtures, made read-only: the chapters' worked examples and the visible tests' values.

A test cell hands module-level objects (`EXAMPLE`, `VALUES`) to a student's function. The student's process gets
copies (`wire`), and what the function did to its arguments comes back only into objects the test built itself
(`judge` -> `wire.write_back`, told to skip what `is_frozen` names). So these objects are frozen once per process,
before the first notebook: arrays read-only, dicts and lists recorded. Nothing one notebook's answer does to its
arguments reaches the values the next notebook is judged against, for the life of the process (`course.py grade`,
`nbgrader autograde`, the formgrader's server, a Dask worker).
"""
from __future__ import annotations

import importlib
import re
import threading
import types
import warnings

import numpy as np

_LOCK = threading.Lock()
_FROZEN: set[int] = set()          # ids of frozen dicts and lists
_KEPT: list = []                   # the frozen containers themselves, so that no id is reused while listed
_MODULES: set[str] = set()
_CASE_MODULE = re.compile(r"autograder\.cases\.(\w+)")
ALWAYS = ("autograder.cases.visible_values",)


def freeze(value, depth: int = 0) -> None:
    """Make `value` read-only as far as the grader goes: arrays' write flag off, containers listed."""
    if depth > 40:
        return
    if type(value) is np.ndarray:
        value.setflags(write=False)
    elif type(value) in (dict, list):
        if id(value) in _FROZEN:
            return
        _FROZEN.add(id(value))
        _KEPT.append(value)
        for item in (value.values() if type(value) is dict else value):
            freeze(item, depth + 1)
        if type(value) is dict:
            for key in value:
                freeze(key, depth + 1)
    elif type(value) is tuple:
        for item in value:
            freeze(item, depth + 1)


def is_frozen(value) -> bool:
    """True for a shared fixture (or a view of one): the grader never writes into it."""
    if isinstance(value, np.ndarray):
        return not value.flags.writeable
    return id(value) in _FROZEN


def freeze_modules(sources) -> None:
    """Freeze the data (not the functions, classes or modules) of every case module the trusted `sources`
    import, and of the visible values: once per process."""
    names = {f"autograder.cases.{m}" for s in sources for m in _CASE_MODULE.findall(s)} | set(ALWAYS)
    for name in sorted(names - _MODULES):
        with _LOCK:
            if name in _MODULES:
                continue
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            for attr, value in vars(module).items():
                if attr.startswith("__") or callable(value) or isinstance(value, types.ModuleType):
                    continue
                freeze(value)
            _MODULES.add(name)
    # A test copying a frozen fixture into a torch tensor (`tensor.copy_(torch.from_numpy(value))`) only reads it.
    warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
