"""The BPTT chapter's performance lab: where the input projection goes, and NumPy against torch.nn.RNN on a CPU.

Three forward passes of the same Elman layer (float64, H0 = 0):
  * `numpy_per_step`: X_t W_xh is computed inside the loop, one (B, d_in) x (d_in, h) product per step;
  * `numpy_hoisted`: the input term of every step is one (T*B, d_in) x (d_in, h) product before the loop, which
    keeps one (B, h) x (h, h) product per step (chapter 1's eq-input-projection);
  * `torch.nn.RNN` on the CPU, the same weights.
The book runs `single_thread_rows` on small sizes when it is built; benchmarks/bptt_input_projection.py runs larger
ones. Both measure in a fresh process with one thread for NumPy's BLAS and for PyTorch: on a shared machine,
thread pools that wait for busy cores distort the comparison (we measured 20x swings), and one thread compares the
algorithms rather than the pools.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import torch


def numpy_per_step(X, W_xh, W_hh, b_h):
    """Every step projects its own input: T input products and T recurrent products."""
    steps = np.empty((X.shape[0], X.shape[1], W_hh.shape[1]))
    carry = np.zeros((X.shape[1], W_hh.shape[1]))
    for k in range(X.shape[0]):
        carry = np.tanh(np.dot(X[k], W_xh) + b_h + np.dot(carry, W_hh))
        steps[k] = carry
    return steps


def numpy_hoisted(X, W_xh, W_hh, b_h):
    """One big input product (bias folded in) before the loop; only the recurrent product stays inside."""
    n_steps, n_seq, n_in = np.shape(X)
    drive = (np.dot(X.reshape(n_steps * n_seq, n_in), W_xh) + b_h).reshape(n_steps, n_seq, -1)
    steps = np.empty_like(drive)
    carry = np.zeros_like(drive[0])
    for k in range(n_steps):
        carry = np.tanh(drive[k] + np.dot(carry, W_hh))
        steps[k] = carry
    return steps


def _best_of(fn, repeat: int) -> float:
    """The fastest of `repeat` runs, in seconds (after one warm-up run): the least disturbed by other work."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(T: int, B: int, d_in: int, h: int, repeat: int = 5, seed: int = 0) -> dict:
    """Seconds per forward pass of the three variants (float64), after checking that they agree."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(T, B, d_in))
    W_xh, W_hh = rng.normal(0, 1 / np.sqrt(d_in), (d_in, h)), rng.normal(0, 0.9 / np.sqrt(h), (h, h))
    b_h = rng.normal(0, 0.1, h)
    rnn = torch.nn.RNN(d_in, h, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(W_xh.T.copy()))
        rnn.weight_hh_l0.copy_(torch.from_numpy(W_hh.T.copy()))
        rnn.bias_ih_l0.copy_(torch.from_numpy(b_h))
        rnn.bias_hh_l0.zero_()
    X_t = torch.from_numpy(X)

    def run_torch():
        with torch.no_grad():
            return rnn(X_t)[0]

    reference = run_torch().numpy()
    for fn in (numpy_per_step, numpy_hoisted):
        assert np.allclose(fn(X, W_xh, W_hh, b_h), reference, rtol=1e-10, atol=1e-12), fn.__name__
    return {
        "numpy_per_step": _best_of(lambda: numpy_per_step(X, W_xh, W_hh, b_h), repeat),
        "numpy_hoisted": _best_of(lambda: numpy_hoisted(X, W_xh, W_hh, b_h), repeat),
        "torch_rnn": _best_of(run_torch, repeat),
    }


def ratio_rows(sizes: list[dict], repeat: int = 5) -> list[dict]:
    """For each size (T, B, d_in, h): the times and the ratios per-step/hoisted and hoisted/torch."""
    rows = []
    for size in sizes:
        t = measure(**size, repeat=repeat)
        rows.append({**size, **t, "per_step_over_hoisted": t["numpy_per_step"] / t["numpy_hoisted"],
                     "hoisted_over_torch": t["numpy_hoisted"] / t["torch_rnn"]})
    return rows


def single_thread_rows(sizes: list[dict], repeat: int = 5) -> list[dict]:
    """`ratio_rows` run in a child process whose BLAS and PyTorch use one thread each."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    child = subprocess.run([sys.executable, "-m", "autograder.book.bptt_lab", json.dumps(sizes), str(repeat)], env=env,
                           capture_output=True, text=True, check=True)
    return json.loads(child.stdout)


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(json.dumps(ratio_rows(json.loads(sys.argv[1]), repeat=int(sys.argv[2]))))
