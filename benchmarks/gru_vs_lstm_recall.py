"""GRU vs LSTM on the first-symbol recall task (autograder/book/recall.py), several distances and seeds.

    .venv/bin/python benchmarks/gru_vs_lstm_recall.py            # prints a table, writes book/data/gru/recall.json

CPU only, one thread (so that the run is reproducible); a few minutes on a laptop. The chapter reads the JSON.
"""
import json
import platform
import sys
import time
from pathlib import Path

import torch

from autograder.book.recall import RecallTask, first_step_reaching, train_and_evaluate

DISTANCES = (5, 10, 20, 40)
SEEDS = (0, 1, 2)
SETTINGS = dict(h=32, steps=1500, B=64, lr=1e-2)
TASK = RecallTask(keys=8)   # the N distractors are drawn from the same 8 symbols
OUT = Path(__file__).resolve().parents[1] / "book" / "data" / "gru" / "recall.json"


def main() -> None:
    torch.set_num_threads(1)
    runs, start = [], time.perf_counter()
    print(f"{'model':8s} {'N':>3s} {'seed':>4s} {'params':>6s} {'accuracy':>8s} {'step>=0.99':>10s} {'seconds':>7s}")
    for N in DISTANCES:
        for seed in SEEDS:
            for kind in ("gru", "lstm", "lstm_fb1"):
                r = train_and_evaluate(kind, N, TASK, seed=seed, **SETTINGS)
                runs.append(r)
                print(f"{kind:8s} {N:3d} {seed:4d} {r['params']:6d} {r['accuracy']:8.3f} "
                      f"{str(first_step_reaching(r['curve'], 0.99)):>10s} {r['seconds']:7.1f}", flush=True)
    record = {"settings": dict(K=TASK.keys, **SETTINGS), "distances": DISTANCES, "seeds": SEEDS, "runs": runs,
              "machine": {"python": sys.version.split()[0], "torch": torch.__version__,
                          "platform": platform.platform(), "threads": 1},
              "total_seconds": time.perf_counter() - start}
    OUT.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {OUT} ({record['total_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
