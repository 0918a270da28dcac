"""Tests of the partners subgraph."""
