"""``@join__type``: which subgraphs define a type, with their keys and interface objects."""

from graphql import GraphQLNamedType

from ..errors import SupergraphError
from ._directives import applied
from .fieldset import parse_field_set
from .model import EntityKey, SubgraphInfo, TypeInGraph


def read_type_graphs(
    named: GraphQLNamedType, join: str, graphs: dict[str, SubgraphInfo]
) -> dict[str, TypeInGraph]:
    """Per subgraph, the keys of ``named`` and whether it is an ``@interfaceObject`` there."""
    keys: dict[str, list[EntityKey]] = {}
    interface_object: dict[str, bool] = {}
    for args in applied([named.ast_node, *named.extension_ast_nodes], f"{join}__type"):
        enum_value = args.get("graph")
        if enum_value not in graphs:
            raise SupergraphError(f"unknown graph {enum_value!r} in @join__type", named.name)
        graph = graphs[enum_value].name
        keys.setdefault(graph, [])
        interface_object[graph] = interface_object.get(graph, False) or bool(
            args.get("isInterfaceObject", False)
        )
        if args.get("key"):
            fields = args["key"]
            selection = parse_field_set(fields, f"{named.name} @key")
            keys[graph].append(EntityKey(fields, selection, bool(args.get("resolvable", True))))
    return {
        graph: TypeInGraph(graph, tuple(keys[graph]), interface_object[graph]) for graph in keys
    }
