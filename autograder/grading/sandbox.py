"""The sandbox student code runs in: bubblewrap (`bwrap`), one sandbox per notebook.

    with sandbox.start([python, "-m", ...], workdir, sandbox.Budget()) as box:
        box.stdin.write(...); box.stdout.read(...); box.wait(60)

Each sandbox has its own PID, network (loopback only), IPC, UTS, mount and, where possible, cgroup namespaces. Its
filesystem holds only the system's libraries (/usr), the interpreter and the virtualenv (read-only, symlinks
resolved, so a symlinked venv or a venv whose python links to a system interpreter works), torch's package folders
replaced by a stub that refuses to import, a fresh /proc of its own PID namespace, a minimal /dev, and `workdir`: a
size-limited tmpfs, the only writable place. Nothing else of the host is there (no /etc/shadow, no gradebook, no
solutions, no other student's folder, no other checkout).

Who runs the code:
* as root, bwrap runs privileged (so it can bind paths inside a mode-700 folder) and the command starts through
  `setpriv` as a fresh uid of its own (no name, no groups, no capabilities, no_new_privs): host files owned by root
  stay closed, and RLIMIT_NPROC counts this sandbox's processes only;
* as a normal user, bwrap makes a user namespace (where the system allows unprivileged ones) and the code runs as
  that user mapped inside, with no capabilities and no further user namespaces (`--disable-userns`).
Where neither works, `unavailable_reason()` says why, and the grader refuses to run student code.

Every process ends with the sandbox: killing bwrap kills PID 1 of the sandbox's PID namespace, which takes every
process in it along (`--die-with-parent`, `--new-session` against terminal injection). No user is created, no
process is looked up by uid, no shared folder is scanned.

Budgets (`Budget`): wall time (a watchdog kills the sandbox), CPU seconds, memory of the whole process tree (a
memory cgroup, v2 or v1, where this process may create one; otherwise RLIMIT_AS per process with RLIMIT_NPROC
forbidding more than a few processes), disk (the tmpfs size, and RLIMIT_FSIZE per file), output bytes (for the
caller reading `stdout`). `limits_in_force()` says which apply here.
"""
from __future__ import annotations

import atexit
import functools
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

# Packages a student's kernel must not import (the NumPy-only rule, as a fact of the filesystem).
HIDDEN_PACKAGES = ("torch", "torchgen", "functorch", "triton")
HIDDEN_STUB = 'raise ImportError("{name} is not available in the grading sandbox (NumPy only)")\n'
# Set by `--unsafe-no-sandbox` where bubblewrap cannot run: programs then run unconfined, with the limits only.
UNSAFE_ENV = "COURSE_UNSAFE_NO_SANDBOX"
ADDRESS_SPACE_SLACK = 2 * 2**30
# Fresh uids for root mode: far above real users and subordinate id ranges (/etc/subuid starts at 100000).
UID_BASE, UID_SPAN = 2**30, 2**24


@dataclass
class Budget:
    """One submission's allowance. Over a budget the sandbox is stopped (wall, memory) or the call fails inside it
    (disk, processes); the caller grades what ran and says which budget was exceeded."""
    wall_s: float = 300.0              # the whole notebook (every chapter's runs in seconds)
    cpu_s: int = 600                   # CPU seconds, per process
    memory_bytes: int = 4 * 2**30      # the whole process tree (cgroup), else address space per process
    disk_bytes: int = 256 * 2**20      # size of the writable tmpfs; also the largest file
    output_bytes: int = 2 * 2**20      # what the caller reads back for the whole notebook
    cell_output_bytes: int = 256 * 2**10   # per cell (the caller's to enforce)
    processes: int = 32                # processes and threads of the sandbox's user
    open_files: int = 256


