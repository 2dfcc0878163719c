"""Reading a results file (benchmarks/record_gpu_results.py) into the chapter's tables, ratios and figures."""
from __future__ import annotations

import json
from pathlib import Path

from autograder.book.gpu_env import caption

NAMES = {"lstm_loop": "LSTM, Python loop", "lstm_cudnn": "torch.nn.LSTM", "sru_loop": "SRU, loop of ops",
         "sru_fused": "SRU, fused kernel", "sru_package": "SRU, sru package"}


def load(path: Path) -> dict | None:
    """The results, or None when the file does not exist (not yet recorded on a GPU)."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def timings(results: dict, sweep: str, mode: str) -> dict:
    """{(T, B, h): {impl: median_ms}} for the runs of one sweep ('paper', 'batch', 'hidden') and mode."""
    table: dict = {}
    for row in results["runs"]:
        if row["sweep"] == sweep and row["mode"] == mode and "median_ms" in row:
            table.setdefault((row["T"], row["B"], row["h"]), {})[row["impl"]] = row["median_ms"]
    return table


def ratio(cell: dict, slow: str, fast: str) -> float | None:
    return cell[slow] / cell[fast] if slow in cell and fast in cell else None


def markdown_table(results: dict, sweep: str, mode: str) -> str:
    """Median milliseconds of each implementation per shape, with the two ratios the chapter discusses."""
    data = timings(results, sweep, mode)
    impls = [i for i in NAMES if any(i in cell for cell in data.values())]
    head = ["T", "B", "h"] + [NAMES[i] + " (ms)" for i in impls] + ["cuDNN LSTM / fused SRU", "loop LSTM / cuDNN"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    fmt = lambda r: "–" if r is None else f"{r:.2f}x"
    for (T, B, h), cell in sorted(data.items(), key=lambda kv: (kv[0][2], kv[0][1], kv[0][0])):
        values = [f"{cell[i]:.3f}" if i in cell else "–" for i in impls]
        ratios = [fmt(ratio(cell, "lstm_cudnn", "sru_fused")), fmt(ratio(cell, "lstm_loop", "lstm_cudnn"))]
        lines.append("| " + " | ".join([str(T), str(B), str(h)] + values + ratios) + " |")
    return "\n".join(lines)


def figure_caption(results: dict, shapes: str) -> str:
    return caption(results["env"], shapes, results["dtype"])


def plot_sweep(results: dict, sweep: str, axis: str, mode: str, ax):
    """Median time against one of T, B, h (log-log), one line per implementation."""
    index = {"T": 0, "B": 1, "h": 2}[axis]
    data = timings(results, sweep, mode)
    for impl, name in NAMES.items():
        points = sorted((shape[index], cell[impl]) for shape, cell in data.items() if impl in cell)
        if points:
            ax.plot(*zip(*points), marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(axis)
    ax.set_ylabel("median time (ms)")
    ax.set_title(mode.replace("_", " + "))
    ax.grid(True, which="both", alpha=0.3)
