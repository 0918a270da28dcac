"""Bounded load against the all-in-one server: zero errors and flat memory (issue #15).

``python -m bench.load`` (:mod:`bench.load.__main__`); ``tests/load`` runs a short version.
"""
