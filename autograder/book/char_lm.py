"""The char_lm chapter's experiment: the corpus, a character LSTM in NumPy (the functions of the chapter's exercises
plus chapter 3's LSTM), its twin in `torch.nn.LSTM`, and the "which cell" comparison.

The corpus is the text of Python's own language reference as `pydoc` shows it (`pydoc_data.topics`, part of every
CPython installation; Python Software Foundation License version 2), shipped as a snapshot taken from Python 3.11.7
(book/data/char_lm/corpus.txt.gz) so that it is the same on every Python. Nothing is downloaded.

`benchmarks/char_lm_training.py` runs `run_experiment()` once and records its results in book/data/char_lm/; the
page (book/char_lm.md) reads them, and checks that the corpus it sees is the one they were recorded on.
"""
from __future__ import annotations

import gzip
import hashlib
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from autograder.notation import LSTM_GATES
from autograder.references.gru import gru_step
from autograder.references.lstm import _lstm_step
from autograder.references.scan import mingru_forward
from autograder.references.sru import sru_forward, sru_init_params

# ---- The corpus -------------------------------------------------------------------------------------------------


# The corpus is shipped (book/data/char_lm/corpus.txt.gz, PSF License version 2): each CPython version carries its
# own `pydoc_data.topics`, so reading the installed one would make the page's recorded results, and its build,
# depend on the Python version. The snapshot was taken from Python 3.11.7; it is pinned by its content.
CORPUS_FILE = Path(__file__).resolve().parents[2] / "book" / "data" / "char_lm" / "corpus.txt.gz"
CORPUS_SHA256 = "71f2ff5d99bdc1f9c48c5c2353ad138201c5ca1c377e0226857ef8fa89b8bcee"
CORPUS_PYTHON = "3.11.7"


def corpus_from_python() -> str:
    """The topics of Python's language reference that the *installed* Python's `help()` shows, in alphabetical order
    of their keys (how the shipped snapshot was made; it differs between Python versions)."""
    from pydoc_data.topics import topics
    return "\n\n".join(topics[k] for k in sorted(topics))


def corpus_text() -> str:
    """The shipped corpus (Python 3.11.7's `pydoc_data.topics`, topics in alphabetical order of their keys), checked
    against its SHA-256: the same text on every Python version."""
    text = gzip.decompress(CORPUS_FILE.read_bytes()).decode("utf-8")
    if corpus_sha256(text) != CORPUS_SHA256:
        raise ValueError(f"{CORPUS_FILE} is not the course's corpus (its SHA-256 differs from {CORPUS_SHA256})")
    return text


