"""The trusted judgement: test cells run in the grader's process, the student's functions in the student's.

For each code cell of a (sanitized) submission, in order:

* a test cell (a grade cell of the gradebook) runs HERE, from the gradebook's source text, in a namespace built by
  the notebook's locked set-up cells (also run here, from the source). Each name the student's answers define
  (their functions) is a `StudentFunction`: calling it sends the arguments to the student's process, which calls
  the student's function and sends back the result (`wire`: plain values and NumPy arrays only, size-bounded, no
  pickle). Expected values, comparisons and the tests' source never leave this process; nothing the student's
  process prints, raises, patches or writes can make a test pass;
* every other code cell (set-up and the student's) runs in the student's process (`executor`), started in the
  sandbox (`launch`), which has no torch.

A cell that kills the student's process, or runs past its time, costs that cell: it gets an error that says so, a
fresh process replays the cells that had run cleanly, and the rest runs. Torch modules passed to a student's
function arrive as `autograder.module_view` stand-ins; callables (a function to differentiate, a simulated
device's clock) stay here and are called back. Case generators' results are cached per process (deep copies);
module-level fixtures are read-only (`fixtures`), so one notebook's answer never changes what the next is judged
against.
"""
from __future__ import annotations

import ast
import copy
import dataclasses
import functools
import importlib
import io
import os
import re
import select
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from nbformat.v4 import new_output

from autograder.grading import fixtures, launch, wire

KERNEL_DIED, TIMEOUT, NOT_RUN, PROTOCOL = "KernelDied", "Timeout", "NotRun", "ProtocolError"
OUTPUT_LIMIT = 1 * 2**20              # characters of output kept per cell
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


# ---------------------------------------------------------------- what the grader trusts


@dataclass
class TrustedCell:
    grade_id: str
    kind: str             # "setup" (locked, not graded) or "test" (a grade cell)
    source: str


@dataclass
class TrustedNotebook:
    """The source's trusted cells by grade_id, and the names the student's answers define."""
    cells: dict[str, TrustedCell]
    student_names: set[str] = field(default_factory=set)

    def to_plain(self) -> dict:
        """Plain data (what a job carries to a worker: no pickled objects); `from_plain` rebuilds it."""
        return {"cells": {g: dataclasses.asdict(c) for g, c in self.cells.items()},
                "student_names": sorted(self.student_names)}

    @classmethod
    def from_plain(cls, data: dict) -> TrustedNotebook:
        return cls({g: TrustedCell(**c) for g, c in data["cells"].items()}, set(data["student_names"]))

    @classmethod
    def from_source_notebook(cls, nb) -> TrustedNotebook:
        cells, solutions = {}, []
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            gid = meta.get("grade_id")
            if cell.cell_type != "code" or not gid:
                continue
            if meta.get("grade") and not meta.get("solution"):
                cells[gid] = TrustedCell(gid, "test", cell.source)
            elif meta.get("solution"):
                solutions.append(cell.source)
            elif meta.get("locked"):
                cells[gid] = TrustedCell(gid, "setup", cell.source)
        return cls(cells, _student_names(cells, solutions))

    @classmethod
    def from_gradebook(cls, gb, notebook: str, assignment: str) -> TrustedNotebook:
        nbrec = gb.find_notebook(notebook, assignment)
        graded = {c.name for c in nbrec.grade_cells if c.cell_type == "code"}
        solution = {c.name for c in nbrec.solution_cells}
        cells, solutions = {}, []
        for sc in nbrec.source_cells:
            if sc.cell_type != "code":
                continue
            if sc.name in graded and sc.name not in solution:
                cells[sc.name] = TrustedCell(sc.name, "test", sc.source)
            elif sc.name in solution:
                solutions.append(sc.source)
            elif sc.locked:
                cells[sc.name] = TrustedCell(sc.name, "setup", sc.source)
        return cls(cells, _student_names(cells, solutions))


