"""Test cases for the char_lm chapter: random inputs with expected outputs from `torch.nn.functional.cross_entropy`,
`torch.nn.utils.clip_grad_norm_`, `torch.optim.Adam` and the chapter's references (autograder/references/char_lm.py).

Generators that a function consumes (partitions, sampling) are handed to the learner fresh, with the seed the
reference used on its own copy; each case also records the generator's next draw after the call, so that a function
that draws more (or fewer) numbers than specified is caught.
"""
from __future__ import annotations

import numpy as np

from autograder.cases.common import WEIGHT_STD, Case, normal
from autograder.tensors import to_numpy

# The chapter's worked example: the four characters of "hello" (Karpathy's min-char-rnn example), h = 3.
EXAMPLE = {
    "chars": "ehlo",                       # id 0 = 'e', 1 = 'h', 2 = 'l', 3 = 'o'
    "text": "hello",
    "ids": np.array([1, 0, 2, 2, 3]),
    "params": {
        "W_xh": np.array([[0.5, -0.4, 0.1], [0.3, 0.8, -0.6], [-0.7, 0.2, 0.9], [0.1, -0.5, 0.4]]),   # (V=4, h=3)
        "W_hh": np.array([[0.2, -0.3, 0.5], [0.6, 0.1, -0.2], [-0.4, 0.7, 0.3]]),                     # (3, 3)
        "b_h": np.array([0.1, -0.1, 0.05]),
        "W_hq": np.array([[1.0, -0.5, 0.3, -0.8], [-0.6, 0.9, 0.4, 0.2], [0.7, 0.1, -1.1, 0.5]]),     # (3, 4)
        "b_q": np.array([0.2, 0.0, -0.1, 0.1]),
    },
    # Logits of two sequences (B = 2) over two steps (T = 2), their targets, and a mask: sequence 1 has one step.
    "Z": np.array([[[2.0, 1.0, 0.1, -1.0], [0.5, 0.5, 3.0, 0.0]],
                   [[-1.0, 0.0, 1.0, 2.0], [4.0, -2.0, 0.0, 1.0]]]),
    "Y": np.array([[0, 2], [3, 1]]),
    "mask": np.array([[1.0, 1.0], [1.0, 0.0]]),
    "corpus": np.arange(23),               # position i holds id i: batches show where each piece comes from
}

PARAM_KEYS = ("W_xh", "W_hh", "b_h", "W_hq", "b_q")


def char_rnn_params(rng: np.random.Generator, V: int, h: int, std: float = WEIGHT_STD) -> dict[str, np.ndarray]:
    return {"W_xh": normal(rng, V, h, std=std), "W_hh": normal(rng, h, h, std=std), "b_h": normal(rng, h, std=std),
            "W_hq": normal(rng, h, V, std=std), "b_q": normal(rng, V, std=std)}


def _mask(rng, spec, T, B):
    kind = spec.get("mask")
    if kind is None:
        return None
    if kind == "lengths":                  # right padding: sequence b has lengths[b] real steps
        return (np.arange(T)[:, None] < np.asarray(spec["lengths"])[None, :]).astype(np.float64)
    m = (rng.random((T, B)) < 0.6).astype(np.float64)   # "random": any pattern, at least one step counted
    m.flat[rng.integers(m.size)] = 1.0
    return m


def _describe(spec: dict, keys=("T", "B", "V", "h", "N")) -> str:
    return ", ".join(f"{k}={spec[k]}" for k in keys if k in spec)


