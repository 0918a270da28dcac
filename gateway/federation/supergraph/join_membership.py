"""``@join__implements`` and ``@join__unionMember``: abstract type membership per subgraph."""

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, GraphQLUnionType

from ._directives import applied
from .model import SubgraphInfo, TypeInGraph


def read_members(
    schema: GraphQLSchema,
    join: str,
    graphs: dict[str, SubgraphInfo],
    type_graphs: dict[str, dict[str, TypeInGraph]],
) -> dict[str, dict[str, frozenset[str]]]:
    """For each abstract type, per subgraph, the object types that subgraph knows as members."""
    members: dict[str, dict[str, set[str]]] = {}
    for named in schema.type_map.values():
        if isinstance(named, GraphQLUnionType):
            declared = list(
                applied([named.ast_node, *named.extension_ast_nodes], f"{join}__unionMember")
            )
            for args in declared:
                _add(members, named.name, graphs[args["graph"]].name, args["member"])
            if not declared:
                _add_implied(members, named.name, [t.name for t in named.types], type_graphs)
        elif isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            nodes = [named.ast_node, *named.extension_ast_nodes]
            declared = list(applied(nodes, f"{join}__implements"))
            for args in declared:
                _add(members, args["interface"], graphs[args["graph"]].name, named.name)
            if not declared:
                for interface in named.interfaces:
                    _add_implied(members, interface.name, [named.name], type_graphs)
    return {name: {g: frozenset(m) for g, m in per.items()} for name, per in members.items()}


def _add(members: dict[str, dict[str, set[str]]], abstract: str, graph: str, member: str) -> None:
    members.setdefault(abstract, {}).setdefault(graph, set()).add(member)


def _add_implied(
    members: dict[str, dict[str, set[str]]],
    abstract: str,
    candidates: list[str],
    type_graphs: dict[str, dict[str, TypeInGraph]],
) -> None:
    """Without membership directives, a subgraph defining both types is assumed to link them."""
    for graph in type_graphs.get(abstract, {}):
        for member in candidates:
            if graph in type_graphs.get(member, {}):
                _add(members, abstract, graph, member)
