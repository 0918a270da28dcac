"""Builds the :class:`TypeModel` map from a parsed supergraph schema."""

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)

from .join_field import read_field_graphs
from .join_membership import read_members
from .join_type import read_type_graphs
from .model import FieldModel, SubgraphInfo, TypeInGraph, TypeModel

_KINDS = (
    (GraphQLObjectType, "object"),
    (GraphQLInterfaceType, "interface"),
    (GraphQLUnionType, "union"),
    (GraphQLEnumType, "enum"),
    (GraphQLInputObjectType, "input"),
    (GraphQLScalarType, "scalar"),
)


def load_types(
    schema: GraphQLSchema, join: str, graphs: dict[str, SubgraphInfo]
) -> dict[str, TypeModel]:
    """One :class:`TypeModel` per user type (introspection types skipped)."""
    type_graphs: dict[str, dict[str, TypeInGraph]] = {}
    for name, named in schema.type_map.items():
        if not name.startswith("__"):
            type_graphs[name] = read_type_graphs(named, join, graphs) or {
                info.name: TypeInGraph(info.name) for info in graphs.values()
            }
    members = read_members(schema, join, graphs, type_graphs)
    types: dict[str, TypeModel] = {}
    for name, per_graph in type_graphs.items():
        named = schema.type_map[name]
        kind = next(label for cls, label in _KINDS if isinstance(named, cls))
        fields: dict[str, FieldModel] = {}
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            fields = {
                field_name: FieldModel(
                    name,
                    field_name,
                    read_field_graphs(name, field_name, field, per_graph, join, graphs),
                )
                for field_name, field in named.fields.items()
            }
        types[name] = TypeModel(name, kind, per_graph, fields, members.get(name, {}))
    return types


def possible_types_per_graph(
    schema: GraphQLSchema, types: dict[str, TypeModel]
) -> dict[tuple[str, str], frozenset[str]]:
    """``(abstract type, subgraph)`` → object types that subgraph can return for it.

    Interface members that are themselves interfaces are expanded to their object members.
    """
    result: dict[tuple[str, str], frozenset[str]] = {}
    for name, model in types.items():
        if model.kind not in ("interface", "union"):
            continue
        abstract = schema.type_map[name]
        supergraph_possible = {t.name for t in schema.get_possible_types(abstract)}  # type: ignore[arg-type]
        for graph in model.graphs:
            found = _expand(types, name, graph, set())
            result[(name, graph)] = frozenset(found & supergraph_possible)
    return result


def _expand(types: dict[str, TypeModel], name: str, graph: str, seen: set[str]) -> set[str]:
    seen.add(name)
    found: set[str] = set()
    for member in types[name].members.get(graph, ()):
        if types[member].kind == "object":
            found.add(member)
        elif member not in seen:
            found |= _expand(types, member, graph, seen)
    return found
