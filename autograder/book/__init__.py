"""Helpers that only book pages and benchmarks use: diagrams, the BPTT lab, the recall experiment, and the GPU
chapter's layers, fused Triton kernel, environment description and results reader. Notebooks never import these."""
