"""Store search benchmarks."""
