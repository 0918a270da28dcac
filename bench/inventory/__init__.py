"""Inventory sync benchmarks."""
