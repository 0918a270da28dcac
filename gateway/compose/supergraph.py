"""The merged graph, before printing: types and fields with their ``join__*`` bookkeeping."""

from dataclasses import dataclass, field

from graphql import ConstValueNode, DirectiveNode, TypeNode

from gateway.compose.model import ComposedDirective


@dataclass(frozen=True)
class Graph:
    """One subgraph as the supergraph names it: ``enum`` is its ``join__Graph`` value."""

    enum: str
    name: str
    url: str


@dataclass(frozen=True)
class JoinType:
    graph: str
    key: str | None = None
    extension: bool = False
    resolvable: bool | None = None
    interface_object: bool = False


@dataclass(frozen=True)
class ContextArgument:
    """One ``join__ContextArgument``: an argument the gateway fills from an ancestor."""

    context: str
    name: str
    type: str
    selection: str


@dataclass(frozen=True)
class JoinField:
    """``@join__field``; ``graph`` None prints the bare directive (an @interfaceObject field)."""

    graph: str | None
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    used_overridden: bool = False
    override_label: str | None = None
    context_arguments: tuple[ContextArgument, ...] = ()


@dataclass
class MergedArgument:
    name: str
    type: TypeNode
    default: ConstValueNode | None = None
    description: str | None = None
    directives: list[DirectiveNode] = field(default_factory=list)


@dataclass
class MergedField:
    name: str
    type: TypeNode
    description: str | None = None
    args: dict[str, MergedArgument] = field(default_factory=dict)
    default: ConstValueNode | None = None
    directives: list[DirectiveNode] = field(default_factory=list)
    joins: list[JoinField] = field(default_factory=list)


@dataclass
class MergedEnumValue:
    name: str
    description: str | None = None
    directives: list[DirectiveNode] = field(default_factory=list)
    graphs: list[str] = field(default_factory=list)


@dataclass
class MergedType:
    kind: str
    name: str
    description: str | None = None
    directives: list[DirectiveNode] = field(default_factory=list)
    joins: list[JoinType] = field(default_factory=list)
    fields: dict[str, MergedField] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    implements: list[tuple[str, str]] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    union_members: list[tuple[str, str]] = field(default_factory=list)
    values: dict[str, MergedEnumValue] = field(default_factory=dict)


@dataclass
class Supergraph:
    graphs: list[Graph]
    types: dict[str, MergedType] = field(default_factory=dict)
    join_version: str = "0.5"
    features: set[str] = field(default_factory=set)
    feature_order: list[str] = field(default_factory=list)
    description: str | None = None
    composed: dict[str, ComposedDirective] = field(default_factory=dict)
    executable_directives: list[str] = field(default_factory=list)

    def roots(self) -> list[tuple[str, str]]:
        """``(operation, type name)`` for the root types present."""
        pairs = [("query", "Query"), ("mutation", "Mutation"), ("subscription", "Subscription")]
        return [(op, name) for op, name in pairs if name in self.types]
