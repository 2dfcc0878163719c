"""GPU timing chapter: a correct timing function, a simulated asynchronous device, the SRU recurrence fused into one
Triton kernel (with a PyTorch-loop fallback), cost and roofline models, and the layers the benchmarks time.

Nothing here needs a GPU: on a machine without CUDA the fused kernel runs under Triton's interpreter
(TRITON_INTERPRET=1, set before triton is imported) or falls back to the loop of PyTorch operations.
"""
