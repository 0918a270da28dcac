"""Partner subgraphs: registration (``register``) and each database's graph (``graph``).

A partner plugs its own GraphQL subgraph into the platform's graph. It is stored in the
caller's database (live, or the sandbox for a sandbox app), composed with the platform's
subgraphs under the rules in ``rules`` and published as that database's supergraph version,
which every gateway process following the database hot-reloads.
"""

from partners.subgraphs.graph import (
           ComposedGraph,
           GraphDoesNotCompose,
           compose_graph,
           publish_graph,
)
from partners.subgraphs.records import Status, SubgraphRecord

__all__ = ["ComposedGraph", "GraphDoesNotCompose", "Status", "SubgraphRecord", "compose_graph",
           "publish_graph"]