def cross_entropy_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs Z (T, B, V), Y (T, B), mask ((T, B) or None); expected loss and dZ from F.cross_entropy + autograd.
    spec: T, B, V, and optionally mask (None, "random", "lengths" with lengths) and scale (the logits' std;
    a large one checks that the softmax is computed without overflow)."""
    from autograder.references.char_lm import masked_cross_entropy
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        T, B, V = spec["T"], spec["B"], spec["V"]
        Z = rng.normal(0.0, spec.get("scale", 2.0), size=(T, B, V))
        Y = rng.integers(0, V, size=(T, B))
        mask = _mask(rng, spec, T, B)
        loss, dZ = masked_cross_entropy(Z, Y, mask)
        desc = _describe(spec) + (f", logits of std {spec['scale']}" if "scale" in spec else "") + \
            ("" if mask is None else f", mask {mask.T.astype(int).tolist()} (per sequence)")
        cases.append(Case(desc, {"Z": Z, "Y": Y, "mask": mask}, {"loss": float(loss), "dZ": to_numpy(dZ)}))
    return cases


def partition_cases(seed: int, specs: list[dict]) -> list[Case]:
    """spec: kind ("sequential" or "random"), N (corpus length), B, T, and offset (sequential only). Inputs corpus,
    B, T, and offset or rng (a fresh Generator seeded like the reference's); expected batches (a list of (X, Y)) and
    next_draw (for random: the generator's next rng.random() after the call)."""
    from autograder.references.char_lm import random_partition, sequential_partition
    rng = np.random.default_rng(seed)
    cases = []
    for i, spec in enumerate(specs):
        N, B, T = spec["N"], spec["B"], spec["T"]
        corpus = rng.integers(0, spec.get("V", 50), size=N)
        if spec["kind"] == "sequential":
            offset = spec.get("offset", 0)
            batches = sequential_partition(corpus, B, T, offset)
            inputs, expected = {"corpus": corpus, "B": B, "T": T, "offset": offset}, {"batches": batches}
            desc = f"sequential, N={N}, B={B}, T={T}, offset={offset}"
        else:
            gen_seed = seed * 1000 + i
            reference_rng = np.random.default_rng(gen_seed)
            batches = random_partition(corpus, B, T, reference_rng)
            inputs = {"corpus": corpus, "B": B, "T": T, "rng": np.random.default_rng(gen_seed)}
            expected = {"batches": batches, "next_draw": reference_rng.random()}
            desc = f"random, N={N}, B={B}, T={T}"
        cases.append(Case(desc, inputs, expected))
    return cases


def clip_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs grads (a dict of arrays), max_norm; expected grads and norm from torch.nn.utils.clip_grad_norm_.
    spec: shapes (a dict key -> shape), and ratio (max_norm / norm: < 1 clips, > 1 does not)."""
    from autograder.references.char_lm import clip_grad_norm
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        grads = {k: rng.normal(size=s) for k, s in spec["shapes"].items()}
        norm = float(np.sqrt(sum((g ** 2).sum() for g in grads.values())))
        max_norm = spec["ratio"] * norm
        clipped, got_norm = clip_grad_norm(grads, max_norm)
        desc = f"shapes {spec['shapes']}, global norm {norm:.4g}, max_norm {max_norm:.4g}"
        cases.append(Case(desc, {"grads": grads, "max_norm": max_norm},
                          {"grads": to_numpy(clipped), "norm": float(got_norm)}))
    return cases


def _adam_state(rng, params, step):
    if step == 0:
        return {"step": 0, "m": {k: np.zeros_like(v) for k, v in params.items()},
                "v": {k: np.zeros_like(v) for k, v in params.items()}}
    return {"step": step, "m": {k: 0.1 * rng.normal(size=v.shape) for k, v in params.items()},
            "v": {k: 0.01 * rng.random(v.shape) for k, v in params.items()}}


def _copy_state(state):
    return {"step": state["step"], "m": {k: v.copy() for k, v in state["m"].items()},
            "v": {k: v.copy() for k, v in state["v"].items()}}


def adam_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs params, grads, state ({"step", "m", "v"}), lr; expected params and state after torch.optim.Adam's
    step(s). spec: V, h (the model's shapes), step (the state's step count, 0 = fresh), lr, and optionally steps
    (how many updates in a row, each with new gradients; inputs then hold a list grads_list)."""
    from autograder.references.char_lm import adam_update
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        params = char_rnn_params(rng, spec["V"], spec["h"])
        state = _adam_state(rng, params, spec["step"])
        grads_list = [{k: rng.normal(size=v.shape) for k, v in params.items()} for _ in range(spec.get("steps", 1))]
        p, s = params, state
        for grads in grads_list:
            out = adam_update(p, grads, s, spec["lr"])
            p, s = to_numpy(out["params"]), to_numpy(out["state"])
        desc = f"V={spec['V']}, h={spec['h']}, lr={spec['lr']}, starting at step {spec['step']}, " \
               f"{len(grads_list)} update(s)"
        cases.append(Case(desc, {"params": {k: v.copy() for k, v in params.items()}, "grads_list": grads_list,
                                 "state": _copy_state(state), "lr": spec["lr"]}, {"params": p, "state": s}))
    return cases


def train_step_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs params, opt_state, chunks (a list of (X, Y), consecutive chunks of B streams), H0 ((B, h) or None),
    lr, max_norm; expected, from the reference run chunk after chunk with the state carried: losses, norms (before
    clipping), params, opt_state and H_T after the last chunk.
    spec: V, h, T, B, steps (chunks), opt_step (the optimiser's step count at the start), initial (H0 given),
    max_norm (default 1.0: clips in most cases; a large one does not)."""
    from autograder.references.char_lm import sequential_partition, train_step
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        V, h, T, B, n = spec["V"], spec["h"], spec["T"], spec["B"], spec.get("steps", 1)
        params = char_rnn_params(rng, V, h, std=0.4)
        state = _adam_state(rng, params, spec.get("opt_step", 0))
        corpus = rng.integers(0, V, size=B * T * n + 1)
        chunks = [(X.copy(), Y.copy()) for X, Y in sequential_partition(corpus, B, T)][:n]
        H0 = rng.normal(size=(B, h)) if spec.get("initial") else None
        lr, max_norm = spec.get("lr", 0.01), spec.get("max_norm", 1.0)
        p, s, H, losses, norms = params, state, H0, [], []
        for X, Y in chunks:
            out = to_numpy(train_step(p, s, X, Y, H, lr, max_norm))
            p, s, H = out["params"], out["state"], out["H_T"]
            losses.append(float(out["loss"]))
            norms.append(float(out["norm"]))
        desc = (_describe(spec) + f", {n} chunk(s) in a row, optimiser at step {spec.get('opt_step', 0)}, "
                + ("given H0" if H0 is not None else "H0=None (zeros)") + f", lr={lr}, max_norm={max_norm}")
        cases.append(Case(desc, {"params": {k: v.copy() for k, v in params.items()}, "opt_state": _copy_state(state),
                                 "chunks": chunks, "H0": H0, "lr": lr, "max_norm": max_norm},
                          {"losses": np.array(losses), "norms": np.array(norms), "params": p, "opt_state": s,
                           "H_T": H}))
    return cases


def sample_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs params, prefix (ids), n, temperature, rng (fresh, seeded like the reference's); expected ids and
    next_draw (the generator's next rng.random() after the call). spec: V, h, prefix (its length), n, temperature."""
    from autograder.references.char_lm import sample
    rng = np.random.default_rng(seed)
    cases = []
    for i, spec in enumerate(specs):
        params = char_rnn_params(rng, spec["V"], spec["h"])
        prefix = rng.integers(0, spec["V"], size=spec["prefix"])
        gen_seed = seed * 1000 + i
        reference_rng = np.random.default_rng(gen_seed)
        ids = sample(params, prefix, spec["n"], spec["temperature"], reference_rng)
        desc = f"V={spec['V']}, h={spec['h']}, prefix of {spec['prefix']}, n={spec['n']}, " \
               f"temperature {spec['temperature']}"
        cases.append(Case(desc, {"params": params, "prefix": prefix, "n": spec["n"],
                                 "temperature": spec["temperature"], "rng": np.random.default_rng(gen_seed)},
                          {"ids": ids, "next_draw": reference_rng.random()}))
    return cases


def perplexity_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs params, ids (N,), T (the chunk length); expected perplexity of the text read in one pass (the
    reference). spec: V, h, N, T."""
    from autograder.references.char_lm import perplexity
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        params = char_rnn_params(rng, spec["V"], spec["h"], std=spec.get("std", WEIGHT_STD))
        ids = rng.integers(0, spec["V"], size=spec["N"])
        cases.append(Case(_describe(spec) + f", chunks of T={spec['T']}", {"params": params, "ids": ids,
                                                                            "T": spec["T"]},
                          {"perplexity": float(perplexity(params, ids))}))
    return cases


def ngram_cases(seed: int, specs: list[dict]) -> list[Case]:
    """Inputs train, held_out (1-D ids), V, n, k; expected the perplexity of the counting n-gram model (the
    reference). spec: V, N (training length), M (held-out length), n, k; `unseen` gives the held-out text one
    character that the training text lacks (so some contexts and n-grams are unseen)."""
    from autograder.references.char_lm import ngram_perplexity
    rng = np.random.default_rng(seed)
    cases = []
    for spec in specs:
        V, n, k = spec["V"], spec["n"], spec["k"]
        top = V - 1 if spec.get("unseen") else V
        # a skewed distribution, so that counts differ and contexts repeat
        p = rng.dirichlet(np.full(top, 0.5))
        train = rng.choice(top, size=spec["N"], p=p)
        held_out = rng.choice(top, size=spec["M"], p=p)
        if spec.get("unseen"):
            held_out[rng.integers(0, spec["M"])] = V - 1
        desc = (f"V={V}, {spec['N']} training and {spec['M']} held-out ids, n={n}, k={k}"
                + (", a held-out character never seen in training" if spec.get("unseen") else ""))
        cases.append(Case(desc, {"train": train, "held_out": held_out, "V": V, "n": n, "k": k},
                          {"perplexity": ngram_perplexity(train, held_out, V, n, k)}))
    return cases


__all__ = ["EXAMPLE", "PARAM_KEYS", "char_rnn_params", "cross_entropy_cases", "partition_cases", "clip_cases",
           "adam_cases", "train_step_cases", "sample_cases", "perplexity_cases",
           "ngram_cases"]


def check_batches(got, expected, name: str = "batches", context: str = "") -> None:
    """A list of (X, Y) pairs equal to the expected one: the count, then batch by batch, inputs before targets.
    (A check for this chapter's partition exercise; it only combines autograder.checks' functions.)"""
    from autograder.checks import CheckFailure, check_close
    where_case = f" [case: {context}]" if context else ""
    if not isinstance(got, list):
        raise CheckFailure(f"{name}: expected a list of (X, Y) pairs, got {type(got).__name__}{where_case}.")
    if len(got) != len(expected):
        raise CheckFailure(f"{name}: got {len(got)} batches, expected {len(expected)}{where_case}. Hint: keep only "
                           f"full batches, and remember that the last character has no target (N - 1 pairs).")
    for k, (pair, (X, Y)) in enumerate(zip(got, expected)):
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise CheckFailure(f"{name}[{k}]: expected a tuple (X, Y), got {type(pair).__name__}{where_case}.")
        for label, mine, want in (("X", pair[0], X), ("Y", pair[1], Y)):
            try:
                check_close(mine, want, f"{name}[{k}] {label}", context=context)
            except CheckFailure as err:
                hint = ""
                arr = np.asarray(mine)
                if arr.shape == np.asarray(want).shape[::-1]:
                    hint = "\nHint: each array is (T, B): time down the rows, one column per stream (transpose?)."
                elif label == "Y" and np.array_equal(arr, X):
                    hint = "\nHint: the targets equal the inputs; Y must be the input shifted one character on."
                raise CheckFailure(f"{err}{hint}") from None


__all__.append("check_batches")
