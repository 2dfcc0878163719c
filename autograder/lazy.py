"""Import a module on first use, so that importing a course module does not import torch.

A learner's notebook imports `autograder.cases.<id>` for the chapter's worked example; the grader's sandbox has no
torch at all. The case generators and references still use torch, which loads when one of them first touches it.
This is the standard library's recipe (importlib.util.LazyLoader), written once here.
"""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_import(name: str) -> ModuleType:
    """The module `name`, loaded when an attribute of it is first read (or at once if it is already loaded)."""
    if name in sys.modules:
        return sys.modules[name]
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        spec = None
    if spec is None:    # not installed (a learner's environment, the grader's sandbox): fail only when used
        return _Missing(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


class _Missing(ModuleType):
    """Stands for a module that is not installed; reading any attribute says so."""

    def __getattr__(self, attribute: str):
        raise ModuleNotFoundError(f"No module named {self.__name__!r}: this part of the course needs it "
                                  f"(`{self.__name__}.{attribute}` was used)", name=self.__name__)
