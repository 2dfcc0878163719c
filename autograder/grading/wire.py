"""The values that cross between the grader and the student's process, and how: JSON plus raw array buffers.

Only these kinds cross, checked by exact type (a subclass, an object with `__array__`, a custom type is refused
with a reason): None, bool, int, float, str, and tuples, lists and dicts of them; NumPy arrays and NumPy scalars of
a numeric or bool dtype. Arrays travel as raw bytes described by (dtype, shape) and are rebuilt with
`np.frombuffer`: no pickle, no zip, and a message never decodes to more than its own size. Objects that cannot
cross as values (a torch module, a callable) are turned into a description by the sender's `describe` hook and
rebuilt by the receiver's `rebuild` hook.

A frame on a pipe: b"AGW1", the JSON length and the buffer length (8 bytes each, big-endian), the JSON, the buffer.
This module is imported on both sides, so it needs the standard library and NumPy only.
"""
from __future__ import annotations

import json
import math
import re
import struct

import numpy as np

MAGIC = b"AGW1"
HEADER = struct.Struct(">QQ")
MAX_BYTES = 64 * 2**20           # per message: a correct answer needs kilobytes
MAX_DEPTH = 32
_DTYPE = re.compile(r"^[<>|=]?[biufc][0-9]{1,2}$")
_NUMPY_SCALARS = {t for t in set(np.sctypeDict.values()) if np.dtype(t).kind in "biufc"}


class WireError(ValueError):
    """A value that may not cross, or a frame that is malformed or too large; the message says which."""


def describe_type(value) -> str:
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def encode(value, describe=None, limit: int = MAX_BYTES) -> tuple[dict, bytes]:
    """(JSON-able tree, buffer) for `value`. `describe(value)` returns a dict {"$": kind, ...} for an object that is
    not a plain value, or None to refuse it."""
    chunks: list[bytes] = []
    size = [0]

    def array(a: np.ndarray) -> dict:
        if a.dtype.kind not in "biufc" or a.dtype.hasobject:
            raise WireError(f"an array of dtype {a.dtype} (expected numbers or booleans)")
        size[0] += a.nbytes
        if size[0] > limit:
            raise WireError(f"output too large: more than {limit // 2**20} MiB of arrays")
        data = np.ascontiguousarray(a).tobytes()
        offset = sum(len(c) for c in chunks)
        chunks.append(data)
        return {"dtype": a.dtype.str, "shape": list(a.shape), "offset": offset, "nbytes": len(data)}

    def walk(v, depth: int):
        if depth > MAX_DEPTH:
            raise WireError(f"a value nested more than {MAX_DEPTH} levels deep")
        t = type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            return v if abs(v) < 2**63 else {"$": "bigint", "v": str(v)}
        if t is float:
            return v if math.isfinite(v) else {"$": "float", "v": repr(v)}
        if t is np.ndarray:
            return {"$": "array", **array(v)}
        if t in _NUMPY_SCALARS:
            return {"$": "scalar", **array(np.asarray(v))}
        if t is list or t is tuple:
            return {"$": t.__name__, "v": [walk(x, depth + 1) for x in v]}
        if t is dict:
            return {"$": "dict", "v": [[walk(k, depth + 1), walk(x, depth + 1)] for k, x in v.items()]}
        described = describe(v) if describe else None
        if described is None:
            raise WireError(f"a {describe_type(v)}")
        return {"$": "described", "v": walk(described, depth + 1)}

    tree = walk(value, 0)
    return tree, b"".join(chunks)


def decode(tree, blob: bytes, rebuild=None):
    """The value `encode` described. `rebuild(description)` makes an object from a described one."""
    view = memoryview(blob)

    def array(d: dict) -> np.ndarray:
        dtype, shape, offset, nbytes = d.get("dtype"), d.get("shape"), d.get("offset"), d.get("nbytes")
        if not (isinstance(dtype, str) and _DTYPE.match(dtype)):
            raise WireError(f"array dtype {dtype!r} refused")
        if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape) and len(shape) <= 32):
            raise WireError("malformed array shape")
        dt = np.dtype(dtype)
        count = math.prod(shape)
        if type(offset) is not int or type(nbytes) is not int or nbytes != count * dt.itemsize \
                or offset < 0 or offset + nbytes > len(blob):
            raise WireError("array bytes missing or of the wrong size")
        return np.frombuffer(view[offset:offset + nbytes], dtype=dt).reshape(shape).copy()

    def walk(v, depth: int):
        if depth > MAX_DEPTH + 2:
            raise WireError("value nested too deep")
        if v is None or type(v) in (bool, int, float, str):
            return v
        if type(v) is not dict or "$" not in v:
            raise WireError("malformed value")
        kind = v["$"]
        if kind == "array":
            return array(v)
        if kind == "scalar":
            return array(v)[()]
        if kind == "bigint":
            return int(v["v"])
        if kind == "float":
            return float(v["v"])
        if kind in ("list", "tuple"):
            items = [walk(x, depth + 1) for x in v["v"]]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            out = {}
            for k, x in v["v"]:
                key = walk(k, depth + 1)
                try:
                    out[key] = walk(x, depth + 1)
                except TypeError:
                    raise WireError("a dict key that cannot be hashed") from None
            return out
        if kind == "described":
            if rebuild is None:
                raise WireError("an object where a value was expected")
            return rebuild(walk(v["v"], depth + 1))
        raise WireError(f"unknown kind {kind!r}")

    try:
        return walk(tree, 0)
    except WireError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError, RecursionError) as err:
        # A malformed description ({"$": "list"} without "v", a bigint of a million digits): the sender's fault.
        raise WireError(f"malformed value ({type(err).__name__})") from None


