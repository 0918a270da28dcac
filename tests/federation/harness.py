"""The in-test subgraph helper: fixture SDLs made executable with graphql-core, and a fetch.

Each subgraph's SDL (tests/federation/fixtures/<fixture>/<subgraph>.graphql) is built into a
graphql-core schema with the federation ``_entities`` field added; values are plain dicts
(a callable value is a resolver: graphql-core calls it with ``info`` and the arguments).
:class:`Subgraphs.fetch` validates every fetch document against the subgraph's own schema
(so a plan that asks a subgraph for something it lacks fails the test), executes it, and
records the request.
"""

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLSchema,
    GraphQLUnionType,
    ObjectTypeDefinitionNode,
    build_ast_schema,
    concat_ast,
    execute,
    parse,
    validate,
)

from gateway.federation import QueryPlanner, Supergraph, execute_plan
from gateway.transports.base import SubgraphRequest, SubgraphUnavailable

FIXTURES = Path(__file__).parent / "fixtures"
EntityResolver = Callable[[dict[str, Any]], dict[str, Any] | None]


def load_supergraph(fixture: str) -> Supergraph:
    return Supergraph.parse((FIXTURES / fixture / "supergraph.graphql").read_text())


def build_subgraph(
    fixture: str, name: str, root: Mapping[str, Any], entities: Mapping[str, EntityResolver]
) -> tuple[GraphQLSchema, dict[str, Any]]:
    """An executable subgraph schema and its root value (``root`` plus ``_entities``)."""
    document = parse((FIXTURES / fixture / f"{name}.graphql").read_text())
    entity_types = [
        node.name.value
        for node in document.definitions
        if isinstance(node, ObjectTypeDefinitionNode)
        and any(d.name.value == "key" for d in node.directives or ())
    ]
    has_query = any(
        isinstance(node, ObjectTypeDefinitionNode) and node.name.value == "Query"
        for node in document.definitions
    )
    parts = [document]
    if entity_types:
        extra = (
            "scalar _Any\n"
            f"union _Entity = {' | '.join(entity_types)}\n"
            f"{'extend type' if has_query else 'type'} Query "
            "{ _entities(representations: [_Any!]!): [_Entity]! }\n"
        )
        parts.append(parse(extra))
    schema = build_ast_schema(concat_ast(parts), assume_valid_sdl=True)
    for named in schema.type_map.values():
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            named.resolve_type = _typename

    def resolve_entities(_info: Any, representations: list[dict[str, Any]]) -> list[Any]:
        return [entities[rep["__typename"]](rep) for rep in representations]

    return schema, {**root, "_entities": resolve_entities}


def _typename(value: Mapping[str, Any], *_: Any) -> str:
    return value["__typename"]


class Subgraphs:
    """Runs subgraph requests in-process and records them (in order) for assertions."""

    def __init__(self, schemas: Mapping[str, tuple[GraphQLSchema, dict[str, Any]]]) -> None:
        self.schemas = schemas
        self.calls: list[SubgraphRequest] = []
        self.down: set[str] = set()

    async def fetch(self, request: SubgraphRequest) -> Mapping[str, Any]:
        self.calls.append(request)
        if request.subgraph in self.down:
            raise SubgraphUnavailable(request.subgraph, "connection refused")
        schema, root = self.schemas[request.subgraph]
        problems = validate(schema, request.document)
        assert not problems, f"invalid fetch for {request.subgraph}: {problems}\n{request.query}"
        result = execute(
            schema,
            request.document,
            root_value=root,
            variable_values=dict(request.variables),
            context_value=request.context,
        )
        if inspect.isawaitable(result):
            result = await result
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        return response

    def called(self, subgraph: str) -> list[SubgraphRequest]:
        return [call for call in self.calls if call.subgraph == subgraph]


class Gateway:
    """Supergraph + planner + in-process subgraphs: ``await gateway.run(query)``."""

    def __init__(self, supergraph: Supergraph, subgraphs: Subgraphs) -> None:
        self.supergraph = supergraph
        self.planner = QueryPlanner(supergraph)
        self.subgraphs = subgraphs

    def plan(self, query: str, operation_name: str | None = None):  # type: ignore[no-untyped-def]
        document = parse(query)
        problems = validate(self.supergraph.api_schema, document)
        assert not problems, problems
        return self.planner.plan(document, operation_name)

    async def run(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        plan = self.plan(query, operation_name)
        return await execute_plan(plan, variables or {}, self.subgraphs.fetch, context=context)
