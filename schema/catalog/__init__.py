"""The catalog subgraph: products, store inventory, ERP stock and price sync."""
