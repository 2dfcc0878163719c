"""The recall experiment of the LSTM and GRU chapters: name the first symbol of a sequence after N distractors.

A sequence is N + 1 one-hot symbols; the first is one of `keys` symbols, the N after it are drawn either from the
same symbols (the GRU chapter: the network must remember *which position* mattered, not a rare symbol) or from
`distractors` other symbols (the LSTM chapter). After the last one the network answers with the first symbol;
chance accuracy is 1/keys. Every model has the same hidden size and a linear read-out of its last state, and is
trained with the same data, seeds and optimiser (Adam, gradient norm clipped). Used by
benchmarks/lstm_long_dependency.py and benchmarks/gru_vs_lstm_recall.py, which record the figures the pages show.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class RecallTask:
    keys: int                       # the first symbol is one of these; the answer is a class among them
    distractors: int | None = None  # the N after it: from this many other symbols, or (None) from the keys

    @property
    def inputs(self) -> int:
        return self.keys + (self.distractors or 0)

    def batch(self, B: int, N: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs X of shape (N + 1, B, inputs) (one-hot, time-major) and targets y of shape (B,)."""
        if self.distractors is None:
            symbols = torch.randint(0, self.keys, (N + 1, B), generator=generator)
            return torch.nn.functional.one_hot(symbols, self.keys).to(torch.float32), symbols[0]
        key = torch.randint(0, self.keys, (B,), generator=generator)
        noise = torch.randint(self.keys, self.inputs, (N, B), generator=generator)
        return torch.nn.functional.one_hot(torch.cat([key[None], noise]), self.inputs).to(torch.float32), key


# The models the GRU chapter compares, by the name its table prints.
MODELS = {"gru": "GRU", "lstm": "LSTM", "lstm_fb1": "LSTM, forget-gate bias 1"}
_CELLS = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


class Recaller(torch.nn.Module):
    """A one-layer RNN, GRU or LSTM followed by a linear layer on its last hidden state.

    An LSTM given `forget_bias` starts with that forget-gate bias (Gers et al. 2000; Jozefowicz et al. 2015)
    instead of PyTorch's default (uniform around 0): with 1 its cell starts out keeping about 73 % per step."""

    def __init__(self, kind: str, task: RecallTask, h: int, forget_bias: float | None = None):
        super().__init__()
        self.rnn = _CELLS[kind](task.inputs, h)
        if forget_bias is not None:
            # Gate order i, f, g, o: the f-block is rows h..2h; only the sum of the two biases counts.
            with torch.no_grad():
                self.rnn.bias_ih_l0[h:2 * h] = forget_bias
                self.rnn.bias_hh_l0[h:2 * h] = 0.0
        self.head = torch.nn.Linear(h, task.keys)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(X)
        return self.head(output[-1])


def train_and_evaluate(kind: str, N: int, task: RecallTask, *, h: int, steps: int, B: int, lr: float,
                       clip: float = 1.0, forget_bias: float | None = None, seed: int = 0, data_seed: int | None = None,
                       test_seed: int = 99, eval_size: int = 2000, eval_every: int = 50) -> dict:
    """Train one model with Adam on fresh batches; returns its test accuracy, its accuracy curve and the time.
    kind "lstm_fb1" is an LSTM with forget-gate bias 1."""
    name = kind
    if kind == "lstm_fb1":
        kind, forget_bias = "lstm", 1.0
    torch.manual_seed(seed)
    model = Recaller(kind, task, h, forget_bias)
    data = torch.Generator().manual_seed(10_000 + seed if data_seed is None else data_seed)
    X_test, y_test = task.batch(eval_size, N, torch.Generator().manual_seed(test_seed))
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    curve, start = [], time.perf_counter()
    for step in range(1, steps + 1):
        X, y = task.batch(B, N, data)
        loss = torch.nn.functional.cross_entropy(model(X), y)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimiser.step()
        if step % eval_every == 0 or step == steps:
            curve.append((step, accuracy(model, X_test, y_test)))
    return {"kind": name, "N": N, "seed": seed, "h": h,
            "K": task.keys, "steps": steps, "batch": B, "lr": lr,
            "params": sum(p.numel() for p in model.rnn.parameters()),
            "accuracy": curve[-1][1], "curve": curve, "seconds": time.perf_counter() - start}


@torch.no_grad()
def accuracy(model: Recaller, X: torch.Tensor, y: torch.Tensor) -> float:
    return (model(X).argmax(dim=1) == y).float().mean().item()


def first_step_reaching(curve: list, level: float) -> int | None:
    """The first recorded training step at which the accuracy reached `level`, or None."""
    return next((step for step, acc in curve if acc >= level), None)
