"""Save the weights of the char_lm chapter's recorded NumPy LSTM (book/data/char_lm/lstm_weights.npz).

    python benchmarks/char_lm_weights.py        # about 4 minutes of CPU on one thread

Reruns the NumPy training of benchmarks/char_lm_training.py (same configuration, seed and corpus, float64, one
thread), checks that its training and validation losses are the recorded ones (to rtol 1e-6), and saves the final
parameters, in float32 to keep the file small, for the page's figure of what single units learned. The page checks
that the saved model reproduces the recorded validation loss.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):   # as the training script: one thread
    os.environ[_var] = "1"

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from char_lm_training import CONFIG, OUT  # noqa: E402

from autograder.book import char_lm as cl  # noqa: E402

WEIGHTS = OUT.with_name("lstm_weights.npz")


def main() -> None:
    recorded = json.loads(OUT.read_text())
    text = cl.corpus_text()
    assert recorded["config"] == CONFIG and recorded["corpus"]["sha256"] == cl.corpus_sha256(text)
    vocab = cl.Vocabulary(text)
    train, val, _ = cl.split(vocab.encode(text))
    p = cl.init_lstm_lm(len(vocab), CONFIG["h"], np.random.default_rng(CONFIG["seed"]))
    run = cl.train_numpy(p, train, val, CONFIG)
    # float64 sums taken in another order (another machine's BLAS) differ in their last bits, and training carries
    # such differences along: on the course's machine the losses agree to about 3e-8, relative
    np.testing.assert_allclose(run["train_loss"], recorded["numpy"]["train_loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in run["val_loss"]], [v for _, v in recorded["numpy"]["val_loss"]],
                               rtol=1e-6)
    np.savez_compressed(WEIGHTS, **{k: v.astype(np.float32) for k, v in p.items()})
    print(f"wrote {WEIGHTS}: the recorded run's final weights (its losses reproduced to rtol 1e-6)")


if __name__ == "__main__":
    main()