def bwrap() -> str | None:
    return shutil.which("bwrap")


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@functools.lru_cache(maxsize=1)
def unavailable_reason() -> str | None:
    """None when sandboxes work here; otherwise why not (student code must then not be run)."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux namespaces (this is {sys.platform})"
    if not bwrap():
        return ("bubblewrap is not installed (`apt-get install bubblewrap`, which `python3 course.py setup` does "
                "when run as root)")
    try:
        with tempfile.TemporaryDirectory(prefix="course-sandbox-probe-") as d, \
                start(["/bin/true"], Path(d), Budget(wall_s=30)) as box:
            code = box.wait(30)
            if code != 0:
                err = box.stderr_text().strip()
                return f"bubblewrap cannot create a sandbox here ({err or f'exit status {code}'})" + (
                    "" if is_root() else "; unprivileged user namespaces may be disabled "
                    "(kernel.unprivileged_userns_clone, user.max_user_namespaces); run as root")
    except Exception as err:  # noqa: BLE001 — any failure to start means: no sandbox
        return f"bubblewrap cannot create a sandbox here ({type(err).__name__}: {err})"
    return None


# ---------------------------------------------------------------- memory cgroups


def _own_cgroup() -> tuple[int, Path] | None:
    """(version, this process's memory cgroup folder) where this process may create a child with a memory limit."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        hid, controllers, path = line.split(":", 2)
        if hid == "0":
            # cgroup v2: usable when the memory controller is enabled for our cgroup's children (delegated).
            for root in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
                folder = root / path.lstrip("/")
                ctl = folder / "cgroup.subtree_control"
                if ctl.exists() and "memory" in ctl.read_text().split() and os.access(folder, os.W_OK):
                    return 2, folder
    for line in lines:
        hid, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            folder = Path("/sys/fs/cgroup/memory") / path.lstrip("/")
            if (folder / "memory.limit_in_bytes").exists() and os.access(folder, os.W_OK):
                return 1, folder
    return None


def _remove_stale_cgroups(parent: Path) -> None:
    """Empty sandbox cgroups whose creator has died (a launcher killed before it could clean up)."""
    for child in parent.glob("course-sandbox-*-*"):
        try:
            creator = int(child.name.split("-")[2])
        except ValueError:
            continue
        if not Path(f"/proc/{creator}").exists():
            try:
                child.rmdir()              # fails, harmlessly, while a process is still in it
            except OSError:
                pass


@functools.lru_cache(maxsize=1)
def cgroup_parent() -> tuple[int, Path] | None:
    """The memory cgroup sandboxes are made under, after checking that a child can really be created."""
    found = _own_cgroup()
    if not found:
        return None
    probe = found[1] / f"course-sandbox-probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError:
        return None
    _remove_stale_cgroups(found[1])
    return found


def limits_in_force() -> str:
    """One line for the grading log: what bounds a sandbox on this machine."""
    who = ("root: bwrap privileged, code runs as a fresh unprivileged uid" if is_root()
           else "user namespace: code runs as this user, mapped, without capabilities")
    cg = cgroup_parent()
    memory = (f"memory: cgroup v{cg[0]} limit on the whole process tree ({cg[1]})" if cg
              else "memory: RLIMIT_AS (budget + 2 GiB) per process, as no memory cgroup can be created here, with "
              "RLIMIT_NPROC bounding the number of processes")
    return (f"sandbox: bubblewrap {who}; namespaces pid, net, ipc, uts, mount; {memory}; disk: tmpfs size + "
            "RLIMIT_FSIZE; processes: RLIMIT_NPROC; CPU: RLIMIT_CPU; wall: watchdog")


class _Cgroup:
    def __init__(self, version: int, parent: Path, memory_bytes: int):
        self.version = version
        self.last_peak: int | None = None
        self.path = parent / f"course-sandbox-{os.getpid()}-{random.randrange(16**8):08x}"
        self.path.mkdir()
        if version == 2:
            (self.path / "memory.max").write_text(str(memory_bytes))
            if (self.path / "memory.swap.max").exists():
                (self.path / "memory.swap.max").write_text("0")
        else:
            (self.path / "memory.limit_in_bytes").write_text(str(memory_bytes))
            memsw = self.path / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                try:
                    memsw.write_text(str(memory_bytes))
                except OSError:
                    pass

    def peak(self) -> int | None:
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        try:
            return int((self.path / name).read_text())
        except (OSError, ValueError):
            return None

    def oom_killed(self) -> bool:
        try:
            if self.version == 2:
                events = dict(line.split() for line in (self.path / "memory.events").read_text().splitlines())
                return int(events.get("oom_kill", 0)) > 0
            control = dict(line.split() for line in (self.path / "memory.oom_control").read_text().splitlines())
            return int(control.get("oom_kill", 0)) > 0
        except (OSError, ValueError):
            return False

    def remove(self) -> None:
        for _ in range(100):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                threading.Event().wait(0.02)   # the killed processes are still exiting


# ---------------------------------------------------------------- the sandbox


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:]
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts))]


