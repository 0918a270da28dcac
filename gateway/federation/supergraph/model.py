"""The supergraph model the planner reads: which subgraph resolves what.

Plain frozen dataclasses, built once by :mod:`.loader` from the ``join__*`` directives.
Subgraphs are identified everywhere by their *name* (``join__graph(name:)``), never by the
``join__Graph`` enum value.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import SelectionSetNode


@dataclass(frozen=True, slots=True)
class SubgraphInfo:
    """A subgraph as the supergraph declares it."""

    name: str
    url: str


@dataclass(frozen=True, slots=True)
class EntityKey:
    """One ``@key`` of an entity in one subgraph; ``resolvable=False`` keys can't be jumped into."""

    fields: str
    selection: SelectionSetNode
    resolvable: bool


@dataclass(frozen=True, slots=True)
class TypeInGraph:
    """How one subgraph defines a type."""

    graph: str
    keys: tuple[EntityKey, ...] = ()
    interface_object: bool = False

    @property
    def resolvable_keys(self) -> tuple[EntityKey, ...]:
        return tuple(key for key in self.keys if key.resolvable)


@dataclass(frozen=True, slots=True)
class ContextArgument:
    """A ``@fromContext`` argument (``join__field(contextArguments:)``) of a field in a subgraph.

    The supergraph drops the argument from the field; the gateway supplies it: ``selection`` is
    read from the nearest ancestor object whose type sets ``context`` (``@context``) and sent
    as a variable of GraphQL type ``type``.
    """

    name: str
    type: str
    context: str
    selection: SelectionSetNode


@dataclass(frozen=True, slots=True)
class JoinDirective:
    """One ``@join__directive`` application: a subgraph directive the supergraph carries along.

    ``coordinate`` is where it was applied (``""`` for the schema, ``Type`` or
    ``Type.field``); ``args`` are the directive's arguments, uninterpreted.
    """

    graphs: tuple[str, ...]
    name: str
    args: Mapping[str, Any]
    coordinate: str


@dataclass(frozen=True, slots=True)
class FieldInGraph:
    """How one subgraph defines a field (``@join__field`` of that graph, or implied).

    ``resolvable`` is false for ``@external`` fields (usable only under ``@provides``) and for
    fields another subgraph overrides: a progressive override (``label``) is treated as
    complete, so the overriding subgraph always wins.
    """

    graph: str
    resolvable: bool = True
    external: bool = False
    requires: SelectionSetNode | None = None
    provides: SelectionSetNode | None = None
    type: str | None = None
    context_arguments: tuple[ContextArgument, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldModel:
    """A field of an object, interface or input type and the subgraphs that define it."""

    type_name: str
    name: str
    graphs: Mapping[str, FieldInGraph]

    def resolvable_in(self, graph: str) -> bool:
        info = self.graphs.get(graph)
        return info is not None and info.resolvable

    @property
    def resolvers(self) -> tuple[str, ...]:
        return tuple(name for name, info in self.graphs.items() if info.resolvable)


@dataclass(frozen=True, slots=True)
class TypeModel:
    """A named type of the supergraph and its per-subgraph definitions.

    ``members`` maps a subgraph to the object types it knows as members of this abstract
    type (``@join__implements`` for interfaces, ``@join__unionMember`` for unions).
    """

    name: str
    kind: str
    graphs: Mapping[str, TypeInGraph]
    fields: Mapping[str, FieldModel] = field(default_factory=dict)
    members: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def in_graph(self, graph: str) -> bool:
        return graph in self.graphs

    def is_interface_object_in(self, graph: str) -> bool:
        info = self.graphs.get(graph)
        return info is not None and info.interface_object
