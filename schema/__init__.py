"""Loopgate's platform subgraphs, one package per domain, over a shared kernel."""
