"""The char_lm references agree with PyTorch's modules and optimisers (float64), and so does the page's NumPy model."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.book import char_lm as book
from autograder.cases.char_lm import EXAMPLE, char_rnn_params
from autograder.references import char_lm as R

TIGHT = dict(rtol=1e-12, atol=1e-12)


def _torch_rnn_lm(params):
    """torch.nn.RNN + Linear holding the course-layout parameters (one-hot inputs: weight_ih = W_xh^T)."""
    V, h = params["W_xh"].shape
    rnn, out = torch.nn.RNN(V, h, dtype=torch.float64), torch.nn.Linear(h, V, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(params["W_xh"].T.copy()))
        rnn.weight_hh_l0.copy_(torch.from_numpy(params["W_hh"].T.copy()))
        rnn.bias_ih_l0.copy_(torch.from_numpy(params["b_h"]))
        rnn.bias_hh_l0.zero_()
    rnn.bias_hh_l0.requires_grad_(False)   # one bias, as in the course's model (two would move twice as fast)
    with torch.no_grad():
        out.weight.copy_(torch.from_numpy(params["W_hq"].T.copy()))
        out.bias.copy_(torch.from_numpy(params["b_q"]))
    return rnn, out


def _onehot(X, V):
    return F.one_hot(torch.as_tensor(np.asarray(X)), V).to(torch.float64)


@pytest.mark.parametrize("T,B,V,masked", [(4, 3, 7, False), (5, 2, 4, True), (1, 1, 3, False)])
def test_cross_entropy_matches_the_formula(T, B, V, masked):
    rng = np.random.default_rng(T + B + V)
    Z, Y = rng.normal(0, 3, (T, B, V)), rng.integers(0, V, (T, B))
    m = (rng.random((T, B)) < 0.5).astype(float) if masked else np.ones((T, B))
    m[0, 0] = 1.0
    loss, dZ = R.masked_cross_entropy(Z, Y, m if masked else None)
    logp = Z - Z.max(-1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
    nll = -np.take_along_axis(logp, Y[..., None], -1)[..., 0]
    np.testing.assert_allclose(float(loss), (m * nll).sum() / m.sum(), **TIGHT)
    onehot = np.eye(V)[Y]
    np.testing.assert_allclose(dZ.numpy(), (np.exp(logp) - onehot) * (m / m.sum())[..., None], **TIGHT)
    got, got_dZ = book.softmax_cross_entropy(Z, Y, m if masked else None)
    np.testing.assert_allclose(got, float(loss), **TIGHT)
    np.testing.assert_allclose(got_dZ, dZ.numpy(), **TIGHT)


def test_sequential_partition_streams_continue_and_targets_shift():
    corpus = np.arange(103)
    chunks = R.sequential_partition(corpus, B=4, T=5, offset=2)
    L = (101 - 1) // 4
    assert len(chunks) == L // 5
    for k, (X, Y) in enumerate(chunks):
        assert X.shape == Y.shape == (5, 4)
        np.testing.assert_array_equal(Y, X + 1)                           # the next character
        np.testing.assert_array_equal(X[:, 1] - X[:, 0], [L] * 5)          # stream b starts at b L
        if k:
            np.testing.assert_array_equal(X[0], chunks[k - 1][0][-1] + 1)  # chunk k continues chunk k-1
    assert chunks[0][0][0, 0] == 2
    book_chunks = book.sequential_partition(corpus, 4, 5, 2)
    for (X, Y), (bX, bY) in zip(chunks, book_chunks):
        np.testing.assert_array_equal(X, bX)
        np.testing.assert_array_equal(Y, bY)


def test_random_partition_uses_one_permutation_and_disjoint_pieces():
    corpus = np.arange(61)
    batches = R.random_partition(corpus, B=3, T=4, rng=np.random.default_rng(5))
    twin = np.random.default_rng(5)
    perm = twin.permutation(15)
    assert len(batches) == 5
    starts = [int(X[0, b]) for X, _ in batches for b in range(3)]
    assert starts == [int(s) * 4 for s in perm]
    for X, Y in batches:
        np.testing.assert_array_equal(X, X[0] + np.arange(4)[:, None])   # each column is a contiguous piece
        np.testing.assert_array_equal(Y, X + 1)


@pytest.mark.parametrize("given_h0", [False, True])
def test_char_rnn_matches_torch_rnn_with_one_hot_inputs(given_h0):
    rng = np.random.default_rng(1)
    params, X = char_rnn_params(rng, 6, 4), rng.integers(0, 6, (5, 3))
    H0 = rng.normal(size=(3, 4)) if given_h0 else None
    H, Z = R.char_rnn_forward(params, X, H0)
    rnn, out = _torch_rnn_lm(params)
    with torch.no_grad():
        want_H, _ = rnn(_onehot(X, 6), None if H0 is None else torch.from_numpy(H0)[None])
        torch.testing.assert_close(H, want_H, **TIGHT)
        torch.testing.assert_close(Z, out(want_H), **TIGHT)


def test_clip_grad_norm_matches_formula():
    grads = {"a": np.array([3.0, 4.0]), "b": np.array([[12.0]])}
    clipped, norm = R.clip_grad_norm(grads, 1.3)
    assert float(norm) == 13.0
    np.testing.assert_allclose(clipped["a"].numpy(), grads["a"] * 1.3 / (13.0 + 1e-6), rtol=1e-15)
    mine, my_norm = book.clip_by_global_norm(grads, 1.3)
    np.testing.assert_allclose(mine["b"], clipped["b"].numpy(), rtol=1e-15)
    unclipped, _ = R.clip_grad_norm(grads, 100.0)
    np.testing.assert_array_equal(unclipped["b"].numpy(), grads["b"])


def test_adam_update_resumes_like_one_continuous_torch_run():
    rng = np.random.default_rng(2)
    params = {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    grads = [{k: rng.normal(size=v.shape) for k, v in params.items()} for _ in range(4)]
    leaves = {k: torch.nn.Parameter(torch.from_numpy(v.copy())) for k, v in params.items()}
    opt = torch.optim.Adam(leaves.values(), lr=0.05)
    state, p = None, params
    mine = book.Adam({k: v.copy() for k, v in params.items()}, lr=0.05)
    mine_params = {k: v.copy() for k, v in params.items()}
    for g in grads:
        for k, leaf in leaves.items():
            leaf.grad = torch.from_numpy(g[k].copy())
        opt.step()
        out = R.adam_update(p, g, state, 0.05)
        p, state = out["params"], out["state"]
        mine.step(mine_params, g)
    for k in params:
        torch.testing.assert_close(p[k], leaves[k].detach(), **TIGHT)
        np.testing.assert_allclose(mine_params[k], leaves[k].detach().numpy(), **TIGHT)
    assert state["step"] == 4


def test_train_step_equals_a_plain_torch_loop_carrying_the_state():
    rng = np.random.default_rng(3)
    V, h, B, T = 7, 5, 3, 4
    params = char_rnn_params(rng, V, h, std=0.4)
    chunks = R.sequential_partition(rng.integers(0, V, B * T * 3 + 1), B, T)
    rnn, out = _torch_rnn_lm(params)
    trained = [q for q in list(rnn.parameters()) + list(out.parameters()) if q.requires_grad]
    opt = torch.optim.Adam(trained, lr=0.02)
    state, p, H = None, params, None
    H_torch = torch.zeros(1, B, h, dtype=torch.float64)
    for X, Y in chunks:
        Hs, H_torch = rnn(_onehot(X, V), H_torch.detach())
        loss = F.cross_entropy(out(Hs).reshape(-1, V), torch.as_tensor(Y).reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 0.5)
        opt.step()
        step = R.train_step(p, state, X, Y, H, 0.02, 0.5)
        p, state, H = step["params"], step["state"], step["H_T"]
        np.testing.assert_allclose(float(step["loss"]), loss.item(), **TIGHT)
    torch.testing.assert_close(p["b_h"], (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach(), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(p["W_hh"], rnn.weight_hh_l0.detach().T, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(p["W_hq"], out.weight.detach().T, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(H, H_torch[0].detach(), rtol=1e-10, atol=1e-12)


def test_sample_greedy_and_generator_consumption():
    params = EXAMPLE["params"]
    greedy = R.sample(params, [1, 0], 5, 0, None)
    H = torch.zeros(1, 3, dtype=torch.float64)
    rnn, out = _torch_rnn_lm(params)
    with torch.no_grad():
        _, H = rnn(_onehot([[1], [0]], 4))
        want = []
        for _ in range(5):
            want.append(int(out(H[0]).argmax()))
            _, H = rnn(_onehot([[want[-1]]], 4), H)
    assert greedy.tolist() == want
    rng, twin = np.random.default_rng(4), np.random.default_rng(4)
    R.sample(params, [1], 7, 0.8, rng)
    for _ in range(7):
        twin.random()
    assert rng.random() == twin.random()


def test_perplexity_of_a_uniform_model_is_the_vocabulary_size():
    zeros = {k: np.zeros_like(v) for k, v in EXAMPLE["params"].items()}
    np.testing.assert_allclose(float(R.perplexity(zeros, EXAMPLE["ids"])), 4.0, rtol=1e-14)
    _, Z = R.char_rnn_forward(EXAMPLE["params"], EXAMPLE["ids"][:-1, None])
    ce = F.cross_entropy(Z[:, 0], torch.as_tensor(EXAMPLE["ids"][1:]))
    np.testing.assert_allclose(float(R.perplexity(EXAMPLE["params"], EXAMPLE["ids"])), float(torch.exp(ce)), **TIGHT)


def _load_lstm(model, lstm):
    with torch.no_grad():
        h = lstm.hidden_size
        for k, g in enumerate("ifgo"):
            rows = slice(k * h, (k + 1) * h)
            lstm.weight_ih_l0[rows] = model.cell["W_x" + g].T
            lstm.weight_hh_l0[rows] = model.cell["W_h" + g].T
            lstm.bias_ih_l0[rows] = model.cell["b_" + g]
        lstm.bias_hh_l0.zero_()


def test_char_lm_cells_match_torch_modules():
    V, h, T, B = 6, 4, 5, 2
    X = np.random.default_rng(6).integers(0, V, (T, B))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        elman = book.CharLM("elman", V, h, gen)
        Z, (H_T,) = elman(X, elman.initial_state(B))
        _, want = R.char_rnn_forward({**dict(elman.cell), "W_hq": elman.W_hq, "b_q": elman.b_q}, X)
        torch.testing.assert_close(Z, want, **TIGHT)
        lstm_lm = book.CharLM("lstm", V, h, gen)
        lstm = torch.nn.LSTM(V, h, dtype=torch.float64)
        _load_lstm(lstm_lm, lstm)
        out, (h_n, c_n) = lstm(_onehot(X, V))
        Z, (H_T, C_T) = lstm_lm(X, lstm_lm.initial_state(B))
        torch.testing.assert_close(Z, out @ lstm_lm.W_hq + lstm_lm.b_q, **TIGHT)
        torch.testing.assert_close(C_T, c_n[0], **TIGHT)
        gru_lm = book.CharLM("gru", V, h, gen)
        gru = torch.nn.GRU(V, h, dtype=torch.float64)
        c = gru_lm.cell
        gru.weight_ih_l0.copy_(torch.cat([c["W_xr"], c["W_xz"], c["W_xn"]], 1).T)
        gru.weight_hh_l0.copy_(torch.cat([c["W_hr"], c["W_hz"], c["W_hn"]], 1).T)
        gru.bias_ih_l0.copy_(torch.cat([c["b_r"], c["b_z"], c["b_xn"]]))
        gru.bias_hh_l0.copy_(torch.cat([torch.zeros(2 * h, dtype=torch.float64), c["b_hn"]]))
        out, _ = gru(_onehot(X, V))
        Z, _ = gru_lm(X, gru_lm.initial_state(B))
        torch.testing.assert_close(Z, out @ gru_lm.W_hq + gru_lm.b_q, **TIGHT)
    sru_lm = book.CharLM("sru", V, h, gen)
    Z, (c_T,) = sru_lm(X, sru_lm.initial_state(B))
    Z.sum().backward()
    assert all(p.grad is not None for p in sru_lm.parameters())



def test_char_lm_mingru_is_feng_et_al_step_by_step():
    """The which-cell table's minGRU (the scan chapter's reference) against the paper's equations written out one step
    at a time, from a non-zero carried state; the state it returns is the last step's, and every parameter learns."""
    V, h, T, B = 6, 4, 5, 2
    X = np.random.default_rng(8).integers(0, V, (T, B))
    model = book.CharLM("mingru", V, h, torch.Generator().manual_seed(1))
    H0 = torch.randn(B, h, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    Z, (H_T,) = model(X, (H0,))
    c, H_t, outs = model.cell, H0, []
    with torch.no_grad():
        for x in _onehot(X, V):
            z = torch.sigmoid(x @ c["W_xz"] + c["b_z"])
            H_t = (1 - z) * H_t + z * (x @ c["W_xn"] + c["b_n"])
            outs.append(H_t)
        torch.testing.assert_close(Z.detach(), torch.stack(outs) @ model.W_hq + model.b_q, **TIGHT)
        torch.testing.assert_close(H_T.detach(), H_t, **TIGHT)
    Z.sum().backward()
    assert sorted(model.cell) == ["W_xn", "W_xz", "b_n", "b_z"]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())

