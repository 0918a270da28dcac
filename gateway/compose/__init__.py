"""Supergraph composition in Python: subgraph SDLs in, Apollo's supergraph SDL out.

``compose_supergraph`` follows Apollo Federation's composition rules (value types and
entities, ``@shareable``, ``@external``/``@requires``/``@provides``, ``@override`` with
progressive labels, ``@interfaceObject``, ``@inaccessible``/``@tag``, usage-based enum and
input merging, ``@composeDirective``, the auth directives, ``@cost``/``@listSize``,
``@context``/``@fromContext``), validates satisfiability, and reports problems with Apollo's
error codes and wording. The output (link v1.0, join v0.3 to v0.5, as Apollo picks) is the
text Apollo's composition prints, so it loads in Apollo Router, Hive and our own gateway.

Stages: ``loader`` (parse, normalise) → ``checks`` (each subgraph's field sets) → ``merge``
(types, fields, whole-graph passes) → ``satisfiability`` → ``printer``.
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
