"""The char_lm chapter's experiment: a character LSTM trained on Python's language reference, three ways.

Training (losses, samples, perplexities):

1. The NumPy model (autograder/book/char_lm.py: the chapter's loss, clipping and Adam around chapter 3's LSTM),
   with samples at three temperatures at a few checkpoints.
2. Its twin in torch.nn.LSTM, from the same initial weights, on the same chunks, with the same hyper-parameters.
3. The same model with the Elman, LSTM, GRU, SRU and minGRU cells of autograder/references (the "which cell"
   table), each for the same number of steps, batch, chunk length, hidden size, clipping and Adam settings.

Timing: the CPU time (process time, one thread) per training step of each of these seven models, measured in a
separate phase on the same chunks, so that other jobs on a shared machine neither inflate it nor slow the runs above
down in the figures. Everything is float64, seeded, on one CPU thread.

    python benchmarks/char_lm_training.py                # both; writes book/data/char_lm/training.json
    python benchmarks/char_lm_training.py --timing-only  # only the timing phase, keeping the recorded training
    python benchmarks/char_lm_training.py --cells mingru # train and time only these cells, merged into the recorded
                                                         # results (the other cells' are kept as they are)

It takes several minutes on the course's 2-core machine, more than a page may spend, hence this script; the page
book/char_lm.md reads the JSON and checks that its corpus is the one recorded here (by SHA-256).
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):   # one thread for NumPy's BLAS too,
    os.environ[_var] = "1"                                                      # set before NumPy is imported

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from autograder.book import char_lm as cl  # noqa: E402

CONFIG = {"h": 128, "B": 32, "T": 64, "lr": 3e-3, "clip": 1.0, "steps": 1500, "eval_every": 100,
          "cell_steps": 600, "seed": 0}
CHECKPOINTS = [100, 400, 1500]
TEMPERATURES = [0.5, 1.0, 1.5]
PREFIX, SAMPLE_LENGTH = "The ", 240
CELLS = ["elman", "lstm", "gru", "sru", "mingru"]
TIMED_STEPS = 20
OUT = Path(__file__).resolve().parent.parent / "book" / "data" / "char_lm" / "training.json"


def timing(V: int, init: dict, train: np.ndarray, kinds: list[str]) -> tuple[dict, dict]:
    """CPU seconds per training step of each of `kinds`, and when and under which load each was measured."""
    chunks = cl.sequential_partition(train, CONFIG["B"], CONFIG["T"])
    out, conditions = {}, {}
    for kind in kinds:
        step = cl.training_step(kind, V, init, CONFIG, CONFIG["seed"])
        out[kind] = cl.cpu_seconds_per_step(step, chunks, warmup=3, repeats=TIMED_STEPS)
        conditions[kind] = timing_conditions()
        print(f"{kind}: {1000 * out[kind]:.1f} ms of CPU time per step (load average "
              f"{conditions[kind]['load_average_1min']})")
    return out, conditions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timing-only", action="store_true", help="re-measure the CPU time per step only")
    parser.add_argument("--cells", nargs="+", choices=CELLS, metavar="CELL",
                        help=f"train and time only these cells ({', '.join(CELLS)}) and merge them into {OUT.name}")
    args = parser.parse_args()
    torch.set_num_threads(1)
    text = cl.corpus_text()
    vocab = cl.Vocabulary(text)
    train, val, test = cl.split(vocab.encode(text))
    V = len(vocab)
    init = cl.init_lstm_lm(V, CONFIG["h"], np.random.default_rng(CONFIG["seed"]))
    if args.timing_only or args.cells:
        recorded = json.loads(OUT.read_text())
        assert recorded["config"] == CONFIG and recorded["corpus"]["sha256"] == cl.corpus_sha256(text), \
            "the recorded training used another configuration or corpus: run the whole script"
        if args.cells:
            for kind in args.cells:
                recorded["cells"][kind] = train_cell(kind, V, train, val)
            cpu, conditions = timing(V, init, train, args.cells)
            recorded["cpu_seconds_per_step"].update(cpu)
            recorded.setdefault("timing", {}).update(conditions)
        else:
            recorded["cpu_seconds_per_step"], recorded["timing"] = timing(V, init, train, ["numpy", "torch"] + CELLS)
        recorded["machine"] = machine()
        OUT.write_text(json.dumps(recorded, indent=1))
        print(f"updated {OUT}")
        return

    samples = []

    def checkpoint(step, p):
        if step in CHECKPOINTS:
            for k, temperature in enumerate(TEMPERATURES):
                ids = cl.sample_numpy(p, vocab.encode(PREFIX), SAMPLE_LENGTH, temperature,
                                      np.random.default_rng(1000 + k))
                samples.append({"step": step, "temperature": temperature, "text": PREFIX + vocab.decode(ids)})

    start = time.perf_counter()
    p = {k: v.copy() for k, v in init.items()}
    numpy_run = cl.train_numpy(p, train, val, CONFIG, checkpoint)
    numpy_run["test_loss"] = cl.evaluate_numpy(p, test, CONFIG["B"], CONFIG["T"])
    print(f"NumPy LSTM: {time.perf_counter() - start:.0f} s, final val ppl {np.exp(numpy_run['val_loss'][-1][1]):.3f}")

    start = time.perf_counter()
    torch_run = cl.train_torch_twin({k: v.copy() for k, v in init.items()}, train, val, CONFIG)
    print(f"torch.nn.LSTM twin: {time.perf_counter() - start:.0f} s, final val ppl "
          f"{np.exp(torch_run['val_loss'][-1][1]):.3f}")

    cells = {kind: train_cell(kind, V, train, val) for kind in CELLS}
    cpu, conditions = timing(V, init, train, ["numpy", "torch"] + CELLS)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "config": CONFIG, "checkpoints": CHECKPOINTS, "temperatures": TEMPERATURES, "prefix": PREFIX,
        "corpus": {"sha256": cl.corpus_sha256(text), "characters": len(text), "vocabulary": V,
                   "python": cl.CORPUS_PYTHON, "train": len(train), "val": len(val), "test": len(test)},
        "machine": machine(), "numpy": numpy_run, "torch": torch_run, "samples": samples, "cells": cells,
        "cpu_seconds_per_step": cpu, "timing": conditions,
    }, indent=1))
    print(f"wrote {OUT}")


def train_cell(kind: str, V: int, train: np.ndarray, val: np.ndarray) -> dict:
    start = time.perf_counter()
    run = cl.train_cell(kind, V, train, val, CONFIG, CONFIG["seed"])
    print(f"{kind}: {time.perf_counter() - start:.0f} s, val ppl {np.exp(run['val_loss']):.3f}, "
          f"{1000 * run['seconds_per_step']:.1f} ms/step")
    return run


def timing_conditions() -> dict:
    """When a timing was taken and the machine's load just after it (CPU time is not inflated by other jobs on a
    shared machine as wall-clock time is, but caches and memory bandwidth are shared: the load is recorded with it)."""
    return {"date": time.strftime("%Y-%m-%d", time.gmtime()), "load_average_1min": round(os.getloadavg()[0], 2)}


def machine() -> dict:
    return {"processor": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "torch": torch.__version__, "numpy": np.__version__, "threads": 1}


if __name__ == "__main__":
    main()
