"""Mistakes learners make in the char_lm chapter. Each must make the named hidden test fail."""

_CE = '''
def softmax_cross_entropy(Z, Y, mask=None):
    T, B, V = Z.shape
    m = np.ones((T, B)) if mask is None else np.asarray(mask, dtype=np.float64)
    shifted = Z - Z.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, Y[..., None], axis=-1)[..., 0]
    loss = -(m * picked).sum() / m.sum()
    dZ = np.exp(log_probs)
    dZ[np.arange(T)[:, None], np.arange(B)[None, :], Y] -= 1.0
    return float(loss), dZ * (m / m.sum())[..., None]
'''

_PARTITION = '''
def sequential_partition(corpus, B, T, offset=0):
    c = np.asarray(corpus)[offset:]
    L = (len(c) - 1) // B
    inputs = c[:B * L].reshape(B, L).T
    targets = c[1:B * L + 1].reshape(B, L).T
    return [(inputs[k * T:(k + 1) * T], targets[k * T:(k + 1) * T]) for k in range(L // T)]


def random_partition(corpus, B, T, rng):
    c = np.asarray(corpus)
    n = (len(c) - 1) // T
    order = rng.permutation(n)
    batches = []
    for k in range(n // B):
        rows = order[k * B:(k + 1) * B, None] * T + np.arange(T)[None, :]
        batches.append((c[rows].T, c[rows + 1].T))
    return batches
'''

_CLIP = '''
def clip_by_global_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    scale = min(1.0, max_norm / (norm + 1e-6))
    return {key: g * scale for key, g in grads.items()}, float(norm)
'''

_ADAM = '''
def adam_step(params, grads, state, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    state["step"] += 1
    k = state["step"]
    for key, g in grads.items():
        state["m"][key] = beta1 * state["m"][key] + (1 - beta1) * g
        state["v"][key] = beta2 * state["v"][key] + (1 - beta2) * g ** 2
        m_hat = state["m"][key] / (1 - beta1 ** k)
        v_hat = state["v"][key] / (1 - beta2 ** k)
        params[key] = params[key] - lr * m_hat / (np.sqrt(v_hat) + eps)
'''

_TRAIN = '''
def train_step(params, opt_state, X, Y, H0, lr, max_norm):
    if H0 is None:
        H0 = np.zeros((X.shape[1], params["W_hh"].shape[0]))
    Z, cache = rnn_forward(params, X, H0)
    loss, dZ = softmax_cross_entropy(Z, Y)
    grads, _ = clip_by_global_norm(rnn_backward(params, dZ, cache), max_norm)
    adam_step(params, grads, opt_state, lr)
    return loss, cache["H"][-1]
'''

_SAMPLE = '''
def sample(params, prefix, n, temperature, rng):
    V = params["W_hq"].shape[1]
    _, cache = rnn_forward(params, np.asarray(prefix)[:, None], np.zeros((1, params["W_hh"].shape[0])))
    state = cache["H"][-1]
    out = []
    for _ in range(n):
        z = (state @ params["W_hq"] + params["b_q"])[0]
        if temperature == 0:
            nxt = int(np.argmax(z))
        else:
            e = np.exp((z - z.max()) / temperature)
            nxt = int(rng.choice(V, p=e / e.sum()))
        out.append(nxt)
        _, cache = rnn_forward(params, np.array([[nxt]]), state)
        state = cache["H"][-1]
    return np.array(out, dtype=np.int64)
'''

_PERPLEXITY = '''
def perplexity(params, ids, T):
    ids = np.asarray(ids)
    state = np.zeros((1, params["W_hh"].shape[0]))
    total, count = 0.0, 0
    for start in range(0, len(ids) - 1, T):
        end = min(start + T, len(ids) - 1)
        Z, cache = rnn_forward(params, ids[start:end, None], state)
        loss, _ = softmax_cross_entropy(Z, ids[start + 1:end + 1, None])
        total += loss * (end - start)
        count += end - start
        state = cache["H"][-1]
    return float(np.exp(total / count))
'''

_NGRAM = '''
def ngram_perplexity(train, held_out, V, n, k):
    from collections import Counter
    train, held_out = np.asarray(train).tolist(), np.asarray(held_out).tolist()
    grams = Counter(tuple(train[i:i + n]) for i in range(len(train) - n + 1))
    contexts = Counter()
    for gram, count in grams.items():
        contexts[gram[:-1]] += count
    logp = [np.log((grams[tuple(held_out[i:i + n])] + k) / (contexts[tuple(held_out[i:i + n - 1])] + k * V))
            for i in range(len(held_out) - n + 1)]
    return float(np.exp(-np.mean(logp)))
'''


def _sub(source: str, old: str, new: str) -> str:
    assert old in source, f"mutant template out of date: {old!r}"
    return source.replace(old, new)


def _mutant(cell: str, template: str):
    def make(old, new):
        return (f"test_{cell}_hidden", {cell: _sub(template, old, new)})
    return make


