"""Performance lab of the scan chapter: the linear recurrence h_t = a_t * h_{t-1} + b_t computed by the sequential loop
(NumPy), the Hillis-Steele scan (NumPy, log2 T rounds on whole arrays), Blelloch's scan (the reference, PyTorch, two
sweeps) and the log-space formulation (PyTorch cumsum + logcumsumexp), on the CPU in float64. Prints wall time and
CPU time (best of several runs), for lengths and widths beyond what the page measures at build time.

    .venv/bin/python benchmarks/scan_timing.py [--repeat 5] [--lengths 1024 8192 65536] [--widths 4 128 1024]

Every method is first checked against the loop (relative tolerance 1e-9). The page (book/scan.md) measures
T <= 8192 and B h <= 128 at build time; this script is for larger runs and is not read by the page.
"""
import argparse
import time

import numpy as np
import torch

from autograder.references.scan import blelloch_scan, log_space_scan


def numpy_loop(a, b):
    h, out = np.zeros_like(b[0]), np.empty_like(b)
    for t in range(a.shape[0]):
        h = a[t] * h + b[t]
        out[t] = h
    return out


def numpy_hillis_steele(a, b):
    step = 1
    while step < a.shape[0]:
        a, b = (np.concatenate([a[:step], a[step:] * a[:-step]]),
                np.concatenate([b[:step], a[step:] * b[:-step] + b[step:]]))
        step *= 2
    return b


def torch_blelloch(a, b):
    return blelloch_scan(a, b).numpy()


def torch_log_space(log_a, log_b):
    return log_space_scan(log_a, log_b).exp().numpy()


def best(fn, args, repeat):
    """(wall seconds, CPU seconds) of the fastest of `repeat` runs."""
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn(*args)
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--lengths", type=int, nargs="+", default=[1024, 8192, 65536])
    parser.add_argument("--widths", type=int, nargs="+", default=[4, 128, 1024])
    args = parser.parse_args()
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), NumPy {np.__version__}; float64; "
          f"wall / CPU ms, best of {args.repeat}")
    names = ("loop", "Hillis-Steele (NumPy)", "Blelloch (torch)", "log space (torch)")
    print(f"{'T':>7s} {'B*h':>6s}  " + "  ".join(f"{n:>24s}" for n in names))
    rng = np.random.default_rng(0)
    for width in args.widths:
        for T in args.lengths:
            a = rng.uniform(0.5, 1.0, size=(T, 1, width))
            b = rng.uniform(0.1, 1.0, size=(T, 1, width))
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            methods = [(numpy_loop, (a, b)), (numpy_hillis_steele, (a, b)), (torch_blelloch, (ta, tb)),
                       (torch_log_space, (ta.log(), tb.log()))]
            expected = numpy_loop(a, b)
            for fn, fn_args in methods[1:]:
                assert np.allclose(fn(*fn_args), expected, rtol=1e-9, atol=0), fn.__name__
            cells = [best(fn, fn_args, args.repeat) for fn, fn_args in methods]
            print(f"{T:7d} {width:6d}  " + "  ".join(f"{1e3 * w:11.2f} / {1e3 * c:10.2f}" for w, c in cells),
                  flush=True)


if __name__ == "__main__":
    main()
