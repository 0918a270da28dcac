"""Tests of the catalog subgraph."""