def test_numpy_lstm_lm_gradients_match_the_torch_twin():
    rng = np.random.default_rng(7)
    V, h, T, B = 9, 5, 6, 3
    p = book.init_lstm_lm(V, h, rng)
    X, Y = rng.integers(0, V, (T, B)), rng.integers(0, V, (T, B))
    state = (rng.normal(size=(B, h)), rng.normal(size=(B, h)))
    Z, (H_T, C_T), saved = book.lstm_lm_forward(p, X, state)
    loss, dZ = book.softmax_cross_entropy(Z, Y)
    g = book.lstm_lm_backward(p, dZ, saved)
    twin = book.TorchLSTMLM(p)
    Zt, (h_n, c_n) = twin(X, tuple(torch.from_numpy(s)[None] for s in state))
    lt = F.cross_entropy(Zt.reshape(-1, V), torch.as_tensor(Y).reshape(-1))
    lt.backward()
    np.testing.assert_allclose(loss, lt.item(), **TIGHT)
    np.testing.assert_allclose(C_T, c_n[0].detach().numpy(), **TIGHT)
    for mine, theirs in ((g["W_x"].T, twin.lstm.weight_ih_l0), (g["W_h"].T, twin.lstm.weight_hh_l0),
                         (g["b"], twin.lstm.bias_ih_l0), (g["W_hq"].T, twin.out.weight), (g["b_q"], twin.out.bias)):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), **TIGHT)


