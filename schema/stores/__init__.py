"""The stores subgraph: stores with time zones, opening hours and H3 geo buckets."""
