"""Mistakes learners make in the BPTT chapter. Each must make the named hidden test fail."""

# One step backward; {deriv} is the local derivative of tanh, {dh_prev} the gradient sent to H_{t-1}.
_STEP = '''
def rnn_step_backward(dH_t, X_t, H_prev, H_t, W_xh, W_hh):
    d = dH_t * ({deriv})
    return {{"X_t": d @ W_xh.T, "H_prev": {dh_prev}, "W_xh": {dW_xh}, "W_hh": {dW_hh}, "b_h": {db}}}
'''
_STEP_OK = dict(deriv="1 - H_t ** 2", dh_prev="d @ W_hh.T", dW_xh="X_t.T @ d", dW_hh="H_prev.T @ d",
                db="d.sum(axis=0)")


def _step(**changes):
    return _STEP.format(**{**_STEP_OK, **changes})


# Full BPTT, self-contained (it does not call rnn_step_backward), so that each mutant changes one thing.
_BPTT = '''
def bptt(X, Y, W_xh, W_hh, b_h, W_hq, b_q, H0=None):
    H = elman_forward(X, W_xh, W_hh, b_h, H0)
    H_init = np.zeros_like(H[0]) if H0 is None else H0
    dO = {dO}
    g = {{"W_xh": np.zeros_like(W_xh), "W_hh": np.zeros_like(W_hh), "b_h": np.zeros_like(b_h),
         "W_hq": np.einsum("tbi,tbj->ij", H, dO), "b_q": dO.sum(axis=(0, 1)), "X": np.zeros_like(X)}}
    carry = np.zeros_like(H[0])
    for t in reversed(range(len(X))):
        prev = {prev}
        dH = {dH}
        dA = dH * ({deriv})
        g["W_xh"] += X[t].T @ dA
        g["W_hh"] += {dW_hh}
        g["b_h"] += dA.sum(axis=0)
        g[{x_key}][{x_index}] = dA @ W_xh.T
        carry = {carry}
    g["H0"] = {h0}
    return g
'''
_BPTT_OK = dict(dO="H @ W_hq + b_q - Y", prev="H[t - 1] if t > 0 else H_init", dH="dO[t] @ W_hq.T + carry",
                deriv="1 - H[t] ** 2", dW_hh="prev.T @ dA", x_key='"X"', x_index="t", carry="dA @ W_hh.T",
                h0="carry")


def _bptt(**changes):
    return _BPTT.format(**{**_BPTT_OK, **changes})


_CHECKER = '''
def numerical_gradient(f, x, eps=1e-6):
    p = {copy}
    g = np.zeros(p.shape)
    for i in np.ndindex(*p.shape):
        v = p[i]
        p[i] = v + eps
        up = f(p)
        p[i] = {down_at}
        down = f(p)
        {restore}
        g[i] = (up - down) / {denominator}
    return g


def relative_error(a, b):
    s = {scale}
    return 0.0 if s == 0 else float(np.linalg.norm(a - b) / s)
'''
_CHECKER_OK = dict(copy="np.array(x, dtype=np.float64)", down_at="v - eps", restore="p[i] = v",
                   denominator="(2 * eps)", scale="np.linalg.norm(a) + np.linalg.norm(b)")


def _checker(**changes):
    return _CHECKER.format(**{**_CHECKER_OK, **changes})


_CLIP = '''
def clip_grad_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    {body}


def clip_grad_value(grads, clip_value):
    return [{value_expr} for g in grads]
'''
_CLIP_OK = dict(body="c = min(1.0, max_norm / (norm + 1e-6))\n    return [g * c for g in grads], norm",
                value_expr="np.clip(g, -clip_value, clip_value)")


def _clip(**changes):
    return _CLIP.format(**{**_CLIP_OK, **changes})