def _bound(source: str) -> set[str]:
    """Names a cell binds at top level (defs, classes, assignments, imports)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _student_names(cells: dict[str, TrustedCell], solutions: list[str]) -> set[str]:
    ours = set().union(*(_bound(c.source) for c in cells.values() if c.kind == "setup"))
    return set().union(*(_bound(s) for s in solutions)) - ours


# ---------------------------------------------------------------- case generators, cached per process

_CACHE_LOCK = threading.Lock()
_PATCHED: set[str] = set()
_CASE_MODULE = re.compile(r"autograder\.cases\.(\w+)")


def cache_case_generators(sources) -> None:
    """Wrap each `*_cases` function of the chapters' case modules these sources import so that the same arguments
    (same seed, same specs) give a deep copy of the first result instead of a new draw and new reference runs."""
    for name in sorted({m for s in sources for m in _CASE_MODULE.findall(s)}):
        module_name = f"autograder.cases.{name}"
        with _CACHE_LOCK:
            if module_name in _PATCHED:
                continue
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            for attr, fn in list(vars(module).items()):
                if attr.endswith("_cases") and callable(fn) and not getattr(fn, "_cached", False):
                    setattr(module, attr, _memoized(fn))
            _PATCHED.add(module_name)


def _memoized(fn):
    cache: dict[str, object] = {}

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key = repr((args, sorted(kwargs.items())))
        if key in cache:
            return copy.deepcopy(cache[key])
        result = fn(*args, **kwargs)
        if _cacheable(result):
            cache[key] = copy.deepcopy(result)
        return result
    wrapper._cached = True
    return wrapper


def _cacheable(value, depth: int = 0) -> bool:
    """Only data (arrays, numbers, containers, torch modules and tensors, Case records): a closure or a bound
    method (a simulated device) would share its state between students."""
    import numpy as np
    if depth > 12:
        return False
    if value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_cacheable(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(_cacheable(v, depth + 1) for v in value.values())
    module = type(value).__module__.split(".")[0]
    if module == "torch":
        return not callable(value) or hasattr(value, "named_parameters")
    if hasattr(value, "__dataclass_fields__"):
        return all(_cacheable(getattr(value, f), depth + 1) for f in value.__dataclass_fields__)
    return False


# ---------------------------------------------------------------- output captured per thread


class _ThreadOutput(io.TextIOBase):
    """sys.stdout for the grader's process: a thread that is running a test cell writes into its own buffer."""

    def __init__(self, fallback):
        self.fallback = fallback
        self.local = threading.local()

    def writable(self):
        return True

    def write(self, text):
        buffer = getattr(self.local, "buffer", None)
        if buffer is None:
            return self.fallback.write(text)
        buffer.append(str(text))
        return len(text)

    def flush(self):
        if getattr(self.local, "buffer", None) is None:
            self.fallback.flush()


class _Captured:
    def __init__(self):
        self.parts: list[str] = []
        self.size = 0

    def append(self, text: str) -> None:
        room = OUTPUT_LIMIT - self.size
        if room <= 0:
            return
        if len(text) > room:
            text = text[:room] + f"\n[output cut at {OUTPUT_LIMIT} characters]\n"
        self.parts.append(text)
        self.size += len(text)

    def value(self) -> str:
        return "".join(self.parts)


_STDOUT_LOCK = threading.Lock()


def _capture_into(buffer: _Captured | None) -> None:
    with _STDOUT_LOCK:
        if not isinstance(sys.stdout, _ThreadOutput):
            sys.stdout = _ThreadOutput(sys.stdout)
        sys.stdout.local.buffer = buffer


# ---------------------------------------------------------------- the student's process, over its pipe


# Trusted code (set-up and test cells, callbacks) runs one thread at a time in a process, so that two notebooks
# judged in parallel threads never interleave global state (torch's random generator, a seeded draw); the lock is
# let go while a thread waits for its student's process.
_TRUSTED_LOCK = threading.RLock()


class _LetGo:
    """Releases the trusted lock for a wait on the student's process (if this thread holds it), then takes it back."""

    def __enter__(self):
        self.depth = 0
        while True:
            try:
                _TRUSTED_LOCK.release()
            except RuntimeError:
                break
            self.depth += 1
        return self

    def __exit__(self, *exc):
        for _ in range(self.depth):
            _TRUSTED_LOCK.acquire()
        return False


class KernelLost(BaseException):
    """The student's process died or ran past its time (a BaseException: a test's `except Exception` must not
    swallow it)."""

    def __init__(self, ename: str, message: str):
        super().__init__(message)
        self.ename = ename


