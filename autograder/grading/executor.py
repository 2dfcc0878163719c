"""The student's process at grading: runs the student's cells and answers the grader's calls, over a pipe.

    python -I autograder/grading/executor.py      (started by the grader inside the sandbox; stdin/stdout are the pipe)

It executes the notebook's non-test cells in one namespace (capturing what each prints, size-limited), and calls a
function the student defined when the grader asks, with arguments decoded from the wire (`wire`), sending back its
result. It never sees a test: test cells, expected values and comparisons stay in the grader's process. A callable
argument stays in the grader too: calling it here sends a callback request and waits for the grader's answer.
Torch is not importable here (the sandbox hides it; this process also refuses it, with the reason).
Standard library, NumPy and the learner-side package only; IPython magics (`%timeit`, `!ls`) do not run here.
"""
from __future__ import annotations

import io
import os
import sys
import traceback
from pathlib import Path

if __name__ == "__main__":          # run as a script with -I: make the course package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from autograder.grading import wire  # noqa: E402

OUTPUT_LIMIT = 1 * 2**20             # characters of printed output kept per cell or call
NO_TORCH = ("torch is not available while grading: the exercises are NumPy only (a torch module passed to your "
            "function arrives as a stand-in whose parameters have .detach().numpy())")


class _NoTorch:
    """Import hook: `import torch` fails with the course's reason (the sandbox hides torch as well)."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}: {NO_TORCH}", name=name)
        return None


class _Capture(io.TextIOBase):
    """What the student prints, kept up to OUTPUT_LIMIT characters."""

    def __init__(self):
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = OUTPUT_LIMIT - self.size
        if room > 0:
            self.parts.append(text[:room])
        self.dropped += max(0, len(text) - max(room, 0))
        self.size += min(len(text), max(room, 0))
        return len(text)

    def value(self) -> str:
        note = f"\n[... {self.dropped} more characters of output dropped]\n" if self.dropped else ""
        return "".join(self.parts) + note


class Channel:
    def __init__(self, rfd: int, wfd: int):
        self.r, self.w = os.fdopen(rfd, "rb", buffering=0), os.fdopen(wfd, "wb", buffering=0)

    def send(self, message: dict, blob: bytes = b"") -> None:
        self.w.write(wire.pack(message, blob))

    def receive(self) -> tuple[dict, bytes]:
        head = self._read(wire.HEAD_SIZE)
        n_text, n_blob = wire.parse_header(head)
        return wire.unpack(self._read(n_text)), self._read(n_blob)

    def _read(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = self.r.read(left)
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


def student_traceback(err: BaseException) -> list[str]:
    """The traceback lines that belong to the student's cells (this file's frames left out)."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename != __file__]
    lines = traceback.format_list(frames) if frames else []
    return ["Traceback (most recent call last):\n", *lines, *traceback.format_exception_only(type(err), err)]


def error_of(err: BaseException) -> dict:
    return {"ename": type(err).__name__, "evalue": str(err)[:4000], "traceback": student_traceback(err)[-30:]}