# ---------------------------------------------------------------- stateful arguments: random generators

BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def describe_generator(value) -> dict | None:
    """A NumPy Generator as its bit generator's state (it crosses, is advanced there, and its state comes back)."""
    if type(value) is np.random.Generator and type(value.bit_generator).__name__ in BIT_GENERATORS:
        return {"kind": "rng", "state": value.bit_generator.state}
    return None


def rebuild_generator(description: dict) -> np.random.Generator:
    state = description.get("state")
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in BIT_GENERATORS:
        raise WireError(f"unknown bit generator {name!r}")
    bit = getattr(np.random, name)()
    bit.state = state
    return np.random.Generator(bit)


def describe_argument(value) -> dict:
    """How an argument goes back after a call: a generator with its new state; what the student's process only
    holds a stand-in for (a torch module, a callable) as a placeholder the grader leaves alone."""
    return describe_generator(value) or {"kind": "opaque"}


class Described(dict):
    """A description the grader received, kept as data (never rebuilt into an object here)."""


def keep_described(description) -> Described:
    if not isinstance(description, dict) or description.get("kind") not in ("rng", "opaque"):
        raise WireError("an object where a value was expected")
    return Described(description)


def write_back(original, new, depth: int = 0, skip=None) -> None:
    """Make `original` (the grader's argument) look as the student's function left its copy `new`: arrays and
    containers changed in place, generators advanced. Only containers the grader owns are touched, never replaced;
    nothing for which `skip(obj)` is true (a shared fixture) is touched at all, nor anything inside it."""
    if depth > MAX_DEPTH or (skip is not None and skip(original)):
        return
    if type(original) is np.ndarray and type(new) is np.ndarray:
        if original.shape == new.shape and original.flags.writeable and not np.array_equal(
                original, new, equal_nan=original.dtype.kind in "fc"):
            np.copyto(original, new, casting="unsafe")
    elif type(original) is np.random.Generator and isinstance(new, Described) and new.get("kind") == "rng":
        try:
            original.bit_generator.state = new["state"]
        except (TypeError, ValueError, KeyError):
            pass
    elif type(original) is dict and type(new) is dict:
        for key in [k for k in original if k not in new]:
            del original[key]
        for key, value in new.items():
            if key in original and _same_kind(original[key], value):
                write_back(original[key], value, depth + 1, skip)
            elif not isinstance(value, Described):
                original[key] = value
    elif type(original) is list and type(new) is list:
        for i, value in enumerate(new[:len(original)]):
            if _same_kind(original[i], value):
                write_back(original[i], value, depth + 1, skip)
            elif not isinstance(value, Described):
                original[i] = value
        if len(new) < len(original):
            del original[len(new):]
        else:
            original.extend(v for v in new[len(original):] if not isinstance(v, Described))
    elif type(original) is tuple and type(new) is tuple and len(original) == len(new):
        for a, b in zip(original, new):
            write_back(a, b, depth + 1, skip)


def _same_kind(a, b) -> bool:
    if type(a) is np.ndarray:
        return type(b) is np.ndarray and a.shape == b.shape and a.dtype == b.dtype
    if type(a) is np.random.Generator:
        return isinstance(b, Described)
    return type(a) in (dict, list, tuple) and type(a) is type(b)


# ---------------------------------------------------------------- registered learner-side array types