class StudentCodeError(Exception):
    """The student's function raised, or returned what cannot be graded; carries the student's own traceback."""

    def __init__(self, name: str, error):
        if not isinstance(error, dict):     # what the student's process sent is its own responsibility
            error = {"ename": PROTOCOL, "evalue": f"the student's process sent a malformed error "
                                                  f"(a {type(error).__name__}, not an object)"}
        ename = str(error.get("ename", "Error"))
        self.ename = ename if _IDENTIFIER.match(ename) else "Error"
        lines = error.get("traceback")
        self.student_traceback = [str(line) for line in lines][-30:] if isinstance(lines, list) else []
        evalue = str(error.get("evalue", ""))[:4000]
        if not name:
            super().__init__(evalue)
        else:
            super().__init__(f"{name}: {evalue}" if evalue else f"raised by {name} (not written yet?)")


class StudentProcess:
    def __init__(self, workdir: Path, budget, seed: dict[str, bytes] | None = None):
        self.box = launch.start(workdir, budget, seed)
        self.rfd, self.wfd = self.box.stdout.fileno(), self.box.stdin.fileno()
        os.set_blocking(self.wfd, False)

    def close(self) -> None:
        try:
            self._send({"op": "bye"}, b"", time.monotonic() + 1)
        except (KernelLost, OSError, wire.WireError):
            pass
        self.box.__exit__(None, None, None)

    def _send(self, message: dict, blob: bytes, deadline: float) -> None:
        data = memoryview(wire.pack(message, blob))
        while data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise KernelLost(TIMEOUT, "timeout")
            _, ready, _ = select.select([], [self.wfd], [], left)
            if ready:
                try:
                    data = data[os.write(self.wfd, data):]
                except BrokenPipeError:
                    raise KernelLost(KERNEL_DIED, "died") from None

    def _read(self, n: int, deadline: float) -> bytes:
        chunks, left = [], n
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise KernelLost(TIMEOUT, "timeout")
            ready, _, _ = select.select([self.rfd], [], [], wait)
            if not ready:
                continue
            chunk = os.read(self.rfd, min(left, 1 << 20))
            if not chunk:
                raise KernelLost(KERNEL_DIED, "died")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _receive(self, deadline: float) -> tuple[dict, bytes]:
        """One reply. A frame the grader cannot read (not a frame, too large, not JSON, nested too deep) leaves the
        pipe out of step: the process is treated as lost (the cell fails with the reason; a fresh one replays)."""
        try:
            n_text, n_blob = wire.parse_header(self._read(wire.HEAD_SIZE, deadline))
            return wire.unpack(self._read(n_text, deadline)), self._read(n_blob, deadline)
        except wire.WireError as err:
            raise KernelLost(PROTOCOL, str(err)) from None

    def request(self, message: dict, blob: bytes, deadline: float, callbacks: dict | None = None):
        """Send a request; answer callback requests with `callbacks` until the reply comes."""
        with _LetGo():
            self._send(message, blob, deadline)
        while True:
            with _LetGo():
                reply, rblob = self._receive(deadline)
            if reply.get("op") != "callback":
                return reply, rblob
            fn = (callbacks or {}).get(reply.get("id"))
            try:
                if fn is None:
                    raise wire.WireError("no such callback")
                args, kwargs = wire.decode(reply.get("args"), rblob)
                with _TRUSTED_LOCK:
                    value = fn(*args, **kwargs)
                tree, out = wire.encode(value)
                self._send({"op": "callback_result", "value": tree}, out, deadline)
            except KernelLost:
                raise
            except Exception as err:  # the test's callable failed on what the student passed it: say so there
                self._send({"op": "callback_result", "error": f"{type(err).__name__}: {str(err)[:500]}"}, b"",
                           deadline)


class StudentFunction:
    """Stands, in the test's namespace, for a function the student defined: calling it calls theirs, over there."""

    def __init__(self, judge: NotebookJudge, name: str):
        self._judge, self.__name__ = judge, name

    def __call__(self, *args, **kwargs):
        return self._judge.call(self.__name__, args, kwargs)

    def __repr__(self):
        return f"<the student's {self.__name__}>"


