"""The GPU-timing chapter's references: the fused SRU kernel (under Triton's CPU interpreter) against the loop of
PyTorch operations, the loop against a hand computation, the timing function against a simulated device, the cost
models against hand counts, and the recording script (a smoke run on the CPU)."""
import json
import math
import os
import subprocess
import sys

import pytest
import torch

from autograder.book import gpu_results as report
from autograder.book.sru_triton import sru_recurrence_torch
from autograder.layout import ROOT
from autograder.references.gpu_timing import lstm_cost, roofline_time, sru_cost, time_it
from autograder.simulated_gpu import FakeDevice

_KERNEL_CHECK = r'''
import os
os.environ["TRITON_INTERPRET"] = "1"
import torch
from autograder.book.sru_triton import sru_recurrence, sru_recurrence_torch
torch.manual_seed(0)
worst = 0.0
# B*h = 150 > one block of 128 (a masked second program); B=1; T=1; no c0 (zeros); U given as three tensors.
for T, B, h, given_c0, split in ((6, 3, 50, True, False), (1, 1, 5, False, True), (4, 1, 3, True, True)):
    leaf = lambda *s: (0.6 * torch.randn(*s, dtype=torch.float64)).requires_grad_()
    U, x, p, c0 = leaf(T, B, 3 * h), leaf(T, B, h), [leaf(h) for _ in range(4)], leaf(B, h) if given_c0 else None
    Uin = U.split(h, dim=-1) if split else U
    H1, C1 = sru_recurrence(Uin, x, *p, c0, 1.7, backend="triton")
    H2, C2 = sru_recurrence_torch(Uin, x, *p, c0, 1.7)
    wH, wC = torch.randn_like(H1), torch.randn_like(C1)
    leaves = [U, x, *p] + ([c0] if given_c0 else [])
    g1 = torch.autograd.grad((H1 * wH).sum() + (C1 * wC).sum(), leaves)
    g2 = torch.autograd.grad((H2 * wH).sum() + (C2 * wC).sum(), leaves)
    diffs = [(H1 - H2).abs().max(), (C1 - C2).abs().max()] + [(a - b).abs().max() for a, b in zip(g1, g2)]
    worst = max(worst, max(float(d) for d in diffs))
print(worst)
'''


