"""Loading an Apollo supergraph SDL into the model the planner uses.

One module per join directive reading (``join_graph``, ``join_type``, ``join_field``,
``join_membership``), plus the API schema and the auth requirements.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import GraphQLError, GraphQLSchema, build_ast_schema, parse

from ..errors import SupergraphError
from ._directives import directive_names
from .api_schema import build_api_schema
from .contexts import check_context_arguments, read_contexts, read_join_directives
from .join_graph import read_graphs
from .loader import load_types, possible_types_per_graph
from .model import (
    ContextArgument,
    EntityKey,
    FieldInGraph,
    FieldModel,
    JoinDirective,
    SubgraphInfo,
    TypeInGraph,
    TypeModel,
)
from .requirements import AccessRequirement, read_requirements

__all__ = [
    "AccessRequirement",
    "ContextArgument",
    "EntityKey",
    "FieldInGraph",
    "FieldModel",
    "JoinDirective",
    "SubgraphInfo",
    "Supergraph",
    "TypeInGraph",
    "TypeModel",
]


@dataclass(frozen=True, eq=False)
class Supergraph:
    """A loaded supergraph: the full schema, the client API schema and the federation model.

    ``types`` holds, per named type, which subgraphs define it and resolve each field;
    ``type_requirements``/``field_requirements`` keep the auth directives for the auth layer;
    ``contexts`` maps each ``@context`` name to the types setting it; ``join_directives`` keeps
    every ``@join__directive`` application (known or not).
    """

    sdl: str
    schema: GraphQLSchema
    api_schema: GraphQLSchema
    subgraphs: Mapping[str, SubgraphInfo]
    types: Mapping[str, TypeModel]
    possible_in_graph: Mapping[tuple[str, str], frozenset[str]]
    type_requirements: Mapping[str, AccessRequirement]
    field_requirements: Mapping[tuple[str, str], AccessRequirement]
    contexts: Mapping[str, frozenset[str]]
    join_directives: tuple[JoinDirective, ...]

    @classmethod
    def parse(cls, sdl: str) -> "Supergraph":
        """Load an Apollo supergraph SDL (link v1.0, join v0.3 to v0.5)."""
        try:
            document = parse(sdl)
            schema = build_ast_schema(document, assume_valid_sdl=True)
        except (GraphQLError, TypeError) as error:
            raise SupergraphError(f"supergraph SDL is invalid: {error}") from error
        schema_nodes = [schema.ast_node, *schema.extension_ast_nodes]
        names = directive_names(schema_nodes)
        if "join" not in names:
            raise SupergraphError("no @link to the join spec; not a supergraph", "schema")
        join = names["join"]
        graphs = read_graphs(schema, join)
        types = load_types(schema, join, graphs)
        join_directives = read_join_directives(schema, join, graphs)
        contexts = read_contexts(schema, names.get("context"), join_directives)
        check_context_arguments(types, contexts)
        type_requirements, field_requirements = read_requirements(schema, names)
        try:
            api_schema = build_api_schema(document, names)
        except (GraphQLError, TypeError) as error:
            raise SupergraphError(f"cannot build the API schema: {error}") from error
        return cls(
            sdl=sdl,
            schema=schema,
            api_schema=api_schema,
            subgraphs={info.name: info for info in graphs.values()},
            types=types,
            possible_in_graph=possible_types_per_graph(schema, types),
            type_requirements=type_requirements,
            field_requirements=field_requirements,
            contexts=contexts,
            join_directives=join_directives,
        )

    def field(self, type_name: str, field_name: str) -> FieldModel | None:
        model = self.types.get(type_name)
        return model.fields.get(field_name) if model else None

    def possible_types(self, type_name: str) -> frozenset[str]:
        """Object types a value of ``type_name`` can have in the supergraph."""
        named = self.schema.type_map[type_name]
        if self.types[type_name].kind == "object":
            return frozenset((type_name,))
        return frozenset(t.name for t in self.schema.get_possible_types(named))  # type: ignore[arg-type]