class Executor:
    def __init__(self, channel: Channel):
        self.channel = channel
        self.namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
        self.registered_used: set[str] = set()

    # -- the grader's objects: a callable stays in the grader, a torch module arrives as a stand-in
    def rebuild(self, description):
        if isinstance(description, dict) and description.get("kind") == "callback":
            return self._callback(description["id"], description.get("name", "function"))
        if isinstance(description, dict) and description.get("kind") == "rng":
            return wire.rebuild_generator(description)
        if isinstance(description, dict) and description.get("kind") == "registered":
            wire.set_class_states({description["type"]: description.get("state", {})})
            self.registered_used.add(description["type"])
            return description["value"].view(wire.registered_class(description["type"]))
        from autograder.module_view import rebuild
        return rebuild(description)

    def _callback(self, cid: int, name: str):
        channel = self.channel

        def call_grader(*args, **kwargs):
            tree, blob = wire.encode([list(args), kwargs])
            channel.send({"op": "callback", "id": cid, "args": tree}, blob)
            reply, rblob = channel.receive()
            if reply.get("op") != "callback_result":
                raise RuntimeError("the grader ended the call")
            if "error" in reply:
                raise RuntimeError(f"{name} (given by the test) raised {reply['error']}")
            return wire.decode(reply["value"], rblob)
        call_grader.__name__ = call_grader.__qualname__ = name
        return call_grader

    # -- requests
    def run_cell(self, request: dict) -> tuple[dict, bytes]:
        source = request["source"]
        out, err = _Capture(), _Capture()
        sys.stdout, sys.stderr = out, err
        reply = {"ok": True}
        try:
            code = compile(source, f"<cell {request.get('cell', '')}>", "exec")
            exec(code, self.namespace)
        except SyntaxError as e:
            reply = {"ok": False, "error": error_of(e)}
            if any(line.lstrip().startswith(("%", "!")) for line in source.splitlines()):
                reply["error"]["evalue"] += (" (IPython magics and shell commands, `%...` and `!...`, do not run "
                                             "when the notebook is graded: remove them from this cell)")
        except BaseException as e:  # the student's error is the cell's outcome (SystemExit included)
            reply = {"ok": False, "error": error_of(e)}
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        reply.update(stdout=out.value(), stderr=err.value())
        return reply, b""

    def resolve(self, request: dict) -> tuple[dict, bytes]:
        kinds, values = {}, {}
        for name in request["names"]:
            if name not in self.namespace:
                kinds[name] = "missing"
            elif callable(self.namespace[name]):
                kinds[name] = "callable"
            else:
                try:
                    values[name] = self.namespace[name]
                    wire.encode(values[name])
                    kinds[name] = "value"
                except wire.WireError:
                    values.pop(name)
                    kinds[name] = "other"
        tree, blob = wire.encode(values)
        return {"kinds": kinds, "values": tree}, blob

    def call(self, request: dict, blob: bytes) -> tuple[dict, bytes]:
        name = request["name"]
        function = self.namespace.get(name)
        if not callable(function):
            return {"op": "error", "error": {"ename": "NameError", "evalue": f"name {name!r} is not defined",
                                             "traceback": []}}, b""
        self.registered_used = set()
        args, kwargs = wire.decode(request["args"], blob, self.rebuild)
        out, err = _Capture(), _Capture()
        sys.stdout, sys.stderr = out, err
        try:
            result = function(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 (the student's error is the call's outcome)
            return {"op": "error", "error": error_of(e), "stdout": out.value(), "stderr": err.value()}, b""
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        # The arguments go back as the call left them (arrays and dicts changed in place, a generator advanced),
        # so the test sees what a local call would have done to them.
        result = wire.plain_registered(result)
        try:
            wire.encode(result)           # the result itself: plain values only, or the reason why not
            tree, rblob = wire.encode([result, [list(args), kwargs]], wire.describe_argument)
        except wire.WireError as e:
            expected = "NumPy arrays, numbers, strings, or tuples, lists and dicts of them"
            return {"op": "error", "error": {"ename": "ReturnTypeError",
                                             "evalue": f"{name} returned {e} inside its result; expected {expected}",
                                             "traceback": []},
                    "stdout": out.value(), "stderr": err.value()}, b""
        return {"op": "result", "value": tree, "stdout": out.value(), "stderr": err.value(),
                "classes": wire.class_states(self.registered_used)}, rblob

    def serve(self) -> None:
        while True:
            try:
                request, blob = self.channel.receive()
            except EOFError:
                return
            op = request.get("op")
            if op == "exec":
                reply = self.run_cell(request)
            elif op == "resolve":
                reply = self.resolve(request)
            elif op == "call":
                try:
                    reply = self.call(request, blob)
                except wire.WireError as e:
                    reply = {"op": "error", "error": {"ename": "WireError", "evalue": str(e), "traceback": []}}, b""
            elif op == "bye":
                return
            else:
                reply = {"op": "error", "error": {"ename": "ProtocolError", "evalue": f"unknown op {op!r}",
                                                  "traceback": []}}, b""
            self.channel.send(*reply)


def main() -> int:
    # The pipe to the grader gets private descriptors; fd 1 and 2 go nowhere, so a stray write from C code or a
    # child process cannot be taken for a reply.
    rfd, wfd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.meta_path.insert(0, _NoTorch())
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    Executor(Channel(rfd, wfd)).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
