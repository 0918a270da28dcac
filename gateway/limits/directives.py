"""The demand-control directives of a supergraph (``@cost``, ``@listSize``), read once.

Composition (:mod:`gateway.compose.cost`) keeps them in the supergraph under the names its
``@link`` to ``https://specs.apollo.dev/cost/v0.1`` gives: ``@cost``, and ``@listSize`` when
imported (``@cost__listSize`` otherwise). Supergraphs composed elsewhere (Apollo, Hive) carry
them the same way.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
)

from gateway.federation.supergraph._directives import applied, directive_names


@dataclass(frozen=True, slots=True)
class ListSize:
    """``@listSize`` of one field: how long its list (or its sized children's lists) is."""

    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] = ()
    sized_fields: tuple[str, ...] = ()
    require_one_slicing_argument: bool = True


@dataclass(frozen=True, slots=True)
class DemandDirectives:
    """Every ``@cost`` weight and ``@listSize`` of a supergraph, by type, field and argument."""

    type_weights: Mapping[str, int] = field(default_factory=dict)
    field_weights: Mapping[tuple[str, str], int] = field(default_factory=dict)
    argument_weights: Mapping[tuple[str, str, str], int] = field(default_factory=dict)
    input_field_weights: Mapping[tuple[str, str], int] = field(default_factory=dict)
    list_sizes: Mapping[tuple[str, str], ListSize] = field(default_factory=dict)

    @classmethod
    def read(cls, schema: GraphQLSchema) -> "DemandDirectives":
        """The directives applied in ``schema`` (the full supergraph schema, not the API)."""
        names = directive_names([schema.ast_node, *schema.extension_ast_nodes])
        cost = names.get("cost", "cost")
        list_size = names.get("listSize", f"{cost}__listSize" if "cost" in names else "listSize")
        reader = _Reader(cost, list_size)
        for named in schema.type_map.values():
            if not named.name.startswith("__"):
                reader.type_(named)
        return cls(reader.types, reader.fields, reader.arguments, reader.input_fields,
                   reader.list_sizes)


class _Reader:
    def __init__(self, cost: str, list_size: str) -> None:
        self.cost = cost
        self.list_size = list_size
        self.types: dict[str, int] = {}
        self.fields: dict[tuple[str, str], int] = {}
        self.arguments: dict[tuple[str, str, str], int] = {}
        self.input_fields: dict[tuple[str, str], int] = {}
        self.list_sizes: dict[tuple[str, str], ListSize] = {}

    def weight(self, nodes: list[Any]) -> int | None:
        weights = [int(args["weight"]) for args in applied(nodes, self.cost)
                   if isinstance(args.get("weight"), int)]
        return max(weights) if weights else None

    def type_(self, named: GraphQLNamedType) -> None:
        weight = self.weight([named.ast_node, *named.extension_ast_nodes])
        if weight is not None:
            self.types[named.name] = weight
        if isinstance(named, GraphQLInputObjectType):
            for name, input_field in named.fields.items():
                weight = self.weight([input_field.ast_node])
                if weight is not None:
                    self.input_fields[(named.name, name)] = weight
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for name, output in named.fields.items():
                self.field(named.name, name, output)

    def field(self, type_name: str, name: str, output: GraphQLField) -> None:
        weight = self.weight([output.ast_node])
        if weight is not None:
            self.fields[(type_name, name)] = weight
        for argument_name, argument in output.args.items():
            weight = self.weight([argument.ast_node])
            if weight is not None:
                self.arguments[(type_name, name, argument_name)] = weight
        for args in applied([output.ast_node], self.list_size):
            self.list_sizes[(type_name, name)] = ListSize(
                assumed_size=args.get("assumedSize"),
                slicing_arguments=tuple(args.get("slicingArguments") or ()),
                sized_fields=tuple(args.get("sizedFields") or ()),
                require_one_slicing_argument=args.get("requireOneSlicingArgument") is not False)
