"""How the executor reaches a subgraph: in-process or over HTTP, behind one protocol."""