def corpus_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Vocabulary:
    """The characters of a text, sorted; id i is the i-th character."""

    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.index[c] for c in text], dtype=np.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def split(ids: np.ndarray, fractions=(0.9, 0.05)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contiguous training, validation and test parts (90%, 5%, 5%): held-out text is text the model never read."""
    a = int(len(ids) * fractions[0])
    b = a + int(len(ids) * fractions[1])
    return ids[:a], ids[a:b], ids[b:]


def unigram_perplexity(train: np.ndarray, held_out: np.ndarray, V: int) -> float:
    """Perplexity of the model that ignores context: p(c) = (count of c in train + 1) / (N + V) (add-one, so that a
    character unseen in training does not get probability 0)."""
    counts = np.bincount(train, minlength=V) + 1.0
    logp = np.log(counts / counts.sum())
    return float(np.exp(-logp[held_out].mean()))


def ngram_perplexity(train: np.ndarray, held_out: np.ndarray, V: int, n: int, k: float) -> float:
    """Perplexity on `held_out` of the counting n-gram model with add-k smoothing:
    p(c | the n-1 previous characters) = (count(context, c) + k) / (count(context) + k V), counts from `train`.
    The first n-1 characters of `held_out` (no full context) are not scored."""
    def contexts(ids):
        code = np.zeros(len(ids) - n + 1, dtype=np.int64)
        for j in range(n - 1):                       # the context as one integer, base V
            code = code * V + ids[j:len(ids) - n + 1 + j]
        return code

    def lookup(table, counts, keys):
        i = np.minimum(np.searchsorted(table, keys), len(table) - 1)
        return np.where(table[i] == keys, counts[i], 0)

    ctx = contexts(train)
    pairs, pair_counts = np.unique(ctx * V + train[n - 1:], return_counts=True)
    ctxs, ctx_counts = np.unique(ctx, return_counts=True)
    held_ctx = contexts(held_out)
    c = lookup(pairs, pair_counts, held_ctx * V + held_out[n - 1:])
    total = lookup(ctxs, ctx_counts, held_ctx)
    return float(np.exp(-np.log((c + k) / (total + k * V)).mean()))


# ---- The exercises' functions (NumPy) ---------------------------------------------------------------------------


def softmax(Z: np.ndarray) -> np.ndarray:
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(Z, Y, mask=None):
    """(mean cross-entropy over the unmasked steps, its gradient with respect to Z)."""
    T, B, V = Z.shape
    m = np.ones((T, B)) if mask is None else np.asarray(mask, dtype=np.float64)
    shifted = Z - Z.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    nll = -np.take_along_axis(logp, Y[..., None], axis=-1)[..., 0]
    count = m.sum()
    dZ = np.exp(logp)
    np.put_along_axis(dZ, Y[..., None], np.take_along_axis(dZ, Y[..., None], axis=-1) - 1.0, axis=-1)
    return float((m * nll).sum() / count), dZ * (m / count)[..., None]


def sequential_partition(corpus, B, T, offset=0):
    c = np.asarray(corpus)[offset:]
    L = (len(c) - 1) // B
    X, Y = c[:B * L].reshape(B, L).T, c[1:B * L + 1].reshape(B, L).T
    return [(X[k * T:(k + 1) * T], Y[k * T:(k + 1) * T]) for k in range(L // T)]


def clip_by_global_norm(grads: dict, max_norm: float):
    """The gradients scaled by min(1, max_norm / (norm + 1e-6)), as torch.nn.utils.clip_grad_norm_; and the norm."""
    norm = float(np.sqrt(sum((g ** 2).sum() for g in grads.values())))
    scale = min(1.0, max_norm / (norm + 1e-6))
    return {k: g * scale for k, g in grads.items()}, norm


class Adam:
    """torch.optim.Adam's update (no weight decay), on a dict of NumPy arrays, in place."""

    def __init__(self, params: dict, lr: float, betas=(0.9, 0.999), eps=1e-8):
        self.lr, self.b1, self.b2, self.eps, self.t = lr, betas[0], betas[1], eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params: dict, grads: dict) -> None:
        self.t += 1
        for k, g in grads.items():
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g * g
            m_hat = self.m[k] / (1 - self.b1 ** self.t)
            v_hat = self.v[k] / (1 - self.b2 ** self.t)
            params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# ---- A character LSTM in NumPy (the gates stacked in PyTorch's order i, f, g, o) ----------------------------------


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def init_lstm_lm(V: int, h: int, rng: np.random.Generator) -> dict:
    """PyTorch's initialisation: every weight and bias U(-1/sqrt(h), 1/sqrt(h)). W_x (V, 4h) reads one-hot inputs,
    so row x of W_x is character x's input to the four gates; W_h (h, 4h); b (4h,) the two PyTorch biases' sum."""
    k = 1 / np.sqrt(h)
    u = lambda *s: rng.uniform(-k, k, size=s)
    return {"W_x": u(V, 4 * h), "W_h": u(h, 4 * h), "b": u(4 * h), "W_hq": u(h, V), "b_q": u(V)}


