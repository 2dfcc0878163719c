"""Performance lab of the BPTT chapter: print how much hoisting the input projection out of the time loop saves,
and how the NumPy forward pass compares with torch.nn.RNN on the CPU (float64, best of several runs).

    .venv/bin/python benchmarks/bptt_input_projection.py [--repeat 7]

per-step/hoisted > 1 means that one (T*B, d_in) x (d_in, h) product beats T small ones;
hoisted/torch > 1 means that torch.nn.RNN is faster than the NumPy loop.
"""
import argparse

import torch

from autograder.book.bptt_lab import single_thread_rows

SIZES = [dict(T=100, B=1, d_in=64, h=64), dict(T=100, B=32, d_in=64, h=64), dict(T=100, B=32, d_in=256, h=64),
         dict(T=100, B=32, d_in=64, h=256), dict(T=200, B=64, d_in=128, h=128)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, one CPU thread for NumPy and PyTorch; float64; "
          f"times in ms, best of {args.repeat}")
    header = ("T", "B", "d_in", "h", "per-step", "hoisted", "torch.nn.RNN", "per-step/hoisted", "hoisted/torch")
    print("  ".join(f"{c:>16s}" if i >= 4 else f"{c:>5s}" for i, c in enumerate(header)))
    for r in single_thread_rows(SIZES, repeat=args.repeat):
        cells = [f"{r[k]:5d}" for k in ("T", "B", "d_in", "h")]
        cells += [f"{1e3 * r[k]:16.3f}" for k in ("numpy_per_step", "numpy_hoisted", "torch_rnn")]
        cells += [f"{r[k]:16.2f}" for k in ("per_step_over_hoisted", "hoisted_over_torch")]
        print("  ".join(cells))


if __name__ == "__main__":
    main()
