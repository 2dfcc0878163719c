"""A character-level language model, in the course's notation (time-major, row vectors, float64 torch): the oracles
of the char_lm chapter.

    masked_cross_entropy(Z, Y, mask=None) -> (loss, dZ)          torch.nn.functional.cross_entropy, ignore_index
    sequential_partition(corpus, B, T, offset=0) -> [(X, Y), ...]  B contiguous streams, read T steps at a time
    random_partition(corpus, B, T, rng) -> [(X, Y), ...]          shuffled non-overlapping pieces of T steps
    char_rnn_forward(params, X, H0=None) -> (H, Z)                the notebook's Elman model
    clip_grad_norm(grads, max_norm) -> (grads, norm)              torch.nn.utils.clip_grad_norm_
    adam_update(params, grads, state, lr) -> {"params", "state"}  torch.optim.Adam, continuing from a given state
    train_step(params, opt_state, X, Y, H0, lr, max_norm, mask=None, optimizer="adam") -> dict
    sample(params, prefix, n, temperature, rng) -> (n,) int array
    perplexity(params, ids) -> float
    ngram_perplexity(train, held_out, V, n, k) -> float           a counting n-gram model with add-k smoothing

Shapes: token ids X, Y (T, B) (integers in [0, V)); logits Z (T, B, V); states (B, h). The model's parameters
(RNN_KEYS): W_xh (V, h), W_hh (h, h), b_h (h,), W_hq (h, V), b_q (V,). A character enters as its one-hot row
e_x (1, V), and e_x W_xh is row x of W_xh: the input product is a table look-up (an embedding).

    H_t = tanh(W_xh[X_t] + H_{t-1} W_hh + b_h),    Z_t = H_t W_hq + b_q,
    loss = sum_{t,b} m_{t,b} (-log softmax(Z_t)[b, Y_{t,b}]) / sum_{t,b} m_{t,b}      (m = 1 when no mask)

The NumPy Generator `rng` is used exactly as the exercises specify (one `rng.permutation(n)` per partition, one
`rng.choice(V, p=p)` per sampled character, none when greedy), so that a learner's code and these oracles draw the
same numbers from the same generator state.
"""
from __future__ import annotations

import math

import numpy as np

from autograder.lazy import lazy_import
from autograder.tensors import as_float64

torch = lazy_import("torch")   # loaded on first use: importing this module must not need torch

RNN_KEYS = ("W_xh", "W_hh", "b_h", "W_hq", "b_q")
IGNORE = -100   # cross_entropy's default ignore_index: a target equal to it counts neither in the sum nor the mean
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8


def _f64(value):
    """float64 tensors pass through untouched (so autograd can follow them); anything else is converted."""
    if isinstance(value, torch.Tensor) and value.dtype == torch.float64:
        return value
    return as_float64(value)


def _ids(value) -> torch.Tensor:
    return torch.as_tensor(np.asarray(value, dtype=np.int64))


def _targets(Y, mask) -> torch.Tensor:
    Y = _ids(Y).clone()
    if mask is not None:
        Y[_f64(mask) == 0] = IGNORE
    return Y


def cross_entropy(Z, Y, mask=None) -> torch.Tensor:
    """The mean softmax cross-entropy over the unmasked steps (differentiable in Z)."""
    Z = _f64(Z)
    return torch.nn.functional.cross_entropy(Z.reshape(-1, Z.shape[-1]), _targets(Y, mask).reshape(-1),
                                             ignore_index=IGNORE)


def masked_cross_entropy(Z, Y, mask=None) -> tuple[torch.Tensor, torch.Tensor]:
    """loss (a scalar) and dloss/dZ (T, B, V), by `F.cross_entropy` and autograd."""
    Z = as_float64(Z).clone().requires_grad_(True)
    loss = cross_entropy(Z, Y, mask)
    (dZ,) = torch.autograd.grad(loss, Z)
    return loss.detach(), dZ


# ---- Batching a corpus ----------------------------------------------------------------------------------------

