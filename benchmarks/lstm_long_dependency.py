"""The LSTM chapter's long-dependency experiment: recall the first symbol after N distractors.

The task and the training loop are autograder/book/recall.py's. A sequence is one of K=4 "key" symbols followed
by N symbols drawn from 4 other "distractor" symbols (one-hot,
8 inputs); after the last one the network must name the key. Chance is 25%. A plain tanh RNN and an LSTM (forget
bias 3), both with 32 hidden units, are trained with the same budget (Adam, lr 5e-3, gradient norm clipped to 1,
batches of 32, STEPS steps) and tested on 1000 fresh sequences. Everything is seeded and runs on one CPU thread,
so the figures are reproducible on a given machine.

    python benchmarks/lstm_long_dependency.py        # prints the table, writes book/data/lstm/long_dependency.json

The chapter page (book/lstm.md) plots the JSON; training all 24 runs takes about a minute on a slow CPU, more than
the page's time budget, hence this script.
"""
from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import torch

from autograder.book.recall import RecallTask, train_and_evaluate

KEYS, DISTRACTORS = 4, 4
HIDDEN, STEPS, BATCH, LR, CLIP, FORGET_BIAS = 32, 500, 32, 5e-3, 1.0, 3.0
LAGS = [10, 30, 60, 100]
SEEDS = [0, 1, 2]
OUT = Path(__file__).resolve().parent.parent / "book" / "data" / "lstm" / "long_dependency.json"


TASK = RecallTask(keys=KEYS, distractors=DISTRACTORS)


def accuracy(kind: str, N: int, seed: int) -> float:
    return train_and_evaluate(kind, N, TASK, h=HIDDEN, steps=STEPS, B=BATCH, lr=LR, clip=CLIP, seed=seed,
                              forget_bias=FORGET_BIAS if kind == "lstm" else None, data_seed=seed + 1,
                              test_seed=999, eval_size=1000, eval_every=STEPS)["accuracy"]


def main() -> None:
    torch.set_num_threads(1)
    start = time.perf_counter()
    results = {kind: {str(N): [accuracy(kind, N, s) for s in SEEDS] for N in LAGS} for kind in ("rnn", "lstm")}
    seconds = time.perf_counter() - start
    for kind, rows in results.items():
        for N, accs in rows.items():
            print(f"{kind:4s} N={N:>3s}  test accuracy per seed: " + "  ".join(f"{a:.3f}" for a in accs))
    machine = platform.processor() or platform.machine()
    print(f"{len(LAGS) * len(SEEDS) * 2} training runs in {seconds:.1f} s ({machine}, "
          f"torch {torch.__version__}, 1 thread)")
    OUT.write_text(json.dumps({
        "task": f"recall the first of {KEYS} key symbols after N distractors (from {DISTRACTORS} symbols); chance 0.25",
        "settings": dict(hidden=HIDDEN, steps=STEPS, batch=BATCH, lr=LR, clip=CLIP, forget_bias=FORGET_BIAS,
                         seeds=SEEDS, test_sequences=1000),
        "lags": LAGS, "accuracy": results, "seconds": round(seconds, 1), "torch": torch.__version__,
    }, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
