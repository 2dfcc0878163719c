"""Run one notebook's cells in a sandboxed kernel, as a trusted process: the executed notebook never passes
through student hands.

    python -m autograder.grading.execute IN.ipynb OUT.ipynb --work DIR --timeout S

This process (the grader's user) is the Jupyter *client*; the kernel is started through `autograder.grading.sandbox`
in a bubblewrap sandbox whose private tmpfs is DIR, and is reached over IPC sockets in that tmpfs (not TCP). OUT is
written by this process only, outside the sandbox.

Unlike nbgrader's Execute, a cell that kills its kernel (`os._exit`, a crash, the memory limit) or outlives its
time limit (an endless loop, one that ignores SIGINT) costs that cell only: the cell gets an error output that says
what happened, the sandbox (every process in it) is ended, a fresh kernel replays the cells that had run
cleanly, and the rest of the notebook runs. After `max_restarts` restarts the remaining cells are marked not run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output

from autograder.grading import sandbox
from autograder.layout import ROOT

KERNEL_DIED = "KernelDied"
TIMEOUT = "Timeout"
NOT_RUN = "NotRun"


class SandboxKernelManager(AsyncKernelManager):
    """Starts the kernel through `python -m autograder.grading.sandbox launch`, connected over IPC sockets that
    live in the sandbox's tmpfs (reached from here through the symlink `link`)."""
    sandbox_prefix: list[str] = []
    link: str = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.transport = "ipc"
        self.ip = f"{self.link}/kernel"

    def format_kernel_cmd(self, extra_arguments=None):
        return [*self.sandbox_prefix, *super().format_kernel_cmd(extra_arguments)]


def error_output(ename: str, evalue: str):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def run_notebook(nb, work: Path, timeout: int, budget: sandbox.Budget, max_restarts: int = 3):
    """Execute `nb` in place, cell by cell, in the sandbox. Returns a list of events (str) worth reporting."""
    link = Path(tempfile.mkdtemp(prefix="k", dir=os.environ.get("COURSE_PRIVATE_DIR"))) / "k"
    # The legacy in-kernel hidden tests still compute references with torch and import `autograder`.
    km_class = type("SlotKernelManager", (SandboxKernelManager,),
                    {"sandbox_prefix": sandbox.launch_command(work, budget, link, read_only=[ROOT / "autograder"],
                                                              hide_torch=False, env={"PYTHONPATH": str(ROOT)}),
                     "link": str(link)})
    events: list[str] = []
    clean: list[int] = []          # code cells that ran without killing the kernel (replayed after a restart)
    restarts = 0

    def new_client():
        return NotebookClient(nb, timeout=timeout, interrupt_on_timeout=False, allow_errors=True,
                              kernel_name="python3", kernel_manager_class=km_class, record_timing=False,
                              extra_arguments=["--HistoryManager.hist_file=:memory:"],
                              resources={"metadata": {"path": str(link.parent)}}, shutdown_kernel="immediate",
                              iopub_timeout=5)

    def cleanup():
        pass                       # the sandbox ended with its launcher: nothing of it is left to find

    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    client = new_client()
    client.reset_execution_trackers()
    client.create_kernel_manager()
    client.start_new_kernel()
    client.start_new_kernel_client()
    try:
        pos = 0
        while pos < len(code_cells):
            index = code_cells[pos]
            cell = nb.cells[index]
            try:
                client.execute_cell(cell, index)
                clean.append(index)
                pos += 1
                continue
            except CellTimeoutError:
                cell.outputs.append(error_output(
                    TIMEOUT, f"the cell did not finish within {timeout} s and was stopped (an endless loop?); "
                             "the kernel was restarted"))
                events.append(f"cell {index}: timeout")
            except DeadKernelError:
                cell.outputs.append(error_output(
                    KERNEL_DIED, "the kernel died while running this cell (os._exit, a crash, or the memory "
                                 "limit); it was restarted and the following cells were run"))
                events.append(f"cell {index}: kernel died")
            pos += 1
            # Restart: end every process of the old kernel, then replay the cells that had run cleanly.
            _shutdown(client)
            cleanup()
            restarts += 1
            if restarts > max_restarts:
                for rest in code_cells[pos:]:
                    nb.cells[rest].outputs = [error_output(
                        NOT_RUN, f"not run: the kernel had to be restarted more than {max_restarts} times")]
                events.append("too many restarts: the remaining cells were not run")
                break
            client = new_client()
            client.create_kernel_manager()
            client.start_new_kernel()
            client.start_new_kernel_client()
            for replay in list(clean):
                saved = nb.cells[replay].outputs
                try:
                    client.execute_cell(nb.cells[replay], replay)
                except (CellTimeoutError, DeadKernelError):
                    clean.remove(replay)     # it passed once and not now: leave it out of later replays
                nb.cells[replay].outputs = saved
    finally:
        _shutdown(client)
        cleanup()
        shutil.rmtree(link.parent, ignore_errors=True)
    return events


def _shutdown(client) -> None:
    try:
        if client.kc is not None:
            client.kc.stop_channels()
        run_sync(client.km.shutdown_kernel)(now=True)
    except Exception:  # the kernel may be gone already; its sandbox ends with its launcher anyway
        pass


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.grading.execute", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebook", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--timeout", type=int, default=30)
    p.add_argument("--budget", default="{}", help="sandbox.Budget's fields as JSON")
    a = p.parse_args(argv)
    nb = nbformat.read(a.notebook, as_version=4)
    events = run_notebook(nb, a.work, a.timeout, sandbox.Budget(**json.loads(a.budget)))
    nb.metadata.setdefault("autograder", {})["events"] = events
    nbformat.write(nb, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