def _describe(callbacks: dict):
    from autograder.module_view import ModuleView, describe_module, describe_tensor

    def describe(value):
        known = wire.describe_generator(value) or wire.describe_registered(value)
        if known is not None:
            return known
        if isinstance(value, ModuleView):         # the visible tests' torch-free stand-in (module_view.stand_in)
            return describe_module(value)
        if type(value).__module__.split(".")[0] == "torch":
            if hasattr(value, "named_parameters"):
                return describe_module(value)
            if hasattr(value, "detach"):
                return describe_tensor(value)
        if callable(value) and not isinstance(value, type):
            cid = len(callbacks) + 1
            callbacks[cid] = value
            return {"kind": "callback", "id": cid, "name": getattr(value, "__name__", "function")}
        return None
    return describe


# ---------------------------------------------------------------- one notebook


def error_output(ename: str, evalue: str, traceback: list[str] | None = None):
    return new_output("error", ename=ename, evalue=evalue, traceback=traceback or [f"{ename}: {evalue}"])


class OutputBudget:
    """What a notebook's cells may keep of what they print, applied as each output arrives (so a notebook printing
    hundreds of MiB in small pieces holds at most the budget here, and ships at most that): `cell` characters per
    cell, `total` for the notebook; the rest is dropped with a note saying so."""

    def __init__(self, cell: int, total: int):
        self.cell, self.left = min(cell, OUTPUT_LIMIT), total

    def keep(self, cell, text: str) -> str:
        used = sum(len(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        room = max(0, min(self.cell - used, self.left))
        if len(text) > room:
            text = text[:room] + f"\n[output cut: {len(text) - room} more characters, over the output budget]\n"
        self.left -= min(len(text), self.left)
        return text

    def streams(self, cell, stdout: str, stderr: str = "") -> None:
        if stdout:
            cell.outputs.append(new_output("stream", name="stdout", text=self.keep(cell, stdout)))
        if stderr:   # nbgrader would fail a cell that wrote to stderr; a warning must not cost the points
            text = "".join(f"[stderr] {line}\n" for line in stderr[:OUTPUT_LIMIT].splitlines())
            cell.outputs.append(new_output("stream", name="stdout", text=self.keep(cell, text)))


class NotebookJudge:
    def __init__(self, trusted: TrustedNotebook, workdir: Path, budget, timeout: float, max_restarts: int = 10,
                 seed: dict[str, bytes] | None = None):
        self.trusted, self.workdir, self.budget, self.timeout = trusted, workdir, budget, timeout
        self.seed = seed or {}       # the chapter's data files, placed in each fresh process's folder
        self.max_restarts = max_restarts
        self.namespace: dict = {"__name__": "__main__"}
        self.events: list[str] = []
        self.clean: list[tuple[int, str]] = []     # kernel cells that ran without losing the process (replayed)
        self.process: StudentProcess | None = None
        self.waited = 0.0          # seconds this cell has waited for the student's process
        self.notebook_deadline = time.monotonic() + float(getattr(budget, "wall_s", 600))
        self.output: _Captured | None = None
        self.restarts = 0
        self.kept = OutputBudget(int(getattr(budget, "cell_output_bytes", OUTPUT_LIMIT)),
                                 int(getattr(budget, "output_bytes", 8 * OUTPUT_LIMIT)))

    # -- calls from the test's namespace into the student's process
    def call(self, name: str, args: tuple, kwargs: dict):
        callbacks: dict = {}
        try:
            tree, blob = wire.encode([list(args), dict(kwargs)], _describe(callbacks))
        except wire.WireError as err:
            raise RuntimeError(f"the test could not send {name} its arguments ({err}); a grader bug") from None
        reply, rblob = self._request({"op": "call", "name": name, "args": tree}, blob, callbacks)
        if self.output is not None:
            self.output.append(str(reply.get("stdout", "")))
            stderr = str(reply.get("stderr", ""))
            if stderr:
                self.output.append("".join(f"[stderr] {line}\n" for line in stderr.splitlines()))
        if reply.get("op") != "result":
            raise StudentCodeError(name, reply.get("error") or {"ename": "ProtocolError", "evalue": "bad reply"})
        try:
            result, after = wire.decode(reply["value"], rblob, wire.keep_described)
            if _contains_described(result):
                raise wire.WireError("an object where a value was expected")
        except (wire.WireError, KeyError, TypeError, ValueError) as err:
            raise StudentCodeError(name, {"ename": "ReturnTypeError", "evalue": f"unreadable result ({err})"}) \
                from None
        # In-place changes reach what the test built itself (a params dict, a generator), never a shared fixture.
        wire.write_back([list(args), dict(kwargs)], after, skip=fixtures.is_frozen)
        wire.set_class_states(reply.get("classes"))
        return result

    # -- the student's process
    def _request(self, message: dict, blob: bytes, callbacks: dict | None = None):
        """A request whose wait counts against the cell's time; the grader's own work (a test computing its cases)
        does not."""
        started = time.monotonic()
        deadline = min(started + max(self.timeout - self.waited, 0.0), self.notebook_deadline)
        try:
            return self.process.request(message, blob, deadline, callbacks)
        finally:
            self.waited += time.monotonic() - started

    def _start(self) -> None:
        # The sandbox's own watchdog ends the process at the notebook's deadline, whichever process this is.
        left = max(1.0, self.notebook_deadline - time.monotonic())
        self.process = StudentProcess(self.workdir, dataclasses.replace(self.budget, wall_s=left + 5), self.seed)

    def _restart(self, cell, index: int, lost: KernelLost) -> bool:
        """After a lost process: the cell's error, a fresh process, the clean cells replayed. False: give up."""
        self.process.close()
        over = getattr(self.process.box, "over_budget", None)       # the sandbox says which budget ended it
        if time.monotonic() >= self.notebook_deadline:
            over = f"wall time: the notebook ran past its {self.budget.wall_s:g} s time budget"
        if over:
            cell.outputs.append(error_output("OverBudget", f"the student's process was stopped, over budget: {over}; "
                                                           "it was restarted and the following cells were run"))
        elif lost.ename == PROTOCOL:
            cell.outputs.append(error_output(PROTOCOL, f"the student's process sent a reply the grader cannot read "
                                                       f"({lost}); the cell fails, the process was restarted and "
                                                       "the following cells were run"))
        elif lost.ename == TIMEOUT:
            cell.outputs.append(error_output(TIMEOUT, f"the cell did not finish within {self.timeout:g} s and was "
                                                      "stopped (an endless loop?); the student's process was "
                                                      "restarted"))
        else:
            cell.outputs.append(error_output(KERNEL_DIED, "the kernel died (the student's process ended) while "
                                                          "running this cell (os._exit, a crash, or the memory "
                                                          "limit); it was restarted and the following cells were "
                                                          "run"))
        what = {TIMEOUT: "timeout", PROTOCOL: f"unreadable reply ({lost})"}.get(lost.ename, "kernel died")
        self.events.append(f"cell {index}: {over or what}")
        self.restarts += 1
        if self.restarts > self.max_restarts or time.monotonic() >= self.notebook_deadline:
            return False
        self._start()
        for replay_index, source in list(self.clean):
            try:
                self.process.request({"op": "exec", "cell": replay_index, "source": source}, b"",
                                     self._cell_deadline())
            except KernelLost:
                self.clean.remove((replay_index, source))
                self.process.close()
                self._start()
        return True

    def _cell_deadline(self) -> float:
        return min(time.monotonic() + self.timeout, self.notebook_deadline)

    # -- cells
    def run_in_kernel(self, cell, index: int, source: str) -> None:
        reply, _ = self._request({"op": "exec", "cell": index, "source": source}, b"")
        self.kept.streams(cell, str(reply.get("stdout", "")), str(reply.get("stderr", "")))
        if not reply.get("ok"):
            err = StudentCodeError("", reply.get("error") or {})
            cell.outputs.append(error_output(err.ename, str(err)[:4000], err.student_traceback or None))
        self.clean.append((index, source))

    def run_setup_here(self, source: str, gid: str) -> None:
        with _TRUSTED_LOCK:
            exec(compile(source, f"<setup {gid}>", "exec"), self.namespace)

    def run_test_here(self, cell, test: TrustedCell) -> None:
        names = sorted(self.trusted.student_names)
        reply, blob = self._request({"op": "resolve", "names": names}, b"")
        kinds = reply.get("kinds", {}) if isinstance(reply.get("kinds"), dict) else {}
        try:
            values = wire.decode(reply.get("values"), blob)
        except wire.WireError:
            values = {}
        for name in names:
            kind = kinds.get(name)
            if kind == "callable":
                self.namespace[name] = StudentFunction(self, name)
            elif kind == "value" and isinstance(values, dict) and name in values:
                self.namespace[name] = values[name]
            else:
                self.namespace.pop(name, None)
        self.output = _Captured()
        _capture_into(self.output)
        error = None
        try:
            with _TRUSTED_LOCK:
                exec(compile(test.source, f"<test {test.grade_id}>", "exec"), self.namespace)
        except StudentCodeError as err:
            error = error_output(err.ename, str(err), [*err.student_traceback, f"{err.ename}: {err}"])
        except Exception as err:  # the test's verdict (CheckFailure, AssertionError, NameError, ...)
            ename = type(err).__name__
            error = error_output(ename, str(err)[:8000], [f"{ename}: {str(err)[:8000]}"])
        finally:
            _capture_into(None)
            self.kept.streams(cell, self.output.value())
            self.output = None
        if error is not None:
            cell.outputs.append(error)

    def run(self, nb) -> list[str]:
        """Execute `nb`'s code cells in place (outputs replaced); returns the events worth reporting."""
        sources = [c.source for c in self.trusted.cells.values()]
        if any("torch" in s or "autograder.cases" in s for s in sources):
            import torch  # noqa: F401  (once per process, before any cell's time starts)
        cache_case_generators(sources)
        fixtures.freeze_modules(sources)
        code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        # The notebook's time starts now: the grader's own set-up above (torch, once per process) is not the
        # student's.
        self.notebook_deadline = time.monotonic() + float(getattr(self.budget, "wall_s", 600))
        self._start()
        try:
            for pos, index in enumerate(code):
                cell = nb.cells[index]
                cell.outputs = []
                cell.execution_count = None
                gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                trusted = self.trusted.cells.get(gid) if isinstance(gid, str) else None
                self.waited = 0.0
                if time.monotonic() >= self.notebook_deadline:
                    self._not_run(nb, code[pos:], "the notebook ran past its time budget")
                    break
                try:
                    if trusted is not None and trusted.kind == "test":
                        self.run_test_here(cell, trusted)
                    elif trusted is not None:
                        self.run_setup_here(trusted.source, gid)
                        self.run_in_kernel(cell, index, trusted.source)
                    else:
                        self.run_in_kernel(cell, index, cell.source)
                except KernelLost as lost:
                    _capture_into(None)
                    if not self._restart(cell, index, lost):
                        why = ("the notebook ran past its time budget" if time.monotonic() >= self.notebook_deadline
                               else f"the student's process had to be restarted more than {self.max_restarts} times")
                        self._not_run(nb, code[pos + 1:], why)
                        break
                except wire.WireError as err:
                    cell.outputs.append(error_output("GradingError", f"the student's process answered wrongly: "
                                                                     f"{err}"))
        finally:
            _capture_into(None)
            if self.process is not None:
                self.process.close()
        return self.events

    def _not_run(self, nb, indices, why: str) -> None:
        for i in indices:
            nb.cells[i].outputs = [error_output(NOT_RUN, f"not run: {why}")]
        self.events.append(f"{why}: {len(indices)} cell(s) not run")


def _contains_described(value, depth: int = 0) -> bool:
    if isinstance(value, wire.Described):
        return True
    if depth > wire.MAX_DEPTH:
        return False
    if type(value) in (list, tuple):
        return any(_contains_described(v, depth + 1) for v in value)
    if type(value) is dict:
        return any(_contains_described(v, depth + 1) for v in value.values())
    return False


def judge_notebook(nb, trusted: TrustedNotebook, timeout: float = 30, budget=None, extra_files=(),
                   workdir: Path | None = None, seed: dict[str, bytes] | None = None) -> list[str]:
    """Run `nb` the trusted way. The student's private folder exists only inside the sandbox (at `workdir`, a path
    of no meaning outside) and starts with `seed` (name -> bytes) and `extra_files` (regular files only) in it.
    Outputs in place; returns the events worth reporting."""
    budget = budget or launch.Budget(wall_s=max(120.0, timeout * 4 * 10))
    seed = dict(seed or {})
    seed.update({Path(f).name: Path(f).read_bytes() for f in extra_files
                 if Path(f).is_file() and not Path(f).is_symlink()})
    work = Path(workdir or f"/tmp/judge-{os.getpid()}-{threading.get_ident()}")
    return NotebookJudge(trusted, work, budget, timeout, seed=seed).run(nb)