def lstm_lm_forward(p: dict, X: np.ndarray, state):
    """Logits Z (T, B, V), the last (H, C), and what the backward pass needs."""
    H, C = state
    h = p["W_h"].shape[0]
    cache, Hs = [], []
    for t in range(X.shape[0]):
        pre = p["W_x"][X[t]] + H @ p["W_h"] + p["b"]
        I, Fg, O = _sigmoid(pre[:, :h]), _sigmoid(pre[:, h:2 * h]), _sigmoid(pre[:, 3 * h:])
        G = np.tanh(pre[:, 2 * h:3 * h])
        C_new = Fg * C + I * G
        tanh_c = np.tanh(C_new)
        cache.append((H, C, I, Fg, G, O, tanh_c))
        H, C = O * tanh_c, C_new
        Hs.append(H)
    Hs = np.stack(Hs)
    return Hs @ p["W_hq"] + p["b_q"], (H, C), (X, Hs, cache)


def lstm_lm_backward(p: dict, dZ: np.ndarray, saved) -> dict:
    """Gradients of the loss whose dloss/dZ is dZ, through the read-out and back through time (truncated at the
    chunk's first step: the initial state is a constant)."""
    X, Hs, cache = saved
    T, B, V = dZ.shape
    h = p["W_h"].shape[0]
    g = {k: np.zeros_like(v) for k, v in p.items()}
    g["W_hq"] = Hs.reshape(-1, h).T @ dZ.reshape(-1, V)
    g["b_q"] = dZ.sum(axis=(0, 1))
    dH_out = dZ @ p["W_hq"].T
    dH_next, dC_next = np.zeros((B, h)), np.zeros((B, h))
    for t in reversed(range(T)):
        H_prev, C_prev, I, Fg, G, O, tanh_c = cache[t]
        dH = dH_out[t] + dH_next
        dC = dC_next + dH * O * (1 - tanh_c ** 2)
        dpre = np.concatenate([dC * G * I * (1 - I), dC * C_prev * Fg * (1 - Fg), dC * I * (1 - G ** 2),
                               dH * tanh_c * O * (1 - O)], axis=1)
        g["W_h"] += H_prev.T @ dpre
        g["b"] += dpre.sum(axis=0)
        np.add.at(g["W_x"], X[t], dpre)
        dH_next, dC_next = dpre @ p["W_h"].T, dC * Fg
    return g


def lstm_lm_loss(p, X, Y, state):
    Z, state, _ = lstm_lm_forward(p, X, state)
    return softmax_cross_entropy(Z, Y)[0], state


def evaluate_numpy(p: dict, held_out: np.ndarray, B: int, T: int) -> float:
    """Mean cross-entropy (nats per character) on held-out text cut into B streams, read with the carried state."""
    h = p["W_h"].shape[0]
    state, total, count = (np.zeros((B, h)), np.zeros((B, h))), 0.0, 0
    for X, Y in sequential_partition(held_out, B, T):
        loss, state = lstm_lm_loss(p, X, Y, state)
        total, count = total + loss * X.size, count + X.size
    return total / count