def test_fused_kernel_matches_the_loop_under_the_interpreter():
    """Forward and backward of the Triton kernel, on the CPU (TRITON_INTERPRET=1 in a fresh process)."""
    env = dict(os.environ, TRITON_INTERPRET="1")
    out = subprocess.run([sys.executable, "-c", _KERNEL_CHECK], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    worst = float(out.stdout.strip().splitlines()[-1])
    assert worst < 1e-12, f"fused kernel differs from the PyTorch loop by {worst:.3g}"


def test_loop_matches_a_hand_computation():
    """One unit, one batch row, two steps, computed from the SRU equations by hand (math module)."""
    sig = lambda z: 1 / (1 + math.exp(-z))
    ux, uf, ur, x = [0.3, -0.8], [0.5, 0.1], [-0.2, 0.9], [1.0, -0.5]
    vf, vr, bf, br, alpha, c = 0.4, -0.7, 0.1, -0.3, math.sqrt(3), 0.25
    want_h, want_c = [], []
    for t in range(2):
        f, r = sig(uf[t] + vf * c + bf), sig(ur[t] + vr * c + br)
        c = f * c + (1 - f) * ux[t]
        want_c.append(c)
        want_h.append(r * c + (1 - r) * alpha * x[t])
    U = torch.tensor([[[ux[t], uf[t], ur[t]]] for t in range(2)], dtype=torch.float64)
    X = torch.tensor(x, dtype=torch.float64).reshape(2, 1, 1)
    one = lambda v: torch.tensor([v], dtype=torch.float64)
    H, C = sru_recurrence_torch(U, X, one(vf), one(vr), one(bf), one(br), torch.tensor([[0.25]], dtype=torch.float64),
                                alpha)
    assert torch.allclose(H.reshape(-1), torch.tensor(want_h, dtype=torch.float64), atol=1e-14), (H, want_h)
    assert torch.allclose(C.reshape(-1), torch.tensor(want_c, dtype=torch.float64), atol=1e-14), (C, want_c)


def test_time_it_measures_the_work_and_the_mistakes_do_not():
    device = FakeDevice(launch_s=10e-6)
    work = device.program(kernel_s=1e-3, kernels=4, cold_s=[50e-3], outlier_every=5, outlier_s=20e-3)
    timing = time_it(work, device.clock, device.synchronize, repeats=10, warmup=2)
    assert timing["median"] == pytest.approx(4e-3 + 10e-6), "one launch plus four 1 ms kernels"
    assert max(timing["times"]) == pytest.approx(24e-3 + 10e-6), "the outlier is among the times"
    assert device.busy() == 0.0
    start = device.clock()
    work()
    assert device.clock() - start == pytest.approx(4 * 10e-6), "without a sync the host sees only the launches"
    device.item()
    assert device.busy() == 0.0, "item() is a hidden synchronisation"


def test_first_call_costs_block_the_host():
    """Context creation, handles and autotuning are paid by the host: a host clock sees them without any sync."""
    device = FakeDevice(launch_s=10e-6)
    work = device.program(kernel_s=1e-3, cold_s=[50e-3, 5e-3])
    for cold in (50e-3, 5e-3, 0.0):
        start = device.clock()
        work()
        assert device.clock() - start == pytest.approx(cold + 10e-6)
    # the first call's kernel ran while the host was blocked in the second call; the last two are still queued
    assert device.busy() == pytest.approx(2e-3 - 10e-6)


def test_one_time_it_api_for_page_exercise_and_benchmarks():
    """The library's time_it has the exercise's signature and return value (the exercise's solution is the same)."""
    import inspect

    from autograder.references import gpu_timing as timing
    from tests.helpers import notebook_cells
    params = list(inspect.signature(timing.time_it).parameters)
    assert params == ["fn", "clock", "synchronize", "repeats", "warmup"]
    assert inspect.signature(timing.time_it).parameters["repeats"].default == 10
    assert inspect.signature(timing.time_it).parameters["warmup"].default == 2
    namespace = {}
    exec("import numpy as np\n" + dict((m.get("grade_id"), s) for m, s in notebook_cells.load("gpu_timing"))["time_it"],
         namespace)
    assert list(inspect.signature(namespace["time_it"]).parameters) == params
    device = FakeDevice()
    a = time_it(device.program(kernel_s=2e-3, cold_s=[1e-2], jitter_s=[0, 1e-4]), device.clock, device.synchronize)
    twin = FakeDevice()
    b = namespace["time_it"](twin.program(kernel_s=2e-3, cold_s=[1e-2], jitter_s=[0, 1e-4]), twin.clock,
                             twin.synchronize)
    assert a == b


def test_whole_layer_model_and_the_illustrative_table():
    """The page's whole-layer ratios come from the cost and roofline functions; the exercise's illustrative rows
    with B = 32 are those predictions, rounded."""
    from autograder.cases.gpu_timing import ILLUSTRATIVE_MODEL_ROWS
    from autograder.references.gpu_timing import DEVICES, layer_time, whole_layer_ratio
    from tests.helpers import notebook_cells
    dev = DEVICES["NVIDIA H100 SXM"]
    assert whole_layer_ratio(512, 32, 512, 512, dev) == pytest.approx(2.77, abs=0.01)
    assert 2.9 < whole_layer_ratio(512, 32, 4096, 4096, dev) < 3.0
    tf32 = [whole_layer_ratio(512, 32, h, h, dev, "tf32") for h in (512, 1024)]
    assert 7.0 < tf32[0] < tf32[1] < 9.2
    # SRU's recurrence alone is far faster than the LSTM's; its product is what dominates its layer
    sru = layer_time("sru", 512, 32, 1024, 1024, dev)
    assert sru["product"] > 5 * sru["recurrence"]
    namespace = {}
    exec(dict((m.get("grade_id"), s) for m, s in notebook_cells.load("gpu_timing"))["illustrative_table"], namespace)
    rows = {(r["T"], r["B"], r["h"]): r for r in namespace["ILLUSTRATIVE_TABLE"]}
    for shape in ILLUSTRATIVE_MODEL_ROWS:
        T, B, h = shape
        for kind, key in (("lstm", "lstm_cudnn_ms"), ("sru", "sru_fused_ms")):
            assert rows[shape][key] == pytest.approx(layer_time(kind, T, B, h, h, dev)["total"] * 1e3, abs=5e-4)


def test_cost_models_by_hand():
    # LSTM T=2, B=1, d_in=1, h=1: products 2*2*1*1*4 + 2*2*1*1*4 = 32; loop 2*(8 + 17) = 50; bytes 2*4*(4 + 8) = 96.
    assert lstm_cost(2, 1, 1, 1) == {"matmul_flops": 32, "loop_flops": 50, "loop_bytes": 96,
                                     "loop_intensity": 50 / 96}
    # SRU d_in=2 != h=1: 2*2*1*2*3 + 2*2*1*2*1 = 32; loop 17*2 = 34; bytes 6*2*4 = 48.
    assert sru_cost(2, 1, 2, 1) == {"matmul_flops": 32, "loop_flops": 34, "loop_bytes": 48, "loop_intensity": 34 / 48}
    bound = roofline_time(flops=10.0, bytes_moved=100.0, peak_flops=1.0, bandwidth=20.0)
    assert bound == {"time": 10.0, "bound": "compute", "intensity": 0.1, "ridge": 0.05}


def test_recording_script_smoke_and_report(tmp_path):
    """The GPU recording script runs end to end (tiny shapes, on the CPU) and the page's report helpers read it."""
    out = tmp_path / "results.json"
    cmd = [sys.executable, "benchmarks/record_gpu_results.py", "--device", "cpu", "--quick", "--repeats", "2",
           "--warmup", "1", "--out", str(out)]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text())
    for key in ("device", "torch", "cuda", "cudnn", "driver", "date", "triton"):
        assert key in results["env"], key
    assert results["dtype"] == "float32" and results["runs"] and results["bandwidth"]["fused"]
    assert any("median_ms" in r for r in results["runs"])
    assert report.markdown_table(results, "paper", "forward").count("\n") >= 3
    pred = results["predictions"]   # the chapter's predictions: parts apart, TF32 off/on, L2, graph, cudnn.benchmark
    assert {(r["part"], r["tf32"]) for r in pred["parts"]} >= {(part, tf32) for tf32 in (False, True) for part in
                                                                ("lstm_product", "lstm_recurrence_loop",
                                                                 "sru_product", "sru_recurrence_fused")}
    assert {r["benchmark"] for r in pred["cudnn_benchmark"]} == {False, True}
    assert pred["graph"] and all("python_loop_ms" in r and "cudnn_ms" in r for r in pred["graph"])
    assert pred["l2"] and "Bh" in results["bandwidth"]["fused"][0]
    assert "skipped" in results["scan_kernel"]   # the scan kernel is timed on a CUDA device only; the page says so
    refused = subprocess.run([sys.executable, "benchmarks/record_gpu_results.py", "--device", "cpu"], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and "Refusing" in refused.stderr, "CPU numbers must never become the GPU file"


def test_gpu_results_file_states_its_provenance():
    """If a results file is committed, it was recorded on a CUDA device and says which, when and with what."""
    results = report.load(ROOT / "book" / "data" / "gpu_timing" / "results.json")
    if results is None:
        pytest.skip("no GPU results recorded yet")
    env = results["env"]
    assert env["cuda"] and env["cudnn"] and env["device"] and env["date"] and env["torch"]
    assert results["dtype"] and results["runs"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fused_kernel_on_the_gpu():
    from autograder.book.sru_triton import sru_recurrence
    torch.manual_seed(0)
    T, B, h = 16, 8, 300
    U, x = torch.randn(T, B, 3 * h, device="cuda"), torch.randn(T, B, h, device="cuda")
    p = [torch.randn(h, device="cuda") * 0.5 for _ in range(4)]
    H1, C1 = sru_recurrence(U, x, *p, None, 1.5, backend="triton")
    H2, C2 = sru_recurrence_torch(U, x, *p, None, 1.5)
    assert torch.allclose(H1, H2, atol=1e-5) and torch.allclose(C1, C2, atol=1e-5)