_RTRL = '''
def rtrl(X, Y, W_xh, W_hh, b_h, W_hq, b_q, H0=None):
    T, B, d = X.shape
    h = len(W_hh)
    I = np.eye(h)
    H = np.zeros((B, h)) if H0 is None else np.array(H0, dtype=float)
    S = {{"W_xh": np.zeros((B, h, d, h)), "W_hh": np.zeros((B, h, h, h)), "b_h": np.zeros((B, h, h))}}
    out = {{k: np.zeros(s.shape[2:]) for k, s in S.items()}}
    for t in range(T):
        H_new = np.tanh(X[t] @ W_xh + H @ W_hh + b_h)
        H_direct = {H_direct}
        own = {{"W_xh": np.einsum("bi,kj->bkij", X[t], I), "W_hh": np.einsum("bi,kj->bkij", H_direct, I),
               "b_h": np.broadcast_to(I, (B, h, h))}}
        for k in S:
            past = np.moveaxis(np.tensordot(S[k], {W_carry}, axes=([1], [0])), -1, 1)
            D = ({deriv}).reshape((B, h) + (1,) * (S[k].ndim - 2))
            S[k] = D * (own[k] + {past})
        H = H_new
        up = (H @ W_hq + b_q - Y[t]) @ W_hq.T
        if {accumulate}:
            for k in S:
                out[k] += np.tensordot(up, S[k], axes=([0, 1], [0, 1]))
    out["S_W_hh"] = S["W_hh"]
    return out
'''
_RTRL_OK = dict(H_direct="H", W_carry="W_hh", deriv="1 - H_new ** 2", past="past", accumulate="True")


def _rtrl(**changes):
    return _RTRL.format(**{**_RTRL_OK, **changes})


_NORMS = '''
def hidden_grad_norms(X, W_xh, W_hh, b_h, G, H0=None):
    H = elman_forward(X, W_xh, W_hh, b_h, H0)
    norms = []
    g = np.array(G, dtype=float)
    for t in reversed(range(len(H))):
        {record_before}
        g = (g * ({deriv})) @ {W}
        {record_after}
    return {result}
'''
_NORMS_OK = dict(record_before="norms.append(np.linalg.norm(g))", deriv="1 - H[t] ** 2", W="W_hh.T",
                 record_after="pass", result="np.array(norms[::-1])")


def _norms(**changes):
    return _NORMS.format(**{**_NORMS_OK, **changes})


_BIRNN = '''
def birnn_forward(X, layers, H0=None):
    inp, last = X, []
    for l, layer in enumerate(layers):
        h0f, h0b = (None, None) if H0 is None else ({h0f}, {h0b})
        fw = elman_forward(inp, **layer["forward"], H0=h0f)
        bw = {bw}
        last += [fw[-1], {bw_final}]
        inp = np.concatenate({order}, axis=-1)
    return inp, np.stack(last)
'''
_BIRNN_OK = dict(h0f="H0[2 * l]", h0b="H0[2 * l + 1]",
                 bw='elman_forward(inp[::-1], **layer["backward"], H0=h0b)[::-1]', bw_final="bw[0]",
                 order="[fw, bw]")


def _birnn(**changes):
    return _BIRNN.format(**{**_BIRNN_OK, **changes})