# NumPy array subclasses of the learner-side package that a test passes to a student's function to observe how it
# computes. They cross as plain arrays and are rebuilt there; the class attributes named here (counters) go over
# before the call and come back after it. Only these may be rebuilt. None is registered: what a count taken in the
# student's process says, the student can change. The SRU exercises are graded by their structure (the recurrence
# receives no weights); the scan exercises by the calls a student's function makes to the functions the tests hand
# over (autograder.cases.scan.Counted), counted in the grader.
REGISTERED: dict[str, tuple[str, ...]] = {}


def registered_name(value) -> str | None:
    name = f"{type(value).__module__}:{type(value).__qualname__}"
    return name if name in REGISTERED and isinstance(value, np.ndarray) else None


def registered_class(name: str):
    import importlib
    if name not in REGISTERED:
        raise WireError(f"type {name!r} may not be rebuilt")
    module, _, qualname = name.partition(":")
    return getattr(importlib.import_module(module), qualname)


def describe_registered(value) -> dict | None:
    name = registered_name(value)
    if name is None:
        return None
    cls = type(value)
    state = {attr: getattr(cls, attr) for attr in REGISTERED[name] if type(getattr(cls, attr, None)) in (int, float)}
    return {"kind": "registered", "type": name, "value": np.asarray(value).view(np.ndarray).copy(), "state": state}


def class_states(names) -> dict:
    return {name: {attr: getattr(registered_class(name), attr) for attr in REGISTERED[name]} for name in names}


def set_class_states(states) -> None:
    """Set the registered classes' counters (numbers only) from what the other side reported."""
    if not isinstance(states, dict):
        return
    for name, attrs in states.items():
        if name in REGISTERED and isinstance(attrs, dict):
            cls = registered_class(name)
            for attr, value in attrs.items():
                if attr in REGISTERED[name] and type(value) in (int, float):
                    setattr(cls, attr, value)


def plain_registered(value, depth: int = 0):
    """`value` with every registered array subclass turned back into a plain array (results computed from them)."""
    if depth > MAX_DEPTH:
        return value
    if registered_name(value) is not None:
        return np.asarray(value).view(np.ndarray)
    if type(value) in (list, tuple):
        return type(value)(plain_registered(v, depth + 1) for v in value)
    if type(value) is dict:
        return {k: plain_registered(v, depth + 1) for k, v in value.items()}
    return value


# ---------------------------------------------------------------- frames on a byte stream


def pack(message: dict, blob: bytes = b"", limit: int = MAX_BYTES) -> bytes:
    text = json.dumps(message, separators=(",", ":")).encode()
    if len(text) + len(blob) > limit:
        raise WireError(f"output too large: a message of {(len(text) + len(blob)) / 2**20:.1f} MiB "
                        f"(the limit is {limit // 2**20} MiB)")
    return MAGIC + HEADER.pack(len(text), len(blob)) + text + blob


def parse_header(head: bytes, limit: int = MAX_BYTES) -> tuple[int, int]:
    if head[:4] != MAGIC:
        raise WireError("the student's process wrote something that is not a reply (its protocol channel was "
                        "written to)")
    n_text, n_blob = HEADER.unpack(head[4:])
    if n_text + n_blob > limit:
        raise WireError(f"output too large: a reply of {(n_text + n_blob) / 2**20:.1f} MiB (the limit is "
                        f"{limit // 2**20} MiB)")
    return n_text, n_blob


HEAD_SIZE = len(MAGIC) + HEADER.size


def unpack(text: bytes) -> dict:
    """The message in a frame, its strings scrubbed of what UTF-8 cannot carry (a lone surrogate the student's code
    printed); WireError, with the reason, for anything else: not JSON, not an object, nested too deep."""
    try:
        message = json.loads(text)
    except (ValueError, RecursionError) as err:   # json's own recursion: `[[[[...]]]]` thousands deep
        why = "nested too deep" if isinstance(err, RecursionError) else str(err)[:200]
        raise WireError(f"unreadable reply ({why})") from None
    if type(message) is not dict:
        raise WireError(f"unreadable reply (a JSON {type(message).__name__}, not an object)")
    return scrub(message)


_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub_text(text: str) -> str:
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def scrub(value, depth: int = 0):
    """`value` with every string's lone surrogates replaced by U+FFFD (they cannot be written as UTF-8, so a
    notebook or a gradebook row holding one could not be saved); WireError past MAX_DEPTH + 8 levels."""
    if depth > MAX_DEPTH + 8:
        raise WireError("unreadable reply (nested too deep)")
    t = type(value)
    if t is str:
        return scrub_text(value)
    if t is list:
        return [scrub(v, depth + 1) for v in value]
    if t is dict:
        return {scrub(k, depth + 1): scrub(v, depth + 1) for k, v in value.items()}
    return value
