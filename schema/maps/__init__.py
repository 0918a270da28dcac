"""The maps subgraph: nearby search, distances, delivery quotes and courier routes."""
