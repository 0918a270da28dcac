"""The minimal partners subgraph: ``Partner @key(id)`` and ``viewer`` (the registry comes later)."""
