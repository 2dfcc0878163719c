"""GRU vs LSTM on a long-dependency task: recall the first symbol of a sequence after N distractors.

A sequence is N + 1 one-hot symbols from an alphabet of K: the first is the one to remember, the N after it are
random symbols from the same alphabet (so the network must remember *which position* mattered, not just a rare
symbol). After the last one the network answers with the first symbol; chance accuracy is 1/K. The two models
have the same hidden size, a linear read-out of the last state, and are trained with the same data, seeds and
optimiser. Used by benchmarks/gru_vs_lstm_recall.py (which records the figures the chapter shows).
"""
from __future__ import annotations

import time

import torch


def recall_batch(B: int, N: int, K: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs X of shape (N + 1, B, K) (one-hot, time-major) and targets y of shape (B,) (the first symbol)."""
    symbols = torch.randint(0, K, (N + 1, B), generator=generator)
    X = torch.nn.functional.one_hot(symbols, K).to(torch.float32)
    return X, symbols[0]


MODELS = {"gru": "GRU", "lstm": "LSTM", "lstm_fb1": "LSTM, forget-gate bias 1"}


class Recaller(torch.nn.Module):
    """A one-layer GRU or LSTM followed by a linear layer on its last hidden state.

    kind "lstm_fb1" is an LSTM whose forget-gate bias starts at 1 (Gers et al. 2000; Jozefowicz et al. 2015)
    instead of PyTorch's default (uniform around 0), so that its cell starts out keeping about 73 % per step."""

    def __init__(self, kind: str, K: int, h: int):
        super().__init__()
        self.rnn = (torch.nn.GRU if kind == "gru" else torch.nn.LSTM)(K, h)
        if kind == "lstm_fb1":
            with torch.no_grad():   # gate order i, f, g, o: the f-block is rows h..2h; only the sum of the biases counts
                self.rnn.bias_ih_l0[h:2 * h] = 1.0
                self.rnn.bias_hh_l0[h:2 * h] = 0.0
        self.head = torch.nn.Linear(h, K)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(X)
        return self.head(output[-1])


def train_and_evaluate(kind: str, N: int, *, K: int = 8, h: int = 32, steps: int = 400, B: int = 64,
                       lr: float = 1e-2, seed: int = 0, eval_size: int = 2000) -> dict:
    """Train one model with Adam on fresh batches; returns its test accuracy, its accuracy curve and the time."""
    torch.manual_seed(seed)
    model = Recaller(kind, K, h)
    data = torch.Generator().manual_seed(10_000 + seed)
    test = torch.Generator().manual_seed(99)
    X_test, y_test = recall_batch(eval_size, N, K, test)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    curve, start = [], time.perf_counter()
    for step in range(1, steps + 1):
        X, y = recall_batch(B, N, K, data)
        loss = torch.nn.functional.cross_entropy(model(X), y)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        if step % 50 == 0 or step == steps:
            curve.append((step, accuracy(model, X_test, y_test)))
    return {"kind": kind, "N": N, "seed": seed, "h": h, "K": K, "steps": steps, "batch": B, "lr": lr,
            "params": sum(p.numel() for p in model.rnn.parameters()),
            "accuracy": curve[-1][1], "curve": curve, "seconds": time.perf_counter() - start}


@torch.no_grad()
def accuracy(model: Recaller, X: torch.Tensor, y: torch.Tensor) -> float:
    return (model(X).argmax(dim=1) == y).float().mean().item()


def first_step_reaching(curve: list, level: float) -> int | None:
    """The first recorded training step at which the accuracy reached `level`, or None."""
    return next((step for step, acc in curve if acc >= level), None)
