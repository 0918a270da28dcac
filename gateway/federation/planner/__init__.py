"""The query planner: client operation → immutable :class:`QueryPlan`.

Stages: operation normalisation (:mod:`.operation`) → the walk placing fields into fetch
groups (:mod:`.walk`, :mod:`.jump`, :mod:`.root`) → plan nodes with pre-parsed subgraph
operations (:mod:`.build`), plus the response shape the executor rebuilds answers with.
All per-supergraph work happens once, in :class:`QueryPlanner`'s constructor.
"""

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    value_from_ast_untyped,
)

from ..errors import PlanningError
from ..executor.shape import INTROSPECTION_FIELDS, ShapeCompiler
from ..plan import QueryPlan
from ..supergraph import Supergraph
from .build import build_node
from .groups import GroupRegistry
from .index import SchemaIndex
from .operation import normalize, select_operation
from .root import plan_root
from .walk import Walker

__all__ = ["QueryPlanner"]


class QueryPlanner:
    """Plans operations against one supergraph; build once, call :meth:`plan` per operation."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.index = SchemaIndex(supergraph)

    def plan(
        self,
        document: DocumentNode,
        operation_name: str | None = None,
        *,
        deadline: float | None = None,
        subscription: bool = False,
    ) -> QueryPlan:
        """Plan an operation already validated against ``supergraph.api_schema``.

        A subscription is planned (only with ``subscription=True``: the event-stream
        endpoints of :mod:`gateway.subscriptions` ask; a request/response caller cannot run
        one) as Apollo Router plans one: its root field is a ``subscription`` fetch to the
        subgraph that owns it (the event stream), and the rest of the plan resolves each
        event's remaining selection through entity fetches, as for a query.

        ``deadline`` (a ``time.monotonic()`` instant) stops an oversized operation cleanly
        with a :class:`PlanningError` instead of planning on and on.
        """
        operation = select_operation(document, operation_name)
        kind = operation.operation
        if kind == OperationType.SUBSCRIPTION and not subscription:
            raise PlanningError("subscriptions are served as event streams: POST /graphql/stream "
                                "(SSE) or a graphql-transport-ws WebSocket at /graphql")
        root = self.supergraph.schema.get_root_type(kind)
        api_root = self.supergraph.api_schema.get_root_type(kind)
        if root is None or api_root is None:
            raise PlanningError(f"the schema has no {kind.value} type")
        registry = GroupRegistry()
        walker = Walker(self.index, registry, deadline)
        plan_root(
            walker,
            registry,
            root.name,
            normalize(document, operation),
            kind == OperationType.MUTATION,
        )
        variables = {d.variable.name.value: d for d in operation.variable_definitions or ()}
        name = operation.name.value if operation.name else None
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        shape = ShapeCompiler(self.supergraph.api_schema, fragments).root(
            api_root.name, operation.selection_set
        )
        return QueryPlan(
            node=build_node(self.supergraph, registry.groups, kind.value, name, variables),
            shape=shape,
            operation_kind=kind.value,
            variable_defaults={
                n: value_from_ast_untyped(d.default_value)
                for n, d in variables.items()
                if d.default_value is not None
            },
            introspection=_introspection(document, operation),
        )


def _introspection(
    document: DocumentNode, operation: OperationDefinitionNode
) -> DocumentNode | None:
    """A document with only the operation's ``__schema``/``__type`` fields, answered locally."""
    fields = [
        node
        for node in operation.selection_set.selections
        if isinstance(node, FieldNode) and node.name.value in INTROSPECTION_FIELDS
    ]
    if not fields:
        return None
    local = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=(),
        selection_set=SelectionSetNode(selections=tuple(fields)),
    )
    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    return DocumentNode(definitions=(local, *fragments))
