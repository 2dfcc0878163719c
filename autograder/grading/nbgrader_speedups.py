"""Two caches nbgrader lacks, for a process that grades many notebooks: `apply()` installs both (idempotent).

* One SQLAlchemy engine per database URL for every nbgrader `Gradebook`. nbgrader makes a new engine per instance,
  and with it an empty cache of compiled queries; a grading run opens several per notebook (ours and those inside
  nbgrader's preprocessors), so a third of the coordinator's time went into compiling the same SELECTs again.
  `Gradebook.close()`'s `engine.dispose()` only empties the shared engine's pool, which refills on the next use.
* One compiled JSON-schema validator per schema for `CheckCellMetadata`: nbgrader calls `jsonschema.validate` per
  cell, which checks the schema itself again every time (60 ms of a chapter-1 notebook's 250).

Neither changes a result: the same queries and the same validation run, only once compiled. Measured by
benchmarks/grade_class.py and grade_cluster.py (coordinator core-seconds per notebook).
"""
from __future__ import annotations

import json
import threading

_engines: dict = {}
_validators: dict = {}
_lock = threading.Lock()


def apply() -> None:
    share_engines()
    cache_metadata_schemas()


def share_engines() -> None:
    import nbgrader.api as api
    if getattr(api.create_engine, "shared", False):
        return
    original = api.create_engine

    def create_engine(url, **kwargs):
        key = (str(url), tuple(sorted(kwargs.items())))
        with _lock:
            if key not in _engines:
                _engines[key] = original(url, **kwargs)
            return _engines[key]
    create_engine.shared = True
    api.create_engine = create_engine


def _validate(instance, schema) -> None:
    """jsonschema.validate(instance, schema), with the schema checked and compiled once."""
    import jsonschema
    key = json.dumps(schema, sort_keys=True)
    with _lock:
        validator = _validators.get(key)
        if validator is None:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = _validators[key] = cls(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


class _CachedJsonschema:
    """Stands for the `jsonschema` module in nbgrader's metadata validator, which uses only its `validate`."""
    validate = staticmethod(_validate)


def cache_metadata_schemas() -> None:
    from nbgrader.nbgraderformat import common
    common.jsonschema = _CachedJsonschema
