"""The bubblewrap sandbox (autograder/grading/sandbox.py) on its own: what student code can see, reach and use.
Each test starts small programs in sandboxes (about 0.1 s each), so they stay quick."""
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autograder.grading import sandbox
from autograder.layout import ROOT

pytestmark = pytest.mark.skipif(bool(sandbox.unavailable_reason()), reason=str(sandbox.unavailable_reason()))


def run_in_sandbox(code: str, workdir: Path, budget: sandbox.Budget | None = None, timeout: float = 60, **kw):
    with sandbox.start([sys.executable, "-c", textwrap.dedent(code)], workdir, budget or sandbox.Budget(), **kw) as box:
        out = box.stdout.read()
        code = box.wait(timeout)
        return code, out.decode(errors="replace"), box


def test_isolation(tmp_path):
    """The uid, the files, the processes and the network student code sees."""
    course = tmp_path / "course"
    for p in ("gradebook.db", "solutions/elman_jordan/elman_jordan.ipynb", "submitted/other/elman_jordan/x.ipynb"):
        (course / p).parent.mkdir(parents=True, exist_ok=True)
        (course / p).write_text("secret")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    secrets = [str(course / "gradebook.db"), str(course / "solutions"), str(course / "submitted/other"),
               str(ROOT / "solutions"), str(ROOT / ".git"), "/work/main/solutions", "/etc/shadow",
               "/root/.bash_history", str(tmp_path / "course")]
    code, out, box = run_in_sandbox(f"""
        import json, os, socket
        seen = {{}}
        for p in {secrets!r}:
            try:
                seen[p] = os.listdir(p) if os.path.isdir(p) else open(p).read()[:20]
            except OSError as err:
                seen[p] = None
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2)
            tcp = "connected"
        except OSError as err:
            tcp = type(err).__name__
        try:
            import torch
            has_torch = True
        except ImportError:
            has_torch = False
        try:
            open("/usr/x", "w")
            ro = False
        except OSError:
            ro = True
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
        seen["above the workdir"] = [n for n in os.listdir("..") if n != "w"]   # only the path to it
        print(json.dumps({{"uid": os.getuid(), "seen": seen, "tcp": tcp, "torch": has_torch, "pids": pids,
                           "cwd": os.getcwd(), "usr_read_only": ro}}))
    """, tmp_path / "w")
    listener.close()
    report = json.loads(out)
    assert code == 0, box.stderr_text()
    readable = {p: v for p, v in report["seen"].items() if v}
    assert readable == {}, f"student code could read {readable}"
    assert report["tcp"] != "connected"
    assert report["torch"] is False
    assert report["usr_read_only"]
    assert report["cwd"] == str(tmp_path / "w")
    assert len(report["pids"]) <= 3, f"other processes visible: {report['pids']}"    # bwrap's init, prlimit/python
    if sandbox.is_root():
        assert report["uid"] >= sandbox.UID_BASE and report["uid"] != os.getuid()
        print(f"student code runs as uid {report['uid']}")


def test_every_process_ends_with_the_sandbox(tmp_path):
    token = f"{time.time_ns() % 10**6}.5"
    start = time.monotonic()
    with sandbox.start(["/bin/sh", "-c", f"(setsid sleep {token} &); sleep {token}"], tmp_path,
                       sandbox.Budget(wall_s=1.5)) as box:
        box.wait(30)
        assert box.over_budget and "wall time" in box.over_budget
    assert time.monotonic() - start < 60      # the 1.5 s watchdog ended it, not the 30 s wait
    time.sleep(0.3)
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if token in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                left.append(pid)
        except OSError:
            pass
    assert left == [], "a detached process outlived its sandbox"


def test_disk_is_capped(tmp_path):
    code, out, box = run_in_sandbox("""
        written = 0
        try:
            with open("filler", "wb") as f:
                while True:
                    f.write(b"x" * 2**20)
                    written += 2**20
        except OSError as err:
            print(written, err.errno)
    """, tmp_path / "w", sandbox.Budget(disk_bytes=16 * 2**20))
    written, errno_ = map(int, out.split())
    assert written <= 16 * 2**20 and errno_ in (27, 28)        # EFBIG (RLIMIT_FSIZE) or ENOSPC (the tmpfs)
    assert not (tmp_path / "w").exists(), "the workdir lives in the sandbox, not on the host"


@pytest.mark.skipif(sandbox.cgroup_parent() is None, reason="no memory cgroup can be created here; the "
                    "fallback is RLIMIT_AS per process with RLIMIT_NPROC")
