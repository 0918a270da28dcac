"""Tests of the stores subgraph."""