def _read_only_paths(extra: list[Path]) -> list[str]:
    """The real paths of the interpreter, its standard library and the virtualenv (symlinks resolved)."""
    paths = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    libdir = sysconfig.get_config_var("LIBDIR")          # libpython, for interpreters linked against it
    if libdir:
        paths.add(os.path.realpath(libdir))
    paths |= {os.path.realpath(p) for p in extra}
    paths = {p for p in paths if os.path.exists(p) and not p.startswith(("/usr/", "/proc", "/sys", "/dev"))
             and p != "/usr"}
    # Keep only the outermost of nested paths.
    return sorted(p for p in paths if not any(p != q and p.startswith(q + "/") for q in paths))


def _symlinks(extra: list[Path]) -> dict[str, str]:
    """Symlinks on the way to the interpreter and the venv (a worktree's `.venv -> /elsewhere/.venv`), recreated
    inside as links to the real paths that are bound."""
    links = {}
    for path in [sys.prefix, os.path.dirname(sys.executable), *map(str, extra)]:
        parts = Path(os.path.abspath(path)).parts
        for i in range(2, len(parts) + 1):
            p = os.path.join(*parts[:i])
            if os.path.islink(p) and not p.startswith("/usr"):
                links[p] = os.path.realpath(p)
    return links


def _hidden_package_dirs() -> list[str]:
    out = []
    for site in {os.path.realpath(p) for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])}:
        out += [os.path.join(site, n) for n in HIDDEN_PACKAGES if os.path.isdir(os.path.join(site, n))]
    return out


@functools.lru_cache(maxsize=1)
def _stub_folder() -> Path:
    """This process's folder of stubs, removed when it exits."""
    folder = Path(tempfile.mkdtemp(prefix="course-sandbox-stubs-"))
    os.chmod(folder, 0o755)
    atexit.register(shutil.rmtree, folder, True)
    return folder


@functools.lru_cache(maxsize=None)
def _stub(name: str) -> str:
    """A file `raise ImportError(...)`, mounted as the hidden package's __init__.py."""
    path = _stub_folder() / f"{name}.py"
    path.write_text(HIDDEN_STUB.format(name=name))
    os.chmod(path, 0o644)
    return str(path)


def _environment(workdir: Path, env: dict[str, str] | None) -> dict[str, str]:
    venv_bin = os.path.dirname(sys.executable)
    out = {"PATH": f"{venv_bin}:/usr/bin:/bin", "HOME": str(workdir), "TMPDIR": str(workdir), "LANG": "C.UTF-8",
           "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(workdir / ".mpl"), "IPYTHONDIR": str(workdir / ".ipython"),
           "JUPYTER_RUNTIME_DIR": str(workdir / ".jupyter"), "JUPYTER_DATA_DIR": str(workdir / ".jupyter"),
           "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    if os.environ.get("VIRTUAL_ENV"):
        out["VIRTUAL_ENV"] = os.environ["VIRTUAL_ENV"]
    out.update(env or {})
    return out


def bwrap_command(argv: list[str], workdir: Path, budget: Budget, uid: int | None, read_only: list[Path] = (),
                  hide_torch: bool = True, env: dict[str, str] | None = None, hide: list[Path] = (),
                  expose: list[Path] = ()) -> list[str]:
    cmd = [bwrap(), "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
           "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox", "--clearenv"]
    if uid is None:
        cmd += ["--unshare-user", "--disable-userns"]
    else:
        cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]    # for setpriv only; it drops them
    for name, value in _environment(workdir, env).items():
        cmd += ["--setenv", name, value]
    cmd += ["--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin", "lib32"):
        target = Path("/") / link
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), f"/{link}"]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), f"/{link}"]
    cmd += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache", "--proc", "/proc", "--dev", "/dev"]
    made = set()
    for path in [*_read_only_paths(list(read_only)), str(workdir)]:
        for parent in _ancestors(path):               # traversable parents, whatever the host's modes (700 clone)
            if parent not in made and not parent.startswith("/usr"):
                cmd += ["--perms", "0755", "--dir", parent]
                made.add(parent)
    for path in _read_only_paths(list(read_only)):
        cmd += ["--ro-bind", path, path]
    for link, target in _symlinks(list(read_only)).items():
        for parent in _ancestors(link):
            if parent not in made:
                cmd += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        cmd += ["--symlink", target, link]
    for folder in hide:                   # shown empty ...
        cmd += ["--tmpfs", os.path.realpath(folder)]
    for path in expose:                   # ... but for these files
        cmd += ["--ro-bind", os.path.realpath(path), os.path.realpath(path)]
    if hide_torch:
        for folder in _hidden_package_dirs():
            cmd += ["--tmpfs", folder, "--ro-bind", _stub(os.path.basename(folder)), f"{folder}/__init__.py"]
    cmd += ["--perms", "0777" if uid is not None else "0700", "--size", str(budget.disk_bytes),
            "--tmpfs", str(workdir), "--chdir", str(workdir)]
    inner = []
    if uid is not None:
        inner = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
                 "--inh-caps=-all", "--"]
    inner += ["prlimit", f"--nproc={budget.processes}:{budget.processes}", "--"]
    return [*cmd, "--", *inner, *argv]


