"""The membership subgraph: members, the e-membership card and coalition points."""
