"""Supergraph composition in Python: subgraph SDLs in, Apollo's supergraph SDL out.

``compose_supergraph`` follows Apollo Federation's composition rules (value types and
entities, ``@shareable``, ``@external``/``@requires``/``@provides``, ``@override``,
``@interfaceObject``, ``@inaccessible``/``@tag``, usage-based enum and input merging,
``@composeDirective``, the auth directives) and reports problems with Apollo's error codes.
The output (link v1.0, join v0.3 to v0.5) loads in Apollo Router, Hive and our own gateway.
"""

from gateway.compose.breaking import BreakingChange, breaking_changes
from gateway.compose.compose import CompositionResult, compose_supergraph
from gateway.compose.errors import CompositionError
from gateway.compose.source import SubgraphSource

__all__ = [
    "BreakingChange",
    "CompositionError",
    "CompositionResult",
    "SubgraphSource",
    "breaking_changes",
    "compose_supergraph",
]
