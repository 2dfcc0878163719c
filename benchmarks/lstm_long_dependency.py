"""The LSTM chapter's long-dependency experiment: recall the first symbol after N distractors.

A sequence is one of K=4 "key" symbols followed by N symbols drawn from 4 other "distractor" symbols (one-hot,
8 inputs); after the last one the network must name the key. Chance is 25%. A plain tanh RNN and an LSTM (forget
bias 3), both with 32 hidden units, are trained with the same budget (Adam, lr 5e-3, gradient norm clipped to 1,
batches of 32, STEPS steps) and tested on 1000 fresh sequences. Everything is seeded and runs on one CPU thread,
so the figures are reproducible on a given machine.

    python benchmarks/lstm_long_dependency.py        # prints the table, writes book/data/lstm_long_dependency.json

The chapter page (book/lstm.md) plots the JSON; training all 24 runs takes about a minute on a slow CPU, more than
the page's time budget, hence this script.
"""
from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import torch

KEYS, DISTRACTORS = 4, 4
HIDDEN, STEPS, BATCH, LR, CLIP, FORGET_BIAS = 32, 500, 32, 5e-3, 1.0, 3.0
LAGS = [10, 30, 60, 100]
SEEDS = [0, 1, 2]
OUT = Path(__file__).resolve().parent.parent / "book" / "data" / "lstm_long_dependency.json"


def batch(gen: torch.Generator, B: int, N: int):
    key = torch.randint(0, KEYS, (B,), generator=gen)
    noise = torch.randint(KEYS, KEYS + DISTRACTORS, (N, B), generator=gen)
    x = torch.nn.functional.one_hot(torch.cat([key[None], noise]), KEYS + DISTRACTORS).float()
    return x, key


class Recaller(torch.nn.Module):
    def __init__(self, kind: str):
        super().__init__()
        self.rnn = (torch.nn.LSTM if kind == "lstm" else torch.nn.RNN)(KEYS + DISTRACTORS, HIDDEN)
        self.head = torch.nn.Linear(HIDDEN, KEYS)
        if kind == "lstm":  # the forget gate's block is the second quarter of the biases (order i, f, g, o)
            with torch.no_grad():
                self.rnn.bias_ih_l0[HIDDEN:2 * HIDDEN] = FORGET_BIAS
                self.rnn.bias_hh_l0[HIDDEN:2 * HIDDEN] = 0.0

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])


def accuracy(kind: str, N: int, seed: int) -> float:
    torch.manual_seed(seed)
    net = Recaller(kind)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(seed + 1)
    for _ in range(STEPS):
        x, y = batch(gen, BATCH, N)
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), CLIP)
        opt.step()
    with torch.no_grad():
        x, y = batch(torch.Generator().manual_seed(999), 1000, N)
        return (net(x).argmax(1) == y).float().mean().item()


def main() -> None:
    torch.set_num_threads(1)
    start = time.perf_counter()
    results = {kind: {str(N): [accuracy(kind, N, s) for s in SEEDS] for N in LAGS} for kind in ("rnn", "lstm")}
    seconds = time.perf_counter() - start
    for kind, rows in results.items():
        for N, accs in rows.items():
            print(f"{kind:4s} N={N:>3s}  test accuracy per seed: " + "  ".join(f"{a:.3f}" for a in accs))
    print(f"{len(LAGS) * len(SEEDS) * 2} training runs in {seconds:.1f} s ({platform.processor() or platform.machine()}, "
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