MUTANTS = {
    # one step backward
    "step: tanh instead of 1 - tanh^2": ("test_rnn_step_backward_hidden", {"rnn_step_backward": _step(
        deriv="H_t")}),
    "step: derivative 1 - H_t (no square)": ("test_rnn_step_backward_hidden", {"rnn_step_backward": _step(
        deriv="1 - H_t")}),
    "step: no tanh derivative": ("test_rnn_step_backward_hidden", {"rnn_step_backward": _step(deriv="1")}),
    "step: W_hh not transposed in dH_prev": ("test_rnn_step_backward_hidden", {"rnn_step_backward": _step(
        dh_prev="d @ W_hh")}),
    "step: dW_hh transposed": ("test_rnn_step_backward_hidden", {"rnn_step_backward": _step(dW_hh="d.T @ H_prev")}),
    "step: dW_hh from H_t instead of H_{t-1}": ("test_rnn_step_backward_hidden", {"rnn_step_backward": _step(
        dW_hh="H_t.T @ d")}),
    "step: bias gradient averaged over the batch": ("test_rnn_step_backward_hidden", {"rnn_step_backward": _step(
        db="d.mean(axis=0)")}),
    # full BPTT
    "bptt: forgets the recursion term from H_{t+1}": ("test_bptt_hidden", {"bptt": _bptt(dH="dO[t] @ W_hq.T")}),
    "bptt: missing the dL/dO_t contribution": ("test_bptt_hidden", {"bptt": _bptt(dH="carry + 0 * dO[t] @ W_hq.T")}),
    "bptt: tanh instead of 1 - tanh^2": ("test_bptt_hidden", {"bptt": _bptt(deriv="H[t]")}),
    "bptt: dW_hh uses H_t instead of H_{t-1} (off by one)": ("test_bptt_hidden", {"bptt": _bptt(
        dW_hh="H[t].T @ dA")}),
    "bptt: W_hh transposed in the backward recursion": ("test_bptt_hidden", {"bptt": _bptt(carry="dA @ W_hh")}),
    "bptt: derivative at H_{t-1} instead of H_t": ("test_bptt_hidden", {"bptt": _bptt(deriv="1 - prev ** 2")}),
    "bptt: dX stored one step late (off by one)": ("test_bptt_hidden", {"bptt": _bptt(
        x_index="min(t + 1, len(X) - 1)")}),
    "bptt: ignores a given H0 in dW_hh": ("test_bptt_hidden", {"bptt": _bptt(
        prev="H[t - 1] if t > 0 else np.zeros_like(H[0])")}),
    "bptt: dL/dH0 not propagated (zeros)": ("test_bptt_hidden", {"bptt": _bptt(h0="np.zeros_like(carry)")}),
    "bptt: loss averaged over the batch": ("test_bptt_hidden", {"bptt": _bptt(dO="(H @ W_hq + b_q - Y) / X.shape[1]")}),
    # numerical gradient checker
    "checker: one-sided differences": ("test_gradient_check_hidden", {"gradient_check": _checker(
        down_at="v", denominator="eps")}),
    "checker: works in the input's dtype (float32)": ("test_gradient_check_hidden", {"gradient_check": _checker(
        copy="np.array(x)")}),
    "checker: nudges the caller's x and does not restore it": ("test_gradient_check_hidden", {
        "gradient_check": _checker(copy="x", restore="pass")}),
    "checker: divides by eps instead of 2 eps": ("test_gradient_check_hidden", {"gradient_check": _checker(
        denominator="eps")}),
    "checker: relative error divided by ||b|| only": ("test_gradient_check_hidden", {"gradient_check": _checker(
        scale="np.linalg.norm(b)")}),
    "checker: absolute instead of relative error": ("test_gradient_check_hidden", {"gradient_check": _checker(
        scale="1.0")}),
    # clipping
    "clip: per-tensor norm instead of the global norm": ("test_clip_gradients_hidden", {"clip_gradients": _clip(
        body="return [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads], norm")}),
    "clip: without PyTorch's epsilon": ("test_clip_gradients_hidden", {"clip_gradients": _clip(
        body="c = min(1.0, max_norm / norm)\n    return [g * c for g in grads], norm")}),
    "clip: always rescales to max_norm (also when below)": ("test_clip_gradients_hidden", {"clip_gradients": _clip(
        body="c = max_norm / (norm + 1e-6)\n    return [g * c for g in grads], norm")}),
    "clip: returns the norm after clipping": ("test_clip_gradients_hidden", {"clip_gradients": _clip(
        body="c = min(1.0, max_norm / (norm + 1e-6))\n    return [g * c for g in grads], norm * c")}),
    "clip: norm of the flattened sum, not of the squares": ("test_clip_gradients_hidden", {"clip_gradients": _clip(
        body="norm = float(np.linalg.norm(sum(np.sum(g) for g in grads)))\n"
             "    c = min(1.0, max_norm / (norm + 1e-6))\n    return [g * c for g in grads], norm")}),
    "clip by value: clips only from above": ("test_clip_gradients_hidden", {"clip_gradients": _clip(
        value_expr="np.minimum(g, clip_value)")}),
    # RTRL
    "rtrl: forgets the term carried from S_{t-1}": ("test_rtrl_hidden", {"rtrl": _rtrl(past="0 * past")}),
    "rtrl: direct term with H_t instead of H_{t-1}": ("test_rtrl_hidden", {"rtrl": _rtrl(H_direct="H_new")}),
    "rtrl: W_hh transposed in the carried term": ("test_rtrl_hidden", {"rtrl": _rtrl(W_carry="W_hh.T")}),
    "rtrl: tanh instead of 1 - tanh^2": ("test_rtrl_hidden", {"rtrl": _rtrl(deriv="H_new")}),
    "rtrl: adds only the last step's loss": ("test_rtrl_hidden", {"rtrl": _rtrl(accumulate="t == T - 1")}),
    # vanishing-gradient measurement
    "norms: W_hh not transposed": ("test_hidden_grad_norms_hidden", {"hidden_grad_norms": _norms(W="W_hh")}),
    "norms: no tanh derivative (linear network)": ("test_hidden_grad_norms_hidden", {"hidden_grad_norms": _norms(
        deriv="1")}),
    "norms: derivative at H_{t-1} (off by one)": ("test_hidden_grad_norms_hidden", {"hidden_grad_norms": _norms(
        deriv="1 - H[t - 1] ** 2 if t > 0 else 1")}),
    "norms: recorded after the step back (off by one)": ("test_hidden_grad_norms_hidden", {"hidden_grad_norms":
        _norms(record_before="pass", record_after="norms.append(np.linalg.norm(g))")}),
    "norms: in the order computed (last step first)": ("test_hidden_grad_norms_hidden", {"hidden_grad_norms":
        _norms(result="np.array(norms)")}),
    "norms: of the first sequence only": ("test_hidden_grad_norms_hidden", {"hidden_grad_norms": _norms(
        record_before="norms.append(np.linalg.norm(g[0]))")}),
    # stacked bidirectional
    "birnn: backward states not flipped back": ("test_birnn_forward_hidden", {"birnn_forward": _birnn(
        bw='elman_forward(inp[::-1], **layer["backward"], H0=h0b)', bw_final="bw[-1]")}),
    "birnn: backward direction reads the sequence forward": ("test_birnn_forward_hidden", {"birnn_forward": _birnn(
        bw='elman_forward(inp, **layer["backward"], H0=h0b)', bw_final="bw[-1]")}),
    "birnn: [backward, forward] concatenation order": ("test_birnn_forward_hidden", {"birnn_forward": _birnn(
        order="[bw, fw]")}),
    "birnn: h_n of the backward direction is its state at step T": ("test_birnn_forward_hidden", {
        "birnn_forward": _birnn(bw_final="bw[-1]")}),
    "birnn: H0 indexed per layer, not per layer and direction": ("test_birnn_forward_hidden", {
        "birnn_forward": _birnn(h0f="H0[l]", h0b="H0[l + 1]")}),
    "birnn: every layer starts from layer 0's H0": ("test_birnn_forward_hidden", {"birnn_forward": _birnn(
        h0f="H0[0]", h0b="H0[1]")}),
}

# Mistakes the VISIBLE tests must catch too, with a phrase the message must contain.
VISIBLE = {
    "clip: without PyTorch's epsilon": ("test_clip_gradients_visible", "the 1e-6 shows when the norm is small"),
    "checker: works in the input's dtype (float32)": ("test_gradient_check_visible", "x came in float32"),
    "bptt: ignores a given H0 in dW_hh": ("test_bptt_visible", "wrong from a given H0"),
    "step: W_hh not transposed in dH_prev": ("test_rnn_step_backward_visible", "dL/dH_prev = dL/dA @ W_hhᵀ"),
}