def test_memory_split_across_processes_is_capped(tmp_path):
    budget = sandbox.Budget(memory_bytes=256 * 2**20)
    code, out, box = run_in_sandbox("""
        import os, time
        children = []
        for _ in range(3):                       # 3 x 150 MiB > 256 MiB, each far under it
            pid = os.fork()
            if pid == 0:
                block = bytearray(150 * 2**20)
                for i in range(0, len(block), 4096):
                    block[i] = 1
                time.sleep(5)
                os._exit(0)
            children.append(pid)
        print([os.waitpid(p, 0)[1] for p in children])
    """, tmp_path / "w", budget)
    peak = box.peak_memory_bytes()
    assert peak is not None and peak <= budget.memory_bytes + 2**20, peak
    assert box.over_budget and "memory" in box.over_budget


def test_two_sandboxes_do_not_see_each_other(tmp_path):
    """Same workdir path, at the same time: each sandbox has its own folder and its own processes."""
    work = tmp_path / "same"
    a = sandbox.start([sys.executable, "-c", "import time; open('mine', 'w').write('a'); time.sleep(3)"], work,
                      sandbox.Budget())
    with a:
        time.sleep(1)
        code, out, _ = run_in_sandbox("import os; print(os.listdir('.'), [p for p in os.listdir('/proc') "
                                      "if p.isdigit()])", work)
        a.wait(30)
    assert "mine" not in out and code == 0, out


def test_private_clone_with_symlinked_venv_grades(tmp_path):
    """A fresh clone in a mode-700 folder (as `mktemp -d` makes), its .venv a symlink, grades a notebook."""
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    private = Path(subprocess.run(["mktemp", "-d"], capture_output=True, text=True, check=True).stdout.strip())
    try:
        assert (private.stat().st_mode & 0o777) == 0o700
        clone = private / "course"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        (clone / ".venv").symlink_to(ROOT / ".venv")
        script = textwrap.dedent("""
            import json, sys
            from pathlib import Path
            import nbformat
            from autograder.grading import course_folder
            from autograder.grading.autograde import grade
            from autograder.grading.demo import sample_notebook
            from autograder.grading.samples import Sample
            course = course_folder.make_course(Path(sys.argv[1]) / "grading-course", ["elman_jordan"])
            course_folder.add_students(course, ["alice"])
            nbformat.write(sample_notebook("elman_jordan", Sample("right")), Path(sys.argv[1]) / "a.ipynb")
            course_folder.submit(course, "alice", "elman_jordan", Path(sys.argv[1]) / "a.ipynb")
            run = grade(course, ["elman_jordan"], workers=1, timeout=30, feedback=False, report=False,
                        log=lambda *a: None)
            o = run.outcomes["elman_jordan"]["alice"]
            print(json.dumps([o.status, o.score, o.max_score, o.reasons()]))
        """)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PYTHONPATH"] = str(clone)
        proc = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c", script, str(private)], cwd=clone,
                              env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        status, score, max_score, reasons = json.loads(proc.stdout.strip().splitlines()[-1])
        assert status == "graded" and score == max_score > 0, reasons
    finally:
        subprocess.run(["rm", "-rf", str(private)], check=False)


@pytest.mark.skipif(not sandbox.is_root() or not Path("/usr/bin/python3").exists(),
                    reason="needs root (to become an unprivileged user) and a system Python 3")
def test_as_a_normal_user():
    """Without root, bubblewrap makes a user namespace (where the system allows unprivileged ones): the same
    isolation, code running as the calling user. The module is standard library only, so a copy of it runs as
    `nobody` with the system's Python."""
    import shutil
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="sandbox-as-nobody-"))    # pytest's own folders are private to root
    os.chmod(folder, 0o755)
    (folder / "sandbox.py").write_text((ROOT / "autograder" / "grading" / "sandbox.py").read_text())
    os.chmod(folder / "sandbox.py", 0o644)
    code = textwrap.dedent("""
        import json, sandbox
        from pathlib import Path
        reason = sandbox.unavailable_reason()
        if reason:
            print(json.dumps({"unavailable": reason}))
            raise SystemExit
        cmd = ["/bin/sh", "-c", "id -u; cat /etc/shadow 2>/dev/null || echo unreadable; ls /"]
        with sandbox.start(cmd, Path("/tmp/w"), sandbox.Budget()) as box:
            out = box.stdout.read().decode()
            print(json.dumps({"code": box.wait(30), "out": out.split(), "limits": sandbox.limits_in_force()}))
    """)
    try:
        proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3",
                               "-c", code], cwd=folder, capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert proc.stdout.strip(), proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    if "unavailable" in report:      # the system forbids unprivileged user namespaces: the grader refuses, says why
        assert "user namespaces" in report["unavailable"]
        pytest.skip(report["unavailable"])
    assert report["code"] == 0 and report["out"][:2] == ["65534", "unreadable"], report
    assert set(report["out"][2:]) <= {"bin", "dev", "etc", "lib", "lib32", "lib64", "proc", "sbin", "tmp", "usr"}
    assert "user namespace" in report["limits"]