def _wait_for_root(pid: int, workdir: Path, timeout: float = 10.0) -> None:
    """Wait until the sandbox's mounts are done (its root is no longer the host's and the workdir is there)."""
    import time
    host = os.stat("/")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            root = os.stat(f"/proc/{pid}/root/")
            if (root.st_dev, root.st_ino) != (host.st_dev, host.st_ino) and \
                    os.path.isdir(f"/proc/{pid}/root{workdir}"):
                return
        except OSError:
            pass
        time.sleep(0.002)
    raise RuntimeError("the sandbox did not finish setting up its filesystem")


class Sandboxed:
    """A running sandbox. `.stdin`/`.stdout` are binary pipes to the program; leaving the `with` block kills every
    process in it and removes its cgroup."""

    def __init__(self, proc: subprocess.Popen, budget: Budget, cgroup: _Cgroup | None, stderr_file, info: dict,
                 workdir: Path):
        self.proc, self.budget, self.cgroup, self._stderr, self.info = proc, budget, cgroup, stderr_file, info
        self.workdir = workdir
        self.stdin, self.stdout = proc.stdin, proc.stdout
        self.over_budget: str | None = None
        self._watchdog = threading.Timer(budget.wall_s, self._wall_time_out)
        self._watchdog.daemon = True
        self._watchdog.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def outside(self, path: str | Path) -> str:
        """The host's path to `path` inside the sandbox (its tmpfs is reachable through /proc/<pid>/root)."""
        return f"/proc/{self.info['child-pid']}/root{os.path.abspath(os.path.join(self.workdir, path))}"

    def _wall_time_out(self) -> None:
        self.over_budget = f"wall time: the notebook ran past its {self.budget.wall_s:g} s"
        self.kill()

    def wait(self, timeout: float | None = None) -> int:
        code = self.proc.wait(timeout)
        if self.over_budget is None and self.cgroup is not None and self.cgroup.oom_killed():
            self.over_budget = f"memory: the notebook's processes used more than {self.budget.memory_bytes >> 20} MiB"
        return code

    def poll(self) -> int | None:
        return self.proc.poll()

    def kill(self) -> None:
        """SIGKILL bwrap: PID 1 of the sandbox dies with it (die-with-parent) and takes every process along."""
        try:
            self.proc.kill()
        except ProcessLookupError:
            pass

    def peak_memory_bytes(self) -> int | None:
        if self.cgroup is None:
            return None
        return self.cgroup.peak() if self.cgroup.path.exists() else self.cgroup.last_peak

    def stderr_text(self, limit: int = 8000) -> str:
        self._stderr.flush()
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - limit))
        return self._stderr.read().decode("utf-8", "replace")

    def close(self, grace_s: float = 1.0) -> None:
        """End the sandbox: a program that has finished (its stdin closed) gets `grace_s` to exit by itself, rather than
        be killed mid-write; then every process in it is killed.
        Closing twice does nothing more."""
        if getattr(self, "_closed", False):
            return
        self._closed = True
        self._watchdog.cancel()
        if self.stdin:
            try:
                self.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        for pipe in (self.stdin, self.stdout):
            try:
                if pipe:
                    pipe.close()
            except OSError:
                pass
        if self.cgroup:
            if self.over_budget is None and self.cgroup.oom_killed():
                self.over_budget = (f"memory: the notebook's processes used more than "
                                    f"{self.budget.memory_bytes >> 20} MiB")
            self.cgroup.last_peak = self.cgroup.peak()
            self.cgroup.remove()
        self._stderr.close()
        self.cleanup()

    def cleanup(self) -> None:
        """Nothing to remove for a real sandbox: its folder was a tmpfs that ended with it."""

    def __enter__(self) -> Sandboxed:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _preexec(budget: Budget, cgroup: _Cgroup | None):
    def apply():
        if cgroup is not None:
            (cgroup.path / "cgroup.procs").write_text(str(os.getpid()))
        limits = [(resource.RLIMIT_CPU, budget.cpu_s), (resource.RLIMIT_FSIZE, budget.disk_bytes),
                  (resource.RLIMIT_NOFILE, budget.open_files), (resource.RLIMIT_CORE, 0)]
        if cgroup is None:        # address space, not memory: torch alone reserves ~2 GiB it never touches
            limits.append((resource.RLIMIT_AS, budget.memory_bytes + ADDRESS_SPACE_SLACK))
        for res, value in limits:
            resource.setrlimit(res, (int(value), int(value)))
    return apply


