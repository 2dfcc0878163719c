"""The sandbox student code runs in: an unprivileged user per grading slot, resource limits, a private folder.

The grader (trusted, normally root) never runs student code itself. It starts each kernel through

    python -m autograder.grading.sandbox launch LIMITS_JSON -- python -m ipykernel_launcher -f CONNECTION_FILE

which, still as root, copies the connection file into the student's private folder, sets the limits (address
space, CPU seconds, file size, number of processes, no core dumps), drops to the slot's user (no supplementary
groups, umask 077) and execs the kernel. Each parallel grading slot has its own user (`course-sandbox-<slot>`), so a
kernel cannot read another student's folder while both are being graded, and after a notebook every process of that
user is killed (`kill_user_processes`): that ends background processes, double-forked ones included, with the
notebook. Files the user left in the shared temporary folders are deleted too.

What the sandbox user must not read (the gradebook, the source notebooks with the hidden tests, submissions,
nbgrader_config.py, the repository's history) is closed to "others" by `protect` and checked by `probe`.
Without root there is no user to switch to: the kernel then runs as the grader with the limits only, and
`can_switch_user()` says so (the tests skip what needs it).
"""
from __future__ import annotations

import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

USER_PREFIX = "course-sandbox-"
SANDBOX_BASE = Path(os.environ.get("COURSE_SANDBOX_BASE", "/tmp/course-sandbox"))
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


@dataclass
class Limits:
    memory_bytes: int = 6 * 2**30      # address space; importing torch reserves ~2 GiB of it
    cpu_seconds: int = 600             # per kernel (a restarted kernel gets a fresh allowance)
    file_bytes: int = 64 * 2**20       # largest file the kernel may write
    processes: int = 128               # per user, threads included (BLAS pools are capped to 1 thread)
    open_files: int = 1024


def can_switch_user() -> bool:
    return os.geteuid() == 0


def user_name(slot: int) -> str:
    return f"{USER_PREFIX}{slot}"


def ensure_user(slot: int) -> tuple[int, int] | None:
    """(uid, gid) of the slot's sandbox user, created if missing; None when we are not root."""
    if not can_switch_user():
        return None
    name = user_name(slot)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", "--user-group", name], check=True, capture_output=True)
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def make_workdir(run_dir: Path, name: str, ids: tuple[int, int] | None) -> Path:
    """A private, empty folder for one notebook, owned by the sandbox user (mode 700)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(run_dir, 0o711)            # others may pass through, not list
    work = run_dir / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    (work / "tmp").mkdir()
    if ids:
        for p in (work, work / "tmp"):
            os.chown(p, *ids)
    os.chmod(work, 0o700)
    return work


def chown_tree(path: Path, ids: tuple[int, int] | None) -> None:
    if not ids:
        return
    for dirpath, dirnames, filenames in os.walk(path):
        for n in [dirpath, *(os.path.join(dirpath, f) for f in dirnames + filenames)]:
            os.lchown(n, *ids)


def user_pids(uid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid and _state(entry) != "Z":
                    pids.append(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return pids


def _state(pid: str) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]   # R, S, ... Z for a zombie (already dead)


def kill_user_processes(uid: int, attempts: int = 20) -> int:
    """SIGKILL every process of `uid` until none is left (a fork bomb may need a few rounds). Returns how many."""
    if uid == 0 or uid == os.getuid():
        raise ValueError("refusing to kill the grader's own processes")
    killed = 0
    for _ in range(attempts):
        pids = user_pids(uid)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    return killed


def remove_user_files(uid: int, roots=SHARED_TMP) -> list[str]:
    """Delete what `uid` left in the shared temporary folders (nothing may pass from one student to the next)."""
    removed = []
    for root in roots:
        if not os.path.isdir(root):
            continue
        for dirpath, dirnames, filenames in os.walk(root, topdown=False):
            for n in filenames + dirnames:
                p = os.path.join(dirpath, n)
                try:
                    if os.lstat(p).st_uid == uid:
                        (shutil.rmtree if os.path.isdir(p) and not os.path.islink(p) else os.remove)(p)
                        removed.append(p)
                except (FileNotFoundError, PermissionError, OSError):
                    pass
    return removed


def protect(paths) -> list[Path]:
    """Close `paths` to "others" (the sandbox users); returns those changed. The grader itself runs as root."""
    changed = []
    for p in map(Path, paths):
        if p.exists() and p.stat().st_mode & 0o007:
            os.chmod(p, p.stat().st_mode & ~0o007)
            changed.append(p)
    return changed


def probe(paths, ids: tuple[int, int] | None) -> list[str]:
    """The paths among `paths` that the sandbox user can still read or write (should be none)."""
    if not ids:
        return []
    code = ("import os, sys, json\n"
            "print(json.dumps([p for p in sys.argv[1:] if os.path.exists(p) and "
            "(os.access(p, os.R_OK) or os.access(p, os.W_OK))]))")
    out = subprocess.run([sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True,
                         preexec_fn=_drop(ids), cwd="/", check=True)
    return json.loads(out.stdout)


def _drop(ids: tuple[int, int]):
    def preexec():
        os.setgroups([])
        os.setgid(ids[1])
        os.setuid(ids[0])
    return preexec


def apply_limits(limits: Limits) -> None:
    for res, value in ((resource.RLIMIT_AS, limits.memory_bytes), (resource.RLIMIT_CPU, limits.cpu_seconds),
                       (resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_NPROC, limits.processes),
                       (resource.RLIMIT_NOFILE, limits.open_files), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(res, (value, value))


def kernel_env(work: Path) -> dict[str, str]:
    """The kernel's environment: nothing of the grader's but PATH and the locale; home and temp in its folder."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "VIRTUAL_ENV")}
    env.update(HOME=str(work), TMPDIR=str(work / "tmp"), IPYTHONDIR=str(work / ".ipython"),
               MPLCONFIGDIR=str(work / ".mpl"), JUPYTER_RUNTIME_DIR=str(work / ".jupyter"),
               JUPYTER_DATA_DIR=str(work / ".jupyter"), MPLBACKEND="Agg", PYDEVD_DISABLE_FILE_VALIDATION="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def launch_command(work: Path, ids: tuple[int, int] | None, limits: Limits) -> list[str]:
    spec = {"work": str(work), "ids": list(ids) if ids else None, "limits": asdict(limits)}
    return [sys.executable, "-m", "autograder.grading.sandbox", "launch", json.dumps(spec), "--"]


def _launch(spec_json: str, cmd: list[str]) -> None:
    """Runs as the grader, becomes the sandbox user, execs `cmd` (the kernel). Never returns."""
    spec = json.loads(spec_json)
    work = Path(spec["work"])
    ids = tuple(spec["ids"]) if spec["ids"] else None
    # The connection file was written by the grader (mode 600): hand the kernel its own copy.
    i = cmd.index("-f") + 1
    own = work / ".jupyter" / "kernel-connection.json"
    own.parent.mkdir(exist_ok=True)
    shutil.copy(cmd[i], own)
    chown_tree(own.parent, ids)
    cmd[i] = str(own)
    os.chdir(work)
    env = kernel_env(work)
    apply_limits(Limits(**spec["limits"]))
    if ids:
        os.setgroups([])
        os.setgid(ids[1])
        os.setuid(ids[0])
    os.umask(0o077)
    os.execve(cmd[0], cmd, env)


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "launch" and sys.argv[3] == "--":
        _launch(sys.argv[2], sys.argv[4:])
    sys.exit("usage: python -m autograder.grading.sandbox launch SPEC_JSON -- KERNEL_COMMAND ...")