_ce, _part, _clip = _mutant("softmax_cross_entropy", _CE), _mutant("partition", _PARTITION), \
    _mutant("clip_by_global_norm", _CLIP)
_adam, _train, _sample, _ppl = _mutant("adam_step", _ADAM), _mutant("train_step", _TRAIN), \
    _mutant("sample", _SAMPLE), _mutant("perplexity", _PERPLEXITY)
_ngram = _mutant("ngram", _NGRAM)

MUTANTS = {
    # softmax_cross_entropy
    "loss: softmax without subtracting the maximum (overflows)": _ce(
        "shifted = Z - Z.max(axis=-1, keepdims=True)", "shifted = Z"),
    "loss: mean over every step, masked ones included in the count": _ce(
        "loss = -(m * picked).sum() / m.sum()", "loss = -(m * picked).sum() / m.size"),
    "loss: mask ignored": _ce("m = np.ones((T, B)) if mask is None else", "m = np.ones((T, B)) if True else"),
    "loss: gradient of the sum, not the mean": _ce("dZ * (m / m.sum())[..., None]", "dZ * m[..., None]"),
    "loss: gradient without the one-hot (softmax only)": _ce(
        "dZ[np.arange(T)[:, None], np.arange(B)[None, :], Y] -= 1.0", "pass"),
    "loss: gradient not masked": _ce("dZ * (m / m.sum())[..., None]", "dZ / m.sum()"),
    "loss: log-likelihood instead of its negative": _ce("loss = -(m * picked)", "loss = (m * picked)"),
    # partitions
    "sequential: targets equal the inputs": _part(
        "targets = c[1:B * L + 1].reshape(B, L).T", "targets = c[:B * L].reshape(B, L).T"),
    "sequential: interleaved streams (reshape (L, B))": _part(
        "inputs = c[:B * L].reshape(B, L).T\n    targets = c[1:B * L + 1].reshape(B, L).T",
        "inputs = c[:B * L].reshape(L, B)\n    targets = c[1:B * L + 1].reshape(L, B)"),
    "sequential: offset ignored": _part("c = np.asarray(corpus)[offset:]", "c = np.asarray(corpus)"),
    "sequential: a last, partial chunk kept": _part("for k in range(L // T)]", "for k in range(-(-L // T))]"),
    "random: no shuffle": _part("order = rng.permutation(n)", "order = np.arange(n)"),
    "random: pieces start at every position, not every T-th": _part(
        "order[k * B:(k + 1) * B, None] * T", "order[k * B:(k + 1) * B, None]"),
    "random: n = N // T (a last piece without its last target)": _part("n = (len(c) - 1) // T", "n = len(c) // T"),
    "random: draws twice from the generator": _part(
        "order = rng.permutation(n)", "order = rng.permutation(n)\n    rng.shuffle(order)"),
    "random: targets equal the inputs": _part("batches.append((c[rows].T, c[rows + 1].T))",
                                              "batches.append((c[rows].T, c[rows].T))"),
    # clip_by_global_norm
    "clip: without torch's 1e-6": _clip("max_norm / (norm + 1e-6)", "max_norm / norm"),
    "clip: always rescales to max_norm": _clip("scale = min(1.0, max_norm / (norm + 1e-6))",
                                               "scale = max_norm / (norm + 1e-6)"),
    "clip: each array by its own norm": _clip(
        "return {key: g * scale for key, g in grads.items()}, float(norm)",
        "return {key: g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for key, g in grads.items()}, float(norm)"),
    "clip: returns the norm after clipping": _clip("float(norm)", "float(norm * scale)"),
    "clip: sum of the arrays' norms": _clip("norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))",
                                            "norm = sum(np.sqrt(np.sum(g ** 2)) for g in grads.values())"),
    # adam_step
    "adam: no bias correction": _adam(" / (1 - beta1 ** k)\n        v_hat = state[\"v\"][key] / (1 - beta2 ** k)",
                                      "\n        v_hat = state[\"v\"][key]"),
    "adam: eps inside the square root": _adam("(np.sqrt(v_hat) + eps)", "np.sqrt(v_hat + eps)"),
    "adam: bias correction with the step count before the update": _adam(
        "    state[\"step\"] += 1\n    k = state[\"step\"]\n", "    k = state[\"step\"] + 1\n"),
    "adam: |g| instead of g² in v": _adam("(1 - beta2) * g ** 2", "(1 - beta2) * np.abs(g)"),
    "adam: betas swapped": _adam("beta1, beta2 = betas", "beta2, beta1 = betas"),
    "adam: step along the gradient (ascent)": _adam("params[key] = params[key] - lr", "params[key] = params[key] + lr"),
    # train_step
    "train: no clipping": _train("grads, _ = clip_by_global_norm(rnn_backward(params, dZ, cache), max_norm)",
                                 "grads = rnn_backward(params, dZ, cache)"),
    "train: the given H0 ignored (state not carried)": _train("if H0 is None:", "if True:"),
    "train: returns the first state, not the last": _train('return loss, cache["H"][-1]', 'return loss, cache["H"][0]'),
    "train: gradient of the summed loss": _train("loss, dZ = softmax_cross_entropy(Z, Y)",
                                                 "loss, dZ = softmax_cross_entropy(Z, Y)\n    dZ = dZ * Y.size"),
    "train: clipped to 1 whatever max_norm": _train("), max_norm)", "), 1.0)"),
    # sample
    "sample: logits multiplied by the temperature": _sample("np.exp((z - z.max()) / temperature)",
                                                            "np.exp((z - z.max()) * temperature)"),
    "sample: the sample not fed back (the last prefix character again)": _sample(
        "rnn_forward(params, np.array([[nxt]]), state)", "rnn_forward(params, np.asarray(prefix)[-1:, None], state)"),
    "sample: greedy as a tiny temperature (draws from the generator)": _sample(
        "        if temperature == 0:\n            nxt = int(np.argmax(z))\n        else:\n"
        "            e = np.exp((z - z.max()) / temperature)\n            nxt = int(rng.choice(V, p=e / e.sum()))",
        "        e = np.exp((z - z.max()) / max(temperature, 1e-3))\n        nxt = int(rng.choice(V, p=e / e.sum()))"),
    "sample: NumPy's global generator instead of rng": _sample("rng.choice(V, p=e / e.sum())",
                                                               "np.random.choice(V, p=e / e.sum())"),
    "sample: the prefix not read (starts from zeros)": _sample(
        'state = cache["H"][-1]\n    out = []', 'state = np.zeros((1, params["W_hh"].shape[0]))\n    out = []'),
    "sample: the prefix included in the output": _sample("out = []", "out = list(np.asarray(prefix))"),
    # perplexity
    "perplexity: state reset at every chunk": _ppl('        state = cache["H"][-1]\n', ""),
    "perplexity: unweighted mean of the chunks' losses": _ppl(
        "total += loss * (end - start)\n        count += end - start", "total += loss\n        count += 1"),
    "perplexity: the mean cross-entropy, not its exponential": _ppl("return float(np.exp(total / count))",
                                                                     "return float(total / count)"),
    "perplexity: base 2": _ppl("return float(np.exp(total / count))", "return float(2 ** (total / count))"),
    "perplexity: the inputs as their own targets": _ppl("ids[start + 1:end + 1, None]", "ids[start:end, None]"),
    # ngram_perplexity
    "ngram: a context counted also where nothing follows it (at the end of train)": _ngram(
        "    contexts = Counter()\n    for gram, count in grams.items():\n        contexts[gram[:-1]] += count\n",
        "    contexts = Counter(tuple(train[i:i + n - 1]) for i in range(len(train) - n + 2))\n"),
    "ngram: add-k in the numerator only (not normalised)": _ngram("+ k * V))", "))"),
    "ngram: add-k with V added instead of k V": _ngram("+ k * V))", "+ V))"),
    "ngram: add-one whatever k": _ngram(
        "(grams[tuple(held_out[i:i + n])] + k) / (contexts[tuple(held_out[i:i + n - 1])] + k * V)",
        "(grams[tuple(held_out[i:i + n])] + 1) / (contexts[tuple(held_out[i:i + n - 1])] + V)"),
    "ngram: context of n characters (off by one)": _ngram(
        "grams = Counter(tuple(train[i:i + n]) for i in range(len(train) - n + 1))",
        "n = n + 1\n    grams = Counter(tuple(train[i:i + n]) for i in range(len(train) - n + 1))"),
    "ngram: counted on the held-out text": _ngram(
        "grams = Counter(tuple(train[i:i + n]) for i in", "grams = Counter(tuple(held_out[i:i + n]) for i in"),
    "ngram: the last held-out character never predicted": _ngram(
        "for i in range(len(held_out) - n + 1)]", "for i in range(len(held_out) - n)] or [0.0]"),
    "ngram: the mean cross-entropy, not its exponential": _ngram(
        "return float(np.exp(-np.mean(logp)))", "return float(-np.mean(logp))"),
    "ngram: bits per character instead of perplexity": _ngram(
        "return float(np.exp(-np.mean(logp)))", "return float(-np.mean(logp) / np.log(2))"),
    "ngram: the sum, not the mean, of the log-probabilities": _ngram(
        "return float(np.exp(-np.mean(logp)))", "return float(np.exp(-np.sum(logp)))"),
}

# The common slips the n-gram exercise's visible test catches, with the phrase its message shows.
VISIBLE = {
    "ngram: a context counted also where nothing follows it (at the end of train)": (
        "test_ngram_visible", "count(u .) counts u only where a character follows it"),
    "ngram: add-k with V added instead of k V": ("test_ngram_visible", "ngram_perplexity(train, held_out, V=4, n="),
    "ngram: the last held-out character never predicted": (
        "test_ngram_visible", "scored on its last len - n + 1 characters"),
    "ngram: the mean cross-entropy, not its exponential": ("test_ngram_visible", "ngram_perplexity(train, held_out"),
}