def test_numpy_training_and_torch_twin_agree_for_a_few_steps():
    text = book.corpus_text()[:20000]
    vocab = book.Vocabulary(text)
    ids = vocab.encode(text)
    cfg = {"B": 4, "T": 16, "lr": 3e-3, "clip": 1.0, "steps": 5, "eval_every": 5}
    p = book.init_lstm_lm(len(vocab), 8, np.random.default_rng(0))
    ours = book.train_numpy({k: v.copy() for k, v in p.items()}, ids[:15000], ids[15000:], cfg)
    theirs = book.train_torch_twin(p, ids[:15000], ids[15000:], cfg)
    np.testing.assert_allclose(ours["train_loss"], theirs["train_loss"], rtol=1e-10)   # all five steps: same model
    np.testing.assert_allclose(ours["val_loss"][0][1], theirs["val_loss"][0][1], rtol=1e-10)
    assert vocab.decode(vocab.encode("The")) == "The"


@pytest.mark.parametrize("n,k", [(1, 1.0), (2, 0.5), (3, 0.05), (4, 2.0)])
def test_ngram_reference_and_the_page_agree_with_a_direct_count(n, k):
    """The n-gram reference (Python dictionaries) and the page's vectorised version (NumPy) agree, and both equal a
    count done by hand on a small text: p(c | u) = (count(u c) + k) / (count(u .) + k V)."""
    rng = np.random.default_rng(n)
    V = 5
    train, held = rng.integers(0, V - 1, 300), rng.integers(0, V, 40)      # id V - 1 never occurs in training
    ref = R.ngram_perplexity(train, held, V, n, k)
    assert abs(ref - book.ngram_perplexity(train, held, V, n, k)) < 1e-12 * ref
    logp = []
    for i in range(n - 1, len(held)):
        u = held[i - n + 1:i]
        starts = [j for j in range(len(train) - n + 1) if list(train[j:j + n - 1]) == list(u)]
        follows = sum(train[j + n - 1] == held[i] for j in starts)
        logp.append(np.log((follows + k) / (len(starts) + k * V)))
    assert abs(ref - np.exp(-np.mean(logp))) < 1e-12 * ref


def test_the_corpus_is_the_shipped_snapshot_pinned_by_its_content():
    text = book.corpus_text()
    assert book.corpus_sha256(text) == book.CORPUS_SHA256 and len(text) == 465126