def sequential_partition(corpus, B: int, T: int, offset: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cut corpus[offset:] into B contiguous streams of L = (N - 1) // B characters each (N the length after the
    offset; the tail is dropped), with targets one character later, and read them T steps at a time: chunk k is
    (X, Y) = (streams[k T:(k+1) T], targets[k T:(k+1) T]), each (T, B); only the L // T full chunks. Column b of
    chunk k+1 continues column b of chunk k, so the state can be carried from chunk to chunk."""
    c = _ids(corpus)[offset:]
    L = (len(c) - 1) // B
    X = c[:B * L].reshape(B, L).T
    Y = c[1:B * L + 1].reshape(B, L).T
    return [(X[k * T:(k + 1) * T].numpy(), Y[k * T:(k + 1) * T].numpy()) for k in range(L // T)]


def random_partition(corpus, B: int, T: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cut the corpus into n = (N - 1) // T pieces of T characters starting at 0, T, 2T, ... (targets one later),
    shuffle them with ONE call `rng.permutation(n)`, and put B consecutive pieces of that order side by side:
    column b of batch k is piece perm[k B + b]. Only the n // B full batches. Neighbouring batches are unrelated, so
    the state must start afresh for each."""
    c = _ids(corpus)
    n = (len(c) - 1) // T
    perm = torch.as_tensor(rng.permutation(n))
    starts = (perm * T)[:, None] + torch.arange(T)[None, :]        # (n, T): the positions of each piece, shuffled
    return [(c[starts[k * B:(k + 1) * B]].T.numpy(), c[starts[k * B:(k + 1) * B] + 1].T.numpy())
            for k in range(n // B)]


# ---- The notebook's model: an Elman network over characters ----------------------------------------------------

def _params(params, keys=RNN_KEYS) -> dict[str, torch.Tensor]:
    missing = [k for k in keys if k not in params]
    if missing:
        raise KeyError(f"parameters are missing {missing}")
    return {k: _f64(params[k]) for k in keys}


def _elman_char_step(x, H, p):
    return torch.tanh(p["W_xh"][x] + H @ p["W_hh"] + p["b_h"])


def char_rnn_forward(params, X, H0=None) -> tuple[torch.Tensor, torch.Tensor]:
    """States H (T, B, h) and logits Z (T, B, V) for ids X (T, B); H0 (B, h), zeros when None. Differentiable in
    float64 tensor parameters."""
    p = _params(params)
    X = _ids(X)
    T, B = X.shape
    H = torch.zeros(B, p["W_hh"].shape[0], dtype=torch.float64) if H0 is None else _f64(H0)
    states = []
    for t in range(T):
        H = _elman_char_step(X[t], H, p)
        states.append(H)
    Hs = torch.stack(states)
    return Hs, Hs @ p["W_hq"] + p["b_q"]


def _load_adam(opt: torch.optim.Optimizer, leaves: dict, state: dict) -> None:
    """Give torch's Adam the moments and step count of a run that has already taken state['step'] steps."""
    if not state or not state.get("step"):
        return
    for k, leaf in leaves.items():
        opt.state[leaf] = {"step": torch.tensor(float(state["step"])), "exp_avg": _f64(state["m"][k]).clone(),
                           "exp_avg_sq": _f64(state["v"][k]).clone()}


def clip_grad_norm(grads: dict, max_norm: float) -> tuple[dict, torch.Tensor]:
    """(the gradients after `torch.nn.utils.clip_grad_norm_(max_norm)`, their global norm before clipping)."""
    leaves = {k: torch.nn.Parameter(torch.zeros_like(_f64(g))) for k, g in grads.items()}
    for k, leaf in leaves.items():
        leaf.grad = _f64(grads[k]).clone()
    norm = torch.nn.utils.clip_grad_norm_(list(leaves.values()), max_norm)
    return {k: leaf.grad for k, leaf in leaves.items()}, norm


def adam_update(params, grads, state, lr: float, betas=ADAM_BETAS, eps: float = ADAM_EPS) -> dict:
    """One `torch.optim.Adam` step from state = {"step": k, "m", "v"} (k = 0: fresh). Returns {"params", "state"}."""
    leaves = {k: torch.nn.Parameter(_f64(params[k]).detach().clone()) for k in params}
    opt = torch.optim.Adam(list(leaves.values()), lr=lr, betas=betas, eps=eps)
    _load_adam(opt, leaves, state)
    for k, leaf in leaves.items():
        leaf.grad = _f64(grads[k]).clone()
    opt.step()
    new_state = {"step": int((state or {}).get("step", 0)) + 1,
                 "m": {k: opt.state[leaf]["exp_avg"].clone() for k, leaf in leaves.items()},
                 "v": {k: opt.state[leaf]["exp_avg_sq"].clone() for k, leaf in leaves.items()}}
    return {"params": {k: leaf.detach().clone() for k, leaf in leaves.items()}, "state": new_state}


def train_step(params, opt_state, X, Y, H0, lr: float, max_norm: float, mask=None) -> dict:
    """One step of truncated BPTT with torch: forward over the chunk from H0 (its value; no gradient flows into
    it), the mean cross-entropy, backward, `clip_grad_norm_(max_norm)`, one `torch.optim.Adam` step (betas
    (0.9, 0.999), eps 1e-8) that continues from opt_state = {"step": k, "m": {key: array}, "v": {key: array}}
    (k = 0: a fresh optimiser).

    Returns {"loss", "norm" (the global norm before clipping), "grads" (after clipping), "params", "state"
    ({"step": k+1, "m", "v"}), "H_T" (the last state, to carry to the next chunk)}.
    """
    leaves = {k: torch.nn.Parameter(_f64(params[k]).detach().clone()) for k in RNN_KEYS}
    opt = torch.optim.Adam(list(leaves.values()), lr=lr, betas=ADAM_BETAS, eps=ADAM_EPS)
    _load_adam(opt, leaves, opt_state)
    H0 = None if H0 is None else _f64(H0).detach()
    H, Z = char_rnn_forward(leaves, X, H0)
    loss = cross_entropy(Z, Y, mask)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(list(leaves.values()), max_norm)
    grads = {k: leaf.grad.detach().clone() for k, leaf in leaves.items()}
    opt.step()
    state = {"step": int((opt_state or {}).get("step", 0)) + 1,
             "m": {k: opt.state[leaf]["exp_avg"].clone() for k, leaf in leaves.items()},
             "v": {k: opt.state[leaf]["exp_avg_sq"].clone() for k, leaf in leaves.items()}}
    return {"loss": loss.detach(), "norm": norm.detach(), "grads": grads,
            "params": {k: leaf.detach().clone() for k, leaf in leaves.items()}, "state": state, "H_T": H[-1].detach()}


def sample(params, prefix, n: int, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """n characters generated after reading `prefix` (a non-empty sequence of ids) from a zero state, each fed back
    as the next input. temperature 0: greedy (the arg max, no draw from rng); else p = softmax(Z / temperature) and
    one `rng.choice(V, p=p)` per character."""
    with torch.no_grad():
        p = _params(params)
        V = p["W_hq"].shape[1]
        H = torch.zeros(1, p["W_hh"].shape[0], dtype=torch.float64)
        for x in np.asarray(prefix, dtype=np.int64):
            H = _elman_char_step(torch.tensor([x]), H, p)
        out = []
        for _ in range(n):
            z = (H @ p["W_hq"] + p["b_q"])[0]
            if temperature == 0:
                nxt = int(torch.argmax(z))
            else:
                nxt = int(rng.choice(V, p=torch.softmax(z / temperature, dim=0).numpy()))
            out.append(nxt)
            H = _elman_char_step(torch.tensor([nxt]), H, p)
    return np.array(out, dtype=np.int64)


def perplexity(params, ids) -> torch.Tensor:
    """exp of the mean cross-entropy of predicting ids[1:] from ids[:-1], read in one pass from a zero state."""
    ids = _ids(ids)
    with torch.no_grad():
        _, Z = char_rnn_forward(params, ids[:-1, None])
        return torch.exp(cross_entropy(Z, ids[1:, None]))


def ngram_perplexity(train, held_out, V: int, n: int, k: float) -> float:
    """Perplexity on `held_out` of the counting n-gram model estimated on `train` with add-k smoothing,
    p(c | u) = (count(u c) + k) / (count(u .) + k V), u the n-1 characters before c and count(u .) the number of times
    u is followed by a character in `train`. Every position of `held_out` with a full context is predicted (its
    len - n + 1 last characters). Counted with Python dictionaries (exact), independent of the NumPy versions."""
    from collections import Counter
    train, held_out = [int(c) for c in np.asarray(train)], [int(c) for c in np.asarray(held_out)]
    grams = Counter(tuple(train[i:i + n]) for i in range(len(train) - n + 1))
    contexts = Counter()
    for gram, count in grams.items():
        contexts[gram[:-1]] += count
    logp = [math.log((grams[tuple(held_out[i:i + n])] + k) / (contexts[tuple(held_out[i:i + n - 1])] + k * V))
            for i in range(len(held_out) - n + 1)]
    return math.exp(-sum(logp) / len(logp))


__all__ = ["RNN_KEYS", "IGNORE", "cross_entropy", "masked_cross_entropy", "sequential_partition",
           "random_partition", "char_rnn_forward", "clip_grad_norm", "adam_update", "train_step", "sample",
           "perplexity", "ngram_perplexity"]
