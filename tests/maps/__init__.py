"""Tests of the maps subgraph."""