def sample_numpy(p: dict, prefix: np.ndarray, n: int, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """n characters after `prefix`; one rng.choice per character (greedy, no draw, at temperature 0)."""
    h = p["W_h"].shape[0]
    state = (np.zeros((1, h)), np.zeros((1, h)))
    Z, state, _ = lstm_lm_forward(p, np.asarray(prefix)[:, None], state)
    out = []
    for _ in range(n):
        z = Z[-1, 0]
        nxt = int(np.argmax(z)) if temperature == 0 else int(rng.choice(len(z), p=softmax(z / temperature)))
        out.append(nxt)
        Z, state, _ = lstm_lm_forward(p, np.array([[nxt]]), state)
    return np.array(out)


# ---- The twin in torch.nn.LSTM ----------------------------------------------------------------------------------


class TorchLSTMLM(torch.nn.Module):
    """torch.nn.LSTM + Linear (float64), loaded with the NumPy model's parameters: weight_ih = W_x^T (one-hot inputs),
    weight_hh = W_h^T, bias_ih = b, bias_hh = 0 (and not trained); the read-out's weight = W_hq^T."""

    def __init__(self, p: dict):
        super().__init__()
        V, four_h = p["W_x"].shape
        self.lstm = torch.nn.LSTM(V, four_h // 4, dtype=torch.float64)
        self.out = torch.nn.Linear(four_h // 4, V, dtype=torch.float64)
        with torch.no_grad():
            self.lstm.weight_ih_l0.copy_(torch.from_numpy(p["W_x"].T.copy()))
            self.lstm.weight_hh_l0.copy_(torch.from_numpy(p["W_h"].T.copy()))
            self.lstm.bias_ih_l0.copy_(torch.from_numpy(p["b"]))
            self.lstm.bias_hh_l0.zero_()
            self.out.weight.copy_(torch.from_numpy(p["W_hq"].T.copy()))
            self.out.bias.copy_(torch.from_numpy(p["b_q"]))
        # Frozen at 0: with two trained biases the optimiser would move their sum, the effective bias, twice as fast
        # (each gets the same gradient), and the twin would no longer be the NumPy model's.
        self.lstm.bias_hh_l0.requires_grad_(False)

    def forward(self, X, state):
        onehot = F.one_hot(torch.as_tensor(X), self.lstm.input_size).to(torch.float64)
        out, state = self.lstm(onehot, state)
        return self.out(out), state


# ---- Training ---------------------------------------------------------------------------------------------------


def train_numpy(p: dict, train: np.ndarray, val: np.ndarray, cfg: dict, on_checkpoint=None) -> dict:
    """Truncated BPTT over sequential chunks (the state carried between chunks, reset at each pass over the text),
    gradient clipping by global norm, Adam. Returns the per-step training losses, the validation losses at
    cfg['eval_every'] and the CPU seconds spent in training steps (process time, one thread: other jobs on a shared
    machine do not inflate it, as they would wall-clock time)."""
    B, T, h = cfg["B"], cfg["T"], p["W_h"].shape[0]
    chunks = sequential_partition(train, B, T)
    opt = Adam(p, cfg["lr"])
    losses, val_losses, seconds = [], [], 0.0
    for step in range(cfg["steps"]):
        if step % len(chunks) == 0:
            state = (np.zeros((B, h)), np.zeros((B, h)))
        X, Y = chunks[step % len(chunks)]
        start = time.process_time()
        Z, state, saved = lstm_lm_forward(p, X, state)
        loss, dZ = softmax_cross_entropy(Z, Y)
        grads, _ = clip_by_global_norm(lstm_lm_backward(p, dZ, saved), cfg["clip"])
        opt.step(p, grads)
        seconds += time.process_time() - start
        losses.append(loss)
        if (step + 1) % cfg["eval_every"] == 0:
            val_losses.append((step + 1, evaluate_numpy(p, val, B, T)))
        if on_checkpoint is not None:
            on_checkpoint(step + 1, p)
    return {"train_loss": losses, "val_loss": val_losses, "seconds": seconds}


def train_torch_twin(p: dict, train: np.ndarray, val: np.ndarray, cfg: dict) -> dict:
    """The same run with torch.nn.LSTM, F.cross_entropy, clip_grad_norm_ and torch.optim.Adam."""
    model = TorchLSTMLM(p)
    trained = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.Adam(trained, lr=cfg["lr"])
    B, T, h = cfg["B"], cfg["T"], model.lstm.hidden_size
    chunks = sequential_partition(train, B, T)
    losses, val_losses, seconds = [], [], 0.0
    for step in range(cfg["steps"]):
        if step % len(chunks) == 0:
            state = (torch.zeros(1, B, h, dtype=torch.float64), torch.zeros(1, B, h, dtype=torch.float64))
        X, Y = chunks[step % len(chunks)]
        start = time.process_time()
        Z, state = model(X, tuple(s.detach() for s in state))   # the state's value carried, its gradient cut
        loss = F.cross_entropy(Z.reshape(-1, Z.shape[-1]), torch.as_tensor(Y).reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, cfg["clip"])
        opt.step()
        seconds += time.process_time() - start
        losses.append(loss.item())
        if (step + 1) % cfg["eval_every"] == 0:
            val_losses.append((step + 1, evaluate_torch(model, val, B, T)))
    return {"train_loss": losses, "val_loss": val_losses, "seconds": seconds}


@torch.no_grad()
def evaluate_torch(model, held_out: np.ndarray, B: int, T: int) -> float:
    state = model.initial_state(B) if hasattr(model, "initial_state") else None
    total, count = 0.0, 0
    for X, Y in sequential_partition(held_out, B, T):
        Z, state = model(X, state)
        total += F.cross_entropy(Z.reshape(-1, Z.shape[-1]), torch.as_tensor(Y).reshape(-1)).item() * X.size
        count += X.size
    return total / count


# ---- The same model with the course's other cells (the chapter's "which cell" table) ----------------------------

class CharLM(torch.nn.Module):
    """Embedding (one-hot input), one recurrent layer of `kind`, a linear read-out; float64. The cells are the
    course's references: the Elman step (eq-char_lm-model), the LSTM step of autograder.references.lstm, gru_step
    (PyTorch's reset-after form), sru_forward (2018 form; its highway input is the projection X W_s, V != h) and the
    scan chapter's mingru_forward (Feng et al. 2024, not in log space: h_t = (1 - z_t) h_{t-1} + z_t n_t, the gate z_t
    and the candidate n_t read x_t only).

    Initialisation: PyTorch's for the Elman, LSTM and GRU cells (U(-1/sqrt(h), 1/sqrt(h))), the same for minGRU's
    W_xz, b_z, W_xn, b_n, the sru package's for the SRU; the read-out U(-1/sqrt(h), 1/sqrt(h)).
    forward(X, state) -> (Z, state), state a tuple of (B, h) tensors.
    """

    def __init__(self, kind: str, V: int, h: int, generator: torch.Generator):
        super().__init__()
        self.kind, self.h = kind, h

        def uniform(*shape, bound=1 / h ** 0.5):
            return torch.nn.Parameter((torch.rand(*shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound)

        if kind == "elman":
            names = {"W_xh": (V, h), "W_hh": (h, h), "b_h": (h,)}
        elif kind == "lstm":
            names = {f"{k}{g}": s for g in LSTM_GATES for k, s in (("W_x", (V, h)), ("W_h", (h, h)), ("b_", (h,)))}
        elif kind == "gru":
            names = {**{f"W_x{g}": (V, h) for g in "rzn"}, **{f"W_h{g}": (h, h) for g in "rzn"},
                     "b_r": (h,), "b_z": (h,), "b_xn": (h,), "b_hn": (h,)}
        elif kind == "mingru":
            names = {"W_xz": (V, h), "b_z": (h,), "W_xn": (V, h), "b_n": (h,)}
        elif kind == "sru":
            names = {}
            p = sru_init_params(V, h, generator)
            self.scale_highway = p.pop("scale_highway")
            self.cell = torch.nn.ParameterDict({k: torch.nn.Parameter(v) for k, v in p.items()})
        else:
            raise ValueError(f"unknown cell {kind!r}: elman, lstm, gru, sru or mingru")
        if names:
            self.cell = torch.nn.ParameterDict({k: uniform(*s) for k, s in names.items()})
        self.W_hq, self.b_q = uniform(h, V), uniform(V)

    def initial_state(self, B: int):
        zeros = torch.zeros(B, self.h, dtype=torch.float64)
        return (zeros, zeros.clone()) if self.kind == "lstm" else (zeros,)

    def forward(self, X, state):
        X = torch.as_tensor(np.asarray(X, dtype=np.int64))
        p = self.cell
        if self.kind == "sru":   # one-hot inputs: the products X W, X W_f, X W_r, X W_s are row look-ups
            onehot = F.one_hot(X, p["W"].shape[0]).to(torch.float64)
            H, C = sru_forward(onehot, p["W"], p["W_f"], p["W_r"], p["b_f"], p["b_r"], p["v_f"], p["v_r"],
                               c0=state[0], W_s=p["W_s"], scale_highway=self.scale_highway)
            return H @ self.W_hq + self.b_q, (C[-1],)
        if self.kind == "mingru":   # the gates for all steps at once, then the reference's loop (linear_recurrence)
            onehot = F.one_hot(X, p["W_xz"].shape[0]).to(torch.float64)
            H = mingru_forward(onehot, p, H0=state[0])
            return H @ self.W_hq + self.b_q, (H[-1],)
        outs = []
        for t in range(X.shape[0]):
            if self.kind == "elman":
                state = (torch.tanh(p["W_xh"][X[t]] + state[0] @ p["W_hh"] + p["b_h"]),)
            elif self.kind == "lstm":
                onehot = F.one_hot(X[t], p["W_xi"].shape[0]).to(torch.float64)
                state = _lstm_step(onehot, state[0], state[1], p)
            else:
                onehot = F.one_hot(X[t], p["W_xr"].shape[0]).to(torch.float64)
                state = (gru_step(onehot, state[0], dict(p)),)
            outs.append(state[0])
        return torch.stack(outs) @ self.W_hq + self.b_q, state




def train_cell(kind: str, V: int, train: np.ndarray, val: np.ndarray, cfg: dict, seed: int) -> dict:
    """The "which cell" run: CharLM(kind) trained like the LSTM above, in torch."""
    model = CharLM(kind, V, cfg["h"], torch.Generator().manual_seed(seed))
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    B, T = cfg["B"], cfg["T"]
    chunks = sequential_partition(train, B, T)
    seconds, losses = [], []
    for step in range(cfg["cell_steps"]):
        if step % len(chunks) == 0:
            state = model.initial_state(B)
        X, Y = chunks[step % len(chunks)]
        start = time.process_time()
        Z, state = model(X, tuple(s.detach() for s in state))
        loss = F.cross_entropy(Z.reshape(-1, Z.shape[-1]), torch.as_tensor(Y).reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
        opt.step()
        seconds.append(time.process_time() - start)
        losses.append(loss.item())
    return {"train_loss": losses, "val_loss": evaluate_torch(model, val, B, T),
            "seconds_per_step": float(np.mean(seconds)), "parameters": sum(p.numel() for p in model.parameters())}


# ---- Timing -----------------------------------------------------------------------------------------------------


def training_step(kind: str, V: int, init: dict, cfg: dict, seed: int):
    """step(X, Y) for one model: "numpy" (the NumPy LSTM), "torch" (its torch.nn.LSTM twin), or a CharLM cell; each
    does forward, loss, backward, clipping and Adam, and carries its state, as in the training runs."""
    B, h = cfg["B"], cfg["h"]
    if kind == "numpy":
        p = {k: v.copy() for k, v in init.items()}
        opt, box = Adam(p, cfg["lr"]), [(np.zeros((B, h)), np.zeros((B, h)))]

        def step(X, Y):
            Z, box[0], saved = lstm_lm_forward(p, X, box[0])
            _, dZ = softmax_cross_entropy(Z, Y)
            opt.step(p, clip_by_global_norm(lstm_lm_backward(p, dZ, saved), cfg["clip"])[0])
        return step
    if kind == "torch":
        model = TorchLSTMLM(init)
        box = [tuple(torch.zeros(1, B, h, dtype=torch.float64) for _ in range(2))]
    else:
        model = CharLM(kind, V, h, torch.Generator().manual_seed(seed))
        box = [model.initial_state(B)]
    trained = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.Adam(trained, lr=cfg["lr"])

    def step(X, Y):
        Z, state = model(X, tuple(s.detach() for s in box[0]))
        box[0] = state
        loss = F.cross_entropy(Z.reshape(-1, Z.shape[-1]), torch.as_tensor(Y).reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, cfg["clip"])
        opt.step()
    return step


def cpu_seconds_per_step(step, chunks, warmup: int = 3, repeats: int = 20) -> float:
    """Mean CPU time (process time: one thread, not inflated by other jobs on the machine) of `repeats` steps,
    after `warmup` untimed ones."""
    for X, Y in chunks[:warmup]:
        step(X, Y)
    start = time.process_time()
    for X, Y in chunks[warmup:warmup + repeats]:
        step(X, Y)
    return (time.process_time() - start) / repeats