def start(argv: list[str], workdir: Path, budget: Budget, *, read_only: list[Path] = (), hide_torch: bool = True,
          env: dict[str, str] | None = None, seed: dict[str, bytes] | None = None, hide: list[Path] = (),
          expose: list[Path] = ()) -> Sandboxed:
    """Start `argv` in a new sandbox whose writable cwd is `workdir` (an empty tmpfs at that path, of
    `budget.disk_bytes`). `read_only`: more host paths to show read-only (at their real paths); `hide`: folders
    among them shown empty, but for the files in `expose`. `seed`: files (name -> bytes) placed in the workdir
    before the program starts. `hide_torch=False` shows torch (tests of the sandbox itself only)."""
    workdir = Path(os.path.abspath(workdir))
    if os.environ.get(UNSAFE_ENV) == "1":
        return _start_unconfined(argv, workdir, budget, env, seed)
    if not bwrap():
        raise RuntimeError(unavailable_reason.__wrapped__() or "bubblewrap is not installed")
    uid = UID_BASE + random.randrange(UID_SPAN) if is_root() else None
    parent = cgroup_parent()
    cgroup = _Cgroup(*parent, budget.memory_bytes) if parent else None
    info_r, info_w = os.pipe()
    block_r, block_w = os.pipe()
    cmd = bwrap_command(argv, workdir, budget, uid, read_only, hide_torch, env, hide, expose)
    cmd[1:1] = ["--info-fd", str(info_w), "--block-fd", str(block_r)]
    stderr_file = tempfile.TemporaryFile()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr_file,
                                pass_fds=(info_w, block_r), preexec_fn=_preexec(budget, cgroup), cwd="/",
                                close_fds=True)
    except BaseException:
        for fd in (info_r, info_w, block_r, block_w):
            os.close(fd)
        if cgroup:
            cgroup.remove()
        stderr_file.close()
        raise
    os.close(info_w)
    os.close(block_r)
    with os.fdopen(info_r, "rb") as f:
        raw = f.read()             # bwrap closes it once the namespaces exist (or it failed)
    try:
        info = json.loads(raw.decode() or "{}")
    except ValueError:
        info = {}
    box = Sandboxed(proc, budget, cgroup, stderr_file, info, workdir)
    try:
        if seed and info.get("child-pid"):
            _wait_for_root(info["child-pid"], workdir)
            for name, data in seed.items():
                target = box.outside(name)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                if uid is not None:
                    os.chown(target, uid, uid, follow_symlinks=False)
        os.write(block_w, b"g")        # the program may start now
    except BaseException:
        box.close()
        raise
    finally:
        os.close(block_w)
    return box


def _start_unconfined(argv, workdir: Path, budget: Budget, env, seed) -> Sandboxed:
    """No sandbox (the instructor said --unsafe-no-sandbox): the limits and a private folder only."""
    workdir = Path(tempfile.mkdtemp(prefix="course-unsandboxed-"))      # private (0700), removed with the box
    for name, data in (seed or {}).items():
        (workdir / name).write_bytes(data)
    full_env = dict(_environment(workdir, env), PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    limits = Budget(**{**budget.__dict__, "processes": 10**6})
    stderr_file = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr_file, cwd=workdir,
                            env=full_env, preexec_fn=_preexec(limits, None), start_new_session=True)
    box = Sandboxed(proc, budget, None, stderr_file, {}, workdir)
    box.outside = lambda path: os.path.abspath(os.path.join(workdir, path))
    box.cleanup = lambda: shutil.rmtree(workdir, ignore_errors=True)
    return box
