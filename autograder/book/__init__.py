"""Helpers that only the book's pages and the benchmarks use (see ARCHITECTURE.md)."""
